//! Solving a block of samples: in lanes where the model and the method
//! allow it (see [`solve_lanes`](crate::integrate::solve_lanes)), one by
//! one otherwise; either way each sample has the bits of its one-sample
//! solve, and the block's results come in index order.

use super::{Draw, Ensemble, Failure, SampleRng, Sampler, failure};
use crate::{Algorithm, Error, Model, Options, Solution, solve};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use std::ops::Range;

/// The lane counts an ensemble runs (1: one sample at a time).
pub const LANE_COUNTS: [usize; 4] = [1, 2, 4, 8];

impl<S, Sa, A> Ensemble<'_, S, Sa, A>
where
    S: Model + Sync,
    Sa: Sampler,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// Sample `i`'s inputs, from its own stream.
    pub(super) fn draw(&self, i: u64) -> Draw {
        self.sampler.sample(i, &mut SampleRng::for_sample(self.seed, i))
    }

    /// Solve the samples of `range` and give, in index order, `map` of
    /// each success (`map` is called in any order) or the failure.
    pub(super) fn solve_block<R>(
        &self,
        range: Range<u64>,
        opts: &Options,
        map: &mut dyn FnMut(u64, &Draw, &Solution) -> R,
    ) -> Vec<Result<R, Failure>> {
        let start = range.start;
        let draws: Vec<Draw> = range.map(|i| self.draw(i)).collect();
        let n = draws.len();
        let mut out: Vec<Option<Result<R, Failure>>> = (0..n).map(|_| None).collect();
        let mut sink = |k: usize, r: Result<&Solution, Error>| {
            let i = start + k as u64;
            out[k] = Some(match r {
                Ok(sol) => Ok(map(i, &draws[k], sol)),
                Err(e) => Err(failure(i, draws[k].clone(), &e)),
            });
        };
        let input = |k: usize| (&draws[k].y0[..], &draws[k].p[..]);
        let (system, t_span, method) = (self.system, self.t_span, self.method);
        // Whatever lanes leave (a method or model they do not do, samples
        // whose lanes diverged) is solved one by one below.
        let _ = match self.lanes {
            2 => method.solve_lanes::<S, f64, 2>(system, t_span, opts, n, &input, &mut sink),
            4 => method.solve_lanes::<S, f64, 4>(system, t_span, opts, n, &input, &mut sink),
            8 => method.solve_lanes::<S, f64, 8>(system, t_span, opts, n, &input, &mut sink),
            _ => Ok(()),
        };
        (0..n)
            .zip(out)
            .map(|(k, r)| {
                r.unwrap_or_else(|| {
                    let (i, d) = (start + k as u64, &draws[k]);
                    match solve(system, method, t_span, &d.y0, &d.p, opts) {
                        Ok(sol) => Ok(map(i, d, &sol)),
                        Err(e) => Err(failure(i, d.clone(), &e)),
                    }
                })
            })
            .collect()
    }
}

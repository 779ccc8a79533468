//! One model solved for many inputs ([`Runs`]): in lanes where the model
//! and the method allow it (see [`solve_lanes`](crate::integrate::solve_lanes)),
//! one by one otherwise; either way each input has the bits of its
//! one-sample solve.

use super::{Draw, Ensemble, Failure, SampleRng, Sampler, failure, is_configuration_error};
use crate::integrate::LaneSink;
use crate::{Algorithm, Error, Method, Model, Options, Solution, solve};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};
use std::ops::Range;

/// The lane counts runs use (1: one sample at a time).
pub const LANE_COUNTS: [usize; 4] = [1, 2, 4, 8];
/// Samples integrated together in one step loop by default (see
/// [`Runs::lane_count`]) for models of more than [`WIDE_LANES_MAX_STATES`]
/// and at most [`LANES_MAX_STATES`] states.
pub const DEFAULT_LANES: usize = 4;
/// The most states a model may have for 8 lanes by default: on a few
/// states a step is a short chain of dependent operations, and 8 samples
/// fill the pipeline better than 4 (measured one thread: the W4 Van der
/// Pol ensemble 8–11% faster, Lorenz-96 on 4 and 6 sites 3–4%, equal at
/// 8 sites and slower above).
pub const WIDE_LANES_MAX_STATES: usize = 6;
/// The most states a model may have for lanes by default; larger models
/// are solved one sample at a time unless [`Runs::lanes`] says otherwise.
/// A larger model's own step already fills the vector units (its loops
/// run over the components), and the lanes' bookkeeping costs more than
/// they save. Measured with ensembles of Lorenz-96 (Dopri5, rtol 1e-6,
/// 60,000 states' worth of samples, one thread), 4 lanes against one
/// sample at a time: 2.0× at 4 states, 1.6× at 8, 1.2× at 16, 1.0× at
/// 24, 0.88× at 40, 0.84× at 100 (Dop853, with twice the stages, 1.4× at
/// 16 and 1.2× at 32). `docs/benchmarks.md` section 5.
pub const LANES_MAX_STATES: usize = 16;

/// One model, method and time span, solved for many inputs: what an
/// [`Ensemble`] runs and what [`Sobol::analyze_runs`](super::Sobol::analyze_runs)
/// and [`Morris::analyze_runs`](super::Morris::analyze_runs) evaluate.
///
/// # Example
/// ```
/// use odeon::ensemble::Runs;
/// use odeon::{models::VanDerPol, Method, Options};
/// let runs = Runs::new(&VanDerPol, Method::Dopri5, (0.0, 10.0)).options(Options::default().save_final());
/// let inputs: Vec<([f64; 2], [f64; 1])> = (0..100).map(|k| ([2.0, 0.0], [0.5 + 0.01 * k as f64])).collect();
/// let mut x = vec![0.0; 100];
/// runs.solve_each(100, &|k| (&inputs[k].0[..], &inputs[k].1[..]), &mut |k, r| x[k] = r.unwrap().y[0])?;
/// assert!(x.iter().all(|v| v.abs() < 2.1));
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Runs<'a, S, A = Method> {
    pub(super) system: &'a S,
    pub(super) method: A,
    pub(super) t_span: (f64, f64),
    pub(super) options: Options,
    /// `None`: the automatic choice ([`lane_count`](Self::lane_count)).
    pub(super) lanes: Option<usize>,
}

impl<'a, S, A> Runs<'a, S, A>
where
    S: Model,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// Solves of `system` with `method` over `t_span`; default options,
    /// lanes by [`lane_count`](Self::lane_count).
    pub fn new(system: &'a S, method: A, t_span: (f64, f64)) -> Self {
        Runs { system, method, t_span, options: Options::default(), lanes: None }
    }

    /// Integration options.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Integrate `n` samples together in one step loop (one of
    /// [`LANE_COUNTS`]; default by the model's size, see
    /// [`lane_count`](Self::lane_count); 1 turns lanes off), each with its
    /// own step control, where the method and the model allow it
    /// (explicit methods; no events, stops or inputs; see
    /// [`solve_lanes`](crate::integrate::solve_lanes)); the rest run one
    /// by one. Results are the same bits for every lane count: only the
    /// speed differs.
    pub fn lanes(mut self, n: usize) -> Self {
        self.lanes = Some(n);
        self
    }

    /// The samples integrated together: as set by [`lanes`](Self::lanes),
    /// else by the model's size: 8 for at most [`WIDE_LANES_MAX_STATES`]
    /// states, [`DEFAULT_LANES`] for at most [`LANES_MAX_STATES`], and 1
    /// (one at a time) for a larger model.
    ///
    /// # Example
    /// ```
    /// use odeon::ensemble::{DEFAULT_LANES, Runs};
    /// use odeon::models::{Lorenz96, VanDerPol};
    /// use odeon::Dopri5;
    /// assert_eq!(Runs::new(&VanDerPol, Dopri5, (0.0, 10.0)).lane_count(), 8);
    /// let medium = Lorenz96::new(12)?;
    /// assert_eq!(Runs::new(&medium, Dopri5, (0.0, 10.0)).lane_count(), DEFAULT_LANES);
    /// let large = Lorenz96::new(40)?;
    /// assert_eq!(Runs::new(&large, Dopri5, (0.0, 10.0)).lane_count(), 1);
    /// assert_eq!(Runs::new(&large, Dopri5, (0.0, 10.0)).lanes(8).lane_count(), 8);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn lane_count(&self) -> usize {
        let n = self.system.dim().value();
        self.lanes.unwrap_or(match n {
            _ if n <= WIDE_LANES_MAX_STATES => 8,
            _ if n <= LANES_MAX_STATES => DEFAULT_LANES,
            _ => 1,
        })
    }

    /// [`Error::InvalidOption`] for a lane count not in [`LANE_COUNTS`].
    pub(super) fn check_lanes(&self) -> Result<(), Error> {
        let lanes = self.lane_count();
        if LANE_COUNTS.contains(&lanes) {
            return Ok(());
        }
        let reason = format!("must be one of {LANE_COUNTS:?}, got {lanes}");
        Err(Error::InvalidOption { name: "lanes", reason })
    }

    /// Check the lane count, and solve the inputs `(y0, p)` once with
    /// `opts` so that errors every solve would meet (options, dimensions)
    /// stop an ensemble or a sensitivity analysis before it runs.
    pub(super) fn check(&self, opts: &Options, y0: &[f64], p: &[f64]) -> Result<(), Error> {
        self.check_lanes()?;
        match solve(self.system, self.method, self.t_span, y0, p, opts) {
            Err(e) if is_configuration_error(&e) => Err(e),
            _ => Ok(()),
        }
    }

    /// [`check`](Self::check) with the runs' options at the inputs of
    /// point `x` of a sensitivity analysis.
    pub(super) fn check_point(&self, inputs: &PointInputs<'_>, x: &[f64]) -> Result<(), Error> {
        let (y0, p) = inputs(x);
        self.check(&self.options, &y0, &p)
    }

    /// Solve inputs `0..n` (`input(k)` is input `k`'s initial state and
    /// parameters) and hand each result to `each`, in any order: the same
    /// solution or error as [`solve`] of that input alone.
    ///
    /// # Errors
    /// An invalid lane count ([`Error::InvalidOption`]); errors of single
    /// solves go to `each`.
    pub fn solve_each<'i>(
        &self,
        n: usize,
        input: &dyn Fn(usize) -> (&'i [f64], &'i [f64]),
        each: &mut LaneSink<'_, f64>,
    ) -> Result<(), Error> {
        self.check_lanes()?;
        self.solve_each_with(&self.options, n, input, each);
        Ok(())
    }

    /// [`solve_each`](Self::solve_each) with `opts`.
    pub(super) fn solve_each_with<'i>(
        &self,
        opts: &Options,
        n: usize,
        input: &dyn Fn(usize) -> (&'i [f64], &'i [f64]),
        each: &mut LaneSink<'_, f64>,
    ) {
        let (system, t_span, method) = (self.system, self.t_span, self.method);
        let mut done = vec![false; n];
        let mut sink = |k: usize, r: Result<&Solution, Error>| {
            done[k] = true;
            each(k, r);
        };
        // Whatever lanes leave (a method or model they do not do, samples
        // whose lanes diverged) is solved one by one below.
        let _ = match self.lane_count() {
            2 => method.solve_lanes::<S, f64, 2>(system, t_span, opts, n, input, &mut sink),
            4 => method.solve_lanes::<S, f64, 4>(system, t_span, opts, n, input, &mut sink),
            8 => method.solve_lanes::<S, f64, 8>(system, t_span, opts, n, input, &mut sink),
            _ => Ok(()),
        };
        for k in (0..n).filter(|&k| !done[k]) {
            let (y0, p) = input(k);
            match solve(system, method, t_span, y0, p, opts) {
                Ok(sol) => each(k, Ok(&sol)),
                Err(e) => each(k, Err(e)),
            }
        }
    }
}

/// A model's inputs `(y0, p)` at a point of a sensitivity analysis.
pub type PointInputs<'f> = dyn Fn(&[f64]) -> (Vec<f64>, Vec<f64>) + Sync + 'f;
/// The output of a solve that a sensitivity analysis studies.
pub type RunOutput<'f> = dyn Fn(&Solution) -> f64 + Sync + 'f;

impl<S, A> Runs<'_, S, A>
where
    S: Model,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// `output` of the solve at each point `x` from the inputs
    /// `inputs(x)`, in order; `None` where the solve failed or the output
    /// is not finite.
    pub(super) fn outputs(
        &self,
        xs: &[Vec<f64>],
        inputs: &PointInputs<'_>,
        output: &RunOutput<'_>,
    ) -> Vec<Option<f64>> {
        let ins: Vec<(Vec<f64>, Vec<f64>)> = xs.iter().map(|x| inputs(x)).collect();
        let mut out = vec![None; xs.len()];
        self.solve_each_with(&self.options, xs.len(), &|k| (&ins[k].0[..], &ins[k].1[..]), &mut |k, r| {
            out[k] = r.ok().map(output).filter(|v| v.is_finite());
        });
        out
    }
}

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
    /// each success (`map` is called in any order) or the failure. The
    /// block's draws are held in two flat buffers, and lanes reuse their
    /// solutions: no allocation per sample (beyond what the sampler and
    /// `map` make).
    pub(super) fn solve_block<R>(
        &self,
        range: Range<u64>,
        opts: &Options,
        map: &mut dyn FnMut(u64, &Draw, &Solution) -> R,
    ) -> Vec<Result<R, Failure>> {
        let (start, n) = (range.start, (range.end - range.start) as usize);
        let mut draw = Draw::default();
        let (mut y0s, mut ps, mut at) = (Vec::new(), Vec::new(), Vec::with_capacity(n));
        for i in range {
            self.sampler.sample_into(i, &mut SampleRng::for_sample(self.seed, i), &mut draw);
            at.push((y0s.len()..y0s.len() + draw.y0.len(), ps.len()..ps.len() + draw.p.len()));
            y0s.extend_from_slice(&draw.y0);
            ps.extend_from_slice(&draw.p);
        }
        let input = |k: usize| (&y0s[at[k].0.clone()], &ps[at[k].1.clone()]);
        let mut out: Vec<Option<Result<R, Failure>>> = (0..n).map(|_| None).collect();
        self.runs.solve_each_with(opts, n, &input, &mut |k, r| {
            let (i, (y0, p)) = (start + k as u64, input(k));
            draw.fill(y0.len(), y0.iter().chain(p).copied());
            out[k] = Some(match r {
                Ok(sol) => Ok(map(i, &draw, sol)),
                Err(e) => Err(failure(i, draw.clone(), &e)),
            });
        });
        // `solve_each_with` answers every input.
        out.into_iter().flatten().collect()
    }
}

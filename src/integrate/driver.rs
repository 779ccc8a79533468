//! The one driver: steps of a [`Stepper`] turned into a [`Solution`],
//! with the model's events and stops handled between them.

use super::events::Tracker;
use super::stepper::{StepResult, Stepper, check_accepted};
use super::{Options, Save, Solution};
use crate::{DualScalar, Error, Model, State};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;

/// Run a stepper to the end of `t_span`, saving what `options.save` asks
/// for and handling the model's events and stops (see
/// [`integrate::events`](super::events)). A failure carries the solution
/// up to it ([`Error::partial`]).
pub fn drive<S, D, St>(
    mut it: St,
    system: &S,
    p: &[D],
    t_span: (f64, f64),
    options: &Options,
) -> Result<Solution<D>, Error>
where
    S: Model,
    D: DualScalar,
    St: Stepper<D, S::Dim>,
    DefaultAllocator: Allocator<S::Dim>,
{
    let mut sol = Solution::new(it.y().len());
    let mut events = Tracker::new(system, p, t_span, options, it.y())?;
    let result = run(&mut it, &mut events, t_span, options, &mut sol);
    sol.stats = it.stats();
    sol.stats.rhs_evals += events.rhs_evals;
    match result {
        Ok(()) => Ok(sol),
        Err(e) => Err(e.with_partial(sol.primal())),
    }
}

fn run<S, D, St>(
    it: &mut St,
    events: &mut Tracker<'_, S, D>,
    t_span: (f64, f64),
    options: &Options,
    sol: &mut Solution<D>,
) -> Result<(), Error>
where
    S: Model,
    D: DualScalar,
    St: Stepper<D, S::Dim>,
    DefaultAllocator: Allocator<S::Dim>,
{
    let mut saver = Saver { save: &options.save, next: 0, dir: if t_span.1 >= t_span.0 { 1.0 } else { -1.0 } };
    let mut y = it.y().clone();
    let mut buf = it.y().clone();
    saver.step_end(sol, t_span.0, y.as_slice());
    if t_span.0 == t_span.1 {
        events.stops_at(t_span.0, &mut y, sol, &mut saver)?;
        saver.at_time(sol, t_span.0, &y);
        return saver.finish(sol, t_span.0, &y);
    }
    // Doses at the start apply before the first step; with stops ahead
    // the method integrates to the first of them.
    let dosed = events.stops_at(t_span.0, &mut y, sol, &mut saver)?;
    if dosed || events.has_stops() {
        it.restart(t_span.0, &y, events.segment_end())?;
    }
    saver.at_time(sol, t_span.0, it.y());
    loop {
        match it.step()? {
            StepResult::Finished => {
                let t = it.t();
                y.copy_from(it.y());
                if !events.stops_at(t, &mut y, sol, &mut saver)? {
                    return saver.finish(sol, t, &y);
                }
                saver.at_time(sol, t, &y);
                if t == t_span.1 {
                    return saver.finish(sol, t, &y);
                }
                it.restart(t, &y, events.segment_end())?;
            }
            StepResult::Stepped => {
                let (a, b) = (it.t_prev(), it.t());
                // A stop at the step's end applies after the step: points
                // at its time get the state after it.
                let before_stop = events.stop_pending(b);
                let mut lo = a;
                let mut restarted = false;
                while let Some(t) = events.scan(it, a, lo, b, &mut buf)? {
                    saver.until(sol, it, t, false, &mut buf)?;
                    it.interpolate(t, &mut y)?;
                    check_accepted(t, &y)?;
                    let fired = events.fire(t, &mut y, sol, &mut saver)?;
                    if fired.terminal {
                        saver.at_time(sol, t, &y);
                        return saver.finish(sol, t, &y);
                    }
                    if fired.changed {
                        saver.at_time(sol, t, &y);
                        it.restart(t, &y, events.segment_end())?;
                        restarted = true;
                        break;
                    }
                    lo = t;
                }
                if !restarted {
                    saver.until(sol, it, b, !before_stop, &mut buf)?;
                    saver.step_end(sol, b, it.y().as_slice());
                }
            }
        }
    }
}

/// What a solve saves, as it goes.
pub(crate) struct Saver<'o> {
    save: &'o Save,
    /// The next `t_eval` point.
    next: usize,
    dir: f64,
}

impl Saver<'_> {
    /// `Save::Steps`: a row at the end of an accepted step, or at an
    /// event or stop (once before and once after its reset).
    pub fn step_end<D: DualScalar>(&mut self, sol: &mut Solution<D>, t: f64, y: &[D]) {
        if *self.save == Save::Steps {
            sol.push(t, y.iter().copied());
        }
    }

    /// `Save::At`: the points at exactly `t`, with the state `y` there.
    pub fn at_time<D: DualScalar, N: nalgebra::Dim>(&mut self, sol: &mut Solution<D>, t: f64, y: &State<D, N>)
    where
        DefaultAllocator: Allocator<N>,
    {
        if let Save::At(ts) = self.save {
            while self.next < ts.len() && ts[self.next] == t {
                sol.push(t, y.iter().copied());
                self.next += 1;
            }
        }
    }

    /// `Save::At`: the points up to `t` (before it unless `inclusive`),
    /// from the continuous extension of the stepper's last step.
    pub fn until<D, N, St>(
        &mut self,
        sol: &mut Solution<D>,
        it: &mut St,
        t: f64,
        inclusive: bool,
        buf: &mut State<D, N>,
    ) -> Result<(), Error>
    where
        D: DualScalar,
        N: nalgebra::Dim,
        St: Stepper<D, N>,
        DefaultAllocator: Allocator<N>,
    {
        let Save::At(ts) = self.save else {
            return Ok(());
        };
        while self.next < ts.len() {
            let d = self.dir * (ts[self.next] - t);
            if d > 0.0 || (d == 0.0 && !inclusive) {
                break;
            }
            // The continuous extension may use stages the step's error
            // test never saw (extra dense stages, the final right-hand
            // side): check what it gives.
            it.interpolate(ts[self.next], buf)?;
            check_accepted(ts[self.next], buf)?;
            sol.push(ts[self.next], buf.iter().copied());
            self.next += 1;
        }
        Ok(())
    }

    /// `Save::Final`: the state where the solve ends.
    fn finish<D: DualScalar, N: nalgebra::Dim>(
        &mut self,
        sol: &mut Solution<D>,
        t: f64,
        y: &State<D, N>,
    ) -> Result<(), Error>
    where
        DefaultAllocator: Allocator<N>,
    {
        if *self.save == Save::Final {
            sol.push(t, y.iter().copied());
        }
        Ok(())
    }
}

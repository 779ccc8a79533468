//! The one driver: steps of a [`Stepper`] turned into a [`Solution`],
//! with the model's events and stops handled between them.

use super::events::{EventFns, ModelFns, Tracker};
use super::stepper::{StepResult, Stepper, check_accepted};
use super::{Options, Save, Solution};
use crate::{DualScalar, Error, Model, State};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;

/// Run a stepper to the end of `t_span`, saving what `options.save` asks
/// for and handling the model's events and stops (see
/// [`integrate::events`](super::events)). A failure carries the solution
/// up to it ([`Error::partial`]).
pub fn drive<S, D, St>(it: St, system: &S, p: &[D], t_span: (f64, f64), options: &Options) -> Result<Solution<D>, Error>
where
    S: Model,
    D: DualScalar,
    St: Stepper<D, S::Dim>,
    DefaultAllocator: Allocator<S::Dim>,
{
    let buf = it.y().clone();
    let mut it = Sliced { it, buf };
    let mut model = ModelFns::new(system, it.it.y());
    drive_sliced(&mut it, &mut model, p, t_span, options)
}

/// [`drive`] past the model's and the method's types: the step loop, the
/// saving and the events compile once per scalar type, not once per
/// model and method (the work of a step stays in the stepper's own,
/// fully typed code).
fn drive_sliced<D: DualScalar>(
    it: &mut dyn Steps<D>,
    model: &mut dyn EventFns<D>,
    p: &[D],
    t_span: (f64, f64),
    options: &Options,
) -> Result<Solution<D>, Error> {
    let mut sol = Solution::new(it.y().len());
    // The saved points known ahead (events may add some) in one allocation.
    let known = match &options.save {
        Save::At(times) => times.len(),
        Save::Final => 1,
        Save::Steps => 0,
    };
    // (A request too large to reserve is left to grow, and fail, as before.)
    let _ = sol.t.try_reserve_exact(known);
    let _ = sol.y.try_reserve_exact(known.saturating_mul(sol.n_states));
    let mut events = Tracker::new(model, p, t_span, options, it.y())?;
    let result = run(it, &mut events, t_span, options, &mut sol);
    sol.stats = it.stats();
    sol.stats.rhs_evals += events.rhs_evals;
    match result {
        Ok(()) => Ok(sol),
        Err(e) => Err(e.with_partial(sol.primal())),
    }
}

/// A [`Stepper`] seen through slices (one virtual call per step, per
/// interpolated point and per restart).
pub(crate) trait Steps<D> {
    fn t(&self) -> f64;
    fn t_prev(&self) -> f64;
    fn y(&self) -> &[D];
    fn step(&mut self) -> Result<StepResult, Error>;
    fn interpolate(&mut self, t: f64, out: &mut [D]) -> Result<(), Error>;
    fn restart(&mut self, t: f64, y: &[D], t_end: f64) -> Result<(), Error>;
    fn derivative(&self) -> Option<&[D]>;
    fn stats(&self) -> super::Stats;
    /// Step to the end of the span with nothing left to watch (no event
    /// functions, no stops ahead), saving what `saver` asks for: the plain
    /// step loop, in the stepper's typed code.
    fn run_quiet(&mut self, saver: &mut Saver<'_>, sol: &mut Solution<D>, buf: &mut [D]) -> Result<(), Error>;
}

/// A typed stepper with a state buffer for [`Steps`].
struct Sliced<St, D: DualScalar, N: nalgebra::Dim>
where
    DefaultAllocator: Allocator<N>,
{
    it: St,
    buf: State<D, N>,
}

impl<St, D, N> Steps<D> for Sliced<St, D, N>
where
    St: Stepper<D, N>,
    D: DualScalar,
    N: nalgebra::Dim,
    DefaultAllocator: Allocator<N>,
{
    fn t(&self) -> f64 {
        self.it.t()
    }
    fn t_prev(&self) -> f64 {
        self.it.t_prev()
    }
    fn y(&self) -> &[D] {
        self.it.y().as_slice()
    }
    fn step(&mut self) -> Result<StepResult, Error> {
        self.it.step()
    }
    fn interpolate(&mut self, t: f64, out: &mut [D]) -> Result<(), Error> {
        self.it.interpolate(t, &mut self.buf)?;
        out.copy_from_slice(self.buf.as_slice());
        Ok(())
    }
    fn restart(&mut self, t: f64, y: &[D], t_end: f64) -> Result<(), Error> {
        self.buf.as_mut_slice().copy_from_slice(y);
        self.it.restart(t, &self.buf, t_end)
    }
    fn derivative(&self) -> Option<&[D]> {
        self.it.derivative().map(|f| f.as_slice())
    }
    fn stats(&self) -> super::Stats {
        self.it.stats()
    }
    fn run_quiet(&mut self, saver: &mut Saver<'_>, sol: &mut Solution<D>, buf: &mut [D]) -> Result<(), Error> {
        loop {
            match self.it.step()? {
                StepResult::Finished => return saver.finish(sol, self.it.t(), self.it.y().as_slice()),
                StepResult::Stepped => {
                    let b = self.it.t();
                    if saver.due(b) {
                        saver.until(sol, &mut |t, out| self.interpolate(t, out), b, true, buf)?;
                        saver.step_end(sol, b, self.it.y().as_slice());
                    }
                }
            }
        }
    }
}

fn run<D: DualScalar>(
    it: &mut dyn Steps<D>,
    events: &mut Tracker<'_, D>,
    t_span: (f64, f64),
    options: &Options,
    sol: &mut Solution<D>,
) -> Result<(), Error> {
    let mut saver = Saver::new(&options.save, t_span);
    let mut y = it.y().to_vec();
    let mut buf = y.clone();
    saver.step_end(sol, t_span.0, &y);
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
        if events.quiet() {
            return it.run_quiet(&mut saver, sol, &mut buf);
        }
        match it.step()? {
            StepResult::Finished => {
                let t = it.t();
                y.copy_from_slice(it.y());
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
                    saver.until(sol, &mut |t, out| it.interpolate(t, out), t, false, &mut buf)?;
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
                    saver.until(sol, &mut |t, out| it.interpolate(t, out), b, !before_stop, &mut buf)?;
                    saver.step_end(sol, b, it.y());
                }
            }
        }
    }
}

/// The continuous extension of the last step: `out = y(t)`.
pub(crate) type Interpolate<'a, D> = dyn FnMut(f64, &mut [D]) -> Result<(), Error> + 'a;

/// What a solve saves, as it goes.
pub(crate) struct Saver<'o> {
    save: &'o Save,
    /// The next `t_eval` point.
    next: usize,
    dir: f64,
}

impl<'o> Saver<'o> {
    /// Nothing saved yet, for a solve over `t_span`.
    pub fn new(save: &'o Save, t_span: (f64, f64)) -> Self {
        Saver { save, next: 0, dir: if t_span.1 >= t_span.0 { 1.0 } else { -1.0 } }
    }

    /// `Save::Steps`: a row at the end of an accepted step, or at an
    /// event or stop (once before and once after its reset).
    pub fn step_end<D: DualScalar>(&mut self, sol: &mut Solution<D>, t: f64, y: &[D]) {
        if *self.save == Save::Steps {
            sol.push(t, y.iter().copied());
        }
    }

    /// `Save::At`: the points at exactly `t`, with the state `y` there.
    pub fn at_time<D: DualScalar>(&mut self, sol: &mut Solution<D>, t: f64, y: &[D]) {
        if let Save::At(ts) = self.save {
            while self.next < ts.len() && ts[self.next] == t {
                sol.push(t, y.iter().copied());
                self.next += 1;
            }
        }
    }

    /// Whether a step ending at `t` saves anything ([`step_end`](Self::step_end)
    /// or [`until`](Self::until) `t` inclusive).
    #[inline]
    pub fn due(&self, t: f64) -> bool {
        match self.save {
            Save::Steps => true,
            Save::At(ts) => ts.get(self.next).is_some_and(|&s| self.dir * (s - t) <= 0.0),
            Save::Final => false,
        }
    }

    /// `Save::At`: the points up to `t` (before it unless `inclusive`),
    /// from the continuous extension of the stepper's last step.
    pub fn until<D: DualScalar>(
        &mut self,
        sol: &mut Solution<D>,
        interpolate: &mut Interpolate<'_, D>,
        t: f64,
        inclusive: bool,
        buf: &mut [D],
    ) -> Result<(), Error> {
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
            interpolate(ts[self.next], buf)?;
            check_accepted(ts[self.next], buf)?;
            sol.push(ts[self.next], buf.iter().copied());
            self.next += 1;
        }
        Ok(())
    }

    /// `Save::Final`: the state where the solve ends.
    pub fn finish<D: DualScalar>(&mut self, sol: &mut Solution<D>, t: f64, y: &[D]) -> Result<(), Error> {
        if *self.save == Save::Final {
            sol.push(t, y.iter().copied());
        }
        Ok(())
    }
}

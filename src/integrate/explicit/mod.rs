//! The one explicit Runge–Kutta stepper, generic over the tableau, the
//! system and the scalar.
//!
//! Step control looks only at the real (primal) part of the state, so a
//! run with dual numbers takes exactly the steps of the `f64` run and its
//! derivatives are those of the discrete solution. All work buffers are
//! allocated once, in [`Integrator::new`].

use super::controller::{Clock, initial_step_for};
use super::stepper::{StepResult, at_step_ends, checked_settings, delegate_stepper, eval_start};
use super::tableau::{ExplicitRk, Interpolant};
use super::{Options, Stats};
use crate::{DualScalar, Error, Model, State};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;

mod lanes;
mod shared;

pub use lanes::{LaneSink, Unbatched, solve_lanes};

use shared::{Core, Verdict, combine};

/// A step-by-step explicit Runge–Kutta integrator.
///
/// [`solve`](crate::solve) drives one of these; use it directly to take
/// steps one at a time and interpolate inside the last step.
///
/// # Example
/// ```
/// use odeon::integrate::{Dopri5, Integrator, StepResult};
/// use odeon::{models::HarmonicOscillator, Options};
///
/// let opts = Options::default().rtol(1e-9).atol(1e-12);
/// let p = [1.0];
/// let mut it = Integrator::<_, Dopri5, f64>::new(&HarmonicOscillator, (0.0, 7.0), &[1.0, 0.0], &p, &opts)?;
/// let mut y = nalgebra::SVector::<f64, 2>::zeros();
/// while it.step()? == StepResult::Stepped {
///     if it.t_prev() <= 1.0 && 1.0 <= it.t() {
///         it.interpolate(1.0, &mut y)?;
///         assert!((y[0] - 1.0f64.cos()).abs() < 1e-8);
///     }
/// }
/// assert_eq!(it.t(), 7.0);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct Integrator<'a, S, M, D>
where
    S: Model,
    M: ExplicitRk,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    system: &'a S,
    p: &'a [D],
    c: Core<M, D, S::Dim>,
}

impl<'a, S, M, D> Integrator<'a, S, M, D>
where
    S: Model,
    M: ExplicitRk,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// Check the inputs, allocate the work buffers, evaluate `f(t0, y0)` and
    /// choose the first step.
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &[D], p: &'a [D], options: &Options) -> Result<Self, Error> {
        let tab = &M::TABLEAU;
        let adaptive = tab.error.controller_order().is_some();
        let set = checked_settings(system, t_span, y0, p, options, tab.controller, adaptive)?;
        super::mass::refuse_mass(system, tab.name)?;
        let mut it = Integrator { system, p, c: Core::new(set, system.dim(), t_span, y0) };
        it.begin(t_span.0, t_span.1)?;
        Ok(it)
    }

    /// Start at `(t, self.y)` towards `t_end`: evaluate `f` there and
    /// choose the first step, with no step history.
    fn begin(&mut self, t: f64, t_end: f64) -> Result<(), Error> {
        self.c.begin(self.system, self.p, t, t_end)
    }

    /// `f(t, y)` at the current time if it is at hand: the FSAL stage
    /// after a step, or `f` at the start.
    pub fn derivative(&self) -> Option<&State<D, S::Dim>> {
        self.c.derivative()
    }

    /// Start again at `(t, y)` towards `t_end`, as after an event's reset
    /// or a stop: the step history (FSAL stage, controller memory) is
    /// dropped and the first step chosen afresh.
    pub fn restart(&mut self, t: f64, y: &State<D, S::Dim>, t_end: f64) -> Result<(), Error> {
        self.c.y.copy_from(y);
        self.begin(t, t_end)
    }

    /// Current time.
    pub fn t(&self) -> f64 {
        self.c.clock.t
    }

    /// Current state.
    pub fn y(&self) -> &State<D, S::Dim> {
        &self.c.y
    }

    /// Start of the last accepted step (equal to `t()` before the first).
    pub fn t_prev(&self) -> f64 {
        self.c.clock.t_prev
    }

    /// The step size the integrator will try next (signed).
    pub fn h(&self) -> f64 {
        self.c.clock.h
    }

    /// The error weights `atol + rtol·|y|` of the current state's real
    /// parts, into `w`.
    pub(crate) fn error_weights(&self, w: &mut [f64]) {
        let set = &self.c.set;
        for (i, (w, y)) in w.iter_mut().zip(self.c.y.iter()).enumerate() {
            *w = set.atol[i] + set.rtol[i] * y.re().abs();
        }
    }

    /// Work done so far.
    pub fn stats(&self) -> Stats {
        self.c.stats
    }

    /// Take one accepted step (retrying rejected ones), or report that the
    /// end of the span has been reached.
    #[inline]
    pub fn step(&mut self) -> Result<StepResult, Error> {
        if self.c.clock.t == self.c.clock.t_end {
            return Ok(StepResult::Finished);
        }
        self.c.prepare_k0(self.system, self.p);
        loop {
            let (h, last) = self.c.trial()?;
            self.stages(h);
            match self.c.judge(h, last)? {
                Verdict::Retry => continue,
                Verdict::Accepted => return Ok(StepResult::Stepped),
                Verdict::TestStiffness(test) => {
                    self.c.ensure_fnew(self.system, self.p);
                    self.c.test_stiffness(test, h)?;
                    return Ok(StepResult::Stepped);
                }
            }
        }
    }

    /// Evaluate stages 2…s and the trial state `y_new`.
    ///
    /// The stage loop is unrolled by a macro so that every tableau entry is
    /// a compile-time constant (zero entries vanish, no loop overhead).
    #[inline(always)]
    fn stages(&mut self, h: f64) {
        let tab = &M::TABLEAU;
        let s = Core::<M, D, S::Dim>::STAGES;
        let c = &mut self.c;
        // The stages as a slice of constant length, and the time, held in
        // registers: the splits below need no checks, and no reloads after
        // the model's calls.
        let (k, t) = (&mut c.k[..s], c.clock.t);
        macro_rules! stage {
            ($($j:literal)+) => {$(
                if $j < s {
                    let (done, rest) = k.split_at_mut($j);
                    let target = if tab.fsal && $j == s - 1 { &mut c.y_new } else { &mut c.y_stage };
                    combine(target, &c.y, h, tab.a[$j], done);
                    self.system.rhs(D::from(t + tab.c[$j] * h), target, &[], self.p, &mut rest[0]);
                }
            )+};
        }
        const { assert!(Core::<M, D, S::Dim>::STAGES <= 16, "the stepper unrolls at most 16 stages") };
        stage!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        c.stats.rhs_evals += s - 1;
        if !tab.fsal {
            combine(&mut c.y_new, &c.y, h, tab.b, &c.k[..s]);
        }
    }

    /// The last stiffness estimate `ρ ≈ |h λ|` divided by the method's
    /// stability bound (above 1: the step is limited by stability), or 0
    /// for methods without a stiffness test. With
    /// [`detect_stiffness`](crate::Options::detect_stiffness) on (the
    /// default) the test runs every 100th accepted step until one is
    /// positive, as Hairer's DOPRI5 does; with it off, at every step.
    pub fn stiffness_ratio(&self) -> f64 {
        M::STIFFNESS.map_or(0.0, |test| self.c.stiffness.rho / test.bound)
    }

    /// The last estimate `ρ ≈ |h λ|` of the stiffness test (0 before one).
    pub(crate) fn stiffness_estimate(&self) -> f64 {
        self.c.stiffness.rho
    }

    /// Continue from `(t, y)` towards `t_end` with first step `h`, as after
    /// a method switch (the buffers are kept; the step history is dropped).
    pub(crate) fn resume(&mut self, t: f64, y: &State<D, S::Dim>, h: f64, t_end: f64) {
        self.c.resume(t, y, h, t_end);
    }

    /// The solution at `t` inside the last accepted step, by the method's
    /// continuous extension (exact copies at the step's end points).
    pub fn interpolate(&mut self, t: f64, out: &mut State<D, S::Dim>) -> Result<(), Error> {
        self.c.interpolate(self.system, self.p, t, out)
    }
}

/// The parts of a step that call the model, given the model and the
/// parameters (the lane stepper's one-sample core has no model of its own).
impl<M, D, N> Core<M, D, N>
where
    M: ExplicitRk,
    D: DualScalar,
    N: nalgebra::Dim,
    DefaultAllocator: Allocator<N>,
{
    /// Start at `(t, y)` towards `t_end`: evaluate `f` there and choose the
    /// first step, with no step history.
    pub(super) fn begin<S: Model<Dim = N>>(&mut self, system: &S, p: &[D], t: f64, t_end: f64) -> Result<(), Error> {
        if !self.reset(t, t_end) {
            return Ok(());
        }
        eval_start(system, (t, &self.y), p, &mut self.k[0], &mut self.stats)?;
        let auto = match M::TABLEAU.error.controller_order() {
            Some(q) if Clock::needs_initial_step(&self.set) => {
                let (head, tail) = self.k.split_at_mut(1);
                let at = (self.clock.t, self.clock.dir);
                let (set, stats) = (&self.set, &mut self.stats);
                initial_step_for(
                    (system, p),
                    at,
                    (&self.y, &head[0]),
                    (&mut self.y_stage, &mut tail[0]),
                    set,
                    q as f64,
                    stats,
                )
            }
            // Fixed-step methods have `dt` (Settings::new requires it).
            _ => 0.0,
        };
        self.clock.start(&self.set, auto);
        Ok(())
    }

    /// `f(t, y)` at the step's start into the first stage: the FSAL stage
    /// of the last step, or evaluated.
    #[inline]
    fn prepare_k0<S: Model<Dim = N>>(&mut self, system: &S, p: &[D]) {
        if self.k0_ready {
            return;
        }
        if self.fnew_ready {
            self.k.swap(0, Self::FNEW);
        } else {
            self.eval_here(system, p, 0);
        }
        self.k0_ready = true;
        self.fnew_ready = false;
    }

    /// `f(t, y)` at the current time into stage slot `slot`, counted.
    #[inline]
    fn eval_here<S: Model<Dim = N>>(&mut self, system: &S, p: &[D], slot: usize) {
        system.rhs(D::from(self.clock.t), &self.y, &[], p, &mut self.k[slot]);
        self.stats.rhs_evals += 1;
    }

    /// `f(t1, y1)` after an accepted step, if not at hand.
    fn ensure_fnew<S: Model<Dim = N>>(&mut self, system: &S, p: &[D]) {
        if !self.fnew_ready {
            self.eval_here(system, p, Self::FNEW);
            self.fnew_ready = true;
        }
    }

    /// The right-hand side evaluations the continuous extension needs beyond
    /// the step's stages: `f(t1, y1)` for Hermite and Dop853, and Dop853's
    /// extra stages.
    fn dense_stages<S: Model<Dim = N>>(&mut self, system: &S, p: &[D]) {
        match M::TABLEAU.dense {
            Interpolant::Polynomial(_) => {}
            Interpolant::Hermite => self.ensure_fnew(system, p),
            Interpolant::Dop853 { c: nodes, a, .. } => {
                self.ensure_fnew(system, p);
                let h = self.clock.h_prev;
                for (e, (ce, row)) in nodes.iter().zip(a).enumerate() {
                    let (done, rest) = self.k.split_at_mut(Self::FNEW + 1 + e);
                    combine(&mut self.y_stage, &self.y_new, h, row, done);
                    system.rhs(D::from(self.clock.t_prev + ce * h), &self.y_stage, &[], p, &mut rest[0]);
                }
                self.stats.rhs_evals += nodes.len();
            }
        }
    }

    /// The solution at `t` inside the last accepted step, by the method's
    /// continuous extension (exact copies at the step's end points).
    pub(super) fn interpolate<S: Model<Dim = N>>(
        &mut self,
        system: &S,
        p: &[D],
        t: f64,
        out: &mut State<D, N>,
    ) -> Result<(), Error> {
        if at_step_ends(t, (self.clock.t_prev, self.clock.t), self.clock.dir, (&self.y_new, &self.y), out)? {
            return Ok(());
        }
        if !self.dense_ready {
            self.dense_stages(system, p);
            self.build_dense();
        }
        self.evaluate_dense(t, out);
        Ok(())
    }
}

delegate_stepper!(Integrator, ExplicitRk, c);

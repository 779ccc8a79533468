//! The one ESDIRK stepper, generic over the tableau, the system and the
//! scalar: stage by stage, each implicit stage solved by the
//! [`newton`](super::newton) module's simplified Newton iterations (one
//! factorization of `I − hγJ` serves every stage of a step, and usually
//! many steps), from the tableau's stage predictor.
//!
//! Step control is the PI controller of the explicit and Rosenbrock
//! methods, on the real parts only: a dual-number solve takes the `f64`
//! solve's steps, and its derivative parts are those of the solved stage
//! equations (see the `newton` module).

pub mod tableau;

use super::controller::{Clock, initial_step_for, rms, tolerance_fraction};
use super::newton::{Equation, Newton};
use super::options::Settings;
use super::stepper::{
    Failure, StepResult, add_assign, at_step_ends, axpy, check_accepted, checked_settings, collapse_error,
    delegate_stepper, eval_start, zeros,
};
use super::{Controller, Options, Stats};
use crate::{DualScalar, Error, Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};
use std::marker::PhantomData;
use tableau::EsdirkMethod;

/// Hairer's PI values with the growth limited to 6× per step, as the
/// Rosenbrock methods'.
const CONTROLLER: Controller = Controller { safety: 0.9, fac_min: 0.2, fac_max: 6.0, beta: 0.04 };
/// Newton's tolerance for each stage, in the error test's scaled norm.
/// Measured on W6 (2026-12-07, `Options::newton_tol` over 0.01 … 0.1 in
/// one program): with Kvaerno5 at W6's tolerance pairs, 0.05 takes 2–14%
/// fewer iterations than 0.01 and 2–15% less time, the largest scaled
/// error against the references 1.1 (0.01: 2.5; 0.1: 5.8, HIRES at
/// 1e-10); TR-BDF2 (whose tolerance also scales with
/// [`tolerance_fraction`]) 9–21% fewer iterations, the same errors. (An
/// earlier measurement, on the code of 2026-12-01, had 0.1 reaching 260
/// there.)
const NEWTON_TOL: f64 = 0.05;
/// Newton iterations per stage before the step is retried (as
/// OrdinaryDiffEq's; at 3, Kvaerno5 fails about once a step on W6 and
/// evaluates 10× the Jacobians).
const NEWTON_MAX_ITERS: usize = 10;
/// Steps one Jacobian serves by default. Six stages iterate on one
/// Jacobian each step, so a stale one costs more than in BDF: measured on
/// W6 with Kvaerno5, ages 50 / 10 / 5 / 2 take 3.9 / 3.0 / 2.6 / 2.3
/// iterations a stage on HIRES at 1e-10 (4.6 ms at 5 against 7.6 ms at
/// 50); 5 keeps the Jacobians few for larger systems.
const JACOBIAN_AGE: usize = 5;

/// A step-by-step ESDIRK integrator ([`Kvaerno5`](tableau::Kvaerno5),
/// [`TrBdf2`](tableau::TrBdf2)).
///
/// # Example
/// ```
/// use odeon::integrate::{EsdirkStepper, StepResult, Stepper};
/// use odeon::{models::Robertson, Kvaerno5, Options};
///
/// let opts = Options::default().rtol(1e-6).atol(1e-10);
/// let p = Robertson::PARAMS;
/// let mut it = EsdirkStepper::<_, Kvaerno5, f64>::new(&Robertson, (0.0, 1e5), &Robertson::Y0, &p, &opts)?;
/// while it.step()? == StepResult::Stepped {}
/// assert!((it.y().sum() - 1.0).abs() < 1e-9); // mass is conserved
/// assert!(it.stats().jac_evals * 3 < it.stats().accepted); // one Jacobian serves several steps
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct EsdirkStepper<'a, S, M, D>
where
    S: Model,
    M: EsdirkMethod,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    system: &'a S,
    p: &'a [D],
    set: Settings,
    n: usize,
    clock: Clock,
    y: State<D, S::Dim>,
    /// The trial state; after an accepted step, the state at `t_prev`.
    y_new: State<D, S::Dim>,
    base: State<D, S::Dim>,
    y_pred: State<D, S::Dim>,
    psi: State<D, S::Dim>,
    err: State<D, S::Dim>,
    /// The stage derivatives `F_i` of the step being tried (`F_1` valid
    /// between steps).
    k: Vec<State<D, S::Dim>>,
    /// Those of the last accepted step, for dense output.
    k_dense: Vec<State<D, S::Dim>>,
    newton: Newton<D, S::Dim>,
    newton_tol: f64,
    /// The share of the tolerance the error test allows
    /// ([`tolerance_fraction`]).
    error_fraction: f64,
    failure: Option<Failure>,
    stats: Stats,
    _method: PhantomData<M>,
}

impl<'a, S, M, D> EsdirkStepper<'a, S, M, D>
where
    S: Model,
    M: EsdirkMethod,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    const STAGES: usize = M::TABLEAU.b.len();

    /// Check the inputs, allocate the work buffers, evaluate `f` at
    /// `(t0, y0)` and choose the first step.
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &[D], p: &'a [D], options: &Options) -> Result<Self, Error> {
        let dim = system.dim();
        let n = dim.value();
        let set = checked_settings(system, t_span, y0, p, options, CONTROLLER, true)?;
        let error_fraction = tolerance_fraction(M::TABLEAU.order, M::TABLEAU.proportional_below, &set.rtol);
        super::mass::refuse_mass(system, M::TABLEAU.name)?;
        let zero = || zeros::<D, _>(dim);
        let y = State::<D, S::Dim>::from_iterator_generic(dim, nalgebra::U1, y0.iter().copied());
        let mut it = EsdirkStepper {
            system,
            p,
            n,
            clock: Clock::new(t_span),
            y_new: y.clone(),
            y,
            base: zero(),
            y_pred: zero(),
            psi: zero(),
            err: zero(),
            k: (0..Self::STAGES).map(|_| zero()).collect(),
            k_dense: (0..Self::STAGES).map(|_| zero()).collect(),
            newton: Newton::new(system, (t_span.0, y0), p, &set, (JACOBIAN_AGE, NEWTON_MAX_ITERS), None)?,
            // Newton's default tolerance is a share of what the error test
            // allows, and tightens with it.
            newton_tol: set.newton_tol.unwrap_or(NEWTON_TOL * error_fraction),
            error_fraction,
            failure: None,
            stats: Stats::default(),
            set,
            _method: PhantomData,
        };
        it.begin(t_span.0, t_span.1)?;
        Ok(it)
    }

    /// Start at `(t, self.y)` towards `t_end`: evaluate `f` there, drop
    /// the Jacobian and choose the first step afresh.
    fn begin(&mut self, t: f64, t_end: f64) -> Result<(), Error> {
        self.clock.begin(t, t_end, self.stats.accepted);
        self.y_new.copy_from(&self.y);
        self.newton.invalidate();
        self.failure = None;
        if t == t_end {
            return Ok(());
        }
        eval_start(self.system, (t, &self.y), self.p, &mut self.k[0], &mut self.stats)?;
        let auto = if Clock::needs_initial_step(&self.set) { self.initial_step() } else { 0.0 };
        self.clock.start(&self.set, auto);
        Ok(())
    }

    /// `f(t, y)` at the current time (the next step's first stage).
    pub fn derivative(&self) -> Option<&State<D, S::Dim>> {
        Some(&self.k[0])
    }

    /// Start again at `(t, y)` towards `t_end`, as after an event's reset
    /// or a stop: a new Jacobian, the step history dropped and the first
    /// step chosen afresh.
    pub fn restart(&mut self, t: f64, y: &State<D, S::Dim>, t_end: f64) -> Result<(), Error> {
        self.y.copy_from(y);
        self.begin(t, t_end)
    }

    fn initial_step(&mut self) -> f64 {
        let q = M::TABLEAU.controller_order as f64;
        let f = (self.system, self.p);
        let at = (self.clock.t, self.clock.dir);
        let scratch = (&mut self.y_new, &mut self.err);
        initial_step_for(f, at, (&self.y, &self.k[0]), scratch, &self.set, q, &mut self.stats)
    }

    /// The step size the stepper will try next (signed).
    pub fn h(&self) -> f64 {
        self.clock.h
    }

    /// Take one accepted step (retrying rejected ones), or report that the
    /// end of the span has been reached.
    pub fn step(&mut self) -> Result<StepResult, Error> {
        if self.clock.t == self.clock.t_end {
            return Ok(StepResult::Finished);
        }
        self.newton.start_step(self.system, self.clock.t, &self.y, &mut self.stats)?;
        let q = M::TABLEAU.controller_order as f64;
        loop {
            if self.stats.accepted + self.stats.rejected >= self.set.max_steps {
                return Err(Error::MaxStepsExceeded { t: self.clock.t, max_steps: self.set.max_steps, partial: None });
            }
            let (h, last) = self.clock.next(self.stats.accepted);
            let adaptive = self.clock.adaptive();
            if adaptive && !last && self.clock.too_small(h, self.set.h_min) {
                return Err(collapse_error(self.failure, self.clock.t, h, self.set.h_min));
            }
            if let Err(f) = self.stages(h) {
                if matches!(f, Failure::Newton | Failure::NonFinite(_)) {
                    self.stats.newton_failures += 1;
                }
                self.failure = Some(f);
                if self.newton.recover(self.system, self.clock.t, &self.y, &mut self.stats)? {
                    continue;
                }
                if !adaptive {
                    return Err(collapse_error(self.failure, self.clock.t, h, self.set.h_min));
                }
                self.reject(h * if matches!(f, Failure::Newton) { 0.5 } else { 0.25 });
                continue;
            }
            let err = self.error_norm() / self.error_fraction;
            if !err.is_finite() {
                let component = self.y_new.iter().position(|v| !v.re().is_finite()).unwrap_or(0);
                self.failure = Some(Failure::NonFinite(component));
                if !adaptive {
                    return Err(collapse_error(self.failure, self.clock.t, h, self.set.h_min));
                }
                self.reject(h * 0.25);
                continue;
            }
            if !adaptive {
                self.accept(h, last)?;
                return Ok(StepResult::Stepped);
            }
            if err > 1.0 {
                self.failure = None;
                let h_next = h * self.set.controller.reject(err, q);
                self.clock.fail_error_test(h, h_next, &mut self.stats)?;
                continue;
            }
            self.clock.control(&self.set.controller, err, q, h, self.set.h_max);
            self.clock.hold_small_growth(h, M::TABLEAU.growth_threshold);
            self.accept(h, last)?;
            return Ok(StepResult::Stepped);
        }
    }

    fn reject(&mut self, h_next: f64) {
        self.clock.reject(h_next, &mut self.stats);
    }

    /// The implicit stages of a step of size `h`, the trial state `y_new`
    /// and the error estimate `err`.
    fn stages(&mut self, h: f64) -> Result<(), Failure> {
        let tab = &M::TABLEAU;
        let c = h * tab.gamma;
        self.newton.prepare(c, &mut self.stats)?;
        for i in 1..Self::STAGES {
            let (done, rest) = self.k.split_at_mut(i);
            // base = y + h Σ a_ij F_j; the predictor F_i ≈ Σ α_ij F_j.
            self.base.copy_from(&self.y);
            self.psi.as_mut_slice().fill(D::from(0.0));
            for ((kj, &aij), &alpha) in done.iter().zip(tab.a[i]).zip(tab.predictor[i]) {
                if aij != 0.0 {
                    axpy(&mut self.base, h * aij, kj);
                }
                if alpha != 0.0 {
                    axpy(&mut self.psi, c * alpha, kj);
                }
            }
            self.y_pred.copy_from(&self.base);
            add_assign(&mut self.y_pred, &self.psi);
            let eq = Equation {
                system: self.system,
                p: self.p,
                t: self.clock.t + tab.c[i] * h,
                c,
                y_pred: &self.y_pred,
                psi: &self.psi,
                atol: &self.set.atol,
                rtol: &self.set.rtol,
                tol: self.newton_tol,
            };
            self.newton.solve(&eq, &mut self.stats)?;
            self.newton.converge_derivatives(&eq, &mut self.stats);
            // F_i = (Y_i − base)/(hγ) = (ψ + d)/c.
            let ki = &mut rest[0];
            for ((f, &psi), &d) in ki.as_mut_slice().iter_mut().zip(self.psi.as_slice()).zip(self.newton.d.as_slice()) {
                *f = (psi + d) / c;
            }
        }
        if tab.stiffly_accurate {
            self.y_new.copy_from(&self.newton.y);
        } else {
            self.y_new.copy_from(&self.y);
            for (kj, &b) in self.k.iter().zip(tab.b) {
                axpy(&mut self.y_new, h * b, kj);
            }
        }
        self.err.as_mut_slice().fill(D::from(0.0));
        for (kj, &e) in self.k.iter().zip(tab.btilde) {
            if e != 0.0 {
                axpy(&mut self.err, h * e, kj);
            }
        }
        Ok(())
    }

    /// The scaled RMS error of the trial step (the largest over the real
    /// part and, with `sensitivity_error_control`, each derivative
    /// direction).
    fn error_norm(&self) -> f64 {
        let scaled = |part: &dyn Fn(&D) -> f64| {
            let s = (0..self.n).map(|i| {
                let sc = self.set.atol[i] + self.set.rtol[i] * part(&self.y[i]).abs().max(part(&self.y_new[i]).abs());
                part(&self.err[i]) / sc
            });
            rms(s, self.n)
        };
        let mut err = scaled(&|v: &D| v.re());
        if self.set.sensitivity_error_control {
            for l in 0..D::N_EPS {
                err = err.max(scaled(&|v: &D| v.eps_part(l)));
            }
        }
        err
    }

    fn accept(&mut self, h: f64, last: bool) -> Result<(), Error> {
        self.stats.accepted += 1;
        self.stats.stiff_steps += 1;
        self.failure = None;
        self.newton.accepted();
        self.clock.advance(h, last, self.stats.accepted);
        std::mem::swap(&mut self.y, &mut self.y_new);
        std::mem::swap(&mut self.k, &mut self.k_dense);
        // The next step's F_1: the last stage's (stiffly accurate methods),
        // else a new evaluation.
        if M::TABLEAU.stiffly_accurate {
            self.k[0].copy_from(&self.k_dense[Self::STAGES - 1]);
        } else {
            self.system.rhs(D::from(self.clock.t), &self.y, &[], self.p, &mut self.k[0]);
            self.stats.rhs_evals += 1;
        }
        check_accepted(self.clock.t, self.y.as_slice())
    }

    /// The solution at `t` inside the last accepted step: the tableau's
    /// continuous extension, or cubic Hermite interpolation.
    pub fn interpolate(&mut self, t: f64, out: &mut State<D, S::Dim>) -> Result<(), Error> {
        if at_step_ends(t, (self.clock.t_prev, self.clock.t), self.clock.dir, (&self.y_new, &self.y), out)? {
            return Ok(());
        }
        let tab = &M::TABLEAU;
        let h = self.clock.h_prev;
        let theta = (t - self.clock.t_prev) / h;
        if tab.dense.is_empty() {
            let (f0, f1) = (&self.k_dense[0], &self.k_dense[Self::STAGES - 1]);
            let t2 = theta * theta;
            let t3 = t2 * theta;
            let (h00, h10, h01, h11) = (2.0 * t3 - 3.0 * t2 + 1.0, t3 - 2.0 * t2 + theta, 3.0 * t2 - 2.0 * t3, t3 - t2);
            for i in 0..self.n {
                out[i] = self.y_new[i] * h00 + f0[i] * (h * h10) + self.y[i] * h01 + f1[i] * (h * h11);
            }
        } else {
            out.copy_from(&self.y_new);
            for (kj, row) in self.k_dense.iter().zip(tab.dense) {
                let w: f64 = row.iter().rev().fold(0.0, |acc, c| acc * theta + c) * theta;
                axpy(out, h * w, kj);
            }
        }
        Ok(())
    }
}

delegate_stepper!(EsdirkStepper, EsdirkMethod);

//! The one Rosenbrock stepper, generic over the tableau, the system and the
//! scalar.
//!
//! Every step evaluates `J = ∂f/∂y`, `T = ∂f/∂t` and `f` at the step's
//! start by dual-number passes through the model's generic right-hand side
//! (the `jacobian` module), factors `W = I/(hγ) − J` once and
//! solves one linear system per stage. A rejected step keeps `J` and only
//! re-factors `W`. As in the explicit stepper, step control sees only the
//! real parts: a dual-number solve takes the `f64` solve's steps, and its
//! linear solves recover the derivative parts from the real factorization
//! ([`linalg`](super::linalg)), so they are exact derivatives of the
//! discrete solution.

pub mod tableau;

use super::controller::{Clock, initial_step_for, tolerance_fraction};
use super::iteration::IterationMatrix;
use super::mass::{Mass, checked_mass};
use super::options::Settings;
use super::stepper::{
    Failure, StepResult, add_assign, at_step_ends, axpy, check_accepted, checked_settings, collapse_error,
    delegate_stepper, zeros,
};
use super::{Controller, Options, Stats};
use crate::{DualScalar, Error, Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};
use std::marker::PhantomData;
use tableau::RosenbrockMethod;

/// A step-by-step Rosenbrock integrator ([`Rodas5P`](tableau::Rodas5P),
/// [`Rodas4P`](tableau::Rodas4P), [`Rosenbrock23`](tableau::Rosenbrock23)).
///
/// # Example
/// ```
/// use odeon::integrate::{RosenbrockStepper, StepResult, Stepper};
/// use odeon::{models::Robertson, Options, Rodas5P};
///
/// let opts = Options::default().rtol(1e-6).atol(1e-10);
/// let p = Robertson::PARAMS;
/// let mut it = RosenbrockStepper::<_, Rodas5P, f64>::new(&Robertson, (0.0, 1e5), &Robertson::Y0, &p, &opts)?;
/// while it.step()? == StepResult::Stepped {}
/// assert!(it.stats().accepted < 200);
/// assert!((it.y().sum() - 1.0).abs() < 1e-9); // mass is conserved
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct RosenbrockStepper<'a, S, M, D>
where
    S: Model,
    M: RosenbrockMethod,
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
    y_stage: State<D, S::Dim>,
    /// `f` at a stage.
    f_stage: State<D, S::Dim>,
    /// `f`, `∂f/∂t` and `∂f/∂y` at `(t, y)`.
    f0: State<D, S::Dim>,
    dfdt: State<D, S::Dim>,
    /// `J` and the factorization of `W`.
    w: IterationMatrix<D, S::Dim>,
    jac_ready: bool,
    /// Accepted steps since the Jacobian was evaluated (W-methods reuse it).
    jac_age: usize,
    /// The stage increments `k_i`.
    k: Vec<State<D, S::Dim>>,
    /// `K_r = Σ_i H_ri k_i` of the last accepted step.
    dense: Vec<State<D, S::Dim>>,
    dense_ready: bool,
    failure: Option<Failure>,
    /// The share of the tolerance the error test allows
    /// ([`tolerance_fraction`]).
    error_fraction: f64,
    stats: Stats,
    /// A mass matrix (`M y' = f`).
    mass: Option<Mass>,
    _method: PhantomData<M>,
}

/// The Rosenbrock methods' default controller: Hairer's PI values with the
/// growth limited to 6× per step (as `rodas.f`).
const CONTROLLER: Controller = Controller { safety: 0.9, fac_min: 0.2, fac_max: 6.0, beta: 0.04 };

impl<'a, S, M, D> RosenbrockStepper<'a, S, M, D>
where
    S: Model,
    M: RosenbrockMethod,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    const STAGES: usize = {
        assert!(M::TABLEAU.b.len() <= 16, "the stepper holds at most 16 stages");
        M::TABLEAU.b.len()
    };

    /// Check the inputs, allocate the work buffers, evaluate `f`, `J` and
    /// `T` at `(t0, y0)` and choose the first step.
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &[D], p: &'a [D], options: &Options) -> Result<Self, Error> {
        let dim = system.dim();
        let n = dim.value();
        let set = checked_settings(system, t_span, y0, p, options, CONTROLLER, true)?;
        if set.max_jacobian_age.unwrap_or(1) > 1 && !M::TABLEAU.w_method {
            return Err(Error::InvalidOption {
                name: "max_jacobian_age",
                reason: format!(
                    "{} needs the exact Jacobian every step; only W-methods (Rosenbrock23) can reuse one",
                    M::TABLEAU.name
                ),
            });
        }
        let zero = || zeros::<D, _>(dim);
        let y = State::<D, S::Dim>::from_iterator_generic(dim, nalgebra::U1, y0.iter().copied());
        let mass = checked_mass(system)?;
        let mut w = IterationMatrix::new(system, (t_span.0, y0), p, &set, mass.as_ref())?;
        // Six stage solves or more per factorization pay for an inverse.
        if Self::STAGES >= 6 {
            w.prefer_inverse();
        }
        let mut it = RosenbrockStepper {
            system,
            p,
            n,
            clock: Clock::new(t_span),
            y_new: y.clone(),
            y,
            y_stage: zero(),
            f_stage: zero(),
            f0: zero(),
            dfdt: zero(),
            w,
            jac_ready: false,
            jac_age: 0,
            k: (0..Self::STAGES).map(|_| zero()).collect(),
            dense: (0..M::TABLEAU.h.len()).map(|_| zero()).collect(),
            dense_ready: false,
            failure: None,
            error_fraction: tolerance_fraction(M::TABLEAU.order, M::TABLEAU.proportional_below, &set.rtol),
            stats: Stats::default(),
            set,
            mass,
            _method: PhantomData,
        };
        if t_span.0 == t_span.1 {
            return Ok(it);
        }
        it.begin(t_span.0, t_span.1)?;
        Ok(it)
    }

    /// Start at `(t, self.y)` towards `t_end` with a fresh Jacobian and
    /// the first step chosen afresh.
    fn begin(&mut self, t: f64, t_end: f64) -> Result<(), Error> {
        self.clock.begin(t, t_end, self.stats.accepted);
        self.y_new.copy_from(&self.y);
        self.jac_ready = false;
        self.jac_age = 0;
        self.dense_ready = false;
        self.failure = None;
        if t == t_end {
            return Ok(());
        }
        if let Some(mass) = &self.mass {
            mass.make_consistent(self.system, t, &mut self.y, self.p, &mut self.stats)?;
            self.y_new.copy_from(&self.y);
        }
        self.prepare_jacobian()?;
        let auto = match (Clock::needs_initial_step(&self.set), &self.mass) {
            (false, _) => 0.0,
            (true, None) => self.initial_step(),
            // Hairer's estimate reads f as y'; with a mass matrix a small
            // first step, which the controller grows.
            (true, Some(_)) => 1e-6 * (t_end - t).abs().min(self.set.h_max),
        };
        self.clock.start(&self.set, auto);
        Ok(())
    }

    /// `None`: `f` at the current time is evaluated with the next
    /// Jacobian.
    pub fn derivative(&self) -> Option<&State<D, S::Dim>> {
        None
    }

    /// Start again at `(t, y)` towards `t_end`, as after an event's reset
    /// or a stop: a new Jacobian, the step history dropped and the first
    /// step chosen afresh.
    pub fn restart(&mut self, t: f64, y: &State<D, S::Dim>, t_end: f64) -> Result<(), Error> {
        self.y.copy_from(y);
        self.begin(t, t_end)
    }

    /// Continue from `(t, y)` towards `t_end` with first step `h`, as after
    /// a method switch (the buffers are kept; the step history is dropped).
    pub(crate) fn resume(&mut self, t: f64, y: &State<D, S::Dim>, h: f64, t_end: f64) {
        self.clock.restart(t, t_end, h, self.set.h_max);
        self.y.copy_from(y);
        self.y_new.copy_from(y);
        self.jac_ready = false;
        self.jac_age = 0;
        self.dense_ready = false;
        self.failure = None;
    }

    /// The step size the stepper will try next (signed).
    pub fn h(&self) -> f64 {
        self.clock.h
    }

    /// `‖J‖_∞` (largest absolute row sum of the real parts) of the last
    /// Jacobian: an upper bound of the spectral radius, used to decide when
    /// a problem has stopped being stiff.
    pub fn jacobian_norm(&mut self) -> f64 {
        self.w.norm_inf()
    }

    fn max_jacobian_age(&self) -> usize {
        self.set.max_jacobian_age.unwrap_or(1)
    }

    fn prepare_jacobian(&mut self) -> Result<(), Error> {
        if self.jac_ready {
            return Ok(());
        }
        let (t, y) = (self.clock.t, &self.y);
        if self.jac_age > 0 && self.jac_age < self.max_jacobian_age() {
            // A W-method's stale Jacobian (and `T`) serves again: only `f`
            // is new.
            self.system.rhs(D::from(t), y, &[], self.p, &mut self.f0);
            self.stats.rhs_evals += 1;
        } else {
            self.w.eval(self.system, (t, y), (&mut self.f0, &mut self.dfdt), &mut self.stats)?;
            self.jac_age = 0;
        }
        if let Some(component) = self.f0.iter().position(|v| !v.re().is_finite()) {
            return Err(Error::NonFiniteRhs { t, component, partial: None });
        }
        self.jac_ready = true;
        Ok(())
    }

    fn initial_step(&mut self) -> f64 {
        let q = M::TABLEAU.controller_order as f64;
        let f = (self.system, self.p);
        let at = (self.clock.t, self.clock.dir);
        let scratch = (&mut self.y_stage, &mut self.k[0]);
        initial_step_for(f, at, (&self.y, &self.f0), scratch, &self.set, q, &mut self.stats)
    }

    /// Take one accepted step (retrying rejected ones), or report that the
    /// end of the span has been reached.
    pub fn step(&mut self) -> Result<StepResult, Error> {
        if self.clock.t == self.clock.t_end {
            return Ok(StepResult::Finished);
        }
        self.prepare_jacobian()?;
        let q = M::TABLEAU.controller_order as f64;
        loop {
            if self.stats.accepted + self.stats.rejected >= self.set.max_steps {
                return Err(Error::MaxStepsExceeded { t: self.clock.t, max_steps: self.set.max_steps, partial: None });
            }
            let (h, last) = self.clock.next(self.stats.accepted);
            let adaptive = self.clock.adaptive();
            if adaptive && !last && self.clock.too_small(h, self.set.h_min) {
                return Err(self.collapse_error(h));
            }
            if let Err(failure) = self.w.factor(1.0 / (h * M::TABLEAU.gamma)) {
                self.failure = Some(failure);
                if !adaptive {
                    return Err(self.collapse_error(h));
                }
                self.reject(h * 0.25);
                continue;
            }
            self.stats.factorizations += 1;
            self.stages(h);
            let (err, bad) = self.error_norm();
            let err = err / self.error_fraction;
            if let Some(component) = bad {
                self.failure = Some(Failure::NonFinite(component));
                if !adaptive {
                    return Err(self.collapse_error(h));
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
                if self.jac_age > 0 {
                    // A stale Jacobian may be why: retry with a fresh one.
                    self.jac_age = self.max_jacobian_age();
                    self.jac_ready = false;
                    self.prepare_jacobian()?;
                }
                continue;
            }
            self.clock.control(&self.set.controller, err, q, h, self.set.h_max);
            self.accept(h, last)?;
            return Ok(StepResult::Stepped);
        }
    }

    fn collapse_error(&self, h: f64) -> Error {
        collapse_error(self.failure, self.clock.t, h, self.set.h_min)
    }

    fn reject(&mut self, h_next: f64) {
        self.clock.reject(h_next, &mut self.stats);
    }

    /// The stages `k_i` and the trial state `y_new`.
    fn stages(&mut self, h: f64) {
        // A loop over the stages, not unrolled: unrolled (every tableau
        // entry a constant) the Rodas5P steps of W6 were 1–4% faster, for
        // a copy of the model's right-hand side per stage in every
        // program (`docs/benchmarks.md` §9, "Small dense systems").
        for i in 0..Self::STAGES {
            self.stage(i, h);
        }
        self.stats.rhs_evals += Self::STAGES - 1;
        self.stats.linear_solves += Self::STAGES;
        self.stats.krylov_iters += self.w.take_krylov_iters();
        self.y_new.copy_from(&self.y);
        for (kj, &b) in self.k.iter().zip(M::TABLEAU.b) {
            if b != 0.0 {
                axpy(&mut self.y_new, b, kj);
            }
        }
    }

    /// Stage `i`: `k_i` from `f` at its state and the earlier stages.
    #[inline(always)]
    fn stage(&mut self, i: usize, h: f64) {
        let tab = &M::TABLEAU;
        let (done, rest) = self.k.split_at_mut(i);
        let ki = &mut rest[0];
        // First the part of `k_i` its `f` does not enter, `h d_i T +
        // Σ_j (c_ij/h) k_j` (`M Σ_j …` with a mass matrix), then `f`
        // added to it: the sum need not wait for the right-hand side
        // (on small systems the stages are a chain of latencies, and
        // this took 5–15% off a Rodas5P step of VDPOL and HIRES).
        // Whole-vector updates, one earlier stage at a time: the same
        // sums in the same order per component as a loop over
        // components, but contiguous and vectorizable.
        ki.as_mut_slice().fill(D::from(0.0));
        let hd = h * tab.d[i];
        // `∂f/∂t = 0` where the model never reads `t`: its term drops out.
        if hd != 0.0 && !self.system.autonomous() {
            axpy(ki, hd, &self.dfdt);
        }
        match &self.mass {
            None => {
                for (kj, &cij) in done.iter().zip(tab.c_mat[i]) {
                    axpy(ki, cij / h, kj);
                }
            }
            // The sum in the stage buffer, free until the stage's state.
            Some(mass) => {
                self.y_stage.as_mut_slice().fill(D::from(0.0));
                for (kj, &cij) in done.iter().zip(tab.c_mat[i]) {
                    axpy(&mut self.y_stage, cij / h, kj);
                }
                mass.mul_add(self.y_stage.as_slice(), ki.as_mut_slice());
            }
        }
        let f = if i == 0 {
            &self.f0
        } else {
            self.y_stage.copy_from(&self.y);
            for (kj, &aij) in done.iter().zip(tab.a[i]) {
                if aij != 0.0 {
                    axpy(&mut self.y_stage, aij, kj);
                }
            }
            self.system.rhs(D::from(self.clock.t + tab.c[i] * h), &self.y_stage, &[], self.p, &mut self.f_stage);
            &self.f_stage
        };
        // On slices (nalgebra's iterators walk strides for run-time sizes:
        // 230 instructions for 8 states); `k + f` is `f + k` to the bit.
        add_assign(ki, f);
        self.w.solve(ki.as_mut_slice());
    }

    /// The scaled RMS error of the trial step (the largest over the real
    /// part and, with `sensitivity_error_control`, each derivative
    /// direction) and the first non-finite component.
    fn error_norm(&mut self) -> (f64, Option<usize>) {
        // The estimate `Σ_j ẽ_j k_j` into the stage buffer (free after the
        // stages), whole vectors at a time.
        self.y_stage.as_mut_slice().fill(D::from(0.0));
        for (kj, &w) in self.k.iter().zip(M::TABLEAU.btilde) {
            if w != 0.0 {
                axpy(&mut self.y_stage, w, kj);
            }
        }
        let (est, y, y_new) = (self.y_stage.as_slice(), self.y.as_slice(), self.y_new.as_slice());
        let (atol, rtol) = (&self.set.atol, &self.set.rtol);
        let scaled = |part: fn(&D, usize) -> f64, l: usize| {
            let mut s = 0.0;
            for i in 0..est.len() {
                let sc = atol[i] + rtol[i] * part(&y[i], l).abs().max(part(&y_new[i], l).abs());
                let v = part(&est[i], l) / sc;
                s += v * v;
            }
            (s / est.len() as f64).sqrt()
        };
        let mut err = scaled(|v, _| v.re(), 0);
        if self.set.sensitivity_error_control {
            for l in 0..D::N_EPS {
                err = err.max(scaled(|v, l| v.eps_part(l), l));
            }
        }
        let bad = y_new.iter().position(|v| !v.re().is_finite());
        match bad {
            None if !err.is_finite() => (err, Some(est.iter().position(|v| !v.re().is_finite()).unwrap_or(0))),
            _ => (err, bad),
        }
    }

    fn accept(&mut self, h: f64, last: bool) -> Result<(), Error> {
        self.stats.accepted += 1;
        self.stats.stiff_steps += 1;
        self.failure = None;
        self.clock.advance(h, last, self.stats.accepted);
        std::mem::swap(&mut self.y, &mut self.y_new);
        self.jac_ready = false;
        self.jac_age += 1;
        self.dense_ready = false;
        check_accepted(self.clock.t, self.y.as_slice())
    }

    fn build_dense(&mut self) {
        for (row, d) in M::TABLEAU.h.iter().zip(&mut self.dense) {
            for c in 0..self.n {
                let mut acc = D::from(0.0);
                for (kj, &w) in self.k.iter().zip(*row) {
                    if w != 0.0 {
                        acc += kj[c] * w;
                    }
                }
                d[c] = acc;
            }
        }
        self.dense_ready = true;
    }

    /// The solution at `t` inside the last accepted step, by the method's
    /// stiff-aware continuous extension.
    pub fn interpolate(&mut self, t: f64, out: &mut State<D, S::Dim>) -> Result<(), Error> {
        if at_step_ends(t, (self.clock.t_prev, self.clock.t), self.clock.dir, (&self.y_new, &self.y), out)? {
            return Ok(());
        }
        let a = self.clock.t_prev;
        if !self.dense_ready {
            self.build_dense();
        }
        let theta = (t - a) / self.clock.h_prev;
        for c in 0..self.n {
            let mut acc = self.dense[self.dense.len() - 1][c];
            for d in self.dense.iter().rev().skip(1) {
                acc = d[c] + acc * theta;
            }
            out[c] = self.y_new[c] * (1.0 - theta) + (self.y[c] + acc * (1.0 - theta)) * theta;
        }
        Ok(())
    }
}

delegate_stepper!(RosenbrockStepper, RosenbrockMethod);

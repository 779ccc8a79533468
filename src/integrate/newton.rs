//! Simplified Newton iterations for the implicit methods (BDF and ESDIRK):
//! one equation form, Jacobian and factorization reuse as CVODE does it,
//! and the derivative parts of dual-number solves iterated to convergence.
//!
//! Every implicit step or stage here solves, for `d`,
//!
//! `d − c·f(t, y_pred + d) + ψ = 0`
//!
//! (with a mass matrix `M`, `M (d + ψ) − c·f(t, y_pred + d) = 0`, and
//! Newton's matrix `M − c_J·J`)
//!
//! (BDF: `c = h/α_k`, `ψ` from the difference table; an ESDIRK stage:
//! `c = hγ`, `ψ = y_pred − (yₙ + h Σⱼ aᵢⱼ Fⱼ)`). Newton's matrix is
//! `I − c_J·J` for a Jacobian `J` evaluated by dual numbers at an earlier
//! state and a `c_J` within 30% of `c` (the correction is scaled by
//! `2/(1 + c/c_J)`, as CVODE's). A new Jacobian is evaluated after
//! `max_jacobian_age` steps or when the iterations fail with an old one;
//! with a fresh one, a failure asks the method for a smaller step.
//!
//! **Derivatives.** With dual numbers every iteration runs in the scalar's
//! arithmetic with the real factorization: the real parts take exactly
//! the `f64` solve's iterations (bit-identical), and the derivative parts
//! follow the same contraction towards the solution of the linearized
//! equation. When the real parts have converged, iterations continue on
//! the derivative parts alone (the real parts stay fixed) until they have
//! converged ten times more tightly — CVODES' staggered corrector. So the
//! derivatives are those of the equation solved exactly at the computed
//! state (the implicit function theorem), whatever the Newton tolerance:
//! finite differences of the `f64` solver agree with them to about the
//! Newton tolerance, and exactly as it goes to zero. If the derivative
//! iterations do not contract, a Jacobian at the solved state gives the
//! exact matrix.

use super::controller::rms;
use super::iteration::IterationMatrix;
use super::linalg::NewtonTarget;
use super::mass::Mass;
use super::options::Settings;
use super::stepper::{Failure, zeros};
use super::{Model, Stats};
use crate::{DualScalar, Error, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};

/// Iterations on the derivative parts after the real parts converged.
const SENS_MAX_ITERS: usize = 8;
/// Refactor when `c` has moved by more than this from the factored one
/// (CVODE's `dgmax`).
const MAX_C_CHANGE: f64 = 0.3;

/// One equation `d − c·f(t, y_pred + d) + ψ = 0` and its tolerances.
pub(crate) struct Equation<'a, S, D>
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    pub system: &'a S,
    pub p: &'a [D],
    pub t: f64,
    pub c: f64,
    pub y_pred: &'a State<D, S::Dim>,
    pub psi: &'a State<D, S::Dim>,
    pub atol: &'a [f64],
    pub rtol: &'a [f64],
    /// Convergence tolerance (RMS norm scaled by `atol + rtol·|y_pred|`).
    pub tol: f64,
}

/// The Newton solver's state and buffers, allocated once per solve.
pub(crate) struct Newton<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    n: usize,
    /// The unknown `d` and the iterate `y = y_pred + d`.
    pub d: State<D, N>,
    pub y: State<D, N>,
    f: State<D, N>,
    dy: State<D, N>,
    /// `1/(atol + rtol·|y_pred|)` ([`solve`](Self::solve)).
    scale: Vec<f64>,
    /// The convergence rate, carried from step to step.
    rate: f64,
    /// `J` (real parts) and the factorization of `I/c − J`.
    w: IterationMatrix<f64, N>,
    /// Whether `J` was evaluated since the last accepted step.
    jac_current: bool,
    jac_age: usize,
    max_age: usize,
    /// Iterations before the equation is declared not converging.
    max_iters: usize,
    y_re: State<f64, N>,
    f_re: State<f64, N>,
    dfdt_re: State<f64, N>,
    /// The `c` of the factorization (`None`: none valid).
    lu_c: Option<f64>,
    /// The exact matrix at a solved state, for derivative iterations that
    /// do not contract (allocated when first needed).
    exact: Option<IterationMatrix<f64, N>>,
    /// A mass matrix: the equation is `M (d + ψ) − c f = 0` (the method
    /// reads it to start and restart); and room for `M (d + ψ)`.
    pub mass: Option<Mass>,
    m_dpsi: Vec<D>,
}

impl<D, N> Newton<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    /// Buffers for `system` starting at `(t, y)` with parameters `p` and
    /// its checked `mass`, the linear algebra as `set` says; a Jacobian
    /// serves at most `set.max_jacobian_age` (else `default_age`) accepted
    /// steps; `max_iters` iterations without convergence are a failure.
    pub fn new<S: Model<Dim = N>>(
        system: &S,
        (t, y): (f64, &[D]),
        p: &[D],
        set: &Settings,
        (default_age, max_iters): (usize, usize),
        mass: Option<Mass>,
    ) -> Result<Self, Error> {
        let dim = system.dim();
        let n = dim.value();
        let zero = || zeros::<D, N>(dim);
        let zero_re = || zeros::<f64, N>(dim);
        let p_re: Vec<f64> = p.iter().map(|v| v.re()).collect();
        let y_re: Vec<f64> = y.iter().map(|v| v.re()).collect();
        let w = IterationMatrix::new(system, (t, &y_re), &p_re, set, mass.as_ref())?;
        Ok(Newton {
            n,
            d: zero(),
            y: zero(),
            f: zero(),
            dy: zero(),
            scale: vec![0.0; n],
            rate: 1.0,
            w,
            jac_current: false,
            jac_age: usize::MAX,
            max_age: set.max_jacobian_age.unwrap_or(default_age),
            max_iters,
            y_re: zero_re(),
            f_re: zero_re(),
            dfdt_re: zero_re(),
            lu_c: None,
            exact: None,
            m_dpsi: vec![D::from(0.0); if mass.is_some() { n } else { 0 }],
            mass,
        })
    }

    /// A new step begins at `(t, y)`: evaluate a new Jacobian there if the
    /// old one has served its steps.
    pub fn start_step<S: Model<Dim = N>>(
        &mut self,
        system: &S,
        t: f64,
        y: &State<D, N>,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        if self.jac_age >= self.max_age {
            self.eval_jacobian(system, t, y, stats)?;
        }
        Ok(())
    }

    /// Forget the Jacobian and its factorization (the state jumped): the
    /// next step evaluates a new one.
    pub fn invalidate(&mut self) {
        self.jac_current = false;
        self.jac_age = usize::MAX;
        self.lu_c = None;
        self.rate = 1.0;
    }

    /// The step was accepted.
    pub fn accepted(&mut self) {
        self.jac_current = false;
        self.jac_age = self.jac_age.saturating_add(1);
    }

    /// A new Jacobian at `(t, y)` (real parts); the factorization must
    /// follow.
    pub fn eval_jacobian<S: Model<Dim = N>>(
        &mut self,
        system: &S,
        t: f64,
        y: &State<D, N>,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        for (r, v) in self.y_re.as_mut_slice().iter_mut().zip(y.as_slice()) {
            *r = v.re();
        }
        self.w.eval(system, (t, &self.y_re), (&mut self.f_re, &mut self.dfdt_re), stats)?;
        self.jac_current = true;
        self.jac_age = 0;
        self.lu_c = None;
        Ok(())
    }

    /// Factor `I − cJ` unless the factored `c` is within 30% of `c`.
    pub fn prepare(&mut self, c: f64, stats: &mut Stats) -> Result<(), Failure> {
        if self.lu_c.is_some_and(|lc| (c / lc - 1.0).abs() <= MAX_C_CHANGE) {
            return Ok(());
        }
        self.lu_c = None;
        self.w.factor(1.0 / c)?;
        stats.factorizations += 1;
        self.lu_c = Some(c);
        self.rate = 1.0;
        Ok(())
    }

    /// After a failed attempt at `t` from the prediction `y_pred`: with an
    /// old Jacobian, evaluate a new one there (as scipy's BDF) and return
    /// `true` (retry with the same step); with a fresh one, `false` (the
    /// method must shrink the step).
    pub fn recover<S: Model<Dim = N>>(
        &mut self,
        system: &S,
        t: f64,
        y_pred: &State<D, N>,
        stats: &mut Stats,
    ) -> Result<bool, Error> {
        if self.jac_current {
            return Ok(false);
        }
        self.eval_jacobian(system, t, y_pred, stats)?;
        Ok(true)
    }

    /// Solve for `d` from `d = 0`, with CVODE's convergence test: the rate
    /// `ρ` is estimated from successive corrections and carried from step
    /// to step (`max(0.3 ρ_old, ‖Δ_m‖/‖Δ_{m−1}‖)`, reset to 1 by a new
    /// factorization); converged when `‖Δ‖·min(1, ρ) ≤ tol` (an RMS norm
    /// scaled by `atol + rtol·|y_pred|`); failed when a correction more
    /// than doubles or after `max_iters` iterations. `prepare` must have
    /// succeeded. Returns the iterations used.
    pub fn solve<S: Model<Dim = N>>(&mut self, eq: &Equation<'_, S, D>, stats: &mut Stats) -> Result<usize, Failure> {
        let (atol, rtol, y_pred) = (eq.atol, eq.rtol, eq.y_pred);
        // The weights' reciprocals, so that each iteration's norm
        // multiplies instead of dividing (7% of a 1,000-state BDF solve,
        // 2–7% of BDF and Kvaerno5 on VDPOL and HIRES).
        for (((w, &a), &r), y) in self.scale.iter_mut().zip(atol).zip(rtol).zip(y_pred.as_slice()) {
            *w = 1.0 / (a + r * y.re().abs());
        }
        self.d.as_mut_slice().fill(D::from(0.0));
        self.y.copy_from(y_pred);
        let mut norm_old = 0.0;
        for k in 0..self.max_iters {
            self.correction(eq, false, stats)?;
            let norm = rms(self.dy.as_slice().iter().zip(&self.scale).map(|(v, w)| v.re() * w), self.n);
            if k > 0 {
                if norm > 2.0 * norm_old {
                    return Err(Failure::Newton);
                }
                self.rate = (0.3 * self.rate).max(norm / norm_old);
            }
            step_both(&mut self.y, &mut self.d, &self.dy);
            if norm * self.rate.min(1.0) <= eq.tol {
                return Ok(k + 1);
            }
            norm_old = norm;
        }
        Err(Failure::Newton)
    }

    /// `Δ = (I − c_J J)⁻¹ (c f(t, y) − ψ − d)·2/(1 + c/c_J)` into `dy`;
    /// with `exact`, the matrix at the solved state instead.
    fn correction<S: Model<Dim = N>>(
        &mut self,
        eq: &Equation<'_, S, D>,
        exact: bool,
        stats: &mut Stats,
    ) -> Result<(), Failure> {
        let (c, psi) = (eq.c, eq.psi);
        eq.system.rhs(D::from(eq.t), &self.y, &[], eq.p, &mut self.f);
        stats.rhs_evals += 1;
        stats.newton_iters += 1;
        stats.linear_solves += 1;
        // Without an early exit: a test of every component the compiler
        // vectorizes; where one failed, which.
        if self.f.as_slice().iter().fold(false, |bad, v| bad | !v.re().is_finite()) {
            let i = self.f.as_slice().iter().position(|v| !v.re().is_finite()).unwrap_or(0);
            return Err(Failure::NonFinite(i));
        }
        let lu_c = if exact { c } else { self.lu_c.unwrap_or(c) };
        // (1/c_J·I − J)⁻¹ = c_J (I − c_J J)⁻¹: divide by c_J first.
        let scale = 2.0 / (1.0 + c / lu_c) / lu_c;
        match &self.mass {
            None => {
                if N::try_to_usize().is_some() {
                    // A size known when compiled: the indexed loop (the
                    // zipped one below measured 30% slower on Robertson's
                    // three states with Kvaerno5).
                    for i in 0..self.n {
                        self.dy[i] = (self.f[i] * c - psi[i] - self.d[i]) * scale;
                    }
                } else {
                    // Zipped slices: no bounds checks, vectorized (7% of a
                    // 1,000-state BDF solve).
                    let (dy, f, d) = (self.dy.as_mut_slice(), self.f.as_slice(), self.d.as_slice());
                    for (((dy, &f), &psi), &d) in dy.iter_mut().zip(f).zip(psi.as_slice()).zip(d) {
                        *dy = (f * c - psi - d) * scale;
                    }
                }
            }
            Some(mass) => {
                for i in 0..self.n {
                    self.dy[i] = psi[i] + self.d[i];
                }
                self.m_dpsi.as_mut_slice().fill(D::from(0.0));
                mass.mul_add(self.dy.as_slice(), &mut self.m_dpsi);
                for i in 0..self.n {
                    self.dy[i] = (self.f[i] * c - self.m_dpsi[i]) * scale;
                }
            }
        }
        let w = match (&mut self.exact, exact) {
            (Some(w), true) => w,
            _ => &mut self.w,
        };
        // How accurate an iterative solve must be: its bound on the error
        // assumes `W = I/c_J − J` (no mass matrix, whose algebraic rows
        // `W⁻¹` does not shrink by `c_J`).
        let target = self.mass.is_none().then_some(NewtonTarget { weights: &self.scale, tol: eq.tol });
        w.solve_primal(self.dy.as_mut_slice(), target);
        stats.krylov_iters += w.take_krylov_iters();
        Ok(())
    }

    /// After the real parts converged: iterate on the derivative parts
    /// alone until they have converged to `0.1·tol` (scaled by
    /// `atol + rtol·|derivative part|`), with the exact matrix at the
    /// solved state if the old one does not contract them.
    pub fn converge_derivatives<S: Model<Dim = N>>(&mut self, eq: &Equation<'_, S, D>, stats: &mut Stats) {
        let (atol, rtol) = (eq.atol, eq.rtol);
        if D::N_EPS == 0 {
            return;
        }
        let tol = 0.1 * eq.tol;
        let mut exact = false;
        let mut norm_old: Option<f64> = None;
        let mut iters = 0;
        loop {
            if self.correction(eq, exact, stats).is_err() {
                // The real part was finite a moment ago; only derivative
                // parts can differ, and the method checks them.
                return;
            }
            for v in self.dy.iter_mut() {
                *v -= D::from(v.re());
            }
            let norm = (0..D::N_EPS)
                .map(|l| {
                    let s = self
                        .dy
                        .iter()
                        .zip(self.y.iter())
                        .enumerate()
                        .map(|(i, (dv, yv))| dv.eps_part(l) / (atol[i] + rtol[i] * yv.eps_part(l).abs()));
                    rms(s, self.n)
                })
                .fold(0.0, f64::max);
            step_both(&mut self.y, &mut self.d, &self.dy);
            iters += 1;
            let rate = norm_old.map(|o| norm / o);
            if norm == 0.0 || rate.is_some_and(|r| r < 1.0 && r / (1.0 - r) * norm < tol) || (exact && iters >= 3) {
                return;
            }
            if !exact && (iters >= SENS_MAX_ITERS || rate.is_some_and(|r| r >= 0.9)) {
                exact = self.factor_exact(eq.system, (eq.t, eq.c), stats);
                if !exact {
                    return;
                }
                norm_old = None;
                iters = 0;
                continue;
            }
            norm_old = Some(norm);
        }
    }

    /// The exact Newton matrix at the solved state, in its own buffers
    /// (the real solve's Jacobian and factorization stay as they are).
    /// `false` if it is singular.
    fn factor_exact<S: Model<Dim = N>>(&mut self, system: &S, (t, c): (f64, f64), stats: &mut Stats) -> bool {
        for (r, v) in self.y_re.as_mut_slice().iter_mut().zip(self.y.as_slice()) {
            *r = v.re();
        }
        if self.exact.is_none() {
            match self.w.like(system.dim()) {
                Ok(w) => self.exact = Some(w),
                Err(_) => return false,
            }
        }
        let Some(w) = self.exact.as_mut() else { return false };
        if w.eval(system, (t, &self.y_re), (&mut self.f_re, &mut self.dfdt_re), stats).is_err() {
            return false;
        }
        stats.factorizations += 1;
        w.factor(1.0 / c).is_ok()
    }
}

/// `y += Δ` and `d += Δ` in one pass over the components.
#[inline]
fn step_both<D: DualScalar, N: Dim>(y: &mut State<D, N>, d: &mut State<D, N>, delta: &State<D, N>)
where
    DefaultAllocator: Allocator<N>,
{
    for ((y, d), &dv) in y.as_mut_slice().iter_mut().zip(d.as_mut_slice()).zip(delta.as_slice()) {
        *y += dv;
        *d += dv;
    }
}

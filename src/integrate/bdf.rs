//! Variable-order (1–5), variable-step BDF in the quasi-constant-step form
//! of Shampine & Reichelt's NDFs (MATLAB's `ode15s`; the algorithm of
//! scipy's `BDF`), with simplified Newton iterations, Jacobian and
//! factorization reuse as CVODE does it, and exact sensitivities of the
//! solved equations.
//!
//! The past is a table of backward differences `∇ʲy` at the current step
//! `h`; a step change rescales the table (the interpolating polynomial is
//! kept, evaluated at the new spacing), so every step solves one equation
//! with constant coefficients:
//!
//! `d − c·f(tₙ₊₁, y_pred + d) + ψ = 0`, `c = h/α_k`,
//!
//! with the predictor `y_pred = Σⱼ≤ₖ ∇ʲy` and `ψ = Σ₁≤ⱼ≤ₖ γⱼ∇ʲy / α_k`,
//! solved by the [`newton`](super::newton) module's simplified Newton
//! iterations (Jacobian and factorization reuse as CVODE's; exact
//! sensitivities of the solved equations, real parts bit-identical to the
//! `f64` solve).
//!
//! References: L. F. Shampine, M. W. Reichelt, "The MATLAB ODE suite",
//! SIAM J. Sci. Comput. 18 (1997) — the NDF coefficients `κ` and the
//! difference-table rescaling; A. C. Hindmarsh et al., "SUNDIALS", ACM
//! TOMS 31 (2005) — the reuse of Jacobians and factorizations.

use super::controller::{GROWTH_THRESHOLD, MAX_ERROR_TEST_FAILURES, initial_step_for, keeps_step, rms, too_small};
use super::mass::checked_mass;
use super::newton::{Equation, Newton};
use super::options::Settings;
use super::stepper::{
    Failure, StepResult, Stepper, add_assign, at_step_ends, axpy, check_accepted, checked_settings, collapse_error,
    eval_start, zeros,
};
use super::{Controller, Options, Stats};
use crate::{DualScalar, Error, Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};

/// `$body` with `$K` the order `$k` (1 … [`MAX_ORDER`]) as a constant, so
/// that the kernels' loops over the differences unroll.
macro_rules! by_order {
    ($k:expr, $K:ident => $body:expr) => {
        by_order!($k, $K => $body; 1 2 3 4)
    };
    ($k:expr, $K:ident => $body:expr; $($n:literal)*) => {
        match $k {
            $($n => {
                const $K: usize = $n;
                $body
            })*
            _ => {
                const $K: usize = MAX_ORDER;
                $body
            }
        }
    };
}

/// The variable-order BDF method (orders 1–5, NDF form): CVODE's,
/// `ode15s`' and scipy's stiff workhorse. It reuses one Jacobian and
/// factorization over many steps, so it does well on larger systems and
/// long horizons, where [`Rodas5P`](super::Rodas5P)'s Jacobian every step
/// costs most. See the [`bdf`](self) module for the algorithm.
///
/// # Example
/// ```
/// use odeon::{models::Robertson, solve, Bdf, Options};
/// let opts = Options::default().rtol(1e-6).atol(1e-10).save_final();
/// let sol = solve(&Robertson, Bdf, (0.0, 1e5), &Robertson::Y0, &Robertson::PARAMS, &opts)?;
/// let (_, y) = sol.last().unwrap();
/// assert!((y[0] - 0.01786).abs() < 1e-4); // Hairer & Wanner's reference
/// assert!(sol.stats.jac_evals < sol.stats.accepted / 5);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bdf;

impl std::fmt::Display for Bdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad("BDF")
    }
}

/// Highest order.
pub const MAX_ORDER: usize = 5;
/// Newton's iteration limit (CVODE's `maxcor`), also in the step-size
/// safety factor.
const NEWTON_MAXITER: usize = 3;
/// Newton's tolerance as a fraction of the error test's (CVODE's
/// `nlscoef`, which is 0.1 there): the iterations stop when their
/// remaining error, seen through the error estimate, is 1% of what the test
/// allows. Measured on W6: at 0.1 the inexact corrections make the error
/// estimate noisy (up to 15% of steps rejected); at 0.01, 1–3% rejected
/// with 1.6–2 iterations a step (scipy's tolerance: 3).
const NEWTON_COEF: f64 = 0.01;
const MIN_FACTOR: f64 = 0.2;
const MAX_FACTOR: f64 = 10.0;
/// The error test holds the estimated local error to this fraction of the
/// tolerance: at the full tolerance BDF's global error on W6's stiff
/// problems reaches 10–16 scaled units (as CVODES' and scipy's do: 11 and
/// 13 on Robertson to t = 40 at 1e-10, `../peers` W6); at 0.3 of it, at
/// most 6.1, for about 15% more steps (RADAU5 scales its tolerance
/// similarly).
const ERROR_FRACTION: f64 = 0.3;
/// Steps one Jacobian serves by default (CVODE's `msbj`).
const JACOBIAN_AGE: usize = 50;

/// Coefficients of the order-k NDF: `γ_k = Σ_{j≤k} 1/j`,
/// `α_k = (1 − κ_k) γ_k`, error constant `κ_k γ_k + 1/(k + 1)`.
struct Coefficients {
    gamma: [f64; MAX_ORDER + 1],
    alpha: [f64; MAX_ORDER + 1],
    error: [f64; MAX_ORDER + 1],
}

/// Shampine & Reichelt's `κ` (Table 1 of "The MATLAB ODE suite"; 0 at
/// order 5, where NDF5 would lose too much stability).
const KAPPA: [f64; MAX_ORDER + 1] = [0.0, -0.1850, -1.0 / 9.0, -0.0823, -0.0415, 0.0];

const COEF: Coefficients = {
    let mut c = Coefficients { gamma: [0.0; MAX_ORDER + 1], alpha: [0.0; MAX_ORDER + 1], error: [0.0; MAX_ORDER + 1] };
    let mut k = 0;
    while k <= MAX_ORDER {
        if k > 0 {
            c.gamma[k] = c.gamma[k - 1] + 1.0 / k as f64;
        }
        c.alpha[k] = (1.0 - KAPPA[k]) * c.gamma[k];
        c.error[k] = KAPPA[k] * c.gamma[k] + 1.0 / (k + 1) as f64;
        k += 1;
    }
    c
};

/// The stepper behind [`Bdf`].
pub struct BdfStepper<'a, S, D>
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    system: &'a S,
    p: &'a [D],
    set: Settings,
    n: usize,
    t: f64,
    t_prev: f64,
    t_end: f64,
    dir: f64,
    /// The spacing of the difference table.
    h_abs: f64,
    order: usize,
    /// Steps taken at this step size and order.
    n_equal_steps: usize,
    /// `∇ʲy` at the current time, `j = 0 … MAX_ORDER + 2`.
    diff: [State<D, S::Dim>; ROWS],
    /// The state at `t_prev`.
    y_prev: State<D, S::Dim>,
    y_pred: State<D, S::Dim>,
    psi: State<D, S::Dim>,
    /// `Options::newton_tol`, or `None`: 1% of the error test's.
    newton_tol: Option<f64>,
    newton: Newton<D, S::Dim>,
    /// Error-test failures at the current time.
    n_err_fail: usize,
    failure: Option<Failure>,
    stats: Stats,
}

impl<'a, S, D> BdfStepper<'a, S, D>
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// Check the inputs, allocate the work buffers and choose the first
    /// step (order 1).
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &[D], p: &'a [D], options: &Options) -> Result<Self, Error> {
        let dim = system.dim();
        let n = dim.value();
        let bad = |name, reason: &str| Err(Error::InvalidOption { name, reason: reason.into() });
        if options.dt.is_some() {
            return bad("dt", "BDF chooses its own steps; use an explicit or Rosenbrock method for fixed steps");
        }
        if options.controller.is_some() {
            return bad("controller", "BDF chooses steps and orders by its own rule, not the PI controller");
        }
        let set = checked_settings(system, t_span, y0, p, options, Controller::HAIRER, true)?;
        let zero = || zeros::<D, _>(dim);
        let y = State::<D, S::Dim>::from_iterator_generic(dim, nalgebra::U1, y0.iter().copied());
        let mut diff: [_; ROWS] = std::array::from_fn(|_| zero());
        diff[0].copy_from(&y);
        let mut it = BdfStepper {
            system,
            p,
            n,
            t: t_span.0,
            t_prev: t_span.0,
            t_end: t_span.1,
            dir: if t_span.1 >= t_span.0 { 1.0 } else { -1.0 },
            h_abs: 0.0,
            order: 1,
            n_equal_steps: 0,
            diff,
            y_prev: y,
            y_pred: zero(),
            psi: zero(),
            newton_tol: set.newton_tol,
            newton: Newton::new(
                system,
                (t_span.0, y0),
                p,
                &set,
                (JACOBIAN_AGE, NEWTON_MAXITER),
                checked_mass(system)?,
            )?,
            n_err_fail: 0,
            failure: None,
            stats: Stats::default(),
            set,
        };
        it.begin(t_span.0, t_span.1)?;
        Ok(it)
    }

    /// Start at `(t, diff[0])` towards `t_end` at order 1, with no step
    /// history, no Jacobian and the first step chosen afresh.
    fn begin(&mut self, t: f64, t_end: f64) -> Result<(), Error> {
        self.t = t;
        self.t_prev = t;
        self.t_end = t_end;
        self.order = 1;
        self.n_equal_steps = 0;
        self.n_err_fail = 0;
        self.failure = None;
        self.y_prev.copy_from(&self.diff[0]);
        for d in &mut self.diff[1..] {
            d.as_mut_slice().fill(D::from(0.0));
        }
        self.newton.invalidate();
        if t == t_end {
            return Ok(());
        }
        if let Some(mass) = &self.newton.mass {
            mass.make_consistent(self.system, t, &mut self.diff[0], self.p, &mut self.stats)?;
            self.y_prev.copy_from(&self.diff[0]);
        }
        self.derivative_into_psi()?;
        self.h_abs = match (self.set.h0, &self.newton.mass) {
            (Some(h0), _) => h0.min(self.set.h_max),
            (None, None) => self.initial_step(),
            // Hairer's estimate needs y' everywhere: a small first step,
            // which the controller grows.
            (None, Some(_)) => 1e-6 * (t_end - t).abs().min(self.set.h_max),
        };
        self.order_one_history();
        Ok(())
    }

    /// `f(t, y)` into `psi`, which is free between steps (with a mass
    /// matrix, `y'` where it is known and 0 on the algebraic rows).
    fn derivative_into_psi(&mut self) -> Result<(), Error> {
        eval_start(self.system, (self.t, &self.diff[0]), self.p, &mut self.psi, &mut self.stats)?;
        if let Some(mass) = &self.newton.mass {
            mass.derivative(self.psi.as_mut_slice());
        }
        Ok(())
    }

    /// The history of an order-1 start at the current step: `∇¹y = h·y'`
    /// with `y'` in `psi`, the higher differences zero.
    fn order_one_history(&mut self) {
        for d in &mut self.diff[2..] {
            d.as_mut_slice().fill(D::from(0.0));
        }
        let h = self.dir * self.h_abs;
        for i in 0..self.n {
            self.diff[1][i] = self.psi[i] * h;
        }
    }

    /// Start again at `(t, y)` towards `t_end`, as after an event's reset
    /// or a stop: order 1, the difference table and the Jacobian dropped,
    /// the first step chosen afresh.
    pub fn restart(&mut self, t: f64, y: &State<D, S::Dim>, t_end: f64) -> Result<(), Error> {
        self.diff[0].copy_from(y);
        self.begin(t, t_end)
    }

    fn initial_step(&mut self) -> f64 {
        let f = (self.system, self.p);
        let at = (self.t, self.dir);
        let scratch = (&mut self.newton.y, &mut self.y_pred);
        initial_step_for(f, at, (&self.diff[0], &self.psi), scratch, &self.set, 2.0, &mut self.stats)
    }

    /// The current order.
    pub fn order(&self) -> usize {
        self.order
    }

    /// The step size the stepper will try next (signed).
    pub fn h(&self) -> f64 {
        self.dir * self.h_abs
    }

    /// Take one accepted step (retrying rejected ones), or report that the
    /// end of the span has been reached.
    pub fn step(&mut self) -> Result<StepResult, Error> {
        if self.t == self.t_end {
            return Ok(StepResult::Finished);
        }
        self.n_err_fail = 0;
        self.newton.start_step(self.system, self.t, &self.diff[0], &mut self.stats)?;
        loop {
            if self.stats.accepted + self.stats.rejected >= self.set.max_steps {
                return Err(Error::MaxStepsExceeded { t: self.t, max_steps: self.set.max_steps, partial: None });
            }
            if self.h_abs > self.set.h_max {
                self.rescale(self.set.h_max / self.h_abs);
            }
            let remaining = (self.t_end - self.t).abs();
            let last = 1.01 * self.h_abs >= remaining;
            if last && self.h_abs != remaining {
                self.rescale(remaining / self.h_abs);
            }
            let h = self.dir * self.h_abs;
            if !last && too_small(h, self.t, self.set.h_min) {
                return Err(collapse_error(self.failure, self.t, h, self.set.h_min));
            }
            let t_new = if last { self.t_end } else { self.t + h };
            let c = h / COEF.alpha[self.order];
            self.predict();
            let eq = Equation {
                system: self.system,
                p: self.p,
                t: t_new,
                c,
                y_pred: &self.y_pred,
                psi: &self.psi,
                atol: &self.set.atol,
                rtol: &self.set.rtol,
                tol: self.newton_tol.unwrap_or(NEWTON_COEF * ERROR_FRACTION / COEF.error[self.order]),
            };
            let solved = self.newton.prepare(c, &mut self.stats).and_then(|()| self.newton.solve(&eq, &mut self.stats));
            let iters = match solved {
                Ok(iters) => iters,
                Err(f) => {
                    if matches!(f, Failure::Newton | Failure::NonFinite(_)) {
                        self.stats.newton_failures += 1;
                    }
                    self.failure = Some(f);
                    if !self.newton.recover(self.system, t_new, &self.y_pred, &mut self.stats)? {
                        self.reduce(if matches!(f, Failure::Newton) { 0.5 } else { 0.25 });
                    }
                    continue;
                }
            };
            self.newton.converge_derivatives(&eq, &mut self.stats);
            let err = self.error_norm(&self.newton.d, COEF.error[self.order]);
            if !err.is_finite() {
                let component = self.newton.y.iter().position(|v| !v.re().is_finite()).unwrap_or(0);
                self.failure = Some(Failure::NonFinite(component));
                self.reduce(0.25);
                continue;
            }
            let safety = 0.9 * (2 * NEWTON_MAXITER + 1) as f64 / (2 * NEWTON_MAXITER + iters) as f64;
            if err > 1.0 {
                self.failure = None;
                self.n_err_fail += 1;
                let factor = MIN_FACTOR.max(safety * err.powf(-1.0 / (self.order + 1) as f64));
                if self.n_err_fail >= 3 {
                    // Repeated failures at one time: the history is not to be
                    // trusted. As CVODE: order 1, the step cut, and the
                    // history reloaded from `f(t, y)` (the backward
                    // difference of a step across a sharp turn is no
                    // derivative: with it the error estimate fell only in
                    // proportion to the step, down to the smallest step, on
                    // VDPOL at rtol 1e-9).
                    self.order = 1;
                    self.reduce(factor.min(0.25));
                    self.derivative_into_psi()?;
                    self.order_one_history();
                } else {
                    self.reduce(factor);
                }
                if self.n_err_fail >= MAX_ERROR_TEST_FAILURES {
                    let failures = self.n_err_fail;
                    return Err(Error::ErrorTestFailures { t: self.t, failures, h, partial: None });
                }
                continue;
            }
            self.accept(t_new, err, safety)?;
            return Ok(StepResult::Stepped);
        }
    }

    /// A rejected attempt: shrink the step by `factor`.
    fn reduce(&mut self, factor: f64) {
        self.stats.rejected += 1;
        self.rescale(factor);
    }

    /// `y_pred` and `ψ` for the current order: `y_pred = Σ_{j≤k} ∇ʲy` and
    /// `ψ = Σ_{1≤j≤k} γⱼ∇ʲy / α_k`, each sum in `j` ascending.
    fn predict(&mut self) {
        let k = self.order;
        if S::Dim::try_to_usize().is_none() {
            let (diff, y_pred, psi) = (&self.diff, &mut self.y_pred, &mut self.psi);
            return by_order!(k, K => predict_table::<D, S::Dim, K>(diff, y_pred, psi));
        }
        // A compile-time size: whole vectors, a pass per difference, each
        // unrolled into a few vector instructions.
        self.y_pred.copy_from(&self.diff[0]);
        self.psi.as_mut_slice().fill(D::from(0.0));
        for j in 1..=k {
            add_assign(&mut self.y_pred, &self.diff[j]);
            axpy(&mut self.psi, COEF.gamma[j], &self.diff[j]);
        }
        self.psi.as_mut_slice().iter_mut().for_each(|v| *v /= COEF.alpha[k]);
    }

    /// The scaled RMS norm of `coef·v` (real parts, and with
    /// `sensitivity_error_control` each derivative direction too), scaled
    /// by `atol + rtol·|y_new|`.
    fn error_norm(&self, v: &State<D, S::Dim>, coef: f64) -> f64 {
        let (atol, rtol, y) = (&self.set.atol, &self.set.rtol, &self.newton.y);
        let n = self.n;
        let (v, y) = (v.as_slice(), y.as_slice());
        let parts = v.iter().zip(y).zip(atol).zip(rtol);
        let mut err = rms(parts.map(|(((v, y), a), r)| coef * v.re() / (a + r * y.re().abs())), n);
        if self.set.sensitivity_error_control {
            for l in 0..D::N_EPS {
                let part = (0..n).map(|i| coef * v[i].eps_part(l) / (atol[i] + rtol[i] * y[i].eps_part(l).abs()));
                err = err.max(rms(part, n));
            }
        }
        err / ERROR_FRACTION
    }

    /// Accept the solved step: update the difference table, and every
    /// `order + 1` steps at one size consider orders `k − 1, k, k + 1` and
    /// the step for the best of them (kept where it would grow by less
    /// than [`GROWTH_THRESHOLD`] at the same order).
    fn accept(&mut self, t_new: f64, err: f64, safety: f64) -> Result<(), Error> {
        self.stats.accepted += 1;
        self.stats.stiff_steps += 1;
        self.n_equal_steps += 1;
        self.failure = None;
        self.newton.accepted();
        self.push_difference(t_new);
        check_accepted(self.t, self.diff[0].as_slice())?;
        let k = self.order;
        if self.n_equal_steps < k + 1 {
            return Ok(());
        }
        // Errors at the neighbouring orders from the new differences,
        // scaled by the new state (as the current one was).
        let err_m = if k > 1 { self.error_norm(&self.diff[k], COEF.error[k - 1]) } else { f64::INFINITY };
        let err_p = if k < MAX_ORDER { self.error_norm(&self.diff[k + 2], COEF.error[k + 1]) } else { f64::INFINITY };
        let factors = [err_m.powf(-1.0 / k as f64), err.powf(-1.0 / (k + 1) as f64), err_p.powf(-1.0 / (k + 2) as f64)];
        let (best, &fmax) =
            factors.iter().enumerate().fold((1, &factors[1]), |b, (i, f)| if *f > *b.1 { (i, f) } else { b });
        let factor = MAX_FACTOR.min(safety * fmax);
        if best == 1 && keeps_step(factor, GROWTH_THRESHOLD) {
            // Not worth rewriting the table and moving off the factored
            // step: keep the step, and look again `k + 1` steps later.
            self.n_equal_steps = 0;
            return Ok(());
        }
        self.order = k + best - 1;
        self.rescale(factor);
        Ok(())
    }

    /// Move to `t_new` with the solved `d`: `∇^{k+1}y = d`,
    /// `∇^{k+2}y = d − ∇^{k+1}y_old`, and the lower differences by
    /// summation.
    fn push_difference(&mut self, t_new: f64) {
        self.t_prev = self.t;
        self.t = t_new;
        let k = self.order;
        if S::Dim::try_to_usize().is_none() {
            let (diff, d, y_prev) = (&mut self.diff, &self.newton.d, &mut self.y_prev);
            return by_order!(k, K => push_table::<D, S::Dim, K>(diff, d, y_prev));
        }
        // A compile-time size: whole vectors, highest difference first.
        self.y_prev.copy_from(&self.diff[0]);
        let d = &self.newton.d;
        let (low, high) = self.diff.split_at_mut(k + 2);
        for ((h, &d), &l) in high[0].as_mut_slice().iter_mut().zip(d.as_slice()).zip(low[k + 1].as_slice()) {
            *h = d - l;
        }
        low[k + 1].copy_from(d);
        for j in (0..=k).rev() {
            let (lower, upper) = self.diff.split_at_mut(j + 1);
            add_assign(&mut lower[j], &upper[0]);
        }
    }

    /// Change the step to `factor·h`: rewrite the difference table (up to
    /// the current order) for the new spacing, `∇ ← (R U)ᵀ ∇` with
    /// Shampine & Reichelt's matrices.
    fn rescale(&mut self, factor: f64) {
        self.n_equal_steps = 0;
        if factor == 1.0 {
            return;
        }
        self.h_abs *= factor;
        // The order is 1 … MAX_ORDER (`accept` never picks `k − 1` at 1).
        by_order!(self.order, K => rescale_table::<D, S::Dim, K>(&mut self.diff, factor));
    }

    /// The solution at `t` inside the last accepted step: the polynomial
    /// through the table's points.
    pub fn interpolate(&mut self, t: f64, out: &mut State<D, S::Dim>) -> Result<(), Error> {
        if at_step_ends(t, (self.t_prev, self.t), self.dir, (&self.y_prev, &self.diff[0]), out)? {
            return Ok(());
        }
        let h = self.dir * self.h_abs;
        out.copy_from(&self.diff[0]);
        let mut prod = 1.0;
        for j in 1..=self.order {
            // (t − (tₙ − (j−1)h)) / (j h)
            prod *= (t - (self.t - (j - 1) as f64 * h)) / (j as f64 * h);
            for i in 0..self.n {
                out[i] += self.diff[j][i] * prod;
            }
        }
        Ok(())
    }
}

/// Shampine & Reichelt's `R(k, ρ)`: `R[0][j] = 1`,
/// `R[i][j] = Π_{m=1..i} (m − 1 − ρ j)/m` for `i, j ≥ 1`, `R[i][0] = 0`.
/// A `const fn`, so that [`STEP_CHANGE_U`] is computed at compile time
/// with the same IEEE operations as at run time.
const fn step_change_matrix(k: usize, factor: f64) -> [[f64; MAX_ORDER + 1]; MAX_ORDER + 1] {
    let mut r = [[0.0; MAX_ORDER + 1]; MAX_ORDER + 1];
    r[0] = [1.0; MAX_ORDER + 1];
    let mut i = 1;
    while i <= k {
        let mut j = 1;
        while j <= k {
            r[i][j] = r[i - 1][j] * ((i - 1) as f64 - factor * j as f64) / i as f64;
            j += 1;
        }
        i += 1;
    }
    r
}

/// `∇ ← (R U)ᵀ ∇` for the table of order `K`: a constant, so that the
/// loops unroll and no row is copied out (with the order a variable and a
/// copy buffer a step change of a 2-state model took ~2,000 instructions,
/// docs/benchmarks.md §10). Component by component, each new entry
/// `0 + Σₘ ∇ᵐ·(RU)ₘᵢ` summed with `m` ascending, as whole-vector passes
/// sum it: the results do not depend on the layout of the loops.
#[inline(always)]
fn rescale_table<D: DualScalar, N: Dim, const K: usize>(diff: &mut [State<D, N>], factor: f64)
where
    DefaultAllocator: Allocator<N>,
{
    let (r, u) = (step_change_matrix(K, factor), &STEP_CHANGE_U[K]);
    let mut ru = [[0.0; MAX_ORDER + 1]; MAX_ORDER + 1];
    for (i, row) in ru.iter_mut().enumerate().take(K + 1) {
        for (j, x) in row.iter_mut().enumerate().take(K + 1) {
            *x = (0..K + 1).map(|m| r[i][m] * u[m][j]).sum();
        }
    }
    let diff = &mut diff[..K + 1];
    for c in 0..diff[0].len() {
        let x: [D; MAX_ORDER + 1] = std::array::from_fn(|m| if m <= K { diff[m][c] } else { D::from(0.0) });
        for (i, d) in diff.iter_mut().enumerate() {
            let mut s = D::from(0.0);
            for (xm, row) in x.iter().zip(&ru).take(K + 1) {
                s += *xm * row[i];
            }
            d[c] = s;
        }
    }
}

/// The difference table's rows: `∇⁰y … ∇^{MAX_ORDER+2}y`.
const ROWS: usize = MAX_ORDER + 3;

/// [`BdfStepper::predict`] at order `K` for a size known only at run time
/// (model files, SBML): one pass over the components, each sum in `j`
/// ascending as the whole-vector passes sum it (the same bits), without
/// a loop's set-up and the two sums' loads and stores in every pass (~40
/// instructions a pass for 8 states). Compile-time sizes keep the passes,
/// which unroll into a few vector instructions (docs/benchmarks.md §10,
/// "The difference table in one pass").
#[inline(always)]
fn predict_table<D: DualScalar, N: Dim, const K: usize>(
    diff: &[State<D, N>; ROWS],
    y_pred: &mut State<D, N>,
    psi: &mut State<D, N>,
) where
    DefaultAllocator: Allocator<N>,
{
    let n = y_pred.len();
    let rows = diff.each_ref().map(|r| &r.as_slice()[..n]);
    let (y_pred, psi) = (&mut y_pred.as_mut_slice()[..n], &mut psi.as_mut_slice()[..n]);
    for i in 0..n {
        let mut y = rows[0][i];
        let mut s = D::from(0.0);
        for (j, row) in rows.iter().enumerate().take(K + 1).skip(1) {
            let x = row[i];
            y += x;
            s += x * COEF.gamma[j];
        }
        s /= COEF.alpha[K];
        (y_pred[i], psi[i]) = (y, s);
    }
}

/// [`BdfStepper::push_difference`] at order `K` for a size known only at
/// run time, one component at a time (see [`predict_table`]): the old
/// `∇⁰y` into `y_prev`, `∇^{K+2}y = d − ∇^{K+1}y`, `∇^{K+1}y = d`, and
/// `∇ʲy += ∇^{j+1}y` from `j = K` down — the same additions as the passes.
#[inline(always)]
fn push_table<D: DualScalar, N: Dim, const K: usize>(
    diff: &mut [State<D, N>; ROWS],
    d: &State<D, N>,
    y_prev: &mut State<D, N>,
) where
    DefaultAllocator: Allocator<N>,
{
    let n = d.len();
    let mut rows = diff.each_mut().map(|r| &mut r.as_mut_slice()[..n]);
    let (d, y_prev) = (&d.as_slice()[..n], &mut y_prev.as_mut_slice()[..n]);
    for i in 0..n {
        // Loaded first, stored last: the rows are separate slices the
        // compiler cannot prove apart.
        let mut x: [D; ROWS] = std::array::from_fn(|j| if j < K + 2 { rows[j][i] } else { D::from(0.0) });
        y_prev[i] = x[0];
        let di = d[i];
        x[K + 2] = di - x[K + 1];
        x[K + 1] = di;
        for j in (0..K + 1).rev() {
            let above = x[j + 1];
            x[j] += above;
        }
        for (row, x) in rows.iter_mut().zip(x).take(K + 3) {
            row[i] = x;
        }
    }
}

/// `U(k) = R(k, 1)` for each order `k`: the same for every step change.
const STEP_CHANGE_U: [[[f64; MAX_ORDER + 1]; MAX_ORDER + 1]; MAX_ORDER + 1] = {
    let mut u = [[[0.0; MAX_ORDER + 1]; MAX_ORDER + 1]; MAX_ORDER + 1];
    let mut k = 0;
    while k <= MAX_ORDER {
        u[k] = step_change_matrix(k, 1.0);
        k += 1;
    }
    u
};

impl<S, D> Stepper<D, S::Dim> for BdfStepper<'_, S, D>
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    fn t(&self) -> f64 {
        self.t
    }
    fn t_prev(&self) -> f64 {
        self.t_prev
    }
    fn y(&self) -> &State<D, S::Dim> {
        &self.diff[0]
    }
    fn step(&mut self) -> Result<StepResult, Error> {
        BdfStepper::step(self)
    }
    fn interpolate(&mut self, t: f64, out: &mut State<D, S::Dim>) -> Result<(), Error> {
        BdfStepper::interpolate(self, t, out)
    }
    fn restart(&mut self, t: f64, y: &State<D, S::Dim>, t_end: f64) -> Result<(), Error> {
        BdfStepper::restart(self, t, y, t_end)
    }
    fn stats(&self) -> Stats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OdeSystem;

    #[test]
    fn coefficients_are_scipys() {
        // scipy 1.x, scipy/integrate/_ivp/bdf.py: `alpha` and `error_const`
        // as numpy computes them.
        let alpha = [0.0, 1.185, 1.6666666666666667, 1.9842166666666667, 2.1697916666666663, 2.283333333333333];
        let error = [1.0, 0.315, 0.16666666666666666, 0.09911666666666669, 0.11354166666666668, 0.16666666666666666];
        for k in 0..=MAX_ORDER {
            assert!((COEF.alpha[k] - alpha[k]).abs() < 1e-15, "alpha[{k}]");
            assert!((COEF.error[k] - error[k]).abs() < 1e-15, "error[{k}]");
        }
    }

    /// `y' = −y + 2 cos t`: `y = cos t + sin t` from `y(0) = 1`.
    struct Forced;
    impl OdeSystem for Forced {
        type Dim = nalgebra::Const<1>;
        fn dim(&self) -> Self::Dim {
            nalgebra::Const
        }
        fn n_params(&self) -> usize {
            0
        }
        fn rhs<D: DualScalar>(&self, t: D, y: &State<D, Self::Dim>, _: &[D], dy: &mut State<D, Self::Dim>) {
            dy[0] = -y[0] + t.cos() * 2.0;
        }
    }

    /// The error at t = 2 of `n` constant steps at fixed order `k`, started
    /// from the exact solution at `0, −h, …, −kh` (as backward differences).
    fn fixed_order_error(k: usize, n: usize) -> f64 {
        let exact = |t: f64| t.cos() + t.sin();
        let h = 2.0 / n as f64;
        let opts = Options::default().rtol(1e-3);
        let mut it = BdfStepper::<_, f64>::new(&Forced, (0.0, 2.0), &[1.0], &[], &opts).unwrap();
        it.h_abs = h;
        it.order = k;
        // ∇ʲy₀ from the exact values y(−i h).
        let mut v: Vec<f64> = (0..=k).map(|i| exact(-(i as f64) * h)).collect();
        for j in 0..=k {
            it.diff[j][0] = v[0];
            for i in 0..k - j {
                v[i] -= v[i + 1];
            }
        }
        for step in 0..n {
            let t_new = (step + 1) as f64 * h;
            let c = h / COEF.alpha[k];
            it.predict();
            it.newton.eval_jacobian(&Forced, it.t, &it.diff[0], &mut it.stats).unwrap();
            it.newton.prepare(c, &mut it.stats).unwrap();
            let eq = Equation {
                system: &Forced,
                p: &[],
                t: t_new,
                c,
                y_pred: &it.y_pred,
                psi: &it.psi,
                atol: &it.set.atol,
                rtol: &it.set.rtol,
                tol: 1e-12,
            };
            it.newton.solve(&eq, &mut it.stats).unwrap();
            it.push_difference(t_new);
        }
        (it.diff[0][0] - exact(2.0)).abs()
    }

    #[test]
    fn fixed_order_k_converges_with_order_k() {
        // Least-squares slope of log(error) against log(h).
        let slope = |hs: &[f64], errs: &[f64]| {
            let (x, y): (Vec<f64>, Vec<f64>) = hs.iter().zip(errs).map(|(h, e)| (h.ln(), e.ln())).unzip();
            let (mx, my) = (x.iter().sum::<f64>() / 4.0, y.iter().sum::<f64>() / 4.0);
            let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
            sxy / x.iter().map(|a| (a - mx) * (a - mx)).sum::<f64>()
        };
        for k in 1..=MAX_ORDER {
            let ns = [40, 80, 160, 320];
            let hs: Vec<f64> = ns.iter().map(|&n| 2.0 / n as f64).collect();
            let errs: Vec<f64> = ns.iter().map(|&n| fixed_order_error(k, n)).collect();
            let got = slope(&hs, &errs);
            assert!((got - k as f64).abs() < 0.25, "order {k}: slope {got}, errors {errs:?}");
        }
    }

    #[test]
    fn the_compile_time_table_is_the_run_time_one() {
        for (k, u) in STEP_CHANGE_U.iter().enumerate() {
            let run_time = step_change_matrix(k, std::hint::black_box(1.0));
            assert_eq!(u.map(|row| row.map(f64::to_bits)), run_time.map(|row| row.map(f64::to_bits)), "k = {k}");
        }
    }

    #[test]
    fn rescaling_twice_is_the_identity_and_keeps_the_polynomial() {
        // U is an involution (U² = I): rescaling by ρ then 1/ρ returns the
        // table; the rescaled table interpolates the same values.
        for k in 1..=MAX_ORDER {
            let u = step_change_matrix(k, 1.0);
            for i in 0..=k {
                for j in 0..=k {
                    let uu: f64 = (0..=k).map(|m| u[i][m] * u[m][j]).sum();
                    assert!((uu - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12, "k = {k}");
                }
            }
        }
    }
}

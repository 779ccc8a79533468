//! Step-size control: Hairer's PI controller and the initial step.
//!
//! Reference: Hairer, Nørsett & Wanner, *Solving Ordinary Differential
//! Equations I*, 2nd ed., Springer 1993, §II.4 (initial step, error norm)
//! and the PI ("stabilized") control of the codes DOPRI5 and DOP853
//! (Gustafsson's controller in the form of §IV.2 of volume II).

use super::Stats;
use super::options::Settings;
use crate::{DualScalar, Error, Model, State};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use serde::{Deserialize, Serialize};

/// Parameters of the PI step-size controller.
///
/// After a step with scaled error `err ≤ 1` the next step is
/// `h · clamp(safety · err^(−α) · err_prev^β, fac_min, fac_max)` with
/// `α = 1/q − 0.75 β`, where `q` is one more than the order of the embedded
/// solution. After a rejection the step shrinks by
/// `max(fac_min, safety · err^(−α))` and does not grow on the next success.
///
/// # Example
/// ```
/// use odeon::{integrate::Controller, Options};
/// // A more cautious controller than the method's default.
/// let opts = Options::default().controller(Controller { safety: 0.8, ..Controller::HAIRER });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Safety factor (0 < safety ≤ 1).
    pub safety: f64,
    /// Smallest ratio `h_new / h` (0 < fac_min < 1).
    pub fac_min: f64,
    /// Largest ratio `h_new / h` (> 1).
    pub fac_max: f64,
    /// Weight of the previous error (0 ≤ β ≤ 0.2; 0 gives the classic
    /// integral controller).
    pub beta: f64,
}

impl Controller {
    /// Hairer's DOPRI5 defaults: safety 0.9, factors in [0.2, 10], β = 0.04.
    pub const HAIRER: Controller = Controller { safety: 0.9, fac_min: 0.2, fac_max: 10.0, beta: 0.04 };
    /// For DOP853: β = 0 (Hairer's default for this code) and factors in
    /// [0.2, 10] (scipy's choice; Hairer's code uses [1/3, 6], which on Van
    /// der Pol at 1e-6 takes as many steps for half the accuracy).
    pub const DOP853: Controller = Controller { safety: 0.9, fac_min: 0.2, fac_max: 10.0, beta: 0.0 };

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let bad = |name, reason: &str| Err(Error::InvalidOption { name, reason: reason.into() });
        if !(self.safety > 0.0 && self.safety <= 1.0) {
            return bad("controller.safety", "must lie in (0, 1]");
        }
        if !(self.fac_min > 0.0 && self.fac_min < 1.0) {
            return bad("controller.fac_min", "must lie in (0, 1)");
        }
        if !(self.fac_max > 1.0 && self.fac_max.is_finite()) {
            return bad("controller.fac_max", "must be finite and greater than 1");
        }
        if !(0.0..=0.2).contains(&self.beta) {
            return bad("controller.beta", "must lie in [0, 0.2]");
        }
        Ok(())
    }

    /// The [`Powers`] of a step with error `err` after one whose error's
    /// logarithm is `ln_err_prev`: after a rejection (`err > 1`) `e =
    /// err^(−α)`, after an acceptance `e = exp(β ln err_prev − α max(ln
    /// err, −23))` (one `exp` instead of two `powf` a step).
    #[inline]
    pub(crate) fn powers(&self, err: f64, ln_err_prev: f64, q: f64) -> Powers {
        let alpha = 1.0 / q - 0.75 * self.beta;
        if err > 1.0 {
            return Powers { ln_err: f64::NAN, e: err.powf(-alpha) };
        }
        let ln_err = err.ln();
        Powers { ln_err, e: (self.beta * ln_err_prev - alpha * ln_err.max(-23.0)).exp() }
    }

    /// [`powers`](Self::powers) of `L` steps at once: independent `libm`
    /// calls back to back, where they overlap; each lane has the bits of
    /// its own.
    #[inline]
    pub(crate) fn powers_lanes<const L: usize>(&self, err: [f64; L], ln_err_prev: [f64; L], q: f64) -> [Powers; L] {
        std::array::from_fn(|l| self.powers(err[l], ln_err_prev[l], q))
    }

    /// The ratio `h_new / h` after an accepted step with powers `p`:
    /// `safety · err^(−α) · err_prev^β`, clamped, and not above 1 right
    /// after a rejection. `ln_err_prev` is the history, updated here
    /// (Hairer: the previous error enters as max(err, 1e-4)).
    #[inline]
    pub(crate) fn accept(&self, p: Powers, ln_err_prev: &mut f64, after_reject: bool) -> f64 {
        *ln_err_prev = p.ln_err.max(-9.210_340_371_976_184);
        let fac = (self.safety * p.e).clamp(self.fac_min, self.fac_max);
        if after_reject { fac.min(1.0) } else { fac }
    }

    /// The ratio `h_new / h` after a rejected step with error `err > 1`.
    #[inline]
    pub(crate) fn reject(&self, err: f64, q: f64) -> f64 {
        self.reject_with(self.powers(err, 0.0, q))
    }

    /// [`reject`](Self::reject) with the step's powers at hand.
    #[inline]
    pub(crate) fn reject_with(&self, p: Powers) -> f64 {
        (self.safety * p.e).clamp(self.fac_min, 1.0)
    }
}

/// The transcendental part of step control after a step with error `err`
/// ([`Controller::powers`]): computed apart so that a lane stepper makes
/// all lanes' `libm` calls back to back ([`Controller::powers_lanes`]),
/// each lane with the bits of a one-sample step.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Powers {
    ln_err: f64,
    e: f64,
}

/// The fraction of the tolerance that an order-`order` method's error
/// test holds the local error to, for the relative tolerances `rtol`,
/// when it keeps tolerance proportionality below `tau0` (`None`: 1).
///
/// Control of the local error per step lets an order-`p` method's global
/// error grow as `τ^(p/(p+1))`, so its error in units of the tolerance
/// grows as `τ^(−1/(p+1))` as `τ` shrinks. Holding the local error to
/// `(τ/τ₀)^(1/p)` of the tolerance below `τ₀` (Stetter's tolerance
/// proportionality) keeps the global error proportional to `τ`, at about
/// `(τ₀/τ)^(1/(p(p+1)))` times the steps: the same work for the same
/// accuracy as before, now reached at the tolerance asked for. The
/// order-2 methods use it: with the plain test they left up to 17–148
/// (Rosenbrock23) and 22–2400 (TR-BDF2) scaled units of error at the end
/// of W6's stiff problems, and at most 3.8 and 8.2 with it (`tests/stiff`),
/// Rosenbrock23 from `τ₀ = 1e-4` and TR-BDF2 from `τ₀ = 1e-2` (at `1e-4`
/// its error estimate still left 28 units on HIRES); the higher-order
/// methods stay within 10 without it. `τ` is the largest of `rtol`; the
/// fraction keeps the tightened tolerance above 100 ulp, and is 1 at
/// `τ ≥ τ₀`.
///
/// # Example
/// ```
/// use odeon::integrate::tolerance_fraction;
/// assert_eq!(tolerance_fraction(2, Some(1e-4), &[1e-3]), 1.0);
/// assert!((tolerance_fraction(2, Some(1e-4), &[1e-8]) - 0.01).abs() < 1e-15);
/// assert_eq!(tolerance_fraction(5, None, &[1e-10]), 1.0);
/// ```
pub fn tolerance_fraction(order: u32, tau0: Option<f64>, rtol: &[f64]) -> f64 {
    let Some(tau0) = tau0 else { return 1.0 };
    let tau = rtol.iter().copied().fold(0.0, f64::max);
    if !(tau > 0.0 && tau < tau0) || order == 0 {
        return 1.0;
    }
    (tau / tau0).powf(1.0 / order as f64).max((100.0 * f64::EPSILON / tau).min(1.0))
}

/// The root-mean-square of `xs` (`n` of them). From [`RMS_SPLIT`]
/// elements on, the squares are summed in four partial sums (element `i`
/// into sum `i mod 4`, then `(s₀ + s₁) + (s₂ + s₃)`): four independent
/// chains of additions instead of one, whose latency bounded the norms of
/// large systems. Below it, one chain: the branches of the four sums cost
/// more than they save on a few components.
#[inline]
pub(crate) fn rms(mut xs: impl Iterator<Item = f64>, n: usize) -> f64 {
    if n < RMS_SPLIT {
        return (xs.map(|x| x * x).sum::<f64>() / n as f64).sqrt();
    }
    let mut s = [0.0; 4];
    'all: loop {
        for sk in &mut s {
            let Some(x) = xs.next() else { break 'all };
            *sk += x * x;
        }
    }
    (((s[0] + s[1]) + (s[2] + s[3])) / n as f64).sqrt()
}

/// Components from which [`rms`] sums in four partial sums.
const RMS_SPLIT: usize = 32;

/// Hairer–Nørsett–Wanner's starting step (§II.4, algorithm of the codes
/// DOPRI5 and DOP853, with RMS norms as in scipy's `select_initial_step`).
///
/// `d0 = ‖y0‖`, `d1 = ‖f0‖` (scaled); `h0 = 0.01 d0/d1`; after one Euler
/// step `d2 = ‖f1 − f0‖ / h0`; `h = min(100 h0, (0.01 / max(d1, d2))^(1/q))`.
/// `eval(h0)` returns `‖f(t0 + h0, y0 + h0 f0) − f0‖` (scaled).
pub(crate) fn initial_step(d0: f64, d1: f64, q: f64, h_max: f64, eval: impl FnOnce(f64) -> f64) -> f64 {
    let h0 = if d0 < 1e-5 || d1 < 1e-5 { 1e-6 } else { 0.01 * d0 / d1 };
    let h0 = h0.min(h_max);
    let d2 = eval(h0) / h0;
    let d = d1.max(d2);
    let h1 = if d <= 1e-15 || !d.is_finite() { (h0 * 1e-3).max(1e-6) } else { (0.01 / d).powf(1.0 / q) };
    (100.0 * h0).min(h1).min(h_max)
}

/// A state and its derivative.
type StatePair<'a, D, N> = (&'a State<D, N>, &'a State<D, N>);
/// Two scratch states.
type ScratchPair<'a, D, N> = (&'a mut State<D, N>, &'a mut State<D, N>);

/// [`initial_step`] for `system` at `(t, y)` with `f0 = f(t, y)` in the
/// direction `dir`, with `y1`, `f1` as scratch; the one evaluation is
/// counted in `stats`.
pub(crate) fn initial_step_for<S, D>(
    (system, p): (&S, &[D]),
    (t, dir): (f64, f64),
    (y, f0): StatePair<'_, D, S::Dim>,
    (y1, f1): ScratchPair<'_, D, S::Dim>,
    set: &Settings,
    q: f64,
    stats: &mut Stats,
) -> f64
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    let n = y.len();
    let sc = |i: usize| set.atol[i] + set.rtol[i] * y[i].re().abs();
    let d0 = rms((0..n).map(|i| y[i].re() / sc(i)), n);
    let d1 = rms((0..n).map(|i| f0[i].re() / sc(i)), n);
    initial_step(d0, d1, q, set.h_max, |h0| {
        for i in 0..n {
            y1[i] = y[i] + f0[i] * (dir * h0);
        }
        system.rhs(D::from(t + dir * h0), y1, &[], p, f1);
        stats.rhs_evals += 1;
        rms((0..n).map(|i| (f1[i].re() - f0[i].re()) / sc(i)), n)
    })
}

/// The step to try from `t` and whether it ends the span: the rest of the
/// span when `h` would come within 1% of `t_end`, or the last of a fixed
/// number of steps (`fixed` = (steps taken, steps in all)).
#[inline]
pub(crate) fn next_step(t: f64, h: f64, t_end: f64, dir: f64, fixed: Option<(usize, usize)>) -> (f64, bool) {
    let last = match fixed {
        Some((taken, n)) => taken + 1 >= n,
        None => dir * (t + 1.01 * h - t_end) >= 0.0,
    };
    if last { (t_end - t, true) } else { (h, false) }
}

/// Whether `h` is below `h_min` or too small to change `t`.
#[inline]
pub(crate) fn too_small(h: f64, t: f64, h_min: f64) -> bool {
    h.abs() < h_min || 0.1 * h.abs() <= t.abs() * f64::EPSILON
}

/// The smallest growth of the step that the steppers with a factored
/// iteration matrix (BDF, and the ESDIRK methods that ask for it) take
/// after a successful step, at an unchanged order (CVODE's `THRESH`): a
/// smaller one changes `γ h`, and with it the Newton matrix's accuracy
/// (and for BDF its difference table), for little gain. Measured on W6
/// (`docs/benchmarks.md` §10, "The step kept unless it grows by half"):
/// BDF 0–23% faster at the peers' errors, Kvaerno5 25–36% at W6's tight
/// tolerances (within ±12% at the loose ones); other thresholds (1.2 and
/// 2.0 for BDF, 1.2 and 1.3 for Kvaerno5) gained less.
pub(crate) const GROWTH_THRESHOLD: f64 = 1.5;

/// Whether a step the controller would change by the ratio `growth` is
/// kept as it is: a growth of at least 1 and below `threshold` (see
/// [`GROWTH_THRESHOLD`]).
#[inline]
pub(crate) fn keeps_step(growth: f64, threshold: f64) -> bool {
    (1.0..threshold).contains(&growth)
}

/// Error-test failures in a row at one time before a solve stops with
/// [`Error::ErrorTestFailures`] (CVODE stops at 7 with step cuts of 10×;
/// here each cut is at most 5×, so 15 cuts reach 3e-11 of the first step:
/// room for a discontinuity to be stepped over, none for an endless loop).
pub const MAX_ERROR_TEST_FAILURES: usize = 15;

/// Where a one-step method stands in its span and the step it tries next:
/// the time bookkeeping and PI step control that the explicit, Rosenbrock
/// and ESDIRK steppers share.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    pub t: f64,
    /// Start of the last accepted step (`t` before the first).
    pub t_prev: f64,
    pub t_end: f64,
    /// 1 forward in time, −1 backward.
    pub dir: f64,
    /// Signed step to try next.
    pub h: f64,
    /// The last accepted step (signed).
    pub h_prev: f64,
    t0: f64,
    /// Accepted steps before `t0` (fixed steps count from there).
    base: usize,
    /// Number of steps of a fixed-step run (`Options::dt`).
    pub n_fixed: Option<usize>,
    /// `ln(max(err, 1e-4))` of the last accepted step (PI control).
    ln_err_prev: f64,
    pub rejected_last: bool,
    /// Consecutive error-test failures at the current time.
    err_fails: usize,
}

impl Clock {
    /// At the start of `t_span`, no step chosen yet.
    pub fn new(t_span: (f64, f64)) -> Self {
        let mut clock = Clock {
            t: t_span.0,
            t_prev: t_span.0,
            t_end: t_span.1,
            dir: if t_span.1 >= t_span.0 { 1.0 } else { -1.0 },
            h: 0.0,
            h_prev: 0.0,
            t0: t_span.0,
            base: 0,
            n_fixed: None,
            ln_err_prev: 0.0,
            rejected_last: false,
            err_fails: 0,
        };
        clock.begin(t_span.0, t_span.1, 0);
        clock
    }

    /// Start afresh at `t` towards `t_end` (in the same direction) after
    /// `accepted` steps, no step chosen yet: the start of a solve, or a
    /// restart after an event or a stop (the step history is dropped).
    pub fn begin(&mut self, t: f64, t_end: f64, accepted: usize) {
        self.t = t;
        self.t_prev = t;
        self.t_end = t_end;
        self.t0 = t;
        self.base = accepted;
        self.h = 0.0;
        self.n_fixed = None;
        self.ln_err_prev = 1e-4f64.ln();
        self.rejected_last = false;
        self.err_fails = 0;
    }

    /// Whether the first step is the automatic choice (neither `dt` nor
    /// `h0` given).
    pub fn needs_initial_step(set: &Settings) -> bool {
        set.dt.is_none() && set.h0.is_none()
    }

    /// Choose the first step: `⌈span/dt⌉` equal steps with `dt`, else
    /// `h0`, else `auto` (the automatic choice).
    pub fn start(&mut self, set: &Settings, auto: f64) {
        let span = (self.t_end - self.t).abs();
        self.h = self.dir
            * match (set.dt, set.h0) {
                (Some(dt), _) => {
                    let steps = (span / dt * (1.0 - 1e-12)).ceil().max(1.0);
                    self.n_fixed = Some(steps as usize);
                    span / steps
                }
                (None, Some(h0)) => h0.min(set.h_max),
                (None, None) => auto,
            };
    }

    /// Whether steps are chosen by error control (not fixed).
    #[inline]
    pub fn adaptive(&self) -> bool {
        self.n_fixed.is_none()
    }

    /// The step to try after `accepted` steps and whether it ends the span.
    #[inline]
    pub fn next(&self, accepted: usize) -> (f64, bool) {
        next_step(self.t, self.h, self.t_end, self.dir, self.n_fixed.map(|n| (accepted - self.base, n)))
    }

    /// Whether `h` is below `h_min` or too small to change `t`.
    #[inline]
    pub fn too_small(&self, h: f64, h_min: f64) -> bool {
        too_small(h, self.t, h_min)
    }

    /// After an accepted step `h` and [`control`](Self::control): keep
    /// `h` for the next step where the controller's choice would grow it
    /// by less than `threshold` (see [`GROWTH_THRESHOLD`]).
    #[inline]
    pub fn hold_small_growth(&mut self, h: f64, threshold: f64) {
        if keeps_step(self.h / h, threshold) {
            self.h = h;
        }
    }

    /// A rejected attempt; `h_next` is tried next.
    #[inline]
    pub fn reject(&mut self, h_next: f64, stats: &mut Stats) {
        stats.rejected += 1;
        self.rejected_last = true;
        self.h = h_next;
    }

    /// A step `h` failed the error test; `h_next` is tried next, unless
    /// this was the [`MAX_ERROR_TEST_FAILURES`]-th failure in a row at this
    /// time: then the typed error.
    pub fn fail_error_test(&mut self, h: f64, h_next: f64, stats: &mut Stats) -> Result<(), Error> {
        self.err_fails += 1;
        self.reject(h_next, stats);
        if self.err_fails >= MAX_ERROR_TEST_FAILURES {
            return Err(Error::ErrorTestFailures { t: self.t, failures: self.err_fails, h, partial: None });
        }
        Ok(())
    }

    /// After an adaptive step `h` accepted with error `err`: the next step
    /// by the PI controller, at most `h_max`.
    #[inline]
    pub fn control(&mut self, controller: &Controller, err: f64, q: f64, h: f64, h_max: f64) {
        let p = controller.powers(err, self.ln_err_prev, q);
        self.control_with(controller, p, h, h_max);
    }

    /// [`control`](Self::control) with the step's powers at hand.
    #[inline]
    pub fn control_with(&mut self, controller: &Controller, p: Powers, h: f64, h_max: f64) {
        let fac = controller.accept(p, &mut self.ln_err_prev, self.rejected_last);
        self.h = self.dir * (h.abs() * fac).min(h_max);
    }

    /// The logarithm of the last accepted step's error (see [`Powers`]).
    pub fn ln_err_prev(&self) -> f64 {
        self.ln_err_prev
    }

    /// Move to the end of the accepted step `h`, the `accepted`-th.
    #[inline]
    pub fn advance(&mut self, h: f64, last: bool, accepted: usize) {
        self.rejected_last = false;
        self.err_fails = 0;
        self.t_prev = self.t;
        self.h_prev = h;
        self.t = match (last, self.n_fixed) {
            (true, _) => self.t_end,
            // Fixed steps: t0 + i h, without accumulating rounding.
            (false, Some(_)) => self.t0 + (accepted - self.base) as f64 * self.h,
            (false, None) => self.t + h,
        };
    }

    /// Continue from `t` towards `t_end` with first step `h`, as after a
    /// method switch (the step history is dropped).
    pub fn restart(&mut self, t: f64, t_end: f64, h: f64, h_max: f64) {
        self.t_end = t_end;
        self.t = t;
        self.t_prev = t;
        self.h = self.dir * h.abs().min(h_max);
        self.rejected_last = false;
        self.err_fails = 0;
        self.ln_err_prev = 1e-4f64.ln();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_stay_within_limits() {
        let c = Controller::HAIRER;
        let accept = |err, prev: &mut f64, after| c.accept(c.powers(err, *prev, 5.0), prev, after);
        assert_eq!(accept(0.0, &mut 1e-4f64.ln(), false), c.fac_max);
        assert_eq!(accept(0.0, &mut 1e-4f64.ln(), true), 1.0, "no growth after a rejection");
        let mut prev = 0.0;
        assert!(accept(0.5, &mut prev, false) > 1.0);
        assert_eq!(prev, 0.5f64.ln(), "the history keeps the error");
        accept(1e-30, &mut prev, false);
        assert!((prev - 1e-4f64.ln()).abs() < 1e-12, "… at least 1e-4");
        assert_eq!(c.reject(1e30, 5.0), c.fac_min);
        assert!(c.reject(1.01, 5.0) < 1.0);
        assert!((c.reject(2.0, 5.0) - 0.9 * 2f64.powf(-0.17)).abs() < 1e-15);
    }

    #[test]
    fn integral_controller_matches_classic_formula() {
        let accept = |c: Controller, err, prev: f64| c.accept(c.powers(err, prev, 5.0), &mut prev.clone(), false);
        let c = Controller { beta: 0.0, ..Controller::HAIRER };
        assert!((accept(c, 0.5, 0.7f64.ln()) - 0.9 * 0.5f64.powf(-0.2)).abs() < 1e-15);
        let c = Controller::HAIRER;
        assert!((accept(c, 0.5, 0.7f64.ln()) - 0.9 * 0.5f64.powf(-0.17) * 0.7f64.powf(0.04)).abs() < 1e-14);
    }

    #[test]
    fn lanes_have_the_powers_of_one_step() {
        let c = Controller::HAIRER;
        let err = [0.0, 1e-300, 0.3, 1.0, 1.5, 1e30, 7.0, 0.999];
        let prev = [-2.0, -9.0, 0.0, -1.0, -0.5, -3.0, -9.2, 0.0];
        let lanes = c.powers_lanes(err, prev, 5.0);
        for l in 0..8 {
            let one = c.powers(err[l], prev[l], 5.0);
            assert_eq!((lanes[l].ln_err.to_bits(), lanes[l].e.to_bits()), (one.ln_err.to_bits(), one.e.to_bits()));
        }
    }

    #[test]
    fn validation_names_the_option() {
        let c = Controller { fac_min: 1.5, ..Controller::HAIRER };
        match c.validate() {
            Err(Error::InvalidOption { name, .. }) => assert_eq!(name, "controller.fac_min"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn initial_step_scales_with_tolerance() {
        // y' = y at y = 1: derivatives of size one; tighter tolerances give
        // larger scaled norms and smaller steps.
        let h = |tol: f64| initial_step(1.0 / tol, 1.0 / tol, 5.0, f64::INFINITY, |h0| h0 / tol);
        assert!(h(1e-8) < h(1e-4));
        assert!(h(1e-8) > 0.0);
    }
}

//! The model-independent part of the explicit Runge–Kutta stepper (see
//! [`Core`]).

use crate::integrate::Stats;
use crate::integrate::controller::{Clock, Powers};
use crate::integrate::options::Settings;
use crate::integrate::stepper::{check_accepted, zeros};
use crate::integrate::tableau::{ErrorEstimator, ExplicitRk, Interpolant, StiffnessTest};
use crate::scalar::Lanes;
use crate::{DualScalar, Error, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};
use std::marker::PhantomData;
use std::ops::{Add, Div, Mul, Sub};

/// Accepted steps between two stiffness tests while none has been
/// positive (Hairer's `NSTIFF`, whose DOPRI5 default is 1,000): a problem
/// that turns stiff is tested within this many steps, and then at every
/// step until 15 positive tests end the solve or 6 negative ones in a row
/// clear the count. A test costs about a tenth of a small model's step in
/// lanes (docs/benchmarks.md, section 5), and most solves never need one.
const STIFFNESS_EVERY: usize = 100;

/// The state of Hairer's stiffness test.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StiffnessCount {
    pub(super) rho: f64,
    positives: u32,
    negatives: u32,
}

/// Everything of the stepper but the model: the buffers, step control,
/// the error norm, dense output and the stiffness test. Generic over the
/// method, the scalar and the state's size only, so that the models of
/// one size a program solves share one copy of it (one per model would
/// be compiled otherwise); the stages, where the model's right-hand side
/// is called, stay in [`Integrator`](super::Integrator).
pub(super) struct Core<M, D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    pub(super) set: Settings,
    pub(super) clock: Clock,
    pub(super) y: State<D, N>,
    /// The trial state; after an accepted step, the state at `t_prev`.
    pub(super) y_new: State<D, N>,
    pub(super) y_stage: State<D, N>,
    /// Stages, then `f(t1, y1)` for non-FSAL methods, then extra dense stages.
    pub(super) k: Vec<State<D, N>>,
    /// Coefficients of the continuous extension of the last step.
    dense: Vec<State<D, N>>,
    pub(super) k0_ready: bool,
    pub(super) fnew_ready: bool,
    pub(super) dense_ready: bool,
    /// The component that made the last trial step non-finite.
    nonfinite: Option<usize>,
    pub(super) stiffness: StiffnessCount,
    pub(super) stats: Stats,
    _method: PhantomData<M>,
}

impl StiffnessCount {
    /// Whether the step just accepted, the `accepted`-th, is tested: on
    /// Hairer's schedule ([`STIFFNESS_EVERY`]) when stiffness ends the
    /// solve, else at every step (the estimate is then read step by step,
    /// by `Auto`'s switching and [`stiffness_ratio`](super::Integrator::stiffness_ratio)).
    #[inline(always)]
    pub(super) fn due(&self, set: &Settings, accepted: usize) -> bool {
        !set.detect_stiffness || self.positives > 0 || accepted.is_multiple_of(STIFFNESS_EVERY)
    }

    /// Count one test with estimate `rho` (`None`: no estimate, the last
    /// one stands); [`Error::Stiff`] after 15 positive tests not
    /// interrupted by 6 negative ones in a row.
    pub(super) fn record<M: ExplicitRk>(
        &mut self,
        rho: Option<f64>,
        test: StiffnessTest,
        set: &Settings,
        t: f64,
        h: f64,
    ) -> Result<(), Error> {
        if let Some(rho) = rho {
            self.rho = rho;
        }
        if self.rho > test.bound {
            self.positives += 1;
            self.negatives = 0;
            if self.positives >= 15 && set.detect_stiffness {
                return Err(Error::Stiff { t, h, method: M::TABLEAU.name, partial: None });
            }
        } else {
            self.negatives += 1;
            if self.negatives == 6 {
                self.positives = 0;
            }
        }
        Ok(())
    }
}

/// What [`Core::judge`] made of a trial step.
pub(super) enum Verdict {
    /// Rejected: try again with the step the controller chose.
    Retry,
    /// Accepted.
    Accepted,
    /// Accepted; run the method's stiffness test (it needs `f(t1, y1)`).
    TestStiffness(StiffnessTest),
}

impl<M, D, N> Core<M, D, N>
where
    M: ExplicitRk,
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    pub(super) const STAGES: usize = M::TABLEAU.b.len();
    /// Where `f(t1, y1)` lives after a step.
    pub(super) const FNEW: usize = if M::TABLEAU.fsal { Self::STAGES - 1 } else { Self::STAGES };

    /// The work buffers for a state of size `dim`, starting at `y0`.
    pub(super) fn new(set: Settings, dim: N, t_span: (f64, f64), y0: &[D]) -> Self {
        let zero = || zeros::<D, _>(dim);
        let extra = match M::TABLEAU.dense {
            Interpolant::Dop853 { c, .. } => c.len(),
            _ => 0,
        };
        let n_dense = match M::TABLEAU.dense {
            Interpolant::Hermite => 3,
            Interpolant::Polynomial(p) => p[0].len(),
            Interpolant::Dop853 { d, .. } => 3 + d.len(),
        };
        let mut k = Vec::with_capacity(Self::FNEW + 1 + extra);
        k.resize_with(Self::FNEW + 1 + extra, zero);
        let mut dense = Vec::with_capacity(n_dense);
        dense.resize_with(n_dense, zero);
        Core {
            clock: Clock::new(t_span),
            y: State::<D, N>::from_iterator_generic(dim, nalgebra::U1, y0.iter().copied()),
            y_new: zero(),
            y_stage: zero(),
            k,
            dense,
            k0_ready: true,
            fnew_ready: false,
            dense_ready: false,
            nonfinite: None,
            stiffness: StiffnessCount::default(),
            stats: Stats::default(),
            set,
            _method: PhantomData,
        }
    }

    /// Drop the step history and start the clock at `(t, self.y)` towards
    /// `t_end`; `false` if there is nothing to integrate (`t == t_end`).
    pub(super) fn reset(&mut self, t: f64, t_end: f64) -> bool {
        self.clock.begin(t, t_end, self.stats.accepted);
        self.y_new.copy_from(&self.y);
        // `Integrator::begin` evaluates `f(t, y)` into the first stage.
        self.forget_history(true);
        t != t_end
    }

    /// Drop what the last step left: the stages at hand (`k0_ready`: the
    /// first is about to be evaluated), dense output, the stiffness count.
    fn forget_history(&mut self, k0_ready: bool) {
        self.k0_ready = k0_ready;
        self.fnew_ready = false;
        self.dense_ready = false;
        self.nonfinite = None;
        self.stiffness = StiffnessCount::default();
    }

    /// The state's size: a constant where the model's size is (as in the
    /// lane stepper), so that loops over the components unroll.
    #[inline(always)]
    fn n(&self) -> usize {
        self.y.len()
    }

    pub(super) fn derivative(&self) -> Option<&State<D, N>> {
        if self.fnew_ready {
            Some(&self.k[Self::FNEW])
        } else if self.k0_ready {
            Some(&self.k[0])
        } else {
            None
        }
    }

    /// The next trial step `(h, last)`, or the error that ends the solve
    /// (too many steps, or a step too small after repeated rejections).
    #[inline]
    pub(super) fn trial(&mut self) -> Result<(f64, bool), Error> {
        trial(&self.set, &mut self.clock, &self.stats, self.nonfinite)
    }

    /// Accept or reject the trial step just computed, and choose the next
    /// step size.
    #[inline]
    pub(super) fn judge(&mut self, h: f64, last: bool) -> Result<Verdict, Error> {
        let n = self.n();
        let ks = stage_slices(&self.k, Self::STAGES, n);
        let (y, y1) = (&self.y.as_slice()[..n], &self.y_new.as_slice()[..n]);
        let norm = error_norm::<M, D, D>(&self.set, h, &ks, y, y1, |v| *v);
        let stage_done = match control::<M>(
            &self.set,
            &mut self.clock,
            &mut self.stats,
            &mut self.nonfinite,
            h,
            last,
            norm,
            None,
        )? {
            None => return Ok(Verdict::Retry),
            Some(stage_done) => stage_done,
        };
        std::mem::swap(&mut self.y, &mut self.y_new);
        self.k0_ready = false;
        self.fnew_ready = M::TABLEAU.fsal;
        self.dense_ready = false;
        check_accepted(self.clock.t, self.y.as_slice())?;
        Ok(match M::STIFFNESS {
            Some(test) if stage_done && self.stiffness.due(&self.set, self.stats.accepted) => {
                Verdict::TestStiffness(test)
            }
            _ => Verdict::Accepted,
        })
    }

    /// Hairer's stiffness test after an accepted step (see
    /// [`StiffnessTest`]), with `f(t1, y1)` at hand; ends the solve with
    /// [`Error::Stiff`] after 15 positive tests not interrupted by 6
    /// negative ones in a row.
    pub(super) fn test_stiffness(&mut self, test: StiffnessTest, h: f64) -> Result<(), Error> {
        let n = self.n();
        let (f1, ks) = (&self.k[Self::FNEW].as_slice()[..n], &self.k[test.stage].as_slice()[..n]);
        let (y, y_stage) = (&self.y.as_slice()[..n], &self.y_stage.as_slice()[..n]);
        let sums = stiffness_sums(&self.set, (f1, ks), (y, y_stage), |v: &D| v.re());
        let rho = (sums.1 > 0.0).then(|| stiffness_rho(h, sums));
        self.stiffness.record::<M>(rho, test, &self.set, self.clock.t, h)
    }

    pub(super) fn resume(&mut self, t: f64, y: &State<D, N>, h: f64, t_end: f64) {
        self.clock.restart(t, t_end, h, self.set.h_max);
        self.y.copy_from(y);
        self.y_new.copy_from(y);
        self.forget_history(false);
    }

    /// The coefficients of the continuous extension, from the stages (and
    /// `f(t1, y1)` and Dop853's extra stages, evaluated beforehand by
    /// `Integrator::dense_stages`).
    pub(super) fn build_dense(&mut self) {
        let (h, n) = (self.clock.h_prev, self.n());
        match M::TABLEAU.dense {
            Interpolant::Polynomial(p) => {
                for (j, d) in self.dense.iter_mut().enumerate() {
                    for i in 0..n {
                        let mut acc = D::from(0.0);
                        for (row, k) in p.iter().zip(&self.k) {
                            if row[j] != 0.0 {
                                acc += k[i] * row[j];
                            }
                        }
                        d[i] = acc * h;
                    }
                }
            }
            Interpolant::Hermite => {
                let (f0, f1) = (&self.k[0], &self.k[Self::FNEW]);
                let [d0, d1, d2] = &mut self.dense[..] else { unreachable!("three Hermite coefficients") };
                for i in 0..n {
                    let dy = self.y[i] - self.y_new[i];
                    d0[i] = f0[i] * h;
                    d1[i] = dy * 3.0 - (f0[i] * 2.0 + f1[i]) * h;
                    d2[i] = (f0[i] + f1[i]) * h - dy * 2.0;
                }
            }
            Interpolant::Dop853 { d, .. } => {
                let (f0, f1) = (&self.k[0], &self.k[Self::FNEW]);
                for i in 0..n {
                    let dy = self.y[i] - self.y_new[i];
                    self.dense[0][i] = dy;
                    self.dense[1][i] = f0[i] * h - dy;
                    self.dense[2][i] = dy * 2.0 - (f1[i] + f0[i]) * h;
                }
                for (r, row) in d.iter().enumerate() {
                    for i in 0..n {
                        let mut acc = D::from(0.0);
                        for (w, k) in row.iter().zip(&self.k) {
                            if *w != 0.0 {
                                acc += k[i] * *w;
                            }
                        }
                        self.dense[3 + r][i] = acc * h;
                    }
                }
            }
        }
        self.dense_ready = true;
    }

    /// The continuous extension at `t` (inside the last step, dense
    /// coefficients built).
    pub(super) fn evaluate_dense(&self, t: f64, out: &mut State<D, N>) {
        let theta = (t - self.clock.t_prev) / self.clock.h_prev;
        let y0 = &self.y_new;
        let last = self.dense.len() - 1;
        match M::TABLEAU.dense {
            Interpolant::Dop853 { .. } => {
                let th1 = 1.0 - theta;
                for i in 0..self.n() {
                    let mut acc = self.dense[last][i];
                    for (r, d) in self.dense.iter().enumerate().rev().skip(1) {
                        acc = d[i] + acc * if r % 2 == 0 { th1 } else { theta };
                    }
                    out[i] = y0[i] + acc * theta;
                }
            }
            _ => {
                for i in 0..self.n() {
                    let mut acc = self.dense[last][i];
                    for d in self.dense.iter().rev().skip(1) {
                        acc = d[i] + acc * theta;
                    }
                    out[i] = y0[i] + acc * theta;
                }
            }
        }
    }
}

/// The next trial step `(h, last)`, or the error that ends the solve
/// (too many steps, or a step too small after repeated rejections).
#[inline]
pub(super) fn trial(
    set: &Settings,
    clock: &mut Clock,
    stats: &Stats,
    nonfinite: Option<usize>,
) -> Result<(f64, bool), Error> {
    if stats.accepted + stats.rejected >= set.max_steps {
        return Err(Error::MaxStepsExceeded { t: clock.t, max_steps: set.max_steps, partial: None });
    }
    let (h, last) = clock.next(stats.accepted);
    if set.dt.is_none() && !last && clock.too_small(h, set.h_min) {
        return Err(match nonfinite {
            Some(component) => Error::NonFiniteRhs { t: clock.t, component, partial: None },
            None => {
                let h_min = set.h_min.max(10.0 * clock.t.abs() * f64::EPSILON);
                Error::StepSizeTooSmall { t: clock.t, h, h_min, partial: None }
            }
        });
    }
    Ok((h, last))
}

/// The exponent denominator of `M`'s step-size control.
pub(super) fn controller_q<M: ExplicitRk>() -> f64 {
    M::TABLEAU.error.controller_order().unwrap_or(1) as f64
}

/// Accept or reject a trial step `h` with error norm `(err, bad)`, and
/// choose the next step size: `None` when rejected, `Some(stage_done)`
/// when accepted (the clock at the step's end; `stage_done`: the step may
/// be tested for stiffness, if [`StiffnessCount::due`]). `powers`: the
/// step's [`Powers`] if computed ahead (for finite norms only).
#[inline(always)]
#[allow(clippy::too_many_arguments)] // the step's state, spelled out for the lanes
pub(super) fn control<M: ExplicitRk>(
    set: &Settings,
    clock: &mut Clock,
    stats: &mut Stats,
    nonfinite: &mut Option<usize>,
    h: f64,
    last: bool,
    (err, bad): (f64, Option<usize>),
    powers: Option<Powers>,
) -> Result<Option<bool>, Error> {
    let adaptive = set.dt.is_none();
    let q = controller_q::<M>();
    if let Some(component) = bad {
        // Non-finite trial values: retry with a much smaller step.
        if !adaptive {
            return Err(Error::NonFiniteRhs { t: clock.t, component, partial: None });
        }
        *nonfinite = Some(component);
        clock.reject(h * 0.25, stats);
        return Ok(None);
    }
    if adaptive {
        let p = powers.unwrap_or_else(|| set.controller.powers(err, clock.ln_err_prev(), q));
        if err > 1.0 {
            *nonfinite = None;
            let h_next = h * set.controller.reject_with(p);
            clock.fail_error_test(h, h_next, stats)?;
            return Ok(None);
        }
        clock.control_with(&set.controller, p, h, set.h_max);
    }
    stats.accepted += 1;
    // Stiffness is tested after adaptive steps that did not end the span.
    let stage_done = !last && clock.adaptive();
    *nonfinite = None;
    clock.advance(h, last, stats.accepted);
    Ok(Some(stage_done))
}

/// The real numbers step control computes with: one step's (`f64`), or
/// one per lane (`Lanes<f64, L>`, every operation lane by lane with
/// `f64`'s own, so each lane has the bits of its one-sample control).
pub(super) trait Reals:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    fn splat(v: f64) -> Self;
    fn abs(self) -> Self;
    fn max(self, other: Self) -> Self;
    fn sqrt(self) -> Self;
    /// `v` where `den > 0`, else 0.
    fn where_positive(den: Self, v: Self) -> Self;
}

impl Reals for f64 {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        f64::max(self, other)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn where_positive(den: Self, v: Self) -> Self {
        if den > 0.0 { v } else { 0.0 }
    }
}

impl<const L: usize> Reals for Lanes<f64, L> {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        Lanes([v; L])
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Lanes(self.0.map(f64::abs))
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        Lanes(std::array::from_fn(|l| self.0[l].max(other.0[l])))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Lanes(self.0.map(f64::sqrt))
    }
    #[inline(always)]
    fn where_positive(den: Self, v: Self) -> Self {
        Lanes(std::array::from_fn(|l| if den.0[l] > 0.0 { v.0[l] } else { 0.0 }))
    }
}

/// The scaled RMS error of a trial step and the first component whose
/// trial value (or error estimate) is not finite (see [`error_estimate`]).
/// The stages and states hold `X`; `get` reads the scalar of the step
/// (the value itself, or one lane of a lane value).
#[inline(always)]
pub(super) fn error_norm<M: ExplicitRk, D: DualScalar, X>(
    set: &Settings,
    h: f64,
    ks: &[&[X]; 16],
    y: &[X],
    y1: &[X],
    get: impl Fn(&X) -> D + Copy,
) -> (f64, Option<usize>) {
    let (n, stages) = (y.len(), M::TABLEAU.b.len());
    let mut bad = y1.iter().position(|v| !get(v).re().is_finite());
    let err = error_estimate::<M, X, f64>(set, h, ks, y, y1, D::N_EPS, |v, part| match part {
        None => get(v).re(),
        Some(l) => get(v).eps_part(l),
    });
    if bad.is_none() && !err.is_finite() {
        // A non-finite stage that cancelled out of y_new still poisons the step.
        bad = (0..n).find(|&i| ks[..stages].iter().any(|k| !get(&k[i]).re().is_finite())).or(Some(0));
    }
    (err, bad)
}

/// The scaled RMS error of a trial step `h`. With
/// `sensitivity_error_control` it is the largest of the state's and each
/// of the `n_eps` derivative directions' (as CVODES' `errconS`);
/// `part(v, None)` reads a value's real part, `part(v, Some(l))` its
/// derivative in direction `l`, as `R`.
#[inline(always)]
pub(super) fn error_estimate<M: ExplicitRk, X, R: Reals>(
    set: &Settings,
    h: R,
    ks: &[&[X]; 16],
    y: &[X],
    y1: &[X],
    n_eps: usize,
    part: impl Fn(&X, Option<usize>) -> R + Copy,
) -> R {
    let mut err = scaled_error::<M, X, R>(set, h, |v| part(v, None), ks, y, y1);
    if set.sensitivity_error_control {
        for l in 0..n_eps {
            err = err.max(scaled_error::<M, X, R>(set, h, |v| part(v, Some(l)), ks, y, y1));
        }
    }
    err
}

/// The method's error estimate of one part (`part`: the real part or a
/// derivative direction) of a trial step, scaled by the tolerances.
#[inline(always)]
fn scaled_error<M: ExplicitRk, X, R: Reals>(
    set: &Settings,
    h: R,
    part: impl Fn(&X) -> R,
    ks: &[&[X]; 16],
    y: &[X],
    y1: &[X],
) -> R {
    let (n, stages) = (y.len(), M::TABLEAU.b.len());
    let (rtol, atol) = (&set.rtol[..n], &set.atol[..n]);
    let sc = |i: usize| R::splat(atol[i]) + R::splat(rtol[i]) * part(&y[i]).abs().max(part(&y1[i]).abs());
    let dot = |w: &[f64], i: usize| {
        let mut acc = R::splat(0.0);
        for j in 0..stages {
            if w[j] != 0.0 {
                acc = acc + R::splat(w[j]) * part(&ks[j][i]);
            }
        }
        acc
    };
    let n_real = R::splat(n as f64);
    match M::TABLEAU.error {
        ErrorEstimator::None => R::splat(0.0),
        ErrorEstimator::Embedded { e, .. } => {
            let mut s = R::splat(0.0);
            for i in 0..n {
                let ei = h * dot(e, i) / sc(i);
                s = s + ei * ei;
            }
            (s / n_real).sqrt()
        }
        ErrorEstimator::Dop853 { e5, e3 } => {
            let (mut s5, mut s3) = (R::splat(0.0), R::splat(0.0));
            for i in 0..n {
                let sci = sc(i);
                let (e5i, e3i) = (dot(e5, i) / sci, dot(e3, i) / sci);
                s5 = s5 + e5i * e5i;
                s3 = s3 + e3i * e3i;
            }
            let den = s5 + R::splat(0.01) * s3;
            R::where_positive(den, h.abs() * s5 / (den * n_real).sqrt())
        }
    }
}

/// Hairer's estimate `ρ ≈ |h λ|` after an accepted step `h` from the sums
/// of [`stiffness_sums`] (meaningful where `den > 0`: elsewhere the states
/// coincide and there is no estimate).
#[inline(always)]
pub(super) fn stiffness_rho<R: Reals>(h: R, (num, den): (R, R)) -> R {
    h.abs() * (num / den).sqrt()
}

/// The squared, weighted norms `(‖f1 − ks‖², ‖y1 − y_stage‖²)` of Hairer's
/// stiffness estimate, from `f(t1, y1)` and the test's stage `(f1, ks)`
/// and their states `(y1, y_stage)`; `re` reads a value's real part.
#[inline(always)]
pub(super) fn stiffness_sums<X, R: Reals>(
    set: &Settings,
    (f1, ks): (&[X], &[X]),
    (y, y_stage): (&[X], &[X]),
    re: impl Fn(&X) -> R,
) -> (R, R) {
    let (mut num, mut den) = (R::splat(0.0), R::splat(0.0));
    // Both differences in the error weights: the stiff mode often lives
    // in a component much smaller than the others (Robertson's y2), and
    // unweighted norms would see only the slow ones.
    for i in 0..y.len() {
        let yi = re(&y[i]);
        let sc = R::splat(set.atol[i]) + R::splat(set.rtol[i]) * yi.abs();
        let (a, b) = ((re(&f1[i]) - re(&ks[i])) / sc, (yi - re(&y_stage[i])) / sc);
        num = num + a * a;
        den = den + b * b;
    }
    (num, den)
}

/// A step size as [`combine`] applies it: one for the state (`f64`), or
/// one per lane (`[f64; L]`, each lane with the arithmetic of its own).
pub(super) trait StepSize<D>: Copy {
    /// `y + a · h`.
    fn add_scaled(self, y: D, a: D) -> D;
}

impl<D: DualScalar> StepSize<D> for f64 {
    #[inline(always)]
    fn add_scaled(self, y: D, a: D) -> D {
        y + a * self
    }
}

impl<T: DualScalar, const L: usize> StepSize<Lanes<T, L>> for [f64; L] {
    #[inline(always)]
    fn add_scaled(self, y: Lanes<T, L>, a: Lanes<T, L>) -> Lanes<T, L> {
        Lanes(std::array::from_fn(|l| y.0[l] + a.0[l] * self[l]))
    }
}

/// `out = y + h Σ_j w_j k_j` over the non-zero weights, component by
/// component (with constant weights the inner loop unrolls and the zero
/// weights vanish; the stage slices are gathered once so that the
/// component loop has no bounds checks and vectorizes for large states).
#[inline(always)]
pub(super) fn combine<D, N>(out: &mut State<D, N>, y: &State<D, N>, h: impl StepSize<D>, w: &[f64], k: &[State<D, N>])
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    let n = y.len();
    let y = &y.as_slice()[..n];
    let out = &mut out.as_mut_slice()[..n];
    let ks = stage_slices(k, w.len(), n);
    for i in 0..n {
        // Start from the first non-zero term: no `0 + …` for the compiler to keep.
        let mut acc: Option<D> = None;
        for j in 0..w.len() {
            if w[j] != 0.0 {
                let term = ks[j][i] * w[j];
                acc = Some(acc.map_or(term, |a| a + term));
            }
        }
        out[i] = acc.map_or(y[i], |a| h.add_scaled(y[i], a));
    }
}

/// The first `m ≤ 16` stage vectors as slices of length `n`.
#[inline(always)]
pub(super) fn stage_slices<D, N>(k: &[State<D, N>], m: usize, n: usize) -> [&[D]; 16]
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    let mut ks: [&[D]; 16] = [&[]; 16];
    for (slot, kj) in ks.iter_mut().zip(&k[..m]) {
        *slot = &kj.as_slice()[..n];
    }
    ks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrate::{Controller, Options};

    #[test]
    fn stiffness_is_tested_on_hairers_schedule_unless_detection_is_off() {
        let settings = |detect| {
            Settings::new(&Options::default().detect_stiffness(detect), 2, 1.0, Controller::HAIRER, true).unwrap()
        };
        let (on, off) = (settings(true), settings(false));
        let mut count = StiffnessCount::default();
        let tested: Vec<usize> = (1..=350).filter(|&k| count.due(&on, k)).collect();
        assert_eq!(tested, [100, 200, 300]);
        assert!((1..=350).all(|k| count.due(&off, k)), "Auto reads the estimate at every step");
        // A positive test: every step until six negative ones in a row.
        let test = StiffnessTest { stage: 5, bound: 3.25 };
        count.record::<crate::integrate::Dopri5>(Some(10.0), test, &on, 1.0, 0.1).unwrap();
        assert!((101..=106).all(|k| count.due(&on, k)));
        for _ in 0..6 {
            count.record::<crate::integrate::Dopri5>(Some(1.0), test, &on, 1.0, 0.1).unwrap();
        }
        assert!(!count.due(&on, 107) && count.due(&on, 400));
    }
}

//! The model-independent part of the explicit Runge–Kutta stepper (see
//! [`Core`]).

use crate::integrate::Stats;
use crate::integrate::controller::Clock;
use crate::integrate::options::Settings;
use crate::integrate::stepper::{check_accepted, zeros};
use crate::integrate::tableau::{ErrorEstimator, ExplicitRk, Interpolant, StiffnessTest};
use crate::{DualScalar, Error, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};
use std::marker::PhantomData;

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
    n: usize,
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
            n: dim.value(),
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
    pub(super) fn trial(&mut self) -> Result<(f64, bool), Error> {
        if self.stats.accepted + self.stats.rejected >= self.set.max_steps {
            return Err(Error::MaxStepsExceeded { t: self.clock.t, max_steps: self.set.max_steps, partial: None });
        }
        let (h, last) = self.clock.next(self.stats.accepted);
        if self.set.dt.is_none() && !last && self.clock.too_small(h, self.set.h_min) {
            return Err(match self.nonfinite {
                Some(component) => Error::NonFiniteRhs { t: self.clock.t, component, partial: None },
                None => {
                    let h_min = self.set.h_min.max(10.0 * self.clock.t.abs() * f64::EPSILON);
                    Error::StepSizeTooSmall { t: self.clock.t, h, h_min, partial: None }
                }
            });
        }
        Ok((h, last))
    }

    /// Accept or reject the trial step just computed, and choose the next
    /// step size.
    pub(super) fn judge(&mut self, h: f64, last: bool) -> Result<Verdict, Error> {
        let adaptive = self.set.dt.is_none();
        let q = M::TABLEAU.error.controller_order().unwrap_or(1) as f64;
        let (err, bad) = self.error_norm(h);
        if let Some(component) = bad {
            // Non-finite trial values: retry with a much smaller step.
            if !adaptive {
                return Err(Error::NonFiniteRhs { t: self.clock.t, component, partial: None });
            }
            self.nonfinite = Some(component);
            self.clock.reject(h * 0.25, &mut self.stats);
            return Ok(Verdict::Retry);
        }
        if adaptive {
            if err > 1.0 {
                self.nonfinite = None;
                let h_next = h * self.set.controller.reject(err, q);
                self.clock.fail_error_test(h, h_next, &mut self.stats)?;
                return Ok(Verdict::Retry);
            }
            self.clock.control(&self.set.controller, err, q, h, self.set.h_max);
        }
        self.accept(h, last)
    }

    /// The scaled RMS error of the trial step and the first component whose
    /// trial value (or error estimate) is not finite. With
    /// `sensitivity_error_control` the error is the largest of the state's
    /// and each derivative direction's (as CVODES' `errconS`).
    #[inline(always)]
    fn error_norm(&self, h: f64) -> (f64, Option<usize>) {
        let n = self.n;
        let ks = stage_slices(&self.k, Self::STAGES, n);
        let (y, y1) = (&self.y.as_slice()[..n], &self.y_new.as_slice()[..n]);
        let mut bad = y1.iter().position(|v| !v.re().is_finite());
        let mut err = self.scaled_error(h, |v| v.re(), &ks, y, y1);
        if self.set.sensitivity_error_control {
            for l in 0..D::N_EPS {
                err = err.max(self.scaled_error(h, |v| v.eps_part(l), &ks, y, y1));
            }
        }
        if bad.is_none() && !err.is_finite() {
            // A non-finite stage that cancelled out of y_new still poisons the step.
            bad = (0..n).find(|&i| ks[..Self::STAGES].iter().any(|k| !k[i].re().is_finite())).or(Some(0));
        }
        (err, bad)
    }

    /// The method's error estimate of one part (`part`: the real part or a
    /// derivative direction) of the trial step, scaled by the tolerances.
    #[inline(always)]
    fn scaled_error(&self, h: f64, part: impl Fn(&D) -> f64, ks: &[&[D]; 16], y: &[D], y1: &[D]) -> f64 {
        let n = self.n;
        let (rtol, atol) = (&self.set.rtol[..n], &self.set.atol[..n]);
        let sc = |i: usize| atol[i] + rtol[i] * part(&y[i]).abs().max(part(&y1[i]).abs());
        let dot = |w: &[f64], i: usize| {
            let mut acc = 0.0;
            for j in 0..Self::STAGES {
                if w[j] != 0.0 {
                    acc += w[j] * part(&ks[j][i]);
                }
            }
            acc
        };
        match M::TABLEAU.error {
            ErrorEstimator::None => 0.0,
            ErrorEstimator::Embedded { e, .. } => {
                let mut s = 0.0;
                for i in 0..n {
                    let ei = h * dot(e, i) / sc(i);
                    s += ei * ei;
                }
                (s / n as f64).sqrt()
            }
            ErrorEstimator::Dop853 { e5, e3 } => {
                let (mut s5, mut s3) = (0.0, 0.0);
                for i in 0..n {
                    let (e5i, e3i) = (dot(e5, i) / sc(i), dot(e3, i) / sc(i));
                    s5 += e5i * e5i;
                    s3 += e3i * e3i;
                }
                let den = s5 + 0.01 * s3;
                if den > 0.0 { h.abs() * s5 / (den * n as f64).sqrt() } else { 0.0 }
            }
        }
    }

    fn accept(&mut self, h: f64, last: bool) -> Result<Verdict, Error> {
        self.stats.accepted += 1;
        // Stiffness is tested after adaptive steps that did not end the span.
        let stage_done = !last && self.clock.adaptive();
        self.nonfinite = None;
        self.clock.advance(h, last, self.stats.accepted);
        std::mem::swap(&mut self.y, &mut self.y_new);
        self.k0_ready = false;
        self.fnew_ready = M::TABLEAU.fsal;
        self.dense_ready = false;
        check_accepted(self.clock.t, self.y.as_slice())?;
        Ok(match M::STIFFNESS {
            Some(test) if stage_done => Verdict::TestStiffness(test),
            _ => Verdict::Accepted,
        })
    }

    /// Hairer's stiffness test after an accepted step (see
    /// [`StiffnessTest`]), with `f(t1, y1)` at hand; ends the solve with
    /// [`Error::Stiff`] after 15 positive tests not interrupted by 6
    /// negative ones in a row.
    pub(super) fn test_stiffness(&mut self, test: StiffnessTest, h: f64) -> Result<(), Error> {
        let (f1, ks) = (&self.k[Self::FNEW], &self.k[test.stage]);
        let (mut num, mut den) = (0.0, 0.0);
        // Both differences in the error weights: the stiff mode often lives
        // in a component much smaller than the others (Robertson's y2), and
        // unweighted norms would see only the slow ones.
        for i in 0..self.n {
            let sc = self.set.atol[i] + self.set.rtol[i] * self.y[i].re().abs();
            let (a, b) = ((f1[i].re() - ks[i].re()) / sc, (self.y[i].re() - self.y_stage[i].re()) / sc);
            num += a * a;
            den += b * b;
        }
        if den > 0.0 {
            self.stiffness.rho = h.abs() * (num / den).sqrt();
        }
        let s = &mut self.stiffness;
        if s.rho > test.bound {
            s.positives += 1;
            s.negatives = 0;
            if s.positives >= 15 && self.set.detect_stiffness {
                return Err(Error::Stiff { t: self.clock.t, h, method: M::TABLEAU.name, partial: None });
            }
        } else {
            s.negatives += 1;
            if s.negatives == 6 {
                s.positives = 0;
            }
        }
        Ok(())
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
        let h = self.clock.h_prev;
        match M::TABLEAU.dense {
            Interpolant::Polynomial(p) => {
                for (j, d) in self.dense.iter_mut().enumerate() {
                    for i in 0..self.n {
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
                for i in 0..self.n {
                    let dy = self.y[i] - self.y_new[i];
                    d0[i] = f0[i] * h;
                    d1[i] = dy * 3.0 - (f0[i] * 2.0 + f1[i]) * h;
                    d2[i] = (f0[i] + f1[i]) * h - dy * 2.0;
                }
            }
            Interpolant::Dop853 { d, .. } => {
                let (f0, f1) = (&self.k[0], &self.k[Self::FNEW]);
                for i in 0..self.n {
                    let dy = self.y[i] - self.y_new[i];
                    self.dense[0][i] = dy;
                    self.dense[1][i] = f0[i] * h - dy;
                    self.dense[2][i] = dy * 2.0 - (f1[i] + f0[i]) * h;
                }
                for (r, row) in d.iter().enumerate() {
                    for i in 0..self.n {
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
                for i in 0..self.n {
                    let mut acc = self.dense[last][i];
                    for (r, d) in self.dense.iter().enumerate().rev().skip(1) {
                        acc = d[i] + acc * if r % 2 == 0 { th1 } else { theta };
                    }
                    out[i] = y0[i] + acc * theta;
                }
            }
            _ => {
                for i in 0..self.n {
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

/// `out = y + h Σ_j w_j k_j` over the non-zero weights, component by
/// component (with constant weights the inner loop unrolls and the zero
/// weights vanish; the stage slices are gathered once so that the
/// component loop has no bounds checks and vectorizes for large states).
#[inline(always)]
pub(super) fn combine<D, N>(out: &mut State<D, N>, y: &State<D, N>, h: f64, w: &[f64], k: &[State<D, N>])
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
        out[i] = acc.map_or(y[i], |a| y[i] + a * h);
    }
}

/// The first `m ≤ 16` stage vectors as slices of length `n`.
#[inline(always)]
fn stage_slices<D, N>(k: &[State<D, N>], m: usize, n: usize) -> [&[D]; 16]
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

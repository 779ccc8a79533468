//! The structured secant model of [`LevenbergMarquardt`](super::LevenbergMarquardt)
//! for large-residual fits (Dennis, Gay & Welsch's NL2SOL).
//!
//! The Hessian of `½‖r‖²` is `JᵀJ + S` with `S = Σ rᵢ ∇²rᵢ`. Gauss–Newton
//! drops `S`: where the residuals stay large at the optimum (a model that
//! cannot fit the data, or a local minimum) its steps overshoot by a
//! constant factor and converge only linearly. NL2SOL keeps a secant
//! estimate `A ≈ S`, updated after every accepted step so that
//! `A s = (J₁ − J₀)ᵀ r₁`, and after each step uses whichever model —
//! Gauss–Newton or `JᵀJ + A` — predicted the actual reduction better.
//!
//! References: J. E. Dennis, D. M. Gay, R. E. Welsch, "An adaptive
//! nonlinear least-squares algorithm", ACM TOMS 7 (1981) 348–368; the
//! trust-region step for an indefinite model by J. J. Moré and D. C.
//! Sorensen, SIAM J. Sci. Stat. Comput. 4 (1983) 553–572.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// The secant estimate `A` of the residuals' curvature term, in the
/// parameters' own coordinates.
#[derive(Clone, Debug)]
pub(super) struct Secant {
    a: DMatrix<f64>,
    /// Whether the next step uses `JᵀJ + A` (else Gauss–Newton).
    pub(super) augmented: bool,
}

impl Secant {
    pub(super) fn new(n: usize) -> Self {
        Secant { a: DMatrix::zeros(n, n), augmented: false }
    }

    /// `sᵀ A s`.
    pub(super) fn curvature(&self, s: &DVector<f64>) -> f64 {
        s.dot(&(&self.a * s))
    }

    /// NL2SOL's choice of the next step's model from this step's actual
    /// relative reduction and the two models' predictions: a model that
    /// predicted it to 10% is kept, else the one that predicted it better
    /// is taken. (Without the 10%, early secant estimates from one or two
    /// updates took steps away from Gauss–Newton where it converged
    /// quadratically.)
    pub(super) fn choose(&mut self, actual: f64, predicted_gn: f64, predicted_secant: f64) {
        let used = if self.augmented { predicted_secant } else { predicted_gn };
        if (actual - used).abs() > 0.1 * used.abs() {
            self.augmented = (actual - predicted_secant).abs() < (actual - predicted_gn).abs();
        }
    }

    /// `A` restricted to the parameters `free`.
    pub(super) fn restricted(&self, free: &[usize]) -> DMatrix<f64> {
        DMatrix::from_fn(free.len(), free.len(), |i, k| self.a[(free[i], free[k])])
    }

    /// After an accepted step `s` from `(J₀, r₀)` to `(J₁, r₁)`: the sized
    /// secant update of NL2SOL, `A s = y♯ = (J₁ − J₀)ᵀ r₁`, with the
    /// gradient difference `y = J₁ᵀr₁ − J₀ᵀr₀` in its rank-two terms. No
    /// update where `sᵀy` is not positive (the model would lose its
    /// curvature along `s`) or anything is not finite.
    pub(super) fn update(
        &mut self,
        s: &DVector<f64>,
        (j0, r0): (&DMatrix<f64>, &DVector<f64>),
        (j1, r1): (&DMatrix<f64>, &DVector<f64>),
    ) {
        let g1 = j1.tr_mul(r1);
        let y_sharp = &g1 - j0.tr_mul(r1);
        let y = &g1 - j0.tr_mul(r0);
        let sy = s.dot(&y);
        if !(sy > 0.0 && sy.is_finite()) {
            return;
        }
        let sas = self.curvature(s);
        if sas != 0.0 {
            // Sizing: shrink A where it overstates the curvature seen.
            self.a *= (s.dot(&y_sharp).abs() / sas.abs()).min(1.0);
        }
        let w = &y_sharp - &self.a * s;
        let sw = s.dot(&w);
        let update = (&w * y.transpose() + &y * w.transpose()) / sy - (&y * y.transpose()) * (sw / (sy * sy));
        let next = &self.a + update;
        if next.iter().all(|v| v.is_finite()) {
            self.a = next;
        }
    }
}

/// The step `δ` minimizing `gᵀδ + ½ δᵀ(JᵀJ + A)δ` with `‖D δ‖ ≤ Δ`, and
/// its shift μ (0 for the model's own minimizer inside the region), or
/// `None` where the model gives no usable step (the caller then takes
/// the Gauss–Newton one). In the scaled coordinates `q = D δ` the model's
/// Hessian is diagonalized; the boundary step `q(μ) = −(H + μI)⁻¹ g` is
/// found by [`boundary_shift`] (to 1e-10 of Δ), with
/// Moré and Sorensen's hard case (`g` orthogonal to the lowest
/// eigenvector of an indefinite model) completed along that vector.
pub(super) fn model_step(
    j: &DMatrix<f64>,
    r: &DVector<f64>,
    a: &DMatrix<f64>,
    diag: &[f64],
    delta: f64,
) -> Option<(DVector<f64>, f64)> {
    let n = j.ncols();
    let g = j.tr_mul(r);
    let h = j.tr_mul(j) + a;
    let hs = DMatrix::from_fn(n, n, |i, k| h[(i, k)] / (diag[i] * diag[k]));
    let gs = DVector::from_fn(n, |i, _| g[i] / diag[i]);
    if !(hs.iter().all(|v| v.is_finite()) && gs.iter().all(|v| v.is_finite())) {
        return None;
    }
    let eig = SymmetricEigen::new(hs);
    let (lam, v) = (&eig.eigenvalues, &eig.eigenvectors);
    let c = v.tr_mul(&gs);
    let q = |mu: f64| -> DVector<f64> {
        let coef = DVector::from_fn(n, |i, _| if lam[i] + mu > 0.0 { -c[i] / (lam[i] + mu) } else { 0.0 });
        v * coef
    };
    let lam_min = lam.min();
    let scale = lam.amax().max(f64::MIN_POSITIVE);
    let unscale = |mut q: DVector<f64>| {
        for (qi, d) in q.iter_mut().zip(diag) {
            *qi /= d;
        }
        q
    };
    if lam_min > 1e-12 * scale {
        let q0 = q(0.0);
        if q0.norm() <= delta {
            return Some((unscale(q0), 0.0));
        }
    }
    let lo0 = (-lam_min).max(0.0);
    let start = lo0 + 1e-12 * scale;
    // The hard case: even at the lowest admissible shift the step stays
    // inside; fill it up along the lowest eigenvector.
    let at_lo = q(start);
    if lam_min <= 0.0 && at_lo.norm() < delta {
        let i_min = lam.imin();
        let tau = (delta * delta - at_lo.norm_squared()).max(0.0).sqrt();
        let q = at_lo + v.column(i_min) * tau;
        return q.iter().all(|x| x.is_finite()).then(|| (unscale(q), lo0));
    }
    let admissible: Vec<usize> = (0..n).filter(|&i| lam[i] + start > 0.0).collect();
    let lam_a: Vec<f64> = admissible.iter().map(|&i| lam[i]).collect();
    let c_a: Vec<f64> = admissible.iter().map(|&i| c[i]).collect();
    let mu = boundary_shift(&lam_a, &c_a, (lo0, start + gs.norm() / delta), start, delta, 1e-10);
    let q = q(mu);
    q.iter().all(|x| x.is_finite()).then(|| (unscale(q), mu))
}

/// The shift `μ` at which the step `qᵢ(μ) = −cᵢ / (λᵢ + μ)` of a model in
/// its eigenbasis (eigenvalues `lam`, gradient components `c`; every
/// `λᵢ + μ > 0` in the bracket) has `|‖q‖ − Δ| ≤ rel·Δ`: Newton on
/// `1/‖q(μ)‖ = 1/Δ` (nearly linear in μ) from `start`, on the left of the
/// root, where its iterates rise monotonically to it, safeguarded by the
/// bracket `[lo, hi]` (Moré & Sorensen). The one search of both steps of
/// the LM: its Gauss–Newton model (`λᵢ = σᵢ²`, `cᵢ = σᵢ (Uᵀr)ᵢ`, MINPACK's
/// 10% acceptance) and the secant model's [`model_step`].
pub(super) fn boundary_shift(
    lam: &[f64],
    c: &[f64],
    (mut lo, mut hi): (f64, f64),
    start: f64,
    delta: f64,
    rel: f64,
) -> f64 {
    // ‖q‖ and d‖q‖/dμ.
    let norm_dq = |mu: f64| {
        let (mut n2, mut dn2) = (0.0, 0.0);
        for (l, c) in lam.iter().zip(c) {
            let den = l + mu;
            n2 += c * c / (den * den);
            dn2 += -2.0 * c * c / (den * den * den);
        }
        let nrm: f64 = n2.sqrt();
        (nrm, dn2 / (2.0 * nrm))
    };
    let mut mu = start;
    for _ in 0..50 {
        let (nrm, dnrm) = norm_dq(mu);
        let phi = nrm - delta;
        if phi.abs() <= rel * delta {
            break;
        }
        if phi > 0.0 {
            lo = mu
        } else {
            hi = mu
        }
        // Newton step for 1/‖q‖ = 1/Δ.
        mu += (nrm / delta) * (phi / -dnrm);
        if !(mu > lo && mu < hi) {
            mu = if lo > 0.0 { (lo * hi).sqrt() } else { 0.5 * hi };
        }
    }
    mu
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model `gᵀδ + ½ δᵀ(JᵀJ + A)δ`.
    fn model(j: &DMatrix<f64>, r: &DVector<f64>, a: &DMatrix<f64>, d: &DVector<f64>) -> f64 {
        j.tr_mul(r).dot(d) + 0.5 * d.dot(&((j.tr_mul(j) + a) * d))
    }

    fn sample(seed: &mut u64) -> f64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }

    #[test]
    fn the_secant_update_meets_the_secant_condition() {
        let mut seed = 7;
        let mut next = || sample(&mut seed);
        let (j0, j1) = (DMatrix::from_fn(6, 3, |_, _| next()), DMatrix::from_fn(6, 3, |_, _| next()));
        let (r0, r1) = (DVector::from_fn(6, |_, _| next()), DVector::from_fn(6, |_, _| next()));
        let s = DVector::from_fn(3, |_, _| next());
        let y = j1.tr_mul(&r1) - j0.tr_mul(&r0);
        // A step along which the gradient grows (sᵀy > 0), as the update needs.
        let s = if s.dot(&y) > 0.0 { s } else { -s };
        let mut sec = Secant::new(3);
        sec.update(&s, (&j0, &r0), (&j1, &r1));
        let y_sharp = (&j1 - &j0).tr_mul(&r1);
        assert!((&sec.a * &s - &y_sharp).norm() <= 1e-12 * y_sharp.norm());
        assert!((&sec.a - sec.a.transpose()).norm() <= 1e-14 * sec.a.norm(), "symmetric");
    }

    #[test]
    fn model_steps_minimize_the_model_in_the_region() {
        let mut seed = 11;
        let mut next = || sample(&mut seed);
        for case in 0..30 {
            let n = 2 + case % 4;
            let j = DMatrix::from_fn(n + 3, n, |_, _| next());
            let r = DVector::from_fn(n + 3, |_, _| next());
            // Symmetric, indefinite in two cases of three.
            let b = DMatrix::from_fn(n, n, |_, _| 3.0 * next());
            let a = if case % 3 == 0 { DMatrix::zeros(n, n) } else { &b + b.transpose() };
            let diag: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
            let delta = 0.05 + 0.3 * (case % 5) as f64;
            let (step, mu) = model_step(&j, &r, &a, &diag, delta).expect("a step");
            let scaled = |d: &DVector<f64>| d.iter().zip(&diag).map(|(x, w)| (x * w).powi(2)).sum::<f64>().sqrt();
            assert!(scaled(&step) <= delta * (1.0 + 1e-8), "case {case}: inside the region");
            assert!(mu == 0.0 || scaled(&step) >= delta * (1.0 - 1e-8), "case {case}: shifted steps on the boundary");
            // No point of the region does better (2,000 random points,
            // half of them on the boundary).
            let best = model(&j, &r, &a, &step);
            for k in 0..2000 {
                let q = DVector::from_fn(n, |_, _| next());
                let radius = if k % 2 == 0 { delta } else { delta * (next() + 0.5) };
                let d = DVector::from_fn(n, |i, _| q[i] / q.norm() * radius / diag[i]);
                assert!(best <= model(&j, &r, &a, &d) + 1e-10, "case {case}: a better point");
            }
        }
    }
}

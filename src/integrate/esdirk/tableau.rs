#![allow(clippy::excessive_precision)] // the published coefficients, digit for digit
//! ESDIRK tableaux held as data: singly diagonally implicit Runge–Kutta
//! methods with an explicit first stage,
//!
//! ```text
//! F_1 = f(t_n, y_n)
//! Y_i = y_n + h Σ_{j<i} a_ij F_j + hγ F_i,   F_i = f(t_n + c_i h, Y_i)   (i ≥ 2)
//! y_{n+1} = y_n + h Σ_i b_i F_i,   error = h Σ_i btilde_i F_i
//! ```
//!
//! with predictors `F_i ≈ Σ_{j<i} α_ij F_j` for each stage's Newton
//! iterations. The unit tests check every tableau against the Runge–Kutta
//! order conditions (B-series trees) for the solution, the embedded
//! solution and the dense output, and its stage times.

use crate::integrate::controller::GROWTH_THRESHOLD;

/// An ESDIRK method as data.
#[derive(Clone, Copy, Debug)]
pub struct EsdirkTableau {
    /// The method's literature name.
    pub name: &'static str,
    /// Order of the propagated solution.
    pub order: u32,
    /// The step-size controller's exponent denominator `q` (`h ∝ err^(−1/q)`):
    /// one more than the lower of the two orders of the error estimate.
    pub controller_order: u32,
    /// The diagonal `γ`.
    pub gamma: f64,
    /// Stage coefficients `a_ij` (strictly lower: row `i` has `i` entries).
    pub a: &'static [&'static [f64]],
    /// Stage times `c_i` (`c_1 = 0`).
    pub c: &'static [f64],
    /// Solution weights `b_i`.
    pub b: &'static [f64],
    /// Error weights `b_i − b̂_i`.
    pub btilde: &'static [f64],
    /// Stage predictors `α_ij` (row `i` has `i` entries summing to 1).
    pub predictor: &'static [&'static [f64]],
    /// Dense output: per stage, the coefficients of `θ, θ², …` in
    /// `y(t_n + θh) = y_n + h Σ_i b_i(θ) F_i`; empty for cubic Hermite
    /// interpolation between `(y_n, F_1)` and `(y_{n+1}, F_s)` (stiffly
    /// accurate methods only).
    pub dense: &'static [&'static [f64]],
    /// Stiffly accurate: `b` is the last row of the stage matrix, so
    /// `y_{n+1} = Y_s` and `F_s = f(t_{n+1}, y_{n+1})` starts the next step.
    pub stiffly_accurate: bool,
    /// Tolerance proportionality below this relative tolerance `τ₀`
    /// ([`tolerance_fraction`](crate::integrate::tolerance_fraction));
    /// `None` for methods whose global error already stays within the
    /// tolerance.
    pub proportional_below: Option<f64>,
    /// The smallest growth of the step taken after a successful step: a
    /// smaller one keeps the step, and `γ h` of the factored Newton matrix
    /// with it (CVODE's `THRESH`, 1.5; 1 takes every change the controller
    /// asks for).
    pub growth_threshold: f64,
}

/// An ESDIRK method chosen at compile time (see [`Kvaerno5`]).
pub trait EsdirkMethod: Copy + Default + Send + Sync + 'static {
    /// The method's data.
    const TABLEAU: EsdirkTableau;
}

macro_rules! method {
    ($(#[$doc:meta])* $ty:ident, $tab:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $ty;
        impl EsdirkMethod for $ty {
            const TABLEAU: EsdirkTableau = $tab;
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad($tab.name)
            }
        }
    };
}

method!(
    /// Kværnø's 5(4) ESDIRK: seven stages, L-stable and stiffly accurate,
    /// order 5 with an order-4 stiffly accurate estimate (diffrax's stiff
    /// default). Some stages evaluate `f` past the step (`c_3 ≈ 1.23`).
    Kvaerno5,
    KVAERNO5
);
method!(
    /// TR-BDF2 (Bank et al. 1985; Hosea & Shampine 1996): a trapezoidal
    /// stage then BDF2, order 2 with an order-3 estimate, L-stable; cheap
    /// steps for loose tolerances (MATLAB's `ode23tb`). Below `rtol = 1e-2`
    /// its error test tightens so that the global error keeps tracking the
    /// tolerance
    /// ([`tolerance_fraction`](crate::integrate::tolerance_fraction)).
    TrBdf2,
    TRBDF2
);

const K5_G: f64 = 0.26;
const K5_A6: [f64; 6] =
    [0.13855640231268224, 0.0, -0.04245337201752043, 0.02446657898003141, 0.61943039072480676, K5_G];
const K5_B: [f64; 7] = [
    0.13659751177640291,
    0.0,
    -0.05496908796538376,
    -0.04118626728321046,
    0.62993304899016403,
    0.06962479448202728,
    K5_G,
];

/// Kværnø, "Singly diagonally implicit Runge–Kutta methods with an explicit
/// first stage", BIT 44 (2004), the 7-stage order-5 method (coefficients as
/// printed by diffrax's `kvaerno5.py`); predictors as diffrax's (linear
/// extrapolation and OrdinaryDiffEq's interpolants, `α_21 = 1`).
pub const KVAERNO5: EsdirkTableau = EsdirkTableau {
    name: "Kvaerno5",
    order: 5,
    controller_order: 5,
    gamma: K5_G,
    a: &[
        &[],
        &[K5_G],
        &[0.13, 0.84033320996790809],
        &[0.22371961478320505, 0.47675532319799699, -0.06470895363112615],
        &[0.16648564323248321, 0.10450018841591720, 0.03631482272098715, -0.13090704451073998],
        &[K5_A6[0], K5_A6[1], K5_A6[2], K5_A6[3], K5_A6[4]],
        &[K5_B[0], K5_B[1], K5_B[2], K5_B[3], K5_B[4], K5_B[5]],
    ],
    c: &[0.0, 0.52, 1.230333209967908, 0.8957659843500759, 0.43639360985864756, 1.0, 1.0],
    b: &K5_B,
    btilde: &[
        K5_B[0] - K5_A6[0],
        K5_B[1] - K5_A6[1],
        K5_B[2] - K5_A6[2],
        K5_B[3] - K5_A6[3],
        K5_B[4] - K5_A6[4],
        K5_B[5] - K5_A6[5],
        K5_G,
    ],
    predictor: &[
        &[],
        &[1.0],
        &[-1.366025403784441, 2.3660254037844357],
        &[-0.19650552613122207, 0.8113579546496623, 0.38514757148155954],
        &[0.10375304369958693, 0.937994698066431, -0.04174774176601781, 0.0],
        &[-0.17281112873898072, 0.6235784481025847, 0.5492326806363959, 0.0, 0.0],
        &K5_A6,
    ],
    dense: &[],
    stiffly_accurate: true,
    proportional_below: None,
    // Measured on W6 against taking every change: 25–36% faster at the
    // tight tolerances, within ±12% at the loose ones (docs/benchmarks.md §10).
    growth_threshold: GROWTH_THRESHOLD,
};

/// `γ = 2 − √2`, TR-BDF2's trapezoidal fraction of the step.
const TR_G: f64 = 0.58578643762690495119831127579031;
/// `d = γ/2 = 1 − √2/2`, the diagonal.
const TR_D: f64 = 0.29289321881345247559915563789515;
/// `w = √2/4`.
const TR_W: f64 = 0.35355339059327376220042218105242;

/// TR-BDF2 as an ESDIRK (Hosea & Shampine, "Analysis and implementation of
/// TR-BDF2", Appl. Numer. Math. 20 (1996)): `A = (0; d, d; w, w, d)`,
/// `b = (w, w, d)`, embedded `b̂ = ((1 − w)/3, (3w + 1)/3, d/3)`; dense
/// output `b(θ) = (2wθ − wθ², 2wθ − wθ², (γ − 1)θ + 2wθ²)` (Jørgensen,
/// Kristensen & Thomsen, arXiv:1803.01613, as diffsol).
pub const TRBDF2: EsdirkTableau = EsdirkTableau {
    name: "TRBDF2",
    order: 2,
    controller_order: 3,
    gamma: TR_D,
    a: &[&[], &[TR_D], &[TR_W, TR_W]],
    c: &[0.0, TR_G, 1.0],
    b: &[TR_W, TR_W, TR_D],
    btilde: &[TR_W - (1.0 - TR_W) / 3.0, TR_W - (3.0 * TR_W + 1.0) / 3.0, TR_D - TR_D / 3.0],
    // Linear extrapolation of F through (0, F_1) and (γ, F_2) to t = 1.
    predictor: &[&[], &[1.0], &[(TR_G - 1.0) / TR_G, 1.0 / TR_G]],
    dense: &[&[2.0 * TR_W, -TR_W], &[2.0 * TR_W, -TR_W], &[TR_G - 1.0, 2.0 * TR_W]],
    stiffly_accurate: true,
    proportional_below: Some(1e-2),
    // With 1.5 this order-2 method was 10–17% slower on HIRES, about even
    // on VDPOL and faster only on Robertson (docs/benchmarks.md §10).
    growth_threshold: 1.0,
};

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // the formulas' indices, as printed
mod tests {
    use super::*;
    use crate::integrate::trees::{Classical, trees};

    /// The full stage matrix (with the diagonal `γ` below the first row).
    fn matrix(t: &EsdirkTableau) -> Vec<Vec<f64>> {
        let s = t.c.len();
        (0..s)
            .map(|i| {
                (0..s)
                    .map(|j| {
                        if j < i {
                            t.a[i][j]
                        } else if j == i && i > 0 {
                            t.gamma
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The largest `|Σ_j w_j Φ_j(t) − θ^p / γ(t)|` over trees of order `p`.
    fn residual(t: &EsdirkTableau, w: &[f64], theta: f64, p: usize) -> f64 {
        let a = matrix(t);
        let m = Classical { alpha: a.clone(), beta: a };
        trees(p)
            .iter()
            .map(|tr| {
                let phi = tr.phi(&m);
                let lhs: f64 = w.iter().zip(&phi).map(|(w, f)| w * f).sum();
                (lhs - theta.powi(p as i32) / tr.density()).abs()
            })
            .fold(0.0, f64::max)
    }

    fn check(t: &EsdirkTableau, emb_order: usize, dense_order: usize) {
        let p = t.order as usize;
        for k in 1..=p {
            assert!(residual(t, t.b, 1.0, k) < 1e-12, "{}: order {k} of the solution", t.name);
        }
        assert!(residual(t, t.b, 1.0, p + 1) > 1e-6, "{}: claims too little order", t.name);
        let emb: Vec<f64> = t.b.iter().zip(t.btilde).map(|(b, e)| b - e).collect();
        for k in 1..=emb_order {
            assert!(residual(t, &emb, 1.0, k) < 1e-12, "{}: order {k} of the embedded solution", t.name);
        }
        assert!(residual(t, &emb, 1.0, emb_order + 1) > 1e-6, "{}: embedded order too high", t.name);
        if !t.dense.is_empty() {
            for theta in [0.1f64, 0.37, 0.5, 0.83, 1.0] {
                let w: Vec<f64> = t
                    .dense
                    .iter()
                    .map(|row| row.iter().enumerate().map(|(k, c)| c * theta.powi(k as i32 + 1)).sum())
                    .collect();
                for k in 1..=dense_order {
                    assert!(residual(t, &w, theta, k) < 1e-12, "{}: dense order {k} at {theta}", t.name);
                }
            }
        }
        let a = matrix(t);
        let s = t.c.len();
        for i in 0..s {
            assert!((a[i].iter().sum::<f64>() - t.c[i]).abs() < 1e-12, "{}: c[{i}]", t.name);
            if i > 0 {
                let sum: f64 = t.predictor[i].iter().sum();
                assert!((sum - 1.0).abs() < 1e-12, "{}: predictor row {i} sums to {sum}", t.name);
            }
        }
        if t.stiffly_accurate {
            assert_eq!(&a[s - 1][..], t.b, "{}: b is the last row", t.name);
        }
        assert_eq!(t.controller_order as usize, emb_order.min(p) + 1);
    }

    #[test]
    fn kvaerno5_is_order_5_with_an_order_4_estimate() {
        check(&KVAERNO5, 4, 0);
        // Stiffly accurate embedded solution: b̂ is row 6 with γ.
        let emb: Vec<f64> = KVAERNO5.b.iter().zip(KVAERNO5.btilde).map(|(b, e)| b - e).collect();
        assert_eq!(emb[6], 0.0);
    }

    #[test]
    fn trbdf2_is_order_2_with_an_order_3_estimate_and_order_2_dense_output() {
        check(&TRBDF2, 3, 2);
    }
}

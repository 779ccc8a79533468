#![allow(clippy::excessive_precision)] // the published coefficients, digit for digit
//! Rosenbrock tableaux held as data, in the transformed ("Rodas") form of
//! Hairer & Wanner (*Solving ODEs II*, 2nd ed., §IV.7), the form of
//! Hairer's `rodas.f` and of OrdinaryDiffEq:
//!
//! ```text
//! W = I/(hγ) − J,   J = ∂f/∂y(t_n, y_n),   T = ∂f/∂t(t_n, y_n)
//! k_i = W⁻¹ ( f(t_n + c_i h, y_n + Σ_j a_ij k_j) + h d_i T + Σ_j (C_ij / h) k_j )
//! y_{n+1} = y_n + Σ_i b_i k_i,   error = Σ_i btilde_i k_i
//! y(t_n + θh) = (1−θ) y_n + θ [ y_{n+1} + (1−θ)(K_1 + θ K_2 + θ² K_3) ],  K_r = Σ_i H_ri k_i
//! ```
//!
//! The stages `k_i` are increments (units of `y`). The unit tests check
//! every tableau against the Rosenbrock order conditions (B-series trees up
//! to the method's order, for the solution, the embedded solution and the
//! dense output).

/// A Rosenbrock method as data.
#[derive(Clone, Copy, Debug)]
pub struct RosenbrockTableau {
    /// The method's literature name.
    pub name: &'static str,
    /// Order of the propagated solution.
    pub order: u32,
    /// The step-size controller's exponent denominator `q` (`h ∝ err^(−1/q)`):
    /// one more than the order of the error estimate's lower solution.
    pub controller_order: u32,
    /// The diagonal `γ`.
    pub gamma: f64,
    /// Stage coefficients `a_ij` (strictly lower: row `i` has `i` entries).
    pub a: &'static [&'static [f64]],
    /// Coupling coefficients `C_ij` (strictly lower).
    pub c_mat: &'static [&'static [f64]],
    /// Stage times `c_i`.
    pub c: &'static [f64],
    /// Coefficients `d_i` of the time derivative `T`.
    pub d: &'static [f64],
    /// Solution weights `b_i`.
    pub b: &'static [f64],
    /// Error weights.
    pub btilde: &'static [f64],
    /// Dense-output rows `H_r` (two or three).
    pub h: &'static [&'static [f64]],
    /// A W-method: the order holds with any approximation of the Jacobian,
    /// so one may serve several steps (`Options::max_jacobian_age`).
    pub w_method: bool,
    /// Tolerance proportionality below this relative tolerance `τ₀`
    /// ([`tolerance_fraction`](crate::integrate::tolerance_fraction));
    /// `None` for methods whose global error already stays within the
    /// tolerance.
    pub proportional_below: Option<f64>,
}

/// A Rosenbrock method chosen at compile time (see [`Rodas5P`]).
pub trait RosenbrockMethod: Copy + Default + Send + Sync + 'static {
    /// The method's data.
    const TABLEAU: RosenbrockTableau;
}

macro_rules! method {
    ($(#[$doc:meta])* $ty:ident, $tab:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $ty;
        impl RosenbrockMethod for $ty {
            const TABLEAU: RosenbrockTableau = $tab;
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad($tab.name)
            }
        }
    };
}

method!(
    /// Rodas5P (Steinebach, *BIT Numer. Math.* 63:27, 2023): 8 stages,
    /// order 5 with an embedded order-4 solution, stiffly accurate, L-stable,
    /// designed to avoid order reduction on Prothero–Robinson problems and
    /// index-1 DAEs; order-4 dense output. The default stiff method.
    Rodas5P,
    RODAS5P
);
method!(
    /// Rodas4P (Steinebach 1995, Hairer's `rodas.f` METH=3): 6 stages,
    /// order 4(3), stiffly accurate; order-3 dense output.
    Rodas4P,
    RODAS4P
);
method!(
    /// Rosenbrock23 (Shampine & Reichelt 1997, MATLAB's `ode23s`): order
    /// 2 with a 3rd-order error estimate, L-stable; order-2 dense output.
    /// For loose tolerances. Below `rtol = 1e-4` its error test tightens
    /// so that the global error keeps tracking the tolerance
    /// ([`tolerance_fraction`](crate::integrate::tolerance_fraction)):
    /// more steps than `ode23s` takes at the same `rtol`, for the accuracy
    /// asked for.
    Rosenbrock23,
    ROSENBROCK23
);

const R5P_A6: [f64; 5] =
    [-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256, 0.030198172008377946];

/// Rodas5P's data (coefficients from Steinebach's own addition to
/// OrdinaryDiffEq; they satisfy the order conditions, see the tests).
pub const RODAS5P: RosenbrockTableau = RosenbrockTableau {
    name: "Rodas5P",
    order: 5,
    controller_order: 5,
    gamma: 0.21193756319429014,
    a: &[
        &[],
        &[3.0],
        &[2.849394379747939, 0.45842242204463923],
        &[-6.954028509809101, 2.489845061869568, -10.358996098473584],
        &[2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641],
        &R5P_A6,
        &[R5P_A6[0], R5P_A6[1], R5P_A6[2], R5P_A6[3], R5P_A6[4], 1.0],
        &[R5P_A6[0], R5P_A6[1], R5P_A6[2], R5P_A6[3], R5P_A6[4], 1.0, 1.0],
    ],
    c_mat: &[
        &[],
        &[-14.155112264123755],
        &[-17.97296035885952, -2.859693295451294],
        &[147.12150275711716, -1.41221402718213, 71.68940251302358],
        &[165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306],
        &[24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125, -0.6610691825249471],
        &[
            30.91273214028599,
            -3.1208243349937974,
            77.79954646070892,
            34.28646028294783,
            -19.097331116725623,
            -28.087943162872662,
        ],
        &[
            37.80277123390563,
            -3.2571969029072276,
            112.26918849496327,
            66.9347231244047,
            -40.06618937091002,
            -54.66780262877968,
            -9.48861652309627,
        ],
    ],
    c: &[0.0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716, 0.4288403609558664, 1.0, 1.0, 1.0],
    d: &[
        0.21193756319429014,
        -0.42387512638858027,
        -0.3384627126235924,
        1.8046452872882734,
        2.325825639765069,
        0.0,
        0.0,
        0.0,
    ],
    b: &[R5P_A6[0], R5P_A6[1], R5P_A6[2], R5P_A6[3], R5P_A6[4], 1.0, 1.0, 1.0],
    btilde: &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    h: &[
        &[
            25.948786856663858,
            -2.5579724845846235,
            10.433815404888879,
            -2.3679251022685204,
            0.524948541321073,
            1.1241088310450404,
            0.4272876194431874,
            -0.17202221070155493,
        ],
        &[
            -9.91568850695171,
            -0.9689944594115154,
            3.0438037242978453,
            -24.495224566215796,
            20.176138334709044,
            15.98066361424651,
            -6.789040303419874,
            -6.710236069923372,
        ],
        &[
            11.419903575922262,
            2.8879645146136994,
            72.92137995996029,
            80.12511834622643,
            -52.072871366152654,
            -59.78993625266729,
            -0.15582684282751913,
            4.883087185713722,
        ],
    ],
    w_method: false,
    proportional_below: None,
};

const R4P_A5: [f64; 4] = [-7.170454962423024, -4.741636671481785, -16.31002631330971, -1.062004044111401];

/// Rodas4P's data (identical to Hairer's `rodas.f`, METH=3).
pub const RODAS4P: RosenbrockTableau = RosenbrockTableau {
    name: "Rodas4P",
    order: 4,
    controller_order: 4,
    gamma: 0.25,
    a: &[
        &[],
        &[3.0],
        &[1.831036793486759, 0.4955183967433795],
        &[2.304376582692669, -0.05249275245743001, -1.176798761832782],
        &R4P_A5,
        &[R4P_A5[0], R4P_A5[1], R4P_A5[2], R4P_A5[3], 1.0],
    ],
    c_mat: &[
        &[],
        &[-12.0],
        &[-8.791795173947035, -2.207865586973518],
        &[10.81793056857153, 6.780270611428266, 19.5348594464241],
        &[34.19095006749676, 15.49671153725963, 54.7476087596413, 14.16005392148534],
        &[34.62605830930532, 15.30084976114473, 56.99955578662667, 18.40807009793095, -5.714285714285717],
    ],
    c: &[0.0, 0.75, 0.21, 0.63, 1.0, 1.0],
    d: &[0.25, -0.5, -0.023504, -0.0362, 0.0, 0.0],
    b: &[R4P_A5[0], R4P_A5[1], R4P_A5[2], R4P_A5[3], 1.0, 1.0],
    btilde: &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    h: &[
        &[25.09876703708589, 11.62013104361867, 28.49148307714626, -5.664021568594133, 0.0, 0.0],
        &[1.638054557396973, -0.7373619806678748, 8.47791821923899, 15.9925314877952, -1.882352941176471, 0.0],
    ],
    w_method: false,
    proportional_below: None,
};

/// `1/(2 + √2)`, Rosenbrock23's `γ`.
const R23_D: f64 = 0.29289321881345247559915563789515;
/// `6 + √2`.
const R23_E32: f64 = 7.4142135623730950488016887242097;

/// Rosenbrock23's data: Shampine & Reichelt's `ode23s` written in the
/// transformed form (`k_i = hγ·` their slopes, corrected by the earlier
/// stages): `a = (1/(2d); 1/d, 1/d)`, `C = (−1/d; −2/d, −e32/d)`,
/// `d = (d, 0, −d)` (the `+h d T` of MATLAB's third stage, which keeps the
/// error estimate third order on non-autonomous problems), `b = (1/d, 1/d,
/// 0)`, `btilde = (1, e32 − 2, 1)/(6d)`, `H_1 = (0, −1/(d(1 − 2d)), 0)`.
pub const ROSENBROCK23: RosenbrockTableau = RosenbrockTableau {
    name: "Rosenbrock23",
    order: 2,
    controller_order: 3,
    gamma: R23_D,
    a: &[&[], &[0.5 / R23_D], &[1.0 / R23_D, 1.0 / R23_D]],
    c_mat: &[&[], &[-1.0 / R23_D], &[-2.0 / R23_D, -R23_E32 / R23_D]],
    c: &[0.0, 0.5, 1.0],
    d: &[R23_D, 0.0, -R23_D],
    b: &[1.0 / R23_D, 1.0 / R23_D, 0.0],
    btilde: &[1.0 / (6.0 * R23_D), (R23_E32 - 2.0) / (6.0 * R23_D), 1.0 / (6.0 * R23_D)],
    h: &[&[0.0, -1.0 / (R23_D * (1.0 - 2.0 * R23_D)), 0.0]],
    w_method: true,
    proportional_below: Some(1e-4),
};

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // the formulas' indices, as printed
mod tests {
    //! Order conditions of Rosenbrock methods (Hairer & Wanner, *Solving
    //! ODEs II*, Table IV.7.1) in B-series form, evaluated from the
    //! transformed coefficients: `Γ_ii = γ`, `Γ_ij = γ Σ_{k=j}^{i−1} C_ik Γ_kj`,
    //! `α = aΓ`, classical weights `B = bΓ`, `β̃ = α + Γ`.
    use super::*;
    use crate::integrate::trees::{Classical, trees};

    fn classical(t: &RosenbrockTableau) -> (Classical, Vec<Vec<f64>>) {
        let s = t.c.len();
        let mut g = vec![vec![0.0; s]; s];
        for i in 0..s {
            g[i][i] = t.gamma;
            for j in 0..i {
                g[i][j] = t.gamma * (j..i).map(|k| t.c_mat[i][k] * g[k][j]).sum::<f64>();
            }
        }
        let mut alpha = vec![vec![0.0; s]; s];
        for i in 0..s {
            for j in 0..i {
                alpha[i][j] = (j..i).map(|k| t.a[i][k] * g[k][j]).sum();
            }
        }
        let beta = (0..s).map(|i| (0..s).map(|j| alpha[i][j] + g[i][j]).collect()).collect();
        (Classical { alpha, beta }, g)
    }

    /// The largest residual `|Σ_j B_j Φ_j(t) − θ^|t| / γ(t)|` over trees of
    /// order `p` for weights `m` (transformed) at `θ`.
    fn residual(t: &RosenbrockTableau, m: &[f64], theta: f64, p: usize) -> f64 {
        let (cl, g) = classical(t);
        let s = m.len();
        let big_b: Vec<f64> = (0..s).map(|j| (j..s).map(|i| m[i] * g[i][j]).sum()).collect();
        trees(p)
            .iter()
            .map(|tr| {
                let phi = tr.phi(&cl);
                let lhs: f64 = (0..s).map(|j| big_b[j] * phi[j]).sum();
                (lhs - theta.powi(p as i32) / tr.density()).abs()
            })
            .fold(0.0, f64::max)
    }

    /// The other solution of the error estimate, `b ∓ btilde`.
    fn other(t: &RosenbrockTableau, sign: f64) -> Vec<f64> {
        t.b.iter().zip(t.btilde).map(|(b, e)| b - sign * e).collect()
    }

    fn dense(t: &RosenbrockTableau, theta: f64) -> Vec<f64> {
        (0..t.b.len())
            .map(|i| {
                let poly: f64 = t.h.iter().enumerate().map(|(r, row)| row[i] * theta.powi(r as i32)).sum();
                theta * t.b[i] + theta * (1.0 - theta) * poly
            })
            .collect()
    }

    /// `sign`: the other solution is `b − sign·btilde` (Rodas: the
    /// embedded `U_s = y₁ − k_s`; Rosenbrock23: the order-3 `y₁ + err`).
    fn check(t: &RosenbrockTableau, emb_order: usize, sign: f64, dense_order: usize) {
        let p = t.order as usize;
        for k in 1..=p {
            assert!(residual(t, t.b, 1.0, k) < 1e-12, "{}: order {k} of the solution", t.name);
        }
        assert!(residual(t, t.b, 1.0, p + 1) > 1e-4, "{}: claims too little order", t.name);
        let e = other(t, sign);
        for k in 1..=emb_order {
            assert!(residual(t, &e, 1.0, k) < 1e-12, "{}: order {k} of the embedded solution", t.name);
        }
        assert!(residual(t, &e, 1.0, emb_order + 1) > 1e-4, "{}: embedded order too high", t.name);
        for theta in [0.1, 0.37, 0.5, 0.83] {
            for k in 1..=dense_order {
                assert!(residual(t, &dense(t, theta), theta, k) < 1e-12, "{}: dense order {k} at {theta}", t.name);
            }
        }
        // Stage times and time-derivative coefficients.
        let (cl, g) = classical(t);
        for i in 0..t.c.len() {
            assert!((cl.alpha[i].iter().sum::<f64>() - t.c[i]).abs() < 1e-12, "{}: c[{i}]", t.name);
            assert!((g[i].iter().sum::<f64>() - t.d[i]).abs() < 1e-12, "{}: d[{i}]", t.name);
        }
        assert_eq!(t.controller_order as usize, emb_order.min(p) + 1);
    }

    #[test]
    fn rodas5p_is_order_5_with_order_4_estimate_and_dense_output() {
        check(&RODAS5P, 4, 1.0, 4);
    }

    #[test]
    fn rodas4p_is_order_4_with_order_3_estimate_and_dense_output() {
        check(&RODAS4P, 3, 1.0, 3);
    }

    #[test]
    fn rosenbrock23_is_order_2_with_order_3_estimate_and_order_2_dense_output() {
        // The error weights are y3 − y2: the order-3 solution (Rosenbrock32)
        // minus the propagated order-2 one.
        check(&ROSENBROCK23, 3, -1.0, 2);
        assert_eq!(trees(4).len(), 4);
        assert_eq!(trees(5).len(), 9);
    }

    /// W-methods (Steihaug & Wolfbrandt): with any matrix `A` for `J`,
    /// the `f`-terms and the `A`-terms of the B-series must match the
    /// solution apart (with the exact `J` only their sums count). Order 2:
    /// `Σ B_i α_i = 1/2`, `Σ B_i γ_i = 0`; order 3 adds `Σ B_i α_i² = 1/3`,
    /// `Σ B_i α_ij α_j = 1/6` and `Σ B_i x_ij y_j = 0` for the three
    /// pairs with an `A`. The `w_method` flag must hold exactly for the
    /// tableaux that keep their order (checked to 3) with a stale `J`.
    #[test]
    fn w_method_flags_match_the_w_order_conditions() {
        for t in [&RODAS5P, &RODAS4P, &ROSENBROCK23] {
            let (cl, g) = classical(t);
            let s = t.b.len();
            let bb: Vec<f64> = (0..s).map(|j| (j..s).map(|i| t.b[i] * g[i][j]).sum()).collect();
            let (al, ga) = (&cl.alpha, &g);
            let av: Vec<f64> = al.iter().map(|r| r.iter().sum()).collect();
            let gv: Vec<f64> = ga.iter().map(|r| r.iter().sum()).collect();
            let sum = |f: &dyn Fn(usize) -> f64| (0..s).map(|i| bb[i] * f(i)).sum::<f64>();
            let dot = |m: &Vec<Vec<f64>>, v: &Vec<f64>, i: usize| (0..s).map(|j| m[i][j] * v[j]).sum::<f64>();
            let mut residuals = vec![sum(&|i| av[i]) - 0.5, sum(&|i| gv[i])];
            if t.order >= 3 {
                residuals.extend([
                    sum(&|i| av[i] * av[i]) - 1.0 / 3.0,
                    sum(&|i| dot(al, &av, i)) - 1.0 / 6.0,
                    sum(&|i| dot(al, &gv, i)),
                    sum(&|i| dot(ga, &av, i)),
                    sum(&|i| dot(ga, &gv, i)),
                ]);
            }
            let worst = residuals.iter().fold(0.0f64, |m, r| m.max(r.abs()));
            assert_eq!(worst < 1e-12, t.w_method, "{}: residuals {residuals:?}", t.name);
        }
    }

    #[test]
    fn stiffly_accurate_rodas_rows() {
        for t in [&RODAS5P, &RODAS4P] {
            let s = t.b.len();
            let last: Vec<f64> = t.a[s - 1].iter().copied().chain([1.0]).collect();
            assert_eq!(last, t.b, "{}: b = (a_s, 1)", t.name);
            assert_eq!(t.c[s - 1], 1.0);
            assert_eq!(t.d[s - 1], 0.0);
        }
    }
}

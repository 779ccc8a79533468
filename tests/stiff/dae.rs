//! Mass matrices and semi-explicit index-1 DAEs: Robertson's kinetics
//! with its conservation law as an algebraic equation, against the ODE
//! form's reference; a finite-element heat equation with its consistent
//! (tridiagonal) mass matrix against its exact modal solution; consistent
//! initialization; bad input.

use super::rosenbrock::{reference, scaled_error};
use nalgebra::Dyn;
use nalgebra::{Const, SVector};
use num_dual::Dual64;
use odeon::integrate::MassMatrix;
use odeon::{Bdf, DualScalar, Error, Linsolve, OdeSystem, Options, Rodas5P, State, Tsit5, solve, solve_dual};

/// Robertson with `y₃` algebraic: `0 = y₁ + y₂ + y₃ − 1`.
struct RobertsonDae {
    mass: Vec<f64>,
}

impl RobertsonDae {
    fn new() -> Self {
        RobertsonDae { mass: vec![1.0, 1.0, 0.0] }
    }
}

impl OdeSystem for RobertsonDae {
    type Dim = Const<3>;
    fn dim(&self) -> Const<3> {
        Const
    }
    fn n_params(&self) -> usize {
        3
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 3>, p: &[D], dy: &mut SVector<D, 3>) {
        let (k1, k2, k3) = (p[0], p[1], p[2]);
        dy[0] = -k1 * y[0] + k3 * y[1] * y[2];
        dy[1] = k1 * y[0] - k2 * y[1] * y[1] - k3 * y[1] * y[2];
        dy[2] = y[0] + y[1] + y[2] - 1.0;
    }
    fn mass(&self) -> Option<MassMatrix> {
        Some(MassMatrix::Diagonal(self.mass.clone()))
    }
}

const K: [f64; 3] = [0.04, 3e7, 1e4];

/// Robertson as a DAE to t = 40 and to 1e11 with Rodas5P and BDF (dense
/// and sparse linear algebra): within 10 scaled units of the ODE form's
/// reference (Radau at 1e-12, tests/data/stiff_reference.json).
#[test]
fn robertson_dae_against_the_reference() {
    for problem in ["robertson_t40", "robertson_t1e11"] {
        let (t1, y0, want) = reference(problem);
        for (rtol, atol) in [(1e-6, 1e-10), (1e-8, 1e-12)] {
            for linsolve in [Linsolve::Dense, Linsolve::Sparse] {
                let o = Options::default().rtol(rtol).atol(atol).save_final().linsolve(linsolve).max_steps(1_000_000);
                each_method!(alg in [Rodas5P, Bdf] {
                    let sol = solve(&RobertsonDae::new(), alg, (0.0, t1), &y0, &K, &o).unwrap();
                    let y = sol.last().unwrap().1;
                    let err = scaled_error(y, &want, rtol, atol);
                    println!("{alg} {problem} {rtol:e} {linsolve:?}: scaled error {err:.2}, {:?}", sol.stats);
                    assert!(err < 10.0, "{alg} on {problem} at {rtol:e}: scaled error {err}");
                    assert!((y.iter().sum::<f64>() - 1.0).abs() < 1e-12, "the algebraic equation holds");
                });
            }
        }
    }
}

/// An inconsistent algebraic start (y₃ = 0.5 with y₁ + y₂ = 1) is made
/// consistent before the first step: the saved first state satisfies the
/// constraint and the end state is the consistent start's.
#[test]
fn an_inconsistent_start_is_made_consistent() {
    let o = Options::default().rtol(1e-8).atol(1e-12);
    let bad = solve(&RobertsonDae::new(), Rodas5P, (0.0, 40.0), &[1.0, 0.0, 0.5], &K, &o).unwrap();
    assert_eq!(bad.state(0), &[1.0, 0.0, 0.0]);
    let good = solve(&RobertsonDae::new(), Rodas5P, (0.0, 40.0), &[1.0, 0.0, 0.0], &K, &o).unwrap();
    assert_eq!(bad.last().unwrap().1, good.last().unwrap().1);
}

/// Sensitivities through the DAE: ∂y(40)/∂k₁ by one dual solve against
/// central differences of f64 solves, and ∂y₃/∂k₁ = −∂(y₁ + y₂)/∂k₁ (the
/// constraint differentiated).
#[test]
fn sensitivities_through_the_dae() {
    let o = Options::default().rtol(1e-10).atol(1e-14).save_final();
    let y0 = [1.0, 0.0, 0.0];
    each_method!(alg in [Rodas5P, Bdf] {
        let p = [Dual64::from(K[0]).derivative(), Dual64::from(K[1]), Dual64::from(K[2])];
        let y0d = y0.map(Dual64::from);
        let s = solve_dual(&RobertsonDae::new(), alg, (0.0, 40.0), &y0d, &p, &o).unwrap();
        let y = s.last().unwrap().1.to_vec();
        // A step where the solver's own noise (≈1e-14 absolute) is far
        // below the difference and the truncation ((h/k₁)² ≈ 6e-6) small.
        let h = 1e-4;
        let at = |k1: f64| solve(&RobertsonDae::new(), alg, (0.0, 40.0), &y0, &[k1, K[1], K[2]], &o).unwrap().last().unwrap().1.to_vec();
        let (plus, minus) = (at(K[0] + h), at(K[0] - h));
        for i in 0..3 {
            let fd = (plus[i] - minus[i]) / (2.0 * h);
            assert!((y[i].eps - fd).abs() <= 1e-4 * fd.abs(), "{alg} [{i}]: {} vs {fd}", y[i].eps);
        }
        assert!((y[0].eps + y[1].eps + y[2].eps).abs() < 1e-10, "{alg}");
    });
}

/// No consistent state (0 = y₃² + 1), a mass of the wrong size or with a
/// NaN, and methods that cannot take a mass matrix: typed errors.
#[test]
fn bad_mass_matrices_and_unsolvable_constraints_are_typed_errors() {
    struct Impossible;
    impl OdeSystem for Impossible {
        type Dim = Const<2>;
        fn dim(&self) -> Const<2> {
            Const
        }
        fn n_params(&self) -> usize {
            0
        }
        fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, _p: &[D], dy: &mut SVector<D, 2>) {
            dy[0] = -y[0];
            dy[1] = y[1] * y[1] + 1.0;
        }
        fn mass(&self) -> Option<MassMatrix> {
            Some(MassMatrix::Diagonal(vec![1.0, 0.0]))
        }
    }
    let o = Options::default();
    for e in [
        solve(&Impossible, Rodas5P, (0.0, 1.0), &[1.0, 0.0], &[], &o).unwrap_err(),
        solve(&Impossible, Bdf, (0.0, 1.0), &[1.0, 0.0], &[], &o).unwrap_err(),
    ] {
        assert!(matches!(e, Error::InconsistentInitialState { component: 1, .. }), "{e}");
    }
    let short = RobertsonDae { mass: vec![1.0, 0.0] };
    let e = solve(&short, Rodas5P, (0.0, 1.0), &[1.0, 0.0, 0.0], &K, &o).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { what: "mass matrix diagonal", .. }), "{e}");
    let nan = RobertsonDae { mass: vec![1.0, f64::NAN, 0.0] };
    let e = solve(&nan, Bdf, (0.0, 1.0), &[1.0, 0.0, 0.0], &K, &o).unwrap_err();
    assert!(matches!(e, Error::NonFinite { what: "mass matrix", .. }), "{e}");
    let e = solve(&RobertsonDae::new(), Tsit5, (0.0, 1.0), &[1.0, 0.0, 0.0], &K, &o).unwrap_err();
    assert!(matches!(e, Error::InvalidOption { name: "mass", .. }), "{e}");
    let e = solve(&RobertsonDae::new(), odeon::Kvaerno5, (0.0, 1.0), &[1.0, 0.0, 0.0], &K, &o).unwrap_err();
    assert!(matches!(e, Error::InvalidOption { name: "mass", .. }), "{e}");
}

/// The heat equation `u_t = u_xx` on (0, 1), u = 0 at both ends, by linear
/// finite elements on `n` interior nodes: `M u' = −K u` with the consistent
/// mass `M = h/6 tridiag(1, 4, 1)` and `K = 1/h tridiag(−1, 2, −1)`.
/// `sin(πx_i)` is an exact eigenvector of both, so `u_i(t) = e^{−λt}
/// sin(πx_i)` with `λ = 6(1 − cos πh) / (h²(2 + cos πh))` solves the
/// semi-discrete system exactly.
struct HeatFem {
    n: usize,
}

impl HeatFem {
    fn h(&self) -> f64 {
        1.0 / (self.n + 1) as f64
    }
    fn lambda(&self) -> f64 {
        let (h, c) = (self.h(), (std::f64::consts::PI * self.h()).cos());
        6.0 * (1.0 - c) / (h * h * (2.0 + c))
    }
    fn mode(&self) -> Vec<f64> {
        (1..=self.n).map(|i| (std::f64::consts::PI * i as f64 * self.h()).sin()).collect()
    }
}

impl OdeSystem for HeatFem {
    type Dim = Dyn;
    fn dim(&self) -> Dyn {
        Dyn(self.n)
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, _t: D, u: &State<D, Dyn>, _p: &[D], du: &mut State<D, Dyn>) {
        let k = 1.0 / self.h();
        for i in 0..self.n {
            let left = if i > 0 { u[i - 1] } else { D::from(0.0) };
            let right = if i + 1 < self.n { u[i + 1] } else { D::from(0.0) };
            du[i] = (left + right - u[i] * 2.0) * k;
        }
    }
    fn mass(&self) -> Option<MassMatrix> {
        let m = self.h() / 6.0;
        let mut e = Vec::new();
        for i in 0..self.n {
            e.push((i, i, 4.0 * m));
            if i > 0 {
                e.push((i, i - 1, m));
                e.push((i - 1, i, m));
            }
        }
        Some(MassMatrix::Sparse(e))
    }
}

/// The FEM heat equation with its sparse consistent mass matrix against
/// the exact modal solution at t = 0.1, dense and sparse (banded) linear
/// algebra, Rodas5P and BDF: within 10 scaled units.
#[test]
fn a_sparse_mass_matrix_heat_equation_against_its_modal_solution() {
    let fem = HeatFem { n: 150 };
    let u0 = fem.mode();
    let decay = (-fem.lambda() * 0.1).exp();
    let want: Vec<f64> = u0.iter().map(|v| v * decay).collect();
    let (rtol, atol) = (1e-8, 1e-10);
    for linsolve in [Linsolve::Dense, Linsolve::Sparse] {
        let o = Options::default().rtol(rtol).atol(atol).save_final().linsolve(linsolve);
        each_method!(alg in [Rodas5P, Bdf] {
            let sol = solve(&fem, alg, (0.0, 0.1), &u0, &[], &o).unwrap();
            let err = scaled_error(sol.last().unwrap().1, &want, rtol, atol);
            println!("{alg} {linsolve:?}: scaled error {err:.2}, {:?}", sol.stats);
            assert!(err < 10.0, "{alg} {linsolve:?}: scaled error {err}");
        });
    }
}

/// Mass entries outside the matrix, and a zero row whose column is not
/// zero (not semi-explicit), are typed errors.
#[test]
fn malformed_sparse_mass_matrices_are_refused() {
    struct Bad(Vec<(usize, usize, f64)>);
    impl OdeSystem for Bad {
        type Dim = Const<2>;
        fn dim(&self) -> Const<2> {
            Const
        }
        fn n_params(&self) -> usize {
            0
        }
        fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, _p: &[D], dy: &mut SVector<D, 2>) {
            dy[0] = -y[0];
            dy[1] = y[0] - y[1];
        }
        fn mass(&self) -> Option<MassMatrix> {
            Some(MassMatrix::Sparse(self.0.clone()))
        }
    }
    let o = Options::default();
    for entries in [vec![(0, 0, 1.0), (2, 1, 1.0)], vec![(0, 0, 1.0), (0, 1, 1.0)]] {
        let e = solve(&Bad(entries), Rodas5P, (0.0, 1.0), &[1.0, 0.0], &[], &o).unwrap_err();
        assert!(matches!(e, Error::InvalidOption { name: "mass", .. }), "{e}");
    }
}

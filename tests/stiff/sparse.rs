//! Large stiff systems: the sparse path (traced pattern, colored dual
//! Jacobian, sparse LU) against the dense one and against references.

use super::rosenbrock::scaled_error;
use nalgebra::Dyn;
use num_dual::Dual64;
use odeon::integrate::sparsity;
use odeon::models::{Brusselator1D, Brusselator2D};
use odeon::{Algorithm, Bdf, DualScalar, Linsolve, OdeSystem, Options, Rodas5P, State, solve, solve_dual};

fn bruss1d_reference() -> (f64, Vec<f64>) {
    let v: serde_json::Value = serde_json::from_str(include_str!("../data/bruss1d_reference.json")).unwrap();
    (v["t_end"].as_f64().unwrap(), crate::common::floats(&v["y_end"]))
}

fn end<A: Algorithm>(
    m: A,
    system: &impl OdeSystem<Dim = Dyn>,
    y0: &[f64],
    p: &[f64],
    t1: f64,
    o: &Options,
) -> Vec<f64> {
    solve(system, m, (0.0, t1), y0, p, o).unwrap().last().unwrap().1.to_vec()
}

/// Sparse and dense linear algebra take the same steps up to rounding:
/// their end states agree to 1e-10 (relative) on systems small enough
/// for both, for a Rosenbrock, a BDF and an ESDIRK method — the 1-D
/// Brusselator (banded: the band LU) and the periodic 2-D one (faer's
/// sparse LU) — with the Jacobian's colors near the optimum.
#[test]
fn sparse_and_dense_paths_agree() {
    fn agree(m: &impl OdeSystem<Dim = Dyn>, y0: &[f64], p: &[f64], max_colors: usize) {
        let base = Options::default().rtol(1e-8).atol(1e-10).save_final();
        each_method!(alg in [Rodas5P, Bdf, Kvaerno5] {
            let dense = end(alg, m, y0, p, 1.0, &base.clone().linsolve(Linsolve::Dense));
            let sparse = solve(m, alg, (0.0, 1.0), y0, p, &base.clone().linsolve(Linsolve::Sparse)).unwrap();
            let colors = sparse.stats.jac_colors;
            assert!(colors > 0 && colors <= max_colors, "{alg}: {:?}", sparse.stats);
            let worst = sparse.last().unwrap().1.iter().zip(&dense).map(|(a, b)| (a - b).abs() / b.abs()).fold(0.0, f64::max);
            assert!(worst < 1e-10, "{alg}: sparse and dense differ by {worst:e}");
        });
    }
    let m1 = Brusselator1D::new(40).unwrap();
    agree(&m1, &m1.initial_state(), &Brusselator1D::PARAMS, 5);
    let m2 = Brusselator2D::new(6).unwrap();
    agree(&m2, &m2.initial_state(), &Brusselator2D::PARAMS, 12);
}

/// Hairer's bruss1d (N = 500, 1000 states) to t = 10 against Radau at
/// 1e-12: within 10 scaled units, with the sparse path chosen by `Auto`.
#[test]
fn bruss1d_against_the_reference() {
    let m = Brusselator1D::new(500).unwrap();
    let (t1, want) = bruss1d_reference();
    let y0 = m.initial_state();
    for (rtol, atol) in [(1e-6, 1e-6), (1e-8, 1e-8)] {
        let o = Options::default().rtol(rtol).atol(atol).save_final();
        each_method!(alg in [Rodas5P, Bdf] {
            let sol = solve(&m, alg, (0.0, t1), &y0, &Brusselator1D::PARAMS, &o).unwrap();
            let err = scaled_error(sol.last().unwrap().1, &want, rtol, atol);
            println!("{alg} at {rtol:e}: scaled error {err:.2}, {:?}", sol.stats);
            assert!(sol.stats.jac_colors > 0, "Auto chose the sparse path");
            assert!(err < 10.0, "{alg} at {rtol:e}: scaled error {err}");
        });
    }
}

/// The traced pattern of the 2-D Brusselator is the 5-point stencil of
/// each species plus the local coupling, and its coloring stays within a
/// small factor of the optimum (the stencil needs at least 6 colors: a
/// row holds 6 columns).
#[test]
fn bruss2d_pattern_and_colors() {
    let m = Brusselator2D::new(32).unwrap();
    let y0 = m.initial_state();
    let pattern = sparsity(&m, 0.0, &y0, &Brusselator2D::PARAMS).unwrap();
    assert_eq!(pattern.nnz(), 2 * 32 * 32 * 6);
    let c = odeon::integrate::linalg::Coloring::greedy(&pattern);
    assert!(c.is_valid(&pattern));
    assert!((6..=12).contains(&c.n_colors), "{} colors", c.n_colors);
}

/// Exact sensitivities through sparse solves: ∂y(t)/∂α by a dual solve
/// equal the dense path's, and central differences of f64 solves at a
/// tight tolerance.
#[test]
fn sensitivities_through_the_sparse_path() {
    let m = Brusselator1D::new(30).unwrap();
    let y0 = m.initial_state();
    let o = Options::default().rtol(1e-10).atol(1e-12).save_final();
    let at = |alpha: f64| [1.0, 3.0, alpha];
    let alpha = 0.02;
    each_method!(alg in [Rodas5P, Bdf] {
        let dual = |ls: Linsolve| {
            let p = [Dual64::from(1.0), Dual64::from(3.0), Dual64::from(alpha).derivative()];
            let y0d: Vec<Dual64> = y0.iter().map(|&v| Dual64::from(v)).collect();
            let s = solve_dual(&m, alg, (0.0, 2.0), &y0d, &p, &o.clone().linsolve(ls)).unwrap();
            s.last().unwrap().1.to_vec()
        };
        let (sparse, dense) = (dual(Linsolve::Sparse), dual(Linsolve::Dense));
        let h = 1e-5;
        let plus = end(alg, &m, &y0, &at(alpha + h), 2.0, &o);
        let minus = end(alg, &m, &y0, &at(alpha - h), 2.0, &o);
        for i in 0..y0.len() {
            let fd = (plus[i] - minus[i]) / (2.0 * h);
            assert!((sparse[i].eps - dense[i].eps).abs() <= 1e-8 * dense[i].eps.abs().max(1.0), "{alg} [{i}]");
            assert!((sparse[i].eps - fd).abs() <= 1e-5 * fd.abs().max(1.0), "{alg} [{i}]: {} vs {fd}", sparse[i].eps);
        }
    });
}

/// `y_i' = −y_i`, and from `t = 1` on also `+ 0.5 y_{i+1}` — a branch on
/// time that no probe at `t = 0` takes.
struct Switching {
    n: usize,
}

impl OdeSystem for Switching {
    type Dim = Dyn;
    fn dim(&self) -> Dyn {
        Dyn(self.n)
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, t: D, y: &State<D, Dyn>, _p: &[D], dy: &mut State<D, Dyn>) {
        for i in 0..self.n {
            dy[i] = -y[i];
            if t.re() >= 1.0 && i % 2 == 0 {
                dy[i] += y[(i + 1) % self.n] * 0.5;
            }
        }
    }
}

/// A dependency no probe saw grows the pattern when it appears (counted in
/// the statistics), and the solution is the dense path's.
#[test]
fn a_missed_dependency_grows_the_pattern() {
    let m = Switching { n: 8 };
    let y0: Vec<f64> = (0..8).map(|i| 1.0 + i as f64).collect();
    let o = Options::default().rtol(1e-9).atol(1e-12).save_final();
    let sparse = solve(&m, Rodas5P, (0.0, 2.0), &y0, &[], &o.clone().linsolve(Linsolve::Sparse)).unwrap();
    let dense = solve(&m, Rodas5P, (0.0, 2.0), &y0, &[], &o.clone().linsolve(Linsolve::Dense)).unwrap();
    assert!(sparse.stats.pattern_growths >= 1, "{:?}", sparse.stats);
    for (a, b) in sparse.last().unwrap().1.iter().zip(dense.last().unwrap().1) {
        assert!((a - b).abs() <= 1e-8 * b.abs(), "{a} vs {b}");
    }
}

/// A given pattern is used as given, and a bad one is a typed error.
#[test]
fn a_user_pattern_is_accepted_and_checked() {
    let m = Brusselator1D::new(10).unwrap();
    let y0 = m.initial_state();
    let n = y0.len();
    let full: Vec<(usize, usize)> = (0..n).flat_map(|r| (0..n).map(move |c| (r, c))).collect();
    let o = Options::default().linsolve(Linsolve::Sparse).save_final();
    let sol = solve(&m, Bdf, (0.0, 1.0), &y0, &Brusselator1D::PARAMS, &o.clone().jac_pattern(full)).unwrap();
    assert_eq!(sol.stats.jac_colors, n, "a dense pattern takes one color per column");
    let bad = o.jac_pattern(vec![(0, n)]);
    let e = solve(&m, Bdf, (0.0, 1.0), &y0, &Brusselator1D::PARAMS, &bad).unwrap_err();
    assert!(e.to_string().contains("outside"), "{e}");
}

/// An empty Jacobian (no state depends on any other) is a diagonal
/// pattern, one color, and `W = shift·I` regular.
#[test]
fn tiny_and_degenerate_systems() {
    struct Zero;
    impl OdeSystem for Zero {
        type Dim = Dyn;
        fn dim(&self) -> Dyn {
            Dyn(3)
        }
        fn n_params(&self) -> usize {
            0
        }
        fn rhs<D: DualScalar>(&self, _t: D, _y: &State<D, Dyn>, _p: &[D], dy: &mut State<D, Dyn>) {
            dy.fill(D::from(0.0));
        }
    }
    let o = Options::default().linsolve(Linsolve::Sparse).save_final();
    let sol = solve(&Zero, Rodas5P, (0.0, 1.0), &[1.0, 2.0, 3.0], &[], &o).unwrap();
    assert_eq!(sol.last().unwrap().1, &[1.0, 2.0, 3.0]);
    assert_eq!(sol.stats.jac_colors, 1);
}

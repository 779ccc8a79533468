//! The Krylov path (GMRES preconditioned by algebraic multigrid) against
//! the sparse LU, whose own agreement with the dense path is tested in
//! `sparse.rs`; and `Auto`'s choice between them.

use nalgebra::Dyn;
use num_dual::Dual64;
use odeon::fem::{HeatConduction, Quad8Mesh};
use odeon::models::{Brusselator2D, Brusselator3D};
use odeon::{Algorithm, Bdf, Linsolve, OdeSystem, Options, Solution, solve, solve_dual};

fn run<A: Algorithm>(alg: A, m: &impl OdeSystem<Dim = Dyn>, y0: &[f64], p: &[f64], o: &Options) -> Solution {
    solve(m, alg, (0.0, 1.0), y0, p, o).unwrap()
}

/// The largest difference of two end states in units of the tolerance.
fn units(a: &Solution, b: &Solution, rtol: f64, atol: f64) -> f64 {
    let (a, b) = (a.last().unwrap().1, b.last().unwrap().1);
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / (atol + rtol * y.abs())).fold(0.0, f64::max)
}

/// The largest error of an end state against a reference end state, in
/// units of the tolerance.
fn error(a: &Solution, reference: &[f64], rtol: f64, atol: f64) -> f64 {
    let a = a.last().unwrap().1;
    a.iter().zip(reference).map(|(x, y)| (x - y).abs() / (atol + rtol * y.abs())).fold(0.0, f64::max)
}

/// The Krylov solve `kr` is as accurate as the sparse LU's `lu` against
/// `reference`: the LU within 10 tolerance units, the Krylov path's error
/// at most 1.25 times the LU's plus a quarter unit. Their errors in units.
fn as_accurate(kr: &Solution, lu: &Solution, reference: &[f64], (rtol, atol): (f64, f64)) -> (f64, f64) {
    let (e_lu, e_kr) = (error(lu, reference, rtol, atol), error(kr, reference, rtol, atol));
    assert!(e_lu < 10.0 && e_kr <= 1.25 * e_lu + 0.25, "errors LU {e_lu}, Krylov {e_kr} units");
    (e_lu, e_kr)
}

/// The same problem solved with the Krylov path and with the sparse LU,
/// in about the same steps, is as accurate against a reference solution
/// (the LU at a 10⁵ times tighter tolerance). Rosenbrock's stage solves
/// are exact to 1e-10, so its two paths end at the same state; BDF's and
/// ESDIRK's Newton corrections are solved only to 5% of Newton's
/// tolerance (an inexact Newton method, as CVODE's), so their end states
/// differ by up to the global error itself, neither systematically worse
/// (measured: BDF 2.6 against the LU's 3.7 units; before the Newton
/// target, at a thousandth of the residual, 3.7 and 3.7; since steps that
/// would grow by less than half are kept, 2.1 and 2.3).
#[test]
fn krylov_and_lu_paths_agree() {
    let m = Brusselator2D::new(16).unwrap();
    let y0 = m.initial_state();
    let (rtol, atol) = (1e-7, 1e-9);
    let base = Options::default().rtol(rtol).atol(atol).save_final();
    let tight = base.clone().rtol(1e-12).atol(1e-14).linsolve(Linsolve::Sparse);
    let reference = run(Bdf, &m, &y0, &Brusselator2D::PARAMS, &tight).last().unwrap().1.to_vec();
    each_method!(alg in [Rodas5P, Bdf, Kvaerno5] {
        let lu = run(alg, &m, &y0, &Brusselator2D::PARAMS, &base.clone().linsolve(Linsolve::Sparse));
        let kr = run(alg, &m, &y0, &Brusselator2D::PARAMS, &base.clone().linsolve(Linsolve::Krylov));
        assert!(kr.stats.krylov_iters > 0 && lu.stats.krylov_iters == 0);
        let (diff, (e_lu, e_kr)) = (units(&kr, &lu, rtol, atol), as_accurate(&kr, &lu, &reference, (rtol, atol)));
        println!("{alg}: {diff:.2e} units apart, errors LU {e_lu:.2} Krylov {e_kr:.2}; LU {:?}; Krylov {:?}", lu.stats, kr.stats);
        if alg.name() == "Rodas5P" {
            assert!(diff < 1e-3, "{alg}: Krylov and LU differ by {diff} units");
        }
        assert!(kr.stats.accepted.abs_diff(lu.stats.accepted) * 20 <= lu.stats.accepted, "{alg}");
    });
}

/// Exact sensitivities through the Krylov path: ∂y/∂α of a dual solve
/// equals the sparse LU's to the linear solves' accuracy.
#[test]
fn sensitivities_through_the_krylov_path() {
    let m = Brusselator2D::new(8).unwrap();
    let y0: Vec<Dual64> = m.initial_state().iter().map(|&v| Dual64::from(v)).collect();
    let [a, b, alpha] = Brusselator2D::PARAMS;
    let p = [Dual64::from(a), Dual64::from(b), Dual64::from(alpha).derivative()];
    let o = Options::default().rtol(1e-9).atol(1e-11).save_final();
    each_method!(alg in [Rodas5P, Bdf] {
        let end = |ls: Linsolve| {
            let s = solve_dual(&m, alg, (0.0, 0.5), &y0, &p, &o.clone().linsolve(ls)).unwrap();
            s.last().unwrap().1.to_vec()
        };
        let (kr, lu) = (end(Linsolve::Krylov), end(Linsolve::Sparse));
        let scale = lu.iter().map(|v| v.eps.abs()).fold(0.0, f64::max);
        let worst = kr.iter().zip(&lu).map(|(k, l)| (k.eps - l.eps).abs()).fold(0.0, f64::max) / scale;
        println!("{alg}: ∂y/∂α differs by {worst:.1e} of its largest entry ({scale:.3e})");
        assert!(scale > 1e-5 && worst < 1e-6, "{alg}: {worst:e}");
    });
}

/// `Auto` takes the Krylov path for a large system whose `W` is not
/// symmetric (the periodic 2-D Brusselator at 1,152 and 512 states, not
/// at 288), and keeps
/// the sparse Cholesky for a symmetric positive definite one (the quad8
/// heat plate at over 1,000 temperatures), where it measured faster.
#[test]
fn auto_chooses_krylov_for_large_asymmetric_systems() {
    let m = Brusselator2D::new(24).unwrap();
    let y0 = m.initial_state();
    let base = Options::default().rtol(1e-6).atol(1e-6).save_final();
    let auto = run(Bdf, &m, &y0, &Brusselator2D::PARAMS, &base);
    let lu = run(Bdf, &m, &y0, &Brusselator2D::PARAMS, &base.clone().linsolve(Linsolve::Sparse));
    assert!(auto.stats.krylov_iters > 0, "{:?}", auto.stats);
    let tight = base.clone().rtol(1e-10).atol(1e-10).linsolve(Linsolve::Sparse);
    let reference = run(Bdf, &m, &y0, &Brusselator2D::PARAMS, &tight).last().unwrap().1.to_vec();
    as_accurate(&auto, &lu, &reference, (1e-6, 1e-6));
    // From 500 states (measured level with the LU or ahead from 288 with
    // every method, docs/benchmarks.md §12): 512 states take the Krylov
    // path, 288 the sparse LU.
    for (side, krylov) in [(16, true), (12, false)] {
        let m = Brusselator2D::new(side).unwrap();
        let sol = run(Bdf, &m, &m.initial_state(), &Brusselator2D::PARAMS, &base);
        assert_eq!(sol.stats.krylov_iters > 0, krylov, "{side}: {:?}", sol.stats);
        assert!(sol.stats.jac_colors > 0, "{side}: sparse, {:?}", sol.stats);
    }

    let mesh = Quad8Mesh::rectangle((0.0, 2.0), (0.0, 1.0), 26, 13).unwrap();
    let heat = HeatConduction::builder(mesh).fixed_temperature("left", 0.0).heat_flux("top").build().unwrap();
    assert!(heat.n_states() >= 1_000);
    let y0 = vec![0.0; heat.n_states()];
    let sol = solve(&heat, Bdf, (0.0, 0.05), &y0, &[1.0, 1.0, 0.5], &base).unwrap();
    assert!(sol.stats.jac_colors > 0 && sol.stats.krylov_iters == 0, "{:?}", sol.stats);
}

/// With a mass matrix (`W = shift·M − J`, the quad8 heat plate's
/// consistent mass): the Krylov path ends where the sparse Cholesky does,
/// and carries ∂T/∂κ alike.
#[test]
fn krylov_with_a_mass_matrix() {
    let mesh = Quad8Mesh::rectangle((0.0, 2.0), (0.0, 1.0), 16, 8).unwrap();
    let heat = HeatConduction::builder(mesh).fixed_temperature("left", 0.0).heat_flux("top").build().unwrap();
    let n = heat.n_states();
    let o = Options::default().rtol(1e-7).atol(1e-9).save_final();
    let y0 = vec![Dual64::from(0.0); n];
    let p = [Dual64::from(1.0).derivative(), Dual64::from(1.0), Dual64::from(0.5)];
    let end = |ls: Linsolve| {
        let s = solve_dual(&heat, Bdf, (0.0, 1.0), &y0, &p, &o.clone().linsolve(ls)).unwrap();
        (s.stats, s.last().unwrap().1.to_vec())
    };
    let ((sk, kr), (sc, ch)) = (end(Linsolve::Krylov), end(Linsolve::Sparse));
    assert!(sk.krylov_iters > 0 && sc.krylov_iters == 0);
    let scale = |f: fn(&Dual64) -> f64| ch.iter().map(|v| f(v).abs()).fold(0.0, f64::max);
    let (re, eps) = (scale(|v| v.re), scale(|v| v.eps));
    for (k, c) in kr.iter().zip(&ch) {
        assert!((k.re - c.re).abs() <= 0.05 * (1e-9 + 1e-7 * c.re.abs()), "{} vs {}", k.re, c.re);
        assert!((k.eps - c.eps).abs() <= 1e-6 * eps, "{} vs {}", k.eps, c.eps);
    }
    assert!(re > 0.1 && eps > 0.01, "{re} {eps}");
}

/// The 3-D Brusselator (7-point stencil, 2,000 states): the Krylov path
/// is as accurate as the sparse LU.
#[test]
fn krylov_in_three_dimensions() {
    let m = Brusselator3D::new(10).unwrap();
    let y0 = m.initial_state();
    let base = Options::default().rtol(1e-6).atol(1e-6).save_final();
    let lu = run(Bdf, &m, &y0, &Brusselator3D::PARAMS, &base.clone().linsolve(Linsolve::Sparse));
    let kr = run(Bdf, &m, &y0, &Brusselator3D::PARAMS, &base.clone().linsolve(Linsolve::Krylov));
    assert!(kr.stats.krylov_iters > 0 && lu.stats.jac_colors > 0);
    // 100 times tighter: its error a few hundredths of the tested ones.
    let tight = base.clone().rtol(1e-8).atol(1e-8).linsolve(Linsolve::Sparse);
    let reference = run(Bdf, &m, &y0, &Brusselator3D::PARAMS, &tight).last().unwrap().1.to_vec();
    as_accurate(&kr, &lu, &reference, (1e-6, 1e-6));
}

//! Adaptive methods against reference solutions (scipy DOP853 at 1e-13,
//! cross-checked with diffrax Dopri8 at 1e-14; tests/data/reference.json),
//! work counts against scipy's, and pinned work counts.

use crate::common::{floats, max_abs_diff, reference, slope};
use odeon::models::{Lorenz, LotkaVolterra, VanDerPol};
use odeon::{Algorithm, OdeSystem, Options, Solution, solve};

fn run<S: OdeSystem<Dim = nalgebra::Const<N>>, A: Algorithm, const N: usize>(
    s: &S,
    m: A,
    t_end: f64,
    y0: &[f64],
    p: &[f64],
    tol: f64,
) -> Solution {
    let opts = Options::default().rtol(tol).atol(tol).save_final();
    solve(s, m, (0.0, t_end), y0, p, &opts).unwrap()
}

fn vdp_error(m: impl Algorithm, tol: f64) -> (f64, Solution) {
    let r = reference();
    let v = &r["van_der_pol"];
    let sol = run(&VanDerPol, m, v["t_end"].as_f64().unwrap(), &floats(&v["y0"]), &[v["mu"].as_f64().unwrap()], tol);
    (max_abs_diff(sol.last().unwrap().1, &floats(&v["y_end"])), sol)
}

fn lorenz_error(m: impl Algorithm, tol: f64) -> (f64, Solution) {
    let r = reference();
    let v = &r["lorenz"];
    let p = [v["sigma"].as_f64().unwrap(), v["rho"].as_f64().unwrap(), v["beta"].as_f64().unwrap()];
    let sol = run(&Lorenz, m, v["t_end"].as_f64().unwrap(), &floats(&v["y0"]), &p, tol);
    (max_abs_diff(sol.last().unwrap().1, &floats(&v["y_end"])), sol)
}

#[test]
fn van_der_pol_at_1e8_is_within_1e5() {
    each_method!(m in [Bs3, Dopri5, Tsit5, Dop853] {
        let (err, _) = vdp_error(m, 1e-8);
        assert!(err < 1e-5, "{}: error {err:e}", m.name());
    });
}

#[test]
fn lotka_volterra_matches_reference_at_two_times() {
    let r = reference();
    let v = &r["lotka_volterra"];
    let p: Vec<f64> = ["a", "b", "c", "d"].iter().map(|k| v["params"][k].as_f64().unwrap()).collect();
    each_method!(m in [Dopri5, Tsit5, Dop853] {
        let opts = Options::default().rtol(1e-10).atol(1e-10).t_eval(vec![5.0, 10.0]);
        let sol = solve(&LotkaVolterra, m, (0.0, 10.0), &floats(&v["y0"]), &p, &opts).unwrap();
        assert!(max_abs_diff(sol.state(0), &floats(&v["y_t5"])) < 1e-7, "{} at t = 5", m.name());
        assert!(max_abs_diff(sol.state(1), &floats(&v["y_t10"])) < 1e-7, "{} at t = 10", m.name());
    });
}

#[test]
fn error_scales_with_tolerance() {
    let tols = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10];
    each_method!(m in [Dopri5, Tsit5, Dop853] {
        let errs: Vec<f64> = tols.iter().map(|&tol| vdp_error(m, tol).0).collect();
        let s = slope(&tols, &errs);
        assert!((0.7..=1.3).contains(&s), "{}: error ~ tol^{s:.2}: {errs:?}", m.name());
        // And the error stays within a modest multiple of the tolerance.
        for (tol, err) in tols.iter().zip(&errs) {
            assert!(*err < 100.0 * tol, "{}: error {err:e} at tol {tol:e}", m.name());
        }
    });
}

/// Dopri5 and Dop853 do no more work than scipy's RK45 and DOP853 (within
/// 10%) for equal or better accuracy, on scipy's own workloads.
#[test]
fn as_efficient_as_scipy() {
    let r = reference();
    for w in r["scipy_work_counts"].as_array().unwrap() {
        match w["method"].as_str().unwrap() {
            "RK45" => compare_with_scipy(odeon::Dopri5, w),
            "DOP853" => compare_with_scipy(odeon::Dop853, w),
            other => panic!("unexpected {other}"),
        }
    }
}

/// One row of scipy's work counts against `method`.
fn compare_with_scipy(method: impl Algorithm, w: &serde_json::Value) {
    let tol = w["rtol"].as_f64().unwrap();
    let (err, sol) = match w["problem"].as_str().unwrap() {
        "vanderpol" => vdp_error(method, tol),
        "lorenz" => lorenz_error(method, tol),
        other => panic!("unexpected {other}"),
    };
    let (nfev, scipy_err) = (w["nfev"].as_u64().unwrap() as f64, w["err_final_maxabs"].as_f64().unwrap());
    let label = format!("{} on {} at {tol:e}", method.name(), w["problem"]);
    // `cargo test --release --test integrate -- --nocapture as_efficient` prints the table for the docs.
    println!(
        "| {} | {tol:e} | {} | {} | {nfev} | {} | {scipy_err:.2e} | {err:.2e} |",
        w["problem"].as_str().unwrap(),
        w["method"].as_str().unwrap(),
        method.name(),
        sol.stats.rhs_evals,
    );
    assert!(sol.stats.rhs_evals as f64 <= 1.1 * nfev, "{label}: {} evaluations, scipy {nfev}", sol.stats.rhs_evals);
    assert!(err <= scipy_err * 1.01, "{label}: error {err:e}, scipy {scipy_err:e}");
}

/// Work counts pinned so that an accidental change in efficiency shows.
/// If a deliberate change moves them, update the numbers and say why.
#[test]
fn pinned_work_counts() {
    let (_, vdp) = vdp_error(odeon::Dopri5, 1e-8);
    let (_, lorenz) = lorenz_error(odeon::Dop853, 1e-8);
    let got = [
        (vdp.stats.accepted, vdp.stats.rejected, vdp.stats.rhs_evals),
        (lorenz.stats.accepted, lorenz.stats.rejected, lorenz.stats.rhs_evals),
    ];
    assert_eq!(got, [(351, 12, 2180), (199, 49, 2928)]);
}

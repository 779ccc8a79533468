//! Exact sensitivities through Rosenbrock steps: the dual solve takes the
//! `f64` solve's steps (bit-identical real parts), its derivatives match
//! central differences of the solver with the same steps, and second order
//! works through the nested-dual Jacobians.

use odeon::integrate::solve_dual;
use odeon::models::{Robertson, StiffVanDerPol};
use odeon::scalar::InlineDual64;
use odeon::sensitivity::{SumOfSquares, Wrt, gradient_hessian, solve_sensitivities_chunked};
use odeon::{Algorithm, Options, Rodas5P, Rosenbrock23, solve};

#[test]
fn dual_solve_takes_the_f64_steps() {
    let opts = Options::default().rtol(1e-6).atol(1e-10);
    let p = Robertson::PARAMS;
    let seeded: Vec<InlineDual64<3>> =
        p.iter().enumerate().map(|(i, &v)| InlineDual64::<3>::from_re(v).derivative(i)).collect();
    let y0: Vec<InlineDual64<3>> = Robertson::Y0.iter().map(|&v| InlineDual64::from_re(v)).collect();
    each_method!(m in [Rosenbrock23, Rodas4P, Rodas5P] {
        let plain = solve(&Robertson, m, (0.0, 1e4), &Robertson::Y0, &p, &opts).unwrap();
        let dual = solve_dual(&Robertson, m, (0.0, 1e4), &y0, &seeded, &opts).unwrap();
        assert_eq!(dual.t, plain.t, "{m}: different steps");
        assert_eq!(dual.stats, plain.stats, "{m}");
        for (a, b) in dual.y.iter().zip(&plain.y) {
            assert_eq!(a.re, *b, "{m}: real parts differ");
        }
    });
}

/// Central differences of fixed-step solves against the dual solve, each
/// column relative to its largest entry.
fn check_against_differences<S: odeon::OdeSystem, A: Algorithm>(
    system: &S,
    method: A,
    steps: Options,
    y0: &[f64],
    p: &[f64],
    t_span: (f64, f64),
    tol: f64,
) where
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<S::Dim>,
{
    let opts = steps.t_eval(vec![t_span.0 + 0.25 * (t_span.1 - t_span.0), t_span.1]);
    let wrt = Wrt::all(system);
    let np = p.len();
    let s = solve_sensitivities_chunked::<_, _, 6>(system, method, t_span, y0, p, &wrt, &opts).unwrap();
    for c in 0..wrt.len() {
        let base = if c < np { p[c] } else { y0[c - np] };
        // Central differences, Richardson-extrapolated (error O(h⁴)): the
        // iteration matrix is ill-conditioned (‖J‖ ~ 1/ε), so a step small
        // enough for plain differences drowns in rounding.
        let central = |h: f64| {
            let shifted = |sign: f64| {
                let (mut pp, mut yy) = (p.to_vec(), y0.to_vec());
                if c < np {
                    pp[c] += sign * h;
                } else {
                    yy[c - np] += sign * h;
                }
                solve(system, method, t_span, &yy, &pp, &opts).unwrap()
            };
            let (plus, minus) = (shifted(1.0), shifted(-1.0));
            (0..2)
                .map(|i| (0..y0.len()).map(|j| (plus.state(i)[j] - minus.state(i)[j]) / (2.0 * h)).collect())
                .collect()
        };
        let h = 1e-3 * base.abs().max(1e-3);
        let (coarse, fine): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (central(h), central(h / 2.0));
        for i in 0..2 {
            let col = s.jacobians[i].column(c);
            let scale = col.amax();
            for j in 0..y0.len() {
                let fd = (4.0 * fine[i][j] - coarse[i][j]) / 3.0;
                assert!(
                    (fd - col[j]).abs() <= tol * scale,
                    "{}: time {i} component {j}: fd {fd} dual {}",
                    wrt[c],
                    col[j]
                );
            }
        }
    }
}

#[test]
fn robertson_rate_constants_match_differences_of_the_same_steps() {
    // Fixed steps small enough for the initial transient (time scale ~5e-4).
    check_against_differences(
        &Robertson,
        Rodas5P,
        Options::default().dt(1e-4),
        &Robertson::Y0,
        &Robertson::PARAMS,
        (0.0, 1.0),
        1e-7,
    );
}

#[test]
fn stale_jacobians_of_a_w_method_keep_the_derivatives_exact() {
    // Rosenbrock23 reusing each Jacobian for 3 steps: the dual solve keeps
    // the stale Jacobian's derivative parts, so it still differentiates
    // the discrete solution exactly.
    let steps = Options::default().dt(1e-4).max_jacobian_age(3);
    check_against_differences(&Robertson, Rosenbrock23, steps, &Robertson::Y0, &Robertson::PARAMS, (0.0, 1.0), 1e-7);
}

#[test]
fn stiff_van_der_pol_matches_differences_of_the_same_steps() {
    // eps = 1e-3 keeps the fixed-step solution close to the true one.
    check_against_differences(
        &StiffVanDerPol,
        Rodas5P,
        Options::default().dt(1e-3),
        &StiffVanDerPol::Y0,
        &[1e-3],
        (0.0, 0.5),
        1e-7,
    );
}

#[test]
fn hessian_of_a_fit_objective_through_rodas5p() {
    let ts: Vec<f64> = (1..=8).map(|i| 0.125 * i as f64).collect();
    // Fixed steps: the differences of the gradient see the same steps.
    let opts = Options::default().dt(1e-4).t_eval(ts);
    let truth = solve(&Robertson, Rodas5P, (0.0, 1.0), &Robertson::Y0, &[0.05, 2.5e7, 1.2e4], &opts).unwrap();
    let sse = SumOfSquares::new(truth.y.clone());
    let wrt = Wrt::params(&Robertson);
    let at =
        |p: &[f64]| gradient_hessian(&Robertson, Rodas5P, (0.0, 1.0), &Robertson::Y0, p, &wrt, &sse, &opts).unwrap();
    let p = Robertson::PARAMS;
    let r = at(&p);
    assert!((&r.hessian - r.hessian.transpose()).abs().max() == 0.0);
    for c in 0..3 {
        // Richardson-extrapolated central differences of the gradient.
        let central = |h: f64| {
            let shifted = |sign: f64| {
                let mut pp = p;
                pp[c] += sign * h;
                at(&pp).gradient
            };
            (shifted(1.0) - shifted(-1.0)) / (2.0 * h)
        };
        let h = 1e-3 * p[c];
        let fd = (central(h / 2.0) * 4.0 - central(h)) / 3.0;
        let col = r.hessian.column(c);
        assert!((&fd - col).norm() < 1e-6 * col.norm(), "column {c}: fd {fd} vs {col}");
    }
}

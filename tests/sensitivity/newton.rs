//! Exact sensitivities through Newton iterations (BDF, Kvaerno5, TR-BDF2):
//! the dual solve takes the `f64` solve's steps (bit-identical real parts);
//! its derivatives — those of the step equations solved exactly — match
//! central differences of the `f64` solver run with a tight Newton
//! tolerance, and converge to the continuous sensitivities as the
//! tolerance shrinks.

use odeon::integrate::solve_dual;
use odeon::models::{Robertson, StiffVanDerPol};
use odeon::scalar::InlineDual64;
use odeon::sensitivity::{Sensitivities, Wrt, solve_sensitivities_chunked};
use odeon::{Algorithm, Bdf, Kvaerno5, OdeSystem, Options, Rodas5P, TrBdf2, solve};

#[test]
fn dual_solve_takes_the_f64_steps() {
    // Width 4 (one direction unused), the chunk width of the tests below:
    // the same stepper copies serve both.
    let opts = Options::default().rtol(1e-6).atol(1e-10);
    let p = Robertson::PARAMS;
    let seeded: Vec<InlineDual64<4>> =
        p.iter().enumerate().map(|(i, &v)| InlineDual64::<4>::from_re(v).derivative(i)).collect();
    let y0: Vec<InlineDual64<4>> = Robertson::Y0.iter().map(|&v| InlineDual64::from_re(v)).collect();
    each_method!(m in [Bdf, Kvaerno5, TrBdf2] {
        let plain = solve(&Robertson, m, (0.0, 1e4), &Robertson::Y0, &p, &opts).unwrap();
        let dual = solve_dual(&Robertson, m, (0.0, 1e4), &y0, &seeded, &opts).unwrap();
        assert_eq!(dual.t, plain.t, "{m}: different steps");
        assert_eq!((dual.stats.accepted, dual.stats.rejected), (plain.stats.accepted, plain.stats.rejected));
        for (a, b) in dual.y.iter().zip(&plain.y) {
            assert_eq!(a.re, *b, "{m}: real parts differ");
        }
        // The derivative parts cost extra iterations, not extra steps.
        assert!(dual.stats.newton_iters > plain.stats.newton_iters, "{m}");
    });
}

/// Every column of the dual-number sensitivities against Richardson-
/// extrapolated central differences of the `f64` solver, each column
/// relative to its largest entry.
fn check_against_differences<S: OdeSystem, A: Algorithm>(
    system: &S,
    method: A,
    opts: &Options,
    y0: &[f64],
    p: &[f64],
    t_span: (f64, f64),
    tol: f64,
) -> Sensitivities
where
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<S::Dim>,
{
    let wrt = Wrt::params(system);
    // One chunk width (≤ 3 directions here): each width is its own copy of
    // the stepper in the test binary.
    let s = solve_sensitivities_chunked::<_, _, 4>(system, method, t_span, y0, p, &wrt, opts).unwrap();
    for c in 0..p.len() {
        let central = |h: f64| {
            let shifted = |sign: f64| {
                let mut pp = p.to_vec();
                pp[c] += sign * h;
                solve(system, method, t_span, y0, &pp, opts).unwrap()
            };
            let (plus, minus) = (shifted(1.0), shifted(-1.0));
            (0..2)
                .map(|i| (0..y0.len()).map(|j| (plus.state(i)[j] - minus.state(i)[j]) / (2.0 * h)).collect())
                .collect::<Vec<Vec<f64>>>()
        };
        let h = 1e-3 * p[c].abs();
        let (coarse, fine) = (central(h), central(h / 2.0));
        for i in 0..2 {
            let col = s.jacobians[i].column(c);
            let scale = col.amax();
            for j in 0..y0.len() {
                let fd = (4.0 * fine[i][j] - coarse[i][j]) / 3.0;
                assert!((fd - col[j]).abs() <= tol * scale, "p{c}, time {i}, component {j}: fd {fd} dual {}", col[j]);
            }
        }
    }
    s
}

// The differences must see the dual solve's steps: an adaptive solver's
// output is not smooth in `p` below the tolerance (a step accepted at one
// `p` is rejected at the next, an order changes), so its differences are
// noise there — on VDPOL at rtol 1e-10 they scatter by 1e-4 relative for
// perturbations of 1e-5…1e-9. Steps held (mostly) constant by
// `h0 = h_max` and a tolerance the steps easily meet leave only the
// derivative of the discrete solution; a Newton tolerance of 1e-10 makes
// the `f64` solves' equations as exactly solved as the dual solve's.

#[test]
fn robertson_matches_differences_of_the_solver() {
    let opts = Options::default().rtol(1e-3).atol(1e-6).h0(1e-3).h_max(1e-3).newton_tol(1e-10);
    let opts = opts.t_eval(vec![10.0, 40.0]);
    check_against_differences(&Robertson, Bdf, &opts, &Robertson::Y0, &Robertson::PARAMS, (0.0, 40.0), 1e-6);
}

#[test]
fn stiff_van_der_pol_matches_differences_of_the_solver() {
    let opts = Options::default().rtol(1e-3).atol(1e-6).h0(1e-4).h_max(1e-4).newton_tol(1e-10);
    let opts = opts.t_eval(vec![0.25, 0.5]);
    check_against_differences(&StiffVanDerPol, Bdf, &opts, &StiffVanDerPol::Y0, &[1e-3], (0.0, 0.5), 1e-6);
}

#[test]
fn esdirk_matches_differences_of_the_same_fixed_steps() {
    // ESDIRK methods take fixed steps (`dt`): the differences see exactly
    // the dual solve's steps.
    let opts = Options::default().dt(1e-4).newton_tol(1e-10).t_eval(vec![0.25, 1.0]);
    check_against_differences(&Robertson, Kvaerno5, &opts, &Robertson::Y0, &Robertson::PARAMS, (0.0, 1.0), 1e-6);
    let opts = Options::default().dt(1e-4).newton_tol(1e-10).t_eval(vec![0.25, 0.5]);
    check_against_differences(&StiffVanDerPol, TrBdf2, &opts, &StiffVanDerPol::Y0, &[1e-3], (0.0, 0.5), 1e-6);
}

#[test]
fn sensitivities_converge_to_the_continuous_ones() {
    // The reference: Rodas5P's sensitivities at 1e-12 (the continuous
    // sensitivities to about that tolerance). BDF's discrete derivatives
    // approach them as rtol shrinks.
    let ts = vec![1.0, 40.0];
    let wrt = Wrt::params(&Robertson);
    let at = |rtol: f64| Options::default().rtol(rtol).atol(rtol * 1e-4).t_eval(ts.clone());
    let (p, y0) = (Robertson::PARAMS, Robertson::Y0);
    let truth =
        solve_sensitivities_chunked::<_, _, 4>(&Robertson, Rodas5P, (0.0, 40.0), &y0, &p, &wrt, &at(1e-12)).unwrap();
    let mut errors = Vec::new();
    for rtol in [1e-5, 1e-7, 1e-9] {
        let s = solve_sensitivities_chunked::<_, _, 4>(&Robertson, Bdf, (0.0, 40.0), &y0, &p, &wrt, &at(rtol)).unwrap();
        let err = (0..2)
            .flat_map(|i| {
                let (a, b) = (&s.jacobians[i], &truth.jacobians[i]);
                (0..3).map(move |c| (a.column(c) - b.column(c)).amax() / b.column(c).amax())
            })
            .fold(0.0, f64::max);
        errors.push(err);
    }
    println!("relative errors at rtol 1e-5, 1e-7, 1e-9: {errors:?}");
    assert!(errors[0] > errors[1] && errors[1] > errors[2], "{errors:?}");
    assert!(errors[2] < 1e-6, "{errors:?}");
}

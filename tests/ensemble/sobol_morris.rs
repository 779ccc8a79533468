//! Global sensitivity against published values: Sobol indices of the
//! Ishigami function, Morris elementary effects with closed forms.

use odeon::ensemble::{Dist, Morris, Sobol};
use std::f64::consts::PI;

/// Ishigami & Homma (1990), a = 7, b = 0.1, xᵢ ~ U(−π, π).
fn ishigami(x: &[f64]) -> Result<f64, odeon::Error> {
    Ok(x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin())
}

#[test]
fn ishigami_indices_match_published_values() {
    let u = Dist::Uniform { low: -PI, high: PI };
    let idx = Sobol::new(vec![u; 3], 1 << 14).unwrap().seed(1).bootstrap(200).analyze(ishigami).unwrap();
    // Analytic values (e.g. Saltelli et al., Global Sensitivity Analysis: The Primer, 2008).
    let first = [0.3139, 0.4424, 0.0];
    let total = [0.5576, 0.4424, 0.2437];
    for i in 0..3 {
        assert!((idx.first[i] - first[i]).abs() < 0.02, "S{}: {} vs {}", i + 1, idx.first[i], first[i]);
        assert!((idx.total[i] - total[i]).abs() < 0.02, "ST{}: {} vs {}", i + 1, idx.total[i], total[i]);
        let (lo, hi) = idx.first_ci[i];
        assert!(lo < hi && hi - lo < 0.1, "CI of S{}: {lo}..{hi}", i + 1);
    }
    // Analytic variance: a²/8 + b π⁴/5 + b² π⁸/18 + 1/2.
    let v = 49.0 / 8.0 + 0.1 * PI.powi(4) / 5.0 + 0.01 * PI.powi(8) / 18.0 + 0.5;
    assert!((idx.variance - v).abs() < 0.03 * v);
    assert_eq!((idx.rows, idx.failed_rows), (1 << 14, 0));
    // Deterministic for the seed, whatever the thread count.
    let again = Sobol::new(vec![u; 3], 1 << 10).unwrap().seed(3).bootstrap(50).threads(1).analyze(ishigami).unwrap();
    let other = Sobol::new(vec![u; 3], 1 << 10).unwrap().seed(3).bootstrap(50).threads(2).analyze(ishigami).unwrap();
    assert_eq!(again, other);
}

#[test]
fn failed_evaluations_drop_their_rows() {
    let u = Dist::Uniform { low: 0.0, high: 1.0 };
    let f = |x: &[f64]| {
        if x[0] > 0.95 { Err(odeon::Error::MergeConflict { reason: "test".into() }) } else { Ok(x[0] + x[1]) }
    };
    let idx = Sobol::new(vec![u, u], 2000).unwrap().bootstrap(0).analyze(f).unwrap();
    assert!(idx.failed_rows > 100 && idx.rows + idx.failed_rows == 2000);
}

#[test]
fn morris_effects_of_a_quadratic_have_closed_forms() {
    // f = x0² + 0·x1 on U(0, 1)², 4 levels, Δ = 2/3: every elementary
    // effect of x0 is 2x + Δ with x ∈ {0, 1/3}: 2/3 or 4/3 (mean 1).
    let u = Dist::Uniform { low: 0.0, high: 1.0 };
    let m = Morris::new(vec![u, u], 400, 4).unwrap().seed(8).analyze(|x| Ok(x[0] * x[0])).unwrap();
    assert!((m.mu[0] - 1.0).abs() < 4.0 * m.sigma[0] / 20.0, "{:?}", m.mu);
    assert!((m.sigma[0] - 1.0 / 3.0).abs() < 0.03, "{:?}", m.sigma);
    assert_eq!(m.mu_star[0], m.mu[0]); // all effects positive
    assert_eq!((m.mu_star[1], m.sigma[1]), (0.0, 0.0));
    assert_eq!(m.trajectories, 400);
}

#[test]
fn morris_screens_ishigami_x3_as_influential_despite_zero_first_order() {
    let u = Dist::Uniform { low: -PI, high: PI };
    let m = Morris::new(vec![u; 3], 200, 4).unwrap().seed(2).analyze(ishigami).unwrap();
    // x3 acts only through its interaction with x1: μ* clearly non-zero.
    assert!(m.mu_star[2] > 1.0, "{:?}", m.mu_star);
    assert!(m.sigma[2] > 0.5 * m.mu_star[2]);
}

#[test]
fn a_constant_output_is_an_error_not_nan() {
    let u = Dist::Uniform { low: 0.0, high: 1.0 };
    let e = Sobol::new(vec![u, u], 256).unwrap().bootstrap(10).analyze(|_| Ok(0.3)).unwrap_err();
    assert!(matches!(e, odeon::Error::ConstantOutput { rows: 256, value } if (value - 0.3).abs() < 1e-12), "{e}");
    let e = Sobol::new(vec![u, u], 256).unwrap().analyze(|_| Ok(0.0)).unwrap_err();
    assert!(matches!(e, odeon::Error::ConstantOutput { .. }), "{e}");
    // A tiny but real variation is still analysed.
    let idx = Sobol::new(vec![u, u], 256).unwrap().analyze(|x| Ok(1.0 + 1e-9 * x[0])).unwrap();
    assert!(idx.first.iter().chain(&idx.total).all(|v| v.is_finite()));
    assert!(idx.total[0] > 0.9 && idx.total[1].abs() < 1e-9, "{:?}", idx.total);
}

#[test]
fn indices_of_a_model_match_closed_forms_for_every_lane_count() {
    use odeon::ensemble::Runs;
    use odeon::{Dopri5, Options, models::ExponentialDecay, solve};
    // y(1) = y0 e^(-k), y0 ~ U(1, 2), k ~ U(0.5, 1.5): a product X g(K).
    let factors = vec![Dist::Uniform { low: 1.0, high: 2.0 }, Dist::Uniform { low: 0.5, high: 1.5 }];
    let opts = Options::default().rtol(1e-10).atol(1e-12).save_final();
    let inputs = |x: &[f64]| (vec![x[0]], vec![x[1]]);
    let output = |sol: &odeon::Solution| sol.y[0];
    let runs = |lanes| Runs::new(&ExponentialDecay, Dopri5, (0.0, 1.0)).options(opts.clone()).lanes(lanes);
    let sobol = Sobol::new(factors.clone(), 4096).unwrap().seed(5).bootstrap(0);
    let idx = sobol.analyze_runs(&runs(1), &inputs, &output).unwrap();
    // E[X] = 3/2, Var X = 1/12; m = E[g] = e^-0.5 − e^-1.5, E[g²] = (e^-1 − e^-3)/2.
    let (m, m2) = ((-0.5f64).exp() - (-1.5f64).exp(), ((-1.0f64).exp() - (-3.0f64).exp()) / 2.0);
    let v = (1.0 / 12.0 + 2.25) * m2 - (1.5 * m).powi(2);
    let (s_x, s_k) = (m * m / 12.0 / v, 2.25 * (m2 - m * m) / v);
    assert!((idx.first[0] - s_x).abs() < 0.02 && (idx.first[1] - s_k).abs() < 0.02, "{idx:?} vs {s_x}, {s_k}");
    assert!((idx.total[0] - (1.0 - s_k)).abs() < 0.02 && (idx.total[1] - (1.0 - s_x)).abs() < 0.02, "{idx:?}");
    // The same bits with lanes, and as one solve per evaluation.
    for lanes in [2, 4, 8] {
        assert_eq!(sobol.analyze_runs(&runs(lanes), &inputs, &output).unwrap(), idx);
    }
    let alone = |x: &[f64]| solve(&ExponentialDecay, Dopri5, (0.0, 1.0), &[x[0]], &[x[1]], &opts).map(|s| s.y[0]);
    assert_eq!(sobol.analyze(alone).unwrap(), idx);
    let morris = Morris::new(factors, 200, 4).unwrap().seed(2);
    let effects = morris.analyze_runs(&runs(1), &inputs, &output).unwrap();
    assert_eq!(morris.analyze_runs(&runs(8), &inputs, &output).unwrap(), effects);
    assert_eq!(morris.analyze(alone).unwrap(), effects);
    // ∂y/∂y0 = e^-k > 0 and ∂y/∂k = −y0 e^-k < 0 everywhere.
    assert!(effects.mu[0] > 0.0 && effects.mu[1] < 0.0, "{effects:?}");
    let err = sobol.analyze_runs(&runs(3), &inputs, &output).unwrap_err();
    assert!(matches!(err, odeon::Error::InvalidOption { name: "lanes", .. }), "{err}");
    // Errors every solve would meet are named, not counted as failed rows.
    let bad = runs(4).options(opts.clone().rtol(-1.0));
    let err = sobol.analyze_runs(&bad, &inputs, &output).unwrap_err();
    assert!(matches!(err, odeon::Error::InvalidTolerance { .. }), "{err}");
    let err = morris.analyze_runs(&runs(4), &|x| (vec![x[0], 1.0], vec![x[1]]), &output).unwrap_err();
    assert!(matches!(err, odeon::Error::DimensionMismatch { .. }), "{err}");
}

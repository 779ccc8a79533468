//! Gradient and Hessian of a functional of the solution (second-order
//! duals): symmetric, equal to finite differences of the gradient, and the
//! gradient equals Jᵀ r from the first-order sensitivities.

use odeon::models::LotkaVolterra;
use odeon::sensitivity::{SumOfSquares, Wrt, gradient_hessian, solve_sensitivities_chunked};
use odeon::{Dop853, Dopri5, Tsit5};
use odeon::{Error, Options, solve};

fn setup() -> (Options, SumOfSquares, Vec<f64>) {
    let ts: Vec<f64> = (1..=10).map(|i| i as f64).collect();
    let opts = Options::default().rtol(1e-10).atol(1e-10).t_eval(ts);
    // Data from perturbed parameters, one value missing.
    let truth = solve(&LotkaVolterra, Dopri5, (0.0, 10.0), &[1.0, 1.0], &[1.4, 0.9, 3.1, 1.05], &opts).unwrap();
    let mut data = truth.y.clone();
    data[3] = f64::NAN;
    let weights: Vec<f64> = (0..data.len()).map(|i| 1.0 + 0.1 * i as f64).collect();
    (opts, SumOfSquares::weighted(data, weights.clone()), weights)
}

#[test]
fn hessian_is_symmetric_and_matches_finite_differences_of_the_gradient() {
    let (opts, sse, _) = setup();
    let wrt = Wrt::all(&LotkaVolterra); // 6 directions: 2 blocks, 3 passes
    let p = LotkaVolterra::PARAMS;
    let at = |p: &[f64], y0: &[f64]| {
        gradient_hessian(&LotkaVolterra, Dop853, (0.0, 10.0), y0, p, &wrt, &sse, &opts).unwrap()
    };
    let r = at(&p, &[1.0, 1.0]);
    assert_eq!(r.passes, 3);
    assert!((&r.hessian - r.hessian.transpose()).abs().max() == 0.0);
    let h = 1e-6;
    for c in 0..6 {
        let shifted = |sign: f64| {
            let (mut pp, mut yy) = (p.to_vec(), vec![1.0, 1.0]);
            if c < 4 {
                pp[c] += sign * h;
            } else {
                yy[c - 4] += sign * h;
            }
            at(&pp, &yy).gradient
        };
        let fd = (shifted(1.0) - shifted(-1.0)) / (2.0 * h);
        let col = r.hessian.column(c);
        assert!((&fd - col).norm() < 1e-5 * col.norm().max(1.0), "column {c}: fd {fd} vs {col}");
    }
}

#[test]
fn gradient_equals_jacobian_transpose_residual() {
    let (opts, sse, weights) = setup();
    let wrt = Wrt::params(&LotkaVolterra);
    let p = LotkaVolterra::PARAMS;
    let r = gradient_hessian(&LotkaVolterra, Tsit5, (0.0, 10.0), &[1.0, 1.0], &p, &wrt, &sse, &opts).unwrap();
    let s = solve_sensitivities_chunked::<_, _, 4>(&LotkaVolterra, Tsit5, (0.0, 10.0), &[1.0, 1.0], &p, &wrt, &opts)
        .unwrap();
    let mut grad = nalgebra::DVector::zeros(4);
    let mut value = 0.0;
    for i in 0..s.jacobians.len() {
        for j in 0..2 {
            let k = 2 * i + j;
            if sse.data[k].is_nan() {
                continue;
            }
            let res = s.solution.state(i)[j] - sse.data[k];
            value += 0.5 * weights[k] * res * res;
            grad += s.jacobians[i].row(j).transpose() * (weights[k] * res);
        }
    }
    assert!((r.value - value).abs() < 1e-12 * value);
    assert!((&r.gradient - &grad).norm() < 1e-10 * grad.norm(), "{} vs {}", r.gradient, grad);
}

#[test]
fn data_must_match_the_saved_states() {
    let opts = Options::default().t_eval(vec![1.0, 2.0]);
    let sse = SumOfSquares::new(vec![1.0; 3]);
    let e = gradient_hessian(
        &LotkaVolterra,
        Dopri5,
        (0.0, 2.0),
        &[1.0, 1.0],
        &LotkaVolterra::PARAMS,
        &[Wrt::Param(0)],
        &sse,
        &opts,
    )
    .unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { expected: 4, got: 3, .. }), "{e}");
    let e = gradient_hessian(
        &LotkaVolterra,
        Dopri5,
        (0.0, 2.0),
        &[1.0, 1.0],
        &LotkaVolterra::PARAMS,
        &[Wrt::T0],
        &sse,
        &opts,
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidWrt { index: 0, .. }), "{e}");
}

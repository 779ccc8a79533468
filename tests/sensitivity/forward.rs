//! Forward sensitivities: analytic solutions, the variational-equation
//! reference, consistency with finite differences of the solver, chunking,
//! rejected steps, and typed errors.

use crate::common::Forced;
use nalgebra::{Const, DVector, SVector};
use odeon::models::{ExponentialDecay, HarmonicOscillator, LotkaVolterra, VanDerPol};
use odeon::sensitivity::{Wrt, solve_jvp, solve_sensitivities, solve_sensitivities_chunked};
use odeon::{Dop853, Dopri5, Tsit5};
use odeon::{DualScalar, Error, OdeSystem, Options, solve};

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[test]
fn exponential_decay_analytic() {
    let (k, y0) = (0.8, 2.5);
    let ts: Vec<f64> = (1..=10).map(|i| i as f64 * 0.5).collect();
    let opts = Options::default().rtol(1e-12).atol(1e-14).t_eval(ts.clone());
    each_method!(m in [Dopri5, Tsit5, Dop853] {
        // One chunk of exactly the directions asked for (a per-method test
        // needs no run-time choice of chunk width, which compiles six).
        let wrt = [Wrt::Param(0), Wrt::Y0(0)];
        let s = solve_sensitivities_chunked::<_, _, 2>(&ExponentialDecay, m, (0.0, 5.0), &[y0], &[k], &wrt, &opts).unwrap();
        for (i, t) in ts.iter().enumerate() {
            let e = (-k * t).exp();
            assert!(rel(s.jacobians[i][(0, 0)], -t * y0 * e) < 1e-10, "{m} dy/dk at {t}");
            assert!(rel(s.jacobians[i][(0, 1)], e) < 1e-10, "{m} dy/dy0 at {t}");
        }
    });
}

#[test]
fn harmonic_oscillator_analytic() {
    let (w, x0, v0) = (1.7, 0.6, -0.4);
    let ts: Vec<f64> = (1..=8).map(|i| i as f64).collect();
    let opts = Options::default().rtol(1e-12).atol(1e-14).t_eval(ts.clone());
    let wrt = Wrt::all(&HarmonicOscillator);
    each_method!(m in [Dopri5, Tsit5, Dop853] {
        let s = solve_sensitivities_chunked::<_, _, 3>(&HarmonicOscillator, m, (0.0, 8.0), &[x0, v0], &[w], &wrt, &opts)
            .unwrap();
        for (i, &t) in ts.iter().enumerate() {
            let (sn, cs) = (w * t).sin_cos();
            let expected = [
                // d/dω
                [-x0 * t * sn + v0 * (t * cs / w - sn / (w * w)), -x0 * sn - x0 * w * t * cs - v0 * t * sn],
                // d/dx0
                [cs, -w * sn],
                // d/dv0
                [sn / w, cs],
            ];
            let scale = s.jacobians[i].abs().max();
            for (c, col) in expected.iter().enumerate() {
                for (j, e) in col.iter().enumerate() {
                    let got = s.jacobians[i][(j, c)];
                    assert!((got - e).abs() < 1e-10 * scale, "{m} t={t} d y{j} / d {}: {got} vs {e}", wrt[c]);
                }
            }
        }
    });
}

/// The shared reference: the variational equations solved by scipy DOP853
/// at 1e-12, at all 101 times (tests/data/lv_sens_ref.csv).
#[test]
fn lotka_volterra_against_variational_reference() {
    let text = include_str!("../data/lv_sens_ref.csv");
    let rows: Vec<Vec<f64>> =
        text.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    let ts: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    let opts = Options::default().rtol(1e-10).atol(1e-10).t_eval(ts);
    let wrt = Wrt::all(&LotkaVolterra);
    each_method!(m in [Dopri5, Tsit5, Dop853] {
        let (y0, p) = ([1.0, 1.0], LotkaVolterra::PARAMS);
        let s = solve_sensitivities_chunked::<_, _, 6>(&LotkaVolterra, m, (0.0, 10.0), &y0, &p, &wrt, &opts).unwrap();
        let max_s = rows.iter().flat_map(|r| r[3..].iter()).fold(0.0f64, |a, v| a.max(v.abs()));
        for (i, r) in rows.iter().enumerate() {
            for j in 0..2 {
                for c in 0..6 {
                    let (got, want) = (s.jacobians[i][(j, c)], r[3 + 6 * j + c]);
                    assert!(
                        (got - want).abs() <= 1e-6 * want.abs().max(1e-2 * max_s),
                        "{m} t={} S[{j}][{c}]: {got} vs {want}",
                        r[0]
                    );
                }
            }
        }
        // At t = 10 every entry to 1e-6 relative (reference.json's S_t10).
        let at10 = s.jacobians.last().unwrap();
        let last = rows.last().unwrap();
        for j in 0..2 {
            for c in 0..6 {
                assert!(rel(at10[(j, c)], last[3 + 6 * j + c]) < 1e-6, "{m} S_t10[{j}][{c}]");
            }
        }
    });
}

/// Derivatives of the discrete solution: central differences of the solver
/// with the same fixed steps agree to ~1e-8 relative.
#[test]
fn agree_with_finite_differences_of_the_same_steps() {
    let opts = Options::default().dt(0.05).t_eval(vec![2.0, 5.0]);
    let p = LotkaVolterra::PARAMS;
    let y0 = [1.0, 1.0];
    each_method!(m in [Rk4, Dopri5, Dop853] {
        let s = solve_sensitivities_chunked::<_, _, 6>(&LotkaVolterra, m, (0.0, 5.0), &y0, &p, &Wrt::all(&LotkaVolterra), &opts)
            .unwrap();
        for c in 0..6 {
            let h = 1e-6;
            let shifted = |sign: f64| {
                let (mut pp, mut yy) = (p, y0);
                if c < 4 {
                    pp[c] += sign * h;
                } else {
                    yy[c - 4] += sign * h;
                }
                solve(&LotkaVolterra, m, (0.0, 5.0), &yy, &pp, &opts).unwrap()
            };
            let (plus, minus) = (shifted(1.0), shifted(-1.0));
            for i in 0..2 {
                for j in 0..2 {
                    let fd = (plus.state(i)[j] - minus.state(i)[j]) / (2.0 * h);
                    let dual = s.jacobians[i][(j, c)];
                    assert!((fd - dual).abs() < 1e-8 * dual.abs().max(1.0), "{m} column {c}: fd {fd} dual {dual}");
                }
            }
        }
    });
}

#[test]
fn chunked_equals_unchunked() {
    let opts = Options::default().rtol(1e-9).atol(1e-9);
    let wrt = Wrt::all(&LotkaVolterra);
    let args = (&LotkaVolterra, Tsit5, (0.0, 10.0), &[1.0, 1.0][..], &LotkaVolterra::PARAMS[..]);
    let full = solve_sensitivities_chunked::<_, _, 6>(args.0, args.1, args.2, args.3, args.4, &wrt, &opts).unwrap();
    for chunked in [
        solve_sensitivities_chunked::<_, _, 1>(args.0, args.1, args.2, args.3, args.4, &wrt, &opts).unwrap(),
        solve_sensitivities_chunked::<_, _, 4>(args.0, args.1, args.2, args.3, args.4, &wrt, &opts).unwrap(),
    ] {
        assert_eq!(chunked.solution.t, full.solution.t);
        for (a, b) in chunked.jacobians.iter().zip(&full.jacobians) {
            assert!((a - b).abs().max() <= 1e-14 * b.abs().max(), "chunks of {}", 6 / chunked.passes);
        }
    }
    assert_eq!(full.passes, 1);
}

/// Lotka–Volterra asking for one chunk width.
struct FixedChunks;

impl OdeSystem for FixedChunks {
    type Dim = Const<2>;
    const FIXED_SENSITIVITY_CHUNKS: bool = true;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        4
    }
    fn rhs<D: DualScalar>(&self, t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
        LotkaVolterra.rhs(t, y, p, dy);
    }
}

#[test]
fn fixed_chunks_give_the_same_jacobians() {
    let opts = Options::default().rtol(1e-9).atol(1e-9).t_eval(vec![2.0, 10.0]);
    let p = LotkaVolterra::PARAMS;
    // 2 and 6 directions: one pass of 8 each, against widths 4 and 6.
    for wrt in [vec![Wrt::Param(0), Wrt::Y0(1)], Wrt::all(&LotkaVolterra)] {
        let fixed = solve_sensitivities(&FixedChunks, Tsit5, (0.0, 10.0), &[1.0, 1.0], &p, &wrt, &opts).unwrap();
        let picked = solve_sensitivities(&LotkaVolterra, Tsit5, (0.0, 10.0), &[1.0, 1.0], &p, &wrt, &opts).unwrap();
        assert_eq!(fixed.solution.y, picked.solution.y);
        assert_eq!(fixed.jacobians, picked.jacobians, "{} directions", wrt.len());
        assert_eq!(fixed.passes, 1);
    }
}

#[test]
fn subsets_and_mixes_pick_their_columns() {
    let opts = Options::default().rtol(1e-9).atol(1e-9).save_final();
    let p = LotkaVolterra::PARAMS;
    let all =
        solve_sensitivities(&LotkaVolterra, Dopri5, (0.0, 4.0), &[1.0, 1.0], &p, &Wrt::all(&LotkaVolterra), &opts)
            .unwrap();
    let mix = [Wrt::Y0(1), Wrt::Param(2)];
    let some = solve_sensitivities(&LotkaVolterra, Dopri5, (0.0, 4.0), &[1.0, 1.0], &p, &mix, &opts).unwrap();
    assert_eq!(some.jacobians[0].column(0), all.jacobians[0].column(5));
    assert_eq!(some.jacobians[0].column(1), all.jacobians[0].column(2));
    assert_eq!(some.dy_dp(0), all.jacobians[0].columns(2, 1));
    assert_eq!(some.dy_dy0(0), all.jacobians[0].columns(5, 1));
    assert_eq!(all.dy_dp(0).ncols(), 4);
}

#[test]
fn time_end_points() {
    let (t0, t1) = (0.5, 3.0);
    let y0 = [2.0, 0.0];
    let ts = vec![1.0, 2.0, t1];
    let opts = Options::default().rtol(1e-12).atol(1e-12).t_eval(ts.clone());
    let s =
        solve_sensitivities_chunked::<_, _, 4>(&VanDerPol, Dop853, (t0, t1), &y0, &[1.0], &[Wrt::T0, Wrt::TEnd], &opts)
            .unwrap();
    // d y(t)/d t0 by central differences of the exact flow (tight tolerance).
    let h = 1e-5;
    let at = |start: f64| solve(&VanDerPol, Dop853, (start, t1), &y0, &[1.0], &opts).unwrap();
    let (plus, minus) = (at(t0 + h), at(t0 - h));
    for (i, t) in ts.iter().enumerate() {
        for j in 0..2 {
            let fd = (plus.state(i)[j] - minus.state(i)[j]) / (2.0 * h);
            assert!((fd - s.jacobians[i][(j, 0)]).abs() < 1e-6, "dy{j}({t})/dt0");
        }
    }
    // d y(t1)/d t1 = f(t1, y(t1)); earlier saved states do not depend on t1.
    let y1 = s.solution.state(2);
    let f = [y1[1], (1.0 - y1[0] * y1[0]) * y1[1] - y1[0]];
    assert_eq!(s.jacobians[2].column(1).as_slice(), &f);
    assert_eq!(s.jacobians[0].column(1).norm(), 0.0);
}

/// `u' = (t − θ)⁴ u / 10`: `u = u0 exp(((t − θ)⁵ + θ⁵) / 50)`, so
/// `∂u/∂θ = u ((θ⁴ − (t − θ)⁴) / 10)`. A first step of 1 forces rejections.
struct QuarticGrowth;
impl OdeSystem for QuarticGrowth {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, t: D, u: &SVector<D, 1>, p: &[D], du: &mut SVector<D, 1>) {
        du[0] = (-p[0] + t).powi(4) * u[0] * 0.1;
    }
}

#[test]
fn exact_after_rejected_steps() {
    let theta: f64 = 1.0;
    let exact = |t: f64| {
        let u = (((t - theta).powi(5) + theta.powi(5)) / 50.0).exp();
        (u, u * (theta.powi(4) - (t - theta).powi(4)) / 10.0)
    };
    let ts: Vec<f64> = (1..=6).map(|i| i as f64 * 0.5).collect();
    let opts = Options::default().rtol(1e-11).atol(1e-12).h0(1.0).t_eval(ts.clone());
    let s = solve_sensitivities_chunked::<_, _, 4>(
        &QuarticGrowth,
        Dopri5,
        (0.0, 3.0),
        &[1.0],
        &[theta],
        &[Wrt::Param(0)],
        &opts,
    )
    .unwrap();
    assert!(s.solution.stats.rejected >= 2, "the test needs rejections: {:?}", s.solution.stats);
    for (i, &t) in ts.iter().enumerate() {
        let (u, du) = exact(t);
        assert!(rel(s.solution.state(i)[0], u) < 1e-9);
        let got = s.jacobians[i][(0, 0)];
        assert!((got - du).abs() < 1e-8 * du.abs().max(u), "t = {t}: {got} vs {du}");
    }
}

/// With the sensitivities in the error norm, the sensitivities meet the
/// tolerance too, at the price of more steps.
#[test]
fn sensitivity_error_control() {
    let (theta, t): (f64, f64) = (1.0, 3.0);
    let u = ((t - theta).powi(5) / 50.0 + theta.powi(5) / 50.0).exp();
    let du = u * (theta.powi(4) - (t - theta).powi(4)) / 10.0;
    let run = |on: bool| {
        let opts = Options::default().rtol(1e-6).atol(1e-6).save_final().sensitivity_error_control(on);
        solve_sensitivities_chunked::<_, _, 4>(
            &QuarticGrowth,
            Dopri5,
            (0.0, t),
            &[1.0],
            &[theta],
            &[Wrt::Param(0)],
            &opts,
        )
        .unwrap()
    };
    let (off, on) = (run(false), run(true));
    let err = |s: &odeon::sensitivity::Sensitivities| (s.jacobians[0][(0, 0)] - du).abs();
    assert!(on.solution.stats.accepted > off.solution.stats.accepted);
    assert!(err(&on) < err(&off));
    assert!(err(&on) <= 10.0 * (1e-6 * du.abs() + 1e-6), "error {:e}", err(&on));
}

#[test]
fn jvp_equals_jacobian_times_direction() {
    let opts = Options::default().rtol(1e-9).atol(1e-9).t_eval(vec![1.0, 3.0, 6.0]);
    let v = [(Wrt::Param(1), 0.3), (Wrt::Y0(0), -2.0), (Wrt::T0, 0.7)];
    let args = (&LotkaVolterra, Tsit5, (0.0, 6.0), &[1.0, 1.0][..], &LotkaVolterra::PARAMS[..]);
    let jvp = solve_jvp(args.0, args.1, args.2, args.3, args.4, &v, &opts).unwrap();
    let wrt: Vec<Wrt> = v.iter().map(|(w, _)| *w).collect();
    let full = solve_sensitivities(args.0, args.1, args.2, args.3, args.4, &wrt, &opts).unwrap();
    let weights = DVector::from_iterator(3, v.iter().map(|(_, c)| *c));
    for i in 0..3 {
        let expected = &full.jacobians[i] * &weights;
        assert!((&expected - &jvp.dy[i]).norm() < 1e-12 * expected.norm(), "t index {i}");
    }
    assert_eq!(jvp.solution, full.solution);
}

#[test]
fn forced_problem_time_dependence_is_differentiated() {
    // y' = −y + 2 cos t + c: ∂y/∂c = 1 − e^{−t}.
    let opts = Options::default().rtol(1e-12).atol(1e-12).save_final();
    let s = solve_sensitivities_chunked::<_, _, 4>(&Forced, Tsit5, (0.0, 2.0), &[1.0], &[0.0], &[Wrt::Param(0)], &opts)
        .unwrap();
    assert!(rel(s.jacobians[0][(0, 0)], 1.0 - (-2.0f64).exp()) < 1e-10);
}

// ---- exact zeros and errors ----

/// `x' = sqrt(z)`, `z' = 0`: at `z = 0` the derivative of sqrt is infinite.
struct SqrtAtZero;
impl OdeSystem for SqrtAtZero {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
        dy[0] = y[1].sqrt() * p[0];
        dy[1] = D::from(0.0);
    }
    fn param_names(&self) -> Vec<String> {
        vec!["gain".into()]
    }
}

/// `y' = −|y|`, through zero: `abs` has a one-sided derivative there.
struct AbsDecay;
impl OdeSystem for AbsDecay {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = -y[0].abs() * p[0];
    }
}

#[test]
fn exact_zero_under_sqrt_is_a_typed_error() {
    let e = solve_sensitivities_chunked::<_, _, 4>(
        &SqrtAtZero,
        Dopri5,
        (0.0, 1.0),
        &[0.0, 0.0],
        &[1.0],
        &[Wrt::Param(0), Wrt::Y0(1)],
        &Options::default(),
    )
    .unwrap_err();
    match &e {
        Error::NonFiniteDerivative { t, component, wrt, .. } => {
            assert!(*t > 0.0 && *t <= 1.0);
            assert_eq!(*component, 0);
            assert!(wrt.contains("y0[1]") || wrt.contains("gain"), "{wrt}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("not finite at t ="), "{e}");
    // Plain simulation of the same model is fine: only derivatives are affected.
    assert!(solve(&SqrtAtZero, Dopri5, (0.0, 1.0), &[0.0, 0.0], &[1.0], &Options::default()).is_ok());
}

#[test]
fn abs_at_an_exact_zero_stays_finite() {
    let opts = Options::default().save_final();
    let s = solve_sensitivities_chunked::<_, _, 4>(
        &AbsDecay,
        Dopri5,
        (0.0, 1.0),
        &[0.0],
        &[1.0],
        &[Wrt::Param(0), Wrt::Y0(0)],
        &opts,
    )
    .unwrap();
    assert!(s.jacobians[0].iter().all(|v| v.is_finite()));
}

#[test]
fn bad_requests_are_typed_errors() {
    let o = Options::default();
    let lv = |p: &[f64], wrt: &[Wrt]| solve_sensitivities(&LotkaVolterra, Dopri5, (0.0, 1.0), &[1.0, 1.0], p, wrt, &o);
    let e = lv(&[1.0, 2.0], &[Wrt::Param(0)]).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { what: "p", expected: 4, got: 2 }), "{e}");
    let e = lv(&LotkaVolterra::PARAMS, &[Wrt::Param(0), Wrt::Param(4)]).unwrap_err();
    assert!(matches!(&e, Error::InvalidWrt { index: 1, .. }), "{e}");
    assert_eq!(e.to_string(), "wrt[1]: parameter index 4 out of range (4 parameters)");
    let e = lv(&LotkaVolterra::PARAMS, &[Wrt::Y0(2)]).unwrap_err();
    assert!(matches!(e, Error::InvalidWrt { index: 0, .. }), "{e}");
}

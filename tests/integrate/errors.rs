//! Bad input gets a typed error that says what and where; never a panic.

use nalgebra::{Const, SVector};
use odeon::integrate::{Controller, Integrator};
use odeon::models::{ExponentialDecay, HarmonicOscillator, Robertson, VanDerPol};
use odeon::{Dop853, Dopri5, Rk4, Tsit5};
use odeon::{DualScalar, Error, Method, OdeSystem, Options, solve};

fn decay(opts: &Options) -> Result<odeon::Solution, Error> {
    solve(&ExponentialDecay, Dopri5, (0.0, 1.0), &[1.0], &[1.0], opts)
}

#[test]
fn non_finite_inputs_are_named() {
    let o = Options::default();
    let e = solve(&ExponentialDecay, Dopri5, (0.0, 1.0), &[f64::NAN], &[1.0], &o).unwrap_err();
    assert!(matches!(e, Error::NonFinite { what: "y0", index: 0, .. }), "{e}");
    let e = solve(&ExponentialDecay, Dopri5, (0.0, 1.0), &[1.0], &[f64::INFINITY], &o).unwrap_err();
    assert!(matches!(e, Error::NonFinite { what: "p", index: 0, .. }), "{e}");
    let e = solve(&ExponentialDecay, Dopri5, (0.0, f64::NAN), &[1.0], &[1.0], &o).unwrap_err();
    assert!(matches!(e, Error::NonFinite { what: "t_span", index: 1, .. }), "{e}");
}

#[test]
fn tolerances_must_be_positive() {
    for (opts, name, index) in [
        (Options::default().rtol(0.0), "rtol", 0),
        (Options::default().atol(-1e-6), "atol", 0),
        (Options::default().rtol(f64::NAN), "rtol", 0),
        (Options::default().atol(vec![1e-6, 0.0]), "atol", 1),
        // Below 100 units of roundoff no step can meet it (as CVODE).
        (Options::default().rtol(1e-15), "rtol", 0),
        (Options::default().rtol(vec![1e-8, 1e-16]), "rtol", 1),
    ] {
        let e = solve(&HarmonicOscillator, Tsit5, (0.0, 1.0), &[1.0, 0.0], &[1.0], &opts).unwrap_err();
        assert!(matches!(e, Error::InvalidTolerance { name: n, index: i, .. } if n == name && i == index), "{e}");
    }
    let e = decay(&Options::default().atol(vec![1e-6, 1e-6])).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { what: "atol", expected: 1, got: 2 }), "{e}");
}

#[test]
fn empty_t_eval_is_an_error() {
    let e = decay(&Options::default().t_eval(vec![])).unwrap_err();
    assert!(matches!(e, Error::InvalidOption { name: "t_eval", .. }), "{e}");
    // The smallest accepted rtol still solves.
    let sol = decay(&Options::default().rtol(2.3e-14).atol(1e-14).save_final()).unwrap();
    assert!((sol.last().unwrap().1[0] - (-1.0f64).exp()).abs() < 1e-12);
}

#[test]
fn t_eval_outside_or_unsorted() {
    let e = decay(&Options::default().t_eval(vec![0.5, 1.5])).unwrap_err();
    assert!(matches!(e, Error::InvalidTEval { index: 1, reason: "outside t_span", .. }), "{e}");
    let e = decay(&Options::default().t_eval(vec![0.5, 0.2])).unwrap_err();
    assert!(matches!(e, Error::InvalidTEval { index: 1, .. }), "{e}");
    let e = decay(&Options::default().t_eval(vec![f64::NAN])).unwrap_err();
    assert!(matches!(e, Error::InvalidTEval { index: 0, reason: "not finite", .. }), "{e}");
}

#[test]
fn dimension_mismatches() {
    let o = Options::default();
    let e = solve(&HarmonicOscillator, Dopri5, (0.0, 1.0), &[1.0], &[1.0], &o).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { what: "y0", expected: 2, got: 1 }), "{e}");
    let e = solve(&HarmonicOscillator, Dopri5, (0.0, 1.0), &[1.0, 0.0], &[], &o).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { what: "p", expected: 1, got: 0 }), "{e}");
}

#[test]
fn options_with_bad_values_are_named() {
    let cases: Vec<(Options, &str)> = vec![
        (Options::default().h0(0.0), "h0"),
        (Options::default().h_min(-1.0), "h_min"),
        (Options::default().h_max(0.0), "h_max"),
        (Options::default().max_steps(0), "max_steps"),
        (Options::default().dt(-0.1), "dt"),
        (Options::default().controller(Controller { safety: 2.0, ..Controller::HAIRER }), "controller.safety"),
    ];
    for (opts, name) in cases {
        match decay(&opts) {
            Err(Error::InvalidOption { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{name}: {other:?}"),
        }
    }
    // A fixed-step method needs dt.
    let e = solve(&ExponentialDecay, Rk4, (0.0, 1.0), &[1.0], &[1.0], &Options::default()).unwrap_err();
    assert!(matches!(e, Error::InvalidOption { name: "dt", .. }), "{e}");
    assert!(matches!("Dopri45".parse::<Method>(), Err(Error::InvalidOption { name: "method", .. })));
}

#[test]
fn stiff_problem_below_h_min_fails_at_once() {
    let opts = Options::default().h_min(1e-3).detect_stiffness(false);
    let e = solve(&Robertson, Dopri5, (0.0, 1e5), &Robertson::Y0, &Robertson::PARAMS, &opts).unwrap_err();
    match e {
        Error::StepSizeTooSmall { t, h, partial, .. } => {
            assert!(h.abs() < 1e-3 && t < 1e5);
            let partial = partial.expect("solution up to the failure");
            assert_eq!(*partial.0.t.last().unwrap(), t);
            assert!(partial.0.stats.accepted + partial.0.stats.rejected < 100, "{:?}", partial.0.stats);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn stiff_problems_stop_with_stiff_or_at_the_step_limit() {
    let e = solve(&Robertson, Dopri5, (0.0, 1e5), &Robertson::Y0, &Robertson::PARAMS, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Stiff { .. }), "{e}");
    let opts = Options::default().detect_stiffness(false);
    let e = solve(&Robertson, Dopri5, (0.0, 1e5), &Robertson::Y0, &Robertson::PARAMS, &opts).unwrap_err();
    assert!(matches!(e, Error::MaxStepsExceeded { max_steps: 100_000, .. }), "{e}");
    let e = solve(&VanDerPol, Dopri5, (0.0, 3000.0), &[2.0, 0.0], &[1e6], &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Stiff { .. }), "{e}");
}

#[test]
fn max_steps_keeps_the_partial_solution() {
    let opts = Options::default().max_steps(10);
    let e = solve(&VanDerPol, Dopri5, (0.0, 20.0), &[2.0, 0.0], &[1.0], &opts).unwrap_err();
    let Error::MaxStepsExceeded { t, max_steps: 10, .. } = e else { panic!("{e:?}") };
    let partial = e.partial().unwrap();
    assert_eq!(partial.t[0], 0.0);
    assert_eq!(*partial.t.last().unwrap(), t);
    assert_eq!(partial.stats.accepted + partial.stats.rejected, 10);
    // The Debug form stays short however long the partial solution is.
    assert!(format!("{e:?}").len() < 200);
}

/// `y' = −y`, written so that it is NaN for negative `y` (`exp(ln y)`).
struct LogDecay;
impl OdeSystem for LogDecay {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, _p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = -y[0].ln().exp();
    }
}

#[test]
fn non_finite_trial_steps_are_retried_smaller() {
    // A first step of 10 sends the stages to negative y, where the
    // right-hand side is NaN; the integrator shrinks the step and goes on.
    let opts = Options::default().h0(10.0).rtol(1e-8).atol(1e-10);
    let sol = solve(&LogDecay, Dopri5, (0.0, 3.0), &[1.0], &[], &opts).unwrap();
    assert!(sol.stats.rejected >= 1);
    assert!((sol.last().unwrap().1[0] - (-3.0f64).exp()).abs() < 1e-8);
}

/// A right-hand side that turns NaN in component 1 after t = 1.
struct BreaksAtOne;
impl OdeSystem for BreaksAtOne {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, t: D, _y: &SVector<D, 2>, _p: &[D], dy: &mut SVector<D, 2>) {
        dy[0] = D::from(1.0);
        dy[1] = D::from(if t.re() > 1.0 { f64::NAN } else { 1.0 });
    }
}

#[test]
fn persistent_nan_is_reported_with_time_and_component() {
    each_method!(m in [Bs3, Dopri5, Tsit5, Dop853] {
        let e = solve(&BreaksAtOne, m, (0.0, 2.0), &[0.0, 0.0], &[], &Options::default()).unwrap_err();
        match &e {
            Error::NonFiniteRhs { t, component, .. } => {
                assert!((t - 1.0).abs() < 1e-6 && *t <= 1.0, "{m}: t = {t}");
                assert_eq!(*component, 1, "{m}");
            }
            other => panic!("{m}: {other:?}"),
        }
        assert!(e.partial().is_some());
    });
    // With a fixed step there is no smaller step to try.
    let e = solve(&BreaksAtOne, Rk4, (0.0, 2.0), &[0.0, 0.0], &[], &Options::default().dt(0.3)).unwrap_err();
    assert!(matches!(e, Error::NonFiniteRhs { component: 1, .. }), "{e}");
}

#[test]
fn non_finite_derivative_at_the_start() {
    let e = solve(&BreaksAtOne, Dopri5, (1.5, 2.0), &[0.0, 0.0], &[], &Options::default()).unwrap_err();
    assert!(matches!(e, Error::NonFiniteRhs { t: 1.5, component: 1, .. }), "{e}");
}

#[test]
fn interpolation_outside_the_last_step() {
    let p = [1.0];
    let mut it =
        Integrator::<_, Dopri5, f64>::new(&HarmonicOscillator, (0.0, 1.0), &[1.0, 0.0], &p, &Options::default())
            .unwrap();
    it.step().unwrap();
    let mut y = SVector::<f64, 2>::zeros();
    let e = it.interpolate(it.t() + 0.5, &mut y).unwrap_err();
    assert!(matches!(e, Error::OutOfStep { .. }), "{e}");
}

#[test]
fn messages_say_what_and_where() {
    let e = decay(&Options::default().t_eval(vec![2.0])).unwrap_err();
    assert_eq!(e.to_string(), "t_eval[0] = 2: outside t_span");
    let e = solve(&ExponentialDecay, Dopri5, (0.0, 1.0), &[1.0, 2.0], &[1.0], &Options::default()).unwrap_err();
    assert_eq!(e.to_string(), "y0 has length 2, expected 1");
}

/// `y' = 0` at `t = 0`, `1e30` after: every step from `t = 0` crosses the
/// jump, and none is accurate until it is far below any useful size (a
/// jump met while approaching it is passed by shrinking accepted steps
/// instead, and ends in `StepSizeTooSmall`).
struct Jump;

impl OdeSystem for Jump {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, t: D, _y: &SVector<D, 1>, _p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = D::from(if t.re() > 0.0 { 1e30 } else { 0.0 });
    }
}

#[test]
fn repeated_error_test_failures_at_one_time_are_typed() {
    let opts = Options::default();
    each_method!(m in [Dopri5, Rodas5P, Kvaerno5, Bdf] {
        let e = solve(&Jump, m, (0.0, 2.0), &[0.0], &[], &opts).unwrap_err();
        match &e {
            Error::ErrorTestFailures { t, failures, .. } => {
                assert_eq!(*t, 0.0, "{m}: {e}");
                assert_eq!(*failures, odeon::integrate::MAX_ERROR_TEST_FAILURES, "{m}");
            }
            _ => panic!("{m}: unexpected {e}"),
        }
        assert!(e.partial().is_some_and(|p| p.len() == 1), "{m}: the initial state");
    });
}

#[test]
fn a_blow_up_is_unstable_not_an_ok() {
    // y' = y to t = 400: e^400 ≈ 5e173 passes 1e150 near t = 345.4. Every
    // stepper calls the same check on its accepted states; one one-step
    // method and BDF keep the test binary small.
    let opts = Options::default().save_final();
    each_method!(m in [Dopri5, Bdf] {
        let e = solve(&ExponentialDecay, m, (0.0, 400.0), &[1.0], &[-1.0], &opts).unwrap_err();
        match &e {
            Error::Unstable { t, component: 0, value, .. } => {
                assert!(*value > 1e150 && (*t - 1e150f64.ln()).abs() < 5.0, "{m}: {e}");
            }
            _ => panic!("{m}: unexpected {e}"),
        }
        assert!(e.partial().is_some(), "{m}");
    });
}

/// `y' = −y`, except NaN in a window around `t = 0.1`: with one step from
/// 0 to 1, only Dop853's extra dense-output stage (at `c = 0.1`) sees it.
struct HiddenNan;

impl OdeSystem for HiddenNan {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, t: D, y: &SVector<D, 1>, _p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = if (t.re() - 0.1).abs() < 1e-9 { D::from(f64::NAN) } else { -y[0] };
    }
}

#[test]
fn interpolated_values_are_checked_too() {
    let steps = Options::default().dt(1.0);
    let sol = solve(&HiddenNan, Dop853, (0.0, 1.0), &[1.0], &[], &steps).unwrap();
    assert!(sol.y.iter().all(|v| v.is_finite()), "the step itself never meets the NaN");
    let e = solve(&HiddenNan, Dop853, (0.0, 1.0), &[1.0], &[], &steps.t_eval(vec![0.5])).unwrap_err();
    assert!(matches!(e, Error::NonFiniteRhs { t, component: 0, .. } if t == 0.5), "{e}");
    assert!(e.partial().is_some());
}

/// Values an option might be given, sensible or not.
const WILD: &[f64] = &[
    0.0,
    -0.0,
    -1.0,
    1e-300,
    1e-20,
    1e-12,
    1e-6,
    1e-3,
    0.1,
    0.5,
    1.0,
    2.0,
    10.0,
    1e300,
    f64::NAN,
    f64::INFINITY,
    -f64::INFINITY,
    f64::MIN_POSITIVE,
    f64::EPSILON,
];

fn wild() -> impl proptest::strategy::Strategy<Value = f64> {
    proptest::sample::select(WILD.to_vec())
}

/// Options whose fields mostly keep their defaults (so that most solves
/// get past the checks) and now and then take a wild value.
fn wild_options() -> impl proptest::strategy::Strategy<Value = Options> {
    use odeon::integrate::{Save, Tolerance};
    use proptest::prelude::*;
    fn or<T: Clone + std::fmt::Debug + 'static>(
        default: T,
        odd: impl Strategy<Value = T> + 'static,
    ) -> BoxedStrategy<T> {
        prop_oneof![6 => Just(default), 1 => odd].boxed()
    }
    let d = Options::default();
    let tolerance = |default: Tolerance| {
        or(
            default,
            prop_oneof![
                wild().prop_map(Tolerance::Scalar),
                proptest::collection::vec(wild(), 0..4).prop_map(Tolerance::PerComponent),
            ],
        )
    };
    let save =
        or(Save::Steps, prop_oneof![Just(Save::Final), proptest::collection::vec(wild(), 0..4).prop_map(Save::At)]);
    let controller = or(
        None,
        (wild(), wild(), wild(), wild())
            .prop_map(|(safety, fac_min, fac_max, beta)| Some(Controller { safety, fac_min, fac_max, beta })),
    );
    let steps = or(1000usize, proptest::sample::select(vec![0usize, 1, 10]));
    let option = || or(None, wild().prop_map(Some));
    (
        (tolerance(d.rtol), tolerance(d.atol), option(), or(0.0, wild()), option()),
        (steps, option(), save, controller),
        (
            any::<bool>(),
            any::<bool>(),
            or(None, proptest::sample::select(vec![Some(0usize), Some(1), Some(5), Some(1 << 40)])),
        ),
        option(),
        (
            proptest::collection::vec(
                proptest::sample::select(vec![0.0, 0.5, 1e-300, 40.0, 41.0, -1.0, f64::NAN]),
                0..3,
            ),
            proptest::sample::select(vec![0usize, 1, 4, 1001, 1 << 40]),
            proptest::sample::select(vec![0usize, 1, 100_000]),
        ),
        (
            or(
                odeon::Linsolve::Auto,
                proptest::sample::select(vec![
                    odeon::Linsolve::Dense,
                    odeon::Linsolve::Sparse,
                    odeon::Linsolve::Krylov,
                ]),
            ),
            or(None, proptest::collection::vec((0usize..5, 0usize..5), 0..6).prop_map(Some)),
        ),
    )
        .prop_map(
            |(
                (rtol, atol, h0, h_min, h_max),
                (max_steps, dt, save, controller),
                (sec, detect, age),
                newton_tol,
                (tstops, event_samples, max_events),
                (linsolve, jac_pattern),
            )| {
                Options {
                    rtol,
                    atol,
                    h0,
                    h_min,
                    h_max,
                    max_steps,
                    dt,
                    save,
                    controller,
                    sensitivity_error_control: sec,
                    detect_stiffness: detect,
                    max_jacobian_age: age,
                    newton_tol,
                    tstops,
                    event_samples,
                    max_events,
                    linsolve,
                    jac_pattern,
                }
            },
        )
}

proptest::proptest! {
    #![proptest_config(crate::common::proptest_config(10_000))]

    /// Any options with any of seven methods (explicit, Rosenbrock, BDF,
    /// ESDIRK, automatic switching) on Robertson's kinetics: a solution
    /// whose every value is finite, or a typed error; never a panic, and
    /// at most `max_steps` steps (≤ 1000 here) of work.
    #[test]
    fn any_options_give_a_finite_solution_or_a_typed_error(
        opts in wild_options(),
        method in 0usize..7,
        end in proptest::sample::select(vec![1.0, -1.0, 0.0, 1e-300]),
    ) {
        // Method types, not `Method` values, on a model this binary already
        // solves with each of them: no stepper compiled for this test alone.
        let (m, span, y0, p) = (&Robertson, (0.0, end), &Robertson::Y0, &Robertson::PARAMS);
        let result = match method {
            0 => solve(m, Dopri5, span, y0, p, &opts),
            1 => solve(m, odeon::Rodas5P, span, y0, p, &opts),
            2 => solve(m, odeon::Rosenbrock23, span, y0, p, &opts),
            3 => solve(m, odeon::Bdf, span, y0, p, &opts),
            4 => solve(m, odeon::Kvaerno5, span, y0, p, &opts),
            5 => solve(m, odeon::TrBdf2, span, y0, p, &opts),
            _ => solve(m, odeon::Auto, span, y0, p, &opts),
        };
        match result {
            Ok(sol) => {
                proptest::prop_assert!(sol.t.iter().chain(&sol.y).all(|x| x.is_finite()), "{opts:?}");
                proptest::prop_assert!(sol.stats.accepted + sol.stats.rejected <= opts.max_steps.max(1), "{opts:?}");
            }
            Err(e) => {
                let text = e.to_string();
                proptest::prop_assert!(!text.is_empty() && !text.contains("NaN inside"), "{e:?}");
            }
        }
    }
}

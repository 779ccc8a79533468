//! Events: root finding on dense output, resets, terminal events, stops,
//! and their derivatives, against closed forms.

use nalgebra::{Const, SVector};
use num_dual::{Dual64, DualNum};
use odeon::events::{Cause, Direction, Event};
use odeon::integrate::Algorithm;
use odeon::models::BouncingBall;
use odeon::{
    Auto, Bdf, Bs3, Dop853, Dopri5, DualScalar, Error, Heun, Kvaerno5, OdeSystem, Options, Rk4, Rodas4P, Rodas5P,
    Rosenbrock23, State, TrBdf2, Tsit5, solve, solve_dual,
};

/// The first `k` bounce times of a ball dropped from rest at `h0`.
fn bounce_times(h0: f64, g: f64, e: f64, k: usize) -> Vec<f64> {
    let v = (2.0 * g * h0).sqrt();
    let mut t = v / g;
    let mut out = vec![t];
    for j in 1..k {
        t += 2.0 * e.powi(j as i32) * v / g;
        out.push(t);
    }
    out
}

fn event_times(m: impl Algorithm, opts: &Options, t_end: f64) -> Result<Vec<f64>, Error> {
    let sol = solve(&BouncingBall { terminal: false }, m, (0.0, t_end), &[10.0, 0.0], &[9.81, 0.8], opts)?;
    assert!(sol.events.iter().all(|e| e.cause == Cause::Event(0) && e.crossing == Some(Direction::Down)));
    Ok(sol.events.iter().map(|e| e.t).collect())
}

#[test]
fn bounce_times_match_the_closed_form_with_every_method() {
    let exact = bounce_times(10.0, 9.81, 0.8, 10);
    let t_end = exact[9] + 0.1;
    let opts = Options::default().rtol(1e-10).atol(1e-10);
    let fixed = Options::default().dt(0.01);
    let runs: Vec<(&str, Result<Vec<f64>, Error>)> = vec![
        ("Heun", event_times(Heun, &fixed, t_end)),
        ("Rk4", event_times(Rk4, &fixed, t_end)),
        ("Bs3", event_times(Bs3, &opts, t_end)),
        ("Dopri5", event_times(Dopri5, &opts, t_end)),
        ("Tsit5", event_times(Tsit5, &opts, t_end)),
        ("Dop853", event_times(Dop853, &opts, t_end)),
        ("Rosenbrock23", event_times(Rosenbrock23, &opts, t_end)),
        ("Rodas4P", event_times(Rodas4P, &opts, t_end)),
        ("Rodas5P", event_times(Rodas5P, &opts, t_end)),
        ("Kvaerno5", event_times(Kvaerno5, &opts, t_end)),
        ("TrBdf2", event_times(TrBdf2, &opts, t_end)),
        ("BDF", event_times(Bdf, &opts, t_end)),
        ("Auto", event_times(Auto, &opts, t_end)),
    ];
    for (name, times) in runs {
        let times = times.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(times.len(), 10, "{name}: {times:?}");
        for (k, (t, x)) in times.iter().zip(&exact).enumerate() {
            assert!((t - x).abs() < 1e-9, "{name}: bounce {k} at {t}, exact {x}");
        }
    }
}

#[test]
fn a_terminal_event_ends_the_solve_at_the_root() {
    let opts = Options::default().rtol(1e-10).atol(1e-10).t_eval(vec![0.0, 1.0, 2.0, 3.0]);
    let sol = solve(&BouncingBall { terminal: true }, Tsit5, (0.0, 10.0), &[10.0, 0.0], &[9.81, 0.8], &opts).unwrap();
    let t1 = bounce_times(10.0, 9.81, 0.8, 1)[0];
    assert_eq!(sol.t, vec![0.0, 1.0]); // the points after the landing are not reached
    assert_eq!(sol.events.len(), 1);
    assert!((sol.events[0].t - t1).abs() < 1e-12);
    let opts = Options::default().rtol(1e-10).atol(1e-10);
    let sol = solve(&BouncingBall { terminal: true }, Tsit5, (0.0, 10.0), &[10.0, 0.0], &[9.81, 0.8], &opts).unwrap();
    let (t, y) = sol.last().unwrap();
    assert_eq!(t, sol.events[0].t);
    assert!(y[0].abs() < 1e-9 && (y[1] + (2.0 * 9.81 * 10.0f64).sqrt()).abs() < 1e-8);
}

#[test]
fn the_first_bounce_time_has_exact_derivatives() {
    // t1 = sqrt(2 h0 / g): ∂t1/∂h0 = 1/sqrt(2 h0 g), ∂t1/∂g = −t1/(2g).
    let (h0, g) = (10.0, 9.81);
    let t1 = (2.0 * h0 / g).sqrt();
    let opts = Options::default().rtol(1e-10).atol(1e-10).save_final();
    for terminal in [true, false] {
        let ball = BouncingBall { terminal };
        let y0 = [Dual64::new(h0, 1.0), Dual64::from(0.0)];
        let p = [Dual64::from(g), Dual64::from(0.8)];
        let sol = solve_dual(&ball, Rodas5P, (0.0, 2.0), &y0, &p, &opts).unwrap();
        let dh0 = sol.events[0].t.eps;
        assert!((dh0 - 1.0 / (2.0 * h0 * g).sqrt()).abs() < 1e-8, "∂t1/∂h0 = {dh0}");
        let y0 = [Dual64::from(h0), Dual64::from(0.0)];
        let p = [Dual64::new(g, 1.0), Dual64::from(0.8)];
        let sol = solve_dual(&ball, Tsit5, (0.0, 2.0), &y0, &p, &opts).unwrap();
        let dg = sol.events[0].t.eps;
        assert!((dg + t1 / (2.0 * g)).abs() < 1e-8, "∂t1/∂g = {dg}");
    }
}

#[test]
fn the_state_after_a_bounce_has_exact_derivatives() {
    // After the first bounce (t1 = sqrt(2 h0/g), v1 = e·sqrt(2 g h0)) the
    // ball rises: h(T) = v1 (T − t1) − g (T − t1)²/2 for T before the next
    // bounce. Its derivative in e, h0 and g, against the closed form.
    let (h0, g, e, big_t) = (10.0, 9.81, 0.8, 2.0);
    let h = |h0: f64, g: f64, e: f64| {
        let t1 = (2.0 * h0 / g).sqrt();
        let v1 = e * (2.0 * g * h0).sqrt();
        v1 * (big_t - t1) - 0.5 * g * (big_t - t1).powi(2)
    };
    let opts = Options::default().rtol(1e-11).atol(1e-11).save_final();
    let ball = BouncingBall { terminal: false };
    let seeds: [([f64; 2], [f64; 2]); 3] =
        [([1.0, 0.0], [0.0, 0.0]), ([0.0, 0.0], [1.0, 0.0]), ([0.0, 0.0], [0.0, 1.0])];
    for (k, (dy0, dp)) in seeds.into_iter().enumerate() {
        let y0 = [Dual64::new(h0, dy0[0]), Dual64::new(0.0, dy0[1])];
        let p = [Dual64::new(g, dp[0]), Dual64::new(e, dp[1])];
        let sol = solve_dual(&ball, Dopri5, (0.0, big_t), &y0, &p, &opts).unwrap();
        let got = sol.last().unwrap().1[0].eps;
        let step = 1e-6;
        let (hp, hm) = match k {
            0 => (h(h0 + step, g, e), h(h0 - step, g, e)),
            1 => (h(h0, g + step, e), h(h0, g - step, e)),
            _ => (h(h0, g, e + step), h(h0, g, e - step)),
        };
        let want = (hp - hm) / (2.0 * step);
        assert!((got - want).abs() < 1e-6 * want.abs().max(1.0), "direction {k}: {got} vs {want}");
    }
}

/// `x'' = −x` from `x = 1` (so `x = cos t`), watched in three ways.
#[derive(Clone, Copy, PartialEq)]
enum Cosine {
    /// `x = 0` (both ways: π/2 + kπ) and `x = 0.5` rising (2π − π/3 + 2πk).
    Crossings,
    /// `x = 0.99`: positive only within `acos(0.99) ≈ 0.1415` of each
    /// peak at `2πk`.
    Peaks,
    /// `x = 0` and `x = 0.5` (both ways): the first zero disarms itself,
    /// every crossing of 0.5 re-arms it.
    Once,
}

impl OdeSystem for Cosine {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, _p: &[D], dy: &mut SVector<D, 2>) {
        dy[0] = y[1];
        dy[1] = -y[0];
    }
    fn events(&self) -> Vec<Event> {
        match self {
            Cosine::Crossings => vec![Event::new("x = 0"), Event::new("x = 0.5, rising").up()],
            Cosine::Peaks => vec![Event::new("x = 0.99")],
            Cosine::Once => vec![Event::new("x = 0"), Event::new("x = 0.5")],
        }
    }
    fn event_values<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, _p: &[D], g: &mut [D]) {
        if *self == Cosine::Peaks {
            g[0] = y[0] - 0.99;
        } else {
            g[0] = y[0];
            g[1] = y[0] - 0.5;
        }
    }
    fn reset<D: DualScalar>(&self, cause: Cause, _t: D, _y: &mut SVector<D, 2>, _p: &[D], armed: &mut [bool]) {
        if *self == Cosine::Once {
            armed[0] = cause != Cause::Event(0);
        }
    }
}

#[test]
fn roots_are_found_on_the_dense_output_both_ways() {
    let opts = Options::default().rtol(1e-10).atol(1e-12);
    let sol = solve(&Cosine::Crossings, Dop853, (0.0, 10.0), &[1.0, 0.0], &[], &opts).unwrap();
    // x = cos t: zero at π/2 + kπ; 0.5 rising at 2π − π/3 (+2π).
    let pi = std::f64::consts::PI;
    let mut want: Vec<(f64, usize)> = (0..3).map(|k| (pi / 2.0 + k as f64 * pi, 0)).collect();
    want.extend([(2.0 * pi - pi / 3.0, 1)]);
    want.sort_by(|a, b| a.0.total_cmp(&b.0));
    let got: Vec<(f64, usize)> = sol
        .events
        .iter()
        .map(|e| match e.cause {
            Cause::Event(i) => (e.t, i),
            Cause::Stop(_) => panic!("no stops"),
        })
        .collect();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((t, i), (x, j)) in got.iter().zip(&want) {
        assert_eq!(i, j);
        assert!((t - x).abs() < 1e-9, "event {i} at {t}, exact {x}");
    }
    // Directions alternate for the two-way event: down at π/2, up at 3π/2.
    assert_eq!(sol.events[0].crossing, Some(Direction::Down));
    assert_eq!(sol.events[1].crossing, Some(Direction::Up));
    // No reset: no extra rows, states unchanged.
    assert!(sol.events.iter().all(|e| e.y_before == e.y_after));

    // Backward from t = 10: the same zeros in reverse order; directions
    // are those met in the direction of integration, so `x = 0.5`
    // "rising" now fires where cos t rises through 0.5 going back in time,
    // at 2π + π/3 and π/3.
    let back = solve(&Cosine::Crossings, Dop853, (10.0, 0.0), &[10f64.cos(), -10f64.sin()], &[], &opts).unwrap();
    let mut want: Vec<(f64, usize)> = (0..3).map(|k| (pi / 2.0 + k as f64 * pi, 0)).collect();
    want.extend([(2.0 * pi + pi / 3.0, 1), (pi / 3.0, 1)]);
    want.sort_by(|a, b| b.0.total_cmp(&a.0));
    let got: Vec<(f64, Cause)> = back.events.iter().map(|e| (e.t, e.cause)).collect();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((t, cause), (x, j)) in got.iter().zip(&want) {
        assert_eq!(*cause, Cause::Event(*j));
        assert!((t - x).abs() < 1e-8, "backward: event {j} at {t}, exact {x}");
    }
}

/// `g(t) = (t − 0.9)(t − 1.3)`: negative only on (0.9, 1.3), inside one step.
struct DoubleCrossing;

impl OdeSystem for DoubleCrossing {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, _t: D, _y: &SVector<D, 1>, _p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = D::from(1.0);
    }
    fn events(&self) -> Vec<Event> {
        vec![Event::new("dip")]
    }
    fn event_values<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, _p: &[D], g: &mut [D]) {
        g[0] = (y[0] - 0.9) * (y[0] - 1.3);
    }
}

#[test]
fn two_crossings_inside_one_step_are_both_found() {
    // y = t; one step over the whole span (y' = 1 is exact at any step).
    let opts = Options::default().h0(2.0).rtol(1e-10).atol(1e-10).event_samples(8);
    let sol = solve(&DoubleCrossing, Tsit5, (0.0, 2.0), &[0.0], &[], &opts).unwrap();
    assert_eq!(sol.stats.accepted, 1, "the test needs one large step");
    let times: Vec<f64> = sol.events.iter().map(|e| e.t).collect();
    assert_eq!(times.len(), 2, "{times:?}");
    assert!((times[0] - 0.9).abs() < 1e-12 && (times[1] - 1.3).abs() < 1e-12, "{times:?}");
    // With the step's end only (as CVODE), the dip is missed: what the
    // samples are for.
    let sol = solve(&DoubleCrossing, Tsit5, (0.0, 2.0), &[0.0], &[], &opts.clone().event_samples(1)).unwrap();
    assert!(sol.events.is_empty());
}

/// A ball with restitution 0.5 dropped for a long time: the bounces
/// accumulate at a finite time.
#[test]
fn zeno_bounces_end_with_a_typed_error() {
    let opts = Options::default().rtol(1e-10).atol(1e-10);
    let err =
        solve(&BouncingBall { terminal: false }, Tsit5, (0.0, 10.0), &[1.0, 0.0], &[9.81, 0.5], &opts).unwrap_err();
    assert!(matches!(err, Error::Zeno { events: 10, .. }), "{err}");
    assert!(err.partial().is_some());
}

/// Event functions and resets that misbehave.
struct Bad {
    what: usize,
}

impl OdeSystem for Bad {
    type Dim = nalgebra::Dyn;
    fn dim(&self) -> nalgebra::Dyn {
        nalgebra::Dyn(1)
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, _t: D, _y: &State<D, nalgebra::Dyn>, _p: &[D], dy: &mut State<D, nalgebra::Dyn>) {
        dy[0] = D::from(1.0);
    }
    fn events(&self) -> Vec<Event> {
        vec![Event::new("half")]
    }
    fn event_values<D: DualScalar>(&self, t: D, y: &State<D, nalgebra::Dyn>, _p: &[D], g: &mut [D]) {
        g[0] = if self.what == 0 && t.re() > 0.7 { D::from(f64::NAN) } else { y[0] - 0.5 };
    }
    fn reset<D: DualScalar>(&self, _: Cause, _t: D, y: &mut State<D, nalgebra::Dyn>, _p: &[D], _: &mut [bool]) {
        match self.what {
            1 => y[0] = D::from(f64::NAN),
            2 => *y = State::<D, nalgebra::Dyn>::zeros(2),
            _ => y[0] -= 0.1,
        }
    }
}

#[test]
fn bad_event_functions_and_resets_are_typed_errors() {
    let opts = Options::default();
    for what in 0..3 {
        let err = solve(&Bad { what }, Tsit5, (0.0, 1.0), &[0.0], &[], &opts).unwrap_err();
        assert!(matches!(err, Error::InvalidEvent { .. }), "{what}: {err}");
        assert!(err.partial().is_some());
    }
    let err =
        solve(&Cosine::Crossings, Tsit5, (0.0, 1.0), &[1.0, 0.0], &[], &opts.clone().event_samples(0)).unwrap_err();
    assert!(matches!(err, Error::InvalidOption { name: "event_samples", .. }));
    // Events every 0.1 forever at one point: y' = 1, g = y − 0.5, reset
    // y −= 0.1: fires at t ≈ 0.5, 0.6, … — 100 000 events are too many
    // with a small cap.
    let err = solve(&Bad { what: 3 }, Tsit5, (0.0, 100.0), &[0.0], &[], &opts.clone().max_events(50)).unwrap_err();
    assert!(matches!(err, Error::TooManyEvents { max_events: 50, .. }), "{err}");
}

/// `g = −(t − 1)²` touches zero at t = 1 without crossing.
struct Touch;

impl OdeSystem for Touch {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, _y: &SVector<D, 1>, p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = p[0];
    }
    fn events(&self) -> Vec<Event> {
        vec![Event::new("touch")]
    }
    fn event_values<D: DualScalar>(&self, t: D, _y: &SVector<D, 1>, _p: &[D], g: &mut [D]) {
        g[0] = -(t - 1.0).powi(2);
    }
}

#[test]
fn a_grazing_event_has_no_derivative() {
    // Fixed steps of 0.25 land on t = 1, where g is exactly zero.
    let opts = Options::default().dt(0.25).event_samples(1);
    let sol = solve(&Touch, Rk4, (0.0, 2.0), &[0.0], &[1.0], &opts).unwrap();
    assert_eq!(sol.events.len(), 1);
    let err = solve_dual(&Touch, Rk4, (0.0, 2.0), &[Dual64::from(0.0)], &[Dual64::new(1.0, 1.0)], &opts).unwrap_err();
    assert!(matches!(err, Error::GrazingEvent { .. }), "{err}");
}

#[test]
fn dual_runs_find_the_same_events_as_f64_runs() {
    let opts = Options::default().rtol(1e-8).atol(1e-8);
    let ball = BouncingBall { terminal: false };
    let sol = solve(&ball, Bdf, (0.0, 8.0), &[10.0, 0.0], &[9.81, 0.8], &opts).unwrap();
    let y0 = [Dual64::new(10.0, 1.0), Dual64::from(0.0)];
    let dual = solve_dual(&ball, Bdf, (0.0, 8.0), &y0, &[Dual64::from(9.81), Dual64::from(0.8)], &opts).unwrap();
    assert_eq!(dual.t, sol.t);
    assert_eq!(dual.primal().y, sol.y);
    let times: Vec<f64> = dual.events.iter().map(|e| e.t.re).collect();
    assert_eq!(times, sol.events.iter().map(|e| e.t).collect::<Vec<_>>());
}

#[test]
fn short_excursions_inside_long_steps_are_found_after_the_first_step() {
    // Loose tolerances: steps longer than the 0.28-wide peaks, so whole
    // peaks fall inside steps that the cubic screen must flag.
    let opts = Options::default().rtol(1e-3).atol(1e-6).event_samples(8);
    let w = 0.99f64.acos();
    let two_pi = 2.0 * std::f64::consts::PI;
    let want = [w, two_pi - w, two_pi + w, 2.0 * two_pi - w, 2.0 * two_pi + w, 3.0 * two_pi - w, 3.0 * two_pi + w];
    for (name, sol) in [
        ("Tsit5", solve(&Cosine::Peaks, Tsit5, (0.0, 20.0), &[1.0, 0.0], &[], &opts).unwrap()),
        ("Dop853", solve(&Cosine::Peaks, Dop853, (0.0, 20.0), &[1.0, 0.0], &[], &opts).unwrap()),
        ("Kvaerno5", solve(&Cosine::Peaks, Kvaerno5, (0.0, 20.0), &[1.0, 0.0], &[], &opts).unwrap()),
        ("Rodas5P", solve(&Cosine::Peaks, Rodas5P, (0.0, 20.0), &[1.0, 0.0], &[], &opts).unwrap()),
    ] {
        let times: Vec<f64> = sol.events.iter().map(|e| e.t).collect();
        assert_eq!(times.len(), want.len(), "{name}: {times:?}");
        for (e, x) in sol.events.iter().zip(&want) {
            // The crossings of the computed solution (at rtol 1e-3 its
            // phase drifts from cos t by up to 0.15 here).
            assert!((e.t - x).abs() < 0.2, "{name}: {} vs {x}", e.t);
            assert!((e.y_before[0] - 0.99).abs() < 1e-9, "{name}: x = {} at the root", e.y_before[0]);
        }
        // Some step holds a whole peak: both of its crossings inside it.
        let steps: Vec<(f64, f64)> = sol.t.windows(2).map(|w| (w[0], w[1])).collect();
        let whole = |k: usize| steps.iter().any(|&(a, b)| a < times[k] && times[k + 1] < b);
        assert!((1..times.len() - 1).step_by(2).any(whole), "{name}: no step held a whole peak");
    }
}

#[test]
fn a_reset_can_disarm_and_rearm_events() {
    let opts = Options::default().rtol(1e-10).atol(1e-12);
    let sol = solve(&Cosine::Once, Tsit5, (0.0, 10.0), &[1.0, 0.0], &[], &opts).unwrap();
    // x = cos t: zeros at π/2 (fires, disarms), 3π/2 (disarmed), 5π/2
    // (re-armed by x = 0.5 at 5π/3); x = 0.5 at π/3, 5π/3, 7π/3.
    let pi = std::f64::consts::PI;
    let want = [(pi / 3.0, 1), (pi / 2.0, 0), (5.0 * pi / 3.0, 1), (7.0 * pi / 3.0, 1), (5.0 * pi / 2.0, 0)];
    let got: Vec<(f64, Cause)> = sol.events.iter().map(|e| (e.t, e.cause)).collect();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((t, cause), (x, i)) in got.iter().zip(want) {
        assert_eq!(*cause, Cause::Event(i));
        assert!((t - x).abs() < 1e-9, "{t} vs {x}");
    }
}

#[test]
fn solutions_with_events_round_trip_through_json() {
    let opts = Options::default().rtol(1e-8).atol(1e-8);
    let sol = solve(&BouncingBall { terminal: false }, Tsit5, (0.0, 5.0), &[10.0, 0.0], &[9.81, 0.8], &opts).unwrap();
    assert!(!sol.events.is_empty());
    let path = std::env::temp_dir().join(format!("odeon-events-{}.json", std::process::id()));
    sol.write_json(&path).unwrap();
    let back = odeon::Solution::read_json(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(back, sol);
}

//! Solutions: warm starts, serialization, the timeseries, thread safety.

use nalgebra::{Const, SVector};
use odeon::ocp::problems::{Brachistochrone, CartPole, SwingUp};
use odeon::ocp::{
    Collocation, Guess, HessianMode, Nlp, OcpSolution, Phase, SqpOptions, Status, Timeseries, Transcription,
};
use odeon::system::Model;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<Phase>();
    assert_send_sync::<OcpSolution>();
    assert_send_sync::<Timeseries>();
    assert_send_sync::<SqpOptions>();
    assert_send_sync::<Guess>();
    assert_send_sync::<Collocation<'static, Brachistochrone>>();
}

#[test]
fn warm_start_on_a_finer_grid_needs_fewer_iterations() {
    let coarse = Transcription::GaussLobatto { segments: 10, order: 3 };
    let fine = Transcription::Radau { segments: 30, order: 3 };
    let opts = SqpOptions::default();
    let first = Collocation::new(&SwingUp(CartPole), &CartPole::phase(), coarse).unwrap().solve(&opts).unwrap();
    assert_eq!(first.status, Status::Optimal);
    let cold = Collocation::new(&SwingUp(CartPole), &CartPole::phase(), fine).unwrap().solve(&opts).unwrap();
    let warm = Collocation::with_grid(&SwingUp(CartPole), &CartPole::phase(), fine, None, &Guess::from(&first))
        .unwrap()
        .solve(&opts)
        .unwrap();
    assert_eq!((cold.status, warm.status), (Status::Optimal, Status::Optimal));
    assert!((cold.objective - warm.objective).abs() < 1e-6 * cold.objective);
    assert!(warm.iterations < cold.iterations, "warm {} vs cold {}", warm.iterations, cold.iterations);
}

#[test]
fn solution_round_trips_through_json_and_holds_the_timeseries() {
    let t = Transcription::GaussLobatto { segments: 5, order: 5 };
    let sol = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)
        .unwrap()
        .solve(&SqpOptions::default())
        .unwrap();
    assert_eq!(sol.status, Status::Optimal);
    let ts = &sol.timeseries;
    // 5 nodes per segment, boundaries repeated: 25 rows, times non-decreasing.
    assert_eq!(ts.len(), 25);
    assert_eq!(ts.states.len(), 25);
    assert_eq!(ts.control_rates.len(), 25);
    assert!(ts.time.windows(2).all(|w| w[1] >= w[0]));
    assert_eq!(ts.time[0], 0.0);
    assert!((ts.time[24] - sol.duration).abs() < 1e-14);
    // The control rate is the derivative of θ: compare with a difference quotient.
    let (a, b) = (11, 12);
    let fd = (ts.controls[b][0] - ts.controls[a][0]) / (ts.time[b] - ts.time[a]);
    let mid = 0.5 * (ts.control_rates[a][0] + ts.control_rates[b][0]);
    assert!((fd - mid).abs() < 1e-2 * mid.abs().max(1.0), "{fd} vs {mid}");
    let json = serde_json::to_string(&sol).unwrap();
    let back: OcpSolution = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sol);
    assert!(!sol.log.is_empty() && sol.log.len() == sol.iterations + 1);
}

#[test]
fn bfgs_reaches_the_same_optimum_in_more_iterations() {
    let t = Transcription::GaussLobatto { segments: 10, order: 3 };
    let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t).unwrap();
    let exact = ocp.solve(&SqpOptions::default()).unwrap();
    let bfgs = ocp.solve(&SqpOptions::default().hessian(HessianMode::Bfgs)).unwrap();
    assert_eq!((exact.status, bfgs.status), (Status::Optimal, Status::Optimal));
    assert!((exact.objective - bfgs.objective).abs() < 1e-6);
    assert!(exact.iterations < bfgs.iterations, "exact {} vs BFGS {}", exact.iterations, bfgs.iterations);
    assert!(ocp.n() > 0 && ocp.m() > 0);
}

/// The double integrator (maximize x(1), v(1) = 0, |u| ≤ 1: u = 1 then
/// −1 at t = ½) with a terminal event where x rises through 1/16.
struct Watched;

impl Model for Watched {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: odeon::DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], _p: &[D], dx: &mut SVector<D, 2>) {
        dx[0] = x[1];
        dx[1] = u[0];
    }
    fn events(&self) -> Vec<odeon::events::Event> {
        vec![odeon::events::Event::new("x = 1/16").up().terminal()]
    }
    fn event_values<D: odeon::DualScalar>(&self, _t: D, x: &SVector<D, 2>, _u: &[D], _p: &[D], g: &mut [D]) {
        g[0] = x[0] - 1.0 / 16.0;
    }
}

impl odeon::ocp::OptimalControl for Watched {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: odeon::DualScalar>(&self, _t: D, x: &[D], _u: &[D], _p: &[D]) -> D {
        -x[0]
    }
}

#[test]
fn a_terminal_event_ends_the_simulation_of_a_solution() {
    use odeon::ocp::{ControlVar, StateVar, TimeVar};
    let phase = Phase::new(&Watched)
        .time(TimeVar::fixed(0.0, 1.0))
        .state(0, StateVar::new().fix_initial(0.0).guess(0.0, 0.25))
        .state(1, StateVar::new().fix_initial(0.0).fix_final(0.0))
        .control(0, ControlVar::new().bounds(-1.0, 1.0).guess(1.0, -1.0).continuity(false));
    let t = Transcription::Radau { segments: 10, order: 3 };
    let sol = Collocation::new(&Watched, &phase, t).unwrap().solve(&SqpOptions::default()).unwrap();
    assert_eq!(sol.status, Status::Optimal);
    let check = sol.simulate(&Watched).unwrap();
    // x = t²/2 while u = 1: x = 1/16 at t = √(1/8).
    assert_eq!(check.events.len(), 1);
    let event = &check.events[0];
    assert!((event.t - 0.125f64.sqrt()).abs() < 1e-6, "{}", event.t);
    assert!(check.time.iter().all(|&t| t <= event.t) && check.time.len() < sol.timeseries.time.len());
    assert!(check.max_error.iter().all(|e| *e < 1e-6));
}

//! Solutions: warm starts, serialization, the timeseries, thread safety.

use odeon::ocp::problems::{Brachistochrone, CartPole};
use odeon::ocp::{
    Collocation, Guess, HessianMode, Nlp, OcpSolution, Phase, SqpOptions, Status, Timeseries, Transcription,
};

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
    let first = Collocation::new(&CartPole, &CartPole::phase(), coarse).unwrap().solve(&opts).unwrap();
    assert_eq!(first.status, Status::Optimal);
    let cold = Collocation::new(&CartPole, &CartPole::phase(), fine).unwrap().solve(&opts).unwrap();
    let warm = Collocation::with_grid(&CartPole, &CartPole::phase(), fine, None, &Guess::from(&first))
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

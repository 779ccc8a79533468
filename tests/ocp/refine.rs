//! Mesh refinement: the hyper-sensitive problem's boundary layers and the
//! shuttle's reentry refined to the tolerance with fewer nodes than a
//! uniform grid, and refinements that cannot finish end with a status.

use odeon::Error;
use odeon::ocp::problems::{Cannonball, HyperSensitive, ShuttleReentry};
use odeon::ocp::{Collocation, Refinement, RefinementStatus, SqpOptions, Transcription};

fn worst(errors: &[f64]) -> f64 {
    errors.iter().fold(0.0f64, |a, e| a.max(*e))
}

#[test]
fn hyper_sensitive_is_refined_where_its_boundary_layers_are() {
    let phase = HyperSensitive::phase(10.0);
    for t in [Transcription::Radau { segments: 10, order: 3 }, Transcription::GaussLobatto { segments: 10, order: 3 }] {
        let ocp = Collocation::new(&HyperSensitive, &phase, t).unwrap();
        let r = ocp.solve_refined(&SqpOptions::default(), &Refinement::default()).unwrap();
        assert_eq!(r.status, RefinementStatus::Converged, "{t:?}");
        let last = r.history.last().unwrap();
        assert!(worst(&last.errors) <= 1e-4, "{t:?}");
        assert!(r.history.len() >= 2 && worst(&r.history[0].errors) > 1e-4, "{t:?}: the first grid needs refining");
        // Analytic optimum J(10): to dymos's 1e-4 (relative) on Radau. The
        // estimate bounds the states' error, not the cost quadrature's:
        // Hermite–Simpson's Simpson rule leaves 1.8e-4 on this grid.
        let j = HyperSensitive::optimum(10.0);
        let tol = if matches!(t, Transcription::Radau { .. }) { 1e-4 } else { 1e-3 };
        assert!((r.solution.objective - j).abs() < tol * j, "{t:?}: J = {}", r.solution.objective);
        // The refined segments are shortest in the boundary layers.
        let width: Vec<f64> = last.segment_ends.windows(2).map(|w| w[1] - w[0]).collect();
        let (first, middle) = (width[0], width[width.len() / 2]);
        assert!(first < middle, "{t:?}: {width:?}");
        // A uniform grid with as many segments as the refined one misses
        // the tolerance: every uniform grid meeting it has more nodes.
        let uniform = match t {
            Transcription::Radau { .. } => Transcription::Radau { segments: width.len(), order: 3 },
            Transcription::GaussLobatto { .. } => Transcription::GaussLobatto { segments: width.len(), order: 3 },
        };
        let u = Collocation::new(&HyperSensitive, &phase, uniform).unwrap().solve(&SqpOptions::default()).unwrap();
        let e = worst(&u.segment_errors(&HyperSensitive).unwrap());
        assert!(e > 1e-4, "{t:?}: a uniform grid of {} segments has {e}", width.len());
        assert_eq!(last.nodes, u.timeseries.len() - (width.len() - 1));
    }
}

#[test]
fn shuttle_reentry_is_refined_to_the_tolerance() {
    // From 10 Radau segments (errors 1e-2) to 1e-4 in a few re-solves; the
    // cross-range within 5e-4 of Betts's 34.1412° (dymos: 1 %), with and
    // without the heating limit. (odeon: 36 segments / 109 nodes without
    // the limit, where uniform grids need between 40 and 80 segments.)
    let o = SqpOptions::default().tolerances(1e-4, 1e-8);
    for (phase, theta) in [
        (ShuttleReentry::phase(), ShuttleReentry::THETA_F),
        (ShuttleReentry::heating_limited_phase(), ShuttleReentry::THETA_F_HEATING),
    ] {
        let ocp = Collocation::new(&ShuttleReentry, &phase, Transcription::Radau { segments: 10, order: 3 }).unwrap();
        let r = ocp.solve_refined(&o, &Refinement::default()).unwrap();
        assert_eq!(r.status, RefinementStatus::Converged);
        let last = r.history.last().unwrap();
        assert!(worst(&last.errors) <= 1e-4 && worst(&r.history[0].errors) > 1e-2);
        let theta_f = r.solution.timeseries.states.last().unwrap()[4].to_degrees();
        assert!((theta_f - theta).abs() < 5e-4 * theta, "θ_f = {theta_f}");
        // A uniform grid of as many segments misses the tolerance.
        let segments = last.segment_ends.len() - 1;
        let uniform = Transcription::Radau { segments, order: 3 };
        let u = Collocation::new(&ShuttleReentry, &phase, uniform).unwrap().solve(&o).unwrap();
        let e = worst(&u.segment_errors(&ShuttleReentry).unwrap());
        assert!(e > 1e-4, "uniform {segments}: {e}");
    }
}

#[test]
fn refinements_that_cannot_finish_end_with_a_status() {
    let phase = HyperSensitive::phase(10.0);
    let ocp = Collocation::new(&HyperSensitive, &phase, Transcription::Radau { segments: 4, order: 3 }).unwrap();
    let o = SqpOptions::default();
    // No refinement allowed: the first grid, its errors, and a status.
    let r = ocp.solve_refined(&o, &Refinement::default().max_iter(0)).unwrap();
    assert_eq!((r.status, r.history.len()), (RefinementStatus::MaxIterations, 1));
    assert_eq!(r.solution.segment_ends, r.history[0].segment_ends);
    // A tolerance beyond reach within the segment budget.
    let tight = Refinement { tol: 1e-12, max_iter: 50, max_segments: 40 };
    let r = ocp.solve_refined(&o, &tight).unwrap();
    assert_eq!(r.status, RefinementStatus::MaxSegments);
    assert!(r.history.iter().all(|s| s.errors.len() <= 40));
    // A solve that does not converge stops the refinement.
    let r = ocp.solve_refined(&o.clone().max_iter(0), &Refinement::default()).unwrap();
    assert_eq!(r.status, RefinementStatus::SolveFailed);
    for bad in [
        Refinement::default().tol(0.0),
        Refinement::default().tol(f64::NAN),
        Refinement { max_segments: 0, ..Default::default() },
    ] {
        assert!(matches!(ocp.solve_refined(&o, &bad), Err(Error::InvalidOption { .. })));
    }
}

#[test]
fn each_phase_of_a_trajectory_is_refined() {
    // The cannonball from three Radau segments per phase: every segment of
    // both phases refined to 1e-4, the range still dymos's (1 %; 1e-3 here).
    let t = Transcription::Radau { segments: 3, order: 3 };
    let traj = Cannonball::trajectory(t, t).unwrap();
    let r = traj.solve_refined(&SqpOptions::default(), &Refinement::default()).unwrap();
    assert_eq!(r.status, RefinementStatus::Converged);
    assert!(r.history.len() >= 2 && r.history.iter().all(|round| round.len() == 2));
    assert!(r.history[0].iter().any(|phase| worst(&phase.errors) > 1e-4));
    let last = r.history.last().unwrap();
    assert!(last.iter().all(|phase| worst(&phase.errors) <= 1e-4));
    for (phase, (_, sol)) in last.iter().zip(&r.solution.phases) {
        assert_eq!(phase.segment_ends, sol.segment_ends);
    }
    let range = r.solution.phase("descent").unwrap().timeseries.states.last().unwrap()[0];
    assert!((range - Cannonball::RANGE).abs() < 1e-3 * Cannonball::RANGE, "{range}");
    // Limits end with a status, as for one phase.
    let r = traj.solve_refined(&SqpOptions::default(), &Refinement::default().max_iter(0)).unwrap();
    assert_eq!((r.status, r.history.len()), (RefinementStatus::MaxIterations, 1));
    let r = traj.solve_refined(&SqpOptions::default(), &Refinement { max_segments: 7, ..Default::default() }).unwrap();
    assert_eq!(r.status, RefinementStatus::MaxSegments);
    assert!(matches!(
        traj.solve_refined(&SqpOptions::default(), &Refinement::default().tol(-1.0)),
        Err(Error::InvalidOption { .. })
    ));
}

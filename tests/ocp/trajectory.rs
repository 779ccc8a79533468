//! Multi-phase trajectories: linked and connected phases against the
//! single-phase optimum, branching, inequality linkages, and bad linkages.

use odeon::Error;
use odeon::ocp::problems::{Brachistochrone, Cannonball, CannonballAscent, CannonballDescent, DoubleIntegrator};
use odeon::ocp::{
    Bounds, Collocation, End, IterLog, Linkage, NoCost, Phase, Quantity, SqpOptions, StateVar, Status, TimeVar,
    Trajectory, TrajectorySolution, Transcription,
};

/// From the start to a free point at a free time (no objective).
fn first() -> Phase {
    Brachistochrone::phase()
        .time(TimeVar::fixed(0.0, 0.9).free_duration(0.1, 5.0))
        .state(0, StateVar::new().fix_initial(0.0).guess(0.0, 5.0))
        .state(1, StateVar::new().fix_initial(10.0).guess(10.0, 7.5))
        .state(2, StateVar::new().fix_initial(0.0).guess(0.0, 7.0))
}

/// From a free point at a free time to (x, y); minimum final time.
fn second(x: f64, y: f64) -> Phase {
    Brachistochrone::phase()
        .time(TimeVar::fixed(0.9, 0.9).free_initial(0.1, 5.0).free_duration(0.1, 5.0))
        .state(0, StateVar::new().guess(5.0, x).fix_final(x))
        .state(1, StateVar::new().guess(7.5, y).fix_final(y))
        .state(2, StateVar::new().guess(7.0, 9.9))
}

const STATES: [Quantity; 3] = [Quantity::State(0), Quantity::State(1), Quantity::State(2)];

#[test]
fn two_linked_phases_give_the_single_phase_optimum() {
    // With equal durations, two phases of 10 segments are the uniform
    // 20-segment grid of one phase: the same NLP up to the linkage rows
    // (on Gauss–Lobatto the control at the split is shared by the
    // single phase's segments, so it is linked too; on Radau the first
    // phase's end control is the extrapolation no defect uses).
    for (t, control) in [
        (Transcription::GaussLobatto { segments: 10, order: 3 }, true),
        (Transcription::Radau { segments: 10, order: 3 }, false),
    ] {
        let whole = Transcription::GaussLobatto { segments: 20, order: 3 };
        let whole = if control { whole } else { Transcription::Radau { segments: 20, order: 3 } };
        let single = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), whole)
            .unwrap()
            .solve(&SqpOptions::default())
            .unwrap();
        let mut linked = vec![Quantity::Time];
        linked.extend(STATES);
        if control {
            linked.push(Quantity::Control(0));
        }
        let mut lines = 0;
        let sol = Trajectory::new()
            .phase("first", Collocation::new(&NoCost(Brachistochrone), &first(), t).unwrap())
            .phase("second", Collocation::new(&Brachistochrone, &second(10.0, 5.0), t).unwrap())
            .link("first", "second", &linked)
            .linkage(Linkage::new(
                ("first", End::Final, Quantity::Duration),
                ("second", End::Initial, Quantity::Duration),
            ))
            .solve_observed(&SqpOptions::default(), &mut |_: &IterLog| lines += 1)
            .unwrap();
        assert_eq!(sol.status, Status::Optimal, "{t:?}: {}", sol.message);
        assert_eq!(lines, sol.log.len());
        let end = sol.phase("second").unwrap();
        let tf = end.t0 + end.duration;
        assert!((tf - single.duration).abs() < 1e-8, "{t:?}: {tf} against {}", single.duration);
        assert!((sol.objective - single.objective).abs() < 1e-8);
        assert!(sol.linkage_values.iter().all(|v| v.abs() < 1e-8), "{:?}", sol.linkage_values);
        // The stitched trajectory is the single phase's, node for node.
        let ts = sol.stitched().unwrap();
        assert_eq!(ts.len(), single.timeseries.len());
        for (a, b) in ts.states.iter().zip(&single.timeseries.states) {
            assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6), "{a:?} against {b:?}");
        }
    }
}

/// Connected linkages (shared variables, no rows) give the optimum of the
/// same linkages as constraints, which is the single phase's on the
/// 20-segment grid; and a phase may feed two branches through them.
#[test]
fn connected_phases_share_their_end_variables() {
    for t in [Transcription::GaussLobatto { segments: 10, order: 3 }, Transcription::Radau { segments: 10, order: 3 }] {
        let gl = matches!(t, Transcription::GaussLobatto { .. });
        let whole = if gl {
            Transcription::GaussLobatto { segments: 20, order: 3 }
        } else {
            Transcription::Radau { segments: 20, order: 3 }
        };
        let single = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), whole)
            .unwrap()
            .solve(&SqpOptions::default())
            .unwrap();
        let mut shared = STATES.to_vec();
        if gl {
            shared.push(Quantity::Control(0));
        }
        let durations =
            Linkage::new(("first", End::Final, Quantity::Duration), ("second", End::Initial, Quantity::Duration));
        // The second phase's t0 is the first's t0 + duration, within
        // the second's bounds on t0 (a row).
        shared.push(Quantity::Time);
        let sol = Trajectory::new()
            .phase("first", Collocation::new(&NoCost(Brachistochrone), &first(), t).unwrap())
            .phase("second", Collocation::new(&Brachistochrone, &second(10.0, 5.0), t).unwrap())
            .connect("first", "second", &shared)
            .linkage(durations.connected())
            .solve(&SqpOptions::default())
            .unwrap();
        assert_eq!(sol.status, Status::Optimal, "{t:?}: {}", sol.message);
        let end = sol.phase("second").unwrap();
        let tf = end.t0 + end.duration;
        assert!((tf - single.duration).abs() < 1e-8, "{t:?}: {tf} against {}", single.duration);
        assert!((sol.objective - single.objective).abs() < 1e-8);
        // Connected sides are one variable: equal to rounding.
        assert!(sol.linkage_values.iter().all(|v| v.abs() < 1e-12), "{:?}", sol.linkage_values);
        let (a, b) = (sol.phase("first").unwrap(), end);
        assert!((a.t0 + a.duration - b.t0).abs() < 1e-12);
        let (xa, xb) = (a.timeseries.states.last().unwrap(), &b.timeseries.states[0]);
        assert!(xa.iter().zip(xb).all(|(p, q)| (p - q).abs() <= 1e-12 * p.abs().max(1.0)), "{xa:?} {xb:?}");
    }
    // One trunk feeding two branches through connected states.
    let t = Transcription::Radau { segments: 8, order: 3 };
    let branch = |connected: bool| {
        let tr = Trajectory::new()
            .phase("trunk", Collocation::new(&NoCost(Brachistochrone), &first(), t).unwrap())
            .phase("a", Collocation::new(&Brachistochrone, &second(10.0, 5.0), t).unwrap())
            .phase("b", Collocation::new(&Brachistochrone, &second(8.0, 6.0), t).unwrap())
            .link("trunk", "a", &[Quantity::Time])
            .link("trunk", "b", &[Quantity::Time]);
        let tr = if connected {
            tr.connect("trunk", "a", &STATES).connect("trunk", "b", &STATES)
        } else {
            tr.link("trunk", "a", &STATES).link("trunk", "b", &STATES)
        };
        tr.solve(&SqpOptions::default()).unwrap()
    };
    let (shared, rows) = (branch(true), branch(false));
    assert_eq!((shared.status, rows.status), (Status::Optimal, Status::Optimal));
    assert!((shared.objective - rows.objective).abs() < 1e-8, "{} against {}", shared.objective, rows.objective);
}

#[test]
fn linked_phases_with_free_split_reach_the_cycloid() {
    // Without the duration linkage the split is free: the optimum of the
    // continuous problem, 1.80160312 s, to the discretization's accuracy.
    let t = Transcription::Radau { segments: 10, order: 3 };
    let mut linked = vec![Quantity::Time];
    linked.extend(STATES);
    let sol = Trajectory::new()
        .phase("first", Collocation::new(&NoCost(Brachistochrone), &first(), t).unwrap())
        .phase("second", Collocation::new(&Brachistochrone, &second(10.0, 5.0), t).unwrap())
        .link("first", "second", &linked)
        .solve(&SqpOptions::default())
        .unwrap();
    assert_eq!(sol.status, Status::Optimal, "{}", sol.message);
    let end = sol.phase("second").unwrap();
    assert!((end.t0 + end.duration - Brachistochrone::T_OPT).abs() < 1e-6, "{}", end.t0 + end.duration);
    // The second phase starts where and when the first ends.
    let a = sol.phase("first").unwrap();
    assert!((a.t0 + a.duration - end.t0).abs() < 1e-9);
    let (xa, xb) = (a.timeseries.states.last().unwrap(), &end.timeseries.states[0]);
    assert!(xa.iter().zip(xb).all(|(p, q)| (p - q).abs() < 1e-8));
}

#[test]
fn one_phase_feeds_two_branches_with_an_inequality_linkage() {
    // A common first phase; one branch to (10, 5), one to (8, 6), the sum
    // of their final times minimized. The second branch may start later
    // than the first phase ends (a wait), but not earlier.
    let t = Transcription::Radau { segments: 8, order: 3 };
    let sol = Trajectory::new()
        .phase("trunk", Collocation::new(&NoCost(Brachistochrone), &first(), t).unwrap())
        .phase("a", Collocation::new(&Brachistochrone, &second(10.0, 5.0), t).unwrap())
        .phase("b", Collocation::new(&Brachistochrone, &second(8.0, 6.0), t).unwrap())
        .link("trunk", "a", &[Quantity::Time])
        .link("trunk", "a", &STATES)
        .link("trunk", "b", &STATES)
        .linkage(
            Linkage::new(("b", End::Initial, Quantity::Time), ("trunk", End::Final, Quantity::Time))
                .bounds(Bounds::lower(0.0)),
        )
        .solve(&SqpOptions::default())
        .unwrap();
    assert_eq!(sol.status, Status::Optimal, "{}", sol.message);
    let (trunk, a, b) = (sol.phase("trunk").unwrap(), sol.phase("a").unwrap(), sol.phase("b").unwrap());
    let split = trunk.timeseries.states.last().unwrap();
    for branch in [a, b] {
        assert!(branch.timeseries.states[0].iter().zip(split).all(|(p, q)| (p - q).abs() < 1e-8));
    }
    // Waiting never helps: b starts when the trunk ends (the bound active).
    assert!(sol.linkage_values[7].abs() < 1e-8, "{}", sol.linkage_values[7]);
    assert!((b.timeseries.states.last().unwrap()[0] - 8.0).abs() < 1e-9);
    assert!((sol.objective - (a.t0 + a.duration + b.t0 + b.duration)).abs() < 1e-12);
}

#[test]
fn bad_trajectories_are_errors() {
    let t = Transcription::Radau { segments: 4, order: 3 };
    let phase = || Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t).unwrap();
    let o = SqpOptions::default();
    let reason = |r: Result<TrajectorySolution, Error>| match r {
        Err(Error::InvalidOcp { what, reason }) => format!("{what}: {reason}"),
        Err(e) => panic!("expected InvalidOcp, got {e}"),
        Ok(s) => panic!("expected InvalidOcp, got {:?}", s.status),
    };
    assert!(reason(Trajectory::new().solve(&o)).contains("no phases"));
    let two = Trajectory::new().phase("a", phase()).phase("a", phase());
    assert!(reason(two.solve(&o)).contains("two phases are named \"a\""));
    // Connected sides must be one variable each, and equal.
    let time = Linkage::new(("a", End::Initial, Quantity::Time), ("b", End::Final, Quantity::Time)).connected();
    let time = Trajectory::new().phase("a", phase()).phase("b", phase()).linkage(time);
    assert!(reason(time.solve(&o)).contains("t0 + duration"));
    let unequal = Linkage::continuity("a", "b", Quantity::State(0)).bounds(Bounds::lower(0.0)).connected();
    let unequal = Trajectory::new().phase("a", phase()).phase("b", phase()).linkage(unequal);
    assert!(reason(unequal.solve(&o)).contains("equality"));
    let twice = Trajectory::new().phase("a", phase()).phase("b", phase()).phase("c", phase());
    let twice = twice.connect("a", "c", &[Quantity::State(0)]).connect("b", "c", &[Quantity::State(0)]);
    assert!(reason(twice.solve(&o)).contains("already connected"));
    let missing = Trajectory::new().phase("a", phase()).link("a", "b", &[Quantity::Time]);
    assert!(reason(missing.solve(&o)).contains("no phase named \"b\""));
    let index = Trajectory::new().phase("a", phase()).phase("b", phase()).link("a", "b", &[Quantity::State(3)]);
    let r = reason(index.solve(&o));
    assert!(r.contains("linkage 0") && r.contains("has no state 3 (it has 3, from 0)"), "{r}");
    let control = Trajectory::new().phase("a", phase()).phase("b", phase()).link("a", "b", &[Quantity::Control(1)]);
    assert!(reason(control.solve(&o)).contains("has no control 1"));
    let param = Trajectory::new().phase("a", phase()).phase("b", phase()).link("a", "b", &[Quantity::Param(1)]);
    assert!(reason(param.solve(&o)).contains("has no parameter 1"));
    for b in [Bounds::between(1.0, 0.0), Bounds::equal(f64::NAN), Bounds::equal(0.0).scale(0.0)] {
        let l = Linkage::continuity("a", "b", Quantity::Time).bounds(b);
        let bad = Trajectory::new().phase("a", phase()).phase("b", phase()).linkage(l);
        assert!(reason(bad.solve(&o)).contains("linkage 0"));
    }
    // Phases of different sizes are solved together but not stitched.
    let sol = Trajectory::new()
        .phase("a", phase())
        .phase("b", Collocation::new(&DoubleIntegrator, &DoubleIntegrator::phase(), t).unwrap())
        .solve(&SqpOptions::default().max_iter(0))
        .unwrap();
    assert_eq!(sol.status, Status::MaxIterations);
    assert!(matches!(sol.stitched(), Err(Error::DimensionMismatch { what: "stitched phase states", .. })));
}

#[test]
fn two_phase_cannonball_reaches_dymos_range() {
    // dymos's test (test_doc_two_phase_cannonball.py): Radau 5 × 3 for the
    // ascent, Gauss–Lobatto 5 × 3 for the descent, range 3183.25 m to 1 %.
    let sol = Cannonball::trajectory(
        Transcription::Radau { segments: 5, order: 3 },
        Transcription::GaussLobatto { segments: 5, order: 3 },
    )
    .unwrap()
    .solve(&SqpOptions::default())
    .unwrap();
    assert_eq!(sol.status, Status::Optimal, "{}", sol.message);
    let (up, down) = (sol.phase("ascent").unwrap(), sol.phase("descent").unwrap());
    let range = down.timeseries.states.last().unwrap()[0];
    assert!((range - Cannonball::RANGE).abs() < 1e-3 * Cannonball::RANGE, "range {range}");
    assert!((sol.objective + range).abs() < 1e-9);
    // One radius for both phases, inside its bounds; the muzzle energy
    // at its limit; the apex at γ = 0 and the impact at h = 0.
    assert!((up.params[0] - down.params[0]).abs() < 1e-10 && up.params[0] > 0.01 && up.params[0] < 0.1);
    let launch = &up.timeseries.states[0];
    let energy = 0.5 * Cannonball::mass(up.params[0]) * launch[3] * launch[3];
    assert!((energy - Cannonball::ENERGY).abs() < 1e-6 * Cannonball::ENERGY, "{energy}");
    assert!(up.timeseries.states.last().unwrap()[2].abs() < 1e-12);
    assert!(down.timeseries.states.last().unwrap()[1].abs() < 1e-9);
    // The same trajectory with the time, the states and the radius
    // connected (shared variables) instead of linked: the same optimum.
    let (up_t, down_t) =
        (Transcription::Radau { segments: 5, order: 3 }, Transcription::GaussLobatto { segments: 5, order: 3 });
    let states = [Quantity::State(0), Quantity::State(1), Quantity::State(2), Quantity::State(3), Quantity::Param(0)];
    let connected = Trajectory::new()
        .phase("ascent", Collocation::new(&CannonballAscent, &Cannonball::ascent(), up_t).unwrap())
        .phase("descent", Collocation::new(&CannonballDescent, &Cannonball::descent(), down_t).unwrap())
        .connect("ascent", "descent", &[Quantity::Time])
        .connect("ascent", "descent", &states)
        .solve(&SqpOptions::default())
        .unwrap();
    assert_eq!(connected.status, Status::Optimal, "{}", connected.message);
    assert!(
        (connected.objective - sol.objective).abs() < 1e-6 * range,
        "{} against {}",
        connected.objective,
        sol.objective
    );
    // Each phase re-integrated under its own dynamics stays on the nodes
    // to the coarse grid's accuracy (relative to each state's size).
    for (p, check) in
        [(up, up.simulate(&CannonballAscent).unwrap()), (down, down.simulate(&CannonballDescent).unwrap())]
    {
        for (k, e) in check.max_error.iter().enumerate() {
            let size = p.timeseries.states.iter().fold(0.0f64, |a, x| a.max(x[k].abs()));
            assert!(*e < 5e-3 * size, "state {k}: {e} of {size}");
        }
    }
}

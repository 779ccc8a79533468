//! Trajectory optimization end to end (transcription + SQP solve) on the
//! brachistochrone with Gauss–Lobatto order 3, the peers' workload
//! (shared/peers W5: dymos GaussLobatto order 3 + SLSQP and CasADi Opti +
//! IPOPT with Hermite–Simpson, which is Gauss–Lobatto order 3). The
//! in-run baseline is the same solve with a damped-BFGS Hessian instead of
//! the exact one (the measurement behind the exact-Hessian default).
//!
//! Two more workloads: dymos's two-phase cannonball (a trajectory of two
//! linked phases with a shared design parameter; baseline the same NLP
//! with BFGS), and the hyper-sensitive problem ph- and h-refined to 1e-4
//! (baseline: the smallest uniform grid of the same order that meets
//! 1e-4, solved and checked), and Betts's shuttle reentry without and
//! with its heating limit, ph- and h-refined from 10 Radau segments to
//! 1e-4 (baseline: one solve on
//! a uniform grid of 30 Radau segments, the grid of the dymos comparison
//! in `docs/benchmarks.md`).
//!
//! Run: `cargo bench --bench ocp`.

use criterion::{Criterion, criterion_group, criterion_main};
use odeon::ocp::problems::{
    Brachistochrone, Cannonball, CannonballAscent, CannonballDescent, HyperSensitive, ShuttleReentry,
};
use odeon::ocp::{
    Collocation, HessianMode, Quantity, Refinement, RefinementStatus, SqpOptions, Status, Trajectory, Transcription,
};
use std::hint::black_box;
use std::time::Duration;

fn solve(segments: usize, hessian: HessianMode) -> f64 {
    let t = Transcription::GaussLobatto { segments, order: 3 };
    let phase = Brachistochrone::phase();
    let ocp = Collocation::new(&Brachistochrone, black_box(&phase), t).unwrap();
    let sol = ocp.solve(&SqpOptions::default().hessian(hessian)).unwrap();
    assert_eq!(sol.status, Status::Optimal);
    sol.duration
}

fn brachistochrone(c: &mut Criterion) {
    let mut g = c.benchmark_group("brachistochrone_gl3_end_to_end");
    for segments in [10, 20, 40, 100] {
        g.bench_function(format!("{segments} segments, exact Hessian"), |b| {
            b.iter(|| solve(segments, HessianMode::Exact))
        });
        if segments <= 20 {
            g.bench_function(format!("{segments} segments, BFGS (baseline)"), |b| {
                b.iter(|| solve(segments, HessianMode::Bfgs))
            });
        }
    }
    g.finish();
}

fn cannonball(c: &mut Criterion) {
    let mut g = c.benchmark_group("cannonball_two_phase_end_to_end");
    for (name, hessian) in [("exact Hessian", HessianMode::Exact), ("BFGS (baseline)", HessianMode::Bfgs)] {
        g.bench_function(format!("Radau 5x3 + GL 5x3, {name}"), |b| {
            b.iter(|| {
                let traj = Cannonball::trajectory(
                    Transcription::Radau { segments: 5, order: 3 },
                    Transcription::GaussLobatto { segments: 5, order: 3 },
                )
                .unwrap();
                let sol = traj.solve(&SqpOptions::default().hessian(hessian)).unwrap();
                assert_eq!(sol.status, Status::Optimal);
                sol.objective
            })
        });
    }
    // The same, with the descent's start connected to the ascent's end
    // (shared variables) instead of linked by constraint rows.
    g.bench_function("Radau 5x3 + GL 5x3, exact Hessian, connected ends", |b| {
        b.iter(|| {
            let (up, down) =
                (Transcription::Radau { segments: 5, order: 3 }, Transcription::GaussLobatto { segments: 5, order: 3 });
            let ends = [Quantity::Time, Quantity::State(0), Quantity::State(1), Quantity::State(2), Quantity::State(3)];
            let sol = Trajectory::new()
                .phase("ascent", Collocation::new(&CannonballAscent, &Cannonball::ascent(), up).unwrap())
                .phase("descent", Collocation::new(&CannonballDescent, &Cannonball::descent(), down).unwrap())
                .connect("ascent", "descent", &ends)
                .connect("ascent", "descent", &[Quantity::Param(0)])
                .solve(&SqpOptions::default())
                .unwrap();
            assert_eq!(sol.status, Status::Optimal);
            sol.objective
        })
    });
    g.finish();
}

/// The refinement rules compared: ph (orders raised up to 14, then
/// splits; the default) and h (splits only, every segment of order 3).
const REFINEMENTS: [(&str, usize); 2] = [("ph-refined", 14), ("h-refined", 3)];

fn refinement(c: &mut Criterion) {
    let mut g = c.benchmark_group("hyper_sensitive_to_1e-4");
    let phase = HyperSensitive::phase(10.0);
    for (name, rule) in REFINEMENTS {
        g.bench_function(format!("{name} from 10 Radau segments"), |b| {
            b.iter(|| {
                let t = Transcription::Radau { segments: 10, order: 3 };
                let r = Collocation::new(&HyperSensitive, black_box(&phase), t)
                    .unwrap()
                    .solve_refined(&SqpOptions::default(), &Refinement::default().max_order(rule))
                    .unwrap();
                assert_eq!(r.status, RefinementStatus::Converged);
                r.solution.objective
            })
        });
    }
    g.bench_function("uniform 30 Radau segments, solved and checked (baseline)", |b| {
        b.iter(|| {
            let t = Transcription::Radau { segments: 30, order: 3 };
            let sol =
                Collocation::new(&HyperSensitive, black_box(&phase), t).unwrap().solve(&SqpOptions::default()).unwrap();
            let worst = sol.segment_errors(&HyperSensitive).unwrap().iter().fold(0.0f64, |a, e| a.max(*e));
            assert!(worst <= 1e-4);
            sol.objective
        })
    });
    g.finish();
}

fn shuttle(c: &mut Criterion) {
    let mut g = c.benchmark_group("shuttle_reentry");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let options = SqpOptions::default().tolerances(1e-4, 1e-8);
    for (name, phase) in [("free", ShuttleReentry::phase()), ("q <= 70", ShuttleReentry::heating_limited_phase())] {
        for (how, rule) in REFINEMENTS {
            g.bench_function(format!("{name}, {how} from 10 Radau segments to 1e-4"), |b| {
                b.iter(|| {
                    let t = Transcription::Radau { segments: 10, order: 3 };
                    let r = Collocation::new(&ShuttleReentry, black_box(&phase), t)
                        .unwrap()
                        .solve_refined(&options, &Refinement::default().max_order(rule))
                        .unwrap();
                    assert_eq!(r.status, RefinementStatus::Converged);
                    r.solution.objective
                })
            });
        }
        g.bench_function(format!("{name}, uniform 30 Radau segments (baseline)"), |b| {
            b.iter(|| {
                let t = Transcription::Radau { segments: 30, order: 3 };
                let sol = Collocation::new(&ShuttleReentry, black_box(&phase), t).unwrap().solve(&options).unwrap();
                assert_eq!(sol.status, Status::Optimal);
                sol.objective
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = brachistochrone, cannonball, refinement, shuttle
}
criterion_main!(benches);

//! Trajectory optimization end to end (transcription + SQP solve) on the
//! brachistochrone with Gauss–Lobatto order 3, the peers' workload
//! (shared/peers W5: dymos GaussLobatto order 3 + SLSQP and CasADi Opti +
//! IPOPT with Hermite–Simpson, which is Gauss–Lobatto order 3). The
//! in-run baseline is the same solve with a damped-BFGS Hessian instead of
//! the exact one (the measurement behind the exact-Hessian default).
//!
//! Run: `cargo bench --bench ocp`.

use criterion::{Criterion, criterion_group, criterion_main};
use odeon::ocp::problems::Brachistochrone;
use odeon::ocp::{Collocation, HessianMode, SqpOptions, Status, Transcription};
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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = brachistochrone
}
criterion_main!(benches);

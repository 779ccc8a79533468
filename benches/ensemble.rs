//! Ensemble throughput on the peers' W4 workload: 10,000 Van der Pol runs,
//! mu ~ U(0.5, 2), x0 ~ U(1, 3), v0 = 0, t in [0, 20], rtol = atol = 1e-6,
//! final state only. Baselines in the same group: the hand-written scalar
//! Dopri5 loop over the same 10,000 inputs (one thread), and a plain loop
//! of `solve` calls (one thread, no ensemble machinery).
//!
//! Run: `cargo bench --bench ensemble`.

#[allow(dead_code)] // the shared baselines serve several benches
mod baseline;

use criterion::{Criterion, criterion_group, criterion_main};
use odeon::Dopri5;
use odeon::ensemble::{Dist, Ensemble, Independent, SampleRng, Sampler};
use odeon::models::VanDerPol;
use odeon::{Options, solve};
use std::hint::black_box;
use std::time::Duration;

const N: u64 = 10_000;

fn sampler() -> Independent {
    Independent::new(
        vec![Dist::Uniform { low: 1.0, high: 3.0 }, Dist::Fixed(0.0)],
        vec![Dist::Uniform { low: 0.5, high: 2.0 }],
    )
    .unwrap()
}

fn w4(c: &mut Criterion) {
    let opts = Options::default().rtol(1e-6).atol(1e-6).save_final();
    let draws: Vec<_> = (0..N).map(|i| sampler().sample(i, &mut SampleRng::for_sample(42, i))).collect();
    let mut g = c.benchmark_group("w4_van_der_pol_10k");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(1));
    g.bench_function("hand-written Dopri5 loop, 1 thread (baseline)", |b| {
        b.iter(|| {
            draws
                .iter()
                .map(|d| baseline::dopri5(baseline::van_der_pol(d.p[0]), 0.0, 20.0, [d.y0[0], d.y0[1]], 1e-6).0[0])
                .sum::<f64>()
        })
    });
    g.bench_function("solve loop, 1 thread", |b| {
        b.iter(|| {
            draws.iter().map(|d| solve(&VanDerPol, Dopri5, (0.0, 20.0), &d.y0, &d.p, &opts).unwrap().y[0]).sum::<f64>()
        })
    });
    for threads in [1, 2] {
        g.bench_function(format!("odeon ensemble, {threads} thread(s)"), |b| {
            b.iter(|| {
                Ensemble::new(&VanDerPol, Dopri5, (0.0, 20.0), sampler(), black_box(N))
                    .options(opts.clone())
                    .seed(42)
                    .threads(threads)
                    .run()
                    .unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, w4);
criterion_main!(benches);

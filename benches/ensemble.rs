//! Ensemble throughput on the peers' W4 workload: 10,000 Van der Pol runs,
//! mu ~ U(0.5, 2), x0 ~ U(1, 3), v0 = 0, t in [0, 20], rtol = atol = 1e-6,
//! final state only. Baselines in the same group: the hand-written scalar
//! Dopri5 loop over the same 10,000 inputs (one thread), and a plain loop
//! of `solve` calls (one thread, no ensemble machinery).
//!
//! The ensemble runs with lanes 1 (one sample at a time) and 4 and 8
//! (samples integrated together, issue 19), and a six-state model
//! (Lorenz-96) likewise; Lorenz-96 of 4 to 64 sites, which lane count
//! pays for which size; and Sobol indices of an 8-input model at 2^14 base rows, lanes
//! against one solve at a time.
//!
//! Run: `cargo bench --bench ensemble`.

#[allow(dead_code)] // the shared baselines serve several benches
mod baseline;

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::SVector;
use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim};
use odeon::Dopri5;
use odeon::ensemble::{Dist, Ensemble, Independent, Runs, SampleRng, Sampler, Sobol};
use odeon::models::{Lorenz96, VanDerPol};
use odeon::{DualScalar, OdeSystem, Options, Solution, solve};
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
    // Lanes 1 is the ensemble one sample at a time (the baseline of the
    // lanes, issue 19).
    for (threads, lanes) in [(1, 1), (1, 4), (1, 8), (2, 1), (2, 4), (2, 8)] {
        g.bench_function(format!("odeon ensemble, {threads} thread(s), lanes {lanes}"), |b| {
            b.iter(|| {
                Ensemble::new(&VanDerPol, Dopri5, (0.0, 20.0), sampler(), black_box(N))
                    .options(opts.clone())
                    .seed(42)
                    .threads(threads)
                    .lanes(lanes)
                    .run()
                    .unwrap()
            })
        });
    }
    g.finish();
}

/// Lorenz-96's inputs on `n` sites: the sites' start ~ U(7, 9) (about
/// the forcing), the forcing F ~ U(6, 10).
fn lorenz96_sampler(n: usize) -> Independent {
    Independent::new(vec![Dist::Uniform { low: 7.0, high: 9.0 }; n], vec![Dist::Uniform { low: 6.0, high: 10.0 }])
        .unwrap()
}

/// `samples` Lorenz-96 runs, t in [0, 5], rtol = atol = 1e-6, final state,
/// on one thread with `lanes`.
fn lorenz96_ensemble<N: Dim>(model: &Lorenz96<N>, samples: u64, lanes: usize)
where
    DefaultAllocator: Allocator<N>,
{
    let opts = Options::default().rtol(1e-6).atol(1e-6).save_final();
    let n = model.dim().value();
    let run = Ensemble::new(model, Dopri5, (0.0, 5.0), lorenz96_sampler(n), black_box(samples))
        .options(opts)
        .threads(1)
        .lanes(lanes)
        .run();
    black_box(run.unwrap());
}

/// Which lane count pays for which size (`WIDE_LANES_MAX_STATES`,
/// `LANES_MAX_STATES`): Lorenz-96 of `n` sites, its size known at run
/// time, 60,000 states' worth of samples (`60,000 / n`), lanes 4 and 8
/// against one sample at a time, one thread.
fn lanes_by_size(c: &mut Criterion) {
    let mut g = c.benchmark_group("lanes_by_size_1_thread");
    g.sample_size(10).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for n in [4, 8, 16, 32, 64] {
        let model = Lorenz96::new(n).unwrap();
        for lanes in [1, 4, 8] {
            let name = if lanes == 1 {
                format!("{n} states, lanes 1 (baseline)")
            } else {
                format!("{n} states, lanes {lanes}")
            };
            g.bench_function(name, |b| b.iter(|| lorenz96_ensemble(&model, 60_000 / n as u64, lanes)));
        }
    }
    g.finish();
}

/// A six-state model: Lorenz-96 on six sites, forcing F ~ U(6, 10), the
/// sites' start ~ U(-1, 1) around F, t in [0, 5], rtol = atol = 1e-6;
/// 10,000 samples on one thread, lanes against one sample at a time.
fn lorenz96(c: &mut Criterion) {
    let model = Lorenz96::<Const<6>>::fixed();
    let mut g = c.benchmark_group("lorenz96_6_states_10k_1_thread");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(1));
    for lanes in [1, 4, 8] {
        let name =
            if lanes == 1 { "ensemble, lanes 1 (baseline)".to_string() } else { format!("ensemble, lanes {lanes}") };
        g.bench_function(name, |b| b.iter(|| lorenz96_ensemble(&model, N, lanes)));
    }
    g.finish();
}

/// SEIRS with births and deaths, normalised population: 4 states, 6
/// rates, and the initial exposed and infected fractions: 8 inputs.
struct Seirs;

impl OdeSystem for Seirs {
    type Dim = Const<4>;
    fn dim(&self) -> Const<4> {
        Const
    }
    fn n_params(&self) -> usize {
        6
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 4>, p: &[D], dy: &mut SVector<D, 4>) {
        let (beta, sigma, gamma, mu, omega, alpha) = (p[0], p[1], p[2], p[3], p[4], p[5]);
        let (s, e, i, r) = (y[0], y[1], y[2], y[3]);
        dy[0] = mu - beta * s * i + omega * r - mu * s;
        dy[1] = beta * s * i - (sigma + mu) * e;
        dy[2] = sigma * e - (gamma + mu + alpha) * i;
        dy[3] = gamma * i - (omega + mu) * r;
    }
}

/// Sobol indices of the infected fraction at t = 60 over the 8 inputs of
/// `Seirs`, 2^14 base rows (163,840 solves, Dopri5, rtol 1e-6), one
/// thread: lanes against one solve at a time.
fn sobol(c: &mut Criterion) {
    let u = |low, high| Dist::Uniform { low, high };
    let factors = vec![
        u(0.3, 0.8),
        u(0.1, 0.5),
        u(0.05, 0.2),
        u(0.0, 0.02),
        u(0.0, 0.05),
        u(0.0, 0.02),
        u(0.0, 0.01),
        u(0.001, 0.01),
    ];
    let opts = Options::default().rtol(1e-6).atol(1e-8).save_final();
    let inputs = |x: &[f64]| (vec![1.0 - x[6] - x[7], x[6], x[7], 0.0], x[..6].to_vec());
    let output = |sol: &Solution| sol.y[2];
    let sobol = Sobol::new(factors, 1 << 14).unwrap().bootstrap(0).threads(1);
    let mut g = c.benchmark_group("sobol_8_inputs_2e14_1_thread");
    g.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(1));
    for lanes in [1, 4, 8] {
        let name = if lanes == 1 { "lanes 1 (baseline)".to_string() } else { format!("lanes {lanes}") };
        let runs = Runs::new(&Seirs, Dopri5, (0.0, 60.0)).options(opts.clone()).lanes(lanes);
        g.bench_function(name, |b| b.iter(|| sobol.analyze_runs(&runs, &inputs, &output).unwrap()));
    }
    g.finish();
}

criterion_group!(benches, w4, lorenz96, lanes_by_size, sobol);
criterion_main!(benches);

//! Cost of exact forward sensitivities against the plain f64 solve, and of
//! chunking against the same passes run directly, measured in the same run.
//!
//! Run: `cargo bench --bench sensitivity`.

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::Const;
use num_dual::DualSVec64;
use odeon::models::{Lorenz96, LotkaVolterra as LV};
use odeon::scalar::InlineDual64;
use odeon::sensitivity::{Wrt, solve_sensitivities, solve_sensitivities_chunked};
use odeon::{Algorithm, Dopri5, Tsit5};
use odeon::{Options, solve, solve_dual};
use std::hint::black_box;
use std::time::Duration;

fn lotka_volterra(c: &mut Criterion) {
    // The peers' workload (shared/peers W2): 4 parameters + 2 initial
    // states, 101 save times on [0, 10], rtol = atol = 1e-8.
    let t_eval: Vec<f64> = (0..=100).map(|i| i as f64 * 0.1).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(t_eval);
    let wrt = Wrt::all(&LV);
    let mut g = c.benchmark_group("lotka_volterra_sensitivities");
    lv_pair(&mut g, Dopri5, &opts, &wrt);
    lv_pair(&mut g, Tsit5, &opts, &wrt);
    g.finish();
}

/// The f64 solve and the 6-direction sensitivities with one method.
fn lv_pair<A: Algorithm + std::fmt::Display>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    m: A,
    opts: &Options,
    wrt: &[Wrt],
) {
    g.bench_function(format!("{m} f64 solve (baseline)"), |b| {
        b.iter(|| solve(&LV, m, (0.0, 10.0), black_box(&LV::Y0), &LV::PARAMS, opts).unwrap())
    });
    g.bench_function(format!("{m} 6 directions, InlineDual64<6>"), |b| {
        b.iter(|| solve_sensitivities(&LV, m, (0.0, 10.0), black_box(&LV::Y0), &LV::PARAMS, wrt, opts).unwrap())
    });
}

fn chunking(c: &mut Criterion) {
    // Lorenz-96 with 23 sites: 23 initial states + the forcing = 24 directions.
    let model = Lorenz96::<Const<23>>::fixed();
    let y0 = model.perturbed_rest(8.0);
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(vec![1.0, 2.0]);
    let mut wrt = Wrt::initial_states(&model);
    wrt.push(Wrt::Param(0));
    let mut g = c.benchmark_group("chunking_24_directions");
    g.bench_function("f64 solve (reference)", |b| {
        b.iter(|| solve(&model, Dopri5, (0.0, 2.0), black_box(&y0), &[8.0], &opts).unwrap())
    });
    g.bench_function("solve_sensitivities, 3 chunks of 8", |b| {
        b.iter(|| {
            solve_sensitivities_chunked::<_, _, 8>(&model, Dopri5, (0.0, 2.0), black_box(&y0), &[8.0], &wrt, &opts)
                .unwrap()
        })
    });
    g.bench_function("3 direct InlineDual64<8> passes (baseline)", |b| {
        b.iter(|| {
            for chunk in 0..3 {
                let seed = |v: f64, dir: usize| {
                    let d = InlineDual64::<8>::from_re(v);
                    if dir / 8 == chunk { d.derivative(dir % 8) } else { d }
                };
                let y: Vec<_> = y0.iter().enumerate().map(|(i, &v)| seed(v, i)).collect();
                black_box(solve_dual(&model, Dopri5, (0.0, 2.0), black_box(&y), &[seed(8.0, 23)], &opts).unwrap());
            }
        })
    });
    // The same passes with num-dual's DualSVec64<8>, whose arithmetic is
    // not inlined across codegen units: why odeon seeds InlineDual64.
    g.bench_function("3 direct num-dual DualSVec64<8> passes", |b| {
        b.iter(|| {
            for chunk in 0..3 {
                let seed = |v: f64, dir: usize| {
                    let d = DualSVec64::<8>::from_re(v);
                    if dir / 8 == chunk { d.derivative(dir % 8) } else { d }
                };
                let y: Vec<_> = y0.iter().enumerate().map(|(i, &v)| seed(v, i)).collect();
                black_box(solve_dual(&model, Dopri5, (0.0, 2.0), black_box(&y), &[seed(8.0, 23)], &opts).unwrap());
            }
        })
    });
    g.bench_function("one InlineDual64<24> pass", |b| {
        b.iter(|| {
            solve_sensitivities_chunked::<_, _, 24>(&model, Dopri5, (0.0, 2.0), black_box(&y0), &[8.0], &wrt, &opts)
                .unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = lotka_volterra, chunking
}
criterion_main!(benches);

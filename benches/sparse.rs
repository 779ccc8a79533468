//! Large stiff systems: Hairer's 1-D Brusselator with N = 500 (1000
//! states, the peers' W6 `bruss1d`) with the sparse path against the dense
//! one in the same run, and the 2-D Brusselator's growth with the grid
//! (`2m²` states for m = 32 and 64; the dense path at m = 32; larger grids with `examples/brusselator.rs`).
//!
//! Run: `cargo bench --bench sparse`. The peers' times come from
//! `benches/peers/w6_bruss.py`, run beside this bench; see
//! `docs/benchmarks.md`, "Sparse".

use criterion::{Criterion, criterion_group, criterion_main};
use odeon::models::{Brusselator1D, Brusselator2D};
use odeon::{Algorithm, Bdf, Kvaerno5, Linsolve, OdeSystem, Options, Rodas5P, solve};
use std::hint::black_box;
use std::time::Duration;

fn row<S, A>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    (system, y0, p, t1): (&S, &[f64], &[f64], f64),
    m: A,
    opts: &Options,
) where
    S: OdeSystem,
    A: Algorithm + std::fmt::Display,
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<S::Dim>,
{
    g.bench_function(format!("{name} {m}"), |b| {
        b.iter(|| black_box(solve(system, m, (0.0, t1), y0, p, opts).unwrap()))
    });
}

fn bruss1d(c: &mut Criterion) {
    let m = Brusselator1D::new(500).unwrap();
    let y0 = m.initial_state();
    let problem = (&m, y0.as_slice(), Brusselator1D::PARAMS.as_slice(), 10.0);
    let base = Options::default().rtol(1e-6).atol(1e-6).save_final();
    let mut g = c.benchmark_group("bruss1d");
    g.measurement_time(Duration::from_secs(3)).sample_size(10);
    for (kind, ls) in [("sparse", Linsolve::Sparse), ("dense", Linsolve::Dense)] {
        let o = base.clone().linsolve(ls);
        row(&mut g, kind, problem, Bdf, &o);
        row(&mut g, kind, problem, Rodas5P, &o);
        row(&mut g, kind, problem, Kvaerno5, &o);
    }
    g.finish();
}

fn bruss2d(c: &mut Criterion) {
    let mut g = c.benchmark_group("bruss2d");
    g.measurement_time(Duration::from_secs(5)).sample_size(10);
    let base = Options::default().rtol(1e-6).atol(1e-6).save_final();
    for side in [32, 64] {
        let m = Brusselator2D::new(side).unwrap();
        let y0 = m.initial_state();
        let problem = (&m, y0.as_slice(), Brusselator2D::PARAMS.as_slice(), 1.0);
        let n = y0.len();
        row(&mut g, &format!("n={n} sparse"), problem, Bdf, &base.clone().linsolve(Linsolve::Sparse));
        if side == 32 {
            row(&mut g, &format!("n={n} dense"), problem, Bdf, &base.clone().linsolve(Linsolve::Dense));
        }
    }
    g.finish();
}

criterion_group!(benches, bruss1d, bruss2d);
criterion_main!(benches);

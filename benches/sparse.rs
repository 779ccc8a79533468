//! Large stiff systems: Hairer's 1-D Brusselator with N = 500 (1000
//! states, the peers' W6 `bruss1d`) with the sparse path against the dense
//! one in the same run (and with the Jacobian's pattern given, as the
//! peers' script gives scipy its `jac_sparsity`), the 2-D Brusselator's
//! growth with the grid (`2m²` states for m = 32 and 64: sparse LU against
//! the Krylov path, the latter also with the pattern given, and the dense
//! path at m = 32; larger grids with `examples/brusselator.rs`), and
//! parallel finite-element assembly (1 and 2 threads).
//!
//! Run: `cargo bench --bench sparse`. The peers' times come from
//! `benches/peers/w6_bruss.py`, run beside this bench; see
//! `docs/benchmarks.md`, "Sparse".

use criterion::{Criterion, criterion_group, criterion_main};
use odeon::fem::{Quad8Mesh, quad8};
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
    // The pattern given, as scipy's `jac_sparsity` is in the peers' script
    // (found there before the timing): no tracing inside the solve.
    let pattern = odeon::integrate::sparsity(&m, 0.0, &y0, &Brusselator1D::PARAMS).unwrap();
    let entries = pattern.entries().collect();
    let o = base.clone().linsolve(Linsolve::Sparse).jac_pattern(entries);
    row(&mut g, "sparse, pattern given", problem, Bdf, &o);
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
        row(&mut g, &format!("n={n} krylov"), problem, Bdf, &base.clone().linsolve(Linsolve::Krylov));
        // As scipy's `jac_sparsity` is given (peers' W9 script).
        let pattern = odeon::integrate::sparsity(&m, 0.0, &y0, &Brusselator2D::PARAMS).unwrap();
        let given = base.clone().linsolve(Linsolve::Krylov).jac_pattern(pattern.entries().collect());
        row(&mut g, &format!("n={n} krylov, pattern given"), problem, Bdf, &given);
        if side == 32 {
            row(&mut g, &format!("n={n} dense"), problem, Bdf, &base.clone().linsolve(Linsolve::Dense));
        }
    }
    g.finish();
}

/// Parallel finite-element assembly: the quad8 conductivity matrix of a
/// 320 × 320 mesh (102,400 elements, 308,481 nodes) on one thread (the
/// baseline) and on two; efficiency = t₁ / (2 t₂).
fn fem_assembly(c: &mut Criterion) {
    let mesh = Quad8Mesh::rectangle((0.0, 2.0), (0.0, 1.0), 320, 320).unwrap();
    let mut g = c.benchmark_group("fem_assembly");
    g.measurement_time(Duration::from_secs(8)).sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        g.bench_function(format!("102400 quad8, {threads} thread(s)"), |b| {
            b.iter(|| {
                pool.install(|| {
                    black_box(
                        mesh.assemble(|e| Ok(quad8::element(&mesh.element_nodes(e), 1.0, 1.0, 0.0)?.stiffness))
                            .unwrap(),
                    )
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bruss1d, bruss2d, fem_assembly);
criterion_main!(benches);

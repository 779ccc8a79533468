//! Stiff problems (the peers' W6 workloads): Robertson to t = 40 and to
//! 1e11, Hairer's scaled Van der Pol (ε = 1e-6) and HIRES, each at W6's
//! loose and tight tolerance pair, with the Rosenbrock methods, BDF and
//! the ESDIRK methods;
//! the cost of Robertson's sensitivities to its three rate constants
//! against the `f64` solve in the same run; and `Auto` at tight
//! tolerances against Rodas5P (the baseline) in the same run.
//!
//! Run: `cargo bench --bench stiff`. The peers' times come from their own
//! script (`w6_stiff.py`), run beside this bench; see `docs/benchmarks.md`.

use criterion::{Criterion, criterion_group, criterion_main};
use odeon::models::{Hires, Robertson, StiffVanDerPol};
use odeon::sensitivity::{Wrt, solve_sensitivities};
use odeon::{
    Algorithm, Auto, Bdf, Kvaerno5, OdeProblem, OdeSystem, Options, Rodas4P, Rodas5P, Rosenbrock23, TrBdf2, solve,
};
use std::hint::black_box;
use std::time::Duration;

/// One problem at W6's two tolerance pairs.
fn solve_row<S, A>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    problem: &OdeProblem<'_, S>,
    m: A,
    tols: [(f64, f64); 2],
) where
    S: OdeSystem,
    A: Algorithm + std::fmt::Display,
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<S::Dim>,
{
    for (rtol, atol) in tols {
        let opts = Options::default().rtol(rtol).atol(atol).save_final().max_steps(10_000_000);
        g.bench_function(format!("{name} {m} rtol={rtol:e}"), |b| {
            b.iter(|| black_box(problem).solve(m, &opts).unwrap())
        });
    }
}

fn problems(c: &mut Criterion) {
    let rob = [(1e-6, 1e-10), (1e-10, 1e-14)];
    let vdp = [(1e-6, 1e-6), (1e-8, 1e-8)];
    let rob40 = OdeProblem::new(&Robertson, (0.0, 40.0), &Robertson::Y0, &Robertson::PARAMS);
    let rob11 = OdeProblem::new(&Robertson, (0.0, 1e11), &Robertson::Y0, &Robertson::PARAMS);
    let vdpol = OdeProblem::new(&StiffVanDerPol, (0.0, 2.0), &StiffVanDerPol::Y0, &StiffVanDerPol::PARAMS);
    let hires = OdeProblem::new(&Hires, (0.0, 321.8122), &Hires::Y0, &Hires::PARAMS);
    let mut g = c.benchmark_group("stiff");
    g.measurement_time(Duration::from_secs(3)).sample_size(20);
    solve_row(&mut g, "robertson_t40", &rob40, Rodas5P, rob);
    solve_row(&mut g, "robertson_t1e11", &rob11, Rodas5P, rob);
    solve_row(&mut g, "vdpol", &vdpol, Rodas5P, vdp);
    solve_row(&mut g, "hires", &hires, Rodas5P, rob);
    solve_row(&mut g, "robertson_t40", &rob40, Bdf, rob);
    solve_row(&mut g, "robertson_t1e11", &rob11, Bdf, rob);
    solve_row(&mut g, "vdpol", &vdpol, Bdf, vdp);
    solve_row(&mut g, "hires", &hires, Bdf, rob);
    solve_row(&mut g, "robertson_t40", &rob40, Kvaerno5, rob);
    solve_row(&mut g, "robertson_t1e11", &rob11, Kvaerno5, rob);
    solve_row(&mut g, "vdpol", &vdpol, Kvaerno5, vdp);
    solve_row(&mut g, "hires", &hires, Kvaerno5, rob);
    solve_row(&mut g, "robertson_t40", &rob40, TrBdf2, rob);
    solve_row(&mut g, "robertson_t40", &rob40, Rodas4P, rob);
    solve_row(&mut g, "robertson_t40", &rob40, Rosenbrock23, rob);
    g.finish();
}

/// Robertson to 40 with `m`: the `f64` solve (the baseline) and the
/// sensitivities to the three rate constants, in one group.
fn sensitivity_pair<A: Algorithm + std::fmt::Display>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    m: A,
    opts: &Options,
) {
    let wrt = Wrt::params(&Robertson);
    let (y0, p) = (Robertson::Y0, Robertson::PARAMS);
    g.bench_function(format!("{m} f64 solve (baseline)"), |b| {
        b.iter(|| solve(&Robertson, m, (0.0, 40.0), black_box(&y0), &p, opts).unwrap())
    });
    g.bench_function(format!("{m} 3 rate constants"), |b| {
        b.iter(|| solve_sensitivities(&Robertson, m, (0.0, 40.0), black_box(&y0), &p, &wrt, opts).unwrap())
    });
}

fn sensitivities(c: &mut Criterion) {
    let opts = Options::default().rtol(1e-6).atol(1e-10).save_final();
    let mut g = c.benchmark_group("robertson_sensitivities");
    sensitivity_pair(&mut g, Rodas5P, &opts);
    sensitivity_pair(&mut g, Bdf, &opts);
    g.finish();
}

/// `Auto` where Tsit5's stages hide the stiffness (rtol 1e-10 and 1e-12,
/// atol = rtol·1e-2: its plateau check switches), against Rodas5P alone.
fn auto_tight(c: &mut Criterion) {
    let rob = OdeProblem::new(&Robertson, (0.0, 1e5), &Robertson::Y0, &Robertson::PARAMS);
    let hires = OdeProblem::new(&Hires, (0.0, 321.8122), &Hires::Y0, &Hires::PARAMS);
    let tols = [(1e-10, 1e-12), (1e-12, 1e-14)];
    let mut g = c.benchmark_group("auto_tight");
    g.measurement_time(Duration::from_secs(3)).sample_size(20);
    solve_row(&mut g, "robertson_t1e5", &rob, Rodas5P, tols);
    solve_row(&mut g, "robertson_t1e5", &rob, Auto, tols);
    solve_row(&mut g, "hires", &hires, Rodas5P, tols);
    solve_row(&mut g, "hires", &hires, Auto, tols);
    g.finish();
}

criterion_group!(benches, problems, sensitivities, auto_tight);
criterion_main!(benches);

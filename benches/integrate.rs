//! Speed of the generic integrator against hand-written, model-specific
//! Dopri5 loops in plain f64 (same tableau, norm and controller), measured
//! in the same run; compile-time against run-time state sizes; and
//! events (a bouncing ball, and the cost of watching an event that never
//! fires); a model read from a file (its tape interpreted) against the
//! same equations compiled from Rust: right-hand side, solve and
//! sensitivities.
//!
//! Run: `cargo bench --bench integrate`.

mod baseline;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator};
use odeon::Dopri5;
use odeon::events::Event;
use odeon::models::{BouncingBall, Lorenz, Lorenz96, VanDerPol};
use odeon::{Algorithm, Dop853, DualScalar, OdeSystem, Options, Rodas5P, State, Tsit5, solve};
use std::hint::black_box;
use std::time::Duration;

fn nonstiff(c: &mut Criterion) {
    let opts = Options::default().rtol(1e-8).atol(1e-8).save_final();

    let mut g = c.benchmark_group("van_der_pol_1e-8");
    g.bench_function("hand-written Dopri5 (baseline)", |b| {
        b.iter(|| baseline::dopri5(baseline::van_der_pol(1.0), 0.0, 20.0, black_box([2.0, 0.0]), 1e-8))
    });
    let vdp = (&VanDerPol, (0.0, 20.0), &[2.0, 0.0][..], &[1.0][..], &opts);
    odeon(&mut g, Dopri5, vdp);
    odeon(&mut g, Tsit5, vdp);
    odeon(&mut g, Dop853, vdp);
    g.finish();

    let mut g = c.benchmark_group("lorenz_1e-8");
    g.bench_function("hand-written Dopri5 (baseline)", |b| {
        b.iter(|| baseline::dopri5(baseline::lorenz(10.0, 28.0, 8.0 / 3.0), 0.0, 10.0, black_box([1.0; 3]), 1e-8))
    });
    let lorenz = (&Lorenz, (0.0, 10.0), &[1.0; 3][..], &Lorenz::PARAMS[..], &opts);
    odeon(&mut g, Dopri5, lorenz);
    odeon(&mut g, Tsit5, lorenz);
    odeon(&mut g, Dop853, lorenz);
    g.finish();
}

/// One method on one problem; the method a type, not a `Method` value
/// (a value compiles every stepper).
fn odeon<S: odeon::Model, A: Algorithm>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    m: A,
    (system, t_span, y0, p, opts): (&S, (f64, f64), &[f64], &[f64], &Options),
) where
    DefaultAllocator: Allocator<S::Dim>,
{
    g.bench_function(format!("odeon {}", m.name()), |b| {
        b.iter(|| solve(system, m, t_span, black_box(y0), p, opts).unwrap())
    });
}

fn sizes(c: &mut Criterion) {
    let opts = Options::default().rtol(1e-8).atol(1e-8).save_final();
    let mut g = c.benchmark_group("lorenz96_const_vs_dyn");
    let fixed8 = Lorenz96::<Const<8>>::fixed();
    let dyn8 = Lorenz96::new(8).unwrap();
    let y8 = dyn8.perturbed_rest(8.0);
    g.bench_function("n=8 Const", |b| b.iter(|| solve(&fixed8, Dopri5, (0.0, 5.0), black_box(&y8), &[8.0], &opts)));
    g.bench_function("n=8 Dyn", |b| b.iter(|| solve(&dyn8, Dopri5, (0.0, 5.0), black_box(&y8), &[8.0], &opts)));
    let fixed40 = Lorenz96::<Const<40>>::fixed();
    let dyn40 = Lorenz96::new(40).unwrap();
    let y40 = dyn40.perturbed_rest(8.0);
    g.bench_function("n=40 Const", |b| b.iter(|| solve(&fixed40, Dopri5, (0.0, 5.0), black_box(&y40), &[8.0], &opts)));
    g.bench_function("n=40 Dyn", |b| b.iter(|| solve(&dyn40, Dopri5, (0.0, 5.0), black_box(&y40), &[8.0], &opts)));
    g.finish();
}

/// Van der Pol watched by an event function that never changes sign.
struct Watched;

impl OdeSystem for Watched {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, t: D, y: &State<D, Const<2>>, p: &[D], dy: &mut State<D, Const<2>>) {
        VanDerPol.rhs(t, y, p, dy)
    }
    fn events(&self) -> Vec<Event> {
        vec![Event::new("never")]
    }
    fn event_values<D: DualScalar>(&self, _t: D, y: &State<D, Const<2>>, _p: &[D], g: &mut [D]) {
        g[0] = y[0] - 100.0;
    }
}

fn events(c: &mut Criterion) {
    let opts = Options::default().rtol(1e-10).atol(1e-10).save_final();
    let ball = BouncingBall { terminal: false };
    // The tenth bounce is at t = 11.317.
    let mut g = c.benchmark_group("bouncing_ball_10_bounces_1e-10");
    g.bench_function("odeon Tsit5", |b| {
        b.iter(|| solve(&ball, Tsit5, (0.0, 11.5), black_box(&BouncingBall::Y0), &BouncingBall::PARAMS, &opts))
    });
    g.bench_function("odeon Rodas5P", |b| {
        b.iter(|| solve(&ball, Rodas5P, (0.0, 11.5), black_box(&BouncingBall::Y0), &BouncingBall::PARAMS, &opts))
    });
    // diffrax's events are terminal: the first landing, where it stops.
    let landing = BouncingBall { terminal: true };
    g.bench_function("odeon Tsit5, terminal (first landing)", |b| {
        b.iter(|| solve(&landing, Tsit5, (0.0, 11.5), black_box(&BouncingBall::Y0), &BouncingBall::PARAMS, &opts))
    });
    g.finish();

    let opts = Options::default().rtol(1e-8).atol(1e-8).save_final();
    let mut g = c.benchmark_group("event_watch_overhead_van_der_pol_1e-8");
    g.bench_function("no events (baseline)", |b| {
        b.iter(|| solve(&VanDerPol, Tsit5, (0.0, 20.0), black_box(&[2.0, 0.0]), &[1.0], &opts))
    });
    g.bench_function("one event, never fires", |b| {
        b.iter(|| solve(&Watched, Tsit5, (0.0, 20.0), black_box(&[2.0, 0.0]), &[1.0], &opts))
    });

    g.finish();
}

/// Lotka–Volterra from `examples/models/lotka_volterra.toml` against
/// `odeon::models::LotkaVolterra` (issue 18's goals: ≤ 3× for the
/// right-hand side, ≤ 2× end to end with sensitivities). With the `jit`
/// feature the file's `f64` rows run compiled code, and the `interpreted`
/// rows the interpreter; without it both are the interpreter.
fn tape(c: &mut Criterion) {
    use nalgebra::{DVector, SVector};
    use odeon::models::LotkaVolterra as Lv;
    use odeon::sensitivity::{Wrt, solve_sensitivities};
    use odeon::system::Model;
    use odeon::tape::TapeModel;
    let file =
        TapeModel::from_toml("lotka_volterra.toml", include_str!("../examples/models/lotka_volterra.toml")).unwrap();
    let mut g = c.benchmark_group("tape_vs_rust_lotka_volterra");
    rhs_rows(&mut g, &Lv, &file, Lv::Y0, &Lv::PARAMS);
    let slow = file.clone().interpreted();
    // Six directions, as the sensitivities to four parameters and two
    // initial states.
    type D6 = odeon::scalar::InlineDual64<6>;
    let seed = |v: f64, k: usize| D6::from_re(v).derivative(k);
    let (y6, p6) = (SVector::from([seed(1.0, 4), seed(1.0, 5)]), [0, 1, 2, 3].map(|k| seed(Lv::PARAMS[k], k)));
    let mut dy6 = y6;
    g.bench_function("rhs rust dual6", |b| {
        b.iter(|| Model::rhs(&Lv, D6::from(0.0), black_box(&y6), &[], &p6, &mut dy6))
    });
    let (y6d, mut dy6d) = (DVector::from_column_slice(y6.as_slice()), DVector::from_element(2, D6::from(0.0)));
    g.bench_function("rhs file dual6", |b| b.iter(|| file.rhs(D6::from(0.0), black_box(&y6d), &[], &p6, &mut dy6d)));
    g.bench_function("rhs file dual6 interpreted", |b| {
        b.iter(|| slow.rhs(D6::from(0.0), black_box(&y6d), &[], &p6, &mut dy6d))
    });
    let opts = Options::default().rtol(1e-8).atol(1e-10).save_final();
    let span = (0.0, 10.0);
    g.bench_function("solve rust", |b| {
        b.iter(|| solve(&Lv, Dopri5, span, black_box(&Lv::Y0), &Lv::PARAMS, &opts).unwrap())
    });
    g.bench_function("solve file", |b| {
        b.iter(|| solve(&file, Dopri5, span, black_box(&Lv::Y0), &Lv::PARAMS, &opts).unwrap())
    });
    g.bench_function("solve file interpreted", |b| {
        b.iter(|| solve(&slow, Dopri5, span, black_box(&Lv::Y0), &Lv::PARAMS, &opts).unwrap())
    });
    let wrt = Wrt::all(&Lv);
    g.bench_function("sensitivities rust", |b| {
        b.iter(|| solve_sensitivities(&Lv, Dopri5, span, black_box(&Lv::Y0), &Lv::PARAMS, &wrt, &opts).unwrap())
    });
    g.bench_function("sensitivities file", |b| {
        b.iter(|| solve_sensitivities(&file, Dopri5, span, black_box(&Lv::Y0), &Lv::PARAMS, &wrt, &opts).unwrap())
    });
    g.bench_function("sensitivities file interpreted", |b| {
        b.iter(|| solve_sensitivities(&slow, Dopri5, span, black_box(&Lv::Y0), &Lv::PARAMS, &wrt, &opts).unwrap())
    });
    g.finish();
    // A larger right-hand side (8 states, 24 terms), where the call of the
    // file model's code weighs less against its arithmetic.
    use odeon::models::Hires;
    let file = TapeModel::from_toml("hires.toml", include_str!("../examples/models/hires.toml")).unwrap();
    let mut g = c.benchmark_group("tape_vs_rust_hires");
    rhs_rows(&mut g, &Hires, &file, Hires::Y0, &Hires::PARAMS);
    g.finish();
}

/// The `f64` right-hand side of `rust` against the same equations read
/// from a file, compiled (with the `jit` feature) and interpreted.
fn rhs_rows<S: odeon::system::Model<Dim = Const<N>>, const N: usize>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rust: &S,
    file: &odeon::tape::TapeModel,
    y0: [f64; N],
    p: &[f64],
) {
    use nalgebra::{DVector, SVector};
    use odeon::system::Model;
    let y = SVector::from(y0);
    let mut dy = y;
    g.bench_function("rhs rust f64", |b| b.iter(|| Model::rhs(rust, 0.0, black_box(&y), &[], p, &mut dy)));
    let (yd, mut dyd) = (DVector::from_column_slice(&y0), DVector::zeros(N));
    g.bench_function("rhs file f64", |b| b.iter(|| file.rhs(0.0, black_box(&yd), &[], p, &mut dyd)));
    let slow = file.clone().interpreted();
    g.bench_function("rhs file f64 interpreted", |b| b.iter(|| slow.rhs(0.0, black_box(&yd), &[], p, &mut dyd)));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = nonstiff, sizes, events, tape
}
criterion_main!(benches);

//! The Lotka–Volterra fit of the peers' benchmark (W3): odeon's
//! Levenberg–Marquardt with exact Jacobians from the sensitivities, against
//! the same solver fed a 2-point finite-difference Jacobian (scipy's
//! approach), measured in the same run; and the same pair on the oral
//! dosing fit of `examples/pharmacokinetics.rs` (doses on a schedule, the
//! lag time estimated).
//!
//! PEtab (issue 18): the Boehm problem's log-likelihood and its gradient
//! by forward sensitivities, against the gradient by central differences
//! (2n + 1 likelihoods) in the same run, with Rodas5P and BDF; AMICI's
//! figures on this kind of machine are in `shared/peers/RESULTS.md`, W7.
//!
//! Run: `cargo bench --bench fit`.

use argmin::core::{Error, Executor, Jacobian, Operator};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use nalgebra::DMatrix;
use odeon::fit::{
    Data, Experiment, FitOptions, FitProblem, LevenbergMarquardt, Objective, Observable, Parameter, States, fit,
};
use odeon::models::{LotkaVolterra, OralDosing};
use odeon::tape::TapeModel;
use odeon::{Algorithm, Dopri5, OdeSystem, Options, Tsit5};
use std::hint::black_box;
use std::time::Duration;

fn problem() -> FitProblem<'static, LotkaVolterra, States, Dopri5> {
    let path = format!("{}/examples/data/lv_noisy.csv", env!("CARGO_MANIFEST_DIR"));
    let data = Data::from_csv(path, "t", &["x", "y"], None).unwrap();
    // The peers' setup: start (1, 0.5, 2, 0.5), ODE at rtol = atol = 1e-8.
    let mut p = FitProblem::new(&LotkaVolterra, Dopri5, States(vec![0, 1]))
        .options(Options::default().rtol(1e-8).atol(1e-8))
        .experiment(Experiment::new("lv", &[1.0, 1.0], data));
    for (name, guess) in [("a", 1.0), ("b", 0.5), ("c", 2.0), ("d", 0.5)] {
        p = p.parameter(Parameter::new(name, guess));
    }
    p
}

/// The fit problem with its Jacobian replaced by forward differences.
struct FiniteDifferences<'p>(Objective<'p>);

impl Operator for FiniteDifferences<'_> {
    type Param = Vec<f64>;
    type Output = Vec<f64>;
    fn apply(&self, z: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(self.0.residuals(z)?.as_slice().to_vec())
    }
}

impl Jacobian for FiniteDifferences<'_> {
    type Param = Vec<f64>;
    type Jacobian = DMatrix<f64>;
    fn jacobian(&self, z: &Vec<f64>) -> Result<DMatrix<f64>, Error> {
        let r0 = self.0.residuals(z)?;
        let mut j = DMatrix::zeros(r0.len(), z.len());
        for c in 0..z.len() {
            let h = 1.49e-8 * z[c].abs().max(1.0);
            let mut zc = z.clone();
            zc[c] += h;
            j.set_column(c, &((self.0.residuals(&zc)? - &r0) / h));
        }
        Ok(j)
    }
}

const PK: OralDosing = OralDosing { dose: 100.0, period: 12.0, doses: 6 };

fn pk_problem() -> FitProblem<'static, OralDosing, States, Tsit5> {
    let path = format!("{}/examples/data/pk_noisy.csv", env!("CARGO_MANIFEST_DIR"));
    let data = Data::from_csv(path, "t", &["concentration"], Some(&["sigma"])).unwrap();
    let mut p = FitProblem::new(&PK, Tsit5, States(vec![1]))
        .options(Options::default().rtol(1e-9).atol(1e-10))
        .experiment(Experiment::new("oral", &[0.0, 0.0], data));
    for (name, guess) in [("ka", 0.8), ("ke", 0.25), ("V", 20.0), ("tlag", 0.3)] {
        p = p.parameter(Parameter::new(name, guess).bounds(0.01, 100.0));
    }
    p
}

/// The fit with exact Jacobians against the same LM with finite differences.
fn compare<S, O, A>(c: &mut Criterion, name: &str, p: &FitProblem<'_, S, O, A>)
where
    S: OdeSystem + Sync,
    O: Observable + Sync,
    A: Algorithm,
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<S::Dim>,
{
    let mut g = c.benchmark_group(name);
    g.bench_function("odeon LM, exact Jacobian", |b| b.iter(|| fit(black_box(p), &FitOptions::default()).unwrap()));
    g.bench_function("same LM, finite-difference Jacobian (baseline)", |b| {
        b.iter(|| {
            let objective = FiniteDifferences(p.objective().unwrap());
            let z0 = objective.0.layout().start();
            let solver = LevenbergMarquardt::new().with_tolerances(1e-10, 1e-10, 1e-10).unwrap();
            let res = Executor::new(objective, solver).configure(|s| s.param(z0).max_iters(500)).run().unwrap();
            black_box(res.state.best_cost)
        })
    });
    g.finish();
}

fn fits(c: &mut Criterion) {
    compare(c, "lotka_volterra_fit", &problem());
    compare(c, "oral_dosing_fit", &pk_problem());
}

fn petab(c: &mut Criterion) {
    use odeon::import::petab::{Petab, Settings};
    let name = "Boehm_JProteomeRes2014";
    let path = format!("{}/tests/data/petab/{name}/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let problem = Petab::read(path).unwrap();
    let theta = problem.nominal();
    // The SBML model alone with its own parameter values, states at the
    // measurement times: what libroadrunner's `reset(); simulate(times)`
    // does (its figure comes from a script run beside this bench).
    let model = problem.model();
    let p = model.params().to_vec();
    let y0 = model.initial_state::<f64>(&p);
    let times = [0.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 120.0, 160.0, 200.0, 240.0];
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(times.to_vec());
    let mut g = c.benchmark_group("petab_boehm");
    // The method a type (a `Method` value compiles every stepper).
    // With the `jit` feature the model runs compiled code, and
    // `interpreted` the interpreter; without it both rows interpret.
    fn states<A: Algorithm>(
        g: &mut BenchmarkGroup<'_, WallTime>,
        m: A,
        model: &TapeModel,
        y0p: [&[f64]; 2],
        o: &Options,
    ) {
        g.bench_function(format!("SBML states at the measurement times (as libroadrunner), {}", m.name()), |b| {
            b.iter(|| odeon::solve(model, m, (0.0, 240.0), black_box(y0p[0]), y0p[1], o).unwrap())
        });
        let slow = model.clone().interpreted();
        g.bench_function(format!("SBML states at the measurement times, {}, interpreted", m.name()), |b| {
            b.iter(|| odeon::solve(&slow, m, (0.0, 240.0), black_box(y0p[0]), y0p[1], o).unwrap())
        });
    }
    states(&mut g, odeon::Rodas5P, model, [&y0, &p], &opts);
    states(&mut g, odeon::Bdf, model, [&y0, &p], &opts);
    for method in [odeon::Method::Rodas5P, odeon::Method::Bdf] {
        let s = Settings { method, ..Settings::default() };
        g.bench_function(format!("log-likelihood, {method}"), |b| {
            b.iter(|| problem.log_likelihood(black_box(&theta), &s).unwrap())
        });
        g.bench_function(format!("gradient, forward sensitivities, {method}"), |b| {
            b.iter(|| problem.gradient(black_box(&theta), &s).unwrap())
        });
        g.bench_function(format!("gradient, central differences, {method} (baseline)"), |b| {
            b.iter(|| {
                let mut g = vec![problem.log_likelihood(&theta, &s).unwrap()];
                for j in 0..theta.len() {
                    let (mut a, mut z) = (theta.clone(), theta.clone());
                    a[j] += 1e-5;
                    z[j] -= 1e-5;
                    g.push((problem.log_likelihood(&a, &s).unwrap() - problem.log_likelihood(&z, &s).unwrap()) / 2e-5);
                }
                black_box(g)
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = fits, petab
}
criterion_main!(benches);

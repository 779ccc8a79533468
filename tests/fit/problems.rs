//! Parameter estimation: recovery from noise-free data with every solver,
//! the published optima on noisy Lotka–Volterra data (local and
//! multistart), coverage of the confidence intervals, identifiability,
//! failures inside a fit, and bad input.

use argmin::core::Executor;
use nalgebra::{Const, SVector};
use odeon::fit::{
    Data, Experiment, FitOptions, FitProblem, FitSolver, LevenbergMarquardt, Multistart, Observable, Parameter, States,
    fit, multistart,
};
use odeon::models::LotkaVolterra as LV;
use odeon::{Dop853, Dopri5, Tsit5};
use odeon::{DualScalar, Error, OdeSystem, Options, solve};
use rayon::prelude::*;

const TRUE: [f64; 4] = [1.5, 1.0, 3.0, 1.0];
const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn data_path() -> String {
    format!("{}/examples/data/lv_noisy.csv", env!("CARGO_MANIFEST_DIR"))
}

fn lv_problem(data: Data, start: [f64; 4], tol: f64) -> FitProblem<'static, LV, States, Dopri5> {
    let mut p = FitProblem::new(&LV, Dopri5, States(vec![0, 1])).options(Options::default().rtol(tol).atol(tol));
    for (name, guess) in NAMES.iter().zip(start) {
        p = p.parameter(Parameter::new(*name, guess).bounds(0.1, 5.0));
    }
    p.experiment(Experiment::new("lv", &[1.0, 1.0], data))
}

fn synthetic(p: &[f64], times: &[f64]) -> Data {
    let sol = solve(
        &LV,
        Dop853,
        (0.0, *times.last().unwrap()),
        &[1.0, 1.0],
        p,
        &Options::default().rtol(1e-13).atol(1e-13).t_eval(times.to_vec()),
    )
    .unwrap();
    Data::new(times.to_vec(), sol.y).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// Lotka–Volterra has local minima even without noise; from these starts
/// (every parameter 50% off) the truth is in reach. Plain and
/// log-transformed parameters are fitted from different starts.
#[test]
fn every_solver_recovers_noise_free_parameters() {
    let times: Vec<f64> = (1..=20).map(|i| i as f64 * 0.5).collect();
    let data = synthetic(&TRUE, &times);
    for (log, start) in [(false, [2.25, 1.5, 1.5, 0.5]), (true, [2.25, 0.5, 4.5, 0.5])] {
        for solver in [FitSolver::LevenbergMarquardt, FitSolver::GaussNewton, FitSolver::Lbfgs, FitSolver::NelderMead] {
            let mut problem = lv_problem(data.clone(), start, 1e-11);
            for p in &mut problem.parameters {
                p.log = log;
            }
            let options = FitOptions { solver, max_iters: 5000, ftol: 1e-14, xtol: 1e-14, gtol: 1e-12 };
            let report = fit(&problem, &options).unwrap();
            assert!(report.converged, "{solver:?} (log {log}): {}", report.termination);
            for (e, t) in report.estimates.iter().zip(TRUE) {
                assert!(
                    rel(e.value, t) < 1e-6,
                    "{solver:?} (log {log}) {}: {} vs {t} ({})",
                    e.name,
                    e.value,
                    report.termination
                );
            }
        }
    }
}

/// scipy least_squares with an exact Jacobian at rtol = atol = 1e-12
/// (shared/peers/RESULTS.md, W3).
const LOCAL: ([f64; 4], f64, [f64; 4]) = (
    [3.1663976476422175, 2.0401089304339277, 0.345441546426727, 0.18122730839231826],
    55.8893943301,
    [1.14734, 1.04425, 0.13465, 0.07022],
);
const GLOBAL: ([f64; 4], f64, [f64; 4]) = (
    [1.5058754450863132, 0.9983601915974516, 2.9816911926784977, 0.9940002864496783],
    0.0285343708,
    [0.00557, 0.00503, 0.01602, 0.00588],
);

#[test]
fn noisy_lotka_volterra_local_minimum_from_the_peers_start() {
    let data = Data::from_csv(data_path(), "t", &["x", "y"], None).unwrap();
    let report = fit(&lv_problem(data, [1.0, 0.5, 2.0, 0.5], 1e-10), &FitOptions::default()).unwrap();
    assert!(rel(report.cost, LOCAL.1) < 1e-8, "cost {}", report.cost);
    for (i, e) in report.estimates.iter().enumerate() {
        assert!(rel(e.value, LOCAL.0[i]) < 1e-6, "{}: {}", e.name, e.value);
        let se = e.std_error.unwrap();
        assert!(rel(se, LOCAL.2[i]) < 1e-3, "{} std error {se}", e.name);
    }
}

/// NL2SOL's secant model on a large-residual fit (the local minimum of the
/// peers' start, cost 55.9: the model far from the data): the optimum to
/// 1e-6 relative, where Gauss–Newton alone converges linearly and its cost
/// test stops it about ten times farther away, after more iterations.
#[test]
fn the_secant_model_reaches_a_large_residual_optimum() {
    let data = Data::from_csv(data_path(), "t", &["x", "y"], None).unwrap();
    let mut problem = FitProblem::new(&LV, Dopri5, States(vec![0, 1]))
        .options(Options::default().rtol(1e-10).atol(1e-10))
        .experiment(Experiment::new("lv", &[1.0, 1.0], data));
    for (name, guess) in NAMES.iter().zip([1.0, 0.5, 2.0, 0.5]) {
        problem = problem.parameter(Parameter::new(*name, guess));
    }
    let run = |secant: bool| {
        let objective = problem.objective().unwrap();
        let z0 = objective.layout().start();
        let lm = LevenbergMarquardt::new().structured_secant(secant);
        let res = Executor::new(objective, lm).configure(|s| s.param(z0).max_iters(500)).run().unwrap();
        let z = res.state.best_param.clone().unwrap();
        (z.iter().zip(LOCAL.0).map(|(a, b)| rel(*a, b)).fold(0.0, f64::max), res.state.iter)
    };
    let ((err, iters), (err_gn, iters_gn)) = (run(true), run(false));
    assert!(err < 1e-6, "secant model: {err:e} from the optimum after {iters} iterations");
    assert!(err < 0.1 * err_gn && iters < iters_gn, "{err:e} in {iters} against {err_gn:e} in {iters_gn}");
}

#[test]
fn noisy_lotka_volterra_multistart_finds_the_global_minimum() {
    let data = Data::from_csv(data_path(), "t", &["x", "y"], None).unwrap();
    let problem = lv_problem(data, [1.0, 0.5, 2.0, 0.5], 1e-10);
    let ms = Multistart { starts: 32, seed: 2026, progress: false };
    let r = multistart(&problem, &FitOptions::default(), &ms).unwrap();
    assert!(rel(r.best.cost, GLOBAL.1) < 1e-5, "cost {}", r.best.cost);
    for (i, e) in r.best.estimates.iter().enumerate() {
        assert!(rel(e.value, GLOBAL.0[i]) < 1e-5, "{}: {}", e.name, e.value);
        let se = e.std_error.unwrap();
        assert!(rel(se, GLOBAL.2[i]) < 2e-3, "{} std error {se}", e.name);
    }
    assert!(r.optima.len() >= 2, "the local minimum at 55.89 is found too: {:?}", r.optima);
    assert!(r.optima.windows(2).all(|w| w[0].cost <= w[1].cost));
    // Deterministic for the seed, whatever the scheduling.
    let again = multistart(&problem, &FitOptions::default(), &ms).unwrap();
    assert_eq!(again.optima, r.optima);
}

/// Standard normal draws (Box–Muller on SplitMix64), for the coverage test.
fn normals(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u1, u2) = (1.0 - next(), next());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
        .collect()
}

#[test]
fn confidence_intervals_cover_the_truth() {
    let times: Vec<f64> = (1..=20).map(|i| i as f64 * 0.5).collect();
    let clean = synthetic(&TRUE, &times);
    let covered: Vec<[bool; 4]> = (0..200u64)
        .into_par_iter()
        .map(|k| {
            let noise = normals(1000 + k, clean.values.len());
            let values = clean.values.iter().zip(&noise).map(|(v, e)| v + 0.05 * e).collect();
            let data = Data::new(times.clone(), values).unwrap();
            let report = fit(&lv_problem(data, TRUE, 1e-8), &FitOptions::default()).unwrap();
            std::array::from_fn(|i| {
                let ci = report.estimates[i].ci95.unwrap();
                ci[0] <= TRUE[i] && TRUE[i] <= ci[1]
            })
        })
        .collect();
    for i in 0..4 {
        let rate = covered.iter().filter(|c| c[i]).count() as f64 / covered.len() as f64;
        assert!((0.90..=0.99).contains(&rate), "{}: coverage {rate}", NAMES[i]);
    }
}

/// `y' = −k1 k2 y`: only the product is determined by data.
struct Product;
impl OdeSystem for Product {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        2
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = -p[0] * p[1] * y[0];
    }
    fn param_names(&self) -> Vec<String> {
        vec!["k1".into(), "k2".into()]
    }
}

#[test]
fn parameters_entering_as_a_product_are_unidentifiable() {
    let t: Vec<f64> = (1..=10).map(f64::from).collect();
    let y: Vec<f64> = t.iter().map(|t| (-0.5 * t).exp()).collect();
    let problem = FitProblem::new(&Product, Tsit5, States(vec![0]))
        .parameter(Parameter::new("k1", 2.0).log())
        .parameter(Parameter::new("k2", 0.1).log())
        .experiment(Experiment::new("e", &[1.0], Data::new(t, y).unwrap()));
    let report = fit(&problem, &FitOptions::default()).unwrap();
    let est = report.values();
    assert!(rel(est[0] * est[1], 0.5) < 1e-6, "the product is determined");
    let u = &report.identifiability.unidentifiable;
    assert_eq!(u.len(), 1, "{report}");
    assert!(u[0].contains("ln(k1)") && u[0].contains("ln(k2)"), "{}", u[0]);
    assert!(report.estimates.iter().all(|e| e.std_error.is_none() && e.ci95.is_none()));
    assert!(report.notes.iter().any(|n| n.contains("not determined") && n.contains("k1")), "{:?}", report.notes);
    assert!(report.to_string().contains("NOT IDENTIFIABLE"));
}

/// `y' = k y²`: blows up at t = 1/(k y0). Large trial values of k cannot
/// be integrated over the data's span.
struct BlowUp;
impl OdeSystem for BlowUp {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = p[0] * y[0] * y[0];
    }
}

#[test]
fn trial_points_that_cannot_be_integrated_are_rejected() {
    // y = 1/(1 − k t) with k = 0.4 on t ≤ 2; a first step to k ≥ 0.5 blows up.
    let t: Vec<f64> = (1..=8).map(|i| i as f64 * 0.25).collect();
    let y: Vec<f64> = t.iter().map(|t| 1.0 / (1.0 - 0.4 * t)).collect();
    for solver in [FitSolver::LevenbergMarquardt, FitSolver::Lbfgs, FitSolver::NelderMead] {
        let problem = FitProblem::new(&BlowUp, Dopri5, States(vec![0]))
            .options(Options::default().rtol(1e-10).atol(1e-10).max_steps(2000))
            .parameter(Parameter::new("p0", 0.05))
            .experiment(Experiment::new("e", &[1.0], Data::new(t.clone(), y.clone()).unwrap()));
        let report = fit(&problem, &FitOptions { solver, max_iters: 2000, ..FitOptions::default() }).unwrap();
        assert!(rel(report.values()[0], 0.4) < 1e-6, "{solver:?}: {}", report.values()[0]);
    }
}

/// SIR with only the infected observed: `h = I` (a custom observable).
struct Infected;
impl Observable for Infected {
    fn n_outputs(&self) -> usize {
        1
    }
    fn eval<D: DualScalar>(&self, _t: f64, y: &[D], _p: &[D], out: &mut [D]) {
        out[0] = y[1];
    }
}

#[test]
fn two_experiments_share_parameters_and_estimate_initial_states() {
    use odeon::models::Sir;
    let p = [0.4, 0.12];
    let times: Vec<f64> = (1..=15).map(|i| i as f64 * 4.0).collect();
    let run = |y0: [f64; 3]| {
        let sol = solve(
            &Sir,
            Dop853,
            (0.0, 60.0),
            &y0,
            &p,
            &Options::default().rtol(1e-12).atol(1e-12).t_eval(times.clone()),
        )
        .unwrap();
        Data::new(times.clone(), sol.component(1).collect()).unwrap()
    };
    let problem = FitProblem::new(&Sir, Tsit5, Infected)
        .options(Options::default().rtol(1e-10).atol(1e-10))
        .parameter(Parameter::new("beta", 0.2).log())
        .parameter(Parameter::new("gamma", 0.2).log())
        .experiment(Experiment::new("town A", &[990.0, 10.0, 0.0], run([990.0, 10.0, 0.0])))
        .experiment(
            Experiment::new("town B", &[495.0, 5.0, 0.0], run([495.0, 3.0, 0.0]))
                .estimate_initial(1, Parameter::new("I0 (B)", 5.0).bounds(0.1, 100.0)),
        );
    let report = fit(&problem, &FitOptions::default()).unwrap();
    let v = report.values();
    assert!(rel(v[0], 0.4) < 1e-6 && rel(v[1], 0.12) < 1e-6 && rel(v[2], 3.0) < 1e-6, "{report}");
    assert_eq!(report.estimates[2].name, "I0 (B)");
}

#[test]
fn bad_input_is_named() {
    let times = vec![0.5, 1.0];
    let good = Data::new(times.clone(), vec![1.0, 1.0, 2.0, 2.0]).unwrap();
    let check = |problem: FitProblem<'_, LV, States, Dopri5>, expect: &dyn Fn(&Error) -> bool| {
        let e = fit(&problem, &FitOptions::default()).unwrap_err();
        assert!(expect(&e), "{e}");
    };
    // Mismatched lengths.
    assert!(matches!(Data::new(times.clone(), vec![1.0, 2.0, 3.0]), Err(Error::InvalidData { .. })));
    let three_outputs = Data::new(times.clone(), vec![1.0; 6]).unwrap();
    check(
        lv_problem(three_outputs, TRUE, 1e-8),
        &|e| matches!(e, Error::InvalidData { experiment, row: None, .. } if experiment == "lv"),
    );
    // An experiment with no data.
    let empty = Data::new(times.clone(), vec![f64::NAN; 4]).unwrap();
    check(lv_problem(empty, TRUE, 1e-8), &|e| e.to_string().contains("every value is missing"));
    // A non-finite observation that is not marked missing.
    let inf = Data::new(times.clone(), vec![1.0, 1.0, f64::INFINITY, 2.0]).unwrap();
    check(lv_problem(inf, TRUE, 1e-8), &|e| matches!(e, Error::InvalidData { row: Some(1), .. }));
    // A guess outside the bounds.
    check(
        lv_problem(good.clone(), [9.0, 1.0, 1.0, 1.0], 1e-8),
        &|e| matches!(e, Error::InvalidParameter { name, .. } if name == "a"),
    );
    // A parameter name that does not exist.
    let unknown = lv_problem(good.clone(), TRUE, 1e-8).parameter(Parameter::new("alpha", 1.0));
    check(unknown, &|e| matches!(e, Error::UnknownParameter { name, .. } if name == "alpha"));
    // A model parameter without a guess.
    let mut missing = lv_problem(good.clone(), TRUE, 1e-8);
    missing.parameters.retain(|p| p.name != "c");
    check(missing, &|e| matches!(e, Error::InvalidParameter { name, .. } if name == "c"));
    // Malformed CSV: a line and column are named.
    let path = std::env::temp_dir().join(format!("odeon-bad-{}.csv", std::process::id()));
    std::fs::write(&path, "t,x,y\n0.5,1.0,2.0\n1.0,abc,2.0\n").unwrap();
    let e = Data::from_csv(&path, "t", &["x", "y"], None).unwrap_err();
    assert!(e.to_string().contains("line 3") && e.to_string().contains("\"x\""), "{e}");
    let e = Data::from_csv(&path, "t", &["x", "z"], None).unwrap_err();
    assert!(e.to_string().contains("no column \"z\""), "{e}");
    std::fs::remove_file(path).ok();
}

#[test]
fn no_degrees_of_freedom_means_no_uncertainty_figures_and_says_why() {
    // One observation, one parameter: an exact fit with nothing left to
    // estimate the noise from. No NaN anywhere: the figures are absent.
    let problem = FitProblem::new(&odeon::models::ExponentialDecay, Tsit5, States(vec![0]))
        .parameter(Parameter::new("k", 1.0))
        .experiment(Experiment::new("e", &[1.0], Data::new(vec![1.0], vec![0.5]).unwrap()));
    let report = fit(&problem, &FitOptions::default()).unwrap();
    assert!(rel(report.values()[0], 2f64.ln()) < 1e-6, "{report}");
    assert_eq!(report.dof, 0);
    assert!(report.reduced_chi2.is_none() && report.covariance.is_none() && report.correlation.is_none());
    assert!(report.estimates.iter().all(|e| e.std_error.is_none() && e.ci95.is_none()));
    assert!(report.notes.iter().any(|n| n.contains("no degrees of freedom")), "{:?}", report.notes);
    assert!(report.to_string().contains("no degrees of freedom"));
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    let back: odeon::fit::FitReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.estimates, report.estimates);
    let p = problem.predict(&report, 0, &[0.0, 1.0, 2.0]).unwrap();
    assert!(p.half_width.is_none() && p.mean.iter().all(|v| v.is_finite()));
}

#[test]
fn an_iteration_limit_is_not_a_success() {
    let data = Data::from_csv(data_path(), "t", &["x", "y"], None).unwrap();
    let problem = lv_problem(data, [1.0, 0.5, 2.0, 0.5], 1e-10);
    for solver in [FitSolver::LevenbergMarquardt, FitSolver::Lbfgs, FitSolver::NelderMead] {
        let options = FitOptions { solver, max_iters: 2, ..FitOptions::default() };
        let report = fit(&problem, &options).unwrap();
        assert!(!report.converged, "{solver:?}: {}", report.termination);
        assert_eq!(report.termination, odeon::fit::Termination::MaxIterations(2), "{solver:?}");
        assert!(report.to_string().contains("NOT CONVERGED"));
    }
}

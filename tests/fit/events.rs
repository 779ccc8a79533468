//! Fits through doses: oral dosing in a one-compartment model, its
//! residual Jacobian against central differences, and the fit of the
//! example's data (made from the closed form, `examples/data/README.md`).

use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Multistart, Parameter, States, fit, multistart};
use odeon::models::OralDosing;
use odeon::{Options, Rk4, Tsit5, solve};

const PK: OralDosing = OralDosing { dose: 100.0, period: 12.0, doses: 6 };

/// The closed form of the plasma concentration (doses at `tlag + 12k`).
fn closed_form(t: f64, [ka, ke, v, tlag]: [f64; 4]) -> f64 {
    (0..PK.doses)
        .map(|k| t - (tlag + k as f64 * PK.period))
        .filter(|&dt| dt > 0.0)
        .map(|dt| PK.dose / v * ka / (ka - ke) * ((-ke * dt).exp() - (-ka * dt).exp()))
        .sum()
}

#[test]
fn repeated_oral_doses_match_the_closed_form() {
    let t: Vec<f64> = (0..=720).map(|i| 0.1 * i as f64).collect();
    let opts = Options::default().rtol(1e-11).atol(1e-12).t_eval(t.clone());
    let sol = solve(&PK, Tsit5, (0.0, 72.0), &[0.0, 0.0], &OralDosing::PARAMS, &opts).unwrap();
    for (i, &ti) in t.iter().enumerate() {
        let want = closed_form(ti, OralDosing::PARAMS);
        assert!((sol.state(i)[1] - want).abs() < 1e-9, "t = {ti}: {} vs {want}", sol.state(i)[1]);
    }
}

fn problem(method_options: Options) -> FitProblem<'static, OralDosing, States, Rk4> {
    // Observations before and after doses (at 0.5, 12.5, 24.5, …).
    let t = vec![0.25, 1.0, 2.0, 6.0, 12.4, 12.6, 13.0, 18.0, 24.6, 30.0, 40.0, 60.0];
    let values = t.iter().map(|&t| closed_form(t, OralDosing::PARAMS) * 1.03 + 0.01).collect();
    let data = Data::new(t, values).unwrap();
    let mut problem = FitProblem::new(&PK, Rk4, States(vec![1])).options(method_options).experiment(Experiment::new(
        "oral",
        &[0.0, 0.0],
        data,
    ));
    for (name, v) in ["ka", "ke", "V", "tlag"].iter().zip(OralDosing::PARAMS) {
        problem = problem.parameter(Parameter::new(*name, v * 1.05));
    }
    problem
}

#[test]
fn the_residual_jacobian_through_doses_matches_central_differences() {
    // Fixed steps: the perturbed solves take the same steps, so central
    // differences see the same discrete solution the duals differentiate;
    // the lag time moves every dose.
    let problem = problem(Options::default().dt(0.005));
    let objective = problem.objective().unwrap();
    let z = objective.layout().start();
    let (_, jac) = objective.residuals_and_jacobian(&z).unwrap();
    for j in 0..z.len() {
        let h = 1e-5 * z[j].abs();
        let mut zp = z.clone();
        zp[j] += h;
        let mut zm = z.clone();
        zm[j] -= h;
        let (rp, rm) = (objective.residuals(&zp).unwrap(), objective.residuals(&zm).unwrap());
        for i in 0..rp.len() {
            let fd = (rp[i] - rm[i]) / (2.0 * h);
            assert!((jac[(i, j)] - fd).abs() < 1e-6 * fd.abs().max(1.0), "∂r{i}/∂z{j}: {} vs {fd}", jac[(i, j)]);
        }
    }
    // The lag time moves the observations after every dose.
    assert!((0..jac.nrows()).filter(|&i| jac[(i, 3)].abs() > 1e-3).count() > 6);
}

fn example_problem() -> FitProblem<'static, OralDosing, States, Tsit5> {
    let data = Data::from_csv("examples/data/pk_noisy.csv", "t", &["concentration"], Some(&["sigma"])).unwrap();
    let mut problem = FitProblem::new(&PK, Tsit5, States(vec![1]))
        .options(Options::default().rtol(1e-9).atol(1e-10))
        .experiment(Experiment::new("oral", &[0.0, 0.0], data));
    for (name, guess) in [("ka", 0.8), ("ke", 0.25), ("V", 20.0), ("tlag", 0.3)] {
        problem = problem.parameter(Parameter::new(name, guess).bounds(0.01, 100.0));
    }
    problem
}

#[test]
fn the_example_data_give_back_the_generating_values() {
    let problem = example_problem();
    let report = fit(&problem, &FitOptions::default()).unwrap();
    assert!(report.converged, "{report}");
    for (est, truth) in report.estimates.iter().zip(OralDosing::PARAMS) {
        let [lo, hi] = est.ci95.unwrap_or_else(|| panic!("{}: no interval", est.name));
        assert!(lo <= truth && truth <= hi, "{}: {truth} outside [{lo}, {hi}]", est.name);
        assert!(hi - lo < 0.5 * truth, "{}: interval [{lo}, {hi}] too wide to mean anything", est.name);
    }
}

#[test]
fn a_multistart_through_doses_agrees_with_the_local_fit() {
    // Latin-hypercube starts in plausible ranges (lag times within the
    // first dose interval); the best one reaches the local fit's optimum
    // from the example's guess.
    let local = fit(&example_problem(), &FitOptions::default()).unwrap();
    let mut problem = example_problem();
    problem.parameters.clear();
    for (name, lo, hi) in [("ka", 0.2, 5.0), ("ke", 0.02, 1.0), ("V", 5.0, 100.0), ("tlag", 0.0, 2.0)] {
        problem = problem.parameter(Parameter::new(name, 0.5 * (lo + hi)).bounds(lo, hi));
    }
    let ms =
        multistart(&problem, &FitOptions::default(), &Multistart { starts: 12, seed: 5, progress: false }).unwrap();
    assert!((ms.best.cost - local.cost).abs() < 1e-8 * local.cost, "{} vs {}", ms.best.cost, local.cost);
    for (a, b) in ms.best.values().iter().zip(local.values()) {
        assert!((a - b).abs() < 1e-5 * b.abs(), "{a} vs {b}");
    }
}

//! Fitting a model with inputs by its outputs: a tank fed by a measured
//! inflow (a data table), its level measured; the fit recovers the
//! outflow coefficient and the cross-section — from data made with the
//! closed form (linear outflow), and from `examples/tank_inflow.rs`'s data
//! (an orifice).

use nalgebra::{Const, SVector};
use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Observable, Outputs, Parameter, fit};
use odeon::signal::{Driven, Interpolation, Table};
use odeon::system::Model;
use odeon::{DualScalar, Options, Tsit5};

/// `h' = (q_in − k h)/A` (a linear outflow), or `(q_in − k √h)/A` through an
/// orifice (`examples/tank_inflow.rs`); the output is the level `h` (the
/// linear outflow `k h` alone would tell only `τ = A/k`).
struct Tank {
    orifice: bool,
}

impl Model for Tank {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        2
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn n_outputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], p: &[D], dx: &mut SVector<D, 1>) {
        let outflow = if self.orifice { x[0].sqrt() } else { x[0] };
        dx[0] = (u[0] - p[0] * outflow) / p[1];
    }
    fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, _u: &[D], _p: &[D], y: &mut [D]) {
        y[0] = x[0];
    }
    fn param_names(&self) -> Vec<String> {
        vec!["k".into(), "A".into()]
    }
    fn output_names(&self) -> Vec<String> {
        vec!["h".into()]
    }
}

/// Under the inflow ramp `q = a + b t` from `h(0) = 0`: with `τ = A/k`,
/// `h = a/k + (b/k)(t − τ) + (−a/k + bτ/k) e^{−t/τ}`.
fn level(t: f64, (k, area): (f64, f64), (a, b): (f64, f64)) -> f64 {
    let tau = area / k;
    (a + b * (t - tau) + (-a + b * tau) * (-t / tau).exp()) / k
}

#[test]
fn the_outputs_of_a_driven_model_are_fitted() {
    let (a, b) = (1.0, 0.2);
    let truth = (0.4, 3.0);
    let inflow = Table::new(vec![0.0, 50.0], vec![vec![a], vec![a + 50.0 * b]], Interpolation::Linear).unwrap();
    let tank = Driven::new(&Tank { orifice: false }, inflow).unwrap();
    let t: Vec<f64> = (1..=20).map(|i| i as f64).collect();
    // Data off the closed form by a small deterministic wiggle.
    let values =
        t.iter().enumerate().map(|(i, &ti)| level(ti, truth, (a, b)) * (1.0 + 0.01 * (i as f64 * 1.7).sin())).collect();
    let data = Data::new(t, values).unwrap();
    let problem = FitProblem::new(&tank, Tsit5, Outputs(&tank))
        .options(Options::default().rtol(1e-10).atol(1e-12))
        .parameter(Parameter::new("k", 1.0).bounds(0.01, 10.0))
        .parameter(Parameter::new("A", 1.0).bounds(0.01, 100.0))
        .experiment(Experiment::new("ramp", &[0.0], data));
    let report = fit(&problem, &FitOptions::default()).unwrap();
    assert!(report.converged, "{report}");
    for (est, want) in report.estimates.iter().zip([truth.0, truth.1]) {
        assert!((est.value - want).abs() < 0.03 * want, "{}: {} vs {want}", est.name, est.value);
        let [lo, hi] = est.ci95.expect("an interval");
        assert!(lo <= want && want <= hi, "{}: {want} outside [{lo}, {hi}]", est.name);
    }
    assert_eq!(problem.observable.names_for(&tank), vec!["h".to_string()]);
}

/// The example's data (made with k = 0.8, A = 3, `examples/data/README.md`)
/// give back the generating values within the fit's 95% intervals.
#[test]
fn the_tank_example_data_give_back_the_generating_values() {
    let inflow = Table::from_csv("examples/data/tank_inflow.csv", "t", &["q_in"], Interpolation::Linear).unwrap();
    let tank = Driven::new(&Tank { orifice: true }, inflow).unwrap();
    let level = Data::from_csv("examples/data/tank_level.csv", "t", &["level"], Some(&["sigma"])).unwrap();
    let problem = FitProblem::new(&tank, Tsit5, Outputs(&tank))
        .options(Options::default().rtol(1e-9).atol(1e-10))
        .parameter(Parameter::new("k", 0.3).bounds(0.01, 10.0))
        .parameter(Parameter::new("A", 1.0).bounds(0.1, 100.0))
        .experiment(Experiment::new("pump log", &[0.5], level));
    let report = fit(&problem, &FitOptions::default()).unwrap();
    assert!(report.converged, "{report}");
    for (est, truth) in report.estimates.iter().zip([0.8, 3.0]) {
        let [lo, hi] = est.ci95.expect("an interval");
        assert!(lo <= truth && truth <= hi, "{}: {truth} outside [{lo}, {hi}]", est.name);
        assert!(hi - lo < 0.1 * truth, "{}: [{lo}, {hi}] too wide to mean anything", est.name);
    }
}

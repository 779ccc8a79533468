//! A model with an input, fitted by its output: a tank drained through an
//! orifice (Torricelli: outflow k·√h), filled by a pump whose flow was
//! logged every hour — the log is the model's input, interpolated
//! linearly between rows; the level, measured every half hour, is its
//! output. The fit estimates the orifice coefficient k and the
//! cross-section A with exact Jacobians through the driven model.
//!
//! Run: `cargo run --release --example tank_inflow` (writes to `out/`).

use nalgebra::{Const, SVector};
use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Outputs, Parameter, fit};
use odeon::signal::{Driven, Interpolation, Table};
use odeon::system::Model;
use odeon::{DualScalar, Options, Tsit5};
use std::error::Error;

/// `A h' = q_in − k √h`; the output is the level `h`.
struct Tank;

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
        dx[0] = (u[0] - p[0] * x[0].sqrt()) / p[1];
    }
    fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, _u: &[D], _p: &[D], y: &mut [D]) {
        y[0] = x[0];
    }
    fn state_names(&self) -> Vec<String> {
        vec!["h".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["k".into(), "A".into()]
    }
    fn input_names(&self) -> Vec<String> {
        vec!["q_in".into()]
    }
    fn output_names(&self) -> Vec<String> {
        vec!["level".into()]
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let inflow = Table::from_csv("examples/data/tank_inflow.csv", "t", &["q_in"], Interpolation::Linear)?;
    let tank = Driven::new(&Tank, inflow)?;
    let level = Data::from_csv("examples/data/tank_level.csv", "t", &["level"], Some(&["sigma"]))?;
    let problem = FitProblem::new(&tank, Tsit5, Outputs(&tank))
        .options(Options::default().rtol(1e-9).atol(1e-10))
        .parameter(Parameter::new("k", 0.3).bounds(0.01, 10.0))
        .parameter(Parameter::new("A", 1.0).bounds(0.1, 100.0))
        .experiment(Experiment::new("pump log", &[0.5], level));
    let report = fit(&problem, &FitOptions::default())?;
    println!("{report}");
    println!("generating values: k = 0.8, A = 3 (examples/data/README.md)");

    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/tank_inflow.json", &report, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::fit_curves(&problem, &report, 0, "out/tank_inflow.svg")?;
        println!("plot: out/tank_inflow.svg");
    }
    Ok(())
}

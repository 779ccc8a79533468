//! A patient model built from parts: an infusion pump, a two-compartment
//! pharmacokinetic model and a concentration sensor, wired into one
//! composite and fitted to the sensor's readings — the patient's
//! clearance and central volume and the sensor's time constant estimated
//! together, each addressed by its path.
//!
//! Run: `cargo run --release --example pk_infusion` (writes to `out/`).

use nalgebra::{Const, SVector};
use odeon::compose::Composite;
use odeon::compose::blocks::Lag;
use odeon::ensemble::SampleRng;
use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Parameter, States, fit};
use odeon::signal::{Driven, Interpolation, Table};
use odeon::system::Model;
use odeon::{DualScalar, Options, Tsit5, solve};
use std::error::Error;

/// Drug amounts a1 (central) and a2 (peripheral) in mg; clearance `CL`
/// and inter-compartmental clearance `Q` in L/h, volumes `V1`, `V2` in L.
/// Input: the infusion rate (mg/h). Output: the central concentration
/// a1/V1 (mg/L).
struct TwoCompartment;

impl Model for TwoCompartment {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        4
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn n_outputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, a: &SVector<D, 2>, u: &[D], p: &[D], da: &mut SVector<D, 2>) {
        let (cl, v1, q, v2) = (p[0], p[1], p[2], p[3]);
        let (c1, c2) = (a[0] / v1, a[1] / v2);
        da[0] = u[0] - cl * c1 - q * (c1 - c2);
        da[1] = q * (c1 - c2);
    }
    fn outputs<D: DualScalar>(&self, _t: D, a: &SVector<D, 2>, _u: &[D], p: &[D], y: &mut [D]) {
        y[0] = a[0] / p[1];
    }
    fn feedthrough(&self, _output: usize, _input: usize) -> bool {
        false
    }
    fn state_names(&self) -> Vec<String> {
        vec!["a1".into(), "a2".into()]
    }
    fn param_names(&self) -> Vec<String> {
        ["CL", "V1", "Q", "V2"].map(String::from).to_vec()
    }
    fn input_names(&self) -> Vec<String> {
        vec!["rate".into()]
    }
    fn output_names(&self) -> Vec<String> {
        vec!["conc".into()]
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    // The pump follows its programmed rate with a short lag (`Lag`: τ·y' =
    // u − y); the sensor follows the plasma concentration with its own.
    let patient = Composite::builder()
        .add("pump", Lag)
        .add("pk", TwoCompartment)
        .add("sensor", Lag)
        .connect("pump.y", "pk.rate")
        .connect("pk.conc", "sensor.u")
        .external("pump.u")
        .build_const::<4>()?;
    println!("states {:?}\nparameters {:?}", patient.state_names(), patient.param_names());
    // The program: a 100 mg/h loading hour, 25 mg/h to 12 h, then off.
    let program = Table::new(vec![0.0, 1.0, 12.0], vec![vec![100.0], vec![25.0], vec![0.0]], Interpolation::Hold)?;
    let model = Driven::new(&patient, program)?;

    // Sensor readings every 30 min for 24 h with 3% noise, from the
    // generating values below.
    let truth =
        [("pump.tau", 0.05), ("pk.CL", 5.0), ("pk.V1", 12.0), ("pk.Q", 8.0), ("pk.V2", 40.0), ("sensor.tau", 0.25)];
    let p_true = patient.params(&truth)?;
    let x0 = [0.0; 4];
    let t: Vec<f64> = (1..=48).map(|i| 0.5 * i as f64).collect();
    let opts = Options::default().rtol(1e-9).atol(1e-10);
    let clean = solve(&model, Tsit5, (0.0, 24.0), &x0, &p_true, &opts.clone().t_eval(t.clone()))?;
    let sensor = patient.state_names().iter().position(|n| n == "sensor.y").ok_or("no sensor state")?;
    let (mut values, mut sigmas) = (Vec::new(), Vec::new());
    for i in 0..clean.len() {
        let c = clean.state(i)[sensor];
        values.push(c * (1.0 + 0.03 * SampleRng::for_sample(2026, i as u64).normal()));
        sigmas.push(0.03 * c);
    }
    let data = Data::new(t, values)?.with_sigmas(sigmas);

    // Fit parameters of two subsystems by path, on a log scale (they are
    // positive and span decades); the rest held known.
    let problem = FitProblem::new(&model, Tsit5, States(vec![sensor]))
        .options(opts)
        .parameter(Parameter::new("pk.CL", 2.0).bounds(0.1, 50.0).log())
        .parameter(Parameter::new("pk.V1", 30.0).bounds(1.0, 200.0).log())
        .parameter(Parameter::new("sensor.tau", 1.0).bounds(0.01, 5.0).log())
        .parameter(Parameter::new("pump.tau", 0.05).fixed())
        .parameter(Parameter::new("pk.Q", 8.0).fixed())
        .parameter(Parameter::new("pk.V2", 40.0).fixed())
        .experiment(Experiment::new("loading + maintenance infusion", &x0, data));
    let report = fit(&problem, &FitOptions::default())?;
    println!("{report}");
    println!("generating values: pk.CL = 5 L/h, pk.V1 = 12 L, sensor.tau = 0.25 h");

    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/pk_infusion.json", &report, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::fit_curves(&problem, &report, 0, "out/pk_infusion.svg")?;
        println!("plot: out/pk_infusion.svg");
    }
    Ok(())
}

//! Two experiments that share the model's rates: a damped pendulum swung
//! from two angles, the second start angle unknown and estimated.
//!
//! Run: `cargo run --release --example fit_two_experiments` (writes to `out/`).

use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Parameter, States, fit};
use odeon::models::Pendulum;
use odeon::{Dop853, Tsit5};
use odeon::{OdeProblem, Options};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    // The true pendulum: g = 9.81, l = 0.8, damping b = 0.3. The angle is
    // recorded every 0.2 s, with a measurement error of 0.01 rad.
    let truth = [9.81, 0.8, 0.3];
    let times: Vec<f64> = (1..=40).map(|i| i as f64 * 0.2).collect();
    let record = |theta0: f64, wobble: f64| -> Result<Data, odeon::Error> {
        let sol = OdeProblem::new(&Pendulum, (0.0, 8.0), &[theta0, 0.0], &truth)
            .solve(Dop853, &Options::default().rtol(1e-10).t_eval(times.clone()))?;
        // A deterministic "measurement error" pattern for the example.
        let angle = sol.component(0).enumerate().map(|(i, v)| v + 0.01 * (wobble * i as f64).sin()).collect();
        Ok(Data::new(times.clone(), angle)?.with_sigma(0.01))
    };
    let problem = FitProblem::new(&Pendulum, Tsit5, States(vec![0]))
        // g is known; the length and the damping are estimated.
        .parameter(Parameter::new("g", 9.81).fixed())
        .parameter(Parameter::new("l", 1.5).bounds(0.1, 5.0).log())
        .parameter(Parameter::new("b", 0.1).bounds(1e-3, 2.0).log())
        .experiment(Experiment::new("released at 0.5 rad", &[0.5, 0.0], record(0.5, 1.3)?))
        .experiment(
            Experiment::new("released at an unknown angle", &[1.0, 0.0], record(1.2, 2.9)?)
                .estimate_initial(0, Parameter::new("theta0 (2nd)", 1.0).bounds(0.0, 3.0)),
        );
    let report = fit(&problem, &FitOptions::default())?;
    println!("{report}");
    println!("truth: l = {}, b = {}, second release angle 1.2 rad", truth[1], truth[2]);
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/fit_two_experiments.json", &report, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::fit_curves(&problem, &report, 0, "out/fit_pendulum_1.svg")?;
        odeon::plot::fit_curves(&problem, &report, 1, "out/fit_pendulum_2.svg")?;
        odeon::plot::fit_residuals(&problem, &report, "out/fit_pendulum_residuals.svg")?;
    }
    Ok(())
}

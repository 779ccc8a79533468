//! Fit Lotka–Volterra to noisy data from a CSV file: a local fit from a
//! poor start, then a multistart that finds the global minimum.
//!
//! Run: `cargo run --release --example fit_lotka_volterra` (writes to `out/`).

use odeon::Dopri5;
use odeon::Options;
use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Multistart, Parameter, States, fit, multistart};
use odeon::models::LotkaVolterra;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    // x' = a x − b x y, y' = −c y + d x y; both populations observed.
    let data = Data::from_csv("examples/data/lv_noisy.csv", "t", &["x", "y"], None)?;
    let mut problem = FitProblem::new(&LotkaVolterra, Dopri5, States(vec![0, 1]))
        .options(Options::default().rtol(1e-10).atol(1e-10))
        .experiment(Experiment::new("predator-prey", &[1.0, 1.0], data));
    for (name, guess) in [("a", 1.0), ("b", 0.5), ("c", 2.0), ("d", 0.5)] {
        problem = problem.parameter(Parameter::new(name, guess).bounds(0.1, 5.0));
    }

    // A local fit from (1, 0.5, 2, 0.5) ends in a local minimum, as scipy's does.
    let local = fit(&problem, &FitOptions::default())?;
    println!("local fit from the guess:\n{local}");

    // 32 Latin-hypercube starts in [0.1, 5]⁴, in parallel.
    let ms = multistart(&problem, &FitOptions::default(), &Multistart { starts: 32, seed: 2026, progress: true })?;
    println!("multistart: {} distinct optima", ms.optima.len());
    for o in &ms.optima {
        println!("  cost {:>12.6} at {:.5?} ({} starts)", o.cost, o.values, o.starts);
    }
    println!("\nbest fit:\n{}", ms.best);

    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/fit_lotka_volterra.json", &ms, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::fit_curves(&problem, &ms.best, 0, "out/fit_lotka_volterra.svg")?;
        odeon::plot::fit_residuals(&problem, &ms.best, "out/fit_lotka_volterra_residuals.svg")?;
        println!("plots: out/fit_lotka_volterra.svg, out/fit_lotka_volterra_residuals.svg");
    }
    Ok(())
}

//! Robertson's stiff chemical kinetics from t = 1e-6 to 1e11 with the
//! Rosenbrock methods, a log time axis, and the work each method did.
//!
//! Run: `cargo run --release --example robertson` (writes to `out/`).

use odeon::models::Robertson;
use odeon::{Algorithm, Auto, OdeProblem, Options, Rodas4P, Rodas5P, Rosenbrock23, Solution};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    // 171 points, ten per decade, on a log grid; the dense output fills them
    // without shortening the steps.
    let t_eval: Vec<f64> = (0..=170).map(|i| 10f64.powf(-6.0 + i as f64 / 10.0)).collect();
    // Rosenbrock23, an order-2 method, needs ~170,000 steps for this
    // accuracy: more than the default `max_steps`.
    let opts = Options::default().rtol(1e-8).atol(1e-14).t_eval(t_eval).max_steps(1_000_000);
    println!(
        "{:<13} {:>7} {:>9} {:>10} {:>12} {:>14}",
        "method", "steps", "rejected", "Jacobians", "y3(1e11)", "mass - 1"
    );
    let problem = OdeProblem::new(&Robertson, (0.0, 1e11), &Robertson::Y0, &Robertson::PARAMS);
    run(&problem, Rosenbrock23, &opts)?;
    run(&problem, Rodas4P, &opts)?;
    let sol = run(&problem, Rodas5P, &opts)?;
    run(&problem, Auto, &opts)?;
    std::fs::create_dir_all("out")?;
    sol.write_csv("out/robertson.csv", &["y1", "y2", "y3"])?;
    #[cfg(feature = "plot")]
    {
        // y2 is four orders of magnitude smaller: scaled by 1e4, as usual.
        let series: Vec<(String, Vec<(f64, f64)>)> = [("y1", 1.0), ("1e4 · y2", 1e4), ("y3", 1.0)]
            .iter()
            .enumerate()
            .map(|(j, (name, scale))| {
                let pts = sol.t.iter().zip(sol.component(j)).map(|(t, y)| (t.log10(), scale * y)).collect();
                (name.to_string(), pts)
            })
            .collect();
        odeon::plot::lines("out/robertson.svg", "Robertson (Rodas5P)", "log10 t", "concentration", &series)?;
        println!("wrote out/robertson.svg");
    }
    Ok(())
}

/// Solve with one method (a type: each compiles only its own stepper) and
/// print a row of the table.
fn run(problem: &OdeProblem<Robertson>, method: impl Algorithm, opts: &Options) -> Result<Solution, odeon::Error> {
    let sol = problem.solve(method, opts)?;
    let (_, y) = sol.last().expect("t_eval is not empty");
    let s = sol.stats;
    println!(
        "{:<13} {:>7} {:>9} {:>10} {:>12.10} {:>14.2e}",
        method.name(),
        s.accepted,
        s.rejected,
        s.jac_evals,
        y[2],
        y.iter().sum::<f64>() - 1.0
    );
    Ok(sol)
}

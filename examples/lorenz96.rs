//! A model whose size is chosen at run time: Lorenz-96 on a ring of `n`
//! sites (default 40; `cargo run --release --example lorenz96 -- 100`).

use odeon::Tsit5;
use odeon::models::Lorenz96;
use odeon::{OdeProblem, Options};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let n: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(40);
    let model = Lorenz96::new(n)?;
    let forcing = 8.0;
    let y0 = model.perturbed_rest(forcing);
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval((0..=200).map(|i| i as f64 * 0.05).collect());
    let sol = OdeProblem::new(&model, (0.0, 10.0), &y0, &[forcing]).solve(Tsit5, &opts)?;
    let mean_energy: f64 = sol.last().unwrap().1.iter().map(|x| 0.5 * x * x).sum::<f64>() / n as f64;
    println!("Lorenz-96, n = {n}: {} steps, {} evaluations", sol.stats.accepted, sol.stats.rhs_evals);
    println!("mean energy per site at t = 10: {mean_energy:.4}");
    sol.write_csv("out/lorenz96.csv", &[])?;
    #[cfg(feature = "plot")]
    {
        // The first three sites against time.
        let series: Vec<_> =
            (0..3.min(n)).map(|j| (format!("x{j}"), sol.t.iter().copied().zip(sol.component(j)).collect())).collect();
        odeon::plot::lines("out/lorenz96.svg", &format!("Lorenz-96, n = {n}, F = {forcing}"), "t", "x", &series)?;
    }
    Ok(())
}

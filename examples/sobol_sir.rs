//! Global sensitivity of an epidemic: which of β (infection), γ (recovery)
//! and the initial number infected drive the epidemic's peak? Sobol
//! indices (Saltelli/Jansen, bootstrap intervals) and Morris screening,
//! then an ensemble's fan chart of the infected.
//!
//! Run: `cargo run --release --example sobol_sir` (writes to `out/`).

use odeon::Tsit5;
use odeon::ensemble::{Dist, Ensemble, Independent, Keep, Morris, Runs, Sobol};
use odeon::models::Sir;
use odeon::{Options, Solution};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    // Inputs: beta ~ U(0.2, 0.4), gamma ~ U(0.07, 0.14), I0 ~ lognormal around 10.
    let factors = vec![
        Dist::Uniform { low: 0.2, high: 0.4 },
        Dist::Uniform { low: 0.07, high: 0.14 },
        Dist::LogNormal { mu: 10f64.ln(), sigma: 0.5 },
    ];
    let names = ["beta", "gamma", "I0"];
    let times: Vec<f64> = (0..=160).map(f64::from).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(times.clone());
    // Each point's solve (in lanes: several integrated together) and its
    // output: the peak number infected over [0, 160] days.
    let runs = Runs::new(&Sir, Tsit5, (0.0, 160.0)).options(opts);
    let inputs = |x: &[f64]| (vec![1000.0 - x[2], x[2], 0.0], vec![x[0], x[1]]);
    let peak = |sol: &Solution| sol.component(1).fold(0.0, f64::max);

    let sobol = Sobol::new(factors.clone(), 1 << 12)?.seed(1).bootstrap(500).progress(true);
    println!("Sobol indices of the peak of I ({} solves):", sobol.evaluations());
    let idx = sobol.analyze_runs(&runs, &inputs, &peak)?;
    println!("  {:<6} {:>22} {:>22}", "input", "first order [95% CI]", "total effect [95% CI]");
    for (i, name) in names.iter().enumerate() {
        println!(
            "  {name:<6} {:>6.3} [{:>6.3}, {:>6.3}] {:>6.3} [{:>6.3}, {:>6.3}]",
            idx.first[i], idx.first_ci[i].0, idx.first_ci[i].1, idx.total[i], idx.total_ci[i].0, idx.total_ci[i].1
        );
    }
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/sobol_sir.json", &idx, true)?;

    let morris = Morris::new(factors.clone(), 100, 4)?.seed(1).analyze_runs(&runs, &inputs, &peak)?;
    println!("Morris screening (100 trajectories, 4 levels), unit-cube effects on the peak:");
    for (i, name) in names.iter().enumerate() {
        println!("  {name:<6} mu* = {:>8.2}, sigma = {:>8.2}", morris.mu_star[i], morris.sigma[i]);
    }

    // The epidemic curves under the same uncertainty: a fan chart of I(t).
    let sampler =
        Independent::new(vec![Dist::Fixed(990.0), factors[2], Dist::Fixed(0.0)], vec![factors[0], factors[1]])?;
    let summary = Ensemble::new(&Sir, Tsit5, (0.0, 160.0), sampler, 5000)
        .options(Options::default().rtol(1e-8).atol(1e-8))
        .keep(Keep::At(times))
        .seed(2)
        .progress(true)
        .run()?;
    summary.write_json("out/sir_ensemble.json")?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::fan_chart(&summary, 1, "SIR, 5000 runs: infected I(t)", "out/sir_fan.svg")?;
        println!("plots: out/sir_fan.svg; indices: out/sobol_sir.json");
    }
    Ok(())
}

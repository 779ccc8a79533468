//! Fit an SIR epidemic when only the infected are counted: a custom
//! observable h = I, log-transformed rates, Poisson-like noise.
//!
//! Run: `cargo run --release --example fit_sir` (writes to `out/`).

use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Observable, Parameter, fit};
use odeon::models::Sir;
use odeon::{Dop853, Tsit5};
use odeon::{DualScalar, OdeProblem, Options};
use std::error::Error;

/// Only the infected compartment is observed.
#[derive(Clone)]
struct Infected;

impl Observable for Infected {
    fn n_outputs(&self) -> usize {
        1
    }
    fn names(&self) -> Vec<String> {
        vec!["infected".into()]
    }
    fn eval<D: DualScalar>(&self, _t: f64, y: &[D], _p: &[D], out: &mut [D]) {
        out[0] = y[1];
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    // Synthetic counts: β = 0.35, γ = 0.1, every 3 days, noise with σ = √I.
    let (beta, gamma) = (0.35, 0.1);
    let y0 = [990.0, 10.0, 0.0];
    let times: Vec<f64> = (1..=30).map(|d| 3.0 * d as f64).collect();
    let truth = OdeProblem::new(&Sir, (0.0, 90.0), &y0, &[beta, gamma])
        .solve(Dop853, &Options::default().rtol(1e-10).t_eval(times.clone()))?;
    let mut seed = 7u64;
    let mut uniform = move || {
        // xorshift64*: a small deterministic generator for the example's noise.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let infected: Vec<f64> = truth.component(1).collect();
    let sigma: Vec<f64> = infected.iter().map(|i| i.sqrt().max(1.0)).collect();
    let counts: Vec<f64> = infected
        .iter()
        .zip(&sigma)
        .map(|(i, s)| {
            let (u1, u2) = (1.0 - uniform(), uniform());
            i + s * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
        .collect();
    let data = Data::new(times, counts)?.with_sigmas(sigma);

    let problem = FitProblem::new(&Sir, Tsit5, Infected)
        .parameter(Parameter::new("beta", 0.5).bounds(1e-3, 5.0).log())
        .parameter(Parameter::new("gamma", 0.5).bounds(1e-3, 5.0).log())
        .experiment(Experiment::new("outbreak", &y0, data));
    let report = fit(&problem, &FitOptions::default())?;
    println!("{report}");
    println!(
        "truth: beta = {beta}, gamma = {gamma}; R0 = {:.3} (fitted {:.3})",
        beta / gamma,
        report.values()[0] / report.values()[1]
    );
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/fit_sir.json", &report, true)?;
    #[cfg(feature = "plot")]
    odeon::plot::fit_curves(&problem, &report, 0, "out/fit_sir.svg")?;
    Ok(())
}

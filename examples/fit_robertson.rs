//! Estimate Robertson's three rate constants — spanning eleven orders of
//! magnitude — from noisy synthetic data, on a log scale, with Rodas5P and
//! Jacobians from dual numbers (no Jacobian written by hand).
//!
//! Run: `cargo run --release --example fit_robertson` (writes to `out/`).

use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Parameter, States, fit};
use odeon::models::Robertson;
use odeon::{OdeProblem, Options, Rodas5P};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    // y1 and y3 measured at 30 log-spaced times from 1e-3 to 1e5 with 1%
    // relative noise (y2 is too small to measure).
    let times: Vec<f64> = (0..30).map(|i| 10f64.powf(-3.0 + 8.0 * i as f64 / 29.0)).collect();
    let truth = Robertson::PARAMS;
    let opts = Options::default().rtol(1e-8).atol(1e-12);
    let clean = OdeProblem::new(&Robertson, (0.0, 1e5), &Robertson::Y0, &truth)
        .solve(Rodas5P, &opts.clone().t_eval(times.clone()))?;
    let mut seed = 11u64;
    let mut normal = move || {
        // xorshift64* and Box–Muller: deterministic noise for the example.
        let mut u = || {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
        };
        let (u1, u2) = (1.0 - u(), u());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let (mut values, mut sigmas) = (Vec::new(), Vec::new());
    for i in 0..times.len() {
        for j in [0, 2] {
            let y = clean.state(i)[j];
            let sigma = 0.01 * y.abs() + 1e-6;
            values.push(y + sigma * normal());
            sigmas.push(sigma);
        }
    }
    let data = Data::new(times, values)?.with_sigmas(sigmas);

    // Start a factor of three to ten away from the truth in each constant.
    let problem = FitProblem::new(&Robertson, Rodas5P, States(vec![0, 2]))
        .parameter(Parameter::new("k1", 0.01).bounds(1e-5, 10.0).log())
        .parameter(Parameter::new("k2", 1e8).bounds(1e4, 1e11).log())
        .parameter(Parameter::new("k3", 3e3).bounds(1.0, 1e7).log())
        .experiment(Experiment::new("batch", &Robertson::Y0, data))
        .options(opts);
    let report = fit(&problem, &FitOptions::default())?;
    println!("{report}");
    for (name, (got, want)) in ["k1", "k2", "k3"].iter().zip(report.values().iter().zip(truth)) {
        println!("{name}: fitted {got:.4e}, truth {want:.4e} (ratio {:.4})", got / want);
    }
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/fit_robertson.json", &report, true)?;
    #[cfg(feature = "plot")]
    odeon::plot::fit_curves(&problem, &report, 0, "out/fit_robertson.svg")?;
    Ok(())
}

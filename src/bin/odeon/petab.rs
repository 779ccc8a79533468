//! `odeon petab problem.yaml`: a PEtab problem's log-likelihood and its
//! gradient at the nominal parameters (or others given with `--set`).

use odeon::import::petab::{Petab, Settings};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

/// What `odeon petab` takes.
#[derive(clap::Args)]
pub struct PetabArgs {
    /// The problem's YAML file (PEtab v1).
    problem: PathBuf,
    /// Integration method (e.g. Rodas5P, Bdf, Kvaerno5).
    #[arg(long, default_value = "Rodas5P")]
    method: String,
    /// Relative tolerance.
    #[arg(long, default_value_t = 1e-8)]
    rtol: f64,
    /// Absolute tolerance.
    #[arg(long, default_value_t = 1e-8)]
    atol: f64,
    /// An estimated parameter's value in linear scale, `--set k1=0.5`
    /// (repeatable); the others stay at their nominal values.
    #[arg(long = "set", value_name = "ID=VALUE")]
    set: Vec<String>,
    /// Directory for the result (JSON).
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

/// The result written to `<problem>_llh.json`.
#[derive(serde::Serialize)]
struct Evaluation<'a> {
    problem: &'a str,
    settings: &'a Settings,
    parameters: Vec<&'a str>,
    /// On the parameters' scales.
    theta: &'a [f64],
    log_likelihood: f64,
    /// With respect to `theta`.
    gradient: &'a [f64],
}

pub fn run(args: &PetabArgs) -> Result<(), Box<dyn Error>> {
    let problem = Petab::read(&args.problem)?;
    let settings = Settings { method: args.method.parse()?, rtol: args.rtol, atol: args.atol, ..Settings::default() };
    let estimated = problem.estimated();
    let mut theta = problem.nominal();
    for item in &args.set {
        let (id, value) = item.split_once('=').ok_or_else(|| format!("--set {item}: write ID=VALUE"))?;
        let value: f64 = value.trim().parse().map_err(|_| format!("--set {item}: {value:?} is not a number"))?;
        let j = estimated.iter().position(|p| p.id == id.trim()).ok_or_else(|| {
            let known: Vec<&str> = estimated.iter().map(|p| p.id.as_str()).collect();
            format!("--set {item}: no estimated parameter {id:?} (estimated: {})", known.join(", "))
        })?;
        theta[j] = estimated[j].scale.scale(value);
        if !theta[j].is_finite() {
            return Err(format!("--set {item}: {value} is outside the {:?} scale", estimated[j].scale).into());
        }
    }
    let (simulations, measurements) = problem.size();
    println!(
        "{}: {} simulations, {} measurements, {} estimated parameters; {} at rtol {:e}, atol {:e}",
        problem.name(),
        simulations,
        measurements,
        theta.len(),
        settings.method,
        settings.rtol,
        settings.atol
    );
    let start = Instant::now();
    let llh = problem.log_likelihood(&theta, &settings)?;
    let simulate = start.elapsed();
    let start = Instant::now();
    let (_, gradient) = problem.gradient(&theta, &settings)?;
    let differentiate = start.elapsed();
    println!(
        "log-likelihood {llh:.10} ({:.2?}); gradient norm {:.4e} ({differentiate:.2?})",
        simulate,
        norm(&gradient)
    );
    println!("  {:<28} {:>7} {:>14} {:>14}", "parameter", "scale", "value", "d llh/d value");
    for ((p, t), g) in estimated.iter().zip(&theta).zip(&gradient) {
        println!("  {:<28} {:>7} {:>14.6e} {:>14.6e}", p.id, format!("{:?}", p.scale).to_lowercase(), t, g);
    }
    let out = args.out.join(format!("{}_llh.json", problem.name()));
    let evaluation = Evaluation {
        problem: problem.name(),
        settings: &settings,
        parameters: estimated.iter().map(|p| p.id.as_str()).collect(),
        theta: &theta,
        log_likelihood: llh,
        gradient: &gradient,
    };
    odeon::files::write_json(&out, &evaluation, true)?;
    println!("wrote {}", out.display());
    Ok(())
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

//! `odeon petab problem.yaml`: a PEtab problem's log-likelihood and its
//! gradient at the nominal parameters (or others given with `--set`).

use odeon::import::petab::{FitSettings, Petab, PetabFit, Settings, StartResult};
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
    /// Fit by maximum likelihood from `--starts` starts within the bounds
    /// (Levenberg–Marquardt on the parameters' scales, exact Jacobians).
    #[arg(long)]
    fit: bool,
    /// Number of starts of the fit.
    #[arg(long, default_value_t = 20)]
    starts: usize,
    /// Seed of the starts (start i is the same on every machine).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Iteration limit per start.
    #[arg(long, default_value_t = 200)]
    max_iters: u64,
    /// Run only the starts i with i mod N = K (0-based), e.g. `--shard
    /// 3/16`, and write them as a part for `--merge`.
    #[arg(long, value_name = "K/N", requires = "fit")]
    shard: Option<String>,
    /// Merge the parts written by `--fit --shard` into one report.
    #[arg(long, num_args = 1.., value_name = "PART", conflicts_with = "fit")]
    merge: Vec<PathBuf>,
    /// Directory for the results (JSON).
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

/// The starts one shard ran, for `--merge`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Part {
    problem: String,
    settings: Settings,
    fit: FitSettings,
    shard: (u64, u64),
    starts: Vec<StartResult>,
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
    /// The objective priors' log-density, for a problem with priors.
    #[serde(skip_serializing_if = "Option::is_none")]
    log_prior: Option<f64>,
    /// Of the log-likelihood, with respect to `theta`.
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
    if args.fit || !args.merge.is_empty() {
        return fit(args, &problem, &settings);
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
    let log_prior = problem.has_priors().then(|| problem.log_prior(&theta)).transpose()?;
    if let Some(lp) = log_prior {
        println!("log-prior {lp:.10}; log-posterior {:.10}", llh + lp);
    }
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
        log_prior,
        gradient: &gradient,
    };
    odeon::files::write_json(&out, &evaluation, true)?;
    println!("wrote {}", out.display());
    Ok(())
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// `--fit` (whole, or one shard) and `--merge`.
fn fit(args: &PetabArgs, problem: &Petab, settings: &Settings) -> Result<(), Box<dyn Error>> {
    let fit = FitSettings { starts: args.starts, seed: args.seed, max_iters: args.max_iters, progress: true };
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    if let Some(shard) = &args.shard {
        let (k, n) = crate::ensemble::parse_shard(shard)?;
        let indices = (0..fit.starts).filter(|i| *i as u64 % n == k);
        let starts = problem.run_starts(indices, settings, &fit);
        let part = Part { problem: problem.name().into(), settings: settings.clone(), fit, shard: (k, n), starts };
        let out = args.out.join(format!("{}_fit_part_{k}_of_{n}.json", problem.name()));
        odeon::files::write_json(&out, &part, true)?;
        println!("shard {k}/{n}: {} starts -> {}", part.starts.len(), out.display());
        return Ok(());
    }
    let result = if args.merge.is_empty() {
        let start = Instant::now();
        let result = problem.fit(settings, &fit)?;
        println!("{} starts in {:.1?}", fit.starts, start.elapsed());
        result
    } else {
        merge(args, problem)?
    };
    print_fit(&result);
    let out = args.out.join(format!("{}_fit.json", problem.name()));
    odeon::files::write_json(&out, &result, true)?;
    println!("wrote {}", out.display());
    #[cfg(feature = "plot")]
    if let Some(best) = result.starts.first() {
        let curves = problem.predict(&best.theta, &result.settings, 301)?;
        for o in problem.observables() {
            let path = args.out.join(format!("{}_{}.svg", problem.name(), o.id));
            odeon::plot::petab_observable(&curves, &o.id, &path)?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// The parts of a sharded fit, checked to be of one multistart and to
/// cover every start once.
fn merge(args: &PetabArgs, problem: &Petab) -> Result<PetabFit, Box<dyn Error>> {
    let mut parts: Vec<Part> = Vec::new();
    for path in &args.merge {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let part: Part = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(first) = parts.first()
            && (part.problem != first.problem || part.settings != first.settings || part.fit != first.fit)
        {
            return Err(
                format!("{}: a part of another fit (problem, settings or starts differ)", path.display()).into()
            );
        }
        if part.problem != problem.name() {
            return Err(
                format!("{}: a part of problem {}, not {}", path.display(), part.problem, problem.name()).into()
            );
        }
        parts.push(part);
    }
    let (settings, fit) = (parts[0].settings.clone(), parts[0].fit.clone());
    let starts: Vec<StartResult> = parts.into_iter().flat_map(|p| p.starts).collect();
    let mut seen = vec![0usize; fit.starts];
    for s in &starts {
        match seen.get_mut(s.index) {
            Some(c) => *c += 1,
            None => return Err(format!("start {} is not one of the {} starts", s.index, fit.starts).into()),
        }
    }
    if let Some(i) = seen.iter().position(|&c| c != 1) {
        return Err(format!("start {i} appears {} times in the parts (each must appear once)", seen[i]).into());
    }
    println!("merged {} parts: {} starts", args.merge.len(), starts.len());
    Ok(problem.report(starts, &settings, &fit)?)
}

fn print_fit(result: &PetabFit) {
    let ok: Vec<&StartResult> = result.starts.iter().filter(|s| s.log_likelihood.is_some()).collect();
    let what = if ok.iter().any(|s| s.log_prior.is_some()) { "log-posteriors" } else { "log-likelihoods" };
    println!("{} of {} starts succeeded; best negative {what}:", ok.len(), result.starts.len());
    for s in ok.iter().take(10) {
        println!("  start {:>4}: {:.6} ({} iterations)", s.index, -s.log_posterior().unwrap_or(f64::NAN), s.iterations);
    }
    println!("  {:<28} {:>12} {:>12} {:>27}", "parameter", "estimate", "std. error", "95% interval");
    for e in &result.estimates {
        let se = e.standard_error.map_or("-".into(), |s| format!("{s:.4e}"));
        let interval = match (e.at_bound, e.interval) {
            (true, _) => "at a bound".to_string(),
            (_, Some((a, b))) => format!("[{a:.4}, {b:.4}]"),
            _ => "-".into(),
        };
        println!("  {:<28} {:>12.6} {:>12} {:>27}", e.id, e.value, se, interval);
    }
}

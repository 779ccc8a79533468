//! `odeon simulate` and `odeon sensitivities`: a built-in model or a model
//! file, solved (and differentiated) with the options given, written to
//! CSV and plotted.

use odeon::models::registry::Named;
use odeon::sensitivity::Wrt;
use odeon::system::Model;
use odeon::{Method, Options};
use std::error::Error;
use std::path::{Path, PathBuf};

/// What both commands take.
#[derive(clap::Args)]
pub struct RunArgs {
    /// A built-in model (e.g. `lotka_volterra`), a model file (`*.toml`,
    /// see `odeon::tape`), a composite file (`*.toml` with `[[subsystem]]`
    /// tables, see `odeon::compose::CompositeFile`) or an SBML model
    /// (`*.xml`).
    model: String,
    /// Start time.
    #[arg(long, default_value_t = 0.0)]
    t0: f64,
    /// End time.
    #[arg(long, default_value_t = 10.0)]
    t_end: f64,
    /// Integration method (e.g. Tsit5, Rodas5P, Bdf, Auto).
    #[arg(long, default_value = "Auto")]
    method: String,
    /// Relative tolerance.
    #[arg(long, default_value_t = 1e-6)]
    rtol: f64,
    /// Absolute tolerance.
    #[arg(long, default_value_t = 1e-9)]
    atol: f64,
    /// Number of evenly spaced output times.
    #[arg(long, default_value_t = 201)]
    points: usize,
    /// Override a parameter or an initial state, `--set k=0.5`
    /// (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Directory for the CSV file and the plot.
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

/// The model, its initial state and parameters (with `--set` applied),
/// the method and options, and the stem of the files to write.
struct Run {
    model: Named,
    y0: Vec<f64>,
    p: Vec<f64>,
    method: Method,
    options: Options,
    stem: String,
}

impl RunArgs {
    fn resolve(&self) -> Result<Run, Box<dyn Error>> {
        let model = Named::resolve(&self.model, Path::new(""))?;
        let (mut y0, mut p) = (model.y0().to_vec(), model.params().to_vec());
        let (states, params) = (model.state_names(), model.param_names());
        for item in &self.set {
            let (name, value) = item.split_once('=').ok_or_else(|| format!("--set {item}: write NAME=VALUE"))?;
            let value: f64 = value.trim().parse().map_err(|_| format!("--set {item}: {value:?} is not a number"))?;
            let name = name.trim();
            if let Some(j) = states.iter().position(|s| s == name) {
                y0[j] = value;
            } else if let Some(k) = params.iter().position(|s| s == name) {
                p[k] = value;
            } else {
                let known = states.iter().chain(&params).cloned().collect::<Vec<_>>().join(", ");
                return Err(
                    format!("--set {item}: the model has no state or parameter {name:?} (it has: {known})").into()
                );
            }
        }
        if self.points < 2 || self.points > 1_000_000 {
            return Err(format!("--points {}: give 2 to 1000000", self.points).into());
        }
        let n = self.points - 1;
        let (t0, t1) = (self.t0, self.t_end);
        let times = (0..=n).map(|i| t0 + (t1 - t0) * i as f64 / n as f64).collect();
        let options = Options::default().rtol(self.rtol).atol(self.atol).t_eval(times);
        let stem = Path::new(&self.model).file_stem().map_or("model".into(), |s| s.to_string_lossy().to_string());
        Ok(Run { model, y0, p, method: self.method.parse()?, options, stem })
    }
}

/// `odeon simulate`: the trajectory as CSV and a plot.
pub fn simulate(args: &RunArgs) -> Result<(), Box<dyn Error>> {
    let run = args.resolve()?;
    let sol = run.model.solve(run.method, (args.t0, args.t_end), &run.y0, &run.p, &run.options)?;
    let names = run.model.state_names();
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let csv = args.out.join(format!("{}.csv", run.stem));
    sol.write_csv(&csv, &names.iter().map(String::as_str).collect::<Vec<_>>())?;
    let (t, y) = sol.last().ok_or("empty solution")?;
    println!("{} with {}: {} steps ({} rejected)", run.stem, run.method, sol.stats.accepted, sol.stats.rejected);
    for (name, v) in names.iter().zip(y) {
        println!("  {name}({t}) = {v:.10e}");
    }
    println!("wrote {}", csv.display());
    #[cfg(feature = "plot")]
    {
        let svg = args.out.join(format!("{}.svg", run.stem));
        odeon::plot::trajectory(&sol, &names, &format!("{} ({})", run.stem, run.method), &svg)?;
        println!("wrote {}", svg.display());
    }
    Ok(())
}

/// `odeon sensitivities`: `∂y/∂p` for every state and parameter, as CSV
/// and a plot (normalized, `(p/y) ∂y/∂p`).
pub fn sensitivities(args: &RunArgs) -> Result<(), Box<dyn Error>> {
    let run = args.resolve()?;
    let wrt = Wrt::params(&run.model);
    let s = run.model.sensitivities(run.method, (args.t0, args.t_end), &run.y0, &run.p, &wrt, &run.options)?;
    let (states, params) = (run.model.state_names(), run.model.param_names());
    let mut csv = String::from("t");
    for j in &states {
        for k in &params {
            csv.push_str(&format!(",d{j}/d{k}"));
        }
    }
    csv.push('\n');
    for (t, jac) in s.solution.t.iter().zip(&s.jacobians) {
        csv.push_str(&t.to_string());
        for j in 0..states.len() {
            for k in 0..params.len() {
                csv.push_str(&format!(",{}", jac[(j, k)]));
            }
        }
        csv.push('\n');
    }
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let path = args.out.join(format!("{}_sensitivities.csv", run.stem));
    odeon::files::write_atomic(&path, csv.as_bytes())?;
    let last = s.jacobians.last().ok_or("empty solution")?;
    println!("{} with {}: ∂y({})/∂p by dual numbers, {} pass(es)", run.stem, run.method, args.t_end, s.passes);
    println!("  {:>12} {}", "", params.iter().map(|k| format!("{k:>12}")).collect::<String>());
    for (j, name) in states.iter().enumerate() {
        let row: String = (0..params.len()).map(|k| format!(" {:>12.4e}", last[(j, k)])).collect();
        println!("  {name:>12}{row}");
    }
    println!("wrote {}", path.display());
    #[cfg(feature = "plot")]
    {
        let pairs: Vec<(usize, Wrt)> =
            (0..states.len()).flat_map(|j| wrt.iter().map(move |&w| (j, w))).take(12).collect();
        let svg = args.out.join(format!("{}_sensitivities.svg", run.stem));
        let scale = odeon::plot::Scale::Normalized { p: &run.p, y0: &run.y0 };
        let title = format!("{}: normalized sensitivities ({})", run.stem, run.method);
        odeon::plot::sensitivities(&run.model, &s, &pairs, scale, &title, &svg)?;
        println!("wrote {}", svg.display());
    }
    Ok(())
}

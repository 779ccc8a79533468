//! The odeon command line: its subcommands, their spec runners and the
//! tour. The binary (`src/main.rs`) only calls [`main`].
//!
//! A crate of its own so that it compiles beside odeon's library rather
//! than after it: a dependent library starts once odeon's metadata is
//! written (about 17 s into the library's 110 s), where a binary waits for
//! the whole library (`docs/benchmarks.md` §8, "Sixteenth look").

mod compose;
mod ensemble;
mod events;
mod model_file;
mod petab;
mod simulate;
mod sparse;
mod tour;
mod trajectory;

use clap::{Parser, Subcommand};
use odeon::ensemble::spec::Execution;
use std::path::PathBuf;
use std::process::ExitCode;

/// odeon: differentiable ODE models.
#[derive(Parser)]
#[command(
    version,
    about,
    after_help = "Exit codes: 0 success; 1 an error (bad input, a failed solve, I/O); 2 the run finished but its result is not usable: a fit that did not converge (report.json is still written, marked \"converged\": false), an ensemble in which every sample failed."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// A short tour: simulate, compare methods, write JSON, CSV and plots.
    Tour {
        /// Directory for the results.
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Simulate a built-in model or a model file; write CSV and a plot.
    Simulate(simulate::RunArgs),
    /// Sensitivities ∂y/∂p of a built-in model or a model file, by dual
    /// numbers; write CSV and a plot.
    Sensitivities(simulate::RunArgs),
    /// Run a Monte Carlo ensemble described in a TOML spec, or one shard of it.
    Ensemble {
        /// The spec (see docs/ensembles.md).
        spec: PathBuf,
        /// Run only shard K of N (0-based), e.g. `--shard 3/64`.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Where to write the part (JSON).
        #[arg(long, default_value = "ensemble.json")]
        out: PathBuf,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Samples integrated together per step loop: 1, 2, 4 or 8
        /// (default 8 for models of up to 6 states, 4 up to 16, else 1;
        /// 1 turns lanes off). The results are the same.
        #[arg(long)]
        lanes: Option<usize>,
        /// No progress bar (it is drawn only on a terminal anyway).
        #[arg(long)]
        no_progress: bool,
    },
    /// Fit a built-in model or a model file to a CSV file, as described in a TOML spec.
    Fit {
        /// The spec (see the `odeon::fit::FitSpec` docs).
        spec: PathBuf,
        /// Directory for report.json and the plots.
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// A PEtab problem (YAML, PEtab v1): its log-likelihood and gradient
    /// (exact, by forward sensitivities) at the nominal parameters.
    Petab(petab::PetabArgs),
    /// Merge the parts of a sharded ensemble into one summary.
    Merge {
        /// Part files written by `odeon ensemble --shard`.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Where to write the merged summary (JSON).
        #[arg(long)]
        out: PathBuf,
        /// Accept missing shards.
        #[arg(long)]
        partial: bool,
        /// Also draw a fan chart of the first component (SVG).
        #[arg(long)]
        plot: Option<PathBuf>,
    },
}

/// Exit code of a run that finished with an unusable result.
const UNUSABLE: u8 = 2;

/// `odeon fit`: run the spec, print the report, write report.json and
/// plots; `false` when the fit did not converge.
fn fit(spec: &std::path::Path, out: &std::path::Path) -> Result<bool, Box<dyn std::error::Error>> {
    let spec = odeon::fit::FitSpec::read(spec)?;
    let system = odeon::models::registry::Named::resolve(&spec.model, std::path::Path::new(""))?;
    let problem = spec.problem(&system)?;
    let run = spec.run_problem(&problem)?;
    odeon::files::write_json(out.join("report.json"), &run, true)?;
    #[cfg(feature = "plot")]
    {
        spec.plot(&problem, &run, out)?;
    }
    println!("{} fitted to {}\n{}", run.model, spec.data.display(), run.report);
    if !run.optima.is_empty() {
        println!("{} distinct optima:", run.optima.len());
        for o in &run.optima {
            println!("  cost {:>14.8} at {:.6?} ({} starts)", o.cost, o.values, o.starts);
        }
    }
    println!("wrote {}", out.join("report.json").display());
    if !run.report.converged {
        eprintln!("the fit did not converge: {}", run.report.termination);
    }
    Ok(run.report.converged)
}

/// Parse the command line and run it; the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ok(false): finished, but the result is not usable (exit code 2).
    let result: Result<bool, Box<dyn std::error::Error>> =
        match cli.command.unwrap_or(Command::Tour { out: PathBuf::from("out") }) {
            Command::Tour { out } => tour::run(&out).map(|()| true),
            Command::Ensemble { spec, shard, out, threads, lanes, no_progress } => {
                let how = Execution { threads, lanes, progress: !no_progress };
                ensemble::run(&spec, shard.as_deref(), &out, &how).map_err(Into::into)
            }
            Command::Fit { spec, out } => fit(&spec, &out),
            Command::Simulate(args) => simulate::simulate(&args).map(|()| true),
            Command::Sensitivities(args) => simulate::sensitivities(&args).map(|()| true),
            Command::Petab(args) => petab::run(&args).map(|()| true),
            Command::Merge { parts, out, partial, plot } => {
                ensemble::merge(&parts, &out, partial, plot.as_deref()).map(|()| true).map_err(Into::into)
            }
        };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(UNUSABLE),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

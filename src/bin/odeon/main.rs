//! The odeon command line. With no arguments it runs the tour.

mod tour;
mod trajectory;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// odeon: differentiable ODE models.
#[derive(Parser)]
#[command(version, about)]
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Tour { out: PathBuf::from("out") }) {
        Command::Tour { out } => tour::run(&out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

//! The command line (`odeon`, this package's binary) run as a user runs it,
//! one module per kind of input: ensembles and their shards, fit specs,
//! PEtab problems, composite files, model files and SBML.

mod compose;
mod ensemble;
mod files;
mod fit;
mod petab;

/// A path in the repository (this package's parent directory).
fn repo(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

/// `odeon ARGS…`, its output.
fn odeon(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_odeon")).args(args).output().expect("odeon runs")
}

//! Ensembles: statistics, determinism, failures, Sobol and Morris, the command line.

mod cli;
mod determinism;
mod failures;
mod files;
mod sobol_morris;
mod stats;

//! Ensembles: statistics, determinism, failures, Sobol and Morris, the command line.

mod stats;
mod determinism;
mod failures;
mod sobol_morris;
mod cli;

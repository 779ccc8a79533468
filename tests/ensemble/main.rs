//! Ensembles: statistics, determinism, failures, Sobol and Morris, the command line.

mod cli;
mod determinism;
mod failures;
mod sobol_morris;
mod stats;

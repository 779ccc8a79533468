//! Ensembles: statistics, determinism, failures, Sobol and Morris, the command line.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod determinism;
mod events;
mod failures;
mod files;
mod sobol_morris;
mod specs;
mod stats;

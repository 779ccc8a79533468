//! Ensembles: statistics, determinism, failures, Sobol and Morris, the command line.

#[global_allocator]
static ALLOCATOR: allocations::Counting = allocations::Counting;

#[path = "../common/mod.rs"]
mod common;

mod allocations;
mod determinism;
mod events;
mod failures;
mod files;
mod sobol_morris;
mod specs;
mod stats;

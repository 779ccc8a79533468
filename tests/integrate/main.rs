//! Integration: accuracy against references, convergence orders, dense output, errors, scalar types.

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod accuracy;
mod bdf;
mod compose;
mod convergence;
mod dae;
mod dense_output;
mod errors;
mod esdirk;
mod events;
mod fem;
mod inputs;
mod rosenbrock;
mod scalar_types;
mod schedules;
mod sparse;
mod stiffness;

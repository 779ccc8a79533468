//! Stiff methods: Rosenbrock, ESDIRK and BDF against references, DAEs with
//! mass matrices, sparse Jacobians and finite elements, stiffness detection.
//! (Apart from `tests/integrate` so that the two compile side by side: one
//! binary with both was the last unit of every test build, alone on one
//! core for two minutes; docs/benchmarks.md, "Build".)

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod bdf;
mod dae;
mod esdirk;
mod fem;
mod krylov;
mod rosenbrock;
mod sparse;
mod stiffness;

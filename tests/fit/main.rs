//! Parameter estimation: problems, solvers and reports; fit specs from the command line.

#[path = "../common/mod.rs"]
mod common;

mod events;
mod outputs;
mod petab;
mod problems;
mod specs;
mod svd;
mod validation;

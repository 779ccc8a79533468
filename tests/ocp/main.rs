//! Optimal control: derivatives, optima, features, solutions, bad input, IPOPT.

#[path = "../common/mod.rs"]
mod common;

mod derivatives;
mod errors;
mod features;
mod ipopt;
mod optima;
mod solution;

//! Optimal control: derivatives, optima, features, models, solutions, trajectories, refinement, bad input, IPOPT.

#[path = "../common/mod.rs"]
mod common;

mod derivatives;
mod errors;
mod features;
mod ipopt;
mod models;
mod optima;
mod pinned;
mod refine;
mod solution;
mod tables;
mod trajectory;

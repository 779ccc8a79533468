//! Optimal control: derivatives, optima, features, solutions, bad input, IPOPT.

mod derivatives;
mod optima;
mod features;
mod solution;
mod errors;
mod ipopt;

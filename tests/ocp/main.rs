//! Optimal control: derivatives, optima, features, solutions, bad input, IPOPT.

mod derivatives;
mod errors;
mod features;
mod ipopt;
mod optima;
mod solution;

//! Collocation: nodes, matrices against dymos, laws, bad input.

mod dymos;
mod errors;
mod laws;
mod nodes;

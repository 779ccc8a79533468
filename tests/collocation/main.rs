//! Collocation: nodes, matrices against dymos, laws, bad input.

mod nodes;
mod dymos;
mod laws;
mod errors;

//! Sensitivities: forward Jacobians, second order, their plots.

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod forward;
mod newton;
mod plots;
mod rosenbrock;
mod second_order;

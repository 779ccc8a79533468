//! Sensitivities: forward Jacobians, second order, their plots.

#[path = "../common/mod.rs"]
mod common;

mod forward;
mod second_order;
mod plots;

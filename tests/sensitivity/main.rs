//! Sensitivities: forward Jacobians, second order, their plots.

#[path = "../common/mod.rs"]
mod common;

mod forward;
mod plots;
mod second_order;

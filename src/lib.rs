//! odeon: differentiable ODE models.

pub mod collocation;
pub mod error;

pub use error::Error;

//! The classic models, written once over the scalar type. They serve
//! tests, examples and benchmarks, and are a template for your own.
//!
//! Each model's parameters are passed to the solver (`p`), in the order
//! given by its `param_names`; `PARAMS` holds the textbook values and `Y0`
//! a textbook initial state.

mod classic;
mod forced;
mod hybrid;
mod lorenz96;
mod mol;
mod named;
pub mod registry;

pub use classic::{
    ExponentialDecay, HarmonicOscillator, Hires, Lorenz, LotkaVolterra, Pendulum, Robertson, Sir, StiffVanDerPol,
    VanDerPol,
};
pub use forced::{Cart, ForcedVanDerPol, Pole};
pub use hybrid::{BouncingBall, OralDosing, Thermostat};
pub use lorenz96::Lorenz96;
pub use mol::{Brusselator1D, Brusselator2D, Brusselator3D};

//! # odeon: differentiable ODE models
//!
//! A model is written once, generic over its scalar type. With `f64` it
//! simulates through adaptive Runge–Kutta integrators; with num-dual's dual
//! numbers the same integrator carries exact derivatives of the solution.
//!
//! ```
//! use nalgebra::{Const, SVector};
//! use odeon::{solve, DualScalar, Method, OdeSystem, Options};
//!
//! struct Logistic;
//! impl OdeSystem for Logistic {
//!     type Dim = Const<1>;
//!     fn dim(&self) -> Const<1> { Const }
//!     fn n_params(&self) -> usize { 2 }
//!     fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, p: &[D], dy: &mut SVector<D, 1>) {
//!         // r y (1 - y / K)
//!         dy[0] = p[0] * y[0] * (-y[0] / p[1] + 1.0);
//!     }
//! }
//!
//! let opts = Options::default().rtol(1e-10).atol(1e-10);
//! let sol = solve(&Logistic, Method::Dopri5, (0.0, 5.0), &[0.1], &[1.0, 2.0], &opts)?;
//! let exact = 2.0 / (1.0 + 19.0 * (-5.0f64).exp());
//! assert!((sol.last().unwrap().1[0] - exact).abs() < 1e-9);
//! # Ok::<(), odeon::Error>(())
//! ```
//!
//! Modules, in the order of the data flow:
//! - [`system`] and [`signal`]: the model traits (`OdeSystem`, and
//!   `Model` with inputs and outputs) and inputs given as signals of time;
//! - [`integrate`]: methods (tableaux as data), options, solutions;
//!   explicit, Rosenbrock, ESDIRK and BDF steppers, sparse Jacobians and
//!   linear algebra, events;
//! - [`sensitivity`]: exact forward sensitivities, JVPs, gradients and
//!   Hessians of functionals, by dual numbers through the same integrator;
//! - [`fit`]: parameter estimation with argmin (Levenberg–Marquardt, …),
//!   uncertainty, identifiability, multistart;
//! - [`ensemble`]: Monte Carlo ensembles with rayon, mergeable statistics,
//!   Sobol and Morris sensitivity;
//! - [`collocation`]: Gauss–Lobatto, Radau and Gauss nodes, Lagrange and
//!   Hermite matrices for optimal control;
//! - [`ocp`]: trajectory optimization — Gauss–Lobatto and Radau
//!   transcriptions, exact sparse derivatives, a pure-Rust SQP;
//! - [`models`]: classic test models and a registry of them by name;
//! - [`fem`]: quad8 finite elements and transient heat conduction;
//! - `plot` (feature `plot`, default): SVG and PNG plots with plotters;
//! - feature `jit` (opt-in): model files' equations compiled to machine
//!   code by Cranelift instead of interpreted ([`tape`]).

pub mod collocation;
pub mod compose;
pub mod ensemble;
pub mod error;
pub mod events;
pub mod fem;
pub mod files;
pub mod fit;
pub mod import;
pub mod integrate;
pub mod interp;
pub mod models;
pub mod ocp;
#[cfg(feature = "plot")]
pub mod plot;
mod problem;
mod progress;
mod random;
pub mod scalar;
pub mod sensitivity;
pub mod signal;
mod solution;
mod spec;
pub mod system;
pub mod tape;

pub use error::Error;
pub use integrate::{
    Algorithm, Auto, Bdf, Bs3, Dop853, Dopri5, Euler, Heun, Kvaerno5, Linsolve, Method, Options, Rk4, Rodas4P, Rodas5P,
    Rosenbrock23, Solution, TrBdf2, Tsit5, solve, solve_dual,
};
pub use problem::OdeProblem;
pub use scalar::DualScalar;
pub use system::{Model, OdeSystem, State};

/// The names most programs need.
pub mod prelude {
    pub use crate::integrate::{
        Algorithm, Auto, Bdf, Bs3, Dop853, Dopri5, Euler, Heun, Kvaerno5, Method, Options, Rk4, Rodas4P, Rodas5P,
        Rosenbrock23, Save, Solution, TrBdf2, Tsit5, solve, solve_dual,
    };
    pub use crate::{DualScalar, Error, OdeProblem, OdeSystem, State};
    pub use nalgebra::{Const, DVector, Dyn, SVector};
    pub use num_dual::{DualNum, DualStruct};
}

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

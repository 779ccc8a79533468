//! Trajectory optimization: Gauss–Lobatto and Radau collocation, exact
//! sparse derivatives by dual numbers, and a pure-Rust SQP solver.
//!
//! A problem is stated once, generic over the scalar: the dynamics are a
//! [`Model`](crate::system::Model) whose inputs are the controls — the
//! same model a simulation or a fit uses, or a
//! [`Composite`](crate::compose::Composite) — and the objective and
//! constraint functions are an [`OptimalControl`]. Bounds, fixed values,
//! guesses and scales are data
//! in a [`Phase`]. A [`Collocation`] transcribes the phase into a sparse
//! NLP ([`Nlp`]) on a [`Transcription`]'s grid; [`Collocation::solve`] runs
//! the SQP ([`solve_nlp`]) and returns an [`OcpSolution`] whose
//! [`simulate`](OcpSolution::simulate) re-integrates the dynamics with
//! odeon's Runge–Kutta integrator as a check.
//!
//! # Example: the brachistochrone
//! ```
//! use nalgebra::{Const, SVector};
//! use odeon::DualScalar;
//! use odeon::ocp::*;
//! use odeon::system::Model;
//!
//! struct Brachistochrone;
//! impl Model for Brachistochrone {
//!     type Dim = Const<3>;
//!     fn dim(&self) -> Const<3> { Const }
//!     fn n_params(&self) -> usize { 0 }
//!     fn n_inputs(&self) -> usize { 1 }
//!     fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 3>, u: &[D], _p: &[D], dx: &mut SVector<D, 3>) {
//!         let (s, c) = u[0].sin_cos();
//!         dx[0] = x[2] * s;
//!         dx[1] = -x[2] * c;
//!         dx[2] = c * 9.80665;
//!     }
//! }
//! impl OptimalControl for Brachistochrone {
//!     type Model = Self;
//!     fn model(&self) -> &Self { self }
//!     fn mayer<D: DualScalar>(&self, t: D, _x: &[D], _u: &[D], _p: &[D]) -> D { t }
//! }
//! let deg = std::f64::consts::PI / 180.0;
//! let phase = Phase::new(&Brachistochrone)
//!     .time(TimeVar::fixed(0.0, 2.0).free_duration(0.5, 10.0))
//!     .state(0, StateVar::new().fix_initial(0.0).fix_final(10.0))
//!     .state(1, StateVar::new().fix_initial(10.0).fix_final(5.0))
//!     .state(2, StateVar::new().fix_initial(0.0).guess(0.0, 9.9))
//!     .control(0, ControlVar::new().bounds(0.01 * deg, 179.9 * deg).guess(5.0 * deg, 100.5 * deg))
//!     .objective_scale(10.0);
//! let ocp = Collocation::new(&Brachistochrone, &phase, Transcription::GaussLobatto { segments: 10, order: 3 })?;
//! let sol = ocp.solve(&SqpOptions::default())?;
//! assert_eq!(sol.status, Status::Optimal);
//! assert!((sol.objective - 1.8016).abs() < 1e-4);
//! let check = sol.simulate(&Brachistochrone)?;
//! assert!(check.max_error.iter().all(|e| *e < 1e-2));
//! # Ok::<(), odeon::Error>(())
//! ```

mod collocation;
mod derivatives;
mod duals;
mod guess;
mod layout;
mod nlp;
mod phase;
mod problem;
pub mod problems;
mod refine;
mod solution;
mod solver;
mod trajectory;
mod transcription;

pub use collocation::{Collocation, Convexify};
pub use guess::Guess;
pub use nlp::Nlp;
pub use phase::{Bounds, ControlVar, ParamVar, Phase, StateVar, TimeVar};
pub use problem::{End, NoCost, OptimalControl};
pub use refine::{Refined, Refinement, RefinementStatus, RefinementStep};
pub use solution::{OcpSolution, SimulationCheck, Timeseries};
#[cfg(feature = "ipopt")]
pub use solver::solve_nlp_ipopt;
pub use solver::{
    HessianMode, IterLog, NlpResult, PrintLog, SqpObserver, SqpOptions, Status, solve_nlp, solve_nlp_observed,
};
pub use trajectory::{Linkage, Quantity, Trajectory, TrajectoryRefined, TrajectorySolution};
pub use transcription::Transcription;

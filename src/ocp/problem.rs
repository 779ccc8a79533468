//! The problem statement: controlled dynamics and the functions of an
//! optimal-control problem, each written once, generic over the scalar.

use crate::DualScalar;
use crate::events::Event;

/// Controlled dynamics `ẋ = f(t, x, u, p)`: the counterpart of
/// [`OdeSystem`](crate::OdeSystem) with controls `u` and static parameters
/// `p`.
///
/// The right-hand side is a *generic method*. With `f64` it evaluates the
/// dynamics; with num-dual numbers the transcription gets exact node
/// Jacobians and Hessians from the same code. Unlike `OdeSystem`, time is a
/// scalar of the same type, because in a trajectory optimization the node
/// times depend on the (free) initial time and duration.
///
/// Comparisons inside `rhs` should look at the real part (`x[0].re()`), so
/// that the execution path does not depend on the scalar type.
///
/// # Example
/// ```
/// use odeon::DualScalar;
/// use odeon::ocp::Dynamics;
///
/// /// ẋ = v, v̇ = u.
/// struct DoubleIntegrator;
/// impl Dynamics for DoubleIntegrator {
///     fn n_states(&self) -> usize { 2 }
///     fn n_controls(&self) -> usize { 1 }
///     fn rhs<D: DualScalar>(&self, _t: D, x: &[D], u: &[D], _p: &[D], dx: &mut [D]) {
///         dx[0] = x[1];
///         dx[1] = u[0];
///     }
/// }
/// let mut dx = [0.0; 2];
/// DoubleIntegrator.rhs(0.0, &[0.0, 2.0], &[-1.0], &[], &mut dx);
/// assert_eq!(dx, [2.0, -1.0]);
/// ```
pub trait Dynamics {
    /// Number of states.
    fn n_states(&self) -> usize;

    /// Number of controls.
    fn n_controls(&self) -> usize;

    /// Number of static parameters `p` (fixed values or design parameters).
    fn n_params(&self) -> usize {
        0
    }

    /// Write `f(t, x, u, p)` into `dxdt` (length [`n_states`](Self::n_states)).
    fn rhs<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D], dxdt: &mut [D]);

    /// Events watched when the solution is re-integrated
    /// ([`OcpSolution::simulate`](super::OcpSolution::simulate)): a
    /// terminal one (say, touchdown) ends the simulation. None by default.
    fn events(&self) -> Vec<Event> {
        Vec::new()
    }

    /// The event functions `g_i(t, x, p)` of [`events`](Self::events)
    /// (see [`OdeSystem::event_values`](crate::OdeSystem::event_values)).
    fn event_values<D: DualScalar>(&self, t: D, x: &[D], p: &[D], g: &mut [D]) {
        let _ = (t, x, p, g);
    }

    /// Names of the states (for tables and plots).
    fn state_names(&self) -> Vec<String> {
        (0..self.n_states()).map(|i| format!("x{i}")).collect()
    }

    /// Names of the controls.
    fn control_names(&self) -> Vec<String> {
        (0..self.n_controls()).map(|i| format!("u{i}")).collect()
    }

    /// Names of the parameters.
    fn param_names(&self) -> Vec<String> {
        (0..self.n_params()).map(|i| format!("p{i}")).collect()
    }
}

/// Which end of the phase a boundary constraint applies to.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::MoonLanding, End, OptimalControl};
/// assert_eq!(MoonLanding.n_boundary(End::Final), 2); // h(t_f) = v(t_f) = 0
/// assert_eq!(MoonLanding.n_boundary(End::Initial), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum End {
    /// At the initial time t₀.
    Initial,
    /// At the final time t_f.
    Final,
}

/// An optimal-control problem: dynamics, objective and constraint functions.
///
/// Every function is generic over the scalar and has a default (no cost, no
/// constraint), so a problem implements only what it uses. Bounds of the
/// constraints, of the variables, scaling and the time options are data, in
/// a [`Phase`](super::Phase).
///
/// * objective: `mayer(t_f, x(t_f), u(t_f), p) + ∫ running_cost(t, x, u, p) dt`,
///   minimized (maximize by returning the negative);
/// * path constraints `path(t, x, u, p)` (length [`n_path`](Self::n_path)) at every node;
/// * boundary constraints `boundary(end, t, x, u, p)` at t₀ or t_f.
///
/// # Example
/// ```
/// use odeon::DualScalar;
/// use odeon::ocp::{Dynamics, End, OptimalControl};
///
/// struct Brachistochrone { g: f64 }
/// impl Dynamics for Brachistochrone {
///     fn n_states(&self) -> usize { 3 }
///     fn n_controls(&self) -> usize { 1 }
///     fn rhs<D: DualScalar>(&self, _t: D, x: &[D], u: &[D], _p: &[D], dx: &mut [D]) {
///         let (s, c) = u[0].sin_cos();
///         dx[0] = x[2] * s;
///         dx[1] = -x[2] * c;
///         dx[2] = c * self.g;
///     }
/// }
/// impl OptimalControl for Brachistochrone {
///     // Minimum time: the Mayer term is the final time.
///     fn mayer<D: DualScalar>(&self, t: D, _x: &[D], _u: &[D], _p: &[D]) -> D { t }
/// }
/// let b = Brachistochrone { g: 9.80665 };
/// assert_eq!(b.mayer(1.8, &[10.0, 5.0, 9.9], &[1.7], &[]), 1.8);
/// assert_eq!(b.n_boundary(End::Final), 0);
/// ```
pub trait OptimalControl: Dynamics {
    /// Terminal cost at the final node (default 0).
    fn mayer<D: DualScalar>(&self, _t: D, _x: &[D], _u: &[D], _p: &[D]) -> D {
        D::from(0.0)
    }

    /// Running cost `L(t, x, u, p)`, integrated by the transcription's
    /// quadrature (default 0).
    fn running_cost<D: DualScalar>(&self, _t: D, _x: &[D], _u: &[D], _p: &[D]) -> D {
        D::from(0.0)
    }

    /// Whether [`running_cost`](Self::running_cost) is used (default
    /// `false`: skipping it saves work).
    fn has_running_cost(&self) -> bool {
        false
    }

    /// Number of path constraints.
    fn n_path(&self) -> usize {
        0
    }

    /// Path constraint values at one node (bounds in the phase).
    fn path<D: DualScalar>(&self, _t: D, _x: &[D], _u: &[D], _p: &[D], _out: &mut [D]) {}

    /// Number of boundary constraints at `end`.
    fn n_boundary(&self, _end: End) -> usize {
        0
    }

    /// Boundary constraint values at `end` (bounds in the phase).
    fn boundary<D: DualScalar>(&self, _end: End, _t: D, _x: &[D], _u: &[D], _p: &[D], _out: &mut [D]) {}
}

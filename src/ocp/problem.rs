//! The problem statement: controlled dynamics and the functions of an
//! optimal-control problem, each written once, generic over the scalar.

use crate::DualScalar;
use crate::system::SliceModel;

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

/// An optimal-control problem: a [`Model`](crate::system::Model) whose
/// inputs are the controls, and objective and constraint functions.
///
/// The dynamics are any model — the one a fit or a simulation uses, a
/// [`Composite`](crate::compose::Composite) — returned by
/// [`model`](Self::model); its inputs are the controls `u`, its
/// parameters the static parameters `p` (fixed values or design
/// parameters). A problem that is its own model says `type Model = Self`.
///
/// Every function is generic over the scalar and has a default (no cost, no
/// constraint), so a problem implements only what it uses. Bounds of the
/// constraints, of the variables, scaling and the time options are data, in
/// a [`Phase`](super::Phase). Time is a scalar of the same type, because
/// the node times depend on the (free) initial time and duration;
/// comparisons should look at real parts (`x[0].re()`).
///
/// * objective: `mayer(t_f, x(t_f), u(t_f), p) + ∫ running_cost(t, x, u, p) dt`,
///   minimized (maximize by returning the negative);
/// * path constraints `path(t, x, u, p)` (length [`n_path`](Self::n_path)) at every node;
/// * boundary constraints `boundary(end, t, x, u, p)` at t₀ or t_f.
///
/// # Example
/// ```
/// use nalgebra::{Const, SVector};
/// use odeon::DualScalar;
/// use odeon::ocp::{End, OptimalControl};
/// use odeon::system::Model;
///
/// /// Sliding down a wire under gravity g, the wire's angle θ the input.
/// struct Bead { g: f64 }
/// impl Model for Bead {
///     type Dim = Const<3>;
///     fn dim(&self) -> Const<3> { Const }
///     fn n_params(&self) -> usize { 0 }
///     fn n_inputs(&self) -> usize { 1 }
///     fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 3>, u: &[D], _p: &[D], dx: &mut SVector<D, 3>) {
///         let (s, c) = u[0].sin_cos();
///         dx[0] = x[2] * s;
///         dx[1] = -x[2] * c;
///         dx[2] = c * self.g;
///     }
/// }
/// /// Minimum time: the Mayer term is the final time.
/// struct Brachistochrone { bead: Bead }
/// impl OptimalControl for Brachistochrone {
///     type Model = Bead;
///     fn model(&self) -> &Bead { &self.bead }
///     fn mayer<D: DualScalar>(&self, t: D, _x: &[D], _u: &[D], _p: &[D]) -> D { t }
/// }
/// let b = Brachistochrone { bead: Bead { g: 9.80665 } };
/// assert_eq!(b.mayer(1.8, &[10.0, 5.0, 9.9], &[1.7], &[]), 1.8);
/// assert_eq!(b.n_boundary(End::Final), 0);
/// ```
pub trait OptimalControl {
    /// The controlled dynamics.
    type Model: SliceModel;

    /// The dynamics: a model whose inputs are the controls.
    fn model(&self) -> &Self::Model;

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

/// The dynamics of a model as a problem with no cost and no constraints:
/// a phase of a [`Trajectory`](super::Trajectory) whose objective lies in
/// another phase (its bounds and fixed values are in its
/// [`Phase`](super::Phase) as for any problem).
///
/// # Example
/// ```
/// use odeon::ocp::{problems::Brachistochrone, NoCost, OptimalControl};
/// let p = NoCost(Brachistochrone);
/// assert_eq!(p.mayer(1.8, &[10.0, 5.0, 9.9], &[1.7], &[]), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NoCost<M>(pub M);

impl<M: SliceModel> OptimalControl for NoCost<M> {
    type Model = M;
    fn model(&self) -> &M {
        &self.0
    }
}

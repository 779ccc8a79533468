//! A model's outputs as what a fit observes.

use super::problem::Observable;
use crate::DualScalar;
use crate::signal::{Driven, Signals};
use crate::system::{Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, U1};

/// Observe a [`Model`](crate::system::Model)'s outputs under its signals
/// — the model of the fit is the same [`Driven`] (see
/// `tests/fit/outputs.rs`).
///
/// # Example
/// ```
/// use nalgebra::{Const, SVector};
/// use odeon::fit::{Observable, Outputs};
/// use odeon::signal::Driven;
/// use odeon::system::Model;
/// use odeon::DualScalar;
/// /// x' = u − x, observed as 3x + u.
/// struct Lag;
/// impl Model for Lag {
///     type Dim = Const<1>;
///     fn dim(&self) -> Const<1> { Const }
///     fn n_params(&self) -> usize { 0 }
///     fn n_inputs(&self) -> usize { 1 }
///     fn n_outputs(&self) -> usize { 1 }
///     fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], _p: &[D], dx: &mut SVector<D, 1>) {
///         dx[0] = u[0] - x[0];
///     }
///     fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], _p: &[D], y: &mut [D]) {
///         y[0] = x[0] * 3.0 + u[0];
///     }
/// }
/// let driven = Driven::new(&Lag, vec![2.0])?;
/// let mut out = [0.0];
/// Outputs(&driven).eval(0.0, &[1.0], &[], &mut out);
/// assert_eq!(out, [5.0]);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct Outputs<'a, 'm, M, G>(pub &'a Driven<'m, M, G>);

impl<M, G> Clone for Outputs<'_, '_, M, G> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, G> Copy for Outputs<'_, '_, M, G> {}

impl<M, G> std::fmt::Debug for Outputs<'_, '_, M, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outputs")
    }
}

impl<M: Model, G: Signals> Observable for Outputs<'_, '_, M, G>
where
    DefaultAllocator: Allocator<M::Dim>,
{
    fn n_outputs(&self) -> usize {
        self.0.model().n_outputs()
    }
    fn names(&self) -> Vec<String> {
        self.0.model().output_names()
    }
    fn eval<D: DualScalar>(&self, t: f64, y: &[D], p: &[D], out: &mut [D]) {
        let model = self.0.model();
        let x = State::<D, M::Dim>::from_iterator_generic(model.dim(), U1, y.iter().copied());
        let t = D::from(t);
        model.outputs(t, &x, &self.0.inputs(t), p, out);
    }
}

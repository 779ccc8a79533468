//! Models with inputs, for composition.

use crate::DualScalar;
use crate::system::Model;
use nalgebra::{Const, SVector};

/// Van der Pol's oscillator pushed by a force, `x'' = μ(1 − x²)x' − x + F`:
/// states `x`, `v`; parameter `mu`; input `force`; output `x` (read from
/// the state: no direct feedthrough). The plant of the PI-control
/// composite in `examples/vdp_pi_control.rs`.
///
/// # Example
/// ```
/// use odeon::models::ForcedVanDerPol;
/// use odeon::signal::Driven;
/// use odeon::{solve, Options, Tsit5};
/// // A constant force F = 1 at x = 1, v = 0: the damping vanishes and
/// // x'' = −x + F = 0, an equilibrium.
/// let sol = solve(&Driven::new(&ForcedVanDerPol, vec![1.0])?, Tsit5, (0.0, 5.0), &[1.0, 0.0], &[2.0], &Options::default())?;
/// assert!((sol.last().unwrap().1[0] - 1.0).abs() < 1e-9);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ForcedVanDerPol;

impl Model for ForcedVanDerPol {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn n_outputs(&self) -> usize {
        1
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], p: &[D], dx: &mut SVector<D, 2>) {
        dx[0] = x[1];
        dx[1] = p[0] * (-x[0] * x[0] + 1.0) * x[1] - x[0] + u[0];
    }
    fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, _u: &[D], _p: &[D], y: &mut [D]) {
        y[0] = x[0];
    }
    fn feedthrough(&self, _output: usize, _input: usize) -> bool {
        false
    }
    fn state_names(&self) -> Vec<String> {
        vec!["x".into(), "v".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["mu".into()]
    }
    fn input_names(&self) -> Vec<String> {
        vec!["force".into()]
    }
    fn output_names(&self) -> Vec<String> {
        vec!["x".into()]
    }
}

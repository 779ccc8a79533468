//! Models with inputs and outputs, for composition.

use crate::DualScalar;
use crate::compose::{Ports, port_names};
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
        Self::INPUTS.len()
    }
    fn n_outputs(&self) -> usize {
        Self::OUTPUTS.len()
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], p: &[D], dx: &mut SVector<D, 2>) {
        dx[0] = x[1];
        dx[1] = p[0] * (-x[0] * x[0] + 1.0) * x[1] - x[0] + u[0];
    }
    #[inline]
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
        port_names(Self::INPUTS)
    }
    fn output_names(&self) -> Vec<String> {
        port_names(Self::OUTPUTS)
    }
}

impl Ports for ForcedVanDerPol {
    const INPUTS: &'static [&'static str] = &["force"];
    const OUTPUTS: &'static [&'static str] = &["x"];
}

/// A cart on a rail pushed by a force and loaded by what it carries: states
/// `x`, `v`; parameter `m_cart`; inputs `force`, and the load's apparent
/// mass `k` and force `b` (the load pushes back with `k·a − b` at cart
/// acceleration `a`); outputs `x` and the acceleration
/// `a = (force + b)/(m_cart + k)`, which reads the inputs directly.
/// With a [`Pole`] as its load it is the cart-pole of
/// `examples/cart_pole_composite.rs`.
///
/// # Example
/// ```
/// use odeon::models::Cart;
/// use odeon::system::Model;
/// use nalgebra::SVector;
/// // An empty cart (k = b = 0) of 2 kg under 4 N accelerates at 2 m/s².
/// let mut y = [0.0; 2];
/// Cart.outputs(0.0, &SVector::<f64, 2>::zeros(), &[4.0, 0.0, 0.0], &[2.0], &mut y);
/// assert_eq!(y[1], 2.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Cart;

impl Cart {
    /// The acceleration under force `u[0]` and load (`u[1]`, `u[2]`).
    #[inline]
    fn acceleration<D: DualScalar>(u: &[D], p: &[D]) -> D {
        (u[0] + u[2]) / (p[0] + u[1])
    }
}

impl Model for Cart {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn n_inputs(&self) -> usize {
        Self::INPUTS.len()
    }
    fn n_outputs(&self) -> usize {
        Self::OUTPUTS.len()
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], p: &[D], dx: &mut SVector<D, 2>) {
        dx[0] = x[1];
        dx[1] = Self::acceleration(u, p);
    }
    #[inline]
    fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], p: &[D], y: &mut [D]) {
        y[0] = x[0];
        y[1] = Self::acceleration(u, p);
    }
    fn feedthrough(&self, output: usize, _input: usize) -> bool {
        output == 1
    }
    fn state_names(&self) -> Vec<String> {
        vec!["x".into(), "v".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["m_cart".into()]
    }
    fn input_names(&self) -> Vec<String> {
        port_names(Self::INPUTS)
    }
    fn output_names(&self) -> Vec<String> {
        port_names(Self::OUTPUTS)
    }
}

impl Ports for Cart {
    const INPUTS: &'static [&'static str] = &["force", "k", "b"];
    const OUTPUTS: &'static [&'static str] = &["x", "a"];
}

/// The pole of a cart-pole: a pendulum on a pivot that accelerates
/// horizontally, a
/// point mass `m_pole` on a massless rod of length `l_pole`, angle `theta`
/// from hanging straight down, `θ'' = −(g sin θ + a cos θ)/l` with
/// g = 9.81 and the pivot's acceleration `a` as its input. Outputs what it
/// does to whatever carries it (the load of a [`Cart`]): the apparent mass
/// `k = m sin²θ` and force `b = m sin θ (l ω² + g cos θ)`, so that the
/// pivot is pushed back with `k·a − b`; both read only the states.
///
/// # Example
/// ```
/// use odeon::models::Pole;
/// use odeon::system::Model;
/// use nalgebra::SVector;
/// // Held horizontal (θ = π/2, at rest) on a still pivot: it falls at g/l.
/// let mut dx = SVector::<f64, 2>::zeros();
/// Pole.rhs(0.0, &SVector::from([std::f64::consts::FRAC_PI_2, 0.0]), &[0.0], &[0.3, 0.5], &mut dx);
/// assert!((dx[1] + 9.81 / 0.5).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Pole;

impl Pole {
    /// Gravity, as in dymos's cart-pole.
    pub const G: f64 = 9.81;
}

impl Model for Pole {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        2
    }
    fn n_inputs(&self) -> usize {
        Self::INPUTS.len()
    }
    fn n_outputs(&self) -> usize {
        Self::OUTPUTS.len()
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], p: &[D], dx: &mut SVector<D, 2>) {
        let (s, c) = x[0].sin_cos();
        dx[0] = x[1];
        dx[1] = -(s * Self::G + u[0] * c) / p[1];
    }
    #[inline]
    fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, _u: &[D], p: &[D], y: &mut [D]) {
        let (s, c) = x[0].sin_cos();
        let (m, l) = (p[0], p[1]);
        y[0] = m * s * s;
        y[1] = m * s * (l * x[1] * x[1] + c * Self::G);
    }
    fn feedthrough(&self, _output: usize, _input: usize) -> bool {
        false
    }
    fn state_names(&self) -> Vec<String> {
        vec!["theta".into(), "omega".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["m_pole".into(), "l_pole".into()]
    }
    fn input_names(&self) -> Vec<String> {
        port_names(Self::INPUTS)
    }
    fn output_names(&self) -> Vec<String> {
        port_names(Self::OUTPUTS)
    }
}

impl Ports for Pole {
    const INPUTS: &'static [&'static str] = &["a"];
    const OUTPUTS: &'static [&'static str] = &["k", "b"];
}

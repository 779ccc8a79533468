//! Standard blocks for composites: a first-order lag and a PI controller;
//! and [`Block`], the blocks by name for composite files.

use super::{Builder, Composite, Parts, Ports, port_names};
use crate::models::ForcedVanDerPol;
use crate::system::{Model, SliceModel, State};
use crate::{DualScalar, Error};
use nalgebra::{Const, Dyn, SVector};

/// A first-order lag, `τ·y' = u − y` (an actuator, a sensor, a filter):
/// state `y`, parameter `tau`, input `u`, output `y` (read from the state,
/// so no direct feedthrough).
///
/// # Example
/// ```
/// use odeon::compose::blocks::Lag;
/// use odeon::signal::Driven;
/// use odeon::{solve, Options, Tsit5};
/// // A unit step through a lag with τ = 2: y(t) = 1 − e^{−t/2}.
/// let step = Driven::new(&Lag, vec![1.0])?;
/// let sol = solve(&step, Tsit5, (0.0, 2.0), &[0.0], &[2.0], &Options::default())?;
/// assert!((sol.last().unwrap().1[0] - (1.0 - (-1.0f64).exp())).abs() < 1e-6);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Lag;

impl Model for Lag {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
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
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], p: &[D], dx: &mut SVector<D, 1>) {
        dx[0] = (u[0] - x[0]) / p[0];
    }
    #[inline]
    fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, _u: &[D], _p: &[D], y: &mut [D]) {
        y[0] = x[0];
    }
    fn feedthrough(&self, _output: usize, _input: usize) -> bool {
        false
    }
    fn state_names(&self) -> Vec<String> {
        vec!["y".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["tau".into()]
    }
    fn input_names(&self) -> Vec<String> {
        port_names(Self::INPUTS)
    }
    fn output_names(&self) -> Vec<String> {
        port_names(Self::OUTPUTS)
    }
}

impl Ports for Lag {
    const INPUTS: &'static [&'static str] = &["u"];
    const OUTPUTS: &'static [&'static str] = &["y"];
}

/// A PI controller: error `e = r − y` between the setpoint `r` and the
/// measurement `y`, integral state `z' = e`, command `u = kp·e + ki·z`.
/// Parameters `kp`, `ki`; inputs `r`, `y`; output `u` (with direct
/// feedthrough from both inputs).
///
/// # Example
/// ```
/// use odeon::compose::blocks::Pi;
/// use odeon::system::Model;
/// let (mut u, z) = ([0.0], nalgebra::SVector::<f64, 1>::new(0.5));
/// // kp = 2, ki = 4, setpoint 1, measurement 0.25: u = 2·0.75 + 4·0.5.
/// Pi.outputs(0.0, &z, &[1.0, 0.25], &[2.0, 4.0], &mut u);
/// assert_eq!(u[0], 3.5);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Pi;

impl Model for Pi {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
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
    fn rhs<D: DualScalar>(&self, _t: D, _x: &SVector<D, 1>, u: &[D], _p: &[D], dx: &mut SVector<D, 1>) {
        dx[0] = u[0] - u[1];
    }
    #[inline]
    fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], p: &[D], y: &mut [D]) {
        y[0] = p[0] * (u[0] - u[1]) + p[1] * x[0];
    }
    fn state_names(&self) -> Vec<String> {
        vec!["z".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["kp".into(), "ki".into()]
    }
    fn input_names(&self) -> Vec<String> {
        port_names(Self::INPUTS)
    }
    fn output_names(&self) -> Vec<String> {
        port_names(Self::OUTPUTS)
    }
}

impl Ports for Pi {
    const INPUTS: &'static [&'static str] = &["r", "y"];
    const OUTPUTS: &'static [&'static str] = &["u"];
}

/// Van der Pol's oscillator (`plant`, [`ForcedVanDerPol`]) under PI control
/// (`controller`, [`Pi`]) through a lagging actuator (`actuator`, [`Lag`]),
/// the setpoint `controller.r` left external: dynode's canonical
/// composite, as a builder (`build()` or `build_const::<4>()`). Parameters
/// `plant.mu`, `controller.kp`, `controller.ki`, `actuator.tau`; states
/// `plant.x`, `plant.v`, `controller.z`, `actuator.y`.
///
/// # Example
/// ```
/// use odeon::compose::blocks::van_der_pol_pi;
/// use odeon::system::Model;
/// let closed = van_der_pol_pi().build_const::<4>()?;
/// assert_eq!(closed.input_names(), ["controller.r"]);
/// assert_eq!(closed.param_names(), ["plant.mu", "controller.kp", "controller.ki", "actuator.tau"]);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn van_der_pol_pi() -> Builder<impl Parts> {
    Composite::builder()
        .add("plant", ForcedVanDerPol)
        .add("controller", Pi)
        .add("actuator", Lag)
        .connect("plant.x", "controller.y")
        .connect("controller.u", "actuator.u")
        .connect("actuator.y", "plant.force")
        .external("controller.r")
}

crate::composite! {
    /// [`van_der_pol_pi`] wired when the program is compiled
    /// ([`composite!`](crate::composite)): the same names, parameters and
    /// states, evaluated as fast as the same equations written flat.
    ///
    /// # Example
    /// ```
    /// use odeon::compose::blocks::{Lag, Pi, VanDerPolPi};
    /// use odeon::models::ForcedVanDerPol;
    /// use odeon::system::Model;
    /// let closed = VanDerPolPi::new(ForcedVanDerPol, Pi, Lag)?;
    /// assert_eq!(closed.input_names(), ["controller.r"]);
    /// assert_eq!(closed.state_names(), ["plant.x", "plant.v", "controller.z", "actuator.y"]);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    #[derive(Clone, Debug)]
    pub struct VanDerPolPi {
        plant: ForcedVanDerPol,
        controller: Pi,
        actuator: Lag,
    }
    connect {
        plant.x -> controller.y,
        controller.u -> actuator.u,
        actuator.y -> plant.force,
    }
    external { controller.r }
}

/// The blocks a composite file names (besides the built-in models, which
/// have no inputs): `"lag"` ([`Lag`], τ = 1), `"pi"` ([`Pi`], kp = 1,
/// ki = 1) and `"forced_van_der_pol"` ([`ForcedVanDerPol`], μ = 1), each
/// with a run-time size and its states starting at 0.
///
/// # Example
/// ```
/// use odeon::compose::blocks::Block;
/// use odeon::system::Model;
/// let pi = Block::lookup("pi")?;
/// assert_eq!(pi.input_names(), ["r", "y"]);
/// assert_eq!(pi.params(), [1.0, 1.0]);
/// assert!(Block::lookup("pid").is_err());
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// [`Lag`].
    Lag,
    /// [`Pi`].
    Pi,
    /// [`ForcedVanDerPol`].
    ForcedVanDerPol,
}

impl Block {
    /// Every block with its name.
    pub const ALL: [(&'static str, Block); 3] =
        [("lag", Block::Lag), ("pi", Block::Pi), ("forced_van_der_pol", Block::ForcedVanDerPol)];

    /// The block called `name` (exactly as in [`ALL`](Self::ALL)).
    ///
    /// # Errors
    /// `UnknownModel`, listing the blocks.
    pub fn lookup(name: &str) -> Result<Block, Error> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| *b)
            .ok_or_else(|| Error::UnknownModel { name: name.to_string(), known: Self::ALL.map(|(n, _)| n).join(", ") })
    }

    /// The block's name.
    pub fn name(&self) -> &'static str {
        Self::ALL.iter().find(|(_, b)| b == self).map_or("", |(n, _)| n)
    }

    /// Default parameter values.
    pub fn params(&self) -> &'static [f64] {
        match self {
            Block::Lag | Block::ForcedVanDerPol => &[1.0],
            Block::Pi => &[1.0, 1.0],
        }
    }

    /// Default initial state (zeros).
    pub fn y0(&self) -> &'static [f64] {
        match self {
            Block::Lag | Block::Pi => &[0.0],
            Block::ForcedVanDerPol => &[0.0, 0.0],
        }
    }
}

/// `$body` with `$m` bound to the block's model.
macro_rules! with_block {
    ($self:expr, $m:ident => $body:expr) => {
        match $self {
            Block::Lag => {
                let $m = &Lag;
                $body
            }
            Block::Pi => {
                let $m = &Pi;
                $body
            }
            Block::ForcedVanDerPol => {
                let $m = &ForcedVanDerPol;
                $body
            }
        }
    };
}

impl Model for Block {
    type Dim = Dyn;
    fn dim(&self) -> Dyn {
        Dyn(self.y0().len())
    }
    fn n_params(&self) -> usize {
        self.params().len()
    }
    fn n_inputs(&self) -> usize {
        with_block!(self, m => m.n_inputs())
    }
    fn n_outputs(&self) -> usize {
        with_block!(self, m => m.n_outputs())
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], dxdt: &mut State<D, Dyn>) {
        with_block!(self, m => m.rhs_slice(t, x.as_slice(), u, p, dxdt.as_mut_slice()))
    }
    #[inline]
    fn outputs<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], y: &mut [D]) {
        with_block!(self, m => m.outputs_slice(t, x.as_slice(), u, p, y))
    }
    fn feedthrough(&self, output: usize, input: usize) -> bool {
        with_block!(self, m => m.feedthrough(output, input))
    }
    fn state_names(&self) -> Vec<String> {
        with_block!(self, m => m.state_names())
    }
    fn param_names(&self) -> Vec<String> {
        with_block!(self, m => m.param_names())
    }
    fn input_names(&self) -> Vec<String> {
        with_block!(self, m => m.input_names())
    }
    fn output_names(&self) -> Vec<String> {
        with_block!(self, m => m.output_names())
    }
}

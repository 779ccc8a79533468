//! Models: an ODE system written once, generic over its scalar.

use crate::DualScalar;
use crate::events::{Cause, Event, Schedule};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, OVector, U1};

/// A state vector of a system with dimension `N` (`Const<K>` or `Dyn`).
pub type State<D, N> = OVector<D, N>;

/// An ODE system `y' = f(t, y, p)`.
///
/// The right-hand side is a *generic method*: one definition runs with
/// `f64` (simulation) and with any num-dual number (derivatives with respect
/// to `y0` and `p`). The parameters `p` are passed as values of the scalar
/// type, not stored in the struct, so that they can carry derivatives.
/// Time comes as the same scalar: the integrator passes a plain time
/// (no derivative parts), and the stiff methods seed it to get `∂f/∂t`
/// of non-autonomous models exactly. Branch on `t.re()`, not on `t`.
///
/// The state dimension is `Dim`: `Const<K>` when it is known at compile
/// time (stack-allocated states, loops the compiler unrolls) or `Dyn` when
/// it is known only at run time (a model read from a file, a discretized
/// PDE). The same integrator serves both.
///
/// # Example
/// ```
/// use nalgebra::{Const, SVector};
/// use odeon::{solve, DualScalar, Method, OdeSystem, Options};
///
/// /// A damped spring: x'' = -k x - c x'.
/// struct Spring;
///
/// impl OdeSystem for Spring {
///     type Dim = Const<2>;
///     fn dim(&self) -> Const<2> {
///         Const
///     }
///     fn n_params(&self) -> usize {
///         2
///     }
///     fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
///         let (k, c) = (p[0], p[1]);
///         dy[0] = y[1];
///         dy[1] = -k * y[0] - c * y[1];
///     }
/// }
///
/// let sol = solve(&Spring, Method::Tsit5, (0.0, 10.0), &[1.0, 0.0], &[4.0, 0.1], &Options::default())?;
/// let (t, y) = sol.last().unwrap();
/// assert_eq!(t, 10.0);
/// assert!(y[0].abs() < 1.0); // damped
/// # Ok::<(), odeon::Error>(())
/// ```
pub trait OdeSystem {
    /// The state dimension: `Const<K>` or `Dyn`.
    type Dim: Dim;

    /// The state dimension as a value (`Const` or `Dyn(n)`).
    fn dim(&self) -> Self::Dim;

    /// Number of parameters `p` the right-hand side expects.
    fn n_params(&self) -> usize;

    /// `true`: [`solve_sensitivities`](crate::sensitivity::solve_sensitivities)
    /// (and fits through it) always works in chunks of 8 directions, so a
    /// program compiles one chunk width for this system instead of three
    /// (4, 6 and 8, picked by the number of directions), at the price of
    /// unused lanes when there are fewer than 8. Meant for run-time-sized
    /// systems that serve many problems, such as the command line's
    /// built-in models; the default `false` suits a model written for a
    /// problem.
    const FIXED_SENSITIVITY_CHUNKS: bool = false;

    /// Write `f(t, y, p)` into `dydt`.
    fn rhs<D: DualScalar>(&self, t: D, y: &State<D, Self::Dim>, p: &[D], dydt: &mut State<D, Self::Dim>)
    where
        DefaultAllocator: Allocator<Self::Dim>;

    /// `true` if [`rhs`](Self::rhs) never reads `t` (an autonomous
    /// system, `y' = f(y, p)`): the stiff methods' dual-number Jacobian
    /// then skips the time direction (`∂f/∂t = 0`), one pass in four
    /// fewer on systems of 4, 8, 12, … states. The default `false` is
    /// always correct; `true` for a right-hand side that reads `t` makes
    /// Rosenbrock methods drop its `∂f/∂t` and lose order.
    fn autonomous(&self) -> bool {
        false
    }

    /// The model's event functions, one [`Event`] each (its direction and
    /// whether it ends the solve); none by default. Called once per solve.
    /// See [`integrate::events`](crate::integrate::events) for how events
    /// are found and handled.
    fn events(&self) -> Vec<Event> {
        Vec::new()
    }

    /// Write the event functions `g_i(t, y, p)` into `g` (one per
    /// [`events`](Self::events) entry): an event fires where `g_i` changes
    /// sign. Generic like [`rhs`](Self::rhs), so event times get exact
    /// derivatives.
    fn event_values<D: DualScalar>(&self, t: D, y: &State<D, Self::Dim>, p: &[D], g: &mut [D])
    where
        DefaultAllocator: Allocator<Self::Dim>,
    {
        let _ = (t, y, p, g);
    }

    /// The reset map `y⁺ = R(t, y⁻, p)` at an event or a stop with
    /// [`Action::Reset`](crate::events::Action::Reset): change `y` in
    /// place, and `armed[i]` to switch event `i` off (or on again). The
    /// default changes nothing. Keep the dimension, and use the scalar's
    /// arithmetic (not `re()`) so that derivatives pass through.
    fn reset<D: DualScalar>(&self, cause: Cause, t: D, y: &mut State<D, Self::Dim>, p: &[D], armed: &mut [bool])
    where
        DefaultAllocator: Allocator<Self::Dim>,
    {
        let _ = (cause, t, y, p, armed);
    }

    /// A constant mass matrix `M` in `M y' = f(t, y, p)`, diagonal or
    /// sparse; `None` (the default) for `M = I`. A zero row (with a zero
    /// column) is an algebraic equation `0 = f_i(t, y, p)`: a
    /// semi-explicit index-1 DAE, whose algebraic components are made
    /// consistent before the first step. Rodas5P, Rodas4P, Rosenbrock23
    /// and BDF solve such systems; other methods refuse them
    /// (`docs/sparse.md`, "Mass matrices and DAEs").
    fn mass(&self) -> Option<crate::integrate::MassMatrix> {
        None
    }

    /// Stops at known times (doses, input switches); none by default.
    /// Called once per solve.
    fn schedule(&self) -> Schedule {
        Schedule::new()
    }

    /// Names of the state components (for tables and plots).
    fn state_names(&self) -> Vec<String> {
        (0..self.dim().value()).map(|i| format!("y{i}")).collect()
    }

    /// Names of the parameters (for reports and plots).
    fn param_names(&self) -> Vec<String> {
        (0..self.n_params()).map(|i| format!("p{i}")).collect()
    }
}

/// The number of states of a system.
pub fn n_states<S: Model>(system: &S) -> usize {
    system.dim().value()
}

/// A [`Model`] evaluated on flat slices, for code that keeps states in
/// one buffer (the optimal-control transcriptions): implemented for every
/// model whose dimension nalgebra allocates (`Const<K>`, `Dyn`), so such
/// code needs no allocator bounds. The states are copied into the model's
/// state type (on the stack for `Const<K>`).
///
/// # Example
/// ```
/// use odeon::models::ForcedVanDerPol;
/// use odeon::system::SliceModel;
///
/// let mut dx = [0.0; 2];
/// // x = 2, v = 0, force 1, mu = 1: x' = 0, v' = −2 + 1.
/// ForcedVanDerPol.rhs_slice(0.0, &[2.0, 0.0], &[1.0], &[1.0], &mut dx);
/// assert_eq!(dx, [0.0, -1.0]);
/// ```
pub trait SliceModel: Model {
    /// [`Model::rhs`] on slices (`x` and `dxdt` of length
    /// [`n_states`]).
    fn rhs_slice<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D], dxdt: &mut [D]);

    /// [`Model::event_values`] on a slice of states.
    fn event_values_slice<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D], g: &mut [D]);

    /// [`Model::outputs`] on a slice of states.
    fn outputs_slice<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D], y: &mut [D]);
}

impl<M: Model> SliceModel for M
where
    DefaultAllocator: Allocator<M::Dim>,
{
    #[inline]
    fn rhs_slice<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D], dxdt: &mut [D]) {
        let x = State::from_column_slice_generic(self.dim(), U1, x);
        let mut f = x.clone();
        self.rhs(t, &x, u, p, &mut f);
        dxdt.copy_from_slice(f.as_slice());
    }

    fn event_values_slice<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D], g: &mut [D]) {
        let x = State::from_column_slice_generic(self.dim(), U1, x);
        self.event_values(t, &x, u, p, g);
    }

    fn outputs_slice<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D], y: &mut [D]) {
        let x = State::from_column_slice_generic(self.dim(), U1, x);
        self.outputs(t, &x, u, p, y);
    }
}

/// A model with **inputs** — signals it reads, `u` — and **outputs** —
/// signals it computes from its states, inputs and parameters:
/// `x' = f(t, x, u, p)`, `y = g(t, x, u, p)`.
///
/// Every [`OdeSystem`] is a `Model` without inputs or outputs (a blanket
/// implementation), so an `OdeSystem` is the short way to write a closed
/// model. A model with inputs is simulated, differentiated, fitted or
/// sampled with its inputs given as signals of time by
/// [`Driven`](crate::signal::Driven) (itself an `OdeSystem`). The
/// right-hand side stays generic over the scalar; inputs arrive in the same
/// scalar (with the derivatives a signal carries, `du/dt` included).
///
/// The design (one model for simulation, fitting, ensembles and optimal
/// control, composition by connections) is in `docs/design/models.md`.
///
/// # Example
/// ```
/// use nalgebra::{Const, SVector};
/// use odeon::signal::{Driven, Interpolation, Table};
/// use odeon::system::Model;
/// use odeon::{solve, DualScalar, Options, Tsit5};
///
/// /// A tank: level h' = (q_in − k·h)/A, outflow reported as an output.
/// struct Tank;
///
/// impl Model for Tank {
///     type Dim = Const<1>;
///     fn dim(&self) -> Const<1> {
///         Const
///     }
///     fn n_params(&self) -> usize {
///         2 // k, A
///     }
///     fn n_inputs(&self) -> usize {
///         1 // q_in
///     }
///     fn n_outputs(&self) -> usize {
///         1 // q_out = k·h
///     }
///     fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], p: &[D], dx: &mut SVector<D, 1>) {
///         dx[0] = (u[0] - p[0] * x[0]) / p[1];
///     }
///     fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, _u: &[D], p: &[D], y: &mut [D]) {
///         y[0] = p[0] * x[0];
///     }
/// }
///
/// // The inflow ramps from 0 to 2 over ten seconds, then holds.
/// let q_in = Table::new(vec![0.0, 10.0], vec![vec![0.0], vec![2.0]], Interpolation::Linear)?;
/// let driven = Driven::new(&Tank, q_in)?;
/// let sol = solve(&driven, Tsit5, (0.0, 100.0), &[0.0], &[0.5, 2.0], &Options::default())?;
/// let (_, h) = sol.last().unwrap();
/// assert!((h[0] - 4.0).abs() < 1e-4); // steady state: k·h = q_in
/// # Ok::<(), odeon::Error>(())
/// ```
pub trait Model {
    /// The state dimension: `Const<K>` or `Dyn`.
    type Dim: Dim;

    /// See [`OdeSystem::FIXED_SENSITIVITY_CHUNKS`].
    const FIXED_SENSITIVITY_CHUNKS: bool = false;

    /// The state dimension as a value.
    fn dim(&self) -> Self::Dim;

    /// Number of parameters `p`.
    fn n_params(&self) -> usize;

    /// Number of inputs `u` (none by default).
    fn n_inputs(&self) -> usize {
        0
    }

    /// Number of outputs `y` (none by default).
    fn n_outputs(&self) -> usize {
        0
    }

    /// Write `f(t, x, u, p)` into `dxdt`.
    fn rhs<D: DualScalar>(&self, t: D, x: &State<D, Self::Dim>, u: &[D], p: &[D], dxdt: &mut State<D, Self::Dim>)
    where
        DefaultAllocator: Allocator<Self::Dim>;

    /// `true` if [`rhs`](Self::rhs) never reads `t` itself (its inputs
    /// may still vary in time: whoever supplies them decides for the
    /// closed system). See [`OdeSystem::autonomous`]; `false` by default.
    fn autonomous(&self) -> bool {
        false
    }

    /// Write the outputs `g(t, x, u, p)` into `y` (one per
    /// [`n_outputs`](Self::n_outputs)); nothing by default.
    fn outputs<D: DualScalar>(&self, t: D, x: &State<D, Self::Dim>, u: &[D], p: &[D], y: &mut [D])
    where
        DefaultAllocator: Allocator<Self::Dim>,
    {
        let _ = (t, x, u, p, y);
    }

    /// Whether output `output` reads input `input` directly (not only
    /// through the states): a *direct feedthrough*, which orders the
    /// evaluation of a [`Composite`](crate::compose::Composite) and makes
    /// a loop of connections through it an algebraic loop. `true` by
    /// default (the safe answer); say `false` where an output depends on
    /// the states and parameters alone, such as a plant's measured state.
    fn feedthrough(&self, output: usize, input: usize) -> bool {
        let _ = (output, input);
        true
    }

    /// See [`OdeSystem::events`].
    fn events(&self) -> Vec<Event> {
        Vec::new()
    }

    /// See [`OdeSystem::event_values`]; the inputs are those at `t`.
    fn event_values<D: DualScalar>(&self, t: D, x: &State<D, Self::Dim>, u: &[D], p: &[D], g: &mut [D])
    where
        DefaultAllocator: Allocator<Self::Dim>,
    {
        let _ = (t, x, u, p, g);
    }

    /// See [`OdeSystem::reset`].
    fn reset<D: DualScalar>(&self, cause: Cause, t: D, x: &mut State<D, Self::Dim>, p: &[D], armed: &mut [bool])
    where
        DefaultAllocator: Allocator<Self::Dim>,
    {
        let _ = (cause, t, x, p, armed);
    }

    /// See [`OdeSystem::mass`].
    fn mass(&self) -> Option<crate::integrate::MassMatrix> {
        None
    }

    /// See [`OdeSystem::schedule`].
    fn schedule(&self) -> Schedule {
        Schedule::new()
    }

    /// Names of the states (`x0`, `x1`, … by default).
    fn state_names(&self) -> Vec<String> {
        (0..self.dim().value()).map(|i| format!("x{i}")).collect()
    }

    /// Names of the parameters.
    fn param_names(&self) -> Vec<String> {
        (0..self.n_params()).map(|i| format!("p{i}")).collect()
    }

    /// Names of the inputs.
    fn input_names(&self) -> Vec<String> {
        (0..self.n_inputs()).map(|i| format!("u{i}")).collect()
    }

    /// Names of the outputs.
    fn output_names(&self) -> Vec<String> {
        (0..self.n_outputs()).map(|i| format!("out{i}")).collect()
    }
}

/// A closed model (an [`OdeSystem`]) is a [`Model`] without inputs or
/// outputs.
impl<S: OdeSystem> Model for S {
    type Dim = S::Dim;
    const FIXED_SENSITIVITY_CHUNKS: bool = S::FIXED_SENSITIVITY_CHUNKS;

    fn dim(&self) -> S::Dim {
        OdeSystem::dim(self)
    }
    fn n_params(&self) -> usize {
        OdeSystem::n_params(self)
    }
    // `#[inline]` here and on the explicit step's path (`Core::trial`,
    // `Core::judge`, `Integrator::step`, `check_accepted`): a user's crate
    // compiles them in its own codegen units, where uninlined calls cost
    // W1 15% (docs/benchmarks.md, "Build", the downstream rows).
    #[inline]
    fn rhs<D: DualScalar>(&self, t: D, x: &State<D, S::Dim>, _u: &[D], p: &[D], dxdt: &mut State<D, S::Dim>)
    where
        DefaultAllocator: Allocator<S::Dim>,
    {
        OdeSystem::rhs(self, t, x, p, dxdt);
    }
    fn autonomous(&self) -> bool {
        OdeSystem::autonomous(self)
    }
    fn events(&self) -> Vec<Event> {
        OdeSystem::events(self)
    }
    fn event_values<D: DualScalar>(&self, t: D, x: &State<D, S::Dim>, _u: &[D], p: &[D], g: &mut [D])
    where
        DefaultAllocator: Allocator<S::Dim>,
    {
        OdeSystem::event_values(self, t, x, p, g);
    }
    fn reset<D: DualScalar>(&self, cause: Cause, t: D, x: &mut State<D, S::Dim>, p: &[D], armed: &mut [bool])
    where
        DefaultAllocator: Allocator<S::Dim>,
    {
        OdeSystem::reset(self, cause, t, x, p, armed);
    }
    fn mass(&self) -> Option<crate::integrate::MassMatrix> {
        OdeSystem::mass(self)
    }
    fn schedule(&self) -> Schedule {
        OdeSystem::schedule(self)
    }
    fn state_names(&self) -> Vec<String> {
        OdeSystem::state_names(self)
    }
    fn param_names(&self) -> Vec<String> {
        OdeSystem::param_names(self)
    }
}

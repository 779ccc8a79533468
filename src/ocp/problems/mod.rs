//! Classic optimal-control problems with published optima, set up as in
//! dymos's tests (`dymos/examples/*/test`, commit 5bfbe394): the dynamics,
//! and a [`Phase`] with the bounds, guesses and scales of the test.

use super::{Bounds, ControlVar, End, OptimalControl, ParamVar, Phase, StateVar, TimeVar};
use crate::DualScalar;
use crate::events::Event;
use crate::system::{Model, SliceModel};
use nalgebra::{Const, SVector};

const DEG: f64 = std::f64::consts::PI / 180.0;

/// Brachistochrone: minimum time from (0, 10) to (10, 5) under gravity
/// `g` (a parameter), θ the angle from the vertical. Optimum: the cycloid,
/// t_f = 1.80160312 s.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::Brachistochrone, Collocation, SqpOptions, Transcription};
/// let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), Transcription::Radau { segments: 8, order: 3 })?;
/// let sol = ocp.solve(&SqpOptions::default())?;
/// assert!((sol.objective - 1.8016).abs() < 1e-4);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct Brachistochrone;

impl Brachistochrone {
    /// Standard gravity.
    pub const G: f64 = 9.80665;
    /// The analytic optimum (cycloid through both points).
    pub const T_OPT: f64 = 1.801603122453;

    /// dymos's setup: x, y fixed at both ends, v(0) = 0, θ ∈ [0.01°, 179.9°],
    /// duration ∈ [0.5, 10], objective time × 10; guesses as dymos.
    pub fn phase() -> Phase {
        Phase::new(&Brachistochrone)
            .time(TimeVar::fixed(0.0, 2.0).free_duration(0.5, 10.0))
            .state(0, StateVar::new().fix_initial(0.0).fix_final(10.0))
            .state(1, StateVar::new().fix_initial(10.0).fix_final(5.0))
            .state(2, StateVar::new().fix_initial(0.0).guess(0.0, 9.9))
            .control(0, ControlVar::new().bounds(0.01 * DEG, 179.9 * DEG).guess(5.0 * DEG, 100.5 * DEG))
            .param(0, ParamVar::fixed(Self::G))
            .objective_scale(10.0)
    }
}

impl Model for Brachistochrone {
    type Dim = Const<3>;
    fn dim(&self) -> Const<3> {
        Const
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 3>, u: &[D], p: &[D], dx: &mut SVector<D, 3>) {
        let (s, c) = u[0].sin_cos();
        dx[0] = x[2] * s;
        dx[1] = -x[2] * c;
        dx[2] = p[0] * c;
    }
    fn state_names(&self) -> Vec<String> {
        vec!["x".into(), "y".into(), "v".into()]
    }
    fn input_names(&self) -> Vec<String> {
        vec!["theta".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["g".into()]
    }
}

impl OptimalControl for Brachistochrone {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, t: D, _x: &[D], _u: &[D], _p: &[D]) -> D {
        t
    }
}

/// Double integrator: maximize x(1) with ẋ = v, v̇ = u, |u| ≤ 1,
/// v(0) = v(1) = 0. Optimum x(1) = 0.25 (bang-bang, switch at t = 0.5).
///
/// # Example
/// ```
/// use odeon::ocp::{problems::DoubleIntegrator, Collocation, SqpOptions, Transcription};
/// let sol = Collocation::new(&DoubleIntegrator, &DoubleIntegrator::phase(), Transcription::Radau { segments: 10, order: 3 })?.solve(&SqpOptions::default())?;
/// assert!((sol.objective + 0.25).abs() < 1e-6);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct DoubleIntegrator;

impl DoubleIntegrator {
    /// dymos's setup: T = 1 fixed, u discontinuous across segments.
    pub fn phase() -> Phase {
        Phase::new(&DoubleIntegrator)
            .time(TimeVar::fixed(0.0, 1.0))
            .state(0, StateVar::new().fix_initial(0.0).guess(0.0, 0.25))
            .state(1, StateVar::new().fix_initial(0.0).fix_final(0.0))
            .control(0, ControlVar::new().bounds(-1.0, 1.0).guess(1.0, -1.0).continuity(false))
    }
}

impl Model for DoubleIntegrator {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], _p: &[D], dx: &mut SVector<D, 2>) {
        dx[0] = x[1];
        dx[1] = u[0];
    }
    fn state_names(&self) -> Vec<String> {
        vec!["x".into(), "v".into()]
    }
    fn input_names(&self) -> Vec<String> {
        vec!["u".into()]
    }
}

impl OptimalControl for DoubleIntegrator {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, _t: D, x: &[D], _u: &[D], _p: &[D]) -> D {
        -x[0]
    }
}

/// Hyper-sensitive problem (Rao & Mease): ẋ = −x + u,
/// J = ∫ ½(x² + u²) dt, x(0) = 1.5, x(t_f) = 1.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::HyperSensitive, Collocation, SqpOptions, Transcription};
/// let sol = Collocation::new(&HyperSensitive, &HyperSensitive::phase(10.0), Transcription::Radau { segments: 10, order: 3 })?.solve(&SqpOptions::default())?;
/// assert!((sol.objective - HyperSensitive::optimum(10.0)).abs() < 1e-3);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct HyperSensitive;

impl HyperSensitive {
    /// The analytic optimum J(t_f) (dymos's test formula).
    pub fn optimum(tf: f64) -> f64 {
        let r2 = 2f64.sqrt();
        let val = r2 * tf;
        let c1 = (1.5 * (-val).exp() - 1.0) / ((-val).exp() - val.exp());
        let c2 = (1.0 - 1.5 * val.exp()) / ((-val).exp() - val.exp());
        0.5 * (c1 * c1 * (1.0 + r2) * (2.0 * val).exp() + c2 * c2 * (1.0 - r2) * (-2.0 * val).exp()
            - (1.0 + r2) * c1 * c1
            - (1.0 - r2) * c2 * c2)
    }

    /// Fixed duration `tf`; boundary values as fixed states.
    pub fn phase(tf: f64) -> Phase {
        Phase::new(&HyperSensitive)
            .time(TimeVar::fixed(0.0, tf))
            .state(0, StateVar::new().fix_initial(1.5).fix_final(1.0))
            .control(0, ControlVar::new().guess(-0.6, 2.4))
    }
}

impl Model for HyperSensitive {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], _p: &[D], dx: &mut SVector<D, 1>) {
        dx[0] = -x[0] + u[0];
    }
}

impl OptimalControl for HyperSensitive {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn running_cost<D: DualScalar>(&self, _t: D, x: &[D], u: &[D], _p: &[D]) -> D {
        (x[0] * x[0] + u[0] * u[0]) * 0.5
    }
    fn has_running_cost(&self) -> bool {
        true
    }
}

/// The cart-pole written flat (dymos's cart_pole example): states (x,
/// x_dot, theta, theta_dot), the force `f` as input, parameters (m_cart,
/// m_pole, l_pole), g = 9.81; θ = 0 hangs down. Its swing-up problem is
/// [`SwingUp`]`(CartPole)` on [`CartPole::phase`].
///
/// # Example
/// ```
/// use odeon::ocp::problems::{CartPole, SwingUp};
/// use odeon::ocp::{Collocation, SqpOptions, Transcription};
/// let sol = Collocation::new(&SwingUp(CartPole), &CartPole::phase(), Transcription::Radau { segments: 20, order: 3 })?.solve(&SqpOptions::default())?;
/// assert!((sol.objective - 58.88).abs() < 0.02 * 58.88);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct CartPole;

/// Cart-pole swing-up on any model with the cart-pole's states (x, x_dot,
/// theta, theta_dot) and one input, the force `f` — [`CartPole`], or one
/// composed from parts (`examples/cart_pole_composite.rs`): minimum ∫ f²
/// dt, and at the end the cart at rest at the bounds of
/// [`CartPole::phase`] (x = 1), the pole upright and at rest, no force
/// (five final boundary constraints: the states, then `f`).
pub struct SwingUp<M>(pub M);

impl<M: SliceModel> OptimalControl for SwingUp<M> {
    type Model = M;
    fn model(&self) -> &M {
        &self.0
    }
    fn running_cost<D: DualScalar>(&self, _t: D, _x: &[D], u: &[D], _p: &[D]) -> D {
        u[0] * u[0]
    }
    fn has_running_cost(&self) -> bool {
        true
    }
    fn n_boundary(&self, end: End) -> usize {
        if end == End::Final { 5 } else { 0 }
    }
    fn boundary<D: DualScalar>(&self, _end: End, _t: D, x: &[D], u: &[D], _p: &[D], out: &mut [D]) {
        out[..4].copy_from_slice(&x[..4]);
        out[4] = u[0];
    }
}

impl CartPole {
    /// dymos's swing-up setup for [`SwingUp`]: T = 2 s, cart from 0 to 1
    /// and pole from 0 to π, x ∈ [−2, 2], |f| ≤ 20, f(T) = 0 (final
    /// conditions as boundary constraints, guesses through the midpoint
    /// values of the test as linear guesses).
    pub fn phase() -> Phase {
        let pi = std::f64::consts::PI;
        Phase::new(&SwingUp(CartPole))
            .time(TimeVar::fixed(0.0, 2.0))
            .state(0, StateVar::new().fix_initial(0.0).bounds(-2.0, 2.0).guess(0.0, 1.0))
            .state(1, StateVar::new().fix_initial(0.0).guess(0.0, 0.0))
            .state(2, StateVar::new().fix_initial(0.0).guess(0.0, pi))
            .state(3, StateVar::new().fix_initial(0.0).guess(0.0, 0.0))
            .control(0, ControlVar::new().bounds(-20.0, 20.0).guess(3.0, 0.0).scale(10.0))
            .param(0, ParamVar::fixed(1.0))
            .param(1, ParamVar::fixed(0.3))
            .param(2, ParamVar::fixed(0.5))
            .boundary_constraint(End::Final, 0, Bounds::equal(1.0))
            .boundary_constraint(End::Final, 1, Bounds::equal(0.0))
            .boundary_constraint(End::Final, 2, Bounds::equal(pi))
            .boundary_constraint(End::Final, 3, Bounds::equal(0.0))
            .boundary_constraint(End::Final, 4, Bounds::equal(0.0))
            .objective_scale(0.01)
    }
}

impl Model for CartPole {
    type Dim = Const<4>;
    fn dim(&self) -> Const<4> {
        Const
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn n_params(&self) -> usize {
        3
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 4>, u: &[D], p: &[D], dx: &mut SVector<D, 4>) {
        let g = 9.81;
        let (mc, mp, l) = (p[0], p[1], p[2]);
        let (th, om, f) = (x[2], x[3], u[0]);
        let (s, c) = th.sin_cos();
        let det = mp * l * c * c - l * (mc + mp);
        let inner = f + mp * l * om * om * s;
        dx[0] = x[1];
        dx[1] = (-mp * l * g * s * c - l * inner) / det;
        dx[2] = om;
        dx[3] = ((mc + mp) * g * s + c * inner) / det;
    }
    fn state_names(&self) -> Vec<String> {
        vec!["x".into(), "x_dot".into(), "theta".into(), "theta_dot".into()]
    }
    fn input_names(&self) -> Vec<String> {
        vec!["f".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["m_cart".into(), "m_pole".into(), "l_pole".into()]
    }
}

/// Goddard rocket, dymos's variant: maximize the final altitude with drag
/// σ v² e^{−h/h₀}, thrust T ∈ [0, 200] lbf, mass 3 → 1 slug.
///
/// The thrust has a singular arc (the Hamiltonian is linear in it). On
/// Radau the SQP converges in a dozen iterations; on Gauss–Lobatto the
/// reduced Hessian stays indefinite along the arc and the iterations
/// converge only linearly, ending on the iteration limit with h_f within
/// 1e-3.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::GoddardRocket, Collocation, SqpOptions, Status, Transcription};
/// let t = Transcription::Radau { segments: 10, order: 3 };
/// let sol = Collocation::new(&GoddardRocket, &GoddardRocket::phase(), t)?.solve(&SqpOptions::default())?;
/// assert_eq!(sol.status, Status::Optimal);
/// let hf = sol.timeseries.states.last().unwrap()[0];
/// assert!((hf - 18745.0).abs() < 1e-4 * 18745.0);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct GoddardRocket;

impl GoddardRocket {
    /// dymos's setup: t_f ∈ [20, 80] (scale 100), h ≥ 0 (scale 20000),
    /// v ≥ 0 (scale 1000), m ∈ [1e-3, 3] (scale 3), T scale 200.
    pub fn phase() -> Phase {
        Phase::new(&GoddardRocket)
            .time(TimeVar::fixed(0.0, 40.0).free_duration(20.0, 80.0).duration_scale(100.0))
            .state(0, StateVar::new().fix_initial(0.0).bounds(0.0, f64::INFINITY).guess(0.0, 10000.0).scale(20000.0))
            .state(1, StateVar::new().fix_initial(0.0).bounds(0.0, f64::INFINITY).guess(0.0, 0.0).scale(1000.0))
            .state(2, StateVar::new().fix_initial(3.0).fix_final(1.0).bounds(1e-3, 3.0).scale(3.0))
            .control(0, ControlVar::new().bounds(0.0, 200.0).guess(0.0, 0.0).scale(200.0))
    }
}

impl Model for GoddardRocket {
    type Dim = Const<3>;
    fn dim(&self) -> Const<3> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 3>, u: &[D], _p: &[D], dx: &mut SVector<D, 3>) {
        let (sigma, g, c, h0) = (5.4915e-5, 32.174, 1580.9425, 23800.0);
        let (h, v, m, thrust) = (x[0], x[1], x[2], u[0]);
        dx[0] = v;
        dx[1] = (thrust - v * v * sigma * (-h / h0).exp()) / m - g;
        dx[2] = -thrust / c;
    }
    fn state_names(&self) -> Vec<String> {
        vec!["h".into(), "v".into(), "m".into()]
    }
    fn input_names(&self) -> Vec<String> {
        vec!["T".into()]
    }
}

impl OptimalControl for GoddardRocket {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, _t: D, x: &[D], _u: &[D], _p: &[D]) -> D {
        -x[0]
    }
}

/// Moon landing (dymos's moon_landing example): ḣ = v, v̇ = −1 + T/m,
/// ṁ = −T/2.349, T ∈ [0, 1.227], land softly (h = v = 0) with the most mass.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::MoonLanding, Collocation, SqpOptions, Transcription};
/// let sol = Collocation::new(&MoonLanding, &MoonLanding::phase(), Transcription::Radau { segments: 10, order: 3 })?.solve(&SqpOptions::default())?;
/// assert!((sol.timeseries.states.last().unwrap()[2] - 0.3953).abs() < 1e-3);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct MoonLanding;

impl MoonLanding {
    /// dymos's setup: h(0) = 1, v(0) = −0.783, m(0) = 1, free t_f.
    pub fn phase() -> Phase {
        Phase::new(&MoonLanding)
            .time(TimeVar::fixed(0.0, 1.0).free_duration(1e-3, f64::INFINITY))
            .state(0, StateVar::new().fix_initial(1.0).guess(1.0, 0.0))
            .state(1, StateVar::new().fix_initial(-0.783).guess(-0.783, 0.0))
            .state(2, StateVar::new().fix_initial(1.0).bounds(1e-3, f64::INFINITY).guess(1.0, 0.2))
            .control(0, ControlVar::new().bounds(0.0, 1.227).guess(0.0, 1.227))
            .boundary_constraint(End::Final, 0, Bounds::equal(0.0))
            .boundary_constraint(End::Final, 1, Bounds::equal(0.0))
    }
}

impl Model for MoonLanding {
    type Dim = Const<3>;
    fn dim(&self) -> Const<3> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 3>, u: &[D], _p: &[D], dx: &mut SVector<D, 3>) {
        dx[0] = x[1];
        dx[1] = u[0] / x[2] - 1.0;
        dx[2] = -u[0] / 2.349;
    }
    /// Touchdown (`h` falling through 0) ends a re-simulation.
    fn events(&self) -> Vec<Event> {
        vec![Event::new("touchdown").down().terminal()]
    }
    fn event_values<D: DualScalar>(&self, _t: D, x: &SVector<D, 3>, _u: &[D], _p: &[D], g: &mut [D]) {
        g[0] = x[0];
    }
    fn state_names(&self) -> Vec<String> {
        vec!["h".into(), "v".into(), "m".into()]
    }
    fn input_names(&self) -> Vec<String> {
        vec!["T".into()]
    }
}

impl OptimalControl for MoonLanding {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, _t: D, x: &[D], _u: &[D], _p: &[D]) -> D {
        -x[2]
    }
    fn n_boundary(&self, end: End) -> usize {
        if end == End::Final { 2 } else { 0 }
    }
    fn boundary<D: DualScalar>(&self, _end: End, _t: D, x: &[D], _u: &[D], _p: &[D], out: &mut [D]) {
        out[0] = x[0];
        out[1] = x[1];
    }
}

mod cannonball;
mod min_time_climb;
mod shuttle;
pub use cannonball::{Cannonball, CannonballAscent, CannonballDescent};
pub use min_time_climb::MinTimeClimb;
pub use shuttle::ShuttleReentry;

//! dymos's two-phase cannonball: the radius that carries a cannonball of
//! given muzzle energy farthest, through an ascent and a descent linked
//! at the apex.

use super::DEG;
use crate::DualScalar;
use crate::Error;
use crate::ocp::{
    Bounds, Collocation, End, OptimalControl, ParamVar, Phase, Quantity, StateVar, TimeVar, Trajectory, Transcription,
};
use crate::system::Model;
use nalgebra::{Const, SVector};

/// A cannonball in 2-D flight with drag through the 1976 standard
/// atmosphere (troposphere), no lift and no thrust: states range `r`,
/// altitude `h`, flight-path angle `γ` and speed `v`; its radius is the
/// parameter (mass and frontal area follow from it and the density of
/// iron). dymos's `CannonballODE` with `FlightPathEOM2D`.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::Cannonball, SqpOptions, Status, Transcription};
/// let t = (Transcription::Radau { segments: 5, order: 3 }, Transcription::GaussLobatto { segments: 5, order: 3 });
/// let sol = Cannonball::trajectory(t.0, t.1)?.solve(&SqpOptions::default())?;
/// assert_eq!(sol.status, Status::Optimal);
/// let range = sol.phase("descent").unwrap().timeseries.states.last().unwrap()[0];
/// assert!((range - Cannonball::RANGE).abs() < 1e-2 * Cannonball::RANGE); // dymos's test: 1 %
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Cannonball;

impl Cannonball {
    /// Density of the ball (iron, 7.87 g/cm³), kg/m³.
    pub const DENSITY: f64 = 7870.0;
    /// Drag coefficient.
    pub const CD: f64 = 0.5;
    /// Standard gravity, m/s².
    pub const G: f64 = 9.80665;
    /// Largest muzzle energy, J.
    pub const ENERGY: f64 = 4e5;
    /// The range dymos's test asserts (to 1 %), m.
    pub const RANGE: f64 = 3183.25;

    /// Mass of a ball of radius `r`.
    pub fn mass<D: DualScalar>(r: D) -> D {
        r * r * r * (4.0 / 3.0 * std::f64::consts::PI * Self::DENSITY)
    }

    /// Air density at altitude `h` (m) in the 1976 standard atmosphere's
    /// troposphere (valid to 11 km): T = 288.15 − 0.0065 h,
    /// ρ = 1.225 (T / 288.15)^4.25588.
    pub fn air_density<D: DualScalar>(h: D) -> D {
        ((h * (-0.0065 / 288.15)) + 1.0).powf(4.255_876) * 1.225
    }

    /// The ascent, as dymos sets it up: from the origin with free angle
    /// and speed (muzzle energy at most [`ENERGY`](Self::ENERGY)) to the
    /// apex (γ = 0); radius in [0.01, 0.1] m.
    pub fn ascent() -> Phase {
        Phase::new(&CannonballAscent)
            .time(TimeVar::fixed(0.0, 10.0).free_duration(1.0, 100.0).duration_scale(100.0))
            .state(0, Self::range().fix_initial(0.0).guess(0.0, 100.0))
            .state(1, Self::altitude().fix_initial(0.0).guess(0.0, 100.0))
            .state(2, Self::angle().guess(25.0 * DEG, 0.0).fix_final(0.0))
            .state(3, Self::speed().guess(200.0, 150.0))
            .param(0, Self::radius())
            .boundary_constraint(End::Initial, 0, Bounds::between(0.0, Self::ENERGY).scale(1e5))
    }

    /// The descent: from the apex (linked) to the ground, range maximized.
    pub fn descent() -> Phase {
        Phase::new(&CannonballDescent)
            .time(TimeVar::fixed(10.0, 10.0).free_initial(0.5, 100.0).free_duration(0.5, 100.0).duration_scale(100.0))
            .state(0, Self::range().guess(100.0, 200.0))
            .state(1, Self::altitude().guess(100.0, 0.0).fix_final(0.0))
            .state(2, Self::angle().guess(0.0, -45.0 * DEG))
            .state(3, Self::speed().guess(150.0, 200.0))
            .param(0, Self::radius())
    }

    // Scales and bounds beyond dymos's test (which leaves every state at
    // scale 1 and unbounded): states of order one for the optimizer, and
    // a ball that flies forward above the ground (γ' = −g cos γ / v).
    fn range() -> StateVar {
        StateVar::new().bounds(0.0, f64::INFINITY).scale(1000.0)
    }
    fn altitude() -> StateVar {
        StateVar::new().bounds(0.0, f64::INFINITY).scale(1000.0)
    }
    fn angle() -> StateVar {
        StateVar::new().bounds(-89.0 * DEG, 89.0 * DEG)
    }
    fn speed() -> StateVar {
        StateVar::new().bounds(1.0, f64::INFINITY).scale(100.0)
    }

    fn radius() -> ParamVar {
        ParamVar::free(0.05).bounds(0.01, 0.1).scale(0.1)
    }

    /// Both phases on the given transcriptions, linked in time, every
    /// state and the radius.
    ///
    /// # Errors
    /// As [`Collocation::new`].
    pub fn trajectory(ascent: Transcription, descent: Transcription) -> Result<Trajectory<'static>, Error> {
        let linked = [Quantity::Time, Quantity::State(0), Quantity::State(1), Quantity::State(2), Quantity::State(3)];
        Ok(Trajectory::new()
            .phase("ascent", Collocation::new(&CannonballAscent, &Self::ascent(), ascent)?)
            .phase("descent", Collocation::new(&CannonballDescent, &Self::descent(), descent)?)
            .link("ascent", "descent", &linked)
            .link("ascent", "descent", &[Quantity::Param(0)]))
    }
}

impl Model for Cannonball {
    type Dim = Const<4>;
    fn dim(&self) -> Const<4> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn n_inputs(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 4>, _u: &[D], p: &[D], dx: &mut SVector<D, 4>) {
        let (h, gam, v, r) = (x[1], x[2], x[3], p[0]);
        let area = r * r * std::f64::consts::PI;
        let drag = Self::air_density(h) * v * v * area * (0.5 * Self::CD);
        let (s, c) = gam.sin_cos();
        dx[0] = v * c;
        dx[1] = v * s;
        dx[2] = -c * Self::G / v;
        dx[3] = -drag / Self::mass(r) - s * Self::G;
    }
    fn state_names(&self) -> Vec<String> {
        ["r", "h", "gam", "v"].map(String::from).to_vec()
    }
    fn param_names(&self) -> Vec<String> {
        vec!["radius".into()]
    }
}

/// The ascent: the muzzle energy ½ m v² bounded at launch.
#[derive(Clone, Copy, Debug, Default)]
pub struct CannonballAscent;

impl OptimalControl for CannonballAscent {
    type Model = Cannonball;
    fn model(&self) -> &Cannonball {
        &Cannonball
    }
    fn n_boundary(&self, end: End) -> usize {
        usize::from(end == End::Initial)
    }
    fn boundary<D: DualScalar>(&self, _end: End, _t: D, x: &[D], _u: &[D], p: &[D], out: &mut [D]) {
        out[0] = Cannonball::mass(p[0]) * x[3] * x[3] * 0.5;
    }
}

/// The descent: maximum range at impact.
#[derive(Clone, Copy, Debug, Default)]
pub struct CannonballDescent;

impl OptimalControl for CannonballDescent {
    type Model = Cannonball;
    fn model(&self) -> &Cannonball {
        &Cannonball
    }
    fn mayer<D: DualScalar>(&self, _t: D, x: &[D], _u: &[D], _p: &[D]) -> D {
        -x[0]
    }
}

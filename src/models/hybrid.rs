//! Models with events and doses: a bouncing ball, oral dosing in a
//! one-compartment model, and a thermostat.

use crate::events::{Action, Cause, Event, Schedule};
use crate::{DualScalar, OdeSystem};
use nalgebra::{Const, SVector};

/// A ball dropped under gravity, `h'' = −g`, states `[h, v]`, parameters
/// `[g, e]`: at the ground (`h` falling through 0) it bounces with
/// restitution `e` (`v⁺ = −e·v⁻`) or, `terminal`, the solve stops.
///
/// Dropped from rest at `h0` the bounce times are `t₁ = √(2h0/g)` and
/// `t_{k+1} = t_k + 2eᵏ·√(2gh0)/g`.
///
/// # Example
/// ```
/// use odeon::{models::BouncingBall, solve, Options, Tsit5};
/// let ball = BouncingBall { terminal: false };
/// let opts = Options::default().rtol(1e-10).atol(1e-10);
/// let sol = solve(&ball, Tsit5, (0.0, 3.0), &[10.0, 0.0], &[9.81, 0.8], &opts)?;
/// let t1 = (2.0 * 10.0 / 9.81f64).sqrt();
/// assert!((sol.events[0].t - t1).abs() < 1e-9);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BouncingBall {
    /// Stop at the first landing instead of bouncing.
    pub terminal: bool,
}

impl BouncingBall {
    /// Gravity and restitution.
    pub const PARAMS: [f64; 2] = [9.81, 0.8];
    /// Dropped from 10 m at rest.
    pub const Y0: [f64; 2] = [10.0, 0.0];
}

impl OdeSystem for BouncingBall {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        2
    }
    fn autonomous(&self) -> bool {
        true
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
        dy[0] = y[1];
        dy[1] = -p[0];
    }
    fn events(&self) -> Vec<Event> {
        let ground = Event::new("ground").down();
        vec![if self.terminal { ground.terminal() } else { ground }]
    }
    fn event_values<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, _p: &[D], g: &mut [D]) {
        g[0] = y[0];
    }
    fn reset<D: DualScalar>(&self, _: Cause, _t: D, y: &mut SVector<D, 2>, p: &[D], _: &mut [bool]) {
        if !self.terminal {
            y[1] = -p[1] * y[1];
        }
    }
    fn state_names(&self) -> Vec<String> {
        vec!["h".into(), "v".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["g".into(), "e".into()]
    }
}

/// Repeated oral doses in a one-compartment model with first-order
/// absorption, in concentration units: the gut `a` (dose / volume not yet
/// absorbed) and the plasma concentration `c`,
/// `a' = −ka·a`, `c' = ka·a − ke·c`, parameters `[ka, ke, V, tlag]`.
/// Dose `k` (of `dose`, every `period` from 0, `doses` of them) arrives
/// at `tlag + k·period` and adds `dose / V` to `a`; the lag time can be
/// estimated like any parameter.
///
/// # Example
/// ```
/// use odeon::{models::OralDosing, solve, Options, Tsit5};
/// let pk = OralDosing { dose: 100.0, period: 12.0, doses: 4 };
/// let opts = Options::default().rtol(1e-10).atol(1e-10);
/// let sol = solve(&pk, Tsit5, (0.0, 48.0), &[0.0, 0.0], &OralDosing::PARAMS, &opts)?;
/// assert_eq!(sol.events.len(), 4); // one record per dose
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OralDosing {
    /// Amount per dose.
    pub dose: f64,
    /// Time between doses.
    pub period: f64,
    /// Number of doses.
    pub doses: usize,
}

impl OralDosing {
    /// `ka = 1.2 /h`, `ke = 0.15 /h`, `V = 30 L`, `tlag = 0.5 h`.
    pub const PARAMS: [f64; 4] = [1.2, 0.15, 30.0, 0.5];
}

impl OdeSystem for OralDosing {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        4
    }
    fn autonomous(&self) -> bool {
        true
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
        let absorbed = p[0] * y[0];
        dy[0] = -absorbed;
        dy[1] = absorbed - p[1] * y[1];
    }
    fn schedule(&self) -> Schedule {
        Schedule::new().every(0.0, self.period, self.doses, Action::Reset).lag(3)
    }
    fn reset<D: DualScalar>(&self, _: Cause, _t: D, y: &mut SVector<D, 2>, p: &[D], _: &mut [bool]) {
        y[0] += p[2].recip() * self.dose;
    }
    fn state_names(&self) -> Vec<String> {
        vec!["gut".into(), "concentration".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["ka".into(), "ke".into(), "V".into(), "tlag".into()]
    }
}

/// A room heated by a thermostat with hysteresis: `T' = −k(T − T_out) +
/// q·u`, states `[T, u]` (`u` the heater, 0 or 1, constant between
/// switches), parameters `[k, T_out, q, T_low, T_high]`. The heater goes
/// off when `T` rises through `T_high` and on when it falls through
/// `T_low`: two non-terminal events with resets.
///
/// # Example
/// ```
/// use odeon::{models::Thermostat, solve, Options, Tsit5};
/// let sol = solve(&Thermostat, Tsit5, (0.0, 24.0), &[18.0, 1.0], &Thermostat::PARAMS, &Options::default())?;
/// assert!(sol.events.len() > 4); // it cycles
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Thermostat;

impl Thermostat {
    /// `k = 0.5 /h`, `T_out = 5 °C`, `q = 10 °C/h`, switching at 19 and
    /// 21 °C.
    pub const PARAMS: [f64; 5] = [0.5, 5.0, 10.0, 19.0, 21.0];
}

impl OdeSystem for Thermostat {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        5
    }
    fn autonomous(&self) -> bool {
        true
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
        dy[0] = -p[0] * (y[0] - p[1]) + p[2] * y[1];
        dy[1] = D::from(0.0);
    }
    fn events(&self) -> Vec<Event> {
        vec![Event::new("heater off").up(), Event::new("heater on").down()]
    }
    fn event_values<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], g: &mut [D]) {
        g[0] = y[0] - p[4];
        g[1] = y[0] - p[3];
    }
    fn reset<D: DualScalar>(&self, cause: Cause, _t: D, y: &mut SVector<D, 2>, _p: &[D], _: &mut [bool]) {
        y[1] = D::from(if cause == Cause::Event(0) { 0.0 } else { 1.0 });
    }
    fn state_names(&self) -> Vec<String> {
        vec!["T".into(), "heater".into()]
    }
    fn param_names(&self) -> Vec<String> {
        vec!["k".into(), "T_out".into(), "q".into(), "T_low".into(), "T_high".into()]
    }
}

//! Bryson's minimum time to climb of an F-4 (dymos's `min_time_climb`):
//! tabulated engines and atmosphere through smooth interpolants, so the
//! whole model is differentiated exactly like any other.

mod data;

use super::DEG;
use crate::DualScalar;
use crate::interp::{Spline, Spline2};
use crate::ocp::{Bounds, ControlVar, End, OptimalControl, Phase, StateVar, TimeVar};
use crate::system::Model;
use nalgebra::{Const, SVector};

const FT: f64 = 0.3048;
const LBF: f64 = 4.448_221_615_260_5;
/// slug/ft³ in kg/m³.
const SLUG_FT3: f64 = 14.593_902_937_2 / (FT * FT * FT);
/// The Earth's radius for geopotential altitude (1976 standard), m.
const R0: f64 = 6_356_766.0;
const G0: f64 = 9.806_65;
/// Wing area, m².
const S: f64 = 49.2386;
/// Specific impulse, s.
const ISP: f64 = 1600.0;

/// The minimum time to climb (Bryson, Desai & Hoffman, *J. Aircraft* 6
/// (1969); dymos's `min_time_climb` example and test): an F-4 from
/// 100 m at Mach 0.4 to 20 km at Mach 1.0 in level flight, as fast as
/// possible, with the angle of attack `alpha` (rad, |α| ≤ 8°) as control.
/// States range `r` (m), altitude `h` (m), speed `v` (m/s), flight-path
/// angle `gam` (rad) and mass `m` (kg). Thrust is the J79 table over Mach
/// number and altitude (natural bicubic spline, as OpenMDAO's `cubic`);
/// temperature and density are the 1976 standard atmosphere's table at
/// the geopotential altitude (Akima spline, as dymos); lift and drag
/// coefficients are dymos's fits in Mach number. Path outputs: altitude
/// and Mach number; final boundary output: Mach number.
///
/// dymos's tests assert t_f = 321 s (Bryson's) to 2 %; dymos itself ends
/// at 325.78 s on Gauss–Lobatto 12 × 3 and 324.70 s on 30 × 3 (SLSQP,
/// measured outside odeon), as odeon does. The first linearizations
/// promise a climb in a third of the time: solve with a step limit
/// ([`SqpOptions::max_step`](crate::ocp::SqpOptions::max_step), 2 here), as
/// dymos's SNOPT settings for this problem limit the major step.
///
/// # Example
/// ```no_run
/// use odeon::ocp::{problems::MinTimeClimb, Collocation, SqpOptions, Transcription};
/// let f4 = MinTimeClimb::new();
/// let t = Transcription::GaussLobatto { segments: 12, order: 3 };
/// let sol = Collocation::new(&f4, &MinTimeClimb::phase(), t)?.solve(&SqpOptions::default().max_step(2.0))?;
/// assert!((sol.duration - MinTimeClimb::T_F).abs() < 0.02 * MinTimeClimb::T_F);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MinTimeClimb {
    temperature: Spline,
    density: Spline,
    thrust: Spline2,
}

impl Default for MinTimeClimb {
    fn default() -> Self {
        Self::new()
    }
}

impl MinTimeClimb {
    /// Bryson's final time, which dymos's tests assert to 2 %, seconds.
    pub const T_F: f64 = 321.0;

    /// The model with its tables.
    pub fn new() -> Self {
        let alt: Vec<f64> = (0..data::TEMPERATURE_R.len()).map(|i| -5000.0 + 1000.0 * i as f64).collect();
        let table = "the built-in tables have increasing knots and finite values";
        let temperature = Spline::akima(alt.clone(), &data::TEMPERATURE_R).expect(table);
        let density = Spline::akima(alt, &data::DENSITY_SLUG_FT3).expect(table);
        let rows: Vec<Vec<f64>> = data::MAX_THRUST_LBF.iter().map(|r| r.to_vec()).collect();
        let thrust =
            Spline2::natural(data::THRUST_MACH.to_vec(), data::THRUST_ALTITUDE_FT.to_vec(), &rows).expect(table);
        MinTimeClimb { temperature, density, thrust }
    }

    /// dymos's setup: t_f ∈ [50, 400] s; the states' bounds, scales and
    /// linear guesses; α's rate continuous across segments; 100 m ≤ h and
    /// 0.1 ≤ M ≤ 1.8 along the path; h = 20 km, γ = 0 and M = 1 at the end.
    pub fn phase() -> Phase {
        Phase::new(&MinTimeClimb::new())
            .time(TimeVar::fixed(0.0, 350.0).free_duration(50.0, 400.0).duration_scale(100.0))
            .state(0, StateVar::new().fix_initial(0.0).guess(0.0, 111_319.54).bounds(0.0, 1e6).scale(1e3))
            .state(1, StateVar::new().fix_initial(100.0).fix_final(20_000.0).bounds(0.0, 20_000.0).scale(2e4))
            .state(
                2,
                StateVar::new().fix_initial(135.964).guess(135.964, 283.159).bounds(10.0, f64::INFINITY).scale(1e2),
            )
            .state(3, StateVar::new().fix_initial(0.0).fix_final(0.0).bounds(-1.5, 1.5))
            .state(
                4,
                StateVar::new().fix_initial(19_030.468).guess(19_030.468, 16_841.431).bounds(10.0, 1e5).scale(1e4),
            )
            .control(
                0,
                ControlVar::new().bounds(-8.0 * DEG, 8.0 * DEG).guess(0.0, 0.0).scale(DEG).rate_continuity(true),
            )
            .path_constraint(0, Bounds::between(100.0, 20_000.0).scale(2e4))
            .path_constraint(1, Bounds::between(0.1, 1.8))
            .boundary_constraint(End::Final, 0, Bounds::equal(1.0))
    }

    /// Density (kg/m³) and speed of sound (m/s) at geometric altitude `h`
    /// (m).
    pub fn atmosphere<D: DualScalar>(&self, h: D) -> (D, D) {
        let z_ft = h * R0 / (h + R0) * (1.0 / FT);
        let rho = self.density.eval(z_ft) * SLUG_FT3;
        let sos = (self.temperature.eval(z_ft) * (1.4 * 1716.49)).sqrt() * FT;
        (rho, sos)
    }

    /// Mach number at altitude `h` (m) and speed `v` (m/s).
    pub fn mach<D: DualScalar>(&self, h: D, v: D) -> D {
        v / self.atmosphere(h).1
    }

    /// Maximum thrust (N) at altitude `h` (m) and Mach number `mach`.
    pub fn max_thrust<D: DualScalar>(&self, h: D, mach: D) -> D {
        self.thrust.eval(mach, h * (1.0 / FT)) * LBF
    }
}

/// dymos's fits: lift slope CLα, zero-lift drag CD0 and induced-drag
/// factor κ at Mach number `m` (tanh steps through transonic flight,
/// straight lines from Mach 1.15).
fn aero_coefficients<D: DualScalar>(m: D) -> (D, D, D) {
    if m.re() < 1.15 {
        let sech = ((m - 1.0) * (1.0 / 0.06)).cosh().recip();
        let cla = sech * sech + 3.44;
        let cd0 = ((m - 0.98) * (1.0 / 0.06)).tanh() * 0.0144 + (0.013 + 0.0144);
        let kappa = ((m - 0.9) * (1.0 / 0.06)).tanh() * 0.15 + (0.54 + 0.15);
        (cla, cd0, kappa)
    } else {
        let d = m - 1.15;
        let sech = (0.15f64 / 0.06).cosh().recip();
        let cla = d * (-0.96 / 0.63) + (3.44 + sech * sech);
        let cd0 = d * -0.011 + (0.013 + 0.0144 * (1.0 + (0.17f64 / 0.06).tanh()));
        let kappa = d * 0.14 + (0.54 + 0.15 * (1.0 + (0.25f64 / 0.06).tanh()));
        (cla, cd0, kappa)
    }
}

impl Model for MinTimeClimb {
    type Dim = Const<5>;
    fn dim(&self) -> Const<5> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 5>, u: &[D], _p: &[D], dx: &mut SVector<D, 5>) {
        let (h, v, gam, m, alpha) = (x[1], x[2], x[3], x[4], u[0]);
        let (rho, sos) = self.atmosphere(h);
        let mach = v / sos;
        let (cla, cd0, kappa) = aero_coefficients(mach);
        let qs = rho * v * v * (0.5 * S);
        let lift = qs * cla * alpha;
        let drag = qs * (cd0 + kappa * cla * alpha * alpha);
        let thrust = self.max_thrust(h, mach);
        let (sg, cg) = gam.sin_cos();
        let (sa, ca) = alpha.sin_cos();
        dx[0] = v * cg;
        dx[1] = v * sg;
        dx[2] = (thrust * ca - drag) / m - sg * G0;
        dx[3] = (thrust * sa + lift) / (m * v) - cg * G0 / v;
        dx[4] = thrust * (-1.0 / (G0 * ISP));
    }
    fn state_names(&self) -> Vec<String> {
        ["r", "h", "v", "gam", "m"].map(String::from).to_vec()
    }
    fn input_names(&self) -> Vec<String> {
        vec!["alpha".into()]
    }
}

impl OptimalControl for MinTimeClimb {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, t: D, _x: &[D], _u: &[D], _p: &[D]) -> D {
        t
    }
    fn n_path(&self) -> usize {
        2
    }
    fn path<D: DualScalar>(&self, _t: D, x: &[D], _u: &[D], _p: &[D], out: &mut [D]) {
        out[0] = x[1];
        out[1] = self.mach(x[1], x[2]);
    }
    fn n_boundary(&self, end: End) -> usize {
        usize::from(end == End::Final)
    }
    fn boundary<D: DualScalar>(&self, _end: End, _t: D, x: &[D], _u: &[D], _p: &[D], out: &mut [D]) {
        out[0] = self.mach(x[1], x[2]);
    }
}

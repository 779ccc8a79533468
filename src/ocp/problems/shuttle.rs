//! Betts's space shuttle reentry: the largest cross-range, as dymos's
//! `shuttle_reentry` example and test set it up, with and without the
//! limit on the wings' heating rate.

use super::DEG;
use crate::DualScalar;
use crate::ocp::{Bounds, ControlVar, OptimalControl, Phase, StateVar, TimeVar};
use crate::system::Model;
use nalgebra::{Const, SVector};

/// The shuttle's reentry (Betts, *Practical Methods for Optimal Control*,
/// 2nd ed., §6.1): states altitude `h` (ft), flight-path angle `γ`,
/// longitude `φ`, heading `ψ`, latitude `θ` (rad) and speed `v` (ft/s);
/// controls angle of attack `α` and bank angle `β` (rad); exponential
/// atmosphere, lift and drag quadratic in α (in degrees), inverse-square
/// gravity. Maximum final latitude (cross-range): 34.1412° at
/// t_f = 2008.59 s (dymos's test, 1 %). Its one path output is the heating
/// rate of the wings' leading edge q (BTU/ft²/s, Betts's eq. 6.8):
/// unbounded in [`phase`](Self::phase), at most 70 in
/// [`heating_limited_phase`](Self::heating_limited_phase), where the
/// optimum is 30.6255° at t_f = 2198.67 s.
///
/// # Example
/// ```no_run
/// use odeon::ocp::{problems::ShuttleReentry, Collocation, SqpOptions, Transcription};
/// let t = Transcription::Radau { segments: 30, order: 3 };
/// let sol = Collocation::new(&ShuttleReentry, &ShuttleReentry::phase(), t)?.solve(&SqpOptions::default())?;
/// let theta_f = sol.timeseries.states.last().unwrap()[4].to_degrees();
/// assert!((theta_f - ShuttleReentry::THETA_F).abs() < 1e-3 * ShuttleReentry::THETA_F);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ShuttleReentry;

impl ShuttleReentry {
    /// dymos's published final latitude, degrees.
    pub const THETA_F: f64 = 34.1412;
    /// dymos's published final time, seconds.
    pub const T_F: f64 = 2008.59;
    /// The heating-rate limit of [`heating_limited_phase`](Self::heating_limited_phase), BTU/ft²/s.
    pub const Q_MAX: f64 = 70.0;
    /// dymos's published final latitude with the heating limit, degrees.
    pub const THETA_F_HEATING: f64 = 30.6255;
    /// dymos's published final time with the heating limit, seconds.
    pub const T_F_HEATING: f64 = 2198.67;

    /// dymos's setup: from 260,000 ft at 25,600 ft/s, γ = −1°, ψ = 90° to
    /// 80,000 ft at 2,500 ft/s, γ = −5°; guesses as dymos's.
    pub fn phase() -> Phase {
        Phase::new(&ShuttleReentry)
            .time(TimeVar::fixed(0.0, 2000.0).free_duration(100.0, 5000.0).duration_scale(200.0))
            .state(
                0,
                StateVar::new()
                    .fix_initial(260_000.0)
                    .fix_final(80_000.0)
                    .bounds(0.0, f64::INFINITY)
                    .scale(1e5)
                    .defect_scale(1e3),
            )
            .state(1, StateVar::new().fix_initial(-DEG).fix_final(-5.0 * DEG).bounds(-89.0 * DEG, 89.0 * DEG))
            .state(2, StateVar::new().fix_initial(0.0).guess(0.0, 75.0 * DEG).bounds(0.0, 89.0 * DEG))
            .state(3, StateVar::new().fix_initial(90.0 * DEG).guess(90.0 * DEG, 10.0 * DEG).bounds(0.0, 90.0 * DEG))
            .state(4, StateVar::new().fix_initial(0.0).guess(0.0, 25.0 * DEG).bounds(-89.0 * DEG, 89.0 * DEG))
            .state(5, StateVar::new().fix_initial(25_600.0).fix_final(2_500.0).bounds(500.0, f64::INFINITY).scale(1e4))
            .control(0, ControlVar::new().bounds(-90.0 * DEG, 90.0 * DEG).guess(17.4 * DEG, 17.4 * DEG))
            .control(1, ControlVar::new().bounds(-89.0 * DEG, DEG).guess(-75.0 * DEG, 0.0))
            .objective_scale(100.0)
    }

    /// [`phase`](Self::phase) with the heating rate at most
    /// [`Q_MAX`](Self::Q_MAX) (dymos: `add_path_constraint('q', lower=0,
    /// upper=70, ref=70)`).
    pub fn heating_limited_phase() -> Phase {
        Self::phase().path_constraint(0, Bounds::between(0.0, Self::Q_MAX).scale(Self::Q_MAX))
    }

    /// The heating rate q (BTU/ft²/s) at altitude `h` (ft), speed `v`
    /// (ft/s) and angle of attack `alpha` (rad).
    pub fn heating_rate<D: DualScalar>(h: D, v: D, alpha: D) -> D {
        let a = alpha * (1.0 / DEG);
        let q_r = density(h).sqrt() * (v * 1e-4).powf(3.07) * 17_700.0;
        let q_a = ((a * -0.101_172_49e-5 + 0.212_862_89e-3) * a - 0.192_137_74e-1) * a + 1.067_218_1;
        q_r * q_a
    }
}

/// The exponential atmosphere's density (slug/ft³) at altitude `h` (ft).
fn density<D: DualScalar>(h: D) -> D {
    (h * (-1.0 / 23_800.0)).exp() * 0.002_378
}

impl Model for ShuttleReentry {
    type Dim = Const<6>;
    fn dim(&self) -> Const<6> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn n_inputs(&self) -> usize {
        2
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 6>, u: &[D], _p: &[D], dx: &mut SVector<D, 6>) {
        const RE: f64 = 20_902_900.0;
        const MU: f64 = 0.140_765_39e17;
        const MASS: f64 = 203_000.0 / 32.174;
        let (h, gam, theta, psi, v) = (x[0], x[1], x[4], x[3], x[5]);
        let a = u[0] * (1.0 / DEG);
        let qs = density(h) * v * v * (0.5 * 2690.0);
        let lift = qs * (a * 0.029_244 - 0.207_04);
        let drag = qs * (a * a * 0.621_408e-3 + a * -0.615_92e-2 + 0.078_54);
        let r = h + RE;
        let g = (r * r).recip() * MU;
        let (sg, cg) = gam.sin_cos();
        let (sb, cb) = u[1].sin_cos();
        let (sp, cp) = psi.sin_cos();
        let (st, ct) = theta.sin_cos();
        dx[0] = v * sg;
        dx[1] = lift / (v * MASS) * cb + cg * (v / r - g / v);
        dx[2] = v / r * cg * sp / ct;
        dx[3] = lift * sb / (v * cg * MASS) + v * cg * sp * st / (r * ct);
        dx[4] = cg * cp * v / r;
        dx[5] = -drag / MASS - g * sg;
    }
    fn state_names(&self) -> Vec<String> {
        ["h", "gamma", "phi", "psi", "theta", "v"].map(String::from).to_vec()
    }
    fn input_names(&self) -> Vec<String> {
        vec!["alpha".into(), "beta".into()]
    }
}

impl OptimalControl for ShuttleReentry {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, _t: D, x: &[D], _u: &[D], _p: &[D]) -> D {
        -x[4]
    }
    fn n_path(&self) -> usize {
        1
    }
    fn path<D: DualScalar>(&self, _t: D, x: &[D], u: &[D], _p: &[D], out: &mut [D]) {
        out[0] = Self::heating_rate(x[0], x[5], u[0]);
    }
}

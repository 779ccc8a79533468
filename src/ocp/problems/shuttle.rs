//! Betts's space shuttle reentry: the largest cross-range, as dymos's
//! `shuttle_reentry` example and test set it up.

use super::DEG;
use crate::DualScalar;
use crate::ocp::{ControlVar, OptimalControl, Phase, StateVar, TimeVar};
use crate::system::Model;
use nalgebra::{Const, SVector};

/// The shuttle's reentry (Betts, *Practical Methods for Optimal Control*,
/// 2nd ed., §6.1): states altitude `h` (ft), flight-path angle `γ`,
/// longitude `φ`, heading `ψ`, latitude `θ` (rad) and speed `v` (ft/s);
/// controls angle of attack `α` and bank angle `β` (rad); exponential
/// atmosphere, lift and drag quadratic in α (in degrees), inverse-square
/// gravity. Maximum final latitude (cross-range): 34.1412° at
/// t_f = 2008.59 s (dymos's test, 1 %).
///
/// # Example
/// ```no_run
/// use odeon::ocp::{problems::ShuttleReentry, Collocation, SqpOptions, Transcription};
/// let t = Transcription::Radau { segments: 50, order: 3 };
/// let sol = Collocation::new(&ShuttleReentry, &ShuttleReentry::phase(), t)?.solve(&SqpOptions::default())?;
/// let theta_f = sol.timeseries.states.last().unwrap()[4].to_degrees();
/// assert!((theta_f - 34.1412).abs() < 0.01 * 34.1412);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ShuttleReentry;

impl ShuttleReentry {
    /// dymos's published final latitude, degrees.
    pub const THETA_F: f64 = 34.1412;
    /// dymos's published final time, seconds.
    pub const T_F: f64 = 2008.59;

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
        let rho = (h * (-1.0 / 23_800.0)).exp() * 0.002_378;
        let qs = rho * v * v * (0.5 * 2690.0);
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
}

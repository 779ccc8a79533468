//! Automatic switching between a non-stiff and a stiff method, as
//! DifferentialEquations.jl's `AutoTsit5(Rosenbrock23())`.

use super::explicit::Integrator;
use super::jacobian::DualJacobian;
use super::rosenbrock::RosenbrockStepper;
use super::stepper::{StepResult, Stepper, zeros};
use super::{Options, Rodas5P, Save, Stats, Tsit5};
use crate::{DualScalar, Error, Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};

/// Tsit5 while the problem is not stiff, Rodas5P while it is: the choice
/// when you do not know. Sensitivities, fits and ensembles work through it
/// like through any method (the switches depend on real parts only, so a
/// dual-number solve switches where the `f64` solve does).
///
/// After every step a vote: on Tsit5, Hairer's estimate of `|hλ|` at more
/// than 0.9 of Tsit5's stability bound votes stiff; on Rodas5P,
/// `‖J‖_∞ |h|` below 0.9 of that bound votes non-stiff. Eleven stiff votes
/// switch to Rodas5P (doubling the step) — counted as Hairer counts them,
/// forgiven only by six non-stiff votes in a row, because a step held at
/// the stability limit by the controller alternates just above and just
/// below it; four non-stiff votes in a row switch back (halving the
/// step), as OrdinaryDiffEq's `AutoSwitch`.
///
/// Hairer's estimate comes from the step's own stages, and at tight
/// tolerances the stiff components in them are too small to show: Tsit5
/// then crawls at its stability limit without a stiff vote. So a step
/// size that has stayed within 20% for 25 steps (a plateau, as a step
/// held by stability does) is checked: a few power iterations with
/// exact Jacobian–vector products (six dual-number passes through `f`,
/// counted in [`Stats::rhs_evals`]) estimate the largest `|λ|` of `∂f/∂y`, and
/// `|hλ|` above 0.6 of the bound switches at once (a step held by
/// stability at rtol 1e-12 sat at 0.6–1.0 of it on Robertson, HIRES and a
/// PEtab model, where Hairer's estimate gave 0.02–0.9; Van der Pol's
/// accuracy-held steps at μ = 10, rtol 1e-6, at 0.5–0.6). A check that
/// finds no stiffness doubles the steps until the next one.
/// [`Stats::stiff_steps`] and [`Stats::switches`] report how the steps
/// were shared.
///
/// # Example
/// ```
/// use odeon::{models::Robertson, solve, Auto, Options};
/// let opts = Options::default().rtol(1e-6).atol(1e-10).save_final();
/// let sol = solve(&Robertson, Auto, (0.0, 1e4), &Robertson::Y0, &Robertson::PARAMS, &opts)?;
/// assert!(sol.stats.switches >= 1 && sol.stats.stiff_steps > 0);
/// assert!(sol.stats.accepted < 1000);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Auto;

impl std::fmt::Display for Auto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad("Auto")
    }
}

/// Tsit5's stability bound on the negative real axis.
const TSIT5_STABILITY: f64 = 3.5068;
/// The fraction of it that votes stiff (OrdinaryDiffEq's `nonstifftol`).
const VOTE: f64 = 0.9;
const TO_STIFF: i32 = 11;
const TO_NONSTIFF: i32 = 4;
/// Steps within [`PLATEAU_BAND`] of each other before the first check of
/// a plateau, and the most a check's failures make the wait.
const PLATEAU_STEPS: usize = 25;
const PLATEAU_MAX_WAIT: usize = PLATEAU_STEPS << 7;
/// The step sizes of a plateau stay within this factor of its first.
const PLATEAU_BAND: f64 = 1.2;
/// Power iterations of a plateau's check.
const POWER_ITERATIONS: usize = 6;
/// The fraction of the stability bound that a plateau's `|hλ|` must pass.
const PLATEAU_VOTE: f64 = 0.6;

/// The stepper behind [`Auto`].
pub struct AutoStepper<'a, S, D>
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    system: &'a S,
    p: &'a [D],
    t_end: f64,
    options: Options,
    explicit: Integrator<'a, S, Tsit5, D>,
    stiff: Option<RosenbrockStepper<'a, S, Rodas5P, D>>,
    on_stiff: bool,
    /// A switch decided after the last step, made before the next one (so
    /// that the last step can still be interpolated).
    pending: bool,
    /// Consecutive votes: positive for stiff, negative for non-stiff.
    votes: i32,
    /// Stiff votes on the explicit side since the last six non-stiff ones
    /// in a row.
    stiff_votes: i32,
    switches: usize,
    /// Evaluations of `f` by the plateaus' checks.
    extra_rhs: usize,
    plateau: Plateau,
    /// A plateau's check, with the parameters' real parts.
    check: Check<S::Dim>,
}

/// The explicit side's accepted step sizes, watched for a plateau.
struct Plateau {
    /// The first step of the current plateau, and how many have followed
    /// within the band.
    h: f64,
    steps: usize,
    /// Steps of a plateau before its (next) check.
    wait: usize,
}

impl Plateau {
    fn new() -> Self {
        Plateau { h: 0.0, steps: 0, wait: PLATEAU_STEPS }
    }

    /// Record an accepted step of size `h`; `true` when a check is due.
    fn record(&mut self, h: f64) -> bool {
        let ratio = h / self.h;
        if (1.0 / PLATEAU_BAND..=PLATEAU_BAND).contains(&ratio) {
            self.steps += 1;
        } else {
            (self.h, self.steps) = (h, 0);
        }
        self.steps >= self.wait
    }

    /// A check found no stiffness: wait twice as long for the next.
    fn checked(&mut self) {
        self.steps = 0;
        self.wait = (2 * self.wait).min(PLATEAU_MAX_WAIT);
    }
}

/// Buffers of the power iterations: the state's real parts, `f` and
/// `∂f/∂t` there (by-products of the dual passes), the error weights, the
/// iterate and the direction it seeds, and the dual passes' own.
struct Check<N: Dim>
where
    DefaultAllocator: Allocator<N>,
{
    y: State<f64, N>,
    f: State<f64, N>,
    dfdt: State<f64, N>,
    w: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    jac: DualJacobian<f64, N>,
}

impl<N: Dim> Check<N>
where
    DefaultAllocator: Allocator<N>,
{
    fn new(dim: N, p: &[f64]) -> Self {
        let n = dim.value();
        let (y, f, dfdt) = (zeros(dim), zeros(dim), zeros(dim));
        Check { y, f, dfdt, w: vec![0.0; n], u: vec![0.0; n], v: vec![0.0; n], jac: DualJacobian::new(dim, p) }
    }

    /// An estimate of the largest `|λ|` of `∂f/∂y` at `(t, self.y)`, with
    /// `self.w` the error weights: power iterations in the weighted
    /// coordinates `u = v / w` (the same eigenvalues) from a fixed start
    /// with every component non-zero, each `J v` exact, one dual pass (the
    /// Jacobian–vector product of [`DualJacobian::passes`]). The geometric
    /// mean of the last two growth factors (a complex pair's alternate).
    /// Passes into `rhs_evals`; 0 where a value is not finite (no switch
    /// on an answer that cannot be trusted).
    fn spectral_radius<S: Model<Dim = N>>(&mut self, system: &S, t: f64, rhs_evals: &mut usize) -> f64 {
        let Check { y, f, dfdt, w, u, v, jac } = self;
        let norm = |u: &[f64]| u.iter().map(|x| x * x).sum::<f64>().sqrt();
        for (i, u) in u.iter_mut().enumerate() {
            *u = if i % 2 == 0 { 1.0 } else { -1.0 } * (1.0 + 0.1 * (i % 7) as f64);
        }
        let start = norm(u);
        u.iter_mut().for_each(|x| *x /= start);
        // `u` has unit norm from here on: each growth factor is `‖J u‖`.
        let mut growth = [0.0; 2];
        for _ in 0..POWER_ITERATIONS {
            v.iter_mut().zip(w.iter()).zip(u.iter()).for_each(|((v, w), u)| *v = w * u);
            // One direction (the weights `v`), no state seeded on its own.
            *rhs_evals += jac.passes(system, (t, y), (f, dfdt), (1, |_| usize::MAX), Some(v), |_, l, jv| {
                u.iter_mut().zip(jv.iter()).zip(w.iter()).for_each(|((u, jv), w)| *u = jv.eps.0[l] / w);
            });
            let g = norm(u);
            if !(g.is_finite() && g > 0.0) {
                return 0.0;
            }
            growth = [growth[1], g];
            u.iter_mut().for_each(|x| *x /= g);
        }
        (growth[0] * growth[1]).sqrt()
    }
}

impl<'a, S, D> AutoStepper<'a, S, D>
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// Start on Tsit5 at the beginning of `t_span`.
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &[D], p: &'a [D], options: &Options) -> Result<Self, Error> {
        options.check_t_eval(t_span.0, t_span.1)?;
        if options.dt.is_some() {
            return Err(Error::InvalidOption {
                name: "dt",
                reason: "Auto chooses its own steps; give no fixed step".into(),
            });
        }
        let mut inner = options.clone();
        inner.save = Save::Final;
        inner.detect_stiffness = false;
        let explicit = Integrator::new(system, t_span, y0, p, &inner)?;
        Ok(AutoStepper {
            system,
            p,
            t_end: t_span.1,
            options: inner,
            explicit,
            stiff: None,
            on_stiff: false,
            pending: false,
            votes: 0,
            stiff_votes: 0,
            switches: 0,
            extra_rhs: 0,
            plateau: Plateau::new(),
            check: Check::new(system.dim(), &p.iter().map(|x| x.re()).collect::<Vec<_>>()),
        })
    }

    /// A plateau's check: whether the largest `|λ|` of `∂f/∂y` at the
    /// current state puts the last step beyond the vote's fraction of
    /// Tsit5's stability bound.
    fn stiff_by_power_iterations(&mut self, h: f64) -> bool {
        let it = &self.explicit;
        for (y, x) in self.check.y.iter_mut().zip(it.y().iter()) {
            *y = x.re();
        }
        it.error_weights(&mut self.check.w);
        let rho = self.check.spectral_radius(self.system, it.t(), &mut self.extra_rhs);
        rho * h > PLATEAU_VOTE * TSIT5_STABILITY
    }

    fn vote(&mut self, stiff: bool) {
        self.votes = match (stiff, self.votes) {
            (true, v) if v < 0 => 1,
            (true, v) => v + 1,
            (false, v) if v > 0 => -1,
            (false, v) => v - 1,
        };
    }

    fn switch_to_stiff(&mut self) -> Result<(), Error> {
        let (t, h) = (self.explicit.t(), 2.0 * self.explicit.h());
        match &mut self.stiff {
            Some(s) => s.resume(t, self.explicit.y(), h, self.t_end),
            None => {
                let mut o = self.options.clone();
                o.h0 = Some(h.abs());
                let y = self.explicit.y().as_slice();
                self.stiff = Some(RosenbrockStepper::new(self.system, (t, self.t_end), y, self.p, &o)?);
            }
        }
        self.on_stiff = true;
        Ok(())
    }
}

impl<S, D> Stepper<D, S::Dim> for AutoStepper<'_, S, D>
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    fn t(&self) -> f64 {
        match (&self.stiff, self.on_stiff) {
            (Some(s), true) => s.t(),
            _ => self.explicit.t(),
        }
    }

    fn t_prev(&self) -> f64 {
        match (&self.stiff, self.on_stiff) {
            (Some(s), true) => s.t_prev(),
            _ => self.explicit.t_prev(),
        }
    }

    fn y(&self) -> &State<D, S::Dim> {
        match (&self.stiff, self.on_stiff) {
            (Some(s), true) => s.y(),
            _ => self.explicit.y(),
        }
    }

    fn step(&mut self) -> Result<StepResult, Error> {
        if self.pending {
            self.pending = false;
            self.switches += 1;
            match (&mut self.stiff, self.on_stiff) {
                (Some(s), true) => {
                    let (t, h) = (s.t(), 0.5 * s.h());
                    self.explicit.resume(t, s.y(), h, self.t_end);
                    self.on_stiff = false;
                    self.stiff_votes = 0;
                    self.plateau = Plateau::new();
                }
                _ => self.switch_to_stiff()?,
            }
        }
        match (&mut self.stiff, self.on_stiff) {
            (Some(s), true) => {
                if s.step()? == StepResult::Finished {
                    return Ok(StepResult::Finished);
                }
                let stiff = s.jacobian_norm() * s.h().abs() > VOTE * TSIT5_STABILITY;
                let at_end = s.t() == self.t_end;
                self.vote(stiff);
                self.pending = self.votes <= -TO_NONSTIFF && !at_end;
            }
            _ => {
                if self.explicit.step()? == StepResult::Finished {
                    return Ok(StepResult::Finished);
                }
                self.vote(self.explicit.stiffness_estimate() > VOTE * TSIT5_STABILITY);
                if self.votes > 0 {
                    self.stiff_votes += 1;
                } else if self.votes <= -6 {
                    self.stiff_votes = 0;
                }
                let h = (self.explicit.t() - self.explicit.t_prev()).abs();
                if self.stiff_votes < TO_STIFF && self.plateau.record(h) {
                    if self.stiff_by_power_iterations(h) {
                        self.stiff_votes = TO_STIFF;
                    } else {
                        self.plateau.checked();
                    }
                }
                self.pending = self.stiff_votes >= TO_STIFF && self.explicit.t() != self.t_end;
            }
        }
        Ok(StepResult::Stepped)
    }

    fn interpolate(&mut self, t: f64, out: &mut State<D, S::Dim>) -> Result<(), Error> {
        match (&mut self.stiff, self.on_stiff) {
            (Some(s), true) => s.interpolate(t, out),
            _ => self.explicit.interpolate(t, out),
        }
    }

    fn derivative(&self) -> Option<&State<D, S::Dim>> {
        match (&self.stiff, self.on_stiff) {
            (Some(s), true) => s.derivative(),
            _ => self.explicit.derivative(),
        }
    }

    fn restart(&mut self, t: f64, y: &State<D, S::Dim>, t_end: f64) -> Result<(), Error> {
        self.t_end = t_end;
        self.pending = false;
        self.votes = 0;
        self.stiff_votes = 0;
        self.plateau = Plateau::new();
        match (&mut self.stiff, self.on_stiff) {
            (Some(s), true) => s.restart(t, y, t_end),
            _ => self.explicit.restart(t, y, t_end),
        }
    }

    fn stats(&self) -> Stats {
        let mut total = self.explicit.stats();
        if let Some(s) = &self.stiff {
            let st = s.stats();
            total.rhs_evals += st.rhs_evals;
            total.accepted += st.accepted;
            total.rejected += st.rejected;
            total.jac_evals += st.jac_evals;
            total.factorizations += st.factorizations;
            total.linear_solves += st.linear_solves;
            total.krylov_iters += st.krylov_iters;
            total.stiff_steps += st.stiff_steps;
        }
        total.rhs_evals += self.extra_rhs;
        total.switches = self.switches;
        total
    }
}

#[cfg(test)]
mod tests {
    use super::Check;
    use crate::models::{HarmonicOscillator, Robertson};
    use crate::{DualScalar, OdeSystem};
    use nalgebra::{Const, SVector};

    /// `y' = A y` with `A` triangular once `y3` is put first, and far from
    /// normal: its eigenvalues are the diagonal, -1, -1000 and -10, and
    /// `‖A‖_∞` is 3001.
    struct NonNormal;

    impl OdeSystem for NonNormal {
        type Dim = Const<3>;
        fn dim(&self) -> Const<3> {
            Const
        }
        fn n_params(&self) -> usize {
            0
        }
        fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 3>, _p: &[D], dy: &mut SVector<D, 3>) {
            dy[0] = -y[0] + y[1] * 3000.0;
            dy[1] = -y[1] * 1000.0;
            dy[2] = y[0] * 50.0 - y[2] * 10.0;
        }
    }

    /// The estimate at `y` with weights `w`, and the evaluations of `f`.
    fn radius<S: OdeSystem<Dim = Const<N>>, const N: usize>(
        system: &S,
        y: [f64; N],
        w: [f64; N],
        p: &[f64],
    ) -> (f64, usize) {
        let mut check = Check::new(Const::<N>, p);
        check.y.copy_from_slice(&y);
        check.w.copy_from_slice(&w);
        let mut evals = 0;
        (check.spectral_radius(system, 0.0, &mut evals), evals)
    }

    #[test]
    fn power_iterations_find_the_largest_eigenvalue_magnitude() {
        // Real, far from normal, with weights of different sizes.
        let (rho, evals) = radius(&NonNormal, [1.0, 1e-3, 5.0], [1e-8, 1e-12, 1e-6], &[]);
        assert!((rho / 1000.0 - 1.0).abs() < 0.05, "{rho}");
        assert_eq!(evals, super::POWER_ITERATIONS);
        // A complex pair ±50i: the growth factors alternate, their mean is |λ|.
        let (rho, _) = radius(&HarmonicOscillator, [1.0, 0.0], [1e-6, 1e-6], &[50.0]);
        assert!((rho / 50.0 - 1.0).abs() < 0.05, "{rho}");
    }

    #[test]
    fn a_non_finite_evaluation_gives_no_estimate() {
        // (Robertson's Jacobian reads y2, so a NaN there reaches `J v`.)
        let (rho, evals) = radius(&Robertson, [1.0, f64::NAN, 0.0], [1.0, 1.0, 1.0], &Robertson::PARAMS);
        assert_eq!((rho, evals), (0.0, 1));
    }
}

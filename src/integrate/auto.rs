//! Automatic switching between a non-stiff and a stiff method, as
//! DifferentialEquations.jl's `AutoTsit5(Rosenbrock23())`.

use super::explicit::Integrator;
use super::rosenbrock::RosenbrockStepper;
use super::stepper::{StepResult, Stepper};
use super::{Options, Rodas5P, Save, Stats, Tsit5};
use crate::{DualScalar, Error, Model, State};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;

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
/// step), as OrdinaryDiffEq's `AutoSwitch`. [`Stats::stiff_steps`] and [`Stats::switches`] report how the
/// steps were shared.
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
        })
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
        total.switches = self.switches;
        total
    }
}

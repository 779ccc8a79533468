//! Integration options: tolerances, step limits, what to save.

use super::Controller;
use crate::Error;
use serde::{Deserialize, Serialize};

/// A tolerance: one value for every component, or one per component.
///
/// # Example
/// ```
/// use odeon::integrate::Tolerance;
/// let scalar: Tolerance = 1e-8.into();
/// let per_component: Tolerance = vec![1e-8, 1e-10].into();
/// assert_eq!(scalar.expand(2).unwrap(), vec![1e-8, 1e-8]);
/// assert_eq!(per_component.expand(2).unwrap(), vec![1e-8, 1e-10]);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Tolerance {
    /// The same tolerance for every component.
    Scalar(f64),
    /// One tolerance per state component.
    PerComponent(Vec<f64>),
}

impl From<f64> for Tolerance {
    fn from(x: f64) -> Self {
        Tolerance::Scalar(x)
    }
}

impl From<Vec<f64>> for Tolerance {
    fn from(x: Vec<f64>) -> Self {
        Tolerance::PerComponent(x)
    }
}

impl From<&[f64]> for Tolerance {
    fn from(x: &[f64]) -> Self {
        Tolerance::PerComponent(x.to_vec())
    }
}

impl Tolerance {
    /// One value per component, checked to be positive and finite.
    pub fn expand(&self, n: usize) -> Result<Vec<f64>, Error> {
        self.expand_named("tol", n)
    }

    fn expand_named(&self, name: &'static str, n: usize) -> Result<Vec<f64>, Error> {
        let v = match self {
            Tolerance::Scalar(x) => vec![*x; n],
            Tolerance::PerComponent(v) if v.len() == n => v.clone(),
            Tolerance::PerComponent(v) => {
                return Err(Error::DimensionMismatch { what: name, expected: n, got: v.len() });
            }
        };
        if let Some((index, &value)) = v.iter().enumerate().find(|(_, x)| !(x.is_finite() && **x > 0.0)) {
            return Err(Error::InvalidTolerance { name, index, value, reason: "must be positive and finite" });
        }
        // As CVODE: a relative tolerance near the unit roundoff cannot be
        // met by any step; the solve would grind to `StepSizeTooSmall`.
        if name == "rtol"
            && let Some((index, &value)) = v.iter().enumerate().find(|(_, x)| **x < MIN_RTOL)
        {
            return Err(Error::InvalidTolerance {
                name,
                index,
                value,
                reason: "below 100·ε (2.2e-14), more than f64 can resolve",
            });
        }
        Ok(v)
    }
}

/// The smallest relative tolerance accepted: 100 units of roundoff.
const MIN_RTOL: f64 = 100.0 * f64::EPSILON;

/// Which states a solve keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Save {
    /// The initial state and the state after every accepted step.
    Steps,
    /// The states at these times (`t_eval`), by the method's dense output:
    /// the steps are not shortened to hit them. Sorted in the direction of
    /// integration and inside `t_span`.
    At(Vec<f64>),
    /// Only the final state.
    Final,
}

/// Options of a solve. Build with the chained setters or with serde; every
/// value is checked when the solve starts.
///
/// # Example
/// ```
/// use odeon::Options;
/// let opts = Options::default().rtol(1e-8).atol(1e-10).t_eval((0..=10).map(f64::from).collect());
/// let json = serde_json::to_string(&opts).unwrap();
/// let back: Options = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, opts);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// Relative tolerance (default 1e-6).
    pub rtol: Tolerance,
    /// Absolute tolerance (default 1e-9).
    pub atol: Tolerance,
    /// First step size to try (its sign is ignored); default: Hairer's
    /// automatic choice.
    pub h0: Option<f64>,
    /// Smallest step before the solve fails with `StepSizeTooSmall`
    /// (default 0: only the floating-point limit at `t`).
    pub h_min: f64,
    /// Largest step (default: the length of `t_span`).
    pub h_max: Option<f64>,
    /// Largest number of steps, accepted and rejected (default 100 000).
    pub max_steps: usize,
    /// Fixed step: when set, the span is divided into `⌈|t1 − t0| / dt⌉`
    /// equal steps and no error control is done. Required by methods
    /// without an error estimate (Euler, Heun, RK4).
    pub dt: Option<f64>,
    /// What to save (default: every step).
    pub save: Save,
    /// Step-size controller; default: the method's own (Hairer's values).
    pub controller: Option<Controller>,
    /// When integrating with dual numbers, also hold every derivative
    /// direction to `rtol`/`atol` (the error is the largest of the state's
    /// and the directions', as CVODES' `errconS`). Default `false`: steps
    /// are chosen from the real parts only, exactly those of the `f64` run.
    pub sensitivity_error_control: bool,
    /// Let explicit methods that can (Dopri5, Tsit5, Dop853) stop with
    /// [`Error::Stiff`] when the problem turns out to be stiff: 15 steps
    /// limited by stability, not accuracy, without 6 in a row that were
    /// not (Hairer's test, run every 100th accepted step and, once one is
    /// positive, at every step, as his DOPRI5 does). Default `true`;
    /// `false` lets them grind on.
    pub detect_stiffness: bool,
    /// Most accepted steps one Jacobian serves; default: the method's own
    /// (1 for Rosenbrock methods, a fresh Jacobian every step; 50 for
    /// [`Bdf`](super::Bdf), as CVODE; 5 for the ESDIRK methods). Rosenbrock methods accept more than
    /// 1 only if they are W-methods (Rosenbrock23), whose order holds for
    /// any approximation of the Jacobian: a step after a rejection, or
    /// `max_jacobian_age` steps after the last evaluation, evaluates a new
    /// one. Dual-number solves keep the stale Jacobian's derivative parts,
    /// so their derivatives stay those of the discrete solution. Newton
    /// methods (BDF) also evaluate a new Jacobian when their iterations
    /// fail to converge.
    pub max_jacobian_age: Option<usize>,
    /// Convergence tolerance of the Newton iterations of implicit methods
    /// (BDF, ESDIRK): the largest estimated remaining correction, as an RMS norm
    /// scaled by `atol + rtol·|y|`; default: 1% of what the error test
    /// allows at the current order for BDF (CVODE's rule, with its 10%
    /// tightened), 5% for each ESDIRK stage. Smaller values
    /// solve each step's equations more exactly; sensitivities are those of
    /// the exactly solved equations whatever this is.
    pub newton_tol: Option<f64>,
    /// Times the integrator must land on exactly and restart from (a
    /// discontinuity of a time-dependent right-hand side), inside
    /// `t_span`; with the model's [`Schedule`](crate::events::Schedule).
    /// Default none.
    pub tstops: Vec<f64>,
    /// Sub-intervals of each step at whose ends the event functions are
    /// evaluated (on the method's dense output) to find sign changes:
    /// a function that crosses zero and back between two of them is
    /// missed. Default 4; 1 checks the step's end only (as CVODE).
    pub event_samples: usize,
    /// Most events a solve records before it stops with
    /// [`Error::TooManyEvents`] (default 100 000): bounds the memory of
    /// [`Solution::events`](crate::Solution::events).
    pub max_events: usize,
    /// The implicit methods' linear algebra (default
    /// [`Linsolve::Auto`]).
    pub linsolve: Linsolve,
    /// The pattern of `∂f/∂y` as `(row, column)` entries, instead of
    /// tracing it (sparse linear algebra only; entries met outside it
    /// still grow it).
    pub jac_pattern: Option<Vec<(usize, usize)>>,
}

/// Dense or sparse linear algebra for the implicit methods.
///
/// # Example
/// ```
/// use odeon::{Linsolve, Options};
/// let opts = Options::default().linsolve(Linsolve::Sparse);
/// assert_eq!(serde_json::to_string(&opts.linsolve).unwrap(), "\"sparse\"");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Linsolve {
    /// Dense below 16 states; above, sparse if the traced pattern of
    /// `∂f/∂y` has at most 10% nonzeros and either fits a narrow band
    /// (banded LU) or the system has at least 100 states (general sparse
    /// LU; from 500 states GMRES with a multigrid preconditioner, as
    /// [`Krylov`](Self::Krylov), unless `W` is symmetric positive definite,
    /// which sparse Cholesky solves faster; the LU takes over if the Krylov
    /// solver fails), else dense — thresholds measured on the Brusselators
    /// and a finite-element heat plate (docs/benchmarks.md, section 12).
    #[default]
    Auto,
    /// Dense Jacobian and LU.
    Dense,
    /// Sparse Jacobian (traced pattern, colored dual passes) and sparse LU.
    Sparse,
    /// Sparse Jacobian, and GMRES preconditioned by algebraic multigrid
    /// instead of an LU ([`KrylovSolver`](super::linalg::KrylovSolver)):
    /// work and memory about linear in the states, for very large systems
    /// from 2-D and 3-D grids, where a sparse LU's fill grows faster.
    /// Needs a `W = shift·M − J` with a nonzero diagonal (not for DAEs).
    Krylov,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rtol: Tolerance::Scalar(1e-6),
            atol: Tolerance::Scalar(1e-9),
            h0: None,
            h_min: 0.0,
            h_max: None,
            max_steps: 100_000,
            dt: None,
            save: Save::Steps,
            controller: None,
            sensitivity_error_control: false,
            detect_stiffness: true,
            max_jacobian_age: None,
            newton_tol: None,
            tstops: Vec::new(),
            event_samples: 4,
            max_events: 100_000,
            linsolve: Linsolve::Auto,
            jac_pattern: None,
        }
    }
}

impl Options {
    /// Set the relative tolerance (a scalar or one per component).
    pub fn rtol(mut self, rtol: impl Into<Tolerance>) -> Self {
        self.rtol = rtol.into();
        self
    }
    /// Set the absolute tolerance (a scalar or one per component).
    pub fn atol(mut self, atol: impl Into<Tolerance>) -> Self {
        self.atol = atol.into();
        self
    }
    /// Set the first step to try.
    pub fn h0(mut self, h0: f64) -> Self {
        self.h0 = Some(h0);
        self
    }
    /// Set the smallest admissible step.
    pub fn h_min(mut self, h_min: f64) -> Self {
        self.h_min = h_min;
        self
    }
    /// Set the largest step.
    pub fn h_max(mut self, h_max: f64) -> Self {
        self.h_max = Some(h_max);
        self
    }
    /// Set the step limit.
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps;
        self
    }
    /// Integrate with a fixed step `dt` (no error control).
    pub fn dt(mut self, dt: f64) -> Self {
        self.dt = Some(dt);
        self
    }
    /// Save the states at these times (dense output).
    pub fn t_eval(mut self, t_eval: Vec<f64>) -> Self {
        self.save = Save::At(t_eval);
        self
    }
    /// Save only the final state.
    pub fn save_final(mut self) -> Self {
        self.save = Save::Final;
        self
    }
    /// Use this step-size controller instead of the method's default.
    pub fn controller(mut self, controller: Controller) -> Self {
        self.controller = Some(controller);
        self
    }

    /// Hold derivative directions to the tolerance too (see
    /// [`sensitivity_error_control`](Self::sensitivity_error_control)).
    pub fn sensitivity_error_control(mut self, on: bool) -> Self {
        self.sensitivity_error_control = on;
        self
    }

    /// Whether explicit methods stop with [`Error::Stiff`] on stiff
    /// problems (see [`detect_stiffness`](Self::detect_stiffness)).
    pub fn detect_stiffness(mut self, on: bool) -> Self {
        self.detect_stiffness = on;
        self
    }

    /// Reuse a Jacobian for up to `steps` accepted steps (see
    /// [`max_jacobian_age`](Self::max_jacobian_age)).
    pub fn max_jacobian_age(mut self, steps: usize) -> Self {
        self.max_jacobian_age = Some(steps);
        self
    }

    /// Set the Newton tolerance of implicit methods (see
    /// [`newton_tol`](Self::newton_tol)).
    pub fn newton_tol(mut self, tol: f64) -> Self {
        self.newton_tol = Some(tol);
        self
    }

    /// Set the times to land on exactly ([`tstops`](Self::tstops)).
    pub fn tstops(mut self, tstops: Vec<f64>) -> Self {
        self.tstops = tstops;
        self
    }
    /// Set the event-function samples per step
    /// ([`event_samples`](Self::event_samples)).
    pub fn event_samples(mut self, samples: usize) -> Self {
        self.event_samples = samples;
        self
    }
    /// Choose dense or sparse linear algebra
    /// ([`linsolve`](Self::linsolve)).
    pub fn linsolve(mut self, linsolve: Linsolve) -> Self {
        self.linsolve = linsolve;
        self
    }

    /// Give the pattern of `∂f/∂y` (`(row, column)` entries).
    pub fn jac_pattern(mut self, entries: Vec<(usize, usize)>) -> Self {
        self.jac_pattern = Some(entries);
        self
    }

    /// Set the most events a solve records
    /// ([`max_events`](Self::max_events)).
    pub fn max_events(mut self, max_events: usize) -> Self {
        self.max_events = max_events;
        self
    }

    /// Check `t_eval` against the span: inside it, sorted in the direction
    /// of integration.
    pub(crate) fn check_t_eval(&self, t0: f64, t1: f64) -> Result<(), Error> {
        let Save::At(ts) = &self.save else {
            return Ok(());
        };
        if ts.is_empty() {
            return Err(Error::InvalidOption {
                name: "t_eval",
                reason: "empty: nothing would be saved (save_final() keeps only the end)".into(),
            });
        }
        let dir = if t1 >= t0 { 1.0 } else { -1.0 };
        for (index, &t) in ts.iter().enumerate() {
            if !t.is_finite() {
                return Err(Error::InvalidTEval { index, t, reason: "not finite" });
            }
            if dir * (t - t0) < 0.0 || dir * (t - t1) > 0.0 {
                return Err(Error::InvalidTEval { index, t, reason: "outside t_span" });
            }
            if index > 0 && dir * (t - ts[index - 1]) < 0.0 {
                return Err(Error::InvalidTEval { index, t, reason: "not sorted in the direction of integration" });
            }
        }
        Ok(())
    }
}

/// Options checked and expanded for a system of `n` states.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub rtol: Vec<f64>,
    pub atol: Vec<f64>,
    pub h0: Option<f64>,
    pub h_min: f64,
    pub h_max: f64,
    pub max_steps: usize,
    pub dt: Option<f64>,
    pub controller: Controller,
    pub sensitivity_error_control: bool,
    pub detect_stiffness: bool,
    pub max_jacobian_age: Option<usize>,
    pub newton_tol: Option<f64>,
    pub linsolve: Linsolve,
    pub jac_pattern: Option<Vec<(usize, usize)>>,
}

impl Settings {
    pub fn new(o: &Options, n: usize, span: f64, default: Controller, adaptive: bool) -> Result<Self, Error> {
        let bad = |name, reason: &str| Err(Error::InvalidOption { name, reason: reason.into() });
        let rtol = o.rtol.expand_named("rtol", n)?;
        let atol = o.atol.expand_named("atol", n)?;
        if let Some(h0) = o.h0
            && !(h0.is_finite() && h0 != 0.0)
        {
            return bad("h0", "must be finite and non-zero");
        }
        if !(o.h_min.is_finite() && o.h_min >= 0.0) {
            return bad("h_min", "must be finite and non-negative");
        }
        let h_max = match o.h_max {
            Some(h) if h.is_nan() || h <= 0.0 => return bad("h_max", "must be positive"),
            Some(h) => h.min(span),
            None => span,
        };
        if o.h_min > h_max && span > 0.0 {
            return bad("h_min", "exceeds h_max");
        }
        if o.max_steps == 0 {
            return bad("max_steps", "must be at least 1");
        }
        if o.max_jacobian_age == Some(0) {
            return bad("max_jacobian_age", "must be at least 1");
        }
        if let Some(tol) = o.newton_tol
            && !(tol > 0.0 && tol < 1.0)
        {
            return bad("newton_tol", "must lie in (0, 1)");
        }
        if let Some(dt) = o.dt
            && !(dt.is_finite() && dt > 0.0)
        {
            return bad("dt", "must be positive and finite");
        }
        if o.dt.is_none() && !adaptive {
            return bad("dt", "this method has no error estimate: give a fixed step dt");
        }
        let controller = o.controller.unwrap_or(default);
        controller.validate()?;
        Ok(Settings {
            rtol,
            atol,
            h0: o.h0.map(f64::abs),
            h_min: o.h_min,
            h_max,
            max_steps: o.max_steps,
            dt: o.dt,
            controller,
            sensitivity_error_control: o.sensitivity_error_control,
            detect_stiffness: o.detect_stiffness,
            max_jacobian_age: o.max_jacobian_age,
            newton_tol: o.newton_tol,
            linsolve: o.linsolve,
            jac_pattern: o.jac_pattern.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_component_tolerance_must_match_dimension() {
        let e = Tolerance::PerComponent(vec![1e-6]).expand_named("atol", 2).unwrap_err();
        assert!(matches!(e, Error::DimensionMismatch { what: "atol", expected: 2, got: 1 }));
    }

    #[test]
    fn non_positive_tolerance_is_named() {
        let e = Tolerance::PerComponent(vec![1e-6, 0.0]).expand_named("rtol", 2).unwrap_err();
        assert!(matches!(e, Error::InvalidTolerance { name: "rtol", index: 1, .. }));
    }

    #[test]
    fn t_eval_backward_must_decrease() {
        let o = Options::default().t_eval(vec![1.0, 0.5, 0.7]);
        assert!(o.check_t_eval(1.0, 0.0).is_err());
        let o = Options::default().t_eval(vec![1.0, 0.7, 0.5, 0.0]);
        assert!(o.check_t_eval(1.0, 0.0).is_ok());
    }

    #[test]
    fn save_modes_serialize_readably() {
        assert_eq!(serde_json::to_string(&Save::Final).unwrap(), "\"final\"");
        assert_eq!(serde_json::to_string(&Save::At(vec![1.0])).unwrap(), "{\"at\":[1.0]}");
    }
}

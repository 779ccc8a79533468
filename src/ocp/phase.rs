//! A phase: bounds, fixed values, initial guesses and scaling of every
//! variable, and the bounds of the constraints. Data, serde-serializable.
//!
//! # Scaling
//! As dymos: every variable has a reference value `scale` ("ref"); the
//! optimizer sees `value / scale`. State defects are divided by the
//! state's `defect_scale` (default: its `scale`), constraints by their
//! [`Bounds::scale`], and the objective is multiplied by
//! [`Phase::objective_scale`]. Good scales make the scaled variables and
//! constraints of order one.

use super::problem::{End, OptimalControl};
use crate::Error;
use crate::system::{Model, n_states};
use serde::{Deserialize, Serialize};

/// Lower and upper bound of a constraint (equal for an equality), and its
/// scale.
///
/// # Example
/// ```
/// use odeon::ocp::Bounds;
/// assert!(Bounds::equal(1.0).is_equality());
/// let b = Bounds::between(-1.0, 2.0).scale(10.0);
/// assert_eq!((b.lower, b.upper, b.scale), (-1.0, 2.0, 10.0));
/// assert_eq!(Bounds::upper(3.0).lower, f64::NEG_INFINITY);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// Lower bound (may be −∞).
    pub lower: f64,
    /// Upper bound (may be +∞).
    pub upper: f64,
    /// Reference value: the constraint is divided by it.
    pub scale: f64,
}

impl Bounds {
    /// `lower ≤ g ≤ upper`.
    pub fn between(lower: f64, upper: f64) -> Self {
        Bounds { lower, upper, scale: 1.0 }
    }
    /// `g = value`.
    pub fn equal(value: f64) -> Self {
        Self::between(value, value)
    }
    /// `g ≥ lower`.
    pub fn lower(lower: f64) -> Self {
        Self::between(lower, f64::INFINITY)
    }
    /// `g ≤ upper`.
    pub fn upper(upper: f64) -> Self {
        Self::between(f64::NEG_INFINITY, upper)
    }
    /// No bound.
    pub fn free() -> Self {
        Self::between(f64::NEG_INFINITY, f64::INFINITY)
    }
    /// With reference value `scale` (the constraint is divided by it).
    pub fn scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }
    /// Whether lower = upper.
    pub fn is_equality(&self) -> bool {
        self.lower == self.upper
    }
    /// The bounds of the scaled constraint g / scale (swapped for a
    /// negative scale).
    pub(crate) fn scaled(&self) -> (f64, f64) {
        scaled_bounds((self.lower, self.upper), self.scale)
    }
    /// Valid bounds and scale; or [`Error::InvalidOcp`] naming `what`.
    pub(crate) fn check(&self, what: &str) -> Result<(), Error> {
        check_bounds(what.to_string(), (self.lower, self.upper))?;
        check_scale(format!("{what} scale"), self.scale)
    }
}

/// Options of one state.
///
/// # Example
/// ```
/// use odeon::ocp::StateVar;
/// let x = StateVar::new().fix_initial(0.0).fix_final(10.0).scale(10.0);
/// assert_eq!(x.guess, (0.0, 10.0)); // guessed from the fixed ends
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateVar {
    /// Bounds at every node.
    pub bounds: (f64, f64),
    /// Fixed initial value.
    pub initial: Option<f64>,
    /// Fixed final value.
    pub final_value: Option<f64>,
    /// Initial guess at t₀ and t_f (interpolated linearly in between).
    pub guess: (f64, f64),
    /// Reference value ("ref").
    pub scale: f64,
    /// Reference value of the defects (default: `scale`).
    pub defect_scale: Option<f64>,
}

impl Default for StateVar {
    fn default() -> Self {
        Self::new()
    }
}

impl StateVar {
    /// Free, unbounded, scale 1, guess 0.
    pub fn new() -> Self {
        StateVar {
            bounds: (f64::NEG_INFINITY, f64::INFINITY),
            initial: None,
            final_value: None,
            guess: (0.0, 0.0),
            scale: 1.0,
            defect_scale: None,
        }
    }
    /// Fix the initial value (also the guess at t₀).
    pub fn fix_initial(mut self, v: f64) -> Self {
        self.initial = Some(v);
        self.guess.0 = v;
        self
    }
    /// Fix the final value (also the guess at t_f).
    pub fn fix_final(mut self, v: f64) -> Self {
        self.final_value = Some(v);
        self.guess.1 = v;
        self
    }
    /// Bounds at every node.
    pub fn bounds(mut self, lower: f64, upper: f64) -> Self {
        self.bounds = (lower, upper);
        self
    }
    /// Initial guess at t₀ and t_f.
    pub fn guess(mut self, initial: f64, final_value: f64) -> Self {
        self.guess = (initial, final_value);
        self
    }
    /// Reference value.
    pub fn scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }
    /// Reference value of the defects.
    pub fn defect_scale(mut self, scale: f64) -> Self {
        self.defect_scale = Some(scale);
        self
    }
}

/// Options of one control.
///
/// # Example
/// ```
/// use odeon::ocp::ControlVar;
/// let u = ControlVar::new().bounds(-1.0, 1.0).continuity(false);
/// assert!(!u.continuity && !u.rate_continuity);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlVar {
    /// Bounds at every node.
    pub bounds: (f64, f64),
    /// Initial guess at t₀ and t_f.
    pub guess: (f64, f64),
    /// Reference value.
    pub scale: f64,
    /// Continuous across segment boundaries (one shared value; default true).
    pub continuity: bool,
    /// Continuous rate across segment boundaries (default false).
    pub rate_continuity: bool,
    /// Weight w of the regularization w · Σ (u_{j+1} − u_j)² over
    /// neighbouring nodes, added to the objective (default 0: none). On a
    /// singular arc, where the control enters the Hamiltonian linearly,
    /// it makes the reduced Hessian definite; as the grid is refined the
    /// differences of a smooth control shrink and the term vanishes.
    #[serde(default)]
    pub variation_penalty: f64,
}

impl Default for ControlVar {
    fn default() -> Self {
        Self::new()
    }
}

impl ControlVar {
    /// Unbounded, continuous, scale 1, guess 0.
    pub fn new() -> Self {
        ControlVar {
            bounds: (f64::NEG_INFINITY, f64::INFINITY),
            guess: (0.0, 0.0),
            scale: 1.0,
            continuity: true,
            rate_continuity: false,
            variation_penalty: 0.0,
        }
    }
    /// Bounds at every node.
    pub fn bounds(mut self, lower: f64, upper: f64) -> Self {
        self.bounds = (lower, upper);
        self
    }
    /// Initial guess at t₀ and t_f.
    pub fn guess(mut self, initial: f64, final_value: f64) -> Self {
        self.guess = (initial, final_value);
        self
    }
    /// Reference value.
    pub fn scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }
    /// Value continuity across segments.
    pub fn continuity(mut self, on: bool) -> Self {
        self.continuity = on;
        if !on {
            self.rate_continuity = false;
        }
        self
    }
    /// Regularize by w · Σ (u_{j+1} − u_j)² in the objective (see
    /// [`variation_penalty`](Self::variation_penalty)).
    pub fn variation_penalty(mut self, w: f64) -> Self {
        self.variation_penalty = w;
        self
    }
    /// Rate continuity across segments (implies value continuity).
    pub fn rate_continuity(mut self, on: bool) -> Self {
        self.rate_continuity = on;
        if on {
            self.continuity = true;
        }
        self
    }
}

/// A static parameter: a fixed value or a design parameter.
///
/// # Example
/// ```
/// use odeon::ocp::ParamVar;
/// assert!(!ParamVar::fixed(9.81).optimize);
/// assert!(ParamVar::free(1.0).bounds(0.0, 2.0).optimize);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamVar {
    /// Value (the guess of a design parameter).
    pub value: f64,
    /// Whether the optimizer chooses it.
    pub optimize: bool,
    /// Bounds of a design parameter.
    pub bounds: (f64, f64),
    /// Reference value.
    pub scale: f64,
}

impl ParamVar {
    /// A fixed value.
    pub fn fixed(value: f64) -> Self {
        ParamVar { value, optimize: false, bounds: (value, value), scale: 1.0 }
    }
    /// A design parameter with initial guess `value`, unbounded.
    pub fn free(value: f64) -> Self {
        ParamVar { value, optimize: true, bounds: (f64::NEG_INFINITY, f64::INFINITY), scale: 1.0 }
    }
    /// Bounds.
    pub fn bounds(mut self, lower: f64, upper: f64) -> Self {
        self.bounds = (lower, upper);
        self
    }
    /// Reference value.
    pub fn scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }
}

/// Initial time and duration: each fixed, or free within bounds.
///
/// # Example
/// ```
/// use odeon::ocp::TimeVar;
/// let t = TimeVar::fixed(0.0, 2.0).free_duration(0.5, 10.0);
/// assert_eq!(t.duration_bounds, (0.5, 10.0));
/// assert_eq!(t.initial_bounds, (0.0, 0.0));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeVar {
    /// Initial time (the guess when free).
    pub initial: f64,
    /// Duration (the guess when free).
    pub duration: f64,
    /// Bounds of the initial time (equal when fixed).
    pub initial_bounds: (f64, f64),
    /// Bounds of the duration (equal when fixed).
    pub duration_bounds: (f64, f64),
    /// Reference value of the initial time.
    pub initial_scale: f64,
    /// Reference value of the duration.
    pub duration_scale: f64,
}

impl TimeVar {
    /// Fixed initial time and duration.
    pub fn fixed(initial: f64, duration: f64) -> Self {
        TimeVar {
            initial,
            duration,
            initial_bounds: (initial, initial),
            duration_bounds: (duration, duration),
            initial_scale: 1.0,
            duration_scale: 1.0,
        }
    }
    /// Free duration within bounds (the current duration is the guess).
    pub fn free_duration(mut self, lower: f64, upper: f64) -> Self {
        self.duration_bounds = (lower, upper);
        self
    }
    /// Free initial time within bounds.
    pub fn free_initial(mut self, lower: f64, upper: f64) -> Self {
        self.initial_bounds = (lower, upper);
        self
    }
    /// Reference value of the duration.
    pub fn duration_scale(mut self, scale: f64) -> Self {
        self.duration_scale = scale;
        self
    }
}

/// One phase of an optimal-control problem: everything but the functions.
///
/// Built from the problem's dimensions with defaults (free unbounded
/// states and controls, fixed parameters at 0, t ∈ [0, 1]) and refined with
/// the builder methods. [`Phase::check`] validates it against the problem.
///
/// # Example
/// ```
/// use nalgebra::{Const, SVector};
/// use odeon::DualScalar;
/// use odeon::ocp::{OptimalControl, Phase, StateVar, TimeVar};
/// use odeon::system::Model;
/// struct Decay;
/// impl Model for Decay {
///     type Dim = Const<1>;
///     fn dim(&self) -> Const<1> { Const }
///     fn n_params(&self) -> usize { 0 }
///     fn n_inputs(&self) -> usize { 1 }
///     fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], _p: &[D], dx: &mut SVector<D, 1>) { dx[0] = -x[0] + u[0]; }
/// }
/// impl OptimalControl for Decay {
///     type Model = Self;
///     fn model(&self) -> &Self { self }
/// }
/// let phase = Phase::new(&Decay).time(TimeVar::fixed(0.0, 10.0)).state(0, StateVar::new().fix_initial(1.5));
/// phase.check(&Decay)?;
/// assert_eq!(phase.states[0].initial, Some(1.5));
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    /// One entry per state.
    pub states: Vec<StateVar>,
    /// One entry per control.
    pub controls: Vec<ControlVar>,
    /// One entry per parameter.
    pub params: Vec<ParamVar>,
    /// Initial time and duration.
    pub time: TimeVar,
    /// Bounds of the path constraints.
    pub path: Vec<Bounds>,
    /// Bounds of the initial boundary constraints.
    pub initial: Vec<Bounds>,
    /// Bounds of the final boundary constraints.
    pub final_: Vec<Bounds>,
    /// The objective is multiplied by this (dymos's `scaler`).
    pub objective_scale: f64,
    /// The first setter call whose index was out of range (what, index),
    /// reported by [`check`](Self::check).
    #[serde(skip)]
    pub(crate) out_of_range: Option<(&'static str, usize)>,
}

impl Phase {
    /// Defaults sized for `problem`; constraints unbounded.
    pub fn new<P: OptimalControl>(problem: &P) -> Self {
        Phase {
            states: vec![StateVar::new(); n_states(problem.model())],
            controls: vec![ControlVar::new(); problem.model().n_inputs()],
            params: vec![ParamVar::fixed(0.0); problem.model().n_params()],
            time: TimeVar::fixed(0.0, 1.0),
            path: vec![Bounds::free(); problem.n_path()],
            initial: vec![Bounds::free(); problem.n_boundary(End::Initial)],
            final_: vec![Bounds::free(); problem.n_boundary(End::Final)],
            objective_scale: 1.0,
            out_of_range: None,
        }
    }
    /// Set state `i` (an `i` out of range is reported by [`check`](Self::check)).
    pub fn state(mut self, i: usize, s: StateVar) -> Self {
        set(&mut self.states, i, s, "state", &mut self.out_of_range);
        self
    }
    /// Set control `i`.
    pub fn control(mut self, i: usize, c: ControlVar) -> Self {
        set(&mut self.controls, i, c, "control", &mut self.out_of_range);
        self
    }
    /// Set parameter `i`.
    pub fn param(mut self, i: usize, p: ParamVar) -> Self {
        set(&mut self.params, i, p, "param", &mut self.out_of_range);
        self
    }
    /// Set the time options.
    pub fn time(mut self, t: TimeVar) -> Self {
        self.time = t;
        self
    }
    /// Bounds of path constraint `i`.
    pub fn path_constraint(mut self, i: usize, b: Bounds) -> Self {
        set(&mut self.path, i, b, "path_constraint", &mut self.out_of_range);
        self
    }
    /// Bounds of boundary constraint `i` at `end`.
    pub fn boundary_constraint(mut self, end: End, i: usize, b: Bounds) -> Self {
        match end {
            End::Initial => set(&mut self.initial, i, b, "boundary_constraint (initial)", &mut self.out_of_range),
            End::Final => set(&mut self.final_, i, b, "boundary_constraint (final)", &mut self.out_of_range),
        }
        self
    }
    /// Multiply the objective by `s`.
    pub fn objective_scale(mut self, s: f64) -> Self {
        self.objective_scale = s;
        self
    }

    /// Check sizes against `problem` and every bound, scale and guess.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for a list of the wrong length,
    /// [`Error::InvalidOcp`] naming the variable for a bad bound, scale or
    /// fixed value.
    pub fn check<P: OptimalControl>(&self, problem: &P) -> Result<(), Error> {
        let model = problem.model();
        self.check_sizes([
            n_states(model),
            model.n_inputs(),
            model.n_params(),
            problem.n_path(),
            problem.n_boundary(End::Initial),
            problem.n_boundary(End::Final),
        ])
    }

    /// [`check`](Self::check) with the problem's sizes (states, controls,
    /// parameters, path, initial and final constraints): compiled once,
    /// not once per problem type.
    fn check_sizes(&self, expected: [usize; 6]) -> Result<(), Error> {
        if let Some((what, i)) = self.out_of_range {
            return Err(Error::InvalidOcp {
                what: format!("phase.{what}({i}, …)"),
                reason: "index out of range for this problem".into(),
            });
        }
        let got = [
            ("phase.states", self.states.len()),
            ("phase.controls", self.controls.len()),
            ("phase.params", self.params.len()),
            ("phase.path", self.path.len()),
            ("phase.initial", self.initial.len()),
            ("phase.final_", self.final_.len()),
        ];
        for ((what, got), expected) in got.into_iter().zip(expected) {
            if expected != got {
                return Err(Error::DimensionMismatch { what, expected, got });
            }
        }
        let bad = |what: String, reason: &str| Err(Error::InvalidOcp { what, reason: reason.to_string() });
        for (i, s) in self.states.iter().enumerate() {
            check_bounds(format!("state {i} bounds"), s.bounds)?;
            check_scale(format!("state {i} scale"), s.scale)?;
            check_scale(format!("state {i} defect_scale"), s.defect_scale.unwrap_or(s.scale))?;
            for v in [s.initial, s.final_value].into_iter().flatten().chain([s.guess.0, s.guess.1]) {
                if !v.is_finite() {
                    return bad(format!("state {i}"), "fixed values and guesses must be finite");
                }
            }
        }
        for (i, c) in self.controls.iter().enumerate() {
            check_bounds(format!("control {i} bounds"), c.bounds)?;
            check_scale(format!("control {i} scale"), c.scale)?;
            if !(c.guess.0.is_finite() && c.guess.1.is_finite()) {
                return bad(format!("control {i}"), "guesses must be finite");
            }
            if !(c.variation_penalty.is_finite() && c.variation_penalty >= 0.0) {
                return bad(format!("control {i} variation_penalty"), "must be finite and not negative");
            }
        }
        for (i, p) in self.params.iter().enumerate() {
            check_bounds(format!("param {i} bounds"), p.bounds)?;
            check_scale(format!("param {i} scale"), p.scale)?;
            if !p.value.is_finite() {
                return bad(format!("param {i}"), "value must be finite");
            }
        }
        let t = &self.time;
        check_bounds("initial time bounds".into(), t.initial_bounds)?;
        check_bounds("duration bounds".into(), t.duration_bounds)?;
        check_scale("initial time scale".into(), t.initial_scale)?;
        check_scale("duration scale".into(), t.duration_scale)?;
        if !(t.initial.is_finite() && t.duration.is_finite() && t.duration > 0.0) {
            return bad("time".into(), "initial time must be finite and the duration positive");
        }
        if t.duration_bounds.1 <= 0.0 {
            return bad("duration bounds".into(), "the duration must be allowed to be positive");
        }
        for (name, list) in [("path", &self.path), ("initial", &self.initial), ("final", &self.final_)] {
            for (i, b) in list.iter().enumerate() {
                b.check(&format!("{name} constraint {i}"))?;
            }
        }
        if !(self.objective_scale.is_finite() && self.objective_scale != 0.0) {
            return bad("objective_scale".into(), "must be finite and nonzero");
        }
        Ok(())
    }
}

/// The bounds `(lo, hi)` of a quantity divided by `scale` (swapped for a
/// negative scale): of a constraint, or of a variable the optimizer sees
/// as `value / scale`.
pub(crate) fn scaled_bounds((lo, hi): (f64, f64), scale: f64) -> (f64, f64) {
    let (a, b) = (lo / scale, hi / scale);
    if scale > 0.0 { (a, b) } else { (b, a) }
}

/// Lower ≤ upper, neither NaN, each finite on its own side; or
/// [`Error::InvalidOcp`] naming `what`.
pub(crate) fn check_bounds(what: String, (lo, hi): (f64, f64)) -> Result<(), Error> {
    if lo.is_nan() || hi.is_nan() || lo > hi || lo == f64::INFINITY || hi == f64::NEG_INFINITY {
        let reason = "bounds must satisfy lower <= upper and be finite on their own side".into();
        return Err(Error::InvalidOcp { what, reason });
    }
    Ok(())
}

/// A scale finite and nonzero; or [`Error::InvalidOcp`] naming `what`.
pub(crate) fn check_scale(what: String, s: f64) -> Result<(), Error> {
    if !(s.is_finite() && s != 0.0) {
        return Err(Error::InvalidOcp { what, reason: "scale must be finite and nonzero".into() });
    }
    Ok(())
}

/// `v[i] = x`, or the first out-of-range index recorded for `Phase::check`.
fn set<T>(v: &mut [T], i: usize, x: T, what: &'static str, out_of_range: &mut Option<(&'static str, usize)>) {
    match v.get_mut(i) {
        Some(slot) => *slot = x,
        None => {
            out_of_range.get_or_insert((what, i));
        }
    }
}

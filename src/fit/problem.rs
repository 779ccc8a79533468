//! The fit problem: parameters, experiments, data and what is observed.

use super::data::Data;
use crate::sensitivity::Wrt;
use crate::{Algorithm, DualScalar, Error, Method, Model, Options};
use serde::{Deserialize, Serialize};

/// An unknown (or fixed) quantity of a fit: a model parameter or an
/// estimated initial state.
///
/// # Example
/// ```
/// use odeon::fit::Parameter;
/// let k = Parameter::new("k", 0.5).bounds(1e-3, 10.0).log();
/// assert!(k.log && !k.fixed);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// The name: a model parameter's name, or any name for an estimated
    /// initial state.
    pub name: String,
    /// Initial guess (or the value, when fixed).
    pub guess: f64,
    /// Lower bound (`-inf` if none).
    pub lower: f64,
    /// Upper bound (`+inf` if none).
    pub upper: f64,
    /// Held at `guess` instead of estimated.
    pub fixed: bool,
    /// Estimated as `ln(value)` (positive rates): steps are relative and
    /// the value cannot change sign.
    pub log: bool,
}

impl Parameter {
    /// A free parameter with no bounds.
    pub fn new(name: impl Into<String>, guess: f64) -> Self {
        Parameter { name: name.into(), guess, lower: f64::NEG_INFINITY, upper: f64::INFINITY, fixed: false, log: false }
    }
    /// Restrict to `[lower, upper]`.
    pub fn bounds(mut self, lower: f64, upper: f64) -> Self {
        self.lower = lower;
        self.upper = upper;
        self
    }
    /// Estimate the logarithm of the value.
    pub fn log(mut self) -> Self {
        self.log = true;
        self
    }
    /// Hold the value fixed.
    pub fn fixed(mut self) -> Self {
        self.fixed = true;
        self
    }

    /// Internal (solver) coordinate of a value.
    pub(crate) fn to_internal(&self, value: f64) -> f64 {
        if self.log { value.ln() } else { value }
    }
    /// Value of an internal coordinate.
    pub(crate) fn to_value(&self, z: f64) -> f64 {
        if self.log { z.exp() } else { z }
    }
    /// `d value / d z`.
    pub(crate) fn dvalue_dz(&self, z: f64) -> f64 {
        if self.log { z.exp() } else { 1.0 }
    }
    /// Bounds in internal coordinates.
    pub(crate) fn internal_bounds(&self) -> (f64, f64) {
        if self.log { (self.lower.max(0.0).ln(), self.upper.ln()) } else { (self.lower, self.upper) }
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::InvalidParameter { name: self.name.clone(), reason });
        if !self.guess.is_finite() {
            return bad(format!("guess {} is not finite", self.guess));
        }
        if self.lower.is_nan() || self.upper.is_nan() || self.lower >= self.upper {
            return bad(format!("bounds [{}, {}] are empty", self.lower, self.upper));
        }
        if self.guess < self.lower || self.guess > self.upper {
            return bad(format!("guess {} is outside the bounds [{}, {}]", self.guess, self.lower, self.upper));
        }
        if self.log && self.guess <= 0.0 {
            return bad(format!("log-transformed, so it must be positive (guess {})", self.guess));
        }
        Ok(())
    }
}

/// The initial value of one state component in an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Initial {
    /// Known.
    Known(f64),
    /// Estimated, as a parameter of the fit.
    Estimated(Parameter),
}

/// One experiment: its own initial state and its observations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// A name for reports and errors.
    pub name: String,
    /// Start time of the experiment (before or at the first observation).
    pub t0: f64,
    /// Initial state, one entry per state component.
    pub y0: Vec<Initial>,
    /// Observations of the observable's outputs.
    pub data: Data,
    /// An [`estimate_initial`](Self::estimate_initial) index past the
    /// initial state, reported by [`FitProblem::validate`].
    #[serde(skip)]
    pub(crate) bad_initial: Option<usize>,
}

impl Experiment {
    /// An experiment from `t0 = 0` with a known initial state.
    ///
    /// # Example
    /// ```
    /// use odeon::fit::{Data, Experiment};
    /// let data = Data::new(vec![1.0, 2.0], vec![0.5, 0.25])?;
    /// let e = Experiment::new("decay", &[1.0], data);
    /// assert_eq!(e.y0.len(), 1);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn new(name: impl Into<String>, y0: &[f64], data: Data) -> Self {
        let y0 = y0.iter().map(|&v| Initial::Known(v)).collect();
        Experiment { name: name.into(), t0: 0.0, y0, data, bad_initial: None }
    }

    /// Estimate initial state `j` (starting from `guess`) instead of
    /// knowing it; the parameter is named `<experiment>.<name>`. A `j` past
    /// the initial state is an `Error::InvalidData` when the problem is
    /// validated.
    pub fn estimate_initial(mut self, j: usize, parameter: Parameter) -> Self {
        match self.y0.get_mut(j) {
            Some(slot) => *slot = Initial::Estimated(parameter),
            None => self.bad_initial = Some(j),
        }
        self
    }
}

/// What is measured: `n_outputs` functions `h(t, y, p)` written once over
/// the scalar type, like a model's right-hand side.
pub trait Observable {
    /// Number of outputs (data columns).
    fn n_outputs(&self) -> usize;
    /// Output names (for reports and plots).
    fn names(&self) -> Vec<String> {
        (0..self.n_outputs()).map(|i| format!("h{i}")).collect()
    }
    /// Output names given the model (states observed directly take the
    /// model's state names).
    fn names_for<S: Model>(&self, _system: &S) -> Vec<String> {
        self.names()
    }
    /// Write `h(t, y, p)` into `out`.
    fn eval<D: DualScalar>(&self, t: f64, y: &[D], p: &[D], out: &mut [D]);
    /// Whether the observable fits a model of `n_states` states (checked
    /// by [`FitProblem::validate`], before any solve); the reason if not.
    fn check(&self, _n_states: usize) -> Result<(), String> {
        Ok(())
    }
}

/// Observe some state components directly (the default).
///
/// # Example
/// ```
/// use odeon::fit::{Observable, States};
/// let h = States(vec![1]); // only the second state is measured
/// let mut out = [0.0];
/// h.eval(0.0, &[3.0, 4.0], &[], &mut out);
/// assert_eq!(out, [4.0]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct States(pub Vec<usize>);

impl Observable for States {
    fn n_outputs(&self) -> usize {
        self.0.len()
    }
    fn names(&self) -> Vec<String> {
        self.0.iter().map(|j| format!("y{j}")).collect()
    }
    fn names_for<S: Model>(&self, system: &S) -> Vec<String> {
        let names = system.state_names();
        self.0.iter().map(|&j| names.get(j).cloned().unwrap_or_else(|| format!("y{j}"))).collect()
    }
    fn eval<D: DualScalar>(&self, _t: f64, y: &[D], _p: &[D], out: &mut [D]) {
        for (o, &j) in out.iter_mut().zip(&self.0) {
            *o = y[j];
        }
    }
    fn check(&self, n_states: usize) -> Result<(), String> {
        match self.0.iter().find(|&&j| j >= n_states) {
            Some(j) => Err(format!("States observes state {j}; the model has {n_states} states")),
            None => Ok(()),
        }
    }
}

/// A parameter-estimation problem: a model, what is observed, the
/// parameters and one or more experiments.
///
/// # Example
/// ```
/// use odeon::fit::{Data, Experiment, FitProblem, Parameter, States};
/// use odeon::{models::ExponentialDecay, Method};
/// let data = Data::new(vec![1.0, 2.0, 3.0], vec![0.61, 0.37, 0.22])?;
/// let problem = FitProblem::new(&ExponentialDecay, Method::Dopri5, States(vec![0]))
///     .parameter(Parameter::new("k", 1.0).log())
///     .experiment(Experiment::new("run 1", &[1.0], data));
/// problem.validate()?;
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Debug)]
pub struct FitProblem<'a, S, O = States, A = Method> {
    /// The model.
    pub system: &'a S,
    /// Integration method: a method type (`Tsit5`, …) or a [`Method`].
    pub method: A,
    /// Integration options (tolerances, `max_steps`; the output times are
    /// the data's).
    pub options: Options,
    /// The model's parameters, by name (every one must be given).
    pub parameters: Vec<Parameter>,
    /// The experiments.
    pub experiments: Vec<Experiment>,
    /// What the data measure.
    pub observable: O,
}

impl<S, O: Clone, A: Copy> Clone for FitProblem<'_, S, O, A> {
    fn clone(&self) -> Self {
        FitProblem {
            system: self.system,
            method: self.method,
            options: self.options.clone(),
            parameters: self.parameters.clone(),
            experiments: self.experiments.clone(),
            observable: self.observable.clone(),
        }
    }
}

impl<'a, S: Model, O: Observable, A: Algorithm> FitProblem<'a, S, O, A> {
    /// A problem with no parameters or experiments yet. Integration
    /// defaults to `rtol = atol = 1e-8` and at most 20 000 steps (a trial
    /// point where the model cannot be integrated is rejected quickly).
    pub fn new(system: &'a S, method: A, observable: O) -> Self {
        FitProblem {
            system,
            method,
            options: Options::default().rtol(1e-8).atol(1e-8).max_steps(20_000),
            parameters: Vec::new(),
            experiments: Vec::new(),
            observable,
        }
    }
    /// Add (or replace, by name) a model parameter.
    pub fn parameter(mut self, p: Parameter) -> Self {
        match self.parameters.iter_mut().find(|q| q.name == p.name) {
            Some(q) => *q = p,
            None => self.parameters.push(p),
        }
        self
    }
    /// Add an experiment.
    pub fn experiment(mut self, e: Experiment) -> Self {
        self.experiments.push(e);
        self
    }
    /// Set the integration options.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Check names, bounds, guesses and data; return the layout of the
    /// free parameters.
    pub fn validate(&self) -> Result<Layout, Error> {
        let names = self.system.param_names();
        for (i, p) in self.parameters.iter().enumerate() {
            if !names.contains(&p.name) {
                return Err(Error::UnknownParameter { name: p.name.clone(), known: names.join(", ") });
            }
            if self.parameters[..i].iter().any(|q| q.name == p.name) {
                return Err(Error::InvalidParameter { name: p.name.clone(), reason: "given twice".into() });
            }
        }
        let mut model = Vec::with_capacity(names.len());
        for name in &names {
            let p = self.parameters.iter().find(|p| &p.name == name).ok_or_else(|| Error::InvalidParameter {
                name: name.clone(),
                reason: "the model needs it: give a guess (or a fixed value)".into(),
            })?;
            p.validate()?;
            model.push(p.clone());
        }
        if self.experiments.is_empty() {
            return Err(Error::InvalidData { experiment: String::new(), row: None, reason: "no experiments".into() });
        }
        let n = crate::system::n_states(self.system);
        self.observable.check(n).map_err(|reason| Error::InvalidObservable { reason })?;
        let mut free = Vec::new();
        for (k, p) in model.iter().enumerate() {
            if !p.fixed {
                free.push(Slot { parameter: p.clone(), target: Target::Model(k) });
            }
        }
        for (e, exp) in self.experiments.iter().enumerate() {
            let bad = |row, reason: String| Err(Error::InvalidData { experiment: exp.name.clone(), row, reason });
            if self.experiments[..e].iter().any(|other| other.name == exp.name) {
                return bad(None, "two experiments share this name".into());
            }
            if exp.y0.len() != n {
                return bad(None, format!("{} initial values for a model of {n} states", exp.y0.len()));
            }
            if let Some(j) = exp.bad_initial {
                return bad(None, format!("estimate_initial({j}): the initial state has {} components", exp.y0.len()));
            }
            exp.data.validate(&exp.name, self.observable.n_outputs(), exp.t0)?;
            if !exp.t0.is_finite() {
                return bad(None, format!("t0 = {} is not finite", exp.t0));
            }
            for (j, init) in exp.y0.iter().enumerate() {
                match init {
                    Initial::Known(v) if !v.is_finite() => return bad(None, format!("initial value {j} is {v}")),
                    Initial::Known(_) => {}
                    Initial::Estimated(p) => {
                        p.validate()?;
                        if !p.fixed {
                            free.push(Slot {
                                parameter: p.clone(),
                                target: Target::Initial { experiment: e, state: j },
                            });
                        }
                    }
                }
            }
        }
        let plans = (0..self.experiments.len()).map(|e| self.plan(&free, e)).collect();
        Ok(Layout { model, free, plans })
    }

    /// What evaluating experiment `e` needs beyond the parameter values:
    /// its options (with the data's times) and the sensitivity directions
    /// of the free parameters that act on it.
    pub(crate) fn plan(&self, free: &[Slot], e: usize) -> Plan {
        let exp = &self.experiments[e];
        let mut wrt = Vec::new();
        let mut col_of = vec![None; free.len()];
        for (c, slot) in free.iter().enumerate() {
            let w = match slot.target {
                Target::Model(k) => Wrt::Param(k),
                Target::Initial { experiment, state } if experiment == e => Wrt::Y0(state),
                Target::Initial { .. } => continue,
            };
            col_of[c] = Some(wrt.len());
            wrt.push(w);
        }
        let t_span = (exp.t0, *exp.data.t.last().expect("validated: data has times"));
        Plan { options: self.options.clone().t_eval(exp.data.t.clone()), t_span, wrt, col_of }
    }
}

/// Where a free parameter of the fit goes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Target {
    Model(usize),
    Initial { experiment: usize, state: usize },
}

/// A free parameter and its target.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Slot {
    pub parameter: Parameter,
    pub target: Target,
}

/// How one experiment is evaluated, prepared once per fit.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    /// The problem's options with the data's times as `t_eval`.
    pub options: Options,
    pub t_span: (f64, f64),
    /// Sensitivity directions of the free parameters acting on it.
    pub wrt: Vec<Wrt>,
    /// For each free parameter, its column in `wrt`.
    pub col_of: Vec<Option<usize>>,
}

/// The validated layout: model parameters (fixed and free), the free
/// parameters in solver order, and how each experiment is evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub(crate) model: Vec<Parameter>,
    pub(crate) free: Vec<Slot>,
    pub(crate) plans: Vec<Plan>,
}

impl Layout {
    /// Number of estimated parameters.
    pub fn n_free(&self) -> usize {
        self.free.len()
    }
    /// Names of the estimated parameters, in solver order.
    pub fn names(&self) -> Vec<String> {
        self.free.iter().map(|s| s.parameter.name.clone()).collect()
    }
    /// The initial guess in internal coordinates.
    pub fn start(&self) -> Vec<f64> {
        self.free.iter().map(|s| s.parameter.to_internal(s.parameter.guess)).collect()
    }
    /// Bounds in internal coordinates.
    pub fn bounds(&self) -> (Vec<f64>, Vec<f64>) {
        self.free.iter().map(|s| s.parameter.internal_bounds()).unzip()
    }
    /// Values (user units) of internal coordinates.
    pub fn values(&self, z: &[f64]) -> Vec<f64> {
        self.free.iter().zip(z).map(|(s, &z)| s.parameter.to_value(z)).collect()
    }
    /// `d value / d z` of each free parameter at internal coordinates `z`.
    pub(crate) fn dvalues_dz(&self, z: &[f64]) -> Vec<f64> {
        self.free.iter().zip(z).map(|(s, &z)| s.parameter.dvalue_dz(z)).collect()
    }
}

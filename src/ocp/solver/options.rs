//! Options, status and result of the SQP solver.

use crate::Error;
use serde::{Deserialize, Serialize};

/// Which second derivatives the QP uses.
///
/// # Example
/// ```
/// use odeon::ocp::{HessianMode, SqpOptions};
/// let o = SqpOptions::default().hessian(HessianMode::Bfgs);
/// assert_eq!(o.hessian, HessianMode::Bfgs);
/// assert_eq!(SqpOptions::default().hessian, HessianMode::Exact);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HessianMode {
    /// The problem's Hessian of the Lagrangian (quasi-Newton if it has none).
    Exact,
    /// Damped BFGS (dense; for small problems).
    Bfgs,
}

/// Options of the SQP solver.
///
/// # Example
/// ```
/// use odeon::ocp::SqpOptions;
/// let o = SqpOptions::default().max_iter(50).verbose(true);
/// assert_eq!((o.max_iter, o.tol, o.constr_tol), (50, 1e-6, 1e-8));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SqpOptions {
    /// Largest number of iterations (default 200).
    pub max_iter: usize,
    /// Wall-time limit in seconds (default none: the iteration limit
    /// decides, so results do not depend on the machine's speed).
    pub max_time: Option<f64>,
    /// Tolerance of the (scaled) dual infeasibility and complementarity
    /// (default 1e-6).
    pub tol: f64,
    /// Tolerance of the constraint violation of the scaled NLP (default 1e-8).
    pub constr_tol: f64,
    /// Exact Hessian or BFGS (default exact).
    pub hessian: HessianMode,
    /// Second-order corrections (default on).
    pub soc: bool,
    /// Largest change of a scaled variable in one step before the Newton
    /// phase (a box on the QP, as SNOPT's "Major step limit"; default
    /// none). For problems whose first linearizations promise far more
    /// than the functions give, such as [`MinTimeClimb`](crate::ocp::problems::MinTimeClimb).
    pub max_step: Option<f64>,
    /// Print the iteration log to stderr (default off; the log is in the
    /// result either way, and [`SqpObserver`] receives it as it is made).
    pub verbose: bool,
}

impl Default for SqpOptions {
    fn default() -> Self {
        SqpOptions {
            max_iter: 200,
            max_time: None,
            tol: 1e-6,
            constr_tol: 1e-8,
            hessian: HessianMode::Exact,
            soc: true,
            max_step: None,
            verbose: false,
        }
    }
}

impl SqpOptions {
    /// Largest number of iterations.
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }
    /// Wall-time limit in seconds (a solve that reaches it ends with
    /// [`Status::TimeLimit`]; its result then depends on the machine).
    pub fn max_time(mut self, s: f64) -> Self {
        self.max_time = Some(s);
        self
    }
    /// Limit every step before the Newton phase to `r` in each scaled
    /// variable (see the field).
    pub fn max_step(mut self, r: f64) -> Self {
        self.max_step = Some(r);
        self
    }
    /// Print the iteration log.
    pub fn verbose(mut self, on: bool) -> Self {
        self.verbose = on;
        self
    }
    /// Exact Hessian or BFGS.
    pub fn hessian(mut self, h: HessianMode) -> Self {
        self.hessian = h;
        self
    }
    /// KKT tolerances: optimality and constraint violation.
    pub fn tolerances(mut self, tol: f64, constr_tol: f64) -> Self {
        self.tol = tol;
        self.constr_tol = constr_tol;
        self
    }
    pub(crate) fn check(&self) -> Result<(), Error> {
        let bad = |name, reason: &str| Err(Error::InvalidOption { name, reason: reason.into() });
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return bad("tol", "must be positive and finite");
        }
        if !(self.constr_tol > 0.0 && self.constr_tol.is_finite()) {
            return bad("constr_tol", "must be positive and finite");
        }
        if self.max_time.is_some_and(|t| t.is_nan() || t <= 0.0) {
            return bad("max_time", "must be positive");
        }
        if self.max_step.is_some_and(|r| r.is_nan() || r <= 0.0) {
            return bad("max_step", "must be positive");
        }
        Ok(())
    }
}

/// How a solve ended.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::Brachistochrone, Collocation, SqpOptions, Status, Transcription};
/// let t = Transcription::GaussLobatto { segments: 10, order: 3 };
/// let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)?;
/// assert_eq!(ocp.solve(&SqpOptions::default().max_iter(1))?.status, Status::MaxIterations);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// The KKT conditions hold to the tolerances.
    Optimal,
    /// A stationary point of the constraint violation that is not
    /// feasible: the constraints (locally) contradict each other.
    Infeasible,
    /// `max_iter` reached.
    MaxIterations,
    /// `max_time` reached.
    TimeLimit,
    /// The functions are not finite at the starting point, or stayed
    /// non-finite along the whole search direction.
    NonFiniteEvaluation,
    /// The line search or the QP failed (see the message).
    Failed,
}

/// One line of the iteration log (printed to stderr with
/// [`SqpOptions::verbose`]).
///
/// # Example
/// ```
/// use odeon::ocp::{problems::Brachistochrone, Collocation, SqpOptions, Transcription};
/// let t = Transcription::GaussLobatto { segments: 10, order: 3 };
/// let sol = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)?.solve(&SqpOptions::default())?;
/// let last = sol.log.last().unwrap();
/// assert!(last.primal_inf <= 1e-8 && last.dual_inf <= 1e-6);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IterLog {
    /// Iteration (0: the starting point).
    pub iter: usize,
    /// Objective (scaled).
    pub objective: f64,
    /// Largest constraint violation (scaled).
    pub primal_inf: f64,
    /// Scaled dual infeasibility.
    pub dual_inf: f64,
    /// Step length taken to reach this point.
    pub alpha: f64,
    /// Largest step component.
    pub step: f64,
    /// The QP's work: factorizations of its active-set solve (1 when the
    /// last QP's active set was the right guess), or clarabel's
    /// interior-point iterations plus the polishing factorizations.
    pub qp_iters: u32,
    /// What the step that reached this point did: 'n' Newton (exact
    /// Hessian in a trust region), 'N' a Newton step rejected, 'd' a
    /// diagonal shift of the Hessian, 'r' a regularized QP, 'e' elastic
    /// mode, 's' a second-order correction, 'w' a return to the point
    /// before a Newton step that raised the violation tenfold and after
    /// which the line search stalled (a watchdog).
    pub flags: String,
}

impl IterLog {
    /// The column titles of [`Display`](std::fmt::Display)'s lines.
    pub const HEADER: &'static str = "iter      objective    inf_pr    inf_du     alpha     ||d||   qp";
}

impl std::fmt::Display for IterLog {
    /// One line of the log, in the columns of [`IterLog::HEADER`].
    ///
    /// # Example
    /// ```
    /// use odeon::ocp::IterLog;
    /// let line = IterLog { iter: 3, objective: 1.5, primal_inf: 1e-9, dual_inf: 2e-7, alpha: 1.0, step: 0.01, qp_iters: 9, flags: "n".into() };
    /// assert_eq!(line.to_string(), "   3    1.5000000e0   1.00e-9   2.00e-7    1.00e0   1.00e-2    9 n");
    /// assert_eq!(IterLog::HEADER.len(), line.to_string().len() - 2);
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>4} {:>14.7e} {:>9.2e} {:>9.2e} {:>9.2e} {:>9.2e} {:>4} {}",
            self.iter, self.objective, self.primal_inf, self.dual_inf, self.alpha, self.step, self.qp_iters, self.flags
        )
    }
}

/// Receives every line of the SQP's iteration log as it is made
/// ([`solve_nlp_observed`](crate::ocp::solve_nlp_observed),
/// [`Collocation::solve_observed`](crate::ocp::Collocation::solve_observed)):
/// for progress output, a live plot, or stopping early by recording and
/// inspecting. Any `FnMut(&IterLog)` is one.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::Brachistochrone, Collocation, IterLog, SqpOptions, Transcription};
/// let t = Transcription::GaussLobatto { segments: 10, order: 3 };
/// let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)?;
/// let mut objectives = Vec::new();
/// let sol = ocp.solve_observed(&SqpOptions::default(), &mut |line: &IterLog| objectives.push(line.objective))?;
/// assert_eq!(objectives.len(), sol.log.len());
/// # Ok::<(), odeon::Error>(())
/// ```
pub trait SqpObserver {
    /// Called with each line of the log, the starting point's first.
    fn iteration(&mut self, line: &IterLog);
}

impl<F: FnMut(&IterLog)> SqpObserver for F {
    fn iteration(&mut self, line: &IterLog) {
        self(line)
    }
}

/// An observer that prints the log to stderr, a header before iteration 0
/// (what [`SqpOptions::verbose`] does).
///
/// # Example
/// ```
/// use odeon::ocp::{problems::DoubleIntegrator, Collocation, PrintLog, SqpOptions, Transcription};
/// let t = Transcription::Radau { segments: 10, order: 3 };
/// let ocp = Collocation::new(&DoubleIntegrator, &DoubleIntegrator::phase(), t)?;
/// ocp.solve_observed(&SqpOptions::default(), &mut PrintLog)?;
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct PrintLog;

impl SqpObserver for PrintLog {
    fn iteration(&mut self, line: &IterLog) {
        if line.iter == 0 {
            eprintln!("{}", IterLog::HEADER);
        }
        eprintln!("{line}");
    }
}

/// Result of [`solve_nlp`](crate::ocp::solve_nlp).
///
/// # Example
/// See [`Nlp`](crate::ocp::Nlp).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NlpResult {
    /// How it ended.
    pub status: Status,
    /// Final point.
    pub x: Vec<f64>,
    /// Constraint multipliers (∇f + Jᵀλ + bound multipliers = 0).
    pub lambda: Vec<f64>,
    /// Objective at `x`.
    pub objective: f64,
    /// Largest constraint violation at `x`.
    pub constraint_violation: f64,
    /// Scaled dual infeasibility at `x`.
    pub dual_infeasibility: f64,
    /// SQP iterations.
    pub iterations: usize,
    /// The iteration log.
    pub log: Vec<IterLog>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// What went wrong, when something did.
    pub message: String,
}

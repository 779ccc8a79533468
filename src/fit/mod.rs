//! Parameter estimation: exact Jacobians from the forward sensitivities,
//! Levenberg–Marquardt (default), Gauss–Newton, L-BFGS and Nelder–Mead
//! through argmin, uncertainty, identifiability, multistart.
//!
//! A [`FitProblem`] names the model's parameters (guess, bounds, fixed,
//! log transform), the experiments (initial state known or estimated, data
//! with standard deviations, missing values as NaN) and the observable.
//! [`fit`] runs a solver and returns a [`FitReport`]; the problem is also an
//! argmin problem ([`FitProblem::objective`]) for any argmin solver and
//! observer.
//!
//! ```
//! use odeon::fit::{fit, Data, Experiment, FitOptions, FitProblem, Parameter, States};
//! use odeon::{models::ExponentialDecay, Method};
//! let t: Vec<f64> = (1..=8).map(|i| i as f64 * 0.5).collect();
//! let y: Vec<f64> = t.iter().map(|t| 2.0 * (-0.8 * t).exp()).collect();
//! let problem = FitProblem::new(&ExponentialDecay, Method::Tsit5, States(vec![0]))
//!     .parameter(Parameter::new("k", 0.3).log())
//!     .experiment(Experiment::new("decay", &[1.0], Data::new(t, y)?)
//!         .estimate_initial(0, Parameter::new("y0", 1.0)));
//! let report = fit(&problem, &FitOptions::default())?;
//! assert!((report.estimate("k").unwrap().value - 0.8).abs() < 1e-6);
//! assert!((report.estimate("y0").unwrap().value - 2.0).abs() < 1e-6);
//! println!("{report}");
//! # Ok::<(), odeon::Error>(())
//! ```

mod data;
mod lm;
mod multistart;
mod objective;
mod outputs;
mod predict;
mod problem;
mod report;
mod residuals;
mod secant;
mod spec;
mod stats;

pub use data::Data;
pub use lm::{LevenbergMarquardt, LmState};
pub use multistart::{LocalOptimum, Multistart, MultistartReport, multistart};
pub use objective::Objective;
pub use outputs::Outputs;
pub use predict::Prediction;
pub use problem::{Experiment, FitProblem, Initial, Layout, Observable, Parameter, States};
pub use report::{Estimate, Evaluations, FitReport, Identifiability, Termination};
pub use spec::{FitRun, FitSpec, ParamSpec};
pub use stats::{student_t_cdf, student_t_quantile};

use crate::{Algorithm, Error, Model};
use argmin::core::{Executor, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch as MoreThuente;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use serde::{Deserialize, Serialize};

/// The optimizer of a fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitSolver {
    /// odeon's Levenberg–Marquardt (Moré's trust region), the default.
    #[default]
    LevenbergMarquardt,
    /// Safeguarded Gauss–Newton (Levenberg–Marquardt with λ → 0).
    GaussNewton,
    /// argmin's L-BFGS with a More–Thuente line search, on `½‖r‖²` and `Jᵀr`.
    Lbfgs,
    /// argmin's Nelder–Mead simplex (derivative-free baseline).
    NelderMead,
}

/// Options of [`fit`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitOptions {
    /// The optimizer.
    pub solver: FitSolver,
    /// Iteration limit.
    pub max_iters: u64,
    /// Relative cost tolerance.
    pub ftol: f64,
    /// Relative step tolerance.
    pub xtol: f64,
    /// Gradient tolerance.
    pub gtol: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { solver: FitSolver::default(), max_iters: 500, ftol: 1e-10, xtol: 1e-10, gtol: 1e-10 }
    }
}

/// What one solver run found.
pub(crate) struct Outcome {
    pub z: Vec<f64>,
    pub iterations: u64,
    pub termination: Termination,
    /// Integrations `(residual-only, with sensitivities)`.
    pub evaluations: (usize, usize),
}

/// Run the chosen solver from `z0` on `objective`; the objective comes back
/// with the outcome.
pub(crate) fn run_solver<'p>(
    objective: Objective<'p>,
    z0: Vec<f64>,
    options: &FitOptions,
) -> Result<(Outcome, Objective<'p>), Error> {
    let solver_error = |e: argmin::core::Error| match e.downcast::<Error>() {
        Ok(ours) => ours,
        Err(other) => Error::Solver { reason: other.to_string() },
    };
    let (lo, hi) = objective.layout().bounds();
    let counts = objective.counts();
    macro_rules! finish {
        ($res:expr) => {{
            let mut res = $res.map_err(solver_error)?;
            let iterations = res.state.get_iter();
            let termination = match res.state.get_termination_reason() {
                Some(TerminationReason::MaxItersReached) => Termination::MaxIterations(iterations),
                Some(r @ (TerminationReason::SolverConverged | TerminationReason::TargetCostReached)) => {
                    Termination::Converged(r.text().to_string())
                }
                // Our Levenberg–Marquardt names its convergence test.
                Some(TerminationReason::SolverExit(why)) => Termination::Converged(why.clone()),
                Some(other) => Termination::Stopped(other.text().to_string()),
                None => Termination::Stopped("no reason given".into()),
            };
            let z = res.state.take_best_param().unwrap_or(z0.clone());
            let objective = res
                .problem
                .take_problem()
                .ok_or_else(|| Error::Solver { reason: "the optimizer did not hand the problem back".into() })?;
            Ok((Outcome { z, iterations, termination, evaluations: counts.get() }, objective))
        }};
    }
    let max_iters = options.max_iters;
    match options.solver {
        FitSolver::LevenbergMarquardt | FitSolver::GaussNewton => {
            let mut lm = LevenbergMarquardt::new()
                .with_bounds(lo, hi)
                .and_then(|s| s.with_tolerances(options.ftol, options.xtol, options.gtol))
                .map_err(solver_error)?;
            if options.solver == FitSolver::GaussNewton {
                lm = lm.gauss_newton();
            }
            finish!(Executor::new(objective, lm).configure(|s| s.param(z0.clone()).max_iters(max_iters)).run())
        }
        FitSolver::Lbfgs => {
            // Scale the cost so that the first gradient has unit length, and
            // bound the line search: the first trial point stays within a
            // unit step, where the model can still be integrated.
            let g0 = objective.residuals_and_jacobian(&z0).map(|(r, j)| (j.transpose() * r).norm())?;
            let objective = objective.with_cost_scale(1.0 / g0.max(f64::MIN_POSITIVE));
            let ls = MoreThuente::new().with_bounds(1e-16, 1e4).map_err(solver_error)?;
            let solver = LBFGS::new(ls, 10)
                .with_tolerance_grad(options.gtol)
                .and_then(|s| s.with_tolerance_cost(options.ftol))
                .map_err(solver_error)?;
            finish!(Executor::new(objective, solver).configure(|s| s.param(z0.clone()).max_iters(max_iters)).run())
        }
        FitSolver::NelderMead => {
            let mut simplex = vec![z0.clone()];
            for i in 0..z0.len() {
                let mut v = z0.clone();
                v[i] += if v[i] != 0.0 { 0.1 * v[i].abs() } else { 0.1 };
                simplex.push(v);
            }
            let solver = NelderMead::new(simplex).with_sd_tolerance(options.ftol).map_err(solver_error)?;
            finish!(Executor::new(objective, solver).configure(|s| s.max_iters(max_iters)).run())
        }
    }
}

/// Fit the problem's parameters from their guesses.
///
/// # Errors
/// Invalid problems (unknown names, guesses outside the bounds, malformed
/// data: typed errors naming the parameter or the experiment and row); a
/// model that cannot be integrated at the initial guess. Failures at trial
/// points during the fit only reject those points.
pub fn fit<S, O, A>(problem: &FitProblem<'_, S, O, A>, options: &FitOptions) -> Result<FitReport, Error>
where
    S: Model,
    O: Observable,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    let objective = problem.objective()?;
    let z0 = objective.layout().start();
    let (outcome, objective) = run_solver(objective, z0, options)?;
    report_at(&objective, outcome, options)
}

/// Build the report at a solver's outcome (one more Jacobian evaluation,
/// with respect to the parameters' values).
pub(crate) fn report_at(objective: &Objective<'_>, outcome: Outcome, options: &FitOptions) -> Result<FitReport, Error> {
    let before = objective.evaluations();
    let (r, jp) = objective.residuals_and_value_jacobian(&outcome.z)?;
    let layout = objective.layout();
    let values = layout.values(&outcome.z);
    let after = objective.evaluations();
    let residuals = outcome.evaluations.0 + after.0 - before.0;
    let jacobians = outcome.evaluations.1 + after.1 - before.1;
    Ok(FitReport::new(report::ReportInput {
        solver: format!("{:?}", options.solver),
        termination: outcome.termination,
        names: layout.names(),
        values,
        initial: layout.free.iter().map(|s| s.parameter.guess).collect(),
        jacobian: &jp,
        residuals: &r,
        iterations: outcome.iterations,
        evaluations: Evaluations { residuals, jacobians },
    }))
}

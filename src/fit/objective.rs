//! A fit problem as argmin sees it: `Operator` + `Jacobian` (residuals and
//! their exact Jacobian) and `CostFunction` + `Gradient` (`½‖r‖²`, `Jᵀr`),
//! on `Vec<f64>` parameters in solver coordinates (log-transformed where
//! asked).

use super::problem::{FitProblem, Layout, Observable};
use super::residuals::Residuals;
use crate::{Algorithm, Error, Model};
use argmin::core::{CostFunction, Gradient, Jacobian, Operator};
use nalgebra::allocator::Allocator;
use nalgebra::{DMatrix, DVector, DefaultAllocator};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Weight of the quadratic penalty that keeps gradient-based and
/// derivative-free argmin solvers inside the bounds (they are evaluated at
/// the projected point, plus this penalty on the distance).
const BOUND_PENALTY: f64 = 1e8;

/// The argmin problem of a [`FitProblem`]: create with
/// [`FitProblem::objective`]. Parameters are in solver coordinates
/// (`ln p` for log-transformed parameters); use [`Layout::values`] for user
/// units.
///
/// Integration failures at a trial point (step-size underflow, NaN, too many
/// steps) are reported to argmin as errors by `apply`/`jacobian` (odeon's
/// Levenberg–Marquardt rejects the step), and as an infinite-like cost with a
/// zero gradient by `cost`/`gradient` (line searches then shrink the step).
///
/// # Example
/// ```
/// use argmin::core::{CostFunction, Executor};
/// use argmin::solver::neldermead::NelderMead;
/// use odeon::fit::{Data, Experiment, FitProblem, Parameter, States};
/// use odeon::{models::ExponentialDecay, Method};
/// let t: Vec<f64> = (1..=5).map(f64::from).collect();
/// let y: Vec<f64> = t.iter().map(|t| (-0.7 * t).exp()).collect();
/// let problem = FitProblem::new(&ExponentialDecay, Method::Dopri5, States(vec![0]))
///     .parameter(Parameter::new("k", 0.3).bounds(0.0, 5.0))
///     .experiment(Experiment::new("e", &[1.0], Data::new(t, y)?));
/// let objective = problem.objective()?;
/// let simplex = vec![vec![0.3], vec![0.6]];
/// let result = Executor::new(objective, NelderMead::new(simplex).with_sd_tolerance(1e-12)?)
///     .configure(|s| s.max_iters(200))
///     .run()?;
/// let k = result.state.best_param.unwrap()[0];
/// assert!((k - 0.7).abs() < 1e-5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Objective<'p> {
    /// The model-specific part, behind a trait object: the solvers
    /// (argmin's executors, four of them) are compiled once in the
    /// library, not once per model in every program that fits one.
    problem: &'p dyn Evaluate,
    layout: Layout,
    lower: Vec<f64>,
    upper: Vec<f64>,
    /// The last two Jacobian evaluations (the point, its residuals and
    /// their Jacobian with respect to the values), latest first: `apply`
    /// at the same point costs nothing, and neither does the report at an
    /// optimum whose Jacobian the solver asked for (the last or, after a
    /// rejected trial point, the one before).
    memo: Mutex<[Option<Memo>; 2]>,
    /// The last point where the gradient could be evaluated: the point,
    /// its (scaled) cost and gradient norm.
    last_good: Mutex<Option<(Vec<f64>, f64, f64)>>,
    counts: Arc<Counts>,
    /// Multiplies `cost` and `gradient` (not `apply`/`jacobian`), so that
    /// line searches start from a unit-sized gradient.
    cost_scale: f64,
}

/// A point with its residuals and value Jacobian.
type Memo = (Vec<f64>, DVector<f64>, DMatrix<f64>);

/// Integrations done through an objective, shared with whoever created it
/// (argmin keeps the objective while it runs).
#[derive(Debug, Default)]
pub(crate) struct Counts {
    residuals: AtomicUsize,
    jacobians: AtomicUsize,
}

impl Counts {
    pub(crate) fn get(&self) -> (usize, usize) {
        (self.residuals.load(Ordering::Relaxed), self.jacobians.load(Ordering::Relaxed))
    }
}

/// What an objective needs of its problem: residuals (and their Jacobian)
/// at the free parameters' values.
trait Evaluate {
    fn evaluate(&self, layout: &Layout, values: &[f64], jacobian: bool) -> Result<Residuals, Error>;
}

impl<S, O, A> Evaluate for FitProblem<'_, S, O, A>
where
    S: Model,
    O: Observable,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    fn evaluate(&self, layout: &Layout, values: &[f64], jacobian: bool) -> Result<Residuals, Error> {
        self.residuals(layout, values, jacobian)
    }
}

impl<S, O, A> FitProblem<'_, S, O, A>
where
    S: Model,
    O: Observable,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// Validate the problem and wrap it for argmin.
    pub fn objective(&self) -> Result<Objective<'_>, Error> {
        Ok(self.objective_for(self.validate()?))
    }

    /// Wrap the problem for argmin with the layout [`validate`](Self::validate)
    /// returned.
    pub(crate) fn objective_for(&self, layout: Layout) -> Objective<'_> {
        let (lower, upper) = layout.bounds();
        Objective {
            problem: self,
            layout,
            lower,
            upper,
            memo: Mutex::new([None, None]),
            last_good: Mutex::new(None),
            counts: Arc::new(Counts::default()),
            cost_scale: 1.0,
        }
    }
}

impl Objective<'_> {
    /// The free parameters: names, start, bounds, transforms.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Integrations done so far: `(residual-only, with sensitivities)`.
    pub fn evaluations(&self) -> (usize, usize) {
        self.counts.get()
    }

    pub(crate) fn counts(&self) -> Arc<Counts> {
        self.counts.clone()
    }

    /// Scale `cost` and `gradient` by `scale` (the minimizer is unchanged).
    pub fn with_cost_scale(mut self, scale: f64) -> Self {
        self.cost_scale = scale;
        self
    }

    fn check_len(&self, z: &[f64]) -> Result<(), Error> {
        let n = self.layout.n_free();
        if z.len() != n {
            return Err(Error::DimensionMismatch { what: "fit parameters", expected: n, got: z.len() });
        }
        Ok(())
    }

    /// Residuals at `z`.
    pub fn residuals(&self, z: &[f64]) -> Result<DVector<f64>, Error> {
        self.check_len(z)?;
        if let Some((r, _)) = self.remembered(z) {
            return Ok(r);
        }
        self.counts.residuals.fetch_add(1, Ordering::Relaxed);
        Ok(self.problem.evaluate(&self.layout, &self.layout.values(z), false)?.r)
    }

    /// Residuals and their Jacobian at `z`.
    pub fn residuals_and_jacobian(&self, z: &[f64]) -> Result<(DVector<f64>, DMatrix<f64>), Error> {
        let (r, mut j) = self.residuals_and_value_jacobian(z)?;
        for (c, d) in self.layout.dvalues_dz(z).into_iter().enumerate() {
            j.column_mut(c).scale_mut(d);
        }
        Ok((r, j))
    }

    /// Residuals at `z` and their Jacobian with respect to the parameters'
    /// values (user units, before the solver's transforms).
    pub(crate) fn residuals_and_value_jacobian(&self, z: &[f64]) -> Result<(DVector<f64>, DMatrix<f64>), Error> {
        self.check_len(z)?;
        if let Some(both) = self.remembered(z) {
            return Ok(both);
        }
        self.counts.jacobians.fetch_add(1, Ordering::Relaxed);
        let Residuals { r, jac } = self.problem.evaluate(&self.layout, &self.layout.values(z), true)?;
        let jac = jac.expect("requested");
        let mut memo = self.memo.lock().expect("memo lock");
        memo[1] = memo[0].replace((z.to_vec(), r.clone(), jac.clone()));
        Ok((r, jac))
    }

    /// The residuals and value Jacobian at `z`, if one of the last two
    /// Jacobian evaluations was there.
    fn remembered(&self, z: &[f64]) -> Option<(DVector<f64>, DMatrix<f64>)> {
        let memo = self.memo.lock().expect("memo lock");
        let (_, r, j) = memo.iter().flatten().find(|(at, ..)| at.as_slice() == z)?;
        Some((r.clone(), j.clone()))
    }

    /// Projection onto the bounds and the squared distance to it.
    fn project(&self, z: &[f64]) -> (Vec<f64>, f64) {
        let zp: Vec<f64> = z.iter().zip(&self.lower).zip(&self.upper).map(|((z, lo), hi)| z.clamp(*lo, *hi)).collect();
        let d2 = z.iter().zip(&zp).map(|(a, b)| (a - b) * (a - b)).sum();
        (zp, d2)
    }
}

impl Operator for Objective<'_> {
    type Param = Vec<f64>;
    type Output = Vec<f64>;
    fn apply(&self, z: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.residuals(z)?.as_slice().to_vec())
    }
}

impl Jacobian for Objective<'_> {
    type Param = Vec<f64>;
    type Jacobian = DMatrix<f64>;
    fn jacobian(&self, z: &Vec<f64>) -> Result<DMatrix<f64>, argmin::core::Error> {
        Ok(self.residuals_and_jacobian(z)?.1)
    }
}

/// At a point where the model cannot be integrated, cost and slope are this
/// many times those of the last good point.
const FAILED_FACTOR: f64 = 1e3;

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, z: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        self.check_len(z)?;
        let (zp, d2) = self.project(z);
        Ok(match self.residuals(&zp) {
            Ok(r) => self.cost_scale * (0.5 * r.norm_squared() + 0.5 * BOUND_PENALTY * d2),
            // The model cannot be integrated here: a cost well above the last
            // good one (finite, so that line-search interpolation stays
            // meaningful).
            Err(_) => match self.last_good.lock().expect("lock").as_ref() {
                Some((_, cost, _)) => FAILED_FACTOR * (1.0 + cost.abs()),
                None => f64::MAX,
            },
        })
    }
}

impl Gradient for Objective<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, z: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        self.check_len(z)?;
        let (zp, _) = self.project(z);
        Ok(match self.residuals_and_jacobian(&zp) {
            Ok((r, j)) => {
                let g: Vec<f64> = (j.transpose() * &r)
                    .iter()
                    .zip(z.iter().zip(&zp))
                    .map(|(g, (a, b))| self.cost_scale * (g + BOUND_PENALTY * (a - b)))
                    .collect();
                let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                let cost = self.cost_scale * 0.5 * r.norm_squared();
                *self.last_good.lock().expect("lock") = Some((z.clone(), cost, norm));
                g
            }
            // The model cannot be integrated here: report a steep slope
            // away from the last good point, so that a line search backs off.
            Err(_) => match self.last_good.lock().expect("lock").as_ref() {
                Some((good, _, norm)) => {
                    let d: Vec<f64> = z.iter().zip(good).map(|(a, b)| a - b).collect();
                    let len = d.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
                    d.iter().map(|v| v / len * FAILED_FACTOR * norm.max(1.0)).collect()
                }
                None => vec![0.0; z.len()],
            },
        })
    }
}

//! Predictions of a fitted model with their 95% confidence band,
//! propagated from the covariance through the sensitivities.

use super::problem::{FitProblem, Observable};
use super::report::FitReport;
use super::stats::student_t_quantile;
use crate::{Algorithm, Error, Model};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use serde::{Deserialize, Serialize};

/// The observable predicted at times `t`, with the half-width of its 95%
/// confidence band: `t_{0.975,dof} · sqrt(g Σ gᵀ)` with `g = ∂h/∂θ`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Times.
    pub t: Vec<f64>,
    /// Predicted outputs, row-major (one row of outputs per time).
    pub mean: Vec<f64>,
    /// Half-widths of the 95% band, same layout; `None` when the report
    /// has no covariance (no degrees of freedom).
    pub half_width: Option<Vec<f64>>,
    /// Number of outputs per time.
    pub n_outputs: usize,
}

impl<S, O, A> FitProblem<'_, S, O, A>
where
    S: Model,
    O: Observable + Clone,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// Predict experiment `experiment` at times `t` (sorted, from its `t0`)
    /// with the parameters and covariance of `report`.
    ///
    /// # Example
    /// ```
    /// use odeon::fit::{fit, Data, Experiment, FitOptions, FitProblem, Parameter, States};
    /// use odeon::{models::ExponentialDecay, Method};
    /// let t = vec![1.0, 2.0, 3.0, 4.0];
    /// let y = vec![0.62, 0.36, 0.23, 0.13];
    /// let problem = FitProblem::new(&ExponentialDecay, Method::Tsit5, States(vec![0]))
    ///     .parameter(Parameter::new("k", 1.0))
    ///     .experiment(Experiment::new("e", &[1.0], Data::new(t, y)?));
    /// let report = fit(&problem, &FitOptions::default())?;
    /// let p = problem.predict(&report, 0, &[0.0, 2.5, 5.0])?;
    /// let band = p.half_width.expect("4 observations, 1 parameter: a band");
    /// assert_eq!(band[0], 0.0); // the known initial state is certain
    /// assert!(band[2] > 0.0);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn predict(&self, report: &FitReport, experiment: usize, t: &[f64]) -> Result<Prediction, Error> {
        let layout = self.validate()?;
        if experiment >= self.experiments.len() {
            return Err(Error::InvalidData {
                experiment: format!("#{experiment}"),
                row: None,
                reason: "no such experiment".into(),
            });
        }
        if report.estimates.len() != layout.n_free() {
            return Err(Error::DimensionMismatch {
                what: "report estimates",
                expected: layout.n_free(),
                got: report.estimates.len(),
            });
        }
        let values: Vec<f64> = report.estimates.iter().map(|e| e.value).collect();
        // The same problem with this experiment's data replaced by zeros at
        // the prediction times: its residuals are the predictions and their
        // Jacobian is ∂h/∂p.
        let n_out = self.observable.n_outputs();
        let mut probe = self.clone();
        probe.experiments[experiment].data = super::Data::new(t.to_vec(), vec![0.0; t.len() * n_out])?;
        let mut layout = layout;
        layout.plans[experiment] = probe.plan(&layout.free, experiment);
        let res = probe.residuals(&layout, &values, true)?;
        let offset: usize = probe.experiments[..experiment].iter().map(|e| e.data.n_observed()).sum();
        let jac = res.jac.expect("requested");
        let rows = t.len() * n_out;
        let mean: Vec<f64> = (0..rows).map(|k| res.r[offset + k]).collect();
        let Some(cov) = report.covariance.as_ref() else {
            return Ok(Prediction { t: t.to_vec(), mean, half_width: None, n_outputs: n_out });
        };
        let tq = student_t_quantile(0.975, report.dof.max(1) as f64);
        let mut half_width = Vec::with_capacity(rows);
        for k in 0..rows {
            let row = offset + k;
            let g: Vec<f64> = (0..values.len()).map(|c| jac[(row, c)]).collect();
            let mut var = 0.0;
            for a in 0..g.len() {
                for b in 0..g.len() {
                    if g[a] != 0.0 && g[b] != 0.0 {
                        var += g[a] * cov[(a, b)] * g[b];
                    }
                }
            }
            half_width.push(tq * var.max(0.0).sqrt());
        }
        Ok(Prediction { t: t.to_vec(), mean, half_width: Some(half_width), n_outputs: n_out })
    }
}

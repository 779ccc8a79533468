//! Observations: times, values (NaN for missing), standard deviations;
//! loading from CSV.

use crate::Error;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Observations of one experiment: at each time `t[i]`, one value per
/// output (row-major: `values[i * n_outputs + j]`). `NaN` marks a missing
/// value. Optional standard deviations `sigma` in the same layout weight
/// the residuals by `1/σ`.
///
/// # Example
/// ```
/// use odeon::fit::Data;
/// let d = Data::new(vec![0.5, 1.0], vec![1.0, f64::NAN, 2.0, 0.5])?.with_sigma(0.1);
/// assert_eq!(d.n_outputs(), 2);
/// assert_eq!(d.n_observed(), 3); // one value missing
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Data {
    /// Observation times (sorted).
    pub t: Vec<f64>,
    /// Observed values, row-major; `NaN` is missing.
    pub values: Vec<f64>,
    /// Standard deviations in the same layout (unweighted if `None`).
    pub sigma: Option<Vec<f64>>,
}

impl Data {
    /// Observations at times `t`; `values.len()` must be a multiple of
    /// `t.len()` (the number of outputs).
    pub fn new(t: Vec<f64>, values: Vec<f64>) -> Result<Self, Error> {
        if t.is_empty() || !values.len().is_multiple_of(t.len()) {
            return Err(Error::InvalidData {
                experiment: String::new(),
                row: None,
                reason: format!("{} values do not fill rows for {} times", values.len(), t.len()),
            });
        }
        Ok(Data { t, values, sigma: None })
    }

    /// The same standard deviation for every value.
    pub fn with_sigma(mut self, sigma: f64) -> Self {
        self.sigma = Some(vec![sigma; self.values.len()]);
        self
    }

    /// Weights `w` per value (row-major): the same as `σ = 1/√w`.
    pub fn with_weights(self, weights: Vec<f64>) -> Self {
        let sigma = weights.iter().map(|w| 1.0 / w.sqrt()).collect();
        self.with_sigmas(sigma)
    }

    /// One standard deviation per value (row-major).
    pub fn with_sigmas(mut self, sigma: Vec<f64>) -> Self {
        self.sigma = Some(sigma);
        self
    }

    /// Number of outputs per time.
    pub fn n_outputs(&self) -> usize {
        if self.t.is_empty() { 0 } else { self.values.len() / self.t.len() }
    }

    /// Number of values present (not missing).
    pub fn n_observed(&self) -> usize {
        self.values.iter().filter(|v| !v.is_nan()).count()
    }

    /// Read observations from CSV: a header row names the columns; `time`
    /// is the time column, `columns` the observed outputs in order, and
    /// `sigma_columns` (if given) their standard deviations. Empty cells and
    /// `NaN` are missing values.
    ///
    /// # Example
    /// ```
    /// use odeon::fit::Data;
    /// let path = std::env::temp_dir().join("odeon-doc-data.csv");
    /// std::fs::write(&path, "t,x,y\n0.5,1.5,0.4\n1.0,,0.3\n")?;
    /// let d = Data::from_csv(&path, "t", &["x", "y"], None)?;
    /// assert_eq!(d.t, vec![0.5, 1.0]);
    /// assert!(d.values[2].is_nan());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_csv(
        path: impl AsRef<Path>,
        time: &str,
        columns: &[&str],
        sigma_columns: Option<&[&str]>,
    ) -> Result<Self, Error> {
        let path = path.as_ref();
        let io = |e: &dyn std::fmt::Display| Error::io(path, e);
        let mut names = vec![time];
        names.extend_from_slice(columns);
        names.extend_from_slice(sigma_columns.unwrap_or(&[]));
        let mut read = crate::files::read_csv_columns(path, &names, 1)?;
        let t = std::mem::take(&mut read[0]);
        let rows = t.len();
        let values: Vec<f64> = (0..rows).flat_map(|r| read[1..=columns.len()].iter().map(move |c| c[r])).collect();
        let sigma: Vec<f64> = (0..rows).flat_map(|r| read[columns.len() + 1..].iter().map(move |c| c[r])).collect();
        let data = Data::new(t, values).map_err(|e| io(&e))?;
        Ok(if sigma_columns.is_some() { data.with_sigmas(sigma) } else { data })
    }

    /// Check against the observable and the experiment's start time.
    pub(crate) fn validate(&self, experiment: &str, n_outputs: usize, t0: f64) -> Result<(), Error> {
        let bad =
            |row: Option<usize>, reason: String| Err(Error::InvalidData { experiment: experiment.into(), row, reason });
        if self.t.is_empty() {
            return bad(None, "no observation times".into());
        }
        if self.values.len() != self.t.len() * n_outputs {
            return bad(None, format!("{} values for {} times × {n_outputs} outputs", self.values.len(), self.t.len()));
        }
        for (i, &t) in self.t.iter().enumerate() {
            if !t.is_finite() || t < t0 {
                return bad(Some(i), format!("time {t} is not finite or before t0 = {t0}"));
            }
            if i > 0 && t < self.t[i - 1] {
                return bad(Some(i), format!("time {t} comes before the previous {}", self.t[i - 1]));
            }
        }
        for (k, &v) in self.values.iter().enumerate() {
            if v.is_infinite() {
                return bad(
                    Some(k / n_outputs),
                    format!("output {} is {v} (mark missing values with NaN)", k % n_outputs),
                );
            }
        }
        if self.n_observed() == 0 {
            return bad(None, "every value is missing".into());
        }
        if let Some(s) = &self.sigma {
            if s.len() != self.values.len() {
                return bad(None, format!("{} standard deviations for {} values", s.len(), self.values.len()));
            }
            for (k, (&sk, &v)) in s.iter().zip(&self.values).enumerate() {
                if !(v.is_nan() || sk.is_finite() && sk > 0.0) {
                    return bad(
                        Some(k / n_outputs),
                        format!("standard deviation {sk} of output {} is not positive", k % n_outputs),
                    );
                }
            }
        }
        Ok(())
    }

    /// The weight `1/σ` of value `k` (1 when unweighted).
    pub(crate) fn sqrt_weight(&self, k: usize) -> f64 {
        self.sigma.as_ref().map_or(1.0, |s| 1.0 / s[k])
    }
}

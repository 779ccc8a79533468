//! What a fit found and how certain it is.

use super::stats::student_t_quantile;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One estimated parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Name.
    pub name: String,
    /// Best-fit value (user units).
    pub value: f64,
    /// Standard error from the covariance; `None` when the data do not
    /// determine it (no degrees of freedom left, or the parameter lies in a
    /// direction the data do not see: see [`FitReport::notes`]).
    pub std_error: Option<f64>,
    /// 95% confidence interval (Student t with the residual degrees of
    /// freedom); `None` with `std_error`.
    pub ci95: Option<[f64; 2]>,
    /// The starting value.
    pub initial: f64,
}

/// Which parameters (or combinations) the data determine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identifiability {
    /// Singular values of the Jacobian with columns scaled by the parameter
    /// values (`∂r/∂ln p`), largest first.
    pub singular_values: Vec<f64>,
    /// Directions the data do not determine (relative singular value below
    /// 1e-8), described as combinations of `ln p`.
    pub unidentifiable: Vec<String>,
    /// Directions the data determine poorly (relative singular value below
    /// 1e-4).
    pub poorly_determined: Vec<String>,
}

/// Integrations done by a fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluations {
    /// Residual-only evaluations (one integration per experiment each).
    pub residuals: usize,
    /// Evaluations with the Jacobian (one sensitivity solve per experiment).
    pub jacobians: usize,
}

/// Why a fit's solver stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Termination {
    /// A convergence test held (named: tolerance on the cost, the step,
    /// the gradient; a zero residual; the simplex's spread).
    Converged(String),
    /// `max_iters` iterations without convergence.
    MaxIterations(u64),
    /// Stopped otherwise (interrupted, timed out, or no reason given).
    Stopped(String),
}

impl Termination {
    /// Whether a convergence test held.
    pub fn converged(&self) -> bool {
        matches!(self, Termination::Converged(_))
    }
}

impl fmt::Display for Termination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Termination::Converged(why) => write!(f, "converged: {why}"),
            Termination::MaxIterations(n) => write!(f, "NOT CONVERGED: iteration limit ({n}) reached"),
            Termination::Stopped(why) => write!(f, "NOT CONVERGED: stopped ({why})"),
        }
    }
}

/// The result of a fit, with its uncertainty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// The solver used.
    pub solver: String,
    /// Whether the solver met a convergence test (a run stopped by the
    /// iteration limit is not a success: see `termination`).
    pub converged: bool,
    /// Why it stopped.
    pub termination: Termination,
    /// Estimated parameters.
    pub estimates: Vec<Estimate>,
    /// `½ Σ r²` (residuals weighted by `1/σ` where σ is given).
    pub cost: f64,
    /// `χ² = Σ r²`.
    pub chi2: f64,
    /// Number of observations used (missing values excluded).
    pub n_observations: usize,
    /// Degrees of freedom `n_observations − n_parameters`.
    pub dof: usize,
    /// `χ² / dof`, the estimate `σ̂²` of the residual variance (`None` with
    /// no degrees of freedom).
    pub reduced_chi2: Option<f64>,
    /// Akaike information criterion `m ln(χ²/m) + 2k` (`None` for an exact
    /// fit, χ² = 0).
    pub aic: Option<f64>,
    /// Bayesian information criterion `m ln(χ²/m) + k ln m` (`None` for an
    /// exact fit).
    pub bic: Option<f64>,
    /// Covariance `σ̂² (JᵀJ)⁺` in user units (pseudo-inverse on the
    /// directions the data determine; `None` with no degrees of freedom).
    pub covariance: Option<DMatrix<f64>>,
    /// Correlation matrix (entries of parameters without a standard error
    /// are 0 off the diagonal; `None` with the covariance).
    pub correlation: Option<DMatrix<f64>>,
    /// Residuals at the optimum.
    pub residuals: Vec<f64>,
    /// Solver iterations.
    pub iterations: u64,
    /// Integrations done.
    pub evaluations: Evaluations,
    /// Identifiability diagnosis.
    pub identifiability: Identifiability,
    /// Why figures are missing: no degrees of freedom, parameters the data
    /// do not determine.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The pieces a report is made of.
pub(crate) struct ReportInput<'a> {
    pub solver: String,
    pub termination: Termination,
    pub names: Vec<String>,
    pub values: Vec<f64>,
    pub initial: Vec<f64>,
    /// `∂r/∂p` in user units.
    pub jacobian: &'a DMatrix<f64>,
    pub residuals: &'a DVector<f64>,
    pub iterations: u64,
    pub evaluations: Evaluations,
}

impl FitReport {
    pub(crate) fn new(input: ReportInput<'_>) -> Self {
        let ReportInput { solver, termination, names, values, initial, jacobian, residuals, iterations, evaluations } =
            input;
        let (m, k) = (residuals.len(), values.len());
        let chi2 = residuals.norm_squared();
        let dof = m.saturating_sub(k);
        let s2 = (dof > 0).then(|| chi2 / dof as f64);
        // Scale columns by |p| so singular values compare relative changes.
        let scale: Vec<f64> = values.iter().map(|v| if *v != 0.0 { v.abs() } else { 1.0 }).collect();
        let mut js = jacobian.clone();
        for (c, s) in scale.iter().enumerate() {
            js.column_mut(c).scale_mut(*s);
        }
        let svd = js.svd(false, true);
        let (sv, vt) = (svd.singular_values.clone(), svd.v_t.clone().expect("V requested"));
        let smax = sv.max();
        let describe = |i: usize| -> String {
            let row = vt.row(i);
            let terms: Vec<String> =
                (0..k).filter(|&c| row[c].abs() > 0.1).map(|c| format!("{:+.2}·ln({})", row[c], names[c])).collect();
            format!("{} (relative singular value {:.1e})", terms.join(" "), sv[i] / smax)
        };
        let mut identifiability =
            Identifiability { singular_values: Vec::new(), unidentifiable: Vec::new(), poorly_determined: Vec::new() };
        let mut order: Vec<usize> = (0..sv.len()).collect();
        order.sort_by(|a, b| sv[*b].total_cmp(&sv[*a]));
        let mut null_weight = vec![0.0; k];
        for &i in &order {
            identifiability.singular_values.push(sv[i]);
            let rel = if smax > 0.0 { sv[i] / smax } else { 0.0 };
            if rel < 1e-8 {
                identifiability.unidentifiable.push(describe(i));
                for c in 0..k {
                    null_weight[c] += vt[(i, c)] * vt[(i, c)];
                }
            } else if rel < 1e-4 {
                identifiability.poorly_determined.push(describe(i));
            }
        }
        // Covariance in scaled coordinates from the SVD (pseudo-inverse on the
        // determined subspace), then back to user units.
        let covariance = s2.map(|s2| {
            let mut cov = DMatrix::zeros(k, k);
            for i in 0..sv.len() {
                if smax > 0.0 && sv[i] / smax >= 1e-8 {
                    let v = vt.row(i).transpose();
                    cov += &v * v.transpose() / (sv[i] * sv[i]);
                }
            }
            DMatrix::from_fn(k, k, |a, b| cov[(a, b)] * s2 * scale[a] * scale[b])
        });
        let determined = |c: usize| null_weight[c] <= 1e-2;
        let tq = student_t_quantile(0.975, dof.max(1) as f64);
        let estimates = (0..k)
            .map(|c| {
                let se = covariance.as_ref().filter(|_| determined(c)).map(|cov| cov[(c, c)].max(0.0).sqrt());
                Estimate {
                    name: names[c].clone(),
                    value: values[c],
                    std_error: se,
                    ci95: se.map(|se| [values[c] - tq * se, values[c] + tq * se]),
                    initial: initial[c],
                }
            })
            .collect::<Vec<_>>();
        let correlation = covariance.as_ref().map(|cov| {
            DMatrix::from_fn(k, k, |a, b| {
                let d = (cov[(a, a)] * cov[(b, b)]).sqrt();
                match (a == b, determined(a) && determined(b) && d > 0.0) {
                    (true, _) => 1.0,
                    (false, true) => cov[(a, b)] / d,
                    (false, false) => 0.0,
                }
            })
        });
        let mut notes = Vec::new();
        if dof == 0 {
            notes.push(format!(
                "no degrees of freedom ({m} observations for {k} parameters): no variance estimate, so no covariance, standard errors or intervals"
            ));
        }
        let undetermined: Vec<&str> = (0..k).filter(|&c| !determined(c)).map(|c| names[c].as_str()).collect();
        if !undetermined.is_empty() {
            notes.push(format!(
                "not determined by the data: {} (no standard error or interval; see identifiability)",
                undetermined.join(", ")
            ));
        }
        let mf = m as f64;
        let ll = mf * (chi2 / mf).ln();
        FitReport {
            solver,
            converged: termination.converged(),
            termination,
            estimates,
            cost: 0.5 * chi2,
            chi2,
            n_observations: m,
            dof,
            reduced_chi2: s2,
            aic: (chi2 > 0.0).then_some(ll + 2.0 * k as f64),
            bic: (chi2 > 0.0).then_some(ll + k as f64 * mf.ln()),
            covariance,
            correlation,
            residuals: residuals.as_slice().to_vec(),
            iterations,
            evaluations,
            identifiability,
            notes,
        }
    }

    /// The estimate of a parameter by name.
    pub fn estimate(&self, name: &str) -> Option<&Estimate> {
        self.estimates.iter().find(|e| e.name == name)
    }

    /// The best-fit values, in order.
    pub fn values(&self) -> Vec<f64> {
        self.estimates.iter().map(|e| e.value).collect()
    }
}

impl fmt::Display for FitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} ({} iterations, {} + {} integrations)",
            self.solver, self.termination, self.iterations, self.evaluations.residuals, self.evaluations.jacobians
        )?;
        writeln!(
            f,
            "{:<14} {:>14} {:>12} {:>27}  {:>12}",
            "parameter", "estimate", "std. error", "95% interval", "start"
        )?;
        for e in &self.estimates {
            let (se, ci) = match (e.std_error, e.ci95) {
                (Some(se), Some([lo, hi])) => (format!("{se:>12.3e}"), format!("[{lo:>12.5e}, {hi:>12.5e}]")),
                _ => (format!("{:>12}", "—"), format!("{:>27}", "—")),
            };
            writeln!(f, "{:<14} {:>14.6e} {se} {ci}  {:>12.4e}", e.name, e.value, e.initial)?;
        }
        let or_dash = |x: Option<f64>, digits: usize| x.map_or("—".to_string(), |v| format!("{v:.digits$e}"));
        writeln!(
            f,
            "cost ½Σr² = {:.6e}, χ² = {:.6e}, dof = {}, χ²/dof = {}",
            self.cost,
            self.chi2,
            self.dof,
            or_dash(self.reduced_chi2, 4)
        )?;
        let or_dash_f = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.3}"));
        writeln!(f, "AIC = {}, BIC = {}", or_dash_f(self.aic), or_dash_f(self.bic))?;
        let k = self.estimates.len();
        if let Some(corr) = self.correlation.as_ref().filter(|_| k > 1) {
            writeln!(f, "correlation:")?;
            for a in 0..k {
                write!(f, "  {:<12}", self.estimates[a].name)?;
                for b in 0..=a {
                    write!(f, " {:>6.3}", corr[(a, b)])?;
                }
                writeln!(f)?;
            }
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        for u in &self.identifiability.unidentifiable {
            writeln!(f, "NOT IDENTIFIABLE: {u}")?;
        }
        for u in &self.identifiability.poorly_determined {
            writeln!(f, "poorly determined: {u}")?;
        }
        Ok(())
    }
}

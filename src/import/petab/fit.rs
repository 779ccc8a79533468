//! Fitting a PEtab problem: maximum likelihood by Levenberg–Marquardt on
//! the estimated parameters' scales, within their bounds, from many starts.
//!
//! With normal noise, `-log L = ½ Σ r_i² + Σ ln σ_i + const` with
//! `r_i = (h_i - m_i)/σ_i`; the noise term is written as a residual too,
//! `e_i = sqrt(2 ln σ_i + C)` (as Data2Dynamics does), so that `½‖(r, e)‖²`
//! is `-log L` up to a constant and a least-squares solver fits noise
//! parameters along with the others. The Jacobian comes from dual numbers
//! through the same integration.

use super::problem::Measurement;
use super::{Distribution, Petab, Settings, Transformation};
use crate::fit::LevenbergMarquardt;
use crate::random::SampleRng;
use crate::scalar::{Derivatives, InlineDual64};
use crate::{DualScalar, Error};
use argmin::core::{Executor, Jacobian, Operator, State};
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// The constant under the noise residual's square root: positive for
/// every σ above e^-25 ≈ 1.4e-11.
const NOISE_OFFSET: f64 = 50.0;

/// Directions per Jacobian pass.
const CHUNK: usize = 8;

/// How a multistart runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitSettings {
    /// Number of starts, drawn uniformly within the bounds on the
    /// parameters' scales.
    pub starts: usize,
    /// Seed of the starts: start `i` draws from the stream `(seed, i)`, so
    /// a start is the same whichever shard or thread runs it.
    pub seed: u64,
    /// Iteration limit per start.
    pub max_iters: u64,
    /// A progress bar on the terminal.
    pub progress: bool,
}

impl Default for FitSettings {
    /// 20 starts, seed 0, 200 iterations each, no progress bar.
    fn default() -> Self {
        FitSettings { starts: 20, seed: 0, max_iters: 200, progress: false }
    }
}

/// One start's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartResult {
    /// The start's index (its random stream).
    pub index: usize,
    /// Where it started, on the parameters' scales.
    pub start: Vec<f64>,
    /// Where it ended (empty if it failed).
    pub theta: Vec<f64>,
    /// The log-likelihood there (`None` if it failed).
    pub log_likelihood: Option<f64>,
    /// The objective priors' log-density there, for a problem with priors
    /// (the fit maximizes the sum of both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_prior: Option<f64>,
    /// Iterations taken.
    pub iterations: u64,
    /// Why it stopped, or the error that ended it.
    pub termination: String,
}

impl StartResult {
    /// The log-likelihood plus the priors' log-density: what the fit
    /// maximizes (`None` if the start failed).
    pub fn log_posterior(&self) -> Option<f64> {
        self.log_likelihood.map(|l| l + self.log_prior.unwrap_or(0.0))
    }
}

/// An estimate with its Wald interval on the parameter's scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// `parameterId`.
    pub id: String,
    /// The value on the parameter's scale.
    pub value: f64,
    /// Its standard error (from the Gauss–Newton approximation of the
    /// Hessian of `-log L`; `None` where it is singular or the parameter
    /// is on a bound).
    pub standard_error: Option<f64>,
    /// 95% interval on the parameter's scale.
    pub interval: Option<(f64, f64)>,
    /// Whether the value is on a bound (within 1e-6 of the scale's range).
    pub at_bound: bool,
}

/// A multistart fit of a PEtab problem.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PetabFit {
    /// The problem's name.
    pub problem: String,
    /// The integration settings.
    pub settings: Settings,
    /// The multistart settings.
    pub fit: FitSettings,
    /// Every start run, best first (failed starts last).
    pub starts: Vec<StartResult>,
    /// The best start's estimates with intervals.
    pub estimates: Vec<Estimate>,
}

impl PetabFit {
    /// The best log-posterior found (the log-likelihood for a problem
    /// without priors).
    pub fn best(&self) -> Option<f64> {
        self.starts.first().and_then(StartResult::log_posterior)
    }
}

/// The residuals and their Jacobian, for the least-squares solver.
struct Objective<'a> {
    problem: &'a Petab,
    settings: &'a Settings,
    /// The point of the last Jacobian and the residuals there, so that
    /// asking for them after the Jacobian costs nothing.
    memo: Mutex<Option<(Vec<f64>, Vec<f64>)>>,
}

impl Operator for Objective<'_> {
    type Param = Vec<f64>;
    type Output = Vec<f64>;
    fn apply(&self, theta: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        if let Some((at, r)) = self.memo.lock().expect("memo lock").as_ref()
            && at == theta
        {
            return Ok(r.clone());
        }
        Ok(self.problem.residuals(theta.as_slice(), self.settings)?)
    }
}

impl Jacobian for Objective<'_> {
    type Param = Vec<f64>;
    type Jacobian = DMatrix<f64>;
    fn jacobian(&self, theta: &Vec<f64>) -> Result<DMatrix<f64>, argmin::core::Error> {
        let (r, jacobian) = self.problem.residual_jacobian(theta, self.settings)?;
        *self.memo.lock().expect("memo lock") = Some((theta.clone(), r));
        Ok(jacobian)
    }
}

impl Petab {
    /// The residuals `(r_i, e_i)` of every measurement (see the [module
    /// documentation](self)): `½‖·‖²` is `-log L` up to a constant.
    ///
    /// # Errors
    /// As [`log_likelihood`](Self::log_likelihood); also
    /// [`Error::InvalidOption`] for Laplace noise (not a sum of squares).
    fn residuals<D: DualScalar>(&self, theta: &[D], settings: &Settings) -> Result<Vec<D>, Error> {
        let mut out = Vec::with_capacity(2 * self.size().1);
        self.each_prediction(theta, settings, |m: &Measurement, h: D, sigma: D| {
            let o = &self.observables[m.observable];
            if o.distribution == Distribution::Laplace {
                return Err(Error::InvalidOption {
                    name: "noiseDistribution",
                    reason: format!("observable `{}`: fitting Laplace noise is not supported yet", o.id),
                });
            }
            let h = match o.transformation {
                Transformation::Lin => h,
                Transformation::Log => h.ln(),
                Transformation::Log10 => h.log10(),
            };
            let data = match o.transformation {
                Transformation::Lin => m.value,
                Transformation::Log => m.value.ln(),
                Transformation::Log10 => m.value.log10(),
            };
            let noise = sigma.ln() * 2.0 + NOISE_OFFSET;
            if noise.re() <= 0.0 {
                let reason = format!("noise σ = {} of `{}` is too small to fit", sigma.re(), o.id);
                return Err(Error::InvalidPrediction { file: m.file.clone(), line: m.line, reason });
            }
            out.push((h - D::from(data)) / sigma);
            out.push(noise.sqrt());
            Ok(())
        })?;
        for (p, &t) in self.estimated().iter().zip(theta) {
            if let Some(prior) = p.prior {
                let q = prior.residuals(p.scale.unscale_with(t), t, (p.lower, p.upper), p.scale);
                out.extend(q.map_err(|reason| Error::InvalidOption {
                    name: "objectivePriorType",
                    reason: format!("parameter `{}`: {reason}", p.id),
                })?);
            }
        }
        Ok(out)
    }

    /// The residuals and their Jacobian with respect to `theta`.
    fn residual_jacobian(&self, theta: &[f64], settings: &Settings) -> Result<(Vec<f64>, DMatrix<f64>), Error> {
        if self.gradient_order.is_empty() {
            let primal = self.residuals(theta, settings)?;
            return Ok((primal.clone(), DMatrix::zeros(primal.len(), theta.len())));
        }
        let (mut primal, mut jacobian) = (Vec::new(), DMatrix::zeros(0, 0));
        for (c, chunk) in self.gradient_order.chunks(CHUNK).enumerate() {
            let seeded = seed::<CHUNK>(theta, chunk);
            let r = self.residuals(&seeded, settings)?;
            if c == 0 {
                primal = r.iter().map(|v| v.re).collect();
                jacobian = DMatrix::zeros(r.len(), theta.len());
            }
            for (i, ri) in r.iter().enumerate() {
                for (l, &j) in chunk.iter().enumerate() {
                    jacobian[(i, j)] = ri.eps_part(l);
                }
            }
        }
        Ok((primal, jacobian))
    }

    /// Fit from one start.
    fn fit_from(&self, index: usize, start: Vec<f64>, settings: &Settings, fit: &FitSettings) -> StartResult {
        let (lower, upper): (Vec<f64>, Vec<f64>) = self.bounds().into_iter().unzip();
        let failed = StartResult {
            index,
            start,
            theta: Vec::new(),
            log_likelihood: None,
            log_prior: None,
            iterations: 0,
            termination: String::new(),
        };
        let run = || -> Result<StartResult, Error> {
            let solver = LevenbergMarquardt::new()
                .with_bounds(lower.clone(), upper.clone())
                .map_err(|e| Error::Solver { reason: e.to_string() })?;
            let objective = Objective { problem: self, settings, memo: Mutex::new(None) };
            let res = Executor::new(objective, solver)
                .configure(|s| s.param(failed.start.clone()).max_iters(fit.max_iters))
                .run()
                .map_err(|e| Error::Solver { reason: e.to_string() })?;
            let theta = res.state.best_param.clone().ok_or(Error::Solver { reason: "no best point".into() })?;
            Ok(StartResult {
                log_likelihood: Some(self.log_likelihood(&theta, settings)?),
                log_prior: self.has_priors().then(|| self.log_prior(&theta)).transpose()?,
                theta,
                iterations: res.state.get_iter(),
                termination: res.state.get_termination_status().to_string(),
                ..failed.clone()
            })
        };
        run().unwrap_or_else(|e| StartResult { termination: e.to_string(), ..failed.clone() })
    }

    /// Start `index` of a multistart seeded with `seed`: uniform within the
    /// bounds on the parameters' scales.
    pub fn start(&self, seed: u64, index: usize) -> Vec<f64> {
        let mut rng = SampleRng::for_sample(seed, index as u64);
        self.bounds().into_iter().map(|(l, u)| l + (u - l) * rng.uniform()).collect()
    }

    /// Run the starts `indices` of a multistart (all of them for a whole
    /// fit, a share of them for one shard), in parallel, best first.
    pub fn run_starts(
        &self,
        indices: impl IntoIterator<Item = usize>,
        settings: &Settings,
        fit: &FitSettings,
    ) -> Vec<StartResult> {
        let indices: Vec<usize> = indices.into_iter().collect();
        let bar = crate::progress::bar(indices.len() as u64, "starts", fit.progress);
        let mut results: Vec<StartResult> = indices
            .into_par_iter()
            .map(|i| {
                let r = self.fit_from(i, self.start(fit.seed, i), settings, fit);
                bar.inc(1);
                r
            })
            .collect();
        bar.finish_and_clear();
        sort_best_first(&mut results);
        results
    }

    /// A multistart fit: every start, then intervals at the best point.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for zero starts; the best point's error if
    /// every start failed.
    pub fn fit(&self, settings: &Settings, fit: &FitSettings) -> Result<PetabFit, Error> {
        if fit.starts == 0 {
            return Err(Error::InvalidOption {
                name: "starts",
                reason: "a multistart needs at least one start".into(),
            });
        }
        let starts = self.run_starts(0..fit.starts, settings, fit);
        self.report(starts, settings, fit)
    }

    /// The report of a set of start results (a whole multistart, or the
    /// merged parts of a sharded one): sorted, with intervals at the best.
    ///
    /// # Errors
    /// [`Error::Solver`] when no start succeeded; the Jacobian's error at
    /// the best point.
    pub fn report(
        &self,
        mut starts: Vec<StartResult>,
        settings: &Settings,
        fit: &FitSettings,
    ) -> Result<PetabFit, Error> {
        sort_best_first(&mut starts);
        let best = match starts.first() {
            Some(s) if s.log_likelihood.is_some() => s.theta.clone(),
            _ => {
                let why = starts.first().map_or("no starts".to_string(), |s| s.termination.clone());
                return Err(Error::Solver { reason: format!("every start failed; the first: {why}") });
            }
        };
        let estimates = self.estimates(&best, settings)?;
        Ok(PetabFit { problem: self.name.clone(), settings: settings.clone(), fit: fit.clone(), starts, estimates })
    }

    /// Estimates with Wald intervals from `(JᵀJ)⁻¹` over the parameters
    /// not on a bound.
    fn estimates(&self, theta: &[f64], settings: &Settings) -> Result<Vec<Estimate>, Error> {
        let bounds = self.bounds();
        let at_bound: Vec<bool> = theta
            .iter()
            .zip(&bounds)
            .map(|(t, (l, u))| (t - l).abs() <= 1e-6 * (u - l) || (u - t).abs() <= 1e-6 * (u - l))
            .collect();
        let free: Vec<usize> = (0..theta.len()).filter(|&j| !at_bound[j]).collect();
        let jacobian = self.residual_jacobian(theta, settings)?.1.select_columns(&free);
        let covariance = (jacobian.transpose() * &jacobian).try_inverse();
        let z = crate::random::normal_quantile(0.975);
        Ok(self
            .estimated()
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let se = free.iter().position(|&f| f == j).and_then(|k| {
                    covariance.as_ref().map(|c| c[(k, k)]).filter(|v| v.is_finite() && *v >= 0.0).map(f64::sqrt)
                });
                Estimate {
                    id: p.id.clone(),
                    value: theta[j],
                    standard_error: se,
                    interval: se.map(|s| (theta[j] - z * s, theta[j] + z * s)),
                    at_bound: at_bound[j],
                }
            })
            .collect())
    }
}

/// Best log-likelihood first, failed starts last, ties by index.
fn sort_best_first(starts: &mut [StartResult]) {
    starts.sort_by(|a, b| {
        let key = |s: &StartResult| s.log_posterior().unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a)).then(a.index.cmp(&b.index))
    });
}

/// `theta` as duals seeded in the directions `chunk` (lane `l` is
/// parameter `chunk[l]`).
pub(super) fn seed<const K: usize>(theta: &[f64], chunk: &[usize]) -> Vec<InlineDual64<K>> {
    (0..theta.len())
        .map(|j| {
            let eps = std::array::from_fn(|l| if chunk.get(l) == Some(&j) { 1.0 } else { 0.0 });
            InlineDual64::<K>::from_parts(theta[j], eps)
        })
        .collect()
}

//! Sobol' sensitivity indices by Saltelli's sampling scheme.
//!
//! Two independent `N × d` sample matrices `A`, `B` and, for each input
//! `i`, `A` with column `i` taken from `B` (`A_B⁽ⁱ⁾`): `N (d + 2)` model
//! evaluations. With `V` the variance of all `f(A)` and `f(B)` values,
//!
//! * first order (Saltelli 2010, Table 2 (b)):
//!   `Sᵢ = (1/N) Σⱼ f(B)ⱼ (f(A_B⁽ⁱ⁾)ⱼ − f(A)ⱼ) / V`,
//! * total effect (Jansen 1999): `Sₜᵢ = (1/2N) Σⱼ (f(A)ⱼ − f(A_B⁽ⁱ⁾)ⱼ)² / V`.
//!
//! The rows of `[A B]` are Sobol' low-discrepancy points in `2d`
//! dimensions with a random digital shift (as in Saltelli 2010) for
//! `d ≤ 10`, independent uniform draws otherwise
//! ([`SobolSampling`]).
//!
//! Confidence intervals: percentile bootstrap over the rows `j`, each
//! resample drawn from its own deterministic stream.
//!
//! References: A. Saltelli, P. Annoni, I. Azzini, F. Campolongo, M. Ratto,
//! S. Tarantola, *Variance based sensitivity analysis of model output.
//! Design and estimator for the total sensitivity index*, Computer Physics
//! Communications 181, 259–270 (2010); M. J. W. Jansen, *Analysis of
//! variance designs for model output*, Computer Physics Communications
//! 117, 35–43 (1999); B. Efron, R. Tibshirani, *An Introduction to the
//! Bootstrap*, Chapman & Hall (1993), ch. 13.

use super::dist::Dist;
use super::runner::Plan;
use super::runs::{PointInputs, RunOutput, Runs};
use super::sobol_seq::{MAX_DIM, SobolSeq};
use super::stats::exact_quantile;
use crate::random::{Domain, SampleRng};
use crate::{Algorithm, Error, Model};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A Sobol' analysis: the inputs' distributions, the base sample size `N`,
/// the seed and the bootstrap settings.
///
/// # Example
/// ```
/// use odeon::ensemble::{Dist, Sobol};
/// // f = x0 + 2 x1 on independent U(0, 1): S = (1/5, 4/5), no interaction.
/// let u = Dist::Uniform { low: 0.0, high: 1.0 };
/// let idx = Sobol::new(vec![u, u], 4096)?.seed(1).bootstrap(100).analyze(|x| Ok(x[0] + 2.0 * x[1]))?;
/// assert!((idx.first[0] - 0.2).abs() < 0.03 && (idx.first[1] - 0.8).abs() < 0.03);
/// assert!((idx.total[1] - 0.8).abs() < 0.03);
/// assert!(idx.first_ci[0].0 <= idx.first[0] && idx.first[0] <= idx.first_ci[0].1);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sobol {
    factors: Vec<Dist>,
    sampling: SobolSampling,
    seq: Option<SobolSeq>,
    n_base: u64,
    seed: u64,
    bootstrap: usize,
    confidence: f64,
    threads: Option<usize>,
    progress: bool,
}

/// How the rows of the matrices `A` and `B` are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SobolSampling {
    /// Sobol' points with a random digital shift (up to 10 inputs): errors
    /// shrink nearly as `1/N` instead of `1/√N`.
    QuasiRandom,
    /// Independent uniform draws, row `j` from stream `j`.
    Random,
}

/// First-order and total-effect indices with bootstrap confidence intervals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SobolIndices {
    /// First-order indices `Sᵢ`.
    pub first: Vec<f64>,
    /// Total-effect indices `Sₜᵢ`.
    pub total: Vec<f64>,
    /// Confidence intervals of `Sᵢ` (percentile bootstrap).
    pub first_ci: Vec<(f64, f64)>,
    /// Confidence intervals of `Sₜᵢ`.
    pub total_ci: Vec<(f64, f64)>,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Variance of the output over `A` and `B`.
    pub variance: f64,
    /// Rows `j` used (all their `d + 2` evaluations succeeded).
    pub rows: u64,
    /// Rows dropped because an evaluation failed or was not finite.
    pub failed_rows: u64,
}

impl Sobol {
    /// An analysis of the inputs `factors` with `n_base` rows (`N`);
    /// seed 0, 1000 bootstrap resamples, 95% intervals.
    pub fn new(factors: Vec<Dist>, n_base: u64) -> Result<Self, Error> {
        for (i, d) in factors.iter().enumerate() {
            d.validate(&format!("factor {i}"))?;
        }
        if factors.is_empty() || n_base < 2 {
            return Err(Error::InvalidOption {
                name: "n_base",
                reason: "need at least one factor and two rows".into(),
            });
        }
        let sampling = if 2 * factors.len() <= MAX_DIM { SobolSampling::QuasiRandom } else { SobolSampling::Random };
        Ok(Sobol {
            factors,
            sampling,
            seq: None,
            n_base,
            seed: 0,
            bootstrap: 1000,
            confidence: 0.95,
            threads: None,
            progress: false,
        }
        .with_seq())
    }

    fn with_seq(mut self) -> Self {
        self.seq = match self.sampling {
            SobolSampling::QuasiRandom => {
                SobolSeq::new(2 * self.factors.len(), &mut SampleRng::new(self.seed, Domain::Sobol, 0))
            }
            SobolSampling::Random => None,
        };
        self
    }

    /// The seed of the sample matrices (the digital shift) and of the
    /// bootstrap.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self.with_seq()
    }

    /// Quasi-random (default, up to 10 inputs) or random rows.
    ///
    /// # Errors
    /// `InvalidOption` for quasi-random rows with more than 10 inputs.
    pub fn sampling(mut self, sampling: SobolSampling) -> Result<Self, Error> {
        if sampling == SobolSampling::QuasiRandom && 2 * self.factors.len() > MAX_DIM {
            return Err(Error::InvalidOption {
                name: "sampling",
                reason: format!("quasi-random rows support at most {} inputs", MAX_DIM / 2),
            });
        }
        self.sampling = sampling;
        Ok(self.with_seq())
    }

    /// Number of bootstrap resamples (0: no intervals).
    pub fn bootstrap(mut self, n: usize) -> Self {
        self.bootstrap = n;
        self
    }

    /// Confidence level of the intervals (default 0.95).
    pub fn confidence(mut self, level: f64) -> Self {
        self.confidence = level;
        self
    }

    /// Use `n` threads for the evaluations.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Show a progress bar on stderr (drawn only on a terminal).
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Number of model evaluations, `N (d + 2)`.
    pub fn evaluations(&self) -> u64 {
        self.n_base * (self.factors.len() as u64 + 2)
    }

    /// The inputs of evaluation `k`: row `k / (d + 2)` of `A` (`k mod
    /// (d + 2) = 0`), of `B` (1) or of `A_B⁽ⁱ⁾` (`2 + i`).
    pub fn point(&self, k: u64) -> Vec<f64> {
        let d = self.factors.len();
        let (row, which) = (k / (d as u64 + 2), (k % (d as u64 + 2)) as usize);
        let mut ab = vec![0.0; 2 * d];
        match &self.seq {
            Some(seq) => seq.point(row, &mut ab),
            None => {
                let mut rng = SampleRng::for_sample(self.seed, row);
                ab.iter_mut().for_each(|u| *u = rng.uniform());
            }
        }
        let (a, b) = ab.split_at(d);
        (0..d)
            .map(|i| {
                let u = match which {
                    0 => a[i],
                    1 => b[i],
                    w if w - 2 == i => b[i],
                    _ => a[i],
                };
                self.factors[i].quantile(u)
            })
            .collect()
    }

    /// Evaluate `f` at every point (in parallel, blocks of whole rows) and
    /// estimate the indices.
    ///
    /// # Errors
    /// Invalid settings, fewer than two usable rows, or an output that does
    /// not vary ([`Error::ConstantOutput`]). Evaluations that fail drop
    /// their row (counted in `failed_rows`).
    pub fn analyze<F>(&self, f: F) -> Result<SobolIndices, Error>
    where
        F: Fn(&[f64]) -> Result<f64, Error> + Sync,
    {
        self.analyze_blocks(&|range| range.map(|k| f(&self.point(k)).ok().filter(|v| v.is_finite())).collect())
    }

    /// [`analyze`](Self::analyze) a model's output: at each point `x`,
    /// `output` of the solve by `runs` from the inputs `(y0, p) =
    /// inputs(x)`, the solves of a block of rows integrated together in
    /// lanes where `runs` allow it.
    ///
    /// # Errors
    /// As [`analyze`](Self::analyze); an invalid lane count, and errors
    /// every solve would meet (options, dimensions), found on the first
    /// point.
    ///
    /// # Example
    /// ```
    /// use odeon::ensemble::{Dist, Runs, Sobol};
    /// use odeon::{models::ExponentialDecay, Method, Options};
    /// // y(1) = y0 e^(-k): y0 ~ U(1, 2) and k ~ U(0.5, 1.5).
    /// let runs = Runs::new(&ExponentialDecay, Method::Dopri5, (0.0, 1.0)).options(Options::default().save_final());
    /// let factors = vec![Dist::Uniform { low: 1.0, high: 2.0 }, Dist::Uniform { low: 0.5, high: 1.5 }];
    /// let idx = Sobol::new(factors, 1024)?.bootstrap(0).analyze_runs(
    ///     &runs,
    ///     &|x| (vec![x[0]], vec![x[1]]),
    ///     &|sol| sol.y[0],
    /// )?;
    /// assert!(idx.first[1] > idx.first[0]); // the rate matters more
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn analyze_runs<S, A>(
        &self,
        runs: &Runs<'_, S, A>,
        inputs: &PointInputs<'_>,
        output: &RunOutput<'_>,
    ) -> Result<SobolIndices, Error>
    where
        S: Model + Sync,
        A: Algorithm,
        DefaultAllocator: Allocator<S::Dim>,
    {
        runs.check_point(inputs, &self.point(0))?;
        self.analyze_blocks(&|range| {
            let xs: Vec<Vec<f64>> = range.map(|k| self.point(k)).collect();
            runs.outputs(&xs, inputs, output)
        })
    }

    /// Evaluate every point, a block of whole rows at a time by `eval`
    /// (in parallel, `None` for a failed evaluation), and estimate the
    /// indices.
    fn analyze_blocks(&self, eval: &(dyn Fn(Range<u64>) -> Vec<Option<f64>> + Sync)) -> Result<SobolIndices, Error> {
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(Error::InvalidOption { name: "confidence", reason: "must lie in (0, 1)".into() });
        }
        let d = self.factors.len();
        let width = d as u64 + 2;
        let plan = Plan {
            samples: self.evaluations(),
            block_size: 64 * width,
            blocks: 0..self.n_base.div_ceil(64),
            threads: self.threads,
            progress: self.progress,
            max_in_flight: None,
        };
        let mut y: Vec<Option<f64>> = Vec::with_capacity(plan.samples as usize);
        plan.for_each_block(|_, range| eval(range), |_, v| y.extend(v))?;
        let rows: Vec<&[Option<f64>]> = y.chunks(width as usize).filter(|r| r.iter().all(Option::is_some)).collect();
        let rows: Vec<Vec<f64>> = rows.into_iter().map(|r| r.iter().map(|v| v.unwrap_or(f64::NAN)).collect()).collect();
        let failed_rows = self.n_base - rows.len() as u64;
        if rows.len() < 2 {
            return Err(Error::InvalidOption {
                name: "n_base",
                reason: format!("only {} rows evaluated successfully", rows.len()),
            });
        }
        let all: Vec<usize> = (0..rows.len()).collect();
        // Variance at the level of rounding of the mean: a constant output,
        // whose indices would be 0/0 (or ratios of rounding errors).
        let mean = rows.iter().map(|r| r[0] + r[1]).sum::<f64>() / (2 * rows.len()) as f64;
        let (first, total, variance) = estimate(&rows, d, &all);
        if variance <= (64.0 * f64::EPSILON * mean.abs()).powi(2) {
            return Err(Error::ConstantOutput { rows: rows.len(), value: mean });
        }
        let boots: Vec<Replicate> = (0..self.bootstrap as u64)
            .into_par_iter()
            .map(|r| {
                let mut rng = SampleRng::new(self.seed, Domain::Bootstrap, r);
                let idx: Vec<usize> = (0..rows.len()).map(|_| rng.below(rows.len() as u64) as usize).collect();
                let (s, t, _) = estimate(&rows, d, &idx);
                (s, t)
            })
            .collect();
        let (lo, hi) = ((1.0 - self.confidence) / 2.0, (1.0 + self.confidence) / 2.0);
        let ci = |pick: &dyn Fn(&Replicate) -> f64, point: f64| {
            let mut v: Vec<f64> = boots.iter().map(pick).filter(|x| x.is_finite()).collect();
            if v.is_empty() {
                return (point, point);
            }
            v.sort_by(f64::total_cmp);
            (exact_quantile(&v, lo), exact_quantile(&v, hi))
        };
        let first_ci = (0..d).map(|i| ci(&|b| b.0[i], first[i])).collect();
        let total_ci = (0..d).map(|i| ci(&|b| b.1[i], total[i])).collect();
        Ok(SobolIndices {
            first,
            total,
            first_ci,
            total_ci,
            confidence: self.confidence,
            variance,
            rows: rows.len() as u64,
            failed_rows,
        })
    }
}

/// First-order and total indices of one bootstrap replicate.
type Replicate = (Vec<f64>, Vec<f64>);

/// The estimators over the rows `idx` (with repetition for the bootstrap).
/// Row layout: `[f(A), f(B), f(A_B⁽⁰⁾), …]`.
fn estimate(rows: &[Vec<f64>], d: usize, idx: &[usize]) -> (Vec<f64>, Vec<f64>, f64) {
    let n = idx.len() as f64;
    let mean = idx.iter().map(|&j| rows[j][0] + rows[j][1]).sum::<f64>() / (2.0 * n);
    let var = idx.iter().map(|&j| (rows[j][0] - mean).powi(2) + (rows[j][1] - mean).powi(2)).sum::<f64>() / (2.0 * n);
    let mut first = vec![0.0; d];
    let mut total = vec![0.0; d];
    for &j in idx {
        let r = &rows[j];
        for i in 0..d {
            first[i] += r[1] * (r[2 + i] - r[0]);
            total[i] += (r[0] - r[2 + i]).powi(2);
        }
    }
    for i in 0..d {
        first[i] /= n * var;
        total[i] /= 2.0 * n * var;
    }
    (first, total, var)
}

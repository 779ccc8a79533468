//! Morris elementary effects for screening many inputs cheaply.
//!
//! `r` random one-at-a-time trajectories on a `p`-level grid of the unit
//! cube, step `Δ = p / (2(p − 1))`: each trajectory moves every input once
//! (in random order and direction), `d + 1` evaluations. The elementary
//! effect of input `i` is `EEᵢ = (f(x + Δ eᵢ) − f(x)) / Δ` in unit-cube
//! coordinates. Reported per input: `μ` (mean EE), `μ*` (mean |EE|,
//! Campolongo's variant, robust to effects of both signs) and `σ` (their
//! standard deviation: non-linearity or interactions).
//!
//! Unit-cube coordinates `u` map to an input by its quantile function:
//! directly for uniform inputs; for unbounded ones (normal, log-normal) at
//! the centres of `p` equiprobable strata, `(u (p − 1) + ½) / p`.
//!
//! References: M. D. Morris, *Factorial sampling plans for preliminary
//! computational experiments*, Technometrics 33(2), 161–174 (1991);
//! F. Campolongo, J. Cariboni, A. Saltelli, *An effective screening design
//! for sensitivity analysis of large models*, Environmental Modelling &
//! Software 22, 1509–1518 (2007).

use super::dist::Dist;
use super::runner::Plan;
use super::runs::{PointInputs, RunOutput, Runs};
use crate::random::{Domain, SampleRng};
use crate::{Algorithm, Error, Model};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use serde::{Deserialize, Serialize};

/// The outputs at a block's points (`None`: the evaluation failed).
type BlockEval<'f> = dyn Fn(&[Vec<f64>]) -> Vec<Option<f64>> + Sync + 'f;

/// A Morris screening design.
///
/// # Example
/// ```
/// use odeon::ensemble::{Dist, Morris};
/// // f = 3 x0 − x1 on U(0, 1)², x2 unused: μ* = (3, 1, 0) exactly.
/// let u = Dist::Uniform { low: 0.0, high: 1.0 };
/// let m = Morris::new(vec![u, u, u], 20, 4)?.analyze(|x| Ok(3.0 * x[0] - x[1]))?;
/// assert!((m.mu_star[0] - 3.0).abs() < 1e-12 && (m.mu[1] + 1.0).abs() < 1e-12);
/// assert_eq!(m.mu_star[2], 0.0);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Morris {
    factors: Vec<Dist>,
    trajectories: u64,
    levels: u32,
    seed: u64,
    threads: Option<usize>,
}

/// Elementary-effect statistics per input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MorrisIndices {
    /// Mean elementary effect.
    pub mu: Vec<f64>,
    /// Mean absolute elementary effect (Campolongo's μ*).
    pub mu_star: Vec<f64>,
    /// Standard deviation of the elementary effects (`n − 1` divisor).
    pub sigma: Vec<f64>,
    /// Trajectories used.
    pub trajectories: u64,
    /// Trajectories dropped because an evaluation failed.
    pub failed_trajectories: u64,
}

impl Morris {
    /// `trajectories` trajectories on a grid of `levels` (even, ≥ 2) levels.
    pub fn new(factors: Vec<Dist>, trajectories: u64, levels: u32) -> Result<Self, Error> {
        for (i, d) in factors.iter().enumerate() {
            d.validate(&format!("factor {i}"))?;
        }
        if levels < 2 || !levels.is_multiple_of(2) {
            return Err(Error::InvalidOption {
                name: "levels",
                reason: format!("must be even and at least 2, got {levels}"),
            });
        }
        if factors.is_empty() || trajectories < 2 {
            return Err(Error::InvalidOption {
                name: "trajectories",
                reason: "need a factor and two trajectories".into(),
            });
        }
        Ok(Morris { factors, trajectories, levels, seed: 0, threads: None })
    }

    /// The seed of the trajectories.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Use `n` threads.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Trajectory `r` in unit-cube coordinates: `d + 1` points and, per
    /// step, the input moved and its direction.
    pub fn trajectory(&self, r: u64) -> (Vec<Vec<f64>>, Vec<(usize, f64)>) {
        let d = self.factors.len();
        let p = f64::from(self.levels);
        let delta = p / (2.0 * (p - 1.0));
        let mut rng = SampleRng::new(self.seed, Domain::Morris, r);
        let mut order: Vec<usize> = (0..d).collect();
        for i in (1..d).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut x = Vec::with_capacity(d);
        let mut dirs = vec![0.0; d];
        for dir in dirs.iter_mut() {
            let level = rng.below(u64::from(self.levels / 2)) as f64 / (p - 1.0);
            *dir = if rng.below(2) == 0 { 1.0 } else { -1.0 };
            x.push(if *dir > 0.0 { level } else { level + delta });
        }
        let mut points = vec![x.clone()];
        let mut steps = Vec::with_capacity(d);
        for &i in &order {
            x[i] += dirs[i] * delta;
            points.push(x.clone());
            steps.push((i, dirs[i]));
        }
        (points, steps)
    }

    fn to_inputs(&self, u: &[f64]) -> Vec<f64> {
        let p = f64::from(self.levels);
        u.iter()
            .zip(&self.factors)
            .map(|(&u, d)| match d {
                Dist::Fixed(_) | Dist::Uniform { .. } => d.quantile(u),
                _ => d.quantile((u * (p - 1.0) + 0.5) / p),
            })
            .collect()
    }

    /// Evaluate `f` along every trajectory (in parallel) and compute the
    /// statistics of the elementary effects.
    ///
    /// # Errors
    /// Fewer than two trajectories without failures.
    pub fn analyze<F>(&self, f: F) -> Result<MorrisIndices, Error>
    where
        F: Fn(&[f64]) -> Result<f64, Error> + Sync,
    {
        self.analyze_blocks(&|xs| xs.iter().map(|x| f(x).ok().filter(|v| v.is_finite())).collect())
    }

    /// [`analyze`](Self::analyze) a model's output: at each point `x`,
    /// `output` of the solve by `runs` from the inputs `(y0, p) =
    /// inputs(x)`, the solves of a block of trajectories integrated
    /// together in lanes where `runs` allow it.
    ///
    /// # Errors
    /// As [`analyze`](Self::analyze); an invalid lane count, and errors
    /// every solve would meet (options, dimensions), found on the first
    /// point.
    pub fn analyze_runs<S, A>(
        &self,
        runs: &Runs<'_, S, A>,
        inputs: &PointInputs<'_>,
        output: &RunOutput<'_>,
    ) -> Result<MorrisIndices, Error>
    where
        S: Model + Sync,
        A: Algorithm,
        DefaultAllocator: Allocator<S::Dim>,
    {
        runs.check_point(inputs, &self.to_inputs(&self.trajectory(0).0[0]))?;
        self.analyze_blocks(&|xs| runs.outputs(xs, inputs, output))
    }

    /// Evaluate the points of every trajectory, a block of trajectories
    /// at a time by `eval` (in parallel, `None` for a failed evaluation),
    /// and compute the statistics of the elementary effects.
    fn analyze_blocks(&self, eval: &BlockEval<'_>) -> Result<MorrisIndices, Error> {
        let d = self.factors.len();
        let delta = f64::from(self.levels) / (2.0 * (f64::from(self.levels) - 1.0));
        let plan = Plan {
            samples: self.trajectories,
            block_size: 16,
            blocks: 0..self.trajectories.div_ceil(16),
            threads: self.threads,
            progress: false,
            max_in_flight: None,
        };
        let mut effects: Vec<Vec<f64>> = Vec::new();
        let mut failed = 0;
        plan.for_each_block(
            |_, range| {
                let trajectories: Vec<_> = range.map(|r| self.trajectory(r)).collect();
                let xs: Vec<Vec<f64>> =
                    trajectories.iter().flat_map(|(points, _)| points.iter().map(|u| self.to_inputs(u))).collect();
                let ys = eval(&xs);
                trajectories
                    .iter()
                    .zip(ys.chunks(d + 1))
                    .map(|((_, steps), ys)| {
                        let ys: Option<Vec<f64>> = ys.iter().copied().collect();
                        ys.map(|ys| {
                            let mut ee = vec![0.0; d];
                            for (m, &(i, dir)) in steps.iter().enumerate() {
                                ee[i] = dir * (ys[m + 1] - ys[m]) / delta;
                            }
                            ee
                        })
                    })
                    .collect::<Vec<_>>()
            },
            |_, v| {
                for ee in v {
                    match ee {
                        Some(ee) => effects.push(ee),
                        None => failed += 1,
                    }
                }
            },
        )?;
        let n = effects.len();
        if n < 2 {
            return Err(Error::InvalidOption {
                name: "trajectories",
                reason: format!("only {n} trajectories succeeded"),
            });
        }
        let nf = n as f64;
        let mu: Vec<f64> = (0..d).map(|i| effects.iter().map(|e| e[i]).sum::<f64>() / nf).collect();
        let mu_star = (0..d).map(|i| effects.iter().map(|e| e[i].abs()).sum::<f64>() / nf).collect();
        let sigma =
            (0..d).map(|i| (effects.iter().map(|e| (e[i] - mu[i]).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt()).collect();
        Ok(MorrisIndices { mu, mu_star, sigma, trajectories: n as u64, failed_trajectories: failed })
    }
}

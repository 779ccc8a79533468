//! Multistart: Latin-hypercube starts inside the bounds, fitted in
//! parallel, deterministic for a seed.

use super::{FitOptions, FitReport, Observable, Outcome, report_at, run_solver};
use crate::ensemble::{Dist, LatinHypercube, SampleRng, Sampler};
use crate::fit::FitProblem;
use crate::{Algorithm, Error, Model};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How many starts, from which seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Multistart {
    /// Number of starts (Latin hypercube in the bounds, in solver
    /// coordinates: log-uniform for log-transformed parameters).
    pub starts: usize,
    /// Seed: the same seed gives the same starts and results for any
    /// number of threads.
    pub seed: u64,
    /// Show progress on stderr (when it is a terminal).
    pub progress: bool,
}

/// A distinct local optimum found by one or more starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalOptimum {
    /// Its cost `½Σr²`.
    pub cost: f64,
    /// Its parameter values (user units).
    pub values: Vec<f64>,
    /// How many starts ended there.
    pub starts: usize,
}

/// The best fit and every distinct optimum, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultistartReport {
    /// The full report at the best optimum (evaluation counts over all starts).
    pub best: FitReport,
    /// Distinct local optima, by increasing cost.
    pub optima: Vec<LocalOptimum>,
    /// Starts that failed (model not integrable at the start, solver error).
    pub failed: usize,
}

/// Fit from `ms.starts` Latin-hypercube starts in parallel (rayon) and
/// return the best fit and the distinct local optima.
///
/// Each start's solves run one at a time, not in lanes
/// ([`Runs::lanes`](crate::ensemble::Runs::lanes)): they carry the
/// sensitivity directions (a dual number of width 4–8), whose arithmetic
/// already keeps the processor's pipeline full, and lanes of them were
/// measured no faster (1.03×, `docs/benchmarks.md`, section 5).
///
/// # Errors
/// Every free parameter needs finite bounds; the problem must be valid. If
/// every start fails, the error of the first.
///
/// # Example
/// ```
/// use odeon::fit::{multistart, Data, Experiment, FitOptions, FitProblem, Multistart, Parameter, States};
/// use odeon::{models::ExponentialDecay, Method};
/// let t: Vec<f64> = (1..=6).map(f64::from).collect();
/// let y: Vec<f64> = t.iter().map(|t| (-0.4 * t).exp()).collect();
/// let problem = FitProblem::new(&ExponentialDecay, Method::Tsit5, States(vec![0]))
///     .parameter(Parameter::new("k", 1.0).bounds(0.01, 10.0).log())
///     .experiment(Experiment::new("e", &[1.0], Data::new(t, y)?));
/// let ms = Multistart { starts: 8, seed: 1, progress: false };
/// let r = multistart(&problem, &FitOptions::default(), &ms)?;
/// assert!((r.best.values()[0] - 0.4).abs() < 1e-6);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn multistart<S, O, A>(
    problem: &FitProblem<'_, S, O, A>,
    options: &FitOptions,
    ms: &Multistart,
) -> Result<MultistartReport, Error>
where
    S: Model + Sync,
    O: Observable + Sync,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    let layout = problem.validate()?;
    let (lo, hi) = layout.bounds();
    for (slot, (l, h)) in layout.free.iter().zip(lo.iter().zip(&hi)) {
        if !(l.is_finite() && h.is_finite()) {
            return Err(Error::InvalidParameter {
                name: slot.parameter.name.clone(),
                reason: "multistart draws starts inside the bounds: give finite bounds".into(),
            });
        }
    }
    if ms.starts == 0 {
        return Err(Error::InvalidOption { name: "starts", reason: "multistart needs at least one start".into() });
    }
    // The ensemble's Latin hypercube, uniform in solver coordinates.
    let dims = lo.iter().zip(&hi).map(|(&low, &high)| Dist::Uniform { low, high }).collect();
    let lhs = LatinHypercube::new(Vec::new(), dims, ms.starts as u64, ms.seed)?;
    let starts: Vec<Vec<f64>> =
        (0..ms.starts as u64).map(|i| lhs.sample(i, &mut SampleRng::for_sample(ms.seed, i)).p).collect();
    let bar = crate::progress::bar(ms.starts as u64, "starts", ms.progress);
    let results: Vec<Result<(Outcome, f64), Error>> = starts
        .into_par_iter()
        .map(|z0| {
            let result =
                run_solver(problem.objective_for(layout.clone()), z0, options).and_then(|(mut outcome, obj)| {
                    let cost = 0.5 * obj.residuals(&outcome.z)?.norm_squared();
                    outcome.evaluations = obj.evaluations();
                    Ok((outcome, cost))
                });
            bar.inc(1);
            result
        })
        .collect();
    bar.finish_and_clear();
    let mut evaluations = (0, 0);
    let mut found: Vec<(f64, Outcome)> = Vec::new();
    let mut first_error = None;
    for r in results {
        match r {
            Ok((outcome, cost)) if cost.is_finite() => {
                evaluations = (evaluations.0 + outcome.evaluations.0, evaluations.1 + outcome.evaluations.1);
                found.push((cost, outcome));
            }
            Ok(_) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let failed = ms.starts - found.len();
    if found.is_empty() {
        return Err(first_error.unwrap_or(Error::Solver { reason: "no start produced a finite cost".into() }));
    }
    // Stable sort: equal costs keep start order, so the result does not
    // depend on scheduling.
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut optima: Vec<(LocalOptimum, Vec<f64>)> = Vec::new();
    for (cost, outcome) in &found {
        let same = |z: &Vec<f64>| {
            let d: f64 = z.iter().zip(&outcome.z).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
            let n: f64 = z.iter().map(|a| a * a).sum::<f64>().sqrt();
            d <= 1e-4 * (1.0 + n)
        };
        match optima.iter_mut().find(|(o, z)| same(z) && (o.cost - cost).abs() <= 1e-6 * (1.0 + cost.abs())) {
            Some((o, _)) => o.starts += 1,
            None => optima
                .push((LocalOptimum { cost: *cost, values: layout.values(&outcome.z), starts: 1 }, outcome.z.clone())),
        }
    }
    let (_, mut best) = found.swap_remove(0);
    best.evaluations = evaluations;
    let report = report_at(&problem.objective_for(layout), best, options)?;
    Ok(MultistartReport { best: report, optima: optima.into_iter().map(|(o, _)| o).collect(), failed })
}

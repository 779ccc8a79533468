//! Monte Carlo ensembles: many solves with uncertain inputs, on all cores,
//! reproducibly, with streaming statistics that merge across machines.
//!
//! An [`Ensemble`] is a model, a method, a time span, options, a number of
//! samples and a [`Sampler`] that draws sample `i`'s `(y0, p)` from its own
//! random stream ([`SampleRng`], seeded by `(seed, i)`). [`Ensemble::run`]
//! integrates every sample with rayon and returns an [`EnsembleSummary`]:
//! per saved time and component the mean, variance, min, max and
//! quantiles, plus the failed samples with their inputs and errors.
//!
//! Results do not depend on the number of threads, nor on how the samples
//! are split into shards: samples are reduced in blocks of consecutive
//! indices, and blocks are combined along a fixed dyadic tree (see the
//! module `tree`), so [`EnsembleSummary::merge`] of the shards' summaries is
//! the unsharded summary bit for bit.
//!
//! ```
//! use odeon::ensemble::{Dist, Ensemble, Independent};
//! use odeon::{models::ExponentialDecay, Method, Options};
//!
//! // y' = -k y, y(0) = 1, k ~ U(0.5, 1.5): E[y(1)] = (e^-0.5 - e^-1.5) / 1.
//! let sampler = Independent::new(vec![Dist::Fixed(1.0)], vec![Dist::Uniform { low: 0.5, high: 1.5 }])?;
//! let summary = Ensemble::new(&ExponentialDecay, Method::Tsit5, (0.0, 1.0), sampler, 20_000)
//!     .options(Options::default().rtol(1e-8).atol(1e-10))
//!     .seed(7)
//!     .run()?;
//! let exact = (-0.5f64).exp() - (-1.5f64).exp();
//! let s = summary.stat(0, 0).unwrap();
//! assert!((s.mean - exact).abs() < 4.0 * s.std().unwrap() / (20_000f64).sqrt());
//! assert_eq!(summary.failed, 0);
//! # Ok::<(), odeon::Error>(())
//! ```

mod check;
mod dist;
mod morris;
mod runner;
mod runs;
mod sketch;
mod sobol;
mod sobol_seq;
pub mod spec;
mod stats;
mod summary;
mod tree;

pub use crate::random::{SampleRng, normal_quantile};
pub use dist::{Dist, Draw, Independent, LatinHypercube, Sampler};
pub use morris::{Morris, MorrisIndices};
pub use runs::{DEFAULT_LANES, LANE_COUNTS, LANES_MAX_STATES, PointInputs, RunOutput, Runs, WIDE_LANES_MAX_STATES};
pub use sketch::DdSketch;
pub use sobol::{Sobol, SobolIndices, SobolSampling};
pub use stats::{QUANTILE_LEVELS, SeriesStats};
pub use summary::{EnsembleSummary, Failure, Layout, QuantileMethod, SUMMARY_FORMAT};

use crate::integrate::Save;
use crate::{Algorithm, Error, Method, Model, Options, Solution, State};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use runner::Plan;
use serde::{Deserialize, Serialize};
use stats::Block;

/// What each sample keeps for the statistics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// The final state.
    Final,
    /// The states at these times (the method's dense output).
    At(Vec<f64>),
}

/// Default samples per block.
pub const DEFAULT_BLOCK_SIZE: u64 = 256;
/// Default memory budget for exact quantiles, in bytes (64 MiB).
pub const DEFAULT_QUANTILE_BUDGET: u64 = 64 << 20;
/// Default relative accuracy of the quantile sketch.
pub const DEFAULT_SKETCH_ALPHA: f64 = 0.005;
/// Largest number of samples, 2⁵³: counts and sample indices stay exact
/// in `f64` (means, quantile ranks).
pub const MAX_SAMPLES: u64 = 1 << 53;
/// Largest `block_size`: a block holds every sample's outputs until it
/// is reduced.
pub const MAX_BLOCK_SIZE: u64 = 1 << 20;
/// Smallest `sketch_alpha`: a sketch's buckets span the keys of its
/// values, about 710/α per sign for values over the whole `f64` range
/// (28 MB per series at this bound).
pub const MIN_SKETCH_ALPHA: f64 = 1e-4;
/// Default number of failures listed (all are counted).
pub const DEFAULT_MAX_FAILURES_LISTED: usize = 1000;

/// A Monte Carlo ensemble of solves. Build with [`new`](Self::new) and the
/// `with`-style setters, then [`run`](Self::run),
/// [`run_map`](Self::run_map) or [`collect`](Self::collect).
///
/// # Reproducibility
/// Sample `i` draws from [`SampleRng::for_sample`]`(seed, i)`; blocks of
/// `block_size` samples are reduced sequentially and combined in a fixed
/// tree order. Results are bit-identical for any number of threads and any
/// sharding (the same build on the same platform: the model's `exp`, `sin`
/// … come from the platform's math library).
///
/// # Memory
/// Exact quantiles keep every value while a series has at most
/// `quantile_budget / (8 · series)` of them (64 MiB by default), beyond
/// that a [`DdSketch`] of relative accuracy `sketch_alpha`. The blocks in
/// flight (each holds `block_size · series` values until it is reduced)
/// are at most 32 per thread and at most what fits in the same budget (at
/// least one), so a run holds about twice `quantile_budget` at most, plus
/// O(series · log(blocks)).
#[derive(Clone)]
pub struct Ensemble<'a, S, Sa, A = Method> {
    runs: Runs<'a, S, A>,
    sampler: Sa,
    samples: u64,
    seed: u64,
    keep: Keep,
    block_size: u64,
    quantile_budget: u64,
    sketch_alpha: f64,
    max_failures_listed: usize,
    shard: Option<(u64, u64)>,
    threads: Option<usize>,
    progress: bool,
}

impl<'a, S, Sa, A> Ensemble<'a, S, Sa, A>
where
    S: Model + Sync,
    Sa: Sampler,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// `samples` solves of `system` over `t_span` with inputs from
    /// `sampler`; default options, seed 0, final state kept.
    pub fn new(system: &'a S, method: A, t_span: (f64, f64), sampler: Sa, samples: u64) -> Self {
        Ensemble {
            runs: Runs::new(system, method, t_span),
            sampler,
            samples,
            seed: 0,
            keep: Keep::Final,
            block_size: DEFAULT_BLOCK_SIZE,
            quantile_budget: DEFAULT_QUANTILE_BUDGET,
            sketch_alpha: DEFAULT_SKETCH_ALPHA,
            max_failures_listed: DEFAULT_MAX_FAILURES_LISTED,
            shard: None,
            threads: None,
            progress: false,
        }
    }

    /// The seed of every sample's stream.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Integration options (`save` is set by [`keep`](Self::keep)).
    pub fn options(mut self, options: Options) -> Self {
        self.runs.options = options;
        self
    }

    /// What each sample keeps: the final state (default) or the states at
    /// save times.
    pub fn keep(mut self, keep: Keep) -> Self {
        self.keep = keep;
        self
    }

    /// Samples per block (default 256): part of the reduction order, so
    /// shards must share it.
    pub fn block_size(mut self, block_size: u64) -> Self {
        self.block_size = block_size;
        self
    }

    /// Memory for exact quantiles, in bytes (default 64 MiB).
    pub fn quantile_budget(mut self, bytes: u64) -> Self {
        self.quantile_budget = bytes;
        self
    }

    /// Relative accuracy of the quantile sketch (default 0.005).
    pub fn sketch_alpha(mut self, alpha: f64) -> Self {
        self.sketch_alpha = alpha;
        self
    }

    /// How many failures to list (default 1000; all are counted).
    pub fn max_failures_listed(mut self, n: usize) -> Self {
        self.max_failures_listed = n;
        self
    }

    /// Run only shard `index` of `count` (0-based): the blocks
    /// `[index · B / count, (index + 1) · B / count)` of the `B` blocks.
    ///
    /// # Errors
    /// `InvalidShard` unless `index < count`.
    pub fn shard(mut self, index: u64, count: u64) -> Result<Self, Error> {
        if index >= count {
            return Err(Error::InvalidShard { index, count });
        }
        self.shard = Some((index, count));
        Ok(self)
    }

    /// Use `n` worker threads (default: rayon's global pool, one per core).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Show a progress bar on stderr (drawn only on a terminal).
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Integrate `n` samples together in one step loop (see
    /// [`Runs::lanes`]; default by the model's size,
    /// [`Runs::lane_count`]; 1 turns lanes off).
    /// Results are the same bits for every lane count.
    pub fn lanes(mut self, n: usize) -> Self {
        self.runs.lanes = Some(n);
        self
    }

    /// The layout every part of this ensemble shares, with the run's
    /// fingerprint ([`Layout::run`]): a hash of the model's type and its
    /// right-hand side at the inputs of samples 0, n/2 and n − 1, the
    /// method, time span, options (what is kept included), seed, and
    /// those samples' drawn inputs. Shards, threads and progress are left
    /// out: they do not change a sample.
    pub fn layout(&self) -> Layout {
        let times = match &self.keep {
            Keep::Final => vec![self.runs.t_span.1],
            Keep::At(ts) => ts.clone(),
        };
        let names = self.runs.system.state_names();
        let series = self.series() as u64;
        Layout {
            run: self.fingerprint(),
            samples: self.samples,
            block_size: self.block_size,
            quantile_cap: (self.quantile_budget / (8 * series)).max(1),
            times,
            names,
            sketch_alpha: self.sketch_alpha,
            max_failures_listed: self.max_failures_listed,
        }
    }

    /// Values kept per sample: saved times × state components (at least 1).
    fn series(&self) -> usize {
        let times = match &self.keep {
            Keep::Final => 1,
            Keep::At(ts) => ts.len(),
        };
        (times * crate::system::n_states(self.runs.system)).max(1)
    }

    /// The run fingerprint of [`layout`](Self::layout) (the right-hand
    /// side at the probe inputs tells apart two instances of one model
    /// type with different constants).
    fn fingerprint(&self) -> String {
        let bits = |xs: &[f64]| xs.iter().map(|x| format!("{:016x}", x.to_bits())).collect::<Vec<_>>().join(",");
        let options = serde_json::to_string(&self.solve_options()).unwrap_or_default();
        let mut text = format!(
            "{}|{}|{}|{options}|{}",
            std::any::type_name::<S>(),
            self.runs.method.name(),
            bits(&[self.runs.t_span.0, self.runs.t_span.1]),
            self.seed
        );
        let n = crate::system::n_states(self.runs.system);
        for i in [0, self.samples / 2, self.samples.saturating_sub(1)] {
            let draw = self.sampler.sample(i, &mut SampleRng::for_sample(self.seed, i));
            text += &format!("|{i}:{};{}", bits(&draw.y0), bits(&draw.p));
            if draw.y0.len() == n && draw.p.len() == self.runs.system.n_params() {
                let y = State::<f64, S::Dim>::from_column_slice_generic(self.runs.system.dim(), nalgebra::U1, &draw.y0);
                let mut dy = y.clone();
                self.runs.system.rhs(self.runs.t_span.0, &y, &[], &draw.p, &mut dy);
                text += &format!(";{}", bits(dy.as_slice()));
            }
        }
        crate::files::fingerprint("odeon-ensemble-run/1", text.as_bytes())
    }

    fn solve_options(&self) -> Options {
        let save = match &self.keep {
            Keep::Final => Save::Final,
            Keep::At(ts) => Save::At(ts.clone()),
        };
        Options { save, ..self.runs.options.clone() }
    }

    /// Check the set-up, and solve sample 0 so that errors of the
    /// configuration (options, dimensions) surface before the run.
    fn plan(&self) -> Result<Plan, Error> {
        let bad = |name, reason: String| Err(Error::InvalidOption { name, reason });
        if !(1..=MAX_SAMPLES).contains(&self.samples) {
            return bad("samples", format!("must lie in 1..=2^53, got {}", self.samples));
        }
        if !(1..=MAX_BLOCK_SIZE).contains(&self.block_size) {
            return bad("block_size", format!("must lie in 1..={MAX_BLOCK_SIZE}, got {}", self.block_size));
        }
        if !(MIN_SKETCH_ALPHA..1.0).contains(&self.sketch_alpha) {
            return bad("sketch_alpha", format!("must lie in [{MIN_SKETCH_ALPHA}, 1), got {}", self.sketch_alpha));
        }
        if let Some(n) = self.sampler.n_samples()
            && n != self.samples
        {
            return bad("samples", format!("the sampler is built for {n} samples, the ensemble has {}", self.samples));
        }
        if self.threads == Some(0) {
            return bad("threads", "must be at least 1".into());
        }
        let first = self.draw(0);
        self.runs.check(&self.solve_options(), &first.y0, &first.p)?;
        let n_blocks = self.samples.div_ceil(self.block_size);
        let blocks = match self.shard {
            None => 0..n_blocks,
            Some((k, n)) => shard_blocks(n_blocks, k, n),
        };
        // A block holds every sample's outputs until it is reduced: as
        // many are in flight as fit in the budget (at least one).
        let block_bytes = self.block_size.saturating_mul(self.series() as u64 * 8);
        Ok(Plan {
            samples: self.samples,
            block_size: self.block_size,
            blocks,
            threads: self.threads,
            progress: self.progress,
            max_in_flight: Some((self.quantile_budget / block_bytes.max(1)).max(1)),
        })
    }

    /// Integrate every sample (of the shard) and summarize: statistics per
    /// saved time and component, failures counted and listed.
    ///
    /// # Errors
    /// Invalid settings, and configuration errors found on sample 0
    /// (options, dimensions of the sampler's draws). Integration failures
    /// of samples are data, in the summary.
    pub fn run(&self) -> Result<EnsembleSummary, Error> {
        let plan = self.plan()?;
        let layout = self.layout();
        let policy = layout.policy();
        let opts = self.solve_options();
        let (mut failed, mut failures) = (0u64, Vec::new());
        let mut forest = tree::Forest::default();
        let merge = |a: Block, b: Block| a.merge(b, policy);
        plan.for_each_block(
            |_, range| {
                let mut rows = Vec::new();
                let solved = self.solve_block(range, &opts, &mut |_, _, sol| {
                    rows.extend_from_slice(&sol.y);
                    rows.len() - sol.y.len()..rows.len()
                });
                let mut block = Block::empty();
                let mut fails = Vec::new();
                for r in solved {
                    match r {
                        Ok(span) => block.push(&rows[span]),
                        Err(f) => fails.push(f),
                    }
                }
                (block.finish(policy), fails)
            },
            |b, (block, fails)| {
                failed += fails.len() as u64;
                let room = layout.max_failures_listed.saturating_sub(failures.len());
                failures.extend(fails.into_iter().take(room));
                forest.push_block(b, block, &merge);
            },
        )?;
        Ok(EnsembleSummary::new(layout, forest, failed, failures))
    }

    /// Map every successful sample to a value and reduce the values in the
    /// fixed order (block by block, then along the dyadic tree), so the
    /// result is the same for any number of threads. With an associative
    /// `reduce` it is also what any grouping would give.
    ///
    /// # Example
    /// ```
    /// use odeon::ensemble::{Dist, Ensemble, Independent};
    /// use odeon::{models::ExponentialDecay, Method};
    /// let s = Independent::new(vec![Dist::Fixed(1.0)], vec![Dist::Uniform { low: 0.5, high: 1.5 }])?;
    /// let ens = Ensemble::new(&ExponentialDecay, Method::Dopri5, (0.0, 1.0), s, 500);
    /// // The largest final value, and how many samples ended below 0.4.
    /// let m = ens.run_map(|_, _, sol| {
    ///     let y = sol.last().unwrap().1[0];
    ///     (y, u64::from(y < 0.4))
    /// }, |a, b| (a.0.max(b.0), a.1 + b.1))?;
    /// let (max, below) = m.value.unwrap();
    /// assert!(max < (-0.5f64).exp() && below > 0 && m.succeeded == 500);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn run_map<T, M, R>(&self, map: M, reduce: R) -> Result<Mapped<T>, Error>
    where
        T: Send + Clone,
        M: Fn(u64, &Draw, &Solution) -> T + Sync,
        R: Fn(T, T) -> T + Sync,
    {
        let plan = self.plan()?;
        let opts = self.solve_options();
        let join = |a: Option<T>, b: Option<T>| match (a, b) {
            (Some(a), Some(b)) => Some(reduce(a, b)),
            (a, b) => a.or(b),
        };
        let (mut failed, mut succeeded, mut failures) = (0u64, 0u64, Vec::new());
        let mut forest = tree::Forest::default();
        plan.for_each_block(
            |_, range| {
                let (mut acc, mut fails, mut ok) = (None, Vec::new(), 0u64);
                for r in self.solve_block(range, &opts, &mut |i, draw, sol| map(i, draw, sol)) {
                    match r {
                        Ok(v) => {
                            ok += 1;
                            acc = join(acc, Some(v));
                        }
                        Err(f) => fails.push(f),
                    }
                }
                (acc, fails, ok)
            },
            |b, (acc, fails, ok)| {
                succeeded += ok;
                failed += fails.len() as u64;
                let room = self.max_failures_listed.saturating_sub(failures.len());
                failures.extend(fails.into_iter().take(room));
                forest.push_block(b, acc, &join);
            },
        )?;
        let value = forest.fold(&join).flatten();
        Ok(Mapped { value, succeeded, failed, failures })
    }

    /// Map every sample (of the shard) to a value, in index order; failed
    /// samples give their [`Failure`].
    pub fn collect<T, M>(&self, map: M) -> Result<Vec<Result<T, Failure>>, Error>
    where
        T: Send,
        M: Fn(u64, &Draw, &Solution) -> T + Sync,
    {
        let plan = self.plan()?;
        let opts = self.solve_options();
        let mut out = Vec::new();
        plan.for_each_block(
            |_, range| self.solve_block(range, &opts, &mut |i, draw, sol| map(i, draw, sol)),
            |_, v| out.extend(v),
        )?;
        Ok(out)
    }
}

/// The result of [`Ensemble::run_map`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mapped<T> {
    /// The reduced value (`None` when no sample succeeded).
    pub value: Option<T>,
    /// Samples integrated successfully.
    pub succeeded: u64,
    /// Samples whose integration failed.
    pub failed: u64,
    /// The first failures, in index order.
    pub failures: Vec<Failure>,
}

/// The blocks of shard `k` of `n` among `n_blocks`.
pub(crate) fn shard_blocks(n_blocks: u64, k: u64, n: u64) -> std::ops::Range<u64> {
    let at = |k: u64| (u128::from(n_blocks) * u128::from(k) / u128::from(n)) as u64;
    at(k)..at(k + 1)
}

fn failure(index: u64, draw: Draw, e: &Error) -> Failure {
    Failure { index, y0: draw.y0, p: draw.p, error: e.to_string() }
}

/// Errors that every sample would hit: the run stops instead.
pub(crate) fn is_configuration_error(e: &Error) -> bool {
    matches!(
        e,
        Error::InvalidOption { .. }
            | Error::InvalidTolerance { .. }
            | Error::InvalidTEval { .. }
            | Error::DimensionMismatch { .. }
            | Error::NonFinite { what: "t_span", .. }
    )
}

//! The result of an ensemble run: statistics per saved time and component,
//! the failures, and the mergeable state behind them.

use super::stats::{Block, QuantilePolicy, SeriesStats};
use super::tree::Forest;
use crate::Error;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What every part of one ensemble shares; parts merge only when equal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Fingerprint of the run (16 hex digits): the model, method, time
    /// span, options, seed and sampler that decide every sample's values
    /// (see [`Ensemble::layout`](super::Ensemble::layout)). Parts of runs
    /// that differ in any of them do not merge, even when the rest of the
    /// layout agrees.
    pub run: String,
    /// Number of samples of the whole ensemble (all shards).
    pub samples: u64,
    /// Samples per block (the unit of the fixed reduction order).
    pub block_size: u64,
    /// Saved times.
    pub times: Vec<f64>,
    /// State component names.
    pub names: Vec<String>,
    /// Largest number of values per series whose quantiles are exact.
    pub quantile_cap: u64,
    /// Relative accuracy of the quantile sketch beyond the cap.
    pub sketch_alpha: f64,
    /// Largest number of failures listed (all are counted).
    pub max_failures_listed: usize,
}

impl Layout {
    /// Number of blocks of the whole ensemble.
    pub fn n_blocks(&self) -> u64 {
        self.samples.div_ceil(self.block_size)
    }

    pub(crate) fn policy(&self) -> QuantilePolicy {
        QuantilePolicy { cap: self.quantile_cap, alpha: self.sketch_alpha }
    }
}

/// A sample whose integration failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Sample index.
    pub index: u64,
    /// Its initial state.
    pub y0: Vec<f64>,
    /// Its parameters.
    pub p: Vec<f64>,
    /// The error, as text.
    pub error: String,
}

/// How the quantiles of a summary were computed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantileMethod {
    /// From all values (at most `quantile_cap` per series).
    Exact,
    /// From a DDSketch: within relative error `alpha` of the order
    /// statistic of rank `⌊q (n − 1)⌋`.
    Sketch {
        /// Relative accuracy.
        alpha: f64,
    },
}

/// The format tag of summary files.
pub const SUMMARY_FORMAT: &str = "odeon-summary/1";

/// Statistics of an ensemble (or of some of its shards), serializable and
/// mergeable: [`merge`](Self::merge) of the shards' summaries is the
/// summary of the unsharded run, bit for bit.
///
/// Deserializing checks the summary's structure (lengths, counts, ranges,
/// the format tag; see [`InvalidFile`](Error::InvalidFile)) and recomputes
/// `stats` and `quantile_method` from the mergeable state, so a summary
/// from another machine is either whole or refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "super::check::SummaryFile")]
pub struct EnsembleSummary {
    /// Always [`SUMMARY_FORMAT`].
    format: Format,
    /// What the parts of this ensemble share.
    pub layout: Layout,
    /// The sample ranges `[first, end)` this summary covers.
    pub covered: Vec<(u64, u64)>,
    /// Samples integrated successfully.
    pub succeeded: u64,
    /// Samples whose integration failed.
    pub failed: u64,
    /// The failed samples with the lowest indices (at most
    /// `layout.max_failures_listed`), in index order.
    pub failures: Vec<Failure>,
    /// How the quantiles were computed (`None` without successes).
    pub quantile_method: Option<QuantileMethod>,
    /// Statistics per saved time and component, row-major
    /// (`stats[i * names.len() + j]`: time `i`, component `j`); empty
    /// without successes.
    pub stats: Vec<SeriesStats>,
    /// The mergeable state (block statistics along the dyadic tree).
    state: Forest<Block>,
}

/// The format tag, written as [`SUMMARY_FORMAT`] (checked when read).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Format;

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(SUMMARY_FORMAT)
    }
}

impl EnsembleSummary {
    pub(crate) fn new(layout: Layout, state: Forest<Block>, failed: u64, mut failures: Vec<Failure>) -> Self {
        failures.sort_by_key(|f| f.index);
        failures.truncate(layout.max_failures_listed);
        let policy = layout.policy();
        let total = state.fold(&|a: Block, b| a.merge(b, policy));
        let (succeeded, stats, quantile_method) = match total {
            Some(b) if b.n > 0 => {
                let method = if b.n <= layout.quantile_cap {
                    QuantileMethod::Exact
                } else {
                    QuantileMethod::Sketch { alpha: layout.sketch_alpha }
                };
                (b.n, b.series.iter().map(|s| s.stats(b.n)).collect(), Some(method))
            }
            _ => (0, Vec::new(), None),
        };
        let bs = layout.block_size;
        let covered = state.ranges().into_iter().map(|(a, b)| (a * bs, (b * bs).min(layout.samples))).collect();
        EnsembleSummary { format: Format, layout, covered, succeeded, failed, failures, quantile_method, stats, state }
    }

    /// The statistics of component `j` at saved time `i` (`None` without
    /// successes or out of range).
    pub fn stat(&self, i: usize, j: usize) -> Option<&SeriesStats> {
        let n = self.layout.names.len();
        if j >= n {
            return None;
        }
        self.stats.get(i * n + j)
    }

    /// Whether the summary covers every sample of the ensemble.
    pub fn is_complete(&self) -> bool {
        self.covered == [(0, self.layout.samples)]
    }

    /// The number of samples the summary covers (succeeded or failed).
    pub fn samples_covered(&self) -> u64 {
        self.covered.iter().map(|(a, b)| b - a).sum()
    }

    /// Merge the summaries of all parts (shards) of one ensemble, in any
    /// order. Merging the summaries of all shards gives exactly the
    /// summary of the unsharded run.
    ///
    /// # Errors
    /// `MergeConflict` when the parts come from different runs (their
    /// [`Layout`]s, fingerprint included, differ: another seed, model,
    /// method, tolerance or distribution), overlap, leave samples out (see
    /// [`merge_partial`](Self::merge_partial)), or there are none.
    ///
    /// # Example
    /// ```
    /// use odeon::ensemble::{Dist, Ensemble, EnsembleSummary, Independent};
    /// use odeon::{models::ExponentialDecay, Method};
    /// let sampler = Independent::new(vec![Dist::Fixed(1.0)], vec![Dist::Uniform { low: 0.5, high: 1.5 }])?;
    /// let ens = Ensemble::new(&ExponentialDecay, Method::Dopri5, (0.0, 1.0), sampler, 1000).block_size(64);
    /// let whole = ens.run()?;
    /// let parts = (0..3).map(|k| ens.clone().shard(k, 3)?.run()).collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(EnsembleSummary::merge(parts.clone())?, whole);
    /// // Two of three shards: only as an explicitly partial merge.
    /// assert!(EnsembleSummary::merge(parts[..2].to_vec()).is_err());
    /// let some = EnsembleSummary::merge_partial(parts[..2].to_vec())?;
    /// assert!(some.samples_covered() < 1000);
    /// // Another seed is another run.
    /// let other = ens.clone().seed(1).shard(2, 3)?.run()?;
    /// assert!(EnsembleSummary::merge(vec![parts[0].clone(), parts[1].clone(), other]).is_err());
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn merge(parts: Vec<EnsembleSummary>) -> Result<EnsembleSummary, Error> {
        let merged = Self::merge_partial(parts)?;
        if !merged.is_complete() {
            let missing = merged.layout.samples - merged.samples_covered();
            return Err(Error::MergeConflict {
                reason: format!(
                    "the parts cover {} of {} samples ({missing} missing, ranges {:?}); merge_partial merges an incomplete set",
                    merged.samples_covered(),
                    merged.layout.samples,
                    merged.covered
                ),
            });
        }
        Ok(merged)
    }

    /// [`merge`](Self::merge) for a subset of the parts: the result covers
    /// [`samples_covered`](Self::samples_covered) of the samples (the
    /// ranges in `covered`), and merges with the remaining parts later as
    /// exactly as any other summary.
    ///
    /// # Errors
    /// As [`merge`](Self::merge), except for missing samples.
    pub fn merge_partial(parts: Vec<EnsembleSummary>) -> Result<EnsembleSummary, Error> {
        let conflict = |reason: String| Error::MergeConflict { reason };
        let Some(layout) = parts.first().map(|p| p.layout.clone()) else {
            return Err(conflict("nothing to merge".into()));
        };
        if let Some((i, p)) = parts.iter().enumerate().find(|(_, p)| p.layout != layout) {
            let what = if p.layout.run != layout.run {
                format!(
                    "another run (fingerprint {} against {}: a different model, method, time span, options, seed or sampler)",
                    p.layout.run, layout.run
                )
            } else {
                "a different layout (samples, block size, times, names or quantile settings)".to_string()
            };
            return Err(conflict(format!("part {i} comes from {what} than part 0")));
        }
        let (mut failed, mut failures) = (0, Vec::new());
        let mut forests = Vec::with_capacity(parts.len());
        for p in parts {
            // Disjoint parts count at most `samples` failures; overlapping
            // ones are refused below.
            failed = p.failed.saturating_add(failed);
            failures.extend(p.failures);
            forests.push(p.state);
        }
        let policy = layout.policy();
        let state = Forest::union(forests, &|a: Block, b| a.merge(b, policy)).map_err(|block| {
            let first = block * layout.block_size;
            conflict(format!("two parts both cover samples from index {first} (block {block})"))
        })?;
        Ok(EnsembleSummary::new(layout, state, failed, failures))
    }

    /// Write the summary as JSON (exact round trip; creates the directory).
    pub fn write_json(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        crate::files::write_json(path, self, false)
    }

    /// Read a summary written by [`write_json`](Self::write_json), on
    /// this machine or another.
    ///
    /// # Errors
    /// `Io` when the file cannot be read or is not a summary's JSON;
    /// `InvalidFile` naming the field when its parts do not agree.
    pub fn read_json(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let file: super::check::SummaryFile = crate::files::read_json(path)?;
        file.validate().map_err(|e| e.in_file(path))
    }
}

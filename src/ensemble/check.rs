//! Summaries from other machines are distrusted: what a summary file says
//! is checked against itself (lengths, counts, ranges, sorted values,
//! sketch buckets, the tree's nodes) before anything is computed from it,
//! so that a truncated, edited or foreign file gives
//! [`Error::InvalidFile`] naming the field, never a panic, a NaN or an
//! allocation sized by a number in the file.

use super::stats::{Block, Values};
use super::summary::{EnsembleSummary, Failure, Layout, SUMMARY_FORMAT};
use super::tree::Forest;
use super::{MAX_BLOCK_SIZE, MAX_SAMPLES, MIN_SKETCH_ALPHA};
use crate::Error;
use crate::integrate::UNSTABLE;
use serde::Deserialize;
use std::fmt;

/// What is wrong with a file, before the file's name is known.
#[derive(Debug)]
pub(crate) struct Invalid {
    pub field: String,
    pub reason: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Invalid { field: field.into(), reason: reason.into() }
    }

    /// The same, under `prefix` (`summary` + `layout.samples`).
    pub fn within(self, prefix: &str) -> Self {
        Invalid { field: format!("{prefix}.{}", self.field), reason: self.reason }
    }

    pub fn in_file(self, path: &std::path::Path) -> Error {
        Error::InvalidFile { path: path.display().to_string(), field: self.field, reason: self.reason }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.reason)
    }
}

fn ensure(ok: bool, field: impl Into<String>, reason: impl FnOnce() -> String) -> Result<(), Invalid> {
    if ok { Ok(()) } else { Err(Invalid::new(field, reason())) }
}

/// A summary as read, before it is trusted. `stats` and
/// `quantile_method` are not read: they are recomputed from `state`.
#[derive(Deserialize)]
pub(crate) struct SummaryFile {
    format: String,
    layout: Layout,
    covered: Vec<(u64, u64)>,
    succeeded: u64,
    failed: u64,
    failures: Vec<Failure>,
    state: Forest<Block>,
}

impl TryFrom<SummaryFile> for EnsembleSummary {
    type Error = Invalid;

    fn try_from(file: SummaryFile) -> Result<Self, Invalid> {
        file.validate()
    }
}

impl SummaryFile {
    /// The summary, if every part of the file agrees with the rest.
    pub fn validate(self) -> Result<EnsembleSummary, Invalid> {
        let SummaryFile { format, layout, covered, succeeded, failed, failures, state } = self;
        ensure(format == SUMMARY_FORMAT, "format", || format!("{format:?}, expected {SUMMARY_FORMAT:?}"))?;
        check_layout(&layout).map_err(|e| e.within("layout"))?;
        check_state(&state, &layout)?;
        let listed = failures.len() as u64;
        ensure(listed <= failed, "failures", || format!("{listed} listed, but `failed` counts {failed}"))?;
        ensure(failures.len() <= layout.max_failures_listed, "failures", || {
            format!("{listed} listed, more than max_failures_listed = {}", layout.max_failures_listed)
        })?;
        let inside = |i: u64| covered.iter().any(|&(a, b)| (a..b).contains(&i));
        for (k, f) in failures.iter().enumerate() {
            let field = format!("failures[{k}].index");
            ensure(inside(f.index), &field, || format!("{} is not a covered sample", f.index))?;
            ensure(k == 0 || failures[k - 1].index < f.index, &field, || "indices are not increasing".into())?;
        }
        let summary = EnsembleSummary::new(layout, state, failed, failures);
        ensure(summary.covered == covered, "covered", || {
            format!("{covered:?}, but the state covers {:?}", summary.covered)
        })?;
        ensure(summary.succeeded == succeeded, "succeeded", || {
            format!("{succeeded}, but the state holds {} samples", summary.succeeded)
        })?;
        let room = summary.samples_covered() - succeeded;
        ensure(failed <= room, "failed", || format!("{failed}, but only {room} covered samples did not succeed"))?;
        Ok(summary)
    }
}

fn check_layout(l: &Layout) -> Result<(), Invalid> {
    ensure(l.run.len() == 16 && l.run.chars().all(|c| c.is_ascii_hexdigit()), "run", || {
        format!("{:?} is not a fingerprint (16 hex digits)", l.run)
    })?;
    ensure((1..=MAX_SAMPLES).contains(&l.samples), "samples", || format!("{} is not in 1..=2^53", l.samples))?;
    ensure((1..=MAX_BLOCK_SIZE).contains(&l.block_size), "block_size", || {
        format!("{} is not in 1..={MAX_BLOCK_SIZE}", l.block_size)
    })?;
    ensure(!l.times.is_empty(), "times", || "no saved times".into())?;
    if let Some(i) = l.times.iter().position(|t| !t.is_finite()) {
        return Err(Invalid::new(format!("times[{i}]"), "not finite"));
    }
    ensure(!l.names.is_empty(), "names", || "no state components".into())?;
    ensure(l.times.len().checked_mul(l.names.len()).is_some(), "names", || "too many series".into())?;
    ensure(l.quantile_cap >= 1, "quantile_cap", || "must be at least 1".into())?;
    ensure((MIN_SKETCH_ALPHA..1.0).contains(&l.sketch_alpha), "sketch_alpha", || {
        format!("{} is not in [{MIN_SKETCH_ALPHA}, 1)", l.sketch_alpha)
    })
}

/// The tree's nodes: in order, disjoint, within the ensemble's blocks,
/// each block's statistics of the right shape.
fn check_state(state: &Forest<Block>, l: &Layout) -> Result<(), Invalid> {
    let n_blocks = u128::from(l.n_blocks());
    let series = l.times.len() * l.names.len();
    let mut end_of_last = 0u128;
    for (k, node) in state.nodes.iter().enumerate() {
        let field = format!("state[{k}]");
        ensure(node.level < 64, &field, || format!("level {} is not below 64", node.level))?;
        let first = u128::from(node.index) << node.level;
        let end = (u128::from(node.index) + 1) << node.level;
        ensure(end <= n_blocks, &field, || format!("covers blocks {first}..{end} of {n_blocks}"))?;
        ensure(k == 0 || first >= end_of_last, &field, || "overlaps or precedes the node before it".into())?;
        end_of_last = end;
        // `end` ≤ n_blocks < 2⁶⁴, so the sample range fits in u128.
        let samples = (end * u128::from(l.block_size)).min(u128::from(l.samples)) - first * u128::from(l.block_size);
        check_block(&node.value, samples, series, l).map_err(|e| e.within(&field))?;
    }
    Ok(())
}

fn check_block(b: &Block, samples: u128, series: usize, l: &Layout) -> Result<(), Invalid> {
    ensure(u128::from(b.n) <= samples, "n", || format!("{} successes in a node of {samples} samples", b.n))?;
    let expected = if b.n == 0 { 0 } else { series };
    ensure(b.series.len() == expected, "series", || {
        format!("{} series, expected {expected} (times × names, none without successes)", b.series.len())
    })?;
    for (j, s) in b.series.iter().enumerate() {
        let field = format!("series[{j}]");
        // A solve's values lie within ±UNSTABLE (beyond, it fails), and a
        // mean lies between min and max up to rounding.
        let slack = 1e-12 * s.min.abs().max(s.max.abs());
        let ok = s.m2.is_finite()
            && s.m2 >= 0.0
            && -UNSTABLE <= s.min
            && s.min <= s.max
            && s.max <= UNSTABLE
            && (s.min - slack..=s.max + slack).contains(&s.mean);
        ensure(ok, &field, || {
            format!("mean {}, m2 {}, min {}, max {} are not statistics of a solve", s.mean, s.m2, s.min, s.max)
        })?;
        match &s.values {
            Values::Exact(v) => {
                let field = format!("{field}.values");
                ensure(v.len() as u64 == b.n && b.n <= l.quantile_cap, &field, || {
                    format!("{} exact values for {} samples (cap {})", v.len(), b.n, l.quantile_cap)
                })?;
                let sorted = v.windows(2).all(|w| w[0] <= w[1]) && v.iter().all(|x| x.is_finite());
                let ends = v.first() == Some(&s.min) && v.last() == Some(&s.max);
                ensure(sorted && ends, &field, || "not the sorted values between min and max".into())?;
            }
            Values::Sketch(sk) => {
                sk.check(l.sketch_alpha, b.n).map_err(|(f, r)| Invalid::new(format!("{field}.values.{f}"), r))?;
            }
        }
    }
    Ok(())
}

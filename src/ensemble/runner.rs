//! The parallel runner: blocks of samples on rayon's threads, reduced in
//! the fixed order of [`tree`](super::tree) with bounded memory.

use crate::Error;
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::ops::Range;

/// Blocks in flight per thread: enough to keep every thread busy between
/// the in-order reductions, few enough to bound memory.
const WINDOW_PER_THREAD: usize = 32;

/// Where and how a run goes.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// Number of samples of the whole ensemble.
    pub samples: u64,
    pub block_size: u64,
    /// The blocks of this run (a shard, or all).
    pub blocks: Range<u64>,
    /// Worker threads (`None`: rayon's current pool).
    pub threads: Option<usize>,
    /// Show a progress bar on stderr (drawn only on a terminal).
    pub progress: bool,
    /// Most blocks held at once (`None`: 32 per thread), so that the
    /// blocks in flight stay within a memory budget.
    pub max_in_flight: Option<u64>,
}

impl Plan {
    /// The sample indices of block `b`.
    pub fn samples_of(&self, b: u64) -> Range<u64> {
        b * self.block_size..((b + 1) * self.block_size).min(self.samples)
    }

    fn n_samples(&self) -> u64 {
        if self.blocks.is_empty() {
            return 0;
        }
        self.samples_of(self.blocks.end - 1).end - self.blocks.start * self.block_size
    }

    /// Run `block` on every block of the plan, in parallel; feed the
    /// results, in block order, to `sink`.
    pub fn for_each_block<A, F, S>(&self, block: F, mut sink: S) -> Result<(), Error>
    where
        A: Send,
        F: Fn(u64, Range<u64>) -> A + Sync,
        S: FnMut(u64, A) + Send,
    {
        let mut work = |pool_threads: usize| {
            let bar = self.progress_bar();
            let window =
                ((WINDOW_PER_THREAD * pool_threads.max(1)) as u64).min(self.max_in_flight.unwrap_or(u64::MAX)).max(1);
            let mut start = self.blocks.start;
            while start < self.blocks.end {
                let end = (start + window).min(self.blocks.end);
                let out: Vec<A> = (start..end)
                    .into_par_iter()
                    .map(|b| {
                        let range = self.samples_of(b);
                        let n = range.end - range.start;
                        let a = block(b, range);
                        bar.inc(n);
                        a
                    })
                    .collect();
                for (b, a) in (start..end).zip(out) {
                    sink(b, a);
                }
                start = end;
            }
            bar.finish_and_clear();
        };
        match self.threads {
            None => work(rayon::current_num_threads()),
            Some(n) => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| Error::InvalidOption { name: "threads", reason: e.to_string() })?;
                pool.install(|| work(n));
            }
        }
        Ok(())
    }

    fn progress_bar(&self) -> ProgressBar {
        crate::progress::bar(self.n_samples(), "samples", self.progress)
    }
}

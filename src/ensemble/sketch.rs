//! A mergeable quantile sketch with a relative-accuracy guarantee.
//!
//! DDSketch maps `x > 0` to the bucket `⌈log_γ x⌉`, `γ = (1 + α)/(1 − α)`,
//! and counts values per bucket (negative values in a mirrored store, zeros
//! apart). A quantile is read as the representative `2γᵏ/(γ + 1)` of the
//! bucket holding the requested rank, which is within a relative error `α`
//! of the exact order statistic. Merging adds integer counts, so it is
//! exact, associative and commutative: sharded and unsharded runs give the
//! same sketch bit for bit.
//!
//! Reference: C. Masson, J. E. Rim, H. K. Lee, *DDSketch: a fast and
//! fully-mergeable quantile sketch with relative-error guarantees*, PVLDB
//! 12(12), 2195–2205 (2019).

use serde::{Deserialize, Serialize};

/// Counts over a contiguous range of bucket keys.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Store {
    /// Key of `counts[0]`.
    offset: i32,
    counts: Vec<u64>,
}

impl Store {
    fn add(&mut self, key: i32, count: u64) {
        if self.counts.is_empty() {
            self.offset = key;
            self.counts.push(0);
        } else if key < self.offset {
            let grow = (self.offset - key) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = key;
        } else if key >= self.offset + self.counts.len() as i32 {
            self.counts.resize((key - self.offset) as usize + 1, 0);
        }
        self.counts[(key - self.offset) as usize] += count;
    }

    fn merge(&mut self, other: &Store) {
        for (i, &c) in other.counts.iter().enumerate() {
            if c > 0 {
                self.add(other.offset + i as i32, c);
            }
        }
    }

    fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// A DDSketch of a stream of `f64` values (relative accuracy `alpha`).
///
/// # Example
/// ```
/// use odeon::ensemble::DdSketch;
/// let mut a = DdSketch::new(0.01);
/// let mut b = DdSketch::new(0.01);
/// for i in 1..=500 { a.add(i as f64); }
/// for i in 501..=1000 { b.add(i as f64); }
/// a.merge(&b)?;
/// let median = a.quantile(0.5).unwrap(); // exact order statistic: 500
/// assert!((median - 500.0).abs() <= 0.01 * 500.0);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DdSketch {
    alpha: f64,
    positive: Store,
    negative: Store,
    zeros: u64,
    count: u64,
    min: f64,
    max: f64,
}

/// Magnitudes below this count as zero (keeps keys in `i32`).
const MIN_INDEXABLE: f64 = 1e-300;

impl DdSketch {
    /// An empty sketch with relative accuracy `alpha ∈ (0, 1)`.
    pub fn new(alpha: f64) -> Self {
        DdSketch {
            alpha,
            positive: Store::default(),
            negative: Store::default(),
            zeros: 0,
            count: 0,
            min: 0.0,
            max: 0.0,
        }
    }

    /// The relative accuracy.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.count
    }

    fn ln_gamma(&self) -> f64 {
        ((1.0 + self.alpha) / (1.0 - self.alpha)).ln()
    }

    fn key(&self, magnitude: f64) -> i32 {
        (magnitude.ln() / self.ln_gamma()).ceil() as i32
    }

    fn value(&self, key: i32) -> f64 {
        let gamma = (1.0 + self.alpha) / (1.0 - self.alpha);
        2.0 * (f64::from(key) * self.ln_gamma()).exp() / (gamma + 1.0)
    }

    /// Add a finite value (non-finite values are ignored).
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        if self.count == 0 {
            (self.min, self.max) = (x, x);
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.count += 1;
        if x.abs() < MIN_INDEXABLE {
            self.zeros += 1;
        } else if x > 0.0 {
            let k = self.key(x);
            self.positive.add(k, 1);
        } else {
            let k = self.key(-x);
            self.negative.add(k, 1);
        }
    }

    /// Add the counts of `other` (same `alpha`).
    ///
    /// # Errors
    /// `InvalidOption` if the accuracies differ.
    pub fn merge(&mut self, other: &DdSketch) -> Result<(), crate::Error> {
        if other.alpha != self.alpha {
            return Err(crate::Error::InvalidOption {
                name: "sketch_alpha",
                reason: format!("cannot merge sketches of accuracy {} and {}", self.alpha, other.alpha),
            });
        }
        if other.count == 0 {
            return Ok(());
        }
        if self.count == 0 {
            (self.min, self.max) = (other.min, other.max);
        } else {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.count += other.count;
        self.zeros += other.zeros;
        self.positive.merge(&other.positive);
        self.negative.merge(&other.negative);
        Ok(())
    }

    /// The value of rank `⌊q (n − 1)⌋` (0-based, ascending), within a
    /// relative error `alpha` (and clamped to the exact min and max);
    /// `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = (q * (self.count - 1) as f64).floor() as u64;
        let mut seen = 0u64;
        // Most negative first: the negative store from its largest key down.
        let neg = &self.negative;
        for (i, &c) in neg.counts.iter().enumerate().rev() {
            seen += c;
            if seen > rank {
                return Some((-self.value(neg.offset + i as i32)).clamp(self.min, self.max));
            }
        }
        seen += self.zeros;
        if seen > rank {
            return Some(0.0f64.clamp(self.min, self.max));
        }
        let pos = &self.positive;
        for (i, &c) in pos.counts.iter().enumerate() {
            seen += c;
            if seen > rank {
                return Some(self.value(pos.offset + i as i32).clamp(self.min, self.max));
            }
        }
        debug_assert_eq!(self.negative.total() + self.zeros + self.positive.total(), self.count);
        Some(self.max)
    }

    /// Number of buckets in use (memory is 8 bytes a bucket).
    /// Check a sketch read from a file against what its summary says:
    /// accuracy `alpha`, `n` values. The stores must lie within the keys
    /// of the values between `min` and `max`, so that merging allocates
    /// no more buckets than sketching values over that range would.
    /// `Err((field, reason))`.
    pub(crate) fn check(&self, alpha: f64, n: u64) -> Result<(), (&'static str, String)> {
        if self.alpha.to_bits() != alpha.to_bits() {
            return Err(("alpha", format!("{} differs from the summary's sketch_alpha {alpha}", self.alpha)));
        }
        if self.count != n {
            return Err(("count", format!("{} values, the block has {n}", self.count)));
        }
        if !(self.min.is_finite() && self.max.is_finite() && self.min <= self.max) {
            return Err(("min", format!("min {} and max {} are not an interval", self.min, self.max)));
        }
        let lowest = self.key(MIN_INDEXABLE);
        for (name, store, top) in [("positive", &self.positive, self.max), ("negative", &self.negative, -self.min)] {
            let (first, len) = (i64::from(store.offset), store.counts.len() as i64);
            let highest = if top >= MIN_INDEXABLE { i64::from(self.key(top)) } else { i64::MIN };
            if len > 0 && (first < i64::from(lowest) || first + len - 1 > highest) {
                let reason = format!("buckets {first}..{} lie outside the keys of [min, max]", first + len);
                return Err((name, reason));
            }
        }
        let total = [&self.positive, &self.negative]
            .iter()
            .flat_map(|s| s.counts.iter())
            .try_fold(self.zeros, |acc, &c| acc.checked_add(c));
        if total != Some(self.count) {
            return Err(("count", "the buckets and zeros do not add up to the count".into()));
        }
        Ok(())
    }

    pub fn buckets(&self) -> usize {
        self.positive.counts.len() + self.negative.counts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_relative_accuracy_of_order_statistics() {
        // Mixed signs, zeros and a wide dynamic range.
        let mut xs: Vec<f64> = (0..20_000)
            .map(|i| {
                let u = (i as f64 * 0.618_033_988_749_894_9).fract();
                if i % 97 == 0 { 0.0 } else { (u - 0.3) * 10f64.powf(6.0 * u - 3.0) }
            })
            .collect();
        let mut s = DdSketch::new(0.01);
        xs.iter().for_each(|&x| s.add(x));
        xs.sort_by(f64::total_cmp);
        for q in [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0] {
            let exact = xs[(q * (xs.len() - 1) as f64).floor() as usize];
            let got = s.quantile(q).unwrap();
            assert!((got - exact).abs() <= 0.01 * exact.abs() + 1e-300, "q = {q}: {got} vs {exact}");
        }
    }

    #[test]
    fn merge_equals_single_pass() {
        let xs: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64 - 300.5).collect();
        let mut all = DdSketch::new(0.005);
        xs.iter().for_each(|&x| all.add(x));
        let mut parts: Vec<DdSketch> = xs
            .chunks(137)
            .map(|c| {
                let mut s = DdSketch::new(0.005);
                c.iter().for_each(|&x| s.add(x));
                s
            })
            .collect();
        let mut merged = parts.pop().unwrap();
        for p in parts.iter().rev() {
            merged.merge(p).unwrap();
        }
        assert_eq!(merged.quantile(0.3), all.quantile(0.3));
        assert_eq!(merged.count, all.count);
        assert_eq!((merged.min, merged.max), (all.min, all.max));
        assert!(merged.merge(&DdSketch::new(0.01)).is_err());
    }
}

//! Streaming statistics of one block of samples, mergeable in a fixed order.
//!
//! Per series (one saved time and state component): the mean and the sum
//! of squared deviations by Welford's update within a block and Chan et
//! al.'s pairwise combination across blocks; min and max; and the values
//! themselves, sorted, while their number stays within the memory budget,
//! else a [`DdSketch`].
//!
//! References: B. P. Welford, *Note on a method for calculating corrected
//! sums of squares and products*, Technometrics 4(3), 419–420 (1962);
//! T. F. Chan, G. H. Golub, R. J. LeVeque, *Updating formulae and a
//! pairwise algorithm for computing sample variances*, Stanford
//! STAN-CS-79-773 (1979).

use super::sketch::DdSketch;
use serde::{Deserialize, Serialize};

/// The values of a series: exact (sorted) or sketched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Values {
    Exact(Vec<f64>),
    Sketch(DdSketch),
}

/// Running statistics of one series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Series {
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
    pub min: f64,
    pub max: f64,
    pub values: Values,
}

/// How the quantiles are kept.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct QuantilePolicy {
    /// Largest number of values kept exactly per series.
    pub cap: u64,
    /// Relative accuracy of the sketch beyond the cap.
    pub alpha: f64,
}

/// Statistics of the successful samples of a run of blocks (every series
/// has `n` values; `series` is empty when `n = 0`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Block {
    pub n: u64,
    pub series: Vec<Series>,
}

impl Block {
    pub fn empty() -> Self {
        Block { n: 0, series: Vec::new() }
    }

    /// Add one sample's values (one per series), Welford's update.
    pub fn push(&mut self, xs: &[f64]) {
        self.n += 1;
        if self.n == 1 {
            self.series = xs
                .iter()
                .map(|&x| Series { mean: x, m2: 0.0, min: x, max: x, values: Values::Exact(vec![x]) })
                .collect();
            return;
        }
        let n = self.n as f64;
        for (s, &x) in self.series.iter_mut().zip(xs) {
            let delta = x - s.mean;
            s.mean += delta / n;
            s.m2 += delta * (x - s.mean);
            s.min = s.min.min(x);
            s.max = s.max.max(x);
            if let Values::Exact(v) = &mut s.values {
                v.push(x);
            }
        }
    }

    /// Sort the exact values (or sketch them beyond the cap): the end of a
    /// block's sequential pass.
    pub fn finish(mut self, policy: QuantilePolicy) -> Self {
        for s in &mut self.series {
            if let Values::Exact(v) = &mut s.values {
                if self.n > policy.cap {
                    let mut sk = DdSketch::new(policy.alpha);
                    v.iter().for_each(|&x| sk.add(x));
                    s.values = Values::Sketch(sk);
                } else {
                    v.sort_by(f64::total_cmp);
                }
            }
        }
        self
    }

    /// Combine two blocks, `self` holding the lower sample indices (Chan
    /// et al.'s pairwise update; sorted merge or sketch for the values).
    pub fn merge(self, other: Block, policy: QuantilePolicy) -> Block {
        if other.n == 0 {
            return self;
        }
        if self.n == 0 {
            return other;
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = self.n + other.n;
        let nf = n as f64;
        let series = self
            .series
            .into_iter()
            .zip(other.series)
            .map(|(a, b)| {
                let delta = b.mean - a.mean;
                Series {
                    mean: a.mean + delta * (nb / nf),
                    m2: a.m2 + b.m2 + delta * delta * (na * nb / nf),
                    min: a.min.min(b.min),
                    max: a.max.max(b.max),
                    values: merge_values(a.values, b.values, n, policy),
                }
            })
            .collect();
        Block { n, series }
    }
}

fn sketch_of(v: Values, alpha: f64) -> DdSketch {
    match v {
        Values::Sketch(s) => s,
        Values::Exact(xs) => {
            let mut s = DdSketch::new(alpha);
            xs.iter().for_each(|&x| s.add(x));
            s
        }
    }
}

fn merge_values(a: Values, b: Values, n: u64, policy: QuantilePolicy) -> Values {
    match (a, b) {
        (Values::Exact(x), Values::Exact(y)) if n <= policy.cap => {
            let mut out = Vec::with_capacity(x.len() + y.len());
            let (mut i, mut j) = (0, 0);
            while i < x.len() && j < y.len() {
                if x[i].total_cmp(&y[j]).is_le() {
                    out.push(x[i]);
                    i += 1;
                } else {
                    out.push(y[j]);
                    j += 1;
                }
            }
            out.extend_from_slice(&x[i..]);
            out.extend_from_slice(&y[j..]);
            Values::Exact(out)
        }
        (a, b) => {
            let mut s = sketch_of(a, policy.alpha);
            s.merge(&sketch_of(b, policy.alpha)).expect("one policy per summary");
            Values::Sketch(s)
        }
    }
}

/// The quantile levels reported: 5%, 25%, 50%, 75%, 95%.
pub const QUANTILE_LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Statistics of one series (a saved time and a state component) over the
/// successful samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesStats {
    /// Mean.
    pub mean: f64,
    /// Sample variance (divisor `n − 1`); `None` for one sample.
    pub variance: Option<f64>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Quantiles at [`QUANTILE_LEVELS`]: exact (linear interpolation
    /// between order statistics, numpy's default) or from the sketch.
    pub quantiles: [f64; 5],
}

impl SeriesStats {
    /// The standard deviation (`None` for one sample).
    pub fn std(&self) -> Option<f64> {
        self.variance.map(f64::sqrt)
    }
}

/// The exact quantile `q` of sorted values by linear interpolation
/// (Hyndman & Fan's type 7).
pub(crate) fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
    let h = q * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    match sorted.get(lo + 1) {
        Some(&next) => sorted[lo] + (h - lo as f64) * (next - sorted[lo]),
        None => sorted[lo],
    }
}

impl Series {
    pub fn stats(&self, n: u64) -> SeriesStats {
        let quantiles = QUANTILE_LEVELS.map(|q| match &self.values {
            Values::Exact(v) => exact_quantile(v, q),
            Values::Sketch(s) => s.quantile(q).unwrap_or(f64::NAN),
        });
        SeriesStats {
            mean: self.mean,
            variance: (n > 1).then(|| self.m2 / (n - 1) as f64),
            min: self.min,
            max: self.max,
            quantiles,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXACT: QuantilePolicy = QuantilePolicy { cap: 1000, alpha: 0.01 };

    #[test]
    fn merged_moments_match_two_pass_formulas() {
        let xs: Vec<f64> = (0..300).map(|i| ((i * 37) % 101) as f64 * 0.1 + 1e6).collect();
        let mut a = Block::empty();
        let mut b = Block::empty();
        xs[..120].iter().for_each(|&x| a.push(&[x]));
        xs[120..].iter().for_each(|&x| b.push(&[x]));
        let m = a.finish(EXACT).merge(b.finish(EXACT), EXACT);
        let mean = xs.iter().sum::<f64>() / 300.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 299.0;
        let s = m.series[0].stats(m.n);
        assert!((s.mean - mean).abs() < 1e-9);
        assert!((s.variance.unwrap() - var).abs() < 1e-9 * var);
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(m.series[0].values, Values::Exact(sorted));
    }

    #[test]
    fn exact_quantiles_interpolate_like_numpy() {
        // numpy.quantile([1, 2, 4, 8], [0.05, 0.5, 0.95]) = [1.15, 3.0, 7.4]
        let v = [1.0, 2.0, 4.0, 8.0];
        assert!((exact_quantile(&v, 0.05) - 1.15).abs() < 1e-15);
        assert_eq!(exact_quantile(&v, 0.5), 3.0);
        assert!((exact_quantile(&v, 0.95) - 7.4).abs() < 1e-14);
    }

    #[test]
    fn beyond_the_cap_values_are_sketched() {
        let policy = QuantilePolicy { cap: 10, alpha: 0.01 };
        let mut a = Block::empty();
        (1..=8).for_each(|i| a.push(&[i as f64]));
        let mut b = Block::empty();
        (9..=16).for_each(|i| b.push(&[i as f64]));
        let m = a.finish(policy).merge(b.finish(policy), policy);
        assert!(matches!(m.series[0].values, Values::Sketch(_)));
        let q = m.series[0].stats(m.n).quantiles[2]; // rank floor(0.5 * 15) = 7: value 8
        assert!((q - 8.0).abs() <= 0.08, "{q}");
    }
}

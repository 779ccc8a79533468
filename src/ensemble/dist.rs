//! Distributions of uncertain inputs and the samplers that draw `(y0, p)`.
//!
//! Every distribution is drawn by inversion: a uniform `u ∈ (0, 1)` goes
//! through the quantile function. The same code then serves independent
//! sampling, Latin hypercubes (stratified `u`), Sobol's matrices and
//! Morris' grids.

use crate::random::{Domain, SampleRng, normal_quantile};
use crate::{Error, Model};
use nalgebra::Dim;
use serde::{Deserialize, Serialize};

/// The distribution of one uncertain input.
///
/// In TOML/JSON a fixed value is a plain number and the others are tables
/// tagged by `dist`: `{ dist = "uniform", low = 0.5, high = 2.0 }`,
/// `{ dist = "normal", mean = 1.0, std = 0.1 }`,
/// `{ dist = "lognormal", mu = 0.0, sigma = 0.25 }` (the parameters of
/// `ln x`).
///
/// # Example
/// ```
/// use odeon::ensemble::Dist;
/// let d = Dist::Uniform { low: 0.5, high: 2.0 };
/// assert_eq!(d.quantile(0.5), 1.25);
/// let n = Dist::Normal { mean: 1.0, std: 0.1 };
/// assert!((n.quantile(0.975) - (1.0 + 0.1 * 1.959963984540054)).abs() < 1e-12);
/// let back: Dist = serde_json::from_str(r#"{"dist": "uniform", "low": 0.5, "high": 2.0}"#).unwrap();
/// assert_eq!(back, d);
/// assert_eq!(serde_json::from_str::<Dist>("3.0").unwrap(), Dist::Fixed(3.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Uniform on `[low, high)`.
    Uniform {
        /// Lower end.
        low: f64,
        /// Upper end (greater than `low`).
        high: f64,
    },
    /// Normal with this mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (positive).
        std: f64,
    },
    /// Log-normal: `ln x` is normal with mean `mu` and standard deviation `sigma`.
    LogNormal {
        /// Mean of `ln x`.
        mu: f64,
        /// Standard deviation of `ln x` (positive).
        sigma: f64,
    },
}

impl Dist {
    /// The quantile function at `u ∈ (0, 1)`.
    #[inline]
    pub fn quantile(&self, u: f64) -> f64 {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { low, high } => low + (high - low) * u,
            Dist::Normal { mean, std } => mean + std * normal_quantile(u),
            Dist::LogNormal { mu, sigma } => (mu + sigma * normal_quantile(u)).exp(),
        }
    }

    /// Whether the value is fixed (nothing to vary in a sensitivity study).
    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed(_))
    }

    /// The exact mean and variance of the distribution.
    pub fn mean_variance(&self) -> (f64, f64) {
        match *self {
            Dist::Fixed(v) => (v, 0.0),
            Dist::Uniform { low, high } => (0.5 * (low + high), (high - low).powi(2) / 12.0),
            Dist::Normal { mean, std } => (mean, std * std),
            Dist::LogNormal { mu, sigma } => {
                let s2 = sigma * sigma;
                ((mu + 0.5 * s2).exp(), (s2.exp() - 1.0) * (2.0 * mu + s2).exp())
            }
        }
    }

    /// Check the parameters: finite, `low < high`, positive spreads.
    pub fn validate(&self, name: &str) -> Result<(), Error> {
        let bad = |reason: &str| Err(Error::InvalidDistribution { name: name.to_string(), reason: reason.into() });
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match *self {
            Dist::Fixed(v) if !v.is_finite() => bad("the value is not finite"),
            Dist::Uniform { low, high } if !(finite(&[low, high]) && low < high) => {
                bad("uniform needs finite low < high")
            }
            Dist::Normal { mean, std } if !(finite(&[mean, std]) && std > 0.0) => {
                bad("normal needs a finite mean and std > 0")
            }
            Dist::LogNormal { mu, sigma } if !(finite(&[mu, sigma]) && sigma > 0.0) => {
                bad("lognormal needs a finite mu and sigma > 0")
            }
            _ => Ok(()),
        }
    }

    /// The distributions of a model's initial state and parameters, by
    /// name: each state and parameter held at its value in `y0` and `p`
    /// unless `given` names it (a composite's paths, `"plant.x"`,
    /// `"controller.kp"`, or any model's `state_names` and
    /// `param_names`). The result goes to any sampler
    /// ([`Independent::new`], [`LatinHypercube::new`], …).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `y0` or `p` does not fit the model;
    /// [`Error::InvalidDistribution`] naming the entry for a name that is
    /// neither a state nor a parameter (the message lists them), that is
    /// both, that is given twice, or whose distribution is invalid.
    ///
    /// # Example
    /// ```
    /// use odeon::ensemble::{Dist, Independent};
    /// use odeon::models::LotkaVolterra;
    /// let u = Dist::Uniform { low: 0.5, high: 1.5 };
    /// let (y0, p) = Dist::by_name(&LotkaVolterra, &LotkaVolterra::Y0, &LotkaVolterra::PARAMS, &[("b", u)])?;
    /// assert_eq!(p[1], u);
    /// assert_eq!(p[0], Dist::Fixed(LotkaVolterra::PARAMS[0]));
    /// let sampler = Independent::new(y0, p)?;
    /// # let _ = sampler;
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn by_name<M: Model>(
        model: &M,
        y0: &[f64],
        p: &[f64],
        given: &[(&str, Dist)],
    ) -> Result<(Vec<Dist>, Vec<Dist>), Error> {
        let n = model.dim().value();
        if y0.len() != n {
            return Err(Error::DimensionMismatch { what: "y0", expected: n, got: y0.len() });
        }
        if p.len() != model.n_params() {
            return Err(Error::DimensionMismatch { what: "p", expected: model.n_params(), got: p.len() });
        }
        let (states, params) = (model.state_names(), model.param_names());
        let mut y0: Vec<Dist> = y0.iter().map(|&v| Dist::Fixed(v)).collect();
        let mut p: Vec<Dist> = p.iter().map(|&v| Dist::Fixed(v)).collect();
        for (k, &(name, dist)) in given.iter().enumerate() {
            let bad = |reason: String| Err(Error::InvalidDistribution { name: name.to_string(), reason });
            // (`take`: a model naming more states or parameters than it has
            // cannot index past them.)
            let find = |names: &[String], len: usize| names.iter().take(len).position(|s| s == name);
            let (in_states, in_params) = (find(&states, y0.len()), find(&params, p.len()));
            let slot = match (in_states, in_params) {
                (Some(i), None) => &mut y0[i],
                (None, Some(i)) => &mut p[i],
                (Some(_), Some(_)) => return bad("both a state and a parameter have this name".into()),
                (None, None) => {
                    let (s, q) = (states.join(", "), params.join(", "));
                    return bad(format!("no state or parameter of this name; states: {s}; parameters: {q}"));
                }
            };
            if given[..k].iter().any(|&(other, _)| other == name) {
                return bad("given twice".into());
            }
            dist.validate(name)?;
            *slot = dist;
        }
        Ok((y0, p))
    }
}

/// The serde form of a [`Dist`] table: `dist = "…"` and its parameters.
#[derive(Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
enum Tagged {
    Uniform { low: f64, high: f64 },
    Normal { mean: f64, std: f64 },
    LogNormal { mu: f64, sigma: f64 },
}

impl Serialize for Dist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Dist::Fixed(v) => s.serialize_f64(v),
            Dist::Uniform { low, high } => Tagged::Uniform { low, high }.serialize(s),
            Dist::Normal { mean, std } => Tagged::Normal { mean, std }.serialize(s),
            Dist::LogNormal { mu, sigma } => Tagged::LogNormal { mu, sigma }.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Dist;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a table with `dist = \"uniform\" | \"normal\" | \"lognormal\"`")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Dist, E> {
                Ok(Dist::Fixed(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Dist, E> {
                Ok(Dist::Fixed(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Dist, E> {
                Ok(Dist::Fixed(v as f64))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Dist, A::Error> {
                let t = Tagged::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(match t {
                    Tagged::Uniform { low, high } => Dist::Uniform { low, high },
                    Tagged::Normal { mean, std } => Dist::Normal { mean, std },
                    Tagged::LogNormal { mu, sigma } => Dist::LogNormal { mu, sigma },
                })
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The initial state and parameters of one sample.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Draw {
    /// Initial state.
    pub y0: Vec<f64>,
    /// Parameters.
    pub p: Vec<f64>,
}

impl Draw {
    /// Set the draw to the first `n_y0` values (`y0`) and the rest (`p`),
    /// keeping its memory.
    pub fn fill(&mut self, n_y0: usize, mut values: impl Iterator<Item = f64>) {
        self.y0.clear();
        self.y0.extend(values.by_ref().take(n_y0));
        self.p.clear();
        self.p.extend(values);
    }
}

/// Draws the inputs `(y0, p)` of sample `index` from its own stream.
///
/// Closures `Fn(u64, &mut SampleRng) -> (Vec<f64>, Vec<f64>)` are samplers;
/// [`Independent`] and [`LatinHypercube`] are ready-made ones.
///
/// # Example
/// ```
/// use odeon::ensemble::{Sampler, SampleRng};
/// let sampler = |_i: u64, rng: &mut SampleRng| (vec![1.0 + rng.uniform(), 0.0], vec![0.5 + 1.5 * rng.uniform()]);
/// let d = sampler.sample(3, &mut SampleRng::for_sample(1, 3));
/// assert_eq!(d.y0.len(), 2);
/// ```
pub trait Sampler: Sync {
    /// The inputs of sample `index`.
    fn sample(&self, index: u64, rng: &mut SampleRng) -> Draw;

    /// [`sample`](Self::sample) into `draw`, reusing its memory: what an
    /// [`Ensemble`](super::Ensemble) calls, so that a sampler that fills a
    /// draw in place costs no allocation per sample.
    fn sample_into(&self, index: u64, rng: &mut SampleRng, draw: &mut Draw) {
        *draw = self.sample(index, rng);
    }

    /// The number of samples the sampler is built for, if it is (a Latin
    /// hypercube stratifies a fixed number of samples).
    fn n_samples(&self) -> Option<u64> {
        None
    }
}

impl<F> Sampler for F
where
    F: Fn(u64, &mut SampleRng) -> (Vec<f64>, Vec<f64>) + Sync,
{
    fn sample(&self, index: u64, rng: &mut SampleRng) -> Draw {
        let (y0, p) = self(index, rng);
        Draw { y0, p }
    }
}

/// Independent draws: each initial-state component, then each parameter,
/// takes one uniform number from the sample's stream (fixed ones too, so
/// that fixing an input does not shift the others' draws) and inverts its
/// distribution.
///
/// # Example
/// ```
/// use odeon::ensemble::{Dist, Independent, Sampler, SampleRng};
/// let s = Independent::new(vec![Dist::Uniform { low: 1.0, high: 3.0 }, Dist::Fixed(0.0)],
///                          vec![Dist::Uniform { low: 0.5, high: 2.0 }])?;
/// let d = s.sample(0, &mut SampleRng::for_sample(7, 0));
/// assert!(1.0 <= d.y0[0] && d.y0[0] < 3.0 && d.y0[1] == 0.0);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Independent {
    y0: Vec<Dist>,
    p: Vec<Dist>,
}

impl Independent {
    /// Independent draws of `y0` and `p` (each distribution validated).
    pub fn new(y0: Vec<Dist>, p: Vec<Dist>) -> Result<Self, Error> {
        validate_all(&y0, &p)?;
        Ok(Independent { y0, p })
    }

    /// The distributions of `y0` and of `p`.
    pub fn dists(&self) -> (&[Dist], &[Dist]) {
        (&self.y0, &self.p)
    }
}

impl Sampler for Independent {
    fn sample(&self, index: u64, rng: &mut SampleRng) -> Draw {
        let mut draw = Draw::default();
        self.sample_into(index, rng, &mut draw);
        draw
    }

    fn sample_into(&self, _index: u64, rng: &mut SampleRng, draw: &mut Draw) {
        let mut q = |d: &Dist| d.quantile(rng.uniform());
        draw.fill(self.y0.len(), self.y0.iter().chain(&self.p).map(&mut q));
    }
}

fn validate_all(y0: &[Dist], p: &[Dist]) -> Result<(), Error> {
    for (i, d) in y0.iter().enumerate() {
        d.validate(&format!("y0[{i}]"))?;
    }
    for (i, d) in p.iter().enumerate() {
        d.validate(&format!("p[{i}]"))?;
    }
    Ok(())
}

/// Latin hypercube sampling of `n` samples: along every input the `n`
/// samples fall one in each of `n` equiprobable strata. Sample `i` sits in
/// stratum `π_d(i)` of input `d` (random permutations drawn once from the
/// seed) at a uniform offset drawn from its own stream, so the design is
/// the same for any thread count or shard.
///
/// Memory: `4 n` bytes per input.
///
/// Reference: M. D. McKay, R. J. Beckman, W. J. Conover, *A comparison of
/// three methods for selecting values of input variables in the analysis
/// of output from a computer code*, Technometrics 21(2), 239–245 (1979).
///
/// # Example
/// ```
/// use odeon::ensemble::{Dist, LatinHypercube, Sampler, SampleRng};
/// let u = Dist::Uniform { low: 0.0, high: 1.0 };
/// let lhs = LatinHypercube::new(vec![u], vec![u], 10, 42)?;
/// let mut strata: Vec<usize> = (0..10)
///     .map(|i| (lhs.sample(i, &mut SampleRng::for_sample(42, i)).p[0] * 10.0) as usize)
///     .collect();
/// strata.sort();
/// assert_eq!(strata, (0..10).collect::<Vec<_>>()); // one sample per stratum
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LatinHypercube {
    y0: Vec<Dist>,
    p: Vec<Dist>,
    n: u64,
    /// One permutation of `0..n` per input (`y0` then `p`).
    perms: Vec<Vec<u32>>,
}

impl LatinHypercube {
    /// A Latin hypercube of `n ≤ 2³²` samples whose permutations derive
    /// from `seed` (use the ensemble's seed).
    pub fn new(y0: Vec<Dist>, p: Vec<Dist>, n: u64, seed: u64) -> Result<Self, Error> {
        validate_all(&y0, &p)?;
        if n == 0 || n > u64::from(u32::MAX) + 1 {
            return Err(Error::InvalidOption {
                name: "samples",
                reason: format!("a Latin hypercube needs 1 ≤ n ≤ 2³², got {n}"),
            });
        }
        let perms = (0..y0.len() + p.len())
            .map(|d| {
                // Fisher–Yates on the dimension's own stream.
                let mut rng = SampleRng::new(seed, Domain::LatinHypercube, d as u64);
                let mut perm: Vec<u32> = (0..n).map(|i| i as u32).collect();
                for i in (1..perm.len()).rev() {
                    perm.swap(i, rng.below(i as u64 + 1) as usize);
                }
                perm
            })
            .collect();
        Ok(LatinHypercube { y0, p, n, perms })
    }
}

impl Sampler for LatinHypercube {
    fn sample(&self, index: u64, rng: &mut SampleRng) -> Draw {
        let mut draw = Draw::default();
        self.sample_into(index, rng, &mut draw);
        draw
    }

    fn sample_into(&self, index: u64, rng: &mut SampleRng, draw: &mut Draw) {
        let n = self.n as f64;
        let mut d = 0;
        let mut q = |dist: &Dist| {
            let stratum = f64::from(self.perms[d][index as usize]);
            d += 1;
            dist.quantile((stratum + rng.uniform()) / n)
        };
        draw.fill(self.y0.len(), self.y0.iter().chain(&self.p).map(&mut q));
    }

    fn n_samples(&self) -> Option<u64> {
        Some(self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameters_are_named() {
        let e = Independent::new(vec![], vec![Dist::Fixed(1.0), Dist::Uniform { low: 2.0, high: 1.0 }]).unwrap_err();
        assert!(matches!(&e, Error::InvalidDistribution { name, .. } if name == "p[1]"), "{e}");
        assert!(Dist::Normal { mean: 0.0, std: 0.0 }.validate("x").is_err());
        assert!(Dist::LogNormal { mu: f64::NAN, sigma: 1.0 }.validate("x").is_err());
    }

    /// y' = -k y (k the last parameter) with the given names.
    struct Named(&'static str, &'static [&'static str]);
    impl crate::OdeSystem for Named {
        type Dim = nalgebra::Const<1>;
        fn dim(&self) -> Self::Dim {
            nalgebra::Const
        }
        fn n_params(&self) -> usize {
            self.1.len()
        }
        fn rhs<D: crate::DualScalar>(
            &self,
            _t: D,
            y: &crate::State<D, Self::Dim>,
            p: &[D],
            dy: &mut crate::State<D, Self::Dim>,
        ) {
            dy[0] = -p[p.len() - 1] * y[0];
        }
        fn state_names(&self) -> Vec<String> {
            vec![self.0.into()]
        }
        fn param_names(&self) -> Vec<String> {
            self.1.iter().map(|&n| n.into()).collect()
        }
    }

    #[test]
    fn distributions_are_given_by_name() {
        let u = Dist::Uniform { low: 0.5, high: 1.5 };
        let n = Dist::Normal { mean: 2.0, std: 0.1 };
        let (y0, p) = Dist::by_name(&Named("y", &["x", "k"]), &[3.0], &[1.0, 2.0], &[("k", u), ("y", n)]).unwrap();
        assert_eq!((y0, p), (vec![n], vec![Dist::Fixed(1.0), u]));
        let named = |given: &[(&str, Dist)]| match Dist::by_name(&Named("y", &["x", "k"]), &[3.0], &[1.0, 2.0], given)
            .unwrap_err()
        {
            Error::InvalidDistribution { name, reason } => format!("{name}: {reason}"),
            e => panic!("{e}"),
        };
        let e = named(&[("kk", u)]);
        assert!(e.starts_with("kk: no state") && e.contains("states: y; parameters: x, k"), "{e}");
        assert!(named(&[("k", u), ("k", n)]).contains("given twice"));
        assert!(named(&[("k", Dist::Uniform { low: 1.0, high: 0.0 })]).starts_with("k: uniform"));
        let e = Dist::by_name(&Named("y", &["x", "k"]), &[3.0, 4.0], &[1.0, 2.0], &[]).unwrap_err();
        assert!(matches!(e, Error::DimensionMismatch { what: "y0", expected: 1, got: 2 }), "{e}");
        let e = Dist::by_name(&Named("y", &["x", "k"]), &[3.0], &[1.0], &[]).unwrap_err();
        assert!(matches!(e, Error::DimensionMismatch { what: "p", expected: 2, got: 1 }), "{e}");
    }

    #[test]
    fn a_name_of_a_state_and_a_parameter_is_ambiguous() {
        let e = Dist::by_name(&Named("x", &["x"]), &[0.0], &[1.0], &[("x", Dist::Fixed(2.0))]).unwrap_err();
        assert!(e.to_string().contains("both a state and a parameter"), "{e}");
    }

    #[test]
    fn unknown_distribution_is_a_clear_error() {
        let e = serde_json::from_str::<Dist>(r#"{"dist": "gamma", "k": 1}"#).unwrap_err().to_string();
        assert!(e.contains("gamma") && e.contains("uniform"), "{e}");
        let e = serde_json::from_str::<Dist>(r#"{"dist": "uniform", "low": 1}"#).unwrap_err().to_string();
        assert!(e.contains("high"), "{e}");
    }

    #[test]
    fn lognormal_mean_is_closed_form() {
        let d = Dist::LogNormal { mu: 0.1, sigma: 0.3 };
        assert!((d.mean_variance().0 - (0.1f64 + 0.045).exp()).abs() < 1e-15);
        assert!((d.quantile(0.5) - 0.1f64.exp()).abs() < 1e-15);
    }
}

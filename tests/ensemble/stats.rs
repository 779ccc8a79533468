//! Ensemble statistics against closed forms: exponential decay with a
//! uniformly distributed rate, 10⁵ samples, within Monte Carlo error.

use odeon::Tsit5;
use odeon::ensemble::{Dist, Ensemble, Independent, Keep, QUANTILE_LEVELS, QuantileMethod};
use odeon::{Options, models::ExponentialDecay};

const N: u64 = 100_000;
const A: f64 = 0.5;
const B: f64 = 1.5;
const TIMES: [f64; 3] = [0.5, 1.0, 2.0];

/// `E[y(t)^k]` for `y = e^{−κt}`, `κ ~ U(a, b)`.
fn raw_moment(t: f64, k: f64) -> f64 {
    ((-k * A * t).exp() - (-k * B * t).exp()) / (k * (B - A) * t)
}

/// Mean, variance and the standard error of the sample variance.
fn exact(t: f64) -> (f64, f64, f64) {
    let m = raw_moment(t, 1.0);
    let var = raw_moment(t, 2.0) - m * m;
    let mu4 = raw_moment(t, 4.0) - 4.0 * m * raw_moment(t, 3.0) + 6.0 * m * m * raw_moment(t, 2.0) - 3.0 * m.powi(4);
    (m, var, ((mu4 - var * var) / N as f64).sqrt())
}

/// The q-quantile of y(t) and its Monte Carlo standard error
/// (`√(q(1−q)/n) / density`; the density of y is `1/((b−a) t y)`).
fn exact_quantile(t: f64, q: f64) -> (f64, f64) {
    let y = (-(A + (1.0 - q) * (B - A)) * t).exp();
    (y, (q * (1.0 - q) / N as f64).sqrt() * (B - A) * t * y)
}

fn ensemble(budget: u64) -> odeon::ensemble::EnsembleSummary {
    let sampler = Independent::new(vec![Dist::Fixed(1.0)], vec![Dist::Uniform { low: A, high: B }]).unwrap();
    Ensemble::new(&ExponentialDecay, Tsit5, (0.0, 2.0), sampler, N)
        .options(Options::default().rtol(1e-10).atol(1e-12))
        .keep(Keep::At(TIMES.to_vec()))
        .seed(2024)
        .quantile_budget(budget)
        .run()
        .unwrap()
}

#[test]
fn moments_and_quantiles_match_closed_forms() {
    for (budget, sketched) in [(64 << 20, false), (8 * 3 * 1000, true)] {
        let s = ensemble(budget);
        assert_eq!((s.succeeded, s.failed), (N, 0));
        let alpha = match s.quantile_method.unwrap() {
            QuantileMethod::Exact => 0.0,
            QuantileMethod::Sketch { alpha } => alpha,
        };
        assert_eq!(alpha > 0.0, sketched);
        for (i, &t) in TIMES.iter().enumerate() {
            let st = s.stat(i, 0).unwrap();
            let (mean, var, var_se) = exact(t);
            let mean_se = (var / N as f64).sqrt();
            assert!((st.mean - mean).abs() < 4.0 * mean_se, "t = {t}: mean {} vs {mean}", st.mean);
            let v = st.variance.unwrap();
            assert!((v - var).abs() < 4.0 * var_se, "t = {t}: variance {v} vs {var} ± {var_se}");
            assert!(st.min >= (-B * t).exp() - 1e-9 && st.max <= (-A * t).exp() + 1e-9);
            assert!(st.min - (-B * t).exp() < 1e-3 && (-A * t).exp() - st.max < 1e-3);
            for (k, &q) in QUANTILE_LEVELS.iter().enumerate() {
                let (yq, se) = exact_quantile(t, q);
                let got = st.quantiles[k];
                assert!((got - yq).abs() < 4.0 * se + alpha * yq, "t = {t}, q = {q}: {got} vs {yq} ± {se}");
            }
        }
    }
}

#[test]
fn latin_hypercube_mean_is_far_more_accurate() {
    use odeon::ensemble::LatinHypercube;
    // Stratifying the only random input leaves an error far below the
    // plain Monte Carlo error of 10⁴ samples.
    let n = 10_000;
    let lhs = LatinHypercube::new(vec![Dist::Fixed(1.0)], vec![Dist::Uniform { low: A, high: B }], n, 5).unwrap();
    let s = Ensemble::new(&ExponentialDecay, Tsit5, (0.0, 1.0), lhs, n)
        .options(Options::default().rtol(1e-10).atol(1e-12))
        .seed(5)
        .run()
        .unwrap();
    let (m, var) = (raw_moment(1.0, 1.0), raw_moment(1.0, 2.0) - raw_moment(1.0, 1.0).powi(2));
    let mc_se = (var / n as f64).sqrt();
    assert!((s.stat(0, 0).unwrap().mean - m).abs() < 0.05 * mc_se);
}

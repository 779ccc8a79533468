//! Failures are data: an ensemble where 10% of the draws blow up.

use nalgebra::{Const, SVector};
use odeon::Dopri5;
use odeon::ensemble::{Dist, Ensemble, Independent, SampleRng};
use odeon::{DualScalar, OdeSystem, Options};

/// `y' = c y²`, `y(0) = 1`: `y(t) = 1 / (1 − c t)`, infinite at `t = 1/c`.
/// The parameter `u ~ U(0, 1)` sets `c = u / 2` for `u < 0.9` (finite on
/// [0, 1]) and `c = 2 + u` otherwise (blow-up before t = 0.5).
struct BlowUp;

impl OdeSystem for BlowUp {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, p: &[D], dy: &mut SVector<D, 1>) {
        let c = if p[0].re() < 0.9 { p[0] * 0.5 } else { p[0] + 2.0 };
        dy[0] = c * y[0] * y[0];
    }
}

#[test]
fn failed_samples_are_listed_and_the_rest_summarized() {
    let n = 4000;
    let seed = 99;
    let sampler = Independent::new(vec![Dist::Fixed(1.0)], vec![Dist::Uniform { low: 0.0, high: 1.0 }]).unwrap();
    let run = |lanes| {
        Ensemble::new(&BlowUp, Dopri5, (0.0, 1.0), sampler.clone(), n)
            .options(Options::default().rtol(1e-9).atol(1e-9))
            .seed(seed)
            .max_failures_listed(n as usize)
            .lanes(lanes)
            .run()
            .unwrap()
    };
    let s = run(1);
    // The model branches on its parameter: lanes that disagree leave
    // their samples to the one-sample path, with the same results.
    for lanes in [2, 8] {
        assert_eq!(serde_json::to_string(&run(lanes)).unwrap(), serde_json::to_string(&s).unwrap());
    }
    // The draws, recomputed from the documented streams: y0 takes the
    // first uniform, p the second.
    let u: Vec<f64> = (0..n)
        .map(|i| {
            let mut rng = SampleRng::for_sample(seed, i);
            rng.uniform();
            rng.uniform()
        })
        .collect();
    let expected: Vec<u64> = (0..n).filter(|&i| u[i as usize] >= 0.9).collect();
    let listed: Vec<u64> = s.failures.iter().map(|f| f.index).collect();
    assert_eq!(listed, expected);
    assert_eq!(s.failed, expected.len() as u64);
    assert_eq!(s.succeeded + s.failed, n);
    assert!((s.failed as f64 / n as f64 - 0.1).abs() < 0.02);
    for f in &s.failures {
        assert_eq!(f.p, vec![u[f.index as usize]]);
        assert_eq!(f.y0, vec![1.0]);
        assert!(!f.error.is_empty());
    }
    // The rest: y(1) = 1 / (1 − u/2), u ~ U(0, 0.9): mean (2 / 0.9) ln(1 / 0.55).
    let ok: Vec<f64> = u.iter().filter(|&&x| x < 0.9).map(|x| 1.0 / (1.0 - 0.5 * x)).collect();
    let st = s.stat(0, 0).unwrap();
    let exact = 2.0 / 0.9 * (1.0f64 / 0.55).ln();
    let sd = st.std().unwrap();
    assert!((st.mean - exact).abs() < 4.0 * sd / (ok.len() as f64).sqrt());
    // And the statistics of exactly the successful draws (to the solver's accuracy).
    let direct = ok.iter().sum::<f64>() / ok.len() as f64;
    assert!((st.mean - direct).abs() < 1e-7);
    assert!((st.max - ok.iter().cloned().fold(0.0, f64::max)).abs() < 1e-7);
}

#[test]
fn failure_list_is_capped_but_all_are_counted() {
    let sampler = Independent::new(vec![Dist::Fixed(1.0)], vec![Dist::Uniform { low: 0.0, high: 1.0 }]).unwrap();
    let ens = Ensemble::new(&BlowUp, Dopri5, (0.0, 1.0), sampler, 1000).seed(3).max_failures_listed(5);
    let s = ens.run().unwrap();
    assert_eq!(s.failures.len(), 5);
    assert!(s.failed > 50);
    let first: Vec<u64> = s.failures.iter().map(|f| f.index).collect();
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(first, sorted);
}

#[test]
fn configuration_errors_stop_the_run() {
    let sampler = Independent::new(vec![Dist::Fixed(1.0)], vec![Dist::Uniform { low: 0.0, high: 0.5 }]).unwrap();
    let bad_tol =
        Ensemble::new(&BlowUp, Dopri5, (0.0, 1.0), sampler.clone(), 10).options(Options::default().rtol(-1.0)).run();
    assert!(matches!(bad_tol, Err(odeon::Error::InvalidTolerance { name: "rtol", .. })));
    // A sampler that draws two parameters for a one-parameter model.
    let wrong = |_: u64, _: &mut SampleRng| (vec![1.0], vec![0.1, 0.2]);
    let r = Ensemble::new(&BlowUp, Dopri5, (0.0, 1.0), wrong, 10).run();
    assert!(matches!(r, Err(odeon::Error::DimensionMismatch { what: "p", expected: 1, got: 2 })));
    let r = Ensemble::new(&BlowUp, Dopri5, (0.0, 1.0), sampler, 10).shard(4, 4);
    assert!(matches!(r, Err(odeon::Error::InvalidShard { index: 4, count: 4 })));
}

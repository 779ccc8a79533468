//! Bit-identical results for any thread count and any sharding.

use odeon::Dopri5;
use odeon::ensemble::{Dist, Ensemble, EnsembleSummary, Independent, Keep};
use odeon::{Options, models::ExponentialDecay, models::VanDerPol};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// JSON with exact float round trips: equal text means equal bits.
fn bits(s: &EnsembleSummary) -> String {
    serde_json::to_string(s).unwrap()
}

fn vdp(samples: u64) -> Ensemble<'static, VanDerPol, Independent, Dopri5> {
    // The peers' W4 distributions, saved at five times.
    let sampler = Independent::new(
        vec![Dist::Uniform { low: 1.0, high: 3.0 }, Dist::Fixed(0.0)],
        vec![Dist::Uniform { low: 0.5, high: 2.0 }],
    )
    .unwrap();
    Ensemble::new(&VanDerPol, Dopri5, (0.0, 20.0), sampler, samples)
        .options(Options::default().rtol(1e-6).atol(1e-6))
        .keep(Keep::At(vec![0.0, 5.0, 10.0, 15.0, 20.0]))
        .seed(11)
        .block_size(64)
}

#[test]
fn one_and_two_threads_give_identical_summaries() {
    let one = vdp(3000).threads(1).run().unwrap();
    let two = vdp(3000).threads(2).run().unwrap();
    assert_eq!(bits(&one), bits(&two));
    assert_eq!(one.succeeded, 3000);
    // The sketch path too (a budget of 100 values per series).
    let one = vdp(3000).threads(1).quantile_budget(8 * 10 * 100).run().unwrap();
    let two = vdp(3000).threads(2).quantile_budget(8 * 10 * 100).run().unwrap();
    assert!(matches!(one.quantile_method, Some(odeon::ensemble::QuantileMethod::Sketch { .. })));
    assert_eq!(bits(&one), bits(&two));
}

#[test]
fn every_lane_count_gives_identical_results() {
    let one = vdp(2000).lanes(1).threads(1).run().unwrap();
    assert_eq!(one.succeeded, 2000);
    for lanes in [2, 4, 8] {
        assert_eq!(bits(&vdp(2000).lanes(lanes).threads(2).run().unwrap()), bits(&one), "{lanes} lanes");
    }
    // Every sample's saved states and statistics, through `collect` and `run_map`.
    let each = |lanes| vdp(700).lanes(lanes).collect(|i, _, sol| (i, sol.clone())).unwrap();
    let alone = each(1);
    let summed = |lanes| vdp(700).lanes(lanes).run_map(|_, _, sol| sol.y.iter().sum::<f64>(), |a, b| a + b).unwrap();
    for lanes in [2, 4, 8] {
        assert_eq!(each(lanes), alone, "{lanes} lanes");
        assert_eq!(summed(lanes).value.unwrap().to_bits(), summed(1).value.unwrap().to_bits());
    }
    let err = vdp(10).lanes(3).run().unwrap_err();
    assert!(matches!(err, odeon::Error::InvalidOption { name: "lanes", .. }), "{err}");
}

#[test]
fn four_shards_merged_equal_the_single_run_bit_for_bit() {
    let whole = vdp(3000).run().unwrap();
    let mut parts: Vec<EnsembleSummary> = (0..4).map(|k| vdp(3000).shard(k, 4).unwrap().run().unwrap()).collect();
    assert!(parts.iter().all(|p| !p.is_complete()));
    parts.swap(0, 3);
    // Through JSON files, as across machines.
    let dir = std::env::temp_dir().join(format!("odeon-shards-{}", std::process::id()));
    let parts: Vec<EnsembleSummary> = parts
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let path = dir.join(format!("part-{k}.json"));
            p.write_json(&path).unwrap();
            EnsembleSummary::read_json(&path).unwrap()
        })
        .collect();
    std::fs::remove_dir_all(&dir).ok();
    let merged = EnsembleSummary::merge(parts).unwrap();
    assert!(merged.is_complete());
    assert_eq!(bits(&merged), bits(&whole));
}

#[test]
fn merge_refuses_overlaps_and_foreign_parts() {
    let a = vdp(500).shard(0, 2).unwrap().run().unwrap();
    let e = EnsembleSummary::merge(vec![a.clone(), a.clone()]).unwrap_err();
    assert!(matches!(e, odeon::Error::MergeConflict { .. }), "{e}");
    let other = vdp(600).shard(1, 2).unwrap().run().unwrap();
    let e = EnsembleSummary::merge(vec![a, other]).unwrap_err();
    assert!(matches!(e, odeon::Error::MergeConflict { .. }), "{e}");
}

fn decay(samples: u64, block: u64, budget: u64) -> Ensemble<'static, ExponentialDecay, Independent, Dopri5> {
    let sampler =
        Independent::new(vec![Dist::Normal { mean: 1.0, std: 0.2 }], vec![Dist::LogNormal { mu: 0.0, sigma: 0.5 }])
            .unwrap();
    Ensemble::new(&ExponentialDecay, Dopri5, (0.0, 1.0), sampler, samples)
        .keep(Keep::At(vec![0.25, 1.0]))
        .block_size(block)
        .quantile_budget(budget)
        .seed(samples)
}

proptest! {
    #![proptest_config(Config { cases: 24, rng_seed: RngSeed::Fixed(5), failure_persistence: None, ..Config::default() })]

    /// Any number of shards, merged in any order and grouping, equals the
    /// unsharded run bit for bit (exact and sketched quantiles).
    #[test]
    fn merging_is_exact_for_any_split_and_grouping(
        samples in 1u64..400,
        block in 1u64..40,
        shards in 1u64..9,
        sketch in any::<bool>(),
        order in proptest::collection::vec(any::<u32>(), 8),
    ) {
        let budget = if sketch { 8 * 2 * 20 } else { 64 << 20 };
        let whole = decay(samples, block, budget).run().unwrap();
        let mut parts: Vec<EnsembleSummary> =
            (0..shards).map(|k| decay(samples, block, budget).shard(k, shards).unwrap().run().unwrap()).collect();
        // Merge pairs chosen by `order` until one summary is left.
        let mut r = order.into_iter().cycle();
        while parts.len() > 1 {
            let i = r.next().unwrap() as usize % parts.len();
            let a = parts.remove(i);
            let j = r.next().unwrap() as usize % parts.len();
            let b = parts.remove(j);
            parts.push(EnsembleSummary::merge_partial(vec![a, b]).unwrap());
        }
        let merged = parts.pop().unwrap();
        prop_assert!(merged.is_complete());
        prop_assert_eq!(bits(&merged), bits(&whole));
    }
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<EnsembleSummary>();
    check::<Independent>();
    check::<odeon::ensemble::LatinHypercube>();
    check::<odeon::ensemble::Sobol>();
    check::<odeon::ensemble::Morris>();
    check::<odeon::ensemble::DdSketch>();
    check::<odeon::ensemble::spec::EnsembleSpec>();
    check::<odeon::ensemble::spec::EnsemblePart>();
    check::<Ensemble<'static, VanDerPol, Independent, Dopri5>>();
}

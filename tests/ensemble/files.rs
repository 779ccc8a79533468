//! Parts and summaries from other machines: parts of another run or an
//! incomplete set are refused, malformed files get `InvalidFile` naming
//! the field, and no mutation of a valid file makes reading, merging or
//! using it panic.

use odeon::ensemble::spec::{EnsemblePart, EnsembleSpec, Execution};
use odeon::ensemble::{Dist, Ensemble, EnsembleSummary, Independent, Keep};
use odeon::models::ExponentialDecay;
use odeon::{Dopri5, Error, Options, Tsit5};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::PathBuf;

fn sampler(k: Dist) -> Independent {
    Independent::new(vec![Dist::Normal { mean: 1.0, std: 0.2 }], vec![k]).unwrap()
}

const K: Dist = Dist::LogNormal { mu: 0.0, sigma: 0.5 };

fn decay(sampler: Independent) -> Ensemble<'static, ExponentialDecay, Independent, Dopri5> {
    Ensemble::new(&ExponentialDecay, Dopri5, (0.0, 1.0), sampler, 200)
        .keep(Keep::At(vec![0.5, 1.0]))
        .block_size(16)
        .seed(1)
}

fn refused_as_another_run(a: EnsembleSummary, b: EnsembleSummary) {
    assert_eq!((&a.layout.times, a.layout.samples), (&b.layout.times, b.layout.samples));
    assert_ne!(a.layout.run, b.layout.run);
    match EnsembleSummary::merge_partial(vec![a, b]) {
        Err(Error::MergeConflict { reason }) => assert!(reason.contains("another run"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_part_of_another_run_is_refused_even_with_the_same_layout() {
    let shard = |e: Ensemble<'static, ExponentialDecay, Independent, Dopri5>, k| e.shard(k, 2).unwrap().run().unwrap();
    let first = shard(decay(sampler(K)), 0);
    // Another seed, another distribution, another tolerance: each the
    // same samples, times, names and block size.
    refused_as_another_run(first.clone(), shard(decay(sampler(K)).seed(2), 1));
    refused_as_another_run(first.clone(), shard(decay(sampler(Dist::Uniform { low: 0.5, high: 1.5 })), 1));
    refused_as_another_run(first.clone(), shard(decay(sampler(K)).options(Options::default().rtol(1e-8)), 1));
    // Another method.
    let tsit5 = Ensemble::new(&ExponentialDecay, Tsit5, (0.0, 1.0), sampler(K), 200)
        .keep(Keep::At(vec![0.5, 1.0]))
        .block_size(16)
        .seed(1);
    refused_as_another_run(first.clone(), tsit5.shard(1, 2).unwrap().run().unwrap());
    // The same run merges.
    let whole = EnsembleSummary::merge(vec![first, shard(decay(sampler(K)), 1)]).unwrap();
    assert_eq!(whole, decay(sampler(K)).run().unwrap());
}

#[test]
fn a_model_with_other_constants_is_another_run() {
    // Two closures with the same type name would be another matter; two
    // samplers drawing different inputs are caught by their draws.
    let draw = |scale: f64| {
        move |i: u64, _: &mut odeon::ensemble::SampleRng| (vec![1.0], vec![scale * (1.0 + i as f64 / 200.0)])
    };
    let run = |scale: f64, k: u64| {
        Ensemble::new(&ExponentialDecay, Dopri5, (0.0, 1.0), draw(scale), 200).shard(k, 2).unwrap().run().unwrap()
    };
    let (a, b) = (run(1.0, 0), run(1.5, 1));
    assert_eq!(a.layout.samples, b.layout.samples);
    assert!(EnsembleSummary::merge(vec![a, b]).is_err());
}

#[test]
fn an_incomplete_set_merges_only_when_asked_and_says_how_much_it_holds() {
    let parts: Vec<_> = (0..3).map(|k| decay(sampler(K)).shard(k, 3).unwrap().run().unwrap()).collect();
    match EnsembleSummary::merge(vec![parts[0].clone(), parts[2].clone()]) {
        Err(Error::MergeConflict { reason }) => assert!(reason.contains("missing"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let some = EnsembleSummary::merge_partial(vec![parts[2].clone(), parts[0].clone()]).unwrap();
    // Shards of 13 blocks of 16 samples: blocks 0..4 and 8..13.
    assert_eq!(some.covered, vec![(0, 64), (128, 200)]);
    assert_eq!(some.samples_covered(), 136);
    assert_eq!(some.succeeded + some.failed, 136);
    let all = EnsembleSummary::merge(vec![some, parts[1].clone()]).unwrap();
    assert_eq!(all, decay(sampler(K)).run().unwrap());
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("odeon-files-{}-{name}", std::process::id()))
}

/// `value` with `pointer` set to `new`.
fn with(value: &Value, pointer: &str, new: Value) -> Value {
    let mut v = value.clone();
    *v.pointer_mut(pointer).unwrap_or_else(|| panic!("no {pointer}")) = new;
    v
}

fn summary_error(v: &Value) -> Error {
    let path = temp("summary.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let e = EnsembleSummary::read_json(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    e
}

fn assert_field(e: Error, expected: &str) {
    match e {
        Error::InvalidFile { path, field, reason } => {
            assert!(path.ends_with(".json"), "{path}");
            assert_eq!(field, expected, "{reason}");
        }
        other => panic!("{expected}: {other:?}"),
    }
}

#[test]
fn malformed_summaries_name_the_field() {
    let exact = serde_json::to_value(decay(sampler(K)).shard(1, 2).unwrap().run().unwrap()).unwrap();
    // 8 bytes × 2 series × 10 values: sketches beyond 10 samples.
    let sketched = serde_json::to_value(decay(sampler(K)).quantile_budget(160).run().unwrap()).unwrap();
    assert!(sketched.pointer("/state/0/value/series/0/values/sketch").is_some());
    let cases = [
        (with(&exact, "/format", json!("odeon-summary/9")), "format"),
        (with(&exact, "/layout/run", json!("not a hash")), "layout.run"),
        (with(&exact, "/layout/block_size", json!(0)), "layout.block_size"),
        (with(&exact, "/layout/samples", json!(u64::MAX)), "layout.samples"),
        (with(&exact, "/layout/sketch_alpha", json!(0.0)), "layout.sketch_alpha"),
        (with(&exact, "/layout/times", json!([])), "layout.times"),
        (with(&exact, "/state/0/level", json!(70)), "state[0]"),
        (with(&exact, "/state/0/index", json!(1u64 << 40)), "state[0]"),
        (with(&exact, "/state/0/value/n", json!(10_000)), "state[0].n"),
        (with(&exact, "/state/0/value/series", json!([])), "state[0].series"),
        (with(&exact, "/state/0/value/series/1/values/exact", json!([0.5])), "state[0].series[1].values"),
        (with(&exact, "/state/0/value/series/0/max", json!(1e300)), "state[0].series[0]"),
        (with(&exact, "/covered", json!([[0, 200]])), "covered"),
        (with(&exact, "/succeeded", json!(7)), "succeeded"),
        (with(&exact, "/failed", json!(1_000_000)), "failed"),
        (
            with(&sketched, "/state/0/value/series/0/values/sketch/positive/offset", json!(2_000_000_000)),
            "state[0].series[0].values.positive",
        ),
        (
            with(&sketched, "/state/0/value/series/0/values/sketch/alpha", json!(0.01)),
            "state[0].series[0].values.alpha",
        ),
        (with(&sketched, "/state/0/value/series/0/values/sketch/count", json!(3)), "state[0].series[0].values.count"),
    ];
    for (v, field) in cases {
        assert_field(summary_error(&v), field);
    }
    // A failure listed at a sample the summary does not cover.
    let failure = json!([{ "index": 3, "y0": [1.0], "p": [1.0], "error": "x" }]);
    assert_field(summary_error(&with(&with(&exact, "/failures", failure), "/failed", json!(1))), "failures[0].index");
    // Truncated: not JSON, an I/O-level error naming the file.
    let path = temp("truncated.json");
    let text = exact.to_string();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    assert!(matches!(EnsembleSummary::read_json(&path), Err(Error::Io { .. })));
    std::fs::remove_file(&path).ok();
}

const SPEC: &str = r#"
model = "exponential_decay"
t_span = [0.0, 1.0]
save_at = [0.5, 1.0]
seed = 3
samples = 100
block_size = 8
[params]
k = { dist = "uniform", low = 0.5, high = 1.5 }
"#;

fn one_thread() -> Execution {
    Execution { threads: Some(1), ..Execution::default() }
}

fn part(spec: &str, k: u64, n: u64) -> Value {
    serde_json::to_value(EnsemblePart::run(&EnsembleSpec::parse(spec).unwrap(), k, n, &one_thread()).unwrap()).unwrap()
}

fn part_error(v: &Value) -> Error {
    let path = temp("part.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let e = EnsemblePart::read_json(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    e
}

#[test]
fn malformed_parts_name_the_field() {
    let p0 = part(SPEC, 0, 2);
    let p1 = part(SPEC, 1, 2);
    let other_seed = part(&SPEC.replace("seed = 3", "seed = 4"), 1, 2);
    let cases = [
        (with(&p0, "/format", json!("odeon-ensemble/0")), "format"),
        (with(&p0, "/shards", json!([5])), "shards[0]"),
        (with(&p0, "/shards", json!([])), "shards"),
        (with(&p0, "/shard_count", json!(0)), "shards"),
        (with(&p0, "/spec/seed", json!(4)), "spec_hash"),
        (with(&p0, "/spec/block_size", json!(0)), "spec.block_size"),
        (with(&p0, "/spec/model", json!("no_such_model")), "spec.model"),
        (with(&p0, "/spec/params/0/0", json!("q")), "spec.params"),
        // Shard 1's statistics under shard 0's label.
        (with(&p0, "/summary", p1["summary"].clone()), "summary.covered"),
        // Another seed's statistics under this spec.
        (with(&p1, "/summary", other_seed["summary"].clone()), "summary.layout"),
        (with(&p0, "/summary/layout/block_size", json!(0)), "summary.layout.block_size"),
    ];
    for (v, field) in cases {
        assert_field(part_error(&v), field);
    }
    // Valid parts still read and merge.
    let read = |v: &Value| serde_json::from_value::<EnsemblePart>(v.clone()).unwrap();
    let merged = EnsemblePart::merge(vec![("a".into(), read(&p1)), ("b".into(), read(&p0))], true).unwrap();
    assert!(merged.summary.is_complete());
}

/// The containers of `v` and their fields, as JSON pointers; of a long
/// array only the first and last elements, so that mutations hit the
/// structure (lengths, counts, tags) rather than one of many values.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| pointers(x, format!("{at}/{k}"), out)),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate().filter(|&(i, _)| i == 0 || i + 1 == a.len()) {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn wild() -> Vec<Value> {
    vec![
        json!(0),
        json!(-1),
        json!(1),
        json!(7),
        json!(u64::MAX),
        json!(1u64 << 53),
        json!(i64::MIN),
        json!(1e308),
        json!(-1e308),
        json!(1e-310),
        json!(0.5),
        json!("x"),
        json!(""),
        Value::Null,
        json!(true),
        json!([]),
        json!({}),
        json!([[0, 1]]),
    ]
}

/// `v` changed at the `which`-th pointer: deleted, replaced by a wild
/// value, or the array there lost or doubled its last element.
fn mutate(v: &Value, which: usize, how: usize) -> Value {
    let mut all = Vec::new();
    pointers(v, String::new(), &mut all);
    let at = &all[which % all.len()];
    let mut out = v.clone();
    let wild = wild();
    if at.is_empty() {
        return wild[how % wild.len()].clone();
    }
    let (parent, key) = at.rsplit_once('/').unwrap();
    let target = out.pointer_mut(at).unwrap();
    match how % (wild.len() + 3) {
        n if n < wild.len() => *target = wild[n].clone(),
        n if n == wild.len() => {
            if let Value::Array(a) = target {
                a.pop();
            }
        }
        n if n == wild.len() + 1 => {
            if let Value::Array(a) = target
                && let Some(last) = a.last().cloned()
            {
                a.push(last);
            }
        }
        _ => match out.pointer_mut(parent).unwrap() {
            Value::Object(m) => {
                m.remove(key);
            }
            Value::Array(a) => {
                a.remove(key.parse::<usize>().unwrap());
            }
            _ => {}
        },
    }
    out
}

/// Use a summary that read back: it is whole (counts within what it
/// covers, a statistic per series, each a distribution's), it merges, and
/// it round-trips.
fn exercise(s: &EnsembleSummary, other: &EnsembleSummary) {
    assert!(s.succeeded + s.failed <= s.samples_covered() && s.samples_covered() <= s.layout.samples);
    let series = s.layout.times.len() * s.layout.names.len();
    assert_eq!(s.stats.len(), if s.succeeded > 0 { series } else { 0 });
    for st in &s.stats {
        let q = &st.quantiles;
        assert!(st.min <= q[0] && q.windows(2).all(|w| w[0] <= w[1]) && q[4] <= st.max, "{st:?}");
        assert!(st.mean.is_finite() && st.variance.is_none_or(|v| v.is_finite() && v >= 0.0), "{st:?}");
    }
    if let Ok(m) = EnsembleSummary::merge_partial(vec![s.clone(), other.clone()]) {
        assert!(m.samples_covered() <= m.layout.samples);
    }
    let text = serde_json::to_string(s).unwrap();
    assert_eq!(&serde_json::from_str::<EnsembleSummary>(&text).unwrap(), s);
}

proptest! {
    #![proptest_config(crate::common::proptest_config(10_000))]

    /// 10,000 mutations of a summary (exact quantiles for one part,
    /// sketched for the other) and of a part file, and truncations: each
    /// reads as `Ok` or a typed error, and what reads is safe to use.
    #[test]
    fn no_mutation_of_a_file_panics(which in any::<usize>(), how in any::<usize>(), cut in any::<usize>(), kind in 0usize..4) {
        thread_local! {
            static FILES: (Value, Value, Value, EnsembleSummary) = {
                let sketched = decay(sampler(K)).quantile_budget(160).shard(0, 2).unwrap().run().unwrap();
                let exact = decay(sampler(K)).shard(1, 2).unwrap().run().unwrap();
                let complement = decay(sampler(K)).shard(0, 2).unwrap().run().unwrap();
                let p0 = part(SPEC, 0, 2);
                (serde_json::to_value(&sketched).unwrap(), serde_json::to_value(&exact).unwrap(), p0, complement)
            };
        }
        FILES.with(|(sketched, exact, p0, other)| {
            let (source, is_part) = match kind {
                0 => (sketched, false),
                1 => (exact, false),
                _ => (p0, true),
            };
            let text = if kind == 3 {
                let t = source.to_string();
                let mut at = cut % (t.len() + 1);
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                t[..at].to_string()
            } else {
                mutate(source, which, how).to_string()
            };
            if is_part {
                if let Ok(p) = serde_json::from_str::<EnsemblePart>(&text) {
                    exercise(&p.summary, other);
                }
            } else if let Ok(s) = serde_json::from_str::<EnsembleSummary>(&text) {
                exercise(&s, other);
            }
        });
    }
}

/// A model file in place of a built-in model (the same equations): the
/// same statistics; and a resolved spec whose model file has changed since
/// is refused.
#[test]
fn a_model_file_in_a_spec() {
    let dir = std::env::temp_dir().join(format!("odeon-ens-model-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("lv.toml");
    std::fs::copy(format!("{}/examples/models/lotka_volterra.toml", env!("CARGO_MANIFEST_DIR")), &model).unwrap();
    let text = "model = \"lotka_volterra\"\nt_span = [0.0, 5.0]\nsave_at = [5.0]\nseed = 3\nsamples = 64\n[params]\na = { dist = \"uniform\", low = 1.0, high = 2.0 }\n";
    std::fs::write(dir.join("spec.toml"), text.replace("\"lotka_volterra\"", "\"lv.toml\"")).unwrap();
    let (by_name, by_file) = (EnsembleSpec::parse(text).unwrap(), EnsembleSpec::read(dir.join("spec.toml")).unwrap());
    assert_eq!(by_file.model, model.display().to_string());
    assert!(by_file.model_fingerprint.is_some() && by_name.model_fingerprint.is_none());
    let (a, b) = (by_name.run(None, &one_thread()).unwrap(), by_file.run(None, &one_thread()).unwrap());
    assert_eq!((a.succeeded, &a.stats), (64, &b.stats));
    // Edited after the spec was resolved (a part computed elsewhere from
    // another version): refused, naming the model.
    std::fs::write(&model, std::fs::read_to_string(&model).unwrap().replace("value = 1.5", "value = 1.6")).unwrap();
    match by_file.check() {
        Err(Error::InvalidSpec { key, reason, .. }) => {
            assert!(key == "model" && reason.contains("differs"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(dir).ok();
}

//! Any bytes as an ensemble summary: refused, or a whole summary that
//! gives its statistics, merges and round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use odeon::ensemble::EnsembleSummary;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = serde_json::from_slice::<EnsembleSummary>(data) else { return };
    for i in 0..s.layout.times.len() {
        for j in 0..s.layout.names.len() {
            if let Some(st) = s.stat(i, j) {
                assert!(st.mean.is_finite() && st.quantiles.iter().all(|q| q.is_finite()));
            }
        }
    }
    // With itself: overlapping, refused unless it covers nothing.
    let _ = EnsembleSummary::merge_partial(vec![s.clone(), s.clone()]);
    let text = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<EnsembleSummary>(&text).unwrap(), s);
});

//! Any bytes as a part file of a sharded ensemble: refused, or a part
//! that merges and round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use odeon::ensemble::spec::EnsemblePart;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = serde_json::from_slice::<EnsemblePart>(data) else { return };
    let _ = EnsemblePart::merge(vec![("a".into(), p.clone())], false);
    let text = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<EnsemblePart>(&text).unwrap(), p);
});

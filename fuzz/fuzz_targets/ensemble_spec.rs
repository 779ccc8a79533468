//! An ensemble spec (TOML) parses to a spec that checks and, when small,
//! runs; or to a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use odeon::ensemble::spec::EnsembleSpec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(spec) = EnsembleSpec::parse(text) {
        assert!(spec.check().is_ok());
        if spec.samples <= 4 && spec.max_steps <= 10_000 {
            let _ = spec.run(None, Some(1), false);
        }
    }
});

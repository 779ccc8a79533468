//! A fit spec (TOML) parses and checks against a valid data file, or
//! gives a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use odeon::fit::FitSpec;
use std::path::PathBuf;

fn base() -> &'static PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("odeon-fuzz-fit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("d.csv"), "t,x,y\n0.5,1.2,0.8\n1.0,1.4,0.7\n1.5,1.1,0.9\n").unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(spec) = FitSpec::parse(text, base()) {
        let _ = spec.check();
    }
});

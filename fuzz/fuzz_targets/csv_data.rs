//! Any bytes as a CSV data file: read (then checked by a fit problem) or
//! a typed error naming the line.
#![no_main]
use libfuzzer_sys::fuzz_target;
use odeon::fit::{Data, FitSpec};
use std::path::PathBuf;

fn dir() -> &'static PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let root = if shm.is_dir() { shm } else { std::env::temp_dir() };
        let dir = root.join(format!("odeon-fuzz-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let path = dir().join("d.csv");
    std::fs::write(&path, data).unwrap();
    if let Ok(d) = Data::from_csv(&path, "t", &["x", "y"], Some(&["sx", "sy"])) {
        assert_eq!(d.values.len(), 2 * d.t.len());
        let spec = "model = \"lotka_volterra\"\ndata = \"d.csv\"\n[observe]\nx = \"x\"\ny = \"y\"\n[sigma]\nx = \"sx\"\ny = \"sy\"\n";
        let _ = FitSpec::parse(spec, dir()).unwrap().check();
    }
});

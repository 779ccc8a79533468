//! `odeon ensemble` and `odeon merge` as a batch system runs them: four
//! shards (run with different lane counts) merged equal the single run bit
//! for bit; bad input gets clear errors.

use crate::odeon;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: &str = r#"
model = "van_der_pol"
method = "tsit5"
t_span = [0.0, 10.0]
save_at = [0.0, 2.5, 5.0, 7.5, 10.0]
rtol = 1e-6
atol = 1e-6
seed = 7
samples = 2000
block_size = 100

[params]
mu = { dist = "uniform", low = 0.5, high = 2.0 }

[y0]
x = { dist = "lognormal", mu = 0.5, sigma = 0.3 }
"#;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("odeon-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The `summary` object of a part file, as text (exact floats).
fn summary_text(path: &Path) -> String {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::to_string(&v["summary"]).unwrap()
}

#[test]
fn four_shards_merged_equal_the_single_run() {
    let d = dir("shards");
    let spec = d.join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let whole = d.join("whole.json");
    let o = odeon(&["ensemble", s(&spec), "--out", s(&whole), "--threads", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut parts = Vec::new();
    for k in 0..4 {
        let part = d.join(format!("part-{k}.json"));
        let shard = format!("{k}/4");
        // Each shard with another lane count: the results do not depend on it.
        let lanes = ["1", "2", "4", "8"][k];
        let o =
            odeon(&["ensemble", s(&spec), "--shard", &shard, "--out", s(&part), "--threads", "1", "--lanes", lanes]);
        assert!(o.status.success(), "{}", stderr(&o));
        parts.push(part);
    }
    let merged = d.join("summary.json");
    let mut args = vec!["merge"];
    args.extend(parts.iter().rev().map(|p| s(p)));
    args.extend(["--out", s(&merged)]);
    let o = odeon(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(summary_text(&merged), summary_text(&whole));
    // A lane count the stepper does not have.
    let o = odeon(&["ensemble", s(&spec), "--out", s(&d.join("x.json")), "--lanes", "3"]);
    assert!(!o.status.success() && stderr(&o).contains("lanes"), "{}", stderr(&o));
    // Missing shards are refused unless --partial.
    let o = odeon(&["merge", s(&parts[0]), s(&parts[2]), "--out", s(&d.join("x.json"))]);
    assert!(!o.status.success() && stderr(&o).contains("missing shards 1, 3 of 4"), "{}", stderr(&o));
    let o = odeon(&["merge", s(&parts[0]), s(&parts[2]), "--out", s(&d.join("x.json")), "--partial"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The same shard twice.
    let o = odeon(&["merge", s(&parts[1]), s(&parts[1]), "--out", s(&d.join("x.json"))]);
    assert!(!o.status.success() && stderr(&o).contains("shard 1 is in both"), "{}", stderr(&o));
    // A part of another spec (another seed).
    let other = d.join("other.toml");
    std::fs::write(&other, SPEC.replace("seed = 7", "seed = 8")).unwrap();
    let foreign = d.join("foreign.json");
    assert!(odeon(&["ensemble", s(&other), "--shard", "3/4", "--out", s(&foreign)]).status.success());
    let o = odeon(&["merge", s(&parts[0]), s(&parts[1]), s(&parts[2]), s(&foreign), "--out", s(&d.join("x.json"))]);
    assert!(!o.status.success() && stderr(&o).contains("different spec"), "{}", stderr(&o));
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn bad_input_gets_clear_errors() {
    let d = dir("errors");
    let run = |text: &str, extra: &[&str]| {
        let spec = d.join("spec.toml");
        std::fs::write(&spec, text).unwrap();
        let mut args = vec!["ensemble", s(&spec), "--out"];
        let out = d.join("out.json");
        args.push(s(&out));
        args.extend(extra);
        let o = odeon(&args);
        assert!(!o.status.success());
        stderr(&o)
    };
    let e = run(&SPEC.replace("van_der_pol", "van_der_waals"), &[]);
    assert!(
        e.contains("unknown model \"van_der_waals\"") && e.contains("lotka_volterra") && e.contains("line 2"),
        "{e}"
    );
    let e = run(&SPEC.replace("samples = 2000", "samples = 2000\nsampels = 3"), &[]);
    assert!(e.contains("`sampels`") && e.contains("line 10"), "{e}");
    let e = run(&SPEC.replace("t_span = [0.0, 10.0]", "t_span = [0.0, 10.0"), &[]);
    assert!(e.contains("spec line 5") && e.contains("expected `,`"), "{e}"); // where toml notices
    let e = run(SPEC, &["--shard", "4/4"]);
    assert!(e.contains("shard 4/4 is out of range"), "{e}");
    let e = run(SPEC, &["--shard", "three"]);
    assert!(e.contains("expected K/N"), "{e}");
    let e = run(&SPEC.replace("mu = {", "nu = {"), &[]);
    assert!(e.contains("params.nu") && e.contains("it has: mu"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn an_ensemble_whose_every_sample_fails_exits_with_code_2() {
    let d = dir("allfail");
    let spec = d.join("spec.toml");
    // One step cannot reach t = 10: every sample fails.
    std::fs::write(
        &spec,
        SPEC.replace("block_size = 100", "block_size = 100\nmax_steps = 1").replace("samples = 2000", "samples = 20"),
    )
    .unwrap();
    let out = odeon(&["ensemble", s(&spec), "--out", s(&d.join("part.json")), "--no-progress"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("every sample failed"), "{}", stderr(&out));
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn a_shard_killed_at_any_moment_leaves_no_truncated_part() {
    // Kill `odeon ensemble` after increasing delays: before, during or after
    // the part is written, the final path is absent or a complete part.
    let d = dir("kill");
    let spec = d.join("spec.toml");
    std::fs::write(&spec, SPEC.replace("samples = 2000", "samples = 20000")).unwrap();
    let part = d.join("part.json");
    for delay_ms in [5, 30, 80, 150, 300, 600] {
        std::fs::remove_file(&part).ok();
        let mut child = Command::new(env!("CARGO_BIN_EXE_odeon"))
            .args(["ensemble", s(&spec), "--out", s(&part), "--no-progress"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().ok(); // SIGKILL on Unix; an error if it already exited
        child.wait().unwrap();
        if part.exists() {
            let read = odeon::ensemble::spec::EnsemblePart::read_json(&part);
            assert!(read.is_ok(), "killed after {delay_ms} ms: {:?}", read.err());
        }
    }
    // Left alone, the same run writes a part that reads back (so the checks
    // above can see one whenever a kill comes late; no timing assumed).
    std::fs::remove_file(&part).ok();
    let out = odeon(&["ensemble", s(&spec), "--out", s(&part), "--no-progress"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(odeon::ensemble::spec::EnsemblePart::read_json(&part).is_ok());
    std::fs::remove_dir_all(d).ok();
}

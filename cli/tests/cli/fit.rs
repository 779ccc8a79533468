//! `odeon fit spec.toml`: the report, report.json, and errors that name the
//! key and the line.

use crate::{odeon, repo};
use odeon::fit::{FitRun, FitSpec};
use std::path::{Path, PathBuf};

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("odeon-fit-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(repo("examples/data/lv_noisy.csv"), dir.join("lv.csv")).unwrap();
    dir
}

/// `odeon fit SPEC --out OUT`.
fn odeon_fit(spec: &Path, out: &Path) -> std::process::Output {
    odeon(&["fit", spec.to_str().unwrap(), "--out", out.to_str().unwrap()])
}

const SPEC: &str = r#"model = "lotka_volterra"
rtol = 1e-10
atol = 1e-10
data = "lv.csv"

[observe]
x = "x"
y = "y"

[params]
a = { guess = 1.0, lower = 0.1, upper = 5.0 }
b = { guess = 0.5, lower = 0.1, upper = 5.0 }
c = { guess = 2.0, lower = 0.1, upper = 5.0 }
d = { guess = 0.5, lower = 0.1, upper = 5.0 }
"#;

#[test]
fn fit_from_the_command_line() {
    let dir = workdir("ok");
    std::fs::write(dir.join("spec.toml"), SPEC).unwrap();
    let out = odeon_fit(&dir.join("spec.toml"), &dir.join("out"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("parameter") && stdout.contains("95% interval"), "{stdout}");
    let run: FitRun = serde_json::from_str(&std::fs::read_to_string(dir.join("out/report.json")).unwrap()).unwrap();
    // The local minimum from this start (scipy's reference: 55.8893943301).
    assert!((run.report.cost - 55.8893943301).abs() < 1e-5 * 55.9, "{}", run.report.cost);
    #[cfg(feature = "plot")]
    assert!(dir.join("out/fit.svg").exists() && dir.join("out/residuals.svg").exists());
    std::fs::remove_dir_all(dir).ok();
}

/// The same fit with the model read from a file
/// (`examples/models/lotka_volterra.toml`, the built-in model's equations):
/// the same report.
#[test]
fn fit_a_model_file() {
    let dir = workdir("file");
    std::fs::copy(repo("examples/models/lotka_volterra.toml"), dir.join("lv.toml")).unwrap();
    let spec = FitSpec::parse(&SPEC.replace("\"lotka_volterra\"", "\"lv.toml\""), &dir).unwrap();
    let builtin = FitSpec::parse(SPEC, &dir).unwrap();
    assert_eq!(spec.model, dir.join("lv.toml").display().to_string());
    let (a, b) = (spec.run().unwrap(), builtin.run().unwrap());
    assert_eq!(a.report, b.report);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn spec_errors_name_key_and_line() {
    let base = std::path::Path::new(".");
    let check = |text: &str, key: &str, line: Option<usize>| match FitSpec::parse(text, base) {
        Err(odeon::Error::InvalidSpec { key: k, line: l, reason }) => {
            assert_eq!((k.as_str(), l), (key, line), "{reason}")
        }
        other => panic!("{key}: {other:?}"),
    };
    check(&SPEC.replace("rtol = 1e-10", "rtoll = 1e-10"), "rtoll", Some(2));
    check(&SPEC.replace("a = { guess", "alpha = { guess"), "params.alpha", Some(11));
    check(&SPEC.replace("x = \"x\"", "z = \"x\""), "observe.z", Some(7));
    check(&SPEC.replace("lotka_volterra", "lotka"), "model", Some(1));
    check(&SPEC.replace("guess = 0.5, lower", "gues = 0.5, lower"), "b", Some(12));
    // Sizes that would allocate without bound.
    check(&SPEC.replace("data = \"lv.csv\"", "data = \"lv.csv\"\nmultistart = 1000000000"), "multistart", None);
    // A missing data file names the file.
    let dir = workdir("missing");
    std::fs::write(dir.join("spec.toml"), SPEC.replace("lv.csv", "nowhere.csv")).unwrap();
    let out = odeon_fit(&dir.join("spec.toml"), &dir.join("out"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere.csv"));
    std::fs::remove_dir_all(dir).ok();
}

/// A stiff model from a spec file: `docs/examples/fit_robertson.toml`
/// (Rodas5P, rates on a log scale, starts 3–10× off). The data were made
/// from the rates (0.04, 3e7, 1e4) with 1% noise, so those must lie in the
/// reported 95% intervals and χ²/dof must be near 1.
#[test]
fn stiff_fit_from_the_docs_spec() {
    let dir = std::env::temp_dir().join(format!("odeon-fit-cli-stiff-{}", std::process::id()));
    let spec = repo("docs/examples/fit_robertson.toml");
    let out = odeon_fit(spec.as_ref(), &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run: FitRun = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    for (e, truth) in run.report.estimates.iter().zip([0.04, 3e7, 1e4]) {
        let ci = e.ci95.unwrap();
        assert!(ci[0] < truth && truth < ci[1], "{}: {truth} outside {ci:?}", e.name);
    }
    let chi2_dof = 2.0 * run.report.cost / run.report.dof as f64;
    assert!((0.6..1.5).contains(&chi2_dof), "χ²/dof = {chi2_dof}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_fit_that_does_not_converge_exits_with_code_2_and_says_so() {
    let dir = workdir("noconv");
    std::fs::write(dir.join("spec.toml"), SPEC.replace("data = \"lv.csv\"", "data = \"lv.csv\"\nmax_iters = 1"))
        .unwrap();
    let out = odeon_fit(&dir.join("spec.toml"), &dir.join("out"));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not converge"));
    let run: FitRun = serde_json::from_str(&std::fs::read_to_string(dir.join("out/report.json")).unwrap()).unwrap();
    assert!(!run.report.converged);
    std::fs::remove_dir_all(dir).ok();
}

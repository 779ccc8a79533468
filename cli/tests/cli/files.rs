//! Model files and SBML from the command line: `odeon simulate` and
//! `odeon sensitivities` take them wherever they take a built-in model.

use crate::{odeon, repo};

/// `odeon simulate model.xml`: an SBML model from the command line.
#[test]
fn command_line_runs_sbml() {
    let out = std::env::temp_dir().join(format!("odeon-sbml-cli-{}", std::process::id()));
    let model = repo("tests/data/petab/Boehm_JProteomeRes2014/model_Boehm_JProteomeRes2014.xml");
    let o = odeon(&["sensitivities", &model, "--t-end", "240", "--method", "Rodas5P", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("k_phos") && stdout.contains("STAT5A"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("model_Boehm_JProteomeRes2014_sensitivities.csv")).unwrap();
    assert_eq!(csv.lines().count(), 202);
    std::fs::remove_dir_all(out).ok();
}

/// `odeon simulate` and `odeon sensitivities` take a model file wherever
/// they take a built-in model, and write the same numbers for it.
#[test]
fn command_line_runs_model_files() {
    let dir = std::env::temp_dir().join(format!("odeon-tape-cli-{}", std::process::id()));
    let file = repo("examples/models/robertson.toml");
    let (by_file, by_name) = (dir.join("file"), dir.join("name"));
    for command in ["simulate", "sensitivities"] {
        for (model, out) in [(file.as_str(), &by_file), ("robertson", &by_name)] {
            let args = [command, model, "--t-end", "40", "--method", "Rodas5P", "--set", "k1=0.05", "--out"];
            let o = odeon(&[&args[..], &[out.to_str().unwrap()]].concat());
            assert!(o.status.success(), "{command} {model}: {}", String::from_utf8_lossy(&o.stderr));
        }
    }
    for csv in ["robertson.csv", "robertson_sensitivities.csv"] {
        let (a, b) =
            (std::fs::read_to_string(by_file.join(csv)).unwrap(), std::fs::read_to_string(by_name.join(csv)).unwrap());
        assert_eq!(a, b, "{csv}");
        assert!(a.lines().count() == 202, "{csv}: header and 201 rows");
    }
    // Errors name what is wrong.
    let o = odeon(&["simulate", &file, "--set", "k4=1", "--out", by_file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("k4") && err.contains("k1, k2, k3"), "{err}");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[parameters]]\nname = \"k\"\nvalue = 1.0\n[[states]]\nname = \"x\"\ninitial = 1.0\nrate = \"-k * y\"\n",
    )
    .unwrap();
    let o = odeon(&["sensitivities", bad.to_str().unwrap(), "--out", by_file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("bad.toml:7:14: unknown symbol `y`"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

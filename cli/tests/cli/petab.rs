//! `odeon petab`: a PEtab problem's likelihood, gradient and JSON from
//! the command line, and a sharded multistart merged into the whole run.

use crate::{odeon, repo};
use std::path::PathBuf;

fn dir(name: &str) -> PathBuf {
    PathBuf::from(repo(&format!("tests/data/petab/{name}")))
}

/// `odeon petab problem.yaml`: the log-likelihood, the gradient and a
/// JSON file; a bad `--set` is an error naming the estimated parameters.
#[test]
fn command_line_evaluates_a_problem() {
    let out = std::env::temp_dir().join(format!("odeon-petab-cli-{}", std::process::id()));
    let yaml = dir("Boehm_JProteomeRes2014").join("Boehm_JProteomeRes2014.yaml");
    let run =
        |extra: &[&str]| odeon(&[&["petab", yaml.to_str().unwrap(), "--out", out.to_str().unwrap()], extra].concat());
    let o = run(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("log-likelihood -138.22199") && stdout.contains("k_phos"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("Boehm_JProteomeRes2014_llh.json")).unwrap()).unwrap();
    assert_eq!(json["gradient"].as_array().unwrap().len(), 9);
    let bad = run(&["--set", "nothing=1"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no estimated parameter \"nothing\""));
    std::fs::remove_dir_all(out).ok();
}

/// `--fit --shard K/N` parts merge into exactly the whole run's starts.
#[test]
fn sharded_fit_merges_exactly() {
    let out = std::env::temp_dir().join(format!("odeon-petab-shards-{}", std::process::id()));
    let yaml = dir("Boehm_JProteomeRes2014").join("Boehm_JProteomeRes2014.yaml");
    let run = |extra: &[&str]| {
        let common =
            ["petab", yaml.to_str().unwrap(), "--out", out.to_str().unwrap(), "--method", "Bdf", "--max-iters", "5"];
        let o = odeon(&[&common[..], extra].concat());
        (o.status.success(), String::from_utf8_lossy(&o.stderr).to_string())
    };
    let read = |file: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(file)).unwrap()).unwrap()
    };
    assert!(run(&["--fit", "--starts", "4"]).0);
    let whole = read("Boehm_JProteomeRes2014_fit.json");
    if cfg!(feature = "plot") {
        assert!(out.join("Boehm_JProteomeRes2014_pSTAT5A_rel.svg").exists());
    }
    for shard in ["0/2", "1/2"] {
        assert!(run(&["--fit", "--starts", "4", "--shard", shard]).0);
    }
    let parts = ["Boehm_JProteomeRes2014_fit_part_0_of_2.json", "Boehm_JProteomeRes2014_fit_part_1_of_2.json"];
    let part = |k: usize| out.join(parts[k]).to_str().unwrap().to_string();
    assert!(run(&["--merge", &part(0), &part(1)]).0);
    assert_eq!(read("Boehm_JProteomeRes2014_fit.json")["starts"], whole["starts"]);
    let (ok, stderr) = run(&["--merge", &part(0)]);
    assert!(!ok && stderr.contains("start 1 appears 0 times"), "{stderr}");
    std::fs::remove_dir_all(out).ok();
}

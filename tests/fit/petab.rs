//! PEtab v1 problems (`import::petab`): the four benchmark problems in
//! `tests/data/petab/` against AMICI's log-likelihoods at the nominal
//! parameters (`tests/data/README.md`), gradients against central finite
//! differences, and bad files as typed errors naming file, line and column.

use odeon::Error;
use odeon::import::petab::{FitSettings, Petab, Settings};
use std::path::PathBuf;

fn dir(name: &str) -> PathBuf {
    PathBuf::from(format!("{}/tests/data/petab/{name}", env!("CARGO_MANIFEST_DIR")))
}

fn problem(name: &str) -> Petab {
    Petab::read(dir(name).join(format!("{name}.yaml"))).unwrap()
}

fn tol(t: f64) -> Settings {
    Settings { rtol: t, atol: t, max_steps: 1_000_000, ..Settings::default() }
}

/// Problem, log-likelihood at the nominal parameters converged (AMICI
/// 1.0.1 at rtol = atol = 1e-12) and as AMICI's test suite pins it (1e-8).
const AMICI: [(&str, f64, f64); 4] = [
    ("Boehm_JProteomeRes2014", -138.22199774392078, -138.22199693517703),
    ("Brannmark_JBC2010", -141.88920441551582, -141.889113770537),
    ("Crauste_CellSystems2017", -190.96397757239984, -190.96521897435176),
    ("Elowitz_Nature2000", 63.2027504177236, 63.20279991419332),
];

#[test]
fn log_likelihood_at_nominal_matches_amici() {
    for (name, converged, pinned) in AMICI {
        let p = problem(name);
        let rel = |v: f64, r: f64| (v - r).abs() / r.abs();
        let at_1e8 = p.log_likelihood(&p.nominal(), &tol(1e-8)).unwrap();
        let at_1e12 = p.log_likelihood(&p.nominal(), &tol(1e-12)).unwrap();
        // Measured: 1.5e-11 (Boehm), 6.1e-9 (Brannmark), 9.4e-10 (Crauste),
        // 3.7e-11 (Elowitz) at 1e-8; at most 2e-11 at 1e-12.
        assert!(rel(at_1e8, converged) < 1e-7, "{name}: {at_1e8} at 1e-8 against {converged}");
        assert!(rel(at_1e12, converged) < 1e-10, "{name}: {at_1e12} at 1e-12 against {converged}");
        // The pinned 1e-8 values carry AMICI's integration error (up to
        // 1.2e-3 on Crauste, README of the reference set).
        assert!((at_1e8 - pinned).abs() < 2e-3, "{name}: {at_1e8} against pinned {pinned}");
    }
}

/// Two more problems of the collection, as AMICI's test suite pins their
/// log-likelihoods (`benchmark_models.yaml`, rtol = atol = 1e-8): Bachmann
/// (rows that end early in its parameter table), Schwen (objective priors,
/// `parameterScaleNormal`). AMICI's value is the likelihood alone.
const AMICI_MORE: [(&str, f64); 2] =
    [("Bachmann_MSB2011", 418.40573341425295), ("Schwen_PONE2014", -943.9992988598723)];

#[test]
fn more_problems_match_amici_and_priors_add_their_log_density() {
    for (name, pinned) in AMICI_MORE {
        let p = problem(name);
        let llh = p.log_likelihood(&p.nominal(), &tol(1e-8)).unwrap();
        // Measured: 2.9e-8 (Bachmann), 2.0e-9 (Schwen).
        assert!((llh - pinned).abs() < 1e-6 * pinned.abs(), "{name}: {llh} against {pinned}");
    }
    // Schwen's priors from its parameter table, summed here: each row with
    // `parameterScaleNormal` `m;s` adds ln N(θ; m, s) at the nominal θ
    // (log10 of the nominal value).
    let p = problem("Schwen_PONE2014");
    let text = std::fs::read_to_string(dir("Schwen_PONE2014").join("parameters_Schwen_PONE2014.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut expected = 0.0;
    let mut priors = 0;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        let cell = |name: &str| cells.get(col(name)).copied().unwrap_or("");
        if cell("estimate") != "1" || cell("objectivePriorType").is_empty() {
            continue;
        }
        assert_eq!(cell("objectivePriorType"), "parameterScaleNormal");
        assert_eq!(cell("parameterScale"), "log10");
        let (m, s) = cell("objectivePriorParameters").split_once(';').unwrap();
        let (m, s): (f64, f64) = (m.parse().unwrap(), s.parse().unwrap());
        let theta = cell("nominalValue").parse::<f64>().unwrap().log10();
        expected += -0.5 * ((theta - m) / s).powi(2) - (s * (2.0 * std::f64::consts::PI).sqrt()).ln();
        priors += 1;
    }
    assert_eq!(priors, 6);
    let got = p.log_prior(&p.nominal()).unwrap();
    assert!(p.has_priors() && (got - expected).abs() < 1e-12, "{got} against {expected}");
}

/// Central differences, Richardson-extrapolated from steps `h` and `2h`.
fn finite_differences(p: &Petab, theta: &[f64], h: f64, s: &Settings) -> Vec<f64> {
    let central = |j: usize, h: f64| {
        let (mut a, mut b) = (theta.to_vec(), theta.to_vec());
        a[j] += h;
        b[j] -= h;
        (p.log_likelihood(&a, s).unwrap() - p.log_likelihood(&b, s).unwrap()) / (2.0 * h)
    };
    (0..theta.len()).map(|j| (4.0 * central(j, h) - central(j, 2.0 * h)) / 3.0).collect()
}

/// max |g - fd| / max |fd|, as AMICI's gradient checks measure it.
fn relative_error(g: &[f64], fd: &[f64]) -> f64 {
    assert!(g.iter().chain(fd).all(|v| v.is_finite()), "{g:?} {fd:?}");
    let num = g.iter().zip(fd).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    num / fd.iter().map(|b| b.abs()).fold(0.0, f64::max)
}

/// With fixed steps the likelihood is a smooth function of the parameters
/// and finite differences check the derivative machinery itself (the
/// tape's duals, preequilibration, placeholders, noise models, scales).
#[test]
fn gradient_matches_finite_differences_with_fixed_steps() {
    for (name, dt, h) in [
        ("Boehm_JProteomeRes2014", 0.05, 1e-4),
        ("Brannmark_JBC2010", 0.01, 1e-4),
        // Its nominal point is next to a blow-up (2e-6 on the log10 scale
        // away, a simulation diverges): its derivatives grow so fast that
        // differences need steps of 1e-9 (at 1e-8: 4.5e-3, at 1e-9: 6e-6).
        ("Crauste_CellSystems2017", 0.01, 1e-9),
        ("Elowitz_Nature2000", 0.1, 1e-4),
    ] {
        let p = problem(name);
        let s = Settings { dt: Some(dt), ..tol(1e-12) };
        let theta = p.nominal();
        let (_, g) = p.gradient(&theta, &s).unwrap();
        let e = relative_error(&g, &finite_differences(&p, &theta, h, &s));
        assert!(e < 1e-5, "{name}: gradient against finite differences: {e:e}");
    }
}

/// With error control (rtol = atol = 1e-12) the gradient is the derivative
/// of the discrete solution; the finite differences carry the steps'
/// changes from one parameter value to the next.
#[test]
fn gradient_matches_finite_differences_adaptively() {
    for (name, bound) in [("Boehm_JProteomeRes2014", 1e-5), ("Brannmark_JBC2010", 3e-5), ("Elowitz_Nature2000", 1e-5)] {
        let p = problem(name);
        let theta = p.nominal();
        let (_, g) = p.gradient(&theta, &tol(1e-12)).unwrap();
        let e = relative_error(&g, &finite_differences(&p, &theta, 1e-4, &tol(1e-12)));
        assert!(e < bound, "{name}: gradient against finite differences: {e:e}");
    }
}

/// The Boehm problem copied to a temporary directory with one file's text
/// changed.
fn altered(file: &str, change: impl Fn(&str) -> String) -> Result<Petab, Error> {
    let name = "Boehm_JProteomeRes2014";
    // One directory per call: tests run in parallel in one process.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let to = std::env::temp_dir().join(format!("odeon-petab-{}-{call}-{file}", std::process::id()));
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(dir(name)).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let f = path.file_name().unwrap().to_str().unwrap().to_string();
        let text = if f.starts_with(file) { change(&text) } else { text };
        std::fs::write(to.join(f), text).unwrap();
    }
    let result = Petab::read(to.join(format!("{name}.yaml")));
    std::fs::remove_dir_all(&to).ok();
    result
}

/// A change to a file's text.
type Change = fn(&str) -> String;

#[test]
fn bad_files_are_errors_with_file_and_line() {
    let cases: [(&str, Change, &str); 9] = [
        ("Boehm", |t| t.replace("problems:", "problems: [oops"), "Boehm_JProteomeRes2014.yaml:"),
        ("Boehm", |t| t.replace("format_version: 1", "format_version: 2"), "only PEtab version 1"),
        ("measurementData", |t| t.replacen("pSTAT5A_rel\t", "nothing\t", 2), ":2:1: observableId: unknown observable"),
        ("measurementData", |t| t.replacen("\tmodel1_data1\t", "\tnowhere\t", 1), "unknown condition `nowhere`"),
        ("measurementData", |t| t.replacen("\tsd_pSTAT5A_rel\t", "\t\t", 1), "0 values for the 1 placeholders"),
        ("observables", |t| t.replacen("100 * pApB", "100 * pApX", 1), "unknown symbol `pApX`"),
        (
            "observables",
            |t| t.replacen("noiseParameter1_pSTAT5A_rel", "(", 1),
            "observables_Boehm_JProteomeRes2014.tsv:2:",
        ),
        (
            "experimentalCondition",
            |t| t.replace("conditionName", "conditionName\tnot_there").replace("condition1", "condition1\t3"),
            "`not_there` is not a parameter, compartment or species",
        ),
        (
            "parameters",
            |t| t.replacen("log10\t1E-05\t100000\t0.026982514033029", "log10\t-1\t100000\t0.026982514033029", 1),
            ":2:",
        ),
    ];
    for (file, change, expected) in cases {
        match altered(file, change) {
            Err(e @ Error::Parse { .. }) => assert!(e.to_string().contains(expected), "{file}: {e}"),
            other => panic!("{file}: expected a parse error with {expected:?}, got {other:?}"),
        }
    }
    // A missing file.
    assert!(matches!(Petab::read("/nonexistent/problem.yaml"), Err(Error::Io { .. })));
}

/// A fixed parameter's value is used as it is (Oliveira_NatCommun2021 and
/// Zhao_QuantBiol2020 of the collection): its bounds may be empty, and a
/// log scale does not apply to it.
#[test]
fn fixed_parameters_need_no_bounds_or_scale() {
    let p = problem("Boehm_JProteomeRes2014");
    let llh = p.log_likelihood(&p.nominal(), &Settings::default()).unwrap();
    let q =
        altered("parameters", |t| t.replace("ratio\tratio\tlin\t0\t5\t0.693\t0", "ratio\tratio\tlog10\t\t\t0.693\t0"))
            .unwrap();
    assert_eq!(q.parameters().iter().find(|p| p.id == "ratio").unwrap().lower, f64::NEG_INFINITY);
    assert_eq!(q.log_likelihood(&q.nominal(), &Settings::default()).unwrap(), llh);
    let zero = altered("parameters", |t| {
        t.replace("0.107\t0", "0\t0").replace("specC17\tspecC17\tlin", "specC17\tspecC17\tlog")
    });
    assert!(zero.is_ok(), "{:?}", zero.err());
    let estimated = altered("parameters", |t| {
        t.replace("\t1E-05\t100000\t0.026982514033029\t1", "\t\t100000\t0.026982514033029\t1")
    });
    let e = estimated.unwrap_err().to_string();
    assert!(e.contains("parameters_Boehm_JProteomeRes2014.tsv:2:") && e.contains("lowerBound"), "{e}");
}

/// A condition that sets a parameter the SBML sets by an initial assignment
/// to a constant (Liu_IFACPapersOnLine2025 of the collection): the
/// condition's value holds. Boehm with `specC17 = 0.5 · 0.214` written as
/// an initial assignment and set by a condition column instead of its value.
#[test]
fn conditions_override_constant_initial_assignments() {
    let with_condition = |value: &'static str| {
        altered("", move |t| {
            if t.contains("<sbml") {
                t.replace(r#"<parameter id="specC17" value="0.107" constant="true"/>"#, r#"<parameter id="specC17" constant="true"/>"#)
                    .replace(
                        "<listOfInitialAssignments>",
                        r#"<listOfInitialAssignments><initialAssignment symbol="specC17"><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><cn>0.5</cn><cn>0.214</cn></apply></math></initialAssignment>"#,
                    )
            } else if t.starts_with("conditionId") {
                t.replace("conditionName", "conditionName\tspecC17").replace("condition1", &format!("condition1\t{value}"))
            } else {
                t.to_string()
            }
        })
        .unwrap()
    };
    let nominal = |p: &Petab| p.log_likelihood(&p.nominal(), &Settings::default()).unwrap();
    assert_eq!(nominal(&with_condition("0.107")), nominal(&problem("Boehm_JProteomeRes2014")));
    let moved = altered("parameters", |t| {
        t.replace("specC17\tspecC17\tlin\t-5\t5\t0.107", "specC17\tspecC17\tlin\t-5\t5\t0.2")
    });
    let (by_condition, by_table) = (nominal(&with_condition("0.2")), nominal(&moved.unwrap()));
    assert_eq!(by_condition, by_table);
    assert!(
        (by_condition - nominal(&problem("Boehm_JProteomeRes2014"))).abs() > 1e-3,
        "the value moved the likelihood"
    );
}

#[test]
fn wrong_parameter_count_is_an_error() {
    let p = problem("Boehm_JProteomeRes2014");
    assert!(matches!(p.log_likelihood(&[0.0; 3], &Settings::default()), Err(Error::DimensionMismatch { .. })));
}

/// The issue's check: a 20-start multistart on Boehm reaches the optimum
/// the nominal values represent (negative log-likelihood ≤ 138.2222;
/// AMICI + L-BFGS-B found 138.221975 in W7), and reports intervals.
#[test]
fn multistart_on_boehm_reaches_the_optimum() {
    let p = problem("Boehm_JProteomeRes2014");
    let settings = Settings { method: odeon::Method::Bdf, ..Settings::default() };
    let fit = p.fit(&settings, &FitSettings::default()).unwrap();
    let best = -fit.best().unwrap();
    assert!(best <= 138.2222, "best negative log-likelihood {best}");
    assert_eq!(fit.starts.len(), 20);
    // Two rates end on their bounds (as in AMICI's best point); the others
    // have finite intervals around the estimate.
    for e in &fit.estimates {
        let on_bound = e.id == "k_exp_hetero" || e.id == "k_imp_homo";
        assert_eq!(e.at_bound, on_bound, "{e:?}");
        if !on_bound {
            let (a, b) = e.interval.unwrap();
            assert!(a < e.value && e.value < b && b - a < 10.0, "{e:?}");
        }
    }
    let k_phos = fit.estimates.iter().find(|e| e.id == "k_phos").unwrap();
    assert!((k_phos.value - 4.198).abs() < 1e-2, "{k_phos:?}");
}

/// The predicted curves hold the likelihood's predictions: on a grid
/// through Boehm's measurement times (every 2.5), the normal likelihood
/// rebuilt from the curves and their ±σ bands is the likelihood.
#[test]
fn predicted_curves_rebuild_the_likelihood() {
    let p = problem("Boehm_JProteomeRes2014");
    let s = tol(1e-10);
    let curves = p.predict(&p.nominal(), &s, 97).unwrap();
    assert_eq!(curves.len(), 3);
    let mut llh = 0.0;
    for c in &curves {
        for &(t, m) in &c.data {
            let i = c.t.iter().position(|&g| (g - t).abs() < 1e-9).unwrap();
            let (h, sigma) = (c.value[i], (c.band[i].1 - c.band[i].0) / 2.0);
            llh += -0.5 * (2.0 * std::f64::consts::PI * sigma * sigma).ln() - 0.5 * ((m - h) / sigma).powi(2);
        }
    }
    let expected = p.log_likelihood(&p.nominal(), &s).unwrap();
    assert!((llh - expected).abs() < 1e-8 * expected.abs(), "{llh} against {expected}");
}

proptest::proptest! {
    #![proptest_config(crate::common::proptest_config(48))]

    /// Any corruption of any file of a problem (characters dropped,
    /// replaced by tabs, newlines, semicolons, letters or digits) is read
    /// into a problem or refused with an error, never a panic; a problem
    /// that reads gives a finite log-likelihood or an error.
    #[test]
    fn corrupted_problems_never_panic(
        file in 0usize..5,
        edits in proptest::collection::vec((0.0f64..1.0, proptest::prop_oneof![
            proptest::strategy::Just(""), proptest::strategy::Just("\t"), proptest::strategy::Just("\n"),
            proptest::strategy::Just(";"), proptest::strategy::Just("x"), proptest::strategy::Just("7"),
            proptest::strategy::Just("-"), proptest::strategy::Just("nan"),
        ]), 1..4),
    ) {
        let prefix = ["Boehm", "measurementData", "observables", "parameters", "experimentalCondition"][file];
        let result = altered(prefix, |text| {
            let mut chars: Vec<char> = text.chars().collect();
            for (at, with) in &edits {
                let i = ((chars.len() as f64 * at) as usize).min(chars.len().saturating_sub(1));
                chars.splice(i..(i + 1).min(chars.len()), with.chars());
            }
            chars.into_iter().collect()
        });
        if let Ok(p) = result {
            match p.log_likelihood(&p.nominal(), &Settings::default()) {
                Ok(v) => proptest::prop_assert!(v.is_finite()),
                Err(e) => proptest::prop_assert!(!e.to_string().is_empty()),
            }
        }
    }
}

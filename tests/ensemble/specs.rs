//! Hand-edited ensemble specs: 10,000 specs with odd values, wrong types
//! and stray characters each parse to a spec that runs, or to a typed
//! error naming the key; never a panic or an unbounded allocation.

use crate::common::{wild_noise, wild_picks, wild_toml};
use odeon::Error;
use odeon::ensemble::spec::{EnsembleSpec, Execution};
use proptest::prelude::*;

const DISTS: &[&str] = &[
    "{ dist = \"uniform\", low = 0.5, high = 1.5 }",
    "{ dist = \"normal\", mean = 1.0, std = 0.1 }",
    "{ dist = \"lognormal\", mu = 0.0, sigma = 0.5 }",
    "{ dist = \"uniform\", low = 2.0, high = 1.0 }",
    "{ dist = \"normal\", mean = 1.0, std = -1.0 }",
    "{ dist = \"lognormal\", mu = nan, sigma = 0.5 }",
    "{ dist = \"gamma\", k = 1.0 }",
    "{ dist = \"uniform\", low = 0.5 }",
];

fn spec(picks: &[usize], noise: &[(usize, char)]) -> String {
    let top: &[(&str, &[&str])] = &[
        ("model", &["\"exponential_decay\"", "\"lotka_volterra\"", "\"van_der_pol\"", "\"no_such_model\""]),
        ("method", &["\"dopri5\"", "\"rodas5p\"", "\"bdf\"", "\"kvaerno5\"", "\"rk45\""]),
        ("t_span", &["[0.0, 1.0]", "[1.0, 0.0]", "[0.0, 0.0]", "[0.0, 1e300]", "[0.0]"]),
        ("save_at", &["[0.5, 1.0]", "[1.0, 0.5]", "[2.0]", "[-1.0]"]),
        ("rtol", &["1e-6"]),
        ("atol", &["1e-9"]),
        ("max_steps", &["1000"]),
        ("seed", &["1", "18446744073709551615"]),
        ("samples", &["8", "9007199254740993", "18446744073709551615"]),
        ("block_size", &["4", "1048577"]),
        ("quantile_budget_mb", &["1", "1048577"]),
        ("sampling", &["\"independent\"", "\"latin_hypercube\"", "\"sobol\""]),
    ];
    // Keys of other models' inputs are absent unless picked.
    let other: Vec<&str> = [""].iter().chain(DISTS).copied().collect();
    let params: &[(&str, &[&str])] = &[("k", DISTS), ("a", &other), ("mu", &other)];
    let y0: &[(&str, &[&str])] = &[("y", DISTS), ("x", &other)];
    wild_toml(&[("", top), ("params", params), ("y0", y0)], picks, noise)
}

proptest! {
    #![proptest_config(crate::common::proptest_config(10_000))]

    #[test]
    fn a_hand_edited_spec_parses_runs_or_names_what_is_wrong(picks in wild_picks(17), noise in wild_noise()) {
        let text = spec(&picks, &noise);
        match EnsembleSpec::parse(&text) {
            Ok(s) => {
                // What parses checks again (as a part file's spec is), has
                // its layout, and runs when it is small.
                prop_assert!(s.check().is_ok(), "{text}");
                let layout = s.layout().unwrap();
                prop_assert_eq!(layout.samples, s.samples);
                if s.samples <= 8 {
                    let summary = s.run(None, &Execution { threads: Some(1), ..Execution::default() }).unwrap();
                    prop_assert_eq!(summary.succeeded + summary.failed, s.samples);
                }
            }
            Err(Error::InvalidSpec { .. } | Error::UnknownModel { .. }) => {}
            Err(e) => prop_assert!(false, "untyped error {e:?} for\n{text}"),
        }
    }
}

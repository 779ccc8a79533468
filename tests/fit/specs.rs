//! Hand-edited fit specs and data files: 10,000 specs with odd values,
//! wrong types and stray characters, and 10,000 CSV files (ragged rows, a
//! byte-order mark, text in numeric columns, unsorted or repeated times,
//! negative or missing σ) each give a problem that checks, or a typed
//! error; never a panic.

use crate::common::{wild_noise, wild_picks, wild_toml};
use odeon::Error;
use odeon::fit::{Data, FitSpec};
use proptest::prelude::*;
use std::path::PathBuf;

/// A directory with a valid data file `d.csv` (Lotka–Volterra-like).
fn base() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("odeon-fit-specs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut csv = String::from("t,x,y,sx,sy\n");
        for i in 1..=10 {
            let t = i as f64 * 0.5;
            csv += &format!("{t},{},{},0.05,0.05\n", 1.0 + (t).sin() * 0.5, 1.0 + (t).cos() * 0.5);
        }
        std::fs::write(dir.join("d.csv"), csv).unwrap();
        dir
    })
    .clone()
}

const PARAM: &[&str] = &[
    "{ guess = 1.0, lower = 0.1, upper = 5.0 }",
    "{ guess = 1.0, lower = 0.1, upper = 5.0, log = true }",
    "{ guess = 1.0, fixed = true }",
    "{ guess = 10.0, lower = 0.1, upper = 5.0 }",
    "{ guess = 1.0, lower = 5.0, upper = 0.1 }",
    "{ guess = 1.0, lower = -1.0, log = true }",
    "{ guess = nan }",
    "{ lower = 0.0 }",
    "{ guess = 1.0, scale = 2.0 }",
];

fn spec(picks: &[usize], noise: &[(usize, char)]) -> String {
    let top: &[(&str, &[&str])] = &[
        ("model", &["\"lotka_volterra\"", "\"exponential_decay\"", "\"no_such_model\""]),
        ("method", &["\"dopri5\"", "\"rodas5p\"", "\"bdf\"", "\"rk45\""]),
        ("rtol", &["1e-8"]),
        ("atol", &["1e-8"]),
        ("max_steps", &["20000"]),
        ("data", &["\"d.csv\"", "\"missing.csv\"", "\"\"", "\"..\""]),
        ("time", &["\"t\"", "\"x\"", "\"zz\""]),
        ("t0", &["0.0", "5.0", "1e300"]),
        ("solver", &["\"levenberg_marquardt\"", "\"lbfgs\"", "\"nelder_mead\"", "\"simplex\""]),
        ("max_iters", &["50"]),
        ("multistart", &["", "2", "100001"]),
        ("seed", &["1"]),
    ];
    let observe: &[(&str, &[&str])] = &[("x", &["\"x\"", "\"zz\"", "\"sx\""]), ("y", &["\"y\"", ""])];
    let sigma: &[(&str, &[&str])] = &[("x", &["", "\"sx\""]), ("y", &["", "\"sy\""])];
    let y0: &[(&str, &[&str])] = &[("x", &["1.0", "{ guess = 1.0, lower = 0.0 }", "nan"]), ("y", &["", "1.0"])];
    let params: &[(&str, &[&str])] = &[("a", PARAM), ("b", PARAM), ("c", PARAM), ("d", PARAM), ("k", &["", "1.0"])];
    let sections = [("", top), ("observe", observe), ("sigma", sigma), ("y0", y0), ("params", params)];
    wild_toml(&sections, picks, noise)
}

fn typed(e: &Error) -> bool {
    matches!(
        e,
        Error::InvalidSpec { .. }
            | Error::UnknownModel { .. }
            | Error::Io { .. }
            | Error::InvalidData { .. }
            | Error::InvalidParameter { .. }
            | Error::UnknownParameter { .. }
            | Error::InvalidObservable { .. }
    )
}

const CELLS: &[&str] =
    &["0.5", "1.0", "2.0", "", "nan", "NaN", "-1", "0", "abc", "1e400", "inf", "-inf", " 3 ", "1,5", "\"2\""];

/// A CSV file: an optional byte-order mark, a header that is usually the
/// expected one (else some of its columns, repeated, missing or renamed),
/// rows that usually have its five cells (else 1–7), cells that are
/// usually numbers (else one of [`CELLS`]); times in row order, shuffled
/// now and then.
fn csv() -> impl Strategy<Value = String> {
    let names = vec!["t", "x", "y", "sx", "sy", "T", "x "];
    let header = prop_oneof![
        3 => Just(vec!["t", "x", "y", "sx", "sy"]),
        1 => prop::collection::vec(prop::sample::select(names), 1..7),
    ];
    let cell = prop_oneof![8 => (0.01..5.0f64).prop_map(|v| format!("{v:.3}")), 1 => prop::sample::select(CELLS.to_vec()).prop_map(String::from)];
    let row = prop_oneof![6 => prop::collection::vec(cell.clone(), 5), 1 => prop::collection::vec(cell, 1..8)];
    let rows = prop::collection::vec(row, 0..12);
    (any::<bool>(), header, rows, any::<bool>()).prop_map(|(bom, header, rows, shuffle)| {
        let mut text = if bom { "\u{feff}".to_string() } else { String::new() };
        text += &header.join(",");
        let n = rows.len();
        for (i, mut r) in rows.into_iter().enumerate() {
            // Times in order unless the cell is one of the odd ones.
            if r[0].parse::<f64>().is_ok() {
                r[0] = format!("{}", if shuffle { (n - i) as f64 * 0.5 } else { (i + 1) as f64 * 0.5 });
            }
            text += "\n";
            text += &r.join(",");
        }
        text
    })
}

proptest! {
    #![proptest_config(crate::common::proptest_config(10_000))]

    #[test]
    fn a_hand_edited_fit_spec_checks_or_names_what_is_wrong(picks in wild_picks(23), noise in wild_noise()) {
        let text = spec(&picks, &noise);
        match FitSpec::parse(&text, &base()) {
            Ok(s) => {
                if let Err(e) = s.check() {
                    prop_assert!(typed(&e), "untyped error {e:?} for\n{text}");
                }
            }
            Err(e) => prop_assert!(typed(&e), "untyped error {e:?} for\n{text}"),
        }
    }

    #[test]
    fn any_csv_file_reads_or_names_the_line(text in csv(), with_sigma in any::<bool>()) {
        thread_local! {
            static PATH: PathBuf = base().join(format!("any-{:?}.csv", std::thread::current().id()));
        }
        let path = PATH.with(PathBuf::clone);
        std::fs::write(&path, &text).unwrap();
        let sigma = with_sigma.then_some(&["sx", "sy"][..]);
        match Data::from_csv(&path, "t", &["x", "y"], sigma) {
            Ok(d) => {
                prop_assert_eq!(d.values.len(), d.t.len() * 2);
                // A fit spec over this file checks it whole (times,
                // values, σ) or says which row is wrong.
                let spec = format!(
                    "model = \"lotka_volterra\"\ndata = {:?}\n[observe]\nx = \"x\"\ny = \"y\"\n{}[params]\na = {{ guess = 1.0 }}\n",
                    path.file_name().unwrap().to_str().unwrap(),
                    if with_sigma { "[sigma]\nx = \"sx\"\ny = \"sy\"\n" } else { "" }
                );
                if let Err(e) = FitSpec::parse(&spec, &base()).unwrap().check() {
                    prop_assert!(matches!(e, Error::InvalidData { .. }), "{e:?} for\n{text}");
                }
            }
            Err(Error::Io { message, .. }) => prop_assert!(!message.is_empty()),
            Err(e) => prop_assert!(false, "untyped error {e:?} for\n{text}"),
        }
    }
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_first_column() {
    // Spreadsheet programs write UTF-8 CSV with a BOM.
    let path = base().join("bom.csv");
    std::fs::write(&path, "\u{feff}t,x,y\n0.5,1.0,2.0\n").unwrap();
    let d = Data::from_csv(&path, "t", &["x", "y"], None).unwrap();
    assert_eq!((d.t, d.values), (vec![0.5], vec![1.0, 2.0]));
}

//! Composite files (`compose::CompositeFile`, read through
//! `models::registry::Named`): the file's composite equals the same wiring
//! built in Rust bit for bit, nests, is saved and read back, runs in an
//! ensemble spec (the command line: `cli/tests/cli/compose.rs`), and every kind of bad file gets
//! a typed error naming the file, key or path (2,000 hand-edited files
//! resolve and run, or get one; never a panic).

use odeon::compose::CompositeFile;
use odeon::compose::blocks::van_der_pol_pi;
use odeon::ensemble::spec::{EnsembleSpec, Execution};
use odeon::models::registry::Named;
use odeon::signal::Driven;
use odeon::system::Model;
use odeon::{Error, Options, Tsit5, solve};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/models/van_der_pol_pi.toml");

/// A scratch directory of this test process.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("odeon-composite-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn resolve(path: &Path) -> Result<Named, Error> {
    Named::resolve(path.to_str().unwrap(), "".as_ref())
}

fn opts() -> Options {
    Options::default().rtol(1e-10).atol(1e-12).t_eval((0..=30).map(f64::from).collect())
}

#[test]
fn the_file_is_the_rust_composite_bit_for_bit() {
    let named = resolve(Path::new(FILE)).unwrap();
    // The library's canonical composite, its setpoint a constant signal.
    let rust = van_der_pol_pi().build().unwrap();
    let rust = Driven::new(&rust, vec![2.0]).unwrap();
    assert_eq!(named.state_names(), rust.state_names());
    assert_eq!(named.param_names(), ["plant.mu", "controller.kp", "controller.ki", "actuator.tau"]);
    assert_eq!((named.n_inputs(), named.n_outputs()), (0, 3));
    // The file's values over the subsystems' defaults (states start at 0).
    assert_eq!(named.params(), [1.0, 3.0, 1.0, 0.2]);
    assert_eq!(named.y0(), [0.5, 0.0, 0.0, 0.0]);
    let a = solve(&named, Tsit5, (0.0, 30.0), named.y0(), named.params(), &opts()).unwrap();
    let b = solve(&rust, Tsit5, (0.0, 30.0), named.y0(), named.params(), &opts()).unwrap();
    assert_eq!(a, b);
    // The controller holds x at its setpoint, 2.
    assert!((a.last().unwrap().1[0] - 2.0).abs() < 1e-3, "{:?}", a.last());
}

#[test]
fn saved_and_read_back_it_is_the_same_model() {
    let file = CompositeFile::parse(&std::fs::read_to_string(FILE).unwrap()).unwrap();
    let text = file.to_toml().unwrap();
    assert_eq!(CompositeFile::parse(&text).unwrap(), file);
    // The saved text runs as a model file of its own.
    let d = dir("saved");
    let saved = d.join("saved.toml");
    odeon::files::write_atomic(&saved, text.as_bytes()).unwrap();
    let (a, b) = (resolve(Path::new(FILE)).unwrap(), resolve(&saved).unwrap());
    let run = |m: &Named| solve(m, Tsit5, (0.0, 30.0), m.y0(), m.params(), &opts()).unwrap();
    assert_eq!(run(&a), run(&b));
    assert_ne!(a.fingerprint(), None);
    // And as JSON.
    let json = d.join("saved.json");
    odeon::files::write_atomic(&json, file.to_json().as_bytes()).unwrap();
    assert_eq!(run(&a), run(&resolve(&json).unwrap()));
    let e = error_of("bad.json", "{\"subsystem\": [], \"wires\": 1}").to_string();
    assert!(e.contains("wires"), "{e}");
    let e = error_of("empty.json", "{\"subsystem\": []}").to_string();
    assert!(e.contains("no [[subsystem]]"), "{e}");
    std::fs::remove_dir_all(d).ok();
}

/// The plant and its actuator in one file with the actuator's input left
/// open, closed by a controller in another: the same system as the flat
/// file (its states in another order).
#[test]
fn composite_files_nest() {
    let d = dir("nested");
    std::fs::write(
        d.join("plant.toml"),
        r#"
external = ["actuator.u"]
[[subsystem]]
name = "plant"
model = "forced_van_der_pol"
[[subsystem]]
name = "actuator"
model = "lag"
[[connection]]
from = "actuator.y"
to = "plant.force"
[params]
"actuator.tau" = 0.2
[y0]
"plant.x" = 0.5
"#,
    )
    .unwrap();
    std::fs::write(
        d.join("loop.toml"),
        r#"
[[subsystem]]
name = "process"
model = "plant.toml"
[[subsystem]]
name = "controller"
model = "pi"
[[connection]]
from = "process.plant.x"
to = "controller.y"
[[connection]]
from = "controller.u"
to = "process.actuator.u"
[fixed]
"controller.r" = 2.0
[params]
"controller.kp" = 3.0
"#,
    )
    .unwrap();
    let nested = resolve(&d.join("loop.toml")).unwrap();
    assert_eq!(nested.state_names(), ["process.plant.x", "process.plant.v", "process.actuator.y", "controller.z"]);
    assert_eq!(nested.params(), [1.0, 0.2, 3.0, 1.0]);
    let flat = resolve(Path::new(FILE)).unwrap();
    let a = solve(&nested, Tsit5, (0.0, 30.0), nested.y0(), nested.params(), &opts()).unwrap();
    let b = solve(&flat, Tsit5, (0.0, 30.0), flat.y0(), flat.params(), &opts()).unwrap();
    // States (x, v, a, z) against (x, v, z, a); the error norms sum in
    // another order, so the steps may differ in the last bits.
    for i in 0..a.len() {
        let (x, y) = (a.state(i), b.state(i));
        let same = [(x[0], y[0]), (x[1], y[1]), (x[2], y[3]), (x[3], y[2])];
        assert!(same.iter().all(|(p, q)| (p - q).abs() < 1e-8), "t = {}: {x:?} vs {y:?}", a.t[i]);
    }
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn an_ensemble_spec_takes_a_composite_file() {
    let spec = EnsembleSpec::parse(&format!(
        r#"
model = "{FILE}"
t_span = [0.0, 10.0]
seed = 1
samples = 64
["params"]
"controller.kp" = {{ dist = "uniform", low = 2.0, high = 4.0 }}
"#
    ))
    .unwrap();
    let summary = spec.run(None, &Execution { threads: Some(1), ..Execution::default() }).unwrap();
    assert_eq!((summary.succeeded, summary.failed), (64, 0));
}

/// Resolve `text` written as `name` in a scratch directory.
fn error_of(name: &str, text: &str) -> Error {
    let d = dir(&format!("bad-{}", name.replace('.', "-")));
    let path = d.join(name);
    std::fs::write(&path, text).unwrap();
    let e = resolve(&path).unwrap_err();
    std::fs::remove_dir_all(d).ok();
    e
}

const PARTS: &str = r#"
[[subsystem]]
name = "plant"
model = "forced_van_der_pol"
[[subsystem]]
name = "controller"
model = "pi"
"#;

#[test]
fn bad_files_get_typed_errors_naming_what_is_wrong() {
    let wired = |rest: &str| format!("{PARTS}\n[fixed]\n\"controller.r\" = 1.0\n{rest}");
    let closed = "[[connection]]\nfrom = \"plant.x\"\nto = \"controller.y\"\n[[connection]]\nfrom = \"controller.u\"\nto = \"plant.force\"\n";
    assert!(resolve_text_ok(&wired(closed)));
    let cases: Vec<(String, &str)> = vec![
        // An unknown key, with its line.
        (format!("{PARTS}colour = 1\n"), "line 8"),
        // An unknown model for a subsystem, by the subsystem's name.
        (PARTS.replace("\"pi\"", "\"pid\""), "controller"),
        // A port that does not exist.
        (wired(&closed.replace("plant.x", "plant.q")), "plant.q"),
        // An input with two sources.
        (wired(&format!("{closed}[[connection]]\nfrom = \"plant.x\"\nto = \"controller.r\"\n")), "controller.r"),
        // Inputs left free.
        (wired(""), "controller.y"),
        // A parameter path the composite lacks, and a value that is not finite.
        (wired(&format!("{closed}[params]\n\"plant.nu\" = 1.0\n")), "plant.nu"),
        (wired(&format!("{closed}[params]\n\"plant.mu\" = nan\n")), "not finite"),
        // Inputs left open at the top: a spec or the command line gives none.
        (format!("external = [\"controller.r\"]\n{PARTS}{closed}"), "inputs"),
    ];
    for (text, needle) in cases {
        let e = error_of("bad.toml", &text).to_string();
        assert!(e.contains(needle), "{needle:?} not in {e:?} for\n{text}");
    }
    // Two PI controllers feeding each other directly: an algebraic loop.
    let lp = "[[subsystem]]\nname = \"a\"\nmodel = \"pi\"\n[[subsystem]]\nname = \"b\"\nmodel = \"pi\"\n[[connection]]\nfrom = \"a.u\"\nto = \"b.y\"\n[[connection]]\nfrom = \"b.u\"\nto = \"a.y\"\n[fixed]\n\"a.r\" = 0.0\n\"b.r\" = 0.0\n";
    match error_of("loop.toml", lp) {
        Error::AlgebraicLoop { systems } => assert_eq!(systems.len(), 2, "{systems:?}"),
        e => panic!("{e}"),
    }
    // A file that includes itself ends with an error, not a stack overflow.
    let e = error_of("self.toml", "[[subsystem]]\nname = \"me\"\nmodel = \"self.toml\"\n").to_string();
    assert!(e.contains("nested"), "{e}");
}

/// Whether `text` resolves as a closed composite.
fn resolve_text_ok(text: &str) -> bool {
    let d = dir("ok");
    let path = d.join("ok.toml");
    std::fs::write(&path, text).unwrap();
    let ok = resolve(&path).is_ok();
    std::fs::remove_dir_all(d).ok();
    ok
}

/// The example's lines, without comments.
const LINES: &[&str] = &[
    "[[subsystem]]",
    "name = \"plant\"",
    "model = \"forced_van_der_pol\"",
    "[[subsystem]]",
    "name = \"controller\"",
    "model = \"pi\"",
    "[[subsystem]]",
    "name = \"actuator\"",
    "model = \"lag\"",
    "[[connection]]",
    "from = \"plant.x\"",
    "to = \"controller.y\"",
    "[[connection]]",
    "from = \"controller.u\"",
    "to = \"actuator.u\"",
    "gain = 1.0",
    "[[connection]]",
    "from = \"actuator.y\"",
    "to = \"plant.force\"",
    "[fixed]",
    "\"controller.r\" = 2.0",
    "[params]",
    "\"plant.mu\" = 1.0",
    "\"actuator.tau\" = 0.2",
    "[y0]",
    "\"plant.x\" = 0.5",
];

/// What a hand edit may put right of an `=`.
const WILD: &[&str] = &[
    "\"plant.x\"",
    "\"plant\"",
    "\"\"",
    "\"a.b.c\"",
    "\"plant. x\"",
    "\"lag\"",
    "\"pi\"",
    "\"van_der_pol\"",
    "\"robertson\"",
    "\"m.toml\"",
    "\"missing.toml\"",
    "\"controller.u\"",
    "0.0",
    "-1e308",
    "nan",
    "inf",
    "1",
    "[1.0]",
    "{}",
    "true",
];

/// The example with the lines `picks` chooses replaced by a wild value or
/// dropped, and stray characters put in.
fn edited(picks: &[usize], noise: &[(usize, char)]) -> String {
    let mut out = String::new();
    for (i, line) in LINES.iter().enumerate() {
        let p = picks.get(i).copied().unwrap_or(0);
        match line.split_once(" = ") {
            Some(_) if p % 11 == 10 => {}
            Some((key, _)) if p > 0 => out += &format!("{key} = {}", WILD[p % WILD.len()]),
            _ => out += line,
        }
        out.push('\n');
    }
    crate::common::insert_noise(&mut out, noise);
    out
}

proptest! {
    #![proptest_config(crate::common::proptest_config(2_000))]

    #[test]
    fn a_hand_edited_composite_file_runs_or_names_what_is_wrong(
        picks in prop::collection::vec(prop_oneof![6 => Just(0usize), 1 => 1..200usize], LINES.len()),
        noise in crate::common::wild_noise(),
    ) {
        // Each case in its own directory: `m.toml` may name itself.
        let d = dir("wild");
        let path = d.join("m.toml");
        let text = edited(&picks, &noise);
        std::fs::write(&path, &text).unwrap();
        match resolve(&path) {
            Ok(m) => {
                prop_assert_eq!(m.y0().len(), m.state_names().len());
                prop_assert_eq!(m.params().len(), m.param_names().len());
                let opts = Options::default().save_final();
                if let Ok(sol) = solve(&m, Tsit5, (0.0, 1.0), m.y0(), m.params(), &opts) {
                    prop_assert!(sol.last().unwrap().1.iter().all(|v| v.is_finite()), "{text}");
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

//! Models from files (`tape::TapeModel`): the model files in
//! `examples/models/` against the Rust models of `odeon::models` with the
//! same equations (the same steps, bit-identical trajectories and
//! sensitivities), inputs, outputs and composition, and bad files as
//! `Error::Parse` with the line and column.

use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use odeon::compose::Composite;
use odeon::compose::blocks::Lag;
use odeon::models::{Hires, Lorenz, LotkaVolterra, Pendulum, Robertson, Sir, VanDerPol};
use odeon::sensitivity::{Sensitivities, Wrt, solve_sensitivities, solve_sensitivities_chunked};
use odeon::signal::Driven;
use odeon::system::Model;
use odeon::tape::TapeModel;
use odeon::{Algorithm, Bdf, Dop853, Dopri5, Error, Kvaerno5, Options, Rodas5P, Solution, Tsit5, solve};

fn model_file(name: &str) -> TapeModel {
    let path = format!("{}/examples/models/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    TapeModel::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A model file's solution and sensitivities (outside the generic
/// comparison, whose allocator bound would otherwise shadow `Dyn`'s).
fn solve_file<A: Algorithm>(tape: &TapeModel, method: A, t_end: f64, opts: &Options) -> (Solution, Sensitivities) {
    let (y0, p) = (tape.y0(), tape.params());
    let sol = solve(tape, method, (0.0, t_end), y0, p, opts).unwrap();
    let wrt = Wrt::all(tape);
    (sol, solve_sensitivities(tape, method, (0.0, t_end), y0, p, &wrt, opts).unwrap())
}

/// The model file `name` and the Rust model `rust`: the same names and
/// values, the same steps, and bit-identical trajectories and
/// sensitivities (to every parameter and initial state). The method is a
/// type, so that each model compiles its one stepper (a `Method` value
/// compiles all of them).
fn same_as_rust<M: Model, A: Algorithm>(name: &str, rust: &M, method: A, t_end: f64, (y0, p): (&[f64], &[f64]))
where
    DefaultAllocator: Allocator<M::Dim>,
{
    let tape = model_file(name);
    assert_eq!(tape.name(), name);
    assert_eq!((tape.state_names(), tape.param_names()), (rust.state_names(), rust.param_names()));
    assert_eq!((tape.y0(), tape.params()), (y0, p), "{name}: textbook values");
    let times: Vec<f64> = (1..=20).map(|k| t_end * k as f64 / 20.0).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-10).t_eval(times);
    let (b, sb) = solve_file(&tape, method, t_end, &opts);
    let a = solve(rust, method, (0.0, t_end), y0, p, &opts).unwrap();
    assert_eq!((a.stats.accepted, a.stats.rejected), (b.stats.accepted, b.stats.rejected), "{name}: steps");
    // The files write each equation in the Rust model's order of
    // operations, so the arithmetic is the same: bit for bit.
    assert_eq!(b.y, a.y, "{name}: trajectories");

    // At the file model's one chunk width (8), which gives each direction
    // the same arithmetic as any other width, with one width compiled.
    let sa = solve_sensitivities_chunked::<_, _, 8>(rust, method, (0.0, t_end), y0, p, &Wrt::all(rust), &opts).unwrap();
    assert_eq!(sb.jacobians, sa.jacobians, "{name}: sensitivities");
}

#[test]
fn model_files_match_the_rust_models() {
    same_as_rust("lotka_volterra", &LotkaVolterra, Dopri5, 10.0, (&LotkaVolterra::Y0, &LotkaVolterra::PARAMS));
    same_as_rust("van_der_pol", &VanDerPol, Tsit5, 10.0, (&VanDerPol::Y0, &VanDerPol::PARAMS));
    same_as_rust("lorenz", &Lorenz, Dop853, 2.0, (&Lorenz::Y0, &Lorenz::PARAMS));
    same_as_rust("pendulum", &Pendulum, Tsit5, 10.0, (&Pendulum::Y0, &Pendulum::PARAMS));
    same_as_rust("sir", &Sir, Dopri5, 100.0, (&Sir::Y0, &Sir::PARAMS));
}

#[test]
fn stiff_model_files_match_the_rust_models() {
    same_as_rust("robertson", &Robertson, Rodas5P, 100.0, (&Robertson::Y0, &Robertson::PARAMS));
    same_as_rust("hires", &Hires, Bdf, 321.8122, (&Hires::Y0, &Hires::PARAMS));
    same_as_rust("hires", &Hires, Kvaerno5, 10.0, (&Hires::Y0, &Hires::PARAMS));
}

/// A tank with an inflow input and an outflow output: driven by a signal,
/// and composed with a Rust subsystem by name.
const TANK: &str = r#"
name = "tank"

[[parameters]]
name = "k"
value = 0.5

[[parameters]]
name = "area"
value = 2.0

[[inputs]]
name = "inflow"

[[states]]
name = "h"
initial = "k / k"   # 1, from the parameters
rate = "(inflow - outflow) / area"

[[assignments]]
name = "outflow"
formula = "k * h"

[[outputs]]
name = "outflow"
formula = "outflow"

[[outputs]]
name = "spill"
formula = "max(inflow - 3, 0)"
"#;

#[test]
fn inputs_outputs_and_composition() {
    let tank = TapeModel::from_toml("tank.toml", TANK).unwrap();
    assert_eq!((tank.n_inputs(), tank.n_outputs()), (1, 2));
    assert_eq!(tank.output_names(), ["outflow", "spill"]);
    // outflow reads the state only; spill reads the input directly.
    assert!(!tank.feedthrough(0, 0) && tank.feedthrough(1, 0));
    assert_eq!(tank.y0(), [1.0]);

    // Constant inflow 2: h → inflow/k = 4 with rate k/area.
    let driven = Driven::new(&tank, vec![2.0]).unwrap();
    let opts = Options::default().rtol(1e-10).atol(1e-12).save_final();
    let sol = solve(&driven, Tsit5, (0.0, 3.0), tank.y0(), tank.params(), &opts).unwrap();
    let exact = 4.0 - 3.0 * (-0.25f64 * 3.0).exp();
    assert!((sol.y[0] - exact).abs() < 1e-9, "{} vs {exact}", sol.y[0]);

    // A lag (Rust) feeding the tank (file), wired by name.
    let loop_ = Composite::builder()
        .add("valve", Lag)
        .add("tank", tank.clone())
        .fix("valve.u", 2.0)
        .connect("valve.y", "tank.inflow")
        .build()
        .unwrap();
    assert_eq!(loop_.param_names(), ["valve.tau", "tank.k", "tank.area"]);
    let p = loop_.params(&[("valve.tau", 1e-3), ("tank.k", 0.5), ("tank.area", 2.0)]).unwrap();
    let x0 = loop_.states(&[("valve.y", 2.0), ("tank.h", 1.0)]).unwrap();
    let sol = solve(&loop_, Rodas5P, (0.0, 3.0), &x0, &p, &opts).unwrap();
    assert!((sol.y[1] - exact).abs() < 1e-8, "{} vs {exact}", sol.y[1]);
}

/// The parse error of `text` as (line, column, reason).
fn parse_error(text: &str) -> (usize, usize, String) {
    match TapeModel::from_toml("bad.toml", text) {
        Err(Error::Parse { file, line, column, reason }) => {
            assert_eq!(file, "bad.toml");
            (line, column, reason)
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

const HEAD: &str = "[[parameters]]\nname = \"k\"\nvalue = 1.0\n";

fn with_state(rate: &str) -> String {
    format!("{HEAD}[[states]]\nname = \"x\"\ninitial = 1.0\nrate = \"{rate}\"\n")
}

#[test]
fn bad_expressions_point_at_line_and_column() {
    // Line 7 holds the rate; its string starts at column 9.
    let cases = [
        ("-k * y", 7, 14, "unknown symbol `y`"),
        ("-k * * x", 7, 14, "a value is expected"),
        ("exp(x, k)", 7, 9, "`exp` takes 1 argument, got 2"),
        ("frob(x)", 7, 9, "unknown function `frob`"),
        ("(k + x", 7, 9, "not closed"),
        ("x < k < 1", 7, 15, "do not chain"),
        ("k $ x", 7, 11, "unexpected character"),
        ("min()", 7, 9, "at least 1 argument"),
        ("if(x, k)", 7, 9, "takes 3 arguments"),
    ];
    for (rate, line, column, reason) in cases {
        let (l, c, r) = parse_error(&with_state(rate));
        assert_eq!((l, c), (line, column), "{rate}: {r}");
        assert!(r.contains(reason), "{rate}: {r}");
    }
}

#[test]
fn bad_models_are_refused_with_positions() {
    let state = "[[states]]\nname = \"x\"\ninitial = 1.0\nrate = \"-k * x\"\n";
    let cases: Vec<(String, usize, &str)> = vec![
        // TOML itself.
        ("name = \n".into(), 1, "string"),
        (format!("{HEAD}{state}colour = \"red\"\n"), 8, "unknown field"),
        (format!("{HEAD}[[states]]\nname = \"x\"\nrate = \"k\"\n"), 4, "missing field `initial`"),
        // The model.
        (HEAD.into(), 1, "no states"),
        (format!("{HEAD}{state}[[parameters]]\nname = \"x\"\nvalue = 2.0\n"), 9, "already used by a state"),
        (format!("{HEAD}{state}[[parameters]]\nname = \"pi\"\nvalue = 2.0\n"), 9, "reserved"),
        (format!("{HEAD}{state}[[parameters]]\nname = \"t\"\nvalue = 2.0\n"), 9, "reserved"),
        (format!("{HEAD}{state}[[parameters]]\nname = \"2k\"\nvalue = 2.0\n"), 9, "is not a name"),
        (format!("{HEAD}{state}[[parameters]]\nname = \"q\"\nvalue = 2.0\nbounds = [3.0, 4.0]\n"), 11, "bounds"),
        (format!("{HEAD}{state}[[parameters]]\nname = \"q\"\nvalue = nan\n"), 10, "not finite"),
        (format!("{HEAD}[[states]]\nname = \"x\"\ninitial = \"1 / (k - 1)\"\nrate = \"k\"\n"), 6, "not finite"),
        (format!("{HEAD}[[states]]\nname = \"x\"\ninitial = \"x\"\nrate = \"k\"\n"), 6, "depends on itself"),
        (format!("{HEAD}[[states]]\nname = \"x\"\ninitial = true\nrate = \"k\"\n"), 6, "a number or an expression"),
        // Assignments and functions.
        (
            format!(
                "{HEAD}{state}[[assignments]]\nname = \"a\"\nformula = \"b + 1\"\n[[assignments]]\nname = \"b\"\nformula = \"2 * a\"\n"
            ),
            13,
            "depends on itself: a → b → a",
        ),
        (format!("{HEAD}{state}[[functions]]\nname = \"exp\"\nargs = [\"z\"]\nbody = \"z\"\n"), 9, "built-in"),
        (
            format!("{HEAD}{state}[[functions]]\nname = \"f\"\nargs = [\"z\", \"z\"]\nbody = \"z\"\n"),
            10,
            "not a new name",
        ),
        (
            format!("{HEAD}{state}[[functions]]\nname = \"f\"\nargs = [\"z\"]\nbody = \"z * k\"\n"),
            11,
            "sees only its arguments",
        ),
        (
            format!(
                "{HEAD}{state}[[functions]]\nname = \"f\"\nargs = [\"z\"]\nbody = \"f(z)\"\n[[outputs]]\nname = \"o\"\nformula = \"f(x)\"\n"
            ),
            11,
            "depends on itself",
        ),
    ];
    for (text, line, reason) in cases {
        let (l, _, r) = parse_error(&text);
        assert_eq!(l, line, "{text}\n→ {r}");
        assert!(r.contains(reason), "{text}\n→ {r}");
    }
    let missing = TapeModel::read("/nonexistent/model.toml").unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing:?}");
}

/// The complete model file in `docs/models.md` reads, and means what the
/// page says.
#[test]
fn the_documented_model_file_reads() {
    let page = include_str!("../../docs/models.md");
    let start = page.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let text = &page[start..start + page[start..].find("```").expect("closed")];
    let m = TapeModel::from_toml("docs/models.md", text).unwrap();
    assert_eq!(
        (m.name(), m.state_names(), m.param_names()),
        ("sir", vec!["S".into(), "I".into(), "R".into()], vec!["beta".into(), "gamma".into()])
    );
    assert_eq!((m.input_names(), m.output_names()), (vec!["vaccination".to_string()], vec!["prevalence".to_string()]));
    assert_eq!((m.y0(), m.unit("beta")), (&[990.0, 10.0, 0.0][..], Some("1/day")));
    // The assignments in any order: the rates are those of odeon::models::Sir.
    let x = nalgebra::DVector::from_column_slice(&[990.0, 10.0, 0.0]);
    let mut dx = x.clone();
    m.rhs(0.0, &x, &[0.0], m.params(), &mut dx);
    let infection = 0.3 * 990.0 * 10.0 / 1000.0;
    assert_eq!(dx.as_slice(), [-infection, infection - 0.1 * 10.0, 0.1 * 10.0]);
}

#[test]
fn a_model_that_reads_time_is_not_autonomous() {
    // Read off the tape: time in a rate, inside a function, or only in a
    // condition (a switch in time) makes the model non-autonomous.
    let decay = |rate: &str| {
        let text = format!(
            "[[parameters]]\nname = \"k\"\nvalue = 0.5\n\n[[states]]\nname = \"x\"\ninitial = 2.0\nrate = \"{rate}\"\n"
        );
        TapeModel::from_toml("decay.toml", &text).unwrap().autonomous()
    };
    assert!(decay("-k * x"));
    assert!(!decay("-k * x * t"));
    assert!(!decay("-k * x + sin(time)"));
    assert!(!decay("if(t > 1, -k * x, 0)"));
    assert!(model_file("hires").autonomous() && model_file("robertson").autonomous());
}

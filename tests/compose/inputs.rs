//! Models with inputs (`system::Model`) under signals of time
//! (`signal::Driven`): against closed-form solutions, with exact `du/dt`
//! for the stiff methods, and as plain `OdeSystem`s.

use nalgebra::{Const, SVector};
use num_dual::Dual64;
use odeon::models::VanDerPol;
use odeon::signal::{Driven, FromFn, Interpolation, Table};
use odeon::system::Model;
use odeon::{DualScalar, Error, OdeSystem, Options, Tsit5, solve, solve_dual};

/// A first-order lag `x' = (u − x)/τ`, reporting `2x` as its output.
struct Lag;

impl Model for Lag {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn n_outputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], p: &[D], dx: &mut SVector<D, 1>) {
        dx[0] = (u[0] - x[0]) / p[0];
    }
    fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, _u: &[D], _p: &[D], y: &mut [D]) {
        y[0] = x[0] * 2.0;
    }
}

/// Under the ramp `u = a + b t`: `x = a + b(t − τ) + (x₀ − a + bτ) e^{−t/τ}`.
fn ramp_solution(t: f64, (a, b, tau, x0): (f64, f64, f64, f64)) -> f64 {
    a + b * (t - tau) + (x0 - a + b * tau) * (-t / tau).exp()
}

#[test]
fn a_ramp_input_against_the_closed_form() {
    let (a, b, tau, x0) = (0.5, 0.3, 0.7, 2.0);
    let table = Table::new(vec![0.0, 10.0], vec![vec![a], vec![a + 10.0 * b]], Interpolation::Linear).unwrap();
    let driven = Driven::new(&Lag, table).unwrap();
    let o = Options::default().rtol(1e-10).atol(1e-12).save_final();
    each_method!(alg in [Tsit5, Rodas5P] {
        let sol = solve(&driven, alg, (0.0, 5.0), &[x0], &[tau], &o).unwrap();
        let exact = ramp_solution(5.0, (a, b, tau, x0));
        assert!((sol.last().unwrap().1[0] - exact).abs() < 1e-8, "{alg}");
    });
    // The time-seeded right-hand side carries du/dt = b: ∂f/∂t = b/τ.
    let mut dx = SVector::<Dual64, 1>::zeros();
    OdeSystem::rhs(&driven, Dual64::new(2.0, 1.0), &SVector::from([Dual64::from(1.0)]), &[Dual64::from(tau)], &mut dx);
    assert!((dx[0].eps - b / tau).abs() < 1e-15);
    // Outputs under the signals.
    assert_eq!(driven.outputs(1.0, &SVector::from([1.5]), &[tau]), vec![3.0]);
}

/// A step at t = 1 held by the table: the integrator lands on the
/// breakpoint, so the kink costs no accuracy.
#[test]
fn a_held_step_lands_on_its_breakpoint() {
    let table = Table::new(vec![0.0, 1.0], vec![vec![0.0], vec![1.0]], Interpolation::Hold).unwrap();
    let driven = Driven::new(&Lag, table).unwrap();
    let o = Options::default().rtol(1e-10).atol(1e-12).save_final();
    each_method!(alg in [Tsit5, Rodas5P] {
        let sol = solve(&driven, alg, (0.0, 3.0), &[0.0], &[1.0], &o).unwrap();
        let exact = 1.0 - (-2.0f64).exp();
        assert!((sol.last().unwrap().1[0] - exact).abs() < 1e-9, "{alg}: {}", sol.last().unwrap().1[0]);
        let every_step = solve(&driven, alg, (0.0, 3.0), &[0.0], &[1.0], &Options::default()).unwrap();
        assert!(every_step.t.contains(&1.0), "{alg}: a step ends on the breakpoint");
    });
}

/// ∂x(t)/∂τ through the driven model by one dual solve, against central
/// differences of `f64` solves.
#[test]
fn parameter_sensitivity_through_the_inputs() {
    let table = Table::new(vec![0.0, 2.0, 4.0], vec![vec![0.0], vec![1.0], vec![0.5]], Interpolation::Linear).unwrap();
    let driven = Driven::new(&Lag, table).unwrap();
    let o = Options::default().rtol(1e-11).atol(1e-13).save_final();
    let tau = 0.8;
    let end = |tau: f64| solve(&driven, Tsit5, (0.0, 3.0), &[0.2], &[tau], &o).unwrap().last().unwrap().1[0];
    let dual =
        solve_dual(&driven, Tsit5, (0.0, 3.0), &[Dual64::from(0.2)], &[Dual64::from(tau).derivative()], &o).unwrap();
    let h = 1e-5;
    let fd = (end(tau + h) - end(tau - h)) / (2.0 * h);
    let exact = dual.last().unwrap().1[0].eps;
    assert!((exact - fd).abs() < 1e-7 * fd.abs().max(1.0), "{exact} vs {fd}");
}

/// `x' = −x + sin t` with the input from a closure: `x = (sin t − cos t)/2
/// + (x₀ + ½) e^{−t}`.
#[test]
fn inputs_from_a_function_of_time() {
    let driven = Driven::new(&Lag, FromFn::new(1, |t, u| u[0] = t.sin())).unwrap();
    let o = Options::default().rtol(1e-10).atol(1e-12).save_final();
    let sol = solve(&driven, Tsit5, (0.0, 4.0), &[1.0], &[1.0], &o).unwrap();
    let exact = (4f64.sin() - 4f64.cos()) / 2.0 + 1.5 * (-4f64).exp();
    assert!((sol.last().unwrap().1[0] - exact).abs() < 1e-9);
}

/// A closed model is a `Model` with no inputs: driven by no signals it
/// solves bit for bit as itself.
#[test]
fn a_closed_model_driven_by_nothing_is_itself() {
    let o = Options::default().rtol(1e-8);
    let direct = solve(&VanDerPol, Tsit5, (0.0, 5.0), &[2.0, 0.0], &[1.0], &o).unwrap();
    let driven = Driven::new(&VanDerPol, Vec::new()).unwrap();
    let through = solve(&driven, Tsit5, (0.0, 5.0), &[2.0, 0.0], &[1.0], &o).unwrap();
    assert_eq!(direct.t, through.t);
    assert_eq!(direct.y, through.y);
    assert_eq!(Model::n_inputs(&VanDerPol), 0);
}

/// A table read from CSV equals the one built in code; bad cells are
/// errors naming the line.
#[test]
fn tables_from_csv() {
    let dir = std::env::temp_dir().join(format!("odeon-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.csv");
    std::fs::write(&good, "time,q\n0,1.5\n2,0.5\n").unwrap();
    let read = Table::from_csv(&good, "time", &["q"], Interpolation::Hold).unwrap();
    assert_eq!(read, Table::new(vec![0.0, 2.0], vec![vec![1.5], vec![0.5]], Interpolation::Hold).unwrap());
    for (name, text) in
        [("empty.csv", "time,q\n0,1.5\n2,\n"), ("text.csv", "time,q\n0,abc\n"), ("order.csv", "time,q\n1,1\n0,2\n")]
    {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        assert!(Table::from_csv(&path, "time", &["q"], Interpolation::Linear).is_err(), "{name}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn signals_that_do_not_fit_are_errors() {
    assert!(matches!(Driven::new(&Lag, vec![1.0, 2.0]), Err(Error::DimensionMismatch { .. })));
    assert!(matches!(Driven::new(&Lag, Vec::new()), Err(Error::DimensionMismatch { .. })));
    let bad = |times: Vec<f64>, rows: Vec<Vec<f64>>| Table::new(times, rows, Interpolation::Linear).is_err();
    assert!(bad(vec![], vec![]));
    assert!(bad(vec![0.0, 1.0], vec![vec![1.0]]));
    assert!(bad(vec![1.0, 0.5], vec![vec![1.0], vec![2.0]]));
    assert!(bad(vec![0.0, f64::NAN], vec![vec![1.0], vec![2.0]]));
    assert!(bad(vec![0.0, 1.0], vec![vec![1.0], vec![2.0, 3.0]]));
    assert!(bad(vec![0.0, 1.0], vec![vec![1.0], vec![f64::INFINITY]]));
}

//! Composite models (`compose::Composite`): against the same equations
//! written flat by hand (bit-identical right-hand sides, equal solutions
//! and sensitivities), nested, with events and doses in a subsystem, one
//! composite through solve, sensitivities, fit and an ensemble, and every
//! kind of bad wiring as a typed error naming the path.

use nalgebra::{Const, DVector, SVector};
use num_dual::DualSVec64;
use odeon::compose::blocks::{Lag, Pi, van_der_pol_pi};
use odeon::compose::{Builder, Composite, Parts};
use odeon::ensemble::{Dist, Ensemble, Independent};
use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Parameter, States, fit};
use odeon::models::{BouncingBall, ForcedVanDerPol, OralDosing};
use odeon::ocp::{
    Collocation, ControlVar, OcpSolution, OptimalControl, ParamVar, Phase, SimulationCheck, SqpOptions, StateVar,
    Status, TimeVar, Transcription,
};
use odeon::sensitivity::{Wrt, solve_sensitivities};
use odeon::signal::{Driven, Interpolation, Table};
use odeon::system::{Model, SliceModel};
use odeon::{Dop853, DualScalar, Error, Options, Rodas5P, Tsit5, solve};

/// The oscillator under PI control through a lagging actuator, written
/// flat: states x, v, z, a; parameters mu, kp, ki, tau; input r.
pub(crate) struct Flat;

impl Model for Flat {
    type Dim = Const<4>;
    fn dim(&self) -> Const<4> {
        Const
    }
    fn n_params(&self) -> usize {
        4
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 4>, u: &[D], p: &[D], dx: &mut SVector<D, 4>) {
        let command = p[1] * (u[0] - x[0]) + p[2] * x[2];
        dx[0] = x[1];
        dx[1] = p[0] * (-x[0] * x[0] + 1.0) * x[1] - x[0] + x[3];
        dx[2] = u[0] - x[0];
        dx[3] = (command - x[3]) / p[3];
    }
}

pub(crate) const P: [f64; 4] = [1.5, 2.0, 0.8, 0.3];
pub(crate) const X0: [f64; 4] = [1.0, 0.0, 0.0, 0.0];

pub(crate) fn setpoint() -> Table {
    let t: Vec<f64> = (0..=20).map(|i| i as f64).collect();
    let rows = t.iter().map(|&ti| vec![(0.4 * ti).sin()]).collect();
    Table::new(t, rows, Interpolation::Linear).unwrap()
}

#[test]
fn a_composite_evaluates_the_flat_equations_bit_for_bit() {
    let composite = van_der_pol_pi().build_const::<4>().unwrap();
    let dynamic = van_der_pol_pi().build().unwrap();
    assert_eq!(composite.state_names(), ["plant.x", "plant.v", "controller.z", "actuator.y"]);
    assert_eq!(composite.param_names(), ["plant.mu", "controller.kp", "controller.ki", "actuator.tau"]);
    assert_eq!(composite.input_names(), ["controller.r"]);
    assert_eq!(composite.output_names(), ["plant.x", "controller.u", "actuator.y"]);
    type D3 = DualSVec64<3>;
    for k in 0..20 {
        let s = k as f64;
        let x = SVector::<f64, 4>::from_fn(|i, _| (1.3 * s + i as f64).sin() * 2.0);
        let (u, t) = ([(0.7 * s).cos()], 0.1 * s);
        let (mut want, mut got, mut dyn_got) = (SVector::zeros(), SVector::zeros(), DVector::zeros(4));
        Flat.rhs(t, &x, &u, &P, &mut want);
        composite.rhs(t, &x, &u, &P, &mut got);
        dynamic.rhs(t, &DVector::from_column_slice(x.as_slice()), &u, &P, &mut dyn_got);
        assert_eq!(want, got);
        assert_eq!(want.as_slice(), dyn_got.as_slice());
        // With derivatives in the states, inputs and parameters.
        let xd = SVector::from_fn(|i, _| D3::from_re(x[i]).derivative(i % 3));
        let ud = [D3::from_re(u[0]).derivative(2)];
        let pd = P.map(|v| D3::from_re(v).derivative(1));
        let (mut want, mut got) = (SVector::<D3, 4>::zeros(), SVector::<D3, 4>::zeros());
        Flat.rhs(D3::from_re(t), &xd, &ud, &pd, &mut want);
        composite.rhs(D3::from_re(t), &xd, &ud, &pd, &mut got);
        assert_eq!(want, got);
    }
}

/// The loop added in reverse, so the controller's output (which reads the
/// plant's directly) is computed in a later pass than the plant's; the
/// actuator drives the plant through a gain; the setpoint left open.
fn reversed_loop() -> Builder<impl Parts> {
    Composite::builder()
        .add("actuator", Lag)
        .add("controller", Pi)
        .add("plant", ForcedVanDerPol)
        .connect("plant.x", "controller.y")
        .connect("controller.u", "actuator.u")
        .connect_gain("actuator.y", "plant.force", 0.5)
}

#[test]
fn outputs_are_computed_in_passes_whatever_the_order_added_with_gains_and_fixed_values() {
    // The setpoint from the actuator through a second gain, or fixed.
    let gained = reversed_loop().connect_gain("actuator.y", "controller.r", -0.25).build_const::<4>().unwrap();
    assert_eq!(gained.state_names(), ["actuator.y", "controller.z", "plant.x", "plant.v"]);
    let fixed = reversed_loop().fix("controller.r", 0.3).build().unwrap();
    let p = [0.3, 2.0, 0.8, 1.5]; // tau, kp, ki, mu
    for k in 0..10 {
        let s = k as f64;
        let x = SVector::<f64, 4>::from_fn(|i, _| (1.7 * s + i as f64).sin() * 2.0);
        let (a, z, y, v) = (x[0], x[1], x[2], x[3]);
        let want = |r: f64| {
            let command = p[1] * (r - y) + p[2] * z;
            [(command - a) / p[0], r - y, v, p[3] * (-y * y + 1.0) * v - y + a * 0.5]
        };
        let mut got = SVector::zeros();
        gained.rhs(0.0, &x, &[], &p, &mut got);
        assert_eq!(got.as_slice(), want(a * -0.25), "{k}");
        let mut got = DVector::zeros(4);
        fixed.rhs(0.0, &DVector::from_column_slice(x.as_slice()), &[], &p, &mut got);
        assert_eq!(got.as_slice(), want(0.3), "{k}");
    }
}

#[test]
fn a_composite_solves_and_differentiates_as_the_flat_model() {
    solves_and_differentiates_as_flat(&van_der_pol_pi().build_const::<4>().unwrap());
    // A run-time-sized composite takes the same steps to within rounding.
    let o = Options::default().rtol(1e-9).atol(1e-11);
    let flat = Driven::new(&Flat, setpoint()).unwrap();
    let dynamic = van_der_pol_pi().build().unwrap();
    let got = solve(&Driven::new(&dynamic, setpoint()).unwrap(), Rodas5P, (0.0, 20.0), &X0, &P, &o).unwrap();
    let want = solve(&flat, Rodas5P, (0.0, 20.0), &X0, &P, &o).unwrap();
    let (a, b) = (want.last().unwrap().1, got.last().unwrap().1);
    for i in 0..4 {
        assert!((a[i] - b[i]).abs() < 1e-12 * (1.0 + a[i].abs()), "{i}: {} vs {}", a[i], b[i]);
    }
}

/// `composite` (the oscillator's loop, however built) takes the flat
/// model's steps and gives its sensitivities, bit for bit.
pub(crate) fn solves_and_differentiates_as_flat<M: Model<Dim = Const<4>>>(composite: &M) {
    let (flat, ours) = (Driven::new(&Flat, setpoint()).unwrap(), Driven::new(composite, setpoint()).unwrap());
    let o = Options::default().rtol(1e-9).atol(1e-11);
    each_method!(alg in [Tsit5, Rodas5P] {
        let want = solve(&flat, alg, (0.0, 20.0), &X0, &P, &o).unwrap();
        let got = solve(&ours, alg, (0.0, 20.0), &X0, &P, &o).unwrap();
        assert_eq!(want.t, got.t, "{alg}");
        assert_eq!(want.y, got.y, "{alg}");
    });
    let wrt = Wrt::all(&flat);
    let want = solve_sensitivities(&flat, Tsit5, (0.0, 20.0), &X0, &P, &wrt, &o).unwrap();
    let got = solve_sensitivities(&ours, Tsit5, (0.0, 20.0), &X0, &P, &wrt, &o).unwrap();
    assert_eq!(want.jacobians, got.jacobians);
}

#[test]
fn composites_nest_and_parameters_are_addressed_by_path() {
    // The controller and actuator as one subsystem of the loop.
    let drive = Composite::builder()
        .add("controller", Pi)
        .add("actuator", Lag)
        .connect("controller.u", "actuator.u")
        .external("controller.r")
        .external("controller.y")
        .build()
        .unwrap();
    // Its command reads the measurement directly; the lagged output does not.
    assert!(drive.feedthrough(0, 1) && !drive.feedthrough(1, 1));
    let nested = Composite::builder()
        .add("plant", ForcedVanDerPol)
        .add("drive", drive)
        .connect("plant.x", "drive.controller.y")
        .connect("drive.actuator.y", "plant.force")
        .external("drive.controller.r")
        .build()
        .unwrap();
    let p = nested
        .params(&[
            ("drive.actuator.tau", P[3]),
            ("plant.mu", P[0]),
            ("drive.controller.ki", P[2]),
            ("drive.controller.kp", P[1]),
        ])
        .unwrap();
    assert_eq!(p, P);
    let x0 =
        nested.states(&[("plant.x", 1.0), ("plant.v", 0.0), ("drive.controller.z", 0.0), ("drive.actuator.y", 0.0)]);
    assert_eq!(x0.unwrap(), X0);
    let o = Options::default().rtol(1e-9).atol(1e-11);
    let want = solve(&Driven::new(&Flat, setpoint()).unwrap(), Tsit5, (0.0, 20.0), &X0, &P, &o).unwrap();
    let got = solve(&Driven::new(&nested, setpoint()).unwrap(), Tsit5, (0.0, 20.0), &X0, &p, &o).unwrap();
    assert_eq!(want.y, got.y);
}

const DOSING: OralDosing = OralDosing { dose: 100.0, period: 1.0, doses: 3 };

#[test]
fn events_doses_and_resets_of_a_subsystem_keep_their_meaning() {
    // A lag in front shifts the ball's and the dosing model's states,
    // parameters, events and stops; their solutions must not change.
    let whole = Composite::builder()
        .add("lag", Lag)
        .fix("lag.u", 1.0)
        .add("ball", BouncingBall { terminal: false })
        .add("dosing", DOSING)
        .build()
        .unwrap();
    let o = Options::default().rtol(1e-10).atol(1e-12);
    let (ball_p, dose_p) = ([9.81, 0.8], OralDosing::PARAMS);
    let ball = solve(&BouncingBall { terminal: false }, Tsit5, (0.0, 3.0), &[1.0, 0.0], &ball_p, &o).unwrap();
    let dosing = solve(&DOSING, Tsit5, (0.0, 3.0), &[0.0, 0.0], &dose_p, &o).unwrap();
    let p: Vec<f64> = [0.5].iter().chain(&ball_p).chain(&dose_p).copied().collect();
    let sol = solve(&whole, Tsit5, (0.0, 3.0), &[0.0, 1.0, 0.0, 0.0, 0.0], &p, &o).unwrap();
    assert_eq!(sol.events.len(), ball.events.len() + dosing.events.len());
    let end = sol.last().unwrap().1;
    let (b, d) = (ball.last().unwrap().1, dosing.last().unwrap().1);
    for (got, want) in end[1..].iter().zip(b.iter().chain(d.iter())) {
        assert!((got - want).abs() < 1e-7, "{got} vs {want}");
    }
    assert!((end[0] - (1.0 - (-6.0f64).exp())).abs() < 1e-8);
}

/// Settle the oscillator: choose the setpoint `r(t)` (the model's one
/// input) minimizing ∫ x² + v² + r²/10 dt over 4 s — for any model with
/// the loop's states and input.
struct Settle<M>(M);

impl<M: SliceModel> OptimalControl for Settle<M> {
    type Model = M;
    fn model(&self) -> &M {
        &self.0
    }
    fn running_cost<D: DualScalar>(&self, _t: D, x: &[D], u: &[D], _p: &[D]) -> D {
        x[0] * x[0] + x[1] * x[1] + u[0] * u[0] * 0.1
    }
    fn has_running_cost(&self) -> bool {
        true
    }
}

fn settle<M: SliceModel>(model: M) -> (OcpSolution, SimulationCheck) {
    let problem = Settle(model);
    let mut phase = Phase::new(&problem).time(TimeVar::fixed(0.0, 4.0));
    for (i, &x) in X0.iter().enumerate() {
        phase = phase.state(i, StateVar::new().fix_initial(x));
    }
    for (i, &p) in P.iter().enumerate() {
        phase = phase.param(i, ParamVar::fixed(p));
    }
    let phase = phase.control(0, ControlVar::new().bounds(-3.0, 3.0));
    let t = Transcription::Radau { segments: 20, order: 5 };
    let sol = Collocation::new(&problem, &phase, t).unwrap().solve(&SqpOptions::default()).unwrap();
    assert_eq!(sol.status, Status::Optimal, "{}", sol.message);
    let check = sol.simulate(&problem).unwrap();
    (sol, check)
}

#[test]
fn one_composite_runs_in_solve_sensitivities_fit_an_ensemble_and_an_ocp() {
    let closed = van_der_pol_pi().build_const::<4>().unwrap();
    let plant = Driven::new(&closed, vec![0.5]).unwrap(); // a constant setpoint
    let o = Options::default().rtol(1e-9).atol(1e-11);
    // ∂x(8)/∂kp against a central difference of two solves.
    let sens = solve_sensitivities(&plant, Tsit5, (0.0, 8.0), &X0, &P, &[Wrt::Param(1)], &o).unwrap();
    let x_end = |kp: f64| {
        let p = [P[0], kp, P[2], P[3]];
        solve(&plant, Tsit5, (0.0, 8.0), &X0, &p, &o.clone().rtol(1e-12).atol(1e-14)).unwrap().last().unwrap().1[0]
    };
    let h = 1e-5;
    let fd = (x_end(P[1] + h) - x_end(P[1] - h)) / (2.0 * h);
    let exact = sens.jacobians.last().unwrap()[(0, 0)];
    assert!((exact - fd).abs() < 1e-6 * (1.0 + fd.abs()), "∂x/∂kp {exact} vs {fd}");
    let t: Vec<f64> = (1..=16).map(|i| 0.5 * i as f64).collect();
    let truth = solve(&plant, Rodas5P, (0.0, 8.0), &X0, &P, &o.clone().t_eval(t.clone())).unwrap();
    let data = Data::new(t, (0..truth.len()).map(|i| truth.state(i)[0]).collect()).unwrap();
    // Fit two parameters of different subsystems by path.
    let problem = FitProblem::new(&plant, Tsit5, States(vec![0]))
        .options(o.clone())
        .parameter(Parameter::new("controller.kp", 1.5).bounds(0.1, 10.0))
        .parameter(Parameter::new("actuator.tau", 0.45).bounds(0.01, 5.0))
        .parameter(Parameter::new("plant.mu", P[0]).fixed())
        .parameter(Parameter::new("controller.ki", P[2]).fixed())
        .experiment(Experiment::new("step", &X0, data.clone()));
    let report = fit(&problem, &FitOptions::default()).unwrap();
    assert!(report.converged, "{report}");
    for (est, want) in report.estimates.iter().zip([P[1], P[3]]) {
        assert!((est.value - want).abs() < 1e-5 * want, "{}: {} vs {want}", est.name, est.value);
    }
    // The same fit of the hand-flattened equations (parameters p0…p3):
    // the same path to the same estimates and standard errors.
    let flat = Driven::new(&Flat, vec![0.5]).unwrap();
    let flat_problem = FitProblem::new(&flat, Tsit5, States(vec![0]))
        .options(o.clone())
        .parameter(Parameter::new("p1", 1.5).bounds(0.1, 10.0))
        .parameter(Parameter::new("p3", 0.45).bounds(0.01, 5.0))
        .parameter(Parameter::new("p0", P[0]).fixed())
        .parameter(Parameter::new("p2", P[2]).fixed())
        .experiment(Experiment::new("step", &X0, data));
    let flat_report = fit(&flat_problem, &FitOptions::default()).unwrap();
    assert_eq!(report.iterations, flat_report.iterations);
    for (a, b) in report.estimates.iter().zip(&flat_report.estimates) {
        assert!((a.value - b.value).abs() <= 1e-12 * b.value.abs(), "{}: {} vs {}", a.name, a.value, b.value);
        let (sa, sb) = (a.std_error.unwrap(), b.std_error.unwrap());
        assert!((sa - sb).abs() <= 1e-9 * sb, "{}: standard error {sa} vs {sb}", a.name);
    }
    // A Monte Carlo over the controller gain, named by its path.
    let gain = Dist::Uniform { low: 1.0, high: 3.0 };
    let (y0, p) = Dist::by_name(&plant, &X0, &P, &[("controller.kp", gain)]).unwrap();
    assert_eq!(p, [Dist::Fixed(P[0]), gain, Dist::Fixed(P[2]), Dist::Fixed(P[3])]);
    let sampler = Independent::new(y0, p).unwrap();
    let summary = Ensemble::new(&plant, Tsit5, (0.0, 8.0), sampler, 64).seed(1).options(o).run().unwrap();
    assert_eq!(summary.succeeded, 64);
    // The open composite's free input is the control of an optimal-control
    // problem: the same optimum as the flat equations', and a trajectory
    // the integrator reproduces under the optimal setpoint.
    let (ours, check) = settle(van_der_pol_pi().build_const::<4>().unwrap());
    let (flat, _) = settle(Flat);
    assert_eq!(check.states.len(), ours.timeseries.states.len(), "simulated to the end");
    assert!(check.max_error.iter().all(|&e| e < 1e-4), "collocation vs integrator: {:?}", check.max_error);
    assert!(
        (ours.objective - flat.objective).abs() <= 1e-12 * flat.objective,
        "{} vs {}",
        ours.objective,
        flat.objective
    );
    let r_at = |s: &OcpSolution| s.timeseries.controls.iter().map(|u| u[0]).collect::<Vec<_>>();
    for (a, b) in r_at(&ours).iter().zip(r_at(&flat)) {
        assert!((a - b).abs() < 1e-9, "setpoint {a} vs {b}");
    }
    // Steering the setpoint beats holding it at 0 (the cost of r = 0 by
    // integrating the running cost along the free response).
    assert!(ours.objective < free_response_cost(), "{}", ours.objective);
}

/// ∫₀⁴ x² + v² dt with the setpoint held at 0: the state augmented with
/// the running cost, integrated tightly.
fn free_response_cost() -> f64 {
    let closed = van_der_pol_pi().build_const::<4>().unwrap();
    let held = Driven::new(&closed, vec![0.0]).unwrap();
    let o = Options::default().rtol(1e-10).atol(1e-12).t_eval((0..=400).map(|i| 0.01 * i as f64).collect());
    let sol = solve(&held, Dop853, (0.0, 4.0), &X0, &P, &o).unwrap();
    let f: Vec<f64> = (0..sol.len()).map(|i| sol.state(i)[0].powi(2) + sol.state(i)[1].powi(2)).collect();
    // Simpson's rule on 400 intervals.
    let h = 0.01;
    (h / 3.0) * (f[0] + f[400] + (1..400).map(|i| if i % 2 == 1 { 4.0 * f[i] } else { 2.0 * f[i] }).sum::<f64>())
}

#[test]
fn a_loop_of_three_direct_feedthroughs_is_named() {
    let err = Composite::builder()
        .add("a", Pi)
        .add("b", Pi)
        .add("c", Pi)
        .connect("a.u", "b.y")
        .connect("b.u", "c.y")
        .connect("c.u", "a.y")
        .fix("a.r", 0.0)
        .fix("b.r", 0.0)
        .fix("c.r", 0.0)
        .build()
        .unwrap_err();
    let Error::AlgebraicLoop { mut systems } = err else { panic!("{err}") };
    systems.sort();
    assert_eq!(systems, ["a", "b", "c"]);
    // A lag on the loop breaks it.
    let ok = Composite::builder()
        .add("a", Pi)
        .add("b", Pi)
        .add("lag", Lag)
        .connect("a.u", "b.y")
        .connect("b.u", "lag.u")
        .connect("lag.y", "a.y")
        .fix("a.r", 0.0)
        .fix("b.r", 0.0)
        .build();
    assert!(ok.is_ok());
}

/// A lag that names two parameters but has one.
struct Misnamed;

impl Model for Misnamed {
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
    fn rhs<D: DualScalar>(&self, t: D, x: &SVector<D, 1>, u: &[D], p: &[D], dx: &mut SVector<D, 1>) {
        Lag.rhs(t, x, u, p, dx)
    }
    fn param_names(&self) -> Vec<String> {
        vec!["tau".into(), "gain".into()]
    }
}

#[test]
fn bad_wiring_is_a_typed_error_naming_the_path() {
    fn fails<P: Parts>(b: Builder<P>, path: &str, words: &str) {
        match b.build() {
            Err(Error::InvalidComposite { path: p, reason }) => {
                assert_eq!(p, path);
                assert!(reason.contains(words), "{reason}");
            }
            Err(Error::FreeInputs { inputs }) => assert_eq!(inputs, path),
            other => panic!("{path}: {:?}", other.map(|_| ())),
        }
    }
    let one = || Composite::builder().add("lag", Lag);
    fails(one().connect("plant.x", "lag.u"), "plant.x", "no subsystem named \"plant\"; subsystems: lag");
    fails(one().connect("lag.z", "lag.u"), "lag.z", "no output \"z\"; its outputs: y");
    fails(one().connect("lag.y", "lag.y"), "lag.y", "no input \"y\"; its inputs: u");
    fails(one().connect("lag", "lag.u"), "lag", "expected an output");
    fails(one().connect("lag.y", "lag.u").fix("lag.u", 1.0), "lag.u", "more than once");
    fails(one().connect_gain("lag.y", "lag.u", f64::NAN), "connection", "not finite");
    fails(one().fix("lag.u", f64::INFINITY), "lag.u", "not finite");
    fails(one(), "lag.u", "");
    fails(one().add("lag", Lag).fix("lag.u", 0.0), "lag", "two subsystems");
    fails(Composite::builder().add("a.b", Lag).fix("a.b.u", 0.0), "a.b", "without dots");
    fails(Composite::builder().add("", Lag), "", "non-empty");
    // A subsystem whose names do not match its counts.
    fails(Composite::builder().add("m", Misnamed).fix("m.u", 0.0), "m", "it has 1 parameters but names 2");
    let built = one().external("lag.u").build().unwrap();
    assert!(matches!(one().fix("lag.u", 0.0).build_const::<2>(), Err(Error::InvalidComposite { .. })));
    // Solved without its external input given.
    let err = solve(&built, Tsit5, (0.0, 1.0), &[0.0], &[1.0], &Options::default()).unwrap_err();
    assert!(matches!(&err, Error::FreeInputs { inputs } if inputs == "lag.u"), "{err}");
    // Values by path.
    assert!(built.params(&[("lag.tau", 1.0)]).is_ok());
    for bad in [&[][..], &[("lag.tau", 1.0), ("lag.tau", 2.0)], &[("lag.k", 1.0)]] {
        assert!(matches!(built.params(bad), Err(Error::InvalidComposite { .. })), "{bad:?}");
    }
}

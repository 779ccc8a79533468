//! Bad problems end in a clear status or a typed error: no panic, no
//! endless loop.

use nalgebra::{Const, SVector};
use odeon::DualScalar;
use odeon::Error;
use odeon::ocp::problems::{Brachistochrone, DoubleIntegrator};
use odeon::ocp::{
    Bounds, Collocation, End, Guess, OptimalControl, Phase, SqpOptions, StateVar, Status, Timeseries, Transcription,
};
use odeon::system::Model;

const GL: Transcription = Transcription::GaussLobatto { segments: 10, order: 3 };

/// The double integrator with an initial boundary constraint on x(0).
struct Constrained;
impl Model for Constrained {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, t: D, x: &SVector<D, 2>, u: &[D], p: &[D], dx: &mut SVector<D, 2>) {
        DoubleIntegrator.rhs(t, x, u, p, dx);
    }
}
impl OptimalControl for Constrained {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D]) -> D {
        DoubleIntegrator.mayer(t, x, u, p)
    }
    fn n_boundary(&self, end: End) -> usize {
        usize::from(end == End::Initial)
    }
    fn boundary<D: DualScalar>(&self, _end: End, _t: D, x: &[D], _u: &[D], _p: &[D], out: &mut [D]) {
        out[0] = x[0];
    }
}

#[test]
fn contradictory_boundary_constraints_are_infeasible() {
    // x(0) is fixed at 0 and constrained to be ≥ 1.
    let mut phase = Phase::new(&Constrained);
    phase.states = DoubleIntegrator::phase().states;
    phase.controls = DoubleIntegrator::phase().controls;
    phase.time = DoubleIntegrator::phase().time;
    let phase_ok = phase.clone().boundary_constraint(End::Initial, 0, Bounds::upper(0.0));
    let phase = phase.boundary_constraint(End::Initial, 0, Bounds::lower(1.0));
    for t in [GL, Transcription::Radau { segments: 10, order: 3 }] {
        let sol = Collocation::new(&Constrained, &phase, t).unwrap().solve(&SqpOptions::default()).unwrap();
        assert_eq!(sol.status, Status::Infeasible, "{t:?}: {} after {} iterations", sol.message, sol.iterations);
        assert!(sol.iterations < 20, "{t:?}: {} iterations", sol.iterations);
        assert!(sol.constraint_violation >= 0.99, "{t:?}: {}", sol.constraint_violation);
    }
    // Consistent bounds solve.
    let sol = Collocation::new(&Constrained, &phase_ok, GL).unwrap().solve(&SqpOptions::default()).unwrap();
    assert_eq!(sol.status, Status::Optimal);
}

/// The brachistochrone whose dynamics are NaN above y = `ceiling`.
struct Holed {
    ceiling: f64,
}
impl Model for Holed {
    type Dim = Const<3>;
    fn dim(&self) -> Const<3> {
        Const
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, t: D, x: &SVector<D, 3>, u: &[D], p: &[D], dx: &mut SVector<D, 3>) {
        Brachistochrone.rhs(t, x, u, p, dx);
        if x[1].re() > self.ceiling {
            dx[0] = D::from(f64::NAN);
        }
    }
}
impl OptimalControl for Holed {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, t: D, _x: &[D], _u: &[D], _p: &[D]) -> D {
        t
    }
}

#[test]
fn nan_in_part_of_the_domain() {
    // The optimal path stays below y = 10: steps into the hole are cut back.
    let sol = Collocation::new(&Holed { ceiling: 10.0 + 1e-9 }, &Brachistochrone::phase(), GL)
        .unwrap()
        .solve(&SqpOptions::default())
        .unwrap();
    assert_eq!(sol.status, Status::Optimal, "{}", sol.message);
    assert!((sol.duration - 1.8016).abs() < 1.5e-4);
    // NaN at the initial guess is a typed error naming the row.
    let e = Collocation::new(&Holed { ceiling: 7.0 }, &Brachistochrone::phase(), GL).err().unwrap();
    match e {
        Error::NonFiniteEvaluation { what, .. } => assert!(what.contains("defect of state x0"), "{what}"),
        e => panic!("unexpected {e}"),
    }
}

#[test]
fn inconsistent_dimensions_are_errors() {
    // A phase built for another problem.
    let e = Collocation::new(&Brachistochrone, &DoubleIntegrator::phase(), GL).err().unwrap();
    assert!(matches!(e, Error::DimensionMismatch { what: "phase.states", expected: 3, got: 2 }), "{e}");
    // A guess trajectory of the wrong width.
    let series = Timeseries {
        time: vec![0.0, 1.0],
        states: vec![vec![0.0; 2], vec![0.0; 2]],
        controls: vec![vec![0.0], vec![0.0]],
        control_rates: vec![],
    };
    let guess = Guess::Trajectory { series, params: None };
    let e = Collocation::with_grid(&Brachistochrone, &Brachistochrone::phase(), GL, None, &guess).err().unwrap();
    assert!(matches!(e, Error::DimensionMismatch { what: "timeseries states", .. }), "{e}");
    // Segment ends of the wrong length or out of order.
    let e = Collocation::with_grid(&Brachistochrone, &Brachistochrone::phase(), GL, Some(&[0.0, 1.0]), &Guess::Linear)
        .err()
        .unwrap();
    assert!(matches!(e, Error::DimensionMismatch { what: "segment ends", expected: 11, got: 2 }), "{e}");
    let t = Transcription::GaussLobatto { segments: 2, order: 3 };
    let e =
        Collocation::with_grid(&Brachistochrone, &Brachistochrone::phase(), t, Some(&[0.0, 0.7, 0.5]), &Guess::Linear)
            .err()
            .unwrap();
    assert!(matches!(e, Error::InvalidTranscription { .. }), "{e}");
}

#[test]
fn bad_transcriptions_are_errors() {
    for t in [
        Transcription::GaussLobatto { segments: 10, order: 4 },
        Transcription::GaussLobatto { segments: 10, order: 1 },
        Transcription::GaussLobatto { segments: 0, order: 3 },
        Transcription::Radau { segments: 0, order: 3 },
        Transcription::Radau { segments: 3, order: 0 },
    ] {
        let e = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t).err().unwrap();
        assert!(
            matches!(&e, Error::InvalidTranscription { transcription, .. } if *transcription == format!("{t:?}")),
            "{e}"
        );
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn bad_phases_and_options_are_errors() {
    let phase = Brachistochrone::phase().state(0, StateVar::new().bounds(1.0, 0.0));
    let e = Collocation::new(&Brachistochrone, &phase, GL).err().unwrap();
    assert!(matches!(e, Error::InvalidOcp { ref what, .. } if what.contains("state 0")), "{e}");
    let phase = Brachistochrone::phase().state(2, StateVar::new().scale(0.0));
    assert!(matches!(Collocation::new(&Brachistochrone, &phase, GL), Err(Error::InvalidOcp { .. })));
    for w in [-1e-3, f64::NAN, f64::INFINITY] {
        let theta = Brachistochrone::phase().controls[0].clone().variation_penalty(w);
        let phase = Brachistochrone::phase().control(0, theta);
        let e = Collocation::new(&Brachistochrone, &phase, GL).err().unwrap();
        assert!(matches!(e, Error::InvalidOcp { ref what, .. } if what.contains("variation_penalty")), "{e}");
    }
    let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), GL).unwrap();
    let e = ocp.solve(&SqpOptions::default().tolerances(0.0, 1e-8)).unwrap_err();
    assert!(matches!(e, Error::InvalidOption { name: "tol", .. }), "{e}");
    for r in [0.0, -1.0, f64::NAN] {
        let e = ocp.solve(&SqpOptions::default().max_step(r)).unwrap_err();
        assert!(matches!(e, Error::InvalidOption { name: "max_step", .. }), "{e}");
    }
}

#[test]
fn iteration_and_time_limits_end_the_solve() {
    let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), GL).unwrap();
    let sol = ocp.solve(&SqpOptions::default().max_iter(2)).unwrap();
    assert_eq!((sol.status, sol.iterations), (Status::MaxIterations, 2));
    let sol = ocp.solve(&SqpOptions::default().max_time(1e-9)).unwrap();
    assert_eq!(sol.status, Status::TimeLimit);
    assert!(sol.iterations <= 1);
    // No time limit unless one is set: the iteration limit decides, so a
    // result does not depend on the machine's speed.
    assert_eq!(SqpOptions::default().max_time, None);
}

/// Rosenbrock's function: an NLP with neither constraints nor bounds.
struct Rosenbrock;
impl odeon::ocp::Nlp for Rosenbrock {
    fn n(&self) -> usize {
        2
    }
    fn m(&self) -> usize {
        0
    }
    fn x_bounds(&self, lo: &mut [f64], hi: &mut [f64]) {
        lo.fill(f64::NEG_INFINITY);
        hi.fill(f64::INFINITY);
    }
    fn g_bounds(&self, _: &mut [f64], _: &mut [f64]) {}
    fn initial_point(&self, x: &mut [f64]) {
        x.copy_from_slice(&[-1.2, 1.0]);
    }
    fn objective(&self, x: &[f64]) -> f64 {
        (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) {
        g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
        g[1] = 200.0 * (x[1] - x[0] * x[0]);
    }
    fn constraints(&self, _: &[f64], _: &mut [f64]) {}
    fn jacobian_structure(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }
    fn jacobian_values(&self, _: &[f64], _: &mut [f64]) {}
    fn hessian_structure(&self) -> Option<Vec<(usize, usize)>> {
        Some(vec![(0, 0), (1, 0), (1, 1)])
    }
    fn hessian_values(&self, x: &[f64], sigma: f64, _: &[f64], v: &mut [f64]) {
        v[0] = sigma * (2.0 - 400.0 * (x[1] - 3.0 * x[0] * x[0]));
        v[1] = sigma * (-400.0 * x[0]);
        v[2] = sigma * 200.0;
    }
}

#[test]
fn unconstrained_nlp_through_the_same_solver() {
    let r = odeon::ocp::solve_nlp(&Rosenbrock, &SqpOptions::default()).unwrap();
    assert_eq!(r.status, Status::Optimal, "{}", r.message);
    assert!((r.x[0] - 1.0).abs() < 1e-5 && (r.x[1] - 1.0).abs() < 1e-5, "{:?}", r.x);
    assert!(r.iterations < 60, "{} iterations", r.iterations);
}

/// A setter given an index past the problem's sizes is a typed error when
/// the phase is checked (and so when it is transcribed), never a silently
/// dropped bound.
#[test]
fn setter_indices_out_of_range_are_errors() {
    let base = || DoubleIntegrator::phase();
    let cases: [(Phase, &str); 6] = [
        (base().state(2, StateVar::new().fix_initial(0.0)), "phase.state(2"),
        (base().control(1, odeon::ocp::ControlVar::new()), "phase.control(1"),
        (base().param(0, odeon::ocp::ParamVar::fixed(1.0)), "phase.param(0"),
        (base().path_constraint(0, Bounds::free()), "phase.path_constraint(0"),
        (base().boundary_constraint(End::Initial, 0, Bounds::free()), "(initial)(0"),
        (base().boundary_constraint(End::Final, 3, Bounds::free()), "(final)(3"),
    ];
    for (phase, what) in cases {
        let e = phase.check(&DoubleIntegrator).unwrap_err();
        assert!(matches!(&e, Error::InvalidOcp { what: w, .. } if w.contains(what)), "{what}: {e}");
        assert!(matches!(Collocation::new(&DoubleIntegrator, &phase, GL), Err(Error::InvalidOcp { .. })), "{what}");
    }
    // In range, the same setters leave a valid phase.
    base().state(1, StateVar::new()).check(&DoubleIntegrator).unwrap();
}

/// Values a phase's fields might be given, sensible or not.
const WILD: &[f64] = &[0.0, -1.0, 1.0, 0.5, 2.0, 1e-300, 1e300, -1e300, f64::NAN, f64::INFINITY, -f64::INFINITY];

/// Change one field of the double integrator's phase (`field` picks it,
/// `v` is the new value; some fields grow or shrink a list instead).
fn mutate(p: &mut Phase, field: usize, v: f64) {
    let i = field / 32;
    let s = &mut p.states[i % 2];
    let mut spare = odeon::ocp::ControlVar::new();
    let c = p.controls.first_mut().unwrap_or(&mut spare);
    match field % 32 {
        0 => s.bounds.0 = v,
        1 => s.bounds.1 = v,
        2 => s.initial = Some(v),
        3 => s.final_value = Some(v),
        4 => s.guess.0 = v,
        5 => s.guess.1 = v,
        6 => s.scale = v,
        7 => s.defect_scale = Some(v),
        8 => c.bounds.0 = v,
        9 => c.bounds.1 = v,
        10 => c.guess.1 = v,
        11 => c.scale = v,
        12 => c.rate_continuity = v > 0.0,
        13 => p.time.initial = v,
        14 => p.time.duration = v,
        15 => p.time.initial_bounds = (v, p.time.initial_bounds.1),
        16 => p.time.duration_bounds = (p.time.duration_bounds.0, v),
        17 => p.time.duration_scale = v,
        18 => p.time.initial_scale = v,
        19 => p.objective_scale = v,
        20 => p.states.push(StateVar::new().fix_initial(v)),
        21 => {
            p.controls.pop();
        }
        22 => p.params.push(odeon::ocp::ParamVar::free(v)),
        23 => p.path.push(Bounds::between(v, 1.0)),
        24 => p.initial.push(Bounds::equal(v)),
        25 => p.final_.push(Bounds::lower(v)),
        26 => p.time.duration_bounds = (v, v),
        27 => s.bounds = (v, v),
        _ => {}
    }
}

proptest::proptest! {
    #![proptest_config(crate::common::proptest_config(10_000))]

    /// Any phase: transcribed, or a typed error naming what is wrong; and
    /// one in sixteen of those transcribed is solved (20 iterations at
    /// most) to a status whose figures are finite.
    #[test]
    fn any_phase_transcribes_or_names_what_is_wrong(
        changes in proptest::collection::vec((0usize..64, proptest::sample::select(WILD.to_vec())), 1..4),
        radau in proptest::prelude::any::<bool>(),
        solve in 0u8..16,
    ) {
        let mut phase = DoubleIntegrator::phase();
        for &(field, v) in &changes {
            mutate(&mut phase, field, v);
        }
        let t = if radau { Transcription::Radau { segments: 4, order: 3 } } else { Transcription::GaussLobatto { segments: 4, order: 3 } };
        match Collocation::new(&DoubleIntegrator, &phase, t) {
            Ok(c) if solve == 0 => {
                let opts = SqpOptions { max_iter: 20, ..SqpOptions::default() };
                if let Ok(sol) = c.solve(&opts) {
                    let figures = [sol.objective, sol.constraint_violation, sol.t0, sol.duration];
                    proptest::prop_assert!(
                        sol.status != Status::Optimal || figures.iter().all(|x| x.is_finite()),
                        "{:?} {figures:?}", sol.status
                    );
                }
            }
            Ok(_) => {}
            // Refused when checked (`InvalidOcp`, `DimensionMismatch`, …)
            // or when the guess is evaluated (`NonFiniteEvaluation`).
            Err(e) => proptest::prop_assert!(!e.to_string().is_empty()),
        }
    }
}

//! Problem-statement features checked by laws: design parameters, a free
//! initial time, path constraints against the equivalent bounds, control
//! rate continuity, non-uniform segments, higher orders.

use nalgebra::{Const, SVector};
use odeon::DualScalar;
use odeon::ocp::problems::Brachistochrone;
use odeon::ocp::{
    Bounds, Collocation, ControlVar, Guess, OcpSolution, OptimalControl, ParamVar, Phase, SqpOptions, StateVar, Status,
    TimeVar, Transcription,
};
use odeon::system::Model;

fn solve<P: OptimalControl>(p: &P, phase: &Phase, t: Transcription) -> OcpSolution {
    let sol = Collocation::new(p, phase, t).unwrap().solve(&SqpOptions::default()).unwrap();
    assert_eq!(sol.status, Status::Optimal, "{t:?}: {}", sol.message);
    sol
}

const RADAU: Transcription = Transcription::Radau { segments: 20, order: 3 };
const GL: Transcription = Transcription::GaussLobatto { segments: 20, order: 3 };

#[test]
fn gravity_as_a_design_parameter_goes_to_its_bound() {
    // t_f ∝ 1/√g for the same path, so the optimizer takes the largest g.
    let phase = Brachistochrone::phase().param(0, ParamVar::free(9.5).bounds(9.0, 10.0));
    for t in [GL, RADAU] {
        let sol = solve(&Brachistochrone, &phase, t);
        assert!((sol.params[0] - 10.0).abs() < 1e-8, "{t:?}: g = {}", sol.params[0]);
        let expect = Brachistochrone::T_OPT * (Brachistochrone::G / 10.0).sqrt();
        assert!((sol.duration - expect).abs() < 1e-6, "{t:?}: {} vs {expect}", sol.duration);
    }
}

#[test]
fn free_initial_time_shifts_the_phase() {
    // Minimum final time with t0 ∈ [1, 2]: t0 = 1 and the same duration.
    let mut phase = Brachistochrone::phase();
    phase.time = TimeVar::fixed(1.5, 2.0).free_initial(1.0, 2.0).free_duration(0.5, 10.0);
    for t in [GL, RADAU] {
        let sol = solve(&Brachistochrone, &phase, t);
        assert!((sol.t0 - 1.0).abs() < 1e-8, "{t:?}: t0 = {}", sol.t0);
        assert!((sol.objective - (1.0 + sol.duration)).abs() < 1e-10);
        assert!((sol.duration - Brachistochrone::T_OPT).abs() < 1e-6);
        assert!((sol.timeseries.time[0] - 1.0).abs() < 1e-8);
    }
}

/// The brachistochrone with one path constraint, g(t, x, u, p) = y (the
/// height).
struct Floored;
impl Model for Floored {
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
    }
}
impl OptimalControl for Floored {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, t: D, _x: &[D], _u: &[D], _p: &[D]) -> D {
        t
    }
    fn n_path(&self) -> usize {
        1
    }
    fn path<D: DualScalar>(&self, _t: D, x: &[D], _u: &[D], _p: &[D], out: &mut [D]) {
        out[0] = x[1];
    }
}

fn floored_phase(ymin: Option<f64>) -> Phase {
    let mut phase = Phase::new(&Floored);
    let b = Brachistochrone::phase();
    (phase.states, phase.controls, phase.params, phase.time, phase.objective_scale) =
        (b.states, b.controls, b.params, b.time, b.objective_scale);
    match ymin {
        Some(y) => phase.path_constraint(0, Bounds::lower(y).scale(10.0)),
        None => phase,
    }
}

#[test]
fn path_constraint_holds_at_every_node_and_equals_the_bound_on_radau() {
    // The free cycloid dips to y = 4.83 before rising to 5: a floor y ≥ 5
    // is active and makes the descent slower.
    let free = solve(&Brachistochrone, &Brachistochrone::phase(), RADAU);
    assert!(free.timeseries.states.iter().any(|x| x[1] < 4.9));
    let floored = solve(&Floored, &floored_phase(Some(5.0)), RADAU);
    let ts = &floored.timeseries;
    assert!(ts.states.iter().all(|x| x[1] >= 5.0 - 1e-7), "the path constraint holds at every node");
    assert!(ts.states.iter().filter(|x| (x[1] - 5.0).abs() < 1e-6).count() > 2, "and is active");
    assert!(floored.duration > free.duration + 1e-4, "a slower optimum: {}", floored.duration);
    // On Radau every node carries state values: a path constraint on y is
    // the bound y ≥ 5 at every node.
    let mut bounded = floored_phase(None);
    bounded.states[1] = StateVar::new().fix_initial(10.0).fix_final(5.0).bounds(5.0, f64::INFINITY);
    let other = solve(&Floored, &bounded, RADAU);
    assert!((other.duration - floored.duration).abs() < 1e-8, "{} vs {}", other.duration, floored.duration);
    // Gauss–Lobatto constrains the interpolated collocation nodes too.
    let gl = solve(&Floored, &floored_phase(Some(5.0)), GL);
    assert!(gl.timeseries.states.iter().all(|x| x[1] >= 5.0 - 1e-7));
    assert!((gl.duration - floored.duration).abs() < 1e-4);
    // An inactive path constraint changes nothing.
    let loose = solve(&Floored, &floored_phase(Some(0.0)), GL);
    assert!((loose.duration - solve(&Brachistochrone, &Brachistochrone::phase(), GL).duration).abs() < 1e-9);
}

#[test]
fn control_rate_continuity_makes_the_rate_continuous() {
    let phase = Brachistochrone::phase();
    let deg = std::f64::consts::PI / 180.0;
    let smooth = phase.clone().control(
        0,
        ControlVar::new().bounds(0.01 * deg, 179.9 * deg).guess(5.0 * deg, 100.5 * deg).rate_continuity(true),
    );
    for t in [Transcription::GaussLobatto { segments: 8, order: 3 }, Transcription::Radau { segments: 8, order: 3 }] {
        let sol = solve(&Brachistochrone, &smooth, t);
        let npn = t.nodes_per_segment();
        let r = &sol.timeseries.control_rates;
        for s in 0..7 {
            let (left, right) = (r[s * npn + npn - 1][0], r[(s + 1) * npn][0]);
            assert!((left - right).abs() < 1e-6 * left.abs().max(1.0), "{t:?}: segment {s}: {left} vs {right}");
        }
        assert!((sol.duration - 1.8016).abs() < 1.5e-4);
    }
}

#[test]
fn non_uniform_segments_and_higher_orders_reach_the_cycloid() {
    let ends: Vec<f64> = (0..=8).map(|i| (i as f64 / 8.0).powf(1.5)).collect();
    for t in [Transcription::GaussLobatto { segments: 8, order: 5 }, Transcription::Radau { segments: 8, order: 5 }] {
        let ocp = Collocation::with_grid(&Brachistochrone, &Brachistochrone::phase(), t, Some(&ends), &Guess::Linear)
            .unwrap();
        let sol = ocp.solve(&SqpOptions::default()).unwrap();
        assert_eq!(sol.status, Status::Optimal);
        assert!((sol.duration - Brachistochrone::T_OPT).abs() < 1e-7, "{t:?}: {}", sol.duration);
        // The nodes follow the segment ends.
        let npn = t.nodes_per_segment();
        assert!((sol.timeseries.time[npn - 1] - sol.duration * ends[1]).abs() < 1e-12);
    }
}

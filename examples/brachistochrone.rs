//! The brachistochrone: the curve of fastest descent from (0, 10) to
//! (10, 5), by Gauss–Lobatto collocation and odeon's SQP; checked against
//! the analytic cycloid (1.80160312 s) and by re-integrating the dynamics.
//!
//! Run: `cargo run --release --example brachistochrone`; writes
//! `out/brachistochrone*.svg` and `out/brachistochrone.json`.

use nalgebra::{Const, SVector};
use odeon::DualScalar;
use odeon::ocp::{
    Collocation, ControlVar, OptimalControl, ParamVar, Phase, PrintLog, SqpOptions, StateVar, TimeVar, Transcription,
};
use odeon::system::Model;
use std::error::Error;

/// States (x, y, v), control θ (angle from the vertical), parameter g.
struct Brachistochrone;

impl Model for Brachistochrone {
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
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 3>, u: &[D], p: &[D], dx: &mut SVector<D, 3>) {
        let (sin, cos) = u[0].sin_cos();
        dx[0] = x[2] * sin; // ẋ = v sin θ
        dx[1] = -x[2] * cos; // ẏ = −v cos θ
        dx[2] = p[0] * cos; // v̇ = g cos θ
    }
    fn state_names(&self) -> Vec<String> {
        vec!["x".into(), "y".into(), "v".into()]
    }
    fn input_names(&self) -> Vec<String> {
        vec!["theta".into()]
    }
}

impl OptimalControl for Brachistochrone {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    /// Minimum time: the Mayer term is the final time.
    fn mayer<D: DualScalar>(&self, t: D, _x: &[D], _u: &[D], _p: &[D]) -> D {
        t
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let deg = std::f64::consts::PI / 180.0;
    // As dymos's example: ends fixed, v(0) = 0, θ ∈ [0.01°, 179.9°], free
    // duration in [0.5, 10] with guess 2, objective scaled by 10.
    let phase = Phase::new(&Brachistochrone)
        .time(TimeVar::fixed(0.0, 2.0).free_duration(0.5, 10.0))
        .state(0, StateVar::new().fix_initial(0.0).fix_final(10.0))
        .state(1, StateVar::new().fix_initial(10.0).fix_final(5.0))
        .state(2, StateVar::new().fix_initial(0.0).guess(0.0, 9.9))
        .control(0, ControlVar::new().bounds(0.01 * deg, 179.9 * deg).guess(5.0 * deg, 100.5 * deg))
        .param(0, ParamVar::fixed(9.80665))
        .objective_scale(10.0);
    let transcription = Transcription::GaussLobatto { segments: 20, order: 3 };
    let start = std::time::Instant::now();
    let ocp = Collocation::new(&Brachistochrone, &phase, transcription)?;
    // The iteration log, printed as it is made (any closure can observe it).
    let sol = ocp.solve_observed(&SqpOptions::default(), &mut PrintLog)?;
    let elapsed = start.elapsed();
    println!(
        "{:?} after {} iterations in {:.1} ms: t_f = {:.8} s (cycloid 1.80160312 s)",
        sol.status,
        sol.iterations,
        elapsed.as_secs_f64() * 1e3,
        sol.duration
    );
    let check = sol.simulate(&Brachistochrone)?;
    let end = check.states.last().ok_or("no simulated states")?;
    println!(
        "simulated end point ({:.5}, {:.5}); largest state difference at the nodes {:.1e}",
        end[0],
        end[1],
        check.max_error.iter().fold(0.0f64, |a, b| a.max(*b))
    );
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/brachistochrone.json", &sol, true)?;
    #[cfg(feature = "plot")]
    {
        let ts = &sol.timeseries;
        let path = ts.states.iter().map(|x| (x[0], x[1])).collect();
        let simulated = check.states.iter().map(|x| (x[0], x[1])).collect();
        odeon::plot::lines(
            "out/brachistochrone_path.svg",
            "Brachistochrone: path",
            "x (m)",
            "y (m)",
            &[("collocation".into(), path), ("simulated".into(), simulated)],
        )?;
        let names = Brachistochrone.state_names();
        odeon::plot::ocp_states(
            &sol,
            Some(&check),
            &names,
            "Brachistochrone: states",
            "out/brachistochrone_states.svg",
        )?;
        let theta =
            vec![("theta (deg)".to_string(), ts.control(0).iter().map(|(t, u)| (*t, u.to_degrees())).collect())];
        odeon::plot::lines("out/brachistochrone_control.svg", "Brachistochrone: control", "t (s)", "deg", &theta)?;
        println!("wrote out/brachistochrone_{{path,states,control}}.svg and out/brachistochrone.json");
    }
    Ok(())
}

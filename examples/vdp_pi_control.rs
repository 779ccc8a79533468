//! A model composed from parts: a Van der Pol oscillator driven by a PI
//! controller through an actuator with a first-order lag (the canonical
//! example of dynode's modular systems). Each part is a model with named
//! inputs and outputs; the composite wires them by path and is itself a
//! model, so it is simulated and differentiated like any other. The
//! setpoint is a square wave given as a table.
//!
//! The wiring is declared with `odeon::composite!`, known when the program
//! is compiled: the composite runs as fast as the same equations written
//! flat. `Composite::builder()` wires the same parts when the program runs
//! (from names read at run time); a composite file does it without Rust.
//!
//! Run: `cargo run --release --example vdp_pi_control` (writes to `out/`).

use odeon::compose::blocks::{Lag, Pi};
use odeon::models::ForcedVanDerPol;
use odeon::sensitivity::{Wrt, solve_sensitivities};
use odeon::signal::{Driven, Interpolation, Table};
use odeon::system::Model;
use odeon::{Options, Rodas5P};
use std::error::Error;

odeon::composite! {
    /// The plant under PI control through a lagging actuator.
    struct ControlLoop {
        plant: ForcedVanDerPol,
        controller: Pi,
        actuator: Lag,
    }
    connect {
        plant.x -> controller.y,
        controller.u -> actuator.u,
        actuator.y -> plant.force,
    }
    external { controller.r }
}

fn main() -> Result<(), Box<dyn Error>> {
    let system = ControlLoop::new(ForcedVanDerPol, Pi, Lag)?;
    println!("states {:?}\nparameters {:?}", system.state_names(), system.param_names());

    // The setpoint steps between +2 and −2 every 10 time units.
    let times: Vec<f64> = (0..=6).map(|k| 10.0 * k as f64).collect();
    let levels = times.iter().enumerate().map(|(k, _)| vec![if k % 2 == 0 { 2.0 } else { -2.0 }]).collect();
    let setpoint = Table::new(times, levels, Interpolation::Hold)?;
    let closed = Driven::new(&system, setpoint)?;

    let p =
        system.params(&[("plant.mu", 1.0), ("controller.kp", 3.0), ("controller.ki", 1.0), ("actuator.tau", 0.2)])?;
    let x0 = system.states(&[("plant.x", 2.0), ("plant.v", 0.0), ("controller.z", 0.0), ("actuator.y", 0.0)])?;
    let t_eval: Vec<f64> = (0..=1200).map(|i| i as f64 * 0.05).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-10).t_eval(t_eval);
    // Exact derivatives of the whole trajectory with respect to the gains.
    let wrt = vec![Wrt::Param(1), Wrt::Param(2)];
    let sens = solve_sensitivities(&closed, Rodas5P, (0.0, 60.0), &x0, &p, &wrt, &opts)?;
    let sol = &sens.solution;
    let last = sol.len() - 1;
    println!(
        "x(60) = {:.6}; ∂x(60)/∂kp = {:.3e}, ∂x(60)/∂ki = {:.3e} ({} steps)",
        sol.state(last)[0],
        sens.jacobians[last][(0, 0)],
        sens.jacobians[last][(0, 1)],
        sol.stats.accepted
    );

    std::fs::create_dir_all("out")?;
    let names = system.state_names();
    sol.write_csv("out/vdp_pi_control.csv", &names.iter().map(String::as_str).collect::<Vec<_>>())?;
    #[cfg(feature = "plot")]
    {
        let series = |j: usize| sol.t.iter().copied().zip(sol.component(j)).collect::<Vec<_>>();
        let reference = sol.t.iter().map(|&t| (t, closed.inputs(t)[0])).collect();
        let lines = vec![
            ("setpoint".to_string(), reference),
            ("plant.x".to_string(), series(0)),
            ("actuator.y (force)".to_string(), series(3)),
        ];
        odeon::plot::lines("out/vdp_pi_control.svg", "Van der Pol under PI control", "t", "", &lines)?;
        println!("plot: out/vdp_pi_control.svg");
    }
    Ok(())
}

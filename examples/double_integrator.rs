//! Double integrator: maximize x(1) with |u| ≤ 1, v(0) = v(1) = 0 (optimum 0.25).
//!
//! The problem (dynamics, bounds, scaling as in dymos's test) is
//! `odeon::ocp::problems::DoubleIntegrator`; see `examples/brachistochrone.rs` for how
//! to write one. Run: `cargo run --release --example double_integrator`; writes
//! `out/double_integrator_{states,controls}.svg` and `out/double_integrator.json`.

use odeon::ocp::problems::DoubleIntegrator;
use odeon::ocp::{Collocation, SqpOptions, Transcription};
use odeon::system::Model;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let transcription = Transcription::GaussLobatto { segments: 30, order: 3 };
    let start = std::time::Instant::now();
    let ocp = Collocation::new(&DoubleIntegrator, &DoubleIntegrator::phase(), transcription)?;
    // The iteration log goes to stderr.
    let sol = ocp.solve(&SqpOptions::default().verbose(true))?;
    println!(
        "{:?} after {} iterations in {:.1} ms: x(1) = {:.6} (reference {})",
        sol.status,
        sol.iterations,
        start.elapsed().as_secs_f64() * 1e3,
        sol.timeseries.states.last().ok_or("empty")?[0],
        0.25
    );
    let check = sol.simulate(&DoubleIntegrator)?;
    println!("re-integrated: largest state difference at the nodes, per state: {:?}", check.max_error);
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/double_integrator.json", &sol, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::ocp_states(
            &sol,
            Some(&check),
            &DoubleIntegrator.state_names(),
            "DoubleIntegrator: states",
            "out/double_integrator_states.svg",
        )?;
        odeon::plot::ocp_controls(
            &sol,
            &DoubleIntegrator.input_names(),
            "DoubleIntegrator: controls",
            "out/double_integrator_controls.svg",
        )?;
        println!("wrote out/double_integrator_{{states,controls}}.svg and out/double_integrator.json");
    }
    Ok(())
}

//! Goddard rocket (dymos variant, T ≤ 200 lbf): maximum final altitude (dymos: 18745 ft).
//!
//! The problem (dynamics, bounds, scaling as in dymos's test) is
//! `odeon::ocp::problems::GoddardRocket`; see `examples/brachistochrone.rs` for how
//! to write one. Run: `cargo run --release --example goddard_rocket`; writes
//! `out/goddard_rocket_{states,controls}.svg` and `out/goddard_rocket.json`.

use odeon::ocp::problems::GoddardRocket;
use odeon::ocp::{Collocation, SqpOptions, Transcription};
use odeon::system::Model;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let transcription = Transcription::Radau { segments: 20, order: 3 };
    let start = std::time::Instant::now();
    let ocp = Collocation::new(&GoddardRocket, &GoddardRocket::phase(), transcription)?;
    // The iteration log goes to stderr.
    let sol = ocp.solve(&SqpOptions::default().verbose(true))?;
    println!(
        "{:?} after {} iterations in {:.1} ms: h_f = {:.6} (reference {})",
        sol.status,
        sol.iterations,
        start.elapsed().as_secs_f64() * 1e3,
        sol.timeseries.states.last().ok_or("empty")?[0],
        18745.0
    );
    let check = sol.simulate(&GoddardRocket)?;
    println!("re-integrated: largest state difference at the nodes, per state: {:?}", check.max_error);
    // On Gauss–Lobatto the thrust's singular arc needs a small penalty on
    // the control's variation (it vanishes as the grid is refined).
    let thrust = GoddardRocket::phase().controls[0].clone().variation_penalty(3e-4);
    let phase = GoddardRocket::phase().control(0, thrust);
    let gl = Collocation::new(&GoddardRocket, &phase, Transcription::GaussLobatto { segments: 30, order: 3 })?
        .solve(&SqpOptions::default())?;
    println!(
        "Gauss–Lobatto 30, variation penalty 3e-4: {:?} after {} iterations, h_f = {:.3}",
        gl.status,
        gl.iterations,
        gl.timeseries.states.last().ok_or("empty")?[0]
    );
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/goddard_rocket.json", &sol, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::ocp_states(
            &sol,
            Some(&check),
            &GoddardRocket.state_names(),
            "GoddardRocket: states",
            "out/goddard_rocket_states.svg",
        )?;
        odeon::plot::ocp_controls(
            &sol,
            &GoddardRocket.input_names(),
            "GoddardRocket: controls",
            "out/goddard_rocket_controls.svg",
        )?;
        println!("wrote out/goddard_rocket_{{states,controls}}.svg and out/goddard_rocket.json");
    }
    Ok(())
}

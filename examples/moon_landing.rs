//! Moon landing: a soft landing with the most final mass (dymos: 0.3953).
//!
//! The problem (dynamics, bounds, scaling as in dymos's test) is
//! `odeon::ocp::problems::MoonLanding`; see `examples/brachistochrone.rs` for how
//! to write one. Its touchdown event (terminal) stops the re-simulation of
//! a solution where the lander meets the ground: a check of the mesh. Run:
//! `cargo run --release --example moon_landing`; writes
//! `out/moon_landing_{states,controls,coarse_states}.svg` and
//! `out/moon_landing.json`.

use odeon::ocp::problems::MoonLanding;
use odeon::ocp::{Collocation, OcpSolution, SimulationCheck, SqpOptions, Transcription};
use odeon::system::Model;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let transcription = Transcription::Radau { segments: 10, order: 3 };
    let start = std::time::Instant::now();
    let ocp = Collocation::new(&MoonLanding, &MoonLanding::phase(), transcription)?;
    // The iteration log goes to stderr.
    let sol = ocp.solve(&SqpOptions::default().verbose(true))?;
    println!(
        "{:?} after {} iterations in {:.1} ms: m_f = {:.6} (reference {})",
        sol.status,
        sol.iterations,
        start.elapsed().as_secs_f64() * 1e3,
        sol.timeseries.states.last().ok_or("empty")?[2],
        0.3953
    );
    // Re-integrate under the optimal thrust; MoonLanding's touchdown event
    // (h falling through 0, terminal) ends the simulation where it happens.
    let check = sol.simulate(&MoonLanding)?;
    println!("re-integrated: largest state difference at the nodes, per state: {:?}", check.max_error);
    report_touchdown(&sol, &check)?;

    // A mesh too coarse to trust: its thrust, re-integrated, lands early
    // and hard — the event stops the simulation at the touchdown.
    let coarse = Transcription::GaussLobatto { segments: 4, order: 3 };
    let coarse_sol = Collocation::new(&MoonLanding, &MoonLanding::phase(), coarse)?.solve(&SqpOptions::default())?;
    let coarse_check = coarse_sol.simulate(&MoonLanding)?;
    print!("Gauss–Lobatto, 4 segments: ");
    report_touchdown(&coarse_sol, &coarse_check)?;
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/moon_landing.json", &sol, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::ocp_states(
            &sol,
            Some(&check),
            &MoonLanding.state_names(),
            "MoonLanding: states",
            "out/moon_landing_states.svg",
        )?;
        odeon::plot::ocp_controls(
            &sol,
            &MoonLanding.input_names(),
            "MoonLanding: controls",
            "out/moon_landing_controls.svg",
        )?;
        odeon::plot::ocp_states(
            &coarse_sol,
            Some(&coarse_check),
            &MoonLanding.state_names(),
            "MoonLanding, 4 segments: re-simulated to the touchdown",
            "out/moon_landing_coarse_states.svg",
        )?;
        println!("wrote out/moon_landing_{{states,controls,coarse_states}}.svg and out/moon_landing.json");
    }
    Ok(())
}

/// Where the re-simulated lander meets the ground, if before `t_f`.
fn report_touchdown(sol: &OcpSolution, check: &SimulationCheck) -> Result<(), Box<dyn Error>> {
    let t_f = sol.t0 + sol.duration;
    match check.events.first() {
        Some(touchdown) => println!(
            "touchdown at t = {:.6}, before t_f = {t_f:.6}, at v = {:.3e} (the collocation promised 0)",
            touchdown.t, touchdown.y_before[1]
        ),
        None => println!("no touchdown before t_f = {t_f:.6}: h(t_f) = {:.2e}", check.states.last().ok_or("empty")?[0]),
    }
    Ok(())
}

//! Moon landing: a soft landing with the most final mass (dymos: 0.3953).
//!
//! The problem (dynamics, bounds, scaling as in dymos's test) is
//! `odeon::ocp::problems::MoonLanding`; see `examples/brachistochrone.rs` for how
//! to write one. Run: `cargo run --release --example moon_landing`; writes
//! `out/moon_landing_{states,controls}.svg` and `out/moon_landing.json`.

use odeon::ocp::problems::MoonLanding;
use odeon::ocp::{Collocation, Dynamics, SqpOptions, Transcription};
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
    // Re-integrate under the optimal thrust; the touchdown event (h
    // falling through 0, terminal) ends the simulation where it happens.
    let check = sol.simulate(&MoonLanding)?;
    println!("re-integrated: largest state difference at the nodes, per state: {:?}", check.max_error);
    let t_f = sol.t0 + sol.duration;
    match check.events.first() {
        Some(touchdown) => println!(
            "touchdown at t = {:.6} (t_f = {t_f:.6}) with v = {:.2e}, m = {:.6}",
            touchdown.t, touchdown.y_before[1], touchdown.y_before[2]
        ),
        None => println!("no touchdown before t_f = {t_f:.6}: h(t_f) = {:.2e}", check.states.last().ok_or("empty")?[0]),
    }
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
            &MoonLanding.control_names(),
            "MoonLanding: controls",
            "out/moon_landing_controls.svg",
        )?;
        println!("wrote out/moon_landing_{{states,controls}}.svg and out/moon_landing.json");
    }
    Ok(())
}

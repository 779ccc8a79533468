//! Minimum time to climb (Bryson; dymos's `min_time_climb`): an F-4 from
//! 100 m at Mach 0.4 to 20 km at Mach 1 in level flight, as fast as
//! possible. Thrust and atmosphere come from tables through smooth
//! interpolants (`odeon::interp`), so the solver gets exact derivatives.
//!
//! The problem is `odeon::ocp::problems::MinTimeClimb`. Run:
//! `cargo run --release --example min_time_climb`; writes
//! `out/min_time_climb_{states,controls,profile}.svg` and
//! `out/min_time_climb.json`.

use odeon::ocp::problems::MinTimeClimb;
use odeon::ocp::{Collocation, SqpOptions, Transcription};
use odeon::system::Model;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let f4 = MinTimeClimb::new();
    let start = std::time::Instant::now();
    let ocp = Collocation::new(&f4, &MinTimeClimb::phase(), Transcription::GaussLobatto { segments: 30, order: 3 })?;
    // The first linearizations promise far too much: limit the early steps.
    let sol = ocp.solve(&SqpOptions::default().max_step(2.0))?;
    let end = sol.timeseries.states.last().ok_or("empty")?;
    println!(
        "{:?} after {} iterations in {:.0} ms: t_f = {:.3} s (Bryson {} s; dymos on this grid 324.703 s), fuel {:.0} kg",
        sol.status,
        sol.iterations,
        start.elapsed().as_secs_f64() * 1e3,
        sol.duration,
        MinTimeClimb::T_F,
        19_030.468 - end[4],
    );
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/min_time_climb.json", &sol, true)?;
    #[cfg(feature = "plot")]
    {
        let check = sol.simulate(&f4)?;
        let names = f4.state_names();
        odeon::plot::ocp_states(&sol, Some(&check), &names, "F-4 climb: states", "out/min_time_climb_states.svg")?;
        odeon::plot::ocp_controls(&sol, &f4.input_names(), "F-4 climb: controls", "out/min_time_climb_controls.svg")?;
        let ts = &sol.timeseries;
        let profile: Vec<(f64, f64)> = ts.states.iter().map(|x| (f4.mach(x[1], x[2]), x[1] / 1000.0)).collect();
        odeon::plot::lines(
            "out/min_time_climb_profile.svg",
            "F-4 climb: altitude against Mach number",
            "Mach",
            "h (km)",
            &[(String::new(), profile)],
        )?;
        println!("wrote out/min_time_climb_{{states,controls,profile}}.svg and out/min_time_climb.json");
    }
    Ok(())
}

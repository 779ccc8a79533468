//! dymos's two-phase cannonball: the radius that carries a cannonball of
//! 400 kJ muzzle energy farthest, through an ascent and a descent linked
//! at the apex (a multi-phase trajectory with linkage constraints and a
//! design parameter shared by both phases).
//!
//! Run: `cargo run --release --example cannonball` — writes
//! `out/cannonball.svg` and `out/cannonball.json`.

use odeon::ocp::problems::Cannonball;
use odeon::ocp::{PrintLog, SqpOptions, Transcription};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    // dymos's grids: Radau for the ascent, Gauss–Lobatto for the descent.
    let traj = Cannonball::trajectory(
        Transcription::Radau { segments: 5, order: 3 },
        Transcription::GaussLobatto { segments: 5, order: 3 },
    )?;
    let sol = traj.solve_observed(&SqpOptions::default(), &mut PrintLog)?;
    let (ascent, descent) = (sol.phase("ascent").ok_or("ascent")?, sol.phase("descent").ok_or("descent")?);
    let launch = &ascent.timeseries.states[0];
    let impact = descent.timeseries.states.last().ok_or("no nodes")?;
    println!("{:?} after {} iterations in {:.1} ms", sol.status, sol.iterations, sol.seconds * 1e3);
    println!(
        "radius {:.4} m, mass {:.3} kg, launch at {:.2}° with {:.1} m/s, apex {:.1} m at {:.2} s",
        ascent.params[0],
        Cannonball::mass(ascent.params[0]),
        launch[2].to_degrees(),
        launch[3],
        ascent.timeseries.states.last().ok_or("no nodes")?[1],
        ascent.t0 + ascent.duration
    );
    println!(
        "range {:.2} m at {:.2} s (dymos: {} m to 1 %)",
        impact[0],
        descent.t0 + descent.duration,
        Cannonball::RANGE
    );
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/cannonball.json", &sol, false)?;
    #[cfg(feature = "plot")]
    {
        let path = |s: &odeon::ocp::OcpSolution| s.timeseries.states.iter().map(|x| (x[0], x[1])).collect();
        odeon::plot::lines(
            "out/cannonball.svg",
            "Two-phase cannonball: the longest shot",
            "range (m)",
            "altitude (m)",
            &[("ascent".into(), path(ascent)), ("descent".into(), path(descent))],
        )?;
        println!("wrote out/cannonball.svg and out/cannonball.json");
    }
    Ok(())
}

//! Hyper-sensitive problem: ẋ = −x + u, J = ∫ ½(x² + u²) dt, t_f = 10 (J = 1.6730940),
//! with ph mesh refinement: its boundary layers at both ends need higher
//! orders or smaller segments, the middle does not.
//!
//! The problem (dynamics, bounds, scaling as in dymos's test) is
//! `odeon::ocp::problems::HyperSensitive`; see `examples/brachistochrone.rs` for how
//! to write one. Run: `cargo run --release --example hyper_sensitive`; writes
//! `out/hyper_sensitive_{states,controls,grids}.svg` and `out/hyper_sensitive.json`.

use odeon::ocp::problems::HyperSensitive;
use odeon::ocp::{Collocation, Refinement, SqpOptions, Transcription};
use odeon::system::Model;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let start = std::time::Instant::now();
    let phase = HyperSensitive::phase(10.0);
    let ocp = Collocation::new(&HyperSensitive, &phase, Transcription::Radau { segments: 10, order: 3 })?;
    let refined = ocp.solve_refined(&SqpOptions::default(), &Refinement::default().tol(1e-4))?;
    println!("refinement to 1e-4: {:?} in {:.1} ms", refined.status, start.elapsed().as_secs_f64() * 1e3);
    println!("  {:>4} {:>9} {:>6} {:>12} {:>6}  orders", "grid", "segments", "nodes", "max error", "iters");
    for (i, step) in refined.history.iter().enumerate() {
        let worst = step.errors.iter().fold(0.0f64, |a, e| a.max(*e));
        let (segments, nodes) = (step.errors.len(), step.nodes);
        println!("  {i:>4} {segments:>9} {nodes:>6} {worst:>12.2e} {:>6}  {:?}", step.iterations, step.orders);
    }
    let sol = &refined.solution;
    println!("J = {:.7} (reference {:.7})", sol.objective, HyperSensitive::optimum(10.0));
    // The smallest uniform grid of the same order that meets the tolerance.
    for segments in (10..=400).step_by(10) {
        let uniform = Collocation::new(&HyperSensitive, &phase, Transcription::Radau { segments, order: 3 })?
            .solve(&SqpOptions::default())?;
        let worst = uniform.segment_errors(&HyperSensitive)?.iter().fold(0.0f64, |a, e| a.max(*e));
        if worst <= 1e-4 {
            let nodes = uniform.timeseries.len() - (segments - 1);
            println!("a uniform grid meets 1e-4 from {segments} segments ({nodes} nodes) on");
            break;
        }
    }
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/hyper_sensitive.json", &refined, true)?;
    #[cfg(feature = "plot")]
    {
        let check = sol.simulate(&HyperSensitive)?;
        odeon::plot::ocp_states(
            sol,
            Some(&check),
            &HyperSensitive.state_names(),
            "HyperSensitive: states",
            "out/hyper_sensitive_states.svg",
        )?;
        odeon::plot::ocp_controls(
            sol,
            &HyperSensitive.input_names(),
            "HyperSensitive: controls",
            "out/hyper_sensitive_controls.svg",
        )?;
        odeon::plot::refinement(
            &refined,
            Some(1e-4),
            "HyperSensitive: mesh refinement",
            "out/hyper_sensitive_grids.svg",
        )?;
        println!("wrote out/hyper_sensitive_{{states,controls,grids}}.svg and out/hyper_sensitive.json");
    }
    Ok(())
}

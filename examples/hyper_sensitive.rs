//! Hyper-sensitive problem: ẋ = −x + u, J = ∫ ½(x² + u²) dt, t_f = 10 (J = 1.6730940).
//!
//! The problem (dynamics, bounds, scaling as in dymos's test) is
//! `odeon::ocp::problems::HyperSensitive`; see `examples/brachistochrone.rs` for how
//! to write one. Run: `cargo run --release --example hyper_sensitive`; writes
//! `out/hyper_sensitive_{states,controls}.svg` and `out/hyper_sensitive.json`.

use odeon::ocp::problems::HyperSensitive;
use odeon::ocp::{Collocation, SqpOptions, Transcription};
use odeon::system::Model;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let transcription = Transcription::Radau { segments: 30, order: 3 };
    let start = std::time::Instant::now();
    let ocp = Collocation::new(&HyperSensitive, &HyperSensitive::phase(10.0), transcription)?;
    // The iteration log goes to stderr.
    let sol = ocp.solve(&SqpOptions::default().verbose(true))?;
    println!(
        "{:?} after {} iterations in {:.1} ms: J = {:.6} (reference {})",
        sol.status,
        sol.iterations,
        start.elapsed().as_secs_f64() * 1e3,
        sol.objective,
        HyperSensitive::optimum(10.0)
    );
    let check = sol.simulate(&HyperSensitive)?;
    println!("re-integrated: largest state difference at the nodes, per state: {:?}", check.max_error);
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/hyper_sensitive.json", &sol, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::ocp_states(
            &sol,
            Some(&check),
            &HyperSensitive.state_names(),
            "HyperSensitive: states",
            "out/hyper_sensitive_states.svg",
        )?;
        odeon::plot::ocp_controls(
            &sol,
            &HyperSensitive.input_names(),
            "HyperSensitive: controls",
            "out/hyper_sensitive_controls.svg",
        )?;
        println!("wrote out/hyper_sensitive_{{states,controls}}.svg and out/hyper_sensitive.json");
    }
    Ok(())
}

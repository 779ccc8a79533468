//! Cart-pole swing-up: minimum ∫ f² dt in 2 s (dymos: 58.8839).
//!
//! The problem (dynamics, bounds, scaling as in dymos's test) is
//! `odeon::ocp::problems::CartPole`; see `examples/brachistochrone.rs` for how
//! to write one. Run: `cargo run --release --example cart_pole`; writes
//! `out/cart_pole_{states,controls}.svg` and `out/cart_pole.json`.

use odeon::ocp::problems::{CartPole, SwingUp};
use odeon::ocp::{Collocation, SqpOptions, Transcription};
use odeon::system::Model;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let transcription = Transcription::GaussLobatto { segments: 40, order: 3 };
    let start = std::time::Instant::now();
    let ocp = Collocation::new(&SwingUp(CartPole), &CartPole::phase(), transcription)?;
    // The iteration log goes to stderr.
    let sol = ocp.solve(&SqpOptions::default().verbose(true))?;
    println!(
        "{:?} after {} iterations in {:.1} ms: J = {:.6} (reference {})",
        sol.status,
        sol.iterations,
        start.elapsed().as_secs_f64() * 1e3,
        sol.objective,
        58.8839489745
    );
    let check = sol.simulate(&SwingUp(CartPole))?;
    println!("re-integrated: largest state difference at the nodes, per state: {:?}", check.max_error);
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/cart_pole.json", &sol, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::ocp_states(
            &sol,
            Some(&check),
            &CartPole.state_names(),
            "CartPole: states",
            "out/cart_pole_states.svg",
        )?;
        odeon::plot::ocp_controls(&sol, &CartPole.input_names(), "CartPole: controls", "out/cart_pole_controls.svg")?;
        println!("wrote out/cart_pole_{{states,controls}}.svg and out/cart_pole.json");
    }
    Ok(())
}

//! Cart-pole swing-up with the plant composed from parts: a `Cart` and a
//! `Pole` (`odeon::models`) wired into one model, whose open input —
//! the force on the cart — is then optimized: minimum ∫ f² dt in 2 s,
//! cart from 0 to 1, pole from hanging to upright (dymos: 58.8839).
//!
//! The same composite could be simulated, fitted or sampled; here the OCP
//! takes it as it is. The flat `ocp::problems::CartPole` is solved on the
//! same grid beside it.
//!
//! Run: `cargo run --release --example cart_pole_composite`; writes
//! `out/cart_pole_composite_{states,controls}.svg`.

use odeon::compose::Composite;
use odeon::models::{Cart, Pole};
use odeon::ocp::problems::{CartPole, SwingUp};
use odeon::ocp::{Collocation, ParamVar, Phase, SqpOptions, Transcription};
use odeon::system::Model;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    // The pole rides on the cart: it feels the cart's acceleration, and
    // loads the cart with its apparent mass and force.
    let cart_pole = Composite::builder()
        .add("cart", Cart)
        .add("pole", Pole)
        .connect("cart.a", "pole.a")
        .connect("pole.k", "cart.k")
        .connect("pole.b", "cart.b")
        .external("cart.force")
        .build_const::<4>()?;
    println!("states {:?}, control {:?}", cart_pole.state_names(), cart_pole.input_names());

    // dymos's bounds, guesses and scales (the built-in problem's phase),
    // with the parameters set by path.
    let p = cart_pole.params(&[("cart.m_cart", 1.0), ("pole.m_pole", 0.3), ("pole.l_pole", 0.5)])?;
    let mut phase: Phase = CartPole::phase();
    for (i, &v) in p.iter().enumerate() {
        phase = phase.param(i, ParamVar::fixed(v));
    }
    let problem = SwingUp(cart_pole);
    let transcription = Transcription::Radau { segments: 30, order: 3 };
    let start = std::time::Instant::now();
    let sol = Collocation::new(&problem, &phase, transcription)?.solve(&SqpOptions::default())?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let start = std::time::Instant::now();
    let flat = Collocation::new(&SwingUp(CartPole), &CartPole::phase(), transcription)?.solve(&SqpOptions::default())?;
    let flat_ms = start.elapsed().as_secs_f64() * 1e3;
    println!("composite: {:?} after {} iterations in {ms:.0} ms, J = {:.6}", sol.status, sol.iterations, sol.objective);
    println!(
        "flat CartPole: {} iterations in {flat_ms:.0} ms, J = {:.6}; dymos: 58.8839",
        flat.iterations, flat.objective
    );
    let check = sol.simulate(&problem)?;
    println!("re-integrated under the optimal force: largest state difference per state {:?}", check.max_error);
    #[cfg(feature = "plot")]
    {
        std::fs::create_dir_all("out")?;
        let names = problem.0.state_names();
        let title = "Cart-pole composite: states";
        odeon::plot::ocp_states(&sol, Some(&check), &names, title, "out/cart_pole_composite_states.svg")?;
        let names = problem.0.input_names();
        odeon::plot::ocp_controls(&sol, &names, "Cart-pole composite: force", "out/cart_pole_composite_controls.svg")?;
        println!("wrote out/cart_pole_composite_{{states,controls}}.svg");
    }
    Ok(())
}

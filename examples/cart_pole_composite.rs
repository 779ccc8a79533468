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

use odeon::DualScalar;
use odeon::compose::Composite;
use odeon::models::{Cart, Pole};
use odeon::ocp::problems::CartPole;
use odeon::ocp::{Bounds, End, OptimalControl, ParamVar, SqpOptions, Transcription};
use odeon::ocp::{Collocation, Phase};
use odeon::system::{Model, SliceModel};
use std::error::Error;

/// Swing up whatever cart-pole model `M` is: ∫ f² dt, and at the end the
/// cart at rest at x = 1, the pole upright and at rest, no force.
struct SwingUp<M>(M);

impl<M: SliceModel> OptimalControl for SwingUp<M> {
    type Model = M;
    fn model(&self) -> &M {
        &self.0
    }
    fn running_cost<D: DualScalar>(&self, _t: D, _x: &[D], u: &[D], _p: &[D]) -> D {
        u[0] * u[0]
    }
    fn has_running_cost(&self) -> bool {
        true
    }
    fn n_boundary(&self, end: End) -> usize {
        if end == End::Final { 5 } else { 0 }
    }
    fn boundary<D: DualScalar>(&self, _end: End, _t: D, x: &[D], u: &[D], _p: &[D], out: &mut [D]) {
        out[..4].copy_from_slice(&x[..4]);
        out[4] = u[0];
    }
}

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
    let pi = std::f64::consts::PI;
    let mut phase: Phase = CartPole::phase();
    for (i, &v) in p.iter().enumerate() {
        phase = phase.param(i, ParamVar::fixed(v));
    }
    for (i, v) in [1.0, 0.0, pi, 0.0, 0.0].into_iter().enumerate() {
        phase = phase.boundary_constraint(End::Final, i, Bounds::equal(v));
    }
    let problem = SwingUp(cart_pole);
    let transcription = Transcription::Radau { segments: 30, order: 3 };
    let start = std::time::Instant::now();
    let sol = Collocation::new(&problem, &phase, transcription)?.solve(&SqpOptions::default())?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let start = std::time::Instant::now();
    let flat = Collocation::new(&CartPole, &CartPole::phase(), transcription)?.solve(&SqpOptions::default())?;
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

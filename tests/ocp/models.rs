//! The dynamics of an optimal-control problem are any `Model`: a cart-pole
//! composed from a cart and a pole gives the optimum of the cart-pole
//! written flat (`ocp::problems::CartPole`, itself checked against dymos
//! in `optima.rs`), and its solution re-integrates.

use odeon::compose::Composite;
use odeon::models::{Cart, Pole};
use odeon::ocp::problems::{CartPole, SwingUp};
use odeon::ocp::{Collocation, SqpOptions, Status, Transcription};

#[test]
fn a_composite_cart_pole_has_the_flat_cart_poles_optimum() {
    let composite = Composite::builder()
        .add("cart", Cart)
        .add("pole", Pole)
        .connect("cart.a", "pole.a")
        .connect("pole.k", "cart.k")
        .connect("pole.b", "cart.b")
        .external("cart.force")
        .build_const::<4>()
        .unwrap();
    // The composite's parameters come in the flat problem's order.
    assert_eq!(
        composite.params(&[("pole.l_pole", 0.5), ("cart.m_cart", 1.0), ("pole.m_pole", 0.3)]).unwrap(),
        [1.0, 0.3, 0.5]
    );
    let t = Transcription::Radau { segments: 20, order: 3 };
    let problem = SwingUp(composite);
    let ours = Collocation::new(&problem, &CartPole::phase(), t).unwrap().solve(&SqpOptions::default()).unwrap();
    let flat =
        Collocation::new(&SwingUp(CartPole), &CartPole::phase(), t).unwrap().solve(&SqpOptions::default()).unwrap();
    assert_eq!((ours.status, flat.status), (Status::Optimal, Status::Optimal));
    assert!(
        (ours.objective - flat.objective).abs() < 1e-7 * flat.objective,
        "{} vs {}",
        ours.objective,
        flat.objective
    );
    for (a, b) in ours.timeseries.controls.iter().zip(&flat.timeseries.controls) {
        assert!((a[0] - b[0]).abs() < 1e-4, "force {} vs {}", a[0], b[0]);
    }
    // The optimal force, re-integrated through the composite, reaches the
    // upright pole (the collocation's error on this grid is of order 1e-2).
    let check = ours.simulate(&problem).unwrap();
    assert_eq!(check.states.len(), ours.timeseries.states.len());
    assert!(check.max_error.iter().all(|&e| e < 0.05), "{:?}", check.max_error);
}

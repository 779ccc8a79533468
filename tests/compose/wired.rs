//! Composites wired at compile time (`odeon::composite!`): the builder's
//! composite of the same wiring, evaluated as straight-line code.

use crate::compose::{Flat, P, solves_and_differentiates_as_flat};
use nalgebra::{Const, SVector};
use num_dual::DualSVec64;
use odeon::compose::blocks::{Lag, Pi, VanDerPolPi};
use odeon::compose::{Composite, Ports, port_names};
use odeon::events::{Cause, Event};
use odeon::models::{Cart, ForcedVanDerPol, Pole};
use odeon::system::Model;
use odeon::{DualScalar, Error, Options, Tsit5, solve};

#[test]
fn a_wired_composite_evaluates_the_flat_equations_bit_for_bit() {
    let wired = VanDerPolPi::new(ForcedVanDerPol, Pi, Lag).unwrap();
    let built = odeon::compose::blocks::van_der_pol_pi().build_const::<4>().unwrap();
    assert_eq!(wired.state_names(), built.state_names());
    assert_eq!(wired.param_names(), built.param_names());
    assert_eq!(wired.input_names(), ["controller.r"]);
    assert_eq!(wired.output_names(), ["plant.x", "controller.u", "actuator.y"]);
    type D3 = DualSVec64<3>;
    for k in 0..20 {
        let s = k as f64;
        let x = SVector::<f64, 4>::from_fn(|i, _| (1.3 * s + i as f64).sin() * 2.0);
        let (u, t) = ([(0.7 * s).cos()], 0.1 * s);
        let (mut want, mut got) = (SVector::zeros(), SVector::zeros());
        Flat.rhs(t, &x, &u, &P, &mut want);
        wired.rhs(t, &x, &u, &P, &mut got);
        assert_eq!(want, got);
        let (mut want, mut got) = ([0.0; 3], [0.0; 3]);
        built.outputs(t, &x, &u, &P, &mut want);
        wired.outputs(t, &x, &u, &P, &mut got);
        assert_eq!(want, got);
        // With derivatives in the states, inputs and parameters.
        let xd = SVector::from_fn(|i, _| D3::from_re(x[i]).derivative(i % 3));
        let ud = [D3::from_re(u[0]).derivative(2)];
        let pd = P.map(|v| D3::from_re(v).derivative(1));
        let (mut want, mut got) = (SVector::<D3, 4>::zeros(), SVector::<D3, 4>::zeros());
        Flat.rhs(D3::from_re(t), &xd, &ud, &pd, &mut want);
        wired.rhs(D3::from_re(t), &xd, &ud, &pd, &mut got);
        assert_eq!(want, got);
    }
}

#[test]
fn a_wired_composite_solves_and_differentiates_as_the_flat_model() {
    solves_and_differentiates_as_flat(&VanDerPolPi::new(ForcedVanDerPol, Pi, Lag).unwrap());
}

odeon::composite! {
    /// The loop with the actuator through a gain and the set point fixed.
    struct Gained {
        plant: ForcedVanDerPol,
        controller: Pi,
        actuator: Lag,
    }
    connect {
        plant.x -> controller.y,
        controller.u -> actuator.u,
        actuator.y -> plant.force * 0.5,
    }
    fix { controller.r = 0.3 }
}

odeon::composite! {
    /// The cart-pole: the cart's acceleration reads the pole's load
    /// directly, so the pole comes first.
    struct CartPole {
        pole: Pole,
        cart: Cart,
    }
    connect {
        cart.a -> pole.a,
        pole.k -> cart.k,
        pole.b -> cart.b,
    }
    external { cart.force }
}

odeon::composite! {
    /// The same, in the wrong order.
    struct PoleCart {
        cart: Cart,
        pole: Pole,
    }
    connect {
        cart.a -> pole.a,
        pole.k -> cart.k,
        pole.b -> cart.b,
    }
    external { cart.force }
}

/// Right-hand side and outputs of two models at a few points, bit for bit.
fn same_evaluations<A: Model<Dim = Const<N>>, B: Model<Dim = Const<N>>, const N: usize>(
    a: &A,
    b: &B,
    u: &[f64],
    p: &[f64],
) {
    assert_eq!(a.n_outputs(), b.n_outputs());
    for k in 0..10 {
        let s = k as f64;
        let x = SVector::<f64, N>::from_fn(|i, _| (1.7 * s + i as f64).sin() * 2.0);
        let (mut want, mut got) = (SVector::zeros(), SVector::zeros());
        a.rhs(0.1 * s, &x, u, p, &mut want);
        b.rhs(0.1 * s, &x, u, p, &mut got);
        assert_eq!(want, got, "{k}");
        let (mut want, mut got) = (vec![0.0; a.n_outputs()], vec![0.0; b.n_outputs()]);
        a.outputs(0.1 * s, &x, u, p, &mut want);
        b.outputs(0.1 * s, &x, u, p, &mut got);
        assert_eq!(want, got, "{k}");
    }
}

#[test]
fn gains_fixed_values_and_direct_feedthrough_evaluate_as_the_builders_composite() {
    let built = Composite::builder()
        .add("plant", ForcedVanDerPol)
        .add("controller", Pi)
        .add("actuator", Lag)
        .connect("plant.x", "controller.y")
        .connect("controller.u", "actuator.u")
        .connect_gain("actuator.y", "plant.force", 0.5)
        .fix("controller.r", 0.3)
        .build_const::<4>()
        .unwrap();
    let wired = Gained::new(ForcedVanDerPol, Pi, Lag).unwrap();
    assert_eq!(wired.n_inputs(), 0);
    same_evaluations(&built, &wired, &[], &P);
    let built = Composite::builder()
        .add("pole", Pole)
        .add("cart", Cart)
        .connect("cart.a", "pole.a")
        .connect("pole.k", "cart.k")
        .connect("pole.b", "cart.b")
        .external("cart.force")
        .build_const::<4>()
        .unwrap();
    let wired = CartPole::new(Pole, Cart).unwrap();
    assert_eq!(wired.param_names(), ["pole.m_pole", "pole.l_pole", "cart.m_cart"]);
    same_evaluations(&built, &wired, &[0.7], &[0.3, 0.5, 1.0]);
}

/// A ball that bounces (an event and a reset) and reports its height.
#[derive(Clone)]
struct Ball;

impl Ports for Ball {
    const INPUTS: &'static [&'static str] = &[];
    const OUTPUTS: &'static [&'static str] = &["h"];
}

impl Model for Ball {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        2
    }
    fn n_outputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, _u: &[D], p: &[D], dx: &mut SVector<D, 2>) {
        dx[0] = x[1];
        dx[1] = -p[0];
    }
    fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, _u: &[D], _p: &[D], y: &mut [D]) {
        y[0] = x[0];
    }
    fn feedthrough(&self, _output: usize, _input: usize) -> bool {
        false
    }
    fn events(&self) -> Vec<Event> {
        vec![Event::new("ground").down()]
    }
    fn event_values<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, _u: &[D], _p: &[D], g: &mut [D]) {
        g[0] = x[0];
    }
    fn reset<D: DualScalar>(&self, _: Cause, _t: D, x: &mut SVector<D, 2>, p: &[D], _: &mut [bool]) {
        x[1] = -p[1] * x[1];
    }
    fn output_names(&self) -> Vec<String> {
        port_names(Self::OUTPUTS)
    }
}

odeon::composite! {
    /// The ball's height through a lag.
    struct Filtered {
        ball: Ball,
        filter: Lag,
    }
    connect { ball.h -> filter.u }
}

#[test]
fn events_and_resets_of_a_subsystem_go_through_as_in_the_builders_composite() {
    let built = Composite::builder()
        .add("ball", Ball)
        .add("filter", Lag)
        .connect("ball.h", "filter.u")
        .build_const::<3>()
        .unwrap();
    let wired = Filtered::new(Ball, Lag).unwrap();
    let (x0, p, o) = ([1.0, 0.0, 0.0], [9.81, 0.8, 0.2], Options::default().rtol(1e-9).atol(1e-11));
    let want = solve(&built, Tsit5, (0.0, 3.0), &x0, &p, &o).unwrap();
    let got = solve(&wired, Tsit5, (0.0, 3.0), &x0, &p, &o).unwrap();
    assert!(want.events.len() >= 3, "the ball bounces: {:?}", want.events);
    assert_eq!(want.events, got.events);
    assert_eq!((want.t, want.y), (got.t, got.y));
}

/// A lag whose constant output name disagrees with its run-time one.
#[derive(Clone)]
struct Misnamed;

impl Ports for Misnamed {
    const INPUTS: &'static [&'static str] = &["u"];
    const OUTPUTS: &'static [&'static str] = &["out"];
}

impl Model for Misnamed {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn n_outputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, t: D, x: &SVector<D, 1>, u: &[D], p: &[D], dx: &mut SVector<D, 1>) {
        Lag.rhs(t, x, u, p, dx);
    }
    fn input_names(&self) -> Vec<String> {
        vec!["u".into()]
    }
    fn output_names(&self) -> Vec<String> {
        vec!["y".into()]
    }
}

odeon::composite! {
    struct WithMisnamed {
        first: Lag,
        second: Misnamed,
    }
    connect { first.y -> second.u }
    fix { first.u = 1.0 }
}

odeon::composite! {
    struct Open {
        first: Lag,
        second: Lag,
    }
    connect { first.y -> second.u }
}

#[test]
fn the_order_declared_the_ports_and_the_wiring_are_checked_when_built() {
    match PoleCart::new(Cart, Pole) {
        Err(Error::InvalidComposite { path, reason }) => {
            assert_eq!(path, "cart");
            assert!(reason.contains("order declared"), "{reason}");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    match WithMisnamed::new(Lag, Misnamed) {
        Err(Error::InvalidComposite { path, reason }) => {
            assert_eq!(path, "second");
            assert!(reason.contains("[\"out\"]") && reason.contains("[\"y\"]"), "{reason}");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    match Open::new(Lag, Lag) {
        Err(Error::FreeInputs { inputs }) => assert_eq!(inputs, "first.u"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn a_wired_composite_nests_in_a_builders_composite() {
    let wired = VanDerPolPi::new(ForcedVanDerPol, Pi, Lag).unwrap();
    let outer =
        Composite::builder().add("loop", wired.clone()).external("loop.controller.r").build_const::<4>().unwrap();
    assert_eq!(outer.param_names()[1], "loop.controller.kp");
    same_evaluations(&wired, &outer, &[0.4], &P);
}

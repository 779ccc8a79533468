//! Convergence order of every method, measured on fixed step sequences:
//! the slope of log(error) against log(h) must be within 0.2 of the order.

use crate::common::{Forced, slope};
use odeon::integrate::{self, ErrorEstimator, ExplicitRk, Tableau};
use odeon::models::HarmonicOscillator;
use odeon::{Method, Options};

/// Errors at t = T of fixed-step runs with `n` steps, for two problems:
/// the (autonomous) harmonic oscillator and the non-autonomous `Forced`.
fn errors<M: ExplicitRk>(steps: &[usize]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let t_end = 2.0;
    let mut hs = Vec::new();
    let mut e_osc = Vec::new();
    let mut e_forced = Vec::new();
    for &n in steps {
        let h = t_end / n as f64;
        let opts = Options::default().dt(h).save_final();
        let a =
            integrate::solve_with::<_, M, f64>(&HarmonicOscillator, (0.0, t_end), &[1.0, 0.0], &[1.0], &opts).unwrap();
        let y = a.last().unwrap().1;
        e_osc.push((y[0] - t_end.cos()).abs().max((y[1] + t_end.sin()).abs()));
        let b = integrate::solve_with::<_, M, f64>(&Forced, (0.0, t_end), &[1.0], &[0.0], &opts).unwrap();
        e_forced.push((b.last().unwrap().1[0] - Forced::exact(t_end)).abs());
        assert_eq!(a.stats.accepted, n);
        hs.push(h);
    }
    (hs, e_osc, e_forced)
}

/// Keep the points above the rounding floor.
fn usable(hs: &[f64], es: &[f64]) -> (Vec<f64>, Vec<f64>) {
    hs.iter().zip(es).filter(|(_, e)| **e > 3e-14).map(|(h, e)| (*h, *e)).unzip()
}

fn check_order<M: ExplicitRk>(order: f64, steps: &[usize]) {
    let (hs, e_osc, e_forced) = errors::<M>(steps);
    for (problem, es) in [("oscillator", e_osc), ("forced", e_forced)] {
        let (h, e) = usable(&hs, &es);
        assert!(h.len() >= 3, "{}: too few points above rounding: {es:?}", M::TABLEAU.name);
        let s = slope(&h, &e);
        assert!(
            (s - order).abs() <= 0.2,
            "{} on {problem}: slope {s:.3}, order {order}; errors {es:?}",
            M::TABLEAU.name
        );
    }
}

#[test]
fn fixed_step_methods_have_their_order() {
    check_order::<integrate::Euler>(1.0, &[100, 200, 400, 800, 1600]);
    check_order::<integrate::Heun>(2.0, &[50, 100, 200, 400, 800]);
    check_order::<integrate::Rk4>(4.0, &[10, 20, 40, 80, 160]);
}

#[test]
fn adaptive_methods_have_their_order_at_fixed_steps() {
    check_order::<integrate::Bs3>(3.0, &[20, 40, 80, 160, 320]);
    check_order::<integrate::Dopri5>(5.0, &[8, 16, 32, 64, 128]);
    check_order::<integrate::Tsit5>(5.0, &[16, 32, 64, 128]);
    check_order::<integrate::Dop853>(8.0, &[4, 5, 6, 8, 10, 12]);
}

/// A method's embedded solution `b̂ = b − e` as a tableau of its own.
macro_rules! embedded {
    ($name:ident, $base:expr, $e:expr, $order:expr) => {
        #[derive(Clone, Copy, Default)]
        struct $name;
        impl ExplicitRk for $name {
            const TABLEAU: Tableau = Tableau {
                name: stringify!($name),
                order: $order,
                b: &{
                    const N: usize = $base.b.len();
                    let mut b = [0.0; N];
                    let mut i = 0;
                    while i < N {
                        b[i] = $base.b[i] - $e[i];
                        i += 1;
                    }
                    b
                },
                // The last stage of a FSAL pair is evaluated at the high-order
                // solution; as a stand-alone method it is an ordinary stage.
                fsal: false,
                error: ErrorEstimator::None,
                ..$base
            };
        }
    };
}

const fn embedded_weights(t: &Tableau) -> &'static [f64] {
    match t.error {
        ErrorEstimator::Embedded { e, .. } => e,
        _ => panic!("not an embedded pair"),
    }
}

const fn dop853_weights(five: bool) -> &'static [f64] {
    match integrate::tableau::DOP853.error {
        ErrorEstimator::Dop853 { e5, e3 } => {
            if five {
                e5
            } else {
                e3
            }
        }
        _ => panic!("not DOP853"),
    }
}

embedded!(Bs3Low, integrate::tableau::BS3, embedded_weights(&integrate::tableau::BS3), 2);
embedded!(Dopri5Low, integrate::tableau::DOPRI5, embedded_weights(&integrate::tableau::DOPRI5), 4);
embedded!(Tsit5Low, integrate::tableau::TSIT5, embedded_weights(&integrate::tableau::TSIT5), 4);
embedded!(Dop853Low5, integrate::tableau::DOP853, dop853_weights(true), 5);
embedded!(Dop853Low3, integrate::tableau::DOP853, dop853_weights(false), 3);

#[test]
fn embedded_estimators_have_their_lower_order() {
    check_order::<Bs3Low>(2.0, &[40, 80, 160, 320, 640]);
    check_order::<Dopri5Low>(4.0, &[10, 20, 40, 80, 160]);
    check_order::<Tsit5Low>(4.0, &[10, 20, 40, 80, 160]);
    check_order::<Dop853Low5>(5.0, &[8, 16, 32, 64, 128]);
    check_order::<Dop853Low3>(3.0, &[16, 32, 64, 128, 256]);
}

#[test]
fn method_enum_reports_tableau_orders() {
    let orders: Vec<u32> = Method::ALL.iter().map(|m| m.order()).collect();
    assert_eq!(orders, vec![1, 2, 4, 3, 5, 5, 8, 2, 4, 5, 2, 5, 5, 5]);
}

//! The cost of composition: composites against the same equations
//! written flat by hand, solved in the same run.
//!
//! - `vdp_pi`: Van der Pol's oscillator under PI control through a
//!   lagging actuator (three subsystems), with Tsit5 and Rodas5P;
//! - `chain50`: fifty first-order lags in a chain (fifty subsystems),
//!   with Tsit5.
//!
//! Each composite is built with `build_const` (states on the stack, as the
//! flat model) and with `build` (run-time size); the chain also as a
//! run-time list of one type (`composite_many`, `Composite::builder_of`),
//! and each wired at compile time (`composite_wired`, `odeon::composite!`).
//! Goal (issue 17): at most 1.1× the flat model's time. Run: `cargo bench
//! --bench compose`; figures in `docs/benchmarks.md`.

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::{Const, SVector};
use odeon::compose::blocks::{Lag, Pi, VanDerPolPi, van_der_pol_pi};
use odeon::compose::{Builder, Composite, Parts};
use odeon::models::ForcedVanDerPol;
use odeon::signal::Driven;
use odeon::system::Model;
use odeon::{Algorithm, DualScalar, Options, Rodas5P, Tsit5, solve};
use std::hint::black_box;
use std::time::Duration;

/// The three subsystems written flat: states x, v, z, a; parameters mu,
/// kp, ki, tau; input r.
struct FlatLoop;

impl Model for FlatLoop {
    type Dim = Const<4>;
    fn dim(&self) -> Const<4> {
        Const
    }
    fn n_params(&self) -> usize {
        4
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 4>, u: &[D], p: &[D], dx: &mut SVector<D, 4>) {
        let command = p[1] * (u[0] - x[0]) + p[2] * x[2];
        dx[0] = x[1];
        dx[1] = p[0] * (-x[0] * x[0] + 1.0) * x[1] - x[0] + x[3];
        dx[2] = u[0] - x[0];
        dx[3] = (command - x[3]) / p[3];
    }
}

/// Fifty lags in a chain, written flat: y₀' = (1 − y₀)/τ₀, y_k' =
/// (y_{k−1} − y_k)/τ_k.
struct FlatChain;

impl Model for FlatChain {
    type Dim = Const<50>;
    fn dim(&self) -> Const<50> {
        Const
    }
    fn n_params(&self) -> usize {
        50
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 50>, _u: &[D], p: &[D], dx: &mut SVector<D, 50>) {
        dx[0] = (D::from(1.0) - x[0]) / p[0];
        for k in 1..50 {
            dx[k] = (x[k - 1] - x[k]) / p[k];
        }
    }
}

odeon::composite! {
    /// The fifty lags wired at compile time.
    struct WiredChain {
        l0: Lag, l1: Lag, l2: Lag, l3: Lag, l4: Lag, l5: Lag, l6: Lag, l7: Lag, l8: Lag, l9: Lag,
        l10: Lag, l11: Lag, l12: Lag, l13: Lag, l14: Lag, l15: Lag, l16: Lag, l17: Lag, l18: Lag, l19: Lag,
        l20: Lag, l21: Lag, l22: Lag, l23: Lag, l24: Lag, l25: Lag, l26: Lag, l27: Lag, l28: Lag, l29: Lag,
        l30: Lag, l31: Lag, l32: Lag, l33: Lag, l34: Lag, l35: Lag, l36: Lag, l37: Lag, l38: Lag, l39: Lag,
        l40: Lag, l41: Lag, l42: Lag, l43: Lag, l44: Lag, l45: Lag, l46: Lag, l47: Lag, l48: Lag, l49: Lag,
    }
    connect {
        l0.y -> l1.u, l1.y -> l2.u, l2.y -> l3.u, l3.y -> l4.u, l4.y -> l5.u, l5.y -> l6.u, l6.y -> l7.u, l7.y -> l8.u, l8.y -> l9.u,
        l9.y -> l10.u, l10.y -> l11.u, l11.y -> l12.u, l12.y -> l13.u, l13.y -> l14.u, l14.y -> l15.u, l15.y -> l16.u, l16.y -> l17.u, l17.y -> l18.u, l18.y -> l19.u,
        l19.y -> l20.u, l20.y -> l21.u, l21.y -> l22.u, l22.y -> l23.u, l23.y -> l24.u, l24.y -> l25.u, l25.y -> l26.u, l26.y -> l27.u, l27.y -> l28.u, l28.y -> l29.u,
        l29.y -> l30.u, l30.y -> l31.u, l31.y -> l32.u, l32.y -> l33.u, l33.y -> l34.u, l34.y -> l35.u, l35.y -> l36.u, l36.y -> l37.u, l37.y -> l38.u, l38.y -> l39.u,
        l39.y -> l40.u, l40.y -> l41.u, l41.y -> l42.u, l42.y -> l43.u, l43.y -> l44.u, l44.y -> l45.u, l45.y -> l46.u, l46.y -> l47.u, l47.y -> l48.u, l48.y -> l49.u,
    }
    fix { l0.u = 1.0 }
}

/// Ten more lags, `lag{base}` … `lag{base + 9}`, each fed by the one before.
fn ten<P: Parts>(b: Builder<P>, base: usize) -> Builder<impl Parts> {
    let b = b.add(&format!("lag{}", base), Lag).add(&format!("lag{}", base + 1), Lag);
    let b = b.add(&format!("lag{}", base + 2), Lag).add(&format!("lag{}", base + 3), Lag);
    let b = b.add(&format!("lag{}", base + 4), Lag).add(&format!("lag{}", base + 5), Lag);
    let b = b.add(&format!("lag{}", base + 6), Lag).add(&format!("lag{}", base + 7), Lag);
    let b = b.add(&format!("lag{}", base + 8), Lag).add(&format!("lag{}", base + 9), Lag);
    (base..base + 10).fold(b, |b, k| match k {
        0 => b.fix("lag0.u", 1.0),
        k => b.connect(&format!("lag{}.y", k - 1), &format!("lag{k}.u")),
    })
}

fn chain() -> Builder<impl Parts> {
    ten(ten(ten(ten(ten(Composite::builder(), 0), 10), 20), 30), 40)
}

/// The same chain as a run-time list of one type (`Composite::builder_of`,
/// as a composite file builds it).
fn chain_of() -> Builder<impl Parts> {
    let b = Composite::builder_of((0..50).map(|k| (format!("lag{k}"), Lag))).fix("lag0.u", 1.0);
    (1..50).fold(b, |b, k| b.connect(&format!("lag{}.y", k - 1), &format!("lag{k}.u")))
}

fn bench<M: Model>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    model: &M,
    alg: impl Algorithm + std::fmt::Display,
    (t_end, y0, p): (f64, &[f64], &[f64]),
) where
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<M::Dim>,
{
    let opts = Options::default().rtol(1e-8).atol(1e-10).save_final();
    g.bench_function(format!("{name} {alg}"), |b| {
        b.iter(|| solve(black_box(model), alg, (0.0, t_end), y0, p, &opts).unwrap())
    });
}

fn composition(c: &mut Criterion) {
    let mut g = c.benchmark_group("compose");
    g.measurement_time(Duration::from_secs(3)).sample_size(30);
    let (x0, p) = ([2.0, 0.0, 0.0, 0.0], [2.0, 8.0, 4.0, 0.2]);
    let fixed = van_der_pol_pi().build_const::<4>().unwrap();
    let dynamic = van_der_pol_pi().build().unwrap();
    let flat = Driven::new(&FlatLoop, vec![1.0]).unwrap();
    let wired = VanDerPolPi::new(ForcedVanDerPol, Pi, Lag).unwrap();
    let (fixed, dynamic) = (Driven::new(&fixed, vec![1.0]).unwrap(), Driven::new(&dynamic, vec![1.0]).unwrap());
    let wired = Driven::new(&wired, vec![1.0]).unwrap();
    let vdp = (60.0, &x0[..], &p[..]);
    bench(&mut g, "vdp_pi flat", &flat, Tsit5, vdp);
    bench(&mut g, "vdp_pi composite_const", &fixed, Tsit5, vdp);
    bench(&mut g, "vdp_pi composite_dyn", &dynamic, Tsit5, vdp);
    bench(&mut g, "vdp_pi composite_wired", &wired, Tsit5, vdp);
    bench(&mut g, "vdp_pi flat", &flat, Rodas5P, vdp);
    bench(&mut g, "vdp_pi composite_const", &fixed, Rodas5P, vdp);
    bench(&mut g, "vdp_pi composite_dyn", &dynamic, Rodas5P, vdp);
    bench(&mut g, "vdp_pi composite_wired", &wired, Rodas5P, vdp);
    let (y0, taus) = ([0.0; 50], std::array::from_fn::<f64, 50, _>(|k| 0.5 + 0.01 * k as f64));
    bench(&mut g, "chain50 flat", &FlatChain, Tsit5, (100.0, &y0, &taus));
    bench(&mut g, "chain50 composite_const", &chain().build_const::<50>().unwrap(), Tsit5, (100.0, &y0, &taus));
    bench(&mut g, "chain50 composite_dyn", &chain().build().unwrap(), Tsit5, (100.0, &y0, &taus));
    bench(&mut g, "chain50 composite_many", &chain_of().build_const::<50>().unwrap(), Tsit5, (100.0, &y0, &taus));
    let wired_chain = WiredChain::new(
        Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag,
        Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag, Lag,
        Lag, Lag, Lag, Lag, Lag, Lag,
    )
    .unwrap();
    bench(&mut g, "chain50 composite_wired", &wired_chain, Tsit5, (100.0, &y0, &taus));
    g.finish();
}

criterion_group!(benches, composition);
criterion_main!(benches);

//! W1 and W2 as a user's program sees them: odeon's generic stepper over a
//! model defined here, compiled in this crate with the default release
//! profile. Ratios come from one run, each pair interleaved batch by batch.
//!
//! Run: `cd benches/downstream && cargo run --release`.

#[path = "../../baseline/mod.rs"]
#[allow(dead_code)]
mod baseline;

use nalgebra::{Const, SVector};
use odeon::Dopri5;
use odeon::sensitivity::{Wrt, solve_sensitivities};
use odeon::{DualScalar, Method, OdeSystem, Options, solve};
use std::hint::black_box;
use std::time::Instant;

/// Van der Pol, as a user writes it.
struct VanDerPol;

impl OdeSystem for VanDerPol {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
        dy[0] = y[1];
        dy[1] = p[0] * (-y[0] * y[0] + 1.0) * y[1] - y[0];
    }
}

/// Lotka–Volterra, as a user writes it.
struct LotkaVolterra;

impl OdeSystem for LotkaVolterra {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        4
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
        let (a, b, c, d) = (p[0], p[1], p[2], p[3]);
        dy[0] = a * y[0] - b * y[0] * y[1];
        dy[1] = -c * y[1] + d * y[0] * y[1];
    }
}

/// Median seconds per call of `a` and of `b`, measured in alternating
/// batches so that both see the same machine load.
fn paired(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let per_batch = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed().as_secs_f64() < 0.02 {
            f();
            n += 1;
        }
        start.elapsed().as_secs_f64() / f64::from(n)
    };
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..41 {
        ta.push(per_batch(&mut a));
        tb.push(per_batch(&mut b));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut ta), median(&mut tb))
}

fn main() {
    println!("| workload | baseline | odeon | ratio |");
    println!("|---|---|---|---|");
    let opts = Options::default().rtol(1e-8).atol(1e-8).save_final();
    let (hand, ode) = paired(
        || {
            black_box(baseline::dopri5(baseline::van_der_pol(1.0), 0.0, 20.0, black_box([2.0, 0.0]), 1e-8));
        },
        || {
            black_box(solve(&VanDerPol, Dopri5, (0.0, 20.0), black_box(&[2.0, 0.0]), &[1.0], &opts).unwrap());
        },
    );
    println!(
        "| W1 Van der Pol, Dopri5 1e-8 vs hand-written | {:.1} µs | {:.1} µs | **{:.2}×** |",
        hand * 1e6,
        ode * 1e6,
        ode / hand
    );

    let t_eval: Vec<f64> = (0..=100).map(|i| f64::from(i) * 0.1).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(t_eval);
    let wrt = Wrt::all(&LotkaVolterra);
    let (y0, p) = ([1.0, 1.0], [1.5, 1.0, 3.0, 1.0]);
    for m in [Method::Dopri5, Method::Tsit5] {
        let (f, s) = paired(
            || {
                black_box(solve(&LotkaVolterra, m, (0.0, 10.0), black_box(&y0), &p, &opts).unwrap());
            },
            || {
                black_box(solve_sensitivities(&LotkaVolterra, m, (0.0, 10.0), black_box(&y0), &p, &wrt, &opts).unwrap());
            },
        );
        println!(
            "| W2 Lotka–Volterra {m}, 6 sensitivities vs f64 | {:.1} µs | {:.1} µs | **{:.2}×** |",
            f * 1e6,
            s * 1e6,
            s / f
        );
    }
}

//! W1, W2 and W5 as a user's program sees them: odeon's generic stepper
//! over a model defined here, and the collocation and SQP over odeon's
//! brachistochrone, compiled in this crate with the default release
//! profile. Ratios come from one run, each pair interleaved batch by batch;
//! W5's peer (CasADi + IPOPT, `shared/peers/w5_brachistochrone.py`'s
//! `run_casadi`) runs outside, beside it.
//!
//! Run: `cd benches/downstream && cargo run --release`.

#[path = "../../baseline/mod.rs"]
#[allow(dead_code)]
mod baseline;

use nalgebra::{Const, SVector};
use odeon::Dopri5;
use odeon::ocp::problems::Brachistochrone;
use odeon::ocp::{Collocation, SqpOptions, Transcription};
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

/// Seconds per call of `f` over a batch of about 20 ms.
fn per_batch(f: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed().as_secs_f64() < 0.02 {
        f();
        n += 1;
    }
    start.elapsed().as_secs_f64() / f64::from(n)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds per call of `a` and of `b`, measured in alternating
/// batches so that both see the same machine load.
fn paired(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..41 {
        ta.push(per_batch(&mut a));
        tb.push(per_batch(&mut b));
    }
    (median(ta), median(tb))
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
                black_box(
                    solve_sensitivities(&LotkaVolterra, m, (0.0, 10.0), black_box(&y0), &p, &wrt, &opts).unwrap(),
                );
            },
        );
        println!(
            "| W2 Lotka–Volterra {m}, 6 sensitivities vs f64 | {:.1} µs | {:.1} µs | **{:.2}×** |",
            f * 1e6,
            s * 1e6,
            s / f
        );
    }

    // W5: the brachistochrone end to end (transcription and SQP solve).
    for segments in [10, 20, 40] {
        let t = Transcription::GaussLobatto { segments, order: 3 };
        let phase = Brachistochrone::phase();
        let mut run = || {
            let sol = Collocation::new(&Brachistochrone, black_box(&phase), t).unwrap().solve(&SqpOptions::default());
            black_box(sol.unwrap().duration);
        };
        let time = median((0..21).map(|_| per_batch(&mut run)).collect());
        println!("| W5 brachistochrone, Gauss–Lobatto {segments} × 3, end to end | — | {:.2} ms | — |", time * 1e3);
    }
}

//! Does integrating several ensemble samples per SIMD vector pay? (issue 5)
//!
//! The W4 workload (10,000 Van der Pol runs, mu ~ U(0.5, 2), x0 ~ U(1, 3),
//! v0 = 0, t in [0, 20], rtol = atol = 1e-6), one thread, with one
//! hand-written Dopri5 written for `L` samples at once: structure of
//! arrays `[f64; L]`, every lane with its own time, step size, PI
//! controller state and accept/reject decision, and a lane that finishes
//! refilled at once with the next sample (so lanes with few steps do not
//! idle while others finish). Each lane does exactly the arithmetic of the
//! scalar loop (`baseline::dopri5`), so the final states are bit-identical
//! (checked before timing); only the speed differs. `L = 1` is the same
//! code without vectors, the scalar loop the baseline.
//!
//! The second group runs the library's `solve_lanes` (issue 19) against
//! one-by-one `solve` calls on the same samples, after checking that the
//! final states agree bit for bit.
//!
//! The third group does the same with dual numbers (sensitivities in mu):
//! `solve_dual` one by one against `solve_lanes` over `Dual64`. The fourth
//! with what a multistart fit integrates: four sensitivity directions per
//! solve (`InlineDual64<4>`), saved at data times.
//!
//! Run: `cargo bench --bench ensemble_lanes` (the default target has SSE2:
//! two f64 per vector), and with
//! `RUSTFLAGS="-C target-cpu=native" cargo bench --bench ensemble_lanes`
//! (AVX2: four). Figures in `docs/benchmarks.md`, section 5.

#[allow(dead_code)] // the shared baselines serve several benches
mod baseline;

use baseline::{A21, A31, A32, A41, A42, A43, A51, A52, A53, A54, A61, A62, A63, A64, A65, A71, A73, A74, A75, A76};
use baseline::{E1, E3, E4, E5, E6, E7};
use criterion::{Criterion, criterion_group, criterion_main};
use num_dual::Dual64;
use odeon::ensemble::{Dist, Independent, SampleRng, Sampler};
use odeon::integrate::{Dopri5, Tsit5, solve_dual, solve_lanes};
use odeon::models::LotkaVolterra as LV;
use odeon::scalar::InlineDual64;
use odeon::{Options, models::VanDerPol, solve};
use std::time::Duration;

const N: u64 = 10_000;
const T1: f64 = 20.0;
const TOL: f64 = 1e-6;

/// Two-component state of `L` lanes.
type S<const L: usize> = [[f64; L]; 2];

/// Van der Pol for every lane.
#[inline(always)]
fn vdp<const L: usize>(mu: &[f64; L], y: &S<L>) -> S<L> {
    let mut d = [[0.0; L]; 2];
    for l in 0..L {
        d[0][l] = y[1][l];
        d[1][l] = mu[l] * (1.0 - y[0][l] * y[0][l]) * y[1][l] - y[0][l];
    }
    d
}

/// `y + h (Σ w_j k_j)` for every lane, summed in the scalar loop's order.
#[inline(always)]
fn comb<const L: usize>(y: &S<L>, h: &[f64; L], terms: &[(f64, &S<L>)]) -> S<L> {
    let mut out = [[0.0; L]; 2];
    for i in 0..2 {
        for l in 0..L {
            let mut acc = 0.0;
            for (w, k) in terms {
                acc += w * k[i][l];
            }
            out[i][l] = y[i][l] + h[l] * acc;
        }
    }
    out
}

/// Final states of all samples `(mu, x0)`, `L` at a time.
fn dopri5_lanes<const L: usize>(samples: &[(f64, f64)]) -> Vec<[f64; 2]> {
    let mut out = vec![[0.0; 2]; samples.len()];
    let mut next = 0;
    let (mut t, mut h, mut mu) = ([0.0; L], [0.0; L], [0.0; L]);
    let (mut y, mut k1): (S<L>, S<L>) = ([[0.0; L]; 2], [[0.0; L]; 2]);
    let mut ln_prev = [0.0; L];
    let mut rejected = [false; L];
    // Sample index of each lane, `usize::MAX` once the queue is empty.
    let mut id = [usize::MAX; L];
    let mut refill = [true; L];
    let alpha = 0.2 - 0.75 * 0.04;
    loop {
        for l in 0..L {
            if !refill[l] {
                continue;
            }
            refill[l] = false;
            if next == samples.len() {
                // Idle: a zero step changes nothing.
                (id[l], h[l], t[l]) = (usize::MAX, 0.0, 0.0);
                continue;
            }
            let (m, x0) = samples[next];
            let f = baseline::van_der_pol(m);
            let k = f(0.0, &[x0, 0.0]);
            (id[l], mu[l], t[l], y[0][l], y[1][l], k1[0][l], k1[1][l]) = (next, m, 0.0, x0, 0.0, k[0], k[1]);
            h[l] = baseline::initial_step(&f, 0.0, T1, &[x0, 0.0], &k, TOL);
            (ln_prev[l], rejected[l]) = (1e-4f64.ln(), false);
            next += 1;
        }
        if id.iter().all(|&i| i == usize::MAX) {
            return out;
        }
        let mut last = [false; L];
        for l in 0..L {
            last[l] = t[l] + 1.01 * h[l] >= T1;
            if last[l] {
                h[l] = T1 - t[l];
            }
        }
        let k2 = vdp(&mu, &comb(&y, &h, &[(A21, &k1)]));
        let k3 = vdp(&mu, &comb(&y, &h, &[(A31, &k1), (A32, &k2)]));
        let k4 = vdp(&mu, &comb(&y, &h, &[(A41, &k1), (A42, &k2), (A43, &k3)]));
        let k5 = vdp(&mu, &comb(&y, &h, &[(A51, &k1), (A52, &k2), (A53, &k3), (A54, &k4)]));
        let k6 = vdp(&mu, &comb(&y, &h, &[(A61, &k1), (A62, &k2), (A63, &k3), (A64, &k4), (A65, &k5)]));
        let ynew = comb(&y, &h, &[(A71, &k1), (A73, &k3), (A74, &k4), (A75, &k5), (A76, &k6)]);
        let k7 = vdp(&mu, &ynew);
        let mut err = [0.0; L];
        for l in 0..L {
            let mut s = 0.0;
            for i in 0..2 {
                let e = h[l]
                    * (E1 * k1[i][l] + E3 * k3[i][l] + E4 * k4[i][l] + E5 * k5[i][l] + E6 * k6[i][l] + E7 * k7[i][l]);
                let sc = TOL + TOL * y[i][l].abs().max(ynew[i][l].abs());
                s += (e / sc) * (e / sc);
            }
            err[l] = (s / 2.0).sqrt();
        }
        // Per-lane step control: the scalar loop's PI controller.
        for l in 0..L {
            if id[l] == usize::MAX {
                continue;
            }
            if err[l] <= 1.0 {
                let ln_err = err[l].ln();
                let mut fac = (0.9 * (0.04 * ln_prev[l] - alpha * ln_err.max(-23.0)).exp()).clamp(0.2, 10.0);
                if rejected[l] {
                    fac = fac.min(1.0);
                }
                ln_prev[l] = ln_err.max(1e-4f64.ln());
                t[l] = if last[l] { T1 } else { t[l] + h[l] };
                for i in 0..2 {
                    y[i][l] = ynew[i][l];
                    k1[i][l] = k7[i][l];
                }
                h[l] = (h[l] * fac).min(T1);
                rejected[l] = false;
                if t[l] >= T1 {
                    out[id[l]] = [y[0][l], y[1][l]];
                    refill[l] = true;
                }
            } else {
                h[l] *= (0.9 * err[l].powf(-alpha)).clamp(0.2, 1.0);
                rejected[l] = true;
            }
        }
    }
}

fn lanes(c: &mut Criterion) {
    let sampler = Independent::new(
        vec![Dist::Uniform { low: 1.0, high: 3.0 }, Dist::Fixed(0.0)],
        vec![Dist::Uniform { low: 0.5, high: 2.0 }],
    )
    .unwrap();
    let samples: Vec<(f64, f64)> = (0..N)
        .map(|i| {
            let d = sampler.sample(i, &mut SampleRng::for_sample(42, i));
            (d.p[0], d.y0[0])
        })
        .collect();
    let scalar = |s: &[(f64, f64)]| -> Vec<[f64; 2]> {
        s.iter().map(|&(mu, x0)| baseline::dopri5(baseline::van_der_pol(mu), 0.0, T1, [x0, 0.0], TOL).0).collect()
    };
    // Same arithmetic per lane: the same bits as the scalar loop.
    let reference = scalar(&samples);
    assert_eq!(dopri5_lanes::<1>(&samples), reference);
    assert_eq!(dopri5_lanes::<4>(&samples), reference);
    assert_eq!(dopri5_lanes::<8>(&samples), reference);

    let mut g = c.benchmark_group("w4_lanes_1_thread");
    g.sample_size(10).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));
    g.bench_function("scalar Dopri5 loop (baseline)", |b| b.iter(|| scalar(&samples)));
    g.bench_function("lanes = 1", |b| b.iter(|| dopri5_lanes::<1>(&samples)));
    g.bench_function("lanes = 2", |b| b.iter(|| dopri5_lanes::<2>(&samples)));
    g.bench_function("lanes = 4", |b| b.iter(|| dopri5_lanes::<4>(&samples)));
    g.bench_function("lanes = 8", |b| b.iter(|| dopri5_lanes::<8>(&samples)));
    g.finish();

    // The library: one-by-one solves against `solve_lanes`.
    let inputs: Vec<([f64; 2], [f64; 1])> = samples.iter().map(|&(mu, x0)| ([x0, 0.0], [mu])).collect();
    let opts = Options::default().rtol(TOL).atol(TOL).save_final();
    let alone = |inputs: &[([f64; 2], [f64; 1])]| -> Vec<f64> {
        inputs
            .iter()
            .map(|(y0, p)| solve(&VanDerPol, Dopri5, (0.0, T1), y0, p, &opts).unwrap().last().unwrap().1[0])
            .collect()
    };
    fn lanes<const L: usize>(inputs: &[([f64; 2], [f64; 1])], opts: &Options) -> Vec<f64> {
        let mut out = vec![0.0; inputs.len()];
        let input = |k: usize| (&inputs[k].0[..], &inputs[k].1[..]);
        solve_lanes::<_, Dopri5, f64, L>(&VanDerPol, (0.0, T1), opts, inputs.len(), &input, &mut |k, r| {
            out[k] = r.unwrap().last().unwrap().1[0]
        })
        .unwrap();
        out
    }
    assert_eq!(lanes::<4>(&inputs, &opts), alone(&inputs));
    let mut g = c.benchmark_group("w4_solve_lanes_1_thread");
    g.sample_size(10).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));
    g.bench_function("solve one by one (baseline)", |b| b.iter(|| alone(&inputs)));
    g.bench_function("solve_lanes, 1", |b| b.iter(|| lanes::<1>(&inputs, &opts)));
    g.bench_function("solve_lanes, 2", |b| b.iter(|| lanes::<2>(&inputs, &opts)));
    g.bench_function("solve_lanes, 4", |b| b.iter(|| lanes::<4>(&inputs, &opts)));
    g.bench_function("solve_lanes, 8", |b| b.iter(|| lanes::<8>(&inputs, &opts)));
    g.finish();

    // Sensitivities: x(20) and its derivative in mu for every sample, dual
    // numbers in the lanes.
    let seeded: Vec<([Dual64; 2], [Dual64; 1])> =
        inputs.iter().map(|(y0, p)| (y0.map(Dual64::from), [Dual64::from(p[0]).derivative()])).collect();
    let alone_dual = |inputs: &[([Dual64; 2], [Dual64; 1])]| -> Vec<Dual64> {
        inputs
            .iter()
            .map(|(y0, p)| solve_dual(&VanDerPol, Dopri5, (0.0, T1), y0, p, &opts).unwrap().last().unwrap().1[0])
            .collect()
    };
    fn dual_lanes<const L: usize>(inputs: &[([Dual64; 2], [Dual64; 1])], opts: &Options) -> Vec<Dual64> {
        let mut out = vec![Dual64::from(0.0); inputs.len()];
        let input = |k: usize| (&inputs[k].0[..], &inputs[k].1[..]);
        solve_lanes::<_, Dopri5, Dual64, L>(&VanDerPol, (0.0, T1), opts, inputs.len(), &input, &mut |k, r| {
            out[k] = r.unwrap().last().unwrap().1[0]
        })
        .unwrap();
        out
    }
    let same = |a: Vec<Dual64>, b: Vec<Dual64>| a.iter().zip(&b).all(|(a, b)| a.re == b.re && a.eps == b.eps);
    assert!(same(dual_lanes::<4>(&seeded, &opts), alone_dual(&seeded)));
    let mut g = c.benchmark_group("w4_sensitivities_in_lanes_1_thread");
    g.sample_size(10).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));
    g.bench_function("solve_dual one by one (baseline)", |b| b.iter(|| alone_dual(&seeded)));
    g.bench_function("solve_lanes, Dual64, 4", |b| b.iter(|| dual_lanes::<4>(&seeded, &opts)));
    g.bench_function("solve_lanes, Dual64, 8", |b| b.iter(|| dual_lanes::<8>(&seeded, &opts)));
    g.finish();
    fit_sensitivities(c);
}

/// What a multistart fit integrates: Lotka–Volterra with all four
/// parameters seeded (`InlineDual64<4>`, the width `solve_sensitivities`
/// picks), saved at 20 data times, at 2,000 parameter points.
fn fit_sensitivities(c: &mut Criterion) {
    type D = InlineDual64<4>;
    let points: Vec<([D; 2], [D; 4])> = (0..2000)
        .map(|i| {
            let u = (i as f64 * 0.618_034) % 1.0;
            let p = std::array::from_fn(|k| {
                D::from_parts(LV::PARAMS[k] * (0.7 + 0.6 * u), std::array::from_fn(|j| f64::from(u8::from(j == k))))
            });
            (LV::Y0.map(D::from), p)
        })
        .collect();
    let t: Vec<f64> = (1..=20).map(|i| f64::from(i) * 0.5).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(t);
    let alone = |points: &[([D; 2], [D; 4])]| -> Vec<D> {
        points
            .iter()
            .map(|(y0, p)| solve_dual(&LV, Tsit5, (0.0, 10.0), y0, p, &opts).unwrap().last().unwrap().1[0])
            .collect()
    };
    fn lanes<const L: usize>(points: &[([D; 2], [D; 4])], opts: &Options) -> Vec<D> {
        let mut out = vec![D::from(0.0); points.len()];
        let input = |k: usize| (&points[k].0[..], &points[k].1[..]);
        solve_lanes::<_, Tsit5, D, L>(&LV, (0.0, 10.0), opts, points.len(), &input, &mut |k, r| {
            out[k] = r.unwrap().last().unwrap().1[0]
        })
        .unwrap();
        out
    }
    let bits = |v: Vec<D>| v.iter().map(|d| (d.re.to_bits(), d.eps.0.map(f64::to_bits))).collect::<Vec<_>>();
    assert_eq!(bits(lanes::<4>(&points, &opts)), bits(alone(&points)));
    let mut g = c.benchmark_group("fit_sensitivities_in_lanes_1_thread");
    g.sample_size(10).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));
    g.bench_function("solve_dual one by one (baseline)", |b| b.iter(|| alone(&points)));
    g.bench_function("solve_lanes, InlineDual64<4>, 4", |b| b.iter(|| lanes::<4>(&points, &opts)));
    g.finish();
}

criterion_group!(benches, lanes);
criterion_main!(benches);

//! Monte Carlo ensembles of Van der Pol: the peers' W4 workload timed on 1
//! and 2 threads, in lanes and one sample at a time, a fan chart and a histogram, and 10⁶ samples in bounded
//! memory.
//!
//! Run: `cargo run --release --example ensemble_van_der_pol` (writes to
//! `out/`); `-- --memory` runs only the 10⁶-sample runs, in a fresh
//! process, and reports their peak memory (`-- --memory --sketch`: with a
//! 1 MiB quantile budget).

use odeon::Dopri5;
use odeon::Options;
use odeon::ensemble::{Dist, Ensemble, Independent, Keep, Runs};
use odeon::models::VanDerPol;
use std::error::Error;
use std::time::Instant;

/// W4: mu ~ U(0.5, 2), x0 ~ U(1, 3), v0 = 0.
fn sampler() -> Result<Independent, odeon::Error> {
    Independent::new(
        vec![Dist::Uniform { low: 1.0, high: 3.0 }, Dist::Fixed(0.0)],
        vec![Dist::Uniform { low: 0.5, high: 2.0 }],
    )
}

/// Peak resident memory of this process (Linux), MiB.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? / 1024.0)
}

fn main() -> Result<(), Box<dyn Error>> {
    let opts = Options::default().rtol(1e-6).atol(1e-6);
    let w4 = |n| Ensemble::new(&VanDerPol, Dopri5, (0.0, 20.0), sampler().unwrap(), n).options(opts.clone()).seed(42);

    if std::env::args().any(|a| a == "--memory") {
        return million(&w4);
    }

    // 1. Throughput: 10,000 runs, final state, best of 5 per thread count,
    // with the default lanes and one sample at a time (lanes 1).
    let lanes = Runs::new(&VanDerPol, Dopri5, (0.0, 20.0)).lane_count();
    let runs = [(1, 1), (1, lanes), (2, 1), (2, lanes)];
    let mut best = [f64::INFINITY; 4];
    for _ in 0..5 {
        for (k, &(threads, lanes)) in runs.iter().enumerate() {
            let start = Instant::now();
            let s = w4(10_000).threads(threads).lanes(lanes).run()?;
            best[k] = best[k].min(start.elapsed().as_secs_f64());
            assert_eq!(s.succeeded, 10_000);
        }
    }
    let s = w4(10_000).run()?;
    let x = s.stat(0, 0).ok_or("no statistics")?;
    println!("W4, 10,000 Van der Pol runs (Dopri5, rtol = atol = 1e-6, final state):");
    for (k, &(threads, lanes)) in runs.iter().enumerate() {
        let (t, rate) = (best[k], 1e4 / best[k]);
        println!("  {threads} thread(s), lanes {lanes}: {t:.3} s, {rate:>7.0} runs/s, {:.1} us/run", t * 1e6 / 1e4);
    }
    println!("  lanes vs one at a time, 1 thread: {:.2}x", best[0] / best[1]);
    println!("  parallel efficiency (lanes): {:.0}%", 100.0 * best[1] / (2.0 * best[3]));
    println!("  vs diffrax vmap (18,865 runs/s): {:.1}x", 1e4 / best[3] / 18_865.0);
    println!(
        "  x(20): mean {:.5}, std {:.5} (reference, other draws: 0.53905, 1.41401)",
        x.mean,
        x.std().unwrap_or(f64::NAN)
    );

    // 2. Pictures: x(t) at 201 times, fan chart; histogram of x(20).
    let times: Vec<f64> = (0..=200).map(|i| i as f64 * 0.1).collect();
    let fan = w4(10_000).keep(Keep::At(times)).progress(true).run()?;
    fan.write_json("out/ensemble_vdp_fan.json")?;
    let finals = w4(10_000).collect(|_, _, sol| sol.y[0])?;
    let finals: Vec<f64> = finals.into_iter().filter_map(Result::ok).collect();
    #[cfg(feature = "plot")]
    {
        odeon::plot::fan_chart(&fan, 0, "Van der Pol, 10,000 runs: x(t)", "out/ensemble_vdp_fan.svg")?;
        odeon::plot::histogram(&finals, 60, "Van der Pol, 10,000 runs: x(20)", "x(20)", "out/ensemble_vdp_hist.svg")?;
        println!("plots: out/ensemble_vdp_fan.svg, out/ensemble_vdp_hist.svg");
    }

    Ok(())
}

/// 10⁶ samples, final-state statistics (exact quantiles: 16 MB of values),
/// then with a 1 MiB quantile budget (sketches).
fn million(w4: &dyn Fn(u64) -> Ensemble<'static, VanDerPol, Independent, Dopri5>) -> Result<(), Box<dyn Error>> {
    // `--sketch`: a 1 MiB quantile budget, so the quantiles come from DDSketches.
    let sketch = std::env::args().any(|a| a == "--sketch");
    let budget = if sketch { 1 << 20 } else { odeon::ensemble::DEFAULT_QUANTILE_BUDGET };
    let before = peak_mib();
    let start = Instant::now();
    let big = w4(1_000_000).quantile_budget(budget).progress(true).run()?;
    let secs = start.elapsed().as_secs_f64();
    let x = big.stat(0, 0).ok_or("no statistics")?;
    println!(
        "10^6 runs: {secs:.1} s ({:.0} runs/s), peak RSS {:.1} MiB (at start: {:.1} MiB), quantiles {:?}",
        1e6 / secs,
        peak_mib().unwrap_or(f64::NAN),
        before.unwrap_or(f64::NAN),
        big.quantile_method
    );
    println!(
        "  x(20): mean {:.6}, median {:.6}, 5% {:.6}, 95% {:.6}",
        x.mean, x.quantiles[2], x.quantiles[0], x.quantiles[4]
    );
    Ok(())
}

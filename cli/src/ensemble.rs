//! `odeon ensemble` (run a spec, or one shard of it), `odeon merge`, and
//! the tour's ensemble section.

use odeon::Dopri5;
use odeon::ensemble::spec::{EnsemblePart, EnsembleSpec, Execution};
use odeon::ensemble::{Dist, Ensemble, EnsembleSummary, Independent, Keep};
use odeon::models::VanDerPol;
use odeon::{Error, Options};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Parse `K/N` (0-based shard K of N).
pub fn parse_shard(s: &str) -> Result<(u64, u64), Error> {
    let bad = || Error::InvalidOption { name: "shard", reason: format!("expected K/N (e.g. 3/64), got {s:?}") };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n) = (k.trim().parse::<u64>().map_err(|_| bad())?, n.trim().parse::<u64>().map_err(|_| bad())?);
    if k >= n {
        return Err(Error::InvalidShard { index: k, count: n });
    }
    Ok((k, n))
}

/// `odeon ensemble SPEC [--shard K/N] --out PART`; `false` when every
/// sample failed.
pub fn run(spec: &Path, shard: Option<&str>, out: &Path, how: &Execution) -> Result<bool, Error> {
    let parsed = EnsembleSpec::read(spec).map_err(|e| match e {
        Error::InvalidSpec { key, line, reason } => {
            Error::InvalidSpec { key, line, reason: format!("{reason} (in {})", spec.display()) }
        }
        e => e,
    })?;
    let (k, n) = shard.map(parse_shard).transpose()?.unwrap_or((0, 1));
    let start = Instant::now();
    let part = EnsemblePart::run(&parsed, k, n, how)?;
    let secs = start.elapsed().as_secs_f64();
    part.write_json(out)?;
    let s = &part.summary;
    let done = s.succeeded + s.failed;
    eprintln!(
        "shard {k}/{n}: {done} samples ({} failed) in {secs:.2} s ({:.0} runs/s), spec {} -> {}",
        s.failed,
        done as f64 / secs.max(1e-9),
        part.spec_hash,
        out.display()
    );
    if n == 1 {
        print_final(s);
    }
    if s.succeeded == 0 && s.failed > 0 {
        eprintln!("every sample failed");
        return Ok(false);
    }
    Ok(true)
}

/// `odeon merge PARTS… --out SUMMARY`.
pub fn merge(parts: &[PathBuf], out: &Path, partial: bool, plot: Option<&Path>) -> Result<(), Error> {
    let read = parts
        .iter()
        .map(|p| Ok((p.display().to_string(), EnsemblePart::read_json(p)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let merged = EnsemblePart::merge(read, !partial)?;
    merged.write_json(out)?;
    eprintln!(
        "merged {} parts ({} of {} shards, {} of {} samples) of spec {} -> {}",
        parts.len(),
        merged.shards.len(),
        merged.shard_count,
        merged.summary.samples_covered(),
        merged.summary.layout.samples,
        merged.spec_hash,
        out.display()
    );
    print_final(&merged.summary);
    if let Some(path) = plot {
        draw(&merged.summary, &merged.spec.model, path)?;
    }
    Ok(())
}

#[cfg(feature = "plot")]
fn draw(s: &EnsembleSummary, model: &str, path: &Path) -> Result<(), Error> {
    odeon::plot::fan_chart(s, 0, &format!("{model}: {} (median, 50% and 90% bands)", s.layout.names[0]), path)?;
    eprintln!("fan chart -> {}", path.display());
    Ok(())
}

#[cfg(not(feature = "plot"))]
fn draw(_: &EnsembleSummary, _: &str, _: &Path) -> Result<(), Error> {
    Err(Error::InvalidOption { name: "plot", reason: "odeon was built without the `plot` feature".into() })
}

/// Print the statistics at the last saved time.
fn print_final(s: &EnsembleSummary) {
    let last = s.layout.times.len().saturating_sub(1);
    println!(
        "{} succeeded, {} failed; statistics at t = {}:",
        s.succeeded,
        s.failed,
        s.layout.times.get(last).copied().unwrap_or(f64::NAN)
    );
    println!("  {:<8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}", "", "mean", "std", "5%", "50%", "95%", "max");
    for (j, name) in s.layout.names.iter().enumerate() {
        if let Some(st) = s.stat(last, j) {
            println!(
                "  {name:<8} {:>11.5} {:>11.5} {:>11.5} {:>11.5} {:>11.5} {:>11.5}",
                st.mean,
                st.std().unwrap_or(f64::NAN),
                st.quantiles[0],
                st.quantiles[2],
                st.quantiles[4],
                st.max
            );
        }
    }
    if let Some(f) = s.failures.first() {
        println!("  first failure: sample {} (p = {:?}): {}", f.index, f.p, f.error);
    }
}

/// The tour's section: a small Van der Pol ensemble, 1 vs all threads,
/// a sharded run merged, and a fan chart.
pub fn tour(out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    println!("4. Ensemble: 2000 Van der Pol runs, mu ~ U(0.5, 2), x0 ~ U(1, 3), saved at 41 times, rtol = atol = 1e-6");
    let sampler = Independent::new(
        vec![Dist::Uniform { low: 1.0, high: 3.0 }, Dist::Fixed(0.0)],
        vec![Dist::Uniform { low: 0.5, high: 2.0 }],
    )?;
    let times: Vec<f64> = (0..=40).map(|i| i as f64 * 0.5).collect();
    let ens = Ensemble::new(&VanDerPol, Dopri5, (0.0, 20.0), sampler, 2000)
        .options(Options::default().rtol(1e-6).atol(1e-6))
        .keep(Keep::At(times))
        .seed(42);
    let mut runs = Vec::new();
    for threads in [1, rayon_threads()] {
        let start = Instant::now();
        let s = ens.clone().threads(threads).run()?;
        runs.push((threads, start.elapsed().as_secs_f64(), s));
    }
    for (threads, secs, _) in &runs {
        println!("   {threads} thread(s): {secs:.3} s, {:.0} runs/s", 2000.0 / secs);
    }
    let parts = (0..4).map(|k| ens.clone().shard(k, 4)?.run()).collect::<Result<Vec<_>, _>>()?;
    let merged = EnsembleSummary::merge(parts)?;
    let same = serde_json::to_string(&merged)? == serde_json::to_string(&runs[0].2)?
        && serde_json::to_string(&runs[1].2)? == serde_json::to_string(&runs[0].2)?;
    println!("   1 thread, {} threads and 4 merged shards bit-identical: {same}", runs[1].0);
    let s = &runs[0].2;
    let fin = s.stat(40, 0).ok_or("no statistics")?;
    println!(
        "   x(20): mean {:.4}, std {:.4}, median {:.4}, 90% in [{:.3}, {:.3}]",
        fin.mean,
        fin.std().unwrap_or(f64::NAN),
        fin.quantiles[2],
        fin.quantiles[0],
        fin.quantiles[4]
    );
    s.write_json(out.join("ensemble_vdp.json"))?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::fan_chart(
            s,
            0,
            "Van der Pol ensemble: x (median, 50% and 90% bands)",
            out.join("ensemble_vdp.svg"),
        )?;
        println!("   plot: ensemble_vdp.svg");
    }
    println!("   summary: ensemble_vdp.json (merge shards with `odeon merge`)\n");
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).max(2)
}

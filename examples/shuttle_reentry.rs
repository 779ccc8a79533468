//! Space shuttle reentry (Betts, *Practical Methods for Optimal Control*,
//! §6.1; dymos's `shuttle_reentry`): the largest cross-range from 260,000 ft
//! at 25,600 ft/s down to 80,000 ft at 2,500 ft/s, without and with the
//! limit q ≤ 70 BTU/ft²/s on the wings' heating rate (Betts: 34.1412° and
//! 30.6255°). Each is solved on 10 Radau segments and ph-refined (orders
//! raised, segments split where an order would pass 14) until every
//! segment's error is below 1e-4.
//!
//! The problem is `odeon::ocp::problems::ShuttleReentry`. Run:
//! `cargo run --release --example shuttle_reentry`; writes
//! `out/shuttle_reentry_{heating,cross_range,grids}.svg` and
//! `out/shuttle_reentry.json`.

use odeon::ocp::problems::ShuttleReentry;
use odeon::ocp::{Collocation, Refined, Refinement, SqpOptions, Transcription};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let options = SqpOptions::default().tolerances(1e-4, 1e-8);
    let cases = [
        ("no heating limit", ShuttleReentry::phase(), ShuttleReentry::THETA_F, ShuttleReentry::T_F),
        (
            "q ≤ 70",
            ShuttleReentry::heating_limited_phase(),
            ShuttleReentry::THETA_F_HEATING,
            ShuttleReentry::T_F_HEATING,
        ),
    ];
    let mut results: Vec<(&str, Refined)> = Vec::new();
    for (name, phase, theta_ref, tf_ref) in cases {
        let start = std::time::Instant::now();
        let ocp = Collocation::new(&ShuttleReentry, &phase, Transcription::Radau { segments: 10, order: 3 })?;
        let refined = ocp.solve_refined(&options, &Refinement::default())?;
        let sol = &refined.solution;
        let theta_f = sol.timeseries.states.last().ok_or("empty")?[4].to_degrees();
        println!(
            "{name}: {:?} in {:.0} ms — θ_f = {theta_f:.4}° (Betts {theta_ref}°), t_f = {:.2} s (Betts {tf_ref} s)",
            refined.status,
            start.elapsed().as_secs_f64() * 1e3,
            sol.t0 + sol.duration,
        );
        for step in &refined.history {
            let worst = step.errors.iter().fold(0.0f64, |a, e| a.max(*e));
            let segments = step.errors.len();
            println!(
                "  {segments:>3} segments, {:>3} nodes: {:>2} iterations, max error {worst:.1e}, orders {:?}",
                step.nodes, step.iterations, step.orders
            );
        }
        results.push((name, refined));
    }
    std::fs::create_dir_all("out")?;
    odeon::files::write_json("out/shuttle_reentry.json", &results, true)?;
    #[cfg(feature = "plot")]
    {
        let series = |f: &dyn Fn(&[f64], &[f64]) -> f64| -> Vec<(String, Vec<(f64, f64)>)> {
            let each = |(name, r): &(&str, Refined)| {
                let ts = &r.solution.timeseries;
                let points = (0..ts.len()).map(|k| (ts.time[k], f(&ts.states[k], &ts.controls[k]))).collect();
                (name.to_string(), points)
            };
            results.iter().map(each).collect()
        };
        let q = series(&|x, u| ShuttleReentry::heating_rate(x[0], x[5], u[0]));
        let theta = series(&|x, _| x[4].to_degrees());
        odeon::plot::lines(
            "out/shuttle_reentry_heating.svg",
            "Shuttle reentry: heating rate",
            "t (s)",
            "q (BTU/ft²/s)",
            &q,
        )?;
        odeon::plot::lines(
            "out/shuttle_reentry_cross_range.svg",
            "Shuttle reentry: latitude",
            "t (s)",
            "θ (°)",
            &theta,
        )?;
        odeon::plot::refinement(
            &results[1].1,
            Some(1e-4),
            "Shuttle reentry, q ≤ 70: mesh refinement",
            "out/shuttle_reentry_grids.svg",
        )?;
        println!("wrote out/shuttle_reentry_{{heating,cross_range,grids}}.svg and out/shuttle_reentry.json");
    }
    Ok(())
}

//! A ball dropped from 10 m: bounces found as events (root finding on the
//! dense output, a reset v⁺ = −e·v⁻), against the closed form; a terminal
//! "hits the ground" variant; and the exact derivatives of the first
//! bounce time with respect to the drop height and gravity.
//!
//! Run: `cargo run --release --example bouncing_ball` (writes to `out/`).

use odeon::models::BouncingBall;
use odeon::sensitivity::Wrt;
use odeon::{OdeProblem, Options, Tsit5};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let ([h0, v0], [g, e]) = (BouncingBall::Y0, BouncingBall::PARAMS);
    let bouncing = BouncingBall { terminal: false };
    let grid: Vec<f64> = (0..=1200).map(|i| i as f64 * 0.01).collect();
    let opts = Options::default().rtol(1e-10).atol(1e-10);
    let problem = OdeProblem::new(&bouncing, (0.0, 12.0), &[h0, v0], &[g, e]);
    let sol = problem.solve(Tsit5, &opts.clone().t_eval(grid))?;

    // Closed form: t₁ = √(2h0/g), then each flight lasts 2eᵏ√(2gh0)/g.
    let v = (2.0 * g * h0).sqrt();
    let mut exact = v / g;
    println!("bounce   time (odeon)        closed form         difference");
    for (k, event) in sol.events.iter().enumerate().take(10) {
        println!("{:>6} {:>18.12} {:>18.12} {:>12.1e}", k + 1, event.t, exact, event.t - exact);
        exact += 2.0 * e.powi(k as i32 + 1) * v / g;
    }
    println!("{} bounces in 12 s, {} steps", sol.events.len(), sol.stats.accepted);

    // Stop at the first landing instead.
    let landing = OdeProblem::new(&BouncingBall { terminal: true }, (0.0, 12.0), &[h0, v0], &[g, e]);
    let first = landing.solve(Tsit5, &opts)?;
    let (t_land, y_land) = first.last().expect("the solve ends at the landing");
    println!("terminal: lands at t = {t_land:.12} with v = {:.9} m/s", y_land[1]);

    // ∂t₁/∂h0 = 1/√(2 h0 g), ∂t₁/∂g = −t₁/(2g), exactly, from dual numbers.
    let s = landing.sensitivities(Tsit5, &[Wrt::Y0(0), Wrt::Param(0)], &opts.save_final())?;
    let (dh0, dg) = (s.event_times[0][0], s.event_times[0][1]);
    println!("∂t₁/∂h0 = {dh0:.12} (closed form {:.12})", 1.0 / (2.0 * h0 * g).sqrt());
    println!("∂t₁/∂g  = {dg:.12} (closed form {:.12})", -t_land / (2.0 * g));

    std::fs::create_dir_all("out")?;
    sol.write_json("out/bouncing_ball.json")?;
    #[cfg(feature = "plot")]
    {
        // The grid plus the bounces themselves, so the plot touches the ground.
        let mut points: Vec<(f64, f64)> = sol.t.iter().copied().zip(sol.component(0)).collect();
        points.extend(sol.events.iter().map(|ev| (ev.t, 0.0)));
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let fall: Vec<(f64, f64)> =
            (0..=100).map(|i| i as f64 * t_land / 100.0).map(|t| (t, h0 - 0.5 * g * t * t)).collect();
        let series = [(format!("bounces, e = {e}"), points), ("terminal: stops at the ground".into(), fall)];
        odeon::plot::lines("out/bouncing_ball.svg", "Bouncing ball", "t [s]", "height [m]", &series)?;
        println!("plot: out/bouncing_ball.svg");
    }
    Ok(())
}

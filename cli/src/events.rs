//! Tour section: events (a bouncing ball) and doses on a schedule.

use odeon::models::{BouncingBall, OralDosing};
use odeon::sensitivity::Wrt;
use odeon::{Algorithm, OdeProblem, Options, Rodas5P, Tsit5};
use std::error::Error;
use std::path::Path;

pub fn run(out: &Path) -> Result<(), Box<dyn Error>> {
    println!("\n7. Events: a ball dropped from 10 m, bouncing with restitution 0.8 (root finding on the dense output)");
    let ([h0, v0], [g, e]) = (BouncingBall::Y0, BouncingBall::PARAMS);
    let v = (2.0 * g * h0).sqrt();
    // t₁ = √(2h0/g), then each flight lasts 2eᵏ√(2gh0)/g.
    let exact: Vec<f64> =
        (1..=10).scan(v / g, |t, k| Some(std::mem::replace(t, *t + 2.0 * e.powi(k) * v / g))).collect();
    let bounces = OdeProblem::new(&BouncingBall { terminal: false }, (0.0, 11.5), &[h0, v0], &[g, e]);
    let opts = Options::default().rtol(1e-10).atol(1e-10).save_final();
    println!(
        "   {:<8} {:>7} {:>6} {:>28} {:>10}",
        "method", "bounces", "steps", "max |t_k − closed form|, k ≤ 10", "time"
    );
    bounce_row(&bounces, Tsit5, &opts, &exact)?;
    bounce_row(&bounces, Rodas5P, &opts, &exact)?;
    let landing = OdeProblem::new(&BouncingBall { terminal: true }, (0.0, 11.5), &[h0, v0], &[g, e]);
    let s = landing.sensitivities(Tsit5, &[Wrt::Y0(0), Wrt::Param(0)], &opts)?;
    let t1 = s.solution.events[0].t;
    println!(
        "   terminal landing at t = {t1:.12}: dt/dh0 = {:.12} (closed form {:.12}), dt/dg = {:.12} ({:.12})",
        s.event_times[0][0],
        1.0 / (2.0 * h0 * g).sqrt(),
        s.event_times[0][1],
        -t1 / (2.0 * g)
    );

    println!("   Doses: 100 mg every 12 h after a 0.5 h lag, one-compartment oral model, against the closed form");
    let pk = OralDosing { dose: 100.0, period: 12.0, doses: 6 };
    let [ka, ke, vol, lag] = OralDosing::PARAMS;
    let t_eval: Vec<f64> = (0..=720).map(|i| 0.1 * i as f64).collect();
    let pk_opts = Options::default().rtol(1e-10).atol(1e-12).t_eval(t_eval);
    let sol = OdeProblem::new(&pk, (0.0, 72.0), &[0.0, 0.0], &OralDosing::PARAMS).solve(Tsit5, &pk_opts)?;
    let closed = |t: f64| -> f64 {
        (0..6)
            .map(|k| t - lag - 12.0 * k as f64)
            .filter(|&dt| dt > 0.0)
            .map(|dt| 100.0 / vol * ka / (ka - ke) * ((-ke * dt).exp() - (-ka * dt).exp()))
            .sum()
    };
    let err = sol.t.iter().zip(sol.component(1)).map(|(&t, c)| (c - closed(t)).abs()).fold(0.0, f64::max);
    println!(
        "   {} doses landed on exactly, {} steps; largest error of the concentration {err:.1e} mg/L",
        sol.events.len(),
        sol.stats.accepted
    );
    sol.write_csv(out.join("doses.csv"), &["gut", "concentration"])?;
    #[cfg(feature = "plot")]
    {
        let series = [("concentration [mg/L]".to_string(), sol.t.iter().copied().zip(sol.component(1)).collect())];
        odeon::plot::lines(out.join("doses.svg"), "Oral doses every 12 h (Tsit5)", "t [h]", "mg/L", &series)?;
    }
    println!("   see doses.csv / doses.svg; examples: bouncing_ball, pharmacokinetics, thermostat");
    Ok(())
}

/// One row: the bouncing ball with `method`, its first ten bounce times
/// against `exact`.
fn bounce_row<A: Algorithm>(
    problem: &OdeProblem<'_, BouncingBall>,
    method: A,
    opts: &Options,
    exact: &[f64],
) -> Result<(), Box<dyn Error>> {
    let sol = problem.solve(method, opts)?;
    let err = sol.events.iter().zip(exact).map(|(ev, x)| (ev.t - x).abs()).fold(0.0, f64::max);
    let secs = crate::tour::time_per_call(|| problem.solve(method, opts));
    println!(
        "   {:<8} {:>7} {:>6} {err:>28.1e} {:>7.1} µs",
        method.name(),
        sol.events.len(),
        sol.stats.accepted,
        secs * 1e6
    );
    Ok(())
}

//! A room heated by a thermostat with hysteresis: the heater switches off
//! when the temperature rises through 21 °C and on when it falls through
//! 19 °C — two non-terminal events whose resets flip the heater state.
//!
//! Run: `cargo run --release --example thermostat` (writes to `out/`).

use odeon::events::Cause;
use odeon::models::Thermostat;
use odeon::{OdeProblem, Options, Rodas5P};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    // From 15 °C with the heater on, for a day.
    let problem = OdeProblem::new(&Thermostat, (0.0, 24.0), &[15.0, 1.0], &Thermostat::PARAMS);
    let grid: Vec<f64> = (0..=960).map(|i| i as f64 * 0.025).collect();
    let sol = problem.solve(Rodas5P, &Options::default().rtol(1e-8).atol(1e-8).t_eval(grid))?;

    let mut on_since = Some(0.0);
    let mut heating = 0.0;
    for (k, event) in sol.events.iter().enumerate() {
        let what = if event.cause == Cause::Event(0) { "off" } else { "on " };
        if k < 6 {
            println!("t = {:>7.4} h  heater {what}  T = {:.6} °C", event.t, event.y_before[0]);
        }
        match (event.cause, on_since) {
            (Cause::Event(0), Some(t0)) => {
                heating += event.t - t0;
                on_since = None;
            }
            (Cause::Event(1), None) => on_since = Some(event.t),
            _ => {}
        }
    }
    heating += on_since.map_or(0.0, |t0| 24.0 - t0);
    println!("{} switches; the heater ran {:.1} of 24 h", sol.events.len(), heating);

    std::fs::create_dir_all("out")?;
    sol.write_csv("out/thermostat.csv", &["T", "heater"])?;
    #[cfg(feature = "plot")]
    {
        let temperature: Vec<(f64, f64)> = sol.t.iter().copied().zip(sol.component(0)).collect();
        let heater: Vec<(f64, f64)> = sol.t.iter().copied().zip(sol.component(1).map(|u| 15.0 + u)).collect();
        let series = [("T [°C]".to_string(), temperature), ("heater (15 + on/off)".to_string(), heater)];
        odeon::plot::lines("out/thermostat.svg", "Thermostat with hysteresis", "t [h]", "°C", &series)?;
        println!("plot: out/thermostat.svg");
    }
    Ok(())
}

//! Exact sensitivities of two models, and plots of them.
//!
//! Run: `cargo run --release --example sensitivity_plot` (writes to `out/`).

use odeon::models::{LotkaVolterra as LV, Pendulum};
use odeon::plot::{Scale, sensitivities};
use odeon::sensitivity::Wrt;
use odeon::{Dopri5, Tsit5};
use odeon::{OdeProblem, OdeSystem, Options};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let grid = |t1: f64, n: usize| (0..=n).map(|i| t1 * i as f64 / n as f64).collect::<Vec<_>>();

    // Lotka–Volterra: how prey x and predators y respond to each rate.
    let opts = Options::default().rtol(1e-9).atol(1e-9).t_eval(grid(15.0, 600));
    let s = OdeProblem::new(&LV, (0.0, 15.0), &LV::Y0, &LV::PARAMS).sensitivities(Tsit5, &Wrt::all(&LV), &opts)?;
    println!(
        "Lotka–Volterra: {} steps, {} passes; ∂y(15)/∂(a, b, c, d, x0, y0) =",
        s.solution.stats.accepted, s.passes
    );
    println!("{:.4}", s.jacobians.last().unwrap());
    let prey: Vec<_> = (0..4).map(|k| (0, Wrt::Param(k))).collect();
    sensitivities(
        &LV,
        &s,
        &prey,
        Scale::Absolute,
        "Lotka–Volterra: prey sensitivity to each rate",
        "out/lv_sensitivity.svg",
    )?;
    let scale = Scale::Normalized { p: &LV::PARAMS, y0: &LV::Y0 };
    sensitivities(
        &LV,
        &s,
        &prey,
        scale,
        "Lotka–Volterra: normalized prey sensitivities",
        "out/lv_sensitivity_normalized.svg",
    )?;
    s.solution.write_csv("out/lv_solution.csv", &["x", "y"])?;
    odeon::files::write_json("out/lv_sensitivities.json", &s, true)?;

    // Damped pendulum: the angle's dependence on g, the length and the damping.
    let (y0, p) = ([1.0, 0.0], Pendulum::PARAMS);
    let opts = Options::default().rtol(1e-9).atol(1e-9).t_eval(grid(10.0, 500));
    let s = OdeProblem::new(&Pendulum, (0.0, 10.0), &y0, &p).sensitivities(Dopri5, &Wrt::params(&Pendulum), &opts)?;
    let angle: Vec<_> = (0..3).map(|k| (0, Wrt::Param(k))).collect();
    sensitivities(
        &Pendulum,
        &s,
        &angle,
        Scale::Absolute,
        "Damped pendulum: ∂θ/∂(g, l, b)",
        "out/pendulum_sensitivity.svg",
    )?;
    let scale = Scale::Normalized { p: &p, y0: &y0 };
    sensitivities(
        &Pendulum,
        &s,
        &angle,
        scale,
        "Damped pendulum: normalized",
        "out/pendulum_sensitivity_normalized.svg",
    )?;
    // g and l enter only as g/l: their normalized sensitivities are opposite.
    let (i, names) = (s.jacobians.len() - 1, Pendulum.param_names());
    let norm = |k: usize| p[k] / s.solution.state(i)[0] * s.jacobians[i][(0, k)];
    println!("pendulum at t = 10: normalized ∂θ/∂{} = {:.6}, ∂θ/∂{} = {:.6}", names[0], norm(0), names[1], norm(1));
    println!("plots: out/lv_sensitivity*.svg, out/pendulum_sensitivity*.svg");
    Ok(())
}

//! Reaction–diffusion by the method of lines: Hairer's 1-D Brusselator
//! (N = 500, 1,000 states) and the 2-D Brusselator on a periodic grid
//! (default 64 × 64, 8,192 states), solved with BDF on odeon's sparse path
//! — the pattern of ∂f/∂y traced from the model, a colored Jacobian, and a
//! banded LU in 1-D, GMRES with an algebraic-multigrid preconditioner in
//! 2-D (`Linsolve::Auto` from 500 states) — and the exact sensitivity of
//! the 1-D solution to the diffusion coefficient α through the same sparse
//! solves.
//!
//! Run: `cargo run --release --example brusselator [m]`. Writes
//! `out/bruss1d_u.svg` (u(x, t)), `out/bruss1d_du_dalpha.svg` and
//! `out/bruss2d_u.svg` (u at t = 1).

use num_dual::Dual64;
use odeon::models::{Brusselator1D, Brusselator2D};
use odeon::{Bdf, Options, plot, solve, solve_dual};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1-D: u(x, t) on N = 500 points over t ∈ [0, 10].
    let bruss = Brusselator1D::new(500)?;
    let y0 = bruss.initial_state();
    let times: Vec<f64> = (0..=50).map(|i| i as f64 * 0.2).collect();
    let opts = Options::default().rtol(1e-6).atol(1e-6).t_eval(times.clone());
    let start = Instant::now();
    let sol = solve(&bruss, Bdf, (0.0, 10.0), &y0, &Brusselator1D::PARAMS, &opts)?;
    println!("1-D, 1000 states: {:.1} ms, {:?}", start.elapsed().as_secs_f64() * 1e3, sol.stats);
    // Every 5th grid point: u is component 2i.
    let cols: Vec<usize> = (0..500).step_by(5).collect();
    let field: Vec<f64> =
        (0..sol.t.len()).flat_map(|k| cols.iter().map(move |&i| (k, i))).map(|(k, i)| sol.state(k)[2 * i]).collect();
    plot::heatmap(
        &field,
        (sol.t.len(), cols.len()),
        (0.0..1.0, 0.0..10.2),
        ("x", "t"),
        "Brusselator 1-D: u(x, t)",
        "out/bruss1d_u.svg",
    )?;

    // ∂u(x = ½, t)/∂α by one dual-number solve through the sparse LU.
    let p = [Dual64::from(1.0), Dual64::from(3.0), Dual64::from(1.0 / 50.0).derivative()];
    let y0d: Vec<Dual64> = y0.iter().map(|&v| Dual64::from(v)).collect();
    let start = Instant::now();
    let dual = solve_dual(&bruss, Bdf, (0.0, 10.0), &y0d, &p, &opts)?;
    println!("with ∂/∂α: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    let mid = 2 * 249;
    let du: Vec<(f64, f64)> = dual.t.iter().enumerate().map(|(k, &t)| (t, dual.state(k)[mid].eps)).collect();
    plot::lines(
        "out/bruss1d_du_dalpha.svg",
        "∂u(½, t)/∂α (exact, through sparse solves)",
        "t",
        "∂u/∂α",
        &[(String::new(), du)],
    )?;

    // 2-D: u at t = 1 on an m × m periodic grid, with slower diffusion
    // (α = 0.1) than the benchmark's, so that the pattern survives.
    let m: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(64);
    let model = Brusselator2D::new(m)?;
    let y0 = model.initial_state();
    let p = [3.4, 1.0, 0.1];
    let start = Instant::now();
    let sol = solve(&model, Bdf, (0.0, 1.0), &y0, &p, &Options::default().rtol(1e-6).atol(1e-6).save_final())?;
    println!("2-D, {} states: {:.2} s, {:?}", y0.len(), start.elapsed().as_secs_f64(), sol.stats);
    // Point (i, j) is at (x, y) = (i/m, j/m), u at state 2(i·m + j): rows y, columns x.
    let y_end = sol.last().ok_or("no state")?.1;
    let u: Vec<f64> = (0..m * m).map(|k| y_end[2 * ((k % m) * m + k / m)]).collect();
    plot::heatmap(&u, (m, m), (0.0..1.0, 0.0..1.0), ("x", "y"), "Brusselator 2-D: u at t = 1", "out/bruss2d_u.svg")?;
    Ok(())
}

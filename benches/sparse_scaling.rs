//! Growth with the grid: the periodic 2-D and 3-D Brusselators (BDF, rtol
//! = atol = 1e-6, t ∈ [0, 1]) with the Krylov path or the sparse LU, one
//! solve per size, its time, work and the process's peak memory — too long
//! for criterion's repetitions at the large sizes, so one process per row:
//!
//! `cargo bench --bench sparse_scaling -- 2d 32,64,128,256 krylov`
//! (`3d` for the 3-D grid, `sparse` for the LU; the sides are `m`, the
//! states `2m²` or `2m³`). docs/benchmarks.md §12 records its figures.

use odeon::models::{Brusselator2D, Brusselator3D};
use odeon::{Bdf, Linsolve, OdeSystem, Options, solve};
use std::time::Instant;

fn row<S: OdeSystem<Dim = nalgebra::Dyn>>(model: &S, y0: &[f64], p: &[f64], linsolve: Linsolve) -> Result<(), String> {
    let o = Options::default().rtol(1e-6).atol(1e-6).save_final().linsolve(linsolve);
    let start = Instant::now();
    let sol = solve(model, Bdf, (0.0, 1.0), y0, p, &o).map_err(|e| e.to_string())?;
    let s = sol.stats;
    println!(
        "{} states, {linsolve:?}: {:.3} s, {} steps, {} factorizations, {} Newton iterations, {} GMRES iterations, peak memory {}",
        y0.len(),
        start.elapsed().as_secs_f64(),
        s.accepted,
        s.factorizations,
        s.newton_iters,
        s.krylov_iters,
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

/// The process's peak resident set (`VmHWM`, Linux).
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some(status.lines().find(|l| l.starts_with("VmHWM:"))?.trim_start_matches("VmHWM:").trim().to_string())
}

fn main() -> Result<(), String> {
    // `cargo bench` appends `--bench`.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let (Some(dims), Some(sides)) = (args.first(), args.get(1)) else {
        println!("usage: cargo bench --bench sparse_scaling -- 2d|3d m[,m…] [krylov|sparse]");
        return Ok(());
    };
    let linsolve = match args.get(2).map(String::as_str) {
        Some("sparse") => Linsolve::Sparse,
        _ => Linsolve::Krylov,
    };
    for m in sides.split(',') {
        let m: usize = m.parse().map_err(|e| format!("side {m}: {e}"))?;
        match dims.as_str() {
            "3d" => {
                let model = Brusselator3D::new(m).map_err(|e| e.to_string())?;
                row(&model, &model.initial_state(), &Brusselator3D::PARAMS, linsolve)?;
            }
            _ => {
                let model = Brusselator2D::new(m).map_err(|e| e.to_string())?;
                row(&model, &model.initial_state(), &Brusselator2D::PARAMS, linsolve)?;
            }
        }
    }
    Ok(())
}

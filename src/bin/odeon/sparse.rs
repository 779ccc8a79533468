//! Tour section: a large stiff system on the sparse path.

use odeon::integrate::sparsity;
use odeon::models::Brusselator1D;
use odeon::{Bdf, Linsolve, OdeProblem, Options};
use std::error::Error;
use std::path::Path;
use std::time::Instant;

pub fn run(out: &Path) -> Result<(), Box<dyn Error>> {
    println!("\n8. Large stiff systems: Hairer's Brusselator by the method of lines, N = 500 (1000 states), BDF");
    let model = Brusselator1D::new(500)?;
    let y0 = model.initial_state();
    let p = Brusselator1D::PARAMS;
    let start = Instant::now();
    let pattern = sparsity(&model, 0.0, &y0, &p)?;
    println!(
        "   pattern of ∂f/∂y traced through the model's rhs in {:.2} ms: {} nonzeros of {} ({:.2}%)",
        start.elapsed().as_secs_f64() * 1e3,
        pattern.nnz(),
        y0.len() * y0.len(),
        100.0 * pattern.nnz() as f64 / (y0.len() * y0.len()) as f64
    );
    let problem = OdeProblem::new(&model, (0.0, 10.0), &y0, &p);
    let opts = Options::default().rtol(1e-6).atol(1e-6).save_final();
    let mut ends = Vec::new();
    for (name, linsolve) in [("sparse", Linsolve::Sparse), ("dense", Linsolve::Dense)] {
        let o = opts.clone().linsolve(linsolve);
        let start = Instant::now();
        let sol = problem.solve(Bdf, &o)?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "   {name:<6} {:>8.1} ms  {} steps, {} Jacobians ({}), {} factorizations",
            secs * 1e3,
            sol.stats.accepted,
            sol.stats.jac_evals,
            if sol.stats.jac_colors > 0 { format!("{} colors", sol.stats.jac_colors) } else { "dense".into() },
            sol.stats.factorizations
        );
        ends.push(sol.last().ok_or("empty solution")?.1.to_vec());
    }
    let diff = ends[0].iter().zip(&ends[1]).map(|(a, b)| ((a - b) / b).abs()).fold(0.0, f64::max);
    println!("   largest relative difference of the two end states: {diff:.1e}");
    #[cfg(feature = "plot")]
    {
        let times: Vec<f64> = (0..=50).map(|i| i as f64 * 0.2).collect();
        let sol = problem.solve(Bdf, &opts.clone().t_eval(times))?;
        let cols: Vec<usize> = (0..500).step_by(5).collect();
        let field: Vec<f64> = (0..sol.t.len())
            .flat_map(|k| cols.iter().map(move |&i| (k, i)))
            .map(|(k, i)| sol.state(k)[2 * i])
            .collect();
        let size = (sol.t.len(), cols.len());
        odeon::plot::heatmap(&field, size, (0.0..1.0, 0.0..10.2), ("x", "t"), "u(x, t)", out.join("bruss1d.png"))?;
        println!("   see bruss1d.png; example: brusselator (also the 2-D Brusselator, 8192 states)");
    }
    Ok(())
}

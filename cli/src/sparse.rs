//! Tour section: a large stiff system on the sparse path.

use num_dual::Dual64;
use odeon::fem::{HeatConduction, Quad8Mesh};
use odeon::integrate::sparsity;
use odeon::models::{Brusselator1D, Brusselator2D};
use odeon::{Bdf, Linsolve, OdeProblem, Options, solve, solve_dual};
use std::error::Error;
use std::path::Path;
use std::time::Instant;

pub fn run(out: &Path) -> Result<(), Box<dyn Error>> {
    println!("\n8. Large stiff systems: Hairer's Brusselator by the method of lines, N = 500 (1000 states), BDF;");
    println!("   transient heat conduction by finite elements");
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
        odeon::plot::heatmap(&field, size, (0.0..1.0, 0.0..10.2), ("x", "t"), "u(x, t)", out.join("bruss1d.svg"))?;
        println!("   see bruss1d.svg; example: brusselator (also the 2-D Brusselator, 8192 states)");
    }
    bruss2d()?;
    heat_plate(out)
}

/// The 2-D Brusselator: sparse LU against GMRES with algebraic multigrid.
fn bruss2d() -> Result<(), Box<dyn Error>> {
    let model = Brusselator2D::new(64)?;
    let y0 = model.initial_state();
    println!("   2-D Brusselator on a periodic 64 × 64 grid ({} states), BDF:", y0.len());
    let problem = OdeProblem::new(&model, (0.0, 1.0), &y0, &Brusselator2D::PARAMS);
    let mut ends = Vec::new();
    for (name, linsolve) in [("sparse LU", Linsolve::Sparse), ("Krylov", Linsolve::Krylov)] {
        let o = Options::default().rtol(1e-6).atol(1e-6).save_final().linsolve(linsolve);
        let start = Instant::now();
        let sol = problem.solve(Bdf, &o)?;
        let s = sol.stats;
        println!(
            "   {name:<9} {:>8.1} ms  {} steps, {} factorizations, {} Newton iterations, {} GMRES iterations",
            start.elapsed().as_secs_f64() * 1e3,
            s.accepted,
            s.factorizations,
            s.newton_iters,
            s.krylov_iters
        );
        ends.push(sol.last().ok_or("empty solution")?.1.to_vec());
    }
    let units = ends[0].iter().zip(&ends[1]).map(|(a, b)| (a - b).abs() / (1e-6 + 1e-6 * a.abs())).fold(0.0, f64::max);
    println!("   end states apart by {units:.1e} of the tolerance (Krylov is Auto's choice from 500 states)");
    Ok(())
}

/// Finite elements: a quad8 plate, its conductivity's exact sensitivity.
fn heat_plate(out: &Path) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let mesh = Quad8Mesh::rectangle((0.0, 2.0), (0.0, 1.0), 40, 20)?;
    let heat = HeatConduction::builder(mesh).fixed_temperature("left", 0.0).heat_flux("top").build()?;
    println!(
        "   finite elements: a 2 × 1 plate, {} quad8 elements ({} temperatures) assembled in parallel in {:.1} ms",
        heat.mesh().elements().len(),
        heat.n_states(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let (kappa, q, s) = (1.0, 1.0, 0.5);
    let probe = heat.probe([1.5, 0.5])?;
    let opts = Options::default().rtol(1e-8).atol(1e-10).save_final();
    let y0 = vec![0.0; heat.n_states()];
    let at = |k: f64| -> Result<f64, Box<dyn Error>> {
        let sol = solve(&heat, Bdf, (0.0, 1.0), &y0, &[k, q, s], &opts)?;
        Ok(probe.value(sol.last().ok_or("empty solution")?.1))
    };
    let start = Instant::now();
    let p = [Dual64::from(kappa).derivative(), Dual64::from(q), Dual64::from(s)];
    let y0d = vec![Dual64::from(0.0); heat.n_states()];
    let sol = solve_dual(&heat, Bdf, (0.0, 1.0), &y0d, &p, &opts)?;
    let dual_ms = start.elapsed().as_secs_f64() * 1e3;
    let end = sol.last().ok_or("empty solution")?.1;
    let u = probe.value(end);
    let h = 1e-4;
    let fd = (at(kappa + h)? - at(kappa - h)?) / (2.0 * h);
    println!(
        "   probe (1.5, 0.5) at t = 1: u = {:.6}, ∂u/∂κ = {:.6} (one dual solve, {dual_ms:.0} ms; central difference {fd:.6})",
        u.re, u.eps,
    );
    #[cfg(feature = "plot")]
    {
        let u_end: Vec<f64> = end.iter().map(|v| v.re).collect();
        let field = heat.sample(&u_end, (60, 120))?;
        let path = out.join("heat_plate.svg");
        odeon::plot::heatmap(&field.values, (60, 120), (field.x, field.y), ("x", "y"), "temperature at t = 1", path)?;
        println!("   see heat_plate.svg; example: heat_plate");
    }
    #[cfg(not(feature = "plot"))]
    let _ = out;
    Ok(())
}

//! Tour section: a model composed of parts.

use odeon::compose::blocks::{Lag, Pi, VanDerPolPi, van_der_pol_pi};
use odeon::models::ForcedVanDerPol;
use odeon::models::registry::Named;
use odeon::sensitivity::Wrt;
use odeon::signal::Driven;
use odeon::system::Model;
use odeon::{OdeProblem, Options, Tsit5};
use std::error::Error;
use std::path::Path;

pub fn run(out: &Path) -> Result<(), Box<dyn Error>> {
    println!("\n9. Composite models: Van der Pol's oscillator under PI control through a lagging actuator —");
    println!("   three subsystems wired output → input by name into one model");
    let closed = van_der_pol_pi().build_const::<4>()?;
    let names = closed.state_names();
    println!("   states {}; parameters {}", names.join(", "), closed.param_names().join(", "));
    let p =
        closed.params(&[("plant.mu", 1.0), ("controller.kp", 3.0), ("controller.ki", 1.0), ("actuator.tau", 0.2)])?;
    let x0 = [0.0; 4];
    let setpoint = 2.0;
    let held = Driven::new(&closed, vec![setpoint])?;
    let problem = OdeProblem::new(&held, (0.0, 30.0), &x0, &p);
    let t_eval: Vec<f64> = (0..=600).map(|i| 0.05 * i as f64).collect();
    let kp = closed.param_names().iter().position(|n| n == "controller.kp").ok_or("no controller.kp")?;
    // One solve: the trajectory and ∂x/∂kp along it.
    let opts = Options::default().rtol(1e-8).atol(1e-10).t_eval(t_eval);
    let s = problem.sensitivities(Tsit5, &[Wrt::Param(kp)], &opts)?;
    let (sol, dx_dkp) = (&s.solution, s.jacobians.last().ok_or("empty solution")?[(0, 0)]);
    let x_end = sol.last().ok_or("empty solution")?.1[0];
    println!(
        "   setpoint {setpoint}: x(30) = {x_end:.6} after {} steps; ∂x(30)/∂controller.kp = {dx_dkp:.3e} (dual numbers)",
        sol.stats.accepted
    );
    let columns: Vec<&str> = names.iter().map(String::as_str).collect();
    sol.write_csv(out.join("composite.csv"), &columns)?;
    #[cfg(feature = "plot")]
    {
        let series: Vec<(String, Vec<(f64, f64)>)> = [0, 3]
            .into_iter()
            .map(|i| (names[i].clone(), sol.t.iter().copied().zip(sol.component(i)).collect()))
            .collect();
        let title = "Van der Pol under PI control through an actuator (Tsit5)";
        odeon::plot::lines(out.join("composite.svg"), title, "t", "", &series)?;
    }
    // The same wiring declared with composite!: known when the program is
    // compiled, so it runs as the flat equations would.
    let wired = VanDerPolPi::new(ForcedVanDerPol, Pi, Lag)?;
    let wired_held = Driven::new(&wired, vec![setpoint])?;
    let wired_problem = OdeProblem::new(&wired_held, (0.0, 30.0), &x0, &p);
    let plain = Options::default().rtol(1e-8).atol(1e-10).save_final();
    let time = |f: &dyn Fn() -> Result<Vec<f64>, odeon::Error>| -> Result<(f64, Vec<f64>), odeon::Error> {
        let start = std::time::Instant::now();
        let mut y = Vec::new();
        for _ in 0..100 {
            y = f()?;
        }
        Ok((start.elapsed().as_secs_f64() * 1e4, y))
    };
    let (built_us, built_y) = time(&|| Ok(problem.solve(Tsit5, &plain)?.y))?;
    let (wired_us, wired_y) = time(&|| Ok(wired_problem.solve(Tsit5, &plain)?.y))?;
    println!(
        "   wired at compile time (odeon::composite!): the same bits: {}; {wired_us:.0} µs a solve against {built_us:.0} µs",
        wired_y == built_y
    );
    // The same wiring written as a file, read as a model (no Rust needed).
    let file = "examples/models/van_der_pol_pi.toml";
    // Relative to the repository (this crate's parent directory).
    let named = Named::resolve(file, std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")))?;
    let from_file = OdeProblem::new(&named, (0.0, 30.0), &x0, named.params()).solve(Tsit5, &plain)?;
    let in_rust = problem.solve(Tsit5, &plain)?;
    println!(
        "   the same wiring from {file} (subsystems by name, no Rust): x(30) = {:.6}, the same bits as in Rust: {}",
        from_file.y[0],
        from_file.y == in_rust.y
    );
    println!("   see composite.csv / composite.svg; examples: vdp_pi_control, cart_pole_composite, pk_infusion");
    Ok(())
}

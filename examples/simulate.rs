//! Define a model once, simulate it with two methods, save the results.
//!
//! Run: `cargo run --release --example simulate` (writes to `out/`).

use nalgebra::{Const, SVector};
use odeon::{DualScalar, Method, OdeProblem, OdeSystem, Options};
use std::error::Error;

/// The Brusselator: x' = a + x² y − (b + 1) x, y' = b x − x² y.
struct Brusselator;

impl OdeSystem for Brusselator {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        2
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
        let (a, b) = (p[0], p[1]);
        let x2y = y[0] * y[0] * y[1];
        dy[0] = a + x2y - (b + 1.0) * y[0];
        dy[1] = b * y[0] - x2y;
    }
    fn state_names(&self) -> Vec<String> {
        vec!["x".into(), "y".into()]
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let (y0, p) = ([1.5, 3.0], [1.0, 3.0]);
    // Save on a uniform grid through each method's dense output.
    let t_eval: Vec<f64> = (0..=400).map(|i| i as f64 * 0.05).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-10).t_eval(t_eval);
    let problem = OdeProblem::new(&Brusselator, (0.0, 20.0), &y0, &p);
    // Methods chosen by name at run time (`Method`); a method type such as
    // `odeon::Tsit5` compiles only its own stepper.
    for name in ["tsit5", "dop853"] {
        let method: Method = name.parse()?;
        let sol = problem.solve(method, &opts)?;
        let (t, y) = sol.last().unwrap();
        println!(
            "{method:<7} x({t}) = {:.10}, y = {:.10}: {} steps, {} evaluations",
            y[0], y[1], sol.stats.accepted, sol.stats.rhs_evals
        );
        let stem = format!("out/brusselator_{}", method.to_string().to_lowercase());
        sol.write_csv(format!("{stem}.csv"), &["x", "y"])?;
        sol.write_json(format!("{stem}.json"))?;
        #[cfg(feature = "plot")]
        odeon::plot::trajectory(
            &sol,
            &Brusselator.state_names(),
            &format!("Brusselator ({method})"),
            format!("{stem}.svg"),
        )?;
    }
    Ok(())
}

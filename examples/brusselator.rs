//! The 2-D Brusselator on a periodic grid by the method of lines: a large
//! stiff system solved with BDF on odeon's sparse path (the pattern of
//! ∂f/∂y traced from the model, a colored Jacobian, sparse LU).
//!
//! Run: `cargo run --release --example brusselator [m]` (grid m × m,
//! default 64: 8,192 states). Writes `out/brusselator.svg`.

use odeon::models::Brusselator2D;
use odeon::{Bdf, Options, solve};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let m: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(64);
    let model = Brusselator2D::new(m)?;
    let y0 = model.initial_state();
    let opts = Options::default().rtol(1e-6).atol(1e-6).t_eval(vec![0.0, 0.5, 1.0]);
    let start = Instant::now();
    let sol = solve(&model, Bdf, (0.0, 1.0), &y0, &Brusselator2D::PARAMS, &opts)?;
    println!("{} states, {:.3} s: {:?}", y0.len(), start.elapsed().as_secs_f64(), sol.stats);
    Ok(())
}

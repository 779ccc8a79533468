use odeon::models::Brusselator1D;
use odeon::{Bdf, Linsolve, Options, Rodas5P, solve};
fn main() {
    let m = Brusselator1D::new(500).unwrap();
    let y0 = m.initial_state();
    let o = Options::default().rtol(1e-6).atol(1e-6).save_final().linsolve(Linsolve::Sparse);
    let which = std::env::args().nth(1).unwrap_or_default();
    let t = std::time::Instant::now();
    let mut stats = None;
    for _ in 0..50 {
        let s = if which == "rodas" {
            solve(&m, Rodas5P, (0.0, 10.0), &y0, &Brusselator1D::PARAMS, &o).unwrap()
        } else {
            solve(&m, Bdf, (0.0, 10.0), &y0, &Brusselator1D::PARAMS, &o).unwrap()
        };
        stats = Some(s.stats);
    }
    println!("{:?} per solve {:?}", t.elapsed() / 50, stats);
}

use odeon::integrate::{Dopri5, solve_lanes};
use odeon::{Options, models::VanDerPol, solve};
fn main() {
    let n: usize = std::env::args().nth(2).map_or(2000, |s| s.parse().unwrap());
    let which = std::env::args().nth(1).unwrap_or("lanes".into());
    let inputs: Vec<([f64; 2], [f64; 1])> = (0..n)
        .map(|i| {
            let u = (i as f64 * 0.618033988749).fract();
            let v = (i as f64 * 0.41421356).fract();
            ([1.0 + 2.0 * u, 0.0], [0.5 + 1.5 * v])
        })
        .collect();
    let opts = Options::default().rtol(1e-6).atol(1e-6).save_final();
    let mut s = 0.0;
    let t0 = std::time::Instant::now();
    if which == "alone" {
        for (y0, p) in &inputs {
            s += solve(&VanDerPol, Dopri5, (0.0, 20.0), y0, p, &opts).unwrap().last().unwrap().1[0];
        }
    } else {
        let input = |k: usize| (&inputs[k].0[..], &inputs[k].1[..]);
        solve_lanes::<_, Dopri5, f64, 8>(&VanDerPol, (0.0, 20.0), &opts, n, &input, &mut |_k, r| {
            s += r.unwrap().last().unwrap().1[0];
        })
        .unwrap();
    }
    eprintln!("{which} {:?}", t0.elapsed());
    println!("{s}");
}

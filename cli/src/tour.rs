//! The built-in tour: what odeon does, in one run.

use odeon::models::{Lorenz, LotkaVolterra as LV, VanDerPol};
use odeon::sensitivity::{Wrt, solve_sensitivities};
use odeon::{Algorithm, Auto, Bdf, Dop853, Dopri5, Kvaerno5, Rodas4P, Rodas5P, Rosenbrock23, TrBdf2, Tsit5};
use odeon::{OdeSystem, Options, Solution, solve};
use std::error::Error;
use std::path::Path;
use std::time::Instant;

/// Reference end states (scipy DOP853 at rtol = atol = 1e-13, cross-checked
/// against diffrax Dopri8 at 1e-14; see tests/data/reference.json).
const VDP_END: [f64; 2] = [2.0081497621749387, -0.04250887527313421];
const LORENZ_END: [f64; 3] = [-4.902687541136661, -3.7438729218034874, 24.690858102794625];

pub fn run(out: &Path) -> Result<(), Box<dyn Error>> {
    println!("odeon tour: results in {}/\n", out.display());
    simulate(out)?;
    differentiate(out)?;
    fit(out)?;
    crate::ensemble::tour(out)?;
    crate::trajectory::run(out)?;
    stiff(out)?;
    crate::events::run(out)?;
    crate::sparse::run(out)?;
    crate::compose::run(out)?;
    crate::model_file::run(out)?;
    Ok(())
}

/// Time `f` over enough repetitions to fill ~50 ms; returns seconds per call.
pub(crate) fn time_per_call<T>(mut f: impl FnMut() -> T) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed().as_secs_f64() < 0.05 {
        std::hint::black_box(f());
        n += 1;
    }
    start.elapsed().as_secs_f64() / f64::from(n)
}

fn simulate(out: &Path) -> Result<(), Box<dyn Error>> {
    println!("1. Simulate: Van der Pol (mu = 1, t in [0, 20]) and Lorenz (t in [0, 10]), rtol = atol = 1e-8");
    println!(
        "   {:<12} {:<7} {:>6} {:>6} {:>7} {:>10} {:>10}",
        "problem", "method", "steps", "rej", "f evals", "error", "time"
    );
    let opts = Options::default().rtol(1e-8).atol(1e-8);
    let mut keep: Vec<(String, Solution, Vec<String>)> = Vec::new();
    // One method type at a time: each compiles only its own stepper.
    simulate_with(Dopri5, &opts, &mut keep)?;
    simulate_with(Tsit5, &opts, &mut keep)?;
    simulate_with(Dop853, &opts, &mut keep)?;
    for (stem, sol, names) in &keep {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        sol.write_json(out.join(format!("{stem}.json")))?;
        sol.write_csv(out.join(format!("{stem}.csv")), &names)?;
    }
    #[cfg(feature = "plot")]
    {
        let dense = Options::default().rtol(1e-8).atol(1e-8).t_eval((0..=2000).map(|i| i as f64 * 0.01).collect());
        let vdp = solve(&VanDerPol, Tsit5, (0.0, 20.0), &VanDerPol::Y0, &VanDerPol::PARAMS, &dense)?;
        odeon::plot::trajectory(
            &vdp,
            &VanDerPol.state_names(),
            "Van der Pol, mu = 1 (Tsit5, dense output)",
            out.join("van_der_pol.svg"),
        )?;
        let dense = Options::default().rtol(1e-10).atol(1e-10).t_eval((0..=5000).map(|i| i as f64 * 0.01).collect());
        let lorenz = solve(&Lorenz, Dop853, (0.0, 50.0), &Lorenz::Y0, &Lorenz::PARAMS, &dense)?;
        odeon::plot::phase(&lorenz, (0, 2), ("x", "z"), "Lorenz attractor (Dop853)", out.join("lorenz.svg"))?;
        println!("   plots: van_der_pol.svg, lorenz.svg");
        // Any plot path ending in .png renders PNG with the `png` feature
        // (`cargo run --release --features png`).
        #[cfg(feature = "png")]
        {
            odeon::plot::phase(&lorenz, (0, 2), ("x", "z"), "Lorenz attractor (Dop853)", out.join("lorenz.png"))?;
            println!("   and lorenz.png (the `png` feature)");
        }
    }
    println!("   solutions: <problem>_<method>.json and .csv\n");
    Ok(())
}

/// ∂(x, y)(10)/∂(a, b, c, d, x0, y0) of Lotka–Volterra from the variational
/// Section 1's two problems with one method: a row each, and the solutions
/// kept for the files.
fn simulate_with<A: Algorithm>(
    method: A,
    opts: &Options,
    keep: &mut Vec<(String, Solution, Vec<String>)>,
) -> Result<(), Box<dyn Error>> {
    let vdp = || solve(&VanDerPol, method, (0.0, 20.0), &VanDerPol::Y0, &VanDerPol::PARAMS, opts);
    let lorenz = || solve(&Lorenz, method, (0.0, 10.0), &Lorenz::Y0, &Lorenz::PARAMS, opts);
    for (name, sol, reference, secs, names) in [
        ("van_der_pol", vdp()?, &VDP_END[..], time_per_call(vdp), VanDerPol.state_names()),
        ("lorenz", lorenz()?, &LORENZ_END[..], time_per_call(lorenz), Lorenz.state_names()),
    ] {
        let (_, y) = sol.last().ok_or("empty solution")?;
        let err = y.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let s = sol.stats;
        println!(
            "   {name:<12} {:<7} {:>6} {:>6} {:>7} {err:>10.2e} {:>7.1} us",
            method.name(),
            s.accepted,
            s.rejected,
            s.rhs_evals,
            secs * 1e6
        );
        keep.push((format!("{name}_{}", method.name().to_lowercase()), sol, names));
    }
    Ok(())
}

/// equations (scipy DOP853 at 1e-12; tests/data/reference.json).
const LV_S10: [[f64; 6]; 2] = [
    [
        2.1605575235700494,
        0.1885687770767204,
        0.5631827941690644,
        0.9396512871558799,
        1.9659960547310529,
        0.18856877707671804,
    ],
    [
        -6.25677051722155,
        -0.6979775889883056,
        -1.7090176805980184,
        -2.743979155919444,
        -2.743979155919444,
        0.2117134891477949,
    ],
];

fn differentiate(out: &Path) -> Result<(), Box<dyn Error>> {
    println!(
        "2. Differentiate: Lotka–Volterra, exact sensitivities to (a, b, c, d, x0, y0) at 101 times, rtol = atol = 1e-8"
    );
    let t_eval: Vec<f64> = (0..=100).map(|i| i as f64 * 0.1).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(t_eval);
    let wrt = Wrt::all(&LV);
    let sens = || solve_sensitivities(&LV, Tsit5, (0.0, 10.0), &LV::Y0, &LV::PARAMS, &wrt, &opts);
    let plain = || solve(&LV, Tsit5, (0.0, 10.0), &LV::Y0, &LV::PARAMS, &opts);
    let s = sens()?;
    let (t_sens, t_plain) = (time_per_call(sens), time_per_call(plain));
    let jac = s.jacobians.last().ok_or("no saved times")?;
    let err = (0..2)
        .flat_map(|j| (0..6).map(move |c| (j, c)))
        .map(|(j, c)| (jac[(j, c)] - LV_S10[j][c]).abs())
        .fold(0.0, f64::max);
    println!(
        "   12 sensitivities x 101 times in {:.1} us ({:.1}x the f64 solve's {:.1} us); max error at t = 10: {err:.1e}",
        t_sens * 1e6,
        t_sens / t_plain,
        t_plain * 1e6
    );
    odeon::files::write_json(out.join("lv_sensitivities.json"), &s, false)?;
    #[cfg(feature = "plot")]
    {
        use odeon::plot::{Scale, sensitivities};
        let pairs: Vec<_> = (0..4).map(|k| (0, Wrt::Param(k))).collect();
        let scale = Scale::Normalized { p: &LV::PARAMS, y0: &LV::Y0 };
        sensitivities(
            &LV,
            &s,
            &pairs,
            scale,
            "Lotka–Volterra: normalized prey sensitivities",
            out.join("lv_sensitivity.svg"),
        )?;
        println!("   plot: lv_sensitivity.svg");
    }
    println!("   sensitivities: lv_sensitivities.json\n");
    Ok(())
}

/// The noisy Lotka–Volterra data of the peers' fitting benchmark
/// (examples/data/lv_noisy.csv), embedded so the tour runs anywhere.
const LV_NOISY: &str = include_str!("../../examples/data/lv_noisy.csv");

fn fit(out: &Path) -> Result<(), Box<dyn Error>> {
    use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Multistart, Parameter, States, multistart};
    println!("3. Fit: Lotka–Volterra (a, b, c, d) to 20 noisy observations of both populations");
    let rows: Vec<Vec<f64>> =
        LV_NOISY.lines().skip(1).map(|l| l.split(',').map(|v| v.parse()).collect()).collect::<Result<_, _>>()?;
    let t = rows.iter().map(|r| r[0]).collect();
    let values = rows.iter().flat_map(|r| [r[1], r[2]]).collect();
    let mut problem = FitProblem::new(&LV, Dopri5, States(vec![0, 1]))
        .options(Options::default().rtol(1e-10).atol(1e-10))
        .experiment(Experiment::new("predator-prey", &[1.0, 1.0], Data::new(t, values)?));
    for (name, guess) in [("a", 1.0), ("b", 0.5), ("c", 2.0), ("d", 0.5)] {
        problem = problem.parameter(Parameter::new(name, guess).bounds(0.1, 5.0));
    }
    let start = Instant::now();
    let ms = multistart(&problem, &FitOptions::default(), &Multistart { starts: 32, seed: 2026, progress: true })?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "   32-start multistart (Levenberg–Marquardt, exact Jacobians) in {:.0} ms: {} distinct optima",
        secs * 1e3,
        ms.optima.len()
    );
    println!(
        "   global minimum ½Σr² = {:.7} (scipy's reference 0.0285344), local one at {:.4}",
        ms.best.cost,
        ms.optima.get(1).map_or(f64::NAN, |o| o.cost)
    );
    for line in ms.best.to_string().lines().skip(1).take(5) {
        println!("   {line}");
    }
    odeon::files::write_json(out.join("fit_report.json"), &ms.best, true)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::fit_curves(&problem, &ms.best, 0, out.join("fit_lotka_volterra.svg"))?;
        println!("   plot: fit_lotka_volterra.svg");
    }
    println!("   report: fit_report.json\n");
    Ok(())
}

/// Robertson at t = 1e11 (scipy Radau at rtol 1e-12, cross-checked with
/// CVODES; tests/data/stiff_reference.json).
const ROBERTSON_END: [f64; 3] = [2.0833401505107317e-08, 8.333360773572491e-14, 0.9999999791665203];

fn stiff(out: &Path) -> Result<(), Box<dyn Error>> {
    use odeon::models::Robertson;
    println!("\n6. Stiff: Robertson's kinetics (rates 0.04, 3e7, 1e4) from t = 0 to 1e11, rtol = 1e-8, atol = 1e-14");
    // Rosenbrock23, an order-2 method, takes ~200,000 steps at this
    // tolerance: more than the default `max_steps`.
    let opts = Options::default().rtol(1e-8).atol(1e-14).save_final().max_steps(1_000_000);
    let (y0, p) = (Robertson::Y0, Robertson::PARAMS);
    match solve(&Robertson, Dopri5, (0.0, 1e11), &y0, &p, &opts) {
        Err(e) => println!("   Dopri5: {e}"),
        Ok(_) => println!("   Dopri5 finished (unexpectedly)"),
    }
    println!(
        "   {:<13} {:>6} {:>5} {:>9} {:>5} {:>10} {:>10}",
        "method", "steps", "rej", "Jacobians", "LUs", "rel. error", "time"
    );
    stiff_row(Rosenbrock23, &opts)?;
    stiff_row(Rodas4P, &opts)?;
    stiff_row(Rodas5P, &opts)?;
    stiff_row(TrBdf2, &opts)?;
    stiff_row(Kvaerno5, &opts)?;
    stiff_row(Bdf, &opts)?;
    stiff_row(Auto, &opts)?;
    let t_eval: Vec<f64> = (0..=170).map(|i| 10f64.powf(-6.0 + i as f64 / 10.0)).collect();
    let sol =
        solve(&Robertson, Rodas5P, (0.0, 1e11), &y0, &p, &Options::default().rtol(1e-8).atol(1e-14).t_eval(t_eval))?;
    sol.write_csv(out.join("robertson.csv"), &["y1", "y2", "y3"])?;
    #[cfg(feature = "plot")]
    {
        let series: Vec<(String, Vec<(f64, f64)>)> = [("y1", 1.0), ("1e4 · y2", 1e4), ("y3", 1.0)]
            .iter()
            .enumerate()
            .map(|(j, (name, scale))| {
                (name.to_string(), sol.t.iter().zip(sol.component(j)).map(|(t, y)| (t.log10(), scale * y)).collect())
            })
            .collect();
        odeon::plot::lines(out.join("robertson.svg"), "Robertson (Rodas5P)", "log10 t", "concentration", &series)?;
    }
    println!("   Jacobians come from dual numbers through the model's own rhs; BDF, Kvaerno5 and TR-BDF2 reuse one");
    println!("   factorization over many steps; see robertson.csv / robertson.svg");
    Ok(())
}

/// One row of section 6: Robertson to 1e11 with `method`.
fn stiff_row<A: Algorithm>(method: A, opts: &Options) -> Result<(), Box<dyn Error>> {
    use odeon::models::Robertson;
    let (y0, p) = (Robertson::Y0, Robertson::PARAMS);
    let run = || solve(&Robertson, method, (0.0, 1e11), &y0, &p, opts);
    let sol = run()?;
    let (_, y) = sol.last().ok_or("empty solution")?;
    let err = y.iter().zip(ROBERTSON_END).map(|(a, b)| ((a - b) / b).abs()).fold(0.0, f64::max);
    let s = sol.stats;
    let secs = time_per_call(run);
    println!(
        "   {:<13} {:>6} {:>5} {:>9} {:>5} {err:>10.2e} {:>7.2} ms",
        method.name(),
        s.accepted,
        s.rejected,
        s.jac_evals,
        s.factorizations,
        secs * 1e3
    );
    Ok(())
}

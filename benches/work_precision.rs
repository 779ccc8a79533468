//! Work-precision diagrams for the stiff problems of the peers' W6
//! (Robertson to t = 40 and 1e11, Hairer's scaled Van der Pol, HIRES):
//! odeon's Rosenbrock, BDF and ESDIRK methods over a sweep of tolerances against
//! the peers' points, error at the end time against time per solve.
//!
//! Run: `cargo bench --bench work_precision` (about 20 s). Prints a table per problem,
//! then each peer row against Rodas5P, BDF and Kvaerno5 at the same error (their
//! times interpolated log–log along their curves), and writes
//! `out/work_precision_<problem>.svg`.
//!
//! The error is the peers' own measure: max over components of
//! |y − y_ref| / |y_ref| at the end time, against scipy Radau at 1e-12
//! (`tests/data/stiff_reference.json`). The peers' points
//! (`benches/data/w6_peers.json`) come from their script `w6_stiff.py`,
//! run on this machine beside this bench; their times are only comparable
//! with odeon's from the same machine and day (see `docs/benchmarks.md`).

use odeon::models::{Hires, Robertson, StiffVanDerPol};
use odeon::{Algorithm, Bdf, Kvaerno5, OdeProblem, OdeSystem, Options, Rodas4P, Rodas5P, Rosenbrock23, TrBdf2};
use serde_json::Value;
use std::hint::black_box;
use std::time::Instant;

/// One point of a diagram: time per solve (ms) and the error at the end.
#[derive(Clone, Copy)]
struct Point {
    ms: f64,
    err: f64,
}

/// A labelled curve (odeon's methods) or pair of points (a peer).
struct Curve {
    label: String,
    points: Vec<Point>,
}

/// Median over 7 batches of the time per call, each batch at least 10 ms.
fn time_ms(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-7);
    let reps = ((0.01 / once).ceil() as usize).max(1);
    let mut batches: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[3] * 1e3
}

fn rel_error(y: &[f64], y_ref: &[f64]) -> f64 {
    y.iter().zip(y_ref).map(|(a, b)| ((a - b) / b).abs()).fold(0.0, f64::max)
}

/// `method` over `rtol = 1e-2 … min_rtol` (a decade apart), `atol = rtol · atol_ratio`.
fn sweep<S, A>(problem: &OdeProblem<'_, S>, method: A, y_ref: &[f64], atol_ratio: f64, min_rtol: f64) -> Curve
where
    S: OdeSystem,
    A: Algorithm,
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<S::Dim>,
{
    let mut points = Vec::new();
    for k in 2..=11 {
        let rtol = 10f64.powi(-k);
        if rtol < min_rtol {
            break;
        }
        let opts = Options::default().rtol(rtol).atol(rtol * atol_ratio).save_final().max_steps(10_000_000);
        let Ok(sol) = problem.solve(method, &opts) else { continue };
        let err = rel_error(sol.last().expect("save_final keeps the end").1, y_ref);
        let ms = time_ms(|| {
            black_box(problem.solve(method, &opts).ok());
        });
        points.push(Point { ms, err });
    }
    Curve { label: format!("odeon {}", method.name()), points }
}

/// A curve's time at the error `err`, interpolated log–log between the two
/// points of its curve around it (None outside the curve).
fn time_at_error(curve: &Curve, err: f64) -> Option<f64> {
    let mut pts: Vec<Point> = curve.points.clone();
    pts.sort_by(|a, b| b.err.total_cmp(&a.err));
    pts.windows(2).find(|w| w[0].err >= err && err >= w[1].err).map(|w| {
        let (a, b) = (w[0], w[1]);
        let s = (err.ln() - a.err.ln()) / (b.err.ln() - a.err.ln());
        (a.ms.ln() + s * (b.ms.ln() - a.ms.ln())).exp()
    })
}

/// The peers' successful rows for `problem`, one curve per tool and method.
fn peers(all: &Value, problem: &str) -> Vec<Curve> {
    let mut curves: Vec<Curve> = Vec::new();
    for row in all["rows"].as_array().into_iter().flatten().filter(|r| r["problem"] == problem) {
        let (Some(ms), Some(err)) = (row["median_ms"].as_f64(), row["err_rel_max"].as_f64()) else { continue };
        let label = short_label(row["tool"].as_str().unwrap_or("?"), row["method"].as_str().unwrap_or("?"));
        match curves.iter_mut().find(|c| c.label == label) {
            Some(c) => c.points.push(Point { ms, err }),
            None => curves.push(Curve { label, points: vec![Point { ms, err }] }),
        }
    }
    curves
}

/// "scipy.solve_ivp" + "LSODA [analytic_jac]" → "scipy LSODA": the tool
/// and the method, with the linear-algebra back end only where a tool has
/// two and the retry option of a rescued run.
fn short_label(tool: &str, method: &str) -> String {
    let tool = match tool {
        "scipy.solve_ivp" => "scipy",
        "casadi.integrator" => "CasADi",
        "libroadrunner" => "roadrunner",
        "pydiffsol" => "diffsol",
        other => other,
    };
    let name = method.split(" [").next().unwrap_or(method).replace(" (stiff=True, BDF) via SBML", "");
    let mut label = format!("{tool} {name}");
    if method.contains("faer") {
        label.push_str(" (faer)");
    }
    if method.contains("max_nonlinear") {
        label.push_str(" (retry)");
    }
    label
}

fn report(name: &str, ours: &[Curve], theirs: &[Curve]) {
    println!("\n## {name}\n\n| solver | time per solve (ms) | rel. error at the end |\n|---|---|---|");
    for c in ours.iter().chain(theirs) {
        for p in &c.points {
            println!("| {} | {:.4} | {:.2e} |", c.label, p.ms, p.err);
        }
    }
    println!(
        "\nAgainst Rodas5P, BDF and Kvaerno5 at the same error:\n\n| peer | error | peer ms | Rodas5P ms | peer / Rodas5P | BDF ms | peer / BDF | Kvaerno5 ms | peer / Kvaerno5 |\n|---|---|---|---|---|---|---|---|---|"
    );
    let at = |curve: &Curve, p: &Point| match time_at_error(curve, p.err) {
        Some(t) => format!("{t:.4} | {:.1}×", p.ms / t),
        None => "outside the sweep | —".to_string(),
    };
    for c in theirs {
        for p in &c.points {
            let (r, b, k) = (at(&ours[0], p), at(&ours[1], p), at(&ours[2], p));
            println!("| {} | {:.2e} | {:.4} | {r} | {b} | {k} |", c.label, p.err, p.ms);
        }
    }
    #[cfg(feature = "plot")]
    {
        let series: Vec<(String, Vec<(f64, f64)>)> = ours
            .iter()
            .chain(theirs)
            .map(|c| (c.label.clone(), c.points.iter().map(|p| (p.ms.log10(), p.err.log10())).collect()))
            .collect();
        let path = format!("out/work_precision_{name}.svg");
        let title = format!("{name}: work-precision");
        match odeon::plot::lines(&path, &title, "log10 time per solve (ms)", "log10 max relative error", &series) {
            Ok(()) => println!("\nwrote {path}"),
            Err(e) => eprintln!("{path}: {e}"),
        }
    }
}

fn problem_ref(refs: &Value, name: &str) -> Vec<f64> {
    refs["problems"][name]["y_end"].as_array().expect("reference y_end").iter().filter_map(Value::as_f64).collect()
}

fn main() {
    std::fs::create_dir_all("out").expect("out/ is writable");
    let refs: Value = serde_json::from_str(include_str!("../tests/data/stiff_reference.json")).expect("valid JSON");
    let peer_rows: Value = serde_json::from_str(include_str!("data/w6_peers.json")).expect("valid JSON");
    let rob40 = OdeProblem::new(&Robertson, (0.0, 40.0), &Robertson::Y0, &Robertson::PARAMS);
    let rob11 = OdeProblem::new(&Robertson, (0.0, 1e11), &Robertson::Y0, &Robertson::PARAMS);
    let vdpol = OdeProblem::new(&StiffVanDerPol, (0.0, 2.0), &StiffVanDerPol::Y0, &StiffVanDerPol::PARAMS);
    let hires = OdeProblem::new(&Hires, (0.0, 321.8122), &Hires::Y0, &Hires::PARAMS);
    macro_rules! diagram {
        ($name:literal, $problem:expr, $atol_ratio:expr) => {{
            let y_ref = problem_ref(&refs, $name);
            // Rosenbrock23 and TR-BDF2 (order 2) only down to 1e-7: below,
            // their steps run into the hundreds of thousands (their error
            // test tightens below 1e-4 and 1e-2 to keep the global error
            // proportional to the tolerance, so 1e-7 reaches what 1e-8
            // did before).
            let ours = vec![
                sweep(&$problem, Rodas5P, &y_ref, $atol_ratio, 1e-11),
                sweep(&$problem, Bdf, &y_ref, $atol_ratio, 1e-11),
                sweep(&$problem, Kvaerno5, &y_ref, $atol_ratio, 1e-11),
                sweep(&$problem, TrBdf2, &y_ref, $atol_ratio, 1e-7),
                sweep(&$problem, Rodas4P, &y_ref, $atol_ratio, 1e-11),
                sweep(&$problem, Rosenbrock23, &y_ref, $atol_ratio, 1e-7),
            ];
            report($name, &ours, &peers(&peer_rows, $name));
        }};
    }
    // W6's tolerance pairs: atol = 1e-4 · rtol for Robertson and HIRES,
    // atol = rtol for Van der Pol.
    diagram!("robertson_t40", rob40, 1e-4);
    diagram!("robertson_t1e11", rob11, 1e-4);
    diagram!("vdpol", vdpol, 1.0);
    diagram!("hires", hires, 1e-4);
}

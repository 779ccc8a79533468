//! Plots of trajectory-optimization results.

use super::{Canvas, SIZE, draw_lines, frame, lines, padded_range};
use crate::Error;
use crate::ocp::{OcpSolution, Refined, SimulationCheck};
use std::path::Path;

/// Plot the states of a trajectory-optimization solution against time, one
/// line per state (the collocation nodes), and, when given, the
/// re-integrated states of [`OcpSolution::simulate`] as a second line per
/// state ("… (simulated)").
///
/// # Errors
/// [`Error::DimensionMismatch`] if `names` does not have one entry per
/// state; [`Error::Io`] if the file cannot be written.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::Brachistochrone, Collocation, SqpOptions, Transcription};
/// use odeon::{plot, system::Model};
/// let t = Transcription::GaussLobatto { segments: 10, order: 3 };
/// let sol = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)?.solve(&SqpOptions::default())?;
/// let sim = sol.simulate(&Brachistochrone)?;
/// let path = std::env::temp_dir().join("odeon-doc-brach-states.svg");
/// plot::ocp_states(&sol, Some(&sim), &Brachistochrone.state_names(), "Brachistochrone", &path)?;
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn ocp_states(
    sol: &OcpSolution,
    sim: Option<&SimulationCheck>,
    names: &[String],
    title: &str,
    path: impl AsRef<Path>,
) -> Result<(), Error> {
    let n = sol.timeseries.states.first().map_or(0, Vec::len);
    if names.len() != n {
        return Err(Error::DimensionMismatch { what: "state names", expected: n, got: names.len() });
    }
    let mut series: Vec<(String, Vec<(f64, f64)>)> =
        (0..n).map(|k| (names[k].clone(), sol.timeseries.state(k))).collect();
    if let Some(sim) = sim {
        for (k, name) in names.iter().enumerate() {
            let pts = sim.time.iter().zip(&sim.states).map(|(&t, x)| (t, x[k])).collect();
            series.push((format!("{name} (simulated)"), pts));
        }
    }
    lines(path, title, "t", "state", &series)
}

/// Plot the controls of a solution against time, one line per control.
///
/// # Errors
/// As [`ocp_states`].
///
/// # Example
/// ```
/// use odeon::ocp::{problems::DoubleIntegrator, Collocation, SqpOptions, Transcription};
/// use odeon::{plot, system::Model};
/// let t = Transcription::Radau { segments: 10, order: 3 };
/// let sol = Collocation::new(&DoubleIntegrator, &DoubleIntegrator::phase(), t)?.solve(&SqpOptions::default())?;
/// let path = std::env::temp_dir().join("odeon-doc-di-controls.svg");
/// plot::ocp_controls(&sol, &DoubleIntegrator.input_names(), "Double integrator", &path)?;
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn ocp_controls(sol: &OcpSolution, names: &[String], title: &str, path: impl AsRef<Path>) -> Result<(), Error> {
    let n = sol.timeseries.controls.first().map_or(0, Vec::len);
    if names.len() != n {
        return Err(Error::DimensionMismatch { what: "control names", expected: n, got: names.len() });
    }
    let series: Vec<_> = (0..n).map(|c| (names[c].clone(), sol.timeseries.control(c))).collect();
    lines(path, title, "t", "control", &series)
}

/// Plot a mesh refinement's history in two panels: above, each grid's
/// estimated segment errors (log₁₀, at the segment midpoints, as
/// fractions of the phase), one line per grid, and the tolerance the last
/// grid was refined to as a line when it is given; below, each grid's
/// segment orders as steps over the phase (ph-refinement raises them
/// before it splits segments).
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::HyperSensitive, Collocation, Refinement, SqpOptions, Transcription};
/// let t = Transcription::Radau { segments: 10, order: 3 };
/// let r = Collocation::new(&HyperSensitive, &HyperSensitive::phase(10.0), t)?
///     .solve_refined(&SqpOptions::default(), &Refinement::default().tol(1e-3))?;
/// let path = std::env::temp_dir().join("odeon-doc-refinement.svg");
/// odeon::plot::refinement(&r, Some(1e-3), "Hyper-sensitive: refinement", &path)?;
/// let svg = std::fs::read_to_string(&path).unwrap();
/// assert!(svg.contains("<svg") && svg.contains("segment order"));
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn refinement(r: &Refined, tol: Option<f64>, title: &str, path: impl AsRef<Path>) -> Result<(), Error> {
    let path = path.as_ref();
    let label = |i: usize, step: &crate::ocp::RefinementStep| {
        let top = step.orders.iter().max().unwrap_or(&0);
        format!("grid {i}: {} segments, {} nodes, orders ≤ {top}", step.errors.len(), step.nodes)
    };
    let mut errors: Vec<(String, Vec<(f64, f64)>)> = r
        .history
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mid = step.segment_ends.windows(2).map(|w| 0.5 * (w[0] + w[1]));
            (label(i, step), mid.zip(&step.errors).map(|(m, e)| (m, e.max(1e-16).log10())).collect())
        })
        .collect();
    if let Some(tol) = tol {
        errors.push(("tolerance".into(), vec![(0.0, tol.log10()), (1.0, tol.log10())]));
    }
    // The same colours as above, unlabelled.
    let orders: Vec<(String, Vec<(f64, f64)>)> = r
        .history
        .iter()
        .map(|step| {
            let ends = step.segment_ends.windows(2).zip(&step.orders);
            (String::new(), ends.flat_map(|(w, &n)| [(w[0], n as f64), (w[1], n as f64)]).collect())
        })
        .collect();
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let mut canvas = Canvas::new(path)?;
    {
        let area = canvas.area()?;
        let (upper, lower) = area.split_vertically(SIZE.1 * 3 / 5);
        let ys = |s: &[(String, Vec<(f64, f64)>)]| padded_range(s.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
        let x = "fraction of the phase";
        let mut chart = frame(&upper, path, title, (0.0..1.0, ys(&errors)), (x, "log10 segment error"))?;
        draw_lines(&mut chart, &errors, path)?;
        let mut chart = frame(&lower, path, "", (0.0..1.0, ys(&orders)), (x, "segment order"))?;
        draw_lines(&mut chart, &orders, path)?;
        area.present().map_err(|e| io(&e))?;
    }
    canvas.finish()
}

//! Plots of trajectory-optimization results.

use super::lines;
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

/// Plot a mesh refinement's history: each grid's estimated segment errors
/// (log₁₀, at the segment midpoints, as fractions of the phase), one line
/// per grid, and the tolerance the last grid was refined to as a line
/// when it is given.
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
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn refinement(r: &Refined, tol: Option<f64>, title: &str, path: impl AsRef<Path>) -> Result<(), Error> {
    let mut series: Vec<(String, Vec<(f64, f64)>)> = r
        .history
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mid = step.segment_ends.windows(2).map(|w| 0.5 * (w[0] + w[1]));
            let pts = mid.zip(&step.errors).map(|(m, e)| (m, e.max(1e-16).log10())).collect();
            let top = step.orders.iter().max().unwrap_or(&0);
            (format!("grid {i}: {} segments, {} nodes, orders ≤ {top}", step.errors.len(), step.nodes), pts)
        })
        .collect();
    if let Some(tol) = tol {
        series.push(("tolerance".into(), vec![(0.0, tol.log10()), (1.0, tol.log10())]));
    }
    lines(path, title, "fraction of the phase", "log10 segment error", &series)
}

//! Sensitivity plots: `∂y_j/∂θ_k` over time, absolute or normalized.

use super::lines;
use crate::sensitivity::{Sensitivities, Wrt};
use crate::{Error, Model};
use std::path::Path;

/// How sensitivities are scaled on a plot.
#[derive(Clone, Copy, Debug)]
pub enum Scale<'a> {
    /// `∂y_j/∂θ_k` as computed.
    Absolute,
    /// `(θ_k / y_j) ∂y_j/∂θ_k`: the relative change of `y_j` per relative
    /// change of `θ_k`, comparable across parameters of different units.
    /// `θ_k` is read from `p` (parameters) or `y0` (initial states).
    Normalized {
        /// The parameter values of the solve.
        p: &'a [f64],
        /// The initial state of the solve.
        y0: &'a [f64],
    },
}

/// Plot `∂y_j/∂θ` over time for the `(j, θ)` pairs, labelled with the
/// system's state and parameter names.
///
/// # Errors
/// `Error::InvalidWrt` if a pair was not computed (or asks to normalize
/// by a time direction); `Error::Io` if the file cannot be written.
///
/// # Example
/// ```
/// use odeon::plot::{sensitivities, Scale};
/// use odeon::sensitivity::{solve_sensitivities, Wrt};
/// use odeon::{models::LotkaVolterra as LV, Method, Options};
/// let opts = Options::default().t_eval((0..=100).map(|i| i as f64 * 0.1).collect());
/// let s = solve_sensitivities(&LV, Method::Tsit5, (0.0, 10.0), &LV::Y0, &LV::PARAMS, &Wrt::all(&LV), &opts)?;
/// let path = std::env::temp_dir().join("odeon-doc-sens.svg");
/// let pairs = [(0, Wrt::Param(0)), (1, Wrt::Param(0))];
/// sensitivities(&LV, &s, &pairs, Scale::Normalized { p: &LV::PARAMS, y0: &LV::Y0 }, "LV", &path)?;
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn sensitivities<S: Model>(
    system: &S,
    sens: &Sensitivities,
    pairs: &[(usize, Wrt)],
    scale: Scale<'_>,
    title: &str,
    path: impl AsRef<Path>,
) -> Result<(), Error> {
    let (states, params) = (system.state_names(), system.param_names());
    let mut series = Vec::with_capacity(pairs.len());
    for (index, &(j, w)) in pairs.iter().enumerate() {
        let missing = || Error::InvalidWrt {
            index,
            reason: format!("no sensitivity of state {j} with respect to {w} was computed"),
        };
        let points = sens.series(j, w).ok_or_else(missing)?;
        let theta_name = match w {
            Wrt::Param(k) => params.get(k).cloned().unwrap_or_else(|| w.to_string()),
            Wrt::Y0(i) => format!("{}(t0)", states.get(i).cloned().unwrap_or_else(|| w.to_string())),
            Wrt::T0 => "t0".into(),
            Wrt::TEnd => "t1".into(),
        };
        let y_name = states.get(j).cloned().unwrap_or_else(|| format!("y{j}"));
        let (label, points) = match scale {
            Scale::Absolute => (format!("∂{y_name}/∂{theta_name}"), points),
            Scale::Normalized { p, y0 } => {
                let theta = match w {
                    Wrt::Param(k) => p.get(k).copied(),
                    Wrt::Y0(i) => y0.get(i).copied(),
                    Wrt::T0 | Wrt::TEnd => None,
                }
                .ok_or_else(|| Error::InvalidWrt { index, reason: format!("cannot normalize by {w}") })?;
                let scaled =
                    points.iter().zip(sens.solution.component(j)).map(|(&(t, s), y)| (t, theta / y * s)).collect();
                (format!("({theta_name}/{y_name}) ∂{y_name}/∂{theta_name}"), scaled)
            }
        };
        series.push((label, points));
    }
    let y_label = match scale {
        Scale::Absolute => "sensitivity",
        Scale::Normalized { .. } => "normalized sensitivity",
    };
    lines(path, title, "t", y_label, &series)
}

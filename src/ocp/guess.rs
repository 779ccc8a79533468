//! Initial guesses: linear between the phase's guesses, or a trajectory
//! (a user's, or a previous solution's for a warm start) interpolated onto
//! the nodes.

use super::Phase;
use super::collocation::Collocation;
use super::layout::Layout;
use super::problem::OptimalControl;
use super::solution::{OcpSolution, Timeseries};
use super::transcription::Grid;
use crate::Error;

/// Where the starting point comes from.
///
/// # Example
/// ```
/// use odeon::ocp::{Guess, Timeseries};
/// let ts = Timeseries {
///     time: vec![0.0, 1.0],
///     states: vec![vec![0.0], vec![1.0]],
///     controls: vec![vec![0.5], vec![0.5]],
///     control_rates: vec![vec![0.0], vec![0.0]],
/// };
/// let g = Guess::Trajectory { series: ts, params: None };
/// assert!(matches!(g, Guess::Trajectory { .. }));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Guess {
    /// Linear interpolation between each variable's initial and final
    /// guesses in the phase; time and parameters from the phase.
    #[default]
    Linear,
    /// States and controls interpolated (piecewise linearly in time) from
    /// a trajectory; initial time and duration from its first and last
    /// times; parameters given or from the phase.
    Trajectory {
        /// The trajectory (times non-decreasing).
        series: Timeseries,
        /// Parameter values (all of them), or `None` for the phase's.
        params: Option<Vec<f64>>,
    },
}

impl From<&OcpSolution> for Guess {
    /// A warm start from a previous solution (on any grid).
    fn from(s: &OcpSolution) -> Self {
        Guess::Trajectory { series: s.timeseries.clone(), params: Some(s.params.clone()) }
    }
}

/// Piecewise-linear interpolation in `time` (clamped at the ends), by
/// [`signal::bracket`](crate::signal::bracket).
pub(crate) fn interp(time: &[f64], value: impl Fn(usize) -> f64, t: f64) -> f64 {
    let (lo, hi, w) = crate::signal::bracket(time, t);
    value(lo) * (1.0 - w) + value(hi) * w
}

impl Guess {
    /// The scaled starting point of `c`, projected into the bounds.
    pub(crate) fn point<P: OptimalControl>(&self, c: &Collocation<'_, P>) -> Result<Vec<f64>, Error> {
        self.point_in(&c.phase, &c.grid, &c.layout, &c.scale, (&c.xl, &c.xu))
    }

    /// [`point`](Self::point) from the transcription's parts: compiled
    /// once, not once per problem type.
    fn point_in(
        &self,
        ph: &Phase,
        grid: &Grid,
        layout: &Layout,
        scale: &[f64],
        (lo, hi): (&[f64], &[f64]),
    ) -> Result<Vec<f64>, Error> {
        let (nx, nu) = (ph.states.len(), ph.controls.len());
        let nseg = grid.segments;
        let mut x = vec![0.0; scale.len()];
        let (t0, dur, params) = match self {
            Guess::Linear => (ph.time.initial, ph.time.duration, ph.params.iter().map(|p| p.value).collect()),
            Guess::Trajectory { series, params } => {
                series.check(nx, nu)?;
                let (a, b) = (series.time[0], series.time[series.time.len() - 1]);
                if b.partial_cmp(&a) != Some(std::cmp::Ordering::Greater) {
                    return Err(Error::InvalidOcp {
                        what: "guess trajectory".into(),
                        reason: "needs increasing times spanning a positive duration".into(),
                    });
                }
                let p = match params {
                    Some(p) if p.len() != ph.params.len() => {
                        return Err(Error::DimensionMismatch {
                            what: "guess params",
                            expected: ph.params.len(),
                            got: p.len(),
                        });
                    }
                    Some(p) => p.clone(),
                    None => ph.params.iter().map(|p| p.value).collect(),
                };
                (a, b - a, p)
            }
        };
        for s in 0..nseg {
            for j in 0..grid.seg(s).npn {
                let (phi, node) = (grid.frac(s, j), grid.node(s, j));
                let t = t0 + dur * phi;
                for k in 0..nx {
                    let v = layout.state[node * nx + k];
                    if v != usize::MAX {
                        x[v] = match self {
                            Guess::Linear => lerp(ph.states[k].guess, phi),
                            Guess::Trajectory { series, .. } => interp(&series.time, |i| series.states[i][k], t),
                        };
                    }
                }
                for k in 0..nu {
                    let v = layout.control[node * nu + k];
                    x[v] = match self {
                        Guess::Linear => lerp(ph.controls[k].guess, phi),
                        Guess::Trajectory { series, .. } => interp(&series.time, |i| series.controls[i][k], t),
                    };
                }
            }
        }
        let t = layout.t0;
        x[t] = t0;
        x[t + 1] = dur;
        x[t + 2..t + 2 + params.len()].copy_from_slice(&params);
        for (i, xi) in x.iter_mut().enumerate() {
            *xi = (*xi / scale[i]).clamp(lo[i], hi[i]);
        }
        Ok(x)
    }
}

fn lerp((a, b): (f64, f64), phi: f64) -> f64 {
    a + (b - a) * phi
}

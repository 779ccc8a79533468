//! Predicted observables on a fine grid, beside the measurements: what a
//! fit's plots draw.

use super::likelihood::source_value;
use super::{Petab, Settings, Transformation};
use crate::Error;
use serde::{Deserialize, Serialize};

/// One observable in one simulation: the prediction on a grid with its
/// noise band, and the measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// `observableId`.
    pub observable: String,
    /// The simulation condition (`preequilibration → condition` when
    /// preequilibrated).
    pub condition: String,
    /// Grid times.
    pub t: Vec<f64>,
    /// The observable at the grid times.
    pub value: Vec<f64>,
    /// The band of one noise σ around it (on the transformed scale for
    /// log-transformed observables, drawn back in linear scale).
    pub band: Vec<(f64, f64)>,
    /// Measurements `(t, m)` (steady-state measurements at the grid's end).
    pub data: Vec<(f64, f64)>,
}

impl Petab {
    /// The observables at `theta` on `points` times per simulation (from
    /// 0 to its last measurement), with the measurements. Placeholders
    /// take the values of the first measurement of each observable in each
    /// simulation.
    ///
    /// # Errors
    /// As [`log_likelihood`](Self::log_likelihood).
    pub fn predict(&self, theta: &[f64], settings: &Settings, points: usize) -> Result<Vec<Curve>, Error> {
        let linear = self.linear(theta)?;
        let mut curves = Vec::new();
        for sim in &self.simulations {
            let (p, x0) = self.initial(sim, &linear, settings)?;
            let t_end = sim.measurements.iter().map(|m| m.time).filter(|t| t.is_finite()).fold(0.0, f64::max);
            let n = points.max(2) - 1;
            let grid: Vec<f64> = (0..=n).map(|i| t_end * i as f64 / n as f64).collect();
            let states = self.solve_at(&x0, &p, &grid, settings)?;
            let condition = match &sim.preequilibration {
                Some((pre, _)) => format!("{pre} → {}", sim.condition),
                None => sim.condition.clone(),
            };
            for (k, o) in self.observables.iter().enumerate() {
                let Some(first) = sim.measurements.iter().find(|m| m.observable == k) else { continue };
                let mut pm = p.clone();
                for &(i, s) in &first.placeholders {
                    pm[i] = source_value(s, &linear);
                }
                let mut y = vec![0.0; 2 * self.observables.len()];
                let (mut value, mut band) = (Vec::new(), Vec::new());
                for (t, x) in grid.iter().zip(&states) {
                    self.model.outputs_at(*t, x, &pm, &mut y);
                    let (h, s) = (y[o.output], y[o.noise_output]);
                    value.push(h);
                    band.push(match o.transformation {
                        Transformation::Lin => (h - s, h + s),
                        Transformation::Log => (h * (-s).exp(), h * s.exp()),
                        Transformation::Log10 => (h * 10f64.powf(-s), h * 10f64.powf(s)),
                    });
                }
                let data = sim
                    .measurements
                    .iter()
                    .filter(|m| m.observable == k)
                    .map(|m| (if m.time.is_finite() { m.time } else { t_end }, m.value))
                    .collect();
                curves.push(Curve {
                    observable: o.id.clone(),
                    condition: condition.clone(),
                    t: grid.clone(),
                    value,
                    band,
                    data,
                });
            }
        }
        Ok(curves)
    }
}

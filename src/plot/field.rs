//! Fields on a grid as heat maps (a PDE's state, a space–time picture).

use super::{Canvas, frame};
use crate::Error;
use plotters::prelude::*;
use std::path::Path;

/// A heat map of `values` on a `rows × cols` grid (row-major: `values[r *
/// cols + c]` is the cell at `x` column `c`, `y` row `r`) spanning
/// `x_range × y_range`, colored from blue (smallest) through green to
/// yellow (largest, a viridis-like scale), with the value range in the
/// title.
///
/// # Errors
/// [`Error::DimensionMismatch`] if `values` does not hold `rows × cols`
/// entries; [`Error::Io`] if the file cannot be written.
///
/// # Example
/// ```
/// use odeon::plot;
/// let (rows, cols) = (20, 30);
/// let values: Vec<f64> = (0..rows * cols).map(|k| ((k / cols) as f64 * 0.3).sin() + (k % cols) as f64 * 0.05).collect();
/// let path = std::env::temp_dir().join("odeon-doc-heat.svg");
/// plot::heatmap(&values, (rows, cols), (0.0..1.0, 0.0..2.0), ("x", "y"), "a field", &path)?;
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
/// assert!(plot::heatmap(&values[1..], (rows, cols), (0.0..1.0, 0.0..2.0), ("x", "y"), "bad", &path).is_err());
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn heatmap(
    values: &[f64],
    (rows, cols): (usize, usize),
    (x_range, y_range): (std::ops::Range<f64>, std::ops::Range<f64>),
    labels: (&str, &str),
    title: &str,
    path: impl AsRef<Path>,
) -> Result<(), Error> {
    let path = path.as_ref();
    if values.len() != rows * cols {
        return Err(Error::DimensionMismatch { what: "heat map values", expected: rows * cols, got: values.len() });
    }
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let mut canvas = Canvas::new(path)?;
    {
        let area = canvas.area()?;
        let caption = format!("{title}  (min {lo:.4}, max {hi:.4})");
        let mut chart = frame(&area, path, &caption, (x_range.clone(), y_range.clone()), labels)?;
        let (dx, dy) = ((x_range.end - x_range.start) / cols as f64, (y_range.end - y_range.start) / rows as f64);
        let cells = (0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))).map(|(r, c)| {
            let v = values[r * cols + c];
            let fill = if v.is_finite() { scale((v - lo) / span) } else { RGBColor(255, 255, 255) };
            let (x0, y0) = (x_range.start + c as f64 * dx, y_range.start + r as f64 * dy);
            Rectangle::new([(x0, y0), (x0 + dx, y0 + dy)], fill.filled())
        });
        chart.draw_series(cells).map_err(|e| io(&e))?;
        area.present().map_err(|e| io(&e))?;
    }
    canvas.finish()
}

/// A viridis-like color for `s` in `[0, 1]` (piecewise linear through
/// five of viridis' colors).
fn scale(s: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] =
        [(68.0, 1.0, 84.0), (59.0, 82.0, 139.0), (33.0, 145.0, 140.0), (94.0, 201.0, 98.0), (253.0, 231.0, 37.0)];
    let s = s.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (s.floor() as usize).min(STOPS.len() - 2);
    let f = s - i as f64;
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

//! Plots with plotters, written as SVG (no system libraries needed).
//!
//! Every function takes an output path, creates its directory, and returns
//! `Error::Io` naming the file when drawing fails.

mod ocp;
mod sensitivity;

pub use ocp::{ocp_controls, ocp_states};
pub use sensitivity::{Scale, sensitivities};

use crate::{Error, Solution};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Size of every plot, in pixels.
const SIZE: (u32, u32) = (900, 600);

/// A color per series, cycling through plotters' palette.
fn color(i: usize) -> RGBColor {
    let p = Palette99::pick(i).to_rgba();
    RGBColor(p.0, p.1, p.2)
}

/// The range of `values` with 5% margins (a unit range around a constant).
pub(crate) fn padded_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return -1.0..1.0;
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 * lo.abs().max(1.0) };
    (lo - pad)..(hi + pad)
}

/// Open an SVG drawing area at `path` (creating its directory).
pub(crate) fn svg_area(path: &Path) -> Result<DrawingArea<SVGBackend<'_>, Shift>, Error> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let area = SVGBackend::new(path, SIZE).into_drawing_area();
    area.fill(&WHITE).map_err(|e| Error::io(path, e))?;
    Ok(area)
}

/// Draw one line per series `(label, points)` on shared axes (with a
/// legend unless every label is empty).
pub fn lines(
    path: impl AsRef<Path>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<(), Error> {
    let path = path.as_ref();
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let area = svg_area(path)?;
    let xs = padded_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
    let ys = padded_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
    let mut chart = ChartBuilder::on(&area)
        .caption(title, ("sans-serif", 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(xs, ys)
        .map_err(|e| io(&e))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(|e| io(&e))?;
    for (i, (label, points)) in series.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
            .map_err(|e| io(&e))?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    if series.iter().any(|(label, _)| !label.is_empty()) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| io(&e))?;
    }
    area.present().map_err(|e| io(&e))
}

/// Plot every state component of a solution against time.
///
/// # Example
/// ```
/// use odeon::{models::VanDerPol, plot, solve, Method, OdeSystem, Options};
/// let sol = solve(&VanDerPol, Method::Tsit5, (0.0, 20.0), &[2.0, 0.0], &[1.0], &Options::default())?;
/// let path = std::env::temp_dir().join("odeon-doc-vdp.svg");
/// plot::trajectory(&sol, &VanDerPol.state_names(), "Van der Pol", &path)?;
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn trajectory(sol: &Solution, names: &[String], title: &str, path: impl AsRef<Path>) -> Result<(), Error> {
    check_names(sol, names)?;
    let series: Vec<_> =
        (0..sol.n_states).map(|j| (names[j].clone(), sol.t.iter().copied().zip(sol.component(j)).collect())).collect();
    lines(path, title, "t", "state", &series)
}

/// Plot component `j` against component `i` (a phase portrait).
///
/// # Example
/// ```
/// use odeon::{models::Lorenz, plot, solve, Method, Options};
/// let sol = solve(&Lorenz, Method::Dop853, (0.0, 10.0), &Lorenz::Y0, &Lorenz::PARAMS, &Options::default())?;
/// let path = std::env::temp_dir().join("odeon-doc-lorenz.svg");
/// plot::phase(&sol, (0, 2), ("x", "z"), "Lorenz attractor", &path)?;
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn phase(
    sol: &Solution,
    (i, j): (usize, usize),
    (xi, xj): (&str, &str),
    title: &str,
    path: impl AsRef<Path>,
) -> Result<(), Error> {
    for c in [i, j] {
        if c >= sol.n_states {
            return Err(Error::DimensionMismatch { what: "phase-plot component", expected: sol.n_states, got: c + 1 });
        }
    }
    let points = sol.component(i).zip(sol.component(j)).collect();
    lines(path, title, xi, xj, &[(String::new(), points)])
}

fn check_names(sol: &Solution, names: &[String]) -> Result<(), Error> {
    if names.len() != sol.n_states {
        return Err(Error::DimensionMismatch { what: "state names", expected: sol.n_states, got: names.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_padded_and_never_empty() {
        let r = padded_range([0.0, 10.0].into_iter());
        assert!(r.start < 0.0 && r.end > 10.0);
        let r = padded_range([3.0, 3.0].into_iter());
        assert!(r.start < 3.0 && r.end > 3.0);
        let r = padded_range([f64::NAN].into_iter());
        assert_eq!(r, -1.0..1.0);
    }

    #[test]
    fn unwritable_path_is_an_io_error() {
        let mut sol = Solution::new(1);
        sol.push(0.0, [1.0]);
        sol.push(1.0, [2.0]);
        let file = std::env::temp_dir().join(format!("odeon-plot-file-{}", std::process::id()));
        std::fs::write(&file, "").unwrap();
        // A path below a regular file cannot be created.
        let e = trajectory(&sol, &["y".into()], "t", file.join("x.svg")).unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");
        std::fs::remove_file(file).ok();
    }
}

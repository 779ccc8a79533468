//! Plots with plotters, written as SVG, or — with the `png` feature — as
//! PNG when the path ends in `.png` (rendered by resvg with an embedded
//! font: no system libraries). Without the feature a `.png` path is
//! `Error::InvalidOption`.
//!
//! Every function takes an output path, creates its directory, and returns
//! `Error::Io` naming the file when drawing fails.

mod ensemble;
mod field;
mod fit;
mod ocp;
mod sensitivity;

pub use ensemble::{fan_chart, histogram};
pub use field::heatmap;
pub use fit::{fit_curves, fit_residuals, petab_observable};
pub use ocp::{ocp_controls, ocp_states, refinement};
pub use sensitivity::{Scale, sensitivities};

use crate::{Error, Solution};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Size of every plot, in pixels.
pub(crate) const SIZE: (u32, u32) = (900, 600);

/// A color per series, cycling through plotters' palette.
pub(crate) fn color(i: usize) -> RGBColor {
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

/// DejaVu Sans (a subset: Latin, Greek, mathematical symbols) for PNG
/// output; see assets/LICENSE-DejaVu.txt.
#[cfg(feature = "png")]
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans-subset.ttf");

/// Where a plot is drawn: SVG, or, for a path ending in `.png`, the same
/// SVG rendered to PNG by resvg with the embedded font.
pub(crate) struct Canvas {
    path: PathBuf,
    svg: String,
}

impl Canvas {
    /// A canvas for `path` (its directory is created).
    ///
    /// # Errors
    /// A `.png` path without the `png` feature is
    /// [`Error::InvalidOption`]; a directory that cannot be created,
    /// [`Error::Io`].
    pub(crate) fn new(path: &Path) -> Result<Self, Error> {
        if is_png(path) && cfg!(not(feature = "png")) {
            return Err(png_refused(path));
        }
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        Ok(Canvas { path: path.to_path_buf(), svg: String::new() })
    }

    /// The drawing area, filled white.
    pub(crate) fn area(&mut self) -> Result<DrawingArea<SVGBackend<'_>, Shift>, Error> {
        let area = SVGBackend::with_string(&mut self.svg, SIZE).into_drawing_area();
        area.fill(&WHITE).map_err(|e| Error::io(&self.path, e))?;
        Ok(area)
    }

    /// Write the file (after the area has been presented and dropped).
    pub(crate) fn finish(self) -> Result<(), Error> {
        // Without the `png` feature `new` refused a `.png` path.
        #[cfg(feature = "png")]
        if is_png(&self.path) {
            return self.render_png();
        }
        crate::files::write_atomic(&self.path, self.svg.as_bytes())
    }

    /// The SVG rendered to PNG with the embedded font.
    #[cfg(feature = "png")]
    fn render_png(self) -> Result<(), Error> {
        let io = |e: &dyn std::fmt::Display| Error::io(&self.path, e);
        let mut options = resvg::usvg::Options::default();
        let mut fonts = resvg::usvg::fontdb::Database::new();
        fonts.load_font_data(FONT.to_vec());
        fonts.set_sans_serif_family("DejaVu Sans");
        options.fontdb = std::sync::Arc::new(fonts);
        options.font_family = "DejaVu Sans".into();
        let tree = resvg::usvg::Tree::from_str(&self.svg, &options).map_err(|e| io(&e))?;
        let mut pixmap = resvg::tiny_skia::Pixmap::new(SIZE.0, SIZE.1).ok_or_else(|| io(&"empty image"))?;
        resvg::render(&tree, resvg::tiny_skia::Transform::identity(), &mut pixmap.as_mut());
        let png = pixmap.encode_png().map_err(|e| io(&e))?;
        crate::files::write_atomic(&self.path, &png)
    }
}

/// The error for a `.png` plot path without the `png` feature.
fn png_refused(path: &Path) -> Error {
    Error::InvalidOption {
        name: "plot path",
        reason: format!(
            "{}: PNG output needs odeon's `png` feature (features = [\"png\"]); \
             without it plots are written as SVG (a path ending in .svg)",
            path.display()
        ),
    }
}

/// Whether a plot path asks for PNG (its extension, in any case).
fn is_png(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"))
}

/// A chart on an SVG area, in the crate's style.
pub(crate) type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The crate's chart frame: caption, margins, a mesh with axis labels.
pub(crate) fn frame<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    path: &Path,
    title: &str,
    (xs, ys): (std::ops::Range<f64>, std::ops::Range<f64>),
    (x_label, y_label): (&str, &str),
) -> Result<Chart<'a, 'b>, Error> {
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let mut chart = ChartBuilder::on(area)
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
    Ok(chart)
}

/// Draw the legend of the labelled series.
pub(crate) fn legend<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    position: SeriesLabelPosition,
    path: &Path,
) -> Result<(), Error> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| Error::io(path, e))
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
    let mut canvas = Canvas::new(path)?;
    {
        let area = canvas.area()?;
        let xs = padded_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
        let ys = padded_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
        let mut chart = frame(&area, path, title, (xs, ys), (x_label, y_label))?;
        draw_lines(&mut chart, series, path)?;
        area.present().map_err(|e| io(&e))?;
    }
    canvas.finish()
}

/// Draw one line per series `(label, points)` on `chart`, with a legend
/// unless every label is empty.
pub(crate) fn draw_lines<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    series: &[(String, Vec<(f64, f64)>)],
    path: &Path,
) -> Result<(), Error> {
    for (i, (label, points)) in series.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
            .map_err(|e| Error::io(path, e))?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    if series.iter().any(|(label, _)| !label.is_empty()) {
        legend(chart, SeriesLabelPosition::UpperLeft, path)?;
    }
    Ok(())
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

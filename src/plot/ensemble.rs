//! Ensemble pictures: fan charts of the quantiles over time, histograms.

use super::{Canvas, color, padded_range};
use crate::Error;
use crate::ensemble::EnsembleSummary;
use plotters::prelude::*;
use std::path::Path;

/// A fan chart of component `j`: the median over the saved times with the
/// 50% (25–75%) and 90% (5–95%) bands, and the mean dashed.
///
/// # Example
/// ```
/// use odeon::ensemble::{Dist, Ensemble, Independent, Keep};
/// use odeon::{models::ExponentialDecay, plot, Method};
/// let s = Independent::new(vec![Dist::Fixed(1.0)], vec![Dist::Uniform { low: 0.5, high: 1.5 }])?;
/// let times: Vec<f64> = (0..=20).map(|i| i as f64 * 0.1).collect();
/// let summary = Ensemble::new(&ExponentialDecay, Method::Dopri5, (0.0, 2.0), s, 500).keep(Keep::At(times)).run()?;
/// let path = std::env::temp_dir().join("odeon-doc-fan.svg");
/// plot::fan_chart(&summary, 0, "decay", &path)?;
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn fan_chart(summary: &EnsembleSummary, j: usize, title: &str, path: impl AsRef<Path>) -> Result<(), Error> {
    let path = path.as_ref();
    let names = &summary.layout.names;
    if j >= names.len() {
        return Err(Error::DimensionMismatch { what: "fan-chart component", expected: names.len(), got: j + 1 });
    }
    let ts = &summary.layout.times;
    let stats: Vec<_> = (0..ts.len()).filter_map(|i| summary.stat(i, j).map(|s| (ts[i], s))).collect();
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let mut canvas = Canvas::new(path)?;
    {
        let area = canvas.area()?;
        let xs = padded_range(ts.iter().copied());
        let ys = padded_range(stats.iter().flat_map(|(_, s)| [s.quantiles[0], s.quantiles[4], s.mean]));
        let mut chart = ChartBuilder::on(&area)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(xs, ys)
            .map_err(|e| io(&e))?;
        chart.configure_mesh().x_desc("t").y_desc(names[j].as_str()).draw().map_err(|e| io(&e))?;
        let c = color(0);
        for ((lo, hi), alpha, label) in [((0, 4), 0.18, "5–95%"), ((1, 3), 0.38, "25–75%")] {
            let band: Vec<(f64, f64)> = stats
                .iter()
                .map(|(t, s)| (*t, s.quantiles[hi]))
                .chain(stats.iter().rev().map(|(t, s)| (*t, s.quantiles[lo])))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(band, c.mix(alpha).filled())))
                .map_err(|e| io(&e))?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], c.mix(alpha).filled()));
        }
        chart
            .draw_series(LineSeries::new(stats.iter().map(|(t, s)| (*t, s.quantiles[2])), c.stroke_width(2)))
            .map_err(|e| io(&e))?
            .label("median")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        let m = color(1);
        chart
            .draw_series(DashedLineSeries::new(stats.iter().map(|(t, s)| (*t, s.mean)), 6, 4, m.stroke_width(1)))
            .map_err(|e| io(&e))?
            .label("mean")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], m.stroke_width(1)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| io(&e))?;
        area.present().map_err(|e| io(&e))?;
    }
    canvas.finish()
}

/// A histogram of `values` in `bins` equal bins (non-finite values skipped).
///
/// # Example
/// ```
/// let values: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.37).sin()).collect();
/// let path = std::env::temp_dir().join("odeon-doc-hist.svg");
/// odeon::plot::histogram(&values, 30, "sin", "x", &path)?;
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn histogram(values: &[f64], bins: usize, title: &str, x_label: &str, path: impl AsRef<Path>) -> Result<(), Error> {
    let path = path.as_ref();
    if bins == 0 {
        return Err(Error::InvalidOption { name: "bins", reason: "must be at least 1".into() });
    }
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo < hi {
        (lo, hi)
    } else if lo.is_finite() {
        (lo - 0.5, lo + 0.5)
    } else {
        (0.0, 1.0)
    };
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u64; bins];
    for v in &finite {
        counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
    }
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let mut canvas = Canvas::new(path)?;
    {
        let area = canvas.area()?;
        let top = counts.iter().copied().max().unwrap_or(0) as f64 * 1.05 + 1.0;
        let mut chart = ChartBuilder::on(&area)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, 0.0..top)
            .map_err(|e| io(&e))?;
        chart.configure_mesh().x_desc(x_label).y_desc("count").draw().map_err(|e| io(&e))?;
        let c = color(0);
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &n)| {
                let x0 = lo + i as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, n as f64)], c.mix(0.6).filled())
            }))
            .map_err(|e| io(&e))?;
        area.present().map_err(|e| io(&e))?;
    }
    canvas.finish()
}

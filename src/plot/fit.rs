//! Fit plots: data with error bars, fitted curves with their 95% band, and
//! residuals.

use super::{Canvas, color, frame, legend, padded_range};
use crate::fit::{FitProblem, FitReport, Observable};
use crate::{Algorithm, Error, Model};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use plotters::prelude::*;
use std::path::Path;

/// Draw one experiment: its data (error bars of ±σ where given, else ±σ̂
/// from the residuals), the fitted observable on a fine grid and its 95%
/// confidence band from the covariance.
///
/// # Example
/// ```
/// use odeon::fit::{fit, Data, Experiment, FitOptions, FitProblem, Parameter, States};
/// use odeon::{models::ExponentialDecay, plot, Method};
/// let data = Data::new(vec![1.0, 2.0, 3.0, 4.0], vec![0.62, 0.36, 0.23, 0.13])?;
/// let problem = FitProblem::new(&ExponentialDecay, Method::Tsit5, States(vec![0]))
///     .parameter(Parameter::new("k", 1.0))
///     .experiment(Experiment::new("decay", &[1.0], data));
/// let report = fit(&problem, &FitOptions::default())?;
/// let path = std::env::temp_dir().join("odeon-doc-fit.svg");
/// plot::fit_curves(&problem, &report, 0, &path)?;
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn fit_curves<S, O, A>(
    problem: &FitProblem<'_, S, O, A>,
    report: &FitReport,
    experiment: usize,
    path: impl AsRef<Path>,
) -> Result<(), Error>
where
    S: Model,
    O: Observable + Clone,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    let path = path.as_ref();
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let exp = problem.experiments.get(experiment).ok_or_else(|| Error::InvalidData {
        experiment: format!("#{experiment}"),
        row: None,
        reason: "no such experiment".into(),
    })?;
    let (t0, t1) = (exp.t0, *exp.data.t.last().unwrap_or(&exp.t0));
    let grid: Vec<f64> = (0..=300).map(|i| t0 + (t1 - t0) * i as f64 / 300.0).collect();
    let pred = problem.predict(report, experiment, &grid)?;
    let n_out = pred.n_outputs;
    let names = problem.observable.names_for(problem.system);
    // Without degrees of freedom there is no σ̂ (no error bars without
    // given σ) and no band.
    let sigma_hat = report.reduced_chi2.map_or(0.0, f64::sqrt);
    let bar = |k: usize| exp.data.sigma.as_ref().map_or(sigma_hat, |s| s[k]);
    let half = |k: usize| pred.half_width.as_ref().map_or(0.0, |w| w[k]);
    let ys = padded_range(
        pred.mean
            .iter()
            .enumerate()
            .flat_map(|(k, m)| [m - half(k), m + half(k)])
            .chain(exp.data.values.iter().enumerate().flat_map(|(k, v)| [v - bar(k), v + bar(k)])),
    );
    let mut canvas = Canvas::new(path)?;
    {
        let area = canvas.area()?;
        let title = format!("{}: fit with 95% band", exp.name);
        let mut chart = frame(&area, path, &title, (padded_range([t0, t1].into_iter()), ys), ("t", "observed"))?;
        for j in 0..n_out {
            let c = color(j);
            let row = |i: usize| i * n_out + j;
            if pred.half_width.is_some() {
                let band: Vec<(f64, f64)> = (0..grid.len())
                    .map(|i| (grid[i], pred.mean[row(i)] + half(row(i))))
                    .chain((0..grid.len()).rev().map(|i| (grid[i], pred.mean[row(i)] - half(row(i)))))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.2).filled()))).map_err(|e| io(&e))?;
            }
            let name = names.get(j).cloned().unwrap_or_else(|| format!("h{j}"));
            chart
                .draw_series(LineSeries::new((0..grid.len()).map(|i| (grid[i], pred.mean[row(i)])), c.stroke_width(2)))
                .map_err(|e| io(&e))?
                .label(format!("{name} (fit)"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            let points: Vec<(f64, f64, f64)> = exp
                .data
                .t
                .iter()
                .enumerate()
                .filter_map(|(i, &t)| {
                    let k = i * n_out + j;
                    let v = exp.data.values[k];
                    (!v.is_nan()).then(|| (t, v, bar(k)))
                })
                .collect();
            chart
                .draw_series(points.iter().map(|&(t, v, s)| ErrorBar::new_vertical(t, v - s, v, v + s, c.filled(), 6)))
                .map_err(|e| io(&e))?
                .label(format!("{name} (data)"))
                .legend(move |(x, y)| Circle::new((x + 10, y), 3, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, path)?;
        area.present().map_err(|e| io(&e))?;
    }
    canvas.finish()
}

/// Draw the residuals of every experiment against time.
pub fn fit_residuals<S, O, A>(
    problem: &FitProblem<'_, S, O, A>,
    report: &FitReport,
    path: impl AsRef<Path>,
) -> Result<(), Error>
where
    S: Model,
    O: Observable,
    A: Algorithm,
{
    let path = path.as_ref();
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    // Times of the residuals, in the order they were formed.
    let n_out = problem.observable.n_outputs();
    let mut points: Vec<(usize, f64, f64)> = Vec::new();
    let mut k = 0;
    for (e, exp) in problem.experiments.iter().enumerate() {
        for (i, &t) in exp.data.t.iter().enumerate() {
            for j in 0..n_out {
                if !exp.data.values[i * n_out + j].is_nan() {
                    let r = report.residuals.get(k).copied().ok_or_else(|| Error::DimensionMismatch {
                        what: "report residuals",
                        expected: k + 1,
                        got: report.residuals.len(),
                    })?;
                    points.push((e, t, r));
                    k += 1;
                }
            }
        }
    }
    let mut canvas = Canvas::new(path)?;
    {
        let area = canvas.area()?;
        let ranges = (padded_range(points.iter().map(|p| p.1)), padded_range(points.iter().map(|p| p.2).chain([0.0])));
        let mut chart = frame(&area, path, "Residuals", ranges, ("t", "residual"))?;
        for (e, exp) in problem.experiments.iter().enumerate() {
            let c = color(e);
            chart
                .draw_series(points.iter().filter(|p| p.0 == e).map(|&(_, t, r)| Circle::new((t, r), 4, c.filled())))
                .map_err(|e| io(&e))?
                .label(exp.name.clone())
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, path)?;
        area.present().map_err(|e| io(&e))?;
    }
    canvas.finish()
}

/// Draw one PEtab observable: per simulation its predicted curve, the
/// band of one noise σ around it, and the measurements.
///
/// # Errors
/// [`Error::InvalidData`] when `curves` hold nothing of `observable`;
/// [`Error::Io`] when the file cannot be written.
pub fn petab_observable(
    curves: &[crate::import::petab::Curve],
    observable: &str,
    path: impl AsRef<Path>,
) -> Result<(), Error> {
    let path = path.as_ref();
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let mine: Vec<_> = curves.iter().filter(|c| c.observable == observable).collect();
    if mine.is_empty() {
        let reason = format!("no curve of observable `{observable}`");
        return Err(Error::InvalidData { experiment: observable.into(), row: None, reason });
    }
    let ts = padded_range(mine.iter().flat_map(|c| c.t.iter().copied().chain(c.data.iter().map(|d| d.0))));
    let ys = padded_range(
        mine.iter()
            .flat_map(|c| c.band.iter().flat_map(|b| [b.0, b.1]).chain(c.data.iter().map(|d| d.1)))
            .filter(|v| v.is_finite()),
    );
    let mut canvas = Canvas::new(path)?;
    {
        let area = canvas.area()?;
        let title = format!("{observable}: fit, ±σ noise band, data");
        let mut chart = frame(&area, path, &title, (ts, ys), ("t", observable))?;
        for (j, c) in mine.iter().enumerate() {
            let colour = color(j);
            let band: Vec<(f64, f64)> =
                c.t.iter()
                    .zip(&c.band)
                    .map(|(&t, b)| (t, b.1))
                    .chain(c.t.iter().zip(&c.band).rev().map(|(&t, b)| (t, b.0)))
                    .collect();
            chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15).filled()))).map_err(|e| io(&e))?;
            chart
                .draw_series(LineSeries::new(c.t.iter().copied().zip(c.value.iter().copied()), colour.stroke_width(2)))
                .map_err(|e| io(&e))?
                .label(c.condition.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
            chart
                .draw_series(c.data.iter().map(|&(t, m)| Circle::new((t, m), 3, colour.filled())))
                .map_err(|e| io(&e))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, path)?;
        area.present().map_err(|e| io(&e))?;
    }
    canvas.finish()
}

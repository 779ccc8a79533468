//! PEtab's log-likelihood, generic over the scalar: with `f64` its value,
//! with dual numbers seeded in the estimated parameters its gradient.

use super::problem::{Measurement, Setup, Simulation, Source};
use super::{Distribution, Petab, Settings, Transformation};
use crate::integrate::{Options, solve_dual};
use crate::scalar::Derivatives;
use crate::{DualScalar, Error};
use std::f64::consts::{LN_10, PI};

/// Directions per gradient pass.
const CHUNK: usize = 8;

impl Petab {
    /// The log-likelihood at `theta` (the estimated parameters on their
    /// scales, in the order of [`estimated`](Self::estimated)).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for a `theta` of the wrong length;
    /// an integration error; [`Error::NoSteadyState`] when a
    /// preequilibration does not settle; [`Error::InvalidPrediction`] for
    /// a prediction the noise model cannot take (e.g. the logarithm of a
    /// non-positive observable).
    pub fn log_likelihood(&self, theta: &[f64], settings: &Settings) -> Result<f64, Error> {
        self.llh(theta, settings)
    }

    /// The log-likelihood and its gradient with respect to `theta`, from
    /// forward sensitivities (dual numbers through the integration, in
    /// passes of 8 directions).
    ///
    /// # Errors
    /// As [`log_likelihood`](Self::log_likelihood); also
    /// [`Error::NonFiniteDerivative`]-like failures of the integration
    /// with derivatives.
    pub fn gradient(&self, theta: &[f64], settings: &Settings) -> Result<(f64, Vec<f64>), Error> {
        let mut gradient = vec![0.0; theta.len()];
        let mut value = None;
        for chunk in self.gradient_order.chunks(CHUNK) {
            let seeded = super::fit::seed::<CHUNK>(theta, chunk);
            let llh = self.llh(&seeded, settings)?;
            for (l, &j) in chunk.iter().enumerate() {
                gradient[j] = llh.eps_part(l);
            }
            value.get_or_insert(llh.re);
        }
        if value.is_none() {
            value = Some(self.llh(theta, settings)?);
        }
        Ok((value.unwrap_or(f64::NAN), gradient))
    }

    fn llh<D: DualScalar>(&self, theta: &[D], settings: &Settings) -> Result<D, Error> {
        let mut total = D::from(0.0);
        self.each_prediction(theta, settings, |m, h, sigma| {
            total += self.term(m, h, sigma)?;
            Ok(())
        })?;
        Ok(total)
    }

    /// Simulate every condition at `theta` (on the parameters' scales) and
    /// hand each measurement its predicted observable and noise.
    pub(super) fn each_prediction<D: DualScalar>(
        &self,
        theta: &[D],
        settings: &Settings,
        mut each: impl FnMut(&Measurement, D, D) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let linear = self.linear(theta)?;
        for sim in &self.simulations {
            self.simulate(sim, &linear, settings, &mut each)?;
        }
        Ok(())
    }

    /// The estimated parameters in linear scale.
    pub(super) fn linear<D: DualScalar>(&self, theta: &[D]) -> Result<Vec<D>, Error> {
        if theta.len() != self.estimated.len() {
            return Err(Error::DimensionMismatch {
                what: "theta (the estimated parameters)",
                expected: self.estimated.len(),
                got: theta.len(),
            });
        }
        Ok(theta.iter().zip(&self.estimated).map(|(&x, &k)| self.parameters[k].scale.unscale_with(x)).collect())
    }

    /// Simulate one condition and hand each measurement its predicted
    /// observable and noise.
    fn simulate<D: DualScalar>(
        &self,
        sim: &Simulation,
        linear: &[D],
        settings: &Settings,
        mut each: impl FnMut(&Measurement, D, D) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (p, x0) = self.initial(sim, linear, settings)?;
        let states: Vec<Vec<D>> = if p.iter().chain(&x0).all(|v| (0..D::N_EPS).all(|l| v.eps_part(l) == 0.0)) {
            // No derivative enters the trajectory: integrate in f64.
            let primal = |v: &[D]| v.iter().map(|v| v.re()).collect::<Vec<f64>>();
            let states = self.trajectory(sim, &primal(&x0), &primal(&p), settings)?;
            states.into_iter().map(|x| x.into_iter().map(D::from).collect()).collect()
        } else {
            self.trajectory(sim, &x0, &p, settings)?
        };
        let mut pm = p.clone();
        let mut y = vec![D::from(0.0); 2 * self.observables.len()];
        for (m, x) in sim.measurements.iter().zip(&states) {
            for &(k, s) in &m.placeholders {
                pm[k] = source_value(s, linear);
            }
            let t = D::from(if m.time.is_finite() { m.time } else { 0.0 });
            self.model.outputs_at(t, x, &pm, &mut y);
            let o = &self.observables[m.observable];
            each(m, y[o.output], y[o.noise_output])?;
        }
        Ok(())
    }

    /// The states at `times` (sorted, from 0), stopping at the model's
    /// time switches.
    pub(super) fn solve_at<D: DualScalar>(
        &self,
        x0: &[D],
        p: &[D],
        times: &[f64],
        settings: &Settings,
    ) -> Result<Vec<Vec<D>>, Error> {
        match times.last() {
            Some(&t_end) if t_end > 0.0 => {
                let primal: Vec<f64> = p.iter().map(|v| v.re()).collect();
                let mut switches = self.model.time_switches(&primal);
                switches.retain(|&t| t > 0.0 && t < t_end);
                let options = options(settings).t_eval(times.to_vec()).tstops(switches);
                let sol = solve_dual(&self.solvable, settings.method, (0.0, t_end), x0, p, &options)?;
                Ok((0..sol.len()).map(|i| sol.state(i).to_vec()).collect())
            }
            _ => Ok(vec![x0.to_vec(); times.len()]),
        }
    }

    /// A simulation's parameters and initial state (after its
    /// preequilibration, with its condition's overrides).
    pub(super) fn initial<D: DualScalar>(
        &self,
        sim: &Simulation,
        linear: &[D],
        settings: &Settings,
    ) -> Result<(Vec<D>, Vec<D>), Error> {
        let value = |s: Source| source_value(s, linear);
        let params = |setup: &Setup| -> Vec<D> { setup.params.iter().map(|&s| value(s)).collect() };
        let p = params(&sim.setup);
        let mut x0 = match &sim.preequilibration {
            Some((id, pre)) => {
                let pp = params(pre);
                let mut x = self.model.initial_state(&pp);
                override_initial(&mut x, pre, value);
                self.steady_state(id, x, &pp, settings)?
            }
            None => self.model.initial_state(&p),
        };
        override_initial(&mut x0, &sim.setup, value);
        Ok((p, x0))
    }

    /// The state at each measurement (in order; the steady state for
    /// `t = inf`).
    fn trajectory<D: DualScalar>(
        &self,
        sim: &Simulation,
        x0: &[D],
        p: &[D],
        settings: &Settings,
    ) -> Result<Vec<Vec<D>>, Error> {
        let mut times: Vec<f64> = sim.measurements.iter().map(|m| m.time).filter(|t| t.is_finite()).collect();
        times.dedup();
        let states = self.solve_at(x0, p, &times, settings)?;
        let steady = if sim.measurements.iter().any(|m| m.time.is_infinite()) {
            let from = states.last().map_or(x0, |x| x.as_slice()).to_vec();
            Some(self.steady_state(&sim.condition, from, p, settings)?)
        } else {
            None
        };
        Ok(sim
            .measurements
            .iter()
            .map(|m| match times.iter().position(|&t| t == m.time) {
                Some(i) => states[i].clone(),
                None => steady.clone().unwrap_or_else(|| x0.to_vec()),
            })
            .collect())
    }

    /// One measurement's log-likelihood.
    fn term<D: DualScalar>(&self, m: &Measurement, h: D, sigma: D) -> Result<D, Error> {
        let o = &self.observables[m.observable];
        let invalid = |reason: String| Error::InvalidPrediction { file: m.file.clone(), line: m.line, reason };
        if !h.re().is_finite() || !sigma.re().is_finite() || sigma.re() <= 0.0 {
            return Err(invalid(format!("observable `{}` = {}, noise σ = {}", o.id, h.re(), sigma.re())));
        }
        let (h, data, jacobian) = match o.transformation {
            Transformation::Lin => (h, m.value, 0.0),
            _ if h.re() <= 0.0 || m.value <= 0.0 => {
                let reason =
                    format!("observable `{}` = {} or its measurement {} is not positive", o.id, h.re(), m.value);
                return Err(invalid(format!("{reason} (log transformation)")));
            }
            Transformation::Log => (h.ln(), m.value.ln(), m.value.ln()),
            Transformation::Log10 => (h.log10(), m.value.log10(), (m.value * LN_10).ln()),
        };
        let r = (h - D::from(data)) / sigma;
        Ok(match o.distribution {
            Distribution::Normal => -(sigma * sigma * D::from(2.0 * PI)).ln() * 0.5 - r * r * 0.5 - jacobian,
            Distribution::Laplace => -(sigma * 2.0).ln() - num_traits::Signed::abs(&r) - jacobian,
        })
    }

    /// Integrate from `x` until the state settles: the weighted RMS of
    /// `t · dx/dt` (the change still to come, for a decay that took time
    /// `t` so far; `t` taken between 1 and 100, since rounding keeps
    /// `dx/dt` from reaching zero), derivative parts included, below 1 with
    /// the settings' tolerances. Horizons grow tenfold from 1 to 1e12.
    fn steady_state<D: DualScalar>(
        &self,
        condition: &str,
        mut x: Vec<D>,
        p: &[D],
        settings: &Settings,
    ) -> Result<Vec<D>, Error> {
        let options = options(&Settings { dt: None, ..settings.clone() }).save_final();
        let mut f = x.clone();
        let mut t = 0.0;
        loop {
            self.model.rhs_at(D::from(t), &x, p, &mut f);
            let residual = wrms(&x, &f, settings) * t.clamp(1.0, 100.0);
            if residual <= 1.0 {
                return Ok(x);
            }
            if t >= 1e12 || !residual.is_finite() {
                return Err(Error::NoSteadyState { condition: condition.to_string(), t, residual });
            }
            // The model is autonomous at a steady state: each stretch
            // starts at 0, so that steps are not limited by the rounding of
            // a large time.
            let t_next = if t == 0.0 { 1.0 } else { 10.0 * t };
            let sol = solve_dual(&self.solvable, settings.method, (0.0, t_next - t), &x, p, &options)?;
            x.copy_from_slice(sol.state(sol.len() - 1));
            t = t_next;
        }
    }
}

/// A value: a number, or an estimated parameter in linear scale.
pub(super) fn source_value<D: DualScalar>(s: Source, linear: &[D]) -> D {
    match s {
        Source::Value(v) => D::from(v),
        Source::Estimated(j) => linear[j],
    }
}

/// Integration options of the settings.
fn options(settings: &Settings) -> Options {
    let options = Options::default().rtol(settings.rtol).atol(settings.atol).max_steps(settings.max_steps);
    match settings.dt {
        Some(dt) => options.dt(dt),
        None => options,
    }
}

/// A condition's initial-value overrides (NaN keeps the value).
fn override_initial<D: DualScalar>(x: &mut [D], setup: &Setup, value: impl Fn(Source) -> D) {
    for &(k, s) in &setup.initial {
        let v = value(s);
        if !v.re().is_nan() {
            x[k] = v;
        }
    }
}

/// The weighted RMS norm of `f` against `x` (real and derivative parts).
fn wrms<D: DualScalar>(x: &[D], f: &[D], settings: &Settings) -> f64 {
    let mut sum = 0.0;
    let mut count = 0usize;
    for (xi, fi) in x.iter().zip(f) {
        for l in 0..=D::N_EPS {
            let (xv, fv) = if l == 0 { (xi.re(), fi.re()) } else { (xi.eps_part(l - 1), fi.eps_part(l - 1)) };
            let w = settings.atol + settings.rtol * xv.abs();
            sum += (fv / w).powi(2);
            count += 1;
        }
    }
    (sum / count.max(1) as f64).sqrt()
}

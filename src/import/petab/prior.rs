//! Objective priors of PEtab v1's parameter table (`objectivePriorType`,
//! `objectivePriorParameters`): log-densities added to the log-likelihood
//! to give the log-posterior a fit maximizes.

use super::Scale;
use crate::DualScalar;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// A prior's family, as `objectivePriorType` names it. The `parameterScale…`
/// families apply to the value on the parameter's scale, the others to
/// the value itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PriorType {
    /// Uniform on `[a, b]`.
    Uniform,
    /// Normal with mean `a` and standard deviation `b`.
    Normal,
    /// Laplace with location `a` and scale `b`.
    Laplace,
    /// `ln x` normal with mean `a` and standard deviation `b`.
    LogNormal,
    /// `ln x` Laplace with location `a` and scale `b`.
    LogLaplace,
    /// Uniform on `[a, b]` on the parameter's scale.
    ParameterScaleUniform,
    /// Normal on the parameter's scale.
    ParameterScaleNormal,
    /// Laplace on the parameter's scale.
    ParameterScaleLaplace,
}

/// A parameter's objective prior.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    /// The family.
    pub kind: PriorType,
    /// Its two parameters, as `objectivePriorParameters` gives them.
    pub a: f64,
    /// The second parameter.
    pub b: f64,
}

impl Prior {
    /// The prior of a row's two cells (`None` when the type is empty: PEtab's
    /// default, flat on the parameter's scale within the bounds).
    pub(super) fn parse(kind: &str, parameters: &str) -> Result<Option<Prior>, String> {
        use PriorType::*;
        let kind = match kind {
            "" => return Ok(None),
            "uniform" => Uniform,
            "normal" => Normal,
            "laplace" => Laplace,
            "logNormal" => LogNormal,
            "logLaplace" => LogLaplace,
            "parameterScaleUniform" => ParameterScaleUniform,
            "parameterScaleNormal" => ParameterScaleNormal,
            "parameterScaleLaplace" => ParameterScaleLaplace,
            other => return Err(format!("`{other}` is not a PEtab prior")),
        };
        let values: Vec<f64> =
            parameters.split(';').map(|v| v.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| {
                format!("objectivePriorParameters `{parameters}`: two numbers separated by `;` are needed")
            })?;
        let [a, b] = values[..] else {
            return Err(format!("objectivePriorParameters `{parameters}`: two numbers separated by `;` are needed"));
        };
        let ok = a.is_finite()
            && b.is_finite()
            && match kind {
                Uniform | ParameterScaleUniform => a < b,
                _ => b > 0.0,
            };
        if !ok {
            return Err(format!("objectivePriorParameters `{parameters}` do not define a {kind:?} prior"));
        }
        Ok(Some(Prior { kind, a, b }))
    }

    /// `ln p` at `x` (the value) and `theta` (the value on the parameter's
    /// scale); −∞ outside a uniform prior's range or at `x ≤ 0` for the
    /// log families.
    pub fn log_density<D: DualScalar>(&self, x: D, theta: D) -> D {
        use PriorType::*;
        let (a, b) = (self.a, self.b);
        let normal = |v: D| (v - a).powi(2) / (-2.0 * b * b) - (b * (2.0 * PI).sqrt()).ln();
        let laplace = |v: D| num_traits::Signed::abs(&(v - a)) / -b - (2.0 * b).ln();
        let uniform = |v: D| match (a..=b).contains(&v.re()) {
            true => D::from(-(b - a).ln()),
            false => D::from(f64::NEG_INFINITY),
        };
        let positive = || x.re() > 0.0;
        match self.kind {
            Uniform => uniform(x),
            Normal => normal(x),
            Laplace => laplace(x),
            LogNormal if positive() => normal(x.ln()) - x.ln(),
            LogLaplace if positive() => laplace(x.ln()) - x.ln(),
            LogNormal | LogLaplace => D::from(f64::NEG_INFINITY),
            ParameterScaleUniform => uniform(theta),
            ParameterScaleNormal => normal(theta),
            ParameterScaleLaplace => laplace(theta),
        }
    }

    /// The prior as least-squares residuals `q` with `½‖q‖² = −ln p +
    /// const` within the bounds `[lower, upper]` (linear values), for a
    /// least-squares fit; `Err` with the reason for the families that are
    /// not sums of squares there (Laplace's kink, a uniform range narrower
    /// than the bounds).
    pub(super) fn residuals<D: DualScalar>(
        &self,
        x: D,
        theta: D,
        (lower, upper): (f64, f64),
        scale: Scale,
    ) -> Result<Vec<D>, String> {
        use PriorType::*;
        let (a, b) = (self.a, self.b);
        match self.kind {
            Normal => Ok(vec![(x - a) / b]),
            ParameterScaleNormal => Ok(vec![(theta - a) / b]),
            // −ln p = (ln x − a)²/(2b²) + ln x + const, and ln x − ln(lower)
            // + ½ > 0 within the bounds.
            LogNormal if lower > 0.0 => Ok(vec![(x.ln() - a) / b, (x.ln() * 2.0 - 2.0 * lower.ln() + 1.0).sqrt()]),
            Uniform if a <= lower && upper <= b => Ok(Vec::new()),
            ParameterScaleUniform if a <= scale.scale(lower) && scale.scale(upper) <= b => Ok(Vec::new()),
            Uniform | ParameterScaleUniform => {
                Err("a uniform prior narrower than the bounds: set the bounds to its range".into())
            }
            LogNormal => Err("a logNormal prior on a parameter whose lower bound is not positive".into()),
            Laplace | LogLaplace | ParameterScaleLaplace => Err("fitting Laplace priors is not supported yet".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn densities_are_the_textbook_ones() {
        let at = |kind, a, b, x: f64, theta: f64| Prior { kind, a, b }.log_density(x, theta);
        use PriorType::*;
        // N(1, 2) at 2: −ln(2√(2π)) − 1/8.
        assert!((at(Normal, 1.0, 2.0, 2.0, 9.0) - (-(2.0 * (2.0 * PI).sqrt()).ln() - 0.125)).abs() < 1e-15);
        assert!((at(ParameterScaleNormal, 1.0, 2.0, 9.0, 2.0) - at(Normal, 1.0, 2.0, 2.0, 9.0)).abs() < 1e-15);
        // Laplace(0, 0.5) at −1: −ln 1 − 2.
        assert!((at(Laplace, 0.0, 0.5, -1.0, 0.0) - -2.0).abs() < 1e-15);
        // logNormal(0, 1) at e: −ln(e √(2π)) − ½.
        let e = std::f64::consts::E;
        assert!((at(LogNormal, 0.0, 1.0, e, 0.0) - (-(e * (2.0 * PI).sqrt()).ln() - 0.5)).abs() < 1e-15);
        assert_eq!(at(LogNormal, 0.0, 1.0, 0.0, 0.0), f64::NEG_INFINITY);
        assert!((at(Uniform, 1.0, 5.0, 2.0, 0.0) - -(4f64.ln())).abs() < 1e-15);
        assert_eq!(at(ParameterScaleUniform, 1.0, 5.0, 2.0, 6.0), f64::NEG_INFINITY);
    }

    #[test]
    fn residuals_square_to_the_negative_log_density() {
        // ½‖q‖² + ln p is the same constant at every point within the bounds.
        let prior = Prior { kind: PriorType::LogNormal, a: 0.3, b: 0.7 };
        let c = |x: f64| {
            let q = prior.residuals(x, x.log10(), (0.01, 100.0), Scale::Log10).unwrap();
            0.5 * q.iter().map(|v| v * v).sum::<f64>() + prior.log_density(x, x.log10())
        };
        assert!((c(0.02) - c(3.0)).abs() < 1e-12 && (c(50.0) - c(3.0)).abs() < 1e-12);
        let laplace = Prior { kind: PriorType::Laplace, a: 0.0, b: 1.0 };
        assert!(laplace.residuals(1.0, 0.0, (0.0, 2.0), Scale::Lin).is_err());
    }

    #[test]
    fn bad_cells_are_errors() {
        assert!(Prior::parse("gamma", "1;2").unwrap_err().contains("not a PEtab prior"));
        assert!(Prior::parse("normal", "1").unwrap_err().contains("two numbers"));
        assert!(Prior::parse("normal", "1;-2").unwrap_err().contains("do not define"));
        assert!(Prior::parse("uniform", "3;2").unwrap_err().contains("do not define"));
        assert_eq!(Prior::parse("", "").unwrap(), None);
    }
}

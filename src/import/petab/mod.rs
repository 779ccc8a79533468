//! PEtab v1 parameter-estimation problems: an SBML model, conditions,
//! measurements, observables and parameters, read from the problem's YAML
//! file into a likelihood with an exact gradient.
//!
//! The objective is PEtab's log-likelihood, summed over every measurement
//! of every simulation (a condition, optionally preequilibrated to steady
//! state under another): for a measurement `m` of an observable `h` with
//! noise `σ`,
//!
//! | noise, transformation | log-likelihood |
//! |---|---|
//! | normal, lin | `-½ ln(2πσ²) - ½ ((m - h)/σ)²` |
//! | normal, log / log10 | the same of `ln m`, `ln h` (`log10`), minus `ln m` (`ln(m ln 10)`) |
//! | laplace, lin | `-ln(2σ) - |m - h|/σ` |
//! | laplace, log / log10 | the same of `ln m`, `ln h` (`log10`), minus `ln m` (`ln(m ln 10)`) |
//!
//! Parameters are estimated on their `parameterScale` (`lin`, `log`,
//! `log10`); the gradient is with respect to those scaled values and comes
//! from dual numbers through the same integration (the derivative of the
//! discrete solution, exact to rounding). Preequilibration integrates to
//! steady state, derivatives included.
//!
//! # Example
//! ```no_run
//! use odeon::import::petab::{Petab, Settings};
//! let problem = Petab::read("Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml")?;
//! let theta = problem.nominal();
//! let (llh, gradient) = problem.gradient(&theta, &Settings::default())?;
//! println!("log-likelihood {llh}, gradient {gradient:?}");
//! # Ok::<(), odeon::Error>(())
//! ```

mod fit;
mod likelihood;
mod predict;
mod prior;
mod problem;
mod table;

pub use fit::{Estimate, FitSettings, PetabFit, StartResult};
pub use predict::Curve;
pub use prior::{Prior, PriorType};
pub use problem::Observable;

use crate::integrate::Method;
use crate::models::registry::Named;
use crate::tape::TapeModel;
use problem::Simulation;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// A parameter's scale for estimation (`parameterScale`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// The value itself.
    Lin,
    /// Its natural logarithm.
    Log,
    /// Its decimal logarithm.
    Log10,
}

impl Scale {
    /// A linear value on this scale.
    pub fn scale(self, value: f64) -> f64 {
        match self {
            Scale::Lin => value,
            Scale::Log => value.ln(),
            Scale::Log10 => value.log10(),
        }
    }

    /// A value on this scale, in linear scale.
    pub fn unscale(self, value: f64) -> f64 {
        match self {
            Scale::Lin => value,
            Scale::Log => value.exp(),
            Scale::Log10 => 10f64.powf(value),
        }
    }

    /// [`unscale`](Self::unscale) in any scalar (`Log10` as `e^(x ln 10)`).
    pub(crate) fn unscale_with<D: crate::DualScalar>(self, x: D) -> D {
        match self {
            Scale::Lin => x,
            Scale::Log => x.exp(),
            Scale::Log10 => (x * D::from(std::f64::consts::LN_10)).exp(),
        }
    }
}

/// How an observable and its measurements are transformed before the
/// noise model applies (`observableTransformation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transformation {
    /// None.
    Lin,
    /// Natural logarithm.
    Log,
    /// Decimal logarithm.
    Log10,
}

/// The noise model (`noiseDistribution`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    /// Gaussian with standard deviation σ.
    Normal,
    /// Laplace with scale σ.
    Laplace,
}

/// A row of the parameter table. Values and bounds are in linear scale,
/// as the table writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// `parameterId`.
    pub id: String,
    /// `parameterName` (may be empty).
    pub name: String,
    /// `parameterScale`.
    pub scale: Scale,
    /// `lowerBound`.
    pub lower: f64,
    /// `upperBound`.
    pub upper: f64,
    /// `nominalValue`.
    pub nominal: f64,
    /// `estimate`.
    pub estimate: bool,
    /// `objectivePriorType` and `objectivePriorParameters` (`None`: flat).
    #[serde(default)]
    pub prior: Option<Prior>,
}

/// How the model is integrated for a likelihood.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The integration method (Rodas5P by default: the models are small
    /// and stiff).
    pub method: Method,
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Step limit per integration.
    pub max_steps: usize,
    /// A fixed step instead of error control for the simulations
    /// (explicit and Rosenbrock methods; preequilibration keeps its error
    /// control): the likelihood is then a smooth function of the
    /// parameters, as finite-difference checks want.
    pub dt: Option<f64>,
}

impl Default for Settings {
    /// Rodas5P at rtol = atol = 1e-8 (AMICI's benchmark setting), at most
    /// 100,000 steps.
    fn default() -> Self {
        Settings { method: Method::Rodas5P, rtol: 1e-8, atol: 1e-8, max_steps: 100_000, dt: None }
    }
}

/// A PEtab problem, ready to evaluate.
#[derive(Clone, Debug)]
pub struct Petab {
    name: String,
    model: Arc<TapeModel>,
    /// The same model as the integrator sees it: a [`Named`] model file,
    /// whose steppers the library compiles once for the command line
    /// and for PEtab (solving a `TapeModel` directly compiled all of
    /// them a second time).
    solvable: Named,
    parameters: Vec<Parameter>,
    /// Parameter-table index of each estimated parameter.
    estimated: Vec<usize>,
    /// The estimated parameters the trajectories depend on come first:
    /// gradient passes in this order leave the others (noise, scaling
    /// and offset parameters) to passes without derivatives through the
    /// integration.
    gradient_order: Vec<usize>,
    observables: Vec<Observable>,
    simulations: Vec<Simulation>,
}

impl Petab {
    /// Read a problem from its YAML file (the tables and the SBML model
    /// are found relative to it).
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) for a file that cannot be read;
    /// [`Error::Parse`](crate::Error::Parse) with the file, line and column
    /// of malformed YAML, TSV or SBML, an unknown id in a table, a formula
    /// that does not parse or names an unknown symbol, a condition column
    /// that is not an entity of the model, or a construct outside the
    /// supported subset.
    pub fn read(yaml: impl AsRef<Path>) -> Result<Self, crate::Error> {
        problem::read(yaml.as_ref())
    }

    /// The problem's name (the YAML file's stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model: the SBML model, with the parameter table's other
    /// parameters, the observables' placeholders as parameters, and each
    /// observable's formula and noise as outputs.
    pub fn model(&self) -> &TapeModel {
        &self.model
    }

    /// The parameter table.
    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    /// The estimated parameters, in the order of `theta`.
    pub fn estimated(&self) -> Vec<&Parameter> {
        self.estimated.iter().map(|&k| &self.parameters[k]).collect()
    }

    /// The observables.
    pub fn observables(&self) -> &[Observable] {
        &self.observables
    }

    /// Number of simulations (distinct preequilibration and simulation
    /// condition pairs) and of measurements.
    pub fn size(&self) -> (usize, usize) {
        (self.simulations.len(), self.simulations.iter().map(|s| s.measurements.len()).sum())
    }

    /// The estimated parameters' nominal values, on their scales.
    pub fn nominal(&self) -> Vec<f64> {
        self.estimated().iter().map(|p| p.scale.scale(p.nominal)).collect()
    }

    /// The estimated parameters' bounds, on their scales.
    pub fn bounds(&self) -> Vec<(f64, f64)> {
        self.estimated().iter().map(|p| (p.scale.scale(p.lower), p.scale.scale(p.upper))).collect()
    }

    /// Whether any estimated parameter has an objective prior.
    pub fn has_priors(&self) -> bool {
        self.estimated().iter().any(|p| p.prior.is_some())
    }

    /// The log-density of the objective priors at `theta` (estimated
    /// parameters on their scales): the fit maximizes
    /// `log_likelihood + log_prior`. 0 without priors; −∞ outside a
    /// uniform prior's range.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] for a `theta` of the wrong
    /// length.
    pub fn log_prior(&self, theta: &[f64]) -> Result<f64, crate::Error> {
        let estimated = self.estimated();
        if theta.len() != estimated.len() {
            let (expected, got) = (estimated.len(), theta.len());
            return Err(crate::Error::DimensionMismatch { what: "PEtab parameters", expected, got });
        }
        Ok(estimated
            .iter()
            .zip(theta)
            .filter_map(|(p, &t)| p.prior.map(|prior| prior.log_density(p.scale.unscale_with(t), t)))
            .sum())
    }
}

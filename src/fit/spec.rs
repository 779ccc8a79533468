//! Fits described in TOML, for `odeon fit spec.toml`.
//!
//! ```toml
//! model = "lotka_volterra"          # a built-in model (odeon::models::registry)
//! method = "dopri5"                 # optional (default dopri5)
//! rtol = 1e-10                      # optional (default 1e-8), also atol, max_steps
//! data = "lv_noisy.csv"             # CSV, relative to this file; header names the columns
//! time = "t"                        # time column (default "t")
//! solver = "levenberg_marquardt"    # or gauss_newton, lbfgs, nelder_mead
//! max_iters = 500                   # optional: solver iterations (default 500)
//! multistart = 32                   # optional: starts drawn in the bounds
//! seed = 1                          # optional (default 0)
//!
//! [observe]                         # state = "data column"
//! x = "x"
//! y = "y"
//!
//! [sigma]                           # optional: state = "column of standard deviations"
//!
//! [y0]                              # known initial values (default: the model's)
//! x = 1.0                           # ... or estimated: y = { guess = 1.0, lower = 0.0 }
//! y = 1.0
//!
//! [params]                          # parameters not listed keep the model's value, fixed
//! a = { guess = 1.0, lower = 0.1, upper = 5.0 }
//! b = { guess = 0.5, lower = 0.1, upper = 5.0, log = true }
//! ```

use super::{
    Data, Experiment, FitOptions, FitProblem, FitReport, FitSolver, Initial, LocalOptimum, Multistart, Parameter,
    States,
};
use crate::models::registry::Named;
use crate::spec::{line_of, parse_toml, spec_error};
use crate::{Error, Method, Model, Options};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Most starts a spec may ask for (each start's fit is kept).
const MAX_STARTS: usize = 100_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFitSpec {
    model: Spanned<String>,
    method: Option<Spanned<String>>,
    rtol: Option<f64>,
    atol: Option<f64>,
    max_steps: Option<usize>,
    data: Spanned<String>,
    time: Option<String>,
    t0: Option<f64>,
    solver: Option<FitSolver>,
    max_iters: Option<u64>,
    multistart: Option<usize>,
    seed: Option<u64>,
    observe: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    sigma: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    y0: BTreeMap<Spanned<String>, Spanned<InitialSpec>>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Spanned<ParamSpec>>,
}

/// A parameter in a spec: its guess, bounds and transform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    /// Initial guess.
    pub guess: f64,
    /// Lower bound.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// Estimate the logarithm.
    #[serde(default)]
    pub log: bool,
    /// Hold at `guess`.
    #[serde(default)]
    pub fixed: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum InitialSpec {
    Known(f64),
    Estimated(ParamSpec),
}

impl ParamSpec {
    fn parameter(&self, name: &str) -> Parameter {
        let mut p = Parameter::new(name, self.guess)
            .bounds(self.lower.unwrap_or(f64::NEG_INFINITY), self.upper.unwrap_or(f64::INFINITY));
        p.log = self.log;
        p.fixed = self.fixed;
        p
    }
}

/// A resolved fit spec.
#[derive(Clone, Debug, PartialEq)]
pub struct FitSpec {
    /// Built-in model name.
    pub model: String,
    /// Integration method.
    pub method: Method,
    /// Integration options.
    pub options: Options,
    /// The CSV file.
    pub data: PathBuf,
    /// Its time column.
    pub time: String,
    /// Start time.
    pub t0: f64,
    /// Observed states and their data columns, in state order.
    pub observe: Vec<(usize, String)>,
    /// Standard-deviation columns, one per observed state (if given).
    pub sigma: Option<Vec<String>>,
    /// Initial state.
    pub y0: Vec<Initial>,
    /// Every model parameter.
    pub parameters: Vec<Parameter>,
    /// Solver options.
    pub fit: FitOptions,
    /// Multistart, if asked.
    pub multistart: Option<Multistart>,
}

/// What `odeon fit` found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitRun {
    /// The model.
    pub model: String,
    /// The report at the best fit.
    pub report: FitReport,
    /// Distinct local optima (multistart only).
    pub optima: Vec<LocalOptimum>,
}

impl FitSpec {
    /// Parse a spec; relative data paths are taken from `base`.
    ///
    /// # Errors
    /// `InvalidSpec` naming the key and line; `UnknownModel`.
    ///
    /// # Example
    /// ```
    /// use odeon::fit::FitSpec;
    /// let spec = FitSpec::parse("model = \"exponential_decay\"\ndata = \"d.csv\"\n[observe]\ny = \"y\"\n[params]\nk = { guess = 1.0 }\n", ".".as_ref())?;
    /// assert_eq!(spec.observe, vec![(0, "y".to_string())]);
    /// let e = FitSpec::parse("model = \"exponential_decay\"\ndata = \"d.csv\"\n[observe]\ny = \"y\"\n[params]\nkk = { guess = 1.0 }\n", ".".as_ref());
    /// assert!(e.unwrap_err().to_string().contains("line 6"));
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn parse(text: &str, base: &Path) -> Result<Self, Error> {
        let raw: RawFitSpec = parse_toml(text)?;
        let at = |span: std::ops::Range<usize>| Some(line_of(text, span.start));
        let model = Named::resolve(raw.model.get_ref(), base).map_err(|e| match e {
            e @ Error::Parse { .. } => e,
            e => spec_error("model", at(raw.model.span()), e.to_string()),
        })?;
        let method = match &raw.method {
            Some(m) => m.get_ref().parse::<Method>().map_err(|e| spec_error("method", at(m.span()), e.to_string()))?,
            None => Method::Dopri5,
        };
        let (states, params) = (model.state_names(), model.param_names());
        let find = |table: &str, names: &[String], key: &Spanned<String>| {
            names.iter().position(|n| n == key.get_ref()).ok_or_else(|| {
                spec_error(
                    &format!("{table}.{}", key.get_ref()),
                    at(key.span()),
                    format!("the model has no such name; it has: {}", names.join(", ")),
                )
            })
        };
        let mut observe = Vec::new();
        for (state, column) in &raw.observe {
            observe.push((find("observe", &states, state)?, column.get_ref().clone()));
        }
        if observe.is_empty() {
            return Err(spec_error("observe", None, "observe at least one state"));
        }
        observe.sort();
        let sigma = if raw.sigma.is_empty() {
            None
        } else {
            let mut cols = Vec::new();
            for (j, _) in &observe {
                let (_, col) = raw.sigma.iter().find(|(k, _)| k.get_ref() == &states[*j]).ok_or_else(|| {
                    spec_error(
                        "sigma",
                        None,
                        format!(
                            "give a standard-deviation column for every observed state ({} is missing)",
                            states[*j]
                        ),
                    )
                })?;
                cols.push(col.get_ref().clone());
            }
            for k in raw.sigma.keys() {
                find("sigma", &states, k)?;
            }
            Some(cols)
        };
        let mut y0: Vec<Initial> = model.y0().iter().map(|&v| Initial::Known(v)).collect();
        for (k, v) in &raw.y0 {
            let j = find("y0", &states, k)?;
            y0[j] = match v.get_ref() {
                InitialSpec::Known(x) => Initial::Known(*x),
                InitialSpec::Estimated(p) => Initial::Estimated(p.parameter(&format!("{}(0)", states[j]))),
            };
        }
        let mut parameters: Vec<Parameter> =
            params.iter().zip(model.params()).map(|(n, &v)| Parameter::new(n, v).fixed()).collect();
        for (k, v) in &raw.params {
            let i = find("params", &params, k)?;
            parameters[i] = v.get_ref().parameter(&params[i]);
        }
        let options = Options::default()
            .rtol(raw.rtol.unwrap_or(1e-8))
            .atol(raw.atol.unwrap_or(1e-8))
            .max_steps(raw.max_steps.unwrap_or(20_000));
        let t0 = raw.t0.unwrap_or(0.0);
        crate::spec::check_options(method, (t0, t0 + 1.0), &options).map_err(|e| match e {
            Error::InvalidSpec { key, line, reason } if key == "t_span" => {
                Error::InvalidSpec { key: "t0".into(), line, reason }
            }
            e => e,
        })?;
        let multistart = match raw.multistart {
            Some(0) => return Err(spec_error("multistart", None, "must be at least 1")),
            // Every start's result is kept until the optima are clustered.
            Some(n) if n > MAX_STARTS => {
                return Err(spec_error("multistart", None, format!("at most {MAX_STARTS} starts")));
            }
            Some(starts) => Some(Multistart { starts, seed: raw.seed.unwrap_or(0), progress: true }),
            None => None,
        };
        Ok(FitSpec {
            model: model.name().to_string(),
            method,
            options,
            data: base.join(raw.data.get_ref()),
            time: raw.time.unwrap_or_else(|| "t".into()),
            t0,
            observe,
            sigma,
            y0,
            parameters,
            fit: FitOptions {
                solver: raw.solver.unwrap_or_default(),
                max_iters: raw.max_iters.unwrap_or(FitOptions::default().max_iters),
                ..FitOptions::default()
            },
            multistart,
        })
    }

    /// Read a spec file (data paths relative to it).
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path.parent().unwrap_or(Path::new(".")))
    }

    /// Read the data and run the fit.
    pub fn run(&self) -> Result<FitRun, Error> {
        self.run_problem(&self.problem(&Named::resolve(&self.model, Path::new(""))?)?)
    }

    /// Run the fit on this spec's [`problem`](Self::problem) (the command
    /// line keeps the problem for its plots).
    pub fn run_problem(&self, problem: &FitProblem<'_, Named>) -> Result<FitRun, Error> {
        let (report, optima) = match &self.multistart {
            Some(ms) => {
                let r = super::multistart(problem, &self.fit, ms)?;
                (r.best, r.optima)
            }
            None => (super::fit(problem, &self.fit)?, Vec::new()),
        };
        Ok(FitRun { model: self.model.clone(), report, optima })
    }

    /// The plots of a run on this spec's problem: `fit.svg` (the data and
    /// the fitted curves) and `residuals.svg` in `out` (see
    /// [`plot::fit_curves`](crate::plot::fit_curves) and
    /// [`plot::fit_residuals`](crate::plot::fit_residuals); compiled here,
    /// once, for the run-time [`Named`] model and method).
    ///
    /// # Errors
    /// Those of the two plots.
    ///
    /// # Example
    /// ```
    /// use odeon::fit::FitSpec;
    /// use odeon::models::registry::Named;
    /// let dir = std::env::temp_dir().join(format!("odeon-fit-plot-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// // y = e^{-0.7 t}, sampled (the model starts at y = 1).
    /// let rows: String = (0..8).map(|i| { let t = i as f64 * 0.5; format!("{t},{}\n", (-0.7 * t).exp()) }).collect();
    /// std::fs::write(dir.join("d.csv"), format!("t,y\n{rows}")).unwrap();
    /// let text = "model = \"exponential_decay\"\ndata = \"d.csv\"\ntime = \"t\"\n[observe]\ny = \"y\"\n[params]\nk = { guess = 1.0 }\n";
    /// let spec = FitSpec::parse(text, &dir)?;
    /// let model = Named::resolve(&spec.model, ".".as_ref())?;
    /// let problem = spec.problem(&model)?;
    /// let run = spec.run_problem(&problem)?;
    /// spec.plot(&problem, &run, &dir)?;
    /// assert!(run.report.converged);
    /// assert!(dir.join("fit.svg").exists() && dir.join("residuals.svg").exists());
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), odeon::Error>(())
    /// ```
    #[cfg(feature = "plot")]
    pub fn plot(&self, problem: &FitProblem<'_, Named>, run: &FitRun, out: &Path) -> Result<(), Error> {
        crate::plot::fit_curves(problem, &run.report, 0, out.join("fit.svg"))?;
        crate::plot::fit_residuals(problem, &run.report, out.join("residuals.svg"))
    }

    /// Read the data and check the problem the spec describes (columns,
    /// times, values, standard deviations, parameters and bounds) without
    /// fitting: what [`run`](Self::run) would refuse, found in
    /// milliseconds.
    ///
    /// # Errors
    /// `Io` for an unreadable or malformed CSV file; `InvalidData`,
    /// `InvalidParameter` and the other errors of
    /// [`FitProblem::validate`].
    pub fn check(&self) -> Result<(), Error> {
        self.problem(&Named::resolve(&self.model, Path::new(""))?).map(|_| ())
    }

    /// The fit problem the spec describes, with its data read, validated;
    /// `system` is the spec's model from the registry.
    pub fn problem<'a>(&self, system: &'a Named) -> Result<FitProblem<'a, Named>, Error> {
        let columns: Vec<&str> = self.observe.iter().map(|(_, c)| c.as_str()).collect();
        let sigma: Option<Vec<&str>> = self.sigma.as_ref().map(|s| s.iter().map(String::as_str).collect());
        let data = Data::from_csv(&self.data, &self.time, &columns, sigma.as_deref())?;
        let name = self.data.file_name().map_or("data".into(), |f| f.to_string_lossy().to_string());
        let mut experiment = Experiment::new(name, &[], data);
        experiment.t0 = self.t0;
        experiment.y0 = self.y0.clone();
        let mut problem = FitProblem::new(system, self.method, States(self.observe.iter().map(|(j, _)| *j).collect()))
            .options(self.options.clone())
            .experiment(experiment);
        problem.parameters = self.parameters.clone();
        problem.validate()?;
        Ok(problem)
    }
}

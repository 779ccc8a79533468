//! [`Named`]: a model named on the command line or in a spec file.

use super::registry::{lookup, names};
use crate::compose::blocks::Block;
use crate::compose::{Composite, CompositeFile, Many};
use crate::events::{Cause, Event, Schedule};
use crate::integrate::MassMatrix;
use crate::sensitivity::{Sensitivities, Wrt, solve_sensitivities};
use crate::system::Model as M;
use crate::tape::TapeModel;
use crate::{DualScalar, Error, Method, Options, Solution, State};
use nalgebra::Dyn;
use std::path::Path;
use std::sync::Arc;

/// A model named on the command line or in a spec file: a built-in model
/// by name, a model file (a name ending in `.toml`; see
/// [`tape`](crate::tape)), a composite file (`.toml` with `[[subsystem]]`
/// tables, or `.json`; see [`CompositeFile`]) or an SBML model (`.xml`, `.sbml`; see
/// [`import`](crate::import)). All run with a run-time size, so the
/// command line compiles its generic code once for all of them.
///
/// # Example
/// ```
/// use odeon::models::registry::Named;
/// use odeon::system::Model;
/// let builtin = Named::resolve("lotka_volterra", ".".as_ref())?;
/// let file = Named::resolve("examples/models/lotka_volterra.toml", env!("CARGO_MANIFEST_DIR").as_ref())?;
/// assert_eq!(builtin.param_names(), file.param_names());
/// assert_eq!((builtin.y0(), builtin.params()), (file.y0(), file.params()));
/// let closed = Named::resolve("examples/models/van_der_pol_pi.toml", env!("CARGO_MANIFEST_DIR").as_ref())?;
/// assert_eq!(closed.param_names(), ["plant.mu", "controller.kp", "controller.ki", "actuator.tau"]);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Named {
    /// A built-in model.
    BuiltIn(super::registry::BuiltIn),
    /// A block with inputs, as a subsystem of a composite file.
    Block(Block),
    /// A model read from a file.
    File {
        /// The file as named (joined to the directory it is relative to).
        path: String,
        /// The model (shared: a PEtab problem solves its model as a
        /// `Named`, so that the library compiles one set of steppers for
        /// model files).
        model: Arc<TapeModel>,
        /// A hash of the file's text (so that runs on several machines
        /// can check they read the same model).
        fingerprint: String,
    },
    /// A composite read from a file.
    Composite {
        /// The file as named (joined to the directory it is relative to).
        path: String,
        /// The model.
        model: Box<Composite<Many<Named>>>,
        /// Its initial state and parameter values: each subsystem's, as
        /// the file overrides them.
        y0: Vec<f64>,
        /// See `y0`.
        params: Vec<f64>,
        /// A hash of the file's text and of every subsystem it reads.
        fingerprint: String,
    },
}

/// Composite files nested deeper than this are refused (a file that
/// includes itself would never end).
const MAX_NESTING: usize = 16;

/// Solves of a `Named` model with a run-time [`Method`]: plain functions,
/// compiled once into the library. A program that calls the generic
/// [`solve`](crate::solve) with a `Named` model and a `Method` value
/// compiles every stepper for it again (the command line did, at about a
/// third of its build).
impl Named {
    /// [`solve`](crate::solve) of this model.
    ///
    /// # Errors
    /// Those of [`solve`](crate::solve).
    ///
    /// # Example
    /// ```
    /// use odeon::models::registry::Named;
    /// use odeon::{Method, Options};
    /// let m = Named::resolve("exponential_decay", ".".as_ref())?;
    /// let sol = m.solve(Method::Dopri5, (0.0, 1.0), m.y0(), m.params(), &Options::default().save_final())?;
    /// assert!((sol.y[0] - m.y0()[0] * (-m.params()[0]).exp()).abs() < 1e-6);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn solve(
        &self,
        method: Method,
        t_span: (f64, f64),
        y0: &[f64],
        p: &[f64],
        options: &Options,
    ) -> Result<Solution, Error> {
        crate::solve(self, method, t_span, y0, p, options)
    }

    /// [`solve_sensitivities`] of this model.
    ///
    /// # Errors
    /// Those of [`solve_sensitivities`].
    ///
    /// # Example
    /// ```
    /// use odeon::models::registry::Named;
    /// use odeon::sensitivity::Wrt;
    /// use odeon::{Method, Options};
    /// // y' = -k y: ∂y(1)/∂k = -y0 e^{-k}.
    /// let m = Named::resolve("exponential_decay", ".".as_ref())?;
    /// let (y0, k) = (m.y0()[0], m.params()[0]);
    /// let opts = Options::default().rtol(1e-10).atol(1e-12).save_final();
    /// let s = m.sensitivities(Method::Tsit5, (0.0, 1.0), m.y0(), m.params(), &[Wrt::Param(0)], &opts)?;
    /// assert!((s.jacobians[0][(0, 0)] + y0 * (-k).exp()).abs() < 1e-8);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn sensitivities(
        &self,
        method: Method,
        t_span: (f64, f64),
        y0: &[f64],
        p: &[f64],
        wrt: &[Wrt],
        options: &Options,
    ) -> Result<Sensitivities, Error> {
        solve_sensitivities(self, method, t_span, y0, p, wrt, options)
    }
}

impl Named {
    /// The built-in model `name`, or the model file `name` (relative to
    /// `base`): a model or composite file ending in `.toml`, a composite
    /// file ending in `.json`, or SBML ending in `.xml` or `.sbml`. The model must be closed: a model
    /// with inputs (a block, a model file declaring inputs, a composite
    /// with external inputs) is used inside a composite file.
    ///
    /// # Errors
    /// `UnknownModel`; for a file, `Io` and `Parse`, and `Parse` if the
    /// model has inputs (a spec or the command line gives it none); for a
    /// composite file, `InvalidSpec` (its syntax and keys, with the line)
    /// and the errors of [`Builder::build`](crate::compose::Builder::build).
    pub fn resolve(name: &str, base: &Path) -> Result<Named, Error> {
        let model = Self::resolve_part(name, base, 0)?;
        if M::n_inputs(&model) > 0 {
            let reason = format!(
                "the model has inputs ({}): connect, fix or drive them (in a composite file, or in Rust)",
                M::input_names(&model).join(", ")
            );
            return Err(Error::Parse { file: model.name().to_string(), line: 1, column: 1, reason });
        }
        Ok(model)
    }

    /// [`resolve`](Self::resolve) without the check for inputs, inside
    /// `depth` composite files.
    pub(crate) fn resolve_part(name: &str, base: &Path, depth: usize) -> Result<Named, Error> {
        let sbml = name.ends_with(".xml") || name.ends_with(".sbml");
        let json = name.ends_with(".json");
        if !sbml && !json && !name.ends_with(".toml") {
            return lookup(name).map(Named::BuiltIn).or_else(|_| {
                Block::lookup(name).map(Named::Block).map_err(|_| Error::UnknownModel {
                    name: name.to_string(),
                    known: names().into_iter().chain(Block::ALL.map(|(n, _)| n)).collect::<Vec<_>>().join(", "),
                })
            });
        }
        let file = base.join(name);
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        let path = file.display().to_string();
        if json || (!sbml && CompositeFile::is_composite(&text)) {
            if depth >= MAX_NESTING {
                let reason = format!("composite files nested more than {MAX_NESTING} deep (does one include itself?)");
                return Err(Error::InvalidComposite { path, reason });
            }
            let dir = file.parent().unwrap_or(Path::new(""));
            let file = if json { CompositeFile::parse_json(&text)? } else { CompositeFile::parse(&text)? };
            let built = file.build(&path, dir, depth + 1)?;
            let fingerprint = crate::files::fingerprint("odeon-composite-file/1", built.identity(&text).as_bytes());
            let (model, y0, params) = (Box::new(built.model), built.y0, built.params);
            return Ok(Named::Composite { path, model, y0, params, fingerprint });
        }
        let model =
            if sbml { crate::import::sbml_from_str(&path, &text)? } else { TapeModel::from_toml(&path, &text)? };
        let fingerprint = crate::files::fingerprint("odeon-model-file/1", text.as_bytes());
        Ok(Named::File { path, model: Arc::new(model), fingerprint })
    }

    /// The built-in model's or block's name, or the file's path.
    pub fn name(&self) -> &str {
        match self {
            Named::BuiltIn(m) => m.name,
            Named::Block(b) => b.name(),
            Named::File { path, .. } | Named::Composite { path, .. } => path,
        }
    }

    /// The hash of a model file's text (`None` for a built-in model or a
    /// block).
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Named::BuiltIn(_) | Named::Block(_) => None,
            Named::File { fingerprint, .. } | Named::Composite { fingerprint, .. } => Some(fingerprint),
        }
    }

    /// The textbook (or file's) initial state.
    pub fn y0(&self) -> &[f64] {
        match self {
            Named::BuiltIn(m) => m.y0,
            Named::Block(b) => b.y0(),
            Named::File { model, .. } => model.y0(),
            Named::Composite { y0, .. } => y0,
        }
    }

    /// The textbook (or file's) parameter values.
    pub fn params(&self) -> &[f64] {
        match self {
            Named::BuiltIn(m) => m.params,
            Named::Block(b) => b.params(),
            Named::File { model, .. } => model.params(),
            Named::Composite { params, .. } => params,
        }
    }
}

/// `$body` with `$m` bound to the model inside.
macro_rules! each {
    ($self:expr, $m:ident => $body:expr) => {
        match $self {
            Named::BuiltIn($m) => $body,
            Named::Block($m) => $body,
            Named::File { model, .. } => {
                let $m = &**model;
                $body
            }
            Named::Composite { model, .. } => {
                let $m = &**model;
                $body
            }
        }
    };
}

impl M for Named {
    type Dim = Dyn;
    const FIXED_SENSITIVITY_CHUNKS: bool = true;

    fn dim(&self) -> Dyn {
        Dyn(self.y0().len())
    }
    fn n_params(&self) -> usize {
        self.params().len()
    }
    fn n_inputs(&self) -> usize {
        each!(self, m => M::n_inputs(m))
    }
    fn n_outputs(&self) -> usize {
        each!(self, m => M::n_outputs(m))
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], dxdt: &mut State<D, Dyn>) {
        each!(self, m => M::rhs(m, t, x, u, p, dxdt))
    }
    fn autonomous(&self) -> bool {
        each!(self, m => M::autonomous(m))
    }
    fn outputs<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], y: &mut [D]) {
        each!(self, m => M::outputs(m, t, x, u, p, y))
    }
    fn feedthrough(&self, output: usize, input: usize) -> bool {
        each!(self, m => M::feedthrough(m, output, input))
    }
    fn events(&self) -> Vec<Event> {
        each!(self, m => M::events(m))
    }
    fn event_values<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], g: &mut [D]) {
        each!(self, m => M::event_values(m, t, x, u, p, g))
    }
    fn reset<D: DualScalar>(&self, cause: Cause, t: D, x: &mut State<D, Dyn>, p: &[D], armed: &mut [bool]) {
        each!(self, m => M::reset(m, cause, t, x, p, armed))
    }
    fn mass(&self) -> Option<MassMatrix> {
        each!(self, m => M::mass(m))
    }
    fn schedule(&self) -> Schedule {
        each!(self, m => M::schedule(m))
    }
    fn state_names(&self) -> Vec<String> {
        each!(self, m => M::state_names(m))
    }
    fn param_names(&self) -> Vec<String> {
        each!(self, m => M::param_names(m))
    }
    fn input_names(&self) -> Vec<String> {
        each!(self, m => M::input_names(m))
    }
    fn output_names(&self) -> Vec<String> {
        each!(self, m => M::output_names(m))
    }
}

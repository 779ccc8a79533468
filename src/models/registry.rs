//! The built-in models by name, for command-line tools and spec files.
//!
//! [`lookup`] maps a name to a [`BuiltIn`]: its metadata (state and
//! parameter names, textbook values) and the model itself — a `BuiltIn` is
//! an [`OdeSystem`] with a run-time size, so the command line, fit specs
//! and ensemble specs compile their generic code once for every built-in
//! model (as they will for models read from files), not once per model.
//! Rust programs that name a model type directly (`VanDerPol`, …) keep its
//! compile-time size.

use super::{
    ExponentialDecay, HarmonicOscillator, Hires, Lorenz, LotkaVolterra, Pendulum, Robertson, Sir, StiffVanDerPol,
    VanDerPol,
};
use crate::system::Model as M;
use crate::tape::TapeModel;
use crate::{DualScalar, Error, OdeSystem, State};
use nalgebra::{Const, Dyn, SVector};
use std::path::Path;

/// A built-in model: name, metadata, and the model (an [`OdeSystem`] of
/// run-time size that runs the named model's right-hand side).
///
/// # Example
/// ```
/// use odeon::models::registry::lookup;
/// use odeon::{solve, Method, Options};
///
/// let m = lookup("exponential_decay")?;
/// let sol = solve(&m, Method::Dopri5, (0.0, 1.0), m.y0, m.params, &Options::default().save_final())?;
/// assert!((sol.y[0] - (-1.0f64).exp()).abs() < 1e-6);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BuiltIn {
    /// The name `lookup` accepts (snake case).
    pub name: &'static str,
    /// One line about the model.
    pub description: &'static str,
    /// Textbook parameter values, in the order of the parameter names.
    pub params: &'static [f64],
    /// A textbook initial state.
    pub y0: &'static [f64],
    which: Which,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    ExponentialDecay,
    HarmonicOscillator,
    VanDerPol,
    LotkaVolterra,
    Lorenz,
    Pendulum,
    Sir,
    Robertson,
    StiffVanDerPol,
    Hires,
}

/// `model.rhs` on a run-time-size state: copied into and out of the
/// model's fixed-size vectors (a few values; the copies cost far less than
/// a right-hand side).
#[inline]
fn fixed<M, D, const N: usize>(model: &M, t: D, y: &State<D, Dyn>, p: &[D], dydt: &mut State<D, Dyn>)
where
    M: OdeSystem<Dim = Const<N>>,
    D: DualScalar,
{
    let ys = SVector::<D, N>::from_column_slice(y.as_slice());
    let mut out = SVector::<D, N>::from_element(D::from(0.0));
    model.rhs(t, &ys, p, &mut out);
    dydt.as_mut_slice().copy_from_slice(out.as_slice());
}

macro_rules! builtins {
    ($($name:literal, $ty:ident, $desc:literal;)+) => {
        /// Every built-in model.
        pub const BUILT_IN: &[BuiltIn] = &[$(BuiltIn {
            name: $name,
            description: $desc,
            params: &$ty::PARAMS,
            y0: &$ty::Y0,
            which: Which::$ty,
        }),+];

        impl OdeSystem for BuiltIn {
            type Dim = Dyn;
            // Fit specs differentiate any built-in model with any method:
            // one chunk width keeps that from compiling three.
            const FIXED_SENSITIVITY_CHUNKS: bool = true;

            fn dim(&self) -> Dyn {
                Dyn(self.y0.len())
            }

            fn n_params(&self) -> usize {
                self.params.len()
            }

            #[inline]
            fn rhs<D: DualScalar>(&self, t: D, y: &State<D, Dyn>, p: &[D], dydt: &mut State<D, Dyn>) {
                match self.which {
                    $(Which::$ty => fixed(&$ty, t, y, p, dydt),)+
                }
            }

            fn state_names(&self) -> Vec<String> {
                match self.which {
                    $(Which::$ty => OdeSystem::state_names(&$ty),)+
                }
            }

            fn param_names(&self) -> Vec<String> {
                match self.which {
                    $(Which::$ty => OdeSystem::param_names(&$ty),)+
                }
            }
        }
    };
}

builtins! {
    "exponential_decay", ExponentialDecay, "y' = -k y";
    "harmonic_oscillator", HarmonicOscillator, "x' = v, v' = -omega^2 x";
    "van_der_pol", VanDerPol, "x' = v, v' = mu (1 - x^2) v - x";
    "lotka_volterra", LotkaVolterra, "x' = a x - b x y, y' = -c y + d x y";
    "lorenz", Lorenz, "Lorenz 1963 (sigma, rho, beta)";
    "pendulum", Pendulum, "damped pendulum theta' = omega, omega' = -(g/l) sin theta - b omega";
    "sir", Sir, "SIR epidemic (beta, gamma)";
    "robertson", Robertson, "Robertson's stiff chemical kinetics";
    "stiff_van_der_pol", StiffVanDerPol, "Hairer's scaled Van der Pol y2' = ((1 - y1^2) y2 - y1) / eps (stiff)";
    "hires", Hires, "HIRES plant photomorphogenesis, 8 stiff states";
}

/// The names of the built-in models.
pub fn names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|m| m.name).collect()
}

/// The built-in model called `name` (case and `_`/`-` insensitive:
/// "van_der_pol", "VanDerPol" and "van-der-pol" all work).
///
/// # Errors
/// `UnknownModel`, listing the known names.
///
/// # Example
/// ```
/// use odeon::{models::registry::lookup, OdeSystem};
/// assert_eq!(lookup("VanDerPol")?.param_names(), vec!["mu"]);
/// assert!(lookup("van_der_poll").is_err());
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn lookup(name: &str) -> Result<BuiltIn, Error> {
    let norm = |s: &str| s.chars().filter(|c| !matches!(c, '_' | '-' | ' ')).collect::<String>().to_lowercase();
    let key = norm(name);
    BUILT_IN
        .iter()
        .find(|m| norm(m.name) == key)
        .copied()
        .ok_or_else(|| Error::UnknownModel { name: name.to_string(), known: names().join(", ") })
}

/// A model named on the command line or in a spec file: a built-in model
/// by name, a model file (a name ending in `.toml`; see
/// [`tape`](crate::tape)) or an SBML model (`.xml`, `.sbml`; see
/// [`import`](crate::import)). Both run with a run-time size, so the command
/// line compiles its generic code once for all of them.
///
/// # Example
/// ```
/// use odeon::models::registry::Named;
/// use odeon::system::Model;
/// let builtin = Named::resolve("lotka_volterra", ".".as_ref())?;
/// let file = Named::resolve("examples/models/lotka_volterra.toml", env!("CARGO_MANIFEST_DIR").as_ref())?;
/// assert_eq!(builtin.param_names(), file.param_names());
/// assert_eq!((builtin.y0(), builtin.params()), (file.y0(), file.params()));
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Named {
    /// A built-in model.
    BuiltIn(BuiltIn),
    /// A model read from a file.
    File {
        /// The file as named (joined to the directory it is relative to).
        path: String,
        /// The model.
        model: Box<TapeModel>,
        /// A hash of the file's text (so that runs on several machines
        /// can check they read the same model).
        fingerprint: String,
    },
}

impl Named {
    /// The built-in model `name`, or the model file `name` (relative to
    /// `base`): a model file ending in `.toml`, or SBML ending in `.xml` or
    /// `.sbml`.
    ///
    /// # Errors
    /// `UnknownModel`; for a file, `Io` and `Parse`, and `Parse` if the
    /// model has inputs (a spec or the command line gives it none).
    pub fn resolve(name: &str, base: &Path) -> Result<Named, Error> {
        let sbml = name.ends_with(".xml") || name.ends_with(".sbml");
        if !sbml && !name.ends_with(".toml") {
            return lookup(name).map(Named::BuiltIn);
        }
        let file = base.join(name);
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        let path = file.display().to_string();
        let model =
            if sbml { crate::import::sbml_from_str(&path, &text)? } else { TapeModel::from_toml(&path, &text)? };
        if M::n_inputs(&model) > 0 {
            let reason =
                format!("the model has inputs ({}): compose or drive it in Rust", M::input_names(&model).join(", "));
            return Err(Error::Parse { file: path, line: 1, column: 1, reason });
        }
        let fingerprint = crate::files::fingerprint("odeon-model-file/1", text.as_bytes());
        Ok(Named::File { path, model: Box::new(model), fingerprint })
    }

    /// The built-in model's name, or the file's path.
    pub fn name(&self) -> &str {
        match self {
            Named::BuiltIn(m) => m.name,
            Named::File { path, .. } => path,
        }
    }

    /// The hash of a model file's text (`None` for a built-in model).
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Named::BuiltIn(_) => None,
            Named::File { fingerprint, .. } => Some(fingerprint),
        }
    }

    /// The textbook (or file's) initial state.
    pub fn y0(&self) -> &[f64] {
        match self {
            Named::BuiltIn(m) => m.y0,
            Named::File { model, .. } => model.y0(),
        }
    }

    /// The textbook (or file's) parameter values.
    pub fn params(&self) -> &[f64] {
        match self {
            Named::BuiltIn(m) => m.params,
            Named::File { model, .. } => model.params(),
        }
    }
}

impl crate::system::Model for Named {
    type Dim = Dyn;
    const FIXED_SENSITIVITY_CHUNKS: bool = true;

    fn dim(&self) -> Dyn {
        Dyn(self.y0().len())
    }
    fn n_params(&self) -> usize {
        self.params().len()
    }
    #[inline]
    fn rhs<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], dxdt: &mut State<D, Dyn>) {
        match self {
            Named::BuiltIn(m) => OdeSystem::rhs(m, t, x, p, dxdt),
            Named::File { model, .. } => M::rhs(&**model, t, x, u, p, dxdt),
        }
    }
    fn state_names(&self) -> Vec<String> {
        match self {
            Named::BuiltIn(m) => OdeSystem::state_names(m),
            Named::File { model, .. } => M::state_names(&**model),
        }
    }
    fn param_names(&self) -> Vec<String> {
        match self {
            Named::BuiltIn(m) => OdeSystem::param_names(m),
            Named::File { model, .. } => M::param_names(&**model),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BUILT_IN, Lorenz, OdeSystem, SVector, lookup};

    #[test]
    fn metadata_matches_the_models() {
        for m in BUILT_IN {
            assert_eq!(m.params.len(), m.param_names().len(), "{}", m.name);
            assert_eq!(m.y0.len(), m.state_names().len(), "{}", m.name);
            assert_eq!(lookup(m.name).unwrap(), *m);
        }
        // The run-time-size model computes what the fixed-size one does.
        let m = lookup("lorenz").unwrap();
        let y = nalgebra::DVector::from_column_slice(&[1.0, 2.0, 3.0]);
        let mut dy = nalgebra::DVector::zeros(3);
        m.rhs(0.0, &y, m.params, &mut dy);
        let mut fixed = SVector::<f64, 3>::zeros();
        Lorenz.rhs(0.0, &SVector::from([1.0, 2.0, 3.0]), m.params, &mut fixed);
        assert_eq!(dy.as_slice(), fixed.as_slice());
        let e = lookup("brusselator").unwrap_err().to_string();
        assert!(e.contains("brusselator") && e.contains("van_der_pol"), "{e}");
    }
}

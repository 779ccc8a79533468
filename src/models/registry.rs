//! The built-in models by name, for command-line tools and spec files.
//!
//! [`lookup`] maps a name to a [`BuiltIn`]: its metadata (state and
//! parameter names, textbook values) and the model itself — a `BuiltIn` is
//! an [`OdeSystem`] with a run-time size, so the command line, fit specs
//! and ensemble specs compile their generic code once for every built-in
//! model (as they will for models read from files), not once per model.
//! Rust programs that name a model type directly (`VanDerPol`, …) keep its
//! compile-time size.

pub use super::named::Named;
use super::{
    ExponentialDecay, HarmonicOscillator, Hires, Lorenz, LotkaVolterra, Pendulum, Robertson, Sir, StiffVanDerPol,
    VanDerPol,
};
use crate::{DualScalar, Error, OdeSystem, State};
use nalgebra::{Const, Dyn, SVector};

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

            fn autonomous(&self) -> bool {
                match self.which {
                    $(Which::$ty => OdeSystem::autonomous(&$ty),)+
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

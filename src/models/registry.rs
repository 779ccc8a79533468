//! The built-in models by name, for command-line tools and spec files.
//!
//! [`lookup`] maps a name to a [`BuiltIn`]: its metadata (state and
//! parameter names, textbook values) and [`BuiltIn::visit`], which hands
//! the concrete model type to generic code through a [`ModelVisitor`], so
//! the run is monomorphized (full speed) whatever the model.

use super::{ExponentialDecay, HarmonicOscillator, Lorenz, LotkaVolterra, Pendulum, Robertson, Sir, VanDerPol};
use crate::{Error, OdeSystem};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;

/// Generic code to run on a model chosen by name.
///
/// # Example
/// ```
/// use nalgebra::{allocator::Allocator, DefaultAllocator};
/// use odeon::models::registry::{lookup, ModelVisitor};
/// use odeon::{solve, Method, OdeSystem, Options};
///
/// /// Solve a model at its textbook values; return the final state.
/// struct Textbook<'a>(&'a [f64], &'a [f64]);
/// impl ModelVisitor for Textbook<'_> {
///     type Output = Result<Vec<f64>, odeon::Error>;
///     fn visit<S>(self, system: &S) -> Self::Output
///     where
///         S: OdeSystem + Sync,
///         DefaultAllocator: Allocator<S::Dim>,
///     {
///         let sol = solve(system, Method::Dopri5, (0.0, 1.0), self.0, self.1, &Options::default().save_final())?;
///         Ok(sol.y)
///     }
/// }
///
/// let m = lookup("exponential_decay")?;
/// let y = m.visit(Textbook(m.y0, m.params))?;
/// assert!((y[0] - (-1.0f64).exp()).abs() < 1e-6);
/// # Ok::<(), odeon::Error>(())
/// ```
pub trait ModelVisitor {
    /// What the visit returns.
    type Output;
    /// Run on the concrete model.
    fn visit<S>(self, system: &S) -> Self::Output
    where
        S: OdeSystem + Sync,
        DefaultAllocator: Allocator<S::Dim>;
}

/// A built-in model: name, metadata and a way to run generic code on it.
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

        impl BuiltIn {
            /// Run `visitor` on the model.
            pub fn visit<V: ModelVisitor>(&self, visitor: V) -> V::Output {
                match self.which {
                    $(Which::$ty => visitor.visit(&$ty),)+
                }
            }

            /// Names of the state components.
            pub fn state_names(&self) -> Vec<String> {
                match self.which {
                    $(Which::$ty => $ty.state_names(),)+
                }
            }

            /// Names of the parameters.
            pub fn param_names(&self) -> Vec<String> {
                match self.which {
                    $(Which::$ty => $ty.param_names(),)+
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
/// use odeon::models::registry::lookup;
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
    use super::*;

    #[test]
    fn metadata_matches_the_models() {
        for m in BUILT_IN {
            assert_eq!(m.params.len(), m.param_names().len(), "{}", m.name);
            assert_eq!(m.y0.len(), m.state_names().len(), "{}", m.name);
            assert_eq!(lookup(m.name).unwrap(), *m);
        }
        let e = lookup("brusselator").unwrap_err().to_string();
        assert!(e.contains("brusselator") && e.contains("van_der_pol"), "{e}");
    }
}

//! Models from files: equations as text, compiled to a differentiable
//! instruction tape.
//!
//! An expression (`alpha*prey - beta*prey*predator`) is parsed into a
//! syntax tree ([`parse`]), and a model's right-hand side, outputs and
//! initial values are compiled into flat instruction tapes: names
//! resolved, user functions inlined, common subexpressions shared and
//! constants folded. An interpreter generic over [`DualScalar`](crate::DualScalar) runs a
//! tape, so a [`TapeModel`] simulates with `f64` and gives exact
//! sensitivities with dual numbers, like a model written in Rust. With
//! the opt-in feature `jit` a tape evaluated often enough with `f64` or
//! with the dual numbers of sensitivities and stiff Jacobians is compiled
//! to machine code by Cranelift, with the interpreter's results to the
//! bit and 1.4–1.9× faster solves ([`TapeModel::interpreted`] turns it
//! off).
//!
//! # Expressions
//! - Numbers (`2`, `0.5`, `1.5e-3`), names, parentheses.
//! - Arithmetic `+ - * /`, powers `^` or `**` (right associative;
//!   `-x^2` is `-(x^2)`), comparisons `< <= > >= == !=`, logic `&& || !`
//!   (true is 1, false 0; comparisons look at real parts only, so a
//!   branch never depends on the scalar type).
//! - Functions: `exp ln log log10 log2 sqrt sin cos tan asin acos atan
//!   sinh cosh tanh asinh acosh atanh abs sign floor ceil`, `log(base,
//!   x)`, `pow(x, y)`, `min(…)`, `max(…)`, `if(condition, then, else)`,
//!   `piecewise(value, condition, …, otherwise)` (SBML's piecewise: the
//!   first value whose condition holds).
//! - Constants `pi`, `true`, `false`; time is `t` (or `time`).
//!
//! # The model file (TOML)
//! ```toml
//! name = "lotka_volterra"
//! description = "Predator and prey"
//!
//! [[parameters]]
//! name = "alpha"
//! value = 1.5
//! bounds = [0.0, 10.0]   # optional
//! unit = "1/day"         # optional, free text
//!
//! [[parameters]]
//! name = "beta"
//! value = 1.0
//!
//! [[states]]
//! name = "prey"
//! initial = 10.0         # a number, or an expression of the parameters
//! rate = "alpha*prey - beta*prey*predator"
//!
//! [[states]]
//! name = "predator"
//! initial = "alpha"
//! rate = "growth(prey, predator) - predator"
//!
//! [[inputs]]             # signals the model reads (optional)
//! name = "harvest"
//!
//! [[assignments]]        # named intermediate expressions (optional)
//! name = "encounters"
//! formula = "prey*predator"
//!
//! [[functions]]          # user functions: see only their arguments
//! name = "growth"
//! args = ["a", "b"]
//! body = "a*b/10"
//!
//! [[outputs]]            # what a fit or a composite observes (optional)
//! name = "total"
//! formula = "prey + predator"
//! ```
//! States, inputs, parameters and assignments share one namespace;
//! assignments may use each other in any order (a cycle is an error).
//! Every error — TOML syntax, a bad expression, an unknown symbol, a wrong
//! number of arguments, a repeated or reserved name, invalid bounds — is
//! an [`Error::Parse`] naming the file, line and
//! column.
//!
//! # Example
//! ```
//! use odeon::tape::TapeModel;
//! use odeon::sensitivity::{solve_sensitivities, Wrt};
//! use odeon::{Options, Tsit5};
//!
//! let text = r#"
//!     [[parameters]]
//!     name = "r"
//!     value = 1.0
//!     [[parameters]]
//!     name = "K"
//!     value = 10.0
//!     [[states]]
//!     name = "n"
//!     initial = 1.0
//!     rate = "r * n * (1 - n / K)"
//! "#;
//! let model = TapeModel::from_toml("logistic.toml", text)?;
//! let opts = Options::default().rtol(1e-10).atol(1e-12).save_final();
//! let wrt = [Wrt::Param(0)];
//! let s = solve_sensitivities(&model, Tsit5, (0.0, 1.0), model.y0(), model.params(), &wrt, &opts)?;
//! // Logistic growth: n(t) = K / (1 + (K/n0 − 1) e^{−rt}).
//! let e = (-1.0f64).exp();
//! assert!((s.solution.y[0] - 10.0 / (1.0 + 9.0 * e)).abs() < 1e-8);
//! // ∂n/∂r = K (K/n0 − 1) t e^{−rt} / (1 + (K/n0 − 1) e^{−rt})²
//! let dn_dr = 10.0 * 9.0 * e / (1.0 + 9.0 * e).powi(2);
//! assert!((s.jacobians[0][(0, 0)] - dn_dr).abs() < 1e-7);
//! # Ok::<(), odeon::Error>(())
//! ```

pub(crate) mod build;
mod compile;
mod file;
#[cfg(feature = "jit")]
mod jit;
mod model;
mod syntax;
#[allow(clippy::module_inception)]
mod tape;

pub(crate) use compile::Function;
pub use model::TapeModel;
pub use syntax::{BinOp, Expr, Kind, SyntaxError};
pub(crate) use tape::Tape;

use crate::Error;

/// Parse one expression.
///
/// # Errors
/// [`Error::Parse`] with the column (in the expression) of what is wrong.
///
/// # Example
/// ```
/// let e = odeon::tape::parse("-x^2 + 2*y")?;
/// assert_eq!(e.to_string(), "-x ^ 2 + 2 * y");
/// assert!(odeon::tape::parse("x +").is_err());
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn parse(src: &str) -> Result<Expr, Error> {
    syntax::parse(src).map_err(|e| {
        let (line, column) = crate::spec::position(src, e.at);
        Error::Parse { file: "<expression>".into(), line, column, reason: e.reason }
    })
}

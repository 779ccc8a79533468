//! Integration with adaptive steps and dense output: explicit Runge–Kutta
//! methods for non-stiff problems, Rosenbrock methods for stiff ones.
//!
//! [`solve`] is the driver most code wants; a [`Stepper`] takes steps one
//! at a time. Methods are data: explicit tableaux ([`tableau`]: fixed-step
//! [`Euler`], [`Heun`], [`Rk4`]; adaptive [`Bs3`], [`Dopri5`], [`Tsit5`],
//! [`Dop853`]) and Rosenbrock tableaux ([`rosenbrock::tableau`]:
//! [`Rodas5P`], [`Rodas4P`], [`Rosenbrock23`]), ESDIRK tableaux
//! ([`esdirk::tableau`]: [`Kvaerno5`], [`TrBdf2`]) and variable-order
//! [`Bdf`], whose Jacobians come from dual numbers through the model's own
//! right-hand side.

mod auto;
pub mod bdf;
mod controller;
mod driver;
pub mod esdirk;
pub mod events;
mod explicit;
mod iteration;
mod jacobian;
/// The Jacobian chunk, for the compiled tapes' second-order type.
#[cfg(feature = "jit")]
pub(crate) use jacobian::CHUNK as JACOBIAN_CHUNK;
pub mod linalg;
mod mass;
pub mod newton;
mod options;
pub mod rosenbrock;

mod stepper;
pub mod tableau;
#[cfg(test)]
mod trees;

pub use crate::solution::{Solution, Stats};
pub use auto::{Auto, AutoStepper};
pub use bdf::{Bdf, BdfStepper};
pub use controller::{Controller, MAX_ERROR_TEST_FAILURES, tolerance_fraction};
pub use driver::drive;
pub use esdirk::EsdirkStepper;
pub use esdirk::tableau::{EsdirkMethod, EsdirkTableau, Kvaerno5, TrBdf2};
pub use explicit::{Integrator, LaneSink, Unbatched, solve_lanes};
pub use iteration::sparsity;
pub use mass::MassMatrix;
pub use options::{Linsolve, Options, Save, Tolerance};
pub use rosenbrock::RosenbrockStepper;
pub use rosenbrock::tableau::{Rodas4P, Rodas5P, Rosenbrock23, RosenbrockMethod, RosenbrockTableau};
pub(crate) use stepper::UNSTABLE;
pub use stepper::{StepResult, Stepper};
pub use tableau::{
    Bs3, Dop853, Dopri5, ErrorEstimator, Euler, ExplicitRk, Heun, Interpolant, Rk4, StiffnessTest, Tableau, Tsit5,
};

use crate::{DualScalar, Error, Model};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The integration methods, by their literature names.
///
/// # Example
/// ```
/// use odeon::Method;
/// let m: Method = "dopri5".parse()?;
/// assert_eq!(m, Method::Dopri5);
/// assert_eq!(m.order(), 5);
/// assert!(m.is_adaptive() && !Method::Rk4.is_adaptive());
/// assert!(Method::Rodas5P.is_stiff() && !m.is_stiff());
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    /// Forward Euler, order 1, fixed step.
    Euler,
    /// Heun (explicit trapezoid), order 2, fixed step.
    Heun,
    /// Classic Runge–Kutta, order 4, fixed step.
    Rk4,
    /// Bogacki–Shampine 3(2), adaptive.
    Bs3,
    /// Dormand–Prince 5(4), adaptive.
    Dopri5,
    /// Tsitouras 5(4), adaptive.
    Tsit5,
    /// Dormand–Prince 8(5,3), adaptive.
    Dop853,
    /// Rosenbrock 2(3) (MATLAB's `ode23s`), stiff, for loose tolerances.
    Rosenbrock23,
    /// Rodas4P, stiff, order 4(3).
    Rodas4P,
    /// Rodas5P, stiff, order 5(4): the default stiff method.
    Rodas5P,
    /// Kværnø's ESDIRK 5(4), stiff, L-stable (diffrax's default).
    Kvaerno5,
    /// TR-BDF2, stiff, order 2(3), L-stable (MATLAB's `ode23tb`).
    TrBdf2,
    /// Variable-order BDF (orders 1–5, NDF form), stiff: for larger systems
    /// and long horizons.
    Bdf,
    /// Tsit5 switching to Rodas5P while the problem is stiff ([`Auto`]):
    /// the choice when you do not know.
    Auto,
}

impl Method {
    /// Every method, explicit ones by increasing order, then the stiff ones.
    pub const ALL: [Method; 14] = [
        Method::Euler,
        Method::Heun,
        Method::Rk4,
        Method::Bs3,
        Method::Dopri5,
        Method::Tsit5,
        Method::Dop853,
        Method::Rosenbrock23,
        Method::Rodas4P,
        Method::Rodas5P,
        Method::TrBdf2,
        Method::Kvaerno5,
        Method::Bdf,
        Method::Auto,
    ];

    /// The explicit method's tableau (`None` for stiff methods).
    pub fn tableau(self) -> Option<&'static Tableau> {
        Some(match self {
            Method::Euler => &Euler::TABLEAU,
            Method::Heun => &Heun::TABLEAU,
            Method::Rk4 => &Rk4::TABLEAU,
            Method::Bs3 => &Bs3::TABLEAU,
            Method::Dopri5 => &Dopri5::TABLEAU,
            Method::Tsit5 => &Tsit5::TABLEAU,
            Method::Dop853 => &Dop853::TABLEAU,
            _ => return None,
        })
    }

    /// The Rosenbrock method's tableau (`None` for explicit methods).
    pub fn rosenbrock_tableau(self) -> Option<&'static RosenbrockTableau> {
        Some(match self {
            Method::Rosenbrock23 => &Rosenbrock23::TABLEAU,
            Method::Rodas4P => &Rodas4P::TABLEAU,
            Method::Rodas5P => &Rodas5P::TABLEAU,
            _ => return None,
        })
    }

    /// The ESDIRK method's tableau (`None` for other methods).
    pub fn esdirk_tableau(self) -> Option<&'static EsdirkTableau> {
        Some(match self {
            Method::Kvaerno5 => &Kvaerno5::TABLEAU,
            Method::TrBdf2 => &TrBdf2::TABLEAU,
            _ => return None,
        })
    }

    /// The method's literature name.
    pub fn name(self) -> &'static str {
        match (self.tableau(), self.rosenbrock_tableau(), self.esdirk_tableau()) {
            (Some(t), _, _) => t.name,
            (_, Some(t), _) => t.name,
            (_, _, Some(t)) => t.name,
            _ if self == Method::Bdf => "BDF",
            _ => "Auto",
        }
    }

    /// Order of the propagated solution (the highest, for BDF).
    pub fn order(self) -> u32 {
        match (self.tableau(), self.rosenbrock_tableau(), self.esdirk_tableau()) {
            (Some(t), _, _) => t.order,
            (_, Some(t), _) => t.order,
            (_, _, Some(t)) => t.order,
            _ => 5, // Tsit5 and Rodas5P; BDF's highest order
        }
    }

    /// Whether the method has an error estimate (and so adaptive steps).
    pub fn is_adaptive(self) -> bool {
        self.tableau().is_none_or(|t| t.error.controller_order().is_some())
    }

    /// Whether the method solves stiff problems efficiently.
    pub fn is_stiff(self) -> bool {
        self.rosenbrock_tableau().is_some()
            || self.esdirk_tableau().is_some()
            || matches!(self, Method::Bdf | Method::Auto)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Method::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
            Error::InvalidOption {
                name: "method",
                reason: format!("unknown method {s:?}; known: {}", names.join(", ")),
            }
        })
    }
}

/// A method a solve can run: a method type chosen at compile time
/// ([`Tsit5`], [`Dopri5`], … — only that method's stepper is compiled into
/// the program) or a [`Method`] chosen at run time (every method is
/// compiled in, so that any can be picked by name).
///
/// Every function that integrates takes `impl Algorithm`, so both work
/// everywhere:
/// ```
/// use odeon::{models::VanDerPol, solve, Method, Options, Tsit5};
/// let opts = Options::default().save_final();
/// let fixed = solve(&VanDerPol, Tsit5, (0.0, 5.0), &[2.0, 0.0], &[1.0], &opts)?;
/// let named: Method = "tsit5".parse()?;
/// let chosen = solve(&VanDerPol, named, (0.0, 5.0), &[2.0, 0.0], &[1.0], &opts)?;
/// assert_eq!(fixed.y, chosen.y);
/// # Ok::<(), odeon::Error>(())
/// ```
pub trait Algorithm: Copy + Send + Sync + 'static {
    /// The method's literature name.
    fn name(&self) -> &'static str;

    /// [`solve_dual`] with this method.
    fn solve_dual<S, D>(
        &self,
        system: &S,
        t_span: (f64, f64),
        y0: &[D],
        p: &[D],
        options: &Options,
    ) -> Result<Solution<D>, Error>
    where
        S: Model,
        D: DualScalar,
        DefaultAllocator: Allocator<S::Dim>;

    /// [`solve_lanes`] with this method, `L` samples at a time; methods
    /// without a lane stepper (the implicit ones) leave every sample to
    /// the one-sample path ([`Unbatched::Unsupported`]).
    ///
    /// # Errors
    /// As [`solve_lanes`].
    fn solve_lanes<'i, S, T, const L: usize>(
        &self,
        system: &S,
        t_span: (f64, f64),
        options: &Options,
        n: usize,
        input: &dyn Fn(usize) -> (&'i [T], &'i [T]),
        sink: &mut LaneSink<'_, T>,
    ) -> Result<(), Unbatched>
    where
        S: Model,
        T: DualScalar + 'i,
        DefaultAllocator: Allocator<S::Dim>,
    {
        let _ = (system, t_span, options, n, input, sink);
        Err(Unbatched::Unsupported)
    }
}

impl<M: ExplicitRk> Algorithm for M {
    fn name(&self) -> &'static str {
        M::TABLEAU.name
    }

    fn solve_dual<S, D>(
        &self,
        system: &S,
        t_span: (f64, f64),
        y0: &[D],
        p: &[D],
        options: &Options,
    ) -> Result<Solution<D>, Error>
    where
        S: Model,
        D: DualScalar,
        DefaultAllocator: Allocator<S::Dim>,
    {
        solve_with::<S, M, D>(system, t_span, y0, p, options)
    }

    fn solve_lanes<'i, S, T, const L: usize>(
        &self,
        system: &S,
        t_span: (f64, f64),
        options: &Options,
        n: usize,
        input: &dyn Fn(usize) -> (&'i [T], &'i [T]),
        sink: &mut LaneSink<'_, T>,
    ) -> Result<(), Unbatched>
    where
        S: Model,
        T: DualScalar + 'i,
        DefaultAllocator: Allocator<S::Dim>,
    {
        solve_lanes::<S, M, T, L>(system, t_span, options, n, input, sink)
    }
}

/// `Algorithm` for a method type: its name and the stepper it drives
/// (generic over the system `S` and the scalar `D`).
macro_rules! stepper_algorithm {
    ($($ty:ident: $name:expr => $stepper:ident<$($g:ty),+>;)+) => {$(
        impl Algorithm for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn solve_dual<S, D>(
                &self,
                system: &S,
                t_span: (f64, f64),
                y0: &[D],
                p: &[D],
                options: &Options,
            ) -> Result<Solution<D>, Error>
            where
                S: Model,
                D: DualScalar,
                DefaultAllocator: Allocator<S::Dim>,
            {
                drive($stepper::<$($g),+>::new(system, t_span, y0, p, options)?, system, p, t_span, options)
            }
        }
    )+};
}

stepper_algorithm! {
    Rosenbrock23: Rosenbrock23::TABLEAU.name => RosenbrockStepper<S, Rosenbrock23, D>;
    Rodas4P: Rodas4P::TABLEAU.name => RosenbrockStepper<S, Rodas4P, D>;
    Rodas5P: Rodas5P::TABLEAU.name => RosenbrockStepper<S, Rodas5P, D>;
    Kvaerno5: Kvaerno5::TABLEAU.name => EsdirkStepper<S, Kvaerno5, D>;
    TrBdf2: TrBdf2::TABLEAU.name => EsdirkStepper<S, TrBdf2, D>;
    Bdf: "BDF" => BdfStepper<S, D>;
    Auto: "Auto" => AutoStepper<S, D>;
}

impl Algorithm for Method {
    fn name(&self) -> &'static str {
        Method::name(*self)
    }

    fn solve_dual<S, D>(
        &self,
        system: &S,
        t_span: (f64, f64),
        y0: &[D],
        p: &[D],
        options: &Options,
    ) -> Result<Solution<D>, Error>
    where
        S: Model,
        D: DualScalar,
        DefaultAllocator: Allocator<S::Dim>,
    {
        match self {
            Method::Euler => Euler.solve_dual(system, t_span, y0, p, options),
            Method::Heun => Heun.solve_dual(system, t_span, y0, p, options),
            Method::Rk4 => Rk4.solve_dual(system, t_span, y0, p, options),
            Method::Bs3 => Bs3.solve_dual(system, t_span, y0, p, options),
            Method::Dopri5 => Dopri5.solve_dual(system, t_span, y0, p, options),
            Method::Tsit5 => Tsit5.solve_dual(system, t_span, y0, p, options),
            Method::Dop853 => Dop853.solve_dual(system, t_span, y0, p, options),
            Method::Rosenbrock23 => Rosenbrock23.solve_dual(system, t_span, y0, p, options),
            Method::Rodas4P => Rodas4P.solve_dual(system, t_span, y0, p, options),
            Method::Rodas5P => Rodas5P.solve_dual(system, t_span, y0, p, options),
            Method::TrBdf2 => TrBdf2.solve_dual(system, t_span, y0, p, options),
            Method::Kvaerno5 => Kvaerno5.solve_dual(system, t_span, y0, p, options),
            Method::Bdf => Bdf.solve_dual(system, t_span, y0, p, options),
            Method::Auto => Auto.solve_dual(system, t_span, y0, p, options),
        }
    }

    fn solve_lanes<'i, S, T, const L: usize>(
        &self,
        system: &S,
        t_span: (f64, f64),
        options: &Options,
        n: usize,
        input: &dyn Fn(usize) -> (&'i [T], &'i [T]),
        sink: &mut LaneSink<'_, T>,
    ) -> Result<(), Unbatched>
    where
        S: Model,
        T: DualScalar + 'i,
        DefaultAllocator: Allocator<S::Dim>,
    {
        match self {
            Method::Euler => solve_lanes::<S, Euler, T, L>(system, t_span, options, n, input, sink),
            Method::Heun => solve_lanes::<S, Heun, T, L>(system, t_span, options, n, input, sink),
            Method::Rk4 => solve_lanes::<S, Rk4, T, L>(system, t_span, options, n, input, sink),
            Method::Bs3 => solve_lanes::<S, Bs3, T, L>(system, t_span, options, n, input, sink),
            Method::Dopri5 => solve_lanes::<S, Dopri5, T, L>(system, t_span, options, n, input, sink),
            Method::Tsit5 => solve_lanes::<S, Tsit5, T, L>(system, t_span, options, n, input, sink),
            Method::Dop853 => solve_lanes::<S, Dop853, T, L>(system, t_span, options, n, input, sink),
            _ => Err(Unbatched::Unsupported),
        }
    }
}

/// Integrate `y' = f(t, y, p)` over `t_span` from `y0`.
///
/// Integration runs backward when `t_span.1 < t_span.0`. What is saved
/// follows `options.save` (every step by default). To carry derivatives,
/// use [`solve_dual`], the same solve over any [`DualScalar`].
///
/// # Errors
/// Invalid inputs or options; step size below `h_min`; `max_steps`
/// exceeded; a right-hand side that stays non-finite however small the
/// step. Integration failures carry the solution up to the failure
/// ([`Error::partial`]).
///
/// # Example
/// ```
/// use odeon::{models::VanDerPol, solve, Method, Options};
/// let opts = Options::default().rtol(1e-8).atol(1e-8);
/// let sol = solve(&VanDerPol, Method::Dopri5, (0.0, 20.0), &[2.0, 0.0], &[1.0], &opts)?;
/// let (_, y) = sol.last().unwrap();
/// assert!((y[0] - 2.0081497621749387).abs() < 1e-5); // scipy DOP853 at 1e-13
/// println!("{} steps, {} evaluations", sol.stats.accepted, sol.stats.rhs_evals);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn solve<S>(
    system: &S,
    method: impl Algorithm,
    t_span: (f64, f64),
    y0: &[f64],
    p: &[f64],
    options: &Options,
) -> Result<Solution, Error>
where
    S: Model,
    DefaultAllocator: Allocator<S::Dim>,
{
    solve_dual(system, method, t_span, y0, p, options)
}

/// [`solve`] over any scalar: `f64` or a num-dual number seeded by the
/// caller. Steps are chosen from the real parts only, so the run takes
/// exactly the steps of the `f64` run and the derivative parts are the
/// exact derivatives of the discrete solution.
///
/// # Example
/// ```
/// use num_dual::Dual64;
/// use odeon::{integrate::solve_dual, models::ExponentialDecay, Method, Options};
/// // d y(1) / d k for y' = -k y, y(0) = 1, at k = 0.5: -exp(-0.5).
/// let k = Dual64::new(0.5, 1.0);
/// let opts = Options::default().rtol(1e-12).atol(1e-12).save_final();
/// let sol = solve_dual(&ExponentialDecay, Method::Tsit5, (0.0, 1.0), &[Dual64::from(1.0)], &[k], &opts)?;
/// let y = sol.last().unwrap().1[0];
/// assert!((y.eps + (-0.5f64).exp()).abs() < 1e-10);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn solve_dual<S, D>(
    system: &S,
    method: impl Algorithm,
    t_span: (f64, f64),
    y0: &[D],
    p: &[D],
    options: &Options,
) -> Result<Solution<D>, Error>
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    method.solve_dual(system, t_span, y0, p, options)
}

/// The explicit Runge–Kutta driver, the method as a type parameter (also
/// for user-defined tableaux, see [`ExplicitRk`]).
pub fn solve_with<S, M, D>(
    system: &S,
    t_span: (f64, f64),
    y0: &[D],
    p: &[D],
    options: &Options,
) -> Result<Solution<D>, Error>
where
    S: Model,
    M: ExplicitRk,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    drive(Integrator::<S, M, D>::new(system, t_span, y0, p, options)?, system, p, t_span, options)
}

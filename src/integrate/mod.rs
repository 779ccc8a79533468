//! Explicit Runge–Kutta integration with adaptive steps and dense output.
//!
//! [`solve`] is the driver most code wants; [`Integrator`] takes steps one
//! at a time. Methods are data ([`tableau`]): fixed-step [`Euler`],
//! [`Heun`], [`Rk4`]; adaptive [`Bs3`], [`Dopri5`], [`Tsit5`], [`Dop853`].

mod controller;
mod explicit;
mod options;
mod solution;
pub mod tableau;

pub use controller::Controller;
pub use explicit::{Integrator, StepResult};
pub use options::{Options, Save, Tolerance};
pub(crate) use solution::write_file;
pub use solution::{Solution, Stats};
pub use tableau::{Bs3, Dop853, Dopri5, ErrorEstimator, Euler, ExplicitRk, Heun, Interpolant, Rk4, Tableau, Tsit5};

use crate::{DualScalar, Error, OdeSystem};
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
}

impl Method {
    /// Every method, in order of increasing order.
    pub const ALL: [Method; 7] =
        [Method::Euler, Method::Heun, Method::Rk4, Method::Bs3, Method::Dopri5, Method::Tsit5, Method::Dop853];

    /// The method's tableau.
    pub fn tableau(self) -> &'static Tableau {
        match self {
            Method::Euler => &Euler::TABLEAU,
            Method::Heun => &Heun::TABLEAU,
            Method::Rk4 => &Rk4::TABLEAU,
            Method::Bs3 => &Bs3::TABLEAU,
            Method::Dopri5 => &Dopri5::TABLEAU,
            Method::Tsit5 => &Tsit5::TABLEAU,
            Method::Dop853 => &Dop853::TABLEAU,
        }
    }

    /// Order of the propagated solution.
    pub fn order(self) -> u32 {
        self.tableau().order
    }

    /// Whether the method has an error estimate (and so adaptive steps).
    pub fn is_adaptive(self) -> bool {
        self.tableau().error.controller_order().is_some()
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.tableau().name)
    }
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Method::ALL.into_iter().find(|m| m.tableau().name.eq_ignore_ascii_case(s)).ok_or_else(|| {
            let names: Vec<_> = Method::ALL.iter().map(|m| m.tableau().name).collect();
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
        S: OdeSystem,
        D: DualScalar,
        DefaultAllocator: Allocator<S::Dim>;
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
        S: OdeSystem,
        D: DualScalar,
        DefaultAllocator: Allocator<S::Dim>,
    {
        solve_with::<S, M, D>(system, t_span, y0, p, options)
    }
}

impl Algorithm for Method {
    fn name(&self) -> &'static str {
        self.tableau().name
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
        S: OdeSystem,
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
    S: OdeSystem,
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
    S: OdeSystem,
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
    S: OdeSystem,
    M: ExplicitRk,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    let mut it = Integrator::<S, M, D>::new(system, t_span, y0, p, options)?;
    let n = y0.len();
    let mut sol = Solution::new(n);
    let dir = if t_span.1 >= t_span.0 { 1.0 } else { -1.0 };
    let mut buf = it.y().clone();
    let mut next = 0;
    match &options.save {
        Save::Steps => sol.push(t_span.0, y0.iter().copied()),
        Save::At(ts) => {
            while next < ts.len() && ts[next] == t_span.0 {
                sol.push(t_span.0, y0.iter().copied());
                next += 1;
            }
        }
        Save::Final => {}
    }
    loop {
        match it.step() {
            Ok(StepResult::Finished) => break,
            Ok(StepResult::Stepped) => {}
            Err(e) => {
                sol.stats = it.stats();
                return Err(e.with_partial(sol.primal()));
            }
        }
        match &options.save {
            Save::Steps => sol.push(it.t(), it.y().iter().copied()),
            Save::At(ts) => {
                while next < ts.len() && dir * (ts[next] - it.t()) <= 0.0 {
                    it.interpolate(ts[next], &mut buf)?;
                    sol.push(ts[next], buf.iter().copied());
                    next += 1;
                }
            }
            Save::Final => {}
        }
    }
    if options.save == Save::Final {
        sol.push(it.t(), it.y().iter().copied());
    }
    sol.stats = it.stats();
    Ok(sol)
}

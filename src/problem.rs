//! One value for an initial-value problem: a system, a time span, an
//! initial state and parameters — solved, differentiated and given
//! gradients and Hessians by its methods (DifferentialEquations.jl's
//! `ODEProblem` + `solve`).

use crate::integrate::{Algorithm, Solution};
use crate::sensitivity::{
    Functional, SecondOrder, Sensitivities, Tangent, Wrt, gradient_hessian, solve_jvp, solve_sensitivities,
};
use crate::{DualScalar, Error, Model, Options};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;

/// `y' = f(t, y, p)` on `t_span` from `y0`: what every solve needs except
/// the method and the options.
///
/// The values are checked when a solve starts (lengths against the
/// system, finiteness), so a problem can be built from any input and
/// changed with [`with_p`](Self::with_p), [`with_y0`](Self::with_y0) and
/// [`with_t_span`](Self::with_t_span).
///
/// # Example
/// ```
/// use odeon::sensitivity::Wrt;
/// use odeon::{models::Robertson, OdeProblem, Options, Rodas5P};
///
/// let problem = OdeProblem::new(&Robertson, (0.0, 40.0), &Robertson::Y0, &Robertson::PARAMS);
/// let opts = Options::default().rtol(1e-8).atol(1e-12).save_final();
/// let sol = problem.solve(Rodas5P, &opts)?;
/// let s = problem.sensitivities(Rodas5P, &Wrt::params(&Robertson), &opts)?;
/// assert_eq!(s.solution.y, sol.y); // the same steps
/// println!("dy(40)/dk = {}", s.jacobians[0]);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OdeProblem<'a, S> {
    /// The model.
    pub system: &'a S,
    /// Start and end time (backward when the end is before the start).
    pub t_span: (f64, f64),
    /// Initial state.
    pub y0: Vec<f64>,
    /// Parameters.
    pub p: Vec<f64>,
}

impl<'a, S> OdeProblem<'a, S>
where
    S: Model,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// A problem from its parts.
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &[f64], p: &[f64]) -> Self {
        OdeProblem { system, t_span, y0: y0.to_vec(), p: p.to_vec() }
    }

    /// The same problem with other parameters.
    pub fn with_p(mut self, p: &[f64]) -> Self {
        self.p = p.to_vec();
        self
    }

    /// The same problem from another initial state.
    pub fn with_y0(mut self, y0: &[f64]) -> Self {
        self.y0 = y0.to_vec();
        self
    }

    /// The same problem over another time span.
    pub fn with_t_span(mut self, t_span: (f64, f64)) -> Self {
        self.t_span = t_span;
        self
    }

    /// Integrate (see [`solve`](crate::solve)).
    pub fn solve(&self, method: impl Algorithm, options: &Options) -> Result<Solution, Error> {
        crate::solve(self.system, method, self.t_span, &self.y0, &self.p, options)
    }

    /// Integrate with dual numbers seeded by the caller: `y0` and `p` of
    /// any [`DualScalar`] in place of the problem's (see
    /// [`solve_dual`](crate::solve_dual)).
    pub fn solve_dual<D: DualScalar>(
        &self,
        method: impl Algorithm,
        y0: &[D],
        p: &[D],
        options: &Options,
    ) -> Result<Solution<D>, Error> {
        crate::solve_dual(self.system, method, self.t_span, y0, p, options)
    }

    /// Exact forward sensitivities `∂y(t_i)/∂wrt` at the saved times (see
    /// [`solve_sensitivities`]).
    pub fn sensitivities(
        &self,
        method: impl Algorithm,
        wrt: &[Wrt],
        options: &Options,
    ) -> Result<Sensitivities, Error> {
        solve_sensitivities(self.system, method, self.t_span, &self.y0, &self.p, wrt, options)
    }

    /// The directional derivative of the solution along `v` (see
    /// [`solve_jvp`]).
    pub fn jvp(&self, method: impl Algorithm, v: &[(Wrt, f64)], options: &Options) -> Result<Tangent, Error> {
        solve_jvp(self.system, method, self.t_span, &self.y0, &self.p, v, options)
    }

    /// Gradient and Hessian of `functional(solution)` (see
    /// [`gradient_hessian`]).
    pub fn gradient_hessian<F: Functional>(
        &self,
        method: impl Algorithm,
        wrt: &[Wrt],
        functional: &F,
        options: &Options,
    ) -> Result<SecondOrder, Error> {
        gradient_hessian(self.system, method, self.t_span, &self.y0, &self.p, wrt, functional, options)
    }
}

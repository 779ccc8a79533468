//! The nonlinear program a solver sees: a small trait, IPOPT's TNLP in
//! spirit.
//!
//! minimize f(x) subject to x_L ≤ x ≤ x_U and g_L ≤ g(x) ≤ g_U, with
//! x ∈ ℝⁿ, g: ℝⁿ → ℝᵐ; equalities have g_L = g_U. Derivatives are sparse
//! triplets whose structure is fixed for the life of the problem.

/// A nonlinear program with sparse first (and optionally second)
/// derivatives.
///
/// Requirements: the structures must not change between calls, values come
/// in the order of their structure, duplicates are summed. Non-finite
/// values are allowed: the solver treats them as a failed evaluation
/// (it shortens the step).
///
/// # Example
/// ```
/// use odeon::ocp::{Nlp, solve_nlp, SqpOptions, Status};
/// /// min (x−2)² s.t. x ≤ 1 (as a constraint g(x) = x ∈ (−∞, 1]).
/// struct Small;
/// impl Nlp for Small {
///     fn n(&self) -> usize { 1 }
///     fn m(&self) -> usize { 1 }
///     fn x_bounds(&self, lo: &mut [f64], hi: &mut [f64]) { lo[0] = -10.0; hi[0] = 10.0; }
///     fn g_bounds(&self, lo: &mut [f64], hi: &mut [f64]) { lo[0] = f64::NEG_INFINITY; hi[0] = 1.0; }
///     fn initial_point(&self, x: &mut [f64]) { x[0] = 0.0; }
///     fn objective(&self, x: &[f64]) -> f64 { (x[0] - 2.0).powi(2) }
///     fn gradient(&self, x: &[f64], g: &mut [f64]) { g[0] = 2.0 * (x[0] - 2.0); }
///     fn constraints(&self, x: &[f64], g: &mut [f64]) { g[0] = x[0]; }
///     fn jacobian_structure(&self) -> Vec<(usize, usize)> { vec![(0, 0)] }
///     fn jacobian_values(&self, _x: &[f64], v: &mut [f64]) { v[0] = 1.0; }
///     fn hessian_structure(&self) -> Option<Vec<(usize, usize)>> { Some(vec![(0, 0)]) }
///     fn hessian_values(&self, _x: &[f64], sigma: f64, _l: &[f64], v: &mut [f64]) { v[0] = 2.0 * sigma; }
/// }
/// let r = solve_nlp(&Small, &SqpOptions::default())?;
/// assert_eq!(r.status, Status::Optimal);
/// assert!((r.x[0] - 1.0).abs() < 1e-8 && (r.lambda[0] - 2.0).abs() < 1e-6);
/// # Ok::<(), odeon::Error>(())
/// ```
pub trait Nlp {
    /// Number of variables.
    fn n(&self) -> usize;
    /// Number of constraints.
    fn m(&self) -> usize;
    /// Bounds of the variables (±∞ for none).
    fn x_bounds(&self, lower: &mut [f64], upper: &mut [f64]);
    /// Bounds of the constraints (equal for equalities).
    fn g_bounds(&self, lower: &mut [f64], upper: &mut [f64]);
    /// The starting point.
    fn initial_point(&self, x: &mut [f64]);
    /// f(x).
    fn objective(&self, x: &[f64]) -> f64;
    /// ∇f(x), dense.
    fn gradient(&self, x: &[f64], grad: &mut [f64]);
    /// g(x).
    fn constraints(&self, x: &[f64], g: &mut [f64]);
    /// (row, column) of every structurally nonzero entry of ∂g/∂x.
    fn jacobian_structure(&self) -> Vec<(usize, usize)>;
    /// Values of ∂g/∂x in the order of the structure.
    fn jacobian_values(&self, x: &[f64], values: &mut [f64]);
    /// Lower triangle (row ≥ column) of the Hessian of the Lagrangian
    /// σ f + λᵀ g, or `None` (the solver then uses a quasi-Newton
    /// approximation). Rows and columns of fixed variables (equal bounds)
    /// may be left out: no step moves them.
    fn hessian_structure(&self) -> Option<Vec<(usize, usize)>> {
        None
    }
    /// Values of the Hessian of σ f + λᵀ g in the order of its structure.
    /// The exact Hessian is best: near a solution the SQP solver makes its
    /// QP convex itself (augmented-Lagrangian convexification with an
    /// inertia test), which keeps Newton's convergence.
    fn hessian_values(&self, _x: &[f64], _sigma: f64, _lambda: &[f64], _values: &mut [f64]) {}
    /// A positive semidefinite approximation of the Hessian in the same
    /// structure, for the iterations far from a solution (where the exact
    /// Hessian may be far from convex on the constraints' null space).
    /// Returns `false` (the default) if the problem has none; the solver
    /// then shifts the exact Hessian's diagonal.
    fn convex_hessian_values(&self, _x: &[f64], _sigma: f64, _lambda: &[f64], _values: &mut [f64]) -> bool {
        false
    }
}

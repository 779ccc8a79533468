//! Integration matrices and interpolatory quadrature: the integral form of
//! Radau and Gauss pseudospectral collocation.

use nalgebra::DMatrix;

use super::barycentric::{Barycentric, Locus, check_finite, check_shape};
use super::nodes::{gauss_node, lg, lgr};
use crate::Error;

/// Integration matrix `A` from the nodes `x_nodes` to the points `x_eval`:
/// `A[(i, j)] = ∫₋₁^{x_eval[i]} ℓⱼ(τ) dτ`, with ℓⱼ the Lagrange basis on
/// `x_nodes`. For values `f` of a polynomial p of degree < n at the nodes,
/// `(A f)[i] = ∫₋₁^{x_eval[i]} p`. Shape `x_eval.len() × x_nodes.len()`.
///
/// With `x_eval = x_nodes` on LGL or LGR nodes this is the Birkhoff
/// integration matrix of dymos (`dymos/utils/birkhoff.py`,
/// `birkhoff_matrix`); see [`radau_integration_matrix`] and
/// [`gauss_integration_matrix`] for the pseudospectral forms. The integral
/// is in τ; the caller applies dt/dτ.
///
/// Each entry is an ⌈n/2⌉-point Gauss–Legendre quadrature on [−1, `x_eval[i]`]
/// of ℓⱼ in first barycentric form, exact for degree n − 1:
/// O(n²·n_eval/2) operations, no linear solve, no monomial basis.
///
/// # Reference
/// Garg, Patterson, Hager, Rao, Benson & Huntington, "A unified framework
/// for the numerical solution of optimal control problems using
/// pseudospectral methods", Automatica 46 (2010) (the integral forms of
/// the Gauss and Radau pseudospectral methods);
/// Berrut & Trefethen, SIAM Review 46 (2004) for ℓⱼ.
///
/// # Errors
/// [`Error::TooFewNodes`], [`Error::NonFiniteNode`] (set `"x_nodes"` or
/// `"x_eval"`), [`Error::RepeatedNode`], [`Error::WeightsOutOfRange`].
///
/// # Example
/// ```
/// use odeon::collocation::{integration_matrix, lgl};
/// let t = lgl(4)?.x;
/// let a = integration_matrix(&t, &t)?;
/// // ∫₋₁^τ 3s² ds = τ³ + 1, exact for this cubic's derivative.
/// let f = nalgebra::DVector::from_iterator(4, t.iter().map(|s| 3.0 * s * s));
/// let integral = &a * &f;
/// for (i, tau) in t.iter().enumerate() {
///     assert!((integral[i] - (tau.powi(3) + 1.0)).abs() < 1e-14);
/// }
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn integration_matrix(x_nodes: &[f64], x_eval: &[f64]) -> Result<DMatrix<f64>, Error> {
    let basis = Barycentric::for_set(x_nodes, "x_nodes")?;
    let mut a = DMatrix::zeros(x_eval.len(), x_nodes.len());
    basis.integration_matrix_into(x_eval, &mut a)?;
    Ok(a)
}

/// Interpolatory quadrature weights of arbitrary nodes on [−1, 1]:
/// `wⱼ = ∫₋₁¹ ℓⱼ(τ) dτ`, exact for polynomials of degree < n.
/// On LG, LGR or LGL nodes they are the weights of [`lg`], [`lgr`] or
/// [`lgl`](super::lgl).
///
/// # Reference
/// Davis & Rabinowitz, *Methods of Numerical Integration* (1984), §2.5.
///
/// # Errors
/// As [`integration_matrix`].
///
/// # Example
/// ```
/// // Simpson's rule.
/// let w = odeon::collocation::quadrature_weights(&[-1.0, 0.0, 1.0])?;
/// assert!((w[0] - 1.0 / 3.0).abs() < 1e-15 && (w[1] - 4.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn quadrature_weights(x_nodes: &[f64]) -> Result<Vec<f64>, Error> {
    Ok(integration_matrix(x_nodes, &[1.0])?.as_slice().to_vec())
}

/// The Radau pseudospectral integration matrix of n LGR collocation nodes
/// τ₁ = −1 < τ₂ < … < τₙ (from [`lgr`]) and τₙ₊₁ = 1:
/// `I[(k, j)] = ∫₋₁^{τₖ₊₂} ℓⱼ(τ) dτ` (0-based k, j), so that the state at
/// the nodes after the first is `X[1..] = X[0] + (dt/dτ)·I·F` with F the
/// dynamics at the collocation nodes. It is the inverse of the last n
/// columns of the n × (n + 1) LGR differentiation matrix (Garg et al. 2010).
///
/// # Reference
/// Garg et al., Automatica 46 (2010), integral form of the Radau
/// pseudospectral method.
///
/// # Errors
/// As [`lgr`].
///
/// # Example
/// ```
/// let i = odeon::collocation::radau_integration_matrix(3)?;
/// // The last row integrates over the whole interval: the LGR weights.
/// let w = odeon::collocation::lgr(3)?.w;
/// for j in 0..3 {
///     assert!((i[(2, j)] - w[j]).abs() < 1e-15);
/// }
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn radau_integration_matrix(n: usize) -> Result<DMatrix<f64>, Error> {
    let nodes = lgr(n)?;
    let mut ends = nodes.x[1..].to_vec();
    ends.push(1.0);
    integration_matrix(&nodes.x, &ends)
}

/// The Gauss pseudospectral integration matrix of n LG nodes τ₁ < … < τₙ:
/// `A[(k, j)] = ∫₋₁^{τₖ} ℓⱼ(τ) dτ`, so that `X = X₀ + (dt/dτ)·A·F` at the
/// LG nodes (the final state uses the LG weights). It is the inverse of the
/// last n columns of the n × (n + 1) differentiation matrix from
/// (−1, τ₁, …, τₙ) to the LG nodes (Garg et al. 2010).
///
/// # Reference
/// Garg et al., Automatica 46 (2010), integral form of the Gauss
/// pseudospectral method.
///
/// # Errors
/// As [`lg`].
///
/// # Example
/// ```
/// let a = odeon::collocation::gauss_integration_matrix(1)?;
/// // One node at 0: ∫₋₁⁰ 1 dτ = 1.
/// assert!((a[(0, 0)] - 1.0).abs() < 1e-15);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn gauss_integration_matrix(n: usize) -> Result<DMatrix<f64>, Error> {
    let nodes = lg(n)?;
    integration_matrix(&nodes.x, &nodes.x)
}

impl Barycentric {
    /// Fills `a` (`x_eval.len() × nodes().len()`) with the integration
    /// matrix from these nodes to `x_eval`, as [`integration_matrix`];
    /// allocates nothing (the Gauss–Legendre nodes are generated one at a
    /// time).
    ///
    /// # Errors
    /// [`Error::NonFiniteNode`] (set `"x_eval"`), [`Error::ShapeMismatch`]
    /// (name `"a"`). Nothing is written on error.
    ///
    /// # Example
    /// ```
    /// use odeon::collocation::{lgr, Barycentric};
    /// let nodes = lgr(4)?;
    /// let basis = Barycentric::new(&nodes.x)?;
    /// let mut a = nalgebra::DMatrix::zeros(1, 4);
    /// basis.integration_matrix_into(&[1.0], &mut a)?;
    /// for j in 0..4 {
    ///     assert!((a[(0, j)] - nodes.w[j]).abs() < 1e-15);
    /// }
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn integration_matrix_into(&self, x_eval: &[f64], a: &mut DMatrix<f64>) -> Result<(), Error> {
        check_finite("x_eval", x_eval)?;
        let nodes = self.nodes();
        let weights = self.weights();
        let rho = self.capacity_scale();
        let n = nodes.len();
        check_shape("a", a, x_eval.len(), n)?;
        a.fill(0.0);
        // ℓⱼ has degree n − 1; m Gauss points are exact to degree 2m − 1.
        let m = n.div_ceil(2);
        for q in 0..m {
            let (z, wq) = gauss_node(m, q);
            for (i, &t) in x_eval.iter().enumerate() {
                let half = 0.5 * (t + 1.0);
                let s = -1.0 + half * (z + 1.0);
                let c = wq * half;
                match self.locate(s) {
                    Locus::Node(k) => a[(i, k)] += c,
                    Locus::Between => {
                        // First barycentric form: ℓⱼ(s) = ℓ(s) wⱼ / (ρ(s − xⱼ)),
                        // ℓ(s) = Πₖ ρ(s − xₖ), accurate entry by entry.
                        let ell: f64 = nodes.iter().map(|&xk| rho * (s - xk)).product();
                        let f = c * ell / rho;
                        for (j, (&xj, &wj)) in nodes.iter().zip(weights).enumerate() {
                            a[(i, j)] += f * wj / (s - xj);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_nodes_integrate_hat_functions() {
        // Nodes −1, 1: ℓ₀ = (1 − τ)/2, ℓ₁ = (1 + τ)/2; ∫₋₁⁰ = 3/4, 1/4.
        let a = integration_matrix(&[-1.0, 1.0], &[0.0, -1.0]).unwrap();
        assert!((a[(0, 0)] - 0.75).abs() < 1e-15 && (a[(0, 1)] - 0.25).abs() < 1e-15);
        assert_eq!(a[(1, 0)], 0.0);
        assert_eq!(a[(1, 1)], 0.0);
    }

    #[test]
    fn shape_and_input_errors() {
        let b = Barycentric::new(&[-1.0, 1.0]).unwrap();
        let mut a = DMatrix::zeros(2, 2);
        assert!(matches!(
            b.integration_matrix_into(&[0.0], &mut a),
            Err(Error::ShapeMismatch { name: "a", expected_rows: 1, rows: 2, .. })
        ));
        assert!(matches!(integration_matrix(&[], &[0.0]), Err(Error::TooFewNodes { .. })));
        assert!(matches!(radau_integration_matrix(0), Err(Error::TooFewNodes { .. })));
    }
}

//! Lagrange interpolation and differentiation matrices.

use nalgebra::DMatrix;

use super::barycentric::{Barycentric, Locus, check_finite, check_shape};
use crate::Error;

/// Lagrange interpolation matrix `L` and differentiation matrix `D` from
/// the nodes `x_disc` to the points `x_eval`: for values `f` at `x_disc` of
/// the polynomial p of degree < `x_disc.len()`, `L f` are p(`x_eval`) and
/// `D f` are p′(`x_eval`). Row i belongs to `x_eval[i]`, column j to
/// `x_disc[j]`; both are `x_eval.len() × x_disc.len()`.
///
/// The semantics of dymos's `lagrange_matrices(x_disc, x_interp)`
/// (`dymos/utils/lagrange.py`), built by barycentric formulas in
/// O(n_disc²) + O(n_disc·n_eval) instead of products. Derivatives are with
/// respect to the variable of the nodes (τ on [-1, 1]); the caller applies
/// dτ/dt.
///
/// With wⱼ the barycentric weights ([`Barycentric`]), m the node nearest to
/// x, ℓ̂ = Πₖ≠ₘ ρ(x − xₖ) (ρ the weights' scale) and σ = Σₖ≠ₘ 1/(x − xₖ):
///
/// * off the nodes, ℓₘ(x) = ℓ̂wₘ, ℓⱼ(x) = ℓ̂(x − xₘ)wⱼ/(x − xⱼ), and
///   ℓₘ′(x) = ℓₘσ, ℓⱼ′(x) = ℓⱼ(σ + 1/(x − xₘ) − 1/(x − xⱼ)) — the first
///   barycentric form, accurate entry by entry, with the large term
///   1/(x − xₘ) kept out of the one entry where it would cancel;
/// * at a node x = xₘ, the row of `L` is eₘ and `D` has
///   (wⱼ/wₘ)/(xₘ − xⱼ) off the diagonal and, on it, minus the sum of the
///   others (the row-sum identity), so that `D` annihilates constants to
///   rounding.
///
/// # Reference
/// Berrut & Trefethen, "Barycentric Lagrange interpolation", SIAM Review 46
/// (2004), §3 and §9; Higham, "The numerical stability of barycentric
/// Lagrange interpolation", IMA J. Numer. Anal. 24 (2004) for the first
/// form; Baltensperger & Trummer, "Spectral differencing with a twist",
/// SIAM J. Sci. Comput. 24 (2003) for the row-sum diagonal.
///
/// # Errors
/// [`Error::TooFewNodes`] if `x_disc` is empty, [`Error::NonFiniteNode`]
/// (set `"x_disc"` or `"x_eval"`), [`Error::RepeatedNode`] if two entries of
/// `x_disc` are equal, [`Error::WeightsOutOfRange`] for node sets too
/// ill-conditioned to interpolate on. `x_eval` may repeat and may contain
/// nodes.
///
/// # Example
/// ```
/// use odeon::collocation::{lagrange_matrices, lg, lgl};
/// let disc = lgl(4)?;
/// let eval = lg(3)?;
/// let (l, d) = lagrange_matrices(&disc.x, &eval.x)?;
/// // p(τ) = τ³ is reproduced exactly, and so is p′ = 3τ².
/// let f = nalgebra::DVector::from_iterator(4, disc.x.iter().map(|t| t.powi(3)));
/// let (p, dp) = (&l * &f, &d * &f);
/// for (i, t) in eval.x.iter().enumerate() {
///     assert!((p[i] - t.powi(3)).abs() < 1e-14);
///     assert!((dp[i] - 3.0 * t * t).abs() < 1e-14);
/// }
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn lagrange_matrices(x_disc: &[f64], x_eval: &[f64]) -> Result<(DMatrix<f64>, DMatrix<f64>), Error> {
    let basis = Barycentric::for_set(x_disc, "x_disc")?;
    let mut l = DMatrix::zeros(x_eval.len(), x_disc.len());
    let mut d = DMatrix::zeros(x_eval.len(), x_disc.len());
    basis.lagrange_matrices_into(x_eval, &mut l, &mut d)?;
    Ok((l, d))
}

impl Barycentric {
    /// Fills `l` and `d` (each `x_eval.len() × nodes().len()`) with the
    /// Lagrange interpolation and differentiation matrices from these nodes
    /// to `x_eval`, as [`lagrange_matrices`]; allocates nothing.
    ///
    /// # Errors
    /// [`Error::NonFiniteNode`] (set `"x_eval"`), [`Error::ShapeMismatch`]
    /// (name `"l"` or `"d"`). Nothing is written on error.
    ///
    /// # Example
    /// ```
    /// use nalgebra::DMatrix;
    /// use odeon::collocation::{lgl, Barycentric};
    /// let nodes = lgl(5)?;
    /// let basis = Barycentric::new(&nodes.x)?;
    /// let (mut l, mut d) = (DMatrix::zeros(5, 5), DMatrix::zeros(5, 5));
    /// basis.lagrange_matrices_into(&nodes.x, &mut l, &mut d)?;
    /// assert_eq!(l, DMatrix::identity(5, 5));
    /// // Corner entry of the LGL differentiation matrix: −N(N+1)/4 with N = 4.
    /// assert!((d[(0, 0)] + 5.0).abs() < 1e-14);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn lagrange_matrices_into(
        &self,
        x_eval: &[f64],
        l: &mut DMatrix<f64>,
        d: &mut DMatrix<f64>,
    ) -> Result<(), Error> {
        check_finite("x_eval", x_eval)?;
        let n = self.nodes().len();
        check_shape("l", l, x_eval.len(), n)?;
        check_shape("d", d, x_eval.len(), n)?;
        for (i, &x) in x_eval.iter().enumerate() {
            match self.locate(x) {
                Locus::Node(m) => self.fill_node(m, l, d, i),
                Locus::Between => self.fill_between(x, l, d, i),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_point_matrices_match_hand_computation() {
        // Nodes −1, 0, 1; at x = 1/2: ℓ = (−1/8, 3/4, 3/8), ℓ′ = (0, −1, 1).
        let (l, d) = lagrange_matrices(&[-1.0, 0.0, 1.0], &[0.5, 0.0]).unwrap();
        let expect_l = [-0.125, 0.75, 0.375];
        let expect_d = [0.0, -1.0, 1.0];
        for j in 0..3 {
            assert!((l[(0, j)] - expect_l[j]).abs() < 1e-15);
            assert!((d[(0, j)] - expect_d[j]).abs() < 1e-15);
        }
        // At the node 0: L = e₁, D = (−1/2, 0, 1/2).
        assert_eq!([l[(1, 0)], l[(1, 1)], l[(1, 2)]], [0.0, 1.0, 0.0]);
        assert!((d[(1, 0)] + 0.5).abs() < 1e-15 && d[(1, 1)].abs() < 1e-15);
    }

    #[test]
    fn derivative_stays_accurate_next_to_a_node() {
        // p(x) = (x + 1)² on 3 nodes; evaluate 1e−12 away from the node 0:
        // p′ = 2x + 2 must come out to rounding, not to 1e−4 (the error of
        // the naive diagonal, which cancels two terms of size 1e12).
        let x = 1e-12;
        let (_, d) = lagrange_matrices(&[-1.0, 0.0, 1.0], &[x]).unwrap();
        let dp = d[(0, 0)] * 0.0 + d[(0, 1)] * 1.0 + d[(0, 2)] * 4.0;
        assert!((dp - (2.0 * x + 2.0)).abs() < 1e-14, "dp = {dp}");
    }

    #[test]
    fn wrong_buffers_and_points_are_errors() {
        let b = Barycentric::new(&[-1.0, 1.0]).unwrap();
        let mut l = DMatrix::zeros(1, 3);
        let mut d = DMatrix::zeros(1, 2);
        assert!(matches!(
            b.lagrange_matrices_into(&[0.0], &mut l, &mut d),
            Err(Error::ShapeMismatch { name: "l", expected_cols: 2, cols: 3, .. })
        ));
        let mut l = DMatrix::zeros(1, 2);
        assert!(matches!(
            b.lagrange_matrices_into(&[f64::INFINITY], &mut l, &mut d),
            Err(Error::NonFiniteNode { set: "x_eval", index: 0, .. })
        ));
        assert!(matches!(
            lagrange_matrices(&[0.0, f64::NAN], &[0.0]),
            Err(Error::NonFiniteNode { set: "x_disc", index: 1, .. })
        ));
    }
}

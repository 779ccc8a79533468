//! Hermite interpolation and differentiation matrices: the state
//! interpolation of Gauss–Lobatto collocation.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::barycentric::{Barycentric, Locus, check_finite, check_shape};
use crate::Error;

/// The four matrices of Hermite interpolation from nodes with values `x`
/// and slopes `ẋ` to evaluation points:
/// `x_eval = ai·x + bi·ẋ` and `ẋ_eval = ad·x + bd·ẋ`.
/// Each is `n_eval × n_given` (row = evaluation point).
///
/// Slopes are with respect to the variable of the nodes (τ); for slopes in
/// t multiply `bi` by dt/dτ and `ad` by dτ/dt, as dymos's Gauss–Lobatto
/// transcription does.
///
/// # Example
/// ```
/// let h = odeon::collocation::HermiteMatrices::zeros(2, 3);
/// assert_eq!(h.ai.shape(), (2, 3));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HermiteMatrices {
    /// Values → interpolated values.
    pub ai: DMatrix<f64>,
    /// Slopes → interpolated values.
    pub bi: DMatrix<f64>,
    /// Values → interpolated slopes.
    pub ad: DMatrix<f64>,
    /// Slopes → interpolated slopes.
    pub bd: DMatrix<f64>,
}

impl HermiteMatrices {
    /// Four zero matrices of shape `n_eval × n_given`, to be filled by
    /// [`Barycentric::hermite_matrices_into`].
    ///
    /// # Example
    /// ```
    /// let h = odeon::collocation::HermiteMatrices::zeros(1, 2);
    /// assert_eq!(h.bd.sum(), 0.0);
    /// ```
    pub fn zeros(n_eval: usize, n_given: usize) -> Self {
        HermiteMatrices {
            ai: DMatrix::zeros(n_eval, n_given),
            bi: DMatrix::zeros(n_eval, n_given),
            ad: DMatrix::zeros(n_eval, n_given),
            bd: DMatrix::zeros(n_eval, n_given),
        }
    }
}

/// Hermite matrices from `x_given` (where values and slopes are known) to
/// `x_eval`: the polynomial of degree < 2·n_given matching both is evaluated
/// (`ai`, `bi`) and differentiated (`ad`, `bd`) at `x_eval`.
///
/// The semantics of dymos's `hermite_matrices(x_given, x_eval)`
/// (`dymos/utils/hermite.py`); for a Gauss–Lobatto segment of order 2k − 1
/// the given nodes are the even-index LGL(2k − 1) nodes and the evaluation
/// points the odd-index ones. Built in O(n_given²) + O(n_given·n_eval) from
/// the Lagrange basis ℓⱼ and its self-slopes cⱼ = ℓⱼ′(xⱼ):
///
/// hⱼ(x) = [1 − 2cⱼ(x − xⱼ)] ℓⱼ(x)², gⱼ(x) = (x − xⱼ) ℓⱼ(x)²,
///
/// so `ai`, `bi` hold hⱼ, gⱼ and `ad`, `bd` their derivatives. At an
/// evaluation point equal to a node xₘ the rows are exactly eₘ, 0, 0, eₘ.
///
/// # Reference
/// Hildebrand, *Introduction to Numerical Analysis* (1987), §8.2 (Hermite
/// basis from the Lagrange basis); Berrut & Trefethen, SIAM Review 46 (2004)
/// for ℓⱼ and ℓⱼ′ in barycentric form.
///
/// # Errors
/// As [`lagrange_matrices`](super::lagrange_matrices), with sets
/// `"x_given"` and `"x_eval"`.
///
/// # Example
/// ```
/// // Cubic Hermite on [-1, 1] evaluated at the midpoint (Gauss–Lobatto order 3).
/// let h = odeon::collocation::hermite_matrices(&[-1.0, 1.0], &[0.0])?;
/// assert_eq!(h.ai.as_slice(), &[0.5, 0.5]);
/// assert_eq!(h.bi.as_slice(), &[0.25, -0.25]);
/// assert_eq!(h.ad.as_slice(), &[-0.75, 0.75]);
/// assert_eq!(h.bd.as_slice(), &[-0.25, -0.25]);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn hermite_matrices(x_given: &[f64], x_eval: &[f64]) -> Result<HermiteMatrices, Error> {
    let basis = Barycentric::for_set(x_given, "x_given")?;
    let mut out = HermiteMatrices::zeros(x_eval.len(), x_given.len());
    basis.hermite_matrices_into(x_eval, &mut out)?;
    Ok(out)
}

impl Barycentric {
    /// Fills `out` (four `x_eval.len() × nodes().len()` matrices) with the
    /// Hermite matrices from these nodes to `x_eval`, as
    /// [`hermite_matrices`]; allocates nothing.
    ///
    /// # Errors
    /// [`Error::NonFiniteNode`] (set `"x_eval"`), [`Error::ShapeMismatch`]
    /// (name `"ai"`, `"bi"`, `"ad"` or `"bd"`). Nothing is written on error.
    ///
    /// # Example
    /// ```
    /// use odeon::collocation::{lgl, Barycentric, HermiteMatrices};
    /// // Gauss–Lobatto order 5: values and slopes at LGL(5)[0, 2, 4], midpoints at [1, 3].
    /// let t = lgl(5)?.x;
    /// let basis = Barycentric::new(&[t[0], t[2], t[4]])?;
    /// let mut h = HermiteMatrices::zeros(2, 3);
    /// basis.hermite_matrices_into(&[t[1], t[3]], &mut h)?;
    /// // Constants are reproduced: rows of ai sum to 1, rows of ad to 0.
    /// for i in 0..2 {
    ///     assert!((h.ai.row(i).sum() - 1.0).abs() < 1e-14);
    ///     assert!(h.ad.row(i).sum().abs() < 1e-13);
    /// }
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn hermite_matrices_into(&self, x_eval: &[f64], out: &mut HermiteMatrices) -> Result<(), Error> {
        check_finite("x_eval", x_eval)?;
        let n = self.nodes().len();
        let ne = x_eval.len();
        check_shape("ai", &out.ai, ne, n)?;
        check_shape("bi", &out.bi, ne, n)?;
        check_shape("ad", &out.ad, ne, n)?;
        check_shape("bd", &out.bd, ne, n)?;
        let HermiteMatrices { ai, bi, ad, bd } = out;
        let nodes = self.nodes();
        let slopes = self.self_slopes();
        for (i, &x) in x_eval.iter().enumerate() {
            match self.locate(x) {
                Locus::Node(m) => {
                    for j in 0..n {
                        let unit = if j == m { 1.0 } else { 0.0 };
                        ai[(i, j)] = unit;
                        bi[(i, j)] = 0.0;
                        ad[(i, j)] = 0.0;
                        bd[(i, j)] = unit;
                    }
                }
                Locus::Between => {
                    // ℓⱼ(x) into ai, ℓⱼ′(x) into ad, then the Hermite basis in place.
                    self.fill_between(x, ai, ad, i);
                    for j in 0..n {
                        let (lj, dlj) = (ai[(i, j)], ad[(i, j)]);
                        let dx = x - nodes[j];
                        let c = slopes[j];
                        let lin = 1.0 - 2.0 * c * dx;
                        let l2 = lj * lj;
                        ai[(i, j)] = lin * l2;
                        bi[(i, j)] = dx * l2;
                        ad[(i, j)] = 2.0 * lj * (lin * dlj - c * lj);
                        bd[(i, j)] = lj * (lj + 2.0 * dx * dlj);
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
    fn cubic_hermite_on_a_general_interval() {
        // Nodes 0, 2, evaluation at 1/2. Standard cubic Hermite basis with
        // s = 1/4, h = 2: h₀₀ = 2s³ − 3s² + 1, h₁₀ = (s³ − 2s² + s)·h, ...
        let s: f64 = 0.25;
        let h = hermite_matrices(&[0.0, 2.0], &[0.5]).unwrap();
        let expect = [
            (h.ai[(0, 0)], 2.0 * s.powi(3) - 3.0 * s * s + 1.0),
            (h.ai[(0, 1)], -2.0 * s.powi(3) + 3.0 * s * s),
            (h.bi[(0, 0)], 2.0 * (s.powi(3) - 2.0 * s * s + s)),
            (h.bi[(0, 1)], 2.0 * (s.powi(3) - s * s)),
            (h.ad[(0, 0)], (6.0 * s * s - 6.0 * s) / 2.0),
            (h.bd[(0, 1)], 3.0 * s * s - 2.0 * s),
        ];
        for (got, want) in expect {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
    }

    #[test]
    fn rows_at_nodes_are_unit_vectors() {
        let h = hermite_matrices(&[-1.0, 0.0, 1.0], &[0.0]).unwrap();
        assert_eq!(h.ai.as_slice(), &[0.0, 1.0, 0.0]);
        assert_eq!(h.bi.as_slice(), &[0.0, 0.0, 0.0]);
        assert_eq!(h.ad.as_slice(), &[0.0, 0.0, 0.0]);
        assert_eq!(h.bd.as_slice(), &[0.0, 1.0, 0.0]);
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let b = Barycentric::new(&[-1.0, 1.0]).unwrap();
        let mut h = HermiteMatrices::zeros(2, 2);
        h.bd = DMatrix::zeros(2, 1);
        assert!(matches!(b.hermite_matrices_into(&[0.0, 0.5], &mut h), Err(Error::ShapeMismatch { name: "bd", .. })));
        assert!(matches!(hermite_matrices(&[1.0, 1.0], &[0.0]), Err(Error::RepeatedNode { .. })));
    }
}

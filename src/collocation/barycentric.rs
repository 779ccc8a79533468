//! Barycentric weights of a node set: the one O(n²) precomputation that
//! Lagrange, Hermite and integration matrices share.

use nalgebra::DMatrix;

use crate::Error;

/// A node set prepared for barycentric Lagrange interpolation: the nodes
/// xⱼ, their barycentric weights wⱼ = 1 / Πₖ≠ⱼ ρ(xⱼ − xₖ) with
/// ρ = 4/(b − a) for the hull [a, b] of the nodes, and the derivatives ℓⱼ′(xⱼ) = Σₖ≠ⱼ 1/(xⱼ − xₖ) of the
/// Lagrange basis polynomials at their own nodes.
///
/// Building it costs O(n²) once; every matrix built from it afterwards
/// costs O(n) per evaluation point and, with the `*_into` methods
/// ([`Barycentric::lagrange_matrices_into`],
/// [`Barycentric::hermite_matrices_into`],
/// [`Barycentric::integration_matrix_into`]), allocates nothing.
///
/// # Reference
/// Berrut & Trefethen, "Barycentric Lagrange interpolation", SIAM Review 46
/// (2004), §3–§4 (weights and the second barycentric form), §9
/// (differentiation); Higham, "The numerical stability of barycentric
/// Lagrange interpolation", IMA J. Numer. Anal. 24 (2004). The differences
/// are scaled by 4/(b − a), the inverse logarithmic capacity of the nodes'
/// hull [a, b], so that the products stay O(1) for well-spread nodes instead
/// of decaying like 2⁻ⁿ.
///
/// # Errors
/// [`Barycentric::new`] returns [`Error::TooFewNodes`] for no nodes,
/// [`Error::NonFiniteNode`] (set `"x"`) for a NaN or infinite node,
/// [`Error::RepeatedNode`] for two equal nodes and
/// [`Error::WeightsOutOfRange`] when the weights do not fit in `f64`.
///
/// # Example
/// ```
/// use odeon::collocation::Barycentric;
/// let basis = Barycentric::new(&[-1.0, 0.0, 1.0])?;
/// // 1/Πₖ≠ⱼ 2(xⱼ − xₖ) with ρ = 4/2: 1/8, −1/4, 1/8.
/// assert_eq!(basis.weights(), &[0.125, -0.25, 0.125]);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Barycentric {
    x: Vec<f64>,
    w: Vec<f64>,
    dl: Vec<f64>,
    /// The capacity scale 4/(b − a) the weights were computed with.
    scale: f64,
}

/// Where an evaluation point lies: on node `m` (to within the smallest
/// normal `f64`, below which 1/(x − xₘ) would overflow) or off the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Locus {
    Node(usize),
    Between,
}

impl Barycentric {
    /// Prepares the nodes `x` (any distinct finite values, in any order).
    ///
    /// # Errors
    /// See the type's documentation.
    ///
    /// # Example
    /// ```
    /// let nodes = odeon::collocation::lgl(20)?;
    /// let basis = odeon::collocation::Barycentric::new(&nodes.x)?;
    /// assert_eq!(basis.nodes().len(), 20);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn new(x: &[f64]) -> Result<Self, Error> {
        Self::for_set(x, "x")
    }

    /// As [`Barycentric::new`], naming the argument `set` in errors.
    pub(crate) fn for_set(x: &[f64], set: &'static str) -> Result<Self, Error> {
        let n = x.len();
        if n == 0 {
            return Err(Error::TooFewNodes { family: "interpolation nodes", n, min: 1 });
        }
        check_finite(set, x)?;
        let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        // Capacity scaling: products of 4(xⱼ − xₖ)/(b − a) stay O(1) for
        // well-spread nodes instead of decaying like 2⁻ⁿ.
        let scale = if n > 1 { 4.0 / (hi - lo) } else { 1.0 };
        // Each pair (j, k), j < k, once: xⱼ − xₖ feeds node j, its negative
        // node k.
        let mut prod = vec![1.0; n];
        let mut dl = vec![0.0; n];
        for j in 0..n {
            let (xj, (mut pj, mut dj)) = (x[j], (prod[j], dl[j]));
            let rest = (&x[j + 1..], &mut prod[j + 1..], &mut dl[j + 1..]);
            for (offset, ((&xk, pk), dk)) in rest.0.iter().zip(rest.1).zip(rest.2).enumerate() {
                let diff = xj - xk;
                if diff == 0.0 {
                    return Err(Error::RepeatedNode { i: j, j: j + 1 + offset, x: xj });
                }
                let inv = 1.0 / diff;
                let s = scale * diff;
                dj += inv;
                *dk -= inv;
                pj *= s;
                *pk *= -s;
            }
            prod[j] = pj;
            dl[j] = dj;
        }
        let w: Vec<f64> = prod.iter().map(|p| 1.0 / p).collect();
        let fits = |v: &f64| v.is_finite() && *v != 0.0;
        if !scale.is_finite() || !w.iter().all(fits) || !dl.iter().all(|v| v.is_finite()) {
            return Err(Error::WeightsOutOfRange { set, n });
        }
        Ok(Barycentric { x: x.to_vec(), w, dl, scale })
    }

    /// The nodes, in the order given.
    ///
    /// # Example
    /// ```
    /// let basis = odeon::collocation::Barycentric::new(&[0.5, -0.5])?;
    /// assert_eq!(basis.nodes(), &[0.5, -0.5]);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn nodes(&self) -> &[f64] {
        &self.x
    }

    /// The barycentric weights wⱼ = 1 / Πₖ≠ⱼ ρ(xⱼ − xₖ), ρ = 4/(b − a)
    /// (the second barycentric form is invariant under a common scaling).
    ///
    /// # Example
    /// ```
    /// let basis = odeon::collocation::Barycentric::new(&[0.0, 1.0])?;
    /// assert_eq!(basis.weights(), &[-0.25, 0.25]);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn weights(&self) -> &[f64] {
        &self.w
    }

    /// The capacity scale ρ = 4/(b − a) of the weights (1 for one node).
    pub(crate) fn capacity_scale(&self) -> f64 {
        self.scale
    }

    /// ℓⱼ′(xⱼ) = Σₖ≠ⱼ 1/(xⱼ − xₖ) for each node.
    pub(crate) fn self_slopes(&self) -> &[f64] {
        &self.dl
    }

    /// The value at `x` of the polynomial through `values(j)` at the nodes
    /// xⱼ, by the second (true) barycentric form
    /// Σⱼ wⱼ fⱼ/(x − xⱼ) / Σⱼ wⱼ/(x − xⱼ) (Berrut & Trefethen 2004, §4):
    /// O(n) per point, exact at the nodes.
    ///
    /// # Example
    /// ```
    /// let basis = odeon::collocation::Barycentric::new(&[-1.0, 0.0, 1.0])?;
    /// // x² through its values at the nodes.
    /// let square = |j: usize| [1.0, 0.0, 1.0][j];
    /// assert!((basis.interpolate(0.5, square) - 0.25).abs() < 1e-15);
    /// assert_eq!(basis.interpolate(1.0, square), 1.0);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn interpolate(&self, x: f64, values: impl Fn(usize) -> f64) -> f64 {
        if let Locus::Node(m) = self.locate(x) {
            return values(m);
        }
        let (mut num, mut den) = (0.0, 0.0);
        for (j, (&xj, &wj)) in self.x.iter().zip(&self.w).enumerate() {
            let c = wj / (x - xj);
            num += c * values(j);
            den += c;
        }
        num / den
    }

    /// The interpolant and its derivative at `x`, `Σ ℓⱼ(x) fⱼ` and
    /// `Σ ℓⱼ′(x) fⱼ`, by the modified Lagrange form of
    /// `fill_between` (stable next to a node, where
    /// the barycentric quotient's derivative cancels), and at a node by
    /// Berrut & Trefethen's differentiation weights.
    ///
    /// # Example
    /// ```
    /// use odeon::collocation::Barycentric;
    /// let basis = Barycentric::new(&[-1.0, 0.0, 1.0])?;
    /// let square = |j: usize| [1.0, 0.0, 1.0][j];
    /// let (p, dp) = basis.interpolate_with_derivative(0.5, square);
    /// assert!((p - 0.25).abs() < 1e-15 && (dp - 1.0).abs() < 1e-15);
    /// assert_eq!(basis.interpolate_with_derivative(1.0, square), (1.0, 2.0));
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn interpolate_with_derivative(&self, x: f64, values: impl Fn(usize) -> f64) -> (f64, f64) {
        if let Locus::Node(m) = self.locate(x) {
            let (fm, wm) = (values(m), self.w[m]);
            let slope = (0..self.x.len())
                .filter(|&j| j != m)
                .map(|j| self.w[j] / wm * (values(j) - fm) / (self.x[m] - self.x[j]))
                .sum();
            return (fm, slope);
        }
        let m = (0..self.x.len()).min_by(|&i, &j| (x - self.x[i]).abs().total_cmp(&(x - self.x[j]).abs())).unwrap_or(0);
        let (mut ell, mut sigma) = (1.0, 0.0);
        for (_, &xj) in self.x.iter().enumerate().filter(|&(j, _)| j != m) {
            ell *= self.scale * (x - xj);
            sigma += 1.0 / (x - xj);
        }
        let (lm, fm) = (ell * self.w[m], values(m));
        let (mut p, mut dp) = (lm * fm, lm * sigma * fm);
        for (j, (&xj, &wj)) in self.x.iter().zip(&self.w).enumerate().filter(|&(j, _)| j != m) {
            // ℓⱼ = ℓ̂ (x − xₘ) wⱼ/(x − xⱼ); ℓⱼ′ = ℓⱼ (σ − 1/(x − xⱼ)) + ℓ̂ wⱼ/(x − xⱼ).
            let (inv, fj) = (1.0 / (x - xj), values(j));
            let lj = ell * (x - self.x[m]) * wj * inv;
            p += lj * fj;
            dp += (lj * (sigma - inv) + ell * wj * inv) * fj;
        }
        (p, dp)
    }

    /// Whether `x` is one of the nodes.
    pub(crate) fn locate(&self, x: f64) -> Locus {
        match self.x.iter().position(|&xj| (x - xj).abs() < f64::MIN_POSITIVE) {
            Some(m) => Locus::Node(m),
            None => Locus::Between,
        }
    }

    /// Fills row `i` of `l` with ℓⱼ(x) and of `d` with ℓⱼ′(x), for x not a
    /// node (see [`Barycentric::locate`]).
    ///
    /// With m the node nearest to x, ℓ̂(x) = Πₖ≠ₘ ρ(x − xₖ) and
    /// σ = Σₖ≠ₘ 1/(x − xₖ), the first (modified Lagrange) barycentric form
    /// gives every entry to a few ulps relative to itself (Higham 2004):
    ///
    /// * ℓₘ(x) = ℓ̂ wₘ, ℓⱼ(x) = ℓ̂ (x − xₘ) wⱼ/(x − xⱼ) for j ≠ m;
    /// * ℓₘ′(x) = ℓₘ(x) σ, ℓⱼ′(x) = ℓⱼ(x) (σ + 1/(x − xₘ) − 1/(x − xⱼ)),
    ///   from ℓⱼ′/ℓⱼ = Σₖ≠ⱼ 1/(x − xₖ) (Berrut & Trefethen 2004, §9),
    ///   arranged so that the large term 1/(x − xₘ) never cancels in the
    ///   entry of the nearest node.
    ///
    /// Rows `i` of `l` and `d` serve as scratch for x − xⱼ and 1/(x − xⱼ).
    pub(crate) fn fill_between(&self, x: f64, l: &mut DMatrix<f64>, d: &mut DMatrix<f64>, i: usize) {
        let n = self.x.len();
        let mut m = 0;
        let mut nearest_dist = f64::INFINITY;
        for (j, &xj) in self.x.iter().enumerate() {
            let diff = x - xj;
            if diff.abs() < nearest_dist {
                nearest_dist = diff.abs();
                m = j;
            }
            l[(i, j)] = diff;
            d[(i, j)] = 1.0 / diff;
        }
        let mut ell = 1.0;
        let mut sigma = 0.0;
        for j in (0..n).filter(|&j| j != m) {
            ell *= self.scale * l[(i, j)];
            sigma += d[(i, j)];
        }
        let diff_m = l[(i, m)];
        let sigma_all = sigma + d[(i, m)];
        for j in 0..n {
            if j == m {
                let lm = ell * self.w[m];
                l[(i, m)] = lm;
                d[(i, m)] = lm * sigma;
            } else {
                let inv = d[(i, j)];
                let lj = ell * diff_m * self.w[j] * inv;
                l[(i, j)] = lj;
                d[(i, j)] = lj * (sigma_all - inv);
            }
        }
    }

    /// Fills row `i` of `l` with eₘ and of `d` with ℓⱼ′(xₘ):
    /// (wⱼ/wₘ)/(xₘ − xⱼ) off the diagonal and minus their sum on it
    /// (Berrut & Trefethen 2004, §9).
    pub(crate) fn fill_node(&self, m: usize, l: &mut DMatrix<f64>, d: &mut DMatrix<f64>, i: usize) {
        let xm = self.x[m];
        let inv_wm = 1.0 / self.w[m];
        let mut others = 0.0;
        for (j, (&xj, &wj)) in self.x.iter().zip(&self.w).enumerate() {
            l[(i, j)] = 0.0;
            if j != m {
                let dj = wj * inv_wm / (xm - xj);
                d[(i, j)] = dj;
                others += dj;
            }
        }
        l[(i, m)] = 1.0;
        d[(i, m)] = -others;
    }
}

/// [`Error::NonFiniteNode`] for the first NaN or infinite entry of `x`.
pub(crate) fn check_finite(set: &'static str, x: &[f64]) -> Result<(), Error> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFiniteNode { set, index, x: x[index] }),
        None => Ok(()),
    }
}

/// [`Error::ShapeMismatch`] unless `m` is `rows × cols`.
pub(crate) fn check_shape(name: &'static str, m: &DMatrix<f64>, rows: usize, cols: usize) -> Result<(), Error> {
    if m.shape() != (rows, cols) {
        return Err(Error::ShapeMismatch {
            name,
            expected_rows: rows,
            expected_cols: cols,
            rows: m.nrows(),
            cols: m.ncols(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact for polynomials of degree below the number of nodes, between
    /// and at the nodes.
    #[test]
    fn derivative_of_a_cubic() {
        let b = Barycentric::new(&[-1.0, -0.4, 0.1, 0.7, 1.0]).unwrap();
        let f = |x: f64| x * x * x - 2.0 * x;
        for x in [-0.83, 0.3, 0.1, 1.0, 0.1 + 1e-15, 0.7 - 3e-16] {
            let (p, dp) = b.interpolate_with_derivative(x, |j| f(b.nodes()[j]));
            assert!((p - f(x)).abs() < 1e-14 && (dp - (3.0 * x * x - 2.0)).abs() < 1e-13, "{x}: {p} {dp}");
        }
    }

    #[test]
    fn weights_of_three_points_are_textbook() {
        // Nodes 0, 1, 3: w ∝ 1/((0−1)(0−3)), 1/((1−0)(1−3)), 1/((3−0)(3−1)) = 1/3, −1/2, 1/6.
        let b = Barycentric::new(&[0.0, 1.0, 3.0]).unwrap();
        let w = b.weights();
        assert!((w[0] / w[2] - 2.0).abs() < 1e-15);
        assert!((w[1] / w[2] + 3.0).abs() < 1e-15);
        // ℓ₀′(0) = 1/(0−1) + 1/(0−3) = −4/3.
        assert!((b.self_slopes()[0] + 4.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn single_node_is_a_constant_basis() {
        let b = Barycentric::new(&[0.25]).unwrap();
        assert_eq!(b.weights(), &[1.0]);
        assert_eq!(b.self_slopes(), &[0.0]);
    }

    #[test]
    fn bad_nodes_are_errors() {
        assert!(matches!(Barycentric::new(&[]), Err(Error::TooFewNodes { .. })));
        assert!(matches!(Barycentric::new(&[0.0, f64::NAN]), Err(Error::NonFiniteNode { index: 1, .. })));
        assert!(matches!(Barycentric::new(&[0.0, 1.0, -0.0]), Err(Error::RepeatedNode { i: 0, j: 2, .. })));
        // Nodes 1e−310 apart: 1/(xⱼ − xₖ) overflows.
        assert!(matches!(Barycentric::new(&[0.0, 1e-310]), Err(Error::WeightsOutOfRange { n: 2, .. })));
        // 2000 equispaced nodes: weights span more than 2^1100.
        let x: Vec<f64> = (0..2000).map(|i| i as f64).collect();
        assert!(matches!(Barycentric::new(&x), Err(Error::WeightsOutOfRange { n: 2000, .. })));
    }
}

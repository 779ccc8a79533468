//! Sparse Jacobians and the sparse LU of `W = shift·I − J`: faer's
//! supernodal LU with a COLAMD column ordering, the symbolic analysis done
//! once per pattern and reused by every numeric factorization (partial
//! pivoting within it, so a changing matrix stays stable).
//!
//! Dual-number data is solved as in the dense case: the factorization is
//! real, a scalar's real numbers (its real and derivative parts) are the
//! columns of one multi-column solve, and `solve` corrects the derivative
//! parts by `x_ε = W⁻¹(b_ε − W_ε x)` with a sparse product — a few extra
//! back-substitutions per solve, never a dense anything.

use super::real::RealLu;
use super::{Corrections, CscPattern, LinearSolver, MulAdd, NewtonTarget, Singular, Substitute, exact_solve};
use crate::{DualScalar, Error};

/// A square sparse matrix whose pattern holds the diagonal (the pattern
/// of `W = shift·I − J`); values in the pattern's column order.
///
/// # Example
/// ```
/// use odeon::integrate::linalg::{CscPattern, SparseMatrix};
/// // The pattern of a 3 × 3 matrix with one off-diagonal entry: the
/// // diagonal is added.
/// let (p, _) = CscPattern::new(3, 3, &[(0, 2)])?;
/// let m = SparseMatrix::<f64>::new(&p)?;
/// assert_eq!(m.pattern().nnz(), 4);
/// assert_eq!(m.pattern().position(0, 2), Some(2));
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SparseMatrix<D> {
    pattern: CscPattern,
    values: Vec<D>,
    pub(super) diag: Vec<usize>,
}

impl<D: DualScalar> SparseMatrix<D> {
    /// Zeros on `pattern` and the diagonal.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `pattern` is not square.
    pub fn new(pattern: &CscPattern) -> Result<Self, Error> {
        let n = pattern.rows();
        if pattern.cols() != n {
            return Err(Error::DimensionMismatch { what: "sparse matrix columns", expected: n, got: pattern.cols() });
        }
        let diagonal = |p: &CscPattern| (0..n).map(|i| p.position(i, i)).collect::<Option<Vec<usize>>>();
        let (pattern, diag) = match diagonal(pattern) {
            Some(diag) => (pattern.clone(), diag),
            None => {
                let entries: Vec<(usize, usize)> = (0..n).map(|i| (i, i)).chain(pattern.entries()).collect();
                let (pattern, positions) = CscPattern::new(n, n, &entries)?;
                (pattern, positions[..n].to_vec())
            }
        };
        Ok(SparseMatrix { values: vec![D::from(0.0); pattern.nnz()], pattern, diag })
    }

    /// Number of rows (and columns).
    pub fn n(&self) -> usize {
        self.diag.len()
    }

    /// The pattern (with the diagonal).
    pub fn pattern(&self) -> &CscPattern {
        &self.pattern
    }

    /// The values, in the pattern's order.
    pub fn values(&self) -> &[D] {
        &self.values
    }

    /// The values, mutable.
    pub fn values_mut(&mut self) -> &mut [D] {
        &mut self.values
    }
}

impl<D: DualScalar> MulAdd<D> for SparseMatrix<D> {
    fn mul_add<X: Copy>(&self, x: &[X], r: &mut [D])
    where
        D: std::ops::Mul<X, Output = D>,
    {
        let colptr = self.pattern.colptr();
        for (c, &xc) in x.iter().enumerate() {
            for pos in colptr[c]..colptr[c + 1] {
                r[self.pattern.rowval()[pos]] += self.values[pos] * xc;
            }
        }
    }
}

/// Sparse LU of `shift·I − J` for a [`SparseMatrix`] `J` (see the module
/// documentation); allocation-free after construction for `f64` data.
///
/// # Example
/// ```
/// use odeon::integrate::linalg::{CscPattern, LinearSolver, SparseLu, SparseMatrix};
/// // J = [[-2, 1], [0, -3]]; solve (1·I − J) x = b.
/// let (p, _) = CscPattern::new(2, 2, &[(0, 0), (0, 1), (1, 1)])?;
/// let mut jac = SparseMatrix::new(&p)?;
/// jac.values_mut().copy_from_slice(&[-2.0, 1.0, -3.0]);
/// let mut lu = SparseLu::new(&jac)?;
/// lu.factor(&jac, 1.0).unwrap();
/// let mut x = [2.0, 4.0]; // W = [[3, -1], [0, 4]]
/// lu.solve(&jac, &mut x);
/// assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 1.0).abs() < 1e-15);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct SparseLu<D> {
    lu: RealLu,
    /// The real values of `W`.
    w: Vec<f64>,
    shift: f64,
    cols: Columns,
    /// The buffers of the derivative parts' corrections.
    corr: Corrections<D>,
    /// The real solve that checks a factorization.
    probe: Vec<f64>,
}

/// `w ← shift·I − J` in the real parts of `jac`'s values (its pattern's
/// order); `Err(k)` at the first entry that is not finite.
pub(super) fn fill_w<D: DualScalar>(w: &mut [f64], jac: &SparseMatrix<D>, shift: f64) -> Result<(), usize> {
    for (k, (w, j)) in w.iter_mut().zip(jac.values()).enumerate() {
        *w = -j.re();
        if !w.is_finite() {
            return Err(k);
        }
    }
    for &d in &jac.diag {
        w[d] += shift;
    }
    Ok(())
}

/// [`fill_w`], a non-finite entry reported as [`Singular`] in its column.
pub(super) fn fill_w_checked<D: DualScalar>(w: &mut [f64], jac: &SparseMatrix<D>, shift: f64) -> Result<(), Singular> {
    fill_w(w, jac, shift)
        .map_err(|k| Singular { column: jac.pattern().colptr().partition_point(|&start| start <= k) - 1 })
}

/// A scalar's real numbers (its real and derivative parts) as the columns
/// of one real multi-column solve.
#[derive(Default)]
pub(super) struct Columns {
    /// `n × REALS` column-major, and one scalar's.
    reals: Vec<f64>,
    one: Vec<f64>,
}

impl Columns {
    /// `b ← solve(b)` for every real number of the scalar `E` at once:
    /// `solve(x, k)` solves the `n × k` column-major `x` in place.
    pub(super) fn solve<E: DualScalar>(&mut self, b: &mut [E], solve: impl FnOnce(&mut [f64], usize)) {
        let (n, k) = (b.len(), E::REALS);
        if k == 1 {
            // f64 data (or a scalar of one real): solved in place.
            self.reals.resize(n, 0.0);
            for (r, v) in self.reals.iter_mut().zip(b.iter()) {
                *r = v.re();
            }
        } else {
            self.reals.resize(n * k, 0.0);
            self.one.resize(k, 0.0);
            for (i, v) in b.iter().enumerate() {
                v.to_reals(&mut self.one);
                for (l, x) in self.one.iter().enumerate() {
                    self.reals[l * n + i] = *x;
                }
            }
        }
        solve(&mut self.reals[..n * k], k);
        if k == 1 {
            for (v, r) in b.iter_mut().zip(&self.reals) {
                *v = E::from_reals(std::slice::from_ref(r));
            }
        } else {
            for (i, v) in b.iter_mut().enumerate() {
                for (l, x) in self.one.iter_mut().enumerate() {
                    *x = self.reals[l * n + i];
                }
                *v = E::from_reals(&self.one);
            }
        }
    }
}

impl<D: DualScalar> SparseLu<D> {
    /// The symbolic analysis (ordering and supernodal structure) of
    /// `jac`'s pattern, reused by every [`factor`](LinearSolver::factor).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] if faer cannot analyze the pattern (out of
    /// memory).
    pub fn new(jac: &SparseMatrix<D>) -> Result<Self, Error> {
        let n = jac.n();
        let p = jac.pattern();
        let lu = RealLu::new(n, p.colptr(), p.rowval(), D::REALS).map_err(|e| Error::InvalidOption {
            name: "linsolve",
            reason: format!("sparse LU analysis of the {n} × {n} pattern failed: {e}"),
        })?;
        Ok(SparseLu {
            lu,
            w: vec![0.0; p.nnz()],
            shift: 0.0,
            cols: Columns::default(),
            corr: Corrections::new(n),
            probe: vec![0.0; n],
        })
    }
}

impl<D> Substitute<D> for SparseLu<D> {
    /// `b ← W₀⁻¹ b` for every real number of the scalar `E`, by one faer
    /// solve with `E::REALS` columns.
    fn substitute<E: DualScalar>(&mut self, b: &mut [E]) {
        let lu = &mut self.lu;
        self.cols.solve(b, |x, k| lu.solve(x, k));
    }

    fn corrections(&mut self) -> &mut Corrections<D> {
        &mut self.corr
    }

    fn shift(&self) -> f64 {
        self.shift
    }
}

impl<D: DualScalar> LinearSolver<D> for SparseLu<D> {
    type Matrix = SparseMatrix<D>;

    fn factor(&mut self, jac: &SparseMatrix<D>, shift: f64) -> Result<(), Singular> {
        self.shift = shift;
        fill_w_checked(&mut self.w, jac, shift)?;
        self.lu.factor(&self.w).map_err(|column| Singular { column })?;
        // A zero pivot leaves infinities in the factors: one real solve
        // finds it (whatever the scalar carries).
        self.probe.fill(1.0);
        self.lu.solve(&mut self.probe, 1);
        match self.probe.iter().position(|v| !v.is_finite()) {
            Some(column) => Err(Singular { column }),
            None => Ok(()),
        }
    }

    fn solve(&mut self, jac: &SparseMatrix<D>, b: &mut [D]) {
        exact_solve(self, jac, b);
    }

    fn solve_primal<E: DualScalar>(&mut self, b: &mut [E], _newton: Option<NewtonTarget<'_>>) {
        self.substitute(b);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DenseLu, DenseMatrix};
    use super::*;
    use crate::scalar::{Derivatives, InlineDual64, InlineHyperDual64};
    use num_dual::{Dual64, DualSVec64};

    /// A sparse, nonsymmetric, parameter-dependent matrix (a 1-D
    /// advection–diffusion stencil with a far coupling).
    fn entries(n: usize) -> Vec<(usize, usize)> {
        let mut e = Vec::new();
        for i in 0..n {
            e.push((i, i));
            if i > 0 {
                e.push((i, i - 1));
            }
            if i + 1 < n {
                e.push((i, i + 1));
            }
        }
        e.push((0, n - 1));
        e
    }

    fn value<D: DualScalar>(r: usize, c: usize, p: D) -> D {
        if r == c {
            p * -2.0 - 1.0
        } else if c < r {
            p * 1.5
        } else {
            p * 0.5 + (r as f64) * 0.01
        }
    }

    fn both<D: DualScalar>(n: usize, p: D) -> (SparseMatrix<D>, DenseMatrix<D>) {
        let (pattern, _) = CscPattern::new(n, n, &entries(n)).unwrap();
        let mut sparse = SparseMatrix::new(&pattern).unwrap();
        let mut dense = DenseMatrix::from_element(n, D::from(0.0));
        for c in 0..n {
            for (pos, &r) in (pattern.colptr()[c]..).zip(pattern.column(c)) {
                let v = value(r, c, p);
                let at = sparse.pattern().position(r, c).unwrap();
                sparse.values_mut()[at] = v;
                dense.column_mut(c)[r] = v;
                let _ = pos;
            }
        }
        (sparse, dense)
    }

    fn rhs<D: DualScalar>(n: usize, p: D) -> Vec<D> {
        (0..n).map(|i| p.sin() * (i as f64 + 1.0) + 1.0).collect()
    }

    fn agree<D: DualScalar>(n: usize, p: D) {
        let (sparse, dense) = both(n, p);
        let mut slu = SparseLu::new(&sparse).unwrap();
        let mut dlu = DenseLu::new(n);
        slu.factor(&sparse, 3.0).unwrap();
        dlu.factor(&dense, 3.0).unwrap();
        let (mut xs, mut xd) = (rhs(n, p), rhs(n, p));
        slu.solve(&sparse, &mut xs);
        dlu.solve(&dense, &mut xd);
        let mut a = vec![0.0; D::REALS];
        let mut b = vec![0.0; D::REALS];
        for i in 0..n {
            xs[i].to_reals(&mut a);
            xd[i].to_reals(&mut b);
            for (u, v) in a.iter().zip(&b) {
                assert!((u - v).abs() <= 1e-12 * v.abs().max(1.0), "{u} vs {v} at {i}");
            }
        }
    }

    #[test]
    fn sparse_and_dense_solves_agree_for_every_scalar() {
        agree(40, 0.7);
        agree(40, Dual64::from(0.7).derivative());
        agree(40, DualSVec64::<3>::from_re(0.7).derivative(1));
        agree(40, InlineDual64::<2>::from_re(0.7).derivative(0));
        agree(40, InlineHyperDual64::<1, 1>::from_re(InlineDual64::from_re(0.7).derivative(0)).derivative(0));
    }

    #[test]
    fn reals_round_trip() {
        let x = InlineHyperDual64::<2, 1>::from_parts(
            InlineDual64::from_parts(1.0, [2.0, 3.0]),
            [InlineDual64::from_parts(4.0, [5.0, 6.0])],
        );
        let mut r = vec![0.0; 6];
        x.to_reals(&mut r);
        assert_eq!(r, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(InlineHyperDual64::<2, 1>::from_reals(&r), x);
    }

    #[test]
    fn singular_matrices_are_reported() {
        // Structurally singular: an empty row and column besides the
        // diagonal, with shift 0 and a zero diagonal.
        let (pattern, _) = CscPattern::new(3, 3, &[(0, 1), (1, 0)]).unwrap();
        let jac = SparseMatrix::<f64>::new(&pattern).unwrap();
        let mut lu = SparseLu::new(&jac).unwrap();
        assert!(lu.factor(&jac, 0.0).is_err());
        let mut nan = jac.clone();
        nan.values_mut()[1] = f64::NAN;
        assert!(lu.factor(&nan, 1.0).is_err());
        // Numerically singular: rank one.
        let (full, _) = CscPattern::new(2, 2, &[(0, 0), (0, 1), (1, 0), (1, 1)]).unwrap();
        let mut ones = SparseMatrix::<f64>::new(&full).unwrap();
        ones.values_mut().fill(1.0);
        let mut lu = SparseLu::new(&ones).unwrap();
        assert!(lu.factor(&ones, 0.0).is_err());
        assert!(lu.factor(&ones, 1.0).is_ok());
    }

    #[test]
    fn a_rectangular_pattern_is_an_error() {
        let (p, _) = CscPattern::new(3, 2, &[(0, 0)]).unwrap();
        assert!(SparseMatrix::<f64>::new(&p).is_err());
    }
}

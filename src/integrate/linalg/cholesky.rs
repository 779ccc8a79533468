//! Sparse Cholesky `W = L Lᵀ` of a symmetric positive definite `W = shift·I
//! − J` — the heat equation's and other diffusion problems' iteration
//! matrix — with faer's supernodal factorization on an AMD ordering: about
//! half the work and memory of the LU, no pivoting. The caller falls back
//! to the LU when `W` is not symmetric or not positive definite.

use super::real::RealCholesky;
use super::sparse::{Columns, fill_w};
use super::{Corrections, CscPattern, LinearSolver, NewtonTarget, Singular, SparseMatrix, Substitute, exact_solve};
use crate::{DualScalar, Error};

/// Why a Cholesky factorization was not made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotSpd {
    /// `W` is not symmetric (for these values; its pattern is).
    Asymmetric,
    /// `W` is symmetric but not (numerically) positive definite, or holds
    /// a non-finite value.
    Indefinite,
}

/// Sparse Cholesky of `shift·I − J` for a [`SparseMatrix`] `J` with a
/// symmetric pattern (see the module documentation); dual-number data
/// solved as by the LU (real columns of one solve, derivative parts
/// corrected).
///
/// # Example
/// ```
/// use odeon::integrate::linalg::{CscPattern, LinearSolver, SparseCholesky, SparseMatrix};
/// // J = [[-2, 1], [1, -3]]: W = 1·I − J = [[3, -1], [-1, 4]] is SPD.
/// let (p, _) = CscPattern::new(2, 2, &[(0, 0), (1, 0), (0, 1), (1, 1)])?;
/// let mut jac = SparseMatrix::new(&p)?;
/// jac.values_mut().copy_from_slice(&[-2.0, 1.0, 1.0, -3.0]);
/// let mut chol = SparseCholesky::new(&jac)?;
/// chol.factor(&jac, 1.0).unwrap();
/// let mut x = [2.0, 3.0];
/// chol.solve(&jac, &mut x);
/// assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 1.0).abs() < 1e-15);
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct SparseCholesky<D> {
    llt: RealCholesky,
    /// The real values of `W`, and where each entry's mirror image sits.
    w: Vec<f64>,
    mirror: Vec<usize>,
    shift: f64,
    cols: Columns,
    /// The buffers of the derivative parts' corrections.
    corr: Corrections<D>,
}

impl<D: DualScalar> SparseCholesky<D> {
    /// The symbolic analysis (AMD ordering, supernodal structure) of
    /// `jac`'s pattern, reused by every factorization.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] if the pattern is not symmetric, or faer
    /// cannot analyze it (out of memory).
    pub fn new(jac: &SparseMatrix<D>) -> Result<Self, Error> {
        let Some(mirror) = mirror(jac.pattern()) else {
            let n = jac.n();
            let reason = format!("sparse Cholesky of the {n} × {n} pattern: the pattern is not symmetric");
            return Err(Error::InvalidOption { name: "linsolve", reason });
        };
        Self::with_mirror(jac, mirror)
    }

    /// As [`new`](Self::new), with the mirror positions known.
    pub(crate) fn with_mirror(jac: &SparseMatrix<D>, mirror: Vec<usize>) -> Result<Self, Error> {
        let n = jac.n();
        let p = jac.pattern();
        let llt = RealCholesky::new(n, p.colptr(), p.rowval(), D::REALS).map_err(|e| Error::InvalidOption {
            name: "linsolve",
            reason: format!("sparse Cholesky analysis of the {n} × {n} pattern failed: {e}"),
        })?;
        Ok(SparseCholesky {
            llt,
            w: vec![0.0; p.nnz()],
            mirror,
            shift: 0.0,
            cols: Columns::default(),
            corr: Corrections::new(n),
        })
    }

    /// Factor `shift·I − J` if it is symmetric (to 1e-12 relative) and
    /// positive definite.
    pub(crate) fn factor_spd(&mut self, jac: &SparseMatrix<D>, shift: f64) -> Result<(), NotSpd> {
        self.shift = shift;
        fill_w(&mut self.w, jac, shift).map_err(|_| NotSpd::Indefinite)?;
        if !symmetric(&self.w, &self.mirror) {
            return Err(NotSpd::Asymmetric);
        }
        if self.llt.factor(&self.w) { Ok(()) } else { Err(NotSpd::Indefinite) }
    }
}

/// Where each entry's mirror image `(c, r)` sits in `pattern`'s values,
/// or `None` if the pattern is not symmetric.
pub(crate) fn mirror(pattern: &CscPattern) -> Option<Vec<usize>> {
    let mut mirror = vec![0; pattern.nnz()];
    for c in 0..pattern.cols() {
        for (k, &r) in (pattern.colptr()[c]..).zip(pattern.column(c)) {
            mirror[k] = pattern.position(c, r)?;
        }
    }
    Some(mirror)
}

/// Whether values on a symmetric pattern are symmetric to 1e-12 relative
/// (NaN is not).
pub(crate) fn symmetric<D: DualScalar>(values: &[D], mirror: &[usize]) -> bool {
    mirror.iter().enumerate().all(|(k, &m)| {
        let (a, b) = (values[k].re(), values[m].re());
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    })
}

impl<D> Substitute<D> for SparseCholesky<D> {
    /// `b ← W₀⁻¹ b` for every real number of the scalar `E`.
    fn substitute<E: DualScalar>(&mut self, b: &mut [E]) {
        let llt = &mut self.llt;
        self.cols.solve(b, |x, k| llt.solve(x, k));
    }

    fn corrections(&mut self) -> &mut Corrections<D> {
        &mut self.corr
    }

    fn shift(&self) -> f64 {
        self.shift
    }
}

impl<D: DualScalar> LinearSolver<D> for SparseCholesky<D> {
    type Matrix = SparseMatrix<D>;

    /// Factor `W` if it is symmetric (to 1e-12 relative) and positive
    /// definite; otherwise it is reported as singular (column 0).
    fn factor(&mut self, jac: &SparseMatrix<D>, shift: f64) -> Result<(), Singular> {
        self.factor_spd(jac, shift).map_err(|_| Singular { column: 0 })
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
    use super::super::SparseLu;
    use super::*;
    use num_dual::Dual64;

    /// A 2-D 5-point Laplacian on a k × k grid, scaled by `p` (symmetric,
    /// negative definite): `J = p·Δ`.
    fn laplacian<D: DualScalar>(k: usize, p: D) -> SparseMatrix<D> {
        let at = |i: usize, j: usize| i * k + j;
        let mut entries = Vec::new();
        for i in 0..k {
            for j in 0..k {
                entries.push((at(i, j), at(i, j)));
                if i > 0 {
                    entries.extend([(at(i, j), at(i - 1, j)), (at(i - 1, j), at(i, j))]);
                }
                if j > 0 {
                    entries.extend([(at(i, j), at(i, j - 1)), (at(i, j - 1), at(i, j))]);
                }
            }
        }
        let (pattern, _) = CscPattern::new(k * k, k * k, &entries).unwrap();
        let mut m = SparseMatrix::new(&pattern).unwrap();
        for c in 0..k * k {
            for (pos, &r) in (pattern.colptr()[c]..).zip(pattern.column(c)) {
                m.values_mut()[pos] = if r == c { p * -4.0 } else { p };
            }
        }
        m
    }

    /// Cholesky and LU solves agree, derivative parts included.
    #[test]
    fn agrees_with_the_lu_for_dual_data() {
        let jac = laplacian(9, Dual64::from(2.0).derivative());
        let (mut chol, mut lu) = (SparseCholesky::new(&jac).unwrap(), SparseLu::new(&jac).unwrap());
        chol.factor(&jac, 3.0).unwrap();
        lu.factor(&jac, 3.0).unwrap();
        let b: Vec<Dual64> = (0..81).map(|i| Dual64::new((i as f64 * 0.3).sin(), (i as f64).cos())).collect();
        let (mut x, mut y) = (b.clone(), b.clone());
        chol.solve(&jac, &mut x);
        lu.solve(&jac, &mut y);
        for (a, b) in x.iter().zip(&y) {
            assert!((a.re - b.re).abs() < 1e-13 && (a.eps - b.eps).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn asymmetric_and_indefinite_matrices_are_told_apart() {
        let mut jac = laplacian::<f64>(4, 1.0);
        let mut chol = SparseCholesky::new(&jac).unwrap();
        assert_eq!(chol.factor_spd(&jac, 1.0), Ok(()));
        // W = shift·I − J with J's eigenvalues in (−8, 0): shift −1 is indefinite.
        assert_eq!(chol.factor_spd(&jac, -1.0), Err(NotSpd::Indefinite));
        let pos = jac.pattern().position(0, 1).unwrap();
        jac.values_mut()[pos] = 0.5;
        assert_eq!(chol.factor_spd(&jac, 1.0), Err(NotSpd::Asymmetric));
        jac.values_mut()[pos] = f64::NAN;
        assert_eq!(chol.factor_spd(&jac, 1.0), Err(NotSpd::Indefinite));
        let (p, _) = CscPattern::new(2, 2, &[(0, 1)]).unwrap();
        assert!(SparseCholesky::new(&SparseMatrix::<f64>::new(&p).unwrap()).is_err());
    }
}

//! Linear algebra of the implicit steppers: the iteration matrix
//! `W = shift·I − J`, its factorization, and solves whose right-hand side
//! and matrix carry derivative parts.
//!
//! A [`LinearSolver`] factors only the *primal* (real) part of `W`. A
//! solve with dual-valued data recovers the derivative parts by
//! back-substitution with that one factorization — for first derivatives
//! `x_ε = W⁻¹(b_ε − W_ε x)` — instead of pushing dual numbers through the
//! elimination: the real part of the result is exactly the `f64` solve's,
//! and the derivative parts are exact derivatives of it.

mod amg;
mod band;
mod cholesky;
mod coloring;
mod csc;
mod dense;
mod krylov;
mod real;
mod sparse;

pub use band::BandLu;
pub(crate) use band::bandwidths;
pub use cholesky::SparseCholesky;
pub(crate) use cholesky::{NotSpd, mirror, symmetric};
pub use coloring::Coloring;
pub use csc::CscPattern;
pub(crate) use csc::{Buckets, ColumnSplit};
pub use dense::{DenseLu, INVERSE_SIZES};
pub use krylov::{KrylovSolver, NEWTON_RTOL, SOLVE_RTOL};
pub use sparse::{SparseLu, SparseMatrix};

use crate::DualScalar;

/// A square matrix in column-major order (the Jacobian `J` of the
/// implicit steppers).
#[derive(Clone, Debug, PartialEq)]
pub struct DenseMatrix<D> {
    n: usize,
    data: Vec<D>,
}

impl<D: Copy> DenseMatrix<D> {
    /// An `n × n` matrix filled with `value`.
    pub fn from_element(n: usize, value: D) -> Self {
        DenseMatrix { n, data: vec![value; n * n] }
    }

    /// The number of rows (and columns).
    pub fn n(&self) -> usize {
        self.n
    }

    /// Entry `(i, j)`.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> D {
        self.data[j * self.n + i]
    }

    /// Column `j`.
    #[inline]
    pub fn column(&self, j: usize) -> &[D] {
        &self.data[j * self.n..(j + 1) * self.n]
    }

    /// Column `j`, mutable.
    #[inline]
    pub fn column_mut(&mut self, j: usize) -> &mut [D] {
        &mut self.data[j * self.n..(j + 1) * self.n]
    }

    /// Every entry, column after column.
    pub fn as_slice(&self) -> &[D] {
        &self.data
    }
}

/// The iteration matrix could not be factored: a zero or non-finite pivot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Singular {
    /// The elimination step (column) where it happened.
    pub column: usize,
}

/// Factors and solves `W = shift·I − J`: dense LU ([`DenseLu`] on a
/// [`DenseMatrix`]) or sparse LU ([`SparseLu`] on a [`SparseMatrix`]).
///
/// `factor` sees the primal part of the Jacobian only; `solve` is exact
/// for any [`DualScalar`] right-hand side and Jacobian (see the module
/// documentation).
pub trait LinearSolver<D: DualScalar> {
    /// The Jacobian's storage.
    type Matrix;

    /// Factor `shift·I − J` (real parts).
    fn factor(&mut self, jac: &Self::Matrix, shift: f64) -> Result<(), Singular>;

    /// Overwrite `b` with `(shift·I − J)⁻¹ b`, `J` being the matrix of the
    /// last [`factor`](Self::factor) with its derivative parts.
    fn solve(&mut self, jac: &Self::Matrix, b: &mut [D]);

    /// Overwrite `b` with `W₀⁻¹ b`, `W₀` the real matrix of the last
    /// [`factor`](Self::factor), applied alike to every part of `b`: the
    /// preconditioner of a Newton iteration, whose fixed point (and so its
    /// derivative parts) does not depend on it. `newton` tells an iterative
    /// solver how accurate a Newton correction must be; direct solvers
    /// ignore it.
    fn solve_primal<E: DualScalar>(&mut self, b: &mut [E], newton: Option<NewtonTarget<'_>>);
}

/// What a Newton correction needs of [`LinearSolver::solve_primal`]: its
/// error, in Newton's RMS norm with `weights` (the reciprocals of
/// `atol + rtol·|y|`), well below Newton's tolerance `tol`.
#[derive(Clone, Copy, Debug)]
pub struct NewtonTarget<'a> {
    /// The reciprocal error weights, one per unknown.
    pub weights: &'a [f64],
    /// Newton's convergence tolerance in that norm.
    pub tol: f64,
}

/// `b ← W⁻¹ b` exactly in every part of the scalar, `W = shift·I − J`:
/// `substitute` applies the real factorization to every part alike; then
/// each of `D::ORDER` corrections `x ← x + W₀⁻¹(b − W x)` (derivative
/// parts of the residual only) makes one more order of derivative parts
/// exact — the derivative parts of `W` are nilpotent — while the real part
/// stays the `f64` solve's. `jac_mul_add(x, r)` adds `J x` to `r`; the
/// buffers hold `b` and the residual (length `n`).
pub(crate) fn corrected_solve<D: DualScalar>(
    b: &mut [D],
    (rhs, r): &mut (Vec<D>, Vec<D>),
    shift: f64,
    mut substitute: impl FnMut(&mut [D]),
    jac_mul_add: impl Fn(&[D], &mut [D]),
) {
    if D::ORDER > 0 {
        rhs.copy_from_slice(b);
    }
    substitute(b);
    for _ in 0..D::ORDER {
        for ((ri, &bi), &xi) in r.iter_mut().zip(rhs.iter()).zip(b.iter()) {
            *ri = bi - xi * shift;
        }
        jac_mul_add(b, r);
        for ri in r.iter_mut() {
            *ri -= D::from(ri.re());
        }
        substitute(r);
        for (xi, &ri) in b.iter_mut().zip(r.iter()) {
            *xi += ri;
        }
    }
}

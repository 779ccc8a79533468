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

/// What [`exact_solve`] and [`refined_solve`] need of a solver of
/// `W = shift·I − J` with scalar `D`.
pub(crate) trait Substitute<D> {
    /// `b ← W₀⁻¹ b`, `W₀` the real matrix of the last
    /// [`LinearSolver::factor`], applied alike to every part of any scalar
    /// (so to a real vector too).
    fn substitute<E: DualScalar>(&mut self, b: &mut [E]);
    /// `b ← W₀⁻¹ b` for the real part of a solve (`E` is `f64`): the
    /// `f64` solve and the real part of every dual solve, so that the two
    /// stay the same to the bit. [`substitute`](Self::substitute) unless a
    /// solver has a quicker way for the real part alone.
    fn substitute_primal<E: DualScalar>(&mut self, b: &mut [E]) {
        self.substitute(b);
    }
    /// The buffers of the derivative parts' corrections.
    fn corrections(&mut self) -> &mut Corrections<D>;
    /// The shift of the last factorization.
    fn shift(&self) -> f64;
}

/// `r += J x` for a Jacobian `J` whose entries carry derivative parts, `x`
/// real or of the Jacobian's scalar.
pub(crate) trait MulAdd<D> {
    fn mul_add<X: Copy>(&self, x: &[X], r: &mut [D])
    where
        D: std::ops::Mul<X, Output = D>;
}

impl<D: DualScalar> MulAdd<D> for DenseMatrix<D> {
    #[inline]
    fn mul_add<X: Copy>(&self, x: &[X], r: &mut [D])
    where
        D: std::ops::Mul<X, Output = D>,
    {
        // (`max(1)`: an empty matrix has no columns, and `chunks_exact`
        // needs a positive size.)
        for (&xj, col) in x.iter().zip(self.data.chunks_exact(self.n.max(1))) {
            for (ri, &a) in r.iter_mut().zip(col) {
                *ri += a * xj;
            }
        }
    }
}

/// The buffers of [`exact_solve`] and [`refined_solve`], allocated once
/// per solver: the right-hand side, the residual, the real solution and
/// one scalar's real numbers.
#[derive(Clone, Debug)]
pub(crate) struct Corrections<D> {
    rhs: Vec<D>,
    r: Vec<D>,
    re: Vec<f64>,
    reals: Vec<f64>,
}

impl<D: DualScalar> Corrections<D> {
    pub fn new(n: usize) -> Self {
        let zero = D::from(0.0);
        Corrections { rhs: vec![zero; n], r: vec![zero; n], re: vec![0.0; n], reals: vec![0.0; D::REALS] }
    }
}

impl<D> Default for Corrections<D> {
    fn default() -> Self {
        Corrections { rhs: Vec::new(), r: Vec::new(), re: Vec::new(), reals: Vec::new() }
    }
}

/// `b ← W⁻¹ b` exactly in every part of the scalar, `W = shift·I − J`,
/// for a direct factorization of `W₀ = shift·I − J₀` (`J₀` the real
/// parts of `J`): the real part
/// `x₀ = W₀⁻¹ b₀` alone (the `f64` solve's bits), then the first-order
/// parts `W₀⁻¹ (b′ + J′ x₀)` in one substitution of `b + J x₀` (whose real
/// part is not used), then `D::ORDER − 1` corrections for the higher
/// orders ([`refine`]). Against a substitution of every part followed by a
/// correction, this is one substitution of every part and the products
/// `J′ x′` fewer: Robertson's sensitivities through Rodas5P 18% fewer
/// instructions and 9% faster (`docs/benchmarks.md` §9). The derivative
/// parts round differently from the correction's (1e-15 relative there).
pub(crate) fn exact_solve<D, S, J>(solver: &mut S, jac: &J, b: &mut [D])
where
    D: DualScalar,
    S: Substitute<D>,
    J: MulAdd<D>,
{
    if D::ORDER == 0 {
        // Nothing to correct: no buffers moved out and back (a fifth of a
        // small system's solve).
        return solver.substitute_primal(b);
    }
    let c = &mut std::mem::take(solver.corrections());
    if D::ORDER > 1 {
        c.rhs.copy_from_slice(b);
    }
    for (x, v) in c.re.iter_mut().zip(b.iter()) {
        *x = v.re();
    }
    solver.substitute_primal(&mut c.re[..]);
    jac.mul_add(&c.re, b);
    solver.substitute(b);
    for (v, &x) in b.iter_mut().zip(&c.re) {
        v.to_reals(&mut c.reals);
        c.reals[0] = x;
        *v = D::from_reals(&c.reals);
    }
    refine(solver, c, jac, b, D::ORDER - 1);
    *solver.corrections() = std::mem::take(c);
}

/// `b ← W⁻¹ b` for an iterative solver of `W₀`: every part substituted,
/// then `D::ORDER` corrections ([`refine`]), each of which also reduces
/// the derivative parts' error from the inexact solve by its tolerance.
pub(crate) fn refined_solve<D, S, J>(solver: &mut S, jac: &J, b: &mut [D])
where
    D: DualScalar,
    S: Substitute<D>,
    J: MulAdd<D>,
{
    let c = &mut std::mem::take(solver.corrections());
    if D::ORDER > 0 {
        c.rhs.copy_from_slice(b);
    }
    solver.substitute(b);
    refine(solver, c, jac, b, D::ORDER);
    *solver.corrections() = std::mem::take(c);
}

/// `times` corrections `x ← x + W₀⁻¹ (b − W x)` (derivative parts of the
/// residual only; `b` in `c.rhs`): each makes one more order of
/// derivative parts exact — the derivative parts of `W` are nilpotent —
/// while the real part stays.
fn refine<D, S, J>(solver: &mut S, c: &mut Corrections<D>, jac: &J, x: &mut [D], times: usize)
where
    D: DualScalar,
    S: Substitute<D>,
    J: MulAdd<D>,
{
    let shift = solver.shift();
    for _ in 0..times {
        for ((ri, &bi), &xi) in c.r.iter_mut().zip(&c.rhs).zip(x.iter()) {
            *ri = bi - xi * shift;
        }
        jac.mul_add(x, &mut c.r);
        for ri in c.r.iter_mut() {
            *ri -= D::from(ri.re());
        }
        solver.substitute(&mut c.r);
        for (xi, &ri) in x.iter_mut().zip(&c.r) {
            *xi += ri;
        }
    }
}

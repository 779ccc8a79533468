//! Constant mass matrices, `M y' = f(t, y, p)` (diagonal or sparse):
//! finite-element and scaled equations, and with zero rows (and columns)
//! semi-explicit index-1 DAEs (algebraic equations `0 = f_i`), for the
//! Rosenbrock methods and BDF.
//!
//! The iteration matrix becomes `W = M/(γh) − J` (Rosenbrock) or
//! `M/c − J` (BDF's Newton), the Rosenbrock stages carry `M Σ c_ij k_j/h`,
//! and BDF's step equation is `M (d + ψ) − c f(y_pred + d) = 0`. Before
//! the first step (and after every restart), the algebraic components are
//! made consistent by Newton's method on `0 = f_a(t, y_d, y_a)`, in the
//! solve's scalar, so dual numbers carry the derivatives of the consistent
//! state (the implicit function theorem).

use super::jacobian::DualJacobian;
use super::linalg::{DenseLu, DenseMatrix, LinearSolver};
use super::{Model, Stats};
use crate::{DualScalar, Error, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, U1};

/// Newton iterations allowed for a consistent initial state.
const CONSISTENT_MAX_ITERS: usize = 30;

/// A constant mass matrix `M` of `M y' = f(t, y, p)`
/// ([`OdeSystem::mass`](crate::OdeSystem::mass)).
///
/// # Example
/// ```
/// use odeon::integrate::MassMatrix;
/// // y₁' = f₁, 2 y₂' + y₁' = f₂: entries (row, column, value).
/// let m = MassMatrix::Sparse(vec![(0, 0, 1.0), (1, 1, 2.0), (1, 0, 1.0)]);
/// let lumped = MassMatrix::Diagonal(vec![1.0, 2.0]);
/// assert_ne!(m, lumped);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum MassMatrix {
    /// Its diagonal; a zero makes that row an algebraic equation.
    Diagonal(Vec<f64>),
    /// Its nonzero entries `(row, column, value)` (repeats are summed). A
    /// row that is zero with its column (no entry in either) is an
    /// algebraic equation.
    Sparse(Vec<(usize, usize, f64)>),
}

/// A checked mass matrix.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mass {
    /// The entries `(row, column, value)`, merged, by row.
    entries: Vec<(usize, usize, f64)>,
    /// The diagonal when `M` is diagonal (`y' = f/M` is then known).
    diagonal: Option<Vec<f64>>,
    /// The rows that are algebraic equations (zero with their column).
    pub algebraic: Vec<usize>,
}

/// The system's mass matrix, checked (`None` for the identity).
///
/// # Errors
/// [`Error::DimensionMismatch`] if a diagonal's length is not the
/// dimension; [`Error::NonFinite`] for a NaN or infinite entry;
/// [`Error::InvalidOption`] for an entry outside the matrix, or a zero row
/// whose column is not zero (only semi-explicit DAEs are solved).
pub(crate) fn checked_mass<S: Model>(system: &S) -> Result<Option<Mass>, Error> {
    checked_mass_of(system.mass(), system.dim().value())
}

/// [`checked_mass`] past the model's type (compiled once).
fn checked_mass_of(m: Option<MassMatrix>, n: usize) -> Result<Option<Mass>, Error> {
    let Some(m) = m else { return Ok(None) };
    let what = "mass matrix";
    let (mut entries, diagonal) = match m {
        MassMatrix::Diagonal(d) => {
            if d.len() != n {
                return Err(Error::DimensionMismatch { what: "mass matrix diagonal", expected: n, got: d.len() });
            }
            if d.iter().all(|&v| v == 1.0) {
                return Ok(None);
            }
            (d.iter().enumerate().map(|(i, &v)| (i, i, v)).collect::<Vec<_>>(), Some(d))
        }
        MassMatrix::Sparse(e) => (e, None),
    };
    if let Some(index) = entries.iter().position(|e| !e.2.is_finite()) {
        return Err(Error::NonFinite { what, index, value: entries[index].2 });
    }
    if let Some(&(r, c, _)) = entries.iter().find(|e| e.0 >= n || e.1 >= n) {
        let reason = format!("entry ({r}, {c}) is outside the {n} × {n} matrix");
        return Err(Error::InvalidOption { name: "mass", reason });
    }
    entries.sort_by_key(|e| (e.0, e.1));
    entries.dedup_by(|b, a| {
        let same = (a.0, a.1) == (b.0, b.1);
        if same {
            a.2 += b.2;
        }
        same
    });
    entries.retain(|e| e.2 != 0.0);
    let (mut row_used, mut col_used) = (vec![false; n], vec![false; n]);
    for &(r, c, _) in &entries {
        row_used[r] = true;
        col_used[c] = true;
    }
    if let Some(i) = (0..n).find(|&i| row_used[i] != col_used[i]) {
        let reason = format!(
            "row {i} and column {i} must be both zero (an algebraic equation of a semi-explicit DAE) or both not"
        );
        return Err(Error::InvalidOption { name: "mass", reason });
    }
    let algebraic = (0..n).filter(|&i| !row_used[i]).collect();
    Ok(Some(Mass { entries, diagonal, algebraic }))
}

/// A method that integrates `y' = f` only refuses a system with a mass
/// matrix.
pub(crate) fn refuse_mass<S: Model>(system: &S, method: &str) -> Result<(), Error> {
    match checked_mass(system)? {
        None => Ok(()),
        Some(_) => Err(Error::InvalidOption {
            name: "mass",
            reason: format!("{method} solves y' = f; a system with a mass matrix needs Rodas5P, Rodas4P or BDF"),
        }),
    }
}

impl Mass {
    /// Make the algebraic components of `y` consistent at `t`: Newton's
    /// method on `0 = f_a(t, y)` for `y_a`, with the exact Jacobian block
    /// `∂f_a/∂y_a` (real parts) at every iterate, until the correction is
    /// below `1e-12 (1 + |y_a|)`; then as many iterations as the scalar
    /// has orders of derivatives, so that its derivative parts are those
    /// of the consistent state.
    ///
    /// # Errors
    /// [`Error::InconsistentInitialState`] naming the worst algebraic
    /// equation if the iterations do not converge (no consistent state
    /// near `y`, or a singular `∂f_a/∂y_a`: not index 1 there).
    pub fn make_consistent<S, D>(
        &self,
        system: &S,
        t: f64,
        y: &mut State<D, S::Dim>,
        p: &[D],
        stats: &mut Stats,
    ) -> Result<(), Error>
    where
        S: Model,
        D: DualScalar,
        DefaultAllocator: Allocator<S::Dim>,
    {
        let alg = &self.algebraic;
        if alg.is_empty() {
            return Ok(());
        }
        let (dim, m) = (system.dim(), alg.len());
        let p_re: Vec<f64> = p.iter().map(|v| v.re()).collect();
        let mut jacobian = DualJacobian::new(dim, &p_re);
        // Only the algebraic columns are seeded: the block `∂f_a/∂y_a`
        // costs ⌈(m + 1)/4⌉ passes and m² memory, whatever n.
        let mut column = vec![usize::MAX; dim.value()];
        for (a, &i) in alg.iter().enumerate() {
            column[i] = a;
        }
        let mut block = DenseMatrix::from_element(m, 0.0);
        let mut lu = DenseLu::<f64>::new(m);
        let zeros = || State::<f64, S::Dim>::from_element_generic(dim, U1, 0.0);
        let (mut y_re, mut f_re, mut dfdt) = (zeros(), zeros(), zeros());
        let mut f = State::<D, S::Dim>::from_element_generic(dim, U1, D::from(0.0));
        let mut step = vec![D::from(0.0); m];
        let mut extra = D::ORDER;
        let fail = |f: &State<D, S::Dim>| {
            let (k, r) = alg
                .iter()
                .map(|&i| (i, f[i].re()))
                // The largest residual, a NaN counting as the largest.
                .fold(
                    (alg[0], 0.0f64),
                    |(bi, br), (i, r)| {
                        if r.is_nan() || r.abs() > br.abs() { (i, r) } else { (bi, br) }
                    },
                );
            Error::InconsistentInitialState { t, component: k, residual: r }
        };
        for _ in 0..CONSISTENT_MAX_ITERS + D::ORDER {
            for (r, v) in y_re.iter_mut().zip(y.iter()) {
                *r = v.re();
            }
            jacobian.passes(system, (t, &y_re), (&mut f_re, &mut dfdt), (m, |j| column[j]), None, |b, l, fd| {
                for (row, &i) in block.column_mut(b).iter_mut().zip(alg) {
                    *row = fd[i].eps.0[l];
                }
            });
            system.rhs(D::from(t), y, &[], p, &mut f);
            stats.rhs_evals += 1;
            stats.jac_evals += 1;
            for (a, &i) in alg.iter().enumerate() {
                step[a] = f[i];
            }
            // (0·I − J_aa) Δ = f_a: Δ = −J_aa⁻¹ f_a, the Newton step.
            if lu.factor(&block, 0.0).is_err() {
                return Err(fail(&f));
            }
            lu.solve_primal(&mut step, None);
            let mut small = true;
            for (a, &i) in alg.iter().enumerate() {
                small &= step[a].re().abs() <= 1e-12 * (1.0 + y[i].re().abs());
                y[i] += step[a];
            }
            if alg.iter().any(|&i| !y[i].re().is_finite()) {
                return Err(fail(&f));
            }
            if small {
                if extra == 0 {
                    return Ok(());
                }
                extra -= 1;
            }
        }
        system.rhs(D::from(t), y, &[], p, &mut f);
        Err(fail(&f))
    }

    /// A derivative `y'` to start a method with, from `f` in place: `f/M`
    /// for a diagonal `M` (zero on the algebraic rows), zero otherwise
    /// (the first step is small, and its equation is solved exactly).
    pub fn derivative<D: DualScalar>(&self, f: &mut [D]) {
        match &self.diagonal {
            Some(diag) => {
                for (v, &m) in f.iter_mut().zip(diag) {
                    *v = if m == 0.0 { D::from(0.0) } else { *v / m };
                }
            }
            None => f.fill(D::from(0.0)),
        }
    }

    /// `out += M x`.
    pub fn mul_add<D: DualScalar>(&self, x: &[D], out: &mut [D]) {
        for &(r, c, m) in &self.entries {
            out[r] += x[c] * m;
        }
    }

    /// The entries `(i, j, δ_ij − M_ij)` that are not zero: what
    /// `shift·M − J = shift·I − (J + shift·(I − M))` adds to `J`.
    pub fn identity_minus(&self, n: usize) -> Vec<(usize, usize, f64)> {
        let mut out: Vec<(usize, usize, f64)> = (0..n).map(|i| (i, i, 1.0)).collect();
        for &(r, c, m) in &self.entries {
            if r == c {
                out[r].2 -= m;
            } else {
                out.push((r, c, -m));
            }
        }
        out.retain(|e| e.2 != 0.0);
        out
    }

    /// The entries' positions `(row, column)`.
    pub fn positions(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.entries.iter().map(|&(r, c, _)| (r, c))
    }
}

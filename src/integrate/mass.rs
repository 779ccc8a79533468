//! Constant diagonal mass matrices, `M y' = f(t, y, p)`: scaled equations,
//! and with zeros on the diagonal semi-explicit index-1 DAEs (algebraic
//! equations `0 = f_i`), for the Rosenbrock methods and BDF.
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
use super::{OdeSystem, Stats};
use crate::{DualScalar, Error, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, U1};

/// Newton iterations allowed for a consistent initial state.
const CONSISTENT_MAX_ITERS: usize = 30;

/// A checked diagonal mass matrix.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mass {
    /// The diagonal of `M`.
    pub diag: Vec<f64>,
    /// The rows whose diagonal entry is zero (algebraic equations).
    pub algebraic: Vec<usize>,
}

/// The system's mass matrix, checked (`None` for the identity).
///
/// # Errors
/// [`Error::DimensionMismatch`] if its length is not the dimension;
/// [`Error::NonFinite`] for a NaN or infinite entry.
pub(crate) fn checked_mass<S: OdeSystem>(system: &S) -> Result<Option<Mass>, Error> {
    let Some(diag) = system.mass() else { return Ok(None) };
    let n = system.dim().value();
    if diag.len() != n {
        return Err(Error::DimensionMismatch { what: "mass matrix diagonal", expected: n, got: diag.len() });
    }
    if let Some(index) = diag.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite { what: "mass matrix diagonal", index, value: diag[index] });
    }
    if diag.iter().all(|&m| m == 1.0) {
        return Ok(None);
    }
    let algebraic = (0..n).filter(|&i| diag[i] == 0.0).collect();
    Ok(Some(Mass { diag, algebraic }))
}

/// A method that integrates `y' = f` only refuses a system with a mass
/// matrix.
pub(crate) fn refuse_mass<S: OdeSystem>(system: &S, method: &str) -> Result<(), Error> {
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
        S: OdeSystem,
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
        let mut jac = DenseMatrix::from_element(dim.value(), 0.0);
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
            jacobian.eval(system, t, &y_re, &mut f_re, &mut jac, &mut dfdt);
            system.rhs(D::from(t), y, p, &mut f);
            stats.rhs_evals += 1;
            stats.jac_evals += 1;
            for (a, &i) in alg.iter().enumerate() {
                for (b, &j) in alg.iter().enumerate() {
                    block.column_mut(b)[a] = jac.get(i, j);
                }
                step[a] = f[i];
            }
            // (0·I − J_aa) Δ = f_a: Δ = −J_aa⁻¹ f_a, the Newton step.
            if lu.factor(&block, 0.0).is_err() {
                return Err(fail(&f));
            }
            lu.solve_primal(&mut step);
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
        system.rhs(D::from(t), y, p, &mut f);
        Err(fail(&f))
    }

    /// `f` divided by the mass where it is not zero, zero on the
    /// algebraic rows: a derivative `y'` to start a method with.
    pub fn derivative<D: DualScalar>(&self, f: &mut [D]) {
        for (v, &m) in f.iter_mut().zip(&self.diag) {
            *v = if m == 0.0 { D::from(0.0) } else { *v / m };
        }
    }
}

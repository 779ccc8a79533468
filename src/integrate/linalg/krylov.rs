//! The Krylov path for very large sparse systems: `W = shift·I − J` solved
//! by restarted GMRES, right-preconditioned by a smoothed-aggregation
//! multigrid of `W` ([`amg`](super::amg)). Its work and memory grow about
//! linearly with the system, where a sparse LU's fill grows as `n^1.5` on
//! a 2-D grid and faster in 3-D.
//!
//! [`factor`](LinearSolver::factor) builds the multigrid hierarchy of the
//! real `W`; each solve runs GMRES on each real number of the scalar (its
//! real part first, so a dual solve's real part is the `f64` solve's),
//! to a residual [`SOLVE_RTOL`] of the right-hand side's for
//! [`solve`](LinearSolver::solve) — Rosenbrock stages, sensitivities —
//! and [`NEWTON_RTOL`] for [`solve_primal`](LinearSolver::solve_primal),
//! the correction of a Newton iteration, which converges to the same
//! point whatever the accuracy of its linear solves (an inexact Newton
//! method) — or, given Newton's weights and tolerance, to a residual that
//! bounds the correction's error by 5% of that tolerance, whichever comes
//! first (CVODE's test for its Krylov solvers). The derivative parts are
//! solved with the real part and then corrected, `x ← x + W̃⁻¹(b − W x)`
//! once per order (`linalg::refined_solve`): with an
//! inexact `W̃⁻¹` each correction also shrinks their error by the solve's
//! tolerance.
//!
//! Reference: Y. Saad, M. H. Schultz, *GMRES: a generalized minimal
//! residual algorithm for solving nonsymmetric linear systems*, SIAM J.
//! Sci. Stat. Comput. 7 (1986) 856–869; Saad, *Iterative Methods for
//! Sparse Linear Systems*, 2nd ed., §6.5 and §9.3.2 (right
//! preconditioning).

use super::amg::{Amg, Csr};
use super::sparse::{Columns, fill_w_checked};
use super::{Corrections, LinearSolver, NewtonTarget, Singular, SparseMatrix, Substitute, refined_solve};
use crate::DualScalar;

/// The relative residual `‖b − W x‖ / ‖b‖` of [`LinearSolver::solve`].
pub const SOLVE_RTOL: f64 = 1e-10;
/// The relative residual of [`LinearSolver::solve_primal`] (a Newton
/// correction): an inexact Newton method's forcing term, loose enough to
/// save iterations and tight enough that Newton's iterations do not change
/// (the 2-D Brusselator at 8,192 and 32,768 states: the same steps and
/// Newton iterations at 1e-6, 1e-4, 1e-3 and 1e-2, with 1.7, 1.25, 1 and
/// 0.75 times the GMRES iterations of 1e-3). Looser is faster but drifts:
/// at 1e-2 to 1e-1 the 3-D Brusselator's BDF solve ends 1.1–1.5 tolerance
/// units from the LU's (0.19 at 1e-3), Newton's convergence test no longer
/// bounding what its inexact solves leave (docs/benchmarks.md §12).
pub const NEWTON_RTOL: f64 = 1e-3;
/// A Newton correction's solve also stops once its residual, in Newton's
/// weighted RMS norm and divided by the shift, is this fraction of
/// Newton's tolerance (CVODE's `epslin`, 0.05): for a dissipative `J`,
/// `‖W⁻¹‖ ≤ 1/shift` in that norm, so the correction is then within 5% of
/// the tolerance of the exact one and Newton's convergence test still
/// bounds the error. The later iterations of a Newton solve, whose
/// corrections are already small, stop after one or two GMRES iterations
/// instead of reducing their residual a thousandfold.
const NEWTON_ETA: f64 = 0.05;
/// A hierarchy built for one shift serves others up to this factor away
/// (for the same `J`). Measured on the periodic 2-D Brusselator (BDF,
/// rtol 1e-6; a new hierarchy for every factorization before): at 2,048
/// and 8,192 states the factors 1, 2, 4, 10 and ∞ gave 642, 638, 653, 743
/// and 907 GMRES iterations and 920, 935, 951, 1,067 and 1,178; the time
/// was least at 4 (−13% and −17% against 1).
const RESHIFT_MAX: f64 = 4.0;
/// Krylov vectors kept before a restart.
const RESTART: usize = 30;
/// Iterations of one solve at most.
const MAX_ITERS: usize = 300;

/// Restarted GMRES's buffers for systems of `n` unknowns.
struct Gmres {
    n: usize,
    /// The Krylov basis `v_0 … v_RESTART` and the preconditioned
    /// directions `z_j = M⁻¹ v_j`, column after column.
    v: Vec<f64>,
    z: Vec<f64>,
    /// The Hessenberg matrix, column `j` at `j·(RESTART + 1)`, its Givens
    /// rotations and the rotated right-hand side.
    h: Vec<f64>,
    rot: Vec<(f64, f64)>,
    g: Vec<f64>,
    /// The right-hand side and the residual.
    rhs: Vec<f64>,
    r: Vec<f64>,
}

/// Where a GMRES solve stops: a residual `rtol` of the right-hand side's,
/// or (`weighted`) a residual measured as `‖w ∘ r‖₂`, `w` the weights,
/// below that absolute bound or `rtol` of `‖w ∘ b‖₂`, whichever comes
/// first.
#[derive(Clone, Copy)]
struct Stop<'w> {
    rtol: f64,
    weighted: Option<(&'w [f64], f64)>,
}

/// `r ← w ∘ r` for a weighted solve.
fn weigh(r: &mut [f64], weights: Option<&[f64]>) {
    if let Some(w) = weights {
        r.iter_mut().zip(w).for_each(|(r, w)| *r *= w);
    }
}

impl Gmres {
    fn new(n: usize) -> Self {
        Gmres {
            n,
            v: vec![0.0; (RESTART + 1) * n],
            z: vec![0.0; RESTART * n],
            h: vec![0.0; (RESTART + 1) * RESTART],
            rot: vec![(0.0, 0.0); RESTART],
            g: vec![0.0; RESTART + 1],
            rhs: vec![0.0; n],
            r: vec![0.0; n],
        }
    }

    /// `x ← A⁻¹ x` to the residual `stop` asks for, from `x = 0`; the
    /// iterations taken, and whether the tolerance was reached (else `x` is
    /// the best iterate after [`MAX_ITERS`]). A weighted solve runs GMRES on
    /// the scaled system `S A S⁻¹ (S x) = S b`, `S = diag(w)`, whose
    /// residual norm is the weighted one.
    fn solve(&mut self, amg: &mut Amg, x: &mut [f64], stop: Stop<'_>) -> (usize, bool) {
        let (n, weights) = (self.n, stop.weighted.map(|(w, _)| w));
        self.rhs.copy_from_slice(x);
        self.r.copy_from_slice(x);
        weigh(&mut self.r, weights);
        let b_norm = norm(&self.r);
        if !b_norm.is_finite() {
            x.fill(f64::NAN);
            return (0, false);
        }
        x.fill(0.0);
        if b_norm == 0.0 {
            return (0, true);
        }
        let target = (stop.rtol * b_norm).max(stop.weighted.map_or(0.0, |(_, bound)| bound));
        let mut beta = b_norm;
        let mut iters = 0;
        loop {
            if beta <= target {
                return (iters, true);
            }
            self.v[..n].iter_mut().zip(&self.r).for_each(|(v, r)| *v = r / beta);
            self.g.fill(0.0);
            self.g[0] = beta;
            let mut k = 0;
            while k < RESTART && iters < MAX_ITERS {
                iters += 1;
                if !self.arnoldi(amg, k, weights) {
                    break;
                }
                k += 1;
                if self.g[k].abs() <= target {
                    break;
                }
            }
            // y = H⁻¹ g (upper triangular), x += Z y.
            let mut y = [0.0; RESTART];
            for i in (0..k).rev() {
                let hi = |j: usize| self.h[j * (RESTART + 1) + i];
                y[i] = (self.g[i] - (i + 1..k).map(|j| hi(j) * y[j]).sum::<f64>()) / hi(i);
            }
            for (j, &yj) in y[..k].iter().enumerate() {
                x.iter_mut().zip(&self.z[j * n..(j + 1) * n]).for_each(|(x, z)| *x += yj * z);
            }
            // The rotated right-hand side's last entry is the residual's
            // norm: computed anew only for a restart.
            if k > 0 && self.g[k].abs() <= target {
                return (iters, true);
            }
            amg.matrix().residual(&self.rhs, x, &mut self.r);
            weigh(&mut self.r, weights);
            beta = norm(&self.r);
            if beta > target && (k == 0 || iters >= MAX_ITERS || !beta.is_finite()) {
                return (iters, false);
            }
        }
    }

    /// Step `j` of Arnoldi's process with modified Gram–Schmidt: `z_j`,
    /// `v_{j+1}`, column `j` of `H` rotated into triangular form and `g`
    /// with it. `false` if the step adds nothing (a breakdown: column `j`
    /// is not used). Weighted: `z_j = M⁻¹ S⁻¹ v_j` and `v_{j+1}` from
    /// `S A z_j`.
    fn arnoldi(&mut self, amg: &mut Amg, j: usize, weights: Option<&[f64]>) -> bool {
        let n = self.n;
        let (basis, rest) = self.v.split_at_mut((j + 1) * n);
        let w = &mut rest[..n];
        let z = &mut self.z[j * n..(j + 1) * n];
        match weights {
            Some(s) => {
                w.iter_mut().zip(&basis[j * n..]).zip(s).for_each(|((w, v), s)| *w = v / s);
                amg.apply(w, z);
            }
            None => amg.apply(&basis[j * n..], z),
        }
        w.fill(0.0);
        amg.matrix().mul_add(z, w);
        weigh(w, weights);
        let col = &mut self.h[j * (RESTART + 1)..(j + 1) * (RESTART + 1)];
        for (i, vi) in basis.chunks_exact(n).enumerate() {
            let hij = dot(w, vi);
            w.iter_mut().zip(vi).for_each(|(w, v)| *w -= hij * v);
            col[i] = hij;
        }
        let h_next = norm(w);
        if h_next > 0.0 {
            w.iter_mut().for_each(|w| *w /= h_next);
        }
        col[j + 1] = h_next;
        for (i, &(c, s)) in self.rot[..j].iter().enumerate() {
            (col[i], col[i + 1]) = (c * col[i] + s * col[i + 1], c * col[i + 1] - s * col[i]);
        }
        let d = col[j].hypot(col[j + 1]);
        if !(d > 0.0 && d.is_finite()) {
            return false;
        }
        let (c, s) = (col[j] / d, col[j + 1] / d);
        self.rot[j] = (c, s);
        (col[j], col[j + 1]) = (d, 0.0);
        (self.g[j], self.g[j + 1]) = (c * self.g[j], -s * self.g[j]);
        true
    }
}

/// `Σ aᵢbᵢ` in four partial sums: one chain of additions waits on each
/// (a Krylov vector has thousands of entries).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = a4.remainder().iter().zip(b4.remainder()).map(|(x, y)| x * y).sum();
    let mut s = [0.0; 4];
    for (x, y) in a4.zip(b4) {
        for k in 0..4 {
            s[k] += x[k] * y[k];
        }
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// GMRES with a multigrid preconditioner for `shift·I − J`, `J` a
/// [`SparseMatrix`] (see the module documentation). Its work grows about
/// linearly with the system; [`Linsolve::Krylov`](crate::integrate::Linsolve::Krylov)
/// selects it.
///
/// # Example
/// ```
/// use odeon::integrate::linalg::{CscPattern, KrylovSolver, LinearSolver, SparseMatrix};
/// // J = tridiag(1, −2, 1), n = 1000; solve (1·I − J) x = W·1.
/// let n = 1000;
/// let entries: Vec<(usize, usize)> = (1..n).flat_map(|i| [(i, i - 1), (i - 1, i)]).collect();
/// let (p, _) = CscPattern::new(n, n, &entries)?;
/// let mut jac = SparseMatrix::new(&p)?;
/// for c in 0..n {
///     for r in c.saturating_sub(1)..(c + 2).min(n) {
///         let at = jac.pattern().position(r, c).unwrap();
///         jac.values_mut()[at] = if r == c { -2.0 } else { 1.0 };
///     }
/// }
/// let mut solver = KrylovSolver::new(&jac);
/// solver.factor(&jac, 1.0).unwrap();
/// let mut x: Vec<f64> = (0..n).map(|i| if i == 0 || i == n - 1 { 2.0 } else { 1.0 }).collect();
/// solver.solve(&jac, &mut x);
/// assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-8));
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct KrylovSolver<D> {
    /// The real values of `W` (in `J`'s pattern order).
    w: Vec<f64>,
    /// `J`'s pattern, by rows ([`Csr::pattern_of_csc`]), and where each of
    /// its entries lands there.
    rows: Csr,
    to_row: Vec<usize>,
    /// The multigrid hierarchy of `W` (which holds `W` by rows).
    amg: Option<Amg>,
    shift: f64,
    /// The real values of `J` and the shift the hierarchy was built for.
    built: Vec<f64>,
    built_shift: f64,
    gmres: Gmres,
    cols: Columns,
    /// The buffers of the derivative parts' corrections.
    corr: Corrections<D>,
    iterations: usize,
    failures: usize,
}

impl<D: DualScalar> KrylovSolver<D> {
    /// Buffers for `jac`'s pattern.
    pub fn new(jac: &SparseMatrix<D>) -> Self {
        let (n, p) = (jac.n(), jac.pattern());
        let (rows, to_row) = Csr::pattern_of_csc(n, n, p.colptr(), p.rowval());
        KrylovSolver {
            w: vec![0.0; p.nnz()],
            rows,
            to_row,
            amg: None,
            shift: 0.0,
            built: vec![0.0; jac.pattern().nnz()],
            built_shift: 0.0,
            gmres: Gmres::new(n),
            cols: Columns::default(),
            corr: Corrections::new(n),
            iterations: 0,
            failures: 0,
        }
    }

    /// GMRES iterations so far (each one multigrid cycle and one product
    /// with `W`).
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// [`iterations`](Self::iterations), the count starting again from 0.
    pub(crate) fn take_iterations(&mut self) -> usize {
        std::mem::take(&mut self.iterations)
    }

    /// Solves that stopped short of their tolerance (after 300 iterations).
    pub fn failures(&self) -> usize {
        self.failures
    }

    /// `b ← W⁻¹ b` for every real number of `E`, each to `rtol`; with a
    /// Newton target, the real part also stops at [`NEWTON_ETA`] of it.
    fn substitute<E: DualScalar>(&mut self, b: &mut [E], rtol: f64, newton: Option<NewtonTarget<'_>>) {
        let (gmres, n) = (&mut self.gmres, b.len());
        let Some(amg) = self.amg.as_mut() else {
            // No factorization (or a failed one): no solution.
            b.iter_mut().for_each(|v| *v = E::from(f64::NAN));
            return;
        };
        // Newton's RMS norm is `‖w ∘ r‖₂ / √n`: the bound times `√n`.
        let root = (n as f64).sqrt();
        let real = Stop { rtol, weighted: newton.map(|t| (t.weights, NEWTON_ETA * t.tol * self.shift * root)) };
        let (mut iterations, mut failures) = (0, 0);
        self.cols.solve(b, |x, k| {
            for (l, column) in x.chunks_exact_mut(n).take(k).enumerate() {
                let stop = if l == 0 { real } else { Stop { rtol, weighted: None } };
                let (its, converged) = gmres.solve(amg, column, stop);
                iterations += its;
                failures += usize::from(!converged);
            }
        });
        self.iterations += iterations;
        self.failures += failures;
    }
}

/// The solver's substitution at [`SOLVE_RTOL`], for the derivative
/// parts' corrections.
struct AtTolerance<'a, D>(&'a mut KrylovSolver<D>);

impl<D: DualScalar> Substitute<D> for AtTolerance<'_, D> {
    fn substitute<E: DualScalar>(&mut self, b: &mut [E]) {
        self.0.substitute(b, SOLVE_RTOL, None);
    }

    fn corrections(&mut self) -> &mut Corrections<D> {
        &mut self.0.corr
    }

    fn shift(&self) -> f64 {
        self.0.shift
    }
}

impl<D: DualScalar> LinearSolver<D> for KrylovSolver<D> {
    type Matrix = SparseMatrix<D>;

    /// Builds the multigrid hierarchy of `W = shift·I − J` — or, where
    /// only the shift has changed since the last one, within a factor
    /// (`RESHIFT_MAX`, 4), gives its finest level the new `W` and keeps the
    /// coarse levels: GMRES then iterates on the exact `W` with a
    /// slightly older preconditioner.
    fn factor(&mut self, jac: &SparseMatrix<D>, shift: f64) -> Result<(), Singular> {
        self.shift = shift;
        fill_w_checked(&mut self.w, jac, shift)?;
        let ratio = shift / self.built_shift;
        if let Some(amg) = self.amg.as_mut()
            && (1.0 / RESHIFT_MAX..=RESHIFT_MAX).contains(&ratio)
            && jac.values().iter().zip(&self.built).all(|(v, b)| v.re() == *b)
            && amg.refill_finest(&self.to_row, &self.w, &jac.diag)
        {
            return Ok(());
        }
        let mut a = self.rows.clone();
        a.set_values(&self.to_row, &self.w);
        let symbolic = self.amg.take().and_then(Amg::into_coarse_lu);
        self.amg = Some(Amg::new(a, symbolic).map_err(|column| Singular { column })?);
        self.built.iter_mut().zip(jac.values()).for_each(|(b, v)| *b = v.re());
        self.built_shift = shift;
        Ok(())
    }

    fn solve(&mut self, jac: &SparseMatrix<D>, b: &mut [D]) {
        refined_solve(&mut AtTolerance(self), jac, b);
    }

    fn solve_primal<E: DualScalar>(&mut self, b: &mut [E], newton: Option<NewtonTarget<'_>>) {
        self.substitute(b, NEWTON_RTOL, newton);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CscPattern, MulAdd, SparseLu};
    use super::*;
    use crate::scalar::InlineDual64;
    use num_dual::Dual64;

    /// A periodic 2-D reaction–diffusion Jacobian of two species on an
    /// `m × m` grid (interleaved), depending on a parameter `p`: diffusion
    /// `d·m²` per species, a nonsymmetric local coupling.
    fn jacobian<D: DualScalar>(m: usize, p: D) -> SparseMatrix<D> {
        let n = 2 * m * m;
        let at = |x: usize, y: usize, s: usize| 2 * ((y % m) * m + (x % m)) + s;
        let mut entries = Vec::new();
        let mut values = Vec::new();
        let d = (m * m) as f64 * 0.1;
        for y in 0..m {
            for x in 0..m {
                for s in 0..2 {
                    let i = at(x, y, s);
                    for (j, v) in [
                        (at(x + 1, y, s), p * 0.0 + d),
                        (at(x + m - 1, y, s), p * 0.0 + d),
                        (at(x, y + 1, s), p * 0.0 + d),
                        (at(x, y + m - 1, s), p * 0.0 + d),
                        (i, p * -1.5 - 4.0 * d),
                        (at(x, y, 1 - s), p * (1.0 + s as f64) + 0.3),
                    ] {
                        entries.push((i, j));
                        values.push((i, j, v));
                    }
                }
            }
        }
        let (pattern, _) = CscPattern::new(n, n, &entries).unwrap();
        let mut jac = SparseMatrix::new(&pattern).unwrap();
        for (i, j, v) in values {
            let k = jac.pattern().position(i, j).unwrap();
            jac.values_mut()[k] += v;
        }
        jac
    }

    fn rhs<D: DualScalar>(n: usize, p: D) -> Vec<D> {
        (0..n).map(|i| p.sin() * ((i % 17) as f64 - 8.0) + 1.0).collect()
    }

    /// Krylov against the sparse LU, every real number of the scalar.
    fn agree<D: DualScalar>(m: usize, p: D, shift: f64) {
        let jac = jacobian(m, p);
        let mut krylov = KrylovSolver::new(&jac);
        krylov.factor(&jac, shift).unwrap();
        agree_with(&mut krylov, &jac, p, shift);
    }

    /// `krylov`, factored last with `jac` and `shift`, against the sparse LU.
    fn agree_with<D: DualScalar>(krylov: &mut KrylovSolver<D>, jac: &SparseMatrix<D>, p: D, shift: f64) {
        let n = jac.n();
        let mut lu = SparseLu::new(jac).unwrap();
        lu.factor(jac, shift).unwrap();
        let (mut xk, mut xl) = (rhs(n, p), rhs(n, p));
        krylov.solve(jac, &mut xk);
        lu.solve(jac, &mut xl);
        let (mut a, mut b) = (vec![0.0; D::REALS], vec![0.0; D::REALS]);
        let scale = xl.iter().map(|v| v.re().abs()).fold(0.0, f64::max);
        for i in 0..n {
            xk[i].to_reals(&mut a);
            xl[i].to_reals(&mut b);
            for (u, v) in a.iter().zip(&b) {
                assert!((u - v).abs() <= 1e-8 * scale, "{u} vs {v} at {i}");
            }
        }
        assert_eq!(krylov.failures(), 0);
    }

    #[test]
    fn krylov_and_lu_solves_agree_for_every_scalar() {
        agree(24, 0.7, 10.0);
        agree(24, 0.7, 1e4);
        agree(24, Dual64::from(0.7).derivative(), 10.0);
        agree(24, InlineDual64::<3>::from_re(0.7).derivative(1), 50.0);
    }

    #[test]
    fn a_kept_hierarchy_solves_the_new_shift_and_a_new_jacobian_gets_its_own() {
        let p = Dual64::from(0.7).derivative();
        let jac = jacobian(24, p);
        let mut krylov = KrylovSolver::new(&jac);
        krylov.factor(&jac, 10.0).unwrap();
        // Within the factor: the finest level takes the new W.
        krylov.factor(&jac, 30.0).unwrap();
        assert_eq!(krylov.built_shift, 10.0);
        agree_with(&mut krylov, &jac, p, 30.0);
        // Beyond it, and for another J: a new hierarchy.
        krylov.factor(&jac, 300.0).unwrap();
        assert_eq!(krylov.built_shift, 300.0);
        agree_with(&mut krylov, &jac, p, 300.0);
        let (q, shift) = (Dual64::from(0.9).derivative(), 290.0);
        let other = jacobian(24, q);
        krylov.factor(&other, shift).unwrap();
        assert_eq!(krylov.built_shift, shift);
        agree_with(&mut krylov, &other, q, shift);
    }

    #[test]
    fn a_dual_solves_real_part_is_the_f64_solve() {
        let (jf, jd) = (jacobian(20, 0.7), jacobian(20, Dual64::from(0.7).derivative()));
        let (mut kf, mut kd) = (KrylovSolver::new(&jf), KrylovSolver::new(&jd));
        kf.factor(&jf, 3.0).unwrap();
        kd.factor(&jd, 3.0).unwrap();
        let (mut xf, mut xd) = (rhs(800, 0.7), rhs(800, Dual64::from(0.7).derivative()));
        kf.solve(&jf, &mut xf);
        kd.solve(&jd, &mut xd);
        assert!(xf.iter().zip(&xd).all(|(f, d)| f.to_bits() == d.re.to_bits()));
    }

    #[test]
    fn iterations_stay_few_as_the_grid_is_refined() {
        // Multigrid's promise: about the same iterations at 16× the unknowns.
        let counts: Vec<usize> = [16, 32, 64]
            .iter()
            .map(|&m| {
                let jac = jacobian(m, 0.7);
                let mut k = KrylovSolver::new(&jac);
                k.factor(&jac, 1.0).unwrap();
                let mut x = rhs(jac.n(), 0.7);
                k.solve(&jac, &mut x);
                k.iterations()
            })
            .collect();
        eprintln!("{counts:?}");
        assert!(counts.iter().all(|&c| c <= 25), "{counts:?}");
        assert!(counts[2] <= counts[0] + 6, "{counts:?}");
    }

    #[test]
    fn a_newton_correction_stops_at_its_weighted_target() {
        let jac = jacobian(24, 0.7);
        let (n, shift) = (jac.n(), 20.0);
        let mut k = KrylovSolver::new(&jac);
        k.factor(&jac, shift).unwrap();
        let b = rhs(n, 0.7);
        let weights: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + (i % 5) as f64)).collect();
        let rms = |v: &[f64]| (v.iter().zip(&weights).map(|(v, w)| (v * w).powi(2)).sum::<f64>() / n as f64).sqrt();
        // The weighted residual `‖diag(w) (b − W x)‖_rms / shift` against
        // the looser of its two bounds, for each tolerance; a loose one
        // takes fewer iterations.
        let residual = |x: &[f64]| {
            let mut r: Vec<f64> = b.iter().zip(x).map(|(b, x)| b - shift * x).collect();
            jac.mul_add(x, &mut r);
            rms(&r) / shift
        };
        let relative = NEWTON_RTOL * rms(&b) / shift;
        let mut iterations = Vec::new();
        for tol in [1e-5, 1e-2, 1.0] {
            let mut x = b.clone();
            k.solve_primal(&mut x, Some(NewtonTarget { weights: &weights, tol }));
            let (r, its) = (residual(&x), k.take_iterations());
            assert!(r <= (NEWTON_ETA * tol).max(relative), "tol {tol}: {r} ({relative})");
            iterations.push(its);
        }
        assert!(NEWTON_ETA * 1e-5 < relative && relative < NEWTON_ETA * 1e-2);
        let mut x = b.clone();
        k.solve_primal(&mut x, None);
        let relative_only = k.take_iterations();
        assert!(iterations.windows(2).all(|w| w[0] >= w[1]), "{iterations:?}");
        assert!(iterations[2] < iterations[0].min(relative_only), "{iterations:?}, {relative_only}");
    }

    #[test]
    fn bad_values_are_singular_and_bad_data_not_finite() {
        let mut jac = jacobian(8, 0.7);
        let mut k = KrylovSolver::new(&jac);
        jac.values_mut()[3] = f64::NAN;
        assert!(k.factor(&jac, 1.0).is_err());
        let jac = jacobian(8, 0.7);
        k.factor(&jac, 1.0).unwrap();
        let mut x = vec![1.0; jac.n()];
        x[7] = f64::INFINITY;
        k.solve(&jac, &mut x);
        assert!(x.iter().all(|v| v.is_nan()));
        let mut zero = vec![0.0; jac.n()];
        k.solve(&jac, &mut zero);
        assert!(zero.iter().all(|&v| v == 0.0));
    }
}

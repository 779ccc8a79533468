//! The implicit steppers' iteration matrix `W = shift·I − J`: its Jacobian
//! by dual numbers, dense or sparse, and its factorization — one owner for
//! the choice, so Rosenbrock, BDF and ESDIRK see one interface.
//!
//! **Dense** (small systems): `J` by `⌈(n + 1)/4⌉` dual passes (`⌈n/4⌉`
//! for an [`autonomous`](crate::Model::autonomous) model: no time
//! direction), dense LU.
//! **Sparse** (large systems): the pattern of `∂f/∂y` is traced through
//! the model's generic right-hand side ([`Tracer`]) at the initial state
//! and two random states near it (or given as
//! [`Options::jac_pattern`](super::Options::jac_pattern)); its columns
//! are colored so that `J` costs `⌈(colors + 1)/4⌉` passes, and `W` is
//! factored by sparse LU whose symbolic analysis is done once (or, for
//! very large systems, solved by GMRES with a multigrid preconditioner:
//! `Factor`). A nonzero
//! met later outside the pattern (a branch no probe took) is seen when its
//! row has no entry of that color: the pattern grows by a trace at that
//! state, and `Stats::pattern_growths` counts it. A missed entry whose row
//! has an entry of the same color cannot be seen, and adds to that entry:
//! give such a model its pattern.

use super::Stats;
use super::jacobian::{ColoredJacobian, DualJacobian};
use super::linalg::{
    BandLu, CscPattern, DenseLu, DenseMatrix, KrylovSolver, LinearSolver, NewtonTarget, NotSpd, Singular,
    SparseCholesky, SparseLu, SparseMatrix, bandwidths, mirror, symmetric,
};
use super::mass::Mass;
use super::options::{Linsolve, Settings};
use super::stepper::Failure;
use crate::random::{Domain, SampleRng};
use crate::scalar::Tracer;
use crate::{DualScalar, Error, Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, U1};

/// Below this many states [`Linsolve::Auto`] stays dense without tracing
/// (measured: the banded path overtakes dense LU at 12–16 states of the
/// 1-D Brusselator, BDF and Rodas5P).
pub(crate) const SPARSE_MIN_STATES: usize = 16;
/// Below this many states [`Linsolve::Auto`] prefers dense LU to the
/// general sparse LU (measured on the periodic 2-D Brusselator, 5–8%
/// nonzeros, with faer's supernodal LU: dense ahead at 72 states, sparse
/// ahead from 128 — BDF 1.5×, Rodas5P 2×); a pattern that fits a narrow
/// band takes the banded LU anyway.
pub(crate) const GENERAL_SPARSE_MIN_STATES: usize = 100;
/// From this many states [`Linsolve::Auto`] solves a sparse system whose
/// pattern is not a narrow band by GMRES with a multigrid preconditioner
/// unless `W` is symmetric positive definite (sparse Cholesky). Measured
/// (docs/benchmarks.md §12, since diagonally dominant levels are not
/// coarsened): on the periodic 2-D Brusselator the Krylov path is ahead
/// of the sparse LU from 288 states with BDF and Kvaerno5 (3.5× and 1.9×
/// at 512 states) and level with it with Rodas5P (whose stage solves must
/// be exact) at 288 and 512 states, 1.3× ahead at 1,152; on the 3-D
/// Brusselator ahead from 432 states with every method (Rodas5P 1.9×); on
/// the quad8 heat plate, whose `W` is SPD, Cholesky stays 2× faster up to
/// 38,720 states.
pub(crate) const KRYLOV_MIN_STATES: usize = 500;
/// Above this fraction of nonzeros [`Linsolve::Auto`] stays dense.
pub(crate) const SPARSE_MAX_DENSITY: f64 = 0.1;

/// The pattern of `∂f/∂y` of `system` at `(t, y)` with parameters `p`,
/// traced at `y` and at two random states near it (each component moved
/// by up to 5% of `1 + |y_i|`), their union.
///
/// # Errors
/// [`Error::InvalidOption`] if the right-hand side evaluates on another
/// thread (see [`Tracer`]).
///
/// # Example
/// ```
/// use odeon::integrate::sparsity;
/// use odeon::models::Lorenz96;
/// // Lorenz-96: y_i' depends on y_{i−2}, y_{i−1}, y_i and y_{i+1}.
/// let m = Lorenz96::new(40)?;
/// let y: Vec<f64> = (0..40).map(|i| 8.0 + (i as f64).sin()).collect();
/// let pattern = sparsity(&m, 0.0, &y, &[8.0])?;
/// assert_eq!(pattern.nnz(), 4 * 40);
/// assert_eq!(pattern.column(10), &[9, 10, 11, 12]); // the rows that read y₁₀
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn sparsity<S: Model>(system: &S, t: f64, y: &[f64], p: &[f64]) -> Result<CscPattern, Error>
where
    DefaultAllocator: Allocator<S::Dim>,
{
    let n = system.dim().value();
    Ok(CscPattern::new(n, n, &traced_entries(system, t, y, p)?)?.0)
}

/// [`sparsity`]'s `(row, column)` entries, row by row, before a pattern
/// is built of them (the sparse path joins them with the mass matrix's
/// first).
fn traced_entries<S: Model>(system: &S, t: f64, y: &[f64], p: &[f64]) -> Result<Vec<(usize, usize)>, Error>
where
    DefaultAllocator: Allocator<S::Dim>,
{
    let dim = system.dim();
    let n = dim.value();
    let tp: Vec<Tracer> = p.iter().map(|&v| Tracer::constant(v)).collect();
    // Each probe's rows are merged into the union as they come (sorted,
    // without repeats).
    let mut union: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut merged = Vec::new();
    for probe in 0..3 {
        let mut rng = SampleRng::new(0, Domain::Probe, probe);
        let at: Vec<f64> = if probe == 0 {
            y.to_vec()
        } else {
            y.iter().map(|&v| v + 0.05 * (2.0 * rng.uniform() - 1.0) * (1.0 + v.abs())).collect()
        };
        let rows = Tracer::dependencies(&at, |x| {
            let ty = State::<Tracer, S::Dim>::from_iterator_generic(dim, U1, x.iter().copied());
            let mut dy = State::<Tracer, S::Dim>::from_element_generic(dim, U1, Tracer::constant(0.0));
            system.rhs(Tracer::constant(t), &ty, &[], &tp, &mut dy);
            dy.iter().copied().collect()
        })?;
        for (u, cols) in union.iter_mut().zip(rows) {
            if u.is_empty() {
                *u = cols;
            } else if *u != cols {
                merged.clear();
                merged.extend(u.iter().chain(&cols).copied());
                merged.sort_unstable();
                merged.dedup();
                u.clone_from(&merged);
            }
        }
    }
    Ok(union.iter().enumerate().flat_map(|(r, cols)| cols.iter().map(move |&c| (r, c))).collect())
}

/// A sparse matrix's factorization: banded LU when the band holds the
/// pattern compactly; else, for a symmetric pattern, sparse Cholesky while
/// `W` is symmetric positive definite; else general sparse LU, or for a
/// large system ([`KRYLOV_MIN_STATES`], with `Auto`) or by request the
/// Krylov solver, whose "factorization" is its multigrid setup.
pub(crate) enum Factor<D> {
    Band(BandLu<D>),
    /// GMRES with a multigrid preconditioner; with `fallback` (chosen by
    /// [`Linsolve::Auto`]) the sparse LU takes over for good once a
    /// factorization fails or a solve misses its tolerance.
    Krylov {
        solver: Box<KrylovSolver<D>>,
        fallback: bool,
    },
    General(Box<SparseLu<D>>),
    /// Cholesky while `W` is SPD, analyzed when first met symmetric (the
    /// mirror positions then move into it); the LU (analyzed when first
    /// needed) for an indefinite `W`, and for good after an asymmetric one.
    Symmetric {
        mirror: Vec<usize>,
        chol: Option<Box<SparseCholesky<D>>>,
        lu: Option<Box<SparseLu<D>>>,
        use_lu: bool,
        asymmetric: bool,
        /// Chosen by [`Linsolve::Auto`] for a large system: an asymmetric
        /// `W` goes to the Krylov solver, not the LU.
        large: bool,
    },
}

impl<D: DualScalar> Factor<D> {
    fn new(jac: &SparseMatrix<D>, linsolve: Linsolve) -> Result<Self, Error> {
        let band = band_fits(jac);
        let large = linsolve == Linsolve::Auto && !band && jac.n() >= KRYLOV_MIN_STATES;
        if linsolve == Linsolve::Krylov {
            return Ok(Factor::krylov(jac, false));
        }
        if band {
            return Ok(Factor::Band(BandLu::new(jac)));
        }
        Ok(match mirror(jac.pattern()) {
            Some(mirror) => Factor::Symmetric { mirror, chol: None, lu: None, use_lu: false, asymmetric: false, large },
            None if large => Factor::krylov(jac, true),
            None => Factor::General(Box::new(SparseLu::new(jac)?)),
        })
    }

    fn krylov(jac: &SparseMatrix<D>, fallback: bool) -> Self {
        Factor::Krylov { solver: Box::new(KrylovSolver::new(jac)), fallback }
    }

    fn factor(&mut self, jac: &SparseMatrix<D>, shift: f64) -> Result<(), Singular> {
        match self {
            Factor::Band(lu) => lu.factor(jac, shift),
            Factor::Krylov { solver, fallback } => {
                let result = match *fallback && solver.failures() > 0 {
                    false => solver.factor(jac, shift),
                    true => Err(Singular { column: 0 }),
                };
                if result.is_err() && *fallback {
                    *self = Factor::new(jac, Linsolve::Sparse).map_err(|_| Singular { column: 0 })?;
                    return self.factor(jac, shift);
                }
                result
            }
            Factor::General(lu) => lu.factor(jac, shift),
            Factor::Symmetric { mirror, chol, lu, use_lu, asymmetric, large } => {
                if chol.is_none() && !*asymmetric {
                    // The mirror moves into the Cholesky; a failed analysis
                    // (out of memory) leaves the LU, as an asymmetric `W` does.
                    match symmetric(jac.values(), mirror)
                        .then(|| SparseCholesky::with_mirror(jac, std::mem::take(mirror)))
                    {
                        Some(Ok(c)) => *chol = Some(Box::new(c)),
                        _ => *asymmetric = true,
                    }
                }
                if let (Some(c), false) = (chol.as_mut(), *asymmetric) {
                    match c.factor_spd(jac, shift) {
                        Ok(()) => {
                            *use_lu = false;
                            return Ok(());
                        }
                        Err(NotSpd::Asymmetric) => *asymmetric = true,
                        Err(NotSpd::Indefinite) => {}
                    }
                }
                if *asymmetric && *large {
                    *self = Factor::krylov(jac, true);
                    return self.factor(jac, shift);
                }
                *use_lu = true;
                let lu = match lu {
                    Some(lu) => lu,
                    None => lu.insert(Box::new(SparseLu::new(jac).map_err(|_| Singular { column: 0 })?)),
                };
                lu.factor(jac, shift)
            }
        }
    }

    fn solve(&mut self, jac: &SparseMatrix<D>, b: &mut [D]) {
        match self {
            Factor::Band(lu) => lu.solve(jac, b),
            Factor::Krylov { solver, .. } => solver.solve(jac, b),
            Factor::General(lu) => lu.solve(jac, b),
            Factor::Symmetric { lu: Some(lu), use_lu: true, .. } => lu.solve(jac, b),
            Factor::Symmetric { chol: Some(chol), .. } => chol.solve(jac, b),
            Factor::Symmetric { .. } => unreachable!("solve before a factorization"),
        }
    }

    fn solve_primal<E: DualScalar>(&mut self, b: &mut [E], newton: Option<NewtonTarget<'_>>) {
        match self {
            Factor::Band(lu) => LinearSolver::<D>::solve_primal(lu, b, newton),
            Factor::Krylov { solver, .. } => LinearSolver::<D>::solve_primal(&mut **solver, b, newton),
            Factor::General(lu) => LinearSolver::<D>::solve_primal(&mut **lu, b, newton),
            Factor::Symmetric { lu: Some(lu), use_lu: true, .. } => {
                LinearSolver::<D>::solve_primal(&mut **lu, b, newton)
            }
            Factor::Symmetric { chol: Some(chol), .. } => LinearSolver::<D>::solve_primal(&mut **chol, b, newton),
            Factor::Symmetric { .. } => unreachable!("solve before a factorization"),
        }
    }
}

/// Band storage up to this many times the pattern's entries picks the
/// banded LU.
const BAND_MAX_FILL: usize = 8;

/// Whether the band of `jac`'s pattern holds it within [`BAND_MAX_FILL`]
/// times its entries (then the banded LU is used).
fn band_fits<D: DualScalar>(jac: &SparseMatrix<D>) -> bool {
    let (kl, ku) = bandwidths(jac);
    (2 * kl + ku + 1) * jac.n() <= BAND_MAX_FILL * jac.pattern().nnz()
}

/// The sparse path's parts.
pub(crate) struct Sparse<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    eval: ColoredJacobian<D, N>,
    jac: SparseMatrix<D>,
    lu: Factor<D>,
    p: Vec<D>,
    /// The choice it was made for.
    linsolve: Linsolve,
}

impl<D, N> Sparse<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    fn new(dim: N, p: &[D], jac: SparseMatrix<D>, linsolve: Linsolve) -> Result<Self, Error> {
        let lu = Factor::new(&jac, linsolve)?;
        let eval = ColoredJacobian::new(dim, p, jac.pattern().clone());
        Ok(Sparse { eval, jac, lu, p: p.to_vec(), linsolve })
    }
}

/// `J`, its evaluation and the factorization of `shift·I − J`.
pub(crate) struct IterationMatrix<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    kind: Kind<D, N>,
    /// With a mass matrix `M` (`W = shift·M − J`): the entries `(i, j,
    /// δ_ij − M_ij)` folded into `J` as `shift·(δ_ij − M_ij)`, and `J`'s own
    /// values there.
    fold: Vec<(usize, usize, f64)>,
    own: Vec<D>,
    /// Where the `fold` entries sit in a sparse `J`'s values (found once
    /// per pattern).
    fold_at: Vec<usize>,
    /// Row sums for [`norm_inf`](Self::norm_inf).
    rows: Vec<f64>,
}

/// Dense or sparse storage and factorization.
#[allow(
    clippy::large_enum_variant,
    reason = "made once per solve and never moved after; the dense variant is the small systems' hot path, kept unboxed"
)]
pub(crate) enum Kind<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    Dense { eval: DualJacobian<D, N>, jac: DenseMatrix<D>, lu: DenseLu<D> },
    Sparse(Box<Sparse<D, N>>),
}

impl<D, N> IterationMatrix<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    /// Dense or sparse as `set.linsolve` says (tracing the pattern at
    /// `(t, y)` unless `set.jac_pattern` gives it), for `W = shift·M − J`
    /// with the system's checked `mass` (`None`: `M = I`).
    pub fn new<S: Model<Dim = N>>(
        system: &S,
        (t, y): (f64, &[D]),
        p: &[D],
        set: &Settings,
        mass: Option<&Mass>,
    ) -> Result<Self, Error> {
        let n = system.dim().value();
        let fold = mass.map(|m| m.identity_minus(n)).unwrap_or_default();
        let kind = Self::kind(system, (t, y), p, set, mass)?;
        Self::assemble(kind, fold)
    }

    /// The matrix of `kind`, with the sparse positions of `fold` found.
    fn assemble(kind: Kind<D, N>, fold: Vec<(usize, usize, f64)>) -> Result<Self, Error> {
        let n = match &kind {
            Kind::Dense { jac, .. } => jac.n(),
            Kind::Sparse(sp) => sp.jac.n(),
        };
        let own = vec![D::from(0.0); fold.len()];
        let mut it = IterationMatrix { kind, fold, own, fold_at: Vec::new(), rows: vec![0.0; n] };
        it.locate_fold()?;
        Ok(it)
    }

    /// Find the `fold` entries in a sparse `J`'s values (they are in its
    /// pattern: the mass's entries are merged into it).
    fn locate_fold(&mut self) -> Result<(), Error> {
        if let Kind::Sparse(sp) = &self.kind {
            let pattern = sp.jac.pattern();
            self.fold_at = self
                .fold
                .iter()
                .map(|&(i, j, _)| {
                    pattern.position(i, j).ok_or_else(|| Error::InvalidOption {
                        name: "mass",
                        reason: format!("entry ({i}, {j}) is missing from the Jacobian's pattern"),
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    }

    fn kind<S: Model<Dim = N>>(
        system: &S,
        (t, y): (f64, &[D]),
        p: &[D],
        set: &Settings,
        mass: Option<&Mass>,
    ) -> Result<Kind<D, N>, Error> {
        let dim = system.dim();
        let n = dim.value();
        let dense = || Kind::Dense {
            eval: DualJacobian::new(dim, p),
            jac: DenseMatrix::from_element(n, D::from(0.0)),
            lu: DenseLu::new(n),
        };
        if set.linsolve == Linsolve::Dense
            || (set.linsolve == Linsolve::Auto && n < SPARSE_MIN_STATES && set.jac_pattern.is_none())
        {
            return Ok(dense());
        }
        let mut entries = match &set.jac_pattern {
            Some(entries) => entries.clone(),
            None => {
                let y_re: Vec<f64> = y.iter().map(|v| v.re()).collect();
                let p_re: Vec<f64> = p.iter().map(|v| v.re()).collect();
                traced_entries(system, t, &y_re, &p_re)?
            }
        };
        // W = shift·M − J lives on the union of both patterns.
        entries.extend(mass.into_iter().flat_map(|m| m.positions()));
        let jac = SparseMatrix::new(&CscPattern::new(n, n, &entries)?.0)?;
        if set.linsolve == Linsolve::Auto {
            let dense_enough = jac.pattern().nnz() as f64 > SPARSE_MAX_DENSITY * (n * n) as f64;
            let small = n < GENERAL_SPARSE_MIN_STATES && !band_fits(&jac);
            if dense_enough || small {
                return Ok(dense());
            }
        }
        Ok(Kind::Sparse(Box::new(Sparse::new(dim, p, jac, set.linsolve)?)))
    }

    /// Another of the same kind (dense, or sparse on the same pattern).
    pub fn like(&self, dim: N) -> Result<Self, Error> {
        let kind = match &self.kind {
            Kind::Dense { eval, jac, .. } => Kind::Dense {
                eval: DualJacobian::new(dim, &eval.params()),
                jac: jac.clone(),
                lu: DenseLu::new(jac.n()),
            },
            Kind::Sparse(sp) => {
                Kind::Sparse(Box::new(Sparse::new(dim, &sp.p, SparseMatrix::new(sp.jac.pattern())?, sp.linsolve)?))
            }
        };
        Self::assemble(kind, self.fold.clone())
    }

    /// `f`, `J` and `∂f/∂t` at `(t, y)`; on the sparse path, a nonzero
    /// seen outside the pattern grows it (a trace at `y`) and evaluates
    /// again.
    pub fn eval<S: Model<Dim = N>>(
        &mut self,
        system: &S,
        (t, y): (f64, &State<D, N>),
        (f, dfdt): (&mut State<D, N>, &mut State<D, N>),
        stats: &mut Stats,
    ) -> Result<(), Error> {
        stats.jac_evals += 1;
        match &mut self.kind {
            Kind::Dense { eval, jac, .. } => {
                eval.eval(system, t, y, f, jac, dfdt);
            }
            Kind::Sparse(sp) => {
                let misses = sp.eval.misses;
                sp.eval.eval(system, t, y, f, sp.jac.values_mut(), dfdt);
                stats.jac_colors = sp.eval.colors();
                if sp.eval.misses > misses {
                    let y_re: Vec<f64> = y.iter().map(|v| v.re()).collect();
                    let p_re: Vec<f64> = sp.p.iter().map(|v| v.re()).collect();
                    let mut entries = traced_entries(system, t, &y_re, &p_re)?;
                    let old = sp.jac.pattern();
                    entries.extend(old.entries());
                    let n = old.rows();
                    let grown = SparseMatrix::new(&CscPattern::new(n, n, &entries)?.0)?;
                    **sp = Sparse::new(system.dim(), &sp.p, grown, sp.linsolve)?;
                    sp.eval.eval(system, t, y, f, sp.jac.values_mut(), dfdt);
                    stats.pattern_growths += 1;
                    stats.jac_colors = sp.eval.colors();
                    self.locate_fold()?;
                }
            }
        }
        for k in 0..self.fold.len() {
            self.own[k] = *self.fold_entry(k);
        }
        Ok(())
    }

    /// The entry of `J` at `fold[k]`, mutable.
    fn fold_entry(&mut self, k: usize) -> &mut D {
        match &mut self.kind {
            Kind::Dense { jac, .. } => {
                let (i, j, _) = self.fold[k];
                &mut jac.column_mut(j)[i]
            }
            Kind::Sparse(sp) => &mut sp.jac.values_mut()[self.fold_at[k]],
        }
    }

    /// Factor `shift·I − J`.
    pub fn factor(&mut self, shift: f64) -> Result<(), Failure> {
        // `shift·M − J = shift·I − (J + shift·(I − M))`: the mass folded
        // into J's diagonal (exactly J's own where M is 1).
        for k in 0..self.fold.len() {
            let (own, c) = (self.own[k], self.fold[k].2);
            *self.fold_entry(k) = own + shift * c;
        }
        let (result, bad_jac) = match &mut self.kind {
            Kind::Dense { jac, lu, .. } => {
                let r = lu.factor(jac, shift);
                (r, r.is_err() && jac.as_slice().iter().any(|v| !v.re().is_finite()))
            }
            Kind::Sparse(sp) => {
                let r = sp.lu.factor(&sp.jac, shift);
                (r, r.is_err() && sp.jac.values().iter().any(|v| !v.re().is_finite()))
            }
        };
        result.map_err(|s| Failure::Singular(s, bad_jac))
    }

    /// Real parts of [`solve`](Self::solve) by the dense LU's explicit
    /// inverse ([`DenseLu::prefer_inverse`]); nothing on the sparse path.
    pub fn prefer_inverse(&mut self) {
        if let Kind::Dense { lu, .. } = &mut self.kind {
            lu.prefer_inverse();
        }
    }

    /// `b ← (shift·I − J)⁻¹ b`, exact in every part of the scalar.
    pub fn solve(&mut self, b: &mut [D]) {
        match &mut self.kind {
            Kind::Dense { jac, lu, .. } => lu.solve(jac, b),
            Kind::Sparse(sp) => sp.lu.solve(&sp.jac, b),
        }
    }

    /// `b ← W₀⁻¹ b` with the real factorization, every part alike.
    pub fn solve_primal<E: DualScalar>(&mut self, b: &mut [E], newton: Option<NewtonTarget<'_>>) {
        match &mut self.kind {
            Kind::Dense { lu, .. } => LinearSolver::<D>::solve_primal(lu, b, newton),
            Kind::Sparse(sp) => sp.lu.solve_primal(b, newton),
        }
    }

    /// The GMRES iterations of the Krylov solver since the last call (0
    /// for the direct solvers).
    pub fn take_krylov_iters(&mut self) -> usize {
        match &mut self.kind {
            Kind::Sparse(sp) => match &mut sp.lu {
                Factor::Krylov { solver, .. } => solver.take_iterations(),
                _ => 0,
            },
            Kind::Dense { .. } => 0,
        }
    }

    /// `‖J‖_∞` of the real parts (the largest absolute row sum).
    pub fn norm_inf(&mut self) -> f64 {
        let rows = &mut self.rows;
        rows.fill(0.0);
        match &self.kind {
            Kind::Dense { jac, .. } => {
                for c in 0..jac.n() {
                    for (s, v) in rows.iter_mut().zip(jac.column(c)) {
                        *s += v.re().abs();
                    }
                }
            }
            Kind::Sparse(sp) => {
                for (&r, v) in sp.jac.pattern().rowval().iter().zip(sp.jac.values()) {
                    rows[r] += v.re().abs();
                }
            }
        }
        rows.iter().copied().fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `J` on the pattern of a 2 × 2 swap and a diagonal: `W = −J` at
    /// shift 0 has zeros on its diagonal, which the multigrid cannot smooth.
    fn swap(n: usize) -> SparseMatrix<f64> {
        let mut entries = vec![(0, 1), (1, 0)];
        entries.extend((2..n).map(|i| (i, i)));
        let mut jac = SparseMatrix::new(&CscPattern::new(n, n, &entries).unwrap().0).unwrap();
        for (r, c) in entries {
            let at = jac.pattern().position(r, c).unwrap();
            jac.values_mut()[at] = -1.0;
        }
        jac
    }

    #[test]
    fn auto_falls_back_from_krylov_to_the_lu() {
        let jac = swap(50);
        let mut chosen = Factor::krylov(&jac, false);
        assert_eq!(chosen.factor(&jac, 0.0), Err(Singular { column: 0 }));
        let mut auto = Factor::krylov(&jac, true);
        auto.factor(&jac, 0.0).unwrap();
        assert!(!matches!(auto, Factor::Krylov { .. }));
        let mut x = vec![1.0; 50];
        x[0] = 2.0;
        auto.solve(&jac, &mut x);
        assert_eq!((x[0], x[1]), (1.0, 2.0));
    }
}

//! faer's sparse factorizations of *real* matrices on a fixed pattern: the
//! symbolic analysis once, numeric factorizations, multi-column solves.
//!
//! Nothing here is generic. The scalar-generic solvers ([`SparseLu`],
//! [`SparseCholesky`]) hand these types `f64` columns, so faer is compiled
//! once, into the library, instead of into every program, test and example
//! that uses a stiff method (about 93,000 LLVM lines each; docs/benchmarks.md,
//! "Build").
//!
//! [`SparseLu`]: super::SparseLu
//! [`SparseCholesky`]: super::SparseCholesky

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::LltRegularization;
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::linalg::cholesky::{
    CholeskySymbolicParams, LltRef, SymbolicCholesky, SymmetricOrdering, factorize_symbolic_cholesky,
};
use faer::sparse::linalg::lu::{LuRef, LuSymbolicParams, NumericLu, SymbolicLu, factorize_symbolic_lu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::{Conj, MatMut, Par, Side, Spec};

/// Work space for a numeric factorization and for solves with up to `cols`
/// right-hand sides, grown when a solve needs more.
struct Workspace {
    mem: MemBuffer,
    cols: usize,
}

impl Workspace {
    fn new(cols: usize, req: impl Fn(usize) -> StackReq) -> Result<Self, String> {
        let mem = MemBuffer::try_new(req(cols)).map_err(|e| format!("{e:?}"))?;
        Ok(Workspace { mem, cols })
    }

    fn stack(&mut self, cols: usize, req: impl Fn(usize) -> StackReq) -> &mut MemStack {
        if cols > self.cols {
            self.mem = MemBuffer::new(req(cols));
            self.cols = cols;
        }
        MemStack::new(&mut self.mem)
    }
}

/// The structure faer factors: an `n × n` pattern in compressed columns.
fn structure(n: usize, colptr: &[usize], rowval: &[usize]) -> SymbolicSparseColMat<usize> {
    SymbolicSparseColMat::new_checked(n, n, colptr.to_vec(), None, rowval.to_vec())
}

/// Supernodal LU with a COLAMD ordering and partial pivoting.
pub(super) struct RealLu {
    structure: SymbolicSparseColMat<usize>,
    symbolic: SymbolicLu<usize>,
    numeric: NumericLu<usize, f64>,
    work: Workspace,
}

impl RealLu {
    /// The symbolic analysis of the pattern, with room for solves with
    /// `cols` right-hand sides. `Err`: faer's reason (out of memory).
    pub(super) fn new(n: usize, colptr: &[usize], rowval: &[usize], cols: usize) -> Result<Self, String> {
        let structure = structure(n, colptr, rowval);
        // Always supernodal: faer's flop-ratio heuristic picks its
        // simplicial LU for some 2-D patterns (quad8 meshes, small
        // stencils), measured 1.5–3× slower there (docs/benchmarks.md §12).
        let params = LuSymbolicParams {
            supernodal_flop_ratio_threshold: SupernodalThreshold::FORCE_SUPERNODAL,
            ..Default::default()
        };
        let symbolic = factorize_symbolic_lu(structure.as_ref(), params).map_err(|e| format!("{e:?}"))?;
        let work = Workspace::new(cols, |k| lu_scratch(&symbolic, k))?;
        Ok(RealLu { structure, symbolic, numeric: NumericLu::new(), work })
    }

    /// Whether `colptr`/`rowval` is the pattern this analysis was made for.
    pub(super) fn has_pattern(&self, colptr: &[usize], rowval: &[usize]) -> bool {
        self.structure.col_ptr() == colptr && self.structure.row_idx() == rowval
    }

    /// Factor the matrix with `values` (the pattern's order). `Err(column)`
    /// where elimination met a structural zero; a zero pivot shows as
    /// non-finite entries in the factors, which the caller detects by a
    /// solve.
    pub(super) fn factor(&mut self, values: &[f64]) -> Result<(), usize> {
        let a = SparseColMatRef::new(self.structure.as_ref(), values);
        let symbolic = &self.symbolic;
        let stack = self.work.stack(1, |k| lu_scratch(symbolic, k));
        match symbolic.factorize_numeric_lu(&mut self.numeric, a, Par::Seq, stack, Spec::default()) {
            Ok(_) => Ok(()),
            Err(faer::sparse::linalg::LuError::SymbolicSingular { index }) => Err(index),
            Err(faer::sparse::linalg::LuError::Generic(_)) => Err(0),
        }
    }

    /// `x ← W⁻¹ x` for the `n × k` column-major `x`, by the last factorization.
    pub(super) fn solve(&mut self, x: &mut [f64], k: usize) {
        let n = self.structure.nrows();
        let (symbolic, numeric) = (&self.symbolic, &self.numeric);
        let stack = self.work.stack(k, |k| lu_scratch(symbolic, k));
        let x = MatMut::from_column_major_slice_mut(&mut x[..n * k], n, k);
        LuRef::new_unchecked(symbolic, numeric).solve_in_place_with_conj(Conj::No, x, Par::Seq, stack);
    }
}

fn lu_scratch(symbolic: &SymbolicLu<usize>, cols: usize) -> StackReq {
    StackReq::any_of(&[
        symbolic.factorize_numeric_lu_scratch::<f64>(Par::Seq, Spec::default()),
        symbolic.solve_in_place_scratch::<f64>(cols, Par::Seq),
    ])
}

/// Supernodal Cholesky `W = L Lᵀ` (lower triangle) with an AMD ordering.
pub(super) struct RealCholesky {
    structure: SymbolicSparseColMat<usize>,
    symbolic: SymbolicCholesky<usize>,
    /// The factor's values.
    l: Vec<f64>,
    work: Workspace,
}

impl RealCholesky {
    /// The symbolic analysis of the (symmetric) pattern, with room for
    /// solves with `cols` right-hand sides. `Err`: faer's reason.
    pub(super) fn new(n: usize, colptr: &[usize], rowval: &[usize], cols: usize) -> Result<Self, String> {
        let structure = structure(n, colptr, rowval);
        // Supernodal always, as for the LU (docs/benchmarks.md §12).
        let params = CholeskySymbolicParams {
            supernodal_flop_ratio_threshold: SupernodalThreshold::FORCE_SUPERNODAL,
            ..Default::default()
        };
        let symbolic = factorize_symbolic_cholesky(structure.as_ref(), Side::Lower, SymmetricOrdering::Amd, params)
            .map_err(|e| format!("{e:?}"))?;
        let work = Workspace::new(cols, |k| llt_scratch(&symbolic, k))?;
        Ok(RealCholesky { l: vec![0.0; symbolic.len_val()], structure, symbolic, work })
    }

    /// Factor the symmetric matrix with `values`; `false` if it is not
    /// (numerically) positive definite.
    pub(super) fn factor(&mut self, values: &[f64]) -> bool {
        let a = SparseColMatRef::new(self.structure.as_ref(), values);
        let symbolic = &self.symbolic;
        let stack = self.work.stack(1, |k| llt_scratch(symbolic, k));
        let regularization = LltRegularization::default();
        symbolic
            .factorize_numeric_llt(&mut self.l, a, Side::Lower, regularization, Par::Seq, stack, Spec::default())
            .is_ok()
    }

    /// `x ← W⁻¹ x` for the `n × k` column-major `x`, by the last factorization.
    pub(super) fn solve(&mut self, x: &mut [f64], k: usize) {
        let n = self.structure.nrows();
        let (symbolic, l) = (&self.symbolic, &self.l);
        let stack = self.work.stack(k, |k| llt_scratch(symbolic, k));
        let x = MatMut::from_column_major_slice_mut(&mut x[..n * k], n, k);
        LltRef::new(symbolic, l).solve_in_place_with_conj(Conj::No, x, Par::Seq, stack);
    }
}

fn llt_scratch(symbolic: &SymbolicCholesky<usize>, cols: usize) -> StackReq {
    StackReq::any_of(&[
        symbolic.factorize_numeric_llt_scratch::<f64>(Par::Seq, Spec::default()),
        symbolic.solve_in_place_scratch::<f64>(cols, Par::Seq),
    ])
}

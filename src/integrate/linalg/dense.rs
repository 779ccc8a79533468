//! Dense LU with partial pivoting for the iteration matrices of small and
//! mid-sized systems, its kernels unrolled for sizes 1–8, and the explicit
//! inverse for Newton's preconditioner solves.

use super::{Corrections, DenseMatrix, LinearSolver, NewtonTarget, Singular, Substitute, exact_solve};
use crate::DualScalar;

/// `$small` with the constant `$N` the size `$n` for sizes 1–8, so that
/// what it inlines unrolls for them (see [`substitute_small`]); `$general`
/// for the other sizes.
macro_rules! small_sizes {
    ($n:expr, $N:ident => $small:expr, _ => $general:expr) => {
        small_sizes!(@arms $n, $N, $small, $general, 1 2 3 4 5 6 7 8)
    };
    (@arms $n:expr, $N:ident, $small:expr, $general:expr, $($k:literal)+) => {
        match $n {
            $($k => {
                const $N: usize = $k;
                $small
            })+
            _ => $general,
        }
    };
}

/// Dense LU with partial pivoting (LAPACK's `getf2` order), allocation-free
/// after construction.
///
/// # Example
/// ```
/// use odeon::integrate::linalg::{DenseLu, DenseMatrix, LinearSolver};
/// // J = [[-2, 1], [0, -3]] (column-major); solve (1·I − J) x = b.
/// let mut jac = DenseMatrix::from_element(2, 0.0);
/// jac.column_mut(0).copy_from_slice(&[-2.0, 0.0]);
/// jac.column_mut(1).copy_from_slice(&[1.0, -3.0]);
/// let mut lu = DenseLu::new(2);
/// lu.factor(&jac, 1.0).unwrap();
/// let mut x = [2.0, 4.0]; // W = [[3, -1], [0, 4]]
/// lu.solve(&jac, &mut x);
/// assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 1.0).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct DenseLu<D> {
    n: usize,
    /// `L` (unit diagonal, below) and `U` (on and above), column-major;
    /// then `1 / U[j][j]` for each column, which the back substitution
    /// multiplies by (a division there was the latency chain of small
    /// systems' solves).
    lu: Vec<f64>,
    /// Row exchanged with row `k` at step `k`.
    piv: Vec<usize>,
    /// The exchanges as one gather: row `i` of `P b` is row `order[i]`
    /// of `b`.
    order: Vec<usize>,
    shift: f64,
    /// The buffers of the derivative parts' corrections.
    corr: Corrections<D>,
    /// `W⁻¹`, column-major, for the preconditioner solves of a mid-sized
    /// system ([`INVERSE_SIZES`]), then room for one column; computed on
    /// the first such solve after a factorization.
    inv: Vec<f64>,
    inv_ready: bool,
    /// The real parts of [`LinearSolver::solve`] by the inverse too
    /// ([`prefer_inverse`](Self::prefer_inverse) on a size of
    /// [`INVERSE_PRIMAL_SIZES`]).
    inverse_primal: bool,
}

/// The sizes for which [`LinearSolver::solve_primal`] applies the explicit
/// inverse: a Newton iteration's preconditioner solve is a latency-bound
/// chain of `2n` dependent steps by substitution and `n` independent dot
/// products by the inverse, twice as fast at `n = 8` (a scratch
/// measurement: 36 ns against 75 ns). Its rounding differs from the
/// substitution's, which the Newton iteration's fixed point does not see.
/// Smaller systems gain nothing; larger ones pay `n` substitutions per
/// factorization for it.
pub const INVERSE_SIZES: std::ops::RangeInclusive<usize> = 5..=MAX_INVERSE;

/// The sizes for which [`DenseLu::prefer_inverse`] takes the real parts of
/// every solve by the inverse (within [`INVERSE_SIZES`], so its buffer is
/// there): measured at 8, where eight stage solves pay for building it.
const INVERSE_PRIMAL_SIZES: std::ops::RangeInclusive<usize> = 5..=8;

/// The largest system [`INVERSE_SIZES`] holds (its solves' stack buffer).
const MAX_INVERSE: usize = 16;

impl<D: DualScalar> DenseLu<D> {
    /// Buffers for an `n × n` system.
    pub fn new(n: usize) -> Self {
        let inv = match INVERSE_SIZES.contains(&n) {
            true => vec![0.0; n * n + n],
            false => Vec::new(),
        };
        DenseLu {
            n,
            lu: vec![0.0; n * n + n],
            piv: (0..n).collect(),
            order: (0..n).collect(),
            shift: 0.0,
            corr: Corrections::new(n),
            inv,
            inv_ready: false,
            inverse_primal: false,
        }
    }

    /// Solve the real parts by the explicit inverse for 5–8 states: for a
    /// caller with many solves per factorization (Rodas5P and Rodas4P,
    /// eight and six stages: 6–8% off a Rodas5P step of HIRES). With
    /// fewer, building the inverse costs more than it saves (Rosenbrock23,
    /// three solves: 16% slower); the derivative parts keep the
    /// substitution, which skips the factors' zeros (`docs/benchmarks.md`
    /// §9, "The stage solves by the explicit inverse").
    ///
    /// # Example
    /// ```
    /// use odeon::integrate::linalg::{DenseLu, DenseMatrix, LinearSolver};
    /// // J = −I (6 × 6): (1·I − J) x = b is 2x = b.
    /// let mut jac = DenseMatrix::from_element(6, 0.0);
    /// for j in 0..6 {
    ///     jac.column_mut(j)[j] = -1.0;
    /// }
    /// let mut lu = DenseLu::new(6);
    /// lu.prefer_inverse();
    /// lu.factor(&jac, 1.0).unwrap();
    /// let mut x = [2.0; 6];
    /// lu.solve(&jac, &mut x);
    /// assert_eq!(x, [1.0; 6]);
    /// ```
    pub fn prefer_inverse(&mut self) {
        self.inverse_primal = INVERSE_PRIMAL_SIZES.contains(&self.n);
    }

    /// `b ← W⁻¹ b` by the explicit inverse (computed from the factors on
    /// the first call after a factorization), in the scalar's own
    /// arithmetic.
    fn apply_inverse<E: DualScalar>(&mut self, b: &mut [E]) {
        let n = self.n;
        if !self.inv_ready {
            let mut inv = std::mem::take(&mut self.inv);
            let (cols, e) = inv.split_at_mut(n * n);
            let ((lu, inv_diag), order) = (self.lu.split_at(n * n), &self.order[..n]);
            small_sizes!(n, N => invert_small::<N>(lu, inv_diag, order, cols), _ => {
                for (j, col) in cols.chunks_exact_mut(n).enumerate() {
                    e.fill(0.0);
                    e[j] = 1.0;
                    self.substitute(e);
                    col.copy_from_slice(e);
                }
            });
            self.inv = inv;
            self.inv_ready = true;
        }
        let inv = &self.inv[..n * n];
        small_sizes!(n, N => inverse_times::<E, N>(inv, b, N), _ => inverse_times::<E, MAX_INVERSE>(inv, b, n))
    }
}

/// `b ← W⁻¹ b` with `inv` the `n × n` column-major inverse, `n ≤ N`:
/// column by column, `x += b_j·W⁻¹[:, j]`, so each entry is its row's dot
/// product summed from the first column on while the rows' sums advance
/// side by side in vector registers (by rows, one dot product after the
/// other, each entry waited for its own chain of additions). `N` the size
/// itself for the small ones, so that the loops unroll and the result
/// stays in registers (the operations are the same at every `N`, so the
/// results are too).
#[inline(always)]
fn inverse_times<E: DualScalar, const N: usize>(inv: &[f64], b: &mut [E], n: usize) {
    let (inv, b) = (&inv[..n * n], &mut b[..n]);
    let mut x = [E::from(0.0); N];
    for (&bj, col) in b.iter().zip(inv.chunks_exact(n)) {
        for (xi, &w) in x.iter_mut().zip(col) {
            *xi += bj * w;
        }
    }
    b.copy_from_slice(&x[..n]);
}

/// [`DenseLu::substitute`] of size `N`, inlined into each arm of its
/// dispatch: the constant size unrolls the loops, removes their bounds
/// checks and keeps the vector in registers (the operations and their
/// order are those of every size, so the results are too). Sizes 1–8, the
/// kinetic and pharmacokinetic models most stiff solves run (`docs/benchmarks.md` §9).
#[inline(always)]
fn substitute_small<E: DualScalar, const N: usize>(lu: &[f64], inv_diag: &[f64], order: &[usize], b: &mut [E]) {
    let (b, order) = (&mut b[..N], &order[..N]);
    // The row exchanges as one gather of independent loads, so that the
    // vector is built in registers (exchanges at run-time indices would
    // keep it in memory, one after the other).
    let mut x: [E; N] = std::array::from_fn(|i| b[order[i]]);
    eliminate(&lu[..N * N], &inv_diag[..N], &mut x);
    b.copy_from_slice(&x);
}

/// `W⁻¹` of size `N`, column-major into `cols`, from the factors: the
/// substitution of each column of the identity, each in its own stack
/// buffer so that the `N` chains run side by side.
#[inline(always)]
fn invert_small<const N: usize>(lu: &[f64], inv_diag: &[f64], order: &[usize], cols: &mut [f64]) {
    for (j, col) in cols[..N * N].chunks_exact_mut(N).enumerate() {
        let mut e = [0.0; N];
        e[j] = 1.0;
        substitute_small::<f64, N>(lu, inv_diag, order, &mut e);
        col.copy_from_slice(&e);
    }
}

/// `b ← P b`, the row exchanges of [`factor_shifted`] in order.
#[inline(always)]
fn permute<E: Copy>(piv: &[usize], b: &mut [E]) {
    for (k, &pk) in piv.iter().enumerate() {
        b.swap(k, pk);
    }
}

/// `x ← U⁻¹ L⁻¹ x`, column by column. A zero entry is skipped where that
/// saves a dual product; for `f64` the branch costs more than the
/// multiply–subtract it saves (`x − b·0 = x` but for the sign of a zero).
#[inline(always)]
fn eliminate<E: DualScalar>(lu: &[f64], inv_diag: &[f64], x: &mut [E]) {
    let n = x.len();
    let skip = |a: f64| E::N_EPS > 0 && a == 0.0;
    for j in 0..n {
        let xj = x[j];
        let col = &lu[j * n..(j + 1) * n];
        for i in j + 1..n {
            if !skip(col[i]) {
                x[i] -= xj * col[i];
            }
        }
    }
    for j in (0..n).rev() {
        let col = &lu[j * n..(j + 1) * n];
        x[j] *= inv_diag[j];
        let xj = x[j];
        for i in 0..j {
            if !skip(col[i]) {
                x[i] -= xj * col[i];
            }
        }
    }
}

impl<D: DualScalar> Substitute<D> for DenseLu<D> {
    /// `b ← U⁻¹ L⁻¹ P b` in the scalar's own arithmetic (the factors are
    /// real, so every part of `b` is transformed alike).
    fn substitute<E: DualScalar>(&mut self, b: &mut [E]) {
        let n = self.n;
        let (lu, inv_diag) = self.lu.split_at(n * n);
        small_sizes!(n, N => substitute_small::<E, N>(lu, inv_diag, &self.order, b), _ => {
            permute(&self.piv[..n], b);
            eliminate(lu, inv_diag, &mut b[..n]);
        })
    }

    fn substitute_primal<E: DualScalar>(&mut self, b: &mut [E]) {
        if self.inverse_primal { self.apply_inverse(b) } else { self.substitute(b) }
    }

    fn corrections(&mut self) -> &mut Corrections<D> {
        &mut self.corr
    }

    fn shift(&self) -> f64 {
        self.shift
    }
}

impl<D: DualScalar> LinearSolver<D> for DenseLu<D> {
    type Matrix = DenseMatrix<D>;

    fn factor(&mut self, jac: &DenseMatrix<D>, shift: f64) -> Result<(), Singular> {
        let n = self.n;
        debug_assert_eq!(jac.n(), n);
        self.shift = shift;
        self.inv_ready = false;
        let a = &mut self.lu[..n * n];
        // Checked all at once, without a branch per entry.
        let mut finite = true;
        for (dst, src) in a.iter_mut().zip(jac.as_slice()) {
            *dst = -src.re();
            finite &= dst.is_finite();
        }
        if !finite {
            let idx = a.iter().position(|x| !x.is_finite()).unwrap_or(0);
            return Err(Singular { column: idx / n });
        }
        factor_shifted(&mut self.lu, &mut self.piv, n, shift)?;
        gather_order(&self.piv[..n], &mut self.order);
        Ok(())
    }

    fn solve(&mut self, jac: &DenseMatrix<D>, b: &mut [D]) {
        exact_solve(self, jac, b);
    }

    fn solve_primal<E: DualScalar>(&mut self, b: &mut [E], _newton: Option<NewtonTarget<'_>>) {
        match INVERSE_SIZES.contains(&self.n) {
            true => self.apply_inverse(b),
            false => self.substitute(b),
        }
    }
}

/// `a[..n²] + shift·I` factored in place (LU with partial pivoting in
/// LAPACK's `getf2` order), then `1 / U[j][j]` into `a[n²..]`. Not
/// generic: compiled once, into the library.
fn factor_shifted(a: &mut [f64], piv: &mut [usize], n: usize, shift: f64) -> Result<(), Singular> {
    let (a, inv_diag) = a.split_at_mut(n * n);
    let piv = &mut piv[..n];
    small_sizes!(n, N => {
        // On a copy held on the stack, every loop of constant length.
        let mut m = [0.0; N * N];
        m.copy_from_slice(a);
        shift_diagonal(&mut m, N, shift);
        lu_columns::<N>(&mut m, piv)?;
        invert_diagonal(&m, &mut inv_diag[..N], N);
        a.copy_from_slice(&m);
    }, _ => {
        shift_diagonal(a, n, shift);
        getf2_n(a, piv, n)?;
        invert_diagonal(a, inv_diag, n);
    });
    Ok(())
}

#[inline(always)]
fn shift_diagonal(a: &mut [f64], n: usize, shift: f64) {
    for k in 0..n {
        a[k * n + k] += shift;
    }
}

#[inline(always)]
fn invert_diagonal(a: &[f64], inv_diag: &mut [f64], n: usize) {
    for (j, d) in inv_diag.iter_mut().enumerate().take(n) {
        *d = 1.0 / a[j * n + j];
    }
}

/// The row exchanges `piv` (in order) as one gather into `order`.
fn gather_order(piv: &[usize], order: &mut [usize]) {
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    for (k, &pk) in piv.iter().enumerate() {
        order.swap(k, pk);
    }
}

/// LU with partial pivoting of the `n × n` column-major `a` in place (`L`
/// below the diagonal, `U` on and above), the row exchanged with row `k`
/// in `piv[k]`: the kernels of [`factor_shifted`], checked against each
/// other.
#[cfg(test)]
fn getf2(a: &mut [f64], piv: &mut [usize], n: usize) -> Result<(), Singular> {
    small_sizes!(n, N => lu_columns::<N>(&mut a[..N * N], &mut piv[..N]), _ => getf2_n(a, piv, n))
}

/// The columns of an `N × N` LU, each with its index a constant, so that
/// every loop unrolls.
#[inline(always)]
fn lu_columns<const N: usize>(a: &mut [f64], piv: &mut [usize]) -> Result<(), Singular> {
    const { assert!(N <= 8, "lu_columns unrolls at most 8 columns") };
    macro_rules! columns {
        ($($k:literal)+) => {$(
            if $k < N {
                lu_column(a, piv, N, $k)?;
            }
        )+};
    }
    columns!(0 1 2 3 4 5 6 7);
    Ok(())
}

fn getf2_n(a: &mut [f64], piv: &mut [usize], n: usize) -> Result<(), Singular> {
    let (a, piv) = (&mut a[..n * n], &mut piv[..n]);
    for k in 0..n {
        lu_column(a, piv, n, k)?;
    }
    Ok(())
}

/// Column `k` of the LU: its pivot, the row exchange, the multipliers
/// and the update of the columns right of it.
#[inline(always)]
fn lu_column(a: &mut [f64], piv: &mut [usize], n: usize, k: usize) -> Result<(), Singular> {
    let col = k * n;
    // The largest magnitude kept beside its row, so that each comparison
    // does not wait on a load from the row found so far.
    let (mut p, mut largest) = (k, a[col + k].abs());
    for i in k + 1..n {
        let v = a[col + i].abs();
        if v > largest {
            (p, largest) = (i, v);
        }
    }
    let pivot = a[col + p];
    if pivot == 0.0 || !pivot.is_finite() {
        return Err(Singular { column: k });
    }
    piv[k] = p;
    if p != k {
        for j in 0..n {
            a.swap(j * n + k, j * n + p);
        }
    }
    for i in k + 1..n {
        a[col + i] /= pivot;
    }
    for j in k + 1..n {
        let akj = a[j * n + k];
        if akj != 0.0 {
            for i in k + 1..n {
                a[j * n + i] -= a[col + i] * akj;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::{InlineDual64, InlineHyperDual64};
    use num_dual::Dual64;

    /// A well-conditioned matrix whose entries depend on a parameter.
    fn jac_of<D: DualScalar>(n: usize, p: D) -> DenseMatrix<D> {
        let mut j = DenseMatrix::from_element(n, D::from(0.0));
        for c in 0..n {
            for r in 0..n {
                let v = ((r * 7 + c * 3) % 5) as f64 - 2.0;
                j.column_mut(c)[r] = p * v + (if r == c { -4.0 } else { 0.5 });
            }
        }
        j
    }

    fn solve_at<D: DualScalar>(n: usize, p: D) -> Vec<D> {
        let jac = jac_of(n, p);
        let mut lu = DenseLu::new(n);
        lu.factor(&jac, 2.0).unwrap();
        let mut x: Vec<D> = (0..n).map(|i| p.sin() * (i as f64 + 1.0) + 1.0).collect();
        lu.solve(&jac, &mut x);
        x
    }

    #[test]
    fn solves_against_nalgebra() {
        let n = 6;
        let x = solve_at(n, 0.3);
        let jac = jac_of(n, 0.3);
        let w = nalgebra::DMatrix::from_fn(n, n, |i, j| if i == j { 2.0 } else { 0.0 } - jac.get(i, j));
        let b = nalgebra::DVector::from_fn(n, |i, _| 0.3f64.sin() * (i as f64 + 1.0) + 1.0);
        let want = w.lu().solve(&b).unwrap();
        for i in 0..n {
            assert!((x[i] - want[i]).abs() < 1e-14 * want[i].abs().max(1.0));
        }
    }

    #[test]
    fn derivative_parts_match_finite_differences_and_real_part_is_the_f64_solve() {
        let n = 5;
        let p = 0.3;
        let x = solve_at(n, Dual64::from(p).derivative());
        let x0 = solve_at(n, p);
        let h = 1e-6;
        let (xp, xm) = (solve_at(n, p + h), solve_at(n, p - h));
        for i in 0..n {
            assert_eq!(x[i].re, x0[i], "real part bit-identical");
            let fd = (xp[i] - xm[i]) / (2.0 * h);
            assert!((x[i].eps - fd).abs() < 1e-8 * fd.abs().max(1.0), "{} vs {fd}", x[i].eps);
        }
    }

    #[test]
    fn second_derivatives_are_exact() {
        // d²x/dp² from nested duals against central differences of the
        // first derivative.
        let n = 4;
        let p = 0.3;
        let x = solve_at(n, InlineHyperDual64::<1, 1>::from_re(InlineDual64::from_re(p).derivative(0)).derivative(0));
        let d1 = |q: f64| solve_at(n, Dual64::from(q).derivative());
        let h = 1e-5;
        let (a, b) = (d1(p + h), d1(p - h));
        for i in 0..n {
            let fd = (a[i].eps - b[i].eps) / (2.0 * h);
            let exact = x[i].eps.0[0].eps.0[0];
            assert!((exact - fd).abs() < 1e-6 * fd.abs().max(1.0), "{exact} vs {fd}");
        }
    }

    #[test]
    fn preconditioner_solves_of_mid_sized_systems_use_the_inverse() {
        // n = 6 takes the explicit inverse, n = 4 the substitution: both
        // against nalgebra's LU to rounding, and a dual right-hand side's
        // real part bit-identical to the f64 solve's.
        for n in [4, 6, 16] {
            let jac = jac_of(n, 0.3);
            let mut lu = DenseLu::<f64>::new(n);
            lu.factor(&jac, 2.0).unwrap();
            let w = nalgebra::DMatrix::from_fn(n, n, |i, j| if i == j { 2.0 } else { 0.0 } - jac.get(i, j));
            for k in 0..3 {
                let b: Vec<f64> = (0..n).map(|i| ((i + k) as f64 * 0.7).cos()).collect();
                let want = w.clone().lu().solve(&nalgebra::DVector::from_column_slice(&b)).unwrap();
                let mut x = b.clone();
                LinearSolver::<f64>::solve_primal(&mut lu, &mut x, None);
                for i in 0..n {
                    assert!((x[i] - want[i]).abs() < 1e-14 * want.amax(), "n {n}: {} vs {}", x[i], want[i]);
                }
                let mut xd: Vec<Dual64> = b.iter().map(|&v| Dual64::from(v).derivative()).collect();
                LinearSolver::<f64>::solve_primal(&mut lu, &mut xd, None);
                for i in 0..n {
                    assert_eq!(xd[i].re, x[i]);
                }
            }
            assert_eq!(lu.inv_ready, INVERSE_SIZES.contains(&n));
        }
    }

    #[test]
    fn solves_preferring_the_inverse_keep_their_real_parts_to_the_bit() {
        // 5–8 states with `prefer_inverse`: the `f64` solve and a dual
        // solve's real part both by the inverse, bit for bit; both against
        // nalgebra's LU, and the derivative parts against the plain
        // solver's to rounding. Other sizes are not affected.
        for n in [4, 6, 8, 12] {
            let p = Dual64::from(0.3).derivative();
            let jac = jac_of(n, p);
            let jac_re = jac_of(n, 0.3);
            let (mut lu, mut plain, mut lu_re) = (DenseLu::new(n), DenseLu::new(n), DenseLu::<f64>::new(n));
            lu.prefer_inverse();
            lu_re.prefer_inverse();
            lu.factor(&jac, 2.0).unwrap();
            plain.factor(&jac, 2.0).unwrap();
            lu_re.factor(&jac_re, 2.0).unwrap();
            let w = nalgebra::DMatrix::from_fn(n, n, |i, j| if i == j { 2.0 } else { 0.0 } - jac_re.get(i, j));
            let b: Vec<Dual64> = (0..n).map(|i| p * (i as f64 + 1.0) + 1.0).collect();
            let (mut x, mut y) = (b.clone(), b.clone());
            let mut x_re: Vec<f64> = b.iter().map(|v| v.re).collect();
            let want = w.lu().solve(&nalgebra::DVector::from_column_slice(&x_re)).unwrap();
            lu.solve(&jac, &mut x);
            plain.solve(&jac, &mut y);
            lu_re.solve(&jac_re, &mut x_re);
            assert_eq!(lu_re.inv_ready, INVERSE_PRIMAL_SIZES.contains(&n), "n {n}");
            for i in 0..n {
                assert_eq!(x[i].re, x_re[i], "n {n}");
                assert!((x_re[i] - want[i]).abs() < 1e-14 * want.amax(), "n {n}: {} vs {}", x_re[i], want[i]);
                assert!(
                    (x[i].eps - y[i].eps).abs() < 1e-14 * y[i].eps.abs().max(1.0),
                    "n {n}: {} vs {}",
                    x[i].eps,
                    y[i].eps
                );
            }
        }
    }

    #[test]
    fn small_sizes_give_the_general_paths_bits() {
        // The unrolled kernels of sizes 1–8 against the loops every other
        // size runs, on matrices that exchange rows and hold zeros.
        let (mut factored, mut exchanged) = (0, false);
        let entry = |r: usize, c: usize| match (r * 5 + c * 3) % 7 {
            0 => 0.0,
            v => (v as f64 - 3.5) * (1.0 + 0.1 * r as f64) + if r == c { 0.5 } else { 0.0 },
        };
        for n in 1..=8 {
            let a: Vec<f64> = (0..n * n).map(|idx| entry(idx % n, idx / n)).collect();
            let (mut small, mut general) = (a.clone(), a.clone());
            let (mut piv_s, mut piv_g) = (vec![0; n], vec![0; n]);
            let ok = getf2(&mut small, &mut piv_s, n);
            assert_eq!(ok, getf2_n(&mut general, &mut piv_g, n), "n {n}");
            if ok.is_err() {
                continue;
            }
            assert_eq!((&small, &piv_s), (&general, &piv_g), "n {n}");
            (factored, exchanged) = (factored + 1, exchanged || piv_s.iter().enumerate().any(|(k, &p)| p != k));
            let inv_diag: Vec<f64> = (0..n).map(|j| 1.0 / small[j * n + j]).collect();
            let b: Vec<Dual64> = (0..n).map(|i| Dual64::new((i as f64 * 0.7).cos(), i as f64 - 1.0)).collect();
            let mut order = vec![0; n];
            gather_order(&piv_s, &mut order);
            let mut lu =
                DenseLu::<f64> { n, lu: [small, inv_diag.clone()].concat(), piv: piv_s, order, ..DenseLu::new(n) };
            let (mut x_small, mut x_general) = (b.clone(), b.clone());
            lu.substitute(&mut x_small);
            permute(&piv_g, &mut x_general);
            eliminate(&general, &inv_diag, &mut x_general);
            assert_eq!(x_small, x_general, "n {n}");
            let mut re: Vec<f64> = b.iter().map(|v| v.re).collect();
            lu.substitute(&mut re);
            assert!(re.iter().zip(&x_small).all(|(a, b)| a.to_bits() == b.re.to_bits()), "n {n}");
        }
        assert!(factored >= 6 && exchanged, "{factored} sizes factored");
        // The inverse of sizes 5–8 (inlined, a buffer per column) against
        // `substitute` of each column of the identity.
        for n in INVERSE_SIZES.take(4) {
            let mut jac = DenseMatrix::from_element(n, 0.0);
            for c in 0..n {
                for r in 0..n {
                    jac.column_mut(c)[r] = entry(r, c);
                }
            }
            let mut lu = DenseLu::<f64>::new(n);
            lu.factor(&jac, 0.3).unwrap();
            assert!(lu.piv.iter().enumerate().any(|(k, &p)| p != k), "n {n}: rows exchanged");
            let mut b = vec![0.0; n];
            lu.apply_inverse(&mut b);
            for j in 0..n {
                let mut e: Vec<f64> = (0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
                lu.substitute(&mut e);
                for (i, v) in e.iter().enumerate() {
                    assert_eq!(lu.inv[j * n + i].to_bits(), v.to_bits(), "n {n}, ({i}, {j})");
                }
            }
        }
    }

    #[test]
    fn singular_matrix_is_reported() {
        let jac = DenseMatrix::from_element(3, 1.0);
        let mut lu = DenseLu::<f64>::new(3);
        assert_eq!(lu.factor(&jac, 0.0), Err(Singular { column: 1 }));
        let mut nan = jac.clone();
        nan.column_mut(2)[1] = f64::NAN;
        assert_eq!(lu.factor(&nan, 5.0), Err(Singular { column: 2 }));
    }
}

//! Banded LU with partial pivoting (LAPACK's `gbtf2`/`gbtrs` layout) for
//! sparse matrices whose entries lie near the diagonal — a 1-D
//! method-of-lines system, a chain of compartments — where it beats a
//! general sparse LU by a wide margin: `O(n·kl·(kl + ku))` to factor,
//! `O(n·(2kl + ku))` to solve, no symbolic analysis, no permutations.

use super::{Corrections, LinearSolver, NewtonTarget, Singular, SparseMatrix, Substitute, exact_solve};
use crate::DualScalar;

/// The lower and upper bandwidths of `jac`'s pattern (the largest
/// `row − column` and `column − row` of its entries).
pub(crate) fn bandwidths<D: DualScalar>(jac: &SparseMatrix<D>) -> (usize, usize) {
    let p = jac.pattern();
    let (mut kl, mut ku) = (0, 0);
    for c in 0..p.cols() {
        for &r in p.column(c) {
            kl = kl.max(r.saturating_sub(c));
            ku = ku.max(c.saturating_sub(r));
        }
    }
    (kl, ku)
}

/// Banded LU of `shift·I − J` for a [`SparseMatrix`] `J` (see the module
/// documentation); dual-number data solved as by [`DenseLu`](super::DenseLu).
///
/// # Example
/// ```
/// use odeon::integrate::linalg::{BandLu, CscPattern, LinearSolver, SparseMatrix};
/// // A tridiagonal J = tridiag(1, −2, 1), n = 4; solve (1·I − J) x = b.
/// let entries: Vec<(usize, usize)> = (1..4usize).flat_map(|i| [(i, i - 1), (i - 1, i)]).collect();
/// let (p, _) = CscPattern::new(4, 4, &entries)?;
/// let mut jac = SparseMatrix::new(&p)?; // the diagonal is added
/// for c in 0..4usize {
///     for r in c.saturating_sub(1)..(c + 2).min(4) {
///         let at = jac.pattern().position(r, c).unwrap();
///         jac.values_mut()[at] = if r == c { -2.0 } else { 1.0 };
///     }
/// }
/// let mut lu = BandLu::new(&jac);
/// lu.factor(&jac, 1.0).unwrap();
/// let mut x = [2.0, 1.0, 1.0, 2.0]; // W = tridiag(−1, 3, −1): x = (1, 1, 1, 1)
/// lu.solve(&jac, &mut x);
/// assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-15));
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BandLu<D> {
    n: usize,
    kl: usize,
    ku: usize,
    /// The band storage, column by column ([`band_position`]).
    ab: Vec<f64>,
    piv: Vec<usize>,
    /// `1/u_jj`. `ab` holds `U`'s rows scaled by it (unit diagonal) and
    /// the forward pass scales each row of `b` as it finishes, so that
    /// neither a division nor this product sits on the back
    /// substitution's dependency chain.
    inv_diag: Vec<f64>,
    shift: f64,
    /// The buffers of the derivative parts' corrections.
    corr: Corrections<D>,
}

impl<D: DualScalar> BandLu<D> {
    /// Buffers for `jac`'s pattern and bandwidths.
    pub fn new(jac: &SparseMatrix<D>) -> Self {
        let n = jac.n();
        let (kl, ku) = bandwidths(jac);
        let (ab, piv, inv_diag) = (vec![0.0; n * band_rows((kl, ku))], vec![0; n], vec![0.0; n]);
        BandLu { n, kl, ku, ab, piv, inv_diag, shift: 0.0, corr: Corrections::new(n) }
    }

    /// The lower and upper bandwidths.
    pub fn bandwidths(&self) -> (usize, usize) {
        (self.kl, self.ku)
    }

    #[inline]
    fn at(&self, i: usize, j: usize) -> usize {
        band_position((self.kl, self.ku), i, j)
    }
}

/// The factors a band substitution reads.
struct Substitution<'a> {
    ab: &'a [f64],
    piv: &'a [usize],
    inv_diag: &'a [f64],
    bw: (usize, usize),
}

impl Substitution<'_> {
    /// Where column `j`'s diagonal entry sits in `ab`.
    #[inline(always)]
    fn diag(&self, j: usize) -> usize {
        band_position(self.bw, j, j)
    }

    /// `b ← D⁻¹ L⁻¹ P b` from row `from` on (the rows before it done),
    /// `D` the diagonal of `U`.
    fn forward<E: DualScalar>(&self, b: &mut [E], from: usize) {
        let (n, kl) = (b.len(), self.bw.0);
        for j in from..n {
            let p = self.piv[j];
            if p != j {
                b.swap(j, p);
            }
            let bj = b[j];
            let col = self.diag(j);
            for i in 1..=kl.min(n - 1 - j) {
                b[j + i] -= bj * self.ab[col + i];
            }
            b[j] = bj * self.inv_diag[j];
        }
    }

    /// `b ← (D⁻¹U)⁻¹ b` for the rows before `to` (the rows from it on
    /// done).
    fn backward<E: DualScalar>(&self, b: &mut [E], to: usize) {
        let kv = self.bw.0 + self.bw.1;
        for j in (0..to).rev() {
            let col = self.diag(j);
            let bj = b[j];
            let first = j.saturating_sub(kv);
            for (bi, &u) in b[first..j].iter_mut().zip(&self.ab[col + first - j..col]) {
                *bi -= bj * u;
            }
        }
    }

    /// [`forward`](Self::forward) and [`backward`](Self::backward) for
    /// bandwidths with `kl = KL` and `kl + ku = KV`: the rows a column
    /// updates stay in registers from one row to the next instead of
    /// going through memory, whose store-to-load latency sat on the
    /// substitution's dependency chain. The same operations in the same
    /// order: the same results (tested against the row-by-row loops).
    #[inline(always)]
    fn windowed<E: DualScalar, const KL: usize, const KV: usize>(&self, b: &mut [E]) {
        let n = b.len();
        let mut done = 0;
        if n > KL {
            // Rows j + 1 ..= j + KL in `w`, row j in `cur`.
            let mut cur = b[0];
            let mut w: [E; KL] = std::array::from_fn(|i| b[1 + i]);
            for j in 0..n - KL {
                let p = self.piv[j];
                if p != j {
                    // A row exchange within the window (rare where the
                    // diagonal dominates): by constant positions only.
                    for (i, wi) in w.iter_mut().enumerate() {
                        if p == j + 1 + i {
                            std::mem::swap(&mut cur, wi);
                        }
                    }
                }
                b[j] = cur * self.inv_diag[j];
                let col = self.diag(j);
                let l = &self.ab[col + 1..col + 1 + KL];
                for (wi, &li) in w.iter_mut().zip(l) {
                    *wi -= cur * li;
                }
                // The window moves by one row: rebuilt, not rotated in
                // place, so that it stays in registers.
                let next = if j + KL + 1 < n { b[j + KL + 1] } else { w[0] };
                cur = w[0];
                w = std::array::from_fn(|i| if i + 1 < KL { w[i + 1] } else { next });
            }
            b[n - KL] = cur;
            b[n - KL + 1..].copy_from_slice(&w[..KL - 1]);
            done = n - KL;
        }
        self.forward(b, done);
        let mut to = n;
        if n > KV {
            // Rows j − KV .. j in `w`, row j in `cur`.
            let mut cur = b[n - 1];
            let mut w: [E; KV] = std::array::from_fn(|i| b[n - 1 - KV + i]);
            for j in (KV..n).rev() {
                b[j] = cur;
                let col = self.diag(j);
                let u = &self.ab[col - KV..col];
                for (wi, &ui) in w.iter_mut().zip(u) {
                    *wi -= cur * ui;
                }
                let next = if j > KV { b[j - KV - 1] } else { w[KV - 1] };
                cur = w[KV - 1];
                w = std::array::from_fn(|i| if i == 0 { next } else { w[i - 1] });
            }
            // Rows 0 .. KV remain: row KV − 1 in `cur`, the others in `w`.
            b[KV - 1] = cur;
            b[..KV - 1].copy_from_slice(&w[1..]);
            to = KV;
        }
        self.backward(b, to);
    }
}

impl<D> Substitute<D> for BandLu<D> {
    /// `b ← U⁻¹ L⁻¹ P b` in the scalar's own arithmetic.
    fn substitute<E: DualScalar>(&mut self, b: &mut [E]) {
        let sub = Substitution { ab: &self.ab, piv: &self.piv, inv_diag: &self.inv_diag, bw: (self.kl, self.ku) };
        let b = &mut b[..self.n];
        // The narrow bands of 1-D problems (one or two interleaved fields)
        // through a window of registers; the rest row by row in memory.
        match (self.kl, self.ku) {
            (1, 1) => sub.windowed::<E, 1, 2>(b),
            (2, 2) => sub.windowed::<E, 2, 4>(b),
            _ => {
                sub.forward(b, 0);
                sub.backward(b, b.len());
            }
        }
    }

    fn corrections(&mut self) -> &mut Corrections<D> {
        &mut self.corr
    }

    fn shift(&self) -> f64 {
        self.shift
    }
}

impl<D: DualScalar> LinearSolver<D> for BandLu<D> {
    type Matrix = SparseMatrix<D>;

    fn factor(&mut self, jac: &SparseMatrix<D>, shift: f64) -> Result<(), Singular> {
        let (n, kl, ku) = (self.n, self.kl, self.ku);
        self.shift = shift;
        self.ab.fill(0.0);
        let p = jac.pattern();
        for c in 0..n {
            for (pos, &r) in (p.colptr()[c]..).zip(p.column(c)) {
                let v = -jac.values()[pos].re();
                if !v.is_finite() {
                    return Err(Singular { column: c });
                }
                let at = self.at(r, c);
                self.ab[at] = v;
            }
            let d = self.at(c, c);
            self.ab[d] += shift;
        }
        gbtf2(&mut self.ab, &mut self.piv, &mut self.inv_diag, n, (kl, ku))
    }

    fn solve(&mut self, jac: &SparseMatrix<D>, b: &mut [D]) {
        exact_solve(self, jac, b);
    }

    fn solve_primal<E: DualScalar>(&mut self, b: &mut [E], _newton: Option<NewtonTarget<'_>>) {
        self.substitute(b);
    }
}

/// The length of a column of the band storage of a matrix with bandwidths
/// `(kl, ku)`: `2kl + ku + 1` (room for the fill of pivoting).
#[inline]
fn band_rows((kl, ku): (usize, usize)) -> usize {
    2 * kl + ku + 1
}

/// Where entry `(i, j)` sits in the band storage: row `kl + ku + i − j` of
/// column `j`.
#[inline]
fn band_position((kl, ku): (usize, usize), i: usize, j: usize) -> usize {
    kl + ku + i + j * band_rows((kl, ku)) - j
}

/// LAPACK's `gbtf2` on the band storage `ab` of an `n × n` matrix with
/// bandwidths `(kl, ku)`: column by column, the pivot among the `kl`
/// entries below; then `U`'s rows scaled by the reciprocals of their
/// pivots, kept in `inv_diag`. Not generic: compiled once, into the
/// library.
fn gbtf2(
    ab: &mut [f64],
    piv: &mut [usize],
    inv_diag: &mut [f64],
    n: usize,
    (kl, ku): (usize, usize),
) -> Result<(), Singular> {
    let at = |i: usize, j: usize| band_position((kl, ku), i, j);
    let mut ju = 0;
    for j in 0..n {
        let km = kl.min(n - 1 - j);
        let col = at(j, j);
        let jp = (0..=km).fold(0, |best, i| if ab[col + i].abs() > ab[col + best].abs() { i } else { best });
        let pivot = ab[col + jp];
        if pivot == 0.0 || !pivot.is_finite() {
            return Err(Singular { column: j });
        }
        piv[j] = j + jp;
        inv_diag[j] = 1.0 / pivot;
        ju = ju.max((j + ku + jp).min(n - 1));
        if jp != 0 {
            for c in j..=ju {
                ab.swap(at(j, c), at(j + jp, c));
            }
        }
        for i in 1..=km {
            ab[col + i] /= pivot;
        }
        for c in j + 1..=ju {
            let base = at(j, c);
            let a = ab[base];
            if a != 0.0 {
                for i in 1..=km {
                    ab[base + i] -= ab[col + i] * a;
                }
                // Row j of U is final: scaled once it has been used.
                ab[base] = a * inv_diag[j];
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{CscPattern, DenseLu, DenseMatrix};
    use super::*;
    use num_dual::Dual64;

    /// A banded nonsymmetric matrix (kl = 2, ku = 1) whose pivoting
    /// matters: small diagonal entries.
    fn both<D: DualScalar>(n: usize, p: D) -> (SparseMatrix<D>, DenseMatrix<D>) {
        let mut entries = Vec::new();
        for c in 0..n {
            for r in c.saturating_sub(1)..(c + 3).min(n) {
                entries.push((r, c));
            }
        }
        let (pattern, _) = CscPattern::new(n, n, &entries).unwrap();
        let mut sparse = SparseMatrix::new(&pattern).unwrap();
        let mut dense = DenseMatrix::from_element(n, D::from(0.0));
        for &(r, c) in &entries {
            let v = if r == c { p * 0.01 } else { p * ((r * 3 + c * 7) % 5) as f64 - 1.0 };
            let at = sparse.pattern().position(r, c).unwrap();
            sparse.values_mut()[at] = v;
            dense.column_mut(c)[r] = v;
        }
        (sparse, dense)
    }

    #[test]
    fn band_and_dense_solves_agree_with_pivoting_and_derivatives() {
        let n = 30;
        let p = Dual64::from(0.8).derivative();
        let (sparse, dense) = both(n, p);
        let mut band = BandLu::new(&sparse);
        assert_eq!(band.bandwidths(), (2, 1));
        let mut lu = DenseLu::new(n);
        band.factor(&sparse, 0.05).unwrap();
        lu.factor(&dense, 0.05).unwrap();
        let rhs: Vec<Dual64> = (0..n).map(|i| p * (i as f64).sin() + 1.0).collect();
        let (mut x, mut y) = (rhs.clone(), rhs);
        band.solve(&sparse, &mut x);
        lu.solve(&dense, &mut y);
        for i in 0..n {
            assert!((x[i].re - y[i].re).abs() <= 1e-11 * y[i].re.abs().max(1.0), "{i}");
            assert!((x[i].eps - y[i].eps).abs() <= 1e-9 * y[i].eps.abs().max(1.0), "{i}");
        }
    }

    /// A band matrix with bandwidths `(k, k)` and small diagonal entries
    /// (so that rows are exchanged), in the band storage of a factored
    /// `BandLu`.
    fn factored(n: usize, k: usize) -> BandLu<f64> {
        let entries: Vec<(usize, usize)> =
            (0..n).flat_map(|c| (c.saturating_sub(k)..(c + k + 1).min(n)).map(move |r| (r, c))).collect();
        let (pattern, _) = CscPattern::new(n, n, &entries).unwrap();
        let mut m = SparseMatrix::new(&pattern).unwrap();
        for &(r, c) in &entries {
            let v = if r == c { 0.01 } else { ((r * 7 + c * 3) % 11) as f64 - 5.0 };
            let at = m.pattern().position(r, c).unwrap();
            m.values_mut()[at] = v;
        }
        let mut band = BandLu::new(&m);
        assert_eq!(band.bandwidths(), (k.min(n - 1), k.min(n - 1)));
        band.factor(&m, 0.05).unwrap();
        band
    }

    #[test]
    fn windowed_substitution_equals_the_row_by_row_one_bit_for_bit() {
        for k in [1, 2] {
            for n in (1..=12).chain([41]) {
                let mut band = factored(n, k);
                assert!(n < 4 || band.piv.iter().enumerate().any(|(j, &p)| p != j), "no row exchange: k {k}, n {n}");
                let b: Vec<Dual64> = (0..n).map(|i| Dual64::new((i as f64).sin() + 2.0, (i as f64).cos())).collect();
                let (mut x, mut y) = (b.clone(), b);
                band.substitute(&mut x);
                let sub =
                    Substitution { ab: &band.ab, piv: &band.piv, inv_diag: &band.inv_diag, bw: band.bandwidths() };
                sub.forward(&mut y, 0);
                sub.backward(&mut y, n);
                for i in 0..n {
                    assert_eq!(x[i].re.to_bits(), y[i].re.to_bits(), "k {k}, n {n}, row {i}");
                    assert_eq!(x[i].eps.to_bits(), y[i].eps.to_bits(), "k {k}, n {n}, row {i}");
                }
            }
        }
    }

    #[test]
    fn singular_and_non_finite_band_matrices_are_reported() {
        let (mut sparse, _) = both::<f64>(6, 0.0);
        sparse.values_mut().fill(0.0);
        let mut band = BandLu::new(&sparse);
        assert_eq!(band.factor(&sparse, 0.0), Err(Singular { column: 0 }));
        assert!(band.factor(&sparse, 1.0).is_ok());
        sparse.values_mut()[3] = f64::NAN;
        assert!(band.factor(&sparse, 1.0).is_err());
    }
}

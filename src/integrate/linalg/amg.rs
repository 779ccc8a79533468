//! Smoothed-aggregation algebraic multigrid: the preconditioner of the
//! Krylov path ([`KrylovSolver`](super::KrylovSolver)) for large sparse
//! systems, whose iteration matrices come from diffusion-like operators
//! (method-of-lines PDEs, finite elements) where a direct LU's fill grows
//! faster than the system.
//!
//! Setup, level by level until at most [`COARSE_SIZE`] unknowns remain:
//! the strong couplings `|a_ij| ≥ θ·√|a_ii·a_jj|` (both directions, θ =
//! [`THETA`]), aggregates of strongly coupled unknowns (Vaněk's three
//! passes), the piecewise-constant tentative prolongator `T`, smoothed
//! by one damped Jacobi step, `P = (I − ω D⁻¹A) T` with `ω = (4/3)/ρ(D⁻¹A)`
//! (ρ bounded by Gershgorin), and the Galerkin product `A_c = Pᵀ A P`. The
//! coarsest level is factored by the sparse LU — or smoothed, where
//! nothing couples strongly (a large shift: the matrix is close to its
//! diagonal, and a factorization of a 3-D grid's would fill in). A level
//! that is diagonally dominant by rows (off-diagonal sums at most
//! [`DOMINANT`] of the diagonal) is not coarsened at all: one symmetric
//! sweep preconditions it. One application is a V-cycle with one forward
//! Gauss–Seidel sweep before and one backward sweep after each coarse
//! correction.
//!
//! Couplings between different unknowns of one point (the reactions of a
//! reaction–diffusion system) are much weaker than the diffusion between
//! neighbours, so the aggregates stay within one species, as the
//! "unknown-based" approach to systems does.
//!
//! Reference: P. Vaněk, J. Mandel, M. Brezina, *Algebraic multigrid by
//! smoothed aggregation for second and fourth order elliptic problems*,
//! Computing 56 (1996) 179–196; Y. Saad, *Iterative Methods for Sparse
//! Linear Systems*, 2nd ed., SIAM 2003, ch. 13.

use super::real::RealLu;

/// Coarsening stops at this many unknowns, whose matrix is factored.
pub(super) const COARSE_SIZE: usize = 400;
/// The strength-of-connection threshold θ.
const THETA: f64 = 0.08;
/// At most this many levels.
const MAX_LEVELS: usize = 24;
/// A level that keeps more than this fraction of its unknowns has stalled:
/// it becomes the coarsest.
const STALL: f64 = 0.85;
/// Above this many unknowns a stalled coarsest level is not factored but
/// smoothed (as is one where nothing couples strongly enough to aggregate,
/// whatever its size: its matrix is close to its diagonal).
const DIRECT_MAX: usize = 5_000;
/// Symmetric Gauss–Seidel sweeps of such a coarsest level.
const COARSE_SWEEPS: usize = 4;
/// A level whose off-diagonal row sums are at most this fraction of its
/// diagonal (`W` of a short step: the shift outweighs the coupling) is not
/// coarsened: Jacobi's iteration contracts by this factor (Gershgorin), and
/// one symmetric Gauss–Seidel sweep preconditions it well enough. Measured
/// on the periodic Brusselators (BDF, rtol 1e-6; docs/benchmarks.md §12):
/// 2-D at 2,048 states 42.0 → 33.8 ms, 8,192 states 221 → 197 ms, 3-D at
/// 3,456 and 8,192 states 99 → 80 ms and 345 → 292 ms; at 0.8 about the
/// same, and with two sweeps instead of one 5% slower in 2-D.
const DOMINANT: f64 = 0.9;

/// A real sparse matrix in compressed rows: the multigrid's own storage,
/// whose Gauss–Seidel sweeps run along rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Csr {
    rows: usize,
    cols: usize,
    ptr: Vec<usize>,
    col: Vec<usize>,
    val: Vec<f64>,
}

impl Csr {
    /// The `rows × cols` matrix given in compressed columns (rows
    /// increasing in each column): its rows come out with columns
    /// increasing.
    pub(super) fn from_csc(rows: usize, cols: usize, colptr: &[usize], rowval: &[usize], vals: &[f64]) -> Csr {
        let (mut a, to_row) = Csr::pattern_of_csc(rows, cols, colptr, rowval);
        a.set_values(&to_row, vals);
        a
    }

    /// The pattern of [`from_csc`](Self::from_csc) (values zero), and where
    /// each entry of the compressed columns lands in it.
    pub(super) fn pattern_of_csc(rows: usize, cols: usize, colptr: &[usize], rowval: &[usize]) -> (Csr, Vec<usize>) {
        let mut ptr = vec![0; rows + 1];
        for &r in rowval {
            ptr[r + 1] += 1;
        }
        for i in 0..rows {
            ptr[i + 1] += ptr[i];
        }
        let mut next = ptr.clone();
        let (mut col, mut to_row) = (vec![0; rowval.len()], vec![0; rowval.len()]);
        for c in 0..cols {
            for k in colptr[c]..colptr[c + 1] {
                let d = &mut next[rowval[k]];
                (col[*d], to_row[k]) = (c, *d);
                *d += 1;
            }
        }
        let val = vec![0.0; rowval.len()];
        (Csr { rows, cols, ptr, col, val }, to_row)
    }

    /// The values, given in the order `to_row` maps into this pattern
    /// ([`pattern_of_csc`](Self::pattern_of_csc)).
    pub(super) fn set_values(&mut self, to_row: &[usize], vals: &[f64]) {
        for (&at, &v) in to_row.iter().zip(vals) {
            self.val[at] = v;
        }
    }

    /// The transpose.
    fn transpose(&self) -> Csr {
        Csr::from_csc(self.cols, self.rows, &self.ptr, &self.col, &self.val)
    }

    /// The rows.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }

    /// Row `i`'s columns and values.
    #[inline]
    fn row(&self, i: usize) -> (&[usize], &[f64]) {
        let r = self.ptr[i]..self.ptr[i + 1];
        (&self.col[r.clone()], &self.val[r])
    }

    /// `y ← y + A x`.
    pub(super) fn mul_add(&self, x: &[f64], y: &mut [f64]) {
        for (yi, r) in y.iter_mut().zip(self.ptr.windows(2)) {
            *yi += row_dot(&self.col[r[0]..r[1]], &self.val[r[0]..r[1]], x);
        }
    }

    /// `y ← A x`.
    fn mul(&self, x: &[f64], y: &mut [f64]) {
        for (yi, r) in y.iter_mut().zip(self.ptr.windows(2)) {
            *yi = row_dot(&self.col[r[0]..r[1]], &self.val[r[0]..r[1]], x);
        }
    }

    /// `r ← b − A x`.
    pub(super) fn residual(&self, b: &[f64], x: &[f64], r: &mut [f64]) {
        for ((ri, bi), w) in r.iter_mut().zip(b).zip(self.ptr.windows(2)) {
            *ri = bi - row_dot(&self.col[w[0]..w[1]], &self.val[w[0]..w[1]], x);
        }
    }

    /// The product `A B` (Gustavson's row-by-row algorithm); with
    /// `sorted`, columns increasing in each row (else in the order met:
    /// enough for a product that is only multiplied or transposed).
    fn matmul(&self, b: &Csr, sorted: bool) -> Csr {
        // `at[j]`: where column j's entry of the current row is, if at or
        // after the row's start.
        let mut at = vec![usize::MAX; b.cols];
        let (mut ptr, mut col, mut val) = (Vec::with_capacity(self.rows + 1), Vec::new(), Vec::new());
        ptr.push(0);
        let mut row: Vec<(usize, f64)> = Vec::new();
        for i in 0..self.rows {
            let start = col.len();
            let (ks, avs) = self.row(i);
            for (&k, &av) in ks.iter().zip(avs) {
                let (js, bvs) = b.row(k);
                for (&j, &bv) in js.iter().zip(bvs) {
                    match at[j] {
                        p if (start..col.len()).contains(&p) => val[p] += av * bv,
                        _ => {
                            at[j] = col.len();
                            col.push(j);
                            val.push(av * bv);
                        }
                    }
                }
            }
            if sorted {
                row.clear();
                row.extend(col[start..].iter().copied().zip(val[start..].iter().copied()));
                row.sort_unstable_by_key(|e| e.0);
                for (k, &(j, v)) in row.iter().enumerate() {
                    (col[start + k], val[start + k]) = (j, v);
                }
            }
            ptr.push(col.len());
        }
        Csr { rows: self.rows, cols: b.cols, ptr, col, val }
    }

    /// `1 / a_ii` for every row; `Err(i)` at the first zero or non-finite
    /// diagonal (or any non-finite entry of row `i`).
    fn inverse_diagonal(&self) -> Result<Vec<f64>, usize> {
        (0..self.rows)
            .map(|i| {
                let (cols, vals) = self.row(i);
                let d = cols.iter().zip(vals).filter(|e| *e.0 == i).map(|e| *e.1).sum::<f64>();
                match vals.iter().all(|v| v.is_finite()) && d != 0.0 {
                    true => Ok(1.0 / d),
                    false => Err(i),
                }
            })
            .collect()
    }

    /// For each row, where its entries left of the diagonal end and those
    /// right of it start (columns increase along a row).
    fn diagonal_split(&self) -> Vec<[usize; 2]> {
        (0..self.rows)
            .map(|i| {
                let (lo, cols) = (self.ptr[i], self.row(i).0);
                [lo + cols.partition_point(|&j| j < i), lo + cols.partition_point(|&j| j <= i)]
            })
            .collect()
    }

    /// A forward Gauss–Seidel sweep for `A x = b` from `x = 0`, and its
    /// residual `r = b − A x`, in one pass over the entries: from zero a
    /// row's update needs only the entries left of the diagonal, and
    /// leaves the row satisfied but for those right of it, so `r_i =
    /// −Σ_{j>i} a_ij x_j` (`split` from [`diagonal_split`](Self::diagonal_split)).
    fn gauss_seidel_from_zero(&self, inv_diag: &[f64], split: &[[usize; 2]], b: &[f64], x: &mut [f64], r: &mut [f64]) {
        for (i, &[lower_end, _]) in split.iter().enumerate() {
            let k = self.ptr[i]..lower_end;
            x[i] = (b[i] - row_dot(&self.col[k.clone()], &self.val[k], x)) * inv_diag[i];
        }
        for ((ri, &[_, upper]), &end) in r.iter_mut().zip(split).zip(&self.ptr[1..]) {
            *ri = -row_dot(&self.col[upper..end], &self.val[upper..end], x);
        }
    }

    /// One Gauss–Seidel sweep for `A x = b`, rows in increasing order
    /// (`forward`) or decreasing.
    fn gauss_seidel(&self, inv_diag: &[f64], b: &[f64], x: &mut [f64], forward: bool) {
        // Plain loops over the rows, each row's update inlined: as a
        // closure per row the sweep was a call per row that reloaded its
        // captures (a fifth of a 2,048-state Krylov solve, 5–7% slower).
        if forward {
            for i in 0..self.rows {
                let (cols, vals) = self.row(i);
                x[i] += (b[i] - row_dot(cols, vals, x)) * inv_diag[i];
            }
        } else {
            for i in (0..self.rows).rev() {
                let (cols, vals) = self.row(i);
                x[i] += (b[i] - row_dot(cols, vals, x)) * inv_diag[i];
            }
        }
    }
}

/// `Σ_k vals_k · x[cols_k]`, in two partial sums (for a Gauss–Seidel
/// sweep, half the dependent additions after the entry just updated).
#[inline(always)]
fn row_dot(cols: &[usize], vals: &[f64], x: &[f64]) -> f64 {
    let (mut s0, mut s1) = (0.0, 0.0);
    let (c2, v2) = (cols.chunks_exact(2), vals.chunks_exact(2));
    if let (&[j], &[v]) = (c2.remainder(), v2.remainder()) {
        s1 = v * x[j];
    }
    for (c, v) in c2.zip(v2) {
        s0 += v[0] * x[c[0]];
        s1 += v[1] * x[c[1]];
    }
    s0 + s1
}

/// One level of the hierarchy: its matrix, the prolongator to it from the
/// next coarser level and its transpose, the restriction (by rows, so
/// that restricting gathers instead of scattering: a scatter's additions
/// to one coarse unknown from the consecutive rows of its aggregate wait
/// on each other through memory), and the cycle's buffers.
#[derive(Debug)]
struct Level {
    a: Csr,
    inv_diag: Vec<f64>,
    /// [`Csr::diagonal_split`] of `a`.
    split: Vec<[usize; 2]>,
    p: Csr,
    r: Csr,
    /// The residual (this level's size), the coarse right-hand side and
    /// correction (the next level's).
    res: Vec<f64>,
    coarse_b: Vec<f64>,
    coarse_x: Vec<f64>,
}

/// The coarsest level: factored, or (large and without strong couplings)
/// smoothed.
enum Coarsest {
    Direct { a: Csr, lu: Box<RealLu> },
    Smooth { a: Csr, inv_diag: Vec<f64>, sweeps: usize },
}

/// A smoothed-aggregation multigrid hierarchy of a real square matrix
/// (see the module documentation).
pub(super) struct Amg {
    levels: Vec<Level>,
    coarsest: Coarsest,
}

impl Amg {
    /// The hierarchy of `a`. `Err(row)`: a zero or non-finite diagonal of
    /// `a`, or (`row` then 0) of a coarse level, or a coarsest matrix the
    /// sparse LU found singular. `symbolic` (an earlier hierarchy's coarsest
    /// LU, [`into_coarse_lu`](Self::into_coarse_lu)) is reused where the new
    /// coarsest matrix has its pattern: the analysis is about 15% of a
    /// 2,048-state Brusselator solve otherwise.
    pub(super) fn new(mut a: Csr, mut symbolic: Option<Box<RealLu>>) -> Result<Amg, usize> {
        let mut levels: Vec<Level> = Vec::new();
        loop {
            let inv_diag = a.inverse_diagonal().map_err(|row| if levels.is_empty() { row } else { 0 })?;
            let n = a.rows();
            let ratio = off_diagonal_ratio(&a, &inv_diag);
            if ratio <= DOMINANT {
                return Ok(Amg { levels, coarsest: Coarsest::Smooth { a, inv_diag, sweeps: 1 } });
            }
            let coarse = (n > COARSE_SIZE && levels.len() < MAX_LEVELS).then(|| aggregate(&a, &inv_diag));
            let (agg, nc) = match coarse {
                Some((agg, nc)) if nc > 0 && (nc as f64) <= STALL * n as f64 => (agg, nc),
                // Nothing couples strongly (many weak couplings, not
                // dominant enough for one sweep): smoothing alone.
                Some((_, 0)) => {
                    return Ok(Amg { levels, coarsest: Coarsest::Smooth { a, inv_diag, sweeps: COARSE_SWEEPS } });
                }
                _ => {
                    let coarsest = match n <= DIRECT_MAX {
                        true => Coarsest::Direct { lu: factor(&a, symbolic.take())?, a },
                        false => Coarsest::Smooth { a, inv_diag, sweeps: COARSE_SWEEPS },
                    };
                    return Ok(Amg { levels, coarsest });
                }
            };
            let p = prolongator(&a, &inv_diag, ratio, &agg, nc);
            let r = p.transpose();
            let next = r.matmul(&a.matmul(&p, false), true);
            let split = a.diagonal_split();
            levels.push(Level {
                a,
                inv_diag,
                split,
                p,
                r,
                res: vec![0.0; n],
                coarse_b: vec![0.0; nc],
                coarse_x: vec![0.0; nc],
            });
            a = next;
        }
    }

    /// The coarsest level's LU, if it was factored (for [`new`](Self::new)
    /// of the next hierarchy).
    pub(super) fn into_coarse_lu(self) -> Option<Box<RealLu>> {
        match self.coarsest {
            Coarsest::Direct { lu, .. } => Some(lu),
            Coarsest::Smooth { .. } => None,
        }
    }

    /// Give the finest level new values of its pattern (`values`, all
    /// finite, in the order `to_row` maps into it, [`Csr::pattern_of_csc`];
    /// `diag[i]`: where `a_ii` is among them), keeping the coarse levels:
    /// the cycle smooths the new matrix and corrects with the old one's
    /// coarse levels. `false` where the finest level is factored, or a new
    /// diagonal is zero or not finite (the hierarchy must then be built
    /// anew).
    pub(super) fn refill_finest(&mut self, to_row: &[usize], values: &[f64], diag: &[usize]) -> bool {
        let (a, inv_diag) = match (self.levels.first_mut(), &mut self.coarsest) {
            (Some(level), _) => (&mut level.a, &mut level.inv_diag),
            (None, Coarsest::Smooth { a, inv_diag, .. }) => (a, inv_diag),
            (None, Coarsest::Direct { .. }) => return false,
        };
        a.set_values(to_row, values);
        inv_diag.iter_mut().zip(diag).all(|(inv, &k)| {
            *inv = 1.0 / values[k];
            inv.is_finite() && values[k] != 0.0
        })
    }

    /// The finest level's matrix (the one the hierarchy was built from, or
    /// the last [`refill_finest`](Self::refill_finest)).
    pub(super) fn matrix(&self) -> &Csr {
        match (self.levels.first(), &self.coarsest) {
            (Some(level), _) => &level.a,
            (None, Coarsest::Direct { a, .. } | Coarsest::Smooth { a, .. }) => a,
        }
    }

    /// The unknowns of each level, finest first.
    #[cfg(test)]
    fn sizes(&self) -> Vec<usize> {
        let (Coarsest::Direct { a, .. } | Coarsest::Smooth { a, .. }) = &self.coarsest;
        self.levels.iter().map(|l| l.a.rows()).chain([a.rows()]).collect()
    }

    /// `x ← M⁻¹ b`, one V-cycle from `x = 0`.
    pub(super) fn apply(&mut self, b: &[f64], x: &mut [f64]) {
        cycle(&mut self.levels, &mut self.coarsest, b, x);
    }
}

/// The V-cycle from the first of `levels` down.
fn cycle(levels: &mut [Level], coarsest: &mut Coarsest, b: &[f64], x: &mut [f64]) {
    let Some((lv, rest)) = levels.split_first_mut() else {
        match coarsest {
            Coarsest::Direct { lu, .. } => {
                x.copy_from_slice(b);
                lu.solve(x, 1);
            }
            Coarsest::Smooth { a, inv_diag, sweeps } => {
                x.fill(0.0);
                for _ in 0..*sweeps {
                    a.gauss_seidel(inv_diag, b, x, true);
                    a.gauss_seidel(inv_diag, b, x, false);
                }
            }
        }
        return;
    };
    lv.a.gauss_seidel_from_zero(&lv.inv_diag, &lv.split, b, x, &mut lv.res);
    lv.r.mul(&lv.res, &mut lv.coarse_b);
    cycle(rest, coarsest, &lv.coarse_b, &mut lv.coarse_x);
    lv.p.mul_add(&lv.coarse_x, x);
    lv.a.gauss_seidel(&lv.inv_diag, b, x, false);
}

/// The sparse LU of the coarsest matrix, with `symbolic`'s analysis if it
/// was made for the same pattern; `Err(0)` if it is singular.
fn factor(a: &Csr, symbolic: Option<Box<RealLu>>) -> Result<Box<RealLu>, usize> {
    // Compressed rows of Aᵀ are compressed columns of A.
    let csc = a.transpose();
    let n = a.rows();
    let mut lu = match symbolic {
        Some(lu) if lu.has_pattern(&csc.ptr, &csc.col) => lu,
        _ => Box::new(RealLu::new(n, &csc.ptr, &csc.col, 1).map_err(|_| 0_usize)?),
    };
    lu.factor(&csc.val)?;
    let mut probe = vec![1.0; n];
    lu.solve(&mut probe, 1);
    match probe.iter().all(|v| v.is_finite()) {
        true => Ok(lu),
        false => Err(0),
    }
}

/// `max_i Σ_{j≠i} |a_ij| / |a_ii|`: below 1 the matrix is strictly
/// diagonally dominant by rows.
fn off_diagonal_ratio(a: &Csr, inv_diag: &[f64]) -> f64 {
    (0..a.rows())
        .map(|i| {
            let (cols, vals) = a.row(i);
            let off: f64 = cols.iter().zip(vals).filter(|e| *e.0 != i).map(|e| e.1.abs()).sum();
            off * inv_diag[i].abs()
        })
        .fold(0.0, f64::max)
}

/// Marks an unknown in no aggregate.
const NONE: usize = usize::MAX;

/// The aggregate of each unknown ([`NONE`] for one with no strong
/// coupling) and the number of aggregates: Vaněk, Mandel and Brezina's
/// three passes over the strong couplings, made symmetric.
fn aggregate(a: &Csr, inv_diag: &[f64]) -> (Vec<usize>, usize) {
    let n = a.rows();
    let (mut ptr, mut col) = (vec![0], Vec::new());
    for i in 0..n {
        let (cols, vals) = a.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            if j != i && v * v * (inv_diag[i] * inv_diag[j]).abs() >= THETA * THETA {
                col.push(j);
            }
        }
        ptr.push(col.len());
    }
    let strong = Csr { rows: n, cols: n, val: vec![0.0; col.len()], ptr, col };
    let strong_t = strong.transpose();
    let neighbours = |i: usize| strong.row(i).0.iter().chain(strong_t.row(i).0).copied();
    let mut agg = vec![NONE; n];
    let mut count = 0;
    // 1. An unknown whose strong neighbours are all free starts an
    //    aggregate with them.
    for i in 0..n {
        if agg[i] == NONE && neighbours(i).next().is_some() && neighbours(i).all(|j| agg[j] == NONE) {
            agg[i] = count;
            neighbours(i).for_each(|j| agg[j] = count);
            count += 1;
        }
    }
    // 2. The rest join an aggregate of a strong neighbour's from pass 1.
    let first = agg.clone();
    for (i, g) in agg.iter_mut().enumerate() {
        if *g == NONE
            && let Some(j) = neighbours(i).find(|&j| first[j] != NONE)
        {
            *g = first[j];
        }
    }
    // 3. What is still free forms aggregates with its free neighbours.
    for i in 0..n {
        if agg[i] == NONE && neighbours(i).next().is_some() {
            agg[i] = count;
            for j in neighbours(i) {
                if agg[j] == NONE {
                    agg[j] = count;
                }
            }
            count += 1;
        }
    }
    (agg, count)
}

/// The smoothed prolongator `P = (I − ω D⁻¹A) T` of the aggregates `agg`
/// (`nc` of them), `T` piecewise constant with unit columns; `ratio`:
/// [`off_diagonal_ratio`] of `a`.
fn prolongator(a: &Csr, inv_diag: &[f64], ratio: f64, agg: &[usize], nc: usize) -> Csr {
    let n = a.rows();
    let mut size = vec![0_usize; nc];
    agg.iter().filter(|&&g| g != NONE).for_each(|&g| size[g] += 1);
    let weight: Vec<f64> = size.iter().map(|&s| 1.0 / (s as f64).sqrt()).collect();
    let (mut ptr, mut col, mut val) = (vec![0], Vec::new(), Vec::new());
    for &g in agg {
        if g != NONE {
            col.push(g);
            val.push(weight[g]);
        }
        ptr.push(col.len());
    }
    let t = Csr { rows: n, cols: nc, ptr, col, val };
    // ρ(D⁻¹A) ≤ max_i Σ_j |a_ij / a_ii| = 1 + ratio (Gershgorin).
    let omega = 4.0 / 3.0 / (1.0 + ratio);
    let mut p = a.matmul(&t, false);
    for i in 0..n {
        let (lo, hi) = (p.ptr[i], p.ptr[i + 1]);
        for k in lo..hi {
            let own = if p.col[k] == agg[i] { weight[agg[i]] } else { 0.0 };
            p.val[k] = own - omega * inv_diag[i] * p.val[k];
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `shift·I − Δ` on an `m × m` grid with Dirichlet walls (5-point
    /// stencil, unit spacing), as compressed rows.
    fn poisson(m: usize, shift: f64) -> Csr {
        let n = m * m;
        let (mut ptr, mut col, mut val) = (vec![0], Vec::new(), Vec::new());
        for i in 0..n {
            let (x, y) = (i % m, i / m);
            let mut entry = |j: usize, v: f64| {
                col.push(j);
                val.push(v);
            };
            if y > 0 {
                entry(i - m, -1.0);
            }
            if x > 0 {
                entry(i - 1, -1.0);
            }
            entry(i, 4.0 + shift);
            if x + 1 < m {
                entry(i + 1, -1.0);
            }
            if y + 1 < m {
                entry(i + m, -1.0);
            }
            ptr.push(col.len());
        }
        Csr { rows: n, cols: n, ptr, col, val }
    }

    /// The residual reduction of `cycles` V-cycles used as a stationary
    /// iteration `x ← x + M⁻¹(b − A x)`, per cycle (geometric mean).
    fn contraction(a: &Csr, cycles: usize) -> f64 {
        let n = a.rows();
        let mut amg = Amg::new(a.clone(), None).unwrap();
        let b: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0).collect();
        let (mut x, mut r, mut z) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        a.residual(&b, &x, &mut r);
        let r0 = norm(&r);
        for _ in 0..cycles {
            amg.apply(&r, &mut z);
            x.iter_mut().zip(&z).for_each(|(x, z)| *x += z);
            a.residual(&b, &x, &mut r);
        }
        (norm(&r) / r0).powf(1.0 / cycles as f64)
    }

    #[test]
    fn the_v_cycle_contracts_independently_of_the_grid() {
        // The point of multigrid: the same contraction at 4× and 16× the
        // unknowns (a Gauss–Seidel sweep alone tends to 1 as h → 0).
        let rates: Vec<f64> = [32, 64, 128].iter().map(|&m| contraction(&poisson(m, 0.0), 8)).collect();
        for (m, rate) in [32, 64, 128].iter().zip(&rates) {
            assert!(*rate < 0.35, "m = {m}: contraction {rate}");
        }
        eprintln!("{rates:?}");
        assert!(rates[2] < rates[0] + 0.1, "{rates:?}");
    }

    #[test]
    fn the_sweep_from_zero_is_a_sweep_and_its_residual() {
        // Against the full sweep and `b − A x` computed afresh, on a
        // nonsymmetric matrix with rows missing entries on either side.
        let mut a = poisson(9, 0.3);
        a.val.iter_mut().enumerate().for_each(|(k, v)| *v *= 1.0 + 0.1 * ((k * 37) % 11) as f64);
        let (inv, split) = (a.inverse_diagonal().unwrap(), a.diagonal_split());
        let b: Vec<f64> = (0..a.rows()).map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0).collect();
        let (mut x, mut r) = (vec![f64::NAN; a.rows()], vec![f64::NAN; a.rows()]);
        a.gauss_seidel_from_zero(&inv, &split, &b, &mut x, &mut r);
        let (mut x_ref, mut r_ref) = (vec![0.0; a.rows()], vec![0.0; a.rows()]);
        a.gauss_seidel(&inv, &b, &mut x_ref, true);
        a.residual(&b, &x_ref, &mut r_ref);
        for i in 0..a.rows() {
            assert!((x[i] - x_ref[i]).abs() <= 1e-14 * (1.0 + x_ref[i].abs()), "x[{i}]");
            assert!((r[i] - r_ref[i]).abs() <= 1e-13, "r[{i}]: {} vs {}", r[i], r_ref[i]);
        }
        assert!(r.iter().any(|v| v.abs() > 0.1), "the residual is not trivially zero");
    }

    #[test]
    fn the_hierarchy_coarsens_by_about_the_aggregate_size() {
        let amg = Amg::new(poisson(128, 0.0), None).unwrap();
        let sizes = amg.sizes();
        assert_eq!(sizes[0], 128 * 128);
        for w in sizes.windows(2) {
            assert!(w[1] * 3 <= w[0], "{sizes:?}");
        }
        assert!(*sizes.last().unwrap() <= COARSE_SIZE, "{sizes:?}");
    }

    #[test]
    fn a_matrix_without_strong_couplings_is_smoothed_not_factored() {
        // Each row couples to its 26 nearest neighbours by −0.036 against
        // a unit diagonal: every coupling weak (0.036² < θ²), the row sums
        // not dominant enough to skip coarsening (0.936 > 0.9). No
        // aggregate: the matrix is smoothed (a factorization of a 3-D
        // grid's matrix would fill in), whatever its size.
        for n in [900_usize, 10_000] {
            let (mut ptr, mut col, mut val) = (vec![0], Vec::new(), Vec::new());
            for i in 0..n {
                for j in i.saturating_sub(13)..(i + 14).min(n) {
                    col.push(j);
                    val.push(if i == j { 1.0 } else { -0.036 });
                }
                ptr.push(col.len());
            }
            let a = Csr { rows: n, cols: n, ptr, col, val };
            let amg = Amg::new(a.clone(), None).unwrap();
            assert_eq!(amg.sizes(), vec![n]);
            assert!(matches!(amg.coarsest, Coarsest::Smooth { sweeps: COARSE_SWEEPS, .. }));
            // Four symmetric sweeps per cycle: measured 0.054 and 0.044.
            let rate = contraction(&a, 4);
            assert!(rate < 0.1, "{rate}");
        }
    }

    #[test]
    fn a_diagonally_dominant_matrix_is_smoothed_once_and_others_coarsened() {
        // The 5-point stencil's off-diagonal ratio is 4 / (4 + shift): 0.8
        // at shift 1 (not coarsened, one symmetric sweep), 0.95 at 0.2
        // (coarsened). Either way a preconditioner that contracts.
        let dominant = poisson(64, 1.0);
        let amg = Amg::new(dominant.clone(), None).unwrap();
        assert_eq!(amg.sizes(), vec![64 * 64]);
        assert!(matches!(amg.coarsest, Coarsest::Smooth { sweeps: 1, .. }));
        let rate = contraction(&dominant, 8);
        // Measured 0.26 per symmetric sweep.
        assert!(rate < 0.35, "{rate}");
        let weak = poisson(64, 0.2);
        assert!(Amg::new(weak.clone(), None).unwrap().sizes().len() > 1);
        assert!(contraction(&weak, 8) < 0.35);
    }

    #[test]
    fn the_galerkin_product_is_exact() {
        // Pᵀ A P against dense products.
        let a = poisson(30, 0.5);
        let inv = a.inverse_diagonal().unwrap();
        let (agg, nc) = aggregate(&a, &inv);
        let p = prolongator(&a, &inv, off_diagonal_ratio(&a, &inv), &agg, nc);
        let coarse = p.transpose().matmul(&a.matmul(&p, false), true);
        let dense = |m: &Csr| {
            let mut d = vec![vec![0.0; m.cols]; m.rows];
            for (i, row) in d.iter_mut().enumerate() {
                let (c, v) = m.row(i);
                c.iter().zip(v).for_each(|(&j, &x)| row[j] += x);
            }
            d
        };
        let (da, dp, dc) = (dense(&a), dense(&p), dense(&coarse));
        let n = a.rows();
        let ap: Vec<Vec<f64>> =
            (0..n).map(|k| (0..nc).map(|j| (0..n).map(|l| da[k][l] * dp[l][j]).sum()).collect()).collect();
        for i in 0..nc {
            for j in 0..nc {
                let want: f64 = (0..n).map(|k| dp[k][i] * ap[k][j]).sum();
                assert!((dc[i][j] - want).abs() <= 1e-12 * (1.0 + want.abs()), "({i}, {j}): {} vs {want}", dc[i][j]);
            }
        }
    }

    #[test]
    fn bad_diagonals_are_reported_with_their_row() {
        let mut a = poisson(4, 0.0);
        let k = a.ptr[5] + a.row(5).0.iter().position(|&j| j == 5).unwrap();
        a.val[k] = 0.0;
        assert_eq!(Amg::new(a.clone(), None).err(), Some(5));
        a.val[k] = f64::NAN;
        assert_eq!(Amg::new(a, None).err(), Some(5));
    }
}

//! A convex QP Hessian from the exact Hessian of the Lagrangian, by
//! augmented-Lagrangian convexification with an inertia test.
//!
//! The QP of an SQP step needs a positive semidefinite matrix (clarabel
//! solves convex QPs), while the Hessian H of the Lagrangian is only
//! positive definite on the null space of the active constraints (at a
//! strict local minimum). For large enough ρ, H + ρ·A_ᵀWA_ (A_ the
//! Jacobian of the equality and active constraints, plus unit rows for the
//! active bounds; W = diag(1/‖aᵢ‖²) scales each row to unit length) is
//! then positive definite (Debreu's lemma), and on the QP's feasible set
//! with that active set the extra term is constant: the QP step is the
//! exact SQP step, and the multipliers are recovered as λ = λ' + ρ·WA_d.
//! Without W, ρ would be set by the largest rows and the short ones would
//! need it orders of magnitude larger (the shuttle's Jacobian spans 1e-20
//! to 1e2): the QP then became too ill-conditioned for clarabel, and the
//! Newton model was rarely convex (116 iterations on Radau 30; 12 with W).
//! ρ grows by factors of ten from the Hessian's scale until an LDLᵀ factorization
//! (QDLDL, from clarabel) shows n positive pivots; if none does, a
//! diagonal shift δI is added as in IPOPT's inertia correction.
//!
//! # Reference
//! Nocedal & Wright, *Numerical Optimization*, 2nd ed., §17.3 and
//! Theorem 12.6 (augmented Lagrangian, Debreu's lemma); Wächter & Biegler,
//! Math. Program. 106 (2006), §3.1 (inertia correction).

use crate::integrate::linalg::CscPattern;
use clarabel::algebra::CscMatrix;
use clarabel::qdldl::{QDLDLFactorisation, QDLDLSettingsBuilder};

/// The fixed pattern of P = H + ρ AᵀWA + δI (upper triangle, CSC) and the
/// maps that fill it.
pub(crate) struct Convexifier {
    n: usize,
    /// P with its pattern; values rewritten each iteration.
    pub p: CscMatrix<f64>,
    /// Position of each Hessian triplet in `p.nzval`.
    h_pos: Vec<usize>,
    diag_pos: Vec<usize>,
    /// Jacobian triplets of each row: (triplet index, column).
    rows: Vec<Vec<(usize, usize)>>,
    /// Positions in `p.nzval` of the products of each row's entry pairs (a ≤ b).
    pair_pos: Vec<Vec<usize>>,
    fact: Option<QDLDLFactorisation<f64>>,
    /// ρ of the last successful matrix.
    pub rho: f64,
    /// δ of the last successful matrix.
    pub delta: f64,
    /// Each row's weight in ρ A_ᵀWA_: 1/‖aᵢ‖² (0 for an empty row).
    pub weight: Vec<f64>,
}

impl Convexifier {
    pub fn new(n: usize, m: usize, h_idx: &[(usize, usize)], j_idx: &[(usize, usize)]) -> Self {
        let mut rows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); m];
        for (k, &(r, c)) in j_idx.iter().enumerate() {
            rows[r].push((k, c));
        }
        for r in &mut rows {
            r.sort_by_key(|&(_, c)| c);
        }
        // Pattern: upper (r ≤ c) entries.
        let mut keys: Vec<(usize, usize)> = (0..n).map(|i| (i, i)).collect();
        keys.extend(h_idx.iter().map(|&(r, c)| (c.min(r), c.max(r))));
        for r in &rows {
            for a in 0..r.len() {
                for b in a..r.len() {
                    keys.push((r[a].1, r[b].1));
                }
            }
        }
        let (pattern, _) = CscPattern::new(n, n, &keys).expect("Hessian keys inside the n × n matrix");
        let at = |r: usize, c: usize| pattern.position(r, c).expect("a key of the pattern");
        let h_pos = h_idx.iter().map(|&(r, c)| at(c.min(r), c.max(r))).collect();
        let diag_pos = (0..n).map(|i| at(i, i)).collect();
        let pair_pos = rows
            .iter()
            .map(|r| {
                let mut v = Vec::with_capacity(r.len() * (r.len() + 1) / 2);
                for a in 0..r.len() {
                    for b in a..r.len() {
                        v.push(at(r[a].1, r[b].1));
                    }
                }
                v
            })
            .collect();
        let nnz = pattern.nnz();
        let (colptr, rowval) = pattern.into_parts();
        let p = CscMatrix::new(n, n, colptr, rowval, vec![0.0; nnz]);
        Convexifier { n, p, h_pos, diag_pos, rows, pair_pos, fact: None, rho: 0.0, delta: 0.0, weight: vec![1.0; m] }
    }

    fn fill(&mut self, h: &[f64], jval: &[f64], active_rows: &[bool], active_vars: &[bool], rho: f64, delta: f64) {
        let v = &mut self.p.nzval;
        v.fill(0.0);
        for (&pos, &x) in self.h_pos.iter().zip(h) {
            v[pos] += x;
        }
        for (i, &pos) in self.diag_pos.iter().enumerate() {
            v[pos] += delta + if active_vars[i] { rho } else { 0.0 };
        }
        if rho > 0.0 {
            for (r, row) in self.rows.iter().enumerate() {
                if !active_rows[r] {
                    continue;
                }
                let mut k = 0;
                let rho = rho * self.weight[r];
                for a in 0..row.len() {
                    for b in a..row.len() {
                        // Each (a, b) entry appears once in the upper triangle.
                        v[self.pair_pos[r][k]] += rho * jval[row[a].0] * jval[row[b].0];
                        k += 1;
                    }
                }
            }
        }
    }

    /// Whether the current `p` is positive definite (n positive pivots).
    fn positive_definite(&mut self) -> bool {
        if self.p.nzval.iter().any(|x| !x.is_finite()) {
            return false;
        }
        let fresh = self.fact.is_none();
        if fresh {
            let settings =
                QDLDLSettingsBuilder::default().regularize_enable(false).build().expect("valid QDLDL settings");
            match QDLDLFactorisation::new(&self.p, Some(settings)) {
                Ok(f) => self.fact = Some(f),
                Err(_) => return false,
            }
        }
        let f = self.fact.as_mut().expect("factorization");
        if !fresh {
            let idx: Vec<usize> = (0..self.p.nzval.len()).collect();
            f.update_values(&idx, &self.p.nzval);
            if f.refactor().is_err() {
                return false;
            }
        }
        f.positive_inertia() == self.n && f.D.iter().all(|d| d.is_finite() && *d > 0.0)
    }

    /// Fill `p` with a positive definite H + ρ A_ᵀWA_ + δI; returns (ρ, δ).
    pub fn convexify(&mut self, h: &[f64], jval: &[f64], active_rows: &[bool], active_vars: &[bool]) -> (f64, f64) {
        let hmax = h.iter().fold(0.0f64, |a, x| a.max(x.abs())).max(1e-8);
        for (w, row) in self.weight.iter_mut().zip(&self.rows) {
            let norm2: f64 = row.iter().map(|&(k, _)| jval[k] * jval[k]).sum();
            *w = if norm2 > 0.0 { norm2.recip() } else { 0.0 };
        }
        let tiny = 1e-10 * hmax;
        self.fill(h, jval, active_rows, active_vars, 0.0, tiny);
        if self.positive_definite() {
            (self.rho, self.delta) = (0.0, tiny);
            return (0.0, tiny);
        }
        // Rows of unit length: ρ on the Hessian's scale. Start from the
        // last working ρ when there is one (as IPOPT's δ).
        let rho0 = hmax;
        let mut rho = if self.rho > 0.0 { (self.rho / 10.0).max(rho0) } else { rho0 };
        while rho <= 1e7 * rho0 {
            self.fill(h, jval, active_rows, active_vars, rho, tiny);
            if self.positive_definite() {
                (self.rho, self.delta) = (rho, tiny);
                return (rho, tiny);
            }
            rho *= 10.0;
        }
        // Not convex on the null space: a diagonal shift on top (IPOPT's
        // inertia correction), smallest of δ₀·4ᵏ that works.
        let rho = 100.0 * rho0;
        let mut delta = if self.delta > tiny { (self.delta / 3.0).max(1e-6 * hmax) } else { 1e-4 * hmax };
        loop {
            self.fill(h, jval, active_rows, active_vars, rho, delta);
            if self.positive_definite() || delta > 1e12 * hmax {
                (self.rho, self.delta) = (rho, delta);
                return (rho, delta);
            }
            delta *= 4.0;
        }
    }

    /// P = B (dense, row-major n × n) + δI, for quasi-Newton matrices.
    pub fn dense(&mut self, b: &[f64], delta: f64) -> CscMatrix<f64> {
        let n = self.n;
        let mut t = Vec::new();
        for c in 0..n {
            for r in 0..=c {
                let x = b[r * n + c] + if r == c { delta } else { 0.0 };
                if x != 0.0 || r == c {
                    t.push((r, c, x));
                }
            }
        }
        let mut colptr = vec![0usize; n + 1];
        let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
        for (r, c, x) in t {
            colptr[c + 1] += 1;
            rowval.push(r);
            nzval.push(x);
        }
        for c in 0..n {
            colptr[c + 1] += colptr[c];
        }
        CscMatrix::new(n, n, colptr, rowval, nzval)
    }
}

#[cfg(test)]
mod tests {
    use super::Convexifier;

    /// H = diag(2, −1.5, −1.5), positive on the null space of the rows
    /// a₁ = (0, 1, 0) and a₂ = (0, 0, s): with rows weighted to unit
    /// length, the convex matrix and its ρ do not depend on the scale s.
    /// (Unweighted, s = 1e-6 needed ρ ≥ 1.5e12 — past the range, so a
    /// diagonal shift.)
    #[test]
    fn row_scale_does_not_change_the_convex_matrix() {
        let h = [2.0, -1.5, -1.5];
        let hidx = [(0, 0), (1, 1), (2, 2)];
        let jidx = [(0, 1), (1, 2)];
        let run = |s: f64| {
            let mut c = Convexifier::new(3, 2, &hidx, &jidx);
            let (rho, delta) = c.convexify(&h, &[1.0, s], &[true, true], &[false; 3]);
            (rho, delta, c.p.nzval.clone(), c.weight.clone())
        };
        let (rho, delta, p, w) = run(1.0);
        // ρ starts at max |Hᵢⱼ| = 2, which makes H + ρAᵀWA = diag(2, 0.5, 0.5) + δI.
        assert_eq!(rho, 2.0);
        assert_eq!(delta, 2e-10);
        assert_eq!(w, [1.0, 1.0]);
        let (rho_s, delta_s, p_s, w_s) = run(1e-6);
        assert_eq!((rho_s, delta_s), (rho, delta));
        assert!((w_s[1] - 1e12).abs() < 1e-3);
        for (a, b) in p.iter().zip(&p_s) {
            assert!((a - b).abs() < 1e-12 * (1.0 + a.abs()), "{p:?} against {p_s:?}");
        }
    }
}

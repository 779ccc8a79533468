//! A QP solved from a guess of its active set: the SQP's warm start.
//!
//! Near a solution an SQP's QPs keep their active set from one iteration
//! to the next. Given a guess W — the equalities and fixed variables, and
//! the inequalities and bounds held at one of their bounds — the QP's KKT
//! conditions restricted to W are one linear system,
//!
//! ```text
//! [ P    A_Wᵀ ] [ d ]   [ −c  ]
//! [ A_W  0    ] [ y ] = [ b_W ]
//! ```
//!
//! If d satisfies the inequalities outside W and every multiplier in y has
//! the sign of the bound it holds, (d, y) satisfies the KKT conditions of
//! the whole QP, which for a convex QP are sufficient: it is a solution,
//! found with one factorization where an interior-point solve takes a
//! dozen. Otherwise the guess is corrected — violated inequalities added,
//! wrong-signed multipliers dropped, the primal–dual active-set method of
//! Hintermüller, Ito & Kunisch (SIAM J. Optim. 13, 2002) — a few times
//! before the caller falls back to the interior-point solver.
//!
//! The system is quasi-definite after a static regularization ±ε on the
//! diagonal, factored by clarabel's QDLDL, and the regularization removed
//! by iterative refinement against the exact matrix; a system that
//! refinement cannot solve (a singular P on the null space of A_W, or
//! dependent rows) is not used.

use super::{Qp, QpSolution, QpStatus};
use crate::integrate::linalg::CscPattern;
use clarabel::algebra::CscMatrix;
use clarabel::qdldl::{QDLDLFactorisation, QDLDLSettingsBuilder};

/// Which inequalities and bounds a QP's solution holds: per constraint row
/// and per variable, +1 at the upper bound, −1 at the lower, 0 neither
/// (equalities and fixed variables are always held).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ActiveSet {
    pub rows: Vec<i8>,
    pub vars: Vec<i8>,
}

impl ActiveSet {
    /// Nothing held but the equalities.
    pub fn empty(m: usize, n: usize) -> Self {
        ActiveSet { rows: vec![0; m], vars: vec![0; n] }
    }
}

/// Guesses tried (one factorization each) before giving up.
const MAX_SOLVES: u32 = 4;
/// The static regularization of the quasi-definite system.
const EPS: f64 = 1e-9;

/// One held row of the equality-constrained QP: a constraint row or a
/// variable, and the value of its bound.
#[derive(Clone, Copy)]
enum Held {
    Row(usize, f64),
    Var(usize, f64),
}

impl Qp<'_> {
    /// The QP's solution from the active set `guess`, or `None` when a few
    /// corrections of the guess do not give one (see the module's text).
    pub(super) fn solve_active(&self, guess: &ActiveSet) -> Option<QpSolution> {
        let (n, m) = (self.n, self.m);
        if self.elastic.is_some() || guess.rows.len() != m || guess.vars.len() != n {
            return None;
        }
        let mut set = guess.clone();
        for (s, (&l, &u)) in set.rows.iter_mut().zip(self.rl.iter().zip(self.ru)) {
            *s = side(*s, l, u);
        }
        for (s, (&l, &u)) in set.vars.iter_mut().zip(self.dl.iter().zip(self.du)) {
            *s = side(*s, l, u);
        }
        let scale = 1.0 + self.c.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let mut by_row: Vec<Vec<(usize, f64)>> = vec![Vec::new(); m];
        for (&(r, c), &v) in self.j_idx.iter().zip(self.j_val) {
            by_row[r].push((c, v));
        }
        for solves in 1..=MAX_SOLVES {
            let (d, lambda, z) = self.equality_qp(&set, &by_row)?;
            let mut jd = vec![0.0; m];
            for (&(r, c), &v) in self.j_idx.iter().zip(self.j_val) {
                jd[r] += v * d[c];
            }
            let tol_d = 1e-9 * scale;
            let rows = correct(&mut set.rows, &jd, &lambda, self.rl, self.ru, tol_d);
            let vars = correct(&mut set.vars, &d, &z, self.dl, self.du, tol_d);
            if !(rows || vars) {
                return Some(QpSolution {
                    status: QpStatus::Solved,
                    d,
                    lambda,
                    z,
                    slack: vec![0.0; m],
                    iterations: solves,
                    active: set,
                });
            }
        }
        None
    }

    /// Solve the QP with the constraints of `set` as equalities (`by_row`:
    /// the Jacobian's entries row by row): the step, the rows' and the
    /// variables' multipliers (zero off the set).
    fn equality_qp(&self, set: &ActiveSet, by_row: &[Vec<(usize, f64)>]) -> Option<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        let (n, m) = (self.n, self.m);
        let held: Vec<Held> = (0..m)
            .filter_map(|r| bound_of(set.rows[r], self.rl[r], self.ru[r]).map(|b| Held::Row(r, b)))
            .chain((0..n).filter_map(|i| bound_of(set.vars[i], self.dl[i], self.du[i]).map(|b| Held::Var(i, b))))
            .collect();
        let dim = n + held.len();
        // The upper triangle of the KKT matrix, column by column.
        let mut t: Vec<(usize, usize, f64)> = (0..dim).map(|j| (j, j, 0.0)).collect();
        for c in 0..n {
            for k in self.p.colptr[c]..self.p.colptr[c + 1] {
                t.push((self.p.rowval[k], c, self.p.nzval[k]));
            }
        }
        let mut rhs: Vec<f64> = self.c.iter().map(|v| -v).collect();
        for (k, h) in held.iter().enumerate() {
            match *h {
                Held::Row(r, b) => {
                    t.extend(by_row[r].iter().map(|&(c, v)| (c, n + k, v)));
                    rhs.push(b);
                }
                Held::Var(i, b) => {
                    t.push((i, n + k, 1.0));
                    rhs.push(b);
                }
            }
        }
        let (pattern, exact) = CscPattern::from_triplets(dim, dim, &[t]).ok()?;
        let diag: Vec<usize> = (0..dim).map(|j| pattern.position(j, j).expect("diagonal entry")).collect();
        let (colptr, rowval) = pattern.into_parts();
        let mut reg = exact.clone();
        for (j, &k) in diag.iter().enumerate() {
            reg[k] += if j < n { EPS } else { -EPS };
        }
        let k_exact = CscMatrix::new(dim, dim, colptr.clone(), rowval.clone(), exact);
        let signs: Vec<i8> = (0..dim).map(|j| if j < n { 1 } else { -1 }).collect();
        let settings = QDLDLSettingsBuilder::default().Dsigns(signs).build().ok()?;
        let mut ldl = QDLDLFactorisation::new(&CscMatrix::new(dim, dim, colptr, rowval, reg), Some(settings)).ok()?;
        let x = refine(&mut ldl, &k_exact, &rhs)?;
        let (mut lambda, mut z) = (vec![0.0; m], vec![0.0; n]);
        for (k, h) in held.iter().enumerate() {
            match *h {
                Held::Row(r, _) => lambda[r] = x[n + k],
                Held::Var(i, _) => z[i] = x[n + k],
            }
        }
        Some((x[..n].to_vec(), lambda, z))
    }
}

/// A guessed side, kept only where that bound is finite and the two
/// bounds differ (an equality is held anyway).
fn side(s: i8, l: f64, u: f64) -> i8 {
    match s {
        _ if l == u => 0,
        1 if u.is_finite() => 1,
        -1 if l.is_finite() => -1,
        _ => 0,
    }
}

/// The value a held constraint is held at: an equality's, or the bound on
/// `side`.
fn bound_of(side: i8, l: f64, u: f64) -> Option<f64> {
    match side {
        _ if l == u => Some(u),
        1 => Some(u),
        -1 => Some(l),
        _ => None,
    }
}

/// One correction of the guess from a solve with values `v` (J d or d)
/// and multipliers `mult`: a free constraint outside its bounds is held at
/// the bound it crosses, a held one whose multiplier has the wrong sign
/// (λ ≥ 0 at an upper bound, ≤ 0 at a lower) is freed. Whether anything
/// changed.
fn correct(sides: &mut [i8], v: &[f64], mult: &[f64], lo: &[f64], up: &[f64], tol_d: f64) -> bool {
    let mut changed = false;
    for (i, s) in sides.iter_mut().enumerate() {
        if lo[i] == up[i] {
            continue;
        }
        let tol_p = |b: f64| 1e-9 * (1.0 + b.abs());
        let next = match *s {
            0 if v[i] > up[i] + tol_p(up[i]) => 1,
            0 if v[i] < lo[i] - tol_p(lo[i]) => -1,
            1 if mult[i] < -tol_d => 0,
            -1 if mult[i] > tol_d => 0,
            keep => keep,
        };
        changed |= next != *s;
        *s = next;
    }
    changed
}

/// y = K x for a symmetric K stored as its upper triangle.
fn upper_times(k: &CscMatrix<f64>, x: &[f64], y: &mut [f64]) {
    y.fill(0.0);
    for c in 0..k.n {
        for idx in k.colptr[c]..k.colptr[c + 1] {
            let (r, v) = (k.rowval[idx], k.nzval[idx]);
            y[r] += v * x[c];
            if r != c {
                y[c] += v * x[r];
            }
        }
    }
}

/// x = K⁻¹ b by the regularized factorization, refined against the exact
/// (symmetric, upper-stored) K until the residual is at rounding level;
/// `None` when it does not get below 1e-9 relative.
fn refine(ldl: &mut QDLDLFactorisation<f64>, k: &CscMatrix<f64>, b: &[f64]) -> Option<Vec<f64>> {
    let bmax = b.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let mut x = b.to_vec();
    ldl.solve(&mut x);
    let mut res = vec![0.0; b.len()];
    for step in 0.. {
        upper_times(k, &x, &mut res);
        for (r, bi) in res.iter_mut().zip(b) {
            *r = bi - *r;
        }
        // (NaN fails every comparison: `f64::max` would skip it.)
        if !res.iter().all(|v| v.is_finite()) {
            return None;
        }
        let rmax = res.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if rmax <= 1e-14 * (1.0 + bmax) || step == 8 {
            return (rmax <= 1e-9 * (1.0 + bmax)).then_some(x);
        }
        ldl.solve(&mut res);
        for (xi, r) in x.iter_mut().zip(&res) {
            *xi += r;
        }
    }
    unreachable!("the loop returns at step 8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A convex QP in 6 variables: P = BᵀB + 0.1 I, one equality row,
    /// two inequality rows, box bounds on d; d = 0 is feasible.
    struct Case {
        p: CscMatrix<f64>,
        c: Vec<f64>,
        j_idx: Vec<(usize, usize)>,
        j_val: Vec<f64>,
        rl: Vec<f64>,
        ru: Vec<f64>,
        dl: Vec<f64>,
        du: Vec<f64>,
    }

    const N: usize = 6;
    const M: usize = 3;

    fn case(b: &[f64], c: &[f64], a: &[f64], width: f64) -> Case {
        let mut t = Vec::new();
        for col in 0..N {
            for row in 0..=col {
                let v: f64 =
                    (0..N).map(|k| b[k * N + row] * b[k * N + col]).sum::<f64>() + if row == col { 0.1 } else { 0.0 };
                t.push((row, col, v));
            }
        }
        let (pattern, values) = CscPattern::from_triplets(N, N, &[t]).unwrap();
        let (colptr, rowval) = pattern.into_parts();
        let j_idx: Vec<(usize, usize)> = (0..M).flat_map(|r| (0..N).map(move |c| (r, c))).collect();
        Case {
            p: CscMatrix::new(N, N, colptr, rowval, values),
            c: c.to_vec(),
            j_idx,
            j_val: a.to_vec(),
            rl: vec![0.0, -width, f64::NEG_INFINITY],
            ru: vec![0.0, width, width],
            dl: vec![-width; N],
            du: (0..N).map(|i| if i == 0 { f64::INFINITY } else { width }).collect(),
        }
    }

    fn qp<'a>(k: &'a Case, warm: Option<&'a ActiveSet>) -> Qp<'a> {
        Qp {
            n: N,
            m: M,
            p: &k.p,
            c: &k.c,
            j_idx: &k.j_idx,
            j_val: &k.j_val,
            rl: &k.rl,
            ru: &k.ru,
            dl: &k.dl,
            du: &k.du,
            elastic: None,
            warm,
        }
    }

    /// The KKT residuals of `s`: stationarity, feasibility, and the worst
    /// multiplier of the wrong sign or off its bound.
    fn kkt(k: &Case, s: &QpSolution) -> (f64, f64, f64) {
        let mut r = vec![0.0; N];
        upper_times(&k.p, &s.d, &mut r);
        for (ri, ci) in r.iter_mut().zip(&k.c) {
            *ri += ci;
        }
        let mut jd = [0.0; M];
        for (&(row, col), &v) in k.j_idx.iter().zip(&k.j_val) {
            jd[row] += v * s.d[col];
            r[col] += v * s.lambda[row];
        }
        let stat = (0..N).map(|i| (r[i] + s.z[i]).abs()).fold(0.0, f64::max);
        let out = |v: f64, l: f64, u: f64| (l - v).max(v - u).max(0.0);
        let feas = (0..M).map(|i| out(jd[i], k.rl[i], k.ru[i])).chain((0..N).map(|i| out(s.d[i], k.dl[i], k.du[i])));
        // Complementarity and sign: a multiplier λ > 0 needs the upper
        // bound reached, λ < 0 the lower one.
        let comp = |v: f64, mult: f64, l: f64, u: f64| {
            if mult > 0.0 { mult * (u - v).abs().min(1.0) } else { -mult * (v - l).abs().min(1.0) }
        };
        let compl = (0..M)
            .map(|i| comp(jd[i], s.lambda[i], k.rl[i], k.ru[i]))
            .chain((0..N).map(|i| comp(s.d[i], s.z[i], k.dl[i], k.du[i])));
        (stat, feas.fold(0.0, f64::max), compl.fold(0.0, f64::max))
    }

    #[test]
    fn a_box_constrained_qp_is_solved_from_a_wrong_guess() {
        // min ½‖d‖² − 2 d₀ + 0.5 d₁ in the box [−1, 1]: d = (1, −0.5, 0, …),
        // z₀ = 1 (held at the upper bound).
        let mut b = vec![0.0; N * N];
        for i in 0..N {
            b[i * N + i] = (0.9f64).sqrt();
        }
        let mut k = case(&b, &[-2.0, 0.5, 0.0, 0.0, 0.0, 0.0], &[0.0; M * N], 1.0);
        k.du[0] = 1.0;
        let mut guess = ActiveSet::empty(M, N);
        guess.vars[1] = 1;
        let s = qp(&k, None).solve_active(&guess).expect("solved");
        assert_eq!(s.status, QpStatus::Solved);
        assert!((s.d[0] - 1.0).abs() < 1e-12 && (s.d[1] + 0.5).abs() < 1e-12, "{:?}", s.d);
        assert!((s.z[0] - 1.0).abs() < 1e-12 && s.z[1] == 0.0);
        assert_eq!(s.active.vars[..2], [1, 0]);
        assert_eq!(s.iterations, 2);
    }

    #[test]
    fn an_infeasible_qp_is_left_to_the_interior_point_solver() {
        // 0·d = 1 cannot hold: no guess solves it, and clarabel says why.
        let b = vec![0.0; N * N];
        let mut k = case(&b, &[1.0; N], &[0.0; M * N], 1.0);
        (k.rl[0], k.ru[0]) = (1.0, 1.0);
        let none = ActiveSet::empty(M, N);
        assert!(qp(&k, None).solve_active(&none).is_none());
        assert_eq!(qp(&k, Some(&none)).solve().status, QpStatus::Infeasible);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// From any guess the solution is clarabel's (to its tolerance)
        /// and satisfies the KKT conditions to rounding.
        #[test]
        fn warm_solutions_are_the_qp_solutions(
            b in prop::collection::vec(-1.0..1.0f64, N * N),
            c in prop::collection::vec(-3.0..3.0f64, N),
            a in prop::collection::vec(-1.0..1.0f64, M * N),
            width in 0.1..2.0f64,
            rows in prop::collection::vec(-1..=1i8, M),
            vars in prop::collection::vec(-1..=1i8, N),
        ) {
            let k = case(&b, &c, &a, width);
            let guess = ActiveSet { rows, vars };
            let cold = qp(&k, None).solve();
            prop_assert_eq!(cold.status, QpStatus::Solved);
            let warm = qp(&k, Some(&guess)).solve();
            prop_assert_eq!(warm.status, QpStatus::Solved);
            for (x, y) in warm.d.iter().zip(&cold.d) {
                prop_assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{:?} vs {:?}", warm.d, cold.d);
            }
            let (stat, feas, compl) = kkt(&k, &warm);
            let scale = 1.0 + c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            prop_assert!(stat <= 1e-8 * scale && feas <= 1e-8 && compl <= 1e-8 * scale, "{stat:e} {feas:e} {compl:e}");
            if let Some(exact) = qp(&k, None).solve_active(&guess) {
                let (stat, feas, compl) = kkt(&k, &exact);
                prop_assert!(stat <= 1e-9 * scale && feas <= 1e-9 && compl <= 1e-9 * scale, "{stat:e} {feas:e} {compl:e}");
            }
        }
    }
}

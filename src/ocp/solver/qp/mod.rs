//! The convex QP subproblem of the SQP, solved by clarabel.
//!
//! minimize ½ dᵀ(H + δI)d + cᵀd subject to r_L ≤ J d ≤ r_U (rows of the
//! linearized constraints), d_L ≤ d ≤ d_U (the variable bounds shifted to
//! the current point), and, in elastic mode, r_L ≤ J d + p − q ≤ r_U with
//! p, q ≥ 0 penalized by ρ·Σ(p + q) (Fletcher's Sℓ1QP; Nocedal & Wright,
//! *Numerical Optimization*, 2nd ed., §18.3, eq. 18.12).
//!
//! A QP with a guess of its active set (the last QP's) is first solved
//! from that guess ([`active`]); clarabel solves it when the guess does
//! not lead to the solution.

mod active;

pub(crate) use active::ActiveSet;

use crate::integrate::linalg::CscPattern;
use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};

/// Outcome of one QP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QpStatus {
    Solved,
    /// Stopped short of clarabel's tolerances with small residuals (see
    /// [`Qp::solve`]); the SQP uses it when nothing better is found.
    Inexact,
    Infeasible,
    Unbounded,
    Failed,
}

/// A QP in the SQP's terms. Jacobian and Hessian are triplets.
pub(crate) struct Qp<'a> {
    pub n: usize,
    pub m: usize,
    /// Upper triangle of the (convex) QP Hessian, n × n.
    pub p: &'a CscMatrix<f64>,
    pub c: &'a [f64],
    pub j_idx: &'a [(usize, usize)],
    pub j_val: &'a [f64],
    /// Row bounds of J d (±∞ allowed).
    pub rl: &'a [f64],
    pub ru: &'a [f64],
    /// Bounds of d.
    pub dl: &'a [f64],
    pub du: &'a [f64],
    /// Elastic penalty ρ (None: hard constraints).
    pub elastic: Option<f64>,
    /// A guess of the active set (a warm start), or none.
    pub warm: Option<&'a ActiveSet>,
}

/// Solution of a QP.
pub(crate) struct QpSolution {
    pub status: QpStatus,
    pub d: Vec<f64>,
    /// Multipliers of the rows (λ in ∇f + Jᵀλ = 0 convention).
    pub lambda: Vec<f64>,
    /// Multipliers of the variable bounds (∇f + Jᵀλ + z = 0 convention).
    pub z: Vec<f64>,
    /// Elastic slack sum Σ(p + q) per row, as |p − q| (zero when hard).
    pub slack: Vec<f64>,
    /// Factorizations of the active-set solve, or clarabel's iterations.
    pub iterations: u32,
    /// The inequalities and bounds the solution holds.
    pub active: ActiveSet,
}

/// Triplets → CSC (duplicates summed).
fn csc(rows: usize, cols: usize, t: Vec<(usize, usize, f64)>) -> CscMatrix<f64> {
    let entries: Vec<(usize, usize)> = t.iter().map(|&(r, c, _)| (r, c)).collect();
    let (pattern, positions) = CscPattern::new(rows, cols, &entries).expect("triplets inside the matrix");
    let mut nzval = vec![0.0; pattern.nnz()];
    for (&k, &(_, _, v)) in positions.iter().zip(&t) {
        nzval[k] += v;
    }
    let (colptr, rowval) = pattern.into_parts();
    CscMatrix::new(rows, cols, colptr, rowval, nzval)
}

impl Qp<'_> {
    /// Solve: from the guess of the active set if there is one and it
    /// leads to the solution, else by clarabel.
    pub fn solve(&self) -> QpSolution {
        if let Some(sol) = self.warm.and_then(|guess| self.solve_active(guess)) {
            return sol;
        }
        let sol = self.solve_interior();
        if sol.status != QpStatus::Solved || self.elastic.is_some() {
            return sol;
        }
        // Polish: the exact solution on the active set clarabel found.
        match self.solve_active(&sol.active) {
            Some(exact) => QpSolution { iterations: sol.iterations + exact.iterations, ..exact },
            None => sol,
        }
    }

    /// Solve by clarabel's interior-point method; rows of infinite bounds
    /// are left out.
    fn solve_interior(&self) -> QpSolution {
        let n = self.n;
        let ne = if self.elastic.is_some() { 2 * self.m } else { 0 };
        let nv = n + ne;
        // Objective; elastic variables add empty columns.
        let mut colptr = self.p.colptr.clone();
        let last = *colptr.last().expect("n + 1 column pointers");
        colptr.extend(std::iter::repeat_n(last, ne));
        let p = CscMatrix::new(nv, nv, colptr, self.p.rowval.clone(), self.p.nzval.clone());
        let mut q = self.c.to_vec();
        if let Some(rho) = self.elastic {
            q.extend(std::iter::repeat_n(rho, ne));
        }
        // Rows of J by constraint, for the two kinds of cone.
        let mut by_row: Vec<Vec<(usize, f64)>> = vec![Vec::new(); self.m];
        for (&(r, c), &v) in self.j_idx.iter().zip(self.j_val) {
            by_row[r].push((c, v));
        }
        let mut at: Vec<(usize, usize, f64)> = Vec::new();
        let mut b = Vec::new();
        // (row of A, constraint index, sign): λ = Σ sign · z.
        let mut owner: Vec<(usize, f64)> = Vec::new();
        let push = |at: &mut Vec<(usize, usize, f64)>,
                    owner: &mut Vec<(usize, f64)>,
                    i: usize,
                    sign: f64,
                    rhs: f64,
                    b: &mut Vec<f64>| {
            let row = b.len();
            for &(c, v) in &by_row[i] {
                at.push((row, c, sign * v));
            }
            if self.elastic.is_some() {
                at.push((row, n + 2 * i, sign));
                at.push((row, n + 2 * i + 1, -sign));
            }
            b.push(rhs);
            owner.push((i, sign));
        };
        // Equalities first (zero cone).
        for i in 0..self.m {
            if self.rl[i] == self.ru[i] {
                push(&mut at, &mut owner, i, 1.0, self.ru[i], &mut b);
            }
        }
        let mut fixed = Vec::new();
        for i in 0..n {
            if self.dl[i] == self.du[i] {
                fixed.push(i);
            }
        }
        let mut bound_owner: Vec<(usize, usize, f64)> = Vec::new();
        for &i in &fixed {
            bound_owner.push((b.len(), i, 1.0));
            at.push((b.len(), i, 1.0));
            b.push(self.du[i]);
            owner.push((usize::MAX, 0.0));
        }
        let n_eq = b.len();
        for i in 0..self.m {
            if self.rl[i] == self.ru[i] {
                continue;
            }
            if self.ru[i].is_finite() {
                push(&mut at, &mut owner, i, 1.0, self.ru[i], &mut b);
            }
            if self.rl[i].is_finite() {
                push(&mut at, &mut owner, i, -1.0, -self.rl[i], &mut b);
            }
        }
        for i in 0..n {
            if self.dl[i] == self.du[i] {
                continue;
            }
            if self.du[i].is_finite() {
                bound_owner.push((b.len(), i, 1.0));
                at.push((b.len(), i, 1.0));
                b.push(self.du[i]);
                owner.push((usize::MAX, 0.0));
            }
            if self.dl[i].is_finite() {
                bound_owner.push((b.len(), i, -1.0));
                at.push((b.len(), i, -1.0));
                b.push(-self.dl[i]);
                owner.push((usize::MAX, 0.0));
            }
        }
        for e in 0..ne {
            at.push((b.len(), n + e, -1.0));
            b.push(0.0);
            owner.push((usize::MAX, 0.0));
        }
        let rows = b.len();
        let a = csc(rows, nv, at);
        let mut cones = Vec::with_capacity(2);
        if n_eq > 0 {
            cones.push(SupportedConeT::ZeroConeT(n_eq));
        }
        if rows > n_eq {
            cones.push(SupportedConeT::NonnegativeConeT(rows - n_eq));
        }
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .max_iter(100)
            .tol_gap_abs(1e-8)
            .tol_gap_rel(1e-8)
            .tol_feas(1e-8)
            .presolve_enable(false)
            // Iterative refinement stays on: without it a QP takes 25%
            // fewer instructions, but the multipliers of LP-like QPs (the
            // double integrator) are then too inaccurate to converge.
            .build()
            .expect("valid clarabel settings");
        let failed = |status| QpSolution {
            status,
            d: vec![0.0; n],
            lambda: vec![0.0; self.m],
            z: vec![0.0; n],
            slack: vec![0.0; self.m],
            iterations: 0,
            active: ActiveSet::empty(self.m, n),
        };
        let Ok(mut solver) = DefaultSolver::new(&p, &q, &a, &b, &cones, settings) else {
            return failed(QpStatus::Failed);
        };
        solver.solve();
        let sol = &solver.solution;

        // An interior-point run that stalls close to the solution (its
        // last steps lost progress or met numerical trouble) still gives a
        // usable step when its residuals are small (`Inexact`): the SQP's
        // line search and KKT test judge the step on the NLP itself.
        let nearly = sol.r_prim <= 1e-7
            && sol.r_dual <= 1e-6
            && (sol.obj_val - sol.obj_val_dual).abs() <= 1e-3 * sol.obj_val.abs().max(1.0);
        let status = match sol.status {
            SolverStatus::Solved | SolverStatus::AlmostSolved => QpStatus::Solved,
            SolverStatus::NumericalError | SolverStatus::InsufficientProgress | SolverStatus::MaxIterations
                if nearly =>
            {
                QpStatus::Inexact
            }
            SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => QpStatus::Infeasible,
            SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => QpStatus::Unbounded,
            _ => QpStatus::Failed,
        };
        let usable = matches!(status, QpStatus::Solved | QpStatus::Inexact);
        if !usable || sol.x.iter().any(|v| !v.is_finite()) {
            let mut f = failed(if usable { QpStatus::Failed } else { status });
            f.iterations = sol.iterations;
            return f;
        }
        // A cone row is held where its multiplier exceeds its slack.
        let mut active = ActiveSet::empty(self.m, n);
        let held = |row: usize| row >= n_eq && sol.z[row] > sol.s[row];
        let mut lambda = vec![0.0; self.m];
        for (row, &(i, sign)) in owner.iter().enumerate() {
            if i != usize::MAX {
                lambda[i] += sign * sol.z[row];
                if held(row) {
                    active.rows[i] = sign as i8;
                }
            }
        }
        let mut z = vec![0.0; n];
        for &(row, i, sign) in &bound_owner {
            z[i] += sign * sol.z[row];
            if held(row) {
                active.vars[i] = sign as i8;
            }
        }
        let slack = if self.elastic.is_some() {
            (0..self.m).map(|i| (sol.x[n + 2 * i] - sol.x[n + 2 * i + 1]).abs()).collect()
        } else {
            vec![0.0; self.m]
        };
        QpSolution { status, d: sol.x[..n].to_vec(), lambda, z, slack, iterations: sol.iterations, active }
    }
}

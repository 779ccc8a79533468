//! The steps of one SQP iteration, each a function of the parts of the
//! solver's state it reads (see the `sqp` module for the whole).

use super::convexify::Convexifier;
use super::filter::{Accept, Filter};
use super::options::Status;
use super::qp::{ActiveSet, Qp, QpSolution, QpStatus};
use super::scaled::{Point, Problem};
use crate::ocp::Nlp;
use clarabel::algebra::CscMatrix;

/// Why a solve ends before its KKT test holds.
#[derive(Debug)]
pub(super) struct Stop {
    pub(super) status: Status,
    pub(super) message: String,
}

impl Stop {
    pub(super) fn new(status: Status, message: impl Into<String>) -> Self {
        Stop { status, message: message.into() }
    }
}

/// The current point, its scaled derivatives and the multiplier estimates.
#[derive(Clone)]
pub(super) struct Iterate {
    pub(super) cur: Point,
    pub(super) grad: Vec<f64>,
    pub(super) jval: Vec<f64>,
    /// Constraint multipliers (∇f + Jᵀλ + z = 0 at a KKT point).
    pub(super) lambda: Vec<f64>,
    /// Bound multipliers z.
    pub(super) zb: Vec<f64>,
}

/// The step acceptance's state.
pub(super) struct Globalization {
    pub(super) filter: Filter,
    /// Exact-Hessian (Newton) steps, tried once the convexified steps are short.
    pub(super) newton: bool,
    /// Newton is tried after every full step shorter than this; after a
    /// failure, again once the steps have become shorter than at the failure.
    pub(super) newton_tol: f64,
    /// The Newton steps' box trust region.
    pub(super) radius: f64,
    /// The other steps' box (the user's step limit; ∞ without one).
    pub(super) max_step: f64,
    /// Consecutive elastic steps that predicted no decrease of the violation.
    pub(super) elastic_stall: usize,
    /// Consecutive full convexified steps each longer than 0.7 of the one
    /// before: the convexified model converging slowly (linearly). From
    /// three on, Newton is tried again (whatever `newton_tol`), and its
    /// steps are taken with any diagonal shift.
    pub(super) slow: usize,
    /// The last convexified step's length.
    pub(super) last_step: f64,
}

impl Globalization {
    pub(super) fn new(theta0: f64) -> Self {
        Globalization {
            filter: Filter::new(theta0),
            newton: false,
            newton_tol: f64::INFINITY,
            radius: f64::INFINITY,
            max_step: f64::INFINITY,
            elastic_stall: 0,
            slow: 0,
            last_step: f64::INFINITY,
        }
    }

    /// The trust region of this iteration's QP: Newton's, or else the
    /// user's step limit ([`SqpOptions::max_step`](super::SqpOptions::max_step); none by default).
    pub(super) fn trust_radius(&self) -> f64 {
        if self.newton { self.radius } else { self.max_step }
    }

    /// A Newton step was not accepted whole: shrink the trust region, and
    /// give up on Newton once it is far below the steps that brought us
    /// here (`prev_step`, the last accepted step's length).
    pub(super) fn newton_rejected(&mut self, step: f64, prev_step: f64) {
        self.radius = 0.25 * self.radius.min(step);
        if self.radius < 0.05 * self.newton_tol {
            self.newton = false;
            self.newton_tol = 0.5 * prev_step;
        }
    }

    /// A step of length `step` was accepted with step length `alpha`:
    /// widen the trust region when a Newton step hit it; after a
    /// convexified step, count slow progress, and switch to Newton after a
    /// short full step or a third slow one.
    pub(super) fn accepted(&mut self, alpha: f64, step: f64) {
        if self.newton {
            if step >= 0.9 * self.radius {
                self.radius *= 2.0;
            }
            return;
        }
        // (A step held at the user's step limit is no sign of it.)
        let crawling = alpha == 1.0 && step > 0.7 * self.last_step && step < 0.99 * self.max_step;
        self.slow = if crawling { self.slow + 1 } else { 0 };
        self.last_step = step;
        if alpha == 1.0 && (step < self.newton_tol || self.slow >= 3) {
            self.newton = true;
            self.radius = 2.0 * step;
        }
    }
}

/// Storage of the QP's Hessian: exact values, or a dense BFGS matrix, and
/// the convexifier that makes either positive definite.
pub(super) struct HessianModel {
    pub(super) hval: Vec<f64>,
    pub(super) bfgs: Option<Vec<f64>>,
    pub(super) cvx: Convexifier,
}

/// The QP matrix of one iteration, with the ρ of its augmented-Lagrangian
/// term and its diagonal shift δ.
pub(super) struct QpMatrix {
    pub(super) p: CscMatrix<f64>,
    pub(super) rho: f64,
    pub(super) shift: f64,
}

impl HessianModel {
    pub(super) fn new<N: Nlp>(pb: &Problem<'_, N>) -> Self {
        let n = pb.n;
        let bfgs = pb.hidx.is_none().then(|| {
            let mut b = vec![0.0; n * n];
            for i in 0..n {
                b[i * n + i] = 1.0;
            }
            b
        });
        let hidx = pb.hidx.as_deref().unwrap_or(&[]);
        HessianModel { hval: vec![0.0; hidx.len()], bfgs, cvx: Convexifier::new(n, pb.m, hidx, &pb.jidx) }
    }

    /// The convex QP Hessian: BFGS; or the problem's convexified Hessian
    /// far from a solution; or, in Newton mode, the exact one + ρ A_ᵀWA_ +
    /// δI. A Newton model that needs a large shift is not convex on the
    /// constraints' null space: Newton is left until the steps are short
    /// again, and the convexified Hessian used.
    pub(super) fn qp_matrix<N: Nlp>(
        &mut self,
        pb: &Problem<'_, N>,
        it: &Iterate,
        sub: &Subproblem,
        glob: &mut Globalization,
    ) -> Result<QpMatrix, Stop> {
        loop {
            if let Some(b) = self.bfgs.as_deref() {
                return Ok(QpMatrix { p: self.cvx.dense(b, 1e-10), rho: 0.0, shift: 0.0 });
            }
            let mut exact = glob.newton;
            if !exact && !pb.hessian(&it.cur.x, &it.lambda, &mut self.hval, true) {
                exact = true;
            }
            if exact {
                pb.hessian(&it.cur.x, &it.lambda, &mut self.hval, false);
            }
            if self.hval.iter().any(|v| !v.is_finite()) {
                return Err(Stop::new(Status::NonFiniteEvaluation, "Hessian not finite"));
            }
            let (rho, shift) = self.cvx.convexify(&self.hval, &it.jval, &sub.active_rows, &sub.active_vars);
            // A small diagonal shift (IPOPT's δ_w) keeps the Newton model;
            // so does any shift once the convexified model has crawled
            // for three steps (the shuttle with its heating limit: 37 → 26
            // iterations on Radau 30; no pinned case changes).
            if glob.newton && shift > 1e-3 && glob.slow < 3 {
                glob.newton = false;
                glob.newton_tol /= 10.0;
                continue;
            }
            return Ok(QpMatrix { p: self.cvx.p.clone(), rho, shift });
        }
    }
}

/// The QP's bounds at the current point, and the constraints and
/// variables held active (on whose null space the reduced Hessian lives).
pub(super) struct Subproblem {
    pub(super) rl: Vec<f64>,
    pub(super) ru: Vec<f64>,
    pub(super) dl: Vec<f64>,
    pub(super) du: Vec<f64>,
    /// Equalities, and inequalities held at a bound by their multiplier.
    pub(super) active_rows: Vec<bool>,
    /// Fixed variables, and variables on a bound whose multiplier holds
    /// them there (strongly active). Where T enters linearly (a bang arc),
    /// H + ρ AᵀA is convex only with them. A weakly active bound is left
    /// out: a ρ on it would hold back a variable that leaves it.
    pub(super) active_vars: Vec<bool>,
}

impl Subproblem {
    /// Bounds of J d and of d at `it`, the steps of free variables kept
    /// within `radius`; `last` is the last QP's active set.
    pub(super) fn new<N: Nlp>(pb: &Problem<'_, N>, it: &Iterate, radius: f64, last: &ActiveSet) -> Self {
        let (n, m, x) = (pb.n, pb.m, &it.cur.x);
        let rl = (0..m).map(|i| pb.gl[i] - it.cur.g[i]).collect();
        let ru = (0..m).map(|i| pb.gu[i] - it.cur.g[i]).collect();
        let fixed = |i: usize| pb.xl[i] == pb.xu[i];
        let dl = (0..n).map(|i| if fixed(i) { pb.xl[i] - x[i] } else { (pb.xl[i] - x[i]).max(-radius) }).collect();
        let du = (0..n).map(|i| if fixed(i) { pb.xu[i] - x[i] } else { (pb.xu[i] - x[i]).min(radius) }).collect();
        // An inequality counts when its multiplier holds it at its bound
        // (λ > 0: the upper one). One with a multiplier but off its bound
        // does not: ρ on it would hold back the step that leaves it, and
        // the multiplier folded back from ρ A d would keep it "active".
        // So does one the last QP held at a bound, with a multiplier of
        // that bound's sign: after a full step a nonlinear row is at its
        // bound only to the linearization's error, and the rows the QP
        // holds are the ones the next QP holds near a solution (the
        // heating-limited shuttle on Radau 30: 26 → 11 iterations).
        let held = |r: usize| {
            let (l, g) = (it.lambda[r], it.cur.g[r]);
            let b = if l > 0.0 { pb.gu[r] } else { pb.gl[r] };
            let at = b.is_finite() && (g - b).abs() <= 1e-6 * (1.0 + b.abs());
            l.abs() > 1e-6 && (at || last.rows.get(r).is_some_and(|&s| f64::from(s) * l > 0.0))
        };
        let active_rows = (0..m).map(|r| pb.gl[r] == pb.gu[r] || held(r)).collect();
        let zmax = it.zb.iter().fold(0.0f64, |a, z| a.max(z.abs()));
        let active_vars = (0..n)
            .map(|i| {
                let at = |b: f64| b.is_finite() && (x[i] - b).abs() <= 1e-10 * (1.0 + b.abs());
                let z = it.zb[i];
                fixed(i) || (z.abs() > 1e-6 * zmax.max(1.0) && if z > 0.0 { at(pb.xu[i]) } else { at(pb.xl[i]) })
            })
            .collect();
        Subproblem { rl, ru, dl, du, active_rows, active_vars }
    }

    /// The QP with matrix `p` at `it`, warm-started from the active set
    /// `warm`.
    pub(super) fn qp<'q, N: Nlp>(
        &'q self,
        pb: &'q Problem<'_, N>,
        it: &'q Iterate,
        p: &'q CscMatrix<f64>,
        warm: &'q ActiveSet,
    ) -> Qp<'q> {
        Qp {
            n: pb.n,
            m: pb.m,
            p,
            c: &it.grad,
            j_idx: &pb.jidx,
            j_val: &it.jval,
            rl: &self.rl,
            ru: &self.ru,
            dl: &self.dl,
            du: &self.du,
            elastic: None,
            warm: Some(warm),
        }
    }
}

/// Solve `qp`; an unbounded or failed QP is made strictly convex (its
/// steps shorter) by a growing diagonal, up to six times. Returns the
/// solution and the matrix that gave it when that is not `qp.p`.
pub(super) fn solve_regularized(qp: &Qp<'_>) -> (QpSolution, Option<CscMatrix<f64>>, usize) {
    let mut sol = qp.solve();
    let mut shifted = None;
    let mut tries = 0;
    // The first inexact solution, kept in case no shift solves the QP.
    let mut inexact: Option<(QpSolution, Option<CscMatrix<f64>>, usize)> = None;
    while matches!(sol.status, QpStatus::Unbounded | QpStatus::Failed | QpStatus::Inexact) && tries < 6 {
        if sol.status == QpStatus::Inexact && inexact.is_none() {
            inexact = Some((sol, shifted.clone(), tries));
        }
        let mut extra = qp.p.clone();
        let add = 10f64.powi(tries as i32 - 4);
        for c in 0..qp.n {
            for k in extra.colptr[c]..extra.colptr[c + 1] {
                if extra.rowval[k] == c {
                    extra.nzval[k] += add;
                }
            }
        }
        sol = Qp { p: &extra, ..*qp }.solve();
        shifted = Some(extra);
        tries += 1;
    }
    match inexact {
        Some((mut first, its_matrix, its_tries)) if sol.status != QpStatus::Solved => {
            first.status = QpStatus::Solved;
            (first, its_matrix, its_tries)
        }
        _ => (sol, shifted, tries),
    }
}

/// Largest |vᵢ|.
pub(super) fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |a: f64, x| a.max(x.abs()))
}

/// The elastic QP's penalty: above the multipliers' size.
pub(super) fn elastic_penalty(lambda: &[f64]) -> f64 {
    (100.0 * max_abs(lambda)).max(1e3)
}

/// Solve the elastic QP `qp` (ℓ1-penalized slacks, Sℓ1QP) of a
/// linearization that is infeasible. At a point whose violation `v_now`
/// the elastic step predicts no decrease of twice in a row (or hardly any
/// decrease at once), the constraints are locally infeasible.
pub(super) fn elastic_step(qp: &Qp<'_>, v_now: f64, stall: &mut usize) -> Result<QpSolution, Stop> {
    let mut sol = qp.solve();
    if sol.status == QpStatus::Inexact {
        sol.status = QpStatus::Solved;
    }
    if sol.status == QpStatus::Solved {
        let lin: f64 = sol.slack.iter().sum();
        if v_now - lin <= 1e-6 * v_now.max(1.0) {
            *stall += 1;
            if *stall >= 2 || lin > 0.999 * v_now {
                return Err(Stop::new(
                    Status::Infeasible,
                    "the linearized constraints cannot be satisfied and the violation cannot be reduced",
                ));
            }
        }
    }
    Ok(sol)
}

/// The QP minimized ½ρ‖A_d‖²_W more than the Lagrangian's model: its
/// multipliers are those of the model plus ρ W A_d (rows, weights
/// `weight`) and ρ d (bounds).
pub(super) fn fold_convexification<N: Nlp>(
    pb: &Problem<'_, N>,
    jval: &[f64],
    sub: &Subproblem,
    rho: f64,
    weight: &[f64],
    sol: &mut QpSolution,
) {
    if rho <= 0.0 {
        return;
    }
    let jd = pb.jacobian_times(jval, &sol.d);
    for r in (0..pb.m).filter(|&r| sub.active_rows[r]) {
        sol.lambda[r] += rho * weight[r] * jd[r];
    }
    for i in (0..pb.n).filter(|&i| sub.active_vars[i] && pb.xl[i] != pb.xu[i]) {
        sol.z[i] += rho * sol.d[i];
    }
}

/// How the line search ended.
pub(super) enum Search {
    /// The point reached, its step length, and how the filter took it.
    Accepted(Point, f64, Accept),
    /// A Newton step that the filter does not take whole.
    NewtonRejected,
    /// No acceptable point along the step.
    Failed,
}

/// Filter line search on (θ, f) along `d` from `it`: halve (quarter where
/// the functions are not finite) until accepted, with a second-order
/// correction of a rejected full step. A step at the QP's accuracy is
/// taken whole (the filter would see only rounding).
#[allow(clippy::too_many_arguments)]
pub(super) fn line_search<N: Nlp>(
    pb: &Problem<'_, N>,
    it: &Iterate,
    qp: &Qp<'_>,
    d: &[f64],
    filter: &Filter,
    newton: bool,
    soc: bool,
    flags: &mut String,
) -> Search {
    let cur = &it.cur;
    if max_abs(d) <= 1e-9 * (1.0 + max_abs(&cur.x)) {
        return Search::Accepted(pb.point(pb.trial_x(&cur.x, 1.0, d)), 1.0, Accept::Objective);
    }
    let v_now = pb.viol1(&cur.g);
    let here = (v_now, cur.f);
    let gd: f64 = it.grad.iter().zip(d).map(|(a, b)| a * b).sum();
    let a_min = filter.alpha_min(v_now, gd);
    let mut a = 1.0;
    while a >= a_min {
        let t = pb.point(pb.trial_x(&cur.x, a, d));
        if let Some(kind) = filter.accept((pb.viol1(&t.g), t.f), here, a, gd) {
            return Search::Accepted(t, a, kind);
        }
        if a == 1.0
            && soc
            && t.finite()
            && qp.elastic.is_none()
            && pb.viol1(&t.g) >= v_now
            && let Some(p) = second_order_correction(pb, qp, cur, &t, d, &it.jval)
            && let Some(kind) = filter.accept((pb.viol1(&p.g), p.f), here, 1.0, gd)
        {
            flags.push('s');
            return Search::Accepted(p, 1.0, kind);
        }
        if newton {
            return Search::NewtonRejected;
        }
        a *= if t.finite() { 0.5 } else { 0.25 };
    }
    if newton { Search::NewtonRejected } else { Search::Failed }
}

/// Second-order correction: the QP again, with the linearized constraints
/// shifted by g(x + d) − g(x) − J d (N&W §18.5, eq. 18.51).
pub(super) fn second_order_correction<N: Nlp>(
    pb: &Problem<'_, N>,
    qp: &Qp<'_>,
    cur: &Point,
    trial: &Point,
    d: &[f64],
    jval: &[f64],
) -> Option<Point> {
    let jd = pb.jacobian_times(jval, d);
    let shift: Vec<f64> = (0..pb.m).map(|i| trial.g[i] - cur.g[i] - jd[i]).collect();
    let rl: Vec<f64> = (0..pb.m).map(|i| qp.rl[i] - shift[i]).collect();
    let ru: Vec<f64> = (0..pb.m).map(|i| qp.ru[i] - shift[i]).collect();
    let s = Qp { rl: &rl, ru: &ru, ..*qp }.solve();
    (s.status == QpStatus::Solved).then(|| pb.point(pb.trial_x(&cur.x, 1.0, &s.d)))
}

#[cfg(test)]
mod tests;

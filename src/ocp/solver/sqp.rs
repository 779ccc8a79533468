//! Line-search SQP with a filter, second-order correction, Newton steps in
//! a trust region, and elastic mode.
//!
//! Each iteration solves the convex QP
//! min ∇fᵀd + ½dᵀPd s.t. g_L ≤ g + J d ≤ g_U, x_L ≤ x + d ≤ x_U
//! with clarabel. P comes in two flavours:
//!
//! * far from a solution, the problem's convexified Hessian
//!   ([`Nlp::convex_hessian_values`]; for a [`Collocation`](crate::ocp::Collocation)
//!   the block Hessians with mirrored negative eigenvalues), a robust but
//!   only linearly convergent model;
//! * once full steps are accepted and short, the exact Hessian of the
//!   Lagrangian made convex by ρ·AᵀA over the equality constraints (which
//!   changes nothing on the QP's feasible set, so the step is the exact SQP
//!   step; see the `convexify` module), inside a box trust region that
//!   doubles when hit and shrinks when the step is rejected: quadratic
//!   convergence, as an exact-Hessian interior-point method has.
//!
//! Steps are accepted by a filter on (θ, f), θ the ℓ1 constraint violation
//! (Fletcher & Leyffer; the switching and sufficient-decrease rules of
//! Wächter & Biegler), after a second-order correction (re-solve with the
//! constraints shifted by the curvature seen at x + d) when the full step
//! is rejected, against the Maratos effect. When the linearization is
//! infeasible the QP is solved in elastic mode (ℓ1-penalized slacks); if
//! even that predicts no decrease of the violation at an infeasible point,
//! the problem is reported locally infeasible.
//!
//! Termination follows IPOPT's KKT test: primal infeasibility ≤
//! `constr_tol`, dual infeasibility and complementarity (scaled by s_d as
//! IPOPT) ≤ `tol`. Iteration and wall-time limits end every solve.
//!
//! # Reference
//! Nocedal & Wright, *Numerical Optimization*, 2nd ed. (2006): Algorithm
//! 18.3 (line-search SQP), §18.3 (elastic mode 18.12), §18.5 (second-order
//! correction), Procedure 18.2 (damped BFGS), §17.3 (augmented
//! Lagrangian); Fletcher & Leyffer, Math. Program. 91 (2002) (filter);
//! Wächter & Biegler, Math. Program. 106 (2006), §2.1 (scaled KKT test),
//! §2.3 (filter rules) and §3.6 (least-squares multiplier estimate).

use super::convexify::Convexifier;
use super::filter::{Accept, Filter};
use super::options::{HessianMode, IterLog, NlpResult, SqpOptions, Status};
use super::qp::{Qp, QpSolution, QpStatus};
use super::updates::{damped_bfgs, least_squares_multipliers};
use crate::Error;
use crate::ocp::Nlp;
use std::time::Instant;

/// Evaluations at one point.
struct Point {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
}

pub(crate) struct Problem<'a, N: Nlp> {
    nlp: &'a N,
    pub n: usize,
    pub m: usize,
    xl: Vec<f64>,
    xu: Vec<f64>,
    gl: Vec<f64>,
    gu: Vec<f64>,
    pub jidx: Vec<(usize, usize)>,
    /// Gradient-based scale of the objective (IPOPT's, max gradient 100).
    sf: f64,
    /// Gradient-based scale of each constraint.
    sr: Vec<f64>,
}

impl<N: Nlp> Problem<'_, N> {
    /// f and g at x, in the solver's (gradient-scaled) units.
    fn point(&self, x: Vec<f64>) -> Point {
        let f = self.nlp.objective(&x) * self.sf;
        let mut g = vec![0.0; self.m];
        self.nlp.constraints(&x, &mut g);
        for (gi, s) in g.iter_mut().zip(&self.sr) {
            *gi *= s;
        }
        Point { x, f, g }
    }
    /// ∇f and the Jacobian values at x, scaled.
    fn derivatives(&self, x: &[f64], grad: &mut [f64], jval: &mut [f64]) {
        self.nlp.gradient(x, grad);
        self.nlp.jacobian_values(x, jval);
        for v in grad.iter_mut() {
            *v *= self.sf;
        }
        for (v, &(r, _)) in jval.iter_mut().zip(&self.jidx) {
            *v *= self.sr[r];
        }
    }
    /// The problem's multipliers from the solver's: λ = λ'·s_r / s_f.
    fn user_lambda(&self, lambda: &[f64]) -> Vec<f64> {
        lambda.iter().zip(&self.sr).map(|(l, s)| l * s / self.sf).collect()
    }
    /// The Hessian of the scaled Lagrangian (exact or the problem's convex one).
    fn hessian(&self, x: &[f64], lambda: &[f64], values: &mut [f64], convex: bool) -> bool {
        let l: Vec<f64> = lambda.iter().zip(&self.sr).map(|(l, s)| l * s).collect();
        if convex {
            self.nlp.convex_hessian_values(x, self.sf, &l, values)
        } else {
            self.nlp.hessian_values(x, self.sf, &l, values);
            true
        }
    }
    /// ℓ1 norm of the violation of g_L ≤ g ≤ g_U (∞ if non-finite).
    fn viol1(&self, g: &[f64]) -> f64 {
        let mut s = 0.0;
        for ((&g, &lo), &hi) in g.iter().zip(&self.gl).zip(&self.gu) {
            if !g.is_finite() {
                return f64::INFINITY;
            }
            s += (lo - g).max(0.0) + (g - hi).max(0.0);
        }
        s
    }
    fn viol_max(&self, g: &[f64]) -> f64 {
        (0..self.m).map(|i| (self.gl[i] - g[i]).max(g[i] - self.gu[i]).max(0.0)).fold(0.0, f64::max)
    }
    /// ∇f + Jᵀλ.
    fn lagrangian_gradient(&self, grad: &[f64], jval: &[f64], lambda: &[f64]) -> Vec<f64> {
        let mut r = grad.to_vec();
        for (&(row, col), &v) in self.jidx.iter().zip(jval) {
            r[col] += v * lambda[row];
        }
        r
    }
    /// Scaled dual infeasibility and complementarity at x, with bound
    /// multipliers `z` (∇f + Jᵀλ + z = 0 at a KKT point).
    fn kkt(&self, x: &[f64], g: &[f64], r: &[f64], lambda: &[f64], z: &[f64]) -> (f64, f64) {
        let mut dual: f64 = 0.0;
        let mut compl: f64 = 0.0;
        for i in 0..self.n {
            if self.xl[i] == self.xu[i] {
                continue;
            }
            dual = dual.max((r[i] + z[i]).abs());
            // z > 0: upper bound active; z < 0: lower.
            let gap = if z[i] > 0.0 { self.xu[i] - x[i] } else { x[i] - self.xl[i] };
            compl = compl.max(if gap.is_finite() { z[i].abs() * gap.max(0.0) } else { z[i].abs() });
        }
        for i in 0..self.m {
            if self.gl[i] == self.gu[i] {
                continue;
            }
            let l = lambda[i];
            let gap = if l > 0.0 { self.gu[i] - g[i] } else { g[i] - self.gl[i] };
            compl = compl.max(if gap.is_finite() { l.abs() * gap.max(0.0) } else { l.abs() });
        }
        let lsum: f64 = lambda.iter().chain(z).map(|l| l.abs()).sum::<f64>();
        let sd = (lsum / (self.n + self.m).max(1) as f64).max(100.0) / 100.0;
        (dual / sd, compl / sd)
    }
}

/// Solve `nlp` by SQP.
///
/// Requirements: an [`Nlp`] with a positive semidefinite Hessian (or none:
/// BFGS is used). The QPs are solved by clarabel.
///
/// # Errors
/// [`Error::InvalidOption`] for bad options; [`Error::DimensionMismatch`]
/// for structures that do not fit `n`, `m`. Everything else that can go
/// wrong in a solve is a [`Status`] in the result.
///
/// # Example
/// See [`Nlp`].
pub fn solve_nlp<N: Nlp>(nlp: &N, options: &SqpOptions) -> Result<NlpResult, Error> {
    options.check()?;
    let start = Instant::now();
    let (n, m) = (nlp.n(), nlp.m());
    let (mut xl, mut xu, mut gl, mut gu) = (vec![0.0; n], vec![0.0; n], vec![0.0; m], vec![0.0; m]);
    nlp.x_bounds(&mut xl, &mut xu);
    nlp.g_bounds(&mut gl, &mut gu);
    let jidx = nlp.jacobian_structure();
    if let Some(&(r, c)) = jidx.iter().find(|&&(r, c)| r >= m || c >= n) {
        let (what, expected, got) = if r >= m { ("jacobian row", m, r + 1) } else { ("jacobian column", n, c + 1) };
        return Err(Error::DimensionMismatch { what, expected, got });
    }
    let hidx = if options.hessian == HessianMode::Exact { nlp.hessian_structure() } else { None };
    if let Some(h) = &hidx
        && let Some(&(r, c)) = h.iter().find(|&&(r, c)| r >= n || c > r)
    {
        return Err(Error::DimensionMismatch {
            what: "hessian entry (lower triangle)",
            expected: n,
            got: r.max(c) + 1,
        });
    }
    let mut x0 = vec![0.0; n];
    nlp.initial_point(&mut x0);
    for ((x, &lo), &hi) in x0.iter_mut().zip(&xl).zip(&xu) {
        *x = x.clamp(lo.min(hi), hi.max(lo));
    }
    // IPOPT's gradient-based scaling: objective and rows with gradients
    // above 100 at the start are scaled down to 100.
    let mut grad = vec![0.0; n];
    let mut jval = vec![0.0; jidx.len()];
    nlp.gradient(&x0, &mut grad);
    nlp.jacobian_values(&x0, &mut jval);
    let big = |v: f64| if v.is_finite() && v > 100.0 { 100.0 / v } else { 1.0 };
    let sf = big(grad.iter().fold(0.0f64, |a, v| a.max(v.abs())));
    let mut sr = vec![0.0f64; m];
    for (&(r, _), v) in jidx.iter().zip(&jval) {
        sr[r] = sr[r].max(v.abs());
    }
    let sr: Vec<f64> = sr.into_iter().map(big).collect();
    for ((lo, hi), s) in gl.iter_mut().zip(gu.iter_mut()).zip(&sr) {
        *lo *= s;
        *hi *= s;
    }
    let pb = Problem { nlp, n, m, xl, xu, gl, gu, jidx, sf, sr };
    let mut cur = pb.point(x0);
    pb.derivatives(&cur.x, &mut grad, &mut jval);
    let mut log = Vec::new();
    let finish =
        |status: Status, cur: &Point, lambda: Vec<f64>, dual: f64, iters: usize, log: Vec<IterLog>, msg: &str| {
            Ok(NlpResult {
                status,
                constraint_violation: pb.viol_max(&cur.g),
                x: cur.x.clone(),
                lambda: pb.user_lambda(&lambda),
                objective: cur.f / pb.sf,
                dual_infeasibility: dual,
                iterations: iters,
                log,
                seconds: start.elapsed().as_secs_f64(),
                message: msg.to_string(),
            })
        };
    let finite = |p: &Point| p.f.is_finite() && p.g.iter().all(|v| v.is_finite());
    if !finite(&cur) || grad.iter().chain(&jval).any(|v| !v.is_finite()) {
        return finish(Status::NonFiniteEvaluation, &cur, vec![0.0; m], f64::NAN, 0, log, "not finite at the start");
    }
    let mut hval = vec![0.0; hidx.as_ref().map_or(0, Vec::len)];
    let mut bfgs: Option<Vec<f64>> = hidx.is_none().then(|| {
        let mut b = vec![0.0; n * n];
        for i in 0..n {
            b[i * n + i] = 1.0;
        }
        b
    });
    let empty: Vec<(usize, usize)> = Vec::new();
    let mut cvx = Convexifier::new(n, m, hidx.as_ref().unwrap_or(&empty), &pb.jidx);
    let mut lambda = least_squares_multipliers(&pb, &grad, &jval);
    let mut filter = Filter::new(pb.viol1(&cur.g));
    let mut zb = vec![0.0; n];
    let (mut alpha, mut step, mut qp_iters, mut flags) = (0.0, 0.0, 0u32, String::new());
    let mut elastic_stall = 0usize;
    // Exact-Hessian (Newton) steps once the convexified steps are short.
    let mut newton = false;
    // Newton is tried after every full step until it fails; then again once
    // the steps have become shorter than at the failure.
    let mut newton_tol = f64::INFINITY;
    let mut radius = f64::INFINITY;
    for iter in 0..=options.max_iter {
        let r = pb.lagrangian_gradient(&grad, &jval, &lambda);
        let (dual, compl) = pb.kkt(&cur.x, &cur.g, &r, &lambda, &zb);
        let primal = pb.viol_max(&cur.g);
        let line = IterLog {
            iter,
            objective: cur.f / pb.sf,
            primal_inf: primal,
            dual_inf: dual.max(compl),
            alpha,
            step,
            qp_iters,
            flags: flags.clone(),
        };
        if options.verbose {
            if iter == 0 {
                eprintln!(
                    "{:>4} {:>14} {:>9} {:>9} {:>9} {:>9} {:>4}",
                    "iter", "objective", "inf_pr", "inf_du", "alpha", "||d||", "qp"
                );
            }
            eprintln!(
                "{:>4} {:>14.7e} {:>9.2e} {:>9.2e} {:>9.2e} {:>9.2e} {:>4} {}",
                iter, line.objective, line.primal_inf, line.dual_inf, alpha, step, qp_iters, flags
            );
        }
        log.push(line);
        if primal <= options.constr_tol && dual <= options.tol && compl <= options.tol {
            return finish(Status::Optimal, &cur, lambda, dual, iter, log, "");
        }
        if iter == options.max_iter {
            return finish(Status::MaxIterations, &cur, lambda, dual, iter, log, "iteration limit");
        }
        if start.elapsed().as_secs_f64() > options.max_time {
            return finish(Status::TimeLimit, &cur, lambda, dual, iter, log, "time limit");
        }
        // The convex QP Hessian: the problem's convexified Hessian far from
        // a solution, the exact one + ρ A_ᵀA_ + δI near it (Newton), or BFGS.
        flags.clear();
        let rl: Vec<f64> = (0..m).map(|i| pb.gl[i] - cur.g[i]).collect();
        let ru: Vec<f64> = (0..m).map(|i| pb.gu[i] - cur.g[i]).collect();
        // Newton steps stay in a box trust region of radius `radius`.
        let tr = if newton { radius } else { f64::INFINITY };
        let dl: Vec<f64> = (0..n)
            .map(|i| if pb.xl[i] == pb.xu[i] { pb.xl[i] - cur.x[i] } else { (pb.xl[i] - cur.x[i]).max(-tr) })
            .collect();
        let du: Vec<f64> = (0..n)
            .map(|i| if pb.xl[i] == pb.xu[i] { pb.xu[i] - cur.x[i] } else { (pb.xu[i] - cur.x[i]).min(tr) })
            .collect();
        let active_rows: Vec<bool> = (0..m).map(|r| pb.gl[r] == pb.gu[r] || lambda[r].abs() > 1e-6).collect();
        // Fixed variables, and variables on a bound whose multiplier holds
        // them there (strongly active): the reduced Hessian lives on the
        // null space of these too. Where T enters linearly (a bang arc),
        // H + ρ AᵀA is convex only with them. A weakly active bound is
        // left out: a ρ on it would hold back a variable that leaves it.
        let zmax = zb.iter().fold(0.0f64, |a, z| a.max(z.abs()));
        let active_vars: Vec<bool> = (0..n)
            .map(|i| {
                let at = |b: f64| b.is_finite() && (cur.x[i] - b).abs() <= 1e-10 * (1.0 + b.abs());
                pb.xl[i] == pb.xu[i]
                    || (zb[i].abs() > 1e-6 * zmax.max(1.0) && if zb[i] > 0.0 { at(pb.xu[i]) } else { at(pb.xl[i]) })
            })
            .collect();
        let (pmat, rho, shift) = loop {
            let (mut rho, mut shift) = (0.0, 0.0);
            let pmat = if let Some(b) = bfgs.as_deref() {
                cvx.dense(b, 1e-10)
            } else {
                let mut exact = newton;
                if !exact && !pb.hessian(&cur.x, &lambda, &mut hval, true) {
                    exact = true;
                }
                if exact {
                    pb.hessian(&cur.x, &lambda, &mut hval, false);
                }
                if hval.iter().any(|v| !v.is_finite()) {
                    return finish(Status::NonFiniteEvaluation, &cur, lambda, dual, iter, log, "Hessian not finite");
                }
                (rho, shift) = cvx.convexify(&hval, &jval, &active_rows, &active_vars);
                // A small diagonal shift (IPOPT's δ_w) keeps the Newton model;
                // a large one means the exact Hessian is far from convex on
                // the null space here.
                if newton && shift > 1e-3 {
                    // Not convex on the constraints' null space: back to the
                    // convexified Hessian until the steps are short again.
                    newton = false;
                    newton_tol /= 10.0;
                    continue;
                }
                cvx.p.clone()
            };
            break (pmat, rho, shift);
        };
        let base = Qp {
            n,
            m,
            p: &pmat,
            c: &grad,
            j_idx: &pb.jidx,
            j_val: &jval,
            rl: &rl,
            ru: &ru,
            dl: &dl,
            du: &du,
            elastic: None,
        };
        let mut sol = base.solve();
        // An unbounded or failed QP is made strictly convex (its steps
        // shorter) by a growing diagonal; the rest of the iteration uses
        // the matrix that worked.
        let mut shifted = None;
        let mut tries = 0;
        while matches!(sol.status, QpStatus::Unbounded | QpStatus::Failed) && tries < 6 {
            let mut extra = pmat.clone();
            let add = 10f64.powi(tries - 4);
            for c in 0..n {
                for k in extra.colptr[c]..extra.colptr[c + 1] {
                    if extra.rowval[k] == c {
                        extra.nzval[k] += add;
                    }
                }
            }
            sol = Qp { p: &extra, ..base }.solve();
            shifted = Some(extra);
            tries += 1;
            flags.push('r');
        }
        if newton {
            flags.push('n');
        }
        if shift > 1e-6 {
            flags.push('d');
        }
        let mut qp = Qp { p: shifted.as_ref().unwrap_or(&pmat), ..base };
        let v_now = pb.viol1(&cur.g);
        let mut elastic = false;
        if sol.status == QpStatus::Infeasible && newton {
            // The trust region cut off the linearized constraints.
            newton = false;
            flags.push('N');
            continue;
        }
        if sol.status == QpStatus::Infeasible {
            let lmax = lambda.iter().fold(0.0, |a: f64, v| a.max(v.abs()));
            let rho = (100.0 * lmax).max(1e3);
            qp.elastic = Some(rho);
            sol = qp.solve();
            elastic = true;
            flags.push('e');
            if sol.status == QpStatus::Solved {
                let lin: f64 = sol.slack.iter().sum();
                if v_now - lin <= 1e-6 * v_now.max(1.0) {
                    elastic_stall += 1;
                    if elastic_stall >= 2 || lin > 0.999 * v_now {
                        return finish(
                            Status::Infeasible,
                            &cur,
                            lambda,
                            dual,
                            iter,
                            log,
                            "the linearized constraints cannot be satisfied and the violation cannot be reduced",
                        );
                    }
                }
            }
        }
        if sol.status != QpStatus::Solved {
            let msg = format!("QP subproblem: {:?}", sol.status);
            let status = if sol.status == QpStatus::Infeasible { Status::Infeasible } else { Status::Failed };
            return finish(status, &cur, lambda, dual, iter, log, &msg);
        }
        qp_iters = sol.iterations;
        if rho > 0.0 {
            // The QP minimized ½ρ‖A_d‖² more: λ = λ' + ρ A_d, z = z' + ρ d.
            let mut jd = vec![0.0; m];
            for (&(r, c), &v) in pb.jidx.iter().zip(&jval) {
                jd[r] += v * sol.d[c];
            }
            for r in (0..m).filter(|&r| active_rows[r]) {
                sol.lambda[r] += rho * jd[r];
            }
            for i in (0..n).filter(|&i| active_vars[i] && pb.xl[i] != pb.xu[i]) {
                sol.z[i] += rho * sol.d[i];
            }
        }
        let d = &sol.d;
        let prev_step = step;
        step = d.iter().fold(0.0, |a: f64, v| a.max(v.abs()));
        // Filter line search on (θ, f), θ the ℓ1 violation.
        let gd: f64 = grad.iter().zip(d).map(|(a, b)| a * b).sum();
        let here = (v_now, cur.f);

        let trial_x = |a: f64, d: &[f64]| -> Vec<f64> {
            (0..n).map(|i| (cur.x[i] + a * d[i]).clamp(pb.xl[i].min(pb.xu[i]), pb.xu[i].max(pb.xl[i]))).collect()
        };
        let mut accepted: Option<(Point, f64, Accept)> = None;
        if step <= 1e-9 * (1.0 + cur.x.iter().fold(0.0, |a: f64, v| a.max(v.abs()))) {
            // A step at the QP's accuracy: nothing left to gain along d (the
            // filter would see only rounding). Take it with the multipliers
            // and re-test.
            accepted = Some((pb.point(trial_x(1.0, d)), 1.0, Accept::Objective));
        } else {
            let a_min = filter.alpha_min(v_now, gd);
            let mut a = 1.0;
            while a >= a_min {
                let t = pb.point(trial_x(a, d));
                let tt = (pb.viol1(&t.g), t.f);

                if let Some(kind) = filter.accept(tt, here, a, gd) {
                    accepted = Some((t, a, kind));
                    break;
                }
                if a == 1.0
                    && options.soc
                    && finite(&t)
                    && !elastic
                    && tt.0 >= v_now
                    && let Some(p) = second_order_correction(&pb, &qp, &cur, &t, d, &jval)
                    && let Some(kind) = filter.accept((pb.viol1(&p.g), p.f), here, 1.0, gd)
                {
                    flags.push('s');
                    accepted = Some((p, 1.0, kind));
                    break;
                }
                if newton {
                    // The Newton step is not accepted whole: the local
                    // model is not yet to be trusted. Redo this iteration
                    // with the convexified Hessian; retry Newton once the
                    // steps have halved.
                    break;
                }
                a *= if finite(&t) { 0.5 } else { 0.25 };
            }
        }
        if accepted.is_none() && newton {
            // Shrink the trust region; give up on Newton once it is far
            // below the steps that brought us here.
            radius = 0.25 * radius.min(step);
            flags.push('N');
            if radius < 0.05 * newton_tol {
                newton = false;
                newton_tol = 0.5 * prev_step;
            }
            continue;
        }
        let Some((next, a, kind)) = accepted else {
            let msg = "line search failed: no acceptable point along the QP step";
            let t = pb.point(trial_x(1e-10, d));
            let status = if finite(&t) { Status::Failed } else { Status::NonFiniteEvaluation };
            return finish(status, &cur, lambda, dual, iter, log, msg);
        };
        if kind == Accept::Either {
            filter.augment(v_now, cur.f);
        }
        alpha = a;
        if newton {
            if step >= 0.9 * radius {
                radius *= 2.0;
            }
        } else if a == 1.0 && step < newton_tol {
            newton = true;
            radius = 2.0 * step;
        }
        for (l, lq) in lambda.iter_mut().zip(&sol.lambda) {
            *l += a * (lq - *l);
        }
        for (l, lq) in zb.iter_mut().zip(&sol.z) {
            *l += a * (lq - *l);
        }
        let mut grad_new = vec![0.0; n];
        let mut jval_new = vec![0.0; jval.len()];
        pb.derivatives(&next.x, &mut grad_new, &mut jval_new);
        if grad_new.iter().chain(&jval_new).any(|v| !v.is_finite()) {
            return finish(Status::NonFiniteEvaluation, &cur, lambda, dual, iter, log, "derivatives not finite");
        }
        if let Some(b) = bfgs.as_mut() {
            let s: Vec<f64> = (0..n).map(|i| next.x[i] - cur.x[i]).collect();
            let r_new = pb.lagrangian_gradient(&grad_new, &jval_new, &lambda);
            let r_old = pb.lagrangian_gradient(&grad, &jval, &lambda);
            let y: Vec<f64> = (0..n).map(|i| r_new[i] - r_old[i]).collect();
            damped_bfgs(b, &s, &y, n);
        }
        if !elastic {
            elastic_stall = 0;
        }
        cur = next;
        grad = grad_new;
        jval = jval_new;
    }
    unreachable!("the loop returns at max_iter")
}

/// Second-order correction: the QP again, with the linearized constraints
/// shifted by g(x + d) − g(x) − J d (N&W §18.5, eq. 18.51).
fn second_order_correction<N: Nlp>(
    pb: &Problem<'_, N>,
    qp: &Qp<'_>,
    cur: &Point,
    trial: &Point,
    d: &[f64],
    jval: &[f64],
) -> Option<Point> {
    let mut jd = vec![0.0; pb.m];
    for (&(r, c), &v) in pb.jidx.iter().zip(jval) {
        jd[r] += v * d[c];
    }
    let shift: Vec<f64> = (0..pb.m).map(|i| trial.g[i] - cur.g[i] - jd[i]).collect();
    let rl: Vec<f64> = (0..pb.m).map(|i| qp.rl[i] - shift[i]).collect();
    let ru: Vec<f64> = (0..pb.m).map(|i| qp.ru[i] - shift[i]).collect();
    let soc = Qp { rl: &rl, ru: &ru, ..*qp };
    let s: QpSolution = soc.solve();
    if s.status != QpStatus::Solved {
        return None;
    }
    let x: Vec<f64> =
        (0..pb.n).map(|i| (cur.x[i] + s.d[i]).clamp(pb.xl[i].min(pb.xu[i]), pb.xu[i].max(pb.xl[i]))).collect();
    Some(pb.point(x))
}

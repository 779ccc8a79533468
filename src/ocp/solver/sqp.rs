//! Line-search SQP with a filter, second-order correction, Newton steps in
//! a trust region, and elastic mode.
//!
//! Each iteration solves the convex QP
//! min ∇fᵀd + ½dᵀPd s.t. g_L ≤ g + J d ≤ g_U, x_L ≤ x + d ≤ x_U
//! warm-started from the last QP's active set (one KKT factorization
//! where that guess, or a few corrections of it, is the QP's active set;
//! the `qp::active` module), else with clarabel, whose solution is then
//! polished on the active set it found. P comes in two flavours:
//!
//! * far from a solution, the problem's convexified Hessian
//!   ([`Nlp::convex_hessian_values`]; for a [`Collocation`](crate::ocp::Collocation)
//!   the block Hessians with mirrored negative eigenvalues), a robust but
//!   only linearly convergent model;
//! * once full steps are accepted and short, the exact Hessian of the
//!   Lagrangian made convex by ρ·AᵀWA over the equality constraints (which
//!   changes nothing on the QP's feasible set, so the step is the exact SQP
//!   step; see the `convexify` module), inside a box trust region that
//!   doubles when hit and shrinks when the step is rejected: quadratic
//!   convergence, as an exact-Hessian interior-point method has.
//!
//! Steps are accepted by a filter on (θ, f), θ the ℓ1 constraint violation
//! (Fletcher & Leyffer; the switching and sufficient-decrease rules of
//! Wächter & Biegler), after a second-order correction (re-solve with the
//! constraints shifted by the curvature seen at x + d) when the full step
//! is rejected, against the Maratos effect. A Newton step the filter
//! takes although it raises the violation tenfold is watched: if a line
//! search within three iterations stalls (α < 0.1) or fails, the solve
//! returns to the point before it with a smaller trust region (a
//! watchdog). When the linearization is
//! infeasible the QP is solved in elastic mode (ℓ1-penalized slacks); if
//! even that predicts no decrease of the violation at an infeasible point,
//! the problem is reported locally infeasible.
//!
//! Termination follows IPOPT's KKT test: primal infeasibility ≤
//! `constr_tol`, dual infeasibility and complementarity (scaled by s_d as
//! IPOPT) ≤ `tol`. The iteration limit ends every solve; a wall-time limit
//! only when the options set one.
//!
//! # Structure
//! The solver's state is explicit: the [`Iterate`] (point, derivatives,
//! multipliers), the [`Globalization`] (filter, Newton mode and trust
//! radius, elastic stalls), the [`HessianModel`]'s storage, and the
//! [`Record`] of what the last step did. An iteration is a sequence of
//! steps, each a function of the parts it reads: [`Subproblem::new`] (the
//! QP's bounds and active sets), [`HessianModel::qp_matrix`],
//! [`solve_regularized`], [`elastic_step`], [`fold_convexification`],
//! [`line_search`] (with [`second_order_correction`]), then
//! [`Globalization::newton_rejected`] or [`Sqp::accept`].
//!
//! # Reference
//! Nocedal & Wright, *Numerical Optimization*, 2nd ed. (2006): Algorithm
//! 18.3 (line-search SQP), §18.3 (elastic mode 18.12), §18.5 (second-order
//! correction), Procedure 18.2 (damped BFGS), §17.3 (augmented
//! Lagrangian); Fletcher & Leyffer, Math. Program. 91 (2002) (filter);
//! Wächter & Biegler, Math. Program. 106 (2006), §2.1 (scaled KKT test),
//! §2.3 (filter rules) and §3.6 (least-squares multiplier estimate);
//! Chamberlain, Powell, Lemaréchal & Pedersen, Math. Program. Study 16
//! (1982) (watchdog).

use super::filter::{Accept, Filter};
use super::options::{IterLog, NlpResult, PrintLog, SqpObserver, SqpOptions, Status};
use super::qp::{ActiveSet, Qp, QpSolution, QpStatus};
use super::scaled::{Point, Problem};
use super::steps::{
    Globalization, HessianModel, Iterate, Search, Stop, Subproblem, elastic_penalty, elastic_step,
    fold_convexification, line_search, max_abs, solve_regularized,
};
use super::updates::{damped_bfgs, least_squares_multipliers};
use crate::Error;
use crate::ocp::Nlp;
use std::time::Instant;

/// What the last step did, and the log so far.
#[derive(Default)]
struct Record {
    alpha: f64,
    step: f64,
    qp_iters: u32,
    flags: String,
    log: Vec<IterLog>,
}

/// The SQP's whole state between iterations.
struct Sqp<'a, N: Nlp> {
    pb: Problem<'a, N>,
    options: &'a SqpOptions,
    start: Instant,
    it: Iterate,
    glob: Globalization,
    hm: HessianModel,
    rec: Record,
    watch: Option<Watch>,
    /// The last QP's active set: the next QP's warm start.
    active: ActiveSet,
}

/// A watchdog (Chamberlain, Powell, Lemaréchal & Pedersen, Math. Program.
/// Study 16, 1982): the state before a Newton step that the filter took
/// although it raised the violation more than tenfold. If a line search
/// in the next iterations takes less than a tenth of its step, or fails,
/// the solve returns to that state with a quarter of the step as its
/// trust radius.
struct Watch {
    it: Iterate,
    filter: Filter,
    step: f64,
    /// Iterations left to watch (at least one).
    left: usize,
}

/// The KKT measures of one point.
struct Kkt {
    primal: f64,
    dual: f64,
    compl: f64,
}

impl<'a, N: Nlp> Sqp<'a, N> {
    /// The state at the starting point (multipliers zero until
    /// [`start_multipliers`](Self::start_multipliers)).
    fn new(nlp: &'a N, options: &'a SqpOptions, start: Instant) -> Result<Self, Error> {
        let (pb, x0) = Problem::new(nlp, options.hessian)?;
        let cur = pb.point(x0);
        let (mut grad, mut jval) = (vec![0.0; pb.n], vec![0.0; pb.jidx.len()]);
        pb.derivatives(&cur.x, &mut grad, &mut jval);
        let it = Iterate { cur, grad, jval, lambda: vec![0.0; pb.m], zb: vec![0.0; pb.n] };
        Ok(Sqp {
            active: ActiveSet::empty(pb.m, pb.n),
            glob: Globalization {
                max_step: options.max_step.unwrap_or(f64::INFINITY),
                ..Globalization::new(pb.viol1(&it.cur.g))
            },
            hm: HessianModel::new(&pb),
            pb,
            options,
            start,
            it,
            rec: Record::default(),
            watch: None,
        })
    }

    /// Whether f, g and their derivatives are finite at the start.
    fn finite_start(&self) -> bool {
        let it = &self.it;
        it.cur.finite() && it.grad.iter().chain(&it.jval).all(|v| v.is_finite())
    }

    /// The least-squares multipliers at the start (IPOPT's).
    fn start_multipliers(&mut self) {
        self.it.lambda = least_squares_multipliers(&self.pb, &self.it.grad, &self.it.jval);
    }

    /// The KKT measures at the current point; its log line goes to the
    /// record and the observer.
    fn measure(&mut self, iter: usize, observer: &mut dyn SqpObserver) -> Kkt {
        let (pb, it) = (&self.pb, &self.it);
        let r = pb.lagrangian_gradient(&it.grad, &it.jval, &it.lambda);
        let (dual, compl) = pb.kkt(&it.cur.x, &it.cur.g, &r, &it.lambda, &it.zb);
        let primal = pb.viol_max(&it.cur.g);
        let rec = &mut self.rec;
        let line = IterLog {
            iter,
            objective: it.cur.f / pb.sf,
            primal_inf: primal,
            dual_inf: dual.max(compl),
            alpha: rec.alpha,
            step: rec.step,
            qp_iters: rec.qp_iters,
            flags: rec.flags.clone(),
        };
        observer.iteration(&line);
        rec.log.push(line);
        Kkt { primal, dual, compl }
    }

    /// The KKT test, then the iteration and time limits.
    fn ending(&self, iter: usize, k: &Kkt) -> Option<Stop> {
        let o = self.options;
        if k.primal <= o.constr_tol && k.dual <= o.tol && k.compl <= o.tol {
            return Some(Stop::new(Status::Optimal, ""));
        }
        if iter == o.max_iter {
            return Some(Stop::new(Status::MaxIterations, "iteration limit"));
        }
        if o.max_time.is_some_and(|t| self.start.elapsed().as_secs_f64() > t) {
            return Some(Stop::new(Status::TimeLimit, "time limit"));
        }
        None
    }

    /// One iteration: the QP, the line search, and the move to the next
    /// point (or, for a Newton step that fails, a smaller trust region or
    /// the convexified model at the same point).
    fn iterate(&mut self) -> Result<(), Stop> {
        let Sqp { pb, options, it, glob, hm, rec, active, .. } = self;
        rec.flags.clear();
        let v_now = pb.viol1(&it.cur.g);
        let sub = Subproblem::new(pb, it, glob.trust_radius(), active);
        let model = hm.qp_matrix(pb, it, &sub, glob)?;
        let warm = active.clone();
        let base = sub.qp(pb, it, &model.p, &warm);
        let (mut sol, shifted, tries) = solve_regularized(&base);
        rec.flags.extend(std::iter::repeat_n('r', tries));
        if glob.newton {
            rec.flags.push('n');
        }
        if model.shift > 1e-6 {
            rec.flags.push('d');
        }
        let mut qp = Qp { p: shifted.as_ref().unwrap_or(&model.p), ..base };
        if sol.status != QpStatus::Solved && glob.newton {
            // The trust region cut off the linearized constraints, or the
            // Newton model (its ρ at the end of its range) is too badly
            // conditioned for the QP solver: the convexified model next.
            glob.newton = false;
            rec.flags.push('N');
            return Ok(());
        }
        let elastic = sol.status == QpStatus::Infeasible;
        if elastic {
            rec.flags.push('e');
            qp.elastic = Some(elastic_penalty(&it.lambda));
            sol = elastic_step(&qp, v_now, &mut glob.elastic_stall)?;
        }
        if sol.status != QpStatus::Solved {
            let status = if sol.status == QpStatus::Infeasible { Status::Infeasible } else { Status::Failed };
            return Err(Stop::new(status, format!("QP subproblem: {:?}", sol.status)));
        }
        rec.qp_iters = sol.iterations;
        let held = std::mem::take(&mut sol.active);
        if !elastic {
            active.clone_from(&held);
        }
        // (A second-order correction keeps this QP's active set.)
        let qp = Qp { warm: Some(&held), ..qp };
        fold_convexification(pb, &it.jval, &sub, model.rho, &hm.cvx.weight, &mut sol);
        let prev_step = rec.step;
        rec.step = max_abs(&sol.d);
        let newton = glob.newton;
        match line_search(pb, it, &qp, &sol.d, &glob.filter, newton, options.soc, &mut rec.flags) {
            Search::Accepted(next, alpha, kind) => {
                if self.watch.is_some() && alpha < 0.1 {
                    return self.back_to_watch();
                }
                let raised = newton && pb.viol1(&next.g) > 10.0 * v_now.max(1e-8);
                self.watch = match self.watch.take() {
                    _ if raised => Some(Watch { it: it.clone(), filter: glob.filter.clone(), step: rec.step, left: 3 }),
                    Some(w) if w.left > 1 => Some(Watch { left: w.left - 1, ..w }),
                    _ => None,
                };
                if kind == Accept::Either {
                    glob.filter.augment(v_now, it.cur.f);
                }
                rec.alpha = alpha;
                glob.accepted(alpha, rec.step);
                self.accept(next, alpha, &sol, elastic)
            }
            Search::NewtonRejected => {
                glob.newton_rejected(rec.step, prev_step);
                rec.flags.push('N');
                Ok(())
            }
            Search::Failed if self.watch.is_some() => self.back_to_watch(),
            Search::Failed => {
                let t = pb.point(pb.trial_x(&it.cur.x, 1e-10, &sol.d));
                let status = if t.finite() { Status::Failed } else { Status::NonFiniteEvaluation };
                Err(Stop::new(status, "line search failed: no acceptable point along the QP step"))
            }
        }
    }

    /// Return to the watched state, Newton steps in a quarter of the
    /// watched step.
    fn back_to_watch(&mut self) -> Result<(), Stop> {
        let w = self.watch.take().expect("a watched state");
        (self.it, self.glob.filter) = (w.it, w.filter);
        (self.glob.newton, self.glob.radius) = (true, 0.25 * w.step);
        self.rec.flags.push('w');
        Ok(())
    }

    /// Move to `next`: multipliers a step `alpha` toward the QP's, new
    /// derivatives, and the BFGS update.
    fn accept(&mut self, next: Point, alpha: f64, sol: &QpSolution, elastic: bool) -> Result<(), Stop> {
        let (pb, it) = (&self.pb, &mut self.it);
        for (l, lq) in it.lambda.iter_mut().zip(&sol.lambda) {
            *l += alpha * (lq - *l);
        }
        for (l, lq) in it.zb.iter_mut().zip(&sol.z) {
            *l += alpha * (lq - *l);
        }
        let mut grad = vec![0.0; pb.n];
        let mut jval = vec![0.0; it.jval.len()];
        pb.derivatives(&next.x, &mut grad, &mut jval);
        if grad.iter().chain(&jval).any(|v| !v.is_finite()) {
            return Err(Stop::new(Status::NonFiniteEvaluation, "derivatives not finite"));
        }
        if let Some(b) = self.hm.bfgs.as_mut() {
            let s: Vec<f64> = (0..pb.n).map(|i| next.x[i] - it.cur.x[i]).collect();
            let r_new = pb.lagrangian_gradient(&grad, &jval, &it.lambda);
            let r_old = pb.lagrangian_gradient(&it.grad, &it.jval, &it.lambda);
            let y: Vec<f64> = (0..pb.n).map(|i| r_new[i] - r_old[i]).collect();
            damped_bfgs(b, &s, &y, pb.n);
        }
        if !elastic {
            self.glob.elastic_stall = 0;
        }
        (it.cur, it.grad, it.jval) = (next, grad, jval);
        Ok(())
    }

    fn finish(self, stop: Stop, dual: f64, iterations: usize) -> NlpResult {
        let (pb, it) = (&self.pb, &self.it);
        NlpResult {
            status: stop.status,
            constraint_violation: pb.viol_max(&it.cur.g),
            lambda: pb.user_lambda(&it.lambda),
            objective: it.cur.f / pb.sf,
            x: self.it.cur.x,
            dual_infeasibility: dual,
            iterations,
            log: self.rec.log,
            seconds: self.start.elapsed().as_secs_f64(),
            message: stop.message,
        }
    }
}

/// Solve `nlp` by SQP.
///
/// Requirements: an [`Nlp`] with a positive semidefinite Hessian (or none:
/// BFGS is used). The QPs are solved from the last QP's active set, or by
/// clarabel.
///
/// # Errors
/// [`Error::InvalidOption`] for bad options; [`Error::DimensionMismatch`]
/// for structures that do not fit `n`, `m`. Everything else that can go
/// wrong in a solve is a [`Status`] in the result.
///
/// # Example
/// See [`Nlp`].
pub fn solve_nlp<N: Nlp>(nlp: &N, options: &SqpOptions) -> Result<NlpResult, Error> {
    solve_nlp_observed(nlp, options, &mut |_: &IterLog| {})
}

/// [`solve_nlp`], with every line of the iteration log passed to
/// `observer` as it is made (and printed as well with
/// [`SqpOptions::verbose`]).
///
/// # Errors
/// As [`solve_nlp`].
///
/// # Example
/// ```
/// use odeon::ocp::{problems::Brachistochrone, solve_nlp_observed, Collocation, IterLog, SqpOptions, Transcription};
/// let t = Transcription::Radau { segments: 8, order: 3 };
/// let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)?;
/// let mut lines = Vec::new();
/// let r = solve_nlp_observed(&ocp, &SqpOptions::default(), &mut |l: &IterLog| lines.push(l.clone()))?;
/// assert_eq!(lines, r.log);
/// assert_eq!(lines.len(), r.iterations + 1);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn solve_nlp_observed<N: Nlp>(
    nlp: &N,
    options: &SqpOptions,
    observer: &mut dyn SqpObserver,
) -> Result<NlpResult, Error> {
    options.check()?;
    let mut print = |line: &IterLog| {
        if options.verbose {
            PrintLog.iteration(line);
        }
        observer.iteration(line);
    };
    let mut sqp = Sqp::new(nlp, options, Instant::now())?;
    if !sqp.finite_start() {
        return Ok(sqp.finish(Stop::new(Status::NonFiniteEvaluation, "not finite at the start"), f64::NAN, 0));
    }
    sqp.start_multipliers();
    for iter in 0..=options.max_iter {
        let kkt = sqp.measure(iter, &mut print);
        let stop = match sqp.ending(iter, &kkt) {
            Some(stop) => stop,
            None => match sqp.iterate() {
                Ok(()) => continue,
                Err(stop) => stop,
            },
        };
        return Ok(sqp.finish(stop, kkt.dual, iter));
    }
    unreachable!("the loop ends at max_iter")
}

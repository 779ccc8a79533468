//! Each step of an SQP iteration alone, on small problems whose answers
//! are known by hand.

use super::*;
use crate::ocp::solver::options::HessianMode;

/// min c·x s.t. g(x) = x₀² + x₁² ∈ [lo, hi], −5 ≤ x ≤ 5 (x₁ ≤ `x1_max`).
struct Circle {
    c: [f64; 2],
    lo: f64,
    hi: f64,
    x0: [f64; 2],
    x1_max: f64,
}

fn circle(x0: [f64; 2]) -> Circle {
    Circle { c: [1.0, 1.0], lo: 2.0, hi: 2.0, x0, x1_max: 5.0 }
}

impl Nlp for Circle {
    fn n(&self) -> usize {
        2
    }
    fn m(&self) -> usize {
        1
    }
    fn x_bounds(&self, lo: &mut [f64], hi: &mut [f64]) {
        lo.fill(-5.0);
        hi.copy_from_slice(&[5.0, self.x1_max]);
    }
    fn g_bounds(&self, lo: &mut [f64], hi: &mut [f64]) {
        (lo[0], hi[0]) = (self.lo, self.hi);
    }
    fn initial_point(&self, x: &mut [f64]) {
        x.copy_from_slice(&self.x0);
    }
    fn objective(&self, x: &[f64]) -> f64 {
        self.c[0] * x[0] + self.c[1] * x[1]
    }
    fn gradient(&self, _x: &[f64], g: &mut [f64]) {
        g.copy_from_slice(&self.c);
    }
    fn constraints(&self, x: &[f64], g: &mut [f64]) {
        g[0] = x[0] * x[0] + x[1] * x[1];
    }
    fn jacobian_structure(&self) -> Vec<(usize, usize)> {
        vec![(0, 0), (0, 1)]
    }
    fn jacobian_values(&self, x: &[f64], v: &mut [f64]) {
        v.copy_from_slice(&[2.0 * x[0], 2.0 * x[1]]);
    }
    fn hessian_structure(&self) -> Option<Vec<(usize, usize)>> {
        Some(vec![(0, 0), (1, 1)])
    }
    fn hessian_values(&self, _x: &[f64], _sigma: f64, l: &[f64], v: &mut [f64]) {
        v.fill(2.0 * l[0]);
    }
}

fn problem(nlp: &Circle) -> Problem<'_, Circle> {
    Problem::new(nlp, HessianMode::Exact).unwrap().0
}

/// The subproblem at `it` after no QP (an empty last active set).
fn fresh(pb: &Problem<'_, Circle>, it: &Iterate, radius: f64) -> Subproblem {
    Subproblem::new(pb, it, radius, &ActiveSet::empty(pb.m, pb.n))
}

fn iterate(pb: &Problem<'_, Circle>, x: &[f64], lambda: f64) -> Iterate {
    let cur = pb.point(x.to_vec());
    let (mut grad, mut jval) = (vec![0.0; 2], vec![0.0; 2]);
    pb.derivatives(x, &mut grad, &mut jval);
    Iterate { cur, grad, jval, lambda: vec![lambda], zb: vec![0.0; 2] }
}

#[test]
fn subproblem_shifts_the_bounds_and_keeps_newton_steps_in_the_radius() {
    let nlp = circle([1.0, 1.0]);
    let pb = problem(&nlp);
    let mut it = iterate(&pb, &[1.0, 1.0], 0.0);
    let sub = fresh(&pb, &it, f64::INFINITY);
    assert_eq!((sub.rl[0], sub.ru[0]), (0.0, 0.0)); // g = 2 on its bounds
    assert_eq!((sub.dl.clone(), sub.du.clone()), (vec![-6.0, -6.0], vec![4.0, 4.0]));
    assert_eq!(sub.active_rows, [true]); // an equality
    assert_eq!(sub.active_vars, [false, false]);
    let sub = fresh(&pb, &it, 0.5);
    assert_eq!((sub.dl, sub.du), (vec![-0.5, -0.5], vec![0.5, 0.5]));
    // A variable on its upper bound, held there by its multiplier, is
    // active; the same multiplier away from the bound is not.
    let nlp = Circle { x1_max: 1.0, lo: 0.0, hi: 10.0, ..circle([1.0, 1.0]) };
    let pb = problem(&nlp);
    it.zb = vec![0.0, 3.0];
    let sub = fresh(&pb, &it, f64::INFINITY);
    assert_eq!(sub.active_vars, [false, true]);
    assert_eq!(sub.active_rows, [false]); // an inequality without multiplier
    it.cur.x[1] = 0.5;
    assert_eq!(fresh(&pb, &it, f64::INFINITY).active_vars, [false, false]);
    // An inequality row counts when its multiplier holds it at that bound
    // (g = 2 under g ≤ 2, λ > 0), not with a multiplier off its bound
    // (g ≤ 10): ρ there would hold the step back (the cannonball's muzzle
    // energy crept 0.2 % per iteration before).
    let nlp = Circle { lo: 0.0, hi: 2.0, ..circle([1.0, 1.0]) };
    let pb = problem(&nlp);
    let held = iterate(&pb, &[1.0, 1.0], 3.0);
    assert_eq!(fresh(&pb, &held, f64::INFINITY).active_rows, [true]);
    let wrong_side = iterate(&pb, &[1.0, 1.0], -3.0);
    assert_eq!(fresh(&pb, &wrong_side, f64::INFINITY).active_rows, [false]);
    let nlp = Circle { lo: 0.0, hi: 10.0, ..circle([1.0, 1.0]) };
    let pb = problem(&nlp);
    assert_eq!(fresh(&pb, &iterate(&pb, &[1.0, 1.0], 3.0), f64::INFINITY).active_rows, [false]);
    // ... unless the last QP held it at that bound (a full step leaves a
    // nonlinear row at its bound only to the linearization's error), and
    // then only with a multiplier of that bound's sign.
    let last = ActiveSet { rows: vec![1], vars: vec![0, 0] };
    assert_eq!(Subproblem::new(&pb, &iterate(&pb, &[1.0, 1.0], 3.0), f64::INFINITY, &last).active_rows, [true]);
    assert_eq!(Subproblem::new(&pb, &iterate(&pb, &[1.0, 1.0], -3.0), f64::INFINITY, &last).active_rows, [false]);
    assert_eq!(Subproblem::new(&pb, &iterate(&pb, &[1.0, 1.0], 0.0), f64::INFINITY, &last).active_rows, [false]);
}

#[test]
fn newton_model_that_needs_a_large_shift_falls_back_to_the_convexified_one() {
    let nlp = circle([1.0, 1.0]);
    let pb = problem(&nlp);
    let mut hm = HessianModel::new(&pb);
    // λ = −1: the Lagrangian's Hessian is −2I, concave on the circle's
    // tangent; Newton mode needs a large shift and is left.
    let it = iterate(&pb, &[1.0, 1.0], -1.0);
    let sub = fresh(&pb, &it, 1.0);
    let mut glob = Globalization::new(0.0);
    (glob.newton, glob.newton_tol) = (true, 1.0);
    let m = hm.qp_matrix(&pb, &it, &sub, &mut glob).unwrap();
    assert!(!glob.newton);
    assert_eq!(glob.newton_tol, 0.1);
    // Without a convex Hessian from the problem, the exact one is shifted
    // to positive definite.
    assert!(m.shift > 1e-3, "shift {}", m.shift);
    // λ = +1: 2I is convex already; Newton stays, with the tiny δ only.
    let it = iterate(&pb, &[1.0, 1.0], 1.0);
    (glob.newton, glob.newton_tol) = (true, 1.0);
    let m = hm.qp_matrix(&pb, &it, &sub, &mut glob).unwrap();
    assert!(glob.newton && m.rho == 0.0 && m.shift <= 1e-9, "{} {}", m.rho, m.shift);
}

#[test]
fn slow_convexified_steps_let_newton_keep_a_large_shift() {
    let nlp = circle([1.0, 1.0]);
    let pb = problem(&nlp);
    let mut hm = HessianModel::new(&pb);
    let it = iterate(&pb, &[1.0, 1.0], -1.0);
    let sub = fresh(&pb, &it, 1.0);
    // Three full convexified steps, each longer than 0.7 of the one
    // before (Newton's threshold kept below them): slow progress.
    let mut glob = Globalization::new(0.0);
    glob.newton_tol = 0.01;
    for step in [1.0, 0.9, 0.8, 0.75] {
        glob.accepted(1.0, step);
    }
    assert_eq!(glob.slow, 3);
    // ... and Newton is tried again, its threshold notwithstanding (after
    // a failed Newton step the threshold may sit far below the crawl).
    assert!(glob.newton && glob.radius == 1.5, "{} {}", glob.newton, glob.radius);
    // The concave Newton model (λ = −1) is then kept, shifted.
    let m = hm.qp_matrix(&pb, &it, &sub, &mut glob).unwrap();
    assert!(glob.newton && m.shift > 1e-3, "shift {}", m.shift);
    // A step that shrinks fast, or one not taken whole, resets the count.
    let mut glob = Globalization::new(0.0);
    glob.newton_tol = 0.01;
    for (alpha, step) in [(1.0, 1.0), (1.0, 0.9), (1.0, 0.5), (1.0, 0.45), (0.5, 0.44)] {
        glob.accepted(alpha, step);
    }
    assert_eq!(glob.slow, 0);
    assert!(!glob.newton);
}

#[test]
fn bfgs_model_starts_from_the_identity() {
    let nlp = circle([1.0, 1.0]);
    let pb = Problem::new(&nlp, HessianMode::Bfgs).unwrap().0;
    let mut hm = HessianModel::new(&pb);
    let it = iterate(&pb, &[1.0, 1.0], 0.0);
    let sub = fresh(&pb, &it, f64::INFINITY);
    let m = hm.qp_matrix(&pb, &it, &sub, &mut Globalization::new(0.0)).unwrap();
    assert_eq!(m.p.nzval, [1.0 + 1e-10; 2]);
}

#[test]
fn unbounded_qp_is_regularized_until_it_has_a_solution() {
    // min d₀ + d₁ with P = 0 and no bounds on d: unbounded.
    let nlp = circle([1.0, 1.0]);
    let pb = problem(&nlp);
    let it = iterate(&pb, &[1.0, 1.0], 0.0);
    let mut sub = fresh(&pb, &it, f64::INFINITY);
    (sub.rl[0], sub.ru[0]) = (f64::NEG_INFINITY, f64::INFINITY);
    sub.dl.fill(f64::NEG_INFINITY);
    sub.du.fill(f64::INFINITY);
    let zero = CscMatrix::new(2, 2, vec![0, 1, 2], vec![0, 1], vec![0.0, 0.0]);
    let (sol, shifted, tries) = solve_regularized(&sub.qp(&pb, &it, &zero, &ActiveSet::empty(pb.m, pb.n)));
    assert_eq!(sol.status, QpStatus::Solved);
    assert!(tries >= 1 && shifted.is_some());
    // The step solves (δI) d = −c for the δ of the last try.
    let delta = 10f64.powi(tries as i32 - 1 - 4);
    for d in &sol.d {
        assert!((d + 1.0 / delta).abs() < 1e-6 / delta, "d = {d}, δ = {delta}");
    }
}

#[test]
fn infeasible_linearization_gets_an_elastic_step_then_a_verdict() {
    // x² + y² = 2 linearized at the origin: 0·d = 2 cannot hold.
    let nlp = circle([0.0, 0.0]);
    let pb = problem(&nlp);
    let it = iterate(&pb, &[0.0, 0.0], 0.0);
    let sub = fresh(&pb, &it, f64::INFINITY);
    let p = identity();
    let none = ActiveSet::empty(pb.m, pb.n);
    let qp = sub.qp(&pb, &it, &p, &none);
    assert_eq!(qp.solve().status, QpStatus::Infeasible);
    let qp = Qp { elastic: Some(elastic_penalty(&it.lambda)), ..qp };
    assert_eq!(elastic_penalty(&[-20.0, 3.0]), 2000.0);
    // The slack must carry the whole violation: no decrease predicted, so
    // the point is a stationary point of the violation at once.
    let mut stall = 0;
    let verdict = elastic_step(&qp, pb.viol1(&it.cur.g), &mut stall);
    assert_eq!(verdict.err().map(|s| s.status), Some(Status::Infeasible));
    assert_eq!(stall, 1);
    // Away from the origin the linearization is feasible: the elastic QP
    // needs no slack and the stall count stays.
    let it = iterate(&pb, &[0.5, 0.5], 0.0);
    let sub = fresh(&pb, &it, f64::INFINITY);
    let none = ActiveSet::empty(pb.m, pb.n);
    let qp = Qp { elastic: Some(1e3), ..sub.qp(&pb, &it, &p, &none) };
    let mut stall = 0;
    let sol = elastic_step(&qp, pb.viol1(&it.cur.g), &mut stall).unwrap();
    assert!(sol.slack.iter().sum::<f64>() < 1e-6 && stall == 0);
}

#[test]
fn convexification_term_is_folded_into_the_multipliers() {
    let nlp = circle([1.0, 1.0]);
    let pb = problem(&nlp);
    let it = iterate(&pb, &[1.0, 1.0], 0.0);
    let mut sub = fresh(&pb, &it, f64::INFINITY);
    sub.active_vars = vec![true, false];
    let mut sol = QpSolution {
        status: QpStatus::Solved,
        d: vec![0.5, -0.25],
        lambda: vec![1.0],
        z: vec![0.0, 0.0],
        slack: vec![0.0],
        iterations: 1,
        active: ActiveSet::empty(1, 2),
    };
    // The row (2, 2) has weight 1/‖(2, 2)‖² = 1/8.
    fold_convexification(&pb, &it.jval, &sub, 4.0, &[0.125], &mut sol);
    // J d = 2·0.5 − 2·0.25 = 0.5: λ += 4·0.125·0.5; z₀ += 4·0.5 (active), z₁ stays.
    assert_eq!(sol.lambda, [1.25]);
    assert_eq!(sol.z, [2.0, 0.0]);
    fold_convexification(&pb, &it.jval, &sub, 0.0, &[0.125], &mut sol);
    assert_eq!(sol.lambda, [1.25]);
}

/// The QP matrix I.
fn identity() -> CscMatrix<f64> {
    CscMatrix::new(2, 2, vec![0, 1, 2], vec![0, 1], vec![1.0, 1.0])
}

#[test]
fn line_search_takes_good_steps_whole_and_shortens_bad_ones() {
    // max x₀ on the circle x₀² + x₁² = 2, from (2, 0) (θ = 2).
    let nlp = Circle { c: [-1.0, 0.0], ..circle([2.0, 0.0]) };
    let pb = problem(&nlp);
    let it = iterate(&pb, &[2.0, 0.0], 0.0);
    let filter = Filter::new(pb.viol1(&it.cur.g));
    let (sub, p) = (fresh(&pb, &it, f64::INFINITY), identity());
    let none = ActiveSet::empty(pb.m, pb.n);
    let qp = sub.qp(&pb, &it, &p, &none);
    let mut flags = String::new();
    let mut search =
        |it: &Iterate, d: &[f64], newton: bool| line_search(&pb, it, &qp, d, &filter, newton, false, &mut flags);
    // Toward the circle: θ 2 → 0.25, accepted whole.
    let Search::Accepted(p, a, _) = search(&it, &[-0.5, 0.0], false) else { panic!("accepted") };
    assert_eq!((a, p.x), (1.0, vec![1.5, 0.0]));
    // Past it to x₀ = −4: f and θ both worse; half the step (x₀ = −1,
    // θ = 1) is taken.
    let Search::Accepted(p, a, _) = search(&it, &[-6.0, 0.0], false) else { panic!("accepted") };
    assert_eq!((a, p.x), (0.5, vec![-1.0, 0.0]));
    // In Newton mode the same step is rejected at once.
    assert!(matches!(search(&it, &[-6.0, 0.0], true), Search::NewtonRejected));
    // From (−2, 0), a step that raises f and θ for every length.
    let far = iterate(&pb, &[-2.0, 0.0], 0.0);
    assert!(matches!(search(&far, &[-1.0, 0.0], false), Search::Failed));
    assert_eq!(flags, "");
}

#[test]
fn second_order_correction_returns_to_the_curved_constraint() {
    // On the circle at (1, 1), the QP's step (−c, on the tangent) leaves
    // the circle by |d|²; the correction's point violates it far less.
    let nlp = Circle { c: [-0.3, 0.3], ..circle([1.0, 1.0]) };
    let pb = problem(&nlp);
    let it = iterate(&pb, &[1.0, 1.0], 0.0);
    let d = [0.3, -0.3];
    let trial = pb.point(pb.trial_x(&it.cur.x, 1.0, &d));
    let (sub, p) = (fresh(&pb, &it, f64::INFINITY), identity());
    let none = ActiveSet::empty(pb.m, pb.n);
    let qp = sub.qp(&pb, &it, &p, &none);
    let step = qp.solve().d;
    assert!((step[0] - d[0]).abs() < 1e-7 && (step[1] - d[1]).abs() < 1e-7, "{step:?}");
    let p = second_order_correction(&pb, &qp, &it.cur, &trial, &d, &it.jval).unwrap();
    let (before, after) = (pb.viol1(&trial.g), pb.viol1(&p.g));
    assert!((before - 0.18).abs() < 1e-12, "{before}");
    // The corrected step (0.255, −0.345) ends at g = 2.00405.
    assert!((after - 0.00405).abs() < 1e-7, "{before} → {after}");
}

#[test]
fn newton_trust_region_grows_on_hits_and_shrinks_on_rejections() {
    let mut g = Globalization::new(1.0);
    assert_eq!(g.trust_radius(), f64::INFINITY);
    // A full step shorter than the Newton threshold switches Newton on
    // with a radius of twice the step.
    g.accepted(1.0, 0.1);
    assert!(g.newton && g.radius == 0.2 && g.trust_radius() == 0.2);
    // A step at the radius doubles it; a shorter one keeps it.
    g.accepted(1.0, 0.19);
    assert_eq!(g.radius, 0.4);
    g.accepted(0.5, 0.1);
    assert_eq!(g.radius, 0.4);
    // Rejections shrink it to a quarter of the step, and Newton is left
    // once it is below a twentieth of the threshold (∞ here: at once),
    // with the threshold then half the previous step.
    g.newton_tol = 1.0;
    g.newton_rejected(0.4, 0.3);
    assert!(g.newton && g.radius == 0.1);
    g.newton_rejected(0.1, 0.3);
    assert!(!g.newton && g.radius == 0.025 && g.newton_tol == 0.15);
    assert_eq!(g.trust_radius(), f64::INFINITY);
    // A shortened step does not switch Newton on.
    g.accepted(0.5, 0.01);
    assert!(!g.newton);
    // A user's step limit bounds the steps outside Newton only.
    g.max_step = 2.0;
    assert_eq!(g.trust_radius(), 2.0);
    g.accepted(1.0, 0.01);
    assert!(g.newton && g.trust_radius() == 0.02);
}

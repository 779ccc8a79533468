//! The sparse derivatives of the transcribed NLP against finite
//! differences of its own functions, on small grids, for every classic
//! problem and both transcriptions.

use nalgebra::{Const, SVector};
use odeon::DualScalar;
use odeon::ocp::problems::{
    Brachistochrone, Cannonball, CannonballAscent, CannonballDescent, CartPole, DoubleIntegrator, GoddardRocket,
    HyperSensitive, MoonLanding, ShuttleReentry, SwingUp,
};
use odeon::ocp::{
    Collocation, ControlVar, IterLog, Nlp, OptimalControl, Phase, SqpOptions, StateVar, Status, TimeVar, Transcription,
};
use odeon::system::Model;

/// A point near the initial guess (deterministic perturbation `seed`;
/// fixed variables are perturbed too, so that no value sits at a special
/// point such as an exact zero).
fn point<N: Nlp>(nlp: &N, seed: usize) -> Vec<f64> {
    let n = nlp.n();
    let mut x = vec![0.0; n];
    nlp.initial_point(&mut x);
    for (i, xi) in x.iter_mut().enumerate() {
        let r = ((i * 7919 + 13 * seed + 5) % 101) as f64 / 101.0 - 0.5;
        *xi += 0.05 * r * (1.0 + xi.abs());
    }
    x
}

/// Central differences of `f: ℝⁿ → ℝᵐ` (dense, column by column).
fn fd(x: &[f64], m: usize, step: f64, f: impl Fn(&[f64], &mut [f64])) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut jac = vec![vec![0.0; n]; m];
    let (mut gp, mut gm) = (vec![0.0; m], vec![0.0; m]);
    let mut xp = x.to_vec();
    for j in 0..n {
        let h = step * (1.0 + x[j].abs());
        xp[j] = x[j] + h;
        f(&xp, &mut gp);
        xp[j] = x[j] - h;
        f(&xp, &mut gm);
        xp[j] = x[j];
        for i in 0..m {
            jac[i][j] = (gp[i] - gm[i]) / (2.0 * h);
        }
    }
    jac
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-6 * scale.max(1.0) * (1.0 + b.abs())
}

fn check<P: OptimalControl>(name: &str, problem: &P, phase: &Phase, t: Transcription) {
    let nlp = Collocation::new(problem, phase, t).unwrap();
    let (n, m) = (nlp.n(), nlp.m());
    let x = point(&nlp, 1);
    // Jacobian: sparse values scattered to dense, against FD; and the
    // structure has no entry that is zero at this generic point.
    let idx = nlp.jacobian_structure();
    let mut vals = vec![0.0; idx.len()];
    nlp.jacobian_values(&x, &mut vals);
    let mut dense = vec![vec![0.0; n]; m];
    for (&(r, c), &v) in idx.iter().zip(&vals) {
        dense[r][c] += v;
    }
    let reference = fd(&x, m, 1e-6, |x, g| nlp.constraints(x, g));
    let scale = reference.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
    for i in 0..m {
        for j in 0..n {
            assert!(
                close(dense[i][j], reference[i][j], scale * 1e-2),
                "{name} {t:?}: J[{i}][{j}] = {} vs FD {}",
                dense[i][j],
                reference[i][j]
            );
        }
    }
    // No structural entry is zero at both of two generic points.
    let mut vals2 = vec![0.0; idx.len()];
    nlp.jacobian_values(&point(&nlp, 2), &mut vals2);
    let zeros = vals.iter().zip(&vals2).filter(|(a, b)| **a == 0.0 && **b == 0.0).count();
    assert_eq!(zeros, 0, "{name} {t:?}: {zeros} structural Jacobian entries are zero at generic points");
    // Gradient.
    let mut grad = vec![0.0; n];
    nlp.gradient(&x, &mut grad);
    let gref = fd(&x, 1, 1e-6, |x, f| f[0] = nlp.objective(x));
    for j in 0..n {
        assert!(close(grad[j], gref[0][j], 1.0), "{name} {t:?}: grad[{j}] = {} vs FD {}", grad[j], gref[0][j]);
    }
    // Hessian of the Lagrangian against FD of its gradient ∇f σ + Jᵀλ.
    let lambda: Vec<f64> = (0..m).map(|i| ((i * 31 + 7) % 17) as f64 / 17.0 - 0.4).collect();
    let sigma = 0.7;
    let hidx = nlp.hessian_structure().unwrap();
    let mut hv = vec![0.0; hidx.len()];
    nlp.hessian_values(&x, sigma, &lambda, &mut hv);
    let mut h = vec![vec![0.0; n]; n];
    for (&(r, c), &v) in hidx.iter().zip(&hv) {
        assert!(r >= c, "lower triangle");
        h[r][c] += v;
        if r != c {
            h[c][r] += v;
        }
    }
    let lag_grad = |x: &[f64], out: &mut [f64]| {
        let mut g = vec![0.0; n];
        nlp.gradient(x, &mut g);
        let mut jv = vec![0.0; idx.len()];
        nlp.jacobian_values(x, &mut jv);
        for j in 0..n {
            out[j] = sigma * g[j];
        }
        for (&(r, c), &v) in idx.iter().zip(&jv) {
            out[c] += lambda[r] * v;
        }
    };
    // Central differences of exact first derivatives: error O(h²); at 1e-4
    // the shuttle's third derivatives left 2e-4 (relative) of it.
    let href = fd(&x, n, 2e-5, lag_grad);
    let hscale = href.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
    // Fixed variables (equal bounds) never move: their Hessian rows are left out.
    let (mut lo, mut hi) = (vec![0.0; n], vec![0.0; n]);
    nlp.x_bounds(&mut lo, &mut hi);
    let free: Vec<usize> = (0..n).filter(|&i| lo[i] != hi[i]).collect();
    assert!(free.len() < n, "the classic problems all fix some variables");
    for &i in &free {
        for &j in &free {
            assert!(
                close(h[i][j], href[i][j], hscale * 1e-2),
                "{name} {t:?}: H[{i}][{j}] = {} vs FD {}",
                h[i][j],
                href[i][j]
            );
        }
    }
}

fn grids() -> [Transcription; 4] {
    [
        Transcription::GaussLobatto { segments: 3, order: 3 },
        Transcription::GaussLobatto { segments: 2, order: 5 },
        Transcription::Radau { segments: 3, order: 3 },
        Transcription::Radau { segments: 2, order: 4 },
    ]
}

#[test]
fn jacobian_gradient_and_hessian_match_finite_differences() {
    for t in grids() {
        check("brachistochrone", &Brachistochrone, &Brachistochrone::phase(), t);
        check("double integrator", &DoubleIntegrator, &DoubleIntegrator::phase(), t);
        check("hyper-sensitive", &HyperSensitive, &HyperSensitive::phase(10.0), t);
        check("cart-pole", &SwingUp(CartPole), &CartPole::phase(), t);
        check("goddard", &GoddardRocket, &GoddardRocket::phase(), t);
        let thrust = GoddardRocket::phase().controls[0].clone().variation_penalty(3e-4);
        check("goddard regularized", &GoddardRocket, &GoddardRocket::phase().control(0, thrust), t);
        check("moon landing", &MoonLanding, &MoonLanding::phase(), t);
        check("cannonball ascent", &CannonballAscent, &Cannonball::ascent(), t);
        check("cannonball descent", &CannonballDescent, &Cannonball::descent(), t);
        check("shuttle reentry", &ShuttleReentry, &ShuttleReentry::heating_limited_phase(), t);
    }
}

/// A double integrator pushed to the greatest x(1) against a spring that
/// engages only beyond x = 0.1: ∂v̇/∂x is zero wherever x < 0.1.
struct Spring;

impl Model for Spring {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn n_inputs(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], _p: &[D], dx: &mut SVector<D, 2>) {
        let stretch = x[0] - D::from(0.1);
        dx[0] = x[1];
        dx[1] = u[0] - if stretch.re() > 0.0 { stretch * D::from(20.0) } else { D::from(0.0) };
    }
}

impl OptimalControl for Spring {
    type Model = Self;
    fn model(&self) -> &Self {
        self
    }
    fn mayer<D: DualScalar>(&self, _t: D, x: &[D], _u: &[D], _p: &[D]) -> D {
        -x[0]
    }
}

fn spring_phase(x_final_guess: f64) -> Phase {
    Phase::new(&Spring)
        .time(TimeVar::fixed(0.0, 1.0))
        .state(0, StateVar::new().fix_initial(0.0).guess(0.0, x_final_guess))
        .state(1, StateVar::new().fix_initial(0.0).fix_final(0.0))
        .control(0, ControlVar::new().bounds(-1.0, 1.0).guess(1.0, -1.0))
}

#[test]
fn entries_the_probes_missed_join_the_structure() {
    let t = Transcription::Radau { segments: 20, order: 3 };
    // A guess that stretches the spring: the probes see every entry.
    let engaged = Collocation::new(&Spring, &spring_phase(0.25), t).unwrap();
    let reference = engaged.solve(&SqpOptions::default()).unwrap();
    assert_eq!(reference.status, Status::Optimal);
    // A guess at rest: the probes see ∂v̇/∂x = 0 and leave it out, until
    // the iterates stretch the spring.
    let resting = Collocation::new(&Spring, &spring_phase(0.0), t).unwrap();
    let before = resting.jacobian_structure().len();
    assert!(before < engaged.jacobian_structure().len());
    let mut observed = Vec::new();
    let sol = resting.solve_observed(&SqpOptions::default(), &mut |l: &IterLog| observed.push(l.clone())).unwrap();
    assert_eq!(sol.status, Status::Optimal, "{}", sol.message);
    assert!(resting.jacobian_structure().len() > before);
    // The observer saw every line of both rounds, as they were made.
    assert_eq!(observed, sol.log);
    assert!((sol.objective - reference.objective).abs() < 1e-9, "{} vs {}", sol.objective, reference.objective);
    // A log line per iteration and per start (iteration 0 of each round).
    assert_eq!(sol.log.len(), sol.iterations + 2);
    let restart = sol.log.iter().skip(1).position(|l| l.iter == 0).unwrap() + 1;
    // Near the stretched guess the grown structure (grown again by any
    // entry met there first) gives the whole Jacobian.
    let x = point(&engaged, 1);
    resting.jacobian_values(&x, &mut vec![0.0; resting.jacobian_structure().len()]);
    let idx = resting.jacobian_structure();
    let mut vals = vec![0.0; idx.len()];
    resting.jacobian_values(&x, &mut vals);
    let mut dense = vec![vec![0.0; resting.n()]; resting.m()];
    for (&(r, c), &v) in idx.iter().zip(&vals) {
        dense[r][c] += v;
    }
    let reference = fd(&x, resting.m(), 1e-6, |x, g| resting.constraints(x, g));
    for (row, row_ref) in dense.iter().zip(&reference) {
        for (v, r) in row.iter().zip(row_ref) {
            assert!(close(*v, *r, 1.0), "J = {v} vs FD {r}");
        }
    }
    // With no iterations left to start again, the result is a failure,
    // not a claim made with the incomplete Jacobian.
    let fresh = Collocation::new(&Spring, &spring_phase(0.0), t).unwrap();
    let first = fresh.solve(&SqpOptions::default().max_iter(restart - 1)).unwrap();
    assert_eq!(first.status, Status::Failed, "{}", first.message);
    assert!(first.message.contains("structure grew"));
}

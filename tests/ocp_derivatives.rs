//! The sparse derivatives of the transcribed NLP against finite
//! differences of its own functions, on small grids, for every classic
//! problem and both transcriptions.

use odeon::ocp::problems::{Brachistochrone, CartPole, DoubleIntegrator, GoddardRocket, HyperSensitive, MoonLanding};
use odeon::ocp::{Collocation, Nlp, OptimalControl, Phase, Transcription};

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
    // Central differences of exact first derivatives: error O(h²), so a larger step.
    let href = fd(&x, n, 1e-4, lag_grad);
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
        check("cart-pole", &CartPole, &CartPole::phase(), t);
        check("goddard", &GoddardRocket, &GoddardRocket::phase(), t);
        check("moon landing", &MoonLanding, &MoonLanding::phase(), t);
    }
}

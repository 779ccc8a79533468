//! Multiplier estimates and quasi-Newton updates of the SQP.

use super::qp::{ActiveSet, Qp, QpStatus};
use super::scaled::Problem;
use crate::ocp::Nlp;
use clarabel::algebra::CscMatrix;

/// Least-squares multipliers: min ‖∇f + Jᵀλ‖² (IPOPT's initial λ), by
/// the QP solver; zero if they come out larger than 1000.
pub(crate) fn least_squares_multipliers<N: Nlp>(pb: &Problem<'_, N>, grad: &[f64], jval: &[f64]) -> Vec<f64> {
    let (n, m) = (pb.n, pb.m);
    if m == 0 {
        return Vec::new();
    }
    // Variables (w ∈ ℝⁿ, λ ∈ ℝᵐ): min ½‖w‖² s.t. w − Jᵀλ = ∇f, as a QP
    // with n + m variables and n equality rows; reuse the QP type with
    // "constraints" the n rows.
    let nv = n + m;
    // P = diag(1 (w), 1e-10 (λ)).
    let p = CscMatrix::new(
        nv,
        nv,
        (0..=nv).collect(),
        (0..nv).collect(),
        (0..nv).map(|i| if i < n { 1.0 } else { 1e-10 }).collect(),
    );
    let mut j_idx = Vec::new();
    let mut j_val = Vec::new();
    for i in 0..n {
        j_idx.push((i, i));
        j_val.push(1.0);
    }
    for (&(r, c), &v) in pb.jidx.iter().zip(jval) {
        j_idx.push((c, n + r));
        j_val.push(-v);
    }
    let c = vec![0.0; nv];
    let inf = vec![f64::INFINITY; nv];
    let ninf = vec![f64::NEG_INFINITY; nv];
    let qp = Qp {
        n: nv,
        m: n,
        p: &p,
        c: &c,
        j_idx: &j_idx,
        j_val: &j_val,
        rl: grad,
        ru: grad,
        dl: &ninf,
        du: &inf,
        elastic: None,
        warm: Some(&ActiveSet::empty(n, nv)),
    };
    let s = qp.solve();
    // w = ∇f + Jᵀλ with λ as defined: w − Jᵀλ' = ∇f → λ = −λ'.
    let lam: Vec<f64> = s.d[n..].iter().map(|v| -v).collect();
    if s.status != QpStatus::Solved || lam.iter().any(|v| !v.is_finite() || v.abs() > 1e3) {
        return vec![0.0; m];
    }
    lam
}

/// Powell's damped BFGS update of the dense matrix `b` (N&W Procedure 18.2).
pub(crate) fn damped_bfgs(b: &mut [f64], s: &[f64], y: &[f64], n: usize) {
    let bs: Vec<f64> = (0..n).map(|i| (0..n).map(|j| b[i * n + j] * s[j]).sum()).collect();
    let sbs: f64 = s.iter().zip(&bs).map(|(a, c)| a * c).sum();
    let sy: f64 = s.iter().zip(y).map(|(a, c)| a * c).sum();
    if sbs.is_nan() || sbs <= 1e-16 {
        return;
    }
    let theta = if sy >= 0.2 * sbs { 1.0 } else { 0.8 * sbs / (sbs - sy) };
    let r: Vec<f64> = (0..n).map(|i| theta * y[i] + (1.0 - theta) * bs[i]).collect();
    let sr: f64 = s.iter().zip(&r).map(|(a, c)| a * c).sum();
    if sr.is_nan() || sr <= 1e-16 {
        return;
    }
    for i in 0..n {
        for j in 0..n {
            b[i * n + j] += -bs[i] * bs[j] / sbs + r[i] * r[j] / sr;
        }
    }
}

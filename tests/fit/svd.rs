//! nalgebra's SVD in the mode the fit report uses (V requested, U not)
//! against an independent one-sided Jacobi SVD (Hestenes), on
//! ill-conditioned Jacobians: the covariance, the identifiability
//! diagnosis and the Levenberg–Marquardt step rest on it, and nalgebra has
//! open upstream reports of wrong singular values with U/V requested.

use nalgebra::DMatrix;

/// Singular values by one-sided Jacobi rotations of the columns until
/// they are orthogonal to working precision; the values are the column
/// norms. Slow, simple and accurate in relative terms even for tiny
/// singular values (Demmel & Veselić 1992).
fn jacobi_singular_values(a: &DMatrix<f64>) -> Vec<f64> {
    let mut u = a.clone();
    let n = u.ncols();
    for _sweep in 0..60 {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let alpha = u.column(p).norm_squared();
                let beta = u.column(q).norm_squared();
                let gamma = u.column(p).dot(&u.column(q));
                if gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let t = if zeta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for i in 0..u.nrows() {
                    let (x, y) = (u[(i, p)], u[(i, q)]);
                    u[(i, p)] = c * x - s * y;
                    u[(i, q)] = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let mut sv: Vec<f64> = (0..n).map(|j| u.column(j).norm()).collect();
    sv.sort_by(|a, b| b.total_cmp(a));
    sv
}

/// A 60 × k Jacobian of exponentials with nearby rates: columns nearly
/// collinear, condition numbers from 1e3 to beyond 1e10.
fn exponentials(rates: &[f64]) -> DMatrix<f64> {
    DMatrix::from_fn(60, rates.len(), |i, j| {
        let t = 0.1 * i as f64;
        -t * (-rates[j] * t).exp()
    })
}

#[test]
fn singular_values_and_right_vectors_agree_with_jacobi() {
    for rates in [vec![1.0, 1.5], vec![1.0, 1.1, 1.2], vec![0.5, 0.55, 0.6, 0.65], vec![1.0, 1.01, 1.02, 1.03, 1.04]] {
        let j = exponentials(&rates);
        let svd = j.clone().svd(false, true);
        let mut ours: Vec<f64> = svd.singular_values.iter().copied().collect();
        ours.sort_by(|a, b| b.total_cmp(a));
        let reference = jacobi_singular_values(&j);
        let cond = reference[0] / reference[reference.len() - 1];
        for (a, b) in ours.iter().zip(&reference) {
            // Both are backward stable: agreement to a few ε of σ_max.
            assert!(
                (a - b).abs() <= 1e-13 * reference[0],
                "rates {rates:?} (cond {cond:.1e}): {ours:?} vs {reference:?}"
            );
        }
        // V is orthonormal and ‖J vᵢ‖ = σᵢ.
        let vt = svd.v_t.unwrap();
        let vvt = &vt * vt.transpose();
        assert!((vvt - DMatrix::identity(rates.len(), rates.len())).amax() < 1e-13, "rates {rates:?}");
        for (i, s) in svd.singular_values.iter().enumerate() {
            let jv = (&j * vt.row(i).transpose()).norm();
            assert!((jv - s).abs() <= 1e-13 * reference[0], "rates {rates:?}: ‖J v{i}‖ = {jv} vs σ = {s}");
        }
    }
}

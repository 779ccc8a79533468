//! The Student t distribution, for confidence intervals.
//!
//! `P(T ≤ t) = 1 − ½ I_x(ν/2, ½)` with `x = ν/(ν + t²)` for `t ≥ 0`, where
//! `I` is the regularized incomplete beta function, evaluated by its
//! continued fraction (modified Lentz). References: Abramowitz & Stegun
//! 26.7.1 and 26.5.8; Press et al., *Numerical Recipes*, 3rd ed., §6.4;
//! Lanczos's log-gamma with Godfrey's coefficients (g = 7, n = 9).

/// `ln Γ(x)` for `x > 0` (Lanczos approximation, ~1e-15 relative).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction of the incomplete beta function (Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    d = if d.abs() < TINY { TINY } else { d };
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))] {
            d = 1.0 + aa * d;
            d = if d.abs() < TINY { TINY } else { d };
            c = 1.0 + aa / c;
            c = if c.abs() < TINY { TINY } else { c };
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// Regularized incomplete beta `I_x(a, b)`.
fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) { front * beta_cf(a, b, x) / a } else { 1.0 - front * beta_cf(b, a, 1.0 - x) / b }
}

/// `P(T ≤ t)` for Student's t with `nu` degrees of freedom.
pub fn student_t_cdf(t: f64, nu: f64) -> f64 {
    let tail = 0.5 * beta_inc(0.5 * nu, 0.5, nu / (nu + t * t));
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The `p`-quantile of Student's t with `nu > 0` degrees of freedom.
///
/// # Example
/// ```
/// use odeon::fit::student_t_quantile;
/// assert!((student_t_quantile(0.975, 10.0) - 2.228138851986).abs() < 1e-9);
/// ```
pub fn student_t_quantile(p: f64, nu: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && nu > 0.0) {
        return f64::NAN;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, nu);
    }
    // Bracket, then bisect to full precision (the CDF is monotone).
    let (mut lo, mut hi) = (0.0, 1.0);
    while student_t_cdf(hi, nu) < p {
        lo = hi;
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, nu) < p {
            lo = mid
        } else {
            hi = mid
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_tables() {
        // Two-sided 95% critical values (Abramowitz & Stegun table 26.10).
        for (nu, t) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (5.0, 2.570_581_836),
            (10.0, 2.228_138_852),
            (30.0, 2.042_272_456),
            (120.0, 1.979_930_405),
        ] {
            assert!((student_t_quantile(0.975, nu) - t).abs() < 1e-8, "nu = {nu}");
        }
        // Many degrees of freedom approach the normal quantile.
        assert!((student_t_quantile(0.975, 1e7) - 1.959_963_985).abs() < 1e-6);
        assert!((student_t_quantile(0.5, 3.0)).abs() < 1e-12);
        assert!(student_t_quantile(1.5, 3.0).is_nan());
    }

    #[test]
    fn cdf_of_cauchy() {
        // nu = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π.
        for t in [-3.0, -0.5, 0.0, 0.7, 10.0] {
            let exact = 0.5 + f64::atan(t) / std::f64::consts::PI;
            assert!((student_t_cdf(t, 1.0) - exact).abs() < 1e-13, "t = {t}");
        }
    }

    #[test]
    fn ln_gamma_of_integers_and_half() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
    }
}

//! Hand-written, model-specific Dormand–Prince 5(4) loops in plain `f64`:
//! the baselines the generic integrator is measured against. Same error
//! norm, PI controller and initial step as odeon's, written out for one
//! model with fixed-size arrays, no abstraction.

pub const C: [f64; 7] = [0.0, 0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0];
pub const A21: f64 = 0.2;
pub const A31: f64 = 3.0 / 40.0;
pub const A32: f64 = 9.0 / 40.0;
pub const A41: f64 = 44.0 / 45.0;
pub const A42: f64 = -56.0 / 15.0;
pub const A43: f64 = 32.0 / 9.0;
pub const A51: f64 = 19372.0 / 6561.0;
pub const A52: f64 = -25360.0 / 2187.0;
pub const A53: f64 = 64448.0 / 6561.0;
pub const A54: f64 = -212.0 / 729.0;
pub const A61: f64 = 9017.0 / 3168.0;
pub const A62: f64 = -355.0 / 33.0;
pub const A63: f64 = 46732.0 / 5247.0;
pub const A64: f64 = 49.0 / 176.0;
pub const A65: f64 = -5103.0 / 18656.0;
pub const A71: f64 = 35.0 / 384.0;
pub const A73: f64 = 500.0 / 1113.0;
pub const A74: f64 = 125.0 / 192.0;
pub const A75: f64 = -2187.0 / 6784.0;
pub const A76: f64 = 11.0 / 84.0;
pub const E1: f64 = 71.0 / 57600.0;
pub const E3: f64 = -71.0 / 16695.0;
pub const E4: f64 = 71.0 / 1920.0;
pub const E5: f64 = -17253.0 / 339200.0;
pub const E6: f64 = 22.0 / 525.0;
pub const E7: f64 = -1.0 / 40.0;

/// Integrate `f` with Dopri5 from `t0` to `t1` at `rtol = atol = tol`;
/// returns the final state and the number of accepted steps.
#[inline(always)]
pub fn dopri5<const N: usize>(
    f: impl Fn(f64, &[f64; N]) -> [f64; N],
    t0: f64,
    t1: f64,
    y0: [f64; N],
    tol: f64,
) -> ([f64; N], usize) {
    let comb = |y: &[f64; N], h: f64, terms: &[(f64, &[f64; N])]| -> [f64; N] {
        let mut out = [0.0; N];
        for i in 0..N {
            let mut acc = 0.0;
            for (w, k) in terms {
                acc += w * k[i];
            }
            out[i] = y[i] + h * acc;
        }
        out
    };
    let mut t = t0;
    let mut y = y0;
    let mut k1 = f(t, &y);
    let mut h = initial_step(&f, t0, t1, &y, &k1, tol);
    let mut ln_err_prev: f64 = 1e-4f64.ln();
    let mut rejected = false;
    let mut steps = 0;
    while t < t1 {
        let last = t + 1.01 * h >= t1;
        if last {
            h = t1 - t;
        }
        let k2 = f(t + C[1] * h, &comb(&y, h, &[(A21, &k1)]));
        let k3 = f(t + C[2] * h, &comb(&y, h, &[(A31, &k1), (A32, &k2)]));
        let k4 = f(t + C[3] * h, &comb(&y, h, &[(A41, &k1), (A42, &k2), (A43, &k3)]));
        let k5 = f(t + C[4] * h, &comb(&y, h, &[(A51, &k1), (A52, &k2), (A53, &k3), (A54, &k4)]));
        let k6 = f(t + C[5] * h, &comb(&y, h, &[(A61, &k1), (A62, &k2), (A63, &k3), (A64, &k4), (A65, &k5)]));
        let ynew = comb(&y, h, &[(A71, &k1), (A73, &k3), (A74, &k4), (A75, &k5), (A76, &k6)]);
        let k7 = f(t + h, &ynew);
        let mut s = 0.0;
        for i in 0..N {
            let e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
            let sc = tol + tol * y[i].abs().max(ynew[i].abs());
            s += (e / sc) * (e / sc);
        }
        let err = (s / N as f64).sqrt();
        let alpha = 0.2 - 0.75 * 0.04;
        if err <= 1.0 {
            // PI control, err^-alpha * err_prev^beta, as one exp of logarithms.
            let ln_err = err.ln();
            let mut fac = (0.9 * (0.04 * ln_err_prev - alpha * ln_err.max(-23.0)).exp()).clamp(0.2, 10.0);
            if rejected {
                fac = fac.min(1.0);
            }
            ln_err_prev = ln_err.max(1e-4f64.ln());
            t = if last { t1 } else { t + h };
            y = ynew;
            k1 = k7;
            h = (h * fac).min(t1 - t0);
            rejected = false;
            steps += 1;
        } else {
            h *= (0.9 * err.powf(-alpha)).clamp(0.2, 1.0);
            rejected = true;
        }
    }
    (y, steps)
}

/// The initial step of Hairer, Nørsett & Wanner (as odeon's), from the
/// state `y` and its derivative `k1` at `t0`.
#[inline(always)]
pub fn initial_step<const N: usize>(
    f: &impl Fn(f64, &[f64; N]) -> [f64; N],
    t0: f64,
    t1: f64,
    y: &[f64; N],
    k1: &[f64; N],
    tol: f64,
) -> f64 {
    let rms = |v: [f64; N]| (v.iter().map(|x| x * x).sum::<f64>() / N as f64).sqrt();
    let sc0: [f64; N] = std::array::from_fn(|i| tol + tol * y[i].abs());
    let d0 = rms(std::array::from_fn(|i| y[i] / sc0[i]));
    let d1 = rms(std::array::from_fn(|i| k1[i] / sc0[i]));
    let h0 = if d0 < 1e-5 || d1 < 1e-5 { 1e-6 } else { 0.01 * d0 / d1 };
    let y1: [f64; N] = std::array::from_fn(|i| y[i] + h0 * k1[i]);
    let f1 = f(t0 + h0, &y1);
    let d2 = rms(std::array::from_fn(|i| (f1[i] - k1[i]) / sc0[i])) / h0;
    let d = d1.max(d2);
    let hh = if d <= 1e-15 { (h0 * 1e-3).max(1e-6) } else { (0.01 / d).powf(0.2) };
    (100.0 * h0).min(hh).min(t1 - t0)
}

/// Van der Pol right-hand side.
#[inline(always)]
pub fn van_der_pol(mu: f64) -> impl Fn(f64, &[f64; 2]) -> [f64; 2] {
    move |_t, y| [y[1], mu * (1.0 - y[0] * y[0]) * y[1] - y[0]]
}

/// Lorenz right-hand side.
#[inline(always)]
pub fn lorenz(s: f64, r: f64, b: f64) -> impl Fn(f64, &[f64; 3]) -> [f64; 3] {
    move |_t, y| [s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2]]
}

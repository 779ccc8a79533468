//! The NLP as the SQP sees it: bounds read once, structures checked, and
//! the objective and constraint rows scaled by their gradients at the
//! start (IPOPT's gradient-based scaling: any gradient above 100 is scaled
//! down to 100). Every value the solver works with is in these units;
//! [`Problem::user_lambda`] and the objective's `sf` take them back.

use super::options::HessianMode;
use crate::Error;
use crate::ocp::Nlp;

/// Evaluations at one point.
#[derive(Clone, Debug)]
pub(crate) struct Point {
    pub x: Vec<f64>,
    pub f: f64,
    pub g: Vec<f64>,
}

impl Point {
    /// Whether f and every g are finite.
    pub fn finite(&self) -> bool {
        self.f.is_finite() && self.g.iter().all(|v| v.is_finite())
    }
}

pub(crate) struct Problem<'a, N: Nlp> {
    nlp: &'a N,
    pub n: usize,
    pub m: usize,
    pub xl: Vec<f64>,
    pub xu: Vec<f64>,
    pub gl: Vec<f64>,
    pub gu: Vec<f64>,
    pub jidx: Vec<(usize, usize)>,
    /// Lower triangle of the Hessian (None: quasi-Newton).
    pub hidx: Option<Vec<(usize, usize)>>,
    /// Gradient-based scale of the objective (IPOPT's, max gradient 100).
    pub sf: f64,
    /// Gradient-based scale of each constraint.
    pub sr: Vec<f64>,
}

impl<'a, N: Nlp> Problem<'a, N> {
    /// Read bounds and structures, check them against `n` and `m`, and
    /// scale at the starting point; returns the problem and that point
    /// (clamped into its bounds).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for a Jacobian or Hessian entry outside
    /// the problem.
    pub fn new(nlp: &'a N, hessian: HessianMode) -> Result<(Self, Vec<f64>), Error> {
        let (n, m) = (nlp.n(), nlp.m());
        let (mut xl, mut xu, mut gl, mut gu) = (vec![0.0; n], vec![0.0; n], vec![0.0; m], vec![0.0; m]);
        nlp.x_bounds(&mut xl, &mut xu);
        nlp.g_bounds(&mut gl, &mut gu);
        let jidx = nlp.jacobian_structure();
        if let Some(&(r, c)) = jidx.iter().find(|&&(r, c)| r >= m || c >= n) {
            let (what, expected, got) = if r >= m { ("jacobian row", m, r + 1) } else { ("jacobian column", n, c + 1) };
            return Err(Error::DimensionMismatch { what, expected, got });
        }
        let hidx = if hessian == HessianMode::Exact { nlp.hessian_structure() } else { None };
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
        Ok((Problem { nlp, n, m, xl, xu, gl, gu, jidx, hidx, sf, sr }, x0))
    }

    /// f and g at x, in the solver's (gradient-scaled) units.
    pub fn point(&self, x: Vec<f64>) -> Point {
        let f = self.nlp.objective(&x) * self.sf;
        let mut g = vec![0.0; self.m];
        self.nlp.constraints(&x, &mut g);
        for (gi, s) in g.iter_mut().zip(&self.sr) {
            *gi *= s;
        }
        Point { x, f, g }
    }

    /// ∇f and the Jacobian values at x, scaled.
    pub fn derivatives(&self, x: &[f64], grad: &mut [f64], jval: &mut [f64]) {
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
    pub fn user_lambda(&self, lambda: &[f64]) -> Vec<f64> {
        lambda.iter().zip(&self.sr).map(|(l, s)| l * s / self.sf).collect()
    }

    /// The Hessian of the scaled Lagrangian (exact or the problem's convex
    /// one); `false` if the problem has no convex one.
    pub fn hessian(&self, x: &[f64], lambda: &[f64], values: &mut [f64], convex: bool) -> bool {
        let l: Vec<f64> = lambda.iter().zip(&self.sr).map(|(l, s)| l * s).collect();
        if convex {
            self.nlp.convex_hessian_values(x, self.sf, &l, values)
        } else {
            self.nlp.hessian_values(x, self.sf, &l, values);
            true
        }
    }

    /// ℓ1 norm of the violation of g_L ≤ g ≤ g_U (∞ if non-finite).
    pub fn viol1(&self, g: &[f64]) -> f64 {
        let mut s = 0.0;
        for ((&g, &lo), &hi) in g.iter().zip(&self.gl).zip(&self.gu) {
            if !g.is_finite() {
                return f64::INFINITY;
            }
            s += (lo - g).max(0.0) + (g - hi).max(0.0);
        }
        s
    }

    /// Largest violation of g_L ≤ g ≤ g_U.
    pub fn viol_max(&self, g: &[f64]) -> f64 {
        (0..self.m).map(|i| (self.gl[i] - g[i]).max(g[i] - self.gu[i]).max(0.0)).fold(0.0, f64::max)
    }

    /// ∇f + Jᵀλ.
    pub fn lagrangian_gradient(&self, grad: &[f64], jval: &[f64], lambda: &[f64]) -> Vec<f64> {
        let mut r = grad.to_vec();
        for (&(row, col), &v) in self.jidx.iter().zip(jval) {
            r[col] += v * lambda[row];
        }
        r
    }

    /// J d.
    pub fn jacobian_times(&self, jval: &[f64], d: &[f64]) -> Vec<f64> {
        let mut jd = vec![0.0; self.m];
        for (&(r, c), &v) in self.jidx.iter().zip(jval) {
            jd[r] += v * d[c];
        }
        jd
    }

    /// x + a·d, clamped into the variable bounds.
    pub fn trial_x(&self, x: &[f64], a: f64, d: &[f64]) -> Vec<f64> {
        (0..self.n).map(|i| (x[i] + a * d[i]).clamp(self.xl[i].min(self.xu[i]), self.xu[i].max(self.xl[i]))).collect()
    }

    /// Scaled dual infeasibility and complementarity at x, with bound
    /// multipliers `z` (∇f + Jᵀλ + z = 0 at a KKT point).
    pub fn kkt(&self, x: &[f64], g: &[f64], r: &[f64], lambda: &[f64], z: &[f64]) -> (f64, f64) {
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

//! Levenberg–Marquardt as an argmin `Solver`, with Moré's scaling and
//! trust-region update; bounds by an active set and projection.
//!
//! Reference: J. J. Moré, "The Levenberg–Marquardt algorithm:
//! implementation and theory", in *Numerical Analysis*, Lecture Notes in
//! Mathematics 630, Springer 1978, 105–116 (the MINPACK `lmder` design).
//! The step for a trust radius Δ solves `min ‖r + Jδ‖` subject to
//! `‖Dδ‖ ≤ Δ` with `D` the running maxima of the column norms of `J`; it is
//! computed from the SVD of `J D⁻¹`, with a safeguarded Newton iteration on
//! the damping parameter λ (Moré & Sorensen's secular equation). A
//! parameter on a bound that the gradient pushes outwards is held there
//! and the step is taken in the others (the binding set of Bertsekas's
//! projected Newton method, SIAM J. Control Optim. 20 (1982) 221–246); the
//! convergence tests look at the free parameters, so a fit ending on a
//! bound converges like any other.

use super::secant::{Secant, boundary_shift, model_step};
use argmin::core::{
    Error, IterState, Jacobian, KV, Operator, Problem, Solver, State, TerminationReason, TerminationStatus,
};
use nalgebra::{DMatrix, DVector};

/// The state the solver works on: parameters and residuals as `Vec<f64>`,
/// the Jacobian as an nalgebra matrix.
pub type LmState = IterState<Vec<f64>, (), DMatrix<f64>, (), Vec<f64>, f64>;

/// Levenberg–Marquardt for `min ½‖r(z)‖²` (odeon's default fit solver).
///
/// # Requirements
/// The problem implements argmin's `Operator` (residuals, `Vec<f64>`) and
/// `Jacobian` (`DMatrix<f64>`). A trial point where either fails is
/// rejected (the trust region shrinks), never an abort.
///
/// # Evaluations
/// A trial point needs its residuals to be judged and its Jacobian only if
/// it is accepted. After an accepted step the next trial point is usually
/// accepted too, and the solver asks for its Jacobian first and then for
/// the residuals at the same point, which the problem should return from
/// memory (odeon's objectives do: with sensitivities the residuals come
/// with the Jacobian). After a rejected step it asks for the residuals
/// alone and for the Jacobian only once the point is accepted, as
/// MINPACK's `lmder` does, so that a run of rejections (a trust region
/// shrinking past points where the model cannot be integrated) costs
/// residuals, not sensitivities. The choice depends only on the history
/// of the iteration, so a fit is reproducible.
///
/// # Example
/// ```
/// use argmin::core::{Error, Executor, Jacobian, Operator};
/// use nalgebra::DMatrix;
/// use odeon::fit::LevenbergMarquardt;
///
/// /// Rosenbrock as least squares: r = (10 (y − x²), 1 − x).
/// struct Rosenbrock;
/// impl Operator for Rosenbrock {
///     type Param = Vec<f64>;
///     type Output = Vec<f64>;
///     fn apply(&self, z: &Vec<f64>) -> Result<Vec<f64>, Error> {
///         Ok(vec![10.0 * (z[1] - z[0] * z[0]), 1.0 - z[0]])
///     }
/// }
/// impl Jacobian for Rosenbrock {
///     type Param = Vec<f64>;
///     type Jacobian = DMatrix<f64>;
///     fn jacobian(&self, z: &Vec<f64>) -> Result<DMatrix<f64>, Error> {
///         Ok(DMatrix::from_row_slice(2, 2, &[-20.0 * z[0], 10.0, -1.0, 0.0]))
///     }
/// }
/// let res = Executor::new(Rosenbrock, LevenbergMarquardt::new())
///     .configure(|s| s.param(vec![-1.2, 1.0]).max_iters(100))
///     .run()?;
/// let z = res.state.best_param.unwrap();
/// assert!((z[0] - 1.0).abs() < 1e-10 && (z[1] - 1.0).abs() < 1e-10);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LevenbergMarquardt {
    lower: Option<Vec<f64>>,
    upper: Option<Vec<f64>>,
    ftol: f64,
    xtol: f64,
    gtol: f64,
    factor: f64,
    gauss_newton: bool,
    /// Column scaling `D`.
    diag: Vec<f64>,
    /// Trust radius Δ (scaled).
    delta: f64,
    converged: Option<&'static str>,
    /// Whether the last trial point was rejected: the next one gets its
    /// Jacobian only once accepted.
    rejected_last: bool,
    /// NL2SOL's secant model of the residuals' curvature (see
    /// [`structured_secant`](Self::structured_secant)); `None` when off.
    secant: Option<Secant>,
    use_secant: bool,
}

impl Default for LevenbergMarquardt {
    fn default() -> Self {
        Self::new()
    }
}

impl LevenbergMarquardt {
    /// Defaults: `ftol = xtol = gtol = 1e-10`, initial radius `100 ‖D z0‖`.
    pub fn new() -> Self {
        LevenbergMarquardt {
            lower: None,
            upper: None,
            ftol: 1e-10,
            xtol: 1e-10,
            gtol: 1e-10,
            factor: 100.0,
            gauss_newton: false,
            diag: Vec::new(),
            delta: 0.0,
            converged: None,
            rejected_last: false,
            secant: None,
            use_secant: true,
        }
    }

    /// Whether to keep NL2SOL's secant estimate of the term Gauss–Newton
    /// drops (`Σ rᵢ ∇²rᵢ`) and step by whichever model predicted the last
    /// step better (default on; see `fit::secant`). Where the residuals
    /// stay large at the optimum, Gauss–Newton alone converges linearly
    /// and its cost test stops it short: on the Lotka–Volterra fit of
    /// `docs/benchmarks.md` (W3), 26 iterations ended 9e-6 from the
    /// optimum, where the secant model reaches it to 1e-7 in fewer. On
    /// small-residual fits the Gauss–Newton model keeps predicting better
    /// and the iterations are those of plain Levenberg–Marquardt.
    pub fn structured_secant(mut self, on: bool) -> Self {
        self.use_secant = on;
        self
    }

    /// Safeguarded Gauss–Newton: take full Gauss–Newton steps (λ = 0) as
    /// long as they reduce the cost; damp only after a failed step.
    pub fn gauss_newton(mut self) -> Self {
        self.gauss_newton = true;
        self
    }

    /// Keep the parameters in `[lower, upper]` (steps are projected).
    pub fn with_bounds(mut self, lower: Vec<f64>, upper: Vec<f64>) -> Result<Self, Error> {
        if lower.len() != upper.len() || lower.iter().zip(&upper).any(|(l, u)| l.is_nan() || u.is_nan() || l > u) {
            return Err(
                argmin::core::ArgminError::InvalidParameter { text: "bounds must be ordered pairs".into() }.into()
            );
        }
        self.lower = Some(lower);
        self.upper = Some(upper);
        Ok(self)
    }

    /// Tolerances: relative reduction of the cost (`ftol`), relative size
    /// of the step (`xtol`), cosine between residual and Jacobian columns
    /// (`gtol`).
    pub fn with_tolerances(mut self, ftol: f64, xtol: f64, gtol: f64) -> Result<Self, Error> {
        if [ftol, xtol, gtol].iter().any(|t| !(t.is_finite() && *t >= 0.0)) {
            return Err(
                argmin::core::ArgminError::InvalidParameter { text: "tolerances must be non-negative".into() }.into()
            );
        }
        (self.ftol, self.xtol, self.gtol) = (ftol, xtol, gtol);
        Ok(self)
    }

    /// Whether parameter `c` at `z` sits on a bound that the cost's
    /// gradient `g` pushes it through.
    fn held(&self, c: usize, z: f64, g: f64) -> bool {
        match (&self.lower, &self.upper) {
            (Some(lo), Some(hi)) => (z <= lo[c] && g > 0.0) || (z >= hi[c] && g < 0.0),
            _ => false,
        }
    }

    /// The trust-region step in the parameters `free` (the columns of `j`
    /// and scales `diag`): by the secant model where it is the one in
    /// use and gives a step, else Levenberg–Marquardt's.
    fn step(&self, j: &DMatrix<f64>, r: &DVector<f64>, free: &[usize], diag: &[f64]) -> (DVector<f64>, f64) {
        if let Some(sec) = self.secant.as_ref().filter(|sec| sec.augmented)
            && let Some(step) = model_step(j, r, &sec.restricted(free), diag, self.delta)
        {
            return step;
        }
        lm_step(j, r, diag, self.delta)
    }

    fn project(&self, z: &mut [f64]) {
        if let (Some(lo), Some(hi)) = (&self.lower, &self.upper) {
            for ((z, l), h) in z.iter_mut().zip(lo).zip(hi) {
                *z = z.clamp(*l, *h);
            }
        }
    }
}

/// The SVD `A = U Σ Vᵀ` as `(σ, Vᵀ, Uᵀ r)`. A tall `A` (more residuals
/// than parameters, the usual fit) is first factored as `A = Q R`: then
/// `R = U_R Σ Vᵀ` and `Uᵀ r = U_Rᵀ Qᵀ r`, the SVD of a small square matrix
/// instead of the tall one with its `m × n` factor `U` (MINPACK's `lmpar`
/// works on the same triangular factor). On the 40 × 4 Jacobian of the
/// Lotka–Volterra fit, with `jacobi_svd`, this took the step's linear
/// algebra from 9% of the fit's instructions to about 3%.
fn svd_projected(a: DMatrix<f64>, r: &DVector<f64>) -> (DVector<f64>, DMatrix<f64>, DVector<f64>) {
    let (m, n) = a.shape();
    let (square, qtr) = if m > n {
        let qr = a.qr();
        let mut qtr = r.clone();
        qr.q_tr_mul(&mut qtr);
        (qr.r(), qtr.rows(0, n).into_owned())
    } else {
        (a, r.clone())
    };
    if let Some(small) = jacobi_svd(square.clone(), &qtr) {
        return small;
    }
    let svd = square.svd(true, true);
    let (u, vt) = (svd.u.expect("U requested"), svd.v_t.expect("V requested"));
    (svd.singular_values, vt, u.transpose() * qtr)
}

/// The one-sided Jacobi SVD (Hestenes) of a small square `a`, as
/// `(σ, Vᵀ, Uᵀ b)`, or `None` if it has not converged after 60 sweeps
/// (quadratic convergence takes a handful). Plane rotations `V` make the
/// columns of `a V = U Σ` orthogonal; `σᵢ` are their norms and
/// `(Uᵀ b)ᵢ = (a V)ᵢ · b / σᵢ` (0 where `σᵢ = 0`). Accurate to the unit
/// roundoff relative to each singular value's own size (Demmel &
/// Veselić, SIAM J. Matrix Anal. Appl. 13 (1992) 1204–1245); at 4 × 4
/// about a third of the instructions of nalgebra's bidiagonal SVD.
fn jacobi_svd(mut a: DMatrix<f64>, b: &DVector<f64>) -> Option<(DVector<f64>, DMatrix<f64>, DVector<f64>)> {
    let n = a.ncols();
    let mut v = DMatrix::<f64>::identity(n, n);
    let rotate = |m: &mut DMatrix<f64>, (p, q): (usize, usize), (c, s): (f64, f64)| {
        for i in 0..m.nrows() {
            let (mp, mq) = (m[(i, p)], m[(i, q)]);
            m[(i, p)] = c * mp - s * mq;
            m[(i, q)] = s * mp + c * mq;
        }
    };
    for _ in 0..60 {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let (ap, aq) = (a.column(p), a.column(q));
                let (alpha, beta, gamma) = (ap.norm_squared(), aq.norm_squared(), ap.dot(&aq));
                if gamma.abs() <= f64::EPSILON * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                // The smaller root of t² + 2ζt − 1 = 0: the rotation that
                // makes columns p and q orthogonal.
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + zeta.hypot(1.0));
                let c = 1.0 / t.hypot(1.0);
                rotate(&mut a, (p, q), (c, c * t));
                rotate(&mut v, (p, q), (c, c * t));
            }
        }
        if !rotated {
            let sigma = DVector::from_iterator(n, a.column_iter().map(|col| col.norm()));
            let g = DVector::from_iterator(
                n,
                a.column_iter().zip(sigma.iter()).map(|(col, &s)| if s > 0.0 { col.dot(b) / s } else { 0.0 }),
            );
            return Some((sigma, v.transpose(), g));
        }
    }
    None
}

/// The step `δ` with `‖D δ‖ ≈ Δ` (or the Gauss–Newton step if shorter) and
/// its damping λ.
fn lm_step(j: &DMatrix<f64>, r: &DVector<f64>, diag: &[f64], delta: f64) -> (DVector<f64>, f64) {
    let n = j.ncols();
    let mut js = j.clone();
    for (c, d) in diag.iter().enumerate() {
        js.column_mut(c).unscale_mut(*d);
    }
    let (s, vt, g) = svd_projected(js, r);
    let tol = s.max() * f64::EPSILON * (j.nrows().max(n) as f64);
    // p(λ) = −V diag(σ/(σ² + λ)) Uᵀ r in scaled coordinates.
    let p = |lambda: f64| -> DVector<f64> {
        let coef = DVector::from_iterator(
            s.len(),
            (0..s.len()).map(|i| if s[i] > tol { s[i] / (s[i] * s[i] + lambda) * g[i] } else { 0.0 }),
        );
        -(vt.transpose() * coef)
    };
    let unscale = |mut ps: DVector<f64>| {
        for (c, d) in diag.iter().enumerate() {
            ps[c] /= d;
        }
        ps
    };
    let p0 = p(0.0);
    if p0.norm() <= 1.1 * delta {
        return (unscale(p0), 0.0);
    }
    // The damping where ‖p‖ = Δ to 10% (MINPACK's acceptance), over the
    // diagonalized model JᵀJ = V diag(σ²) Vᵀ with gradient σ·Uᵀr.
    let kept: Vec<usize> = (0..s.len()).filter(|&i| s[i] > tol).collect();
    let lam: Vec<f64> = kept.iter().map(|&i| s[i] * s[i]).collect();
    let c: Vec<f64> = kept.iter().map(|&i| s[i] * g[i]).collect();
    let gnorm = (0..s.len()).map(|i| (s[i] * g[i]).powi(2)).sum::<f64>().sqrt();
    let lambda = boundary_shift(&lam, &c, (0.0, gnorm / delta), 0.0, delta, 0.1);
    (unscale(p(lambda)), lambda)
}

impl<O> Solver<O, LmState> for LevenbergMarquardt
where
    O: Operator<Param = Vec<f64>, Output = Vec<f64>> + Jacobian<Param = Vec<f64>, Jacobian = DMatrix<f64>>,
{
    fn name(&self) -> &str {
        if self.gauss_newton { "Gauss-Newton" } else { "Levenberg-Marquardt" }
    }

    fn init(&mut self, problem: &mut Problem<O>, mut state: LmState) -> Result<(LmState, Option<KV>), Error> {
        let mut z = state.take_param().ok_or_else(|| argmin::core::ArgminError::NotInitialized {
            text: "Levenberg-Marquardt needs an initial parameter vector".into(),
        })?;
        if let (Some(lo), _) = (&self.lower, &self.upper)
            && lo.len() != z.len()
        {
            return Err(argmin::core::ArgminError::InvalidParameter {
                text: "bounds and parameters differ in length".into(),
            }
            .into());
        }
        self.project(&mut z);
        (self.rejected_last, self.converged) = (false, None);
        self.secant = (self.use_secant && !self.gauss_newton).then(|| Secant::new(z.len()));
        let j = problem.jacobian(&z)?;
        let r = problem.apply(&z)?;
        let cost = 0.5 * r.iter().map(|v| v * v).sum::<f64>();
        self.diag = (0..j.ncols()).map(|c| j.column(c).norm()).map(|d| if d > 0.0 { d } else { 1.0 }).collect();
        let dz = z.iter().zip(&self.diag).map(|(z, d)| (z * d).powi(2)).sum::<f64>().sqrt();
        self.delta = if self.gauss_newton {
            f64::INFINITY
        } else if dz > 0.0 {
            self.factor * dz
        } else {
            self.factor
        };
        Ok((state.param(z).jacobian(j).residuals(r).cost(cost), None))
    }

    fn next_iter(&mut self, problem: &mut Problem<O>, mut state: LmState) -> Result<(LmState, Option<KV>), Error> {
        let z = state.take_param().expect("initialized");
        let j = state.take_jacobian().expect("initialized");
        let r = DVector::from_vec(state.take_residuals().expect("initialized"));
        let fnorm = r.norm();
        for (c, d) in self.diag.iter_mut().enumerate() {
            *d = d.max(j.column(c).norm());
        }
        // Parameters on a bound that the gradient pushes outwards are held
        // there (the active set of a bound-constrained Gauss–Newton step);
        // the others take the LM step.
        let jt_r = j.transpose() * &r;
        let free: Vec<usize> = (0..j.ncols()).filter(|&c| !self.held(c, z[c], jt_r[c])).collect();
        // Gradient test: the residual is orthogonal to every free column of J.
        let gnorm = free
            .iter()
            .filter(|&&c| j.column(c).norm() > 0.0)
            .map(|&c| jt_r[c].abs() / (j.column(c).norm() * fnorm))
            .fold(0.0, f64::max);
        if fnorm == 0.0 || gnorm <= self.gtol {
            self.converged =
                Some(if fnorm == 0.0 { "zero residual" } else { "gradient orthogonal to the residual (gtol)" });
            return Ok((state.param(z).jacobian(j).residuals(r.as_slice().to_vec()), None));
        }
        let (delta_step, lambda) = if free.len() == j.ncols() {
            self.step(&j, &r, &free, &self.diag)
        } else {
            let diag: Vec<f64> = free.iter().map(|&c| self.diag[c]).collect();
            let (step, lambda) = self.step(&j.select_columns(&free), &r, &free, &diag);
            let mut full = DVector::zeros(j.ncols());
            for (k, &c) in free.iter().enumerate() {
                full[c] = step[k];
            }
            (full, lambda)
        };
        let mut trial: Vec<f64> = z.iter().zip(delta_step.iter()).map(|(a, b)| a + b).collect();
        self.project(&mut trial);
        let dp = DVector::from_iterator(z.len(), trial.iter().zip(&z).map(|(a, b)| a - b));
        let pnorm = dp.iter().zip(&self.diag).map(|(v, d)| (v * d).powi(2)).sum::<f64>().sqrt();
        if state.get_iter() == 0 && self.delta.is_finite() {
            self.delta = self.delta.min(pnorm);
        }
        // The relative reductions the two models predict for the step.
        let predicted_gn = (fnorm * fnorm - (&r + &j * &dp).norm_squared()) / (fnorm * fnorm);
        let predicted_secant = self.secant.as_ref().map(|sec| predicted_gn - sec.curvature(&dp) / (fnorm * fnorm));
        let predicted = match &self.secant {
            Some(sec) if sec.augmented => predicted_secant.unwrap_or(predicted_gn),
            _ => predicted_gn,
        };
        // The residuals at the trial point decide; its Jacobian is needed
        // only if it is accepted (see "Evaluations" above). A trial point
        // where either fails to integrate is a rejected one.
        let (residuals, mut jacobian) = if self.rejected_last {
            (problem.apply(&trial).ok(), None)
        } else {
            match problem.jacobian(&trial) {
                Ok(jt) => (problem.apply(&trial).ok(), Some(jt)),
                Err(_) => (None, None),
            }
        };
        let (mut ratio, mut actual) = match &residuals {
            Some(rt) => {
                let fnorm1 = rt.iter().map(|v| v * v).sum::<f64>().sqrt();
                let actual = if 0.1 * fnorm1 < fnorm { 1.0 - (fnorm1 / fnorm).powi(2) } else { -1.0 };
                (if predicted > 0.0 { actual / predicted } else { 0.0 }, actual)
            }
            None => (-1.0, -1.0),
        };
        if let (Some(sec), Some(p), true) = (&mut self.secant, predicted_secant, residuals.is_some()) {
            sec.choose(actual, predicted_gn, p);
        }
        if ratio >= 1e-4 && jacobian.is_none() {
            match problem.jacobian(&trial) {
                Ok(jt) => jacobian = Some(jt),
                Err(_) => (ratio, actual) = (-1.0, -1.0),
            }
        }
        let trial_eval = if ratio >= 1e-4 { jacobian.zip(residuals) } else { None };
        self.rejected_last = trial_eval.is_none();
        let accepted = trial_eval.is_some();
        // Trust-region update (Moré 1978, §4).
        if ratio < 0.25 {
            self.delta = 0.25 * pnorm.min(if self.delta.is_finite() { self.delta } else { pnorm });
        } else if (ratio > 0.75 || lambda == 0.0) && !self.gauss_newton {
            self.delta = self.delta.max(2.0 * pnorm);
        }
        let znorm = z.iter().zip(&self.diag).map(|(z, d)| (z * d).powi(2)).sum::<f64>().sqrt();
        // MINPACK's test, rejected trial points included: a step whose
        // actual and predicted reductions are both at the noise level ends
        // the fit at the current point.
        if actual.abs() <= self.ftol && predicted <= self.ftol && ratio <= 2.0 {
            self.converged = Some("relative reduction of the cost below ftol");
        } else if self.delta <= self.xtol * znorm.max(f64::MIN_POSITIVE) {
            self.converged = Some("step below xtol");
        }
        let kv = argmin::kv!("lambda" => lambda; "delta" => self.delta; "ratio" => ratio;);
        if accepted {
            let (jt, rt) = trial_eval.expect("accepted");
            if let Some(sec) = &mut self.secant {
                sec.update(&dp, (&j, &r), (&jt, &DVector::from_column_slice(&rt)));
            }
            let cost = 0.5 * rt.iter().map(|v| v * v).sum::<f64>();
            Ok((state.param(trial).jacobian(jt).residuals(rt).cost(cost), Some(kv)))
        } else {
            Ok((state.param(z).jacobian(j).residuals(r.as_slice().to_vec()), Some(kv)))
        }
    }

    fn terminate(&mut self, _state: &LmState) -> TerminationStatus {
        match self.converged {
            Some(why) => TerminationStatus::Terminated(TerminationReason::SolverExit(why.into())),
            None => TerminationStatus::NotTerminated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argmin::core::Executor;

    /// Rosenbrock as least squares, r = (10 (y − x²), 1 − x).
    struct Rosenbrock;
    impl Operator for Rosenbrock {
        type Param = Vec<f64>;
        type Output = Vec<f64>;
        fn apply(&self, z: &Vec<f64>) -> Result<Vec<f64>, Error> {
            Ok(vec![10.0 * (z[1] - z[0] * z[0]), 1.0 - z[0]])
        }
    }
    impl Jacobian for Rosenbrock {
        type Param = Vec<f64>;
        type Jacobian = DMatrix<f64>;
        fn jacobian(&self, z: &Vec<f64>) -> Result<DMatrix<f64>, Error> {
            Ok(DMatrix::from_row_slice(2, 2, &[-20.0 * z[0], 10.0, -1.0, 0.0]))
        }
    }

    /// The LM step `−V diag(σ/(σ² + λ)) Uᵀ b` of an SVD given as
    /// `(σ, Vᵀ, Uᵀ b)`: independent of the order and signs of the
    /// singular vectors, so two SVDs can be compared through it.
    fn step_of((s, vt, g): &(DVector<f64>, DMatrix<f64>, DVector<f64>), lambda: f64) -> DVector<f64> {
        let coef = DVector::from_iterator(s.len(), (0..s.len()).map(|i| s[i] / (s[i] * s[i] + lambda) * g[i]));
        -(vt.transpose() * coef)
    }

    #[test]
    fn the_jacobi_svd_gives_the_damped_steps() {
        // Deterministic pseudo-random matrices, one with columns scaled
        // over ten decades, one nearly rank-deficient.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for case in 0..40 {
            let n = 1 + case % 6;
            let mut a = DMatrix::from_fn(n, n, |_, _| next());
            let b = DVector::from_fn(n, |_, _| next());
            if case % 3 == 1 {
                for (c, mut col) in a.column_iter_mut().enumerate() {
                    col *= 10f64.powi(2 * c as i32 - 5);
                }
            }
            if case % 3 == 2 && n > 1 {
                let first = a.column(0).clone_owned();
                a.set_column(n - 1, &(first * 2.0 + a.column(n - 1) * 1e-9));
            }
            let ours = jacobi_svd(a.clone(), &b).expect("converges");
            let theirs = a.singular_values();
            let (mut s1, mut s2) = (ours.0.as_slice().to_vec(), theirs.as_slice().to_vec());
            s1.sort_by(f64::total_cmp);
            s2.sort_by(f64::total_cmp);
            let top = s2[n - 1];
            for (x, y) in s1.iter().zip(&s2) {
                assert!((x - y).abs() <= 1e-13 * top, "case {case}: σ {x} against {y}");
            }
            // Vᵀ orthogonal, and the damped steps right.
            assert!((&ours.1 * ours.1.transpose() - DMatrix::identity(n, n)).norm() < 1e-13);
            for lambda in [1e-2 * top * top, top * top] {
                // The damped step from the augmented least-squares problem
                // [A; √λ I] p = −[b; 0] (condition at most 10 here).
                let mut aug = DMatrix::zeros(2 * n, n);
                aug.rows_mut(0, n).copy_from(&a);
                aug.rows_mut(n, n).fill_with_identity();
                aug.rows_mut(n, n).scale_mut(lambda.sqrt());
                let mut rhs = DVector::zeros(2 * n);
                rhs.rows_mut(0, n).copy_from(&(-&b));
                let qr = aug.qr();
                qr.q_tr_mul(&mut rhs);
                let exact = qr.r().solve_upper_triangular(&rhs.rows(0, n)).unwrap();
                // (nalgebra's bidiagonal SVD misses it by up to 1e-8 on the
                // nearly rank-deficient cases.)
                let err = (step_of(&ours, lambda) - &exact).norm() / exact.norm();
                assert!(err <= 1e-12, "case {case}, λ = {lambda}: {err:e}");
            }
        }
    }

    #[test]
    fn an_optimum_on_a_bound_converges() {
        // x ≤ 0.5: the constrained minimum is (0.5, 0.25), where the
        // gradient pushes x through its bound and y is stationary.
        let lm = LevenbergMarquardt::new().with_bounds(vec![-2.0, -2.0], vec![0.5, 2.0]).unwrap();
        let res = Executor::new(Rosenbrock, lm).configure(|s| s.param(vec![-1.2, 1.0]).max_iters(100)).run().unwrap();
        let z = res.state.best_param.clone().unwrap();
        assert!((z[0] - 0.5).abs() < 1e-12 && (z[1] - 0.25).abs() < 1e-10, "{z:?}");
        assert!(res.state.iter < 30, "{} iterations", res.state.iter);
        assert!(matches!(
            res.state.termination_status,
            TerminationStatus::Terminated(TerminationReason::SolverExit(_))
        ));
    }
}

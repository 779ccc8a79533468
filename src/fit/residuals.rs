//! Residuals of a fit problem and their exact Jacobian, from the forward
//! sensitivities and the observable's derivatives.

use super::problem::{FitProblem, Initial, Layout, Observable, Target};
use crate::sensitivity::solve_sensitivities;
use crate::{Algorithm, Error, Model, solve};
use nalgebra::allocator::Allocator;
use nalgebra::{DMatrix, DVector, DefaultAllocator};
use num_dual::Dual64;

/// Residuals `r_k = (h_j(t_i) − d_ij)/σ_ij` over the present values, in
/// experiment, time, output order; and, on request, `∂r/∂p` with respect
/// to the free parameters' values.
pub(crate) struct Residuals {
    pub r: DVector<f64>,
    pub jac: Option<DMatrix<f64>>,
}

impl<S, O, A> FitProblem<'_, S, O, A>
where
    S: Model,
    O: Observable,
    A: Algorithm,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// Model parameters and initial states of experiment `e`, with the free
    /// parameters at `values` (user units).
    fn inputs(&self, layout: &Layout, values: &[f64], e: usize) -> (Vec<f64>, Vec<f64>) {
        let mut p: Vec<f64> = layout.model.iter().map(|q| q.guess).collect();
        let exp = &self.experiments[e];
        let mut y0: Vec<f64> = exp
            .y0
            .iter()
            .map(|i| match i {
                Initial::Known(v) => *v,
                Initial::Estimated(q) => q.guess,
            })
            .collect();
        for (slot, &v) in layout.free.iter().zip(values) {
            match slot.target {
                Target::Model(k) => p[k] = v,
                Target::Initial { experiment, state } if experiment == e => y0[state] = v,
                Target::Initial { .. } => {}
            }
        }
        (p, y0)
    }

    /// Residuals at the free parameters' `values` (user units) and, on
    /// request, their Jacobian with respect to those values (the solver's
    /// coordinates are applied by the caller, once).
    pub(crate) fn residuals(&self, layout: &Layout, values: &[f64], jacobian: bool) -> Result<Residuals, Error> {
        let n_free = layout.n_free();
        let m: usize = self.experiments.iter().map(|e| e.data.n_observed()).sum();
        let mut r = DVector::zeros(m);
        let mut jac = jacobian.then(|| DMatrix::zeros(m, n_free));
        let n_out = self.observable.n_outputs();
        let mut h = vec![0.0; n_out];
        let mut dh = ObservableDerivatives::default();
        let mut row = 0;
        for (e, (exp, plan)) in self.experiments.iter().zip(&layout.plans).enumerate() {
            let (p, y0) = self.inputs(layout, values, e);
            let (t_span, opts) = (plan.t_span, &plan.options);
            let sens = match &mut jac {
                Some(_) => Some(solve_sensitivities(self.system, self.method, t_span, &y0, &p, &plan.wrt, opts)?),
                None => None,
            };
            let plain;
            let sol = match &sens {
                Some(s) => &s.solution,
                None => {
                    plain = solve(self.system, self.method, t_span, &y0, &p, opts)?;
                    &plain
                }
            };
            for (i, &t) in exp.data.t.iter().enumerate() {
                let y = sol.state(i);
                self.observable.eval(t, y, &p, &mut h);
                if sens.is_some() {
                    dh.eval(&self.observable, t, y, &p);
                }
                for (j, hj) in h.iter().enumerate() {
                    let k = i * n_out + j;
                    let d = exp.data.values[k];
                    if d.is_nan() {
                        continue;
                    }
                    let w = exp.data.sqrt_weight(k);
                    r[row] = w * (hj - d);
                    if let (Some(jm), Some(s)) = (&mut jac, &sens) {
                        let sens_i = &s.jacobians[i];
                        for (c, slot) in layout.free.iter().enumerate() {
                            let Some(col) = plan.col_of[c] else { continue };
                            let mut v: f64 = (0..y.len()).map(|a| dh.dy[(j, a)] * sens_i[(a, col)]).sum();
                            if let Target::Model(kp) = slot.target {
                                v += dh.dp[(j, kp)];
                            }
                            jm[(row, c)] = w * v;
                        }
                    }
                    row += 1;
                }
            }
        }
        Ok(Residuals { r, jac })
    }
}

/// `∂h/∂y` and `∂h/∂p` at one point, one `Dual64` evaluation per input;
/// the buffers are reused from point to point.
#[derive(Default)]
struct ObservableDerivatives {
    dy: DMatrix<f64>,
    dp: DMatrix<f64>,
    out: Vec<Dual64>,
    yd: Vec<Dual64>,
    pd: Vec<Dual64>,
}

impl ObservableDerivatives {
    fn eval<O: Observable>(&mut self, obs: &O, t: f64, y: &[f64], p: &[f64]) {
        let n_out = obs.n_outputs();
        // Every entry is written below: new buffers only for a new shape
        // (`resize_mut` would allocate at every point).
        for (m, cols) in [(&mut self.dy, y.len()), (&mut self.dp, p.len())] {
            if m.shape() != (n_out, cols) {
                *m = DMatrix::zeros(n_out, cols);
            }
        }
        self.out.resize(n_out, Dual64::from(0.0));
        self.yd.clear();
        self.yd.extend(y.iter().map(|&v| Dual64::from(v)));
        self.pd.clear();
        self.pd.extend(p.iter().map(|&v| Dual64::from(v)));
        for a in 0..y.len() {
            self.yd[a].eps = 1.0;
            obs.eval(t, &self.yd, &self.pd, &mut self.out);
            self.yd[a].eps = 0.0;
            for j in 0..n_out {
                self.dy[(j, a)] = self.out[j].eps;
            }
        }
        for k in 0..p.len() {
            self.pd[k].eps = 1.0;
            obs.eval(t, &self.yd, &self.pd, &mut self.out);
            self.pd[k].eps = 0.0;
            for j in 0..n_out {
                self.dp[(j, k)] = self.out[j].eps;
            }
        }
    }
}

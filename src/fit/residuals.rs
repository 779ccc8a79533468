//! Residuals of a fit problem and their exact Jacobian, from the forward
//! sensitivities and the observable's derivatives.

use super::problem::{FitProblem, Initial, Layout, Observable, Target};
use crate::sensitivity::{Wrt, solve_sensitivities};
use crate::{Algorithm, Error, Model, solve};
use nalgebra::allocator::Allocator;
use nalgebra::{DMatrix, DVector, DefaultAllocator};
use num_dual::Dual64;

/// Residuals `r_k = (h_j(t_i) − d_ij)/σ_ij` over the present values, in
/// experiment, time, output order; and, on request, `∂r/∂z` with respect
/// to the free parameters in solver coordinates.
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
    /// Model parameters and initial states of experiment `e` at `z`.
    pub(crate) fn inputs(&self, layout: &Layout, z: &[f64], e: usize) -> (Vec<f64>, Vec<f64>) {
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
        for (slot, &zc) in layout.free.iter().zip(z) {
            let v = slot.parameter.to_value(zc);
            match slot.target {
                Target::Model(k) => p[k] = v,
                Target::Initial { experiment, state } if experiment == e => y0[state] = v,
                Target::Initial { .. } => {}
            }
        }
        (p, y0)
    }

    /// Residuals (and their Jacobian) at `z`.
    pub(crate) fn residuals(&self, layout: &Layout, z: &[f64], jacobian: bool) -> Result<Residuals, Error> {
        let n_free = layout.n_free();
        let m: usize = self.experiments.iter().map(|e| e.data.n_observed()).sum();
        let mut r = DVector::zeros(m);
        let mut jac = jacobian.then(|| DMatrix::zeros(m, n_free));
        let n_out = self.observable.n_outputs();
        let mut h = vec![0.0; n_out];
        let mut row = 0;
        for (e, exp) in self.experiments.iter().enumerate() {
            let (p, y0) = self.inputs(layout, z, e);
            let t_span = (exp.t0, *exp.data.t.last().expect("validated: data has times"));
            let opts = self.options.clone().t_eval(exp.data.t.clone());
            // Columns of the sensitivity matrices for the free parameters
            // that act on this experiment.
            let mut wrt = Vec::new();
            let mut col_of = vec![None; n_free];
            for (c, slot) in layout.free.iter().enumerate() {
                let w = match slot.target {
                    Target::Model(k) => Wrt::Param(k),
                    Target::Initial { experiment, state } if experiment == e => Wrt::Y0(state),
                    Target::Initial { .. } => continue,
                };
                col_of[c] = Some(wrt.len());
                wrt.push(w);
            }
            let sens = match &mut jac {
                Some(_) => Some(solve_sensitivities(self.system, self.method, t_span, &y0, &p, &wrt, &opts)?),
                None => None,
            };
            let plain;
            let sol = match &sens {
                Some(s) => &s.solution,
                None => {
                    plain = solve(self.system, self.method, t_span, &y0, &p, &opts)?;
                    &plain
                }
            };
            for (i, &t) in exp.data.t.iter().enumerate() {
                let y = sol.state(i);
                self.observable.eval(t, y, &p, &mut h);
                let dh = match (&sens, &jac) {
                    (Some(_), Some(_)) => Some(observable_derivatives(&self.observable, t, y, &p)),
                    _ => None,
                };
                for (j, hj) in h.iter().enumerate() {
                    let k = i * n_out + j;
                    let d = exp.data.values[k];
                    if d.is_nan() {
                        continue;
                    }
                    let w = exp.data.sqrt_weight(k);
                    r[row] = w * (hj - d);
                    if let (Some(jm), Some(s), Some((dh_dy, dh_dp))) = (&mut jac, &sens, &dh) {
                        let sens_i = &s.jacobians[i];
                        for (c, slot) in layout.free.iter().enumerate() {
                            let Some(col) = col_of[c] else { continue };
                            let mut v: f64 = (0..y.len()).map(|a| dh_dy[(j, a)] * sens_i[(a, col)]).sum();
                            if let Target::Model(kp) = slot.target {
                                v += dh_dp[(j, kp)];
                            }
                            jm[(row, c)] = w * v * slot.parameter.dvalue_dz(z[c]);
                        }
                    }
                    row += 1;
                }
            }
        }
        Ok(Residuals { r, jac })
    }
}

/// `∂h/∂y` and `∂h/∂p` at one point, one `Dual64` evaluation per input.
fn observable_derivatives<O: Observable>(obs: &O, t: f64, y: &[f64], p: &[f64]) -> (DMatrix<f64>, DMatrix<f64>) {
    let n_out = obs.n_outputs();
    let (mut dy, mut dp) = (DMatrix::zeros(n_out, y.len()), DMatrix::zeros(n_out, p.len()));
    let mut out = vec![Dual64::from(0.0); n_out];
    let mut yd: Vec<Dual64> = y.iter().map(|&v| Dual64::from(v)).collect();
    let mut pd: Vec<Dual64> = p.iter().map(|&v| Dual64::from(v)).collect();
    for a in 0..y.len() {
        yd[a].eps = 1.0;
        obs.eval(t, &yd, &pd, &mut out);
        yd[a].eps = 0.0;
        for j in 0..n_out {
            dy[(j, a)] = out[j].eps;
        }
    }
    for k in 0..p.len() {
        pd[k].eps = 1.0;
        obs.eval(t, &yd, &pd, &mut out);
        pd[k].eps = 0.0;
        for j in 0..n_out {
            dp[(j, k)] = out[j].eps;
        }
    }
    (dy, dp)
}

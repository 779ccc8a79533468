//! Directional derivatives (Jacobian-vector products) with one `Dual64` run.

use super::Wrt;
use super::wrt::Seeds;
use crate::integrate::solve_dual;
use crate::{Algorithm, Error, Model, Options, Solution};
use nalgebra::allocator::Allocator;
use nalgebra::{DVector, DefaultAllocator};
use num_dual::Dual64;
use serde::{Deserialize, Serialize};

/// A solution and its directional derivative at every saved time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tangent {
    /// The solution (real parts).
    pub solution: Solution,
    /// `(∂y(t_i)/∂θ) v` for each saved time.
    pub dy: Vec<DVector<f64>>,
}

/// The directional derivative `(∂y(t_i)/∂θ) v` of the solution, where the
/// direction `v` is given as weights on any mix of parameters, initial
/// states and `t0`: one integration with `Dual64`, whatever the number of
/// parameters.
///
/// # Example
/// ```
/// use odeon::sensitivity::{solve_jvp, solve_sensitivities, Wrt};
/// use odeon::{models::LotkaVolterra as LV, Method, Options};
/// let opts = Options::default().rtol(1e-9).atol(1e-9).save_final();
/// let v = [(Wrt::Param(0), 0.5), (Wrt::Param(3), -1.0), (Wrt::Y0(1), 2.0)];
/// let jvp = solve_jvp(&LV, Method::Dopri5, (0.0, 5.0), &LV::Y0, &LV::PARAMS, &v, &opts)?;
/// let wrt: Vec<Wrt> = v.iter().map(|(w, _)| *w).collect();
/// let full = solve_sensitivities(&LV, Method::Dopri5, (0.0, 5.0), &LV::Y0, &LV::PARAMS, &wrt, &opts)?;
/// let weights = nalgebra::DVector::from_iterator(3, v.iter().map(|(_, c)| *c));
/// assert!((&full.jacobians[0] * weights - &jvp.dy[0]).norm() < 1e-12);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn solve_jvp<S, A: Algorithm>(
    system: &S,
    method: A,
    t_span: (f64, f64),
    y0: &[f64],
    p: &[f64],
    v: &[(Wrt, f64)],
    options: &Options,
) -> Result<Tangent, Error>
where
    S: Model,
    DefaultAllocator: Allocator<S::Dim>,
{
    let wrt: Vec<Wrt> = v.iter().map(|(w, _)| *w).collect();
    if let Some(index) = wrt.iter().position(|w| *w == Wrt::TEnd) {
        return Err(Error::InvalidWrt {
            index,
            reason: "a tangent along the end time is f(t1, y(t1)): use solve_sensitivities".into(),
        });
    }
    let seeds = Seeds::new(system, t_span, y0, p, &wrt)?;
    let dir =
        |seed: &dyn Fn(usize) -> f64| -> f64 { v.iter().enumerate().map(|(c, (_, weight))| weight * seed(c)).sum() };
    let y0d: Vec<Dual64> = (0..y0.len()).map(|i| Dual64::new(y0[i], dir(&|c| seeds.y0(c, i)))).collect();
    let pd: Vec<Dual64> = (0..p.len()).map(|k| Dual64::new(p[k], dir(&|c| seeds.p(c, k)))).collect();
    let sol = solve_dual(system, method, t_span, &y0d, &pd, options).map_err(|e| match e {
        Error::NonFiniteDerivative { t, component, direction, partial, .. } => {
            Error::NonFiniteDerivative { t, component, direction, wrt: "the tangent direction".into(), partial }
        }
        other => other,
    })?;
    let dy = (0..sol.len()).map(|i| DVector::from_iterator(sol.n_states, sol.state(i).iter().map(|d| d.eps))).collect();
    Ok(Tangent { solution: sol.primal(), dy })
}

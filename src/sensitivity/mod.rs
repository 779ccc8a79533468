//! Exact forward sensitivities through the integrators, by dual numbers.
//!
//! The model's generic right-hand side is run with `InlineDual64<K>` numbers
//! seeded in the requested directions (parameters, initial states, the
//! initial time). Step control looks at the real parts only, so every pass
//! takes exactly the steps of the `f64` run: the derivatives are the exact
//! derivatives of the discrete solution (discretize-then-differentiate),
//! equal to finite differences of the solver to rounding. More directions
//! than `K` are processed in chunks of `K` per pass, as ForwardDiff.jl does.
//!
//! - [`solve_sensitivities`]: Jacobians `∂y(t_i)/∂(p, y0, t0, t1)`.
//! - [`solve_jvp`]: one directional derivative at the cost of one `Dual64` run.
//! - [`gradient_hessian`]: gradient and Hessian of a scalar functional of
//!   the solution (second-order duals).

mod jvp;
mod second_order;
mod wrt;

pub use jvp::{Tangent, solve_jvp};
pub use second_order::{Functional, SecondOrder, SumOfSquares, gradient_hessian};
pub use wrt::Wrt;

use crate::integrate::{Save, solve_dual};
use crate::scalar::Derivatives;
use crate::scalar::InlineDual64;
use crate::{Algorithm, Error, Model, Options, Solution};
use nalgebra::allocator::Allocator;
use nalgebra::{DMatrix, DefaultAllocator};
use serde::{Deserialize, Serialize};

/// Solution and sensitivities at the saved times.
///
/// `jacobians[i]` is the `n_states × wrt.len()` matrix `∂y(t_i)/∂wrt`,
/// its columns in the order of `wrt`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sensitivities {
    /// The solution (real parts).
    pub solution: Solution,
    /// The directions, in column order.
    pub wrt: Vec<Wrt>,
    /// One Jacobian per saved time.
    pub jacobians: Vec<DMatrix<f64>>,
    /// Number of integration passes (chunks of directions).
    pub passes: usize,
    /// The derivatives of each recorded event's time
    /// (`solution.events[k].t`), one per direction of `wrt`: by the
    /// implicit function theorem for an event function, from the
    /// parameter for a stop at a parameter's time, zero for a fixed stop.
    #[serde(default)]
    pub event_times: Vec<Vec<f64>>,
}

impl Sensitivities {
    /// The column of `wrt` in the Jacobians, if it was requested.
    pub fn column(&self, wrt: Wrt) -> Option<usize> {
        self.wrt.iter().position(|w| *w == wrt)
    }

    /// `∂y(t_i)/∂p`: the parameter columns, in the order requested.
    pub fn dy_dp(&self, i: usize) -> DMatrix<f64> {
        self.select(i, |w| matches!(w, Wrt::Param(_)))
    }

    /// `∂y(t_i)/∂y0`: the initial-state columns, in the order requested.
    pub fn dy_dy0(&self, i: usize) -> DMatrix<f64> {
        self.select(i, |w| matches!(w, Wrt::Y0(_)))
    }

    fn select(&self, i: usize, keep: impl Fn(&Wrt) -> bool) -> DMatrix<f64> {
        let cols: Vec<usize> = (0..self.wrt.len()).filter(|&c| keep(&self.wrt[c])).collect();
        self.jacobians[i].select_columns(&cols)
    }

    /// `∂y_j/∂wrt` at every saved time, as `(t, value)` pairs.
    pub fn series(&self, component: usize, wrt: Wrt) -> Option<Vec<(f64, f64)>> {
        let c = self.column(wrt)?;
        (component < self.solution.n_states)
            .then(|| self.solution.t.iter().zip(&self.jacobians).map(|(&t, jac)| (t, jac[(component, c)])).collect())
    }
}

/// Integrate and differentiate: the solution and, at every saved time, the
/// Jacobian of the state with respect to `wrt` (any mix of parameters,
/// initial states, `t0` and the end time).
///
/// Up to 8 directions run in one pass with the smallest fitting
/// `InlineDual64<K>`, K ∈ {4, 6, 8}; more run in chunks of 8. Even
/// widths fill the two-lane vector registers of the baseline x86-64
/// target, so an odd count of directions costs about what the next even
/// one does; one or two directions at width 4 cost about 3% more than at
/// width 2, and a program compiles three widths instead of four. Use
/// [`solve_sensitivities_chunked`] to choose `K` yourself, or
/// [`OdeSystem::FIXED_SENSITIVITY_CHUNKS`](crate::OdeSystem::FIXED_SENSITIVITY_CHUNKS) to compile one width for a
/// system.
///
/// # Errors
/// Those of [`solve`](crate::solve); `Error::InvalidWrt` for an index out of
/// range; `Error::NonFiniteDerivative` (naming the time, the component and
/// the parameter) when a derivative turns NaN or infinite.
///
/// # Example
/// ```
/// use odeon::sensitivity::{solve_sensitivities, Wrt};
/// use odeon::{models::ExponentialDecay, Method, Options};
/// // y' = -k y: ∂y(t)/∂k = -t y0 e^{-kt}, ∂y(t)/∂y0 = e^{-kt}.
/// let opts = Options::default().rtol(1e-12).atol(1e-12).t_eval(vec![1.0, 2.0]);
/// let wrt = [Wrt::Param(0), Wrt::Y0(0)];
/// let s = solve_sensitivities(&ExponentialDecay, Method::Dop853, (0.0, 2.0), &[3.0], &[0.5], &wrt, &opts)?;
/// let jac = &s.jacobians[1]; // at t = 2
/// assert!((jac[(0, 0)] - (-2.0 * 3.0 * (-1.0f64).exp())).abs() < 1e-10);
/// assert!((jac[(0, 1)] - (-1.0f64).exp()).abs() < 1e-10);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn solve_sensitivities<S, A: Algorithm>(
    system: &S,
    method: A,
    t_span: (f64, f64),
    y0: &[f64],
    p: &[f64],
    wrt: &[Wrt],
    options: &Options,
) -> Result<Sensitivities, Error>
where
    S: Model,
    DefaultAllocator: Allocator<S::Dim>,
{
    let args = (system, method, t_span, y0, p, wrt, options);
    // A constant condition: the widths of the other branch are not
    // compiled for such a system.
    if S::FIXED_SENSITIVITY_CHUNKS {
        return chunked::<S, A, 8>(args);
    }
    match wrt.len() {
        0..=4 => chunked::<S, A, 4>(args),
        5 | 6 => chunked::<S, A, 6>(args),
        _ => chunked::<S, A, 8>(args),
    }
}

/// [`solve_sensitivities`] with a chosen chunk width `K`: the directions
/// are processed `K` at a time with `InlineDual64<K>` numbers.
///
/// # Example
/// ```
/// use odeon::sensitivity::{solve_sensitivities, solve_sensitivities_chunked, Wrt};
/// use odeon::{models::LotkaVolterra as LV, Method, Options};
/// let opts = Options::default().rtol(1e-8).atol(1e-8);
/// let wrt = Wrt::all(&LV);
/// let one_pass = solve_sensitivities(&LV, Method::Dopri5, (0.0, 10.0), &LV::Y0, &LV::PARAMS, &wrt, &opts)?;
/// let chunked = solve_sensitivities_chunked::<_, _, 2>(&LV, Method::Dopri5, (0.0, 10.0), &LV::Y0, &LV::PARAMS, &wrt, &opts)?;
/// assert_eq!(chunked.passes, 3);
/// assert_eq!(one_pass.jacobians, chunked.jacobians); // the same arithmetic per direction
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn solve_sensitivities_chunked<S, A: Algorithm, const K: usize>(
    system: &S,
    method: A,
    t_span: (f64, f64),
    y0: &[f64],
    p: &[f64],
    wrt: &[Wrt],
    options: &Options,
) -> Result<Sensitivities, Error>
where
    S: Model,
    DefaultAllocator: Allocator<S::Dim>,
{
    chunked::<S, A, K>((system, method, t_span, y0, p, wrt, options))
}

type Args<'a, S, A> = (&'a S, A, (f64, f64), &'a [f64], &'a [f64], &'a [Wrt], &'a Options);

fn chunked<S, A: Algorithm, const K: usize>(
    (system, method, t_span, y0, p, wrt, options): Args<'_, S, A>,
) -> Result<Sensitivities, Error>
where
    S: Model,
    DefaultAllocator: Allocator<S::Dim>,
{
    const { assert!(K >= 1, "a chunk holds at least one direction") };
    let seeds = wrt::Seeds::new(system, t_span, y0, p, wrt)?;
    let n = y0.len();
    // Copied only where a later chunk must save at the first one's times.
    let mut options = std::borrow::Cow::Borrowed(options);
    let mut out: Option<Sensitivities> = None;
    let chunks: Vec<&[Wrt]> = if wrt.is_empty() { vec![&[]] } else { wrt.chunks(K).collect() };
    for (c, chunk) in chunks.iter().enumerate() {
        let first = c * K;
        let width = chunk.len();
        let y0d: Vec<_> =
            (0..n).map(|i| seeded::<K>(y0[i], |l| if l < width { seeds.y0(first + l, i) } else { 0.0 })).collect();
        let pd: Vec<_> =
            (0..p.len()).map(|k| seeded::<K>(p[k], |l| if l < width { seeds.p(first + l, k) } else { 0.0 })).collect();
        let sol = solve_dual(system, method, t_span, &y0d, &pd, &options).map_err(|e| seeds.name(system, e, first))?;
        let out = out.get_or_insert_with(|| Sensitivities {
            solution: sol.primal(),
            wrt: wrt.to_vec(),
            jacobians: vec![DMatrix::zeros(n, wrt.len()); sol.len()],
            passes: 0,
            event_times: vec![vec![0.0; wrt.len()]; sol.events.len()],
        });
        if c == 0 && options.sensitivity_error_control && chunks.len() > 1 {
            // With derivatives in the error norm each chunk would choose its
            // own steps: save the later chunks at the first chunk's times.
            options.to_mut().save = Save::At(sol.t.clone());
        }
        for (jac, i) in out.jacobians.iter_mut().zip(0..sol.len()) {
            for (l, w) in chunk.iter().enumerate() {
                if *w != Wrt::TEnd {
                    for j in 0..n {
                        jac[(j, first + l)] = sol.state(i)[j].eps_part(l);
                    }
                }
            }
        }
        for (dt, event) in out.event_times.iter_mut().zip(&sol.events) {
            for (l, w) in chunk.iter().enumerate() {
                if *w != Wrt::TEnd {
                    dt[first + l] = event.t.eps_part(l);
                }
            }
        }
        out.passes += 1;
        if c == 0 {
            out.solution.stats = sol.stats;
        }
    }
    let mut out = out.expect("at least one pass");
    seeds.fill_t_end(system, t_span.1, p, &mut out);
    Ok(out)
}

/// An `InlineDual64<K>` with real part `re` and derivative parts `eps(l)`.
///
/// (Kept free of the callers' `Allocator<S::Dim>` bounds, which would
/// otherwise steer nalgebra's trait resolution.)
pub(crate) fn seeded<const K: usize>(re: f64, eps: impl Fn(usize) -> f64) -> InlineDual64<K> {
    InlineDual64::<K>::from_parts(re, std::array::from_fn(eps))
}

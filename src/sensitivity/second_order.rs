//! Gradient and Hessian of a scalar functional of the solution, with
//! second-order dual numbers (`InlineHyperDual64<4, 4>`, in 4×4 blocks).

use super::Wrt;
use super::wrt::Seeds;
use crate::integrate::solve_dual;
use crate::scalar::{InlineDual64, InlineHyperDual64};
use crate::{Algorithm, DualScalar, Error, Model, Options, Solution};
use nalgebra::allocator::Allocator;
use nalgebra::{DMatrix, DVector, DefaultAllocator};
use serde::{Deserialize, Serialize};

/// Block width: directions are differentiated 4 × 4 at a time.
const B: usize = 4;
type Hd = InlineHyperDual64<B, B>;

/// A scalar functional of a solution, written once over the scalar type
/// (like a model's right-hand side), so that it can be differentiated.
pub trait Functional {
    /// The functional's value on `sol`.
    fn eval<D: DualScalar>(&self, sol: &Solution<D>) -> Result<D, Error>;
}

/// `½ Σ_i Σ_j w_ij (y_j(t_i) − d_ij)²` over the saved times (use `t_eval`
/// to save at the data's times). Data values that are NaN are skipped.
///
/// # Example
/// ```
/// use odeon::sensitivity::{Functional, SumOfSquares};
/// use odeon::Solution;
/// let mut sol = Solution::new(1);
/// sol.push(0.0, [1.0]);
/// sol.push(1.0, [3.0]);
/// let sse = SumOfSquares::new(vec![0.0, f64::NAN]); // second point missing
/// assert_eq!(sse.eval(&sol)?, 0.5);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SumOfSquares {
    /// Observations, row-major: one row of `n_states` values per saved time.
    pub data: Vec<f64>,
    /// Weights in the same layout (all ones when `None`).
    pub weights: Option<Vec<f64>>,
}

impl SumOfSquares {
    /// Unweighted sum of squares against `data`.
    pub fn new(data: Vec<f64>) -> Self {
        SumOfSquares { data, weights: None }
    }

    /// Weighted sum of squares.
    pub fn weighted(data: Vec<f64>, weights: Vec<f64>) -> Self {
        SumOfSquares { data, weights: Some(weights) }
    }
}

impl Functional for SumOfSquares {
    fn eval<D: DualScalar>(&self, sol: &Solution<D>) -> Result<D, Error> {
        if self.data.len() != sol.y.len() {
            return Err(Error::DimensionMismatch {
                what: "data (times × states)",
                expected: sol.y.len(),
                got: self.data.len(),
            });
        }
        if let Some(w) = &self.weights
            && w.len() != self.data.len()
        {
            return Err(Error::DimensionMismatch { what: "weights", expected: self.data.len(), got: w.len() });
        }
        let mut sum = D::from(0.0);
        for (i, (y, d)) in sol.y.iter().zip(&self.data).enumerate() {
            if d.is_nan() {
                continue;
            }
            let w = self.weights.as_ref().map_or(1.0, |w| w[i]);
            let r = *y - *d;
            sum += r * r * w;
        }
        Ok(sum * 0.5)
    }
}

/// Value, gradient and Hessian of a functional with respect to `wrt`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecondOrder {
    /// The functional's value.
    pub value: f64,
    /// Its gradient, in the order of `wrt`.
    pub gradient: DVector<f64>,
    /// Its Hessian (symmetric).
    pub hessian: DMatrix<f64>,
    /// The directions.
    pub wrt: Vec<Wrt>,
    /// Number of integration passes.
    pub passes: usize,
}

/// Gradient and Hessian of `functional(solution)` with respect to
/// parameters and initial states, exact for the discrete solution.
///
/// Directions are taken in blocks of 4: `⌈m/4⌉(⌈m/4⌉+1)/2` passes with
/// `InlineHyperDual64<4, 4>` for `m` directions (one pass up to 4).
///
/// # Example
/// ```
/// use odeon::sensitivity::{gradient_hessian, Functional, SumOfSquares, Wrt};
/// use odeon::{models::ExponentialDecay, Method, Options};
/// // F(k) = ½ y(1)² with y(1) = e^{-k}: F' = -e^{-2k}, F'' = 2 e^{-2k}.
/// let opts = Options::default().rtol(1e-12).atol(1e-12).save_final();
/// let sse = SumOfSquares::new(vec![0.0]);
/// let r = gradient_hessian(&ExponentialDecay, Method::Dop853, (0.0, 1.0), &[1.0], &[0.3], &[Wrt::Param(0)], &sse, &opts)?;
/// let e = (-0.6f64).exp();
/// assert!((r.gradient[0] + e).abs() < 1e-10 && (r.hessian[(0, 0)] - 2.0 * e).abs() < 1e-10);
/// # Ok::<(), odeon::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gradient_hessian<S, F, A: Algorithm>(
    system: &S,
    method: A,
    t_span: (f64, f64),
    y0: &[f64],
    p: &[f64],
    wrt: &[Wrt],
    functional: &F,
    options: &Options,
) -> Result<SecondOrder, Error>
where
    S: Model,
    F: Functional,
    DefaultAllocator: Allocator<S::Dim>,
{
    if let Some(index) = wrt.iter().position(|w| matches!(w, Wrt::T0 | Wrt::TEnd)) {
        return Err(Error::InvalidWrt {
            index,
            reason: "second derivatives are taken with respect to p and y0 only".into(),
        });
    }
    let seeds = Seeds::new(system, t_span, y0, p, wrt)?;
    let m = wrt.len();
    let blocks = m.div_ceil(B).max(1);
    let mut out = SecondOrder {
        value: f64::NAN,
        gradient: DVector::zeros(m),
        hessian: DMatrix::zeros(m, m),
        wrt: wrt.to_vec(),
        passes: 0,
    };
    for bi in 0..blocks {
        for bj in bi..blocks {
            let (ri, rj) = (bi * B..((bi + 1) * B).min(m), bj * B..((bj + 1) * B).min(m));
            let lane = |r: &std::ops::Range<usize>, seed: &dyn Fn(usize) -> f64| -> [f64; B] {
                std::array::from_fn(|l| if r.start + l < r.end { seed(r.start + l) } else { 0.0 })
            };
            let y0d: Vec<Hd> = (0..y0.len())
                .map(|i| hyper(y0[i], lane(&ri, &|c| seeds.y0(c, i)), lane(&rj, &|c| seeds.y0(c, i))))
                .collect();
            let pd: Vec<Hd> = (0..p.len())
                .map(|k| hyper(p[k], lane(&ri, &|c| seeds.p(c, k)), lane(&rj, &|c| seeds.p(c, k))))
                .collect();
            let sol = solve_dual(system, method, t_span, &y0d, &pd, options).map_err(|e| match e {
                Error::NonFiniteDerivative { t, component, direction, partial, .. } => {
                    // Directions 0..B are the row block, B..2B the column block.
                    let col = if direction < B { ri.start + direction } else { rj.start + direction - B };
                    Error::NonFiniteDerivative {
                        t,
                        component,
                        direction: col,
                        wrt: seeds.describe(system, col),
                        partial,
                    }
                }
                other => other,
            })?;
            let f = functional.eval(&sol)?;
            out.passes += 1;
            out.value = f.re.re;
            let (g1, h12) = blocks_of(&f);
            for (a, i) in ri.clone().enumerate() {
                if bi == bj {
                    out.gradient[i] = g1[a];
                }
                for (b, j) in rj.clone().enumerate() {
                    out.hessian[(i, j)] = h12[a][b];
                    out.hessian[(j, i)] = h12[a][b];
                }
            }
        }
    }
    Ok(out)
}

/// An `InlineHyperDual64<4, 4>` seeded with `e1` in the first (inner) and
/// `e2` in the second (outer) set of directions.
fn hyper(re: f64, e1: [f64; B], e2: [f64; B]) -> Hd {
    Hd::from_parts(InlineDual64::from_parts(re, e1), e2.map(InlineDual64::from_re))
}

/// The first-direction gradient block and the mixed second-derivative
/// block `h[a][b] = ∂²/∂e1_a ∂e2_b` of a result.
fn blocks_of(f: &Hd) -> ([f64; B], [[f64; B]; B]) {
    let g = std::array::from_fn(|a| f.re.eps.0[a]);
    let h = std::array::from_fn(|a| std::array::from_fn(|b| f.eps.0[b].eps.0[a]));
    (g, h)
}

//! Seeding and reading the dual numbers of the block derivatives.
//!
//! Kept free of nalgebra allocator bounds: the matrices inside num-dual's
//! numbers are built here, in plain functions (see the note on
//! `sensitivity::seeded`).

use nalgebra::SMatrix;
use num_dual::{Derivative, DualSVec64, HyperDualSVec64};

/// Directions per Jacobian pass.
pub(crate) const JK: usize = 8;
/// Directions per side of a Hessian pass.
pub(crate) const HK: usize = 4;

/// `re` with derivative `scale` in direction `l` (or none).
#[inline]
pub(crate) fn jac_seed(re: f64, l: Option<usize>, scale: f64) -> DualSVec64<JK> {
    let mut d = DualSVec64::<JK>::from_re(re);
    if let Some(l) = l {
        d.eps = Derivative::some(SMatrix::<f64, JK, 1>::from_fn(|i, _| if i == l { scale } else { 0.0 }));
    }
    d
}

/// `re` with first-order parts `scale` in direction `a` of the first set
/// and `b` of the second (either may be absent).
#[inline]
pub(crate) fn hess_seed(re: f64, a: Option<usize>, b: Option<usize>, scale: f64) -> HyperDualSVec64<HK, HK> {
    let mut d = HyperDualSVec64::<HK, HK>::from_re(re);
    if let Some(a) = a {
        d.eps1 = Derivative::some(SMatrix::<f64, HK, 1>::from_fn(|i, _| if i == a { scale } else { 0.0 }));
    }
    if let Some(b) = b {
        d.eps2 = Derivative::some(SMatrix::<f64, 1, HK>::from_fn(|_, j| if j == b { scale } else { 0.0 }));
    }
    d
}

/// The mixed second part (a, b) of a hyper-dual number.
#[inline]
pub(crate) fn hess_part(d: &HyperDualSVec64<HK, HK>, a: usize, b: usize) -> f64 {
    d.eps1eps2.0.as_ref().map_or(0.0, |m| m[(a, b)])
}

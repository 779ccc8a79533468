//! Seeding and reading the dual numbers of the block derivatives.
//!
//! Kept free of nalgebra allocator bounds: the numbers are built here, in
//! plain functions (see the note on `sensitivity::seeded`).

use crate::scalar::{InlineDual64, InlineHyperDual64};

/// Directions per Jacobian pass.
pub(crate) const JK: usize = 8;
/// Directions per side of a Hessian pass.
pub(crate) const HK: usize = 4;

/// `re` with derivative `scale` in direction `l` (or none).
#[inline]
pub(crate) fn jac_seed(re: f64, l: Option<usize>, scale: f64) -> InlineDual64<JK> {
    InlineDual64::from_parts(re, std::array::from_fn(|i| if Some(i) == l { scale } else { 0.0 }))
}

/// `re` with first-order parts `scale` in direction `a` of the first set
/// and `b` of the second (either may be absent).
#[inline]
pub(crate) fn hess_seed(re: f64, a: Option<usize>, b: Option<usize>, scale: f64) -> InlineHyperDual64<HK, HK> {
    let part = |dir: Option<usize>, i: usize| if Some(i) == dir { scale } else { 0.0 };
    let inner = InlineDual64::from_parts(re, std::array::from_fn(|i| part(a, i)));
    InlineHyperDual64::from_parts(inner, std::array::from_fn(|j| InlineDual64::from_re(part(b, j))))
}

/// The mixed second part (a, b) of a hyper-dual number.
#[inline]
pub(crate) fn hess_part(d: &InlineHyperDual64<HK, HK>, a: usize, b: usize) -> f64 {
    d.eps.0[b].eps.0[a]
}

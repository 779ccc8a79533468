//! The scalar a model is written over.
//!
//! A model's right-hand side is a generic method over `D: DualScalar`. With
//! `D = f64` it simulates; with a num-dual number (`Dual64`,
//! `DualSVec64<K>`, `HyperDual64`, …) the same code carries derivatives.

use num_dual::{DualNum, DualNumCopy};

/// A real number or a num-dual dual number over `f64`.
///
/// This is a blanket alias: every `Copy` num-dual type whose primitive is
/// `f64` implements it, and so does `f64` itself. It is deliberately not
/// called `Scalar`, which is nalgebra's name for matrix entries.
///
/// Comparisons inside a model should look at the real part ([`re`]) so that
/// the execution path never depends on the scalar type.
///
/// [`re`]: num_dual::DualStruct::re
///
/// # Example
/// ```
/// use num_dual::{Dual64, DualNum};
/// use odeon::DualScalar;
///
/// // Written once, evaluated with f64 and with a dual number.
/// fn logistic<D: DualScalar>(x: D, r: D) -> D {
///     x * r * (-x + 1.0)
/// }
/// assert_eq!(logistic(0.5, 2.0), 0.5);
/// let r = Dual64::from(2.0).derivative();
/// let y = logistic(Dual64::from(0.5), r);
/// assert_eq!(y.re, 0.5);
/// assert_eq!(y.eps, 0.25); // d/dr [x r (1 - x)] = x (1 - x)
/// ```
pub trait DualScalar: DualNumCopy + DualNum<Primitive = f64> + nalgebra::Scalar {}

impl<T> DualScalar for T where T: DualNumCopy + DualNum<Primitive = f64> + nalgebra::Scalar {}

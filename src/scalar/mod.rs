//! The scalar a model is written over.
//!
//! A model's right-hand side is a generic method over `D: DualScalar`. With
//! `D = f64` it simulates; with a num-dual number (`Dual64`,
//! `DualSVec64<K>`, `HyperDual64`, …) the same code carries derivatives.

mod dual;
mod lanes;
mod tracer;

pub use dual::{InlineDual, InlineDual64, InlineHyperDual64, Partials};
pub use lanes::{Lanes, check_divergence};
pub use tracer::Tracer;

use num_dual::{Dual2_64, Dual2SVec64, Dual64, DualNum, DualNumCopy, DualSVec64, HyperDual64, HyperDualSVec64};

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
pub trait DualScalar: DualNumCopy + DualNum<Primitive = f64> + nalgebra::Scalar + Derivatives {}

impl<T> DualScalar for T where T: DualNumCopy + DualNum<Primitive = f64> + nalgebra::Scalar + Derivatives {}

/// Read access to the first-order derivative parts of a scalar, so that
/// the integrator can check them for finiteness and, on request, hold them
/// to the tolerance. Implemented for `f64` and num-dual's `Copy` types over
/// `f64`.
///
/// # Example
/// ```
/// use num_dual::{Dual64, DualSVec64};
/// use odeon::scalar::Derivatives;
/// assert_eq!(<f64 as Derivatives>::N_EPS, 0);
/// assert_eq!(Dual64::new(1.0, 2.0).eps_part(0), 2.0);
/// let x = DualSVec64::<3>::from_re(1.0).derivative(2);
/// assert_eq!((0..3).map(|l| x.eps_part(l)).collect::<Vec<_>>(), vec![0.0, 0.0, 1.0]);
/// ```
pub trait Derivatives {
    /// Number of first-order derivative parts (directions) carried.
    const N_EPS: usize;
    /// The highest order of derivative carried (0 for `f64`, 1 for dual
    /// numbers, 2 for hyper-dual and nested ones).
    const ORDER: usize;
    /// The `l`-th first-order part (zero where none is carried).
    fn eps_part(&self, l: usize) -> f64;
    /// Number of real numbers the scalar is made of (the real part and
    /// every derivative part): a linear map with real coefficients acts on
    /// each alike, so a sparse solver can treat them as right-hand sides.
    const REALS: usize;
    /// Write the real numbers into `out[..REALS]`, the real part first.
    fn to_reals(&self, out: &mut [f64]);
    /// The scalar made of `reals[..REALS]` (as [`to_reals`](Self::to_reals)
    /// wrote them).
    fn from_reals(reals: &[f64]) -> Self;
}

/// The entries of an optional derivative block into `out` (zeros when
/// the block is absent), column after column.
fn block_to_reals<R: nalgebra::Dim, C: nalgebra::Dim>(
    block: &num_dual::Derivative<f64, R, C>,
    len: usize,
    out: &mut [f64],
) where
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
{
    match &block.0 {
        Some(m) => out[..len].copy_from_slice(m.as_slice()),
        None => out[..len].fill(0.0),
    }
}

/// A derivative block of `R × C` from its entries, column after column.
fn block_from_reals<const R: usize, const C: usize>(
    reals: &[f64],
) -> num_dual::Derivative<f64, nalgebra::Const<R>, nalgebra::Const<C>> {
    num_dual::Derivative::some(nalgebra::SMatrix::<f64, R, C>::from_column_slice(&reals[..R * C]))
}

impl Derivatives for f64 {
    const N_EPS: usize = 0;
    const ORDER: usize = 0;
    const REALS: usize = 1;
    fn to_reals(&self, out: &mut [f64]) {
        out[0] = *self;
    }
    fn from_reals(reals: &[f64]) -> Self {
        reals[0]
    }
    fn eps_part(&self, _: usize) -> f64 {
        0.0
    }
}

impl Derivatives for Dual64 {
    const N_EPS: usize = 1;
    const ORDER: usize = 1;
    const REALS: usize = 2;
    fn to_reals(&self, out: &mut [f64]) {
        out[..2].copy_from_slice(&[self.re, self.eps]);
    }
    fn from_reals(r: &[f64]) -> Self {
        Dual64::new(r[0], r[1])
    }
    #[inline]
    fn eps_part(&self, _: usize) -> f64 {
        self.eps
    }
}

impl Derivatives for Dual2_64 {
    const N_EPS: usize = 1;
    const ORDER: usize = 2;
    const REALS: usize = 3;
    fn to_reals(&self, out: &mut [f64]) {
        out[..3].copy_from_slice(&[self.re, self.v1, self.v2]);
    }
    fn from_reals(r: &[f64]) -> Self {
        Dual2_64::new(r[0], r[1], r[2])
    }
    #[inline]
    fn eps_part(&self, _: usize) -> f64 {
        self.v1
    }
}

impl Derivatives for HyperDual64 {
    const N_EPS: usize = 2;
    const ORDER: usize = 2;
    const REALS: usize = 4;
    fn to_reals(&self, out: &mut [f64]) {
        out[..4].copy_from_slice(&[self.re, self.eps1, self.eps2, self.eps1eps2]);
    }
    fn from_reals(r: &[f64]) -> Self {
        HyperDual64::new(r[0], r[1], r[2], r[3])
    }
    #[inline]
    fn eps_part(&self, l: usize) -> f64 {
        if l == 0 { self.eps1 } else { self.eps2 }
    }
}

impl<const K: usize> Derivatives for DualSVec64<K> {
    const N_EPS: usize = K;
    const ORDER: usize = 1;
    const REALS: usize = 1 + K;
    fn to_reals(&self, out: &mut [f64]) {
        out[0] = self.re;
        block_to_reals(&self.eps, K, &mut out[1..]);
    }
    fn from_reals(r: &[f64]) -> Self {
        DualSVec64::new(r[0], block_from_reals::<K, 1>(&r[1..]))
    }
    #[inline]
    fn eps_part(&self, l: usize) -> f64 {
        self.eps.0.as_ref().map_or(0.0, |e| e[l])
    }
}

impl<const K: usize> Derivatives for Dual2SVec64<K> {
    const N_EPS: usize = K;
    const ORDER: usize = 2;
    const REALS: usize = 1 + K + K * K;
    fn to_reals(&self, out: &mut [f64]) {
        out[0] = self.re;
        block_to_reals(&self.v1, K, &mut out[1..]);
        block_to_reals(&self.v2, K * K, &mut out[1 + K..]);
    }
    fn from_reals(r: &[f64]) -> Self {
        Dual2SVec64::new(r[0], block_from_reals::<1, K>(&r[1..]), block_from_reals::<K, K>(&r[1 + K..]))
    }
    #[inline]
    fn eps_part(&self, l: usize) -> f64 {
        self.v1.0.as_ref().map_or(0.0, |e| e[l])
    }
}

impl<const M: usize, const N: usize> Derivatives for HyperDualSVec64<M, N> {
    const N_EPS: usize = M + N;
    const ORDER: usize = 2;
    const REALS: usize = 1 + M + N + M * N;
    fn to_reals(&self, out: &mut [f64]) {
        out[0] = self.re;
        block_to_reals(&self.eps1, M, &mut out[1..]);
        block_to_reals(&self.eps2, N, &mut out[1 + M..]);
        block_to_reals(&self.eps1eps2, M * N, &mut out[1 + M + N..]);
    }
    fn from_reals(r: &[f64]) -> Self {
        let (a, b) = (1 + M, 1 + M + N);
        HyperDualSVec64::new(
            r[0],
            block_from_reals::<M, 1>(&r[1..]),
            block_from_reals::<1, N>(&r[a..]),
            block_from_reals::<M, N>(&r[b..]),
        )
    }
    #[inline]
    fn eps_part(&self, l: usize) -> f64 {
        if l < M { self.eps1.0.as_ref().map_or(0.0, |e| e[l]) } else { self.eps2.0.as_ref().map_or(0.0, |e| e[l - M]) }
    }
}

/// Nested [`InlineDual`]s list the inner number's directions first, then
/// their own (as `HyperDualSVec64<M, N>` lists `eps1`, then `eps2`).
impl<T, const K: usize> Derivatives for InlineDual<T, nalgebra::Const<K>>
where
    T: Derivatives + DualNum<Primitive = f64> + Copy,
{
    const N_EPS: usize = T::N_EPS + K;
    const ORDER: usize = T::ORDER + 1;
    const REALS: usize = T::REALS * (1 + K);
    fn to_reals(&self, out: &mut [f64]) {
        self.re.to_reals(out);
        for (l, e) in self.eps.0.iter().enumerate() {
            e.to_reals(&mut out[T::REALS * (l + 1)..]);
        }
    }
    fn from_reals(r: &[f64]) -> Self {
        let eps = std::array::from_fn(|l| T::from_reals(&r[T::REALS * (l + 1)..]));
        InlineDual::from_parts(T::from_reals(r), eps)
    }
    #[inline]
    fn eps_part(&self, l: usize) -> f64 {
        if l < T::N_EPS { self.re.eps_part(l) } else { self.eps.0[l - T::N_EPS].re() }
    }
}

/// Call `f` with `n` scalars set to zero as scratch space: on the stack
/// up to 128, in a buffer of 8, 16, 24, 32, 40, 48, 64, 96 or 128 (the
/// smallest that holds them, so that a model does not clear a much larger
/// buffer on every call: a tape of 37 slots in the 360-byte nested duals
/// of a Rosenbrock sensitivity solve cleared 23 kB where 15 kB do), on
/// the heap above.
pub(crate) fn with_scratch<D: DualScalar, R>(n: usize, f: impl FnOnce(&mut [D]) -> R) -> R {
    let zero = D::from(0.0);
    if n <= 8 {
        f(&mut [zero; 8][..n])
    } else if n <= 16 {
        f(&mut [zero; 16][..n])
    } else if n <= 24 {
        f(&mut [zero; 24][..n])
    } else if n <= 32 {
        f(&mut [zero; 32][..n])
    } else if n <= 40 {
        f(&mut [zero; 40][..n])
    } else if n <= 48 {
        f(&mut [zero; 48][..n])
    } else if n <= 64 {
        f(&mut [zero; 64][..n])
    } else if n <= 96 {
        f(&mut [zero; 96][..n])
    } else if n <= 128 {
        f(&mut [zero; 128][..n])
    } else {
        f(&mut vec![zero; n])
    }
}

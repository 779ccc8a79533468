//! [`InlineDual`]: a dual number with a fixed number of derivative
//! directions whose every operation is `#[inline]`.
//!
//! num-dual's `DualSVec64<K>` keeps its derivative part in a `Derivative`
//! whose arithmetic is not marked `#[inline]`. Generic code is compiled in
//! the crate that instantiates it — a user's program, with its own
//! codegen units — and there those calls are not inlined into the stepper
//! or the model: sensitivities ran 1.4× slower in a downstream crate than
//! in odeon's own single-unit build (`docs/benchmarks.md`, "Build"). This
//! type stores its derivatives as a plain nalgebra vector (no `Option`),
//! implements the arithmetic here with `#[inline]`, and takes the
//! elementary functions (chain rules) from num-dual's own macros, so it is
//! a num-dual number in every respect ([`DualNum`], [`DualStruct`]) and
//! every model written for [`DualScalar`](crate::DualScalar) runs with it.
//!
//! Nested, `InlineDual<InlineDual<f64, Const<M>>, Const<N>>` carries
//! second derivatives (the mixed block `∂²/∂a_i∂b_j`), as num-dual's
//! `HyperDualSVec64<M, N>` does.

use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, DimName, OVector, U1};
use num_dual::DualStruct;
use num_dual::{
    DualNum, DualNumFloat, chain_rule, first, impl_comparisons, impl_derivatives, impl_dual_struct,
    impl_first_derivatives, impl_float_const, impl_from_f, impl_from_primitive, impl_inv, impl_iterator, impl_num,
    impl_scalar_op, impl_signed, impl_zero_one, second, third, zeroth,
};
use num_traits::{Float, FloatConst, FromPrimitive, Inv, Num, One, Signed, Zero};
use std::fmt;
use std::iter::{Product, Sum};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign};

/// The number of derivative directions of an [`InlineDual`]: `Const<K>`
/// (a compile-time width: the number's parts live on the stack).
pub trait Directions: DimName {}

impl<const K: usize> Directions for Const<K> {}

// num-dual's macros bound the dimension parameter by the name `Dim`.
use self::Directions as Dim;

/// The derivative part of an [`InlineDual`]: one value per direction.
#[derive(Clone, Debug, PartialEq)]
pub struct Partials<T, D: Dim>(pub OVector<T, D>)
where
    T: nalgebra::Scalar,
    DefaultAllocator: Allocator<D>;

impl<T: nalgebra::Scalar + Copy, const K: usize> Copy for Partials<T, Const<K>> {}

impl<T: DualNum, D: Dim> Partials<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    // Loops over the contiguous slices, not nalgebra's strided iterators:
    // the compiler then vectorizes them.

    #[inline]
    fn map(&self, mut f: impl FnMut(&T) -> T) -> Self {
        let mut out = self.clone();
        out.for_each(|x| *x = f(x));
        out
    }

    #[inline]
    fn for_each(&mut self, f: impl FnMut(&mut T)) {
        self.0.as_mut_slice().iter_mut().for_each(f);
    }

    #[inline]
    fn zip_assign(&mut self, other: &Self, mut f: impl FnMut(&mut T, &T)) {
        let (a, b) = (self.0.as_mut_slice(), other.0.as_slice());
        let n = a.len().min(b.len());
        for i in 0..n {
            f(&mut a[i], &b[i]);
        }
    }
}

impl<T: DualNum, D: Dim> MulAssign<T> for Partials<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    #[inline]
    fn mul_assign(&mut self, f: T) {
        self.for_each(|a| *a *= f.clone());
    }
}

impl<T: DualNum, D: Dim> DivAssign<T> for Partials<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    #[inline]
    fn div_assign(&mut self, f: T) {
        self.for_each(|a| *a /= f.clone());
    }
}

impl<T: DualNum, D: Dim> Mul<&T> for Partials<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    type Output = Self;
    #[inline]
    fn mul(mut self, f: &T) -> Self {
        self *= f.clone();
        self
    }
}

/// A dual number `re + Σ_l eps_l ε_l` with the directions of `D`
/// (`Const<K>`), every operation inlined into the caller.
///
/// Use it where num-dual's `DualSVec64<K>` would go: odeon seeds it for
/// its sensitivities, fits, Jacobians and Hessians. Comparisons look at the
/// real part only, as num-dual's.
///
/// # Example
/// ```
/// use num_dual::DualNum;
/// use odeon::scalar::InlineDual64;
/// let x = InlineDual64::<2>::from_re(5.0).derivative(0);
/// let y = InlineDual64::<2>::from_re(3.0).derivative(1);
/// let z = x * x * y; // x²y
/// assert_eq!(z.re, 75.0);
/// assert_eq!(z.eps.0.as_slice(), &[30.0, 25.0]); // (2xy, x²)
/// let s = (x * y).sin();
/// assert_eq!(s.re, 15.0f64.sin());
/// assert!((s.eps.0[0] - 3.0 * 15.0f64.cos()).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct InlineDual<T, D: Dim>
where
    T: nalgebra::Scalar,
    DefaultAllocator: Allocator<D>,
{
    /// Real part.
    pub re: T,
    /// Derivative part, one value per direction.
    pub eps: Partials<T, D>,
}

impl<T: nalgebra::Scalar + Copy, const K: usize> Copy for InlineDual<T, Const<K>> {}

/// [`InlineDual`] over `f64` with `K` directions (in place of num-dual's
/// `DualSVec64<K>`).
pub type InlineDual64<const K: usize> = InlineDual<f64, Const<K>>;

/// Second derivatives by nesting: value, `M` + `N` first derivatives and
/// the `M × N` mixed block (in place of num-dual's `HyperDualSVec64<M, N>`).
pub type InlineHyperDual64<const M: usize, const N: usize> = InlineDual<InlineDual64<M>, Const<N>>;

impl<T: DualNum, D: Dim> InlineDual<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    /// A dual number from its parts.
    #[inline]
    pub fn new(re: T, eps: Partials<T, D>) -> Self {
        InlineDual { re, eps }
    }

    #[inline]
    fn chain_rule(&self, f0: T, f1: T) -> Self {
        InlineDual::new(f0, self.eps.map(|e| e.clone() * f1.clone()))
    }
}

impl<T: DualNum, D: Dim> InlineDual<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    /// A constant: real part `re`, every derivative zero.
    #[inline]
    pub fn from_re(re: T) -> Self {
        InlineDual::new(re, Partials(OVector::<T, D>::from_element_generic(D::name(), U1, T::zero())))
    }

    /// Set the derivative part of direction `index` to 1 (the others to 0).
    ///
    /// # Panics
    /// If `index` is not below the number of directions.
    #[inline]
    pub fn derivative(mut self, index: usize) -> Self {
        self.eps.0.fill(T::zero());
        self.eps.0[index] = T::one();
        self
    }
}

impl<T: DualNum, const K: usize> InlineDual<T, Const<K>> {
    /// A dual number from its real part and its `K` derivative parts.
    #[inline]
    pub fn from_parts(re: T, eps: [T; K]) -> Self {
        InlineDual::new(re, Partials(OVector::<T, Const<K>>::from(eps)))
    }
}

// Arithmetic by value, in place: with many directions (or nested numbers)
// the parts are too large for copies to be free, so no operation clones
// an operand it can consume.

impl<T: DualNum, D: Dim> InlineDual<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    /// `self · other` (product rule), reusing `self`'s storage. Always
    /// inlined, with the operator that forwards to it: for nested numbers
    /// (a Jacobian of dual states, second derivatives) LLVM kept the inner
    /// product a call, and the call's latency was 5–7% of Robertson's
    /// Rodas5P sensitivities (`docs/benchmarks.md` §9); no build time
    /// measurable.
    #[inline(always)]
    fn mul_by(mut self, other: &Self) -> Self {
        let (a, b) = (self.re.clone(), other.re.clone());
        self.eps.zip_assign(&other.eps, |x, y| *x = x.clone() * b.clone() + y.clone() * a.clone());
        self.re = a * b;
        self
    }

    /// `self / other` (quotient rule), reusing `self`'s storage.
    #[inline]
    fn div_by(mut self, other: &Self) -> Self {
        let inv = other.re.recip();
        let q = self.re.clone() * inv.clone();
        self.eps.zip_assign(&other.eps, |x, y| *x = (x.clone() - y.clone() * q.clone()) * inv.clone());
        self.re = q;
        self
    }

    /// `self % other = self − trunc(self/other)·other`, differentiated
    /// where the quotient's integer part is constant.
    #[inline]
    fn rem_by(mut self, other: &Self) -> Self {
        let n = (self.re.re() / other.re.re()).trunc();
        self.eps.zip_assign(&other.eps, |x, y| *x -= y.clone() * n);
        self.re = self.re.clone() - other.re.clone() * n;
        self
    }

    #[inline]
    fn add_to(mut self, other: &Self) -> Self {
        self.re += other.re.clone();
        self.eps.zip_assign(&other.eps, |x, y| *x += y.clone());
        self
    }

    #[inline]
    fn sub_from(mut self, other: &Self) -> Self {
        self.re -= other.re.clone();
        self.eps.zip_assign(&other.eps, |x, y| *x -= y.clone());
        self
    }
}

/// The four owned/borrowed forms of a binary operator and its assignment,
/// all through one by-value method.
macro_rules! binop {
    ($trait:ident, $method:ident, $assign:ident, $assign_method:ident, $by:ident) => {
        impl<T: DualNum, D: Dim> $trait for InlineDual<T, D>
        where
            DefaultAllocator: Allocator<D>,
        {
            type Output = Self;
            #[inline(always)]
            fn $method(self, other: Self) -> Self {
                self.$by(&other)
            }
        }

        impl<T: DualNum, D: Dim> $trait<&InlineDual<T, D>> for InlineDual<T, D>
        where
            DefaultAllocator: Allocator<D>,
        {
            type Output = Self;
            #[inline]
            fn $method(self, other: &Self) -> Self {
                self.$by(other)
            }
        }

        impl<T: DualNum, D: Dim> $trait<InlineDual<T, D>> for &InlineDual<T, D>
        where
            DefaultAllocator: Allocator<D>,
        {
            type Output = InlineDual<T, D>;
            #[inline]
            fn $method(self, other: InlineDual<T, D>) -> InlineDual<T, D> {
                self.clone().$by(&other)
            }
        }

        impl<T: DualNum, D: Dim> $trait<&InlineDual<T, D>> for &InlineDual<T, D>
        where
            DefaultAllocator: Allocator<D>,
        {
            type Output = InlineDual<T, D>;
            #[inline]
            fn $method(self, other: &InlineDual<T, D>) -> InlineDual<T, D> {
                self.clone().$by(other)
            }
        }

        impl<T: DualNum, D: Dim> $assign for InlineDual<T, D>
        where
            DefaultAllocator: Allocator<D>,
        {
            #[inline]
            fn $assign_method(&mut self, other: Self) {
                // Take the value out (leaving a cheap zero) to operate in place.
                let lhs = std::mem::replace(self, InlineDual::from_re(T::zero()));
                *self = lhs.$by(&other);
            }
        }
    };
}

binop!(Add, add, AddAssign, add_assign, add_to);
binop!(Sub, sub, SubAssign, sub_assign, sub_from);
binop!(Mul, mul, MulAssign, mul_assign, mul_by);
binop!(Div, div, DivAssign, div_assign, div_by);
binop!(Rem, rem, RemAssign, rem_assign, rem_by);

impl<T: DualNum, D: Dim> Neg for InlineDual<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    type Output = Self;
    #[inline]
    fn neg(mut self) -> Self {
        self.re = -self.re;
        self.eps.for_each(|x| *x = -x.clone());
        self
    }
}

impl<T: DualNum, D: Dim> Neg for &InlineDual<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    type Output = InlineDual<T, D>;
    #[inline]
    fn neg(self) -> InlineDual<T, D> {
        -self.clone()
    }
}

impl<T: DualNum, D: Dim> fmt::Display for InlineDual<T, D>
where
    DefaultAllocator: Allocator<D>,
{
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.re)?;
        let parts: Vec<String> = self.eps.0.iter().map(|e| e.to_string()).collect();
        write!(f, " + [{}]ε", parts.join(", "))
    }
}

// The elementary functions (chain rules), conversions, constants and
// comparisons: num-dual's own macros, as for its types.
impl_first_derivatives!(InlineDual, [eps], [D], [D]);
impl_from_f!(InlineDual, [eps], [D], [D]);
impl_zero_one!(InlineDual, [D], [D]);
impl_scalar_op!(InlineDual, [eps], [D], [D]);
impl_inv!(InlineDual, [D], [D]);
impl_iterator!(InlineDual, [D], [D]);
impl_from_primitive!(InlineDual, [D], [D]);
impl_signed!(InlineDual, [D], [D]);
impl_num!(InlineDual, [D], [D]);
impl_float_const!(InlineDual, [D], [D]);
impl_dual_struct!(InlineDual, [D], [D]);
impl_comparisons!(InlineDual, [D], [D]);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Derivatives;
    use num_dual::{DualSVec64, HyperDualSVec64};
    use proptest::prelude::*;

    /// Every operation against num-dual's `DualSVec64<3>` on the same
    /// seeds: same real part, same derivatives (to rounding).
    fn check(
        f: impl Fn(InlineDual64<3>, InlineDual64<3>) -> InlineDual64<3>,
        g: impl Fn(DualSVec64<3>, DualSVec64<3>) -> DualSVec64<3>,
        x: [f64; 4],
        y: [f64; 4],
    ) {
        let ours = |v: [f64; 4]| InlineDual64::<3>::new(v[0], Partials(nalgebra::vector![v[1], v[2], v[3]]));
        let theirs =
            |v: [f64; 4]| DualSVec64::<3>::new(v[0], num_dual::Derivative::some(nalgebra::vector![v[1], v[2], v[3]]));
        let (a, b) = (f(ours(x), ours(y)), g(theirs(x), theirs(y)));
        let close = |u: f64, v: f64| (u - v).abs() <= 1e-12 * (1.0 + v.abs()) || (u.is_nan() && v.is_nan());
        assert!(close(a.re, b.re), "re {} vs {}", a.re, b.re);
        for l in 0..3 {
            assert!(close(a.eps_part(l), b.eps_part(l)), "eps {l}: {} vs {}", a.eps_part(l), b.eps_part(l));
        }
    }

    macro_rules! same {
        ($x:expr, $y:expr; $($e:expr),+ $(,)?) => {$(
            check($e, $e, $x, $y);
        )+};
    }

    proptest! {
        #[test]
        fn agrees_with_num_dual(x in prop::array::uniform4(0.1f64..3.0), y in prop::array::uniform4(-3.0f64..3.0)) {
            let y = [if y[0].abs() < 0.1 { 0.5 } else { y[0] }, y[1], y[2], y[3]];
            same!(x, y;
                |a, b| a + b, |a, b| a - b, |a, b| a * b, |a, b| a / b, |a, _| -a,
                |a, b| a * b.re + 2.0, |a, b| a / b.re - 1.5, |a, _| a.recip(), |a, _| a.powi(3), |a, _| a.powi(-2),
                |a, _| a.powf(2.5), |a, _| a.sqrt(), |a, _| a.cbrt(), |a, _| a.exp(), |a, _| a.exp2(), |a, _| a.exp_m1(),
                |a, _| a.ln(), |a, _| a.log(3.0), |a, _| a.log2(), |a, _| a.log10(), |a, _| a.ln_1p(),
                |a, _| a.sin(), |a, _| a.cos(), |a, _| a.tan(), |a, b| a.atan2(b), |a, _| a.sinh(), |a, _| a.cosh(),
                |a, _| a.tanh(), |a, _| a.asinh(), |a, _| (a + 1.0).acosh(), |a, _| (a * 0.3).atanh(),
                |a, _| (a * 0.3).asin(), |a, _| (a * 0.3).acos(), |a, _| a.atan(), |a, _| a.abs(), |a, b| (-a * b).abs(),
                |a, b| a.mul_add(b, a), |a, b| a.powd(b),
                |a, b| { let mut c = a; c += b; c *= a; c -= b; c /= a; c *= 2.0; c }
            );
        }
    }

    #[test]
    fn nested_gives_the_mixed_second_derivatives() {
        // f(a, b) = a² b + sin(a b) at a = 0.7, b = 1.3, against HyperDualSVec64<1, 1>.
        let a = InlineHyperDual64::<1, 1>::from_re(InlineDual64::<1>::from_re(0.7).derivative(0));
        let b = InlineHyperDual64::<1, 1>::from_re(InlineDual64::<1>::from_re(1.3)).derivative(0);
        let f = |a: InlineHyperDual64<1, 1>, b: InlineHyperDual64<1, 1>| a * a * b + (a * b).sin();
        let r = f(a, b);
        let h = HyperDualSVec64::<1, 1>::from_re(0.7).derivative1(0);
        let k = HyperDualSVec64::<1, 1>::from_re(1.3).derivative2(0);
        let s = h * h * k + (h * k).sin();
        assert!((r.re.re - s.re).abs() < 1e-15);
        assert!((r.re.eps.0[0] - s.eps1.unwrap_generic(Const::<1>, Const::<1>)[0]).abs() < 1e-14);
        assert!((r.eps.0[0].re - s.eps2.unwrap_generic(Const::<1>, Const::<1>)[0]).abs() < 1e-14);
        let mixed = s.eps1eps2.unwrap_generic(Const::<1>, Const::<1>)[0];
        assert!((r.eps.0[0].eps.0[0] - mixed).abs() < 1e-14);
        // ∂²f/∂a∂b = 2a + cos(ab) − ab sin(ab), by hand.
        let exact = 2.0 * 0.7 + (0.91f64).cos() - 0.91 * (0.91f64).sin();
        assert!((mixed - exact).abs() < 1e-14);
        assert_eq!(<InlineHyperDual64<1, 1> as Derivatives>::N_EPS, 2);
        assert_eq!(r.eps_part(1), r.eps.0[0].re);
    }

    #[test]
    fn remainder_is_differentiated_where_the_quotient_is_constant() {
        // x % y = x − 3y for x = 7.3, y = 2 (quotient 3.65, integer part 3).
        let x = InlineDual64::<2>::from_re(7.3).derivative(0);
        let y = InlineDual64::<2>::from_re(2.0).derivative(1);
        let r = x % y;
        assert!((r.re - 1.3).abs() < 1e-14);
        assert_eq!(r.eps.0.as_slice(), &[1.0, -3.0]);
        let mut z = x;
        z %= y;
        assert_eq!(z.re, r.re);
    }

    #[test]
    fn is_send_sync_and_a_dual_scalar() {
        fn ok<T: crate::DualScalar>() {}
        ok::<InlineDual64<4>>();
        ok::<InlineHyperDual64<4, 4>>();
    }
}

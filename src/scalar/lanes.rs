//! [`Lanes`]: `L` independent values of a scalar computed together, so
//! that one call of a model's generic right-hand side serves `L` samples.
//!
//! Every operation acts lane by lane with the lane type's own operation
//! (`f64`'s `+`, `exp`, `mul_add`, … or a dual number's), so lane `l` of a
//! result has the bits of the same computation done on lane `l` alone.
//! Independent lanes fill the processor's pipeline: a small model's step
//! is a chain of dependent operations, and `L` chains side by side run
//! several times faster than one after the other (`docs/benchmarks.md`,
//! section 5).
//!
//! **Branches.** A model decides with the real part (`x.re() > 0.0`) or a
//! comparison (`x < y`). A lane value has one answer only where its lanes
//! agree:
//! - a comparison (`<`, `==`, `is_positive`, …) answers for every lane;
//!   where the lanes' answers differ, the evaluation is marked **diverged**;
//! - [`re`](num_dual::DualStruct::re) gives the first lane's real part,
//!   and marks the evaluation diverged if another lane's differs (a value
//!   read as a number may steer anything).
//!
//! A diverged evaluation is not used: the lane stepper then solves the
//! samples one by one, so results never depend on how samples were
//! grouped. [`check_divergence`] runs a closure and reports divergence.

use num_dual::{DualNum, DualStruct, Mappable};
use num_traits::{FromPrimitive, Inv, Num, One, Signed, Zero};
use std::cell::Cell;
use std::cmp::Ordering;
use std::fmt;
use std::iter::{Product, Sum};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign};

use crate::DualScalar;

thread_local! {
    /// Set when lanes disagreed on a branch since the last [`check_divergence`].
    static DIVERGED: Cell<bool> = const { Cell::new(false) };
}

fn diverge() {
    DIVERGED.with(|d| d.set(true));
}

/// Run `f` (on this thread), and tell whether lanes disagreed on a
/// branch in it (see [`Lanes`]): `(f(), diverged)`.
pub fn check_divergence<R>(f: impl FnOnce() -> R) -> (R, bool) {
    let before = DIVERGED.with(|d| d.replace(false));
    let r = f();
    let diverged = DIVERGED.with(|d| d.replace(before));
    (r, diverged)
}

/// `L` values of the scalar `T` (`f64` or a dual number), operated on
/// lane by lane. Satisfies [`DualScalar`], so every model written for it
/// evaluates `L` samples per call unchanged.
///
/// # Example
/// ```
/// use num_dual::{DualNum, DualStruct};
/// use odeon::scalar::{Lanes, check_divergence};
/// use odeon::DualScalar;
///
/// fn f<D: DualScalar>(x: D, k: D) -> D {
///     (-k * x).exp() * 2.0 + x.sin()
/// }
/// let x = Lanes([0.5, 1.0, 2.0, -3.0]);
/// let k = Lanes([1.0, 0.5, 0.25, 2.0]);
/// let (y, diverged) = check_divergence(|| f(x, k));
/// assert!(!diverged);
/// for l in 0..4 {
///     assert_eq!(y.0[l].to_bits(), f(x.0[l], k.0[l]).to_bits()); // the same bits
/// }
/// // A branch the lanes disagree on marks the evaluation.
/// let (_, diverged) = check_divergence(|| if x.re() > 0.0 { x } else { -x });
/// assert!(diverged);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Lanes<T, const L: usize>(pub [T; L]);

impl<T: DualScalar, const L: usize> Lanes<T, L> {
    /// Every lane `v`.
    #[inline]
    pub fn splat(v: T) -> Self {
        Lanes([v; L])
    }

    #[inline(always)]
    fn map(self, f: impl Fn(T) -> T) -> Self {
        Lanes(self.0.map(f))
    }

    #[inline(always)]
    fn zip(self, other: Self, f: impl Fn(T, T) -> T) -> Self {
        let mut out = self.0;
        for (o, b) in out.iter_mut().zip(other.0) {
            *o = f(*o, b);
        }
        Lanes(out)
    }

    /// The answer every lane gives for `f(self, other)`, or the first
    /// lane's (the evaluation marked diverged) where they differ.
    #[inline]
    fn agree<O: Copy, A: PartialEq>(&self, other: &[O; L], f: impl Fn(&T, &O) -> A) -> A {
        const { assert!(L > 0, "lanes hold at least one value") };
        let first = f(&self.0[0], &other[0]);
        if (1..L).any(|l| f(&self.0[l], &other[l]) != first) {
            diverge();
        }
        first
    }
}

impl<T: DualScalar, const L: usize> PartialEq for Lanes<T, L> {
    fn eq(&self, other: &Self) -> bool {
        self.agree(&other.0, |a, b| a == b)
    }
}

impl<T: DualScalar, const L: usize> PartialOrd for Lanes<T, L> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.agree(&other.0, |a, b| a.partial_cmp(b))
    }
}

impl<T: DualScalar, const L: usize> PartialEq<f64> for Lanes<T, L> {
    fn eq(&self, other: &f64) -> bool {
        self.agree(&[*other; L], |a, b| a == b)
    }
}

impl<T: DualScalar, const L: usize> PartialOrd<f64> for Lanes<T, L> {
    fn partial_cmp(&self, other: &f64) -> Option<Ordering> {
        self.agree(&[*other; L], |a, b| a.partial_cmp(b))
    }
}

impl<T: DualScalar, const L: usize> fmt::Display for Lanes<T, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (l, x) in self.0.iter().enumerate() {
            write!(f, "{}{x}", if l > 0 { ", " } else { "" })?;
        }
        write!(f, "]")
    }
}

impl<T: DualScalar, const L: usize> From<f64> for Lanes<T, L> {
    #[inline]
    fn from(v: f64) -> Self {
        Lanes::splat(T::from(v))
    }
}

macro_rules! ops {
    ($($trait:ident $method:ident $assign:ident $assign_method:ident,)*) => {$(
        impl<T: DualScalar, const L: usize> $trait for Lanes<T, L> {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                self.zip(rhs, |a, b| a.$method(b))
            }
        }
        impl<T: DualScalar, const L: usize> $trait<&Lanes<T, L>> for Lanes<T, L> {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: &Self) -> Self {
                self.zip(*rhs, |a, b| a.$method(b))
            }
        }
        impl<T: DualScalar, const L: usize> $trait<f64> for Lanes<T, L> {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: f64) -> Self {
                self.map(|a| a.$method(rhs))
            }
        }
        impl<T: DualScalar, const L: usize> $assign for Lanes<T, L> {
            #[inline(always)]
            fn $assign_method(&mut self, rhs: Self) {
                for l in 0..L {
                    self.0[l].$assign_method(rhs.0[l]);
                }
            }
        }
        impl<T: DualScalar, const L: usize> $assign<f64> for Lanes<T, L> {
            #[inline(always)]
            fn $assign_method(&mut self, rhs: f64) {
                for l in 0..L {
                    self.0[l].$assign_method(rhs);
                }
            }
        }
    )*};
}

ops! {
    Add add AddAssign add_assign,
    Sub sub SubAssign sub_assign,
    Mul mul MulAssign mul_assign,
    Div div DivAssign div_assign,
    Rem rem RemAssign rem_assign,
}

impl<T: DualScalar, const L: usize> Neg for Lanes<T, L> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.map(|a| -a)
    }
}

impl<T: DualScalar, const L: usize> Zero for Lanes<T, L> {
    fn zero() -> Self {
        Lanes::splat(T::zero())
    }
    fn is_zero(&self) -> bool {
        self.agree(&self.0, |a, _| a.is_zero())
    }
}

impl<T: DualScalar, const L: usize> One for Lanes<T, L> {
    fn one() -> Self {
        Lanes::splat(T::one())
    }
}

impl<T: DualScalar, const L: usize> Num for Lanes<T, L> {
    type FromStrRadixErr = <f64 as Num>::FromStrRadixErr;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        f64::from_str_radix(s, radix).map(Lanes::from)
    }
}

impl<T: DualScalar, const L: usize> Signed for Lanes<T, L> {
    fn abs(&self) -> Self {
        self.map(|a| a.abs())
    }
    fn abs_sub(&self, other: &Self) -> Self {
        self.zip(*other, |a, b| a.abs_sub(&b))
    }
    fn signum(&self) -> Self {
        self.map(|a| a.signum())
    }
    fn is_positive(&self) -> bool {
        self.agree(&self.0, |a, _| a.is_positive())
    }
    fn is_negative(&self) -> bool {
        self.agree(&self.0, |a, _| a.is_negative())
    }
}

impl<T: DualScalar, const L: usize> Inv for Lanes<T, L> {
    type Output = Self;
    fn inv(self) -> Self {
        self.map(|a| a.inv())
    }
}

// Sums and products fold lane by lane from the lane type's own empty sum
// (−0.0 for `f64`), as its `Sum` does: the same bits per lane.
impl<T: DualScalar, const L: usize> Sum for Lanes<T, L> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Lanes::splat(T::sum(std::iter::empty())), |a, b| a + b)
    }
}

impl<'a, T: DualScalar, const L: usize> Sum<&'a Lanes<T, L>> for Lanes<T, L> {
    fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.fold(Lanes::splat(T::sum(std::iter::empty())), |a, b| a + b)
    }
}

impl<T: DualScalar, const L: usize> Product for Lanes<T, L> {
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Lanes::splat(T::product(std::iter::empty())), |a, b| a * b)
    }
}

impl<'a, T: DualScalar, const L: usize> Product<&'a Lanes<T, L>> for Lanes<T, L> {
    fn product<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.fold(Lanes::splat(T::product(std::iter::empty())), |a, b| a * b)
    }
}

impl<T: DualScalar, const L: usize> FromPrimitive for Lanes<T, L> {
    fn from_i64(n: i64) -> Option<Self> {
        T::from_i64(n).map(Lanes::splat)
    }
    fn from_u64(n: u64) -> Option<Self> {
        T::from_u64(n).map(Lanes::splat)
    }
    fn from_f64(n: f64) -> Option<Self> {
        T::from_f64(n).map(Lanes::splat)
    }
}

impl<T: DualScalar, const L: usize> DualStruct for Lanes<T, L> {
    type Real = f64;
    type Inner = f64;
    /// The first lane's real part; the evaluation is marked diverged if
    /// another lane's differs.
    fn re(&self) -> f64 {
        self.agree(&self.0, |a, _| a.re().to_bits());
        self.0[0].re()
    }
    fn from_inner(inner: &f64) -> Self {
        Lanes::from(*inner)
    }
}

impl<T: DualScalar, const L: usize> Mappable<Lanes<T, L>> for Lanes<T, L> {
    type Output<O> = O;
    fn map_dual<M: Fn(Self) -> O, O>(self, f: M) -> O {
        f(self)
    }
}

/// Functions of one value, lane by lane with the lane type's own.
macro_rules! unary {
    ($($name:ident),*) => {$(
        #[inline(always)]
        fn $name(&self) -> Self {
            self.map(|a| DualNum::$name(&a))
        }
    )*};
}

impl<T: DualScalar, const L: usize> DualNum for Lanes<T, L> {
    type Primitive = f64;
    const NDERIV: usize = T::NDERIV;
    type InnerDual = f64;

    fn from_re(re: f64) -> Self {
        Lanes::from(re)
    }
    fn scale(self, factor: &f64) -> Self {
        self * *factor
    }
    #[inline(always)]
    fn powi(&self, n: i32) -> Self {
        self.map(|a| a.powi(n))
    }
    #[inline(always)]
    fn powf(&self, n: f64) -> Self {
        self.map(|a| a.powf(n))
    }
    fn log(&self, base: f64) -> Self {
        self.map(|a| a.log(base))
    }
    fn sin_cos(&self) -> (Self, Self) {
        let (mut s, mut c) = (self.0, self.0);
        for l in 0..L {
            (s[l], c[l]) = self.0[l].sin_cos();
        }
        (Lanes(s), Lanes(c))
    }
    fn atan2(&self, other: Self) -> Self {
        self.zip(other, |a, b| a.atan2(b))
    }
    #[inline(always)]
    fn mul_add(&self, a: Self, b: Self) -> Self {
        let mut out = self.0;
        for (o, (a, b)) in out.iter_mut().zip(a.0.into_iter().zip(b.0)) {
            *o = o.mul_add(a, b);
        }
        Lanes(out)
    }
    fn powd(&self, exp: Self) -> Self {
        self.zip(exp, |a, b| a.powd(b))
    }
    unary!(recip, sqrt, cbrt, exp, exp2, exp_m1, ln, log2, log10, ln_1p, sin, cos, tan, asin, acos, atan);
    unary!(sinh, cosh, tanh, asinh, acosh, atanh, sph_j0, sph_j1, sph_j2);
}

/// Lanes of `T` are `L` times what `T` is made of, lane after lane; the
/// derivative parts read are the first lane's.
impl<T: DualScalar, const L: usize> super::Derivatives for Lanes<T, L> {
    const N_EPS: usize = T::N_EPS;
    const ORDER: usize = T::ORDER;
    fn eps_part(&self, l: usize) -> f64 {
        self.0[0].eps_part(l)
    }
    const REALS: usize = T::REALS * L;
    fn to_reals(&self, out: &mut [f64]) {
        for (l, x) in self.0.iter().enumerate() {
            x.to_reals(&mut out[l * T::REALS..]);
        }
    }
    fn from_reals(reals: &[f64]) -> Self {
        Lanes(std::array::from_fn(|l| T::from_reals(&reals[l * T::REALS..])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::InlineDual64;
    use proptest::prelude::*;

    /// A model-like function using every kind of operation.
    fn f<D: DualScalar>(x: D, y: D) -> Vec<D> {
        let s: D = [x, y, x * y].into_iter().sum();
        let p: D = [x, y].into_iter().product();
        vec![
            x + y,
            x - y * 2.0,
            x * y / (y * y + 1.0),
            -x,
            (x * 0.1).exp() + (y * y + 1.0).ln() + (x * x + 1.0).sqrt() + x.sin() * y.cos(),
            (x * 0.3).tanh() + x.atan2(y) + (x * x + 2.0).log10() + x.powi(3) + (y * y + 0.5).powf(1.5),
            x.mul_add(y, D::from(1.0)),
            x.abs() + y.signum() + x.recip() * 0.0 + s + p,
            (x * x + 1.0).powd(y * 0.1) + x.sin_cos().0 + x.cbrt(),
        ]
    }

    fn same<T: DualScalar>(a: &T, b: &T) -> bool {
        let mut ra = vec![0.0; T::REALS];
        let mut rb = vec![0.0; T::REALS];
        a.to_reals(&mut ra);
        b.to_reals(&mut rb);
        ra.iter().zip(&rb).all(|(u, v)| u.to_bits() == v.to_bits())
    }

    fn check<T: DualScalar, const L: usize>(x: [T; L], y: [T; L]) {
        let (out, diverged) = check_divergence(|| f(Lanes(x), Lanes(y)));
        assert!(!diverged);
        for l in 0..L {
            let want = f(x[l], y[l]);
            for (k, (a, b)) in out.iter().zip(&want).enumerate() {
                assert!(same(&a.0[l], b), "output {k}, lane {l}: {:?} against {b:?}", a.0[l]);
            }
        }
    }

    proptest! {
        #[test]
        fn every_lane_has_the_bits_of_its_scalar_computation(
            x in proptest::array::uniform4(-5.0f64..5.0), y in proptest::array::uniform4(-5.0f64..5.0)
        ) {
            check(x, y);
            let dual = |v: f64, l: usize| InlineDual64::<2>::from_re(v).derivative(l % 2);
            check(std::array::from_fn::<_, 4, _>(|l| dual(x[l], l)), std::array::from_fn(|l| dual(y[l], l + 1)));
        }
    }

    #[test]
    fn branches_mark_the_evaluation_only_where_lanes_disagree() {
        let x = Lanes([1.0, 2.0, 3.0]);
        let lanes_agree = check_divergence(|| (x > 0.0, x < Lanes([2.0, 3.0, 4.0]), x.is_positive()));
        assert_eq!(lanes_agree, ((true, true, true), false));
        assert!(check_divergence(|| x > 1.5).1);
        assert!(check_divergence(|| x == 2.0).1);
        assert!(check_divergence(|| x.re()).1);
        // Equal lanes read as a number are fine (a shared parameter).
        assert_eq!(check_divergence(|| Lanes::<f64, 3>::splat(4.0).re()), (4.0, false));
        // Evaluations nest: the outer one sees the inner divergence only
        // through what it is told.
        let (inner, outer) = check_divergence(|| check_divergence(|| x.re()).1);
        assert!(inner && !outer);
    }
}

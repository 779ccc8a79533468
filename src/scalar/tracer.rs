//! A scalar that records which inputs each value depends on: the sparsity
//! pattern of a Jacobian from one evaluation of a model's generic code,
//! at a cost proportional to the operations, not to `n²`.
//!
//! A [`Tracer`] is a real value and a node of a thread-local tape. Inputs
//! are the tape's first nodes; an operation on two values that depend on
//! inputs records one node with the two as parents; an operation with a
//! constant, or a function of one value, keeps its operand's node (it
//! depends on the same inputs). The inputs an output depends on are the
//! leaves reached from its node. Values are computed as with `f64`, so the
//! model takes the branches it takes at the traced point.
//!
//! **What it cannot see.** A branch on a value (`if x.re() > 0.0 …`)
//! follows the traced point: a dependency only on the other side is
//! missing from the pattern, and a value multiplied by an exact zero is
//! still counted as a dependency (the pattern is structural, a superset of
//! the nonzeros at that point). The model must evaluate on the calling
//! thread: a value computed on another thread belongs to another tape.

use num_dual::{DualNum, DualStruct, Mappable};
use num_traits::{FromPrimitive, Inv, Num, One, Signed, Zero};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt;
use std::iter::{Product, Sum};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign};

/// No dependency (a constant).
const CONSTANT: u32 = u32::MAX;
/// Depends on every input (the tape was full).
const EVERYTHING: u32 = u32::MAX - 1;
/// Most nodes one trace records (256 MiB of tape); past it, values depend
/// on everything (a dense pattern, never an unbounded allocation).
const MAX_NODES: usize = 1 << 25;

struct Tape {
    /// Parents of each node (`CONSTANT` for none); inputs have none.
    nodes: Vec<[u32; 2]>,
    active: bool,
}

thread_local! {
    static TAPE: RefCell<Tape> = const { RefCell::new(Tape { nodes: Vec::new(), active: false }) };
}

/// A traced real value: what a model computes, and which inputs it
/// depends on. Values are computed as with `f64`, so a model takes the
/// branches it takes at the traced point: a dependency only on another
/// branch is missing from the result, and a value multiplied by an exact
/// zero still counts (the pattern is structural). The model must compute
/// on the calling thread (each thread has its own tape).
///
/// # Example
/// ```
/// use odeon::scalar::Tracer;
/// use num_dual::DualNum;
/// // f(x) = (x0·x1, sin(x2) + 2, 3): which inputs does each output read?
/// let pattern = Tracer::dependencies(&[1.0, 2.0, 0.5], |x| {
///     vec![x[0] * x[1], x[2].sin() + 2.0, Tracer::from(3.0)]
/// })?;
/// assert_eq!(pattern, vec![vec![0, 1], vec![2], vec![]]);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Tracer {
    re: f64,
    node: u32,
}

impl Tracer {
    /// A value that depends on nothing.
    pub const fn constant(re: f64) -> Self {
        Tracer { re, node: CONSTANT }
    }

    /// Evaluate `f` at `x`, the inputs traced, and return for each output
    /// the inputs it depends on (increasing).
    ///
    /// # Errors
    /// [`Error::InvalidOption`](crate::Error::InvalidOption) when called
    /// inside another trace on the same thread, or when an output carries a
    /// node of another thread's tape.
    pub fn dependencies<F>(x: &[f64], f: F) -> Result<Vec<Vec<usize>>, crate::Error>
    where
        F: FnOnce(&[Tracer]) -> Vec<Tracer>,
    {
        let n = x.len();
        let misuse = |reason: &str| crate::Error::InvalidOption { name: "sparsity tracing", reason: reason.into() };
        if n >= MAX_NODES {
            return Err(misuse("more inputs than a trace can hold"));
        }
        let started = TAPE.with_borrow_mut(|tape| {
            if tape.active {
                return false;
            }
            tape.active = true;
            tape.nodes.clear();
            tape.nodes.resize(n, [CONSTANT; 2]);
            true
        });
        if !started {
            return Err(misuse("a trace was started inside another on the same thread"));
        }
        let inputs: Vec<Tracer> = x.iter().enumerate().map(|(i, &re)| Tracer { re, node: i as u32 }).collect();
        // The tape is released even if `f` unwinds.
        struct Release;
        impl Drop for Release {
            fn drop(&mut self) {
                TAPE.with_borrow_mut(|tape| {
                    tape.active = false;
                    tape.nodes = Vec::new();
                });
            }
        }
        let _release = Release;
        let outputs = f(&inputs);
        TAPE.with_borrow(|tape| {
            let nodes = &tape.nodes;
            let mut seen = vec![u32::MAX; nodes.len()];
            let mut stack = Vec::new();
            let mut result = Vec::with_capacity(outputs.len());
            for (row, out) in outputs.iter().enumerate() {
                let mut deps = Vec::new();
                let mut dense = false;
                stack.push(out.node);
                while let Some(k) = stack.pop() {
                    match k {
                        CONSTANT => {}
                        EVERYTHING => dense = true,
                        _ => {
                            let Some(parents) = nodes.get(k as usize) else {
                                return Err(misuse("an output was computed on another thread"));
                            };
                            if seen[k as usize] == row as u32 {
                                continue;
                            }
                            seen[k as usize] = row as u32;
                            if (k as usize) < n {
                                deps.push(k as usize);
                            } else {
                                stack.extend(parents.iter().filter(|&&p| p != CONSTANT));
                            }
                        }
                    }
                }
                if dense {
                    deps = (0..n).collect();
                }
                deps.sort_unstable();
                result.push(deps);
            }
            Ok(result)
        })
    }

    /// A value `re` depending on what `self` depends on.
    #[inline]
    fn same(&self, re: f64) -> Self {
        Tracer { re, node: self.node }
    }

    /// A value `re` depending on what `a` and `b` depend on.
    #[inline]
    fn join(a: &Self, b: &Self, re: f64) -> Self {
        let node = match (a.node, b.node) {
            (CONSTANT, k) | (k, CONSTANT) => k,
            (EVERYTHING, _) | (_, EVERYTHING) => EVERYTHING,
            (x, y) if x == y => x,
            (x, y) => TAPE.with_borrow_mut(|tape| {
                if !tape.active || tape.nodes.len() >= MAX_NODES {
                    return EVERYTHING;
                }
                tape.nodes.push([x, y]);
                (tape.nodes.len() - 1) as u32
            }),
        };
        Tracer { re, node }
    }
}

impl PartialEq for Tracer {
    fn eq(&self, other: &Self) -> bool {
        self.re == other.re
    }
}

impl PartialOrd for Tracer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.re.partial_cmp(&other.re)
    }
}

impl PartialEq<f64> for Tracer {
    fn eq(&self, other: &f64) -> bool {
        self.re == *other
    }
}

impl PartialOrd<f64> for Tracer {
    fn partial_cmp(&self, other: &f64) -> Option<Ordering> {
        self.re.partial_cmp(other)
    }
}

impl fmt::Display for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (traced)", self.re)
    }
}

impl From<f64> for Tracer {
    fn from(re: f64) -> Self {
        Tracer::constant(re)
    }
}

macro_rules! ops {
    ($($trait:ident $method:ident $assign:ident $assign_method:ident,)*) => {$(
        impl $trait for Tracer {
            type Output = Tracer;
            #[inline]
            fn $method(self, rhs: Tracer) -> Tracer {
                Tracer::join(&self, &rhs, self.re.$method(rhs.re))
            }
        }
        impl $trait<&Tracer> for Tracer {
            type Output = Tracer;
            #[inline]
            fn $method(self, rhs: &Tracer) -> Tracer {
                Tracer::join(&self, rhs, self.re.$method(rhs.re))
            }
        }
        impl $trait<f64> for Tracer {
            type Output = Tracer;
            #[inline]
            fn $method(self, rhs: f64) -> Tracer {
                self.same(self.re.$method(rhs))
            }
        }
        impl $assign for Tracer {
            #[inline]
            fn $assign_method(&mut self, rhs: Tracer) {
                *self = (*self).$method(rhs);
            }
        }
        impl $assign<f64> for Tracer {
            #[inline]
            fn $assign_method(&mut self, rhs: f64) {
                *self = (*self).$method(rhs);
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

impl Neg for Tracer {
    type Output = Tracer;
    fn neg(self) -> Tracer {
        self.same(-self.re)
    }
}

impl Zero for Tracer {
    fn zero() -> Self {
        Tracer::constant(0.0)
    }
    fn is_zero(&self) -> bool {
        self.re == 0.0
    }
}

impl One for Tracer {
    fn one() -> Self {
        Tracer::constant(1.0)
    }
}

impl Num for Tracer {
    type FromStrRadixErr = <f64 as Num>::FromStrRadixErr;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        f64::from_str_radix(s, radix).map(Tracer::constant)
    }
}

impl Signed for Tracer {
    fn abs(&self) -> Self {
        self.same(self.re.abs())
    }
    fn abs_sub(&self, other: &Self) -> Self {
        Tracer::join(self, other, (self.re - other.re).max(0.0))
    }
    fn signum(&self) -> Self {
        Tracer::constant(self.re.signum())
    }
    fn is_positive(&self) -> bool {
        self.re.is_sign_positive()
    }
    fn is_negative(&self) -> bool {
        self.re.is_sign_negative()
    }
}

impl Inv for Tracer {
    type Output = Tracer;
    fn inv(self) -> Tracer {
        self.same(1.0 / self.re)
    }
}

impl Sum for Tracer {
    fn sum<I: Iterator<Item = Tracer>>(iter: I) -> Self {
        iter.fold(Tracer::constant(0.0), |a, b| a + b)
    }
}

impl<'a> Sum<&'a Tracer> for Tracer {
    fn sum<I: Iterator<Item = &'a Tracer>>(iter: I) -> Self {
        iter.fold(Tracer::constant(0.0), |a, b| a + b)
    }
}

impl Product for Tracer {
    fn product<I: Iterator<Item = Tracer>>(iter: I) -> Self {
        iter.fold(Tracer::constant(1.0), |a, b| a * b)
    }
}

impl<'a> Product<&'a Tracer> for Tracer {
    fn product<I: Iterator<Item = &'a Tracer>>(iter: I) -> Self {
        iter.fold(Tracer::constant(1.0), |a, b| a * b)
    }
}

impl FromPrimitive for Tracer {
    fn from_i64(n: i64) -> Option<Self> {
        Some(Tracer::constant(n as f64))
    }
    fn from_u64(n: u64) -> Option<Self> {
        Some(Tracer::constant(n as f64))
    }
    fn from_f64(n: f64) -> Option<Self> {
        Some(Tracer::constant(n))
    }
}

impl DualStruct for Tracer {
    type Real = f64;
    type Inner = f64;
    fn re(&self) -> f64 {
        self.re
    }
    fn from_inner(inner: &f64) -> Self {
        Tracer::constant(*inner)
    }
}

impl Mappable<Tracer> for Tracer {
    type Output<O> = O;
    fn map_dual<M: Fn(Tracer) -> O, O>(self, f: M) -> O {
        f(self)
    }
}

/// Functions of one value: the result depends on what the operand does.
macro_rules! unary {
    ($($name:ident),*) => {$(
        #[inline]
        fn $name(&self) -> Self {
            self.same(self.re.$name())
        }
    )*};
}

impl DualNum for Tracer {
    type Primitive = f64;
    const NDERIV: usize = 0;
    type InnerDual = f64;

    fn from_re(re: f64) -> Self {
        Tracer::constant(re)
    }
    fn scale(self, factor: &f64) -> Self {
        self * *factor
    }
    fn recip(&self) -> Self {
        self.same(1.0 / self.re)
    }
    fn powi(&self, n: i32) -> Self {
        self.same(self.re.powi(n))
    }
    fn powf(&self, n: f64) -> Self {
        self.same(self.re.powf(n))
    }
    fn log(&self, base: f64) -> Self {
        self.same(self.re.log(base))
    }
    fn sin_cos(&self) -> (Self, Self) {
        let (s, c) = self.re.sin_cos();
        (self.same(s), self.same(c))
    }
    fn atan2(&self, other: Self) -> Self {
        Tracer::join(self, &other, self.re.atan2(other.re))
    }
    fn sph_j0(&self) -> Self {
        self.same(f64::sph_j0(&self.re))
    }
    fn sph_j1(&self) -> Self {
        self.same(f64::sph_j1(&self.re))
    }
    fn sph_j2(&self) -> Self {
        self.same(f64::sph_j2(&self.re))
    }
    fn mul_add(&self, a: Self, b: Self) -> Self {
        *self * a + b
    }
    fn powd(&self, exp: Self) -> Self {
        Tracer::join(self, &exp, self.re.powf(exp.re))
    }
    unary!(sqrt, cbrt, exp, exp2, exp_m1, ln, log2, log10, ln_1p, sin, cos, tan, asin, acos, atan);
    unary!(sinh, cosh, tanh, asinh, acosh, atanh);
}

impl super::Derivatives for Tracer {
    const N_EPS: usize = 0;
    const ORDER: usize = 0;
    fn eps_part(&self, _: usize) -> f64 {
        0.0
    }
    const REALS: usize = 1;
    fn to_reals(&self, out: &mut [f64]) {
        out[0] = self.re;
    }
    fn from_reals(reals: &[f64]) -> Self {
        Tracer::constant(reals[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DualScalar;

    fn generic<D: DualScalar>(x: &[D]) -> Vec<D> {
        let s: D = x.iter().copied().sum();
        vec![
            x[0] * 2.0 + 1.0,
            if x[1].re() > 0.0 { x[1] * x[2] } else { x[3] },
            (x[2] / x[3]).exp().powi(2) - x[2].sin(),
            s,
            D::from(4.0),
            x[3] * 0.0,
        ]
    }

    #[test]
    fn dependencies_follow_the_operations_and_the_branch_taken() {
        let deps = Tracer::dependencies(&[1.0, 2.0, 3.0, 4.0], generic).unwrap();
        assert_eq!(deps, vec![vec![0], vec![1, 2], vec![2, 3], vec![0, 1, 2, 3], vec![], vec![3]]);
        let other = Tracer::dependencies(&[1.0, -2.0, 3.0, 4.0], generic).unwrap();
        assert_eq!(other[1], vec![3], "the other branch");
        // The values are the f64 ones.
        let values = Tracer::dependencies(&[1.0, 2.0, 3.0, 4.0], |x| {
            let out = generic(x);
            let want = generic(&[1.0, 2.0, 3.0, 4.0]);
            assert!(out.iter().zip(&want).all(|(a, b)| a.re() == *b));
            out
        });
        assert!(values.is_ok());
    }

    #[test]
    fn nested_traces_are_refused_and_the_tape_is_released() {
        let r = Tracer::dependencies(&[1.0], |x| {
            assert!(Tracer::dependencies(&[1.0], |y| y.to_vec()).is_err());
            x.to_vec()
        });
        assert_eq!(r.unwrap(), vec![vec![0]]);
        assert_eq!(Tracer::dependencies(&[1.0, 2.0], |x| vec![x[1] * x[0]]).unwrap(), vec![vec![0, 1]]);
    }

    #[test]
    fn values_from_another_trace_are_an_error_not_a_panic() {
        let stale = std::cell::Cell::new(None);
        Tracer::dependencies(&[1.0, 2.0, 3.0], |x| {
            stale.set(Some(x[0] * x[1] * x[2]));
            vec![]
        })
        .unwrap();
        let old = stale.get().unwrap();
        assert!(Tracer::dependencies(&[1.0], |_| vec![old]).is_err());
    }
}

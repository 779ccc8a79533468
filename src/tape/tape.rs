//! The instruction tape: a flat list of operations over numbered slots,
//! evaluated by an interpreter generic over the scalar, so that the same
//! tape gives values with `f64` and exact derivatives with dual numbers.
//!
//! Slots: first the arguments (`t`, then the states `x`, the inputs `u`
//! and the parameters `p`), then the constants, then registers for the
//! instructions' results, each reused once its value is dead. Building a
//! tape ([`compile`](super::compile)) shares common subexpressions and
//! folds constants.

use crate::DualScalar;
use crate::scalar::with_scratch;

/// A built-in function of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    Exp,
    Ln,
    Log10,
    Log2,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Abs,
    /// −1, 0 or 1 (derivative 0).
    Sign,
    /// Derivative 0.
    Floor,
    /// Derivative 0.
    Ceil,
}

impl Func {
    /// The built-in functions of one argument by name.
    pub const ALL: [(&'static str, Func); 21] = [
        ("exp", Func::Exp),
        ("ln", Func::Ln),
        ("log10", Func::Log10),
        ("log2", Func::Log2),
        ("sqrt", Func::Sqrt),
        ("sin", Func::Sin),
        ("cos", Func::Cos),
        ("tan", Func::Tan),
        ("asin", Func::Asin),
        ("acos", Func::Acos),
        ("atan", Func::Atan),
        ("sinh", Func::Sinh),
        ("cosh", Func::Cosh),
        ("tanh", Func::Tanh),
        ("asinh", Func::Asinh),
        ("acosh", Func::Acosh),
        ("atanh", Func::Atanh),
        ("abs", Func::Abs),
        ("sign", Func::Sign),
        ("floor", Func::Floor),
        ("ceil", Func::Ceil),
    ];

    pub(crate) fn apply<D: DualScalar>(self, x: D) -> D {
        use Func::*;
        match self {
            Exp => x.exp(),
            Ln => x.ln(),
            Log10 => x.log10(),
            Log2 => x.log2(),
            Sqrt => x.sqrt(),
            Sin => x.sin(),
            Cos => x.cos(),
            Tan => x.tan(),
            Asin => x.asin(),
            Acos => x.acos(),
            Atan => x.atan(),
            Sinh => x.sinh(),
            Cosh => x.cosh(),
            Tanh => x.tanh(),
            Asinh => x.asinh(),
            Acosh => x.acosh(),
            Atanh => x.atanh(),
            Abs => num_traits::Signed::abs(&x),
            Sign => D::from(sign(x.re())),
            Floor => D::from(x.re().floor()),
            Ceil => D::from(x.re().ceil()),
        }
    }
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// Comparisons; the result is 1 or 0 (no derivative), decided on real
/// parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// One instruction; operands are slot numbers, or constants (their bits,
/// so that instructions hash) where the name says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Inst {
    Add(u32, u32),
    Sub(u32, u32),
    Mul(u32, u32),
    Div(u32, u32),
    /// `x + c`: a constant operand is not a slot, so that a dual number's
    /// derivative parts neither hold zeros for it nor multiply by them.
    AddC(u32, u64),
    /// `x − c`.
    SubC(u32, u64),
    /// `c − x`.
    CSub(u64, u32),
    /// `x · c`.
    MulC(u32, u64),
    /// `x / c`.
    DivC(u32, u64),
    /// `c / x`.
    CDiv(u64, u32),
    Neg(u32),
    /// `x^n`, integer `n`.
    Powi(u32, i32),
    /// `x^c`, constant `c` (its bits, so that instructions hash).
    Powf(u32, u64),
    /// `x^y`.
    Pow(u32, u32),
    Call(Func, u32),
    /// The smaller by real part (the first on ties).
    Min(u32, u32),
    /// The larger by real part (the first on ties).
    Max(u32, u32),
    Cmp(Cmp, u32, u32),
    And(u32, u32),
    Or(u32, u32),
    Not(u32),
    /// `if c then a else b` (on the real part of `c`).
    Select(u32, u32, u32),
}

fn truth<D: DualScalar>(x: D) -> bool {
    x.re() != 0.0
}

fn boolean<D: DualScalar>(b: bool) -> D {
    D::from(if b { 1.0 } else { 0.0 })
}

impl Inst {
    /// The instruction's value, reading slots through `s`.
    #[inline(always)]
    pub(crate) fn apply<D: DualScalar>(self, s: impl Fn(u32) -> D) -> D {
        use Inst::*;
        match self {
            Add(a, b) => s(a) + s(b),
            Sub(a, b) => s(a) - s(b),
            Mul(a, b) => s(a) * s(b),
            Div(a, b) => s(a) / s(b),
            AddC(a, c) => s(a) + f64::from_bits(c),
            SubC(a, c) => s(a) - f64::from_bits(c),
            CSub(c, a) => D::from(f64::from_bits(c)) - s(a),
            MulC(a, c) => s(a) * f64::from_bits(c),
            DivC(a, c) => s(a) / f64::from_bits(c),
            CDiv(c, a) => D::from(f64::from_bits(c)) / s(a),
            Neg(a) => -s(a),
            Powi(a, n) => s(a).powi(n),
            Powf(a, c) => s(a).powf(f64::from_bits(c)),
            Pow(a, b) => s(a).powd(s(b)),
            Call(f, a) => f.apply(s(a)),
            Min(a, b) => {
                let (x, y) = (s(a), s(b));
                if y.re() < x.re() { y } else { x }
            }
            Max(a, b) => {
                let (x, y) = (s(a), s(b));
                if y.re() > x.re() { y } else { x }
            }
            Cmp(op, a, b) => {
                let (x, y) = (s(a).re(), s(b).re());
                boolean(match op {
                    self::Cmp::Lt => x < y,
                    self::Cmp::Le => x <= y,
                    self::Cmp::Gt => x > y,
                    self::Cmp::Ge => x >= y,
                    self::Cmp::Eq => x == y,
                    self::Cmp::Ne => x != y,
                })
            }
            And(a, b) => boolean(truth(s(a)) && truth(s(b))),
            Or(a, b) => boolean(truth(s(a)) || truth(s(b))),
            Not(a) => boolean(!truth(s(a))),
            Select(c, a, b) => {
                if truth(s(c)) {
                    s(a)
                } else {
                    s(b)
                }
            }
        }
    }

    /// The slots the instruction reads.
    pub(crate) fn operands(self) -> impl Iterator<Item = u32> {
        use Inst::*;
        let (a, b, c) = match self {
            Neg(a)
            | Powi(a, _)
            | Powf(a, _)
            | Call(_, a)
            | Not(a)
            | AddC(a, _)
            | SubC(a, _)
            | CSub(_, a)
            | MulC(a, _)
            | DivC(a, _)
            | CDiv(_, a) => (Some(a), None, None),
            Add(a, b)
            | Sub(a, b)
            | Mul(a, b)
            | Div(a, b)
            | Pow(a, b)
            | Min(a, b)
            | Max(a, b)
            | And(a, b)
            | Or(a, b)
            | Cmp(_, a, b) => (Some(a), Some(b), None),
            Select(c, a, b) => (Some(c), Some(a), Some(b)),
        };
        [a, b, c].into_iter().flatten()
    }

    /// The instruction with every operand mapped through `f`.
    pub(crate) fn map(self, f: impl Fn(u32) -> u32) -> Inst {
        use Inst::*;
        match self {
            Add(a, b) => Add(f(a), f(b)),
            Sub(a, b) => Sub(f(a), f(b)),
            Mul(a, b) => Mul(f(a), f(b)),
            Div(a, b) => Div(f(a), f(b)),
            AddC(a, c) => AddC(f(a), c),
            SubC(a, c) => SubC(f(a), c),
            CSub(c, a) => CSub(c, f(a)),
            MulC(a, c) => MulC(f(a), c),
            DivC(a, c) => DivC(f(a), c),
            CDiv(c, a) => CDiv(c, f(a)),
            Neg(a) => Neg(f(a)),
            Powi(a, n) => Powi(f(a), n),
            Powf(a, c) => Powf(f(a), c),
            Pow(a, b) => Pow(f(a), f(b)),
            Call(g, a) => Call(g, f(a)),
            Min(a, b) => Min(f(a), f(b)),
            Max(a, b) => Max(f(a), f(b)),
            Cmp(op, a, b) => Cmp(op, f(a), f(b)),
            And(a, b) => And(f(a), f(b)),
            Or(a, b) => Or(f(a), f(b)),
            Not(a) => Not(f(a)),
            Select(c, a, b) => Select(f(c), f(a), f(b)),
        }
    }
}

/// How many values of each kind a tape reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// States `x`.
    pub states: usize,
    /// Inputs `u`.
    pub inputs: usize,
    /// Parameters `p`.
    pub params: usize,
}

impl Shape {
    /// Number of argument slots: `t`, `x`, `u`, `p`.
    pub fn args(&self) -> usize {
        1 + self.states + self.inputs + self.params
    }
}

/// A compiled list of expressions: evaluate it with `eval`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tape {
    pub(crate) shape: Shape,
    pub(crate) consts: Vec<f64>,
    /// Each instruction, and the slot it writes (slots are reused once a
    /// value is dead).
    pub(crate) code: Vec<(Inst, u32)>,
    /// Slots the evaluation needs.
    pub(crate) n_slots: usize,
    /// The slot of each result.
    pub(crate) results: Vec<u32>,
    /// The tape as machine code, for `f64` and dual numbers (feature
    /// `jit`).
    #[cfg(feature = "jit")]
    pub(crate) jit: super::jit::Jit,
}

impl Tape {
    /// Number of instructions (after sharing and folding).
    pub fn instructions(&self) -> usize {
        self.code.len()
    }

    /// Evaluate the results at `(t, x, u, p)` into `out`. The slices
    /// have the lengths of the tape's [`Shape`] (the model that owns the
    /// tape checks them; missing values read as zero); `out` has one entry
    /// per result.
    pub(crate) fn eval<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D], out: &mut [D]) {
        #[cfg(feature = "jit")]
        if self.jit.run(self, t, x, u, p, out) {
            return;
        }
        self.interpret(t, x, u, p, out);
    }

    /// Interpret from now on, even where the `jit` feature would compile.
    pub(crate) fn interpret_always(&mut self) {
        #[cfg(feature = "jit")]
        self.jit.turn_off();
    }

    /// [`eval`](Self::eval) by the interpreter (apart, with the `jit`
    /// feature, so that its large stack frame does not slow the call of
    /// compiled code).
    #[cfg_attr(feature = "jit", inline(never))]
    pub(crate) fn interpret<D: DualScalar>(&self, t: D, x: &[D], u: &[D], p: &[D], out: &mut [D]) {
        with_scratch(self.n_slots, |slots| {
            let (args, rest) = slots.split_at_mut(self.shape.args());
            let (t_x, u_p) = args.split_at_mut(1 + self.shape.states);
            let (us, ps) = u_p.split_at_mut(self.shape.inputs);
            t_x[0] = t;
            // Element by element: a slice of the wrong length leaves zeros
            // (or is cut short) rather than panicking.
            for (slots, values) in [(&mut t_x[1..], x), (us, u), (ps, p)] {
                for (s, &v) in slots.iter_mut().zip(values) {
                    *s = v;
                }
            }
            for (slot, &c) in rest.iter_mut().zip(&self.consts) {
                *slot = D::from(c);
            }
            for &(inst, dest) in &self.code {
                let v = inst.apply(|s| slots[s as usize]);
                slots[dest as usize] = v;
            }
            for (o, &r) in out.iter_mut().zip(&self.results) {
                *o = slots[r as usize];
            }
        });
    }

    /// `reads[r][i]`: result `r` depends on argument slot `first + i`
    /// (`i < count`), through any chain of instructions (followed in
    /// order, so that a reused slot carries its current value's
    /// dependencies).
    pub(crate) fn reads(&self, first: usize, count: usize) -> Vec<Vec<bool>> {
        let mut deps = vec![vec![false; count]; self.n_slots];
        for i in 0..count {
            deps[first + i][i] = true;
        }
        for &(inst, dest) in &self.code {
            let mut d = vec![false; count];
            for s in inst.operands() {
                for (a, &b) in d.iter_mut().zip(&deps[s as usize]) {
                    *a |= b;
                }
            }
            deps[dest as usize] = d;
        }
        self.results.iter().map(|&r| deps[r as usize].clone()).collect()
    }
}

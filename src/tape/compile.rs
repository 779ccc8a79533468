//! From syntax trees to a [`Tape`]: names resolved, assignments compiled
//! once and shared, user functions inlined, common subexpressions shared,
//! constants folded.

use super::syntax::{BinOp, Expr, Kind, SyntaxError};
use super::tape::{Cmp, Func, Inst, Shape, Tape};
use std::collections::HashMap;

/// A user-defined function `name(args…) = body`; its body sees its
/// arguments, the constants and the other functions (not the model's
/// states or parameters, as in SBML).
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// Argument names.
    pub args: Vec<String>,
    /// The body.
    pub body: Expr,
}

/// The names expressions may use.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope<'a> {
    pub shape: Shape,
    /// Time, states, inputs and parameters: their argument slots.
    pub args: HashMap<&'a str, u32>,
    /// Named intermediate expressions (SBML's assignment rules).
    pub assignments: HashMap<&'a str, &'a Expr>,
    pub functions: HashMap<&'a str, &'a Function>,
}

/// The named constants.
pub const CONSTANTS: [(&str, f64); 3] = [("pi", std::f64::consts::PI), ("true", 1.0), ("false", 0.0)];

/// The functions `call` knows besides those of one argument ([`Func`]).
const CALLS: [&str; 6] = ["log", "pow", "min", "max", "if", "piecewise"];

/// A built-in function's name (a user function may not take one).
pub(crate) fn is_built_in(name: &str) -> bool {
    CALLS.contains(&name) || Func::ALL.iter().any(|(f, _)| *f == name)
}

/// Which expression an error is in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Origin {
    /// The `k`-th expression compiled.
    Root(usize),
    Assignment(String),
    Function(String),
}

/// A compile error: the expression it is in, and where in it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CompileError {
    pub origin: Origin,
    pub error: SyntaxError,
}

/// Operands while compiling: argument slots as they are, constants and
/// instruction results tagged (renumbered when the tape is finished).
const CONST: u32 = 1 << 31;
const CODE: u32 = 1 << 30;
const INDEX: u32 = CODE - 1;

/// Compile `roots` (one result each) in `scope`.
pub(crate) fn compile(scope: &Scope<'_>, roots: &[&Expr]) -> Result<Tape, CompileError> {
    let mut c = Compiler {
        scope,
        consts: Vec::new(),
        const_ids: HashMap::new(),
        code: Vec::new(),
        seen: HashMap::new(),
        memo: HashMap::new(),
        active: Vec::new(),
    };
    let mut results = Vec::with_capacity(roots.len());
    for (k, e) in roots.iter().enumerate() {
        results.push(c.expr(e, None, &Origin::Root(k))?);
    }
    let code: Vec<Inst> = c.code.iter().map(|&i| immediate(i, |v| c.value_of(v))).collect();
    // The constants still read from slots (by the instructions without an
    // immediate form, or as results), numbered afresh.
    let mut consts = Vec::new();
    let mut const_slot = vec![u32::MAX; c.consts.len()];
    for v in code.iter().flat_map(|i| i.operands()).chain(results.iter().copied()).filter(|v| v & CONST != 0) {
        let k = (v & INDEX) as usize;
        if const_slot[k] == u32::MAX {
            const_slot[k] = consts.len() as u32;
            consts.push(c.consts[k]);
        }
    }
    let n_args = scope.shape.args() as u32;
    let registers = allocate(&code, &results);
    let base = n_args + consts.len() as u32;
    let slot = |v: u32| match v {
        v if v & CONST != 0 => n_args + const_slot[(v & INDEX) as usize],
        v if v & CODE != 0 => base + registers[(v & INDEX) as usize],
        v => v,
    };
    let code: Vec<(Inst, u32)> = code.iter().enumerate().map(|(k, i)| (i.map(slot), base + registers[k])).collect();
    let n_slots = code.iter().map(|&(_, d)| d as usize + 1).max().unwrap_or(0).max(base as usize);
    Ok(Tape {
        shape: scope.shape,
        consts,
        code,
        n_slots,
        results: results.into_iter().map(slot).collect(),
        #[cfg(feature = "jit")]
        jit: Default::default(),
    })
}

/// `inst` with its constant operand (there is at most one: an instruction
/// of constants is folded) as an immediate where it has that form. The
/// values are those of the written operation: `x / c` divides, and IEEE
/// sums and products commute exactly.
fn immediate(inst: Inst, value: impl Fn(u32) -> Option<f64>) -> Inst {
    let c = |v: u32| value(v).map(f64::to_bits);
    match inst {
        Inst::Add(a, b) | Inst::Mul(a, b) | Inst::Sub(a, b) | Inst::Div(a, b) => match (c(a), c(b), inst) {
            (_, Some(k), Inst::Add(..)) => Inst::AddC(a, k),
            (Some(k), _, Inst::Add(..)) => Inst::AddC(b, k),
            (_, Some(k), Inst::Mul(..)) => Inst::MulC(a, k),
            (Some(k), _, Inst::Mul(..)) => Inst::MulC(b, k),
            (_, Some(k), Inst::Sub(..)) => Inst::SubC(a, k),
            (Some(k), _, Inst::Sub(..)) => Inst::CSub(k, b),
            (_, Some(k), Inst::Div(..)) => Inst::DivC(a, k),
            (Some(k), _, Inst::Div(..)) => Inst::CDiv(k, b),
            _ => inst,
        },
        i => i,
    }
}

/// A register for each instruction's result, reused once the value is
/// read for the last time (a linear scan over the tape), so that a tape
/// needs as many slots as values live at once, not one per instruction.
/// A register freed by an instruction's operand may take its result: the
/// interpreter reads the operands before it writes.
fn allocate(code: &[Inst], results: &[u32]) -> Vec<u32> {
    let index = |v: u32| (v & CODE != 0).then_some((v & INDEX) as usize);
    let mut last = vec![0; code.len()];
    for (k, inst) in code.iter().enumerate() {
        for o in inst.operands().filter_map(index) {
            last[o] = k;
        }
    }
    for o in results.iter().copied().filter_map(index) {
        last[o] = code.len();
    }
    let (mut registers, mut free, mut count) = (vec![0; code.len()], Vec::new(), 0);
    for (k, inst) in code.iter().enumerate() {
        for o in inst.operands().filter_map(index) {
            if last[o] == k && !free.contains(&registers[o]) {
                free.push(registers[o]);
            }
        }
        registers[k] = free.pop().unwrap_or_else(|| {
            count += 1;
            count - 1
        });
    }
    registers
}

struct Compiler<'s> {
    scope: &'s Scope<'s>,
    consts: Vec<f64>,
    const_ids: HashMap<u64, u32>,
    code: Vec<Inst>,
    seen: HashMap<Inst, u32>,
    /// Assignments compiled so far.
    memo: HashMap<String, u32>,
    /// Assignments and functions being compiled (to report cycles).
    active: Vec<String>,
}

type Locals<'l> = Option<&'l HashMap<&'l str, u32>>;

fn fail<T>(origin: &Origin, at: usize, reason: impl Into<String>) -> Result<T, CompileError> {
    Err(CompileError { origin: origin.clone(), error: SyntaxError { at, reason: reason.into() } })
}

impl Compiler<'_> {
    fn constant(&mut self, v: f64) -> u32 {
        let next = self.consts.len() as u32;
        let id = *self.const_ids.entry(v.to_bits()).or_insert(next);
        if id == next {
            self.consts.push(v);
        }
        CONST | id
    }

    fn value_of(&self, v: u32) -> Option<f64> {
        (v & CONST != 0).then(|| self.consts[(v & INDEX) as usize])
    }

    /// Append `inst` unless it folds to a constant, simplifies to an
    /// operand, or is already on the tape.
    fn emit(&mut self, inst: Inst) -> u32 {
        if inst.operands().all(|v| v & CONST != 0) {
            let v = inst.apply(|s| self.consts[(s & INDEX) as usize]);
            return self.constant(v);
        }
        let one = |v: u32| self.value_of(v) == Some(1.0);
        let zero = |v: u32| self.value_of(v) == Some(0.0);
        let inst = match inst {
            Inst::Mul(a, b) if one(a) => return b,
            Inst::Mul(a, b) | Inst::Div(a, b) if one(b) => return a,
            Inst::Add(a, b) if zero(a) => return b,
            Inst::Add(a, b) | Inst::Sub(a, b) if zero(b) => return a,
            Inst::Powi(a, 1) => return a,
            // A square as a product, the same bits in `f64` (`powi` squares
            // by one multiplication): no call out of compiled code, and for
            // dual numbers the product rule inline (squares are most of the
            // powers in kinetic models: dimerizations, mass action).
            Inst::Powi(a, 2) => Inst::Mul(a, a),
            Inst::Select(c, a, b) if self.value_of(c).is_some() => return if zero(c) { b } else { a },
            // IEEE sums and products commute exactly.
            Inst::Add(a, b) if b < a => Inst::Add(b, a),
            Inst::Mul(a, b) if b < a => Inst::Mul(b, a),
            i => i,
        };
        let next = CODE | self.code.len() as u32;
        let id = *self.seen.entry(inst).or_insert(next);
        if id == next {
            self.code.push(inst);
        }
        id
    }

    fn expr(&mut self, e: &Expr, locals: Locals<'_>, origin: &Origin) -> Result<u32, CompileError> {
        Ok(match &e.kind {
            Kind::Num(v) => self.constant(*v),
            Kind::Var(name) => self.var(name, e.at, locals, origin)?,
            Kind::Neg(a) => {
                let a = self.expr(a, locals, origin)?;
                self.emit(Inst::Neg(a))
            }
            Kind::Not(a) => {
                let a = self.expr(a, locals, origin)?;
                self.emit(Inst::Not(a))
            }
            Kind::Binary(op, a, b) => {
                let (a, b) = (self.expr(a, locals, origin)?, self.expr(b, locals, origin)?);
                let inst = binary(*op, a, b, self.value_of(b));
                self.emit(inst)
            }
            Kind::Call(name, args) => self.call(name, e.at, args, locals, origin)?,
        })
    }

    fn var(&mut self, name: &str, at: usize, locals: Locals<'_>, origin: &Origin) -> Result<u32, CompileError> {
        if let Some(locals) = locals {
            if let Some(&v) = locals.get(name) {
                return Ok(v);
            }
        } else if let Some(&slot) = self.scope.args.get(name) {
            return Ok(slot);
        } else if let Some(&body) = self.scope.assignments.get(name) {
            if let Some(&v) = self.memo.get(name) {
                return Ok(v);
            }
            self.enter(name, at, origin)?;
            let v = self.expr(body, None, &Origin::Assignment(name.to_string()))?;
            self.active.pop();
            self.memo.insert(name.to_string(), v);
            return Ok(v);
        }
        if let Some(&(_, v)) = CONSTANTS.iter().find(|(n, _)| *n == name) {
            return Ok(self.constant(v));
        }
        let what = if locals.is_some() {
            "not an argument of the function or a constant (a function sees only its arguments)"
        } else {
            "not a state, parameter, input, assignment or constant"
        };
        fail(origin, at, format!("unknown symbol `{name}`: {what}"))
    }

    /// Mark `name` as being compiled; a cycle is an error.
    fn enter(&mut self, name: &str, at: usize, origin: &Origin) -> Result<(), CompileError> {
        if let Some(k) = self.active.iter().position(|a| a == name) {
            let cycle = self.active[k..].join(" → ");
            return fail(origin, at, format!("`{name}` depends on itself: {cycle} → {name}"));
        }
        self.active.push(name.to_string());
        Ok(())
    }

    fn call(
        &mut self,
        name: &str,
        at: usize,
        args: &[Expr],
        locals: Locals<'_>,
        origin: &Origin,
    ) -> Result<u32, CompileError> {
        let arity = |n: usize, what: &str| -> Result<(), CompileError> {
            if args.len() == n {
                Ok(())
            } else {
                fail(origin, at, format!("`{name}` takes {what}, got {}", args.len()))
            }
        };
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.expr(a, locals, origin)?);
        }
        if let Some(&f) = self.scope.functions.get(name) {
            arity(f.args.len(), &format!("{} arguments", f.args.len()))?;
            self.enter(name, at, origin)?;
            let inner: HashMap<&str, u32> = f.args.iter().map(String::as_str).zip(vals).collect();
            let v = self.expr(&f.body, Some(&inner), &Origin::Function(name.to_string()))?;
            self.active.pop();
            return Ok(v);
        }
        if let Some(&(_, func)) = Func::ALL.iter().find(|(n, _)| *n == name) {
            arity(1, "1 argument")?;
            return Ok(self.emit(Inst::Call(func, vals[0])));
        }
        Ok(match name {
            "log" if vals.len() == 2 => {
                // log(base, x) = ln x / ln base
                let (ln_x, ln_b) = (self.emit(Inst::Call(Func::Ln, vals[1])), self.emit(Inst::Call(Func::Ln, vals[0])));
                self.emit(Inst::Div(ln_x, ln_b))
            }
            "log" => {
                arity(1, "1 argument (natural logarithm) or 2 (base, x)")?;
                self.emit(Inst::Call(Func::Ln, vals[0]))
            }
            "pow" => {
                arity(2, "2 arguments")?;
                let inst = binary(BinOp::Pow, vals[0], vals[1], self.value_of(vals[1]));
                self.emit(inst)
            }
            "min" | "max" => {
                let Some((&first, rest)) = vals.split_first() else {
                    return fail(origin, at, format!("`{name}` takes at least 1 argument"));
                };
                let pick = if name == "min" { Inst::Min } else { Inst::Max };
                rest.iter().fold(first, |acc, &v| self.emit(pick(acc, v)))
            }
            "if" => {
                arity(3, "3 arguments (condition, then, else)")?;
                self.emit(Inst::Select(vals[0], vals[1], vals[2]))
            }
            "piecewise" => {
                if vals.is_empty() {
                    return fail(
                        origin,
                        at,
                        "`piecewise` takes value, condition pairs and an optional otherwise value",
                    );
                }
                // piecewise(v1, c1, v2, c2, …, otherwise): the first value
                // whose condition holds; NaN if none does and there is no
                // otherwise value (SBML leaves it undefined).
                let mut acc = if vals.len() % 2 == 1 { vals[vals.len() - 1] } else { self.constant(f64::NAN) };
                for pair in vals.chunks_exact(2).rev() {
                    acc = self.emit(Inst::Select(pair[1], pair[0], acc));
                }
                acc
            }
            _ => return fail(origin, at, format!("unknown function `{name}`")),
        })
    }
}

/// The instruction for `a op b`; a constant integer power becomes `powi`,
/// a constant one `powf`.
fn binary(op: BinOp, a: u32, b: u32, b_value: Option<f64>) -> Inst {
    match op {
        BinOp::Add => Inst::Add(a, b),
        BinOp::Sub => Inst::Sub(a, b),
        BinOp::Mul => Inst::Mul(a, b),
        BinOp::Div => Inst::Div(a, b),
        BinOp::Pow => match b_value {
            Some(n) if n.fract() == 0.0 && n.abs() <= 1024.0 => Inst::Powi(a, n as i32),
            Some(c) => Inst::Powf(a, c.to_bits()),
            None => Inst::Pow(a, b),
        },
        BinOp::Lt => Inst::Cmp(Cmp::Lt, a, b),
        BinOp::Le => Inst::Cmp(Cmp::Le, a, b),
        BinOp::Gt => Inst::Cmp(Cmp::Gt, a, b),
        BinOp::Ge => Inst::Cmp(Cmp::Ge, a, b),
        BinOp::Eq => Inst::Cmp(Cmp::Eq, a, b),
        BinOp::Ne => Inst::Cmp(Cmp::Ne, a, b),
        BinOp::And => Inst::And(a, b),
        BinOp::Or => Inst::Or(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tape::syntax::parse;
    use num_dual::Dual64;

    /// `src` compiled with the parameters `x`, `y` (values 0.5 and 2).
    fn tape(src: &str) -> Tape {
        let e = parse(src).unwrap();
        let mut scope = Scope { shape: Shape { params: 2, ..Shape::default() }, ..Scope::default() };
        scope.args.insert("x", 1);
        scope.args.insert("y", 2);
        compile(&scope, &[&e]).unwrap()
    }

    fn value(src: &str) -> f64 {
        let mut out = [0.0];
        tape(src).eval(0.0, &[], &[], &[0.5, 2.0], &mut out);
        out[0]
    }

    #[test]
    fn shares_and_folds() {
        assert_eq!(tape("(x + y) * (x + y)").instructions(), 2);
        assert_eq!(tape("(y + x) * (x + y)").instructions(), 2);
        assert_eq!(tape("2 * 3 + x").instructions(), 1);
        assert_eq!(tape("x * 1 + 0").instructions(), 0);
        assert_eq!(tape("exp(0) * x / 1").instructions(), 0);
        assert_eq!(tape("if(1 < 2, x, y)").instructions(), 0);
        assert_eq!(tape("x^2").code, [(Inst::Mul(1, 1), 3)]);
        assert_eq!(tape("x^0.5").code, [(Inst::Powf(1, 0.5f64.to_bits()), 3)]);
        assert_eq!(tape("x^y").code, [(Inst::Pow(1, 2), 3)]);
    }

    /// A constant operand of `+ − · /` is an immediate, on either side;
    /// the constants other instructions read keep their slots.
    #[test]
    fn constants_as_immediates() {
        let k = |v: f64| v.to_bits();
        assert_eq!(tape("2 * x").code, [(Inst::MulC(1, k(2.0)), 3)]);
        assert_eq!(tape("x + 3").code, [(Inst::AddC(1, k(3.0)), 3)]);
        assert_eq!(tape("3 + x").code, [(Inst::AddC(1, k(3.0)), 3)]);
        assert_eq!(tape("1 - x").code, [(Inst::CSub(k(1.0), 1), 3)]);
        assert_eq!(tape("x / 3").code, [(Inst::DivC(1, k(3.0)), 3)]);
        assert_eq!(tape("3 / x").code, [(Inst::CDiv(k(3.0), 1), 3)]);
        let t = tape("max(x, 3) * 2");
        assert_eq!(t.consts, [3.0]);
        assert_eq!(t.code, [(Inst::Max(1, 3), 4), (Inst::MulC(4, k(2.0)), 4)]);
        assert_eq!(tape("3").results, [3]);
        // The real part of a dual evaluation divides as `f64` does.
        let mut out = [Dual64::from(0.0)];
        tape("x / 3 + 1 / y").eval(
            Dual64::from(0.0),
            &[],
            &[],
            &[Dual64::from(0.5).derivative(), 2.0.into()],
            &mut out,
        );
        assert_eq!(out[0].re, 0.5 / 3.0 + 1.0 / 2.0);
        assert_eq!(out[0].eps, 1.0 / 3.0);
    }

    /// A long chain needs two registers, not one slot per instruction, and
    /// computes what it says.
    #[test]
    fn registers_are_reused() {
        let mut src = "x".to_string();
        for _ in 0..60 {
            src = format!("({src} + y) * y - x");
        }
        let t = tape(&src);
        assert_eq!(t.instructions(), 180);
        assert!(t.n_slots <= 3 + 2, "{} slots", t.n_slots);
        let expected = (0..60).fold(0.5, |v, _| (v + 2.0) * 2.0 - 0.5);
        assert_eq!(value(&src), expected);
    }

    #[test]
    fn evaluates_as_written() {
        let cases = [
            ("x * y - y / x", 0.5 * 2.0 - 2.0 / 0.5),
            ("-x^2", -0.25),
            ("2^x^2", 2f64.powf(0.25)),
            ("x^-2", 4.0),
            ("pow(y, x)", 2f64.sqrt()),
            ("log(2, 8)", 3.0),
            ("log(y) - ln(y) + log10(100) + log2(8)", 5.0),
            ("min(y, x, 3) + max(x, y)", 2.5),
            ("piecewise(1, x > 1, 2, y > 1, 3)", 2.0),
            ("piecewise(1, x > 1, 3)", 3.0),
            ("if(x >= 0.5 && y != 2, 1, 0)", 0.0),
            ("!(x < y) || x == 0.5", 1.0),
            ("sign(-x) + floor(y + x) + ceil(x) + abs(-x)", -1.0 + 2.0 + 1.0 + 0.5),
            ("sin(pi / 2) + cos(0) + tan(0) + true + false", 3.0),
            ("sqrt(y) * sqrt(y)", 2f64.sqrt() * 2f64.sqrt()),
            (
                "3 - x / 7 + 2 / y * 5 - (x - 0.1) + (0.25 + y)",
                3.0 - 0.5 / 7.0 + 2.0 / 2.0 * 5.0 - (0.5 - 0.1) + (0.25 + 2.0),
            ),
        ];
        for (src, expected) in cases {
            assert_eq!(value(src), expected, "{src}");
        }
        assert!(value("piecewise(1, x > 1)").is_nan());
    }

    /// Each built-in function's derivative against its analytic form.
    #[test]
    fn built_in_derivatives() {
        let d = |f: Func, x: f64| f.apply(Dual64::from(x).derivative()).eps;
        let x: f64 = 0.3;
        let cases = [
            (Func::Exp, x.exp()),
            (Func::Ln, 1.0 / x),
            (Func::Log10, 1.0 / (x * 10f64.ln())),
            (Func::Log2, 1.0 / (x * 2f64.ln())),
            (Func::Sqrt, 0.5 / x.sqrt()),
            (Func::Sin, x.cos()),
            (Func::Cos, -x.sin()),
            (Func::Tan, 1.0 / (x.cos() * x.cos())),
            (Func::Asin, 1.0 / (1.0 - x * x).sqrt()),
            (Func::Acos, -1.0 / (1.0 - x * x).sqrt()),
            (Func::Atan, 1.0 / (1.0 + x * x)),
            (Func::Sinh, x.cosh()),
            (Func::Cosh, x.sinh()),
            (Func::Tanh, 1.0 / (x.cosh() * x.cosh())),
            (Func::Asinh, 1.0 / (x * x + 1.0).sqrt()),
            (Func::Atanh, 1.0 / (1.0 - x * x)),
            (Func::Abs, 1.0),
            (Func::Sign, 0.0),
            (Func::Floor, 0.0),
            (Func::Ceil, 0.0),
        ];
        for (f, expected) in cases {
            let got = d(f, x);
            assert!((got - expected).abs() <= 1e-14 * expected.abs().max(1.0), "{f:?}: {got} vs {expected}");
        }
        let got = d(Func::Acosh, 1.3);
        assert!((got - 1.0 / (1.3f64 * 1.3 - 1.0).sqrt()).abs() < 1e-14);
        assert_eq!(d(Func::Abs, -x), -1.0);
        assert_eq!(Func::ALL.len(), cases.len() + 1);
    }

    #[test]
    fn reads_follow_instructions() {
        // Results: x*2, y, 3 — which read x (slot 1)?
        let exprs: Vec<Expr> = ["x * 2", "y", "3"].iter().map(|s| parse(s).unwrap()).collect();
        let mut scope = Scope { shape: Shape { params: 2, ..Shape::default() }, ..Scope::default() };
        scope.args.insert("x", 1);
        scope.args.insert("y", 2);
        let t = compile(&scope, &exprs.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(t.reads(1, 1), [vec![true], vec![false], vec![false]]);
        assert_eq!(t.reads(2, 1), [vec![false], vec![true], vec![false]]);
    }
}

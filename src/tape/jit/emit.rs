//! Cranelift IR for a tape: the interpreter's arithmetic, operation for
//! operation, over the parts of the scalar type compiled for.

use super::{Layout, pow, powf, powi, shim};
use crate::tape::tape::{Cmp as Compare, Func, Inst, Tape};
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Value, types,
};
use cranelift_frontend::FunctionBuilder;

/// A scalar while compiling: its parts in the order of [`Layout::parts`]
/// (the real part, then each direction's part, nested; the innermost
/// directions in pairs).
type Scalar = Vec<Value>;

/// Emits one tape's function into a function builder.
pub(super) struct Emitter<'a, 'b> {
    pub(super) b: &'a mut FunctionBuilder<'b>,
    pub(super) ptr: types::Type,
    pub(super) call_conv: cranelift_codegen::isa::CallConv,
    pub(super) layout: Layout,
    /// Stack space for two dual numbers passed to `dual_shim`.
    pub(super) scratch: Option<cranelift_codegen::ir::StackSlot>,
}

impl Emitter<'_, '_> {
    /// The tape's instructions, from the arguments `[t, x, u, p, out]`.
    pub(super) fn body(&mut self, tape: &Tape, insts: &[Inst], args: &[Value]) {
        let shape = tape.shape;
        // Each slot's current value; arguments loaded where first read.
        let mut slots: Vec<Option<Scalar>> = vec![None; tape.n_slots.max(shape.args() + tape.consts.len())];
        for (k, &c) in tape.consts.iter().enumerate() {
            slots[shape.args() + k] = Some(self.scalar(c));
        }
        let bases = [
            (0, 1, args[0]),
            (1, shape.states, args[1]),
            (1 + shape.states, shape.inputs, args[2]),
            (1 + shape.states + shape.inputs, shape.params, args[3]),
        ];
        let read = |e: &mut Self, slots: &mut Vec<Option<Scalar>>, s: u32| {
            let s = s as usize;
            if let Some(v) = &slots[s] {
                return v.clone();
            }
            let v = match bases.iter().find(|(first, n, _)| (*first..first + n).contains(&s)) {
                Some(&(first, _, base)) => e.load(base, s - first),
                // A slot read before it is written reads zero, as in the
                // interpreter's zeroed scratch.
                None => e.scalar(0.0),
            };
            slots[s] = Some(v.clone());
            v
        };
        for (&(inst, dest), shim_inst) in tape.code.iter().zip(insts) {
            let ops: Vec<Scalar> = inst.operands().map(|s| read(self, &mut slots, s)).collect();
            let v = self.inst(inst, &ops, shim_inst);
            slots[dest as usize] = Some(v);
        }
        for (k, &r) in tape.results.iter().enumerate() {
            let v = read(self, &mut slots, r);
            self.store(&v, args[4], k);
        }
        self.b.ins().return_(&[]);
    }

    /// The byte offsets and types of the parts of value `index` of an
    /// array, with the flags of their loads and stores (pairs are aligned
    /// to 8 bytes only).
    fn parts(&self, index: usize) -> impl Iterator<Item = (i32, types::Type, MemFlagsData)> + use<> {
        let base = self.layout.size * index as i32;
        self.layout.parts.clone().into_iter().map(move |(o, ty)| {
            let flags = if ty == types::F64 { MemFlagsData::trusted() } else { MemFlagsData::new().with_notrap() };
            (base + o, ty, flags)
        })
    }

    fn load(&mut self, base: Value, index: usize) -> Scalar {
        self.parts(index).map(|(o, ty, flags)| self.b.ins().load(ty, flags, base, o)).collect()
    }

    fn store(&mut self, v: &[Value], base: Value, index: usize) {
        for (&part, (o, _, flags)) in v.iter().zip(self.parts(index)) {
            self.b.ins().store(flags, part, base, o);
        }
    }

    /// `s` in every lane of a value shaped like `like` (`s` itself if
    /// `like` is one real).
    fn lanes(&mut self, like: Value, s: Value) -> Value {
        if self.b.func.dfg.value_type(like) == types::F64X2 { self.b.ins().splat(types::F64X2, s) } else { s }
    }

    fn f(&mut self, c: f64) -> Value {
        self.b.ins().f64const(c)
    }

    /// `c` with zero derivatives, a value of the type compiled for.
    fn scalar(&mut self, c: f64) -> Scalar {
        self.constant(c, self.layout.parts.len())
    }

    /// `c` with zero derivatives, a value of `n` parts (a scalar of a
    /// level below the type's, of [`width`] parts).
    fn constant(&mut self, c: f64, n: usize) -> Scalar {
        let re = self.f(c);
        let zero = self.f(0.0);
        let pair = self.b.ins().splat(types::F64X2, zero);
        let shape = self.layout.parts.iter().map(|&(_, ty)| ty).take(n);
        let mut parts: Scalar = shape.map(|ty| if ty == types::F64X2 { pair } else { zero }).collect();
        parts[0] = re;
        parts
    }

    /// One instruction's value from its operands' values (in the order
    /// of [`Inst::operands`]); `shim_inst` is the instruction as
    /// [`dual_shim`](super::dual_shim) gets it.
    fn inst(&mut self, inst: Inst, o: &[Scalar], shim_inst: &Inst) -> Scalar {
        use Inst::*;
        let k = |bits: u64| f64::from_bits(bits);
        let dims = self.layout.dims.clone();
        let dims = dims.as_slice();
        let dual = !dims.is_empty();
        match inst {
            Add(..) => self.zip(&o[0], &o[1], |b, x, y| b.ins().fadd(x, y)),
            Sub(..) => self.zip(&o[0], &o[1], |b, x, y| b.ins().fsub(x, y)),
            Mul(..) => self.mul(&o[0], &o[1], dims),
            Div(..) => self.div(&o[0], &o[1], dims),
            // A constant adds to the real part and scales each part.
            AddC(_, c) => self.real(&o[0], k(c), |b, x, c| b.ins().fadd(x, c)),
            SubC(_, c) => self.real(&o[0], k(c), |b, x, c| b.ins().fsub(x, c)),
            MulC(_, c) => self.scale(&o[0], k(c), dims, false),
            DivC(_, c) => self.scale(&o[0], k(c), dims, true),
            // `c − x` and `c / x` as the constant made a scalar, then the
            // operation of two scalars.
            CSub(c, _) => {
                let c = self.scalar(k(c));
                self.zip(&c, &o[0], |b, x, y| b.ins().fsub(x, y))
            }
            CDiv(c, _) => {
                let c = self.scalar(k(c));
                self.div(&c, &o[0], dims)
            }
            Neg(_) => o[0].iter().map(|&x| self.b.ins().fneg(x)).collect(),
            _ if dual && matches!(inst, Powi(..) | Powf(..) | Pow(..) | Call(..)) => self.call_dual(shim_inst, o),
            Powi(_, n) => {
                let n = self.b.ins().iconst(types::I32, i64::from(n));
                vec![self.call(powi as *const u8, &[o[0][0], n], types::I32)]
            }
            Powf(_, c) => {
                let c = self.f(k(c));
                vec![self.call(powf as *const u8, &[o[0][0], c], types::F64)]
            }
            Pow(..) => vec![self.call(pow as *const u8, &[o[0][0], o[1][0]], types::F64)],
            Call(Func::Sqrt, _) => vec![self.b.ins().sqrt(o[0][0])],
            Call(Func::Abs, _) => vec![self.b.ins().fabs(o[0][0])],
            Call(f, _) => vec![self.call(shim(f) as *const u8, &[o[0][0]], types::F64)],
            Min(..) => self.pick(FloatCC::LessThan, &o[0], &o[1]),
            Max(..) => self.pick(FloatCC::GreaterThan, &o[0], &o[1]),
            Inst::Cmp(op, ..) => {
                let cc = match op {
                    Compare::Lt => FloatCC::LessThan,
                    Compare::Le => FloatCC::LessThanOrEqual,
                    Compare::Gt => FloatCC::GreaterThan,
                    Compare::Ge => FloatCC::GreaterThanOrEqual,
                    Compare::Eq => FloatCC::Equal,
                    Compare::Ne => FloatCC::NotEqual,
                };
                let test = self.b.ins().fcmp(cc, o[0][0], o[1][0]);
                self.boolean(test)
            }
            And(..) | Or(..) => {
                let (x, y) = (self.truth(o[0][0]), self.truth(o[1][0]));
                let test = if matches!(inst, And(..)) { self.b.ins().band(x, y) } else { self.b.ins().bor(x, y) };
                self.boolean(test)
            }
            Not(_) => {
                let zero = self.f(0.0);
                let test = self.b.ins().fcmp(FloatCC::Equal, o[0][0], zero);
                self.boolean(test)
            }
            Select(..) => {
                let test = self.truth(o[0][0]);
                o[1].iter().zip(&o[2]).map(|(&a, &b)| self.b.ins().select(test, a, b)).collect()
            }
        }
    }

    /// Part by part (sums and differences, at any nesting).
    fn zip(&mut self, x: &[Value], y: &[Value], f: impl Fn(&mut FunctionBuilder<'_>, Value, Value) -> Value) -> Scalar {
        x.iter().zip(y).map(|(&a, &b)| f(self.b, a, b)).collect()
    }

    /// The innermost real part combined with the constant `c`, the rest
    /// kept (`x + c`, `x − c`).
    fn real(&mut self, x: &[Value], c: f64, f: impl Fn(&mut FunctionBuilder<'_>, Value, Value) -> Value) -> Scalar {
        let c = self.f(c);
        let mut v = x.to_vec();
        v[0] = f(self.b, v[0], c);
        v
    }

    /// `x · c` or `x / c` as `InlineDual` computes them: the real part by
    /// `c`, each direction by `c` made a scalar of the level below.
    fn scale(&mut self, x: &[Value], c: f64, dims: &[usize], divide: bool) -> Scalar {
        let Some((d, rest)) = level(dims) else {
            let c = self.f(c);
            let c = self.lanes(x[0], c);
            return vec![if divide { self.b.ins().fdiv(x[0], c) } else { self.b.ins().fmul(x[0], c) }];
        };
        let w = width(rest);
        let mut out = self.scale(&x[..w], c, rest, divide);
        let by = self.constant(c, width(rest));
        for i in 1..=d {
            let part = &x[i * w..(i + 1) * w];
            out.extend(if divide { self.div(part, &by, rest) } else { self.mul(part, &by, rest) });
        }
        out
    }

    /// The product rule as `InlineDual` computes it, `(a·b, x'·b + y'·a)`,
    /// each part a scalar of the level below.
    fn mul(&mut self, x: &[Value], y: &[Value], dims: &[usize]) -> Scalar {
        let Some((d, rest)) = level(dims) else {
            let y = self.lanes(x[0], y[0]);
            return vec![self.b.ins().fmul(x[0], y)];
        };
        let w = width(rest);
        let (a, b) = (&x[..w], &y[..w]);
        let mut out = self.mul(a, b, rest);
        for i in 1..=d {
            let l = self.mul(&x[i * w..(i + 1) * w], b, rest);
            let r = self.mul(&y[i * w..(i + 1) * w], a, rest);
            out.extend(self.zip(&l, &r, |b, x, y| b.ins().fadd(x, y)));
        }
        out
    }

    /// The quotient rule as `InlineDual` computes it: `q = a·(1/b)`,
    /// `(x' − y'·q)·(1/b)`; plain division of `f64`.
    fn div(&mut self, x: &[Value], y: &[Value], dims: &[usize]) -> Scalar {
        let Some((d, rest)) = level(dims) else {
            let y = self.lanes(x[0], y[0]);
            return vec![self.b.ins().fdiv(x[0], y)];
        };
        let w = width(rest);
        let inv = self.recip(&y[..w], rest);
        let q = self.mul(&x[..w], &inv, rest);
        let mut out = q.clone();
        for i in 1..=d {
            let t = self.mul(&y[i * w..(i + 1) * w], &q, rest);
            let diff = self.zip(&x[i * w..(i + 1) * w], &t, |b, x, y| b.ins().fsub(x, y));
            out.extend(self.mul(&diff, &inv, rest));
        }
        out
    }

    /// `1/x` as num-dual's `recip` computes it: `r = 1/re`, each
    /// direction times `−r·r`, each a scalar of the level below.
    fn recip(&mut self, x: &[Value], dims: &[usize]) -> Scalar {
        let Some((d, rest)) = level(dims) else {
            let one = self.f(1.0);
            return vec![self.b.ins().fdiv(one, x[0])];
        };
        let w = width(rest);
        let rec = self.recip(&x[..w], rest);
        let neg: Scalar = rec.iter().map(|&v| self.b.ins().fneg(v)).collect();
        let f1 = self.mul(&neg, &rec, rest);
        let mut out = rec;
        for i in 1..=d {
            out.extend(self.mul(&x[i * w..(i + 1) * w], &f1, rest));
        }
        out
    }

    /// `y` if `y cc x`, else `x` (the interpreter's `min` and `max`),
    /// decided on real parts.
    fn pick(&mut self, cc: FloatCC, x: &[Value], y: &[Value]) -> Scalar {
        let test = self.b.ins().fcmp(cc, y[0], x[0]);
        y.iter().zip(x).map(|(&a, &b)| self.b.ins().select(test, a, b)).collect()
    }

    /// `x != 0` (true for NaN, as the interpreter's `truth`).
    fn truth(&mut self, x: Value) -> Value {
        let zero = self.f(0.0);
        self.b.ins().fcmp(FloatCC::NotEqual, x, zero)
    }

    /// 1 or 0, with zero derivatives.
    fn boolean(&mut self, test: Value) -> Scalar {
        let (one, zero) = (self.f(1.0), self.f(0.0));
        let mut v = self.scalar(0.0);
        v[0] = self.b.ins().select(test, one, zero);
        v
    }

    /// Call the host function at `f` with `args` (an `f64`, then an
    /// `f64` or `i32` of type `second`); its `f64` result.
    fn call(&mut self, f: *const u8, args: &[Value], second: types::Type) -> Value {
        let mut sig = Signature::new(self.call_conv);
        sig.params.push(AbiParam::new(types::F64));
        if args.len() > 1 {
            sig.params.push(AbiParam::new(second));
        }
        sig.returns.push(AbiParam::new(types::F64));
        let sig = self.b.import_signature(sig);
        let callee = self.b.ins().iconst(self.ptr, f as i64);
        let call = self.b.ins().call_indirect(sig, callee, args);
        self.b.inst_results(call)[0]
    }

    /// A function or power of dual numbers by [`dual_shim`](super::dual_shim): the operands
    /// written to stack space laid out as two values, the result read
    /// back from the first.
    fn call_dual(&mut self, inst: &Inst, o: &[Scalar]) -> Scalar {
        let size = 2 * self.layout.size as u32;
        let slot = *self.scratch.get_or_insert_with(|| {
            self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, size, 4))
        });
        let addr = self.b.ins().stack_addr(self.ptr, slot, 0);
        for (k, v) in o.iter().enumerate() {
            self.store(v, addr, k);
        }
        let mut sig = Signature::new(self.call_conv);
        sig.params.extend([AbiParam::new(self.ptr); 2]);
        let sig = self.b.import_signature(sig);
        let callee = self.b.ins().iconst(self.ptr, self.layout.shim as i64);
        let inst = self.b.ins().iconst(self.ptr, std::ptr::from_ref(inst) as i64);
        self.b.ins().call_indirect(sig, callee, &[inst, addr]);
        self.load(addr, 0)
    }
}

/// The number of parts of a scalar nested as `dims` (the innermost
/// directions in pairs).
pub(super) fn width(dims: &[usize]) -> usize {
    match level(dims) {
        None => 1,
        Some((d, rest)) => (1 + d) * width(rest),
    }
}

/// The outermost level of `dims`: its number of direction parts (pairs
/// at the innermost level), and the levels below.
fn level(dims: &[usize]) -> Option<(usize, &[usize])> {
    let (&d, rest) = dims.split_first()?;
    Some((if rest.is_empty() { d.div_ceil(2) } else { d }, rest))
}

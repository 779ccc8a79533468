//! Tapes compiled to machine code by Cranelift (feature `jit`).
//!
//! A tape evaluated with `f64`, with first-order dual numbers
//! [`InlineDual64<K>`] (`K ≤ 8`: what sensitivities, fits and stiff
//! Jacobians use) or with the second-order numbers of a stiff sensitivity
//! solve's Jacobian ([`Nested<K>`]) runs as one native function instead
//! of the interpreter's loop: every slot's real part becomes an SSA value
//! in a register and its directions pairs in vector registers (`F64X2`),
//! each instruction a few machine instructions, with no dispatch and no
//! store and load between instructions. The arithmetic is the interpreter's, operation for
//! operation: `+ − · /`, `sqrt` and `abs` of `f64`, comparisons and
//! selects are IEEE operations in both (Cranelift neither fuses nor
//! reorders them), the dual numbers' product and quotient rules are
//! written, level by level, as [`InlineDual`] writes them, and every
//! function and power calls the interpreter's own code for that scalar.
//! So a compiled tape gives the interpreter's bits (tested; of two NaN
//! operands either may be returned). Other scalars (Hessians' numbers,
//! lanes) keep the interpreter.
//!
//! A tape is compiled for a type once it has been evaluated [`HOT`] times
//! with it, one function per type, shared by the tape's clones. If
//! Cranelift cannot compile it (a host it does not support), the
//! interpreter runs.

use super::tape::{Cmp as Compare, Func, Inst, Tape};
use crate::DualScalar;
use crate::scalar::{InlineDual, InlineDual64};
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Value, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Module;
use nalgebra::Const;
use std::any::TypeId;
use std::mem::{offset_of, size_of};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

/// `out = tape(t, x, u, p)`: each pointer to scalars of the type the code
/// was compiled for, as many as the tape's shape has of that kind
/// (results for `out`).
type Entry = unsafe extern "C" fn(*const u8, *const u8, *const u8, *const u8, *mut u8);

/// The directions of the outer dual number of the second-order types
/// compiled: the stiff methods' Jacobian chunk, which carries the
/// sensitivities' dual numbers in a sensitivity solve.
const OUTER: usize = 4;
const _: () = assert!(OUTER == crate::integrate::JACOBIAN_CHUNK);

/// The second-order type compiled for `K` inner directions.
type Nested<const K: usize> = InlineDual<InlineDual64<K>, Const<OUTER>>;

/// The scalar types compiled: `f64`, `InlineDual64<K>` and `Nested<K>`
/// for `K = 1 … 8`.
const TYPES: usize = 17;

/// Which of the compiled types `D` is (its cell in [`Jit`]).
fn type_index<D: DualScalar>() -> Option<usize> {
    let id = TypeId::of::<D>();
    let mut index = 0;
    if id == TypeId::of::<f64>() {
        return Some(index);
    }
    macro_rules! each_k {
        ($($k:literal)+) => {$(
            index += 1;
            if id == TypeId::of::<InlineDual64<$k>>() {
                return Some(index);
            }
            index += 1;
            if id == TypeId::of::<Nested<$k>>() {
                return Some(index);
            }
        )+};
    }
    each_k!(1 2 3 4 5 6 7 8);
    None
}

/// Where a scalar type keeps its real numbers in memory.
#[derive(Clone, Debug)]
struct Layout {
    /// Directions per level, outermost first: `[]` for `f64`, `[K]` for
    /// `InlineDual64<K>`, `[OUTER, K]` for `Nested<K>`.
    dims: Vec<usize>,
    size: i32,
    /// Each part of a [`Scalar`], in order: its byte offset and type (a
    /// real part `F64`, the directions of the innermost dual number in
    /// pairs, `F64X2`, an odd last one `F64`).
    parts: Vec<(i32, types::Type)>,
    /// [`dual_shim`] for the type.
    shim: *const u8,
}

/// The layout of the type [`type_index`] numbers `index`.
fn layout(index: usize) -> Layout {
    /// `InlineDual<T, Const<C>>` from `T`'s offsets: the real part's, then
    /// each direction's.
    fn nest<T: nalgebra::Scalar, const C: usize>(inner: &[i32]) -> Vec<i32> {
        let re = offset_of!(InlineDual<T, Const<C>>, re) as i32;
        let eps = offset_of!(InlineDual<T, Const<C>>, eps.0.data.0) as i32;
        let stride = size_of::<T>() as i32;
        (0..=C as i32)
            .flat_map(|i| inner.iter().map(move |o| if i == 0 { re + o } else { eps + stride * (i - 1) + o }))
            .collect()
    }
    let mut next = 0;
    let mut found = None;
    let mut candidate = |dims: Vec<usize>, size: usize, offsets: Vec<i32>, shim: *const u8| {
        if next == index {
            // The innermost dual numbers' reals, each as a real part and
            // pairs of directions (contiguous in their array).
            let k = dims.last().copied().unwrap_or(0);
            let parts = offsets
                .chunks(1 + k)
                .flat_map(|group| {
                    let pairs =
                        group[1..].chunks(2).map(|p| (p[0], if p.len() == 2 { types::F64X2 } else { types::F64 }));
                    std::iter::once((group[0], types::F64)).chain(pairs.collect::<Vec<_>>())
                })
                .collect();
            found = Some(Layout { dims, size: size as i32, parts, shim });
        }
        next += 1;
    };
    candidate(vec![], 8, vec![0], std::ptr::null());
    macro_rules! each_k {
        ($($k:literal)+) => {$(
            let first = nest::<f64, $k>(&[0]);
            let shim = dual_shim::<InlineDual64<$k>> as *const u8;
            candidate(vec![$k], size_of::<InlineDual64<$k>>(), first.clone(), shim);
            let shim = dual_shim::<Nested<$k>> as *const u8;
            candidate(vec![OUTER, $k], size_of::<Nested<$k>>(), nest::<InlineDual64<$k>, OUTER>(&first), shim);
        )+};
    }
    each_k!(1 2 3 4 5 6 7 8);
    found.expect("an index from type_index")
}

/// Evaluations with one scalar type after which a tape is compiled for
/// it. Compiling costs about as much as ten thousand interpreted
/// evaluations (a Lotka–Volterra tape in `f64`, the Boehm model with the
/// second-order type of a Rosenbrock gradient: 0.1–0.2 s), so a short run
/// (one solve, one PEtab gradient) stays interpreted and a long one (a
/// fit, an ensemble, a benchmark) runs compiled after a small fraction of
/// its work.
pub(crate) const HOT: u32 = 1000;

/// A tape's compiled code, one function per scalar type, each made once
/// the tape has been evaluated [`HOT`] times with that type; shared by the
/// tape's clones.
#[derive(Clone, Default)]
pub(crate) struct Jit {
    cells: Arc<Cells>,
    /// Always interpret ([`TapeModel::interpreted`](super::TapeModel::interpreted)).
    off: bool,
}

#[derive(Default)]
struct Cells {
    code: [OnceLock<Option<Compiled>>; TYPES],
    /// Interpreted evaluations so far, per type.
    uses: [AtomicU32; TYPES],
}

impl std::fmt::Debug for Jit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let compiled: Vec<usize> = (0..TYPES).filter(|&k| matches!(self.cells.code[k].get(), Some(Some(_)))).collect();
        match compiled.as_slice() {
            _ if self.off => f.write_str("off"),
            [] => f.write_str("not compiled"),
            k => write!(f, "compiled for scalar types {k:?}"),
        }
    }
}

/// Compiled code is an implementation detail: two tapes with the same
/// instructions are equal whether compiled or not.
impl PartialEq for Jit {
    fn eq(&self, _: &Jit) -> bool {
        true
    }
}

impl Jit {
    /// Interpret from now on.
    pub(crate) fn turn_off(&mut self) {
        self.off = true;
    }

    /// Evaluate `tape` with compiled code if there is code for the scalar
    /// type (or it is time to make it) and the slices are long enough for
    /// it; `false`: the interpreter must.
    pub(crate) fn run<D: DualScalar>(&self, tape: &Tape, t: D, x: &[D], u: &[D], p: &[D], out: &mut [D]) -> bool {
        let shape = tape.shape;
        let fits = x.len() >= shape.states
            && u.len() >= shape.inputs
            && p.len() >= shape.params
            && out.len() >= tape.results.len();
        let Some(index) = type_index::<D>().filter(|_| fits && !self.off) else { return false };
        let code = match self.cells.code[index].get() {
            Some(code) => code.as_ref(),
            None => self.warm(tape, index),
        };
        let Some(code) = code else { return false };
        let ptr = |s: &[D]| s.as_ptr().cast::<u8>();
        // Safety: the code was compiled for `D`'s layout, reads as many
        // values from each slice as the tape's shape says (checked above)
        // and writes as many results.
        unsafe { (code.entry)((&raw const t).cast(), ptr(x), ptr(u), ptr(p), out.as_mut_ptr().cast()) };
        true
    }

    /// Count an evaluation with the type numbered `index`, and compile
    /// `tape` for it once it has been evaluated [`HOT`] times (out of
    /// line: the call of compiled code stays short).
    #[cold]
    #[inline(never)]
    fn warm(&self, tape: &Tape, index: usize) -> Option<&Compiled> {
        if self.cells.uses[index].fetch_add(1, Ordering::Relaxed) < HOT {
            return None;
        }
        self.cells.code[index].get_or_init(|| compile(tape, layout(index)).ok()).as_ref()
    }
}

/// A compiled tape: its module owns the code's memory.
struct Compiled {
    module: Option<JITModule>,
    entry: Entry,
    /// The instructions the code hands to [`dual_shim`] (by address).
    _insts: Box<[Inst]>,
}

// Safety: the code is a pure function of its arguments (it reads them,
// writes its results and calls only the `extern "C"` functions below,
// which hold no state, with instructions it only reads), so calling it
// from several threads at once is safe; the module is not touched again
// until it is dropped.
unsafe impl Send for Compiled {}
unsafe impl Sync for Compiled {}

impl Drop for Compiled {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // Safety: the last owner is being dropped, so the code is not
            // running and its entry point is not called again.
            unsafe { module.free_memory() }
        }
    }
}

/// The interpreter's `f64` functions, callable from compiled code.
macro_rules! shims {
    ($($name:ident => $f:ident),* $(,)?) => {
        $(extern "C" fn $name(x: f64) -> f64 {
            Func::$f.apply(x)
        })*
        /// The function compiled code calls for `f`.
        fn shim(f: Func) -> extern "C" fn(f64) -> f64 {
            match f {
                $(Func::$f => $name,)*
            }
        }
    };
}

shims! {
    exp => Exp, ln => Ln, log10 => Log10, log2 => Log2, sqrt => Sqrt, sin => Sin, cos => Cos,
    tan => Tan, asin => Asin, acos => Acos, atan => Atan, sinh => Sinh, cosh => Cosh,
    tanh => Tanh, asinh => Asinh, acosh => Acosh, atanh => Atanh, abs => Abs, sign => Sign,
    floor => Floor, ceil => Ceil,
}

extern "C" fn powi(x: f64, n: i32) -> f64 {
    Inst::Powi(0, n).apply(|_| x)
}

extern "C" fn powf(x: f64, c: f64) -> f64 {
    Inst::Powf(0, c.to_bits()).apply(|_| x)
}

extern "C" fn pow(x: f64, y: f64) -> f64 {
    Inst::Pow(0, 1).apply(|s| if s == 0 { x } else { y })
}

/// `x[0] ← inst` with operand slots `0` and `1` read from `x[0]` and
/// `x[1]`: a function or power of dual numbers by the interpreter's code.
///
/// # Safety
/// `inst` points to an instruction whose operands are 0 or 1, `x` to two
/// values of `D` (one if the instruction reads only slot 0).
unsafe extern "C" fn dual_shim<D: DualScalar>(inst: *const Inst, x: *mut D) {
    // Safety: as the caller promises.
    unsafe { *x = (*inst).apply(|s| *x.add(s as usize)) }
}

fn compile(tape: &Tape, layout: Layout) -> Result<Compiled, String> {
    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k, v| f.set(k, v).map_err(|e| e.to_string());
    set(&mut flags, "opt_level", "speed")?;
    set(&mut flags, "use_colocated_libcalls", "false")?;
    set(&mut flags, "is_pic", "false")?;
    let isa = cranelift_native::builder()?.finish(settings::Flags::new(flags)).map_err(|e| e.to_string())?;
    let mut module = JITModule::new(JITBuilder::with_isa(isa, cranelift_module::default_libcall_names()));
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    sig.params.extend([AbiParam::new(ptr); 5]);
    let id = module.declare_anonymous_function(&sig).map_err(|e| e.to_string())?;
    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let params = b.block_params(block).to_vec();
    // The instructions dual numbers hand to `dual_shim`, with operands 0
    // and 1 (allocated before the code takes their addresses).
    let insts: Box<[Inst]> = tape.code.iter().map(|&(inst, _)| renumbered(inst)).collect();
    let call_conv = module.isa().default_call_conv();
    let mut e = Emitter { b: &mut b, ptr, call_conv, layout, scratch: None };
    e.body(tape, &insts, &params);
    b.finalize(module.target_config());
    module.define_function(id, &mut ctx).map_err(|e| e.to_string())?;
    module.clear_context(&mut ctx);
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let code = module.get_finalized_function(id);
    // Safety: the function was declared with this signature in the host's
    // default calling convention, which is `extern "C"`.
    let entry = unsafe { std::mem::transmute::<*const u8, Entry>(code) };
    Ok(Compiled { module: Some(module), entry, _insts: insts })
}

/// `inst` reading slots 0 (and 1) in the order of its operands.
fn renumbered(inst: Inst) -> Inst {
    let order: Vec<u32> = inst.operands().collect();
    inst.map(|s| order.iter().position(|&o| o == s).unwrap_or(0) as u32)
}

/// A scalar while compiling: its parts in the order of [`Layout::parts`]
/// (the real part, then each direction's part, nested; the innermost
/// directions in pairs).
type Scalar = Vec<Value>;

struct Emitter<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    ptr: types::Type,
    call_conv: cranelift_codegen::isa::CallConv,
    layout: Layout,
    /// Stack space for two dual numbers passed to `dual_shim`.
    scratch: Option<cranelift_codegen::ir::StackSlot>,
}

impl Emitter<'_, '_> {
    /// The tape's instructions, from the arguments `[t, x, u, p, out]`.
    fn body(&mut self, tape: &Tape, insts: &[Inst], args: &[Value]) {
        let shape = tape.shape;
        // Each slot's current value; arguments loaded where first read.
        let mut slots: Vec<Option<Scalar>> = vec![None; tape.n_slots.max(shape.args() + tape.consts.len())];
        for (k, &c) in tape.consts.iter().enumerate() {
            let dims = self.layout.dims.clone();
            slots[shape.args() + k] = Some(self.constant(c, &dims));
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
                None => {
                    let dims = e.layout.dims.clone();
                    e.constant(0.0, &dims)
                }
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

    /// `c` with zero derivatives, at the nesting `dims`.
    fn constant(&mut self, c: f64, dims: &[usize]) -> Scalar {
        let re = self.f(c);
        let zero = self.f(0.0);
        let pair = self.b.ins().splat(types::F64X2, zero);
        let shape = self.layout.parts.iter().map(|&(_, ty)| ty).take(width(dims));
        let mut parts: Scalar = shape.map(|ty| if ty == types::F64X2 { pair } else { zero }).collect();
        parts[0] = re;
        parts
    }

    /// One instruction's value from its operands' values (in the order
    /// of [`Inst::operands`]); `shim_inst` is the instruction as
    /// [`dual_shim`] gets it.
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
                let c = self.constant(k(c), dims);
                self.zip(&c, &o[0], |b, x, y| b.ins().fsub(x, y))
            }
            CDiv(c, _) => {
                let c = self.constant(k(c), dims);
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
        let by = self.constant(c, rest);
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
        let dims = self.layout.dims.clone();
        let mut v = self.constant(0.0, &dims);
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

    /// A function or power of dual numbers by [`dual_shim`]: the operands
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
fn width(dims: &[usize]) -> usize {
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

#[cfg(test)]
mod tests {
    use super::super::compile::{Scope, compile};
    use super::super::syntax::parse;
    use super::super::tape::{Shape, Tape};
    use crate::DualScalar;
    use crate::scalar::InlineDual64;
    use proptest::prelude::*;

    /// `srcs` compiled with time `t`, states `x`, `y`, input `u` and
    /// parameter `p`.
    fn tape(srcs: &[&str]) -> Tape {
        let exprs: Vec<_> = srcs.iter().map(|s| parse(s).unwrap()).collect();
        let mut scope = Scope { shape: Shape { states: 2, inputs: 1, params: 1 }, ..Scope::default() };
        for (k, name) in ["t", "x", "y", "u", "p"].into_iter().enumerate() {
            scope.args.insert(name, k as u32);
        }
        compile(&scope, &exprs.iter().collect::<Vec<_>>()).unwrap()
    }

    /// The compiled code's results and the interpreter's, every part as
    /// bits (every NaN as one: which NaN an operation of two NaNs returns
    /// depends on the order of its operands in the machine instruction,
    /// which neither Rust nor Cranelift fixes).
    fn both_as<D: DualScalar>(tape: &Tape, v: [D; 5]) -> (Vec<u64>, Vec<u64>) {
        let n = tape.results.len();
        let zero = D::from(0.0);
        let (mut jit, mut interpreted) = (vec![zero; n], vec![zero; n]);
        let hot = (0..=super::HOT).any(|_| tape.jit.run(tape, v[0], &v[1..3], &v[3..4], &v[4..], &mut jit));
        assert!(hot, "compiled after HOT evaluations");
        tape.interpret(v[0], &v[1..3], &v[3..4], &v[4..], &mut interpreted);
        let bits = |v: Vec<D>| {
            let mut reals = vec![0.0; n * D::REALS];
            for (x, r) in v.iter().zip(reals.chunks_mut(D::REALS)) {
                x.to_reals(r);
            }
            reals.into_iter().map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() }).collect()
        };
        (bits(jit), bits(interpreted))
    }

    fn both(tape: &Tape, v: [f64; 5]) -> (Vec<u64>, Vec<u64>) {
        both_as(tape, v)
    }

    /// `v` as dual numbers with `K` directions, the derivative parts from
    /// `eps`.
    fn seeded<const K: usize>(v: [f64; 5], eps: &[f64]) -> [InlineDual64<K>; 5] {
        std::array::from_fn(|i| {
            InlineDual64::<K>::from_parts(v[i], std::array::from_fn(|j| eps[(i * 7 + j) % eps.len()]))
        })
    }

    /// `v` as the second-order type compiled for `K` inner directions (a
    /// Jacobian chunk over sensitivity directions), every part from `eps`.
    fn nested<const K: usize>(v: [f64; 5], eps: &[f64]) -> [super::Nested<K>; 5] {
        let e = |i: usize| eps[i % eps.len()];
        let inner = |re: f64, at: usize| InlineDual64::<K>::from_parts(re, std::array::from_fn(|j| e(at + j)));
        std::array::from_fn(|i| {
            super::Nested::<K>::from_parts(
                inner(v[i], 3 * i),
                std::array::from_fn(|c| inner(e(5 * i + c), i + 2 * c + 1)),
            )
        })
    }

    const SPECIAL: [f64; 9] = [0.0, -0.0, 1.0, -2.5, 0.3, 7.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];

    /// Every instruction kind, at ordinary and special values: the same
    /// bits as the interpreter.
    #[test]
    fn every_instruction_gives_the_interpreters_bits() {
        let mut srcs: Vec<String> = super::Func::ALL.iter().map(|(name, _)| format!("{name}(x)")).collect();
        srcs.extend(
            [
                "x + y",
                "x - y",
                "x * y",
                "x / y",
                "x + 3",
                "x - 3",
                "3 - x",
                "3 * x",
                "x / 3",
                "3 / x",
                "-x",
                "x^2",
                "x^-3",
                "x^0.5",
                "x^y",
                "pow(x, y)",
                "min(x, y)",
                "max(x, y)",
                "x < y",
                "x <= y",
                "x > y",
                "x >= y",
                "x == y",
                "x != y",
                "x && y",
                "x || y",
                "!x",
                "if(x, y, u)",
                "piecewise(y, x > u, p)",
                "t * p + u",
                "log(y, x)",
            ]
            .map(String::from),
        );
        let srcs: Vec<&str> = srcs.iter().map(String::as_str).collect();
        let t = tape(&srcs);
        for &x in &SPECIAL {
            for &y in &SPECIAL {
                let v = [0.25, x, y, -1.5, 2.0];
                let (jit, interpreted) = both(&t, v);
                for (k, src) in srcs.iter().enumerate() {
                    assert_eq!(jit[k], interpreted[k], "{src} at x = {x}, y = {y}");
                }
                let eps = [1.0, -0.5, 0.0, 3.0, -0.0, 1e-3, f64::INFINITY];
                let (jit, interpreted) = both_as(&t, seeded::<3>(v, &eps[..6]));
                for (k, src) in srcs.iter().enumerate() {
                    assert_eq!(
                        jit[4 * k..4 * k + 4],
                        interpreted[4 * k..4 * k + 4],
                        "{src} at x = {x}, y = {y} (dual)"
                    );
                }
                let (jit, interpreted) = both_as(&t, seeded::<1>(v, &eps));
                assert_eq!(jit, interpreted, "one direction, x = {x}, y = {y}");
                let (jit, interpreted) = both_as(&t, nested::<2>(v, &eps));
                for (k, src) in srcs.iter().enumerate() {
                    let parts = 15 * k..15 * k + 15;
                    assert_eq!(jit[parts.clone()], interpreted[parts], "{src} at x = {x}, y = {y} (second order)");
                }
            }
        }
    }

    /// Inputs shorter than the tape's shape are left to the interpreter
    /// (which reads zeros for what is missing); dual numbers too.
    #[test]
    fn short_inputs_and_duals_are_interpreted() {
        let t = tape(&["x + y + u + p"]);
        let mut out = [0.0];
        assert!(!t.jit.run(&t, 0.0, &[1.0], &[2.0], &[3.0], &mut out));
        assert!(!t.jit.run(&t, 0.0, &[1.0, 2.0], &[], &[3.0], &mut out));
        let mut dual = [num_dual::Dual64::from(0.0)];
        let one = num_dual::Dual64::from(1.0);
        assert!(!t.jit.run(&t, one, &[one, one], &[one], &[one], &mut dual));
        let mut nine = [InlineDual64::<9>::from_re(0.0)];
        let one = InlineDual64::<9>::from_re(1.0);
        assert!(!t.jit.run(&t, one, &[one, one], &[one], &[one], &mut nine));
        t.eval(0.0, &[1.0], &[2.0], &[3.0], &mut out);
        assert_eq!(out[0], 6.0);
    }

    /// A tape is interpreted until it is hot, counted over its clones,
    /// which share the code; a tape turned off interprets.
    #[test]
    fn clones_share_and_off_interprets() {
        let t = tape(&["x * y"]);
        let mut out = [0.0];
        let c = t.clone();
        for k in 0..super::HOT {
            assert!(!c.jit.run(&c, 0.0, &[2.0, 3.0], &[0.0], &[0.0], &mut out), "interpreted at first ({k})");
        }
        assert_eq!(format!("{:?}", t.jit), "not compiled");
        t.eval(0.0, &[2.0, 3.0], &[0.0], &[0.0], &mut out);
        assert_eq!(out[0], 6.0);
        assert!(std::sync::Arc::ptr_eq(&t.jit.cells, &c.jit.cells));
        assert_eq!(format!("{:?}", c.jit), "compiled for scalar types [0]");
        let mut off = t.clone();
        off.interpret_always();
        assert!(!off.jit.run(&off, 0.0, &[2.0, 3.0], &[0.0], &[0.0], &mut out));
    }

    fn leaf() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec!["t", "x", "y", "u", "p"]).prop_map(String::from),
            (-10.0f64..10.0).prop_map(|v| format!("({v})")),
            prop::sample::select(vec!["0", "1", "2", "0.5", "1e-300", "1e300"]).prop_map(String::from),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        let funcs: Vec<&str> = super::Func::ALL.iter().map(|(name, _)| *name).collect();
        leaf().prop_recursive(6, 60, 3, move |inner| {
            let ops = prop::sample::select(vec!["+", "-", "*", "/", "^", "<", ">=", "==", "!=", "&&", "||"]);
            prop_oneof![
                (inner.clone(), ops, inner.clone()).prop_map(|(a, o, b)| format!("({a}) {o} ({b})")),
                (prop::sample::select(funcs.clone()), inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
                inner.clone().prop_map(|a| format!("-({a})")),
                (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| format!("if({c}, {a}, {b})")),
                prop::collection::vec(inner, 1..4).prop_map(|v| format!("max({})", v.join(", "))),
            ]
        })
    }

    proptest! {
        /// For any expressions and arguments, compiled code and the
        /// interpreter give the same bits.
        #[test]
        fn compiled_equals_interpreted(
            a in text(),
            b in text(),
            v in prop::array::uniform5(prop_oneof![-5.0f64..5.0, prop::sample::select(SPECIAL.to_vec())]),
        ) {
            let t = tape(&[&a, &b, &format!("({a}) * ({b})")]);
            let (jit, interpreted) = both(&t, v);
            prop_assert_eq!(jit, interpreted, "{} ; {} at {:?}", a, b, v);
            let (jit, interpreted) = both_as(&t, seeded::<2>(v, &v));
            prop_assert_eq!(jit, interpreted, "{} ; {} at {:?} (dual)", a, b, v);
            let (jit, interpreted) = both_as(&t, seeded::<8>(v, &[0.5, -1.0, 2.0]));
            prop_assert_eq!(jit, interpreted, "{} ; {} at {:?} (eight directions)", a, b, v);
            let (jit, interpreted) = both_as(&t, nested::<3>(v, &[0.5, -1.0, 2.0, 0.0, 1e-3]));
            prop_assert_eq!(jit, interpreted, "{} ; {} at {:?} (second order)", a, b, v);
        }
    }
}

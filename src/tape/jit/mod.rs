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

use super::tape::{Func, Inst, Tape};
use crate::DualScalar;
use crate::scalar::{InlineDual, InlineDual64};
use cranelift_codegen::ir::{AbiParam, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Module;
use emit::Emitter;
#[cfg(test)]
use emit::width;
use nalgebra::Const;
use std::any::TypeId;
use std::mem::{offset_of, size_of};
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
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
/// evaluations (a Lotka–Volterra tape in `f64`; the second-order type of
/// a Rosenbrock gradient of the PEtab models: 0.05–0.15 s), so a short run
/// (one solve, one PEtab gradient) stays interpreted and a long one (a
/// fit, an ensemble, a benchmark) runs compiled after a small fraction of
/// its work.
pub(crate) const HOT: u32 = 1000;

/// A tape's compiled code, one function per scalar type, each made once
/// the tape has been evaluated [`HOT`] times with that type; shared by the
/// tape's clones.
#[derive(Clone)]
pub(crate) struct Jit {
    /// `None`: always interpret ([`TapeModel::interpreted`](super::TapeModel::interpreted)).
    cells: Option<Arc<Cells>>,
}

impl Default for Jit {
    fn default() -> Jit {
        Jit { cells: Some(Arc::default()) }
    }
}

#[derive(Default)]
struct Cells {
    code: [OnceLock<Option<Compiled>>; TYPES],
    /// Each type's entry point once compiled, null before: what a call
    /// reads (one load, where the cell above needs its state, its
    /// option and then the entry).
    entries: [AtomicPtr<u8>; TYPES],
    /// Interpreted evaluations so far, per type.
    uses: [AtomicU32; TYPES],
}

impl std::fmt::Debug for Jit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(cells) = &self.cells else { return f.write_str("off") };
        let compiled: Vec<usize> = (0..TYPES).filter(|&k| matches!(cells.code[k].get(), Some(Some(_)))).collect();
        match compiled.as_slice() {
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
        self.cells = None;
    }

    /// Evaluate `tape` with compiled code if there is code for the scalar
    /// type (or it is time to make it) and the slices are long enough for
    /// it; `false`: the interpreter must.
    #[inline(always)]
    pub(crate) fn run<D: DualScalar>(&self, tape: &Tape, t: D, x: &[D], u: &[D], p: &[D], out: &mut [D]) -> bool {
        let shape = tape.shape;
        let fits = x.len() >= shape.states
            && u.len() >= shape.inputs
            && p.len() >= shape.params
            && out.len() >= tape.results.len();
        let (Some(cells), Some(index), true) = (&self.cells, type_index::<D>(), fits) else { return false };
        let mut entry = cells.entries[index].load(Ordering::Acquire);
        if entry.is_null() {
            entry = warm(cells, tape, index);
            if entry.is_null() {
                return false;
            }
        }
        // Safety: a non-null entry is the `Entry` of code compiled for
        // `D`'s layout (stored by `warm`, which published it after the
        // code was finalized), kept alive by `cells.code`.
        let entry = unsafe { std::mem::transmute::<*mut u8, Entry>(entry) };
        let ptr = |s: &[D]| s.as_ptr().cast::<u8>();
        // Safety: the code reads as many values from each slice as the
        // tape's shape says (checked above) and writes as many results.
        unsafe { entry((&raw const t).cast(), ptr(x), ptr(u), ptr(p), out.as_mut_ptr().cast()) };
        true
    }
}

/// Count an evaluation with the type numbered `index`, and compile `tape`
/// for it once it has been evaluated [`HOT`] times: its entry point, null
/// while it is interpreted (out of line: the call of compiled code stays
/// short).
#[cold]
#[inline(never)]
fn warm(cells: &Cells, tape: &Tape, index: usize) -> *mut u8 {
    // Code that could not be compiled, or not counted far enough yet.
    if matches!(cells.code[index].get(), Some(None)) || cells.uses[index].fetch_add(1, Ordering::Relaxed) < HOT {
        return std::ptr::null_mut();
    }
    match cells.code[index].get_or_init(|| compile(tape, layout(index)).ok()) {
        Some(code) => {
            let entry = code.entry as *mut u8;
            cells.entries[index].store(entry, Ordering::Release);
            entry
        }
        None => std::ptr::null_mut(),
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

mod emit;
#[cfg(test)]
mod tests;

//! Compiled tapes against the interpreter, bit for bit.
use crate::DualScalar;
use crate::scalar::InlineDual64;
use crate::tape::compile::{Scope, compile};
use crate::tape::syntax::parse;
use crate::tape::tape::{Shape, Tape};
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
    std::array::from_fn(|i| InlineDual64::<K>::from_parts(v[i], std::array::from_fn(|j| eps[(i * 7 + j) % eps.len()])))
}

/// `v` as the second-order type compiled for `K` inner directions (a
/// Jacobian chunk over sensitivity directions), every part from `eps`.
fn nested<const K: usize>(v: [f64; 5], eps: &[f64]) -> [super::Nested<K>; 5] {
    let e = |i: usize| eps[i % eps.len()];
    let inner = |re: f64, at: usize| InlineDual64::<K>::from_parts(re, std::array::from_fn(|j| e(at + j)));
    std::array::from_fn(|i| {
        super::Nested::<K>::from_parts(inner(v[i], 3 * i), std::array::from_fn(|c| inner(e(5 * i + c), i + 2 * c + 1)))
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
                assert_eq!(jit[4 * k..4 * k + 4], interpreted[4 * k..4 * k + 4], "{src} at x = {x}, y = {y} (dual)");
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
    assert!(std::sync::Arc::ptr_eq(t.jit.cells.as_ref().unwrap(), c.jit.cells.as_ref().unwrap()));
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

/// Every compiled type has a layout whose parts match its nesting, in
/// the order `type_index` numbers the types.
#[test]
fn layouts_match_the_types() {
    use super::{Nested, TYPES, layout, type_index, width};
    for index in 0..TYPES {
        let l = layout(index);
        assert_eq!(l.parts.len(), width(&l.dims), "type {index}");
        assert!(l.parts.iter().all(|&(o, _)| o >= 0 && o < l.size), "type {index}");
    }
    let dims = |i: Option<usize>| layout(i.unwrap()).dims;
    assert_eq!(dims(type_index::<f64>()), Vec::<usize>::new());
    assert_eq!(dims(type_index::<InlineDual64<1>>()), [1]);
    assert_eq!(dims(type_index::<InlineDual64<8>>()), [8]);
    assert_eq!(dims(type_index::<Nested<3>>()), [4, 3]);
    assert_eq!(dims(type_index::<Nested<8>>()), [4, 8]);
    assert_eq!(type_index::<num_dual::Dual64>(), None);
}

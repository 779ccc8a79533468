//! Helpers shared by the integration tests.
#![allow(dead_code, unused_macros)]

use nalgebra::{Const, SVector};
use odeon::{DualScalar, OdeSystem};

/// Least-squares slope of log(err) against log(h).
pub fn slope(hs: &[f64], errs: &[f64]) -> f64 {
    let xs: Vec<f64> = hs.iter().map(|h| h.ln()).collect();
    let ys: Vec<f64> = errs.iter().map(|e| e.ln()).collect();
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

/// The shared reference values (tests/data/reference.json).
pub fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../data/reference.json")).expect("valid reference.json")
}

/// Read a JSON array of numbers.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

/// Max-abs difference.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// A non-autonomous problem, `y' = −y + 2 cos t + p`, with `p = 0` and
/// `y(0) = 1`: `y(t) = cos t + sin t`. The `t`-dependence makes a wrong
/// node `c_i` in a tableau visible (autonomous problems cannot see it).
pub struct Forced;

impl Forced {
    pub fn exact(t: f64) -> f64 {
        t.cos() + t.sin()
    }
}

impl OdeSystem for Forced {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, t: D, y: &SVector<D, 1>, p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = -y[0] + t.cos() * 2.0 + p[0];
    }
}

/// Run `body` once per method type with `$m` bound to it: each copy
/// compiles only its own stepper, where a loop over `Method` values would
/// compile every method for every scalar type the body uses.
macro_rules! each_method {
    ($m:ident in [$($ty:ident),+ $(,)?] $body:block) => {
        $({
            let $m = odeon::$ty;
            $body
        })+
    };
}

/// The slope of log(error at `t1`) against log(h) over fixed-step runs
/// of `n` steps, `n` in `$ns`.
#[allow(unused_macros)]
macro_rules! order_of {
    ($m:expr, $sys:expr, $p:expr, $y0:expr, $t1:expr, $exact:expr, $ns:expr) => {{
        let ns: &[usize] = $ns;
        let hs: Vec<f64> = ns.iter().map(|&n| $t1 / n as f64).collect();
        let errs: Vec<f64> = hs
            .iter()
            .map(|&h| {
                let opts = odeon::Options::default().dt(h).save_final();
                let y = odeon::solve(&$sys, $m, (0.0, $t1), &[$y0], &$p, &opts).unwrap().last().unwrap().1[0];
                (y - $exact).abs()
            })
            .collect();
        $crate::common::slope(&hs, &errs)
    }};
}

/// Property tests of hand-edited files: TOML literals a spec might hold,
/// valid or not.
pub const WILD_VALUES: &[&str] = &[
    "0.0",
    "-1.0",
    "1e-300",
    "1e300",
    "nan",
    "inf",
    "-inf",
    "0.5",
    "1.0",
    "2.0",
    "1e-12",
    "0",
    "1",
    "-1",
    "3",
    "100",
    "4294967296",
    "9223372036854775807",
    "\"x\"",
    "\"\"",
    "true",
    "[]",
    "{}",
    "[1.0, 2.0]",
    "[2.0, 1.0]",
    "[0.0, nan]",
    "{ guess = 1.0 }",
];

/// A table of a spec: its header (`""` for the top level) and its keys,
/// each with its candidate values.
pub type Section<'a> = (&'a str, &'a [(&'a str, &'a [&'a str])]);

/// A TOML document from `sections` (a header, `""` for the top level, and
/// its `(key, candidate values)`, the first candidate a valid one): key
/// `k` takes its first candidate when `picks[k] == 0`, else the one at
/// `(picks[k] − 1) % (n + 1)` among its candidates followed by
/// [`WILD_VALUES`] (the last choice, or an empty candidate, leaves the
/// key out); then `noise`
/// characters are inserted at their positions. Picks mostly 0 give specs
/// with one or two odd values.
pub fn wild_toml(sections: &[Section], picks: &[usize], noise: &[(usize, char)]) -> String {
    let mut text = String::new();
    let mut k = 0;
    for (header, keys) in sections {
        if !header.is_empty() {
            text += &format!("[{header}]\n");
        }
        for (key, own) in *keys {
            let values: Vec<&str> = own.iter().chain(WILD_VALUES).copied().collect();
            let pick = match picks.get(k).copied().unwrap_or(0) {
                0 => 0,
                p => (p - 1) % (values.len() + 1),
            };
            k += 1;
            if let Some(v) = values.get(pick).filter(|v| !v.is_empty()) {
                text += &format!("{key} = {v}\n");
            }
        }
    }
    insert_noise(&mut text, noise);
    text
}

/// Put each stray character of `noise` (a position, any `usize`, and a
/// character) into `text`, at the char boundary at or before the position.
pub fn insert_noise(text: &mut String, noise: &[(usize, char)]) {
    for &(at, c) in noise {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert(at, c);
    }
}

/// The configuration of the arbitrary-input property tests: `cases`
/// cases from a fixed seed (the same inputs on every run), no failure
/// files written.
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(14),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// Picks for [`wild_toml`]: mostly 0 (a key's usual value), now and then
/// any other.
pub fn wild_picks(keys: usize) -> impl proptest::strategy::Strategy<Value = Vec<usize>> {
    use proptest::prelude::*;
    prop::collection::vec(prop_oneof![8 => Just(0usize), 1 => any::<usize>()], keys)
}

/// Stray characters for [`wild_toml`]: none or one, often TOML's own.
pub fn wild_noise() -> impl proptest::strategy::Strategy<Value = Vec<(usize, char)>> {
    use proptest::prelude::*;
    let c = prop_oneof![Just('"'), Just('['), Just('{'), Just('\n'), Just('='), any::<char>()];
    prop::collection::vec((any::<usize>(), c), 0..2)
}

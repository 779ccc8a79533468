//! Composite models: named subsystems wired output → input, one model.
//!
//! A [`Composite`] is built from [`Model`]s (and other composites) by
//! name: [`Composite::builder`], then [`add`](Builder::add) each
//! subsystem, [`connect`](Builder::connect) outputs to inputs (with an
//! optional gain), declare the inputs left open as
//! [`external`](Builder::external) or [`fix`](Builder::fix) them, and
//! [`build`](Builder::build). Building resolves every name, checks that
//! every input has exactly one source, orders the subsystems so that an
//! output is computed after the outputs it reads directly, reports an
//! algebraic loop by the names of the subsystems on it, and caches the
//! layout (where each subsystem's states, parameters and signals live).
//!
//! The composite is itself a [`Model`]: its states, parameters and
//! outputs are its subsystems' in the order added, named by path
//! (`"plant.x"`, `"controller.kp"`), and its inputs are the external ones.
//! So it is solved, differentiated, fitted and sampled like any model (a
//! composite without external inputs directly; one with external inputs
//! under [`Driven`](crate::signal::Driven)), and it composes further.
//! Fits name parameters by path ([`Parameter::new`](crate::fit::Parameter::new)`("controller.kp", …)`),
//! and so do ensembles ([`Dist::by_name`](crate::ensemble::Dist::by_name)).
//!
//! Wiring known when the program is compiled is declared with
//! [`composite!`](crate::composite): the same composite (names, checks,
//! events), evaluated as the straight-line code of the flat equations,
//! with each subsystem's port names as constants ([`Ports`]). The builder
//! is for wiring known only when the program runs: each input then reads
//! its wire from a buffer (1.1–1.9× the flat model's time for subsystems
//! of a few operations each; `docs/benchmarks.md` §13).
//!
//! The same wiring can be written in a file ([`CompositeFile`]: TOML or
//! JSON, subsystems by name — the [`blocks`], built-in models, model files,
//! other composite files), which the command line and spec files read as
//! a model; a run-time list of subsystems of one type is [`Many`]
//! ([`Composite::builder_of`]).
//!
//! Evaluating it is a pass over the subsystems in their typed order:
//! subsystems are held by type, not behind `dyn`, so every call is
//! resolved at compile time, and no name is looked up, nothing hashed
//! and nothing allocated once it is built (a subsystem with a run-time
//! dimension, `Dyn`, copies its states into a vector per call, and a
//! composite with more than 128 signals and inputs takes its buffer from
//! the heap). Each subsystem's `rhs` and `outputs` are inlined into the
//! composite's evaluation when the program has one caller of them; a
//! small subsystem that several composites of one program share is
//! faster with `#[inline]` on those methods (as odeon's
//! [`blocks`] have).
//!
//! # Example
//! ```
//! use nalgebra::{Const, SVector};
//! use odeon::compose::Composite;
//! use odeon::system::Model;
//! use odeon::{solve, DualScalar, Options, Tsit5};
//!
//! /// A mass pushed by a force: x' = v, v' = F/m; it reports x.
//! struct Cart;
//! impl Model for Cart {
//!     type Dim = Const<2>;
//!     fn dim(&self) -> Const<2> { Const }
//!     fn n_params(&self) -> usize { 1 }
//!     fn n_inputs(&self) -> usize { 1 }
//!     fn n_outputs(&self) -> usize { 1 }
//!     fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], p: &[D], dx: &mut SVector<D, 2>) {
//!         dx[0] = x[1];
//!         dx[1] = u[0] / p[0];
//!     }
//!     fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, _u: &[D], _p: &[D], y: &mut [D]) {
//!         y[0] = x[0];
//!     }
//!     fn feedthrough(&self, _output: usize, _input: usize) -> bool { false }
//!     fn param_names(&self) -> Vec<String> { vec!["mass".into()] }
//!     fn input_names(&self) -> Vec<String> { vec!["force".into()] }
//!     fn output_names(&self) -> Vec<String> { vec!["x".into()] }
//! }
//!
//! // Position feedback F = −k·x with k = 4 (a gain on the connection):
//! // an oscillator x'' = −(k/m)·x.
//! let spring = Composite::builder()
//!     .add("cart", Cart)
//!     .connect_gain("cart.x", "cart.force", -4.0)
//!     .build()?;
//! assert_eq!(spring.param_names(), ["cart.mass"]);
//! let p = spring.params(&[("cart.mass", 1.0)])?;
//! let sol = solve(&spring, Tsit5, (0.0, std::f64::consts::PI), &[1.0, 0.0], &p, &Options::default())?;
//! let (_, y) = sol.last().unwrap();
//! assert!((y[0] - 1.0).abs() < 1e-5); // one full period of cos 2t
//! # Ok::<(), odeon::Error>(())
//! ```

pub mod blocks;
mod file;
mod layout;
mod parts;
mod wired;

pub use file::{CompositeFile, Connection, Subsystem};
pub use parts::{Cons, Many, Nil, Parts};
#[doc(hidden)]
pub use wired::__private;
pub use wired::{Ports, port_names};

use crate::events::{Cause, Event, Schedule};
use crate::system::{Model, State};
use crate::{DualScalar, Error};
use layout::{Layout, Wiring};
use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, Dyn};
use parts::{Eval, FEW_INPUTS, ONE_PASS};

/// Subsystems connected output → input: one [`Model`]. See the
/// [module documentation](self).
///
/// `P` is the typed list of subsystems; `N` the state dimension, `Dyn`
/// from [`Builder::build`] or `Const<K>` from [`Builder::build_const`]
/// (stack-allocated states for a small composite).
#[derive(Clone, Debug)]
pub struct Composite<P, N = Dyn> {
    parts: P,
    layout: Layout,
    dim: N,
    /// The length of an evaluation's buffer.
    n_buffer: usize,
}

impl Composite<Nil> {
    /// Start a composite with no subsystems.
    pub fn builder() -> Builder<Nil> {
        Builder { parts: Nil, names: Vec::new(), wiring: Wiring::default() }
    }

    /// Start a composite from subsystems of one type, `(name, model)` in
    /// order, known only when the program runs (a model read from a file,
    /// a chain of many alike); wire them as with [`builder`](Self::builder).
    ///
    /// # Example
    /// ```
    /// use odeon::compose::{blocks::Lag, Composite};
    /// use odeon::system::Model;
    /// // Ten lags in a chain, the first driven by a fixed input of 1.
    /// let mut b = Composite::builder_of((0..10).map(|k| (format!("lag{k}"), Lag))).fix("lag0.u", 1.0);
    /// for k in 1..10 {
    ///     b = b.connect(&format!("lag{}.y", k - 1), &format!("lag{k}.u"));
    /// }
    /// let chain = b.build()?;
    /// assert_eq!(chain.dim().0, 10);
    /// assert_eq!(chain.param_names()[9], "lag9.tau");
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn builder_of<M: Model>(parts: impl IntoIterator<Item = (String, M)>) -> Builder<Many<M>>
    where
        DefaultAllocator: Allocator<M::Dim>,
    {
        let (names, parts): (Vec<String>, Vec<(M, parts::Placed)>) =
            parts.into_iter().map(|(name, m)| (name, (m, parts::Placed::default()))).unzip();
        Builder { parts: Many { parts, end: Default::default() }, names, wiring: Wiring::default() }
    }
}

/// Collects a composite's subsystems and wiring; names are checked by
/// [`build`](Self::build).
#[derive(Clone, Debug)]
pub struct Builder<P> {
    parts: P,
    names: Vec<String>,
    wiring: Wiring,
}

impl<P: Parts> Builder<P> {
    /// Add the subsystem `model` under `name` (no dots or spaces).
    pub fn add<M: Model>(self, name: &str, model: M) -> Builder<Cons<M, P>>
    where
        DefaultAllocator: Allocator<M::Dim>,
    {
        let mut names = self.names;
        names.push(name.to_string());
        Builder { parts: Cons { head: model, tail: self.parts, at: Default::default() }, names, wiring: self.wiring }
    }

    /// Connect the output `from` (`"subsystem.output"`) to the input `to`
    /// (`"subsystem.input"`).
    pub fn connect(self, from: &str, to: &str) -> Self {
        self.__connect(from, to, None)
    }

    /// Connect the output `from` to the input `to` through a gain: the
    /// input reads `gain · output`.
    pub fn connect_gain(self, from: &str, to: &str, gain: f64) -> Self {
        self.__connect(from, to, Some(gain))
    }

    /// A connection with or without a gain: what
    /// [`connect`](Self::connect), [`connect_gain`](Self::connect_gain) and
    /// [`composite!`](crate::composite) record.
    #[doc(hidden)]
    pub fn __connect(mut self, from: &str, to: &str, gain: Option<f64>) -> Self {
        self.wiring.connections.push((from.to_string(), to.to_string(), gain));
        self
    }

    /// Leave the input `input` open: it becomes an input of the composite,
    /// named by its path (in the order declared).
    pub fn external(mut self, input: &str) -> Self {
        self.wiring.externals.push(input.to_string());
        self
    }

    /// Hold the input `input` at `value`.
    pub fn fix(mut self, input: &str, value: f64) -> Self {
        self.wiring.fixed.push((input.to_string(), value));
        self
    }

    /// Build the composite, with a run-time state dimension.
    ///
    /// # Errors
    /// - [`Error::InvalidComposite`] naming the path: an unknown
    ///   subsystem or port, a repeated subsystem name, an input given more
    ///   than one source, a gain or fixed value that is not finite, a
    ///   subsystem's mass matrix that does not fit its states;
    /// - [`Error::FreeInputs`]: inputs neither connected, external nor
    ///   fixed;
    /// - [`Error::AlgebraicLoop`]: the subsystems on a loop of direct
    ///   feedthrough.
    pub fn build(self) -> Result<Composite<P, Dyn>, Error> {
        let (parts, layout) = self.placed()?;
        Ok(Composite { dim: Dyn(layout.n_states), n_buffer: layout.n_buffer(FEW_INPUTS), parts, layout })
    }

    /// Build the composite with `K` states known at compile time.
    ///
    /// # Errors
    /// As [`build`](Self::build), and [`Error::InvalidComposite`] if the
    /// subsystems do not have `K` states in all.
    pub fn build_const<const K: usize>(self) -> Result<Composite<P, Const<K>>, Error> {
        let (parts, layout) = self.placed()?;
        if layout.n_states != K {
            let reason = format!("the subsystems have {} states, not {K}", layout.n_states);
            return Err(Error::InvalidComposite { path: "build_const".into(), reason });
        }
        Ok(Composite { dim: Const, n_buffer: layout.n_buffer(FEW_INPUTS), parts, layout })
    }

    /// The layout, and the subsystems placed in it.
    fn placed(mut self) -> Result<(P, Layout), Error> {
        let mut infos = Vec::with_capacity(self.parts.count());
        self.parts.describe(&mut infos);
        let layout = Layout::new(self.names, &infos, &self.wiring)?;
        self.parts.install(&layout);
        Ok((self.parts, layout))
    }
}

impl<P: Parts, N: Dim> Composite<P, N> {
    /// The subsystems' names, in the order added.
    pub fn subsystems(&self) -> &[String] {
        &self.layout.names
    }

    /// The parameter vector from values by path (`("plant.mass", 2.0)`),
    /// each parameter given once.
    ///
    /// # Errors
    /// [`Error::InvalidComposite`] for an unknown path, a parameter given
    /// twice or not at all.
    pub fn params(&self, values: &[(&str, f64)]) -> Result<Vec<f64>, Error> {
        by_path("parameter", &self.layout.param_names, values)
    }

    /// The state vector from values by path (`("plant.x", 0.5)`), each
    /// state given once.
    ///
    /// # Errors
    /// As [`params`](Self::params).
    pub fn states(&self, values: &[(&str, f64)]) -> Result<Vec<f64>, Error> {
        by_path("state", &self.layout.state_names, values)
    }

    /// Whether one pass over the subsystems in the order added computes
    /// every output after the outputs it reads directly, as
    /// [`composite!`](crate::composite) evaluates them.
    #[doc(hidden)]
    pub fn __in_declared_order(&self) -> Result<(), Error> {
        let layout = &self.layout;
        match (0..layout.parts.len()).find(|&k| (1..layout.levels).any(|l| layout.runs(l, k))) {
            None => Ok(()),
            Some(k) => Err(Error::InvalidComposite {
                path: layout.names[k].clone(),
                reason: "an output of it reads directly an output not computed before its own (its own other output, or one \
                         of a subsystem declared after it); composite! evaluates in the order declared"
                    .into(),
            }),
        }
    }

    /// Evaluate what `want` asks for at `(t, x, u, p)`, after the outputs
    /// pass: the signal buffer on the stack for a small composite.
    #[inline]
    fn eval<D: DualScalar>(&self, (t, x, u, p): (D, &[D], &[D], &[D]), want: Want<'_, D>) {
        let n = self.n_buffer;
        let zero = D::from(0.0);
        let at = (t, x, u, p);
        match n {
            0..=8 => self.eval_in(&mut [zero; 8][..n], at, want),
            9..=16 => self.eval_in(&mut [zero; 16][..n], at, want),
            17..=64 => self.eval_in(&mut [zero; 64][..n], at, want),
            65..=128 => self.eval_in(&mut [zero; 128][..n], at, want),
            _ => self.eval_in(&mut vec![zero; n], at, want),
        }
    }

    /// [`eval`](Self::eval) in the buffer `buf` (signals, then inputs):
    /// one function for every evaluation, so that each subsystem's methods
    /// have one caller each and are inlined into it.
    #[inline(never)]
    fn eval_in<D: DualScalar>(&self, buf: &mut [D], (t, x, u, p): (D, &[D], &[D], &[D]), want: Want<'_, D>) {
        let layout = &self.layout;
        let (sig, ins) = buf.split_at_mut(layout.n_signals());
        let (_, rest) = sig.split_at_mut(layout.n_outputs);
        let (ext, fixed) = rest.split_at_mut(layout.input_names.len());
        debug_assert!(u.len() >= ext.len(), "one value per external input");
        copy_short(ext, u);
        for (s, &v) in fixed.iter_mut().zip(&layout.fixed) {
            *s = D::from(v);
        }
        // The subsystems' ranges lie inside these totals: with the
        // slices cut to them once here, the ranges need no checks of
        // their own (for subsystems whose counts are constants).
        let end = self.parts.end();
        debug_assert_eq!((end.states, end.params, end.outputs), (x.len(), layout.n_params, layout.n_outputs));
        let (x, p, wires) = (&x[..end.states], &p[..end.params], &layout.wires[..end.wires]);
        assert!(end.outputs <= sig.len(), "the signal buffer holds every output");
        let mut e = Eval { t, x, p, sig, wires, gains: &layout.gains, ins };
        // Opaque to the optimizer, so that it does not hoist every
        // subsystem's place into registers it then has to spill.
        let parts = std::hint::black_box(&self.parts);
        if layout.levels == 1 {
            parts.outputs_at(ONE_PASS, &mut e);
        } else {
            for level in 0..layout.levels {
                parts.outputs_at(level, &mut e);
            }
        }
        match want {
            Want::Rhs(dx) => _ = self.parts.rhs(&mut e, &mut dx[..end.states]),
            Want::Outputs(y) => copy_short(y, &e.sig[..layout.n_outputs]),
            Want::Events(g) => _ = self.parts.event_values(&mut e, g),
        }
    }
}

/// What an evaluation of a composite computes.
enum Want<'a, D> {
    Rhs(&'a mut [D]),
    Outputs(&'a mut [D]),
    Events(&'a mut [D]),
}

/// `dst ← src` (as far as both reach), without a call to `memcpy` for the
/// one or two values a composite usually copies.
#[inline(always)]
fn copy_short<D: Copy>(dst: &mut [D], src: &[D]) {
    match (dst, src) {
        ([], _) | (_, []) => {}
        ([d], [s, ..]) | ([d, ..], [s]) => *d = *s,
        (dst, src) => {
            let n = dst.len().min(src.len());
            dst[..n].copy_from_slice(&src[..n]);
        }
    }
}

fn index_of(kind: &str, names: &[String], path: &str) -> Result<usize, Error> {
    names.iter().position(|n| n == path).ok_or_else(|| Error::InvalidComposite {
        path: path.into(),
        reason: format!("no {kind} of this name; {kind}s: {}", names.join(", ")),
    })
}

/// Values by name into a vector ordered as `names`.
fn by_path(kind: &str, names: &[String], values: &[(&str, f64)]) -> Result<Vec<f64>, Error> {
    let mut out: Vec<Option<f64>> = vec![None; names.len()];
    for &(path, v) in values {
        let i = index_of(kind, names, path)?;
        if out[i].replace(v).is_some() {
            return Err(Error::InvalidComposite { path: path.into(), reason: format!("{kind} given twice") });
        }
    }
    let missing: Vec<&str> = names.iter().zip(&out).filter(|(_, v)| v.is_none()).map(|(n, _)| n.as_str()).collect();
    if !missing.is_empty() {
        return Err(Error::InvalidComposite { path: missing.join(", "), reason: format!("no value for this {kind}") });
    }
    Ok(out.into_iter().flatten().collect())
}

impl<P: Parts, N: Dim> Model for Composite<P, N> {
    type Dim = N;

    fn dim(&self) -> N {
        self.dim
    }
    fn n_params(&self) -> usize {
        self.layout.n_params
    }
    fn n_inputs(&self) -> usize {
        self.layout.input_names.len()
    }
    fn n_outputs(&self) -> usize {
        self.layout.n_outputs
    }

    #[inline]
    fn rhs<D: DualScalar>(&self, t: D, x: &State<D, N>, u: &[D], p: &[D], dxdt: &mut State<D, N>)
    where
        DefaultAllocator: Allocator<N>,
    {
        self.eval((t, x.as_slice(), u, p), Want::Rhs(dxdt.as_mut_slice()));
    }

    fn outputs<D: DualScalar>(&self, t: D, x: &State<D, N>, u: &[D], p: &[D], y: &mut [D])
    where
        DefaultAllocator: Allocator<N>,
    {
        self.eval((t, x.as_slice(), u, p), Want::Outputs(y));
    }

    fn feedthrough(&self, output: usize, input: usize) -> bool {
        self.layout.feedthrough.get(output).and_then(|row| row.get(input)).copied().unwrap_or(true)
    }

    fn events(&self) -> Vec<Event> {
        self.layout.events.clone()
    }

    fn event_values<D: DualScalar>(&self, t: D, x: &State<D, N>, u: &[D], p: &[D], g: &mut [D])
    where
        DefaultAllocator: Allocator<N>,
    {
        if !self.layout.events.is_empty() {
            self.eval((t, x.as_slice(), u, p), Want::Events(g));
        }
    }

    fn reset<D: DualScalar>(&self, cause: Cause, t: D, x: &mut State<D, N>, p: &[D], armed: &mut [bool])
    where
        DefaultAllocator: Allocator<N>,
    {
        let owner = match cause {
            Cause::Event(i) => self.layout.event_owner(i).map(|(k, j)| (k, Cause::Event(j))),
            Cause::Stop(i) => self.layout.stop_owner(i).map(|(k, j)| (k, Cause::Stop(j))),
        };
        if let Some((k, local)) = owner {
            let slot = &self.layout.parts[k];
            if let Some(armed) = armed.get_mut(slot.events.clone()) {
                let x = &mut x.as_mut_slice()[slot.states.clone()];
                self.parts.reset(k, local, t, x, &p[slot.params.clone()], armed);
            }
        }
    }

    fn mass(&self) -> Option<crate::integrate::MassMatrix> {
        self.layout.mass.clone()
    }
    fn schedule(&self) -> Schedule {
        self.layout.schedule.clone()
    }
    fn state_names(&self) -> Vec<String> {
        self.layout.state_names.clone()
    }
    fn param_names(&self) -> Vec<String> {
        self.layout.param_names.clone()
    }
    fn input_names(&self) -> Vec<String> {
        self.layout.input_names.clone()
    }
    fn output_names(&self) -> Vec<String> {
        self.layout.output_names.clone()
    }
}

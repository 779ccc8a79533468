//! The subsystems of a composite as a typed list (`Cons<Model, Cons<…,
//! Nil>>`), so that each one's methods are known at compile time and a
//! pass over them is straight-line code after inlining.

use super::layout::{Gain, Layout};
use crate::DualScalar;
use crate::events::{Cause, Event, Schedule};
use crate::integrate::MassMatrix;
use crate::system::{Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, U1};
use std::ops::Range;

/// What a composite needs to know of one subsystem, read once when it is
/// built.
#[derive(Clone, Debug)]
pub(crate) struct PartInfo {
    pub states: Vec<String>,
    pub params: Vec<String>,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// Its numbers of states, parameters, inputs and outputs, which the
    /// names must match.
    pub counts: [usize; 4],
    /// `feedthrough[o][i]`: output `o` reads input `i` directly.
    pub feedthrough: Vec<Vec<bool>>,
    pub events: Vec<Event>,
    pub schedule: Schedule,
    pub mass: Option<MassMatrix>,
}

/// One evaluation of a composite: its time, states and parameters, the
/// signal buffer (every subsystem's outputs, then the external inputs,
/// then the fixed values: what any input reads), where each input reads
/// (`wires`, every subsystem's in order) and room for the inputs of a
/// subsystem with many.
pub(crate) struct Eval<'a, D> {
    pub t: D,
    pub x: &'a [D],
    pub p: &'a [D],
    pub sig: &'a mut [D],
    pub wires: &'a [u32],
    pub gains: &'a [Gain],
    pub ins: &'a mut [D],
}

/// Inputs a subsystem gathers on the stack; more go to the evaluation's
/// input buffer.
pub(crate) const FEW_INPUTS: usize = 4;

impl<D: DualScalar> Eval<'_, D> {
    /// Call `f` with subsystem `m`'s inputs, gathered from the signals.
    #[inline(always)]
    fn with_inputs<M: Model, R>(&mut self, m: &M, at: At, f: impl FnOnce(&[D], &mut [D]) -> R) -> R {
        let n = m.n_inputs();
        let wires = &self.wires[at.wires..at.wires + n];
        if n <= FEW_INPUTS {
            let mut u = [D::from(0.0); FEW_INPUTS];
            for (ui, &w) in u.iter_mut().zip(wires) {
                *ui = self.sig[w as usize];
            }
            f(&u[..n], self.sig)
        } else {
            let u = &mut self.ins[..n];
            for (ui, &w) in u.iter_mut().zip(wires) {
                *ui = self.sig[w as usize];
            }
            f(u, self.sig)
        }
    }

    /// The gained copies of subsystem `at`'s outputs.
    #[inline(always)]
    fn gains_of(&mut self, at: &Placed) {
        for g in &self.gains[at.gains.0 as usize..at.gains.1 as usize] {
            self.sig[g.to as usize] = self.sig[g.from as usize] * g.gain;
        }
    }
}

/// The states of a subsystem, copied from its slice of the composite's
/// (on the stack for a `Const` dimension).
#[inline(always)]
fn local<D: DualScalar, M: Model>(model: &M, x: &[D]) -> State<D, M::Dim>
where
    DefaultAllocator: Allocator<M::Dim>,
{
    State::from_column_slice_generic(model.dim(), U1, x)
}

/// The subsystems of a composite: a typed list (`Cons<…, Nil>`, from
/// [`Builder::add`](super::Builder::add)) or a run-time list of one type
/// ([`Many`]); not implemented outside odeon.
pub trait Parts: sealed::Sealed {
    /// The number of subsystems.
    fn count(&self) -> usize;

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn describe(&self, out: &mut Vec<PartInfo>);

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn install(&mut self, layout: &Layout);

    /// Where the subsystems end: the composite's totals.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn end(&self) -> At;

    /// The outputs computed in pass `level`; returns [`end`](Self::end)
    /// (as the other evaluations), which the list sums as it goes.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn outputs_at<D: DualScalar>(&self, level: usize, e: &mut Eval<'_, D>) -> At;

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn rhs<D: DualScalar>(&self, e: &mut Eval<'_, D>, dx: &mut [D]) -> At;

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn event_values<D: DualScalar>(&self, e: &mut Eval<'_, D>, g: &mut [D]) -> At;

    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    fn reset<D: DualScalar>(&self, part: usize, cause: Cause, t: D, x: &mut [D], p: &[D], armed: &mut [bool]);
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Nil {}
    impl<H, T> Sealed for super::Cons<H, T> {}
    impl<M> Sealed for super::Many<M> {}
}

/// The empty list of subsystems.
#[derive(Clone, Debug, Default)]
pub struct Nil;

/// A list of subsystems: the ones added before (`tail`), then `head`
/// with its place in the composite (set when the composite is built).
#[derive(Clone, Debug)]
pub struct Cons<H, T> {
    pub(crate) head: H,
    pub(crate) tail: T,
    pub(crate) at: Placed,
}

/// Subsystems of one type in a run-time list, each with its place: a
/// composite whose parts are known only when the program runs (read from
/// a file, or a chain of many alike). Built by
/// [`Composite::builder_of`](super::Composite::builder_of).
#[derive(Clone, Debug)]
pub struct Many<M> {
    pub(crate) parts: Vec<(M, Placed)>,
    /// Where they end, summed once when placed.
    pub(crate) end: At,
}

/// What an evaluation needs of a subsystem's place beyond its offsets
/// ([`At`]), kept beside the subsystem so that nothing is looked up: its
/// gained outputs, the output passes it runs in, its feedthrough and its
/// events.
#[derive(Clone, Debug, Default)]
#[doc(hidden)]
pub struct Placed {
    /// Its outputs' gained copies (`Layout::gains[gains.0..gains.1]`).
    gains: (u32, u32),
    /// Bit `min(pass, 63)`: it computes its outputs in that pass (in every
    /// pass from 63 on if the bit 63 is set: recomputing outputs is
    /// harmless, and composites so deep are rare).
    passes: u64,
    /// Some output reads an input directly.
    feedthrough: bool,
    /// Neither feedthrough nor gained outputs: its outputs are of its
    /// states alone and are set as they are (the common case, tested
    /// once).
    plain: bool,
    /// Its event functions among the composite's.
    events: (u32, u32),
}

/// The output pass of a composite whose order of addition computes every
/// output after the outputs it reads: every subsystem, in that order.
pub(crate) const ONE_PASS: usize = usize::MAX;

impl Placed {
    #[inline(always)]
    fn runs(&self, pass: usize) -> bool {
        pass == ONE_PASS || self.passes >> pass.min(63) & 1 == 1
    }
}

/// Where a subsystem's states, parameters, wires (its inputs' sources)
/// and outputs (in the signal buffer) begin: the sums of the counts of
/// the subsystems added before it, as the layout places them. Summed
/// along the typed list from each model's own counts, so that for models
/// whose counts are constants every offset is a constant after inlining,
/// and its ranges need no bounds checks inside the composite's totals.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct At {
    pub states: usize,
    pub params: usize,
    pub wires: usize,
    pub outputs: usize,
}

impl At {
    /// Where the subsystem after `m` begins, if `m` begins here.
    #[inline(always)]
    fn after<M: Model>(self, m: &M) -> At {
        At {
            states: self.states + m.dim().value(),
            params: self.params + m.n_params(),
            wires: self.wires + m.n_inputs(),
            outputs: self.outputs + m.n_outputs(),
        }
    }

    /// Subsystem `m`'s states and parameters in the composite's.
    #[inline(always)]
    fn states_params<M: Model>(self, m: &M) -> (Range<usize>, Range<usize>) {
        (self.states..self.states + m.dim().value(), self.params..self.params + m.n_params())
    }
}

#[allow(private_interfaces)]
impl Parts for Nil {
    fn count(&self) -> usize {
        0
    }
    fn describe(&self, _: &mut Vec<PartInfo>) {}
    fn install(&mut self, _: &Layout) {}
    #[inline(always)]
    fn end(&self) -> At {
        At::default()
    }
    #[inline(always)]
    fn outputs_at<D: DualScalar>(&self, _: usize, _: &mut Eval<'_, D>) -> At {
        At::default()
    }
    #[inline(always)]
    fn rhs<D: DualScalar>(&self, _: &mut Eval<'_, D>, _: &mut [D]) -> At {
        At::default()
    }
    #[inline(always)]
    fn event_values<D: DualScalar>(&self, _: &mut Eval<'_, D>, _: &mut [D]) -> At {
        At::default()
    }
    fn reset<D: DualScalar>(&self, _: usize, _: Cause, _: D, _: &mut [D], _: &[D], _: &mut [bool]) {}
}

#[allow(private_interfaces)]
impl<H: Model, T: Parts> Parts for Cons<H, T>
where
    DefaultAllocator: Allocator<H::Dim>,
{
    #[inline(always)]
    fn count(&self) -> usize {
        self.tail.count() + 1
    }

    fn describe(&self, out: &mut Vec<PartInfo>) {
        self.tail.describe(out);
        out.push(info(&self.head));
    }

    fn install(&mut self, layout: &Layout) {
        self.tail.install(layout);
        self.at = place(&self.head, layout, self.tail.count());
    }

    #[inline(always)]
    fn end(&self) -> At {
        self.tail.end().after(&self.head)
    }

    #[inline(always)]
    fn outputs_at<D: DualScalar>(&self, level: usize, e: &mut Eval<'_, D>) -> At {
        let at = self.tail.outputs_at(level, e);
        outputs_of(&self.head, at, &self.at, level, e);
        at.after(&self.head)
    }

    #[inline(always)]
    fn rhs<D: DualScalar>(&self, e: &mut Eval<'_, D>, dx: &mut [D]) -> At {
        let at = self.tail.rhs(e, dx);
        rhs_of(&self.head, at, e, dx);
        at.after(&self.head)
    }

    fn event_values<D: DualScalar>(&self, e: &mut Eval<'_, D>, g: &mut [D]) -> At {
        let at = self.tail.event_values(e, g);
        event_values_of(&self.head, at, &self.at, e, g);
        at.after(&self.head)
    }

    fn reset<D: DualScalar>(&self, part: usize, cause: Cause, t: D, x: &mut [D], p: &[D], armed: &mut [bool]) {
        if part != self.tail.count() {
            return self.tail.reset(part, cause, t, x, p, armed);
        }
        reset_of(&self.head, cause, t, x, p, armed);
    }
}

#[allow(private_interfaces)]
impl<M: Model> Parts for Many<M>
where
    DefaultAllocator: Allocator<M::Dim>,
{
    fn count(&self) -> usize {
        self.parts.len()
    }

    fn describe(&self, out: &mut Vec<PartInfo>) {
        out.extend(self.parts.iter().map(|(m, _)| info(m)));
    }

    fn install(&mut self, layout: &Layout) {
        for (k, (m, at)) in self.parts.iter_mut().enumerate() {
            *at = place(m, layout, k);
        }
        self.end = self.parts.iter().fold(At::default(), |at, (m, _)| at.after(m));
    }

    fn end(&self) -> At {
        self.end
    }

    fn outputs_at<D: DualScalar>(&self, level: usize, e: &mut Eval<'_, D>) -> At {
        self.parts.iter().fold(At::default(), |at, (m, placed)| {
            outputs_of(m, at, placed, level, e);
            at.after(m)
        })
    }

    fn rhs<D: DualScalar>(&self, e: &mut Eval<'_, D>, dx: &mut [D]) -> At {
        self.parts.iter().fold(At::default(), |at, (m, _)| {
            rhs_of(m, at, e, dx);
            at.after(m)
        })
    }

    fn event_values<D: DualScalar>(&self, e: &mut Eval<'_, D>, g: &mut [D]) -> At {
        self.parts.iter().fold(At::default(), |at, (m, placed)| {
            event_values_of(m, at, placed, e, g);
            at.after(m)
        })
    }

    fn reset<D: DualScalar>(&self, part: usize, cause: Cause, t: D, x: &mut [D], p: &[D], armed: &mut [bool]) {
        if let Some((m, _)) = self.parts.get(part) {
            reset_of(m, cause, t, x, p, armed);
        }
    }
}

/// What the composite reads of subsystem `m` when it is built.
fn info<M: Model>(m: &M) -> PartInfo {
    let feedthrough = (0..m.n_outputs()).map(|o| (0..m.n_inputs()).map(|i| m.feedthrough(o, i)).collect()).collect();
    PartInfo {
        states: m.state_names(),
        params: m.param_names(),
        inputs: m.input_names(),
        outputs: m.output_names(),
        counts: [m.dim().value(), m.n_params(), m.n_inputs(), m.n_outputs()],
        feedthrough,
        events: m.events(),
        schedule: m.schedule(),
        mass: m.mass(),
    }
}

/// Subsystem `m`'s place as the `k`-th subsystem of `layout` (whose
/// offsets fit `u32`: [`Layout::new`] checks).
fn place<M: Model>(m: &M, layout: &Layout, k: usize) -> Placed {
    let slot = &layout.parts[k];
    let owned = |g: &Gain| slot.outputs.contains(&(g.from as usize));
    let first = layout.gains.iter().position(owned).unwrap_or(0);
    let count = layout.gains.iter().filter(|g| owned(g)).count();
    let feedthrough = (0..m.n_outputs()).any(|o| (0..m.n_inputs()).any(|i| m.feedthrough(o, i)));
    Placed {
        gains: (first as u32, (first + count) as u32),
        passes: (0..layout.levels).filter(|&l| layout.runs(l, k)).fold(0, |m, l| m | 1 << l.min(63)),
        feedthrough,
        plain: !feedthrough && count == 0,
        events: (slot.events.start as u32, slot.events.end as u32),
    }
}

/// Subsystem `m`'s outputs, if it computes them in pass `level`.
#[inline(always)]
fn outputs_of<D: DualScalar, M: Model>(m: &M, at: At, placed: &Placed, level: usize, e: &mut Eval<'_, D>)
where
    DefaultAllocator: Allocator<M::Dim>,
{
    if !placed.runs(level) {
        return;
    }
    let (xs, ps) = at.states_params(m);
    let (t, x, p) = (e.t, local(m, &e.x[xs]), &e.p[ps]);
    let ys = at.outputs..at.outputs + m.n_outputs();
    if placed.feedthrough {
        e.with_inputs(m, at, |u, sig| m.outputs(t, &x, u, p, &mut sig[ys]));
    } else {
        // Outputs of the states alone: the inputs are not read (zeros, or
        // whatever the input buffer holds).
        let n = m.n_inputs();
        match n <= FEW_INPUTS {
            true => m.outputs(t, &x, &[D::from(0.0); FEW_INPUTS][..n], p, &mut e.sig[ys]),
            false => m.outputs(t, &x, &e.ins[..n], p, &mut e.sig[ys]),
        }
        if placed.plain {
            return;
        }
    }
    e.gains_of(placed);
}

/// Subsystem `m`'s derivatives into its slice of `dx`.
#[inline(always)]
fn rhs_of<D: DualScalar, M: Model>(m: &M, at: At, e: &mut Eval<'_, D>, dx: &mut [D])
where
    DefaultAllocator: Allocator<M::Dim>,
{
    let (xs, ps) = at.states_params(m);
    let (t, x, p) = (e.t, local(m, &e.x[xs.clone()]), &e.p[ps]);
    let mut f = x.clone();
    e.with_inputs(m, at, |u, _| m.rhs(t, &x, u, p, &mut f));
    dx[xs].copy_from_slice(f.as_slice());
}

/// Subsystem `m`'s event functions into its slice of `g`.
fn event_values_of<D: DualScalar, M: Model>(m: &M, at: At, placed: &Placed, e: &mut Eval<'_, D>, g: &mut [D])
where
    DefaultAllocator: Allocator<M::Dim>,
{
    let events = placed.events.0 as usize..placed.events.1 as usize;
    if events.is_empty() {
        return;
    }
    let (xs, ps) = at.states_params(m);
    let (t, x, p) = (e.t, local(m, &e.x[xs]), &e.p[ps]);
    e.with_inputs(m, at, |u, _| m.event_values(t, &x, u, p, &mut g[events]));
}

/// Subsystem `m`'s reset on its states `x` and parameters `p`.
fn reset_of<D: DualScalar, M: Model>(m: &M, cause: Cause, t: D, x: &mut [D], p: &[D], armed: &mut [bool])
where
    DefaultAllocator: Allocator<M::Dim>,
{
    let mut local = local(m, x);
    m.reset(cause, t, &mut local, p, armed);
    // A reset keeps the dimension (`Model::reset`); copy what is there.
    for (xi, &v) in x.iter_mut().zip(local.iter()) {
        *xi = v;
    }
}

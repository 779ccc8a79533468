//! The subsystems of a composite as a typed list (`Cons<Model, Cons<…,
//! Nil>>`), so that each one's methods are known at compile time and a
//! pass over them is straight-line code after inlining.

use super::layout::{Layout, Slot, Source};
use crate::DualScalar;
use crate::events::{Cause, Event, Schedule};
use crate::integrate::MassMatrix;
use crate::system::{Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, U1};

/// What a composite needs to know of one subsystem, read once when it is
/// built.
#[derive(Clone, Debug)]
pub(crate) struct PartInfo {
    pub states: Vec<String>,
    pub params: Vec<String>,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// `feedthrough[o][i]`: output `o` reads input `i` directly.
    pub feedthrough: Vec<Vec<bool>>,
    pub events: Vec<Event>,
    pub schedule: Schedule,
    pub mass: Option<MassMatrix>,
}

/// One evaluation of a composite: its time, states, external inputs and
/// parameters, and the signal buffers (every subsystem's outputs, and its
/// inputs gathered from them).
pub(crate) struct Eval<'a, D> {
    pub t: D,
    pub x: &'a [D],
    pub u: &'a [D],
    pub p: &'a [D],
    pub outs: &'a mut [D],
    pub ins: &'a mut [D],
}

impl<D: DualScalar> Eval<'_, D> {
    /// Gather a subsystem's inputs (from `first` on) from their sources.
    #[inline(always)]
    fn gather(&mut self, first: usize, sources: &[Source]) {
        for (slot, source) in self.ins[first..].iter_mut().zip(sources) {
            *slot = match *source {
                Source::Output { index, gain: None } => self.outs[index],
                Source::Output { index, gain: Some(g) } => self.outs[index] * g,
                Source::External(e) => self.u[e],
                Source::Fixed(v) => D::from(v),
            };
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
    let mut local = State::from_element_generic(model.dim(), U1, D::from(0.0));
    local.as_mut_slice().copy_from_slice(x);
    local
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

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn outputs_at<D: DualScalar>(&self, level: usize, e: &mut Eval<'_, D>);

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn rhs<D: DualScalar>(&self, e: &mut Eval<'_, D>, dx: &mut [D]);

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn event_values<D: DualScalar>(&self, e: &mut Eval<'_, D>, g: &mut [D]);

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
}

/// A subsystem's place in its composite: its ranges, where its inputs
/// come from, and in which output passes it runs — kept beside the
/// subsystem so that an evaluation looks nothing up.
#[derive(Clone, Debug, Default)]
#[doc(hidden)]
pub struct Placed {
    slot: Slot,
    sources: Vec<Source>,
    /// `runs[level]`: it computes its outputs in that pass.
    runs: Vec<bool>,
    /// Some output reads an input directly.
    feedthrough: bool,
}

#[allow(private_interfaces)]
impl Parts for Nil {
    fn count(&self) -> usize {
        0
    }
    fn describe(&self, _: &mut Vec<PartInfo>) {}
    fn install(&mut self, _: &Layout) {}
    fn outputs_at<D: DualScalar>(&self, _: usize, _: &mut Eval<'_, D>) {}
    fn rhs<D: DualScalar>(&self, _: &mut Eval<'_, D>, _: &mut [D]) {}
    fn event_values<D: DualScalar>(&self, _: &mut Eval<'_, D>, _: &mut [D]) {}
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
    fn outputs_at<D: DualScalar>(&self, level: usize, e: &mut Eval<'_, D>) {
        self.tail.outputs_at(level, e);
        outputs_of(&self.head, &self.at, level, e);
    }

    #[inline(always)]
    fn rhs<D: DualScalar>(&self, e: &mut Eval<'_, D>, dx: &mut [D]) {
        self.tail.rhs(e, dx);
        rhs_of(&self.head, &self.at, e, dx);
    }

    fn event_values<D: DualScalar>(&self, e: &mut Eval<'_, D>, g: &mut [D]) {
        self.tail.event_values(e, g);
        event_values_of(&self.head, &self.at, e, g);
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
    }

    fn outputs_at<D: DualScalar>(&self, level: usize, e: &mut Eval<'_, D>) {
        for (m, at) in &self.parts {
            outputs_of(m, at, level, e);
        }
    }

    fn rhs<D: DualScalar>(&self, e: &mut Eval<'_, D>, dx: &mut [D]) {
        for (m, at) in &self.parts {
            rhs_of(m, at, e, dx);
        }
    }

    fn event_values<D: DualScalar>(&self, e: &mut Eval<'_, D>, g: &mut [D]) {
        for (m, at) in &self.parts {
            event_values_of(m, at, e, g);
        }
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
        feedthrough,
        events: m.events(),
        schedule: m.schedule(),
        mass: m.mass(),
    }
}

/// Subsystem `m`'s place as the `k`-th subsystem of `layout`.
fn place<M: Model>(m: &M, layout: &Layout, k: usize) -> Placed {
    let slot = layout.parts[k].clone();
    Placed {
        sources: layout.sources[slot.inputs.clone()].to_vec(),
        runs: (0..layout.levels).map(|level| layout.runs(level, k)).collect(),
        feedthrough: (0..m.n_outputs()).any(|o| (0..m.n_inputs()).any(|i| m.feedthrough(o, i))),
        slot,
    }
}

/// Subsystem `m`'s outputs, if it computes them in pass `level`.
#[inline(always)]
fn outputs_of<D: DualScalar, M: Model>(m: &M, at: &Placed, level: usize, e: &mut Eval<'_, D>)
where
    DefaultAllocator: Allocator<M::Dim>,
{
    if !at.runs.get(level).copied().unwrap_or(false) {
        return;
    }
    if at.feedthrough {
        e.gather(at.slot.inputs.start, &at.sources);
    }
    let slot = &at.slot;
    let x = local(m, &e.x[slot.states.clone()]);
    m.outputs(e.t, &x, &e.ins[slot.inputs.clone()], &e.p[slot.params.clone()], &mut e.outs[slot.outputs.clone()]);
}

/// Subsystem `m`'s derivatives into its slice of `dx`.
#[inline(always)]
fn rhs_of<D: DualScalar, M: Model>(m: &M, at: &Placed, e: &mut Eval<'_, D>, dx: &mut [D])
where
    DefaultAllocator: Allocator<M::Dim>,
{
    let slot = &at.slot;
    e.gather(slot.inputs.start, &at.sources);
    let x = local(m, &e.x[slot.states.clone()]);
    let mut f = x.clone();
    m.rhs(e.t, &x, &e.ins[slot.inputs.clone()], &e.p[slot.params.clone()], &mut f);
    dx[slot.states.clone()].copy_from_slice(f.as_slice());
}

/// Subsystem `m`'s event functions into its slice of `g`.
fn event_values_of<D: DualScalar, M: Model>(m: &M, at: &Placed, e: &mut Eval<'_, D>, g: &mut [D])
where
    DefaultAllocator: Allocator<M::Dim>,
{
    let slot = &at.slot;
    if slot.events.is_empty() {
        return;
    }
    e.gather(slot.inputs.start, &at.sources);
    let x = local(m, &e.x[slot.states.clone()]);
    m.event_values(e.t, &x, &e.ins[slot.inputs.clone()], &e.p[slot.params.clone()], &mut g[slot.events.clone()]);
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

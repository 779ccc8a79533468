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

/// A typed list of subsystems (see [`Composite`](super::Composite)); not
/// implemented outside odeon.
pub trait Parts: sealed::Sealed {
    /// The number of subsystems.
    const COUNT: usize;

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
    const COUNT: usize = 0;
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
    const COUNT: usize = T::COUNT + 1;

    fn describe(&self, out: &mut Vec<PartInfo>) {
        self.tail.describe(out);
        let m = &self.head;
        let feedthrough =
            (0..m.n_outputs()).map(|o| (0..m.n_inputs()).map(|i| m.feedthrough(o, i)).collect()).collect();
        out.push(PartInfo {
            states: m.state_names(),
            params: m.param_names(),
            inputs: m.input_names(),
            outputs: m.output_names(),
            feedthrough,
            events: m.events(),
            schedule: m.schedule(),
            mass: m.mass(),
        });
    }

    fn install(&mut self, layout: &Layout) {
        self.tail.install(layout);
        let k = T::COUNT;
        let slot = layout.parts[k].clone();
        self.at = Placed {
            sources: layout.sources[slot.inputs.clone()].to_vec(),
            runs: (0..layout.levels).map(|level| layout.runs(level, k)).collect(),
            feedthrough: (0..self.head.n_outputs())
                .any(|o| (0..self.head.n_inputs()).any(|i| self.head.feedthrough(o, i))),
            slot,
        };
    }

    #[inline(always)]
    fn outputs_at<D: DualScalar>(&self, level: usize, e: &mut Eval<'_, D>) {
        self.tail.outputs_at(level, e);
        let at = &self.at;
        if !at.runs.get(level).copied().unwrap_or(false) {
            return;
        }
        if at.feedthrough {
            e.gather(at.slot.inputs.start, &at.sources);
        }
        let slot = &at.slot;
        let x = local(&self.head, &e.x[slot.states.clone()]);
        self.head.outputs(
            e.t,
            &x,
            &e.ins[slot.inputs.clone()],
            &e.p[slot.params.clone()],
            &mut e.outs[slot.outputs.clone()],
        );
    }

    #[inline(always)]
    fn rhs<D: DualScalar>(&self, e: &mut Eval<'_, D>, dx: &mut [D]) {
        self.tail.rhs(e, dx);
        let (slot, sources) = (&self.at.slot, &self.at.sources);
        e.gather(slot.inputs.start, sources);
        let x = local(&self.head, &e.x[slot.states.clone()]);
        let mut f = x.clone();
        self.head.rhs(e.t, &x, &e.ins[slot.inputs.clone()], &e.p[slot.params.clone()], &mut f);
        dx[slot.states.clone()].copy_from_slice(f.as_slice());
    }

    fn event_values<D: DualScalar>(&self, e: &mut Eval<'_, D>, g: &mut [D]) {
        self.tail.event_values(e, g);
        let (slot, sources) = (&self.at.slot, &self.at.sources);
        if slot.events.is_empty() {
            return;
        }
        e.gather(slot.inputs.start, sources);
        let x = local(&self.head, &e.x[slot.states.clone()]);
        self.head.event_values(
            e.t,
            &x,
            &e.ins[slot.inputs.clone()],
            &e.p[slot.params.clone()],
            &mut g[slot.events.clone()],
        );
    }

    fn reset<D: DualScalar>(&self, part: usize, cause: Cause, t: D, x: &mut [D], p: &[D], armed: &mut [bool]) {
        if part != T::COUNT {
            return self.tail.reset(part, cause, t, x, p, armed);
        }
        let mut local = local(&self.head, x);
        self.head.reset(cause, t, &mut local, p, armed);
        // A reset keeps the dimension (`Model::reset`); copy what is there.
        for (xi, &v) in x.iter_mut().zip(local.iter()) {
            *xi = v;
        }
    }
}

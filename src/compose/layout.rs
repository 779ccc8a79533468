//! A composite's cached layout: where each subsystem's states,
//! parameters, signals and events live, where each input takes its value
//! from, and in which order outputs are computed — all resolved from
//! names once, when the composite is built.

use super::parts::PartInfo;
use crate::Error;
use crate::events::{Action, Event, Quantity, Schedule, Stop};
use crate::integrate::MassMatrix;
use std::ops::Range;

/// Where an input takes its value from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Source {
    /// Output `index` of the signal buffer, times an optional gain.
    Output { index: usize, gain: Option<f64> },
    /// The composite's external input `e`.
    External(usize),
    /// A fixed value.
    Fixed(f64),
}

/// A connection's gain: signal slot `to` holds output `from` times `gain`,
/// set when the output is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Gain {
    pub from: u32,
    pub to: u32,
    pub gain: f64,
}

/// One subsystem's ranges in the composite's vectors.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slot {
    pub states: Range<usize>,
    pub params: Range<usize>,
    pub inputs: Range<usize>,
    pub outputs: Range<usize>,
    pub events: Range<usize>,
    /// Its stops, numbered as `Cause::Stop` numbers them (each repetition
    /// of a series counted).
    pub stops: Range<usize>,
}

/// The wiring a builder collected, by path.
#[derive(Clone, Debug, Default)]
pub(crate) struct Wiring {
    /// `(output, input, gain)`.
    pub connections: Vec<(String, String, Option<f64>)>,
    pub externals: Vec<String>,
    pub fixed: Vec<(String, f64)>,
}

/// Everything a composite evaluates with, resolved from names.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub names: Vec<String>,
    pub parts: Vec<Slot>,
    /// Where each input of every subsystem (in order) reads in the signal
    /// buffer: every output, then the external inputs, then the fixed
    /// values, then the outputs times a gain.
    pub wires: Vec<u32>,
    /// The gained outputs, by owner.
    pub gains: Vec<Gain>,
    pub n_states: usize,
    pub n_params: usize,
    pub n_outputs: usize,
    /// Number of passes over the subsystems that compute outputs.
    pub levels: usize,
    /// `run[level · parts + k]`: subsystem `k` computes outputs in pass
    /// `level`.
    run: Vec<bool>,
    /// The distinct fixed input values.
    pub fixed: Vec<f64>,
    /// `feedthrough[o][e]`: output `o` reads external input `e` directly.
    pub feedthrough: Vec<Vec<bool>>,
    pub state_names: Vec<String>,
    pub param_names: Vec<String>,
    pub input_names: Vec<String>,
    pub output_names: Vec<String>,
    pub events: Vec<Event>,
    pub schedule: Schedule,
    pub mass: Option<MassMatrix>,
}

impl Layout {
    /// The slots of the signal buffer: every output, then the external
    /// inputs, then the fixed values, then the gained outputs.
    pub fn n_signals(&self) -> usize {
        self.n_outputs + self.input_names.len() + self.fixed.len() + self.gains.len()
    }

    /// The length of an evaluation's buffer: the signals, then room for
    /// the inputs of the subsystem with the most, if it has more than
    /// `few` (fewer are gathered on the stack).
    pub fn n_buffer(&self, few: usize) -> usize {
        let most = self.parts.iter().map(|s| s.inputs.len()).max().unwrap_or(0);
        self.n_signals() + if most > few { most } else { 0 }
    }

    /// Whether subsystem `k` computes outputs in pass `level`.
    #[inline]
    pub fn runs(&self, level: usize, k: usize) -> bool {
        self.run[level * self.parts.len() + k]
    }

    /// Resolve `wiring` over the subsystems `names` described by `infos`.
    pub fn new(names: Vec<String>, infos: &[PartInfo], wiring: &Wiring) -> Result<Layout, Error> {
        check_names(&names)?;
        check_counts(&names, infos)?;
        let parts = slots(infos);
        check_mass(&names, infos, &parts)?;
        let ports = Ports { names: &names, infos, parts: &parts };
        let sources = ports.sources(wiring)?;
        let owner = |o: usize| parts.iter().position(|s| s.outputs.contains(&o)).unwrap_or(0);
        let n_outputs = parts.last().map_or(0, |s| s.outputs.end);
        // Output o depends on the outputs feeding the inputs it reads directly.
        let deps: Vec<Vec<Source>> = (0..n_outputs)
            .map(|o| {
                let (k, slot) = (owner(o), &parts[owner(o)]);
                let row = &infos[k].feedthrough[o - slot.outputs.start];
                slot.inputs.clone().filter(|&j| row[j - slot.inputs.start]).map(|j| sources[j]).collect()
            })
            .collect();
        let (level, order) =
            levels(&deps).map_err(|cycle| Error::AlgebraicLoop { systems: loop_systems(&cycle, &names, owner) })?;
        // One pass in the order added when every output reads directly only
        // outputs of subsystems added before its own; else pass after pass.
        let in_order = deps.iter().enumerate().all(|(o, reads)| {
            reads.iter().all(|s| !matches!(*s, Source::Output { index, .. } if owner(index) >= owner(o)))
        });
        let level = match in_order {
            true => vec![0; n_outputs],
            false => level,
        };
        let levels = level.iter().max().map_or(0, |&l| l + 1);
        let mut run = vec![false; levels * parts.len()];
        for (o, &l) in level.iter().enumerate() {
            run[l * parts.len() + owner(o)] = true;
        }
        let feedthrough = reach(&deps, &order, wiring.externals.len());
        let path = |k: usize, name: &String| format!("{}.{name}", names[k]);
        let all = |f: fn(&PartInfo) -> &Vec<String>| -> Vec<String> {
            infos.iter().enumerate().flat_map(|(k, info)| f(info).iter().map(move |n| path(k, n))).collect()
        };
        // Signal indices are `u32` (checked by `wires`), and so are the
        // event ranges the subsystems keep.
        if parts.last().is_some_and(|s| s.events.end > u32::MAX as usize) {
            return Err(invalid("composite", "more than 2³² event functions"));
        }
        let Signals { wires, fixed, gains } = wires(&sources, n_outputs, wiring.externals.len(), owner)?;
        Ok(Layout {
            wires,
            gains,
            fixed,
            n_states: parts.last().map_or(0, |s| s.states.end),
            n_params: parts.last().map_or(0, |s| s.params.end),
            n_outputs,
            levels,
            run,
            feedthrough,
            state_names: all(|i| &i.states),
            param_names: all(|i| &i.params),
            input_names: wiring.externals.clone(),
            output_names: all(|i| &i.outputs),
            events: infos.iter().flat_map(|i| i.events.iter().cloned()).collect(),
            schedule: schedule(infos, &parts),
            mass: mass(infos, &parts),
            parts,
            names,
        })
    }

    /// The subsystem that owns event `i` and its own number for it.
    pub fn event_owner(&self, i: usize) -> Option<(usize, usize)> {
        self.parts.iter().position(|s| s.events.contains(&i)).map(|k| (k, i - self.parts[k].events.start))
    }

    /// The subsystem that owns stop `i` and its own number for it.
    pub fn stop_owner(&self, i: usize) -> Option<(usize, usize)> {
        self.parts.iter().position(|s| s.stops.contains(&i)).map(|k| (k, i - self.parts[k].stops.start))
    }
}

fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidComposite { path: path.into(), reason: reason.into() }
}

fn check_names(names: &[String]) -> Result<(), Error> {
    for (k, name) in names.iter().enumerate() {
        if name.is_empty() || name.contains('.') || name.contains(char::is_whitespace) {
            return Err(invalid(name, "a subsystem's name must be non-empty, without dots or spaces"));
        }
        if names[..k].contains(name) {
            return Err(invalid(name, "two subsystems have this name"));
        }
    }
    Ok(())
}

/// A subsystem names each of its states, parameters, inputs and outputs
/// once.
fn check_counts(names: &[String], infos: &[PartInfo]) -> Result<(), Error> {
    for (name, info) in names.iter().zip(infos) {
        let named = [&info.states, &info.params, &info.inputs, &info.outputs];
        let kinds = ["states", "parameters", "inputs", "outputs"];
        for ((list, &count), kind) in named.iter().zip(&info.counts).zip(kinds) {
            if list.len() != count {
                return Err(invalid(name, format!("it has {count} {kind} but names {}", list.len())));
            }
        }
    }
    Ok(())
}

/// A subsystem's mass matrix must fit its states.
fn check_mass(names: &[String], infos: &[PartInfo], parts: &[Slot]) -> Result<(), Error> {
    for ((name, info), slot) in names.iter().zip(infos).zip(parts) {
        let n = slot.states.len();
        let fits = match &info.mass {
            None => true,
            Some(MassMatrix::Diagonal(d)) => d.len() == n,
            Some(MassMatrix::Sparse(e)) => e.iter().all(|&(r, c, _)| r < n && c < n),
        };
        if !fits {
            return Err(invalid(name, format!("its mass matrix does not fit its {n} states")));
        }
    }
    Ok(())
}

/// Each subsystem's ranges, in the order added.
fn slots(infos: &[PartInfo]) -> Vec<Slot> {
    let mut end = Slot::default();
    let grow = |r: &Range<usize>, n: usize| r.end..r.end + n;
    infos
        .iter()
        .map(|info| {
            let stops = info.schedule.stops().iter().map(|s| s.count).sum();
            end = Slot {
                states: grow(&end.states, info.states.len()),
                params: grow(&end.params, info.params.len()),
                inputs: grow(&end.inputs, info.inputs.len()),
                outputs: grow(&end.outputs, info.outputs.len()),
                events: grow(&end.events, info.events.len()),
                stops: grow(&end.stops, stops),
            };
            end.clone()
        })
        .collect()
}

/// Name resolution of `"subsystem.port"` paths.
struct Ports<'a> {
    names: &'a [String],
    infos: &'a [PartInfo],
    parts: &'a [Slot],
}

impl Ports<'_> {
    /// The index of the port `path` among all inputs (or outputs) of the
    /// subsystems.
    fn find(&self, path: &str, input: bool) -> Result<usize, Error> {
        let kind = if input { "input" } else { "output" };
        let (part, port) =
            path.split_once('.').ok_or_else(|| invalid(path, format!("expected an {kind} as `subsystem.{kind}`")))?;
        let k = self.names.iter().position(|n| n == part).ok_or_else(|| {
            invalid(path, format!("no subsystem named {part:?}; subsystems: {}", self.names.join(", ")))
        })?;
        let (ports, range) = match input {
            true => (&self.infos[k].inputs, &self.parts[k].inputs),
            false => (&self.infos[k].outputs, &self.parts[k].outputs),
        };
        let mut hits = ports.iter().enumerate().filter(|(_, n)| *n == port);
        match (hits.next(), hits.next()) {
            (Some((j, _)), None) => Ok(range.start + j),
            (Some(_), Some(_)) => Err(invalid(path, format!("{part} has two {kind}s named {port:?}"))),
            (None, _) => Err(invalid(
                path,
                match ports.is_empty() {
                    true => format!("{part} has no {kind}s"),
                    false => format!("{part} has no {kind} {port:?}; its {kind}s: {}", ports.join(", ")),
                },
            )),
        }
    }

    /// The path of input `j` (over all subsystems).
    fn input_path(&self, j: usize) -> String {
        let k = self.parts.iter().position(|s| s.inputs.contains(&j)).unwrap_or(0);
        format!("{}.{}", self.names[k], self.infos[k].inputs[j - self.parts[k].inputs.start])
    }

    /// Where every input takes its value from.
    fn sources(&self, wiring: &Wiring) -> Result<Vec<Source>, Error> {
        let n_inputs = self.parts.last().map_or(0, |s| s.inputs.end);
        let mut sources: Vec<Option<Source>> = vec![None; n_inputs];
        let mut set = |path: &str, source: Source| -> Result<(), Error> {
            let j = self.find(path, true)?;
            match sources[j].replace(source) {
                Some(_) => Err(invalid(path, "this input is connected, declared external or fixed more than once")),
                None => Ok(()),
            }
        };
        for (from, to, gain) in &wiring.connections {
            set(to, Source::Output { index: self.find(from, false)?, gain: *gain })?;
        }
        for (e, path) in wiring.externals.iter().enumerate() {
            set(path, Source::External(e))?;
        }
        for (path, value) in &wiring.fixed {
            if !value.is_finite() {
                return Err(invalid(path, format!("fixed value {value} is not finite")));
            }
            set(path, Source::Fixed(*value))?;
        }
        if let Some(gain) = wiring.connections.iter().find_map(|c| c.2.filter(|g| !g.is_finite())) {
            return Err(invalid("connection", format!("gain {gain} is not finite")));
        }
        let free: Vec<String> = (0..n_inputs).filter(|&j| sources[j].is_none()).map(|j| self.input_path(j)).collect();
        if !free.is_empty() {
            return Err(Error::FreeInputs { inputs: free.join(", ") });
        }
        Ok(sources.into_iter().flatten().collect())
    }
}

/// Where each input reads in the signal buffer (`n_outputs` outputs, then
/// `n_external` external inputs, then the fixed values, then the gained
/// outputs), the distinct fixed values and the gained outputs (by their
/// owner, `owner(o)` owning output `o`).
fn wires(
    sources: &[Source],
    n_outputs: usize,
    n_external: usize,
    owner: impl Fn(usize) -> usize,
) -> Result<Signals, Error> {
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
    let mut fixed: Vec<f64> = Vec::new();
    for s in sources {
        if let Source::Fixed(v) = *s
            && !fixed.iter().any(|&f| same(f, v))
        {
            fixed.push(v);
        }
    }
    let mut gains: Vec<Gain> = Vec::new();
    for s in sources {
        if let Source::Output { index, gain: Some(g) } = *s
            && !gains.iter().any(|x| x.from as usize == index && same(x.gain, g))
        {
            gains.push(Gain { from: index as u32, to: 0, gain: g });
        }
    }
    gains.sort_by_key(|g| owner(g.from as usize));
    let first_gain = n_outputs + n_external + fixed.len();
    if first_gain + gains.len() > u32::MAX as usize {
        return Err(invalid("composite", "more than 2³² signals"));
    }
    for (k, g) in gains.iter_mut().enumerate() {
        g.to = (first_gain + k) as u32;
    }
    let wires = sources
        .iter()
        .map(|s| match *s {
            Source::Output { index, gain: None } => index,
            Source::Output { index, gain: Some(v) } => {
                first_gain + gains.iter().position(|x| x.from as usize == index && same(x.gain, v)).unwrap_or(0)
            }
            Source::External(e) => n_outputs + e,
            Source::Fixed(v) => n_outputs + n_external + fixed.iter().position(|&f| same(f, v)).unwrap_or(0),
        } as u32)
        .collect();
    Ok(Signals { wires, fixed, gains })
}

/// What [`wires`] finds: see the fields of [`Layout`] of the same names.
struct Signals {
    wires: Vec<u32>,
    fixed: Vec<f64>,
    gains: Vec<Gain>,
}

/// The pass in which each output is computed (one more than the latest
/// output it reads directly), and the outputs in an order where each
/// comes after those it reads; or, for an algebraic loop, the outputs on
/// it. Iterative, so a long chain does not overflow the stack.
fn levels(deps: &[Vec<Source>]) -> Result<(Vec<usize>, Vec<usize>), Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let n = deps.len();
    let (mut mark, mut level, mut order) = (vec![Mark::New; n], vec![0; n], Vec::with_capacity(n));
    let reads = |o: usize| {
        deps[o].iter().filter_map(|s| match s {
            Source::Output { index, .. } => Some(*index),
            _ => None,
        })
    };
    for root in 0..n {
        if mark[root] != Mark::New {
            continue;
        }
        // (output, how many of its dependencies were visited)
        let mut stack = vec![(root, 0)];
        mark[root] = Mark::Open;
        while let Some(&mut (o, ref mut next)) = stack.last_mut() {
            match reads(o).nth(*next) {
                Some(d) => {
                    *next += 1;
                    match mark[d] {
                        Mark::New => {
                            mark[d] = Mark::Open;
                            stack.push((d, 0));
                        }
                        Mark::Open => {
                            let from = stack.iter().position(|&(s, _)| s == d).unwrap_or(0);
                            return Err(stack[from..].iter().map(|&(s, _)| s).collect());
                        }
                        Mark::Done => {}
                    }
                }
                None => {
                    level[o] = reads(o).map(|d| level[d] + 1).max().unwrap_or(0);
                    mark[o] = Mark::Done;
                    order.push(o);
                    stack.pop();
                }
            }
        }
    }
    Ok((level, order))
}

/// The subsystems on a loop of outputs, in order, each named once.
fn loop_systems(cycle: &[usize], names: &[String], owner: impl Fn(usize) -> usize) -> Vec<String> {
    let mut systems: Vec<String> = Vec::new();
    for &o in cycle {
        let name = &names[owner(o)];
        if !systems.contains(name) {
            systems.push(name.clone());
        }
    }
    systems
}

/// `reach[o][e]`: output `o` reads external input `e` directly, through
/// any chain of direct feedthrough; `order` puts every output after those
/// it reads.
fn reach(deps: &[Vec<Source>], order: &[usize], n_external: usize) -> Vec<Vec<bool>> {
    let mut reach = vec![vec![false; n_external]; deps.len()];
    for &o in order {
        for s in &deps[o] {
            match *s {
                Source::External(e) => reach[o][e] = true,
                Source::Output { index, .. } => {
                    let from = reach[index].clone();
                    for (r, f) in reach[o].iter_mut().zip(from) {
                        *r |= f;
                    }
                }
                Source::Fixed(_) => {}
            }
        }
    }
    reach
}

/// The subsystems' stops, moved to the composite's states and parameters.
fn schedule(infos: &[PartInfo], parts: &[Slot]) -> Schedule {
    let mut schedule = Schedule::new();
    for (info, slot) in infos.iter().zip(parts) {
        let q = |q: Quantity| match q {
            Quantity::Param(i) => Quantity::Param(slot.params.start + i),
            v => v,
        };
        for stop in info.schedule.stops() {
            let action = match stop.action {
                Action::Add { component, amount } => {
                    Action::Add { component: slot.states.start + component, amount: q(amount) }
                }
                Action::Set { component, value } => {
                    Action::Set { component: slot.states.start + component, value: q(value) }
                }
                other => other,
            };
            schedule.push(Stop { time: q(stop.time), action, ..*stop });
        }
    }
    schedule
}

/// The block-diagonal mass matrix of the subsystems' (an identity block
/// for a subsystem without one); `None` when none has one.
fn mass(infos: &[PartInfo], parts: &[Slot]) -> Option<MassMatrix> {
    if infos.iter().all(|i| i.mass.is_none()) {
        return None;
    }
    let diagonal = infos.iter().all(|i| !matches!(i.mass, Some(MassMatrix::Sparse(_))));
    let mut entries = Vec::new();
    for (info, slot) in infos.iter().zip(parts) {
        let at = slot.states.start;
        match &info.mass {
            None => entries.extend(slot.states.clone().map(|i| (i, i, 1.0))),
            Some(MassMatrix::Diagonal(d)) => entries.extend(d.iter().enumerate().map(|(i, &v)| (at + i, at + i, v))),
            Some(MassMatrix::Sparse(e)) => entries.extend(e.iter().map(|&(r, c, v)| (at + r, at + c, v))),
        }
    }
    Some(match diagonal {
        true => MassMatrix::Diagonal(entries.into_iter().map(|e| e.2).collect()),
        false => MassMatrix::Sparse(entries),
    })
}

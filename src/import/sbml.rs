//! SBML import: Level 2 and 3 core, the subset real kinetic models use,
//! into a [`TapeModel`] (exact sensitivities included).
//!
//! | SBML | odeon |
//! |---|---|
//! | compartment (constant size) | parameter |
//! | parameter (constant) | parameter |
//! | parameter, compartment or species with an initial assignment and no rule | its initial assignment (constant in time for a parameter) |
//! | species | state: its concentration, or its amount with `hasOnlySubstanceUnits`; boundary and constant species do not change unless a rule says so |
//! | reaction | its kinetic law (an amount per time, local parameters renamed `reaction_parameter`); `d[S]/dt = Σ stoichiometry · rate / compartment` |
//! | assignment rule | assignment |
//! | rate rule | state |
//! | function definition | function |
//! | event with a trigger `a > b` (`≥`, `<`, `≤`) and assignments | an odeon event on the sign change of `a - b`, its assignments computed from the values before it; a parameter an event assigns becomes a state with rate 0 |
//! | MathML: arithmetic, powers, roots, logarithms, trigonometric and hyperbolic functions, comparisons, logic, piecewise, time, constants | expressions |
//!
//! Anything else — event triggers other than one comparison, event delays,
//! algebraic rules, delays, `stoichiometryMath`, conversion factors,
//! compartments whose size changes — is refused with
//! an [`Error::Parse`] naming the element and its line, never simulated
//! wrongly.

use super::mathml::{MathError, elements, math};
use crate::Error;
use crate::events::Direction;
use crate::tape::build::{BuildError, Equations, EventEquations, Part, build};
use crate::tape::{BinOp, Expr, Function, Kind, TapeModel};
use roxmltree::{Document, Node};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Read an SBML file.
///
/// # Errors
/// [`Error::Io`] if it cannot be read; [`Error::Parse`] with the line and
/// column of malformed XML or of an element outside the supported subset.
pub fn read_sbml(path: impl AsRef<Path>) -> Result<TapeModel, Error> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    sbml_from_str(&path.display().to_string(), &text)
}

/// An SBML document's text as a model; `file` names it in errors.
///
/// # Errors
/// As [`read_sbml`].
pub fn sbml_from_str(file: &str, text: &str) -> Result<TapeModel, Error> {
    sbml_extended(file, text, |_| Ok(()), |_| None)
}

/// An SBML document's text as a model, with equations added by the
/// caller before compiling (PEtab's observables and parameters): `extend`
/// adds them, `locate` places a build error in them (`None`: the error is
/// in the SBML).
pub(crate) fn sbml_extended(
    file: &str,
    text: &str,
    extend: impl FnOnce(&mut Equations) -> Result<(), Error>,
    locate: impl Fn(&BuildError) -> Option<Error>,
) -> Result<TapeModel, Error> {
    let doc = Document::parse(text).map_err(|e| {
        let pos = e.pos();
        Error::Parse { file: file.to_string(), line: pos.row as usize, column: pos.col as usize, reason: e.to_string() }
    })?;
    Importer { file, doc: &doc }.import(extend, locate)
}

struct Importer<'a, 'i> {
    file: &'a str,
    doc: &'a Document<'i>,
}

/// A number attribute, if present.
fn attr_f64(node: Node<'_, '_>, name: &str) -> Option<Result<f64, String>> {
    node.attribute(name).map(|v| v.trim().parse::<f64>().map_err(|_| format!("{name} = {v:?} is not a number")))
}

/// A boolean attribute, with its default.
fn attr_bool(node: Node<'_, '_>, name: &str, default: bool) -> bool {
    node.attribute(name).map_or(default, |v| v.trim() == "true" || v.trim() == "1")
}

/// `e` with every variable in `renamed` replaced.
fn rename(e: &mut Expr, renamed: &HashMap<String, String>) {
    match &mut e.kind {
        Kind::Var(v) => {
            if let Some(new) = renamed.get(v) {
                *v = new.clone();
            }
        }
        Kind::Num(_) => {}
        Kind::Neg(a) | Kind::Not(a) => rename(a, renamed),
        Kind::Binary(_, a, b) => {
            rename(a, renamed);
            rename(b, renamed);
        }
        Kind::Call(_, args) => args.iter_mut().for_each(|a| rename(a, renamed)),
    }
}

/// What the import has gathered so far: the equations, the element each
/// part comes from (for errors), the rules and initial assignments not yet
/// placed, each compartment's volume symbol, and each species' reaction
/// terms.
#[derive(Default)]
struct Pending<'a, 'i> {
    eq: Equations,
    time: String,
    at: HashMap<Part, Node<'a, 'i>>,
    assignment_rules: HashMap<String, (Node<'a, 'i>, Expr)>,
    rate_rules: HashMap<String, (Node<'a, 'i>, Expr)>,
    initial_assignments: HashMap<String, (Node<'a, 'i>, Expr)>,
    volume: HashMap<String, String>,
    terms: HashMap<String, Vec<Expr>>,
    /// Symbols that events assign (parameters among them become states).
    event_targets: HashSet<String>,
}

impl<'a, 'i> Importer<'a, 'i> {
    fn error(&self, node: Node<'_, '_>, reason: impl Into<String>) -> Error {
        let pos = self.doc.text_pos_at(node.range().start);
        Error::Parse {
            file: self.file.to_string(),
            line: pos.row as usize,
            column: pos.col as usize,
            reason: reason.into(),
        }
    }

    fn math_error(&self, e: MathError<'_, '_>) -> Error {
        self.error(e.node, e.reason)
    }

    /// The `<math>` child of `node`, converted.
    fn math_of(&self, node: Node<'a, 'i>, time: &str) -> Result<Expr, Error> {
        let m = elements(node).find(|c| c.has_tag_name("math")).ok_or_else(|| self.error(node, "no <math>"))?;
        math(m, time).map_err(|e| self.math_error(e))
    }

    fn id(&self, node: Node<'a, 'i>) -> Result<String, Error> {
        match node.attribute("id") {
            Some(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
            _ => Err(self.error(node, format!("<{}> without an id", node.tag_name().name()))),
        }
    }

    fn import(
        &self,
        extend: impl FnOnce(&mut Equations) -> Result<(), Error>,
        locate: impl Fn(&BuildError) -> Option<Error>,
    ) -> Result<TapeModel, Error> {
        let root = self.doc.root_element();
        if !root.has_tag_name("sbml") {
            return Err(self.error(root, "not an SBML document (the root element is not <sbml>)"));
        }
        let model = elements(root).find(|c| c.has_tag_name("model")).ok_or_else(|| self.error(root, "no <model>"))?;
        let list = |list: &str, item: &str| -> Vec<Node<'a, 'i>> {
            elements(model)
                .filter(|c| c.has_tag_name(list))
                .flat_map(elements)
                .filter(|c| c.has_tag_name(item))
                .collect()
        };
        if model.attribute("conversionFactor").is_some() {
            return Err(self.error(model, "unsupported: conversion factors"));
        }
        let (compartments, parameters, species) = (
            list("listOfCompartments", "compartment"),
            list("listOfParameters", "parameter"),
            list("listOfSpecies", "species"),
        );
        let reactions = list("listOfReactions", "reaction");
        let rules: Vec<Node> = elements(model).filter(|c| c.has_tag_name("listOfRules")).flat_map(elements).collect();

        // Every id, and a name for time that none of them takes.
        let mut ids = HashSet::new();
        for node in compartments.iter().chain(&parameters).chain(&species).chain(&reactions) {
            ids.insert(self.id(*node)?);
        }
        let time = ["time", "t", "time_"].into_iter().find(|t| !ids.contains(*t)).unwrap_or("time__").to_string();

        let eq = Equations {
            name: model.attribute("id").unwrap_or("").into(),
            description: model.attribute("name").unwrap_or("").into(),
            time: vec![time.clone()],
            ..Equations::default()
        };
        let mut p = Pending { eq, time, ..Pending::default() };
        self.functions(&mut p, list("listOfFunctionDefinitions", "functionDefinition"))?;
        self.rules(&mut p, &rules, list("listOfInitialAssignments", "initialAssignment"))?;
        self.events(&mut p, &list("listOfEvents", "event"))?;
        self.constants(&mut p, &compartments, &parameters)?;
        self.reactions(&mut p, &reactions, ids)?;
        self.species(&mut p, &species)?;

        if let Some((name, (node, _))) = p.assignment_rules.iter().chain(&p.rate_rules).next() {
            return Err(
                self.error(*node, format!("a rule for `{name}`, which is not a compartment, species or parameter"))
            );
        }
        if let Some((name, (node, _))) = p.initial_assignments.iter().next() {
            return Err(self.error(
                *node,
                format!("an initial assignment for `{name}`, which is not a compartment, species or parameter"),
            ));
        }
        if p.eq.states.is_empty() {
            return Err(self.error(model, "the model has no species and no rate rules: nothing to integrate"));
        }
        let at = p.at;
        extend(&mut p.eq)?;
        build(p.eq).map_err(|e| {
            locate(&e).unwrap_or_else(|| {
                let node = at.get(&e.part).copied().unwrap_or(model);
                self.error(node, e.error.reason)
            })
        })
    }

    fn functions(&self, p: &mut Pending<'a, 'i>, definitions: Vec<Node<'a, 'i>>) -> Result<(), Error> {
        // Function definitions: lambda(bvar…, body).
        for f in definitions {
            let id = self.id(f)?;
            let lambda = elements(f)
                .find(|c| c.has_tag_name("math"))
                .and_then(|m| elements(m).find(|c| c.has_tag_name("lambda")))
                .ok_or_else(|| self.error(f, "a function definition without <lambda>"))?;
            let mut args = Vec::new();
            let mut body = None;
            for c in elements(lambda) {
                if c.has_tag_name("bvar") {
                    let ci = elements(c).next().ok_or_else(|| self.error(c, "an empty <bvar>"))?;
                    args.push(ci.text().unwrap_or("").trim().to_string());
                } else {
                    body = Some(super::mathml::math_node(c, &p.time).map_err(|e| self.math_error(e))?);
                }
            }
            let body = body.ok_or_else(|| self.error(lambda, "a <lambda> without a body"))?;
            p.at.insert(Part::Function(id.clone()), f);
            p.eq.functions.push((id, Function { args, body }));
        }
        Ok(())
    }

    /// Events: a trigger that is one comparison `a > b` (or `≥`, `<`, `≤`)
    /// fires when `a - b` crosses zero in its direction; its assignments
    /// set species or parameters (which then become states).
    fn events(&self, p: &mut Pending<'a, 'i>, events: &[Node<'a, 'i>]) -> Result<(), Error> {
        for (k, e) in events.iter().enumerate() {
            let name = e.attribute("id").map_or_else(|| format!("event{k}"), |id| id.trim().to_string());
            if let Some(d) = elements(*e).find(|c| c.has_tag_name("delay")) {
                return Err(self.error(d, "unsupported: event delays"));
            }
            let trigger = elements(*e)
                .find(|c| c.has_tag_name("trigger"))
                .ok_or_else(|| self.error(*e, format!("event `{name}` has no trigger")))?;
            let (function, direction) = match self.math_of(trigger, &p.time)?.kind {
                Kind::Binary(op @ (BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le), a, b) => {
                    let up = matches!(op, BinOp::Gt | BinOp::Ge);
                    let direction = if up { Direction::Up } else { Direction::Down };
                    (Expr::binary(BinOp::Sub, *a, *b), direction)
                }
                _ => return Err(self.error(trigger, "unsupported: an event trigger other than one comparison")),
            };
            let mut assignments = Vec::new();
            for a in elements(*e).filter(|c| c.has_tag_name("listOfEventAssignments")).flat_map(elements) {
                let variable = a.attribute("variable").map(str::trim).unwrap_or("");
                if variable.is_empty() {
                    return Err(self.error(a, "an event assignment without a variable"));
                }
                p.event_targets.insert(variable.to_string());
                assignments.push((variable.to_string(), self.math_of(a, &p.time)?));
            }
            p.at.insert(Part::Event(p.eq.events.len()), *e);
            p.eq.events.push(EventEquations { name, function, direction, assignments });
        }
        Ok(())
    }

    fn rules(&self, p: &mut Pending<'a, 'i>, rules: &[Node<'a, 'i>], initial: Vec<Node<'a, 'i>>) -> Result<(), Error> {
        // Rules and initial assignments by the symbol they set.
        for r in rules {
            let kind = r.tag_name().name();
            if kind == "algebraicRule" {
                return Err(self.error(*r, "unsupported: algebraic rules"));
            }
            let variable =
                r.attribute("variable").ok_or_else(|| self.error(*r, format!("<{kind}> without a variable")))?;
            let target = if kind == "rateRule" { &mut p.rate_rules } else { &mut p.assignment_rules };
            target.insert(variable.trim().to_string(), (*r, self.math_of(*r, &p.time)?));
        }
        for ia in initial {
            let symbol =
                ia.attribute("symbol").ok_or_else(|| self.error(ia, "an initial assignment without a symbol"))?;
            p.initial_assignments.insert(symbol.trim().to_string(), (ia, self.math_of(ia, &p.time)?));
        }
        Ok(())
    }

    fn constants(
        &self,
        p: &mut Pending<'a, 'i>,
        compartments: &[Node<'a, 'i>],
        parameters: &[Node<'a, 'i>],
    ) -> Result<(), Error> {
        // Compartments and parameters: parameters of the model, unless a
        // rule or an initial assignment sets them.
        for (node, size_attr) in
            compartments.iter().map(|c| (*c, "size")).chain(parameters.iter().map(|p| (*p, "value")))
        {
            let id = self.id(node)?;
            if node.has_tag_name("compartment") {
                if !attr_bool(node, "constant", true)
                    && (p.rate_rules.contains_key(&id) || p.assignment_rules.contains_key(&id))
                {
                    return Err(self.error(node, format!("unsupported: compartment `{id}` changes size")));
                }
                p.volume.insert(id.clone(), id.clone());
            }
            let value = attr_f64(node, size_attr)
                .or_else(|| attr_f64(node, "p.volume"))
                .transpose()
                .map_err(|e| self.error(node, e))?;
            if let Some((rule, formula)) = p.assignment_rules.remove(&id) {
                p.at.insert(Part::Assignment(id.clone()), rule);
                p.eq.assignments.push((id, formula));
            } else if let Some((rule, rate)) = p.rate_rules.remove(&id) {
                let initial = match p.initial_assignments.remove(&id) {
                    Some((_, e)) => e,
                    None => Expr::num(value.ok_or_else(|| self.error(node, format!("`{id}` has no value")))?),
                };
                p.at.insert(Part::Rate(p.eq.states.len()), rule);
                p.at.insert(Part::Initial(p.eq.states.len()), node);
                p.eq.states.push((id, initial, rate));
            } else if p.event_targets.contains(&id) {
                // Constant between events: a state with rate 0.
                if node.has_tag_name("compartment") {
                    return Err(self.error(node, format!("unsupported: an event changes compartment `{id}`")));
                }
                let initial = match p.initial_assignments.remove(&id) {
                    Some((_, e)) => e,
                    None => Expr::num(value.ok_or_else(|| self.error(node, format!("`{id}` has no value")))?),
                };
                p.at.insert(Part::Rate(p.eq.states.len()), node);
                p.at.insert(Part::Initial(p.eq.states.len()), node);
                p.eq.states.push((id, initial, Expr::num(0.0)));
            } else if let Some((ia, formula)) = p.initial_assignments.remove(&id) {
                p.at.insert(Part::Assignment(id.clone()), ia);
                p.eq.assignments.push((id, formula));
            } else {
                let v = value.ok_or_else(|| self.error(node, format!("`{id}` has no {size_attr}")))?;
                p.eq.params.push((id, v, (f64::NEG_INFINITY, f64::INFINITY)));
            }
        }
        Ok(())
    }

    fn reactions(
        &self,
        p: &mut Pending<'a, 'i>,
        reactions: &[Node<'a, 'i>],
        ids: HashSet<String>,
    ) -> Result<(), Error> {
        // Reactions: each rate an assignment named by the reaction; the
        // species p.terms collected per species.
        let mut local_names = ids;
        for r in reactions {
            let id = self.id(*r)?;
            let law = elements(*r)
                .find(|c| c.has_tag_name("kineticLaw"))
                .ok_or_else(|| self.error(*r, format!("reaction `{id}` has no kinetic law")))?;
            let mut rate = self.math_of(law, &p.time)?;
            let mut renamed = HashMap::new();
            let locals = elements(law)
                .filter(|c| c.has_tag_name("listOfParameters") || c.has_tag_name("listOfLocalParameters"))
                .flat_map(elements);
            for lp in locals {
                let local = self.id(lp)?;
                let mut name = format!("{id}_{local}");
                while !local_names.insert(name.clone()) {
                    name.push('_');
                }
                let v = attr_f64(lp, "value").transpose().map_err(|e| self.error(lp, e))?;
                let v = v.ok_or_else(|| self.error(lp, format!("local parameter `{local}` has no value")))?;
                p.eq.params.push((name.clone(), v, (f64::NEG_INFINITY, f64::INFINITY)));
                renamed.insert(local, name);
            }
            rename(&mut rate, &renamed);
            p.at.insert(Part::Assignment(id.clone()), law);
            p.eq.assignments.push((id.clone(), rate));
            for (list, sign) in [("listOfReactants", -1.0), ("listOfProducts", 1.0)] {
                for sr in elements(*r).filter(|c| c.has_tag_name(list)).flat_map(elements) {
                    if elements(sr).any(|c| c.has_tag_name("stoichiometryMath")) {
                        return Err(self.error(sr, "unsupported: stoichiometryMath"));
                    }
                    let s = sr
                        .attribute("species")
                        .ok_or_else(|| self.error(sr, "a species reference without a species"))?;
                    let n = attr_f64(sr, "stoichiometry").transpose().map_err(|e| self.error(sr, e))?.unwrap_or(1.0);
                    let term =
                        if n == 1.0 { Expr::var(&id) } else { Expr::binary(BinOp::Mul, Expr::num(n), Expr::var(&id)) };
                    p.terms.entry(s.trim().to_string()).or_default().push(if sign < 0.0 {
                        Expr::new(Kind::Neg(Box::new(term)))
                    } else {
                        term
                    });
                }
            }
        }
        Ok(())
    }

    fn species(&self, p: &mut Pending<'a, 'i>, species: &[Node<'a, 'i>]) -> Result<(), Error> {
        // Species.
        for s in species {
            let id = self.id(*s)?;
            if s.attribute("conversionFactor").is_some() {
                return Err(self.error(*s, "unsupported: conversion factors"));
            }
            let compartment = s.attribute("compartment").map(str::trim).unwrap_or("");
            let v = p
                .volume
                .get(compartment)
                .ok_or_else(|| self.error(*s, format!("species `{id}`: unknown compartment `{compartment}`")))?;
            let amounts = attr_bool(*s, "hasOnlySubstanceUnits", false);
            let fixed = attr_bool(*s, "boundaryCondition", false) || attr_bool(*s, "constant", false);
            if let Some((rule, formula)) = p.assignment_rules.remove(&id) {
                p.at.insert(Part::Assignment(id.clone()), rule);
                p.eq.assignments.push((id, formula));
                continue;
            }
            let amount = attr_f64(*s, "initialAmount").transpose().map_err(|e| self.error(*s, e))?;
            let concentration = attr_f64(*s, "initialConcentration").transpose().map_err(|e| self.error(*s, e))?;
            let initial = match (p.initial_assignments.remove(&id), amount, concentration) {
                (Some((ia, e)), ..) => {
                    p.at.insert(Part::Initial(p.eq.states.len()), ia);
                    e
                }
                (None, Some(a), _) if amounts => Expr::num(a),
                (None, Some(a), _) => Expr::binary(BinOp::Div, Expr::num(a), Expr::var(v)),
                (None, None, Some(c)) if amounts => Expr::binary(BinOp::Mul, Expr::num(c), Expr::var(v)),
                (None, None, Some(c)) => Expr::num(c),
                (None, None, None) => {
                    return Err(self.error(*s, format!("species `{id}` has no initial amount or concentration")));
                }
            };
            p.at.entry(Part::Initial(p.eq.states.len())).or_insert(*s);
            let rate = if let Some((rule, rate)) = p.rate_rules.remove(&id) {
                p.at.insert(Part::Rate(p.eq.states.len()), rule);
                rate
            } else {
                p.at.insert(Part::Rate(p.eq.states.len()), *s);
                match p.terms.remove(&id) {
                    Some(t) if !fixed => {
                        let flux = t
                            .into_iter()
                            .reduce(|a, b| Expr::binary(BinOp::Add, a, b))
                            .unwrap_or_else(|| Expr::num(0.0));
                        if amounts { flux } else { Expr::binary(BinOp::Div, flux, Expr::var(v)) }
                    }
                    _ => Expr::num(0.0),
                }
            };
            p.eq.states.push((id, initial, rate));
        }
        Ok(())
    }
}

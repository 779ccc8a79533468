//! The model file (TOML): states, parameters, inputs, assignments,
//! functions and outputs, with equations as strings; every error names
//! the file, line and column.

use super::build::{BuildError, Equations, Part, build};
use super::compile::{CONSTANTS, Function, is_built_in};
use super::model::TapeModel;
use super::syntax::{Expr, SyntaxError, parse};
use crate::Error;
use crate::spec::position;
use serde::Deserialize;
use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    parameters: Vec<RawParameter>,
    #[serde(default)]
    states: Vec<RawState>,
    #[serde(default)]
    inputs: Vec<RawInput>,
    #[serde(default)]
    assignments: Vec<RawFormula>,
    #[serde(default)]
    functions: Vec<RawFunction>,
    #[serde(default)]
    outputs: Vec<RawFormula>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    name: Spanned<String>,
    value: Spanned<f64>,
    bounds: Option<Spanned<(f64, f64)>>,
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    name: Spanned<String>,
    /// A number or an expression of the parameters.
    initial: Spanned<toml::Value>,
    rate: Spanned<String>,
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    name: Spanned<String>,
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFormula {
    name: Spanned<String>,
    formula: Spanned<String>,
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    name: Spanned<String>,
    args: Vec<Spanned<String>>,
    body: Spanned<String>,
}

/// The file being read: its name and text, for positions in errors.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, at: usize, reason: impl Into<String>) -> Error {
        let (line, column) = position(self.text, at);
        Error::Parse { file: self.file.to_string(), line, column, reason: reason.into() }
    }

    /// Parse the expression in the TOML string at `span`; a syntax error
    /// points into the file.
    fn expr(&self, span: Range<usize>, value: &str) -> Result<(Expr, usize), Error> {
        let start = content_start(self.text, span);
        parse(value).map(|e| (e, start)).map_err(|SyntaxError { at, reason }| self.error(start + at, reason))
    }
}

/// Byte offset of a TOML string's content: after its opening quote(s)
/// and, for a multi-line string, the newline that follows them. (An
/// escape sequence before an error shifts the column reported.)
fn content_start(text: &str, span: Range<usize>) -> usize {
    let raw = text.get(span.clone()).unwrap_or("");
    let quotes =
        if raw.starts_with("\"\"\"") || raw.starts_with("'''") { 3 } else { usize::from(raw.starts_with(['"', '\''])) };
    let start = span.start + quotes;
    let rest = text.get(start..).unwrap_or("");
    match quotes {
        3 if rest.starts_with("\r\n") => start + 2,
        3 if rest.starts_with('\n') => start + 1,
        _ => start,
    }
}

/// Read a model file's text (`file` names it in errors).
pub(crate) fn read(file: &str, text: &str) -> Result<TapeModel, Error> {
    let src = Source { file, text };
    let raw: RawModel = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        src.error(at, e.message().trim().to_string())
    })?;
    if raw.states.is_empty() {
        return Err(src.error(0, "the model has no states (add a [[states]] table)"));
    }
    check_names(&src, &raw)?;

    // Parameters: values and bounds.
    let mut values = Vec::with_capacity(raw.parameters.len());
    let mut bounds = Vec::with_capacity(raw.parameters.len());
    for p in &raw.parameters {
        let v = *p.value.get_ref();
        let (lo, hi) = p.bounds.as_ref().map_or((f64::NEG_INFINITY, f64::INFINITY), |b| *b.get_ref());
        if !v.is_finite() {
            return Err(
                src.error(p.value.span().start, format!("parameter `{}`: value {v} is not finite", p.name.get_ref()))
            );
        }
        if lo.is_nan() || hi.is_nan() || lo >= hi || v < lo || v > hi {
            let at = p.bounds.as_ref().map_or(p.value.span().start, |b| b.span().start);
            let reason = format!(
                "parameter `{}`: bounds [{lo}, {hi}] must be increasing and hold its value {v}",
                p.name.get_ref()
            );
            return Err(src.error(at, reason));
        }
        values.push(v);
        bounds.push((lo, hi));
    }

    // Every expression, parsed; where each starts in the file.
    let formula = |f: &Spanned<String>| src.expr(f.span(), f.get_ref());
    let mut starts: HashMap<Part, usize> = HashMap::new();
    let mut eq = Equations {
        name: raw.name.unwrap_or_default(),
        description: raw.description.unwrap_or_default(),
        time: vec!["t".into(), "time".into()],
        inputs: raw.inputs.iter().map(|i| i.name.get_ref().clone()).collect(),
        ..Equations::default()
    };
    for (k, s) in raw.states.iter().enumerate() {
        let (rate, at) = formula(&s.rate)?;
        starts.insert(Part::Rate(k), at);
        let (initial, at) = match s.initial.get_ref() {
            toml::Value::String(text) => src.expr(s.initial.span(), text)?,
            toml::Value::Float(v) => (Expr::num(*v), s.initial.span().start),
            toml::Value::Integer(v) => (Expr::num(*v as f64), s.initial.span().start),
            _ => return Err(src.error(s.initial.span().start, "`initial` is a number or an expression in quotes")),
        };
        starts.insert(Part::Initial(k), at);
        eq.states.push((s.name.get_ref().clone(), initial, rate));
    }
    eq.params = raw
        .parameters
        .iter()
        .zip(values.into_iter().zip(bounds))
        .map(|(p, (v, b))| (p.name.get_ref().clone(), v, b))
        .collect();
    for a in &raw.assignments {
        let (e, at) = formula(&a.formula)?;
        starts.insert(Part::Assignment(a.name.get_ref().clone()), at);
        eq.assignments.push((a.name.get_ref().clone(), e));
    }
    for (k, o) in raw.outputs.iter().enumerate() {
        let (e, at) = formula(&o.formula)?;
        starts.insert(Part::Output(k), at);
        eq.outputs.push((o.name.get_ref().clone(), e));
    }
    for f in &raw.functions {
        let (body, at) = formula(&f.body)?;
        starts.insert(Part::Function(f.name.get_ref().clone()), at);
        let args = f.args.iter().map(|a| a.get_ref().clone()).collect();
        eq.functions.push((f.name.get_ref().clone(), Function { args, body }));
    }
    let units = raw.states.iter().map(|s| (&s.name, &s.unit));
    let units = units.chain(raw.inputs.iter().map(|s| (&s.name, &s.unit)));
    let units = units.chain(raw.parameters.iter().map(|s| (&s.name, &s.unit)));
    let units = units.chain(raw.assignments.iter().chain(&raw.outputs).map(|s| (&s.name, &s.unit)));
    eq.units = units.filter_map(|(n, u)| Some((n.get_ref().clone(), u.clone()?))).collect();
    build(eq).map_err(|BuildError { part, error }| {
        let start = starts.get(&part).copied().unwrap_or(0);
        src.error(start + error.at, error.reason)
    })
}

/// Names: identifiers, unique (states, inputs, parameters and assignments
/// share one namespace; outputs and functions have their own), none
/// reserved.
fn check_names(src: &Source<'_>, raw: &RawModel) -> Result<(), Error> {
    let shared = raw.states.iter().map(|s| (&s.name, "state"));
    let shared = shared.chain(raw.inputs.iter().map(|i| (&i.name, "input")));
    let shared = shared.chain(raw.parameters.iter().map(|p| (&p.name, "parameter")));
    let shared: Vec<_> = shared.chain(raw.assignments.iter().map(|a| (&a.name, "assignment"))).collect();
    let outputs: Vec<_> = raw.outputs.iter().map(|o| (&o.name, "output")).collect();
    let functions: Vec<_> = raw.functions.iter().map(|f| (&f.name, "function")).collect();
    for group in [shared, outputs, functions] {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (name, kind) in group {
            let (n, at) = (name.get_ref().as_str(), name.span().start);
            if !is_identifier(n) {
                return Err(src.error(at, format!("{kind} name `{n}` is not a name (letters, digits, `_`)")));
            }
            let reserved = ["t", "time"].contains(&n) || CONSTANTS.iter().any(|(c, _)| *c == n);
            if reserved && kind != "output" && kind != "function" {
                return Err(src.error(at, format!("{kind} name `{n}` is reserved (time or a constant)")));
            }
            if kind == "function" && is_built_in(n) {
                return Err(src.error(at, format!("function name `{n}` is a built-in function")));
            }
            if let Some(first) = seen.insert(n, kind) {
                return Err(src.error(at, format!("{kind} name `{n}` is already used by a {first}")));
            }
        }
    }
    for f in &raw.functions {
        let mut seen = Vec::new();
        for a in &f.args {
            if !is_identifier(a.get_ref()) || seen.contains(&a.get_ref()) {
                return Err(src.error(a.span().start, format!("argument `{}` is not a new name", a.get_ref())));
            }
            seen.push(a.get_ref());
        }
    }
    Ok(())
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

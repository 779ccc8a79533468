//! A model as equations — what a model file or an SBML document says —
//! compiled into a [`TapeModel`]: one owner of the scopes and tapes for
//! every source of equations.

use super::compile::{CompileError, Function, Origin, Scope, compile};
use super::model::TapeModel;
use super::syntax::{BinOp, Expr, Kind, SyntaxError};
use super::tape::Shape;
use std::collections::HashMap;

/// A model's equations, before compiling.
#[derive(Clone, Debug, Default)]
pub(crate) struct Equations {
    pub name: String,
    pub description: String,
    /// Names for time (`t` and `time` in a model file).
    pub time: Vec<String>,
    /// Name, initial value (an expression of the parameters, the other
    /// initial values and the assignments at the initial point), rate.
    pub states: Vec<(String, Expr, Expr)>,
    /// Name, value, bounds.
    pub params: Vec<(String, f64, (f64, f64))>,
    pub inputs: Vec<String>,
    pub assignments: Vec<(String, Expr)>,
    pub functions: Vec<(String, Function)>,
    pub outputs: Vec<(String, Expr)>,
    pub units: HashMap<String, String>,
    pub events: Vec<EventEquations>,
}

/// An event: a function whose sign change fires it, and new values for
/// states, all computed from the values just before it.
#[derive(Clone, Debug)]
pub(crate) struct EventEquations {
    pub name: String,
    pub function: Expr,
    pub direction: crate::events::Direction,
    /// Target state (by name) and its new value.
    pub assignments: Vec<(String, Expr)>,
}

/// The part of the equations an error is in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Part {
    Rate(usize),
    Initial(usize),
    Output(usize),
    Assignment(String),
    Function(String),
    Event(usize),
}

/// A build error: the part it is in, and where in that part's expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BuildError {
    pub part: Part,
    pub error: SyntaxError,
}

/// Compile the equations. Every assignment and function is checked, used
/// or not; initial values at the given parameters must be finite.
pub(crate) fn build(eq: Equations) -> Result<TapeModel, BuildError> {
    let shape = Shape { states: eq.states.len(), inputs: eq.inputs.len(), params: eq.params.len() };
    let functions: HashMap<&str, &Function> = eq.functions.iter().map(|(n, f)| (n.as_str(), f)).collect();
    let mut scope = Scope { shape, functions: functions.clone(), ..Scope::default() };
    for name in &eq.time {
        scope.args.insert(name.as_str(), 0);
    }
    let ordered = eq.states.iter().map(|s| &s.0).chain(&eq.inputs).chain(eq.params.iter().map(|p| &p.0));
    for (k, name) in ordered.enumerate() {
        scope.args.insert(name.as_str(), 1 + k as u32);
    }
    scope.assignments = eq.assignments.iter().map(|(n, e)| (n.as_str(), e)).collect();

    // Unused assignments and functions: compiled once to be checked.
    let mut checks: Vec<Expr> = eq.assignments.iter().map(|(n, _)| Expr::var(n)).collect();
    let first_function = checks.len();
    for (name, f) in &eq.functions {
        checks.push(Expr::call(name, vec![Expr::num(0.0); f.args.len()]));
    }
    let part_of_check = |k: usize| {
        if k < first_function {
            Part::Assignment(eq.assignments[k].0.clone())
        } else {
            Part::Function(eq.functions[k - first_function].0.clone())
        }
    };
    run(&scope, &checks.iter().collect::<Vec<_>>(), part_of_check)?;
    let rates: Vec<&Expr> = eq.states.iter().map(|s| &s.2).collect();
    let rhs = run(&scope, &rates, Part::Rate)?;
    let outputs: Vec<&Expr> = eq.outputs.iter().map(|o| &o.1).collect();
    let out = run(&scope, &outputs, Part::Output)?;

    // Initial values: the parameters as arguments, time 0, and each state
    // standing for its initial value (an assignment), so that initial
    // values and assignments may use each other.
    let mut init_scope =
        Scope { shape: Shape { params: shape.params, ..Shape::default() }, functions, ..Scope::default() };
    for name in &eq.time {
        init_scope.args.insert(name.as_str(), 0);
    }
    for (k, (name, ..)) in eq.params.iter().enumerate() {
        init_scope.args.insert(name.as_str(), 1 + k as u32);
    }
    init_scope.assignments = scope.assignments.clone();
    for (name, initial, _) in &eq.states {
        init_scope.assignments.insert(name.as_str(), initial);
    }
    let initials: Vec<&Expr> = eq.states.iter().map(|s| &s.1).collect();
    let functions_of_events: Vec<&Expr> = eq.events.iter().map(|e| &e.function).collect();
    let event_tape = run(&scope, &functions_of_events, Part::Event)?;
    let mut events = Vec::new();
    for (k, e) in eq.events.iter().enumerate() {
        let mut targets = Vec::new();
        for (name, _) in &e.assignments {
            let j = eq.states.iter().position(|s| &s.0 == name).ok_or_else(|| BuildError {
                part: Part::Event(k),
                error: SyntaxError {
                    at: 0,
                    reason: format!("event `{}` assigns `{name}`, which is not a state", e.name),
                },
            })?;
            targets.push(j);
        }
        let values: Vec<&Expr> = e.assignments.iter().map(|a| &a.1).collect();
        let reset = run(&scope, &values, |_| Part::Event(k))?;
        let event = crate::events::Event { name: e.name.clone(), direction: e.direction, terminal: false };
        events.push((event, targets, reset));
    }
    let switches = time_switches(&eq);
    let switch_tape = run(&init_scope, &switches.iter().collect::<Vec<_>>(), |_| Part::Rate(0))?;
    let init = run(&init_scope, &initials, Part::Initial).map_err(|e| match &e.part {
        // A state stands for its initial value here.
        Part::Assignment(name) => match eq.states.iter().position(|s| &s.0 == name) {
            Some(k) => BuildError { part: Part::Initial(k), ..e },
            None => e,
        },
        _ => e,
    })?;

    let names = [
        eq.states.iter().map(|s| s.0.clone()).collect(),
        eq.inputs.clone(),
        eq.params.iter().map(|p| p.0.clone()).collect(),
        eq.outputs.iter().map(|o| o.0.clone()).collect(),
    ];
    let (values, bounds) = eq.params.iter().map(|p| (p.1, p.2)).unzip();
    let mut model =
        TapeModel::new(eq.name, eq.description, names, values, bounds, eq.units, [rhs, out, init, switch_tape]);
    model.set_events(event_tape, events);
    if let Some(k) = model.y0().iter().position(|v| !v.is_finite()) {
        let reason = format!("state `{}`: initial value {} is not finite", eq.states[k].0, model.y0()[k]);
        return Err(BuildError { part: Part::Initial(k), error: SyntaxError { at: 0, reason } });
    }
    Ok(model)
}

/// Compile `roots`; an error in root `k` is in `part(k)`.
fn run(scope: &Scope<'_>, roots: &[&Expr], part: impl Fn(usize) -> Part) -> Result<super::Tape, BuildError> {
    compile(scope, roots).map_err(|CompileError { origin, error }| {
        let part = match origin {
            Origin::Root(k) => part(k),
            Origin::Assignment(name) => Part::Assignment(name),
            Origin::Function(name) => Part::Function(name),
        };
        BuildError { part, error }
    })
}

/// The times at which the right-hand side switches: for every comparison
/// in a rate or an assignment between two sides that differ by `±time`
/// plus an expression of the parameters (`time >= t_dose`,
/// `time - t_on < 0`), the time where they meet, as an expression of the
/// parameters (time set to 0). An integrator stops there instead of
/// stepping across the jump.
fn time_switches(eq: &Equations) -> Vec<Expr> {
    let assignments: HashMap<&str, &Expr> = eq.assignments.iter().map(|(n, e)| (n.as_str(), e)).collect();
    let params: Vec<&str> = eq.params.iter().map(|p| p.0.as_str()).collect();
    let slope = |e: &Expr| time_slope(e, &eq.time, &params, &assignments, 0);
    let mut found: Vec<Expr> = Vec::new();
    let mut visit = |e: &Expr| {
        if let Kind::Binary(op, a, b) = &e.kind
            && matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
        {
            let difference = Expr::binary(BinOp::Sub, (**a).clone(), (**b).clone());
            if let Some(s) = slope(&difference).filter(|s| *s != 0.0) {
                // a - b = s·t + c, so they meet at t = -c / s.
                let at = Expr::binary(BinOp::Div, Expr::new(Kind::Neg(Box::new(difference))), Expr::num(s));
                if !found.contains(&at) {
                    found.push(at);
                }
            }
        }
    };
    for e in eq.states.iter().map(|s| &s.2).chain(eq.assignments.iter().map(|a| &a.1)) {
        walk(e, &mut visit);
    }
    found
}

/// Every node of `e`, parents first.
fn walk(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        Kind::Var(_) | Kind::Num(_) => {}
        Kind::Neg(a) | Kind::Not(a) => walk(a, f),
        Kind::Binary(_, a, b) => {
            walk(a, f);
            walk(b, f);
        }
        Kind::Call(_, args) => args.iter().for_each(|a| walk(a, f)),
    }
}

/// The slope of `e` in time, if `e` is time times a constant plus an
/// expression of the parameters (through assignments of that form).
fn time_slope(
    e: &Expr,
    time: &[String],
    params: &[&str],
    assignments: &HashMap<&str, &Expr>,
    depth: usize,
) -> Option<f64> {
    let slope = |e: &Expr| time_slope(e, time, params, assignments, depth + 1);
    if depth > 64 {
        return None;
    }
    match &e.kind {
        Kind::Num(_) => Some(0.0),
        Kind::Var(v) if time.contains(v) => Some(1.0),
        Kind::Var(v) if params.contains(&v.as_str()) => Some(0.0),
        Kind::Var(v) => assignments.get(v.as_str()).and_then(|a| slope(a)),
        Kind::Neg(a) => slope(a).map(|s| -s),
        Kind::Binary(BinOp::Add, a, b) => Some(slope(a)? + slope(b)?),
        Kind::Binary(BinOp::Sub, a, b) => Some(slope(a)? - slope(b)?),
        Kind::Binary(BinOp::Mul, a, b) => match (&a.kind, &b.kind) {
            (Kind::Num(c), _) => slope(b).map(|s| c * s),
            (_, Kind::Num(c)) => slope(a).map(|s| c * s),
            _ => (slope(a)? == 0.0 && slope(b)? == 0.0).then_some(0.0),
        },
        Kind::Binary(_, a, b) => (slope(a)? == 0.0 && slope(b)? == 0.0).then_some(0.0),
        Kind::Call(_, args) => args.iter().all(|a| slope(a) == Some(0.0)).then_some(0.0),
        Kind::Not(_) => None,
    }
}

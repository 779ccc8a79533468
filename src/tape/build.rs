//! A model as equations — what a model file or an SBML document says —
//! compiled into a [`TapeModel`]: one owner of the scopes and tapes for
//! every source of equations.

use super::compile::{CompileError, Function, Origin, Scope, compile};
use super::model::TapeModel;
use super::syntax::{Expr, SyntaxError};
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
}

/// The part of the equations an error is in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Part {
    Rate(usize),
    Initial(usize),
    Output(usize),
    Assignment(String),
    Function(String),
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
    let model = TapeModel::new(eq.name, eq.description, names, values, bounds, eq.units, [rhs, out, init]);
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

//! Reading a PEtab problem: the YAML file, its tables and its SBML model,
//! resolved into simulations (a condition, optionally preequilibrated)
//! whose parameters come from numbers or estimated parameters.

use super::table::{Table, parse_number};
use super::{Distribution, Parameter, Petab, Prior, Scale, Transformation};
use crate::Error;
use crate::Model;
use crate::models::registry::Named;
use crate::tape::build::{BuildError, Equations, Part};
use crate::tape::{Expr, Kind, TapeModel};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

/// Where a value comes from: a number, or an estimated parameter (its
/// index among the estimated ones, in linear scale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Source {
    Value(f64),
    Estimated(usize),
}

/// The model's parameter values and initial-state overrides of one
/// condition.
#[derive(Clone, Debug)]
pub(super) struct Setup {
    pub params: Vec<Source>,
    /// State index and its initial value (NaN: keep the preequilibrated
    /// value).
    pub initial: Vec<(usize, Source)>,
}

/// One measurement row, resolved.
#[derive(Clone, Debug)]
pub(super) struct Measurement {
    pub file: String,
    pub line: usize,
    pub observable: usize,
    /// Measurement time; infinite for a steady-state measurement.
    pub time: f64,
    pub value: f64,
    /// Placeholder parameters (model parameter index) and their values.
    pub placeholders: Vec<(usize, Source)>,
}

/// One simulation: a condition, optionally preequilibrated, and the
/// measurements taken from it (sorted by time).
#[derive(Clone, Debug)]
pub(super) struct Simulation {
    pub preequilibration: Option<(String, Setup)>,
    pub condition: String,
    pub setup: Setup,
    pub measurements: Vec<Measurement>,
}

/// An observable: its formula and noise as model outputs.
#[derive(Clone, Debug)]
pub struct Observable {
    /// `observableId`.
    pub id: String,
    /// `observableName` (may be empty).
    pub name: String,
    /// `observableTransformation`.
    pub transformation: Transformation,
    /// `noiseDistribution`.
    pub distribution: Distribution,
    pub(super) output: usize,
    pub(super) noise_output: usize,
    /// Placeholder counts: `observableParameter{n}_{id}`, `noiseParameter{n}_{id}`.
    pub(super) placeholders: [Vec<String>; 2],
}

#[derive(Deserialize)]
struct Yaml {
    format_version: serde_yaml_ng::Value,
    parameter_file: OneOrMany,
    problems: Vec<YamlProblem>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn files(self) -> Vec<String> {
        match self {
            OneOrMany::One(f) => vec![f],
            OneOrMany::Many(f) => f,
        }
    }
}

#[derive(Deserialize)]
struct YamlProblem {
    sbml_files: Vec<String>,
    condition_files: Vec<String>,
    measurement_files: Vec<String>,
    observable_files: Vec<String>,
    #[serde(default)]
    mapping_files: Vec<String>,
}

fn yaml_error(file: &str, reason: impl Into<String>) -> Error {
    Error::Parse { file: file.to_string(), line: 1, column: 1, reason: reason.into() }
}

/// Read a PEtab v1 problem from its YAML file.
pub(super) fn read(path: &Path) -> Result<Petab, Error> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let yaml: Yaml = serde_yaml_ng::from_str(&text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        Error::Parse { file: file.clone(), line, column, reason: e.to_string() }
    })?;
    let version = match &yaml.format_version {
        serde_yaml_ng::Value::Number(n) => n.to_string(),
        serde_yaml_ng::Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    };
    if !(version == "1" || version.starts_with("1.")) {
        return Err(yaml_error(&file, format!("format_version {version}: only PEtab version 1 is supported")));
    }
    let [problem] = <[YamlProblem; 1]>::try_from(yaml.problems)
        .map_err(|p| yaml_error(&file, format!("{} problems: exactly one is supported", p.len())))?;
    if !problem.mapping_files.is_empty() {
        return Err(yaml_error(&file, "unsupported: mapping_files"));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let tables = |files: Vec<String>, what: &str, required: &[&str]| -> Result<Table, Error> {
        let tables = files.iter().map(|f| Table::read(&base.join(f), required)).collect::<Result<Vec<_>, _>>()?;
        Table::append(tables).ok_or_else(|| yaml_error(&file, format!("no {what} file")))
    };
    let parameters = tables(
        yaml.parameter_file.files(),
        "parameter",
        &["parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate"],
    )?;
    let conditions = tables(problem.condition_files, "condition", &["conditionId"])?;
    let observables =
        tables(problem.observable_files, "observable", &["observableId", "observableFormula", "noiseFormula"])?;
    let measurements = tables(
        problem.measurement_files,
        "measurement",
        &["observableId", "simulationConditionId", "measurement", "time"],
    )?;
    let [sbml] = <[String; 1]>::try_from(problem.sbml_files)
        .map_err(|f| yaml_error(&file, format!("{} SBML files: exactly one is supported", f.len())))?;
    let sbml_path = base.join(&sbml);
    let sbml_text = std::fs::read_to_string(&sbml_path).map_err(|e| Error::io(&sbml_path, e))?;

    let params = parameter_table(&parameters)?;
    let (model, observables) = model_with_observables(
        &sbml_path.display().to_string(),
        &sbml_text,
        &params,
        &observables,
        conditions.header(),
    )?;
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let resolver = Resolver::new(&model, &params);
    let conditions = condition_table(&conditions, &model, &resolver)?;
    let simulations = measurement_table(&measurements, &observables, &conditions, &resolver)?;
    let gradient_order = gradient_order(&model, resolver.estimated.len(), &simulations);
    let model = Arc::new(model);
    let solvable =
        Named::File { path: sbml_path.display().to_string(), model: Arc::clone(&model), fingerprint: String::new() };
    Ok(Petab {
        name,
        model,
        solvable,
        estimated: resolver.estimated,
        gradient_order,
        parameters: params,
        observables,
        simulations,
    })
}

/// The estimated parameters, those the trajectories depend on first.
fn gradient_order(model: &TapeModel, n: usize, simulations: &[Simulation]) -> Vec<usize> {
    let dynamic_param = model.dynamic_params();
    let mut dynamic = vec![false; n];
    let setups =
        simulations.iter().flat_map(|s| std::iter::once(&s.setup).chain(s.preequilibration.as_ref().map(|p| &p.1)));
    for setup in setups {
        for (k, source) in setup.params.iter().enumerate() {
            if let Source::Estimated(j) = source {
                dynamic[*j] |= dynamic_param[k];
            }
        }
        for (_, source) in &setup.initial {
            if let Source::Estimated(j) = source {
                dynamic[*j] = true;
            }
        }
    }
    let (mut first, rest): (Vec<usize>, Vec<usize>) = (0..n).partition(|&j| dynamic[j]);
    first.extend(rest);
    first
}

fn parameter_table(table: &Table) -> Result<Vec<Parameter>, Error> {
    let mut params: Vec<Parameter> = Vec::new();
    for row in table.rows() {
        let id = row.text("parameterId")?.to_string();
        if params.iter().any(|p| p.id == id) {
            return Err(row.error("parameterId", format!("`{id}` appears twice")));
        }
        let scale = match row.text("parameterScale")? {
            "lin" => Scale::Lin,
            "log" => Scale::Log,
            "log10" => Scale::Log10,
            other => return Err(row.error("parameterScale", format!("`{other}` is not lin, log or log10"))),
        };
        let estimate = match row.text("estimate")? {
            "1" => true,
            "0" => false,
            other => return Err(row.error("estimate", format!("`{other}` is not 0 or 1"))),
        };
        let nominal = row.number("nominalValue")?;
        // A fixed parameter's value is used as it is: its bounds may be
        // empty and its scale does not apply to it.
        let bound = |column: &str, empty: f64| match (estimate, row.get(column)) {
            (false, "") => Ok(empty),
            _ => row.number(column),
        };
        let (lower, upper) = (bound("lowerBound", f64::NEG_INFINITY)?, bound("upperBound", f64::INFINITY)?);
        if estimate {
            let positive = scale == Scale::Lin || lower > 0.0;
            if !(lower.is_finite() && upper.is_finite() && lower < upper && positive) {
                let reason = format!("bounds [{lower}, {upper}] of an estimated parameter on a {scale:?} scale");
                return Err(row.error("lowerBound", reason));
            }
        }
        // A nominal value of 0 on a log scale is 0 (its scaled value −∞,
        // which the likelihood maps back to 0); a negative one has none.
        if !nominal.is_finite() || (estimate && scale != Scale::Lin && nominal < 0.0) {
            return Err(row.error("nominalValue", format!("{nominal} for an estimated parameter on a {scale:?} scale")));
        }
        params.push(Parameter {
            id,
            name: row.get("parameterName").to_string(),
            scale,
            lower,
            upper,
            nominal,
            estimate,
            prior: Prior::parse(row.get("objectivePriorType"), row.get("objectivePriorParameters"))
                .map_err(|reason| row.error("objectivePriorType", reason))?,
        });
    }
    Ok(params)
}

/// An observable's formula or noise: its line, its column's name, the
/// expression.
type Formula = (usize, &'static str, Expr);

/// The observables table: each observable, and its formula and noise in
/// order.
fn observable_table(table: &Table) -> Result<(Vec<Observable>, Vec<Formula>), Error> {
    let mut observables = Vec::new();
    let mut formulas = Vec::new();
    for row in table.rows() {
        let id = row.text("observableId")?.to_string();
        if observables.iter().any(|o: &Observable| o.id == id) {
            return Err(row.error("observableId", format!("`{id}` appears twice")));
        }
        let transformation = match row.get("observableTransformation") {
            "" | "lin" => Transformation::Lin,
            "log" => Transformation::Log,
            "log10" => Transformation::Log10,
            other => {
                return Err(row.error("observableTransformation", format!("`{other}` is not lin, log or log10")));
            }
        };
        let distribution = match row.get("noiseDistribution") {
            "" | "normal" => Distribution::Normal,
            "laplace" => Distribution::Laplace,
            other => return Err(row.error("noiseDistribution", format!("`{other}` is not normal or laplace"))),
        };
        let mut parsed = Vec::new();
        let mut placeholders: [Vec<String>; 2] = Default::default();
        for (k, (column, prefix)) in
            [("observableFormula", "observableParameter"), ("noiseFormula", "noiseParameter")].into_iter().enumerate()
        {
            let text = row.text(column)?;
            let expr = crate::tape::parse(text).map_err(|e| match e {
                Error::Parse { reason, column: c, .. } => row.error(column, format!("at character {c}: {reason}")),
                e => e,
            })?;
            let mut found = BTreeSet::new();
            variables(&expr, &mut |v| {
                let n = v.strip_prefix(prefix).and_then(|r| r.strip_suffix(&format!("_{id}")));
                if let Some(n) = n.and_then(|n| n.parse::<usize>().ok()).filter(|n| *n >= 1) {
                    found.insert(n);
                }
            });
            let count = found.last().copied().unwrap_or(0);
            placeholders[k] = (1..=count).map(|n| format!("{prefix}{n}_{id}")).collect();
            parsed.push((row.line(), column, expr));
        }
        let output = formulas.len();
        formulas.extend(parsed);
        observables.push(Observable {
            id,
            name: row.get("observableName").to_string(),
            transformation,
            distribution,
            output,
            noise_output: output + 1,
            placeholders,
        });
    }
    Ok((observables, formulas))
}

/// The SBML model with the parameter table's extra parameters, the
/// observables' placeholders, and each observable's formula and noise as
/// two outputs.
fn model_with_observables(
    sbml_file: &str,
    sbml: &str,
    params: &[Parameter],
    table: &Table,
    condition_columns: &[String],
) -> Result<(TapeModel, Vec<Observable>), Error> {
    let (observables, formulas) = observable_table(table)?;
    let extend = |eq: &mut Equations| -> Result<(), Error> {
        // A condition overrides a parameter that the SBML sets by an initial
        // assignment to a constant (Liu_IFACPapersOnLine2025): it becomes a
        // parameter with that constant as its value. An initial assignment
        // from other quantities stays, and the condition is refused.
        for column in condition_columns {
            if let Some(k) = eq.assignments.iter().position(|a| &a.0 == column)
                && let Some(v) = constant(&eq.assignments[k].1)
            {
                let (name, _) = eq.assignments.remove(k);
                eq.params.push((name, v, (f64::NEG_INFINITY, f64::INFINITY)));
            }
        }
        let taken = |eq: &Equations, name: &str| {
            eq.states.iter().any(|s| s.0 == name)
                || eq.assignments.iter().any(|a| a.0 == name)
                || eq.params.iter().any(|p| p.0 == name)
        };
        for p in params {
            if eq.states.iter().any(|s| s.0 == p.id) || eq.assignments.iter().any(|a| a.0 == p.id) {
                return Err(Error::Parse {
                    file: sbml_file.to_string(),
                    line: 1,
                    column: 1,
                    reason: format!("`{}` of the parameter table is not a constant parameter of the model", p.id),
                });
            }
            if !taken(eq, &p.id) {
                eq.params.push((p.id.clone(), p.nominal, (f64::NEG_INFINITY, f64::INFINITY)));
            }
        }
        for o in &observables {
            for name in o.placeholders.iter().flatten() {
                if !taken(eq, name) {
                    eq.params.push((name.clone(), 0.0, (f64::NEG_INFINITY, f64::INFINITY)));
                }
            }
        }
        for (k, (_, _, e)) in formulas.iter().enumerate() {
            let o = &observables[k / 2];
            let name = if k % 2 == 0 { o.id.clone() } else { format!("noise of {}", o.id) };
            eq.outputs.push((name, e.clone()));
        }
        Ok(())
    };
    let rows: Vec<_> = table.rows().collect();
    let locate = |e: &BuildError| match e.part {
        Part::Output(k) => {
            let (_, column, _) = &formulas[k];
            Some(rows[k / 2].error(column, e.error.reason.clone()))
        }
        _ => None,
    };
    let model = crate::import::sbml::sbml_extended(sbml_file, sbml, extend, locate)?;
    Ok((model, observables))
}

/// The value of an expression of numbers and arithmetic alone.
fn constant(e: &Expr) -> Option<f64> {
    use crate::tape::BinOp;
    match &e.kind {
        Kind::Num(v) => Some(*v),
        Kind::Neg(a) => constant(a).map(|v| -v),
        Kind::Binary(op, a, b) => {
            let (a, b) = (constant(a)?, constant(b)?);
            match op {
                BinOp::Add => Some(a + b),
                BinOp::Sub => Some(a - b),
                BinOp::Mul => Some(a * b),
                BinOp::Div => Some(a / b),
                BinOp::Pow => Some(a.powf(b)),
                _ => None,
            }
        }
        _ => None,
    }
    .filter(|v| v.is_finite())
}

/// Every variable name in `e`.
fn variables(e: &Expr, f: &mut impl FnMut(&str)) {
    match &e.kind {
        Kind::Var(v) => f(v),
        Kind::Num(_) => {}
        Kind::Neg(a) | Kind::Not(a) => variables(a, f),
        Kind::Binary(_, a, b) => {
            variables(a, f);
            variables(b, f);
        }
        Kind::Call(_, args) => args.iter().for_each(|a| variables(a, f)),
    }
}

/// Values by name: a number, or a parameter-table id.
struct Resolver<'a> {
    params: &'a [Parameter],
    /// Parameter-table index of each estimated parameter.
    estimated: Vec<usize>,
    /// The model's parameter values before any condition.
    base: Vec<Source>,
    param_index: HashMap<String, usize>,
    state_index: HashMap<String, usize>,
}

impl<'a> Resolver<'a> {
    fn new(model: &TapeModel, params: &'a [Parameter]) -> Self {
        let estimated: Vec<usize> = (0..params.len()).filter(|&k| params[k].estimate).collect();
        let mut r = Resolver {
            params,
            estimated,
            base: Vec::new(),
            param_index: model.param_names().into_iter().enumerate().map(|(k, n)| (n, k)).collect(),
            state_index: model.state_names().into_iter().enumerate().map(|(k, n)| (n, k)).collect(),
        };
        r.base = model
            .param_names()
            .iter()
            .zip(model.params())
            .map(|(name, &v)| r.table(name).unwrap_or(Source::Value(v)))
            .collect();
        r
    }

    /// The value of a parameter-table entry.
    fn table(&self, id: &str) -> Option<Source> {
        let k = self.params.iter().position(|p| p.id == id)?;
        Some(match self.estimated.iter().position(|&e| e == k) {
            Some(j) => Source::Estimated(j),
            None => Source::Value(self.params[k].nominal),
        })
    }

    /// A cell holding a number or a parameter-table id.
    fn resolve(&self, cell: &str) -> Option<Source> {
        parse_number(cell).map(Source::Value).or_else(|| self.table(cell))
    }
}

/// Each condition's setup, by id.
fn condition_table(table: &Table, model: &TapeModel, resolver: &Resolver<'_>) -> Result<HashMap<String, Setup>, Error> {
    let mut conditions = HashMap::new();
    for row in table.rows() {
        let id = row.text("conditionId")?.to_string();
        let mut setup = Setup { params: resolver.base.clone(), initial: Vec::new() };
        for (c, target) in table.header().iter().enumerate() {
            if target == "conditionId" || target == "conditionName" {
                continue;
            }
            let cell = row.cell(c);
            if cell.is_empty() {
                continue;
            }
            let value = resolver.resolve(cell).ok_or_else(|| {
                row.error(target, format!("`{cell}` is neither a number nor a parameter of the parameter table"))
            })?;
            if let Some(&k) = resolver.param_index.get(target) {
                if matches!(value, Source::Value(v) if v.is_nan()) {
                    return Err(row.error(target, "NaN for a parameter"));
                }
                setup.params[k] = value;
            } else if let Some(&k) = resolver.state_index.get(target) {
                setup.initial.push((k, value));
            } else {
                let reason = format!("`{target}` is not a parameter, compartment or species of {}", model.name());
                return Err(row.error(target, reason));
            }
        }
        if conditions.insert(id.clone(), setup).is_some() {
            return Err(row.error("conditionId", format!("`{id}` appears twice")));
        }
    }
    Ok(conditions)
}

/// The measurements, grouped into simulations in order of first
/// appearance.
fn measurement_table(
    table: &Table,
    observables: &[Observable],
    conditions: &HashMap<String, Setup>,
    resolver: &Resolver<'_>,
) -> Result<Vec<Simulation>, Error> {
    let mut simulations: Vec<Simulation> = Vec::new();
    for row in table.rows() {
        let condition = |column: &str| -> Result<Option<(String, Setup)>, Error> {
            match row.get(column) {
                "" => Ok(None),
                id => match conditions.get(id) {
                    Some(s) => Ok(Some((id.to_string(), s.clone()))),
                    None => Err(row.error(column, format!("unknown condition `{id}`"))),
                },
            }
        };
        let preequilibration = condition("preequilibrationConditionId")?;
        let (id, setup) =
            condition("simulationConditionId")?.ok_or_else(|| row.error("simulationConditionId", "empty"))?;
        let obs_id = row.text("observableId")?;
        let observable = observables
            .iter()
            .position(|o| o.id == obs_id)
            .ok_or_else(|| row.error("observableId", format!("unknown observable `{obs_id}`")))?;
        let time = row.number("time")?;
        if time.is_nan() || time < 0.0 {
            return Err(row.error("time", format!("{time}: times start at 0")));
        }
        let value = row.number("measurement")?;
        if !value.is_finite() {
            return Err(row.error("measurement", format!("{value} is not a finite measurement")));
        }
        let mut placeholders = Vec::new();
        for (k, column) in ["observableParameters", "noiseParameters"].into_iter().enumerate() {
            let names = &observables[observable].placeholders[k];
            let cells: Vec<&str> = row.get(column).split(';').map(str::trim).filter(|c| !c.is_empty()).collect();
            if cells.len() != names.len() {
                let reason = format!("{} values for the {} placeholders of `{obs_id}`", cells.len(), names.len());
                return Err(row.error(column, reason));
            }
            for (name, cell) in names.iter().zip(cells) {
                let source =
                    resolver.resolve(cell).ok_or_else(|| row.error(column, format!("unknown parameter `{cell}`")))?;
                let k = resolver.param_index.get(name).ok_or_else(|| {
                    row.error(column, format!("placeholder `{name}` is a state or an assignment of the model"))
                })?;
                placeholders.push((*k, source));
            }
        }
        let m = Measurement { file: row.file().to_string(), line: row.line(), observable, time, value, placeholders };
        let pre = preequilibration.as_ref().map(|p| &p.0);
        match simulations.iter_mut().find(|s| s.condition == id && s.preequilibration.as_ref().map(|p| &p.0) == pre) {
            Some(s) => s.measurements.push(m),
            None => simulations.push(Simulation { preequilibration, condition: id, setup, measurements: vec![m] }),
        }
    }
    for s in &mut simulations {
        s.measurements.sort_by(|a, b| a.time.total_cmp(&b.time));
    }
    Ok(simulations)
}

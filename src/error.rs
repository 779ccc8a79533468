//! The crate's one error type.
//!
//! Every fallible odeon API returns `Result<_, Error>`. Each variant carries
//! what is wrong and where (a time, a component, an option's name), and
//! integration failures keep the solution computed up to the failure.

use crate::solution::Solution;
use std::fmt;

/// The part of a solution computed before an integration failed (the real
/// parts of the states when integrating with dual numbers).
#[derive(Clone, PartialEq)]
pub struct Partial(pub Box<Solution>);

impl fmt::Debug for Partial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Short on purpose: a partial solution can hold thousands of points.
        let last = self.0.t.last().copied();
        write!(f, "Partial {{ points: {}, t_last: {last:?} }}", self.0.len())
    }
}

/// Every fallible odeon API returns `Result<_, Error>`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input that must be finite is NaN or infinite.
    #[error("{what}[{index}] is not finite ({value})")]
    NonFinite {
        /// Which input (e.g. "y0", "p", "t_span").
        what: &'static str,
        /// Position within it.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A vector has the wrong length.
    #[error("{what} has length {got}, expected {expected}")]
    DimensionMismatch {
        /// Which input.
        what: &'static str,
        /// The length the model or problem requires.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A tolerance is not a positive finite number, or (`rtol`) is below
    /// what double precision can meet.
    #[error("{name}[{index}] = {value}: {reason}")]
    InvalidTolerance {
        /// "rtol" or "atol".
        name: &'static str,
        /// Component (0 for a scalar tolerance).
        index: usize,
        /// The offending value.
        value: f64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An option has a value that cannot be used.
    #[error("option `{name}`: {reason}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A requested output time is outside `t_span` or out of order.
    #[error("t_eval[{index}] = {t}: {reason}")]
    InvalidTEval {
        /// Position in `t_eval`.
        index: usize,
        /// The offending time.
        t: f64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The step size fell below `h_min` (or below what the arithmetic can
    /// resolve at `t`): typically a stiff problem on an explicit method.
    #[error("step size {h:e} at t = {t} is below the minimum {h_min:e} (is the problem stiff?)")]
    StepSizeTooSmall {
        /// Time reached.
        t: f64,
        /// The step size that was rejected.
        h: f64,
        /// The smallest admissible step at `t`.
        h_min: f64,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// `max_steps` steps (accepted and rejected) did not reach the end.
    #[error("max_steps = {max_steps} reached at t = {t} before the end of t_span")]
    MaxStepsExceeded {
        /// Time reached.
        t: f64,
        /// The limit.
        max_steps: usize,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// The right-hand side produced NaN or infinity and smaller steps could
    /// not get past it.
    #[error("the right-hand side is not finite in component {component} near t = {t}")]
    NonFiniteRhs {
        /// Time of the last good state.
        t: f64,
        /// First state component that became non-finite.
        component: usize,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// An explicit method found the problem stiff: over many successive
    /// steps the step size was limited by stability (`h·|λ|` at the edge of
    /// the method's stability region, estimated as in Hairer's DOPRI5), not
    /// by accuracy. Use a stiff method ([`Rodas5P`](crate::Rodas5P)) or
    /// [`Method::Auto`](crate::Method::Auto).
    #[error(
        "the problem became stiff near t = {t:.6e} ({method} was held to steps of about {h:.1e}); use a stiff method such as Rodas5P or Method::Auto"
    )]
    Stiff {
        /// Time where stiffness was confirmed.
        t: f64,
        /// The last accepted step.
        h: f64,
        /// The explicit method.
        method: &'static str,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// The iteration matrix `I/(hγ) − J` of an implicit method stayed
    /// singular (or its Jacobian non-finite) however small the step.
    #[error(
        "the iteration matrix is singular at t = {t} (elimination column {column}; non-finite Jacobian: {non_finite_jacobian})"
    )]
    SingularMatrix {
        /// Time of the last good state.
        t: f64,
        /// The elimination step that met a zero or non-finite pivot.
        column: usize,
        /// Whether the Jacobian itself had a NaN or infinite entry.
        non_finite_jacobian: bool,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// The algebraic equations of a DAE (zero rows of the mass matrix)
    /// could not be satisfied from the given initial state: Newton's
    /// method on them did not converge (no consistent state nearby, or
    /// `∂f_a/∂y_a` singular there: the DAE is not of index 1).
    #[error("no consistent initial state at t = {t}: algebraic equation {component} keeps a residual of {residual:e}")]
    InconsistentInitialState {
        /// The time of the initial state.
        t: f64,
        /// The algebraic equation with the largest residual.
        component: usize,
        /// Its residual after the iterations.
        residual: f64,
    },
    /// The Newton iterations of an implicit method (BDF) failed to converge
    /// with a fresh Jacobian however small the step.
    #[error("the Newton iterations do not converge at t = {t} even with a fresh Jacobian and a step of {h:e}")]
    NewtonFailure {
        /// Time of the last good state.
        t: f64,
        /// The last step tried.
        h: f64,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// The error test failed [`MAX_ERROR_TEST_FAILURES`](crate::integrate::MAX_ERROR_TEST_FAILURES)
    /// times in a row at one time: no step, however small, is accurate
    /// there (a discontinuity or a singularity of the right-hand side).
    #[error(
        "the error test failed {failures} times in a row at t = {t} (last step {h:e}): is the right-hand side discontinuous or singular there?"
    )]
    ErrorTestFailures {
        /// Time of the last good state.
        t: f64,
        /// Consecutive failures.
        failures: usize,
        /// The last step tried.
        h: f64,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// The solution is blowing up: a component of an accepted state passed
    /// ±1e150 (beyond it, products of two components overflow to infinity).
    #[error("the solution is blowing up: component {component} reached {value:e} at t = {t}")]
    Unstable {
        /// Time of the state.
        t: f64,
        /// The component.
        component: usize,
        /// Its value.
        value: f64,
        /// The solution up to the step before.
        partial: Option<Partial>,
    },
    /// An event function or a reset gave something unusable: a value that
    /// is not finite, a state of another dimension, a stop outside the
    /// model's parameters or states, derivatives it cannot carry.
    #[error("{what} at t = {t}: {reason}")]
    InvalidEvent {
        /// Time of the evaluation.
        t: f64,
        /// Which event or stop (e.g. `event 0 "ground"`).
        what: String,
        /// What is wrong.
        reason: String,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// An event whose function touches zero without crossing it (`ġ =
    /// g_t + g_y·f ≈ 0` at the root): its time has no derivative, so a
    /// solve with dual numbers stops rather than return a wrong one.
    #[error("{what} grazes zero at t = {t} (dg/dt = {rate:e}): its time has no derivative")]
    GrazingEvent {
        /// Time of the root.
        t: f64,
        /// Which event.
        what: String,
        /// `dg/dt` along the solution at the root.
        rate: f64,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// Events firing ever faster at one point (a Zeno behaviour, such as a
    /// ball bouncing to rest): `events` of them within `window` of time.
    #[error("{events} events within {window:e} of t = {t}: the events accumulate (Zeno behaviour)")]
    Zeno {
        /// Time of the last event.
        t: f64,
        /// Events counted.
        events: usize,
        /// The time window they fell in.
        window: f64,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// More events than [`Options::max_events`](crate::Options::max_events).
    #[error("more than {max_events} events by t = {t}")]
    TooManyEvents {
        /// Time of the last event.
        t: f64,
        /// The limit.
        max_events: usize,
        /// The solution up to `t`.
        partial: Option<Partial>,
    },
    /// A variance-based analysis of an output that does not vary: its
    /// indices are 0/0.
    #[error("the output is constant ({value}) over all {rows} evaluated rows: Sobol indices are undefined")]
    ConstantOutput {
        /// Rows evaluated.
        rows: usize,
        /// The output's (mean) value.
        value: f64,
    },
    /// A derivative carried by a dual number became NaN or infinite (e.g.
    /// `sqrt`, `powf` or `ln` evaluated at an exact zero of the state).
    #[error("the derivative of component {component} with respect to {wrt} is not finite at t = {t}")]
    NonFiniteDerivative {
        /// Time of the first state with a non-finite derivative.
        t: f64,
        /// The state component.
        component: usize,
        /// The derivative direction (index into the seeded directions).
        direction: usize,
        /// What the direction is (e.g. "parameter b").
        wrt: String,
        /// The solution up to the step before.
        partial: Option<Partial>,
    },
    /// A requested direction of differentiation does not exist.
    #[error("wrt[{index}]: {reason}")]
    InvalidWrt {
        /// Position in the list of directions.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A fit names a parameter the model does not have.
    #[error("unknown parameter {name:?} (the model has: {known})")]
    UnknownParameter {
        /// The name given.
        name: String,
        /// The model's parameter names.
        known: String,
    },
    /// A fit parameter cannot be used as given.
    #[error("parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Observations that cannot be used.
    #[error("experiment {experiment:?}{}: {reason}", row.map(|r| format!(", row {r}")).unwrap_or_default())]
    InvalidData {
        /// The experiment's name.
        experiment: String,
        /// The data row (0-based), where one is at fault.
        row: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// A fit's observable does not fit the model (e.g. `States` naming a
    /// state the model does not have).
    #[error("observable: {reason}")]
    InvalidObservable {
        /// What is wrong.
        reason: String,
    },
    /// An optimizer stopped with an error of its own.
    #[error("solver: {reason}")]
    Solver {
        /// The solver's message.
        reason: String,
    },
    /// `interpolate` was asked for a time outside the last step.
    #[error("cannot interpolate at t = {t}: the last step covers [{t_from}, {t_to}]")]
    OutOfStep {
        /// Requested time.
        t: f64,
        /// Start of the last step.
        t_from: f64,
        /// End of the last step.
        t_to: f64,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's or parser's message.
        message: String,
    },
    /// Too few nodes were asked of a node family (e.g. LGL needs n ≥ 2).
    #[error("{family} needs at least {min} nodes, got {n}")]
    TooFewNodes {
        /// Node family, e.g. "Legendre–Gauss–Lobatto".
        family: &'static str,
        /// Requested number of nodes.
        n: usize,
        /// Smallest admissible number of nodes.
        min: usize,
    },
    /// Two interpolation nodes coincide.
    #[error("nodes {i} and {j} coincide (x = {x})")]
    RepeatedNode {
        /// Index of the first node.
        i: usize,
        /// Index of the second node.
        j: usize,
        /// Their common value.
        x: f64,
    },
    /// A node or evaluation point is NaN or infinite.
    #[error("{set}[{index}] = {x} is not finite")]
    NonFiniteNode {
        /// Which argument holds it, e.g. "x_disc", "x_eval".
        set: &'static str,
        /// Its index in that argument.
        index: usize,
        /// Its value.
        x: f64,
    },
    /// The barycentric weights of a node set over- or underflow `f64`: the
    /// nodes are too clustered (or too many equispaced ones) for polynomial
    /// interpolation in floating point.
    #[error("barycentric weights of {set} ({n} nodes) exceed the range of f64")]
    WeightsOutOfRange {
        /// Which argument holds the nodes, e.g. "x_disc".
        set: &'static str,
        /// Number of nodes.
        n: usize,
    },
    /// More nodes were asked of a node family than odeon computes.
    #[error("{family} supports at most {max} nodes, got {n}")]
    TooManyNodes {
        /// Node family, e.g. "Legendre–Gauss–Lobatto".
        family: &'static str,
        /// Requested number of nodes.
        n: usize,
        /// Largest admissible number of nodes.
        max: usize,
    },
    /// A caller-supplied output matrix has the wrong shape.
    #[error("{name} must be {expected_rows}×{expected_cols}, got {rows}×{cols}")]
    ShapeMismatch {
        /// Which output, e.g. "l", "ai".
        name: &'static str,
        /// Required number of rows.
        expected_rows: usize,
        /// Required number of columns.
        expected_cols: usize,
        /// Rows of the matrix given.
        rows: usize,
        /// Columns of the matrix given.
        cols: usize,
    },
    /// A vector argument has the wrong length.
    #[error("{name} has {len} entries, expected {expected}")]
    LengthMismatch {
        /// Which argument, e.g. "values".
        name: &'static str,
        /// Required length.
        expected: usize,
        /// Length given.
        len: usize,
    },
    /// The parameters of an input distribution are invalid.
    #[error("distribution of {name}: {reason}")]
    InvalidDistribution {
        /// The input, e.g. `p[0]` or `params.mu`.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A shard index is not below the number of shards.
    #[error("shard {index}/{count} is out of range: shards are numbered 0 to count - 1")]
    InvalidShard {
        /// The shard asked for (0-based).
        index: u64,
        /// The number of shards.
        count: u64,
    },
    /// Ensemble summaries that cannot be merged (different layouts,
    /// overlapping or missing parts).
    #[error("cannot merge: {reason}")]
    MergeConflict {
        /// Why.
        reason: String,
    },
    /// A file odeon wrote (an ensemble part or summary, perhaps on another
    /// machine) does not hold together: a length, count, range or tag is
    /// not what the rest of the file implies. Nothing was read from it.
    #[error("{path}: `{field}`: {reason}")]
    InvalidFile {
        /// The file.
        path: String,
        /// The offending field (dotted path).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A finite-element mesh or its boundary conditions do not hold
    /// together: an index outside the mesh, an inverted or degenerate
    /// element, an unknown boundary side.
    #[error("mesh: {what}: {reason}")]
    InvalidMesh {
        /// The offending part (`element 17`, `side "left"`, …).
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A model file or an expression in it cannot be read: a syntax
    /// error, an unknown symbol, a wrong number of arguments, a repeated
    /// or reserved name, a missing or invalid field.
    #[error("{file}:{line}:{column}: {reason}")]
    Parse {
        /// The file (or `<expression>` for a string parsed on its own).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// An ensemble spec (TOML) is malformed.
    #[error("spec{}: `{key}`: {reason}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    InvalidSpec {
        /// The offending key (dotted path), or "" for the whole file.
        key: String,
        /// 1-based line in the spec file, when known.
        line: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// No built-in model has this name.
    #[error("unknown model {name:?}; built-in models: {known}")]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// A part was produced from a different spec than the others.
    #[error("{part} comes from a different spec (hash {found}, expected {expected})")]
    SpecMismatch {
        /// The part (file name).
        part: String,
        /// Hash of the first part's spec.
        expected: String,
        /// Hash of this part's spec.
        found: String,
    },
    /// A trajectory-optimization problem is inconsistent (a bound, a scale,
    /// a fixed value or a guess).
    #[error("optimal control problem, {what}: {reason}")]
    InvalidOcp {
        /// Which variable or constraint.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A transcription cannot be built (zero segments, an even
    /// Gauss–Lobatto order, …).
    #[error("{transcription}: {reason}")]
    InvalidTranscription {
        /// The transcription asked for (as written in Rust, e.g.
        /// `GaussLobatto { segments: 0, order: 3 }`).
        transcription: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A model's inputs are neither connected nor given: a model with
    /// inputs solved without signals (give them with
    /// [`Driven`](crate::signal::Driven)), or a composite's input left
    /// unconnected without being declared external or fixed.
    #[error("inputs {inputs} are not given (connect them, declare them external, or drive the model with signals)")]
    FreeInputs {
        /// The free inputs by name, comma-separated.
        inputs: String,
    },
    /// A composite model cannot be built: an unknown or repeated name, an
    /// input connected twice, a state count that does not match.
    #[error("composite, {path}: {reason}")]
    InvalidComposite {
        /// The offending subsystem, port or connection, by path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A composite's connections close a loop of direct feedthrough: an
    /// output that depends, through the connections, on itself at the
    /// same instant.
    #[error("algebraic loop through {} (each passes its input straight to its output; break the loop with a state, or declare `feedthrough` false where an output does not read an input)", systems.join(" → "))]
    AlgebraicLoop {
        /// The subsystems on the loop, in order, by path.
        systems: Vec<String>,
    },
    /// A steady state was not reached (PEtab preequilibration, or a
    /// measurement at `t = inf`).
    #[error("condition `{condition}`: no steady state by t = {t:e} (weighted RMS of dx/dt times t: {residual:e})")]
    NoSteadyState {
        /// The condition.
        condition: String,
        /// How far the integration went.
        t: f64,
        /// The convergence measure there (below 1 is converged).
        residual: f64,
    },
    /// A model prediction cannot enter a likelihood: an observable or its
    /// noise that is not finite, a noise that is not positive, a
    /// logarithm of a prediction that is not positive.
    #[error("{file}:{line}: {reason}")]
    InvalidPrediction {
        /// The measurement file.
        file: String,
        /// The measurement's 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A function of an optimal-control problem is NaN or infinite at the
    /// initial guess.
    #[error("{what} is not finite ({value}) at the initial guess")]
    NonFiniteEvaluation {
        /// Which constraint or objective.
        what: String,
        /// The value.
        value: f64,
    },
}

impl Error {
    /// Attach the solution computed so far to an integration failure.
    pub(crate) fn with_partial(mut self, sol: Solution) -> Self {
        match &mut self {
            Error::StepSizeTooSmall { partial, .. }
            | Error::MaxStepsExceeded { partial, .. }
            | Error::NonFiniteRhs { partial, .. }
            | Error::Stiff { partial, .. }
            | Error::SingularMatrix { partial, .. }
            | Error::NewtonFailure { partial, .. }
            | Error::ErrorTestFailures { partial, .. }
            | Error::Unstable { partial, .. }
            | Error::NonFiniteDerivative { partial, .. }
            | Error::InvalidEvent { partial, .. }
            | Error::GrazingEvent { partial, .. }
            | Error::Zeno { partial, .. }
            | Error::TooManyEvents { partial, .. } => *partial = Some(Partial(Box::new(sol))),
            _ => {}
        }
        self
    }

    /// The solution computed before an integration failure, if any.
    ///
    /// # Example
    /// ```
    /// use odeon::{models::VanDerPol, solve, Method, Options};
    /// let opts = Options::default().max_steps(20);
    /// let err = solve(&VanDerPol, Method::Dopri5, (0.0, 20.0), &[2.0, 0.0], &[1.0], &opts)
    ///     .unwrap_err();
    /// let partial = err.partial().expect("the steps taken are kept");
    /// assert!(partial.len() > 1 && *partial.t.last().unwrap() < 20.0);
    /// ```
    pub fn partial(&self) -> Option<&Solution> {
        match self {
            Error::StepSizeTooSmall { partial, .. }
            | Error::MaxStepsExceeded { partial, .. }
            | Error::NonFiniteRhs { partial, .. }
            | Error::Stiff { partial, .. }
            | Error::SingularMatrix { partial, .. }
            | Error::NewtonFailure { partial, .. }
            | Error::ErrorTestFailures { partial, .. }
            | Error::Unstable { partial, .. }
            | Error::NonFiniteDerivative { partial, .. }
            | Error::InvalidEvent { partial, .. }
            | Error::GrazingEvent { partial, .. }
            | Error::Zeno { partial, .. }
            | Error::TooManyEvents { partial, .. } => partial.as_ref().map(|p| &*p.0),
            _ => None,
        }
    }

    pub(crate) fn io(path: &std::path::Path, e: impl fmt::Display) -> Self {
        Error::Io { path: path.display().to_string(), message: e.to_string() }
    }
}

//! A model read from a file: its equations compiled to tapes, run as any
//! other [`Model`].

use super::tape::Tape;
use crate::events::{Cause, Event};
use crate::system::{Model, State};
use crate::{DualScalar, Error};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dyn};
use std::collections::HashMap;
use std::path::Path;

/// A model whose equations come from a file (see the [module
/// documentation](super) for the format): its right-hand side, outputs
/// and initial values compiled to instruction tapes and evaluated by an
/// interpreter generic over the scalar, so it simulates, gives exact
/// sensitivities, fits, samples and composes like a model written in Rust.
/// Its size is known at run time (`Dyn`).
///
/// # Example
/// ```
/// use odeon::tape::TapeModel;
/// use odeon::{solve, Options, Tsit5};
///
/// let model = TapeModel::from_toml("decay.toml", r#"
///     [[parameters]]
///     name = "k"
///     value = 0.5
///
///     [[states]]
///     name = "x"
///     initial = 2.0
///     rate = "-k * x"
/// "#)?;
/// let sol = solve(&model, Tsit5, (0.0, 2.0), model.y0(), model.params(), &Options::default().save_final())?;
/// assert!((sol.y[0] - 2.0 * (-1.0f64).exp()).abs() < 1e-6);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TapeModel {
    name: String,
    description: String,
    /// States, inputs, parameters, outputs.
    names: [Vec<String>; 4],
    params: Vec<f64>,
    bounds: Vec<(f64, f64)>,
    y0: Vec<f64>,
    units: HashMap<String, String>,
    rhs: Tape,
    outputs: Tape,
    initial: Tape,
    /// The times where the right-hand side switches, from the parameters.
    switches: Tape,
    /// `feedthrough[o][i]`: output `o` reads input `i`.
    feedthrough: Vec<Vec<bool>>,
    /// The event functions, one result per event.
    event_functions: Tape,
    /// Each event, the states it sets and their new values.
    events: Vec<(Event, Vec<usize>, Tape)>,
    /// Whether the right-hand side never reads time (argument slot 0).
    autonomous: bool,
}

impl TapeModel {
    pub(crate) fn new(
        name: String,
        description: String,
        names: [Vec<String>; 4],
        params: Vec<f64>,
        bounds: Vec<(f64, f64)>,
        units: HashMap<String, String>,
        [rhs, outputs, initial, switches]: [Tape; 4],
    ) -> Self {
        let first_input = 1 + names[0].len();
        let feedthrough = outputs.reads(first_input, names[1].len());
        let autonomous = rhs.reads(0, 1).iter().all(|r| !r[0]);
        let mut model = TapeModel {
            name,
            description,
            names,
            params,
            bounds,
            y0: Vec::new(),
            units,
            rhs,
            outputs,
            initial,
            feedthrough,
            event_functions: switches.clone(),
            switches,
            events: Vec::new(),
            autonomous,
        };
        model.y0 = model.initial_state(&model.params);
        model
    }

    /// Read a model file.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be read; [`Error::Parse`] with the line
    /// and column of what is wrong in it.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        super::file::read(&path.display().to_string(), &text)
    }

    /// A model from the text of a model file; `file` names it in errors.
    ///
    /// # Errors
    /// [`Error::Parse`] with the line and column of what is wrong.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, Error> {
        super::file::read(file, text)
    }

    /// The model's name (`name` in the file; empty if not given).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One line about the model (`description`).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The parameter values in the file, in order.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// The parameters' bounds (infinite where the file gives none).
    pub fn bounds(&self) -> &[(f64, f64)] {
        &self.bounds
    }

    /// The initial state at the file's parameter values.
    pub fn y0(&self) -> &[f64] {
        &self.y0
    }

    /// The initial state at parameters `p` (initial values may be
    /// expressions of the parameters; with dual numbers, so are their
    /// derivatives).
    pub fn initial_state<D: DualScalar>(&self, p: &[D]) -> Vec<D> {
        let mut y0 = vec![D::from(0.0); self.names[0].len()];
        if p.len() == self.params.len() {
            self.initial.eval(D::from(0.0), &[], &[], p, &mut y0);
        } else {
            y0.fill(D::from(f64::NAN));
        }
        y0
    }

    /// The times at which the right-hand side jumps at parameters `p`
    /// (where a comparison of time with an expression of the parameters
    /// changes, e.g. a dose switched on at `time >= t_dose`), sorted; pass
    /// them as `tstops` so that no step straddles a jump. Comparisons
    /// that involve the states are events, not found here.
    pub fn time_switches(&self, p: &[f64]) -> Vec<f64> {
        let mut t = vec![f64::NAN; self.switches.results.len()];
        if p.len() == self.params.len() {
            self.switches.eval(0.0, &[], &[], p, &mut t);
        }
        t.retain(|t| t.is_finite());
        t.sort_by(f64::total_cmp);
        t.dedup();
        t
    }

    /// The unit written for a state, input, parameter, assignment or
    /// output, if any (free text).
    pub fn unit(&self, name: &str) -> Option<&str> {
        self.units.get(name).map(String::as_str)
    }

    /// The model's events: their functions as one tape, and each event's
    /// targets and new values.
    pub(crate) fn set_events(&mut self, functions: Tape, events: Vec<(Event, Vec<usize>, Tape)>) {
        self.event_functions = functions;
        self.events = events;
    }

    /// The right-hand side on slices (no input).
    pub(crate) fn rhs_at<D: DualScalar>(&self, t: D, x: &[D], p: &[D], dxdt: &mut [D]) {
        self.rhs.eval(t, x, &[], p, dxdt);
    }

    /// For each parameter, whether the trajectory depends on it: the
    /// right-hand side, the initial state or a switch time reads it
    /// (the others enter the outputs only).
    pub(crate) fn dynamic_params(&self) -> Vec<bool> {
        let n = self.params.len();
        let first = 1 + self.names[0].len() + self.names[1].len();
        let mut dynamic = vec![false; n];
        let reads = [self.rhs.reads(first, n), self.initial.reads(1, n), self.switches.reads(1, n)];
        for row in reads.iter().flatten() {
            for (d, &r) in dynamic.iter_mut().zip(row) {
                *d |= r;
            }
        }
        dynamic
    }

    /// The outputs on slices (no input).
    pub(crate) fn outputs_at<D: DualScalar>(&self, t: D, x: &[D], p: &[D], y: &mut [D]) {
        self.outputs.eval(t, x, &[], p, y);
    }

    /// The model with its equations interpreted, also where the `jit`
    /// feature would compile them to machine code (for `f64` and the dual
    /// numbers of sensitivities and stiff Jacobians, once evaluated often,
    /// with the same results to the bit): for comparisons. Without the
    /// feature every model is interpreted.
    ///
    /// # Example
    /// ```
    /// use odeon::tape::TapeModel;
    /// use odeon::{solve, Options, Tsit5};
    ///
    /// let file = "[[parameters]]\nname = \"k\"\nvalue = 0.5\n[[states]]\nname = \"x\"\ninitial = 2.0\nrate = \"-k * x^1.5\"";
    /// let model = TapeModel::from_toml("decay.toml", file)?;
    /// let slow = model.clone().interpreted();
    /// let opts = Options::default().save_final();
    /// let a = solve(&model, Tsit5, (0.0, 2.0), model.y0(), model.params(), &opts)?;
    /// let b = solve(&slow, Tsit5, (0.0, 2.0), slow.y0(), slow.params(), &opts)?;
    /// assert_eq!(a.y, b.y);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn interpreted(mut self) -> Self {
        let tapes =
            [&mut self.rhs, &mut self.outputs, &mut self.initial, &mut self.switches, &mut self.event_functions];
        tapes.into_iter().chain(self.events.iter_mut().map(|e| &mut e.2)).for_each(Tape::interpret_always);
        self
    }

    /// Number of instructions of the right-hand side's tape (after
    /// sharing common subexpressions and folding constants).
    pub fn rhs_instructions(&self) -> usize {
        self.rhs.instructions()
    }
}

impl Model for TapeModel {
    type Dim = Dyn;
    /// One chunk width for every file-defined model (it serves many
    /// problems).
    const FIXED_SENSITIVITY_CHUNKS: bool = true;

    fn dim(&self) -> Dyn {
        Dyn(self.names[0].len())
    }
    fn n_params(&self) -> usize {
        self.params.len()
    }
    fn n_inputs(&self) -> usize {
        self.names[1].len()
    }
    fn n_outputs(&self) -> usize {
        self.names[3].len()
    }

    fn rhs<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], dxdt: &mut State<D, Dyn>)
    where
        DefaultAllocator: Allocator<Dyn>,
    {
        self.rhs.eval(t, x.as_slice(), u, p, dxdt.as_mut_slice());
    }

    /// Whether no rate reads time, from the tape itself.
    fn autonomous(&self) -> bool {
        self.autonomous
    }

    fn outputs<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], y: &mut [D])
    where
        DefaultAllocator: Allocator<Dyn>,
    {
        self.outputs.eval(t, x.as_slice(), u, p, y);
    }

    fn events(&self) -> Vec<Event> {
        self.events.iter().map(|e| e.0.clone()).collect()
    }

    fn event_values<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], g: &mut [D])
    where
        DefaultAllocator: Allocator<Dyn>,
    {
        if !self.events.is_empty() {
            self.event_functions.eval(t, x.as_slice(), u, p, g);
        }
    }

    fn reset<D: DualScalar>(&self, cause: Cause, t: D, x: &mut State<D, Dyn>, p: &[D], _armed: &mut [bool])
    where
        DefaultAllocator: Allocator<Dyn>,
    {
        // Only events set states (a stop of `tstops` restarts the
        // integration and changes nothing). Every new value is computed
        // from the states before the event, then written.
        let Cause::Event(k) = cause else { return };
        let Some((_, targets, values)) = self.events.get(k) else { return };
        let u = vec![D::from(0.0); self.names[1].len()];
        let mut new = vec![D::from(0.0); targets.len()];
        values.eval(t, x.as_slice(), &u, p, &mut new);
        for (&j, v) in targets.iter().zip(new) {
            x[j] = v;
        }
    }

    fn feedthrough(&self, output: usize, input: usize) -> bool {
        self.feedthrough.get(output).and_then(|row| row.get(input)).copied().unwrap_or(true)
    }

    fn state_names(&self) -> Vec<String> {
        self.names[0].clone()
    }
    fn input_names(&self) -> Vec<String> {
        self.names[1].clone()
    }
    fn param_names(&self) -> Vec<String> {
        self.names[2].clone()
    }
    fn output_names(&self) -> Vec<String> {
        self.names[3].clone()
    }
}

//! Multi-phase trajectories: phases with their own dynamics, transcription
//! and grid, joined by linkage constraints between phase ends (or by ends
//! that share one variable, "connected"), solved as one sparse NLP
//! (dymos's `Trajectory` with `link_phases` and `add_linkage_constraint`).

mod nlp;

use super::collocation::Collocation;
use super::phase::Bounds;
use super::problem::{End, OptimalControl};
use super::refine::{Refinement, RefinementStatus, RefinementStep, record};
use super::solution::{OcpSolution, Timeseries, restarting};
use super::solver::{IterLog, NlpResult, SqpObserver, SqpOptions, Status, solve_nlp_observed};
use crate::Error;
use nlp::{PhaseNlp, TrajectoryNlp};
use serde::{Deserialize, Serialize};

/// A quantity at a phase end that a linkage can join.
///
/// # Example
/// ```
/// use odeon::ocp::Quantity;
/// assert_ne!(Quantity::State(0), Quantity::Control(0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quantity {
    /// State `k`.
    State(usize),
    /// Control `c` (its value at the end node).
    Control(usize),
    /// The time: t₀ at the initial end, t₀ + duration at the final one.
    Time,
    /// The phase's duration (either end).
    Duration,
    /// Parameter `i` (a design parameter shared by phases is a parameter
    /// of each, linked).
    Param(usize),
}

/// A linkage constraint: `lower ≤ from − to ≤ upper`, each side a
/// quantity at one end of a named phase (dymos's `add_linkage_constraint`).
/// A [`connected`](Self::connected) linkage is no constraint at all: the
/// two sides are one variable of the NLP (dymos's `connected=True`).
///
/// # Example
/// ```
/// use odeon::ocp::{Bounds, End, Linkage, Quantity};
/// // The second stage starts with no more mass than the first ends with.
/// let l = Linkage::new(("burn", End::Final, Quantity::State(2)), ("coast", End::Initial, Quantity::State(2)))
///     .bounds(Bounds::lower(0.0));
/// assert_eq!(l.bounds.lower, 0.0);
/// assert_eq!(Linkage::continuity("a", "b", Quantity::Time).bounds, Bounds::equal(0.0));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Linkage {
    /// Phase name, end and quantity of the first term.
    pub from: (String, End, Quantity),
    /// Phase name, end and quantity of the term subtracted.
    pub to: (String, End, Quantity),
    /// Bounds of `from − to` (default: equal to 0), and its scale.
    pub bounds: Bounds,
    /// `to` is computed from the NLP variables of `from` instead of being
    /// a variable with a constraint row (an equality only; `to` must be one
    /// variable, so not the time at a final end, which is t₀ + duration;
    /// `from` may be).
    #[serde(default)]
    pub connected: bool,
}

impl Linkage {
    /// `from = to`.
    pub fn new(from: (&str, End, Quantity), to: (&str, End, Quantity)) -> Self {
        Linkage {
            from: (from.0.into(), from.1, from.2),
            to: (to.0.into(), to.1, to.2),
            bounds: Bounds::equal(0.0),
            connected: false,
        }
    }
    /// `q` at the end of phase `a` equals `q` at the start of phase `b`.
    pub fn continuity(a: &str, b: &str, q: Quantity) -> Self {
        Self::new((a, End::Final, q), (b, End::Initial, q))
    }
    /// Bounds (and scale) of `from − to`.
    pub fn bounds(mut self, b: Bounds) -> Self {
        self.bounds = b;
        self
    }
    /// Make `to` the same NLP variable as `from` (see [`connected`](Self::connected)).
    pub fn connected(mut self) -> Self {
        self.connected = true;
        self
    }
    fn describe(&self) -> String {
        let side = |(n, e, q): &(String, End, Quantity)| format!("{n} {e:?} {q:?}");
        format!("{} − {}", side(&self.from), side(&self.to))
    }
}

/// Phases, each a transcribed [`Collocation`] of its own problem, and the
/// linkages between them, solved as one NLP.
///
/// The NLP keeps the phases' block structure: each phase's variables and
/// constraints form a block, and the linkage rows (linear) couple only
/// the end variables. Different problems (models, controls, objectives)
/// may be mixed; the objective is the sum of the phases' objectives. A
/// phase may feed several others (branching): linkages are any pairs of
/// phase ends.
///
/// # Example: the brachistochrone in two linked phases
/// ```
/// use odeon::ocp::problems::Brachistochrone;
/// use odeon::ocp::{Collocation, NoCost, Quantity, SqpOptions, StateVar, Status, TimeVar, Trajectory, Transcription};
/// let t = Transcription::Radau { segments: 10, order: 3 };
/// let whole = Brachistochrone::phase();
/// // The first phase from the start to a free point, at a free time; its
/// // problem is the dynamics alone (the objective, t_f, is the second's).
/// let first = whole.clone()
///     .time(TimeVar::fixed(0.0, 0.9).free_duration(0.1, 5.0))
///     .state(0, StateVar::new().fix_initial(0.0).guess(0.0, 5.0))
///     .state(1, StateVar::new().fix_initial(10.0).guess(10.0, 7.5))
///     .state(2, StateVar::new().fix_initial(0.0).guess(0.0, 7.0));
/// // The second from a free start (linked) to the end.
/// let second = whole.clone()
///     .time(TimeVar::fixed(0.9, 0.9).free_initial(0.1, 5.0).free_duration(0.1, 5.0))
///     .state(0, StateVar::new().guess(5.0, 10.0).fix_final(10.0))
///     .state(1, StateVar::new().guess(7.5, 5.0).fix_final(5.0))
///     .state(2, StateVar::new().guess(7.0, 9.9));
/// let sol = Trajectory::new()
///     .phase("first", Collocation::new(&NoCost(Brachistochrone), &first, t)?)
///     .phase("second", Collocation::new(&Brachistochrone, &second, t)?)
///     .link("first", "second", &[Quantity::Time, Quantity::State(0), Quantity::State(1), Quantity::State(2)])
///     .solve(&SqpOptions::default())?;
/// assert_eq!(sol.status, Status::Optimal);
/// let end = sol.phase("second").unwrap();
/// assert!((end.t0 + end.duration - Brachistochrone::T_OPT).abs() < 1e-5);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Default)]
pub struct Trajectory<'a> {
    names: Vec<String>,
    phases: Vec<Box<dyn PhaseNlp<'a> + 'a>>,
    links: Vec<Linkage>,
}

/// The solution of a [`Trajectory`].
///
/// # Example
/// See [`Trajectory`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrajectorySolution {
    /// How the NLP solve ended.
    pub status: Status,
    /// SQP iterations.
    pub iterations: usize,
    /// The objective: the sum of the phases' (unscaled) objectives.
    pub objective: f64,
    /// Largest violation of the scaled constraints (linkages included).
    pub constraint_violation: f64,
    /// Scaled dual infeasibility.
    pub dual_infeasibility: f64,
    /// Each phase's name and solution (status, iterations and log are
    /// the trajectory's).
    pub phases: Vec<(String, OcpSolution)>,
    /// Each linkage's `from − to` at the solution.
    pub linkage_values: Vec<f64>,
    /// The SQP's iteration log.
    pub log: Vec<IterLog>,
    /// Wall time of the NLP solve, in seconds.
    pub seconds: f64,
    /// The solver's message when it did not converge.
    pub message: String,
}

impl TrajectorySolution {
    /// The solution of the phase named `name`.
    pub fn phase(&self, name: &str) -> Option<&OcpSolution> {
        self.phases.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    /// The phases' timeseries one after the other, in the order the phases
    /// were added (for plots of a chain of phases; a phase end appears once
    /// per phase). Every phase must have the same numbers of states and
    /// controls.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when the phases' sizes differ.
    pub fn stitched(&self) -> Result<Timeseries, Error> {
        let mut out = Timeseries::default();
        let first = self.phases.first().map(|(_, s)| &s.timeseries);
        let width = |ts: &Timeseries| (ts.states.first().map_or(0, Vec::len), ts.controls.first().map_or(0, Vec::len));
        for (_, s) in &self.phases {
            let ts = &s.timeseries;
            if let Some(f) = first
                && width(ts) != width(f)
            {
                let (what, expected, got) = if width(ts).0 != width(f).0 {
                    ("stitched phase states", width(f).0, width(ts).0)
                } else {
                    ("stitched phase controls", width(f).1, width(ts).1)
                };
                return Err(Error::DimensionMismatch { what, expected, got });
            }
            out.time.extend_from_slice(&ts.time);
            out.states.extend_from_slice(&ts.states);
            out.controls.extend_from_slice(&ts.controls);
            out.control_rates.extend_from_slice(&ts.control_rates);
        }
        Ok(out)
    }
}

/// The result of [`Trajectory::solve_refined`]: the solution on the last
/// grids and every grid of every phase on the way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryRefined {
    /// How the refinement ended.
    pub status: RefinementStatus,
    /// The solution on the last grids.
    pub solution: TrajectorySolution,
    /// For each round, each phase's grid, errors and solve (in the order
    /// the phases were added).
    pub history: Vec<Vec<RefinementStep>>,
}

impl<'a> Trajectory<'a> {
    /// No phases yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a transcribed phase under `name` (names must be unique;
    /// [`solve`](Self::solve) says so otherwise).
    pub fn phase<P: OptimalControl + 'a>(mut self, name: &str, phase: Collocation<'a, P>) -> Self {
        self.names.push(name.into());
        self.phases.push(Box::new(phase));
        self
    }

    /// Continuity of each of `quantities` from the end of phase `a` to the
    /// start of phase `b` (dymos's `link_phases`).
    pub fn link(mut self, a: &str, b: &str, quantities: &[Quantity]) -> Self {
        self.links.extend(quantities.iter().map(|&q| Linkage::continuity(a, b, q)));
        self
    }

    /// [`link`](Self::link), with each quantity at the start of `b` the
    /// same NLP variable as at the end of `a` instead of a constraint
    /// (dymos's `connected=True`): fewer variables and rows, the same
    /// optimum. With `Quantity::Time`, `b`'s t₀ is `a`'s t₀ + duration
    /// (its bounds on t₀ become a row).
    pub fn connect(mut self, a: &str, b: &str, quantities: &[Quantity]) -> Self {
        self.links.extend(quantities.iter().map(|&q| Linkage::continuity(a, b, q).connected()));
        self
    }

    /// Any linkage constraint.
    pub fn linkage(mut self, l: Linkage) -> Self {
        self.links.push(l);
        self
    }

    /// The phases' names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Solve all phases and linkages as one NLP by SQP.
    ///
    /// # Errors
    /// [`Error::InvalidOcp`] for no phases, a repeated name, or a linkage
    /// naming a phase or an index that does not exist, or with bad bounds;
    /// invalid options. Non-convergence is a [`Status`].
    pub fn solve(&self, options: &SqpOptions) -> Result<TrajectorySolution, Error> {
        self.solve_observed(options, &mut |_: &IterLog| {})
    }

    /// [`solve`](Self::solve), with every line of the iteration log passed
    /// to `observer`.
    ///
    /// # Errors
    /// As [`solve`](Self::solve).
    pub fn solve_observed(
        &self,
        options: &SqpOptions,
        observer: &mut dyn SqpObserver,
    ) -> Result<TrajectorySolution, Error> {
        let nlp = self.nlp()?;
        let r = restarting(
            options,
            || self.phases.iter().for_each(|p| p.reset_missed()),
            || self.phases.iter().any(|p| p.missed()),
            |o| solve_nlp_observed(&nlp, o, &mut *observer),
        )?;
        Ok(self.unpack(&nlp, r))
    }

    /// Solve, then refine every phase's grid until each segment of each
    /// phase meets `refinement.tol` ([`Collocation::solve_refined`]'s
    /// rule, phase by phase; `max_segments` bounds all phases together),
    /// each re-solve starting from the previous solution.
    ///
    /// # Errors
    /// As [`solve`](Self::solve); invalid refinement options; the errors
    /// of [`OcpSolution::segment_errors`].
    ///
    /// # Example
    /// ```
    /// use odeon::ocp::{problems::Cannonball, Refinement, RefinementStatus, SqpOptions, Transcription};
    /// let t = Transcription::Radau { segments: 3, order: 3 };
    /// let r = Cannonball::trajectory(t, t)?.solve_refined(&SqpOptions::default(), &Refinement::default())?;
    /// assert_eq!(r.status, RefinementStatus::Converged);
    /// let last = r.history.last().unwrap();
    /// assert!(last.iter().all(|phase| phase.errors.iter().all(|&e| e <= 1e-4)));
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn solve_refined(&self, options: &SqpOptions, refinement: &Refinement) -> Result<TrajectoryRefined, Error> {
        refinement.check()?;
        let mut history: Vec<Vec<RefinementStep>> = Vec::new();
        let mut start = std::time::Instant::now();
        let mut sol = self.solve(options)?;
        let mut current: Option<Trajectory<'a>> = None;
        loop {
            let traj = current.as_ref().unwrap_or(self);
            let mut steps = Vec::new();
            for (p, (_, part)) in traj.phases.iter().zip(&sol.phases) {
                steps.push(record(part, p.segment_errors(part)?, start));
            }
            let errors: Vec<&[f64]> = steps.iter().map(|s| &s.errors[..]).collect();
            let verdict = refinement.verdict(sol.status, &errors, history.len() + 1);
            history.push(steps);
            let last = history.last().expect("a grid");
            if let Some(status) = verdict {
                return Ok(TrajectoryRefined { status, solution: sol, history });
            }
            let meshes: Vec<(Vec<f64>, Vec<usize>)> =
                traj.phases.iter().zip(last).map(|(p, s)| refinement.next_mesh(p.transcription(), s)).collect();
            if meshes.iter().map(|(e, _)| e.len() - 1).sum::<usize>() > refinement.max_segments {
                return Ok(TrajectoryRefined { status: RefinementStatus::MaxSegments, solution: sol, history });
            }
            let mut phases = Vec::with_capacity(meshes.len());
            for ((p, (e, o)), (_, part)) in traj.phases.iter().zip(&meshes).zip(&sol.phases) {
                phases.push(p.regrid(p.transcription().with_segments(e.len() - 1), e, o, part)?);
            }
            let next = Trajectory { names: self.names.clone(), phases, links: self.links.clone() };
            start = std::time::Instant::now();
            sol = next.solve(options)?;
            current = Some(next);
        }
    }

    fn nlp(&self) -> Result<TrajectoryNlp<'_, 'a>, Error> {
        let bad = |reason: String| Err(Error::InvalidOcp { what: "trajectory".into(), reason });
        if self.phases.is_empty() {
            return bad("has no phases".into());
        }
        for (i, n) in self.names.iter().enumerate() {
            if self.names[..i].contains(n) {
                return bad(format!("two phases are named \"{n}\""));
            }
        }
        TrajectoryNlp::new(&self.phases, &self.names, &self.links)
    }

    fn unpack(&self, nlp: &TrajectoryNlp<'_, 'a>, r: NlpResult) -> TrajectorySolution {
        let x = nlp.full(&r.x);
        // A linkage row is (from − to) / scale.
        let linkage_values =
            self.links.iter().zip(&nlp.links).map(|(link, row)| row.value(&x) * link.bounds.scale).collect();
        let phases: Vec<(String, OcpSolution)> = self
            .phases
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let (xr, gr) = (nlp.x_off[k]..nlp.x_off[k + 1], nlp.g_off[k]..nlp.g_off[k + 1]);
                let part = NlpResult {
                    x: x[xr.clone()].to_vec(),
                    lambda: r.lambda[gr].to_vec(),
                    objective: p.objective(&x[xr]),
                    ..r.clone()
                };
                (self.names[k].clone(), p.unpack_part(part))
            })
            .collect();
        TrajectorySolution {
            status: r.status,
            iterations: r.iterations,
            objective: phases.iter().map(|(_, s)| s.objective).sum(),
            constraint_violation: r.constraint_violation,
            dual_infeasibility: r.dual_infeasibility,
            phases,
            linkage_values,
            log: r.log,
            seconds: r.seconds,
            message: r.message,
        }
    }
}

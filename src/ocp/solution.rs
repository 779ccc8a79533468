//! The result of a trajectory optimization and its check by simulation.

use super::collocation::Collocation;
use super::problem::OptimalControl;
use super::solver::{IterLog, NlpResult, SqpObserver, SqpOptions, Status, solve_nlp, solve_nlp_observed};
use super::transcription::{Grid, Transcription};
use crate::events::{Cause, Event, EventRecord};
use crate::integrate::{Save, solve};
use crate::signal::{Driven, Signals};
use crate::system::{Model, SliceModel, State, n_states};
use crate::{Algorithm, Dop853, DualScalar, Error, Options};
use nalgebra::{DefaultAllocator, Dyn, allocator::Allocator};
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;

/// Values at every node, segment by segment (a segment boundary appears
/// once per segment, as in dymos's timeseries).
///
/// # Example
/// ```
/// use odeon::ocp::Timeseries;
/// let ts = Timeseries {
///     time: vec![0.0, 0.5, 1.0],
///     states: vec![vec![0.0], vec![0.25], vec![1.0]],
///     controls: vec![vec![1.0]; 3],
///     control_rates: vec![vec![0.0]; 3],
/// };
/// assert_eq!(ts.len(), 3);
/// assert_eq!(ts.state(0)[1], (0.5, 0.25));
/// assert_eq!(ts.control(0)[2], (1.0, 1.0));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeseries {
    /// Node times.
    pub time: Vec<f64>,
    /// States at each node (`states[i][k]`).
    pub states: Vec<Vec<f64>>,
    /// Controls at each node.
    pub controls: Vec<Vec<f64>>,
    /// Control rates du/dt at each node (from the segment's control polynomial).
    pub control_rates: Vec<Vec<f64>>,
}

impl Timeseries {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.time.len()
    }
    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }
    /// `(t, x_k)` pairs of state `k` (for plots).
    pub fn state(&self, k: usize) -> Vec<(f64, f64)> {
        self.time.iter().zip(&self.states).map(|(&t, x)| (t, x[k])).collect()
    }
    /// `(t, u_c)` pairs of control `c`.
    pub fn control(&self, c: usize) -> Vec<(f64, f64)> {
        self.time.iter().zip(&self.controls).map(|(&t, u)| (t, u[c])).collect()
    }
    pub(crate) fn check(&self, nx: usize, nu: usize) -> Result<(), Error> {
        let n = self.time.len();
        if n < 2 {
            return Err(Error::DimensionMismatch { what: "timeseries nodes (at least)", expected: 2, got: n });
        }
        for (what, rows, width) in
            [("timeseries states", &self.states, nx), ("timeseries controls", &self.controls, nu)]
        {
            if rows.len() != n {
                return Err(Error::DimensionMismatch { what, expected: n, got: rows.len() });
            }
            if let Some(r) = rows.iter().find(|r| r.len() != width) {
                return Err(Error::DimensionMismatch { what, expected: width, got: r.len() });
            }
        }
        if self.time.iter().any(|t| t.is_nan()) || self.time.windows(2).any(|w| w[1] < w[0]) {
            return Err(Error::InvalidOcp { what: "timeseries time".into(), reason: "must be non-decreasing".into() });
        }
        Ok(())
    }
}

/// The solution of an optimal-control problem.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::HyperSensitive, Collocation, SqpOptions, Status, Transcription};
/// let t = Transcription::Radau { segments: 20, order: 3 };
/// let sol = Collocation::new(&HyperSensitive, &HyperSensitive::phase(10.0), t)?.solve(&SqpOptions::default())?;
/// assert_eq!(sol.status, Status::Optimal);
/// assert!((sol.objective - HyperSensitive::optimum(10.0)).abs() < 1e-3);
/// let json = serde_json::to_string(&sol).unwrap();
/// assert!(json.contains("timeseries"));
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OcpSolution {
    /// How the NLP solve ended.
    pub status: Status,
    /// SQP iterations.
    pub iterations: usize,
    /// The objective, unscaled (Mayer + Lagrange terms).
    pub objective: f64,
    /// Largest violation of the scaled constraints.
    pub constraint_violation: f64,
    /// Scaled dual infeasibility.
    pub dual_infeasibility: f64,
    /// Initial time.
    pub t0: f64,
    /// Duration.
    pub duration: f64,
    /// Parameter values (fixed and optimized).
    pub params: Vec<f64>,
    /// The values at all nodes.
    pub timeseries: Timeseries,
    /// The transcription solved.
    pub transcription: Transcription,
    /// Segment ends as fractions of the phase.
    pub segment_ends: Vec<f64>,
    /// Each segment's order (empty: the transcription's, in every
    /// segment).
    #[serde(default)]
    pub segment_orders: Vec<usize>,
    /// The SQP's iteration log.
    pub log: Vec<IterLog>,
    /// Wall time of the NLP solve, in seconds.
    pub seconds: f64,
    /// The solver's message when it did not converge.
    pub message: String,
}

/// Result of [`OcpSolution::simulate`]: the dynamics re-integrated under the
/// interpolated controls, compared with the collocation states at the nodes.
///
/// # Example
/// ```
/// use odeon::ocp::{problems::DoubleIntegrator, Collocation, SqpOptions, Transcription};
/// let t = Transcription::GaussLobatto { segments: 10, order: 3 };
/// let sol = Collocation::new(&DoubleIntegrator, &DoubleIntegrator::phase(), t)?.solve(&SqpOptions::default())?;
/// let check = sol.simulate(&DoubleIntegrator)?;
/// assert!(check.max_error.iter().all(|e| *e < 1e-3));
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimulationCheck {
    /// Node times.
    pub time: Vec<f64>,
    /// Simulated states at the nodes.
    pub states: Vec<Vec<f64>>,
    /// Largest |simulated − collocation| of each state over the nodes.
    pub max_error: Vec<f64>,
    /// Events of the problem's model met on the way
    /// ([`Model::events`](crate::system::Model::events)); a terminal one
    /// ends the simulation there (the nodes after it are not simulated).
    #[serde(default)]
    pub events: Vec<EventRecord>,
}

impl<P: OptimalControl> Collocation<'_, P> {
    /// Solve the NLP by SQP and unpack the solution.
    ///
    /// A Jacobian entry that the structure's probes missed restarts the
    /// solve with it ([`solve_with`](Self::solve_with)).
    ///
    /// # Errors
    /// Invalid options. Non-convergence is a [`Status`], not an error.
    ///
    /// # Example
    /// ```
    /// use odeon::ocp::{problems::MoonLanding, Collocation, SqpOptions, Status, Transcription};
    /// let t = Transcription::Radau { segments: 10, order: 3 };
    /// let sol = Collocation::new(&MoonLanding, &MoonLanding::phase(), t)?.solve(&SqpOptions::default().max_iter(100))?;
    /// assert_eq!(sol.status, Status::Optimal);
    /// assert!((sol.timeseries.states.last().unwrap()[2] - 0.3953).abs() < 1e-3);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn solve(&self, options: &SqpOptions) -> Result<OcpSolution, Error> {
        self.solve_with(options, solve_nlp)
    }

    /// [`solve`](Self::solve), with every line of the SQP's iteration log
    /// passed to `observer` as it is made ([`PrintLog`](super::PrintLog)
    /// prints it; see [`SqpObserver`] for a closure).
    ///
    /// # Errors
    /// As [`solve`](Self::solve).
    pub fn solve_observed(&self, options: &SqpOptions, observer: &mut dyn SqpObserver) -> Result<OcpSolution, Error> {
        self.solve_with(options, |c, o| solve_nlp_observed(c, o, &mut *observer))
    }

    /// Solve with any NLP solver: [`solve_nlp`] (what [`solve`](Self::solve)
    /// does) or, with the `ipopt` feature, `solve_nlp_ipopt`.
    ///
    /// The Jacobian's structure was probed near the initial guess; when an
    /// iterate meets an entry the probes saw as zero (a branch of the
    /// model they did not take), the structure grows and the solve starts
    /// again from the guess, in what is left of `max_iter` and `max_time`.
    /// The iterations, time and log of the result count every round.
    ///
    /// # Errors
    /// What `solver` returns.
    ///
    /// # Example
    /// ```
    /// use odeon::ocp::{problems::MoonLanding, solve_nlp, Collocation, SqpOptions, Transcription};
    /// let ocp = Collocation::new(&MoonLanding, &MoonLanding::phase(), Transcription::Radau { segments: 10, order: 3 })?;
    /// let sol = ocp.solve_with(&SqpOptions::default(), solve_nlp)?;
    /// assert_eq!(sol.iterations, ocp.solve(&SqpOptions::default())?.iterations);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn solve_with(
        &self,
        options: &SqpOptions,
        mut solver: impl FnMut(&Self, &SqpOptions) -> Result<NlpResult, Error>,
    ) -> Result<OcpSolution, Error> {
        let r = restarting(
            options,
            || self.missed.store(false, Ordering::Relaxed),
            || self.missed.load(Ordering::Relaxed),
            |o| solver(self, o),
        )?;
        Ok(self.unpack(r))
    }

    /// The NLP result as an [`OcpSolution`].
    pub fn unpack(&self, r: NlpResult) -> OcpSolution {
        let x: Vec<f64> = r.x.iter().zip(&self.scale).map(|(v, s)| v * s).collect();
        let pr = self.problem;
        let (nx, nu, np) = (n_states(pr.model()), pr.model().n_inputs(), pr.model().n_params());
        let t0 = x[self.layout.t0];
        let duration = x[self.layout.t0 + 1];
        let params = x[self.layout.t0 + 2..self.layout.t0 + 2 + np].to_vec();
        let mut ts = Timeseries::default();
        let (mut z, mut out, mut xa, mut fa) = self.scratch::<f64>();
        for (s, b) in self.blocks.iter().take(self.grid.segments).enumerate() {
            // Evaluating the segment fills the states at every node (Hermite at the GL collocation nodes).
            for (zi, &v) in z.iter_mut().zip(&b.vars) {
                *zi = x[v];
            }
            self.eval_block(b, &z[..b.vars.len()], &mut out[..b.n_out()], &mut xa, &mut fa);
            let h = duration * 0.5 * self.grid.width(s);
            let shape = self.grid.seg(s);
            for j in 0..shape.npn {
                ts.time.push(t0 + duration * self.grid.frac(s, j));
                ts.states.push(xa[j * nx..(j + 1) * nx].to_vec());
                let u = |c: usize, jj: usize| x[self.layout.control[self.grid.node(s, jj) * nu + c]];
                ts.controls.push((0..nu).map(|c| u(c, j)).collect());
                ts.control_rates.push(
                    (0..nu)
                        .map(|c| (0..shape.npn).map(|jj| shape.d_all[(j, jj)] * u(c, jj)).sum::<f64>() / h)
                        .collect(),
                );
            }
        }
        OcpSolution {
            status: r.status,
            iterations: r.iterations,
            objective: r.objective / self.phase.objective_scale,
            constraint_violation: r.constraint_violation,
            dual_infeasibility: r.dual_infeasibility,
            t0,
            duration,
            params,
            timeseries: ts,
            transcription: self.grid.transcription,
            segment_ends: self.grid.ends.clone(),
            segment_orders: self.grid.orders.clone(),
            log: r.log,
            seconds: r.seconds,
            message: r.message,
        }
    }
}

/// Solve with `solver`, and again with what is left of the budget while a
/// round ended with `missed()` (a Jacobian entry met outside the structure
/// the solver was given; the structure has grown and the next round uses
/// it). The iterations, time and log of the result count every round; a
/// round that misses with nothing left is a failure.
pub(crate) fn restarting(
    options: &SqpOptions,
    reset: impl Fn(),
    missed: impl Fn() -> bool,
    mut solver: impl FnMut(&SqpOptions) -> Result<NlpResult, Error>,
) -> Result<NlpResult, Error> {
    let mut budget = options.clone();
    let (mut iterations, mut seconds, mut log) = (0, 0.0, Vec::new());
    loop {
        reset();
        let mut r = solver(&budget)?;
        (iterations, seconds) = (iterations + r.iterations, seconds + r.seconds);
        log.append(&mut r.log);
        budget.max_iter = budget.max_iter.saturating_sub(r.iterations);
        budget.max_time = budget.max_time.map(|t| t - r.seconds);
        let missed = missed();
        let spent = budget.max_iter == 0 || budget.max_time.is_some_and(|t| t <= 0.0);
        if missed && spent {
            r.status = Status::Failed;
            r.message = "the Jacobian's structure grew during the solve and no iterations or time are left to \
                         start again with it"
                .into();
        }
        if !missed || spent {
            (r.iterations, r.seconds, r.log) = (iterations, seconds, log);
            return Ok(r);
        }
    }
}

/// A problem's model with a run-time dimension, evaluated on slices, so
/// that re-simulating needs no allocator bounds on the problem; its events
/// only when the flag is set.
struct Plant<'a, M>(&'a M, bool);

impl<M: SliceModel> Model for Plant<'_, M> {
    type Dim = Dyn;
    fn dim(&self) -> Dyn {
        Dyn(n_states(self.0))
    }
    fn n_params(&self) -> usize {
        self.0.n_params()
    }
    fn n_inputs(&self) -> usize {
        self.0.n_inputs()
    }
    fn rhs<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], dx: &mut State<D, Dyn>)
    where
        DefaultAllocator: Allocator<Dyn>,
    {
        self.0.rhs_slice(t, x.as_slice(), u, p, dx.as_mut_slice());
    }
    fn events(&self) -> Vec<Event> {
        if self.1 { self.0.events() } else { Vec::new() }
    }
    fn event_values<D: DualScalar>(&self, t: D, x: &State<D, Dyn>, u: &[D], p: &[D], g: &mut [D])
    where
        DefaultAllocator: Allocator<Dyn>,
    {
        self.0.event_values_slice(t, x.as_slice(), u, p, g);
    }
    fn state_names(&self) -> Vec<String> {
        self.0.state_names()
    }
    fn param_names(&self) -> Vec<String> {
        self.0.param_names()
    }
    fn input_names(&self) -> Vec<String> {
        self.0.input_names()
    }
}

/// One segment's control polynomials as signals of time (flat outside
/// the segment), in the solve's scalar: a time carrying derivative parts
/// (the stiff methods' `∂f/∂t`) carries them into the controls.
struct SegmentControls<'a> {
    grid: &'a Grid,
    sol: &'a OcpSolution,
    seg: usize,
    controls: usize,
}

impl Signals for SegmentControls<'_> {
    fn len(&self) -> usize {
        self.controls
    }
    fn eval<D: DualScalar>(&self, t: D, u: &mut [D]) {
        let (a, b) = (self.sol.segment_ends[self.seg], self.sol.segment_ends[self.seg + 1]);
        let (ta, tb) = (self.sol.t0 + self.sol.duration * a, self.sol.t0 + self.sol.duration * b);
        // u(τ) to first order around τ's real part.
        let tau_d = (t - ta) * (2.0 / (tb - ta)) - 1.0;
        let inside = (-1.0..=1.0).contains(&tau_d.re());
        let tau = tau_d.re().clamp(-1.0, 1.0);
        let dtau = tau_d - tau_d.re();
        for (c, uc) in u.iter_mut().enumerate() {
            let node = |j: usize| self.sol.timeseries.controls[self.grid.node(self.seg, j)][c];
            let (value, slope) = self.grid.seg(self.seg).basis.interpolate_with_derivative(tau, node);
            *uc = if inside { dtau * slope + value } else { D::from(value) };
        }
    }
}

impl OcpSolution {
    /// Re-integrate the dynamics from the initial state with odeon's own
    /// Runge–Kutta integrator (Dop853 at rtol = atol = 1e-10) under the
    /// controls interpolated by each segment's polynomial, segment by
    /// segment, and compare with the collocation states at the nodes.
    ///
    /// # Errors
    /// Integration errors ([`Error::NonFiniteRhs`], step-size failures);
    /// [`Error::DimensionMismatch`] if `problem` does not match the solution.
    pub fn simulate<P: OptimalControl>(&self, problem: &P) -> Result<SimulationCheck, Error> {
        self.simulate_with(problem, Dop853, &Options::default().rtol(1e-10).atol(1e-10))
    }

    /// [`simulate`](Self::simulate) with a chosen method and options.
    ///
    /// # Errors
    /// As [`simulate`](Self::simulate).
    ///
    /// # Example
    /// ```
    /// use odeon::ocp::{problems::Brachistochrone, Collocation, SqpOptions, Transcription};
    /// use odeon::{Options, Tsit5};
    /// let t = Transcription::GaussLobatto { segments: 20, order: 3 };
    /// let sol = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)?.solve(&SqpOptions::default())?;
    /// let opts = Options::default().rtol(1e-8).atol(1e-8);
    /// let check = sol.simulate_with(&Brachistochrone, Tsit5, &opts)?;
    /// let end = check.states.last().unwrap();
    /// assert!((end[0] - 10.0).abs() < 1e-3 && (end[1] - 5.0).abs() < 1e-3);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn simulate_with<P: OptimalControl>(
        &self,
        problem: &P,
        method: impl Algorithm,
        base: &Options,
    ) -> Result<SimulationCheck, Error> {
        let nx = n_states(problem.model());
        let mut out =
            SimulationCheck { time: Vec::new(), states: Vec::new(), max_error: vec![0.0; nx], events: Vec::new() };
        self.integrate_segments(problem, method, base, false, |_, times, sol| {
            for (j, &t) in times.iter().enumerate().take(sol.len()) {
                out.time.push(t);
                out.states.push(sol.state(j).to_vec());
            }
            out.events.extend(sol.events.iter().cloned());
        })?;
        for (state, col) in out.states.iter().zip(&self.timeseries.states) {
            for ((e, s), c) in out.max_error.iter_mut().zip(state).zip(col) {
                *e = e.max((s - c).abs());
            }
        }
        Ok(out)
    }

    /// The collocation's local error in each segment: the dynamics
    /// re-integrated across the segment from its first node's collocation
    /// state (Dop853, 1e-10) under the segment's controls, against the
    /// collocation states at its nodes; the largest difference over nodes
    /// and states, each relative to 1 + the state's largest magnitude over
    /// the phase (dymos's `error_estimation`, with odeon's integrator in
    /// place of a higher-order quadrature). A segment the integrator
    /// cannot cross has an infinite error.
    ///
    /// # Errors
    /// As [`simulate`](Self::simulate), for errors other than an
    /// integration failure within a segment.
    ///
    /// # Example
    /// ```
    /// use odeon::ocp::{problems::HyperSensitive, Collocation, SqpOptions, Transcription};
    /// let t = Transcription::Radau { segments: 10, order: 3 };
    /// let sol = Collocation::new(&HyperSensitive, &HyperSensitive::phase(10.0), t)?.solve(&SqpOptions::default())?;
    /// let errors = sol.segment_errors(&HyperSensitive)?;
    /// assert_eq!(errors.len(), 10);
    /// // Largest in the boundary layers at both ends.
    /// assert!(errors[0] > 10.0 * errors[4] && errors[9] > 10.0 * errors[4]);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn segment_errors<P: OptimalControl>(&self, problem: &P) -> Result<Vec<f64>, Error> {
        let nx = n_states(problem.model());
        let size: Vec<f64> =
            (0..nx).map(|k| 1.0 + self.timeseries.states.iter().fold(0.0f64, |a, x| a.max(x[k].abs()))).collect();
        let mut errors = Vec::new();
        let mut node = 0;
        let opts = Options::default().rtol(1e-10).atol(1e-10);
        self.integrate_segments(problem, Dop853, &opts, true, |_, times, sol| {
            let mut e = 0.0f64;
            for j in 0..sol.len() {
                let (state, col) = (sol.state(j), &self.timeseries.states[node + j]);
                for k in 0..nx {
                    e = e.max((state[k] - col[k]).abs() / size[k]);
                }
            }
            node += times.len();
            errors.push(if sol.len() == times.len() { e } else { f64::INFINITY });
        })?;
        Ok(errors)
    }

    /// Each segment's order (the transcription's where the solution
    /// holds none, as one read from an older file).
    pub(crate) fn orders(&self) -> Vec<usize> {
        match self.segment_orders.len() {
            0 => vec![self.transcription.order(); self.segment_ends.len().saturating_sub(1)],
            _ => self.segment_orders.clone(),
        }
    }

    /// The grid this solution was solved on, checked against its
    /// timeseries.
    fn grid(&self) -> Result<Grid, Error> {
        let grid = Grid::new(self.transcription, Some(&self.segment_ends), Some(&self.orders()))?;
        if grid.n_nodes() != self.timeseries.len() {
            return Err(Error::DimensionMismatch {
                what: "timeseries nodes of the solution's grid",
                expected: grid.n_nodes(),
                got: self.timeseries.len(),
            });
        }
        Ok(grid)
    }

    /// Integrate segment by segment under each segment's controls, to the
    /// segment's node times, from the previous segment's end (or, with
    /// `restart`, from the segment's first collocation state); `visit`
    /// sees each segment's index, node times and solution (with `restart`,
    /// a segment the integrator cannot cross gives the part it reached,
    /// short of the segment's last node). Without
    /// `restart` the model's events are met and a terminal one ends the
    /// run; with it they are left out (each segment is a local check).
    fn integrate_segments<P: OptimalControl>(
        &self,
        problem: &P,
        method: impl Algorithm,
        base: &Options,
        restart: bool,
        mut visit: impl FnMut(usize, &[f64], &crate::Solution),
    ) -> Result<(), Error> {
        let nx = n_states(problem.model());
        self.timeseries.check(nx, problem.model().n_inputs())?;
        let grid = self.grid()?;
        let mut y = self.timeseries.states[0].clone();
        let terminal: Vec<bool> = problem.model().events().iter().map(|e| e.terminal).collect();
        let plant = Plant(problem.model(), !restart);
        for seg in 0..grid.segments {
            let npn = grid.seg(seg).npn;
            let times: Vec<f64> = (0..npn).map(|j| self.timeseries.time[grid.node(seg, j)]).collect();
            let controls = SegmentControls { grid: &grid, sol: self, seg, controls: problem.model().n_inputs() };
            let sys = Driven::new(&plant, controls)?;
            let mut opts = base.clone();
            opts.save = Save::At(times.clone());
            if restart {
                y = self.timeseries.states[grid.node(seg, 0)].clone();
            }
            let sol = match solve(&sys, method, (times[0], times[npn - 1]), &y, &self.params, &opts) {
                Ok(sol) => sol,
                Err(e) => match e.partial() {
                    // A segment checked on its own that the integrator
                    // cannot cross: `visit` sees the nodes it reached.
                    Some(part) if restart => {
                        visit(seg, &times, part);
                        continue;
                    }
                    _ => return Err(e),
                },
            };
            visit(seg, &times, &sol);
            let stopped = sol.events.iter().any(|e| matches!(e.cause, Cause::Event(i) if terminal[i]));
            if (stopped && !restart) || sol.is_empty() {
                break;
            }
            y = sol.state(sol.len() - 1).to_vec();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OdeSystem;
    use crate::ocp::problems::Brachistochrone;
    use nalgebra::DVector;
    use num_dual::Dual64;

    /// The re-integrated dynamics see the controls' time derivative: with
    /// time seeded (as the stiff methods do for `∂f/∂t`), `∂f/∂t` equals a
    /// central difference in time of the `f64` right-hand side — between
    /// nodes and at one. (The brachistochrone: its angle θ(t) varies in
    /// every segment, and ẋ = v sin θ.)
    #[test]
    fn driven_dynamics_carry_the_controls_time_derivative() {
        let t = Transcription::GaussLobatto { segments: 6, order: 3 };
        let sol = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)
            .unwrap()
            .solve(&SqpOptions::default())
            .unwrap();
        let grid = sol.grid().unwrap();
        let seg = 2;
        let plant = Plant(&Brachistochrone, true);
        let controls = SegmentControls { grid: &grid, sol: &sol, seg, controls: 1 };
        let sys = Driven::new(&plant, controls).unwrap();
        let (a, b) = (sol.segment_ends[seg], sol.segment_ends[seg + 1]);
        let (ta, tb) = (sol.t0 + sol.duration * a, sol.t0 + sol.duration * b);
        let y = [0.3, -0.2, 2.0];
        let g = [Brachistochrone::G];
        let f = |t: f64| {
            let mut dy = DVector::zeros(3);
            OdeSystem::rhs(&sys, t, &DVector::from_row_slice(&y), &g, &mut dy);
            dy[0]
        };
        for tm in [ta + 0.37 * (tb - ta), 0.5 * (ta + tb)] {
            let yd = DVector::from_iterator(3, y.iter().map(|&v| Dual64::from(v)));
            let mut dy = DVector::from_element(3, Dual64::from(0.0));
            OdeSystem::rhs(&sys, Dual64::new(tm, 1.0), &yd, &g.map(Dual64::from), &mut dy);
            let h = 1e-5 * (tb - ta);
            let fd = (f(tm + h) - f(tm - h)) / (2.0 * h);
            assert_eq!(dy[0].re, f(tm));
            assert!(fd.abs() > 1e-3, "the control varies in time ({fd})");
            assert!((dy[0].eps - fd).abs() <= 1e-6 * fd.abs(), "at t = {tm}: {} vs {fd}", dy[0].eps);
        }
    }
}

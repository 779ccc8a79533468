//! Mesh refinement: solve, estimate each segment's error, split the
//! segments above the tolerance, and solve again from the last solution,
//! until every segment meets the tolerance.
//!
//! The number of pieces follows Patterson, Hager & Rao, "A ph mesh
//! refinement method for optimal control", Optim. Control Appl. Meth. 36
//! (2015), as dymos implements it: a segment of N nodes with error e above
//! the tolerance needs P = ⌈log(e / tol) / log N⌉ more nodes; when N + P
//! exceeds the largest order the segment is split into
//! max(⌈(N + P) / N_min⌉, 2) segments. Here every segment keeps the
//! transcription's order (N_min = N_max = N), so a segment that needs
//! more nodes is always split, into max(⌈(N + P) / N⌉, 2) equal pieces;
//! raising the order of single segments needs per-segment orders in the
//! transcription and is not done.

use super::collocation::Collocation;
use super::guess::Guess;
use super::problem::OptimalControl;
use super::solution::OcpSolution;
use super::solver::{SqpOptions, Status};
use crate::Error;
use serde::{Deserialize, Serialize};

/// Options of [`Collocation::solve_refined`].
///
/// # Example
/// ```
/// use odeon::ocp::Refinement;
/// let r = Refinement::default();
/// assert_eq!((r.tol, r.max_iter, r.max_segments), (1e-4, 10, 2000));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Refinement {
    /// Largest relative error allowed in a segment (default 1e-4, as dymos).
    pub tol: f64,
    /// Largest number of refinements (re-solves) after the first solve
    /// (default 10).
    pub max_iter: usize,
    /// Largest number of segments a refined grid may have (default 2000).
    pub max_segments: usize,
}

impl Default for Refinement {
    fn default() -> Self {
        Refinement { tol: 1e-4, max_iter: 10, max_segments: 2000 }
    }
}

impl Refinement {
    /// With tolerance `tol`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// With at most `n` refinements.
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }
    pub(crate) fn check(&self) -> Result<(), Error> {
        let bad = |name, reason: &str| Err(Error::InvalidOption { name, reason: reason.into() });
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return bad("refinement tol", "must be positive and finite");
        }
        if self.max_segments == 0 {
            return bad("refinement max_segments", "must be at least 1");
        }
        Ok(())
    }
}

/// One grid of a refinement and what its solve gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefinementStep {
    /// Segment ends as fractions of the phase.
    pub segment_ends: Vec<f64>,
    /// Nodes of the grid (segment ends counted once).
    pub nodes: usize,
    /// Estimated error of each segment ([`OcpSolution::segment_errors`]).
    pub errors: Vec<f64>,
    /// How the solve on this grid ended, and its SQP iterations.
    pub status: Status,
    pub iterations: usize,
    /// Wall time of the solve and the error estimate, in seconds.
    pub seconds: f64,
}

/// How a refinement ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefinementStatus {
    /// Every segment's error is at most the tolerance.
    Converged,
    /// The refinement limit was reached first; the solution is the last
    /// grid's.
    MaxIterations,
    /// The next grid would have more than `max_segments` segments.
    MaxSegments,
    /// A solve did not end [`Status::Optimal`]; the solution is that
    /// solve's (see its status and message).
    SolveFailed,
}

/// The result of [`Collocation::solve_refined`]: the solution on the last
/// grid and every grid on the way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refined {
    /// How the refinement ended.
    pub status: RefinementStatus,
    /// The solution on the last grid.
    pub solution: OcpSolution,
    /// Each grid, its errors and its solve, the first grid first.
    pub history: Vec<RefinementStep>,
}

impl<P: OptimalControl> Collocation<'_, P> {
    /// Solve, then refine the grid until every segment's estimated error
    /// is at most `refinement.tol`: segments above it are split (see the
    /// `refine` module for the rule), and each re-solve starts from the
    /// previous solution.
    ///
    /// # Errors
    /// Invalid options; the errors of [`Collocation::with_grid`] and
    /// [`OcpSolution::segment_errors`]. Not converging is a
    /// [`RefinementStatus`].
    ///
    /// # Example
    /// ```
    /// use odeon::ocp::{problems::HyperSensitive, Collocation, Refinement, RefinementStatus, SqpOptions, Transcription};
    /// let ocp = Collocation::new(&HyperSensitive, &HyperSensitive::phase(10.0), Transcription::Radau { segments: 10, order: 3 })?;
    /// let r = ocp.solve_refined(&SqpOptions::default(), &Refinement::default())?;
    /// assert_eq!(r.status, RefinementStatus::Converged);
    /// assert!(r.history.last().unwrap().errors.iter().all(|&e| e <= 1e-4));
    /// assert!((r.solution.objective - HyperSensitive::optimum(10.0)).abs() < 1e-4);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn solve_refined(&self, options: &SqpOptions, refinement: &Refinement) -> Result<Refined, Error> {
        refinement.check()?;
        let t = self.grid.transcription;
        let mut history = Vec::new();
        let mut start = std::time::Instant::now();
        let mut sol = self.solve(options)?;
        loop {
            let step = record(&sol, sol.segment_errors(self.problem)?, start);
            let verdict = refinement.verdict(sol.status, &[&step.errors[..]], history.len() + 1);
            let ends = split(&step.segment_ends, &step.errors, refinement.tol, t.order());
            history.push(step);
            if let Some(status) = verdict {
                return Ok(Refined { status, solution: sol, history });
            }
            if ends.len() - 1 > refinement.max_segments {
                return Ok(Refined { status: RefinementStatus::MaxSegments, solution: sol, history });
            }
            start = std::time::Instant::now();
            let grid = t.with_segments(ends.len() - 1);
            let next = Collocation::with_grid(self.problem, &self.phase, grid, Some(&ends), &Guess::from(&sol))?
                .convexify(self.convexify);
            sol = next.solve(options)?;
        }
    }
}

impl Refinement {
    /// What ends a refinement after its `grids`-th solve, which ended with
    /// `status` and these segment errors (one list per phase); `None`:
    /// refine.
    pub(crate) fn verdict(&self, status: Status, errors: &[&[f64]], grids: usize) -> Option<RefinementStatus> {
        if status != Status::Optimal {
            Some(RefinementStatus::SolveFailed)
        } else if errors.iter().all(|e| e.iter().all(|&e| e <= self.tol)) {
            Some(RefinementStatus::Converged)
        } else if grids > self.max_iter {
            Some(RefinementStatus::MaxIterations)
        } else {
            None
        }
    }
}

/// The record of one grid: its solution's segments and solve, `errors`.
pub(crate) fn record(sol: &OcpSolution, errors: Vec<f64>, start: std::time::Instant) -> RefinementStep {
    let ends = &sol.segment_ends;
    RefinementStep {
        nodes: sol.timeseries.len() - (ends.len() - 2),
        segment_ends: ends.clone(),
        errors,
        status: sol.status,
        iterations: sol.iterations,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The segment ends after splitting every segment whose error is above
/// `tol` into max(⌈(N + P) / N⌉, 2) equal pieces, P = ⌈log(e / tol) / log N⌉.
pub(crate) fn split(ends: &[f64], errors: &[f64], tol: f64, n: usize) -> Vec<f64> {
    let n = n.max(2) as f64;
    let mut out = vec![ends[0]];
    for (s, &e) in errors.iter().enumerate() {
        let (a, b) = (ends[s], ends[s + 1]);
        let pieces = if e > tol {
            let p = if e.is_finite() { ((e / tol).ln() / n.ln()).ceil() } else { n };
            (((n + p) / n).ceil() as usize).max(2)
        } else {
            1
        };
        for i in 1..pieces {
            out.push(a + (b - a) * i as f64 / pieces as f64);
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn segments_above_the_tolerance_are_split_by_the_phr_rule() {
        // N = 3: e = 10·tol needs P = ⌈ln 10 / ln 3⌉ = 3 → ⌈6/3⌉ = 2 pieces;
        // e = 1e4·tol: P = 9 → 4 pieces; e ≤ tol: kept; ∞ (a failed
        // estimate): P = N → 2 pieces.
        let ends = [0.0, 0.25, 0.5, 1.0];
        let out = split(&ends, &[1e-3, 1e-4, 1.0], 1e-4, 3);
        assert_eq!(out, [0.0, 0.125, 0.25, 0.5, 0.625, 0.75, 0.875, 1.0]);
        let out = split(&[0.0, 1.0], &[f64::INFINITY], 1e-4, 3);
        assert_eq!(out, [0.0, 0.5, 1.0]);
        assert_eq!(split(&ends, &[0.0; 3], 1e-4, 3), ends);
    }
}

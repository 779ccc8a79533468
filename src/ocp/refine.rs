//! Mesh refinement: solve, estimate each segment's error, raise the order
//! of or split the segments above the tolerance, and solve again from the
//! last solution, until every segment meets the tolerance.
//!
//! The rule is Patterson, Hager & Rao's p-then-h rule ("A ph mesh
//! refinement method for optimal control", Optim. Control Appl. Meth. 36
//! (2015)), as dymos implements it: a segment of order N with error e
//! above the tolerance needs P = ⌈log(e / tol) / log N⌉ more nodes (even
//! for Gauss–Lobatto, whose orders are odd). If N + P is at most the
//! largest order its order becomes N + P; otherwise it is split into
//! max(⌈(N + P) / N_min⌉, 2) equal segments of the smallest order N_min.
//! With the largest order at the transcription's own, every refinement is
//! a split (h-refinement).

use super::collocation::Collocation;
use super::guess::Guess;
use super::problem::OptimalControl;
use super::solution::OcpSolution;
use super::solver::{SqpOptions, Status};
use super::transcription::Transcription;
use crate::Error;
use serde::{Deserialize, Serialize};

/// Options of [`Collocation::solve_refined`].
///
/// # Example
/// ```
/// use odeon::ocp::Refinement;
/// let r = Refinement::default();
/// assert_eq!((r.tol, r.max_iter, r.max_segments), (1e-4, 10, 2000));
/// assert_eq!((r.min_order, r.max_order), (None, 14));
/// // Splits only, every segment keeping the transcription's order:
/// let h = Refinement::default().max_order(3);
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
    /// Order of the segments a split makes (default `None`: the
    /// transcription's order).
    pub min_order: Option<usize>,
    /// Largest order a segment is raised to; a segment that needs more is
    /// split (default 14). At the transcription's order or below, every
    /// refinement is a split.
    pub max_order: usize,
}

impl Default for Refinement {
    fn default() -> Self {
        Refinement { tol: 1e-4, max_iter: 10, max_segments: 2000, min_order: None, max_order: 14 }
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
    /// With segments raised to at most order `n` (then split).
    pub fn max_order(mut self, n: usize) -> Self {
        self.max_order = n;
        self
    }
    /// With split segments of order `n`.
    pub fn min_order(mut self, n: usize) -> Self {
        self.min_order = Some(n);
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
        if self.max_order > 40 {
            return bad("refinement max_order", "must be at most 40, the largest supported order");
        }
        match self.min_order {
            Some(0) => return bad("refinement min_order", "must be at least 1"),
            Some(n) if n > self.max_order => return bad("refinement min_order", "must not exceed max_order"),
            _ => {}
        }
        Ok(())
    }
}

/// One grid of a refinement and what its solve gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefinementStep {
    /// Segment ends as fractions of the phase.
    pub segment_ends: Vec<f64>,
    /// Each segment's order.
    pub orders: Vec<usize>,
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
    /// is at most `refinement.tol`: segments above it get a higher order
    /// or are split (see the `refine` module for the rule), and each
    /// re-solve starts from the previous solution.
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
    /// let last = r.history.last().unwrap();
    /// assert!(last.errors.iter().all(|&e| e <= 1e-4));
    /// assert!(last.orders.iter().any(|&n| n > 3), "orders raised: {:?}", last.orders);
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
            let (ends, orders) = refinement.next_mesh(t, &step);
            history.push(step);
            if let Some(status) = verdict {
                return Ok(Refined { status, solution: sol, history });
            }
            if ends.len() - 1 > refinement.max_segments {
                return Ok(Refined { status: RefinementStatus::MaxSegments, solution: sol, history });
            }
            start = std::time::Instant::now();
            let grid = t.with_segments(ends.len() - 1);
            let next = Collocation::with_mesh(
                self.problem,
                &self.phase,
                grid,
                Some(&ends),
                Some(&orders),
                &Guess::from(&sol),
            )?
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
        orders: sol.orders(),
        errors,
        status: sol.status,
        iterations: sol.iterations,
        seconds: start.elapsed().as_secs_f64(),
    }
}

impl Refinement {
    /// The segment ends and orders after refining the grid of `step` on
    /// transcription `t` (the rule in the module's documentation).
    pub(crate) fn next_mesh(&self, t: Transcription, step: &RefinementStep) -> (Vec<f64>, Vec<usize>) {
        let gauss_lobatto = matches!(t, Transcription::GaussLobatto { .. });
        let min = self.min_order.unwrap_or(t.order());
        let ends = &step.segment_ends;
        let (mut out, mut orders) = (vec![ends[0]], Vec::new());
        for (s, (&e, &n)) in step.errors.iter().zip(&step.orders).enumerate() {
            let (a, b) = (ends[s], ends[s + 1]);
            let (pieces, order) = if e > self.tol {
                let base = n.max(2) as f64;
                let mut p = if e.is_finite() { ((e / self.tol).ln() / base.ln()).ceil().max(1.0) as usize } else { n };
                if gauss_lobatto && p % 2 == 1 {
                    p += 1;
                }
                if n + p <= self.max_order { (1, n + p) } else { ((n + p).div_ceil(min).max(2), min) }
            } else {
                (1, n)
            };
            for i in 1..pieces {
                out.push(a + (b - a) * i as f64 / pieces as f64);
            }
            out.push(b);
            orders.extend(std::iter::repeat_n(order, pieces));
        }
        (out, orders)
    }
}

#[cfg(test)]
mod tests {
    use super::{Refinement, RefinementStep, Status, Transcription};
    use proptest::prelude::*;

    fn step(ends: &[f64], orders: &[usize], errors: &[f64]) -> RefinementStep {
        RefinementStep {
            segment_ends: ends.to_vec(),
            orders: orders.to_vec(),
            nodes: 0,
            errors: errors.to_vec(),
            status: Status::Optimal,
            iterations: 0,
            seconds: 0.0,
        }
    }

    #[test]
    fn segments_above_the_tolerance_are_split_by_the_phr_rule() {
        // Orders held at N = 3: e = 10·tol needs P = ⌈ln 10 / ln 3⌉ = 3 →
        // ⌈6/3⌉ = 2 pieces; e = 1e4·tol: P = 9 → 4 pieces; e ≤ tol: kept;
        // ∞ (a failed estimate): P = N → 2 pieces.
        let h = Refinement::default().max_order(3);
        let radau = Transcription::Radau { segments: 3, order: 3 };
        let ends = [0.0, 0.25, 0.5, 1.0];
        let (out, orders) = h.next_mesh(radau, &step(&ends, &[3; 3], &[1e-3, 1e-4, 1.0]));
        assert_eq!(out, [0.0, 0.125, 0.25, 0.5, 0.625, 0.75, 0.875, 1.0]);
        assert_eq!(orders, [3; 7]);
        let (out, _) = h.next_mesh(radau, &step(&[0.0, 1.0], &[3], &[f64::INFINITY]));
        assert_eq!(out, [0.0, 0.5, 1.0]);
        assert_eq!(h.next_mesh(radau, &step(&ends, &[3; 3], &[0.0; 3])).0, ends);
    }

    #[test]
    fn orders_are_raised_up_to_the_largest_then_segments_split() {
        let ph = Refinement::default();
        let ends = [0.0, 0.25, 0.5, 1.0];
        // Radau N = 3: e = 10·tol → P = 3, order 6; e = 1e4·tol → P = 9,
        // order 12; N = 12 with e = 1e3·tol → P = ⌈ln 1e3 / ln 12⌉ = 3,
        // 15 > 14: split into ⌈15 / 3⌉ = 5 segments of order 3.
        let radau = Transcription::Radau { segments: 3, order: 3 };
        let (out, orders) = ph.next_mesh(radau, &step(&ends, &[3, 3, 12], &[1e-3, 1.0, 1e-1]));
        assert_eq!(out, [0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
        assert_eq!(orders, [6, 12, 3, 3, 3, 3, 3]);
        // Gauss–Lobatto keeps odd orders: P = 3 becomes 4 (3 → 7), P = 9
        // becomes 10 (3 → 13); a kept segment keeps its order.
        let gl = Transcription::GaussLobatto { segments: 3, order: 3 };
        let (out, orders) = ph.next_mesh(gl, &step(&ends, &[3, 3, 5], &[1e-3, 1.0, 1e-5]));
        assert_eq!(out, ends);
        assert_eq!(orders, [7, 13, 5]);
        // Splits into the smallest order asked for.
        let (out, orders) = ph.clone().min_order(5).next_mesh(gl, &step(&[0.0, 1.0], &[13], &[1e-2]));
        assert_eq!((out.len(), orders), (4, vec![5, 5, 5]));
    }

    proptest! {
        /// For any grid and errors (infinite ones too): the phase's ends
        /// stay, the ends increase, each segment within the tolerance is
        /// kept as it was, every other one gets more nodes (a higher
        /// order, at most the largest, or pieces of the smallest),
        /// Gauss–Lobatto orders stay odd.
        #[test]
        fn refined_meshes_keep_their_laws(
            segs in proptest::collection::vec((1usize..8, 0.05f64..1.0, prop_oneof![Just(f64::INFINITY), -12.0f64..2.0]), 1..20),
            gauss_lobatto in any::<bool>(),
            max_order in 3usize..16,
        ) {
            let tol = 1e-4;
            let order = |k: usize| if gauss_lobatto { 2 * k + 1 } else { k };
            let t = if gauss_lobatto {
                Transcription::GaussLobatto { segments: segs.len(), order: 3 }
            } else {
                Transcription::Radau { segments: segs.len(), order: 3 }
            };
            let mut ends = vec![0.0];
            for (_, w, _) in &segs {
                ends.push(ends[ends.len() - 1] + w);
            }
            let orders: Vec<usize> = segs.iter().map(|s| order(s.0)).collect();
            let errors: Vec<f64> = segs.iter().map(|s| if s.2.is_finite() { 10f64.powf(s.2) } else { s.2 }).collect();
            let r = Refinement::default().max_order(max_order);
            let (out, new) = r.next_mesh(t, &step(&ends, &orders, &errors));
            prop_assert_eq!(out.len(), new.len() + 1);
            prop_assert_eq!((out[0], out[out.len() - 1]), (ends[0], ends[ends.len() - 1]));
            prop_assert!(out.windows(2).all(|w| w[1] > w[0]));
            let mut k = 0;
            for s in 0..segs.len() {
                let start = k;
                while out[k + 1] < ends[s + 1] {
                    k += 1;
                }
                k += 1;
                let pieces = &new[start..k];
                if errors[s] <= tol {
                    prop_assert_eq!(pieces, &[orders[s]][..]);
                } else if pieces.len() == 1 {
                    prop_assert!(pieces[0] > orders[s] && pieces[0] <= max_order);
                } else {
                    prop_assert!(pieces.iter().all(|&n| n == 3));
                    prop_assert!(pieces.len() * 3 > orders[s]);
                }
                if gauss_lobatto {
                    prop_assert!(pieces.iter().all(|n| n % 2 == 1));
                }
            }
        }
    }
}

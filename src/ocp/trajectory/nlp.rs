//! The phases of a trajectory and their linkages as one sparse NLP: each
//! phase's variables and constraint rows in a block of their own, the
//! linkage rows (linear in the variables) after them.

use super::{Linkage, Quantity};
use crate::Error;
use crate::ocp::Nlp;
use crate::ocp::Transcription;
use crate::ocp::collocation::Collocation;
use crate::ocp::guess::Guess;
use crate::ocp::problem::{End, OptimalControl};
use crate::ocp::solution::OcpSolution;
use crate::ocp::solver::NlpResult;
use crate::system::{Model, n_states};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// A transcribed phase as a trajectory holds it: an NLP whose end values
/// can be linked, whose structure may grow, and whose part of a result
/// unpacks into an [`OcpSolution`].
pub(crate) trait PhaseNlp<'a>: Nlp {
    /// How many states, controls and parameters the phase has.
    fn sizes(&self) -> (usize, usize, usize);
    /// The value of `q` at `end` as Σ coefficient · (scaled) variable.
    fn linear_form(&self, q: Quantity, end: End) -> Vec<(usize, f64)>;
    /// Forget, or tell, whether an evaluation met a Jacobian entry outside
    /// the structure.
    fn reset_missed(&self);
    fn missed(&self) -> bool;
    /// The phase's part of a result.
    fn unpack_part(&self, r: NlpResult) -> OcpSolution;
    /// The transcription.
    fn transcription(&self) -> Transcription;
    /// [`OcpSolution::segment_errors`] of this phase's part of a solution.
    fn segment_errors(&self, sol: &OcpSolution) -> Result<Vec<f64>, Error>;
    /// The same phase on transcription `t` with segment ends `ends`,
    /// starting from `guess`.
    fn regrid(&self, t: Transcription, ends: &[f64], guess: &OcpSolution) -> Result<Box<dyn PhaseNlp<'a> + 'a>, Error>;
}

impl<'a, P: OptimalControl> PhaseNlp<'a> for Collocation<'a, P> {
    fn sizes(&self) -> (usize, usize, usize) {
        let m = self.problem.model();
        (n_states(m), m.n_inputs(), m.n_params())
    }
    fn linear_form(&self, q: Quantity, end: End) -> Vec<(usize, f64)> {
        let (nx, nu, _) = self.sizes();
        let npn = self.grid.npn;
        let node = if end == End::Initial { 0 } else { self.grid.segments * npn - 1 };
        let t0 = self.layout.t0;
        let vars = match q {
            Quantity::State(k) => vec![self.layout.state[node * nx + k]],
            Quantity::Control(c) => vec![self.layout.control[node * nu + c]],
            Quantity::Time if end == End::Initial => vec![t0],
            Quantity::Time => vec![t0, t0 + 1],
            Quantity::Duration => vec![t0 + 1],
            Quantity::Param(i) => vec![t0 + 2 + i],
        };
        vars.into_iter().map(|v| (v, self.scale[v])).collect()
    }
    fn reset_missed(&self) {
        self.missed.store(false, Ordering::Relaxed);
    }
    fn missed(&self) -> bool {
        self.missed.load(Ordering::Relaxed)
    }
    fn unpack_part(&self, r: NlpResult) -> OcpSolution {
        self.unpack(r)
    }
    fn transcription(&self) -> Transcription {
        self.grid.transcription
    }
    fn segment_errors(&self, sol: &OcpSolution) -> Result<Vec<f64>, Error> {
        sol.segment_errors(self.problem)
    }
    fn regrid(&self, t: Transcription, ends: &[f64], guess: &OcpSolution) -> Result<Box<dyn PhaseNlp<'a> + 'a>, Error> {
        let c = Collocation::with_grid(self.problem, &self.phase, t, Some(ends), &Guess::from(guess))?;
        Ok(Box::new(c.convexify(self.convexify)))
    }
}

/// One linkage row: (from − to) / scale within the scaled bounds.
pub(super) struct LinkRow {
    pub terms: Vec<(usize, f64)>,
    pub lower: f64,
    pub upper: f64,
}

/// The whole trajectory's NLP.
pub(super) struct TrajectoryNlp<'t, 'a> {
    pub phases: &'t [Box<dyn PhaseNlp<'a> + 'a>],
    /// First variable and first row of each phase (one more at the end).
    pub x_off: Vec<usize>,
    pub g_off: Vec<usize>,
    pub links: Vec<LinkRow>,
    /// Each phase's Jacobian entries in the structure last handed out.
    jac_len: Mutex<Vec<usize>>,
    /// Each phase's Hessian entries.
    hess_len: Vec<usize>,
}

impl<'t, 'a> TrajectoryNlp<'t, 'a> {
    /// Lay out `phases` and turn `links` into rows, checking every name,
    /// index and bound.
    pub fn new(phases: &'t [Box<dyn PhaseNlp<'a> + 'a>], names: &[String], links: &[Linkage]) -> Result<Self, Error> {
        let (mut x_off, mut g_off) = (vec![0], vec![0]);
        for p in phases {
            x_off.push(x_off.last().copied().unwrap_or(0) + p.n());
            g_off.push(g_off.last().copied().unwrap_or(0) + p.m());
        }
        let mut rows = Vec::with_capacity(links.len());
        for (i, l) in links.iter().enumerate() {
            let name = format!("linkage {i} ({})", l.describe());
            let what = |reason: String| Error::InvalidOcp { what: name.clone(), reason };
            let side = |name: &str, q: Quantity, end: End| -> Result<Vec<(usize, f64)>, Error> {
                let k = names
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| what(format!("there is no phase named \"{name}\"")))?;
                let (nx, nu, np) = phases[k].sizes();
                let (index, count, kind) = match q {
                    Quantity::State(j) => (j, nx, "state"),
                    Quantity::Control(j) => (j, nu, "control"),
                    Quantity::Param(j) => (j, np, "parameter"),
                    Quantity::Time | Quantity::Duration => (0, 1, "time"),
                };
                if index >= count {
                    return Err(what(format!("phase \"{name}\" has no {kind} {index} (it has {count}, from 0)")));
                }
                Ok(phases[k].linear_form(q, end).into_iter().map(|(v, c)| (v + x_off[k], c)).collect())
            };
            let from = side(&l.from.0, l.from.2, l.from.1)?;
            let to = side(&l.to.0, l.to.2, l.to.1)?;
            l.bounds.check(&name)?;
            let s = 1.0 / l.bounds.scale;
            let mut terms: Vec<(usize, f64)> = from.into_iter().map(|(v, c)| (v, c * s)).collect();
            terms.extend(to.into_iter().map(|(v, c)| (v, -c * s)));
            let (lower, upper) = l.bounds.scaled();
            rows.push(LinkRow { terms, lower, upper });
        }
        let hess_len = phases.iter().map(|p| p.hessian_structure().map_or(0, |h| h.len())).collect();
        Ok(TrajectoryNlp { phases, x_off, g_off, links: rows, jac_len: Mutex::new(vec![0; phases.len()]), hess_len })
    }

    fn x_of<'x>(&self, k: usize, x: &'x [f64]) -> &'x [f64] {
        &x[self.x_off[k]..self.x_off[k + 1]]
    }

    fn link_row(&self, l: usize) -> usize {
        self.g_off[self.phases.len()] + l
    }
}

impl Nlp for TrajectoryNlp<'_, '_> {
    fn n(&self) -> usize {
        self.x_off[self.phases.len()]
    }
    fn m(&self) -> usize {
        self.g_off[self.phases.len()] + self.links.len()
    }
    fn x_bounds(&self, lower: &mut [f64], upper: &mut [f64]) {
        for (k, p) in self.phases.iter().enumerate() {
            let r = self.x_off[k]..self.x_off[k + 1];
            p.x_bounds(&mut lower[r.clone()], &mut upper[r]);
        }
    }
    fn g_bounds(&self, lower: &mut [f64], upper: &mut [f64]) {
        for (k, p) in self.phases.iter().enumerate() {
            let r = self.g_off[k]..self.g_off[k + 1];
            p.g_bounds(&mut lower[r.clone()], &mut upper[r]);
        }
        for (l, row) in self.links.iter().enumerate() {
            (lower[self.link_row(l)], upper[self.link_row(l)]) = (row.lower, row.upper);
        }
    }
    fn initial_point(&self, x: &mut [f64]) {
        for (k, p) in self.phases.iter().enumerate() {
            p.initial_point(&mut x[self.x_off[k]..self.x_off[k + 1]]);
        }
    }
    fn objective(&self, x: &[f64]) -> f64 {
        self.phases.iter().enumerate().map(|(k, p)| p.objective(self.x_of(k, x))).sum()
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        for (k, p) in self.phases.iter().enumerate() {
            p.gradient(self.x_of(k, x), &mut grad[self.x_off[k]..self.x_off[k + 1]]);
        }
    }
    fn constraints(&self, x: &[f64], g: &mut [f64]) {
        for (k, p) in self.phases.iter().enumerate() {
            p.constraints(self.x_of(k, x), &mut g[self.g_off[k]..self.g_off[k + 1]]);
        }
        for (l, row) in self.links.iter().enumerate() {
            g[self.link_row(l)] = row.terms.iter().map(|&(v, c)| c * x[v]).sum();
        }
    }
    fn jacobian_structure(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut lens = self.jac_len.lock().unwrap_or_else(|e| e.into_inner());
        for (k, p) in self.phases.iter().enumerate() {
            let s = p.jacobian_structure();
            lens[k] = s.len();
            out.extend(s.into_iter().map(|(r, c)| (r + self.g_off[k], c + self.x_off[k])));
        }
        for (l, row) in self.links.iter().enumerate() {
            out.extend(row.terms.iter().map(|&(v, _)| (self.link_row(l), v)));
        }
        out
    }
    fn jacobian_values(&self, x: &[f64], values: &mut [f64]) {
        let lens = self.jac_len.lock().unwrap_or_else(|e| e.into_inner());
        let mut at = 0;
        for (k, p) in self.phases.iter().enumerate() {
            p.jacobian_values(self.x_of(k, x), &mut values[at..at + lens[k]]);
            at += lens[k];
        }
        for row in &self.links {
            for &(_, c) in &row.terms {
                values[at] = c;
                at += 1;
            }
        }
    }
    fn hessian_structure(&self) -> Option<Vec<(usize, usize)>> {
        let mut out = Vec::new();
        for (k, p) in self.phases.iter().enumerate() {
            let off = self.x_off[k];
            out.extend(p.hessian_structure()?.into_iter().map(|(r, c)| (r + off, c + off)));
        }
        Some(out)
    }
    fn hessian_values(&self, x: &[f64], sigma: f64, lambda: &[f64], values: &mut [f64]) {
        let mut at = 0;
        for (k, p) in self.phases.iter().enumerate() {
            let l = &lambda[self.g_off[k]..self.g_off[k + 1]];
            p.hessian_values(self.x_of(k, x), sigma, l, &mut values[at..at + self.hess_len[k]]);
            at += self.hess_len[k];
        }
    }
    fn convex_hessian_values(&self, x: &[f64], sigma: f64, lambda: &[f64], values: &mut [f64]) -> bool {
        let mut at = 0;
        let mut all = true;
        for (k, p) in self.phases.iter().enumerate() {
            let l = &lambda[self.g_off[k]..self.g_off[k + 1]];
            all &= p.convex_hessian_values(self.x_of(k, x), sigma, l, &mut values[at..at + self.hess_len[k]]);
            at += self.hess_len[k];
        }
        all
    }
}

//! The phases of a trajectory and their linkages as one sparse NLP: each
//! phase's variables and constraint rows in a block of their own, the
//! linkage rows (linear in the variables) after them. A connected linkage
//! is no row: the variable of its `to` side is dropped from the NLP and
//! computed from its `from` side's variables (one, or t₀ and the duration
//! for the time at a final end), and the derivatives with respect to it go
//! to those. Bounds of a variable computed from several become rows.

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
use std::borrow::Cow;
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
    /// The same phase on transcription `t` with segment ends `ends` and
    /// orders `orders`, starting from `guess`.
    fn regrid(
        &self,
        t: Transcription,
        ends: &[f64],
        orders: &[usize],
        guess: &OcpSolution,
    ) -> Result<Box<dyn PhaseNlp<'a> + 'a>, Error>;
}

impl<'a, P: OptimalControl> PhaseNlp<'a> for Collocation<'a, P> {
    fn sizes(&self) -> (usize, usize, usize) {
        let m = self.problem.model();
        (n_states(m), m.n_inputs(), m.n_params())
    }
    fn linear_form(&self, q: Quantity, end: End) -> Vec<(usize, f64)> {
        let (nx, nu, _) = self.sizes();
        let node = if end == End::Initial { 0 } else { self.grid.n_nodes() - 1 };
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
    fn regrid(
        &self,
        t: Transcription,
        ends: &[f64],
        orders: &[usize],
        guess: &OcpSolution,
    ) -> Result<Box<dyn PhaseNlp<'a> + 'a>, Error> {
        let c = Collocation::with_mesh(self.problem, &self.phase, t, Some(ends), Some(orders), &Guess::from(guess))?;
        Ok(Box::new(c.convexify(self.convexify)))
    }
}

/// One linkage: (from − to) / scale as Σ coefficient · (full) variable,
/// within the scaled bounds; a row of the NLP unless connected.
pub(super) struct LinkRow {
    pub terms: Vec<(usize, f64)>,
    pub lower: f64,
    pub upper: f64,
    pub connected: bool,
}

impl LinkRow {
    /// (from − to) / scale at the phases' variables `x`.
    pub fn value(&self, x: &[f64]) -> f64 {
        self.terms.iter().map(|&(v, c)| c * x[v]).sum()
    }
}

/// A phase variable as Σ factor · NLP variable.
type Combination = Vec<(usize, f64)>;

/// The whole trajectory's NLP. Its variables are the phases' ("full")
/// variables less those a connected linkage computes from others.
pub(super) struct TrajectoryNlp<'t, 'a> {
    pub phases: &'t [Box<dyn PhaseNlp<'a> + 'a>],
    /// First full variable and first row of each phase (one more at the end).
    pub x_off: Vec<usize>,
    pub g_off: Vec<usize>,
    pub links: Vec<LinkRow>,
    /// Each full variable in the NLP's variables.
    alias: Vec<Combination>,
    /// For each NLP variable, the full variable that is it.
    own: Vec<usize>,
    /// The linkage rows (the links not connected).
    rows: Vec<usize>,
    /// Full variables computed from several with finite bounds: a row each,
    /// after the linkage rows, with the variable's bounds.
    bound_rows: Vec<(usize, f64, f64)>,
    /// No variable is another's: the NLP's variables are the phases'.
    plain: bool,
    /// Each phase's Jacobian entries in the structure last handed out, and
    /// each NLP entry as (phase entry, factor) (empty when plain).
    jac_len: Mutex<Vec<usize>>,
    jac_expand: Mutex<Vec<(usize, f64)>>,
    /// Each phase's Hessian entries, and each NLP entry as (phase entry,
    /// factor) (empty when plain).
    hess_len: Vec<usize>,
    hess_expand: Mutex<Vec<(usize, f64)>>,
}

impl<'t, 'a> TrajectoryNlp<'t, 'a> {
    /// Lay out `phases` and turn `links` into rows or connections,
    /// checking every name, index and bound.
    pub fn new(phases: &'t [Box<dyn PhaseNlp<'a> + 'a>], names: &[String], links: &[Linkage]) -> Result<Self, Error> {
        let (mut x_off, mut g_off) = (vec![0], vec![0]);
        for p in phases {
            x_off.push(x_off.last().copied().unwrap_or(0) + p.n());
            g_off.push(g_off.last().copied().unwrap_or(0) + p.m());
        }
        let n_full = x_off[phases.len()];
        // Each full variable in full variables that are their own.
        let mut same: Vec<Combination> = (0..n_full).map(|i| vec![(i, 1.0)]).collect();
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
            if l.connected {
                connect(&mut same, &from, &to, l).map_err(what)?;
            }
            let s = 1.0 / l.bounds.scale;
            let mut terms: Vec<(usize, f64)> = from.into_iter().map(|(v, c)| (v, c * s)).collect();
            terms.extend(to.into_iter().map(|(v, c)| (v, -c * s)));
            let (lower, upper) = l.bounds.scaled();
            rows.push(LinkRow { terms, lower, upper, connected: l.connected });
        }
        // Number the variables that are their own.
        let mut index = vec![usize::MAX; n_full];
        let mut own = Vec::new();
        for i in (0..n_full).filter(|&i| same[i] == [(i, 1.0)]) {
            index[i] = own.len();
            own.push(i);
        }
        let plain = own.len() == n_full;
        let alias: Vec<Combination> =
            same.into_iter().map(|c| c.into_iter().map(|(j, f)| (index[j], f)).collect()).collect();
        // Bounds of variables computed from several.
        let (lo, hi) = phase_bounds(phases, &x_off);
        let bound_rows = (0..n_full)
            .filter(|&i| alias[i].len() > 1 && (lo[i].is_finite() || hi[i].is_finite()))
            .map(|i| (i, lo[i], hi[i]))
            .collect();
        let hess_len = phases.iter().map(|p| p.hessian_structure().map_or(0, |h| h.len())).collect();
        let link_rows = (0..rows.len()).filter(|&l| !rows[l].connected).collect();
        Ok(TrajectoryNlp {
            phases,
            x_off,
            g_off,
            links: rows,
            alias,
            own,
            rows: link_rows,
            bound_rows,
            plain,
            jac_len: Mutex::new(vec![0; phases.len()]),
            jac_expand: Mutex::new(Vec::new()),
            hess_len,
            hess_expand: Mutex::new(Vec::new()),
        })
    }

    /// The NLP's entries of the phases' lower-triangle Hessian entry
    /// `(r, c)`: `entry(a, b, factor)` for each.
    fn hessian_entry(&self, r: usize, c: usize, mut entry: impl FnMut(usize, usize, f64)) {
        let (ar, ac) = (&self.alias[r], &self.alias[c]);
        if r == c {
            // h · m mᵀ for the combination m: each pair once.
            for (p, &(a, fa)) in ar.iter().enumerate() {
                for &(b, fb) in &ar[p..] {
                    entry(a, b, fa * fb);
                }
            }
        } else {
            // An off-diagonal entry stands for two; on one variable both
            // land on its diagonal.
            for &(a, fa) in ar {
                for &(b, fb) in ac {
                    entry(a, b, if a == b { 2.0 * fa * fb } else { fa * fb });
                }
            }
        }
    }

    /// The phases' variables at the NLP's variables `x`.
    pub fn full<'x>(&self, x: &'x [f64]) -> Cow<'x, [f64]> {
        if self.plain {
            return Cow::Borrowed(x);
        }
        Cow::Owned(self.alias.iter().map(|c| c.iter().map(|&(j, f)| f * x[j]).sum()).collect())
    }

    fn link_row(&self, l: usize) -> usize {
        self.g_off[self.phases.len()] + l
    }

    fn full_hessian_structure(&self) -> Option<Vec<(usize, usize)>> {
        let mut out = Vec::new();
        for (k, p) in self.phases.iter().enumerate() {
            let off = self.x_off[k];
            out.extend(p.hessian_structure()?.into_iter().map(|(r, c)| (r + off, c + off)));
        }
        Some(out)
    }

    /// The phases' Hessian values at `x` (`convex`: their convexified
    /// ones), in the NLP's entries; whether all were convexified.
    fn hessian_with(&self, x: &[f64], sigma: f64, lambda: &[f64], values: &mut [f64], convex: bool) -> bool {
        let x = self.full(x);
        let mut raw = if self.plain { Vec::new() } else { vec![0.0; self.hess_len.iter().sum()] };
        let out: &mut [f64] = if self.plain { values } else { &mut raw };
        let (mut at, mut all) = (0, true);
        for (k, p) in self.phases.iter().enumerate() {
            let (l, xk) = (&lambda[self.g_off[k]..self.g_off[k + 1]], &x[self.x_off[k]..self.x_off[k + 1]]);
            let part = &mut out[at..at + self.hess_len[k]];
            if convex {
                all &= p.convex_hessian_values(xk, sigma, l, part);
            } else {
                p.hessian_values(xk, sigma, l, part);
            }
            at += self.hess_len[k];
        }
        if !self.plain {
            let expand = self.hess_expand.lock().unwrap_or_else(|e| e.into_inner());
            for (v, &(e, f)) in values.iter_mut().zip(expand.iter()) {
                *v = f * raw[e];
            }
        }
        all
    }
}

/// The bounds of every phase's variables, one after the other.
fn phase_bounds(phases: &[Box<dyn PhaseNlp<'_> + '_>], x_off: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let n = x_off[phases.len()];
    let (mut lo, mut hi) = (vec![0.0; n], vec![0.0; n]);
    for (k, p) in phases.iter().enumerate() {
        let r = x_off[k]..x_off[k + 1];
        p.x_bounds(&mut lo[r.clone()], &mut hi[r]);
    }
    (lo, hi)
}

/// Make the single variable of `to` the combination `from` in `same`
/// (each full variable in those that are their own).
fn connect(same: &mut [Combination], from: &[(usize, f64)], to: &[(usize, f64)], l: &Linkage) -> Result<(), String> {
    let &[(b, cb)] = to else {
        return Err("the connected side (to) must be one variable, not the time at a final end (t0 + duration)".into());
    };
    if l.bounds.lower != 0.0 || l.bounds.upper != 0.0 {
        return Err("a connected linkage is an equality: its bounds must be 0".into());
    }
    if same[b] != [(b, 1.0)] {
        return Err("this variable is already connected".into());
    }
    // cb · b = Σ ca · a, each a in its own variables.
    let mut value: Combination = Vec::new();
    for &(a, ca) in from {
        for &(j, f) in &same[a] {
            add(&mut value, j, f * ca / cb);
        }
    }
    if value.iter().any(|&(j, _)| j == b) {
        return Err("this connects a variable to itself".into());
    }
    // b, and every variable computed from b, in terms of b's value.
    for s in same.iter_mut() {
        if let Some(p) = s.iter().position(|&(j, _)| j == b) {
            let (_, w) = s.remove(p);
            for &(j, f) in &value {
                add(s, j, w * f);
            }
        }
    }
    Ok(())
}

/// `f · variable j` added to the combination `c`.
fn add(c: &mut Combination, j: usize, f: f64) {
    match c.iter_mut().find(|(k, _)| *k == j) {
        Some((_, w)) => *w += f,
        None => c.push((j, f)),
    }
}

impl Nlp for TrajectoryNlp<'_, '_> {
    fn n(&self) -> usize {
        self.own.len()
    }
    fn m(&self) -> usize {
        self.g_off[self.phases.len()] + self.rows.len() + self.bound_rows.len()
    }
    fn x_bounds(&self, lower: &mut [f64], upper: &mut [f64]) {
        let (lo, hi) = phase_bounds(self.phases, &self.x_off);
        lower.fill(f64::NEG_INFINITY);
        upper.fill(f64::INFINITY);
        // Each NLP variable within the bounds of every variable that is a
        // multiple of it (those of a combination are rows).
        for (i, c) in self.alias.iter().enumerate() {
            if let &[(j, f)] = &c[..] {
                let (l, h) = if f > 0.0 { (lo[i] / f, hi[i] / f) } else { (hi[i] / f, lo[i] / f) };
                lower[j] = lower[j].max(l);
                upper[j] = upper[j].min(h);
            }
        }
    }
    fn g_bounds(&self, lower: &mut [f64], upper: &mut [f64]) {
        for (k, p) in self.phases.iter().enumerate() {
            let r = self.g_off[k]..self.g_off[k + 1];
            p.g_bounds(&mut lower[r.clone()], &mut upper[r]);
        }
        for (l, &link) in self.rows.iter().enumerate() {
            let row = &self.links[link];
            (lower[self.link_row(l)], upper[self.link_row(l)]) = (row.lower, row.upper);
        }
        let first = self.link_row(self.rows.len());
        for (b, &(_, lo, hi)) in self.bound_rows.iter().enumerate() {
            (lower[first + b], upper[first + b]) = (lo, hi);
        }
    }
    fn initial_point(&self, x: &mut [f64]) {
        let mut full = vec![0.0; self.alias.len()];
        for (k, p) in self.phases.iter().enumerate() {
            p.initial_point(&mut full[self.x_off[k]..self.x_off[k + 1]]);
        }
        for (xj, &i) in x.iter_mut().zip(&self.own) {
            *xj = full[i];
        }
    }
    fn objective(&self, x: &[f64]) -> f64 {
        let x = self.full(x);
        self.phases.iter().enumerate().map(|(k, p)| p.objective(&x[self.x_off[k]..self.x_off[k + 1]])).sum()
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        let x = self.full(x);
        let mut full = if self.plain { Vec::new() } else { vec![0.0; x.len()] };
        let out: &mut [f64] = if self.plain { grad } else { &mut full };
        for (k, p) in self.phases.iter().enumerate() {
            let r = self.x_off[k]..self.x_off[k + 1];
            p.gradient(&x[r.clone()], &mut out[r]);
        }
        if self.plain {
            return;
        }
        grad.fill(0.0);
        for (c, g) in self.alias.iter().zip(&full) {
            for &(j, f) in c {
                grad[j] += f * g;
            }
        }
    }
    fn constraints(&self, x: &[f64], g: &mut [f64]) {
        let x = self.full(x);
        for (k, p) in self.phases.iter().enumerate() {
            p.constraints(&x[self.x_off[k]..self.x_off[k + 1]], &mut g[self.g_off[k]..self.g_off[k + 1]]);
        }
        for (l, &link) in self.rows.iter().enumerate() {
            g[self.link_row(l)] = self.links[link].value(&x);
        }
        let first = self.link_row(self.rows.len());
        for (b, &(i, _, _)) in self.bound_rows.iter().enumerate() {
            g[first + b] = x[i];
        }
    }
    fn jacobian_structure(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut lens = self.jac_len.lock().unwrap_or_else(|e| e.into_inner());
        let mut expand = self.jac_expand.lock().unwrap_or_else(|e| e.into_inner());
        expand.clear();
        let mut e = 0;
        for (k, p) in self.phases.iter().enumerate() {
            let s = p.jacobian_structure();
            lens[k] = s.len();
            for (r, c) in s {
                for &(j, f) in &self.alias[c + self.x_off[k]] {
                    out.push((r + self.g_off[k], j));
                    if !self.plain {
                        expand.push((e, f));
                    }
                }
                e += 1;
            }
        }
        for (l, &link) in self.rows.iter().enumerate() {
            for &(v, _) in &self.links[link].terms {
                out.extend(self.alias[v].iter().map(|&(j, _)| (self.link_row(l), j)));
            }
        }
        let first = self.link_row(self.rows.len());
        for (b, &(i, _, _)) in self.bound_rows.iter().enumerate() {
            out.extend(self.alias[i].iter().map(|&(j, _)| (first + b, j)));
        }
        out
    }
    fn jacobian_values(&self, x: &[f64], values: &mut [f64]) {
        let x = self.full(x);
        let lens = self.jac_len.lock().unwrap_or_else(|e| e.into_inner());
        let expand = self.jac_expand.lock().unwrap_or_else(|e| e.into_inner());
        let n_raw: usize = lens.iter().sum();
        let mut raw = if self.plain { Vec::new() } else { vec![0.0; n_raw] };
        let out: &mut [f64] = if self.plain { &mut values[..n_raw] } else { &mut raw };
        let mut at = 0;
        for (k, p) in self.phases.iter().enumerate() {
            p.jacobian_values(&x[self.x_off[k]..self.x_off[k + 1]], &mut out[at..at + lens[k]]);
            at += lens[k];
        }
        // Entries with respect to a connected variable, in the NLP's.
        let mut at = if self.plain { n_raw } else { expand.len() };
        for (v, &(e, f)) in values.iter_mut().zip(expand.iter()) {
            *v = f * raw[e];
        }
        for &link in &self.rows {
            for &(v, c) in &self.links[link].terms {
                for &(_, f) in &self.alias[v] {
                    values[at] = c * f;
                    at += 1;
                }
            }
        }
        for &(i, _, _) in &self.bound_rows {
            for &(_, f) in &self.alias[i] {
                values[at] = f;
                at += 1;
            }
        }
    }
    fn hessian_structure(&self) -> Option<Vec<(usize, usize)>> {
        let full = self.full_hessian_structure()?;
        if self.plain {
            return Some(full);
        }
        let (mut out, mut expand) = (Vec::new(), self.hess_expand.lock().unwrap_or_else(|e| e.into_inner()));
        expand.clear();
        for (e, &(r, c)) in full.iter().enumerate() {
            self.hessian_entry(r, c, |a, b, f| {
                out.push((a.max(b), a.min(b)));
                expand.push((e, f));
            });
        }
        Some(out)
    }
    fn hessian_values(&self, x: &[f64], sigma: f64, lambda: &[f64], values: &mut [f64]) {
        self.hessian_with(x, sigma, lambda, values, false);
    }
    fn convex_hessian_values(&self, x: &[f64], sigma: f64, lambda: &[f64], values: &mut [f64]) -> bool {
        self.hessian_with(x, sigma, lambda, values, true)
    }
}

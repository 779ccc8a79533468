//! A transcribed phase as a sparse NLP, with exact derivatives by duals.
//!
//! The NLP is a sum of small *blocks*, each a generic function of a few
//! variables: one per segment (defects, path constraints, running cost),
//! one per boundary (boundary constraints, Mayer term), one per control
//! rate-continuity link. Each block is evaluated with `f64` for values,
//! with `InlineDual64<8>` (chunks of eight seeded local variables) for its
//! dense local Jacobian, and with `InlineHyperDual64<4, 4>` (pairs of chunks)
//! for its local Hessian of the weighted outputs. The global Jacobian and
//! Hessian are the scattered sums of the blocks, so their sparsity comes
//! from the segment structure; within a block, entries that vanish at
//! random probe points near the initial guess are left out of the
//! structure (as OpenMDAO's total coloring does). An entry that turns out
//! nonzero later (a branch the probes did not take) is caught at the
//! evaluation that meets it: the structure grows and
//! [`Collocation::solve`] starts again with it.
//!
//! Variables and constraints are scaled as described in [`Phase`]: the
//! duals are seeded with the variable's scale and the outputs multiplied by
//! the row scale, so the derivatives are those of the scaled NLP.

use super::guess::Guess;
use super::layout::Layout;
use super::phase::Phase;
use super::problem::{End, OptimalControl};
use super::transcription::{Grid, Kind, Locals, Transcription, gauss_lobatto_segment, radau_segment};
use crate::system::{Model, n_states};
use crate::{DualScalar, Error};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

pub(crate) const NONE: usize = usize::MAX;

/// How a block Hessian is made positive semidefinite for the SQP's
/// iterations far from a solution ([`Nlp::convex_hessian_values`](super::Nlp::convex_hessian_values)).
///
/// # Example
/// ```
/// use odeon::ocp::{problems::Brachistochrone, Collocation, Convexify, SqpOptions, Transcription};
/// let t = Transcription::GaussLobatto { segments: 10, order: 3 };
/// let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)?.convexify(Convexify::Clip);
/// assert!((ocp.solve(&SqpOptions::default())?.duration - 1.8016).abs() < 1e-4);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Convexify {
    /// Negative eigenvalues replaced by their absolute values.
    Mirror,
    /// Negative eigenvalues replaced by zero.
    Clip,
    /// No change: the exact block Hessian.
    None,
}

#[derive(Clone, Debug)]
pub(crate) enum BlockKind {
    Segment(usize, Locals),
    Boundary(End),
    Rate {
        seg: usize,
    },
    /// Radau: the control at a segment end that no defect uses equals the
    /// extrapolation of the segment's control polynomial from the
    /// collocation nodes (Garg et al. 2010).
    ControlEnd(usize),
    /// A control's variation penalty in one segment: w · Σ (u_{j+1} − u_j)²
    /// (objective only).
    Variation(f64),
}

#[derive(Clone, Debug)]
pub(crate) struct Block {
    pub kind: BlockKind,
    /// Global variable of each local variable.
    pub vars: Vec<usize>,
    /// Global row of each local output (the objective, if any, is last).
    pub rows: Vec<usize>,
    pub row_scale: Vec<f64>,
    pub objective: bool,
    /// Position in the Jacobian values of (local row r, local var i), r-major.
    pub jac_pos: Vec<usize>,
    /// Local variables with second derivatives.
    pub hess_vars: Vec<usize>,
    /// Position in the Hessian values of (a, b), a ≥ b, over `hess_vars`.
    pub hess_pos: Vec<usize>,
}

impl Block {
    pub(crate) fn n_out(&self) -> usize {
        self.rows.len() + usize::from(self.objective)
    }
}

/// One phase transcribed into a sparse NLP ([`Nlp`](super::Nlp)).
///
/// # Example
/// ```
/// use nalgebra::{Const, SVector};
/// use odeon::DualScalar;
/// use odeon::ocp::{Collocation, Nlp, OptimalControl, Phase, StateVar, TimeVar, Transcription};
/// use odeon::system::Model;
/// struct Decay;
/// impl Model for Decay {
///     type Dim = Const<1>;
///     fn dim(&self) -> Const<1> { Const }
///     fn n_params(&self) -> usize { 0 }
///     fn n_inputs(&self) -> usize { 1 }
///     fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 1>, u: &[D], _p: &[D], dx: &mut SVector<D, 1>) { dx[0] = -x[0] + u[0]; }
/// }
/// impl OptimalControl for Decay {
///     type Model = Self;
///     fn model(&self) -> &Self { self }
/// }
/// let phase = Phase::new(&Decay).time(TimeVar::fixed(0.0, 1.0)).state(0, StateVar::new().fix_initial(1.0));
/// let nlp = Collocation::new(&Decay, &phase, Transcription::GaussLobatto { segments: 4, order: 3 })?;
/// // 9 nodes: 5 state values, 9 control values, t0, duration; 4 defects.
/// assert_eq!((nlp.n(), nlp.m()), (5 + 9 + 2, 4));
/// # Ok::<(), odeon::Error>(())
/// ```
pub struct Collocation<'a, P: OptimalControl> {
    pub(crate) problem: &'a P,
    pub(crate) phase: Phase,
    pub(crate) grid: Grid,
    pub(crate) layout: Layout,
    pub(crate) blocks: Vec<Block>,
    pub(crate) n: usize,
    pub(crate) m: usize,
    /// Scale of each variable (physical = scaled · scale).
    pub(crate) scale: Vec<f64>,
    pub(crate) xl: Vec<f64>,
    pub(crate) xu: Vec<f64>,
    pub(crate) gl: Vec<f64>,
    pub(crate) gu: Vec<f64>,
    pub(crate) x0: Vec<f64>,
    pub(crate) jac: Vec<(usize, usize)>,
    pub(crate) hess: Vec<(usize, usize)>,
    pub(crate) obj_scale: f64,
    pub(crate) max_local: usize,
    pub(crate) convexify: Convexify,
    /// Jacobian entries met nonzero outside the probed structure, each
    /// with its position after `jac` ([`Collocation::solve`] restarts with
    /// them).
    pub(crate) extra: Mutex<HashMap<(usize, usize), usize>>,
    /// Whether an evaluation met an entry outside the structure its caller holds.
    pub(crate) missed: AtomicBool,
}

impl<'a, P: OptimalControl> Collocation<'a, P> {
    /// Transcribe `phase` of `problem` with uniform segments; the initial
    /// guess is the phase's linear guess.
    ///
    /// # Errors
    /// [`Error::InvalidTranscription`] (zero segments, even Gauss–Lobatto
    /// order), the errors of [`Phase::check`], and
    /// [`Error::NonFiniteEvaluation`] when the functions are not finite at
    /// the initial guess.
    pub fn new(problem: &'a P, phase: &Phase, transcription: Transcription) -> Result<Self, Error> {
        Self::with_grid(problem, phase, transcription, None, &Guess::Linear)
    }

    /// As [`new`](Self::new), with segment ends (any strictly increasing
    /// values; rescaled to the phase) and an initial guess.
    ///
    /// # Errors
    /// As [`new`](Self::new); [`Error::DimensionMismatch`] for segment ends
    /// or a guess of the wrong size.
    ///
    /// # Example
    /// ```
    /// use odeon::ocp::{problems::Brachistochrone, Collocation, Guess, SqpOptions, Transcription};
    /// let (p, phase) = (Brachistochrone, Brachistochrone::phase());
    /// let coarse = Collocation::new(&p, &phase, Transcription::GaussLobatto { segments: 5, order: 3 })?
    ///     .solve(&SqpOptions::default())?;
    /// // Warm start on a finer, non-uniform Radau grid.
    /// let ends = [0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0];
    /// let fine = Collocation::with_grid(&p, &phase, Transcription::Radau { segments: 6, order: 4 }, Some(&ends), &Guess::from(&coarse))?
    ///     .solve(&SqpOptions::default())?;
    /// assert!((fine.duration - 1.8016031).abs() < 1e-6);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn with_grid(
        problem: &'a P,
        phase: &Phase,
        transcription: Transcription,
        segment_ends: Option<&[f64]>,
        guess: &Guess,
    ) -> Result<Self, Error> {
        Self::with_mesh(problem, phase, transcription, segment_ends, None, guess)
    }

    /// As [`with_grid`](Self::with_grid), with each segment's order
    /// (`orders[s]` LGL nodes, or LGR nodes for Radau; the transcription's
    /// own order is then only the family's): the grids of p- and
    /// ph-refinement ([`Refinement::max_order`](super::Refinement::max_order)).
    ///
    /// # Errors
    /// As [`with_grid`](Self::with_grid); [`Error::DimensionMismatch`]
    /// unless there is one order per segment, and
    /// [`Error::InvalidTranscription`] for an order the family does not
    /// allow.
    ///
    /// # Example
    /// ```
    /// use odeon::ocp::{problems::Brachistochrone, Collocation, Guess, SqpOptions, Transcription};
    /// let (p, phase) = (Brachistochrone, Brachistochrone::phase());
    /// let t = Transcription::GaussLobatto { segments: 3, order: 3 };
    /// let ocp = Collocation::with_mesh(&p, &phase, t, None, Some(&[5, 7, 5]), &Guess::Linear)?;
    /// assert_eq!(ocp.segment_orders(), [5, 7, 5]);
    /// let sol = ocp.solve(&SqpOptions::default())?;
    /// assert_eq!(sol.timeseries.len(), 5 + 7 + 5);
    /// assert!((sol.duration - Brachistochrone::T_OPT).abs() < 1e-6);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn with_mesh(
        problem: &'a P,
        phase: &Phase,
        transcription: Transcription,
        segment_ends: Option<&[f64]>,
        orders: Option<&[usize]>,
        guess: &Guess,
    ) -> Result<Self, Error> {
        phase.check(problem)?;
        let grid = Grid::new(transcription, segment_ends, orders)?;
        let model = problem.model();
        let (layout, n) = Layout::new(&grid, phase, (n_states(model), model.n_inputs(), model.n_params()));
        let (xl, xu, scale) = layout.bounds(&grid, phase, n);
        let mut this = Collocation {
            problem,
            phase: phase.clone(),
            grid,
            layout,
            blocks: Vec::new(),
            n,
            m: 0,
            scale,
            xl,
            xu,
            gl: Vec::new(),
            gu: Vec::new(),
            x0: vec![0.0; n],
            jac: Vec::new(),
            hess: Vec::new(),
            obj_scale: phase.objective_scale,
            max_local: 0,
            convexify: Convexify::Mirror,
            extra: Mutex::new(HashMap::new()),
            missed: AtomicBool::new(false),
        };
        this.build_blocks();
        this.x0 = guess.point(&this)?;
        this.structure()?;
        Ok(this)
    }

    /// Choose how [`Nlp::convex_hessian_values`](super::Nlp::convex_hessian_values) convexifies the block
    /// Hessians (default [`Convexify::Mirror`]); the exact Hessian is
    /// unaffected.
    pub fn convexify(mut self, c: Convexify) -> Self {
        self.convexify = c;
        self
    }

    /// The transcription (its order the first segment's when orders
    /// differ: see [`segment_orders`](Self::segment_orders)).
    pub fn transcription(&self) -> Transcription {
        self.grid.transcription
    }

    /// Each segment's order.
    pub fn segment_orders(&self) -> &[usize] {
        &self.grid.orders
    }

    /// The phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The problem.
    pub fn problem(&self) -> &'a P {
        self.problem
    }

    fn build_blocks(&mut self) {
        let pr = self.problem;
        let (nx, nu, np) = (n_states(pr.model()), pr.model().n_inputs(), pr.model().n_params());
        let (grid, nseg) = (&self.grid, self.grid.segments);
        let tail = |t0: usize| t0..t0 + 2 + np;
        let layout = &self.layout;
        let controls_of =
            move |s: usize, c: usize| (0..grid.seg(s).npn).map(move |j| layout.control[grid.node(s, j) * nu + c]);
        let mut row = 0;
        let all_continuous = self.phase.controls.iter().all(|c| c.continuity);
        let n_path = pr.n_path();
        let mut blocks = Vec::new();
        let (mut gl, mut gu) = (Vec::new(), Vec::new());
        for s in 0..nseg {
            let (shape, first) = (grid.seg(s), grid.node(s, 0));
            let mut vars = Vec::new();
            for &j in &shape.state_nodes {
                vars.extend_from_slice(&self.layout.state[(first + j) * nx..(first + j + 1) * nx]);
            }
            let u0 = vars.len();
            vars.extend_from_slice(&self.layout.control[first * nu..(first + shape.npn) * nu]);
            let t0 = vars.len();
            vars.extend(tail(self.layout.t0));
            let path_from = usize::from(s > 0 && all_continuous);
            let with_cost = pr.has_running_cost();
            let loc = Locals { nx, nu, u0, t0, path_from, n_path, with_cost };
            let (mut rows, mut row_scale) = (Vec::new(), Vec::new());
            for _ in 0..shape.col_nodes.len() {
                for sv in &self.phase.states {
                    rows.push(row);
                    row += 1;
                    row_scale.push(1.0 / sv.defect_scale.unwrap_or(sv.scale));
                    gl.push(0.0);
                    gu.push(0.0);
                }
            }
            for _ in path_from..shape.npn {
                for b in &self.phase.path {
                    push_bounds(b, &mut row, &mut rows, &mut row_scale, &mut gl, &mut gu);
                }
            }
            blocks.push(Block::new(BlockKind::Segment(s, loc), vars, rows, row_scale, with_cost));
        }
        for end in [End::Initial, End::Final] {
            let node = if end == End::Initial { 0 } else { grid.n_nodes() - 1 };
            let mut vars = self.layout.state[node * nx..(node + 1) * nx].to_vec();
            vars.extend_from_slice(&self.layout.control[node * nu..(node + 1) * nu]);
            vars.extend(tail(self.layout.t0));
            let (mut rows, mut row_scale) = (Vec::new(), Vec::new());
            let list = if end == End::Initial { &self.phase.initial } else { &self.phase.final_ };
            for b in list {
                push_bounds(b, &mut row, &mut rows, &mut row_scale, &mut gl, &mut gu);
            }
            let objective = end == End::Final;
            if !rows.is_empty() || objective {
                blocks.push(Block::new(BlockKind::Boundary(end), vars, rows, row_scale, objective));
            }
        }
        for (c, cv) in self.phase.controls.iter().enumerate() {
            if !cv.rate_continuity {
                continue;
            }
            for s in 0..nseg.saturating_sub(1) {
                let vars: Vec<usize> = controls_of(s, c).chain(controls_of(s + 1, c)).collect();
                blocks.push(Block::new(BlockKind::Rate { seg: s }, vars, vec![row], vec![1.0 / cv.scale], false));
                row += 1;
                gl.push(0.0);
                gu.push(0.0);
            }
        }
        for (c, cv) in self.phase.controls.iter().enumerate() {
            if cv.variation_penalty > 0.0 {
                for s in 0..nseg {
                    let vars: Vec<usize> = controls_of(s, c).collect();
                    blocks.push(Block::new(BlockKind::Variation(cv.variation_penalty), vars, vec![], vec![], true));
                }
            }
        }
        if matches!(grid.transcription, Transcription::Radau { .. }) {
            for (c, cv) in self.phase.controls.iter().enumerate() {
                for s in 0..nseg {
                    if s + 1 < nseg && cv.continuity {
                        continue; // shared with the next segment's first collocation node
                    }
                    let vars: Vec<usize> = controls_of(s, c).collect();
                    blocks.push(Block::new(BlockKind::ControlEnd(s), vars, vec![row], vec![1.0 / cv.scale], false));
                    row += 1;
                    gl.push(0.0);
                    gu.push(0.0);
                }
            }
        }
        self.m = row;
        self.gl = gl;
        self.gu = gu;
        self.max_local = blocks.iter().map(|b| b.vars.len().max(b.n_out())).max().unwrap_or(0);
        self.blocks = blocks;
    }

    /// Evaluate block `b` at local (physical) variables `z`.
    pub(crate) fn eval_block<D: DualScalar>(&self, b: &Block, z: &[D], out: &mut [D], xall: &mut [D], fall: &mut [D]) {
        let pr = self.problem;
        let (nx, nu) = (n_states(pr.model()), pr.model().n_inputs());
        match &b.kind {
            BlockKind::Segment(s, loc) => match self.grid.seg(*s).kind {
                Kind::GaussLobatto { .. } => gauss_lobatto_segment(pr, &self.grid, *s, z, loc, out, xall, fall),
                Kind::Radau { .. } => radau_segment(pr, &self.grid, *s, z, loc, out, xall, fall),
            },
            BlockKind::Boundary(end) => {
                let (x, u) = (&z[..nx], &z[nx..nx + nu]);
                let (t0, dur) = (z[nx + nu], z[nx + nu + 1]);
                let p = &z[nx + nu + 2..];
                let t = if *end == End::Initial { t0 } else { t0 + dur };
                let nb = b.rows.len();
                if nb > 0 {
                    pr.boundary(*end, t, x, u, p, &mut out[..nb]);
                }
                if b.objective {
                    out[nb] = pr.mayer(t, x, u, p);
                }
            }
            BlockKind::Rate { seg } => {
                let g = &self.grid;
                let (a, b) = (g.seg(*seg), g.seg(seg + 1));
                // The rate at the end of one segment and the start of the next.
                let rate = |zs: &[D], d: &nalgebra::DMatrix<f64>, row: usize| {
                    zs.iter().enumerate().fold(D::from(0.0), |acc, (j, &v)| acc + v * d[(row, j)])
                };
                let left = rate(&z[..a.npn], &a.d_all, a.npn - 1);
                let right = rate(&z[a.npn..a.npn + b.npn], &b.d_all, 0);
                out[0] = left * (1.0 / g.width(*seg)) - right * (1.0 / g.width(seg + 1));
            }
            BlockKind::Variation(w) => {
                let mut sum = D::from(0.0);
                for pair in z.windows(2) {
                    let d = pair[1] - pair[0];
                    sum += d * d;
                }
                out[0] = sum * *w;
            }
            BlockKind::ControlEnd(s) => {
                let shape = self.grid.seg(*s);
                let mut e = z[shape.npn - 1];
                for (j, w) in shape.end_weights.iter().enumerate() {
                    e -= z[j] * *w;
                }
                out[0] = e;
            }
        }
    }

    pub(crate) fn scratch<D: DualScalar>(&self) -> (Vec<D>, Vec<D>, Vec<D>, Vec<D>) {
        let nx = n_states(self.problem.model());
        let zero = D::from(0.0);
        let w = self.grid.max_npn() * nx;
        (vec![zero; self.max_local], vec![zero; self.max_local], vec![zero; w], vec![zero; w])
    }

    /// All block outputs in f64, scaled: g (when given) and the objective.
    pub(crate) fn values(&self, x: &[f64], mut g: Option<&mut [f64]>) -> f64 {
        let (mut z, mut out, mut xa, mut fa) = self.scratch::<f64>();
        let mut f = 0.0;
        for b in &self.blocks {
            if g.is_none() && !b.objective {
                continue;
            }
            for (zi, &v) in z.iter_mut().zip(&b.vars) {
                *zi = x[v] * self.scale[v];
            }
            self.eval_block(b, &z[..b.vars.len()], &mut out[..b.n_out()], &mut xa, &mut fa);
            if let Some(g) = g.as_deref_mut() {
                for (r, &row) in b.rows.iter().enumerate() {
                    g[row] = out[r] * b.row_scale[r];
                }
            }
            if b.objective {
                f += out[b.rows.len()] * self.obj_scale;
            }
        }
        f
    }

    /// A readable name of constraint row `r`.
    pub(crate) fn row_name(&self, r: usize) -> String {
        let model = self.problem.model();
        let sizes = (n_states(model), self.problem.n_path());
        name_of_row(&self.blocks, &self.grid, &model.state_names(), sizes, r)
    }
}

/// [`Collocation::row_name`] from the blocks, the grid, the state names
/// and the numbers of states and path constraints: compiled once, not
/// once per problem type.
fn name_of_row(blocks: &[Block], grid: &Grid, names: &[String], (nx, n_path): (usize, usize), r: usize) -> String {
    for b in blocks {
        if let Some(i) = b.rows.iter().position(|&x| x == r) {
            return match &b.kind {
                BlockKind::Segment(s, _) => {
                    let nd = grid.seg(*s).col_nodes.len() * nx;
                    if i < nd {
                        let k = i % nx;
                        let name = names.get(k).map_or_else(|| k.to_string(), String::clone);
                        format!("defect of state {name} in segment {s}")
                    } else {
                        format!("path constraint {} in segment {s}", (i - nd) % n_path.max(1))
                    }
                }
                BlockKind::Boundary(end) => format!("{end:?} boundary constraint {i}"),
                BlockKind::Rate { seg } => format!("control rate continuity after segment {seg}"),
                BlockKind::ControlEnd(s) => format!("control at the end of Radau segment {s}"),
                BlockKind::Variation(_) => "control variation penalty".into(),
            };
        }
    }
    format!("constraint {r}")
}

fn push_bounds(
    b: &super::Bounds,
    row: &mut usize,
    rows: &mut Vec<usize>,
    row_scale: &mut Vec<f64>,
    gl: &mut Vec<f64>,
    gu: &mut Vec<f64>,
) {
    rows.push(*row);
    *row += 1;
    row_scale.push(1.0 / b.scale);
    let (lo, hi) = b.scaled();
    gl.push(lo);
    gu.push(hi);
}

impl Block {
    fn new(kind: BlockKind, vars: Vec<usize>, rows: Vec<usize>, row_scale: Vec<f64>, objective: bool) -> Self {
        Block {
            kind,
            vars,
            rows,
            row_scale,
            objective,
            jac_pos: Vec::new(),
            hess_vars: Vec::new(),
            hess_pos: Vec::new(),
        }
    }
}

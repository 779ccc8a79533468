//! Transcriptions: how a phase becomes a finite-dimensional NLP.
//!
//! # Node layout
//! The phase's normalized time φ ∈ [0, 1] is split into segments at the
//! segment ends e₀ = 0 < e₁ < … < e_S = 1 (uniform unless given). Each
//! segment maps its nodes τ ∈ [−1, 1] to t = t₀ + T·(eₛ + (τ + 1)/2·wₛ),
//! wₛ = eₛ₊₁ − eₛ, so dt/dτ = T·wₛ/2 (T the duration). Neighbouring
//! segments share their boundary node (the "compressed" transcription of
//! dymos): one set of state values there, and one set of control values
//! for controls with value continuity.
//!
//! * [`Transcription::GaussLobatto`] `{ segments, order }` (odd order):
//!   `order` LGL nodes per segment; states are design variables at the even
//!   nodes, controls at all nodes; states at the odd (collocation) nodes come
//!   from Hermite interpolation of the state values and slopes
//!   `f·dt/dτ` at the even nodes, and the defects there are
//!   `(ẋ_interp − f)·dt/dτ` (Herman & Conway 1996; Betts, *Practical
//!   Methods for Optimal Control*, 2nd ed., §4.5; dymos's GaussLobatto).
//!   Order 3 is Hermite–Simpson.
//! * [`Transcription::Radau`] `{ segments, order }`: `order` LGR nodes plus
//!   the segment end per segment; states and controls at all of them;
//!   defects `D·x − (dt/dτ)·f` at the LGR nodes, `D` the Lagrange
//!   differentiation matrix (Garg et al., "A unified framework for the
//!   numerical solution of optimal control problems using pseudospectral
//!   methods", Automatica 46, 2010; dymos's Radau).

mod gauss_lobatto;
mod radau;

use crate::Error;
use crate::collocation::{Barycentric, hermite_matrices, lagrange_matrices, lgl, lgr_with_endpoint};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// A transcription of one phase.
///
/// # Example
/// ```
/// use odeon::ocp::Transcription;
/// let t = Transcription::GaussLobatto { segments: 10, order: 3 };
/// assert_eq!(t.nodes_per_segment(), 3);
/// assert_eq!(Transcription::Radau { segments: 5, order: 3 }.nodes_per_segment(), 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transcription {
    /// Gauss–Lobatto collocation; `order` odd, ≥ 3.
    GaussLobatto {
        /// Number of segments (≥ 1).
        segments: usize,
        /// Number of LGL nodes per segment (odd, ≥ 3).
        order: usize,
    },
    /// Radau pseudospectral collocation; `order` ≥ 1 LGR nodes per segment.
    Radau {
        /// Number of segments (≥ 1).
        segments: usize,
        /// Number of LGR (collocation) nodes per segment.
        order: usize,
    },
}

impl Transcription {
    /// Number of segments.
    pub fn segments(&self) -> usize {
        match *self {
            Transcription::GaussLobatto { segments, .. } | Transcription::Radau { segments, .. } => segments,
        }
    }

    /// The order: LGL nodes (Gauss–Lobatto) or LGR collocation nodes
    /// (Radau) per segment.
    pub(crate) fn order(&self) -> usize {
        match *self {
            Transcription::GaussLobatto { order, .. } | Transcription::Radau { order, .. } => order,
        }
    }

    /// The same transcription with `segments` segments.
    pub(crate) fn with_segments(self, segments: usize) -> Self {
        match self {
            Transcription::GaussLobatto { order, .. } => Transcription::GaussLobatto { segments, order },
            Transcription::Radau { order, .. } => Transcription::Radau { segments, order },
        }
    }

    /// The same transcription with order `order`.
    pub(crate) fn with_order(self, order: usize) -> Self {
        match self {
            Transcription::GaussLobatto { segments, .. } => Transcription::GaussLobatto { segments, order },
            Transcription::Radau { segments, .. } => Transcription::Radau { segments, order },
        }
    }

    /// Nodes per segment, including both ends.
    pub fn nodes_per_segment(&self) -> usize {
        match *self {
            Transcription::GaussLobatto { order, .. } => order,
            Transcription::Radau { order, .. } => order + 1,
        }
    }

    /// Check the segment count and order.
    ///
    /// # Errors
    /// [`Error::InvalidTranscription`] for zero segments, an even or too
    /// small Gauss–Lobatto order, a zero Radau order, or an order above 40.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::InvalidTranscription { transcription: format!("{self:?}"), reason });
        let (segments, order) = match *self {
            Transcription::GaussLobatto { segments, order } => {
                if order < 3 || order % 2 == 0 {
                    return bad(format!("Gauss–Lobatto order must be odd and at least 3, got {order}"));
                }
                (segments, order)
            }
            Transcription::Radau { segments, order } => {
                if order == 0 {
                    return bad("Radau order must be at least 1".into());
                }
                (segments, order)
            }
        };
        if segments == 0 {
            return bad("at least one segment is needed".into());
        }
        if order > 40 {
            return bad(format!("order {order} is above the supported maximum 40"));
        }
        Ok(())
    }
}

/// The nodes and constant matrices of a segment of one order, shared by
/// every segment of that order.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    /// The order it is for.
    order: usize,
    /// Nodes per segment, both ends included.
    pub npn: usize,
    /// Local nodes on [−1, 1].
    pub tau: Vec<f64>,
    /// Quadrature weights on [−1, 1] at the local nodes (0 where unused).
    pub quad: Vec<f64>,
    /// Local indices of the nodes holding state variables.
    pub state_nodes: Vec<usize>,
    /// Local indices of the collocation nodes.
    pub col_nodes: Vec<usize>,
    /// Lagrange differentiation over all local nodes, at the local nodes
    /// (`npn × npn`, in τ): control rates.
    pub d_all: DMatrix<f64>,
    /// The local nodes prepared for interpolation (controls between
    /// nodes).
    pub basis: Barycentric,
    /// Radau: weights extrapolating values at the collocation nodes to the
    /// segment end (empty for Gauss–Lobatto).
    pub end_weights: Vec<f64>,
    pub kind: Kind,
}

/// The collocation grid: segments, each with its order, and the nodes
/// listed segment by segment (a shared end once per segment).
#[derive(Clone, Debug)]
pub(crate) struct Grid {
    /// The family and the starting order (see `orders` for each segment's).
    pub transcription: Transcription,
    pub segments: usize,
    /// Segment ends as fractions of the phase, `segments + 1` values.
    pub ends: Vec<f64>,
    /// Each segment's order.
    pub orders: Vec<usize>,
    /// One shape per distinct order, and each segment's.
    shapes: Vec<Shape>,
    shape_of: Vec<usize>,
    /// First node of each segment in the node list; `segments + 1` values.
    offsets: Vec<usize>,
}

/// Transcription-specific matrices.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// Hermite matrices from state nodes to collocation nodes.
    GaussLobatto { ai: DMatrix<f64>, bi: DMatrix<f64>, ad: DMatrix<f64>, bd: DMatrix<f64> },
    /// Differentiation from all nodes to the collocation nodes.
    Radau { d: DMatrix<f64> },
}

impl Shape {
    fn new(transcription: Transcription) -> Result<Shape, Error> {
        let (tau, quad, state_nodes, col_nodes, kind) = match transcription {
            Transcription::GaussLobatto { order, .. } => {
                let n = lgl(order)?;
                let sn: Vec<usize> = (0..order).step_by(2).collect();
                let cn: Vec<usize> = (1..order).step_by(2).collect();
                let xs: Vec<f64> = sn.iter().map(|&i| n.x[i]).collect();
                let xc: Vec<f64> = cn.iter().map(|&i| n.x[i]).collect();
                let h = hermite_matrices(&xs, &xc)?;
                (n.x, n.w, sn, cn, Kind::GaussLobatto { ai: h.ai, bi: h.bi, ad: h.ad, bd: h.bd })
            }
            Transcription::Radau { order, .. } => {
                let n = lgr_with_endpoint(order)?;
                let cn: Vec<usize> = (0..order).collect();
                let xc: Vec<f64> = n.x[..order].to_vec();
                let (_, d) = lagrange_matrices(&n.x, &xc)?;
                (n.x, n.w, (0..=order).collect(), cn, Kind::Radau { d })
            }
        };
        let (_, d_all) = lagrange_matrices(&tau, &tau)?;
        let basis = Barycentric::new(&tau)?;
        let end_weights = match kind {
            Kind::Radau { .. } => lagrange_matrices(&tau[..tau.len() - 1], &[1.0])?.0.as_slice().to_vec(),
            Kind::GaussLobatto { .. } => Vec::new(),
        };
        let order = transcription.order();
        Ok(Shape { order, npn: tau.len(), tau, quad, state_nodes, col_nodes, d_all, basis, end_weights, kind })
    }
}

impl Grid {
    /// Build the grid; `ends` are segment ends in [0, 1] (or uniform),
    /// `orders` each segment's order (or the transcription's for all).
    pub fn new(transcription: Transcription, ends: Option<&[f64]>, orders: Option<&[usize]>) -> Result<Grid, Error> {
        transcription.check()?;
        let segments = transcription.segments();
        let ends = match ends {
            None => (0..=segments).map(|s| s as f64 / segments as f64).collect::<Vec<_>>(),
            Some(e) => check_ends(transcription, e)?,
        };
        let orders = match orders {
            None => vec![transcription.order(); segments],
            Some(o) if o.len() != segments => {
                return Err(Error::DimensionMismatch { what: "segment orders", expected: segments, got: o.len() });
            }
            Some(o) => o.to_vec(),
        };
        let (mut shapes, mut shape_of, mut offsets) = (Vec::<Shape>::new(), Vec::new(), vec![0]);
        for &order in &orders {
            let i = match shapes.iter().position(|c| c.order == order) {
                Some(i) => i,
                None => {
                    let t = transcription.with_order(order);
                    t.check()?;
                    shapes.push(Shape::new(t)?);
                    shapes.len() - 1
                }
            };
            shape_of.push(i);
            offsets.push(offsets[offsets.len() - 1] + shapes[i].npn);
        }
        Ok(Grid { transcription, segments, ends, orders, shapes, shape_of, offsets })
    }

    /// The nodes and matrices of segment `s`.
    pub fn seg(&self, s: usize) -> &Shape {
        &self.shapes[self.shape_of[s]]
    }

    /// Position of local node `j` of segment `s` in the node list.
    pub fn node(&self, s: usize, j: usize) -> usize {
        self.offsets[s] + j
    }

    /// Nodes in the list (a shared end once per segment).
    pub fn n_nodes(&self) -> usize {
        self.offsets[self.segments]
    }

    /// The most nodes of a segment.
    pub fn max_npn(&self) -> usize {
        self.shapes.iter().map(|c| c.npn).max().unwrap_or(0)
    }

    /// Phase fraction of local node `j` of segment `s`.
    pub fn frac(&self, s: usize, j: usize) -> f64 {
        let w = self.ends[s + 1] - self.ends[s];
        let shape = self.seg(s);
        if j + 1 == shape.npn {
            return self.ends[s + 1];
        }
        self.ends[s] + 0.5 * (shape.tau[j] + 1.0) * w
    }

    /// Width of segment `s` as a fraction of the phase.
    pub fn width(&self, s: usize) -> f64 {
        self.ends[s + 1] - self.ends[s]
    }

    /// Whether local node `j` holds state variables.
    pub fn is_state_node(&self, j: usize) -> bool {
        match self.transcription {
            Transcription::GaussLobatto { .. } => j.is_multiple_of(2),
            Transcription::Radau { .. } => true,
        }
    }
}

fn check_ends(transcription: Transcription, e: &[f64]) -> Result<Vec<f64>, Error> {
    let segments = transcription.segments();
    if e.len() != segments + 1 {
        return Err(Error::DimensionMismatch { what: "segment ends", expected: segments + 1, got: e.len() });
    }
    let (a, b) = (e[0], e[segments]);
    if e.iter().any(|x| !x.is_finite()) || e.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::InvalidTranscription {
            transcription: format!("{transcription:?}"),
            reason: "segment ends must be finite and strictly increasing".into(),
        });
    }
    // Normalize to [0, 1] (dymos gives them on [−1, 1]).
    Ok(e.iter().map(|x| (x - a) / (b - a)).collect())
}

pub(crate) use gauss_lobatto::segment as gauss_lobatto_segment;
pub(crate) use radau::segment as radau_segment;

/// Where things are in a segment's local variable vector
/// `[x at the state nodes, u at all nodes, t₀, T, p]`, and what the segment
/// outputs after its defects.
#[derive(Clone, Debug)]
pub(crate) struct Locals {
    pub nx: usize,
    pub nu: usize,
    /// Offset of the controls.
    pub u0: usize,
    /// Offset of t₀ (T follows, then the parameters).
    pub t0: usize,
    /// First local node whose path constraints this segment outputs.
    pub path_from: usize,
    /// Number of path constraints per node.
    pub n_path: usize,
    /// Whether the running-cost integral is the last output.
    pub with_cost: bool,
}

impl Locals {
    /// The controls at local node `j`.
    pub fn u<'a, D>(&self, z: &'a [D], j: usize) -> &'a [D] {
        &z[self.u0 + j * self.nu..self.u0 + (j + 1) * self.nu]
    }
}

/// Path constraints at the nodes from `loc.path_from` on, then the
/// running-cost integral (quadrature of the segment's nodes times dt/dτ).
fn path_and_cost<P: super::OptimalControl, D: crate::DualScalar>(
    problem: &P,
    grid: &Grid,
    s: usize,
    z: &[D],
    loc: &Locals,
    out: &mut [D],
    xall: &[D],
) {
    let nx = loc.nx;
    let (t0, dur) = (z[loc.t0], z[loc.t0 + 1]);
    let p = &z[loc.t0 + 2..];
    let np = loc.n_path;
    let shape = grid.seg(s);
    if np > 0 {
        for (r, j) in (loc.path_from..shape.npn).enumerate() {
            let t = t0 + dur * grid.frac(s, j);
            problem.path(t, &xall[j * nx..(j + 1) * nx], loc.u(z, j), p, &mut out[r * np..(r + 1) * np]);
        }
    }
    if loc.with_cost {
        let mut sum = D::from(0.0);
        for j in 0..shape.npn {
            if shape.quad[j] != 0.0 {
                let t = t0 + dur * grid.frac(s, j);
                sum += problem.running_cost(t, &xall[j * nx..(j + 1) * nx], loc.u(z, j), p) * shape.quad[j];
            }
        }
        out[(shape.npn - loc.path_from) * np] = sum * dur * (0.5 * grid.width(s));
    }
}

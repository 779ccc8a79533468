//! Where each variable of a transcribed phase lives in the NLP's vector,
//! and its bounds and scale: from the phase and the grid alone, so this
//! is compiled once, not once per problem type.

use super::collocation::NONE;
use super::phase::{Phase, scaled_bounds};
use super::transcription::Grid;

/// Variable layout of the transcription.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Global variable of state k at (segment s, local node j): `[node·nx + k]`
    /// with node = `grid.node(s, j)`, NONE off state nodes.
    pub state: Vec<usize>,
    /// Global variable of control c at (s, j): `[node·nu + c]`.
    pub control: Vec<usize>,
    /// t₀; the duration and the parameters follow.
    pub t0: usize,
}

impl Layout {
    /// Number the variables node by node (a segment's first node shares
    /// the states, and continuous controls, of the last one's end), then
    /// t₀, the duration and the `np` parameters; with their count.
    pub(crate) fn new(grid: &Grid, phase: &Phase, (nx, nu, np): (usize, usize, usize)) -> (Layout, usize) {
        let mut state = vec![NONE; grid.n_nodes() * nx];
        let mut control = vec![NONE; grid.n_nodes() * nu];
        let mut n = 0;
        for s in 0..grid.segments {
            for j in 0..grid.seg(s).npn {
                let (node, shared) = (grid.node(s, j), s > 0 && j == 0);
                if grid.is_state_node(j) {
                    for k in 0..nx {
                        state[node * nx + k] = if shared {
                            state[(node - 1) * nx + k]
                        } else {
                            n += 1;
                            n - 1
                        };
                    }
                }
                for c in 0..nu {
                    control[node * nu + c] = if shared && phase.controls[c].continuity {
                        control[(node - 1) * nu + c]
                    } else {
                        n += 1;
                        n - 1
                    };
                }
            }
        }
        (Layout { state, control, t0: n }, n + 2 + np)
    }

    /// The scaled bounds `(xl, xu)` and the scales of the `n` variables:
    /// the phase's bounds, the fixed initial and final states at the ends.
    pub(crate) fn bounds(&self, grid: &Grid, phase: &Phase, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (mut xl, mut xu, mut scale) = (vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n], vec![1.0; n]);
        let mut set = |v: usize, bounds: (f64, f64), s: f64| {
            scale[v] = s;
            (xl[v], xu[v]) = scaled_bounds(bounds, s);
        };
        let (nx, nu, nseg) = (phase.states.len(), phase.controls.len(), grid.segments);
        for s in 0..nseg {
            let npn = grid.seg(s).npn;
            for j in 0..npn {
                let node = grid.node(s, j);
                for (k, sv) in phase.states.iter().enumerate() {
                    let v = self.state[node * nx + k];
                    if v == NONE {
                        continue;
                    }
                    let (mut lo, mut hi) = sv.bounds;
                    if s == 0 && j == 0 {
                        if let Some(x) = sv.initial {
                            (lo, hi) = (x, x);
                        }
                    } else if s + 1 == nseg
                        && j + 1 == npn
                        && let Some(x) = sv.final_value
                    {
                        (lo, hi) = (x, x);
                    }
                    set(v, (lo, hi), sv.scale);
                }
                for (c, cv) in phase.controls.iter().enumerate() {
                    set(self.control[node * nu + c], cv.bounds, cv.scale);
                }
            }
        }
        let (t, t0) = (&phase.time, self.t0);
        set(t0, t.initial_bounds, t.initial_scale);
        set(t0 + 1, t.duration_bounds, t.duration_scale);
        for (i, p) in phase.params.iter().enumerate() {
            let b = if p.optimize { p.bounds } else { (p.value, p.value) };
            set(t0 + 2 + i, b, p.scale);
        }
        (xl, xu, scale)
    }
}

//! Radau pseudospectral defects of one segment, generic over the scalar.

use super::{Grid, Kind, Locals, path_and_cost};
use crate::DualScalar;
use crate::ocp::OptimalControl;
use crate::system::SliceModel;

/// Defects, path constraints and running cost of segment `s`:
/// `D x − (dt/dτ) f(t_c, x_c, u_c, p)` at the LGR nodes, `D` the Lagrange
/// differentiation matrix of all `order + 1` nodes at the LGR nodes
/// (Garg et al., Automatica 46 (2010), eq. 24; dymos `Radau`).
#[allow(clippy::too_many_arguments)] // the segment's inputs and its two scratch buffers
pub(crate) fn segment<P: OptimalControl, D: DualScalar>(
    problem: &P,
    grid: &Grid,
    s: usize,
    z: &[D],
    loc: &Locals,
    out: &mut [D],
    xall: &mut [D],
    fall: &mut [D],
) {
    let Kind::Radau { d } = &grid.seg(s).kind else { unreachable!("a Radau grid") };
    let nx = loc.nx;
    let shape = grid.seg(s);
    let (t0, dur) = (z[loc.t0], z[loc.t0 + 1]);
    let p = &z[loc.t0 + 2..];
    let h = dur * (0.5 * grid.width(s));
    xall[..shape.npn * nx].copy_from_slice(&z[..shape.npn * nx]);
    for (c, &j) in shape.col_nodes.iter().enumerate() {
        let t = t0 + dur * grid.frac(s, j);
        problem.model().rhs_slice(t, &z[j * nx..(j + 1) * nx], loc.u(z, j), p, &mut fall[j * nx..(j + 1) * nx]);
        for k in 0..nx {
            let mut dx = D::from(0.0);
            for jj in 0..shape.npn {
                dx += z[jj * nx + k] * d[(c, jj)];
            }
            out[c * nx + k] = dx - h * fall[j * nx + k];
        }
    }
    path_and_cost(problem, grid, s, z, loc, &mut out[shape.col_nodes.len() * nx..], xall);
}

//! Gauss–Lobatto defects of one segment, generic over the scalar.

use super::{Grid, Kind, Locals, path_and_cost};
use crate::DualScalar;
use crate::ocp::OptimalControl;
use crate::system::SliceModel;

/// Defects, path constraints and running cost of segment `s`.
///
/// With x_d the states at the even (state) nodes and f_d = f(t, x_d, u, p)
/// there, h = dt/dτ:
///
/// x_c = A_i x_d + h B_i f_d,  defect = A_d x_d + h (B_d f_d − f(t_c, x_c, u_c, p)),
///
/// i.e. (ẋ_interp − f)·dt/dτ at the odd (collocation) nodes (Betts 2010,
/// §4.5; dymos `GaussLobatto`). `xall`/`fall` are scratch of
/// `npn · n_states` entries.
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
    let Kind::GaussLobatto { ai, bi, ad, bd } = &grid.seg(s).kind else { unreachable!("a Gauss–Lobatto grid") };
    let nx = loc.nx;
    let shape = grid.seg(s);
    let (t0, dur) = (z[loc.t0], z[loc.t0 + 1]);
    let p = &z[loc.t0 + 2..];
    let h = dur * (0.5 * grid.width(s));
    // States and dynamics at the state nodes.
    for (i, &j) in shape.state_nodes.iter().enumerate() {
        let t = t0 + dur * grid.frac(s, j);
        xall[j * nx..(j + 1) * nx].copy_from_slice(&z[i * nx..(i + 1) * nx]);
        problem.model().rhs_slice(t, &z[i * nx..(i + 1) * nx], loc.u(z, j), p, &mut fall[j * nx..(j + 1) * nx]);
    }
    // Interpolated states at the collocation nodes, then the defects.
    for (c, &j) in shape.col_nodes.iter().enumerate() {
        for k in 0..nx {
            let mut xi = D::from(0.0);
            let mut fi = D::from(0.0);
            for (i, &jd) in shape.state_nodes.iter().enumerate() {
                xi += z[i * nx + k] * ai[(c, i)];
                fi += fall[jd * nx + k] * bi[(c, i)];
            }
            xall[j * nx + k] = xi + h * fi;
        }
        let t = t0 + dur * grid.frac(s, j);
        let (xs, fs) = (&xall[j * nx..(j + 1) * nx], &mut fall[j * nx..(j + 1) * nx]);
        problem.model().rhs_slice(t, xs, loc.u(z, j), p, fs);
        for k in 0..nx {
            let mut dx = D::from(0.0);
            let mut df = D::from(0.0);
            for (i, &jd) in shape.state_nodes.iter().enumerate() {
                dx += z[i * nx + k] * ad[(c, i)];
                df += fall[jd * nx + k] * bd[(c, i)];
            }
            out[c * nx + k] = dx + h * (df - fall[j * nx + k]);
        }
    }
    path_and_cost(problem, grid, s, z, loc, &mut out[shape.col_nodes.len() * nx..], xall);
}

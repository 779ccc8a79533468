//! Reaction–diffusion systems by the method of lines: large, stiff and
//! sparse (the sparse linear algebra's test problems).

use crate::{DualScalar, Error, OdeSystem, State};
use nalgebra::Dyn;

/// Hairer's 1-D Brusselator by the method of lines (Hairer & Wanner,
/// *Solving ODEs II*, §IV.10): on `N` interior points `x_i = i/(N + 1)`,
///
/// `u_i' = A + u_i² v_i − (B + 1) u_i + α (N + 1)² (u_{i−1} − 2u_i + u_{i+1})`,
/// `v_i' = B u_i − u_i² v_i + α (N + 1)² (v_{i−1} − 2v_i + v_{i+1})`,
///
/// with `u = 1`, `v = 3` at both ends; parameters `[A, B, α]` (usually
/// `[1, 3, 1/50]`). States are interleaved (`u₁, v₁, u₂, v₂, …`), so the
/// Jacobian is banded with half-bandwidth 2.
///
/// # Example
/// ```
/// use odeon::models::Brusselator1D;
/// use odeon::{integrate::sparsity, OdeSystem};
/// let m = Brusselator1D::new(500)?;
/// let y0 = m.initial_state();
/// assert_eq!(y0.len(), 1000);
/// let pattern = sparsity(&m, 0.0, &y0, &Brusselator1D::PARAMS)?;
/// assert_eq!(pattern.nnz(), 4 * 500 + 4 * 499); // 2×2 blocks and the two neighbours
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Brusselator1D {
    points: usize,
}

impl Brusselator1D {
    /// `[A, B, α]` of Hairer's test problem.
    pub const PARAMS: [f64; 3] = [1.0, 3.0, 1.0 / 50.0];

    /// `points ≥ 1` interior grid points (`2·points` states).
    pub fn new(points: usize) -> Result<Self, Error> {
        if points == 0 {
            return Err(Error::InvalidOption { name: "points", reason: "the grid needs at least one point".into() });
        }
        Ok(Brusselator1D { points })
    }

    /// `u(x, 0) = 1 + sin(2πx)`, `v(x, 0) = 3` (the peers' W6 benchmark;
    /// its reference end state is `tests/data/bruss1d_reference.json`).
    pub fn initial_state(&self) -> Vec<f64> {
        let h = 1.0 / (self.points + 1) as f64;
        (0..self.points).flat_map(|i| [1.0 + (2.0 * std::f64::consts::PI * (i + 1) as f64 * h).sin(), 3.0]).collect()
    }
}

impl OdeSystem for Brusselator1D {
    type Dim = Dyn;
    fn dim(&self) -> Dyn {
        Dyn(2 * self.points)
    }
    fn n_params(&self) -> usize {
        3
    }
    fn autonomous(&self) -> bool {
        true
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &State<D, Dyn>, p: &[D], dy: &mut State<D, Dyn>) {
        let (a, b) = (p[0], p[1]);
        let n = self.points;
        let c = p[2] * ((n + 1) * (n + 1)) as f64;
        let (y, dy) = (y.as_slice(), dy.as_mut_slice());
        for i in 0..n {
            let (u, v) = (y[2 * i], y[2 * i + 1]);
            let (ul, vl) = if i > 0 { (y[2 * i - 2], y[2 * i - 1]) } else { (D::from(1.0), D::from(3.0)) };
            let (ur, vr) = if i + 1 < n { (y[2 * i + 2], y[2 * i + 3]) } else { (D::from(1.0), D::from(3.0)) };
            let uuv = u * u * v;
            dy[2 * i] = a + uuv - u * (b + 1.0) + c * (ul - u * 2.0 + ur);
            dy[2 * i + 1] = b * u - uuv + c * (vl - v * 2.0 + vr);
        }
    }
}

/// `m` as the side of a periodic grid: at least 3 points, so that a
/// point's neighbours on either side differ.
fn grid_side(m: usize) -> Result<usize, Error> {
    match m >= 3 {
        true => Ok(m),
        false => Err(Error::InvalidOption { name: "m", reason: format!("the grid needs m ≥ 3, got {m}") }),
    }
}

/// The 2-D Brusselator on the periodic unit square, an `m × m` grid
/// (`2m²` states, `u` and `v` interleaved per grid point):
///
/// `u' = B + u² v − (A + 1) u + α ∇²u`, `v' = A u − u² v + α ∇²v`,
///
/// with the 5-point Laplacian; parameters `[A, B, α]` (the
/// DifferentialEquations.jl sparse-Jacobian benchmark's values
/// `[3.4, 1, 10]`), started from `u = 22 (y(1 − y))^{3/2}`,
/// `v = 27 (x(1 − x))^{3/2}`, without that benchmark's forcing term.
///
/// # Example
/// ```
/// use odeon::models::Brusselator2D;
/// use odeon::{integrate::sparsity, OdeSystem};
/// let m = Brusselator2D::new(16)?;
/// let pattern = sparsity(&m, 0.0, &m.initial_state(), &Brusselator2D::PARAMS)?;
/// assert_eq!(pattern.nnz(), 2 * 256 * 6); // the 5-point stencil and the other species
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Brusselator2D {
    m: usize,
}

impl Brusselator2D {
    /// `[A, B, α]`.
    pub const PARAMS: [f64; 3] = [3.4, 1.0, 10.0];

    /// An `m × m` grid, `m ≥ 3`.
    pub fn new(m: usize) -> Result<Self, Error> {
        Ok(Brusselator2D { m: grid_side(m)? })
    }

    /// Grid points per side.
    pub fn m(&self) -> usize {
        self.m
    }

    /// `u = 22 (y(1 − y))^{3/2}`, `v = 27 (x(1 − x))^{3/2}` at the grid
    /// points `(i/m, j/m)`.
    pub fn initial_state(&self) -> Vec<f64> {
        let m = self.m;
        let h = 1.0 / m as f64;
        let mut y = vec![0.0; 2 * m * m];
        for i in 0..m {
            for j in 0..m {
                let (x, yy) = (i as f64 * h, j as f64 * h);
                let k = 2 * (i * m + j);
                y[k] = 22.0 * (yy * (1.0 - yy)).powf(1.5);
                y[k + 1] = 27.0 * (x * (1.0 - x)).powf(1.5);
            }
        }
        y
    }
}

impl OdeSystem for Brusselator2D {
    type Dim = Dyn;
    fn dim(&self) -> Dyn {
        Dyn(2 * self.m * self.m)
    }
    fn n_params(&self) -> usize {
        3
    }
    fn autonomous(&self) -> bool {
        true
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &State<D, Dyn>, p: &[D], dy: &mut State<D, Dyn>) {
        let (a, b) = (p[0], p[1]);
        let m = self.m;
        let c = p[2] * (m * m) as f64;
        let (y, dy) = (y.as_slice(), dy.as_mut_slice());
        let at = |i: usize, j: usize| 2 * (i * m + j);
        for i in 0..m {
            let (up, down) = ((i + m - 1) % m, (i + 1) % m);
            for j in 0..m {
                let (left, right) = ((j + m - 1) % m, (j + 1) % m);
                let around = [at(up, j), at(down, j), at(i, left), at(i, right)];
                periodic_point(y, dy, at(i, j), &around, (a, b, c));
            }
        }
    }
}

/// The 3-D Brusselator on the periodic unit cube, an `m × m × m` grid
/// (`2m³` states, `u` and `v` interleaved per grid point): the equations
/// and parameters of [`Brusselator2D`] with the 7-point Laplacian, started
/// from `u = 22 (y(1 − y))^{3/2}`, `v = 27 (x(1 − x))^{3/2} + 10 (z(1 −
/// z))^{3/2}`. A direct LU's fill grows like `n²` on a 3-D grid; this is
/// the problem for the Krylov path (`Linsolve::Krylov`).
///
/// # Example
/// ```
/// use odeon::models::Brusselator3D;
/// use odeon::{integrate::sparsity, OdeSystem};
/// let m = Brusselator3D::new(6)?;
/// let pattern = sparsity(&m, 0.0, &m.initial_state(), &Brusselator3D::PARAMS)?;
/// assert_eq!(pattern.nnz(), 2 * 216 * 8); // the 7-point stencil and the other species
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Brusselator3D {
    m: usize,
}

impl Brusselator3D {
    /// `[A, B, α]`.
    pub const PARAMS: [f64; 3] = Brusselator2D::PARAMS;

    /// An `m × m × m` grid, `m ≥ 3`.
    pub fn new(m: usize) -> Result<Self, Error> {
        Ok(Brusselator3D { m: grid_side(m)? })
    }

    /// Grid points per side.
    pub fn m(&self) -> usize {
        self.m
    }

    /// The initial state at the grid points `(i/m, j/m, l/m)` (see the
    /// type's documentation).
    pub fn initial_state(&self) -> Vec<f64> {
        let m = self.m;
        let h = 1.0 / m as f64;
        let bump = |s: f64| (s * (1.0 - s)).powf(1.5);
        let mut y = vec![0.0; 2 * m * m * m];
        for i in 0..m {
            for j in 0..m {
                for l in 0..m {
                    let (x, yy, z) = (i as f64 * h, j as f64 * h, l as f64 * h);
                    let k = 2 * ((i * m + j) * m + l);
                    y[k] = 22.0 * bump(yy);
                    y[k + 1] = 27.0 * bump(x) + 10.0 * bump(z);
                }
            }
        }
        y
    }
}

impl OdeSystem for Brusselator3D {
    type Dim = Dyn;
    fn dim(&self) -> Dyn {
        Dyn(2 * self.m * self.m * self.m)
    }
    fn n_params(&self) -> usize {
        3
    }
    fn autonomous(&self) -> bool {
        true
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &State<D, Dyn>, p: &[D], dy: &mut State<D, Dyn>) {
        let (a, b) = (p[0], p[1]);
        let m = self.m;
        let c = p[2] * (m * m) as f64;
        let (y, dy) = (y.as_slice(), dy.as_mut_slice());
        let at = |i: usize, j: usize, l: usize| 2 * ((i * m + j) * m + l);
        let sides = |i: usize| [(i + m - 1) % m, (i + 1) % m];
        for i in 0..m {
            let [i0, i1] = sides(i);
            for j in 0..m {
                let [j0, j1] = sides(j);
                for l in 0..m {
                    let [l0, l1] = sides(l);
                    let around = [at(i0, j, l), at(i1, j, l), at(i, j0, l), at(i, j1, l), at(i, j, l0), at(i, j, l1)];
                    periodic_point(y, dy, at(i, j, l), &around, (a, b, c));
                }
            }
        }
    }
}

/// One grid point of the periodic Brusselators, `u` and `v` at `k` and
/// `k + 1` and the neighbours' at `around` (and one after each):
/// `u' = B + u²v − (A + 1)u + c ∇²u`, `v' = A u − u²v + c ∇²v`, the
/// Laplacian the neighbours' sum, in order, less their number times the
/// point's value.
#[inline(always)]
fn periodic_point<D: DualScalar>(y: &[D], dy: &mut [D], k: usize, around: &[usize], (a, b, c): (D, D, D)) {
    let lap = |s: usize| {
        let sum = around[1..].iter().fold(y[around[0] + s], |acc, &q| acc + y[q + s]);
        sum - y[k + s] * around.len() as f64
    };
    let (u, v) = (y[k], y[k + 1]);
    let uuv = u * u * v;
    dy[k] = b + uuv - u * (a + 1.0) + c * lap(0);
    dy[k + 1] = a * u - uuv + c * lap(1);
}

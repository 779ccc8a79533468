//! Transient heat conduction on a quad8 mesh, `M u' = −K(κ) u + f`, as an
//! [`OdeSystem`] with a sparse constant mass matrix.

use super::{Quad8Mesh, quad8};
use crate::integrate::MassMatrix;
use crate::integrate::linalg::CscPattern;
use crate::{DualScalar, Error, OdeSystem, State};
use nalgebra::Dyn;
use rayon::prelude::*;
use std::ops::AddAssign;

/// Transient heat conduction `ρc ∂u/∂t = ∇·(κ ∇u) + s` on a [`Quad8Mesh`],
/// discretized by the Galerkin method: `M u' = −κ K̂ u + q F + s S`, with
/// the consistent capacity matrix `M = ∫ ρc N Nᵀ` (given to the solvers as
/// the system's [`mass`](OdeSystem::mass)), the unit-conductivity matrix
/// `K̂ = ∫ ∇N ∇Nᵀ`, and the loads of a unit heat flux through the
/// heat-flux sides (`F`) and of a unit source (`S`).
///
/// Boundary sides may hold a **fixed temperature** (Dirichlet: those nodes
/// are not states, their values enter through `K̂`) or take a **heat
/// flux** `q` into the body (Neumann); other sides are insulated.
/// Parameters `p = [κ, q, s]`: conductivity, inward heat flux, volumetric
/// source — any of them may carry dual-number derivatives (∂u/∂κ through a
/// whole transient is one dual solve). The states are the temperatures of
/// the free nodes, in node order.
///
/// # Example
/// ```
/// use odeon::fem::{HeatConduction, Quad8Mesh};
/// use odeon::{Bdf, Options, solve};
/// // A 2 × 1 plate held at 0 on the left, heated through the right edge.
/// let mesh = Quad8Mesh::rectangle((0.0, 2.0), (0.0, 1.0), 8, 4)?;
/// let heat = HeatConduction::builder(mesh).fixed_temperature("left", 0.0).heat_flux("right").build()?;
/// let p = [1.0, 1.0, 0.0]; // κ, q, s
/// let y0 = vec![0.0; heat.n_states()];
/// let sol = solve(&heat, Bdf, (0.0, 20.0), &y0, &p, &Options::default().rtol(1e-8).atol(1e-10).save_final())?;
/// // The steady state is u = q x / κ: 2 at the right edge.
/// let probe = heat.probe([2.0, 0.5])?;
/// assert!((probe.value(sol.last().unwrap().1) - 2.0).abs() < 1e-3);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct HeatConduction {
    mesh: Quad8Mesh,
    /// The state of each node (`None` for a fixed temperature).
    state_of: Vec<Option<usize>>,
    /// Each node's fixed temperature (0 for free nodes).
    fixed: Vec<f64>,
    /// `K̂` on the free nodes (symmetric: column `i` is row `i`).
    k: CscPattern,
    k_values: Vec<f64>,
    /// `K̂_fd u_d`: the fixed temperatures' share of `K̂ u`.
    k_fixed: Vec<f64>,
    /// Loads of a unit heat flux and a unit source.
    flux: Vec<f64>,
    source: Vec<f64>,
    /// `M` on the free nodes.
    mass: Vec<(usize, usize, f64)>,
}

/// Builds a [`HeatConduction`] model (see [`HeatConduction::builder`]).
#[derive(Clone, Debug)]
pub struct HeatConductionBuilder {
    mesh: Quad8Mesh,
    rho_c: f64,
    fixed: Vec<(String, f64)>,
    flux: Vec<String>,
}

/// A point of the domain at which the temperature is read: weights of the
/// states and a constant (from fixed temperatures).
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    weights: Vec<(usize, f64)>,
    offset: f64,
}

impl Probe {
    /// The temperature at the point for states `u` (with the derivatives
    /// `u` carries).
    pub fn value<D: DualScalar>(&self, u: &[D]) -> D {
        self.weights.iter().fold(D::from(self.offset), |acc, &(k, w)| acc + u[k] * w)
    }
}

/// Entries of `K̂` and `M` assembled together.
#[derive(Clone, Copy, Debug, Default)]
struct Pair {
    k: f64,
    m: f64,
}

impl AddAssign for Pair {
    fn add_assign(&mut self, o: Pair) {
        self.k += o.k;
        self.m += o.m;
    }
}

impl HeatConductionBuilder {
    /// Heat capacity per volume `ρc` (default 1).
    pub fn rho_c(mut self, rho_c: f64) -> Self {
        self.rho_c = rho_c;
        self
    }

    /// Hold the nodes of `side` at `temperature` (a node on two such sides
    /// keeps the first side's value).
    pub fn fixed_temperature(mut self, side: &str, temperature: f64) -> Self {
        self.fixed.push((side.to_string(), temperature));
        self
    }

    /// Let the heat flux `q` (the model's second parameter, positive into
    /// the body) pass through `side`.
    pub fn heat_flux(mut self, side: &str) -> Self {
        self.flux.push(side.to_string());
        self
    }

    /// Assemble the model (in parallel, see [`Quad8Mesh::assemble`]).
    ///
    /// # Errors
    /// [`Error::InvalidMesh`] for an unknown side, a side given both a
    /// temperature and a flux, or no free node left;
    /// [`Error::InvalidParameter`] for `ρc ≤ 0` or a non-finite
    /// temperature.
    pub fn build(self) -> Result<HeatConduction, Error> {
        let HeatConductionBuilder { mesh, rho_c, fixed: sides, flux: flux_sides } = self;
        if !(rho_c > 0.0 && rho_c.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "rho_c".into(),
                reason: format!("must be positive, got {rho_c}"),
            });
        }
        let n = mesh.nodes().len();
        let (mut is_fixed, mut fixed) = (vec![false; n], vec![0.0; n]);
        for (side, value) in &sides {
            if !value.is_finite() {
                let reason = format!("the temperature of side {side:?} is {value}");
                return Err(Error::InvalidParameter { name: "fixed_temperature".into(), reason });
            }
            if flux_sides.contains(side) {
                let reason = "has both a fixed temperature and a heat flux".to_string();
                return Err(Error::InvalidMesh { what: format!("side {side:?}"), reason });
            }
            for k in mesh.side_nodes(side)? {
                if !is_fixed[k] {
                    (is_fixed[k], fixed[k]) = (true, *value);
                }
            }
        }
        let mut state_of = vec![None; n];
        let mut states = 0;
        for (k, s) in state_of.iter_mut().enumerate() {
            if !is_fixed[k] {
                *s = Some(states);
                states += 1;
            }
        }
        if states == 0 {
            return Err(Error::InvalidMesh {
                what: "boundary".into(),
                reason: "every node has a fixed temperature".into(),
            });
        }
        let (pattern, values) = mesh.assemble(|e| {
            let el = quad8::element(&mesh.element_nodes(e), 1.0, rho_c, 0.0)?;
            Ok(std::array::from_fn(|i| std::array::from_fn(|j| Pair { k: el.stiffness[i][j], m: el.mass[i][j] })))
        })?;
        let (mut k_entries, mut mass, mut k_fixed) = (Vec::new(), Vec::new(), vec![0.0; states]);
        for c in 0..n {
            let column = pattern.colptr()[c]..pattern.colptr()[c + 1];
            for (&r, &v) in pattern.rowval()[column.clone()].iter().zip(&values[column]) {
                let Some(i) = state_of[r] else { continue };
                match state_of[c] {
                    Some(j) => {
                        k_entries.push((i, j, v.k));
                        mass.push((i, j, v.m));
                    }
                    None => k_fixed[i] += v.k * fixed[c],
                }
            }
        }
        let (k, k_values) = CscPattern::from_triplets(states, states, &[k_entries])?;
        let mut flux = vec![0.0; states];
        for side in &flux_sides {
            for edge in mesh.side_edges(side)? {
                let load = quad8::edge_load(&edge.nodes.map(|k| mesh.nodes()[k]));
                for (&node, f) in edge.nodes.iter().zip(load) {
                    if let Some(i) = state_of[node] {
                        flux[i] += f;
                    }
                }
            }
        }
        let loads: Vec<[f64; 8]> = (0..mesh.elements().len())
            .into_par_iter()
            .map(|e| quad8::element(&mesh.element_nodes(e), 0.0, 0.0, 1.0).map(|el| el.load))
            .collect::<Result<_, _>>()?;
        let mut source = vec![0.0; states];
        for (el, load) in mesh.elements().iter().zip(&loads) {
            for (&node, f) in el.iter().zip(load) {
                if let Some(i) = state_of[node] {
                    source[i] += f;
                }
            }
        }
        Ok(HeatConduction { mesh, state_of, fixed, k, k_values, k_fixed, flux, source, mass })
    }
}

impl HeatConduction {
    /// The parameters' names, `[κ, q, s]`.
    pub const PARAM_NAMES: [&'static str; 3] = ["kappa", "q", "s"];

    /// A builder on `mesh`: `ρc = 1`, every side insulated until given a
    /// temperature or a flux.
    pub fn builder(mesh: Quad8Mesh) -> HeatConductionBuilder {
        HeatConductionBuilder { mesh, rho_c: 1.0, fixed: Vec::new(), flux: Vec::new() }
    }

    /// The mesh.
    pub fn mesh(&self) -> &Quad8Mesh {
        &self.mesh
    }

    /// Number of states (free nodes).
    pub fn n_states(&self) -> usize {
        self.k_fixed.len()
    }

    /// States interpolating `u0(x, y)` at the free nodes.
    pub fn interpolate(&self, u0: impl Fn([f64; 2]) -> f64) -> Vec<f64> {
        let mut y = vec![0.0; self.n_states()];
        for (node, s) in self.state_of.iter().enumerate() {
            if let Some(i) = *s {
                y[i] = u0(self.mesh.nodes()[node]);
            }
        }
        y
    }

    /// The temperature of every node (fixed ones included) for states `u`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `u` is not one value per state.
    pub fn nodal<D: DualScalar>(&self, u: &[D]) -> Result<Vec<D>, Error> {
        if u.len() != self.n_states() {
            return Err(Error::DimensionMismatch { what: "heat states", expected: self.n_states(), got: u.len() });
        }
        Ok(self.state_of.iter().zip(&self.fixed).map(|(s, &g)| s.map_or(D::from(g), |i| u[i])).collect())
    }

    /// A [`Probe`] reading the temperature at `point`.
    ///
    /// # Errors
    /// [`Error::InvalidMesh`] if the point is outside the mesh.
    pub fn probe(&self, point: [f64; 2]) -> Result<Probe, Error> {
        let Some((e, xi)) = self.mesh.locate(point) else {
            return Err(Error::InvalidMesh { what: format!("point {point:?}"), reason: "outside the mesh".into() });
        };
        let n = quad8::shape(xi[0], xi[1]);
        let mut probe = Probe { weights: Vec::with_capacity(8), offset: 0.0 };
        for (&node, w) in self.mesh.elements()[e].iter().zip(n) {
            match self.state_of[node] {
                Some(i) => probe.weights.push((i, w)),
                None => probe.offset += w * self.fixed[node],
            }
        }
        Ok(probe)
    }

    /// The temperature field for states `u` on a `rows × cols` grid of
    /// cell centres over the mesh's bounding box, row-major from the
    /// bottom (the layout of [`plot::heatmap`](crate::plot::heatmap));
    /// NaN outside the mesh. Also the box, `(x range, y range)`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `u` is not one value per state;
    /// [`Error::InvalidOption`] for an empty grid or one of more than 2²⁴
    /// cells.
    pub fn sample(&self, u: &[f64], (rows, cols): (usize, usize)) -> Result<SampledField, Error> {
        let nodal = self.nodal(u)?;
        if rows == 0 || rows.checked_mul(cols).is_none_or(|n| n == 0 || n > 1 << 24) {
            let reason = format!("a grid of {rows} × {cols} cells: at least one, at most 2²⁴");
            return Err(Error::InvalidOption { name: "sample grid", reason });
        }
        let bbox = self.mesh.bounding_box();
        let (dx, dy) = ((bbox[2] - bbox[0]) / cols as f64, (bbox[3] - bbox[1]) / rows as f64);
        let values = (0..rows * cols)
            .into_par_iter()
            .map(|k| {
                let point = [bbox[0] + (k % cols) as f64 * dx + 0.5 * dx, bbox[1] + (k / cols) as f64 * dy + 0.5 * dy];
                self.mesh.locate(point).map_or(f64::NAN, |(e, xi)| {
                    let n = quad8::shape(xi[0], xi[1]);
                    self.mesh.elements()[e].iter().zip(n).map(|(&node, w)| w * nodal[node]).sum()
                })
            })
            .collect();
        Ok(SampledField { values, x: bbox[0]..bbox[2], y: bbox[1]..bbox[3] })
    }
}

/// A field sampled on a grid ([`HeatConduction::sample`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SampledField {
    /// Row-major values, rows from the bottom.
    pub values: Vec<f64>,
    /// The `x` range covered.
    pub x: std::ops::Range<f64>,
    /// The `y` range covered.
    pub y: std::ops::Range<f64>,
}

impl OdeSystem for HeatConduction {
    type Dim = Dyn;

    fn dim(&self) -> Dyn {
        Dyn(self.n_states())
    }

    fn n_params(&self) -> usize {
        3
    }

    fn rhs<D: DualScalar>(&self, _t: D, u: &State<D, Dyn>, p: &[D], du: &mut State<D, Dyn>) {
        let (kappa, q, s) = (p[0], p[1], p[2]);
        let (u, du) = (u.as_slice(), du.as_mut_slice());
        let (colptr, rowval) = (self.k.colptr(), self.k.rowval());
        for (i, d) in du.iter_mut().enumerate() {
            // K̂ is symmetric: row i is column i.
            let mut ku = D::from(self.k_fixed[i]);
            for pos in colptr[i]..colptr[i + 1] {
                ku += u[rowval[pos]] * self.k_values[pos];
            }
            *d = q * self.flux[i] + s * self.source[i] - kappa * ku;
        }
    }

    fn mass(&self) -> Option<MassMatrix> {
        Some(MassMatrix::Sparse(self.mass.clone()))
    }

    fn param_names(&self) -> Vec<String> {
        Self::PARAM_NAMES.iter().map(|s| s.to_string()).collect()
    }
}

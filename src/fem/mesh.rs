//! Quad8 meshes: nodes, elements, named boundary sides; a structured
//! rectangle generator; point location; parallel assembly.

use super::quad8;
use crate::Error;
use crate::integrate::linalg::{Buckets, ColumnSplit, CscPattern};
use rayon::prelude::*;
use std::ops::AddAssign;

/// The most elements [`Quad8Mesh::rectangle`] makes (each takes about
/// 200 bytes in the mesh and 1.5 kB while assembled).
const MAX_RECTANGLE_ELEMENTS: usize = 1 << 26;

/// Elements per assembly batch (enough work per rayon task, and batches
/// enough to balance two to sixteen threads).
const BATCH_ELEMENTS: usize = 1024;

/// A boundary edge: its nodes `[corner, midside, corner]` and the side it
/// belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundaryEdge {
    /// Node indices, corner–midside–corner.
    pub nodes: [usize; 3],
    /// The boundary side's name (`"left"`, `"inlet"`, …).
    pub side: String,
}

/// A mesh of 8-node serendipity quadrilaterals in the plane.
///
/// # Example
/// ```
/// use odeon::fem::Quad8Mesh;
/// // 4 × 2 elements on [0, 2] × [0, 1].
/// let mesh = Quad8Mesh::rectangle((0.0, 2.0), (0.0, 1.0), 4, 2)?;
/// assert_eq!(mesh.elements().len(), 8);
/// assert_eq!(mesh.nodes().len(), 3 * 9 + 2 * 5); // three node rows of 9, two of 5
/// assert_eq!(mesh.side_nodes("left")?.len(), 5);
/// let (e, xi) = mesh.locate([1.25, 0.5]).unwrap();
/// assert!(e < 8 && xi[0].abs() <= 1.0 && xi[1].abs() <= 1.0);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Quad8Mesh {
    nodes: Vec<[f64; 2]>,
    elements: Vec<[usize; 8]>,
    edges: Vec<BoundaryEdge>,
    /// A uniform grid of bins over the bounding box, each listing the
    /// elements whose bounding box meets it (point location).
    bins: Bins,
}

impl Quad8Mesh {
    /// A mesh from node coordinates, elements (eight node indices each,
    /// counter-clockwise, corners first — see [`quad8`]) and boundary
    /// edges.
    ///
    /// # Errors
    /// [`Error::InvalidMesh`] for a node index outside `nodes`, a
    /// non-finite coordinate, an inverted or degenerate element, a node no
    /// element uses, or no elements.
    pub fn new(nodes: Vec<[f64; 2]>, elements: Vec<[usize; 8]>, edges: Vec<BoundaryEdge>) -> Result<Self, Error> {
        let bad = |what: String, reason: String| Error::InvalidMesh { what, reason };
        if elements.is_empty() {
            return Err(bad("elements".into(), "the mesh has no elements".into()));
        }
        if let Some(i) = nodes.iter().position(|p| !(p[0].is_finite() && p[1].is_finite())) {
            return Err(bad(format!("node {i}"), format!("coordinates {:?} are not finite", nodes[i])));
        }
        let n = nodes.len();
        let mut used = vec![false; n];
        for (e, el) in elements.iter().enumerate() {
            if let Some(&k) = el.iter().find(|&&k| k >= n) {
                return Err(bad(format!("element {e}"), format!("node {k} is outside the {n} nodes")));
            }
            el.iter().for_each(|&k| used[k] = true);
            quad8::points(&el.map(|k| nodes[k])).map_err(|err| match err {
                Error::InvalidMesh { reason, .. } => bad(format!("element {e}"), reason),
                other => other,
            })?;
        }
        if let Some(i) = used.iter().position(|&u| !u) {
            return Err(bad(format!("node {i}"), "no element uses it".into()));
        }
        if let Some((k, edge)) = edges.iter().enumerate().find(|(_, e)| e.nodes.iter().any(|&i| i >= n)) {
            return Err(bad(
                format!("boundary edge {k} ({:?})", edge.side),
                format!("a node is outside the {n} nodes"),
            ));
        }
        let bins = Bins::new(&nodes, &elements);
        Ok(Quad8Mesh { nodes, elements, edges, bins })
    }

    /// A structured mesh of `nx × ny` equal elements on `[x0, x1] × [y0,
    /// y1]`, with boundary sides `"left"`, `"right"`, `"bottom"` and
    /// `"top"`. Nodes are numbered row by row (a row of corners and
    /// midsides, then a row of vertical-edge midsides), which keeps the
    /// matrices' bandwidth at about `3 nx`.
    ///
    /// # Errors
    /// [`Error::InvalidMesh`] for `nx` or `ny` of zero, more than 2²⁶
    /// elements, or an empty or non-finite interval.
    pub fn rectangle((x0, x1): (f64, f64), (y0, y1): (f64, f64), nx: usize, ny: usize) -> Result<Self, Error> {
        if nx == 0 || ny == 0 || !(x1 > x0 && y1 > y0) || !(x1 - x0).is_finite() || !(y1 - y0).is_finite() {
            let reason =
                format!("needs nx, ny ≥ 1 and x0 < x1, y0 < y1; got {nx} × {ny} on [{x0}, {x1}] × [{y0}, {y1}]");
            return Err(Error::InvalidMesh { what: "rectangle".into(), reason });
        }
        if nx.checked_mul(ny).is_none_or(|n| n > MAX_RECTANGLE_ELEMENTS) {
            let reason = format!("{nx} × {ny} elements: at most {MAX_RECTANGLE_ELEMENTS}");
            return Err(Error::InvalidMesh { what: "rectangle".into(), reason });
        }
        let row = 3 * nx + 2;
        let (full, half) = (2 * nx + 1, nx + 1);
        let (hx, hy) = ((x1 - x0) / nx as f64, (y1 - y0) / ny as f64);
        let mut nodes = Vec::with_capacity(ny * row + full);
        for j in 0..=ny {
            let y = y0 + j as f64 * hy;
            nodes.extend((0..full).map(|i| [x0 + i as f64 * 0.5 * hx, y]));
            if j < ny {
                nodes.extend((0..half).map(|i| [x0 + i as f64 * hx, y + 0.5 * hy]));
            }
        }
        let corner = |i: usize, j: usize| j * row + 2 * i;
        let vertical_mid = |i: usize, j: usize| j * row + full + i;
        let elements = (0..ny)
            .flat_map(|j| (0..nx).map(move |i| (i, j)))
            .map(|(i, j)| {
                let (a, b, c, d) = (corner(i, j), corner(i + 1, j), corner(i + 1, j + 1), corner(i, j + 1));
                [a, b, c, d, a + 1, vertical_mid(i + 1, j), d + 1, vertical_mid(i, j)]
            })
            .collect();
        let mut edges = Vec::with_capacity(2 * (nx + ny));
        let mut side = |name: &str, nodes: [usize; 3]| edges.push(BoundaryEdge { nodes, side: name.to_string() });
        for i in 0..nx {
            side("bottom", [corner(i, 0), corner(i, 0) + 1, corner(i + 1, 0)]);
            side("top", [corner(i, ny), corner(i, ny) + 1, corner(i + 1, ny)]);
        }
        for j in 0..ny {
            side("left", [corner(0, j), vertical_mid(0, j), corner(0, j + 1)]);
            side("right", [corner(nx, j), vertical_mid(nx, j), corner(nx, j + 1)]);
        }
        Quad8Mesh::new(nodes, elements, edges)
    }

    /// Node coordinates.
    pub fn nodes(&self) -> &[[f64; 2]] {
        &self.nodes
    }

    /// Elements (eight node indices each).
    pub fn elements(&self) -> &[[usize; 8]] {
        &self.elements
    }

    /// The smallest box holding the nodes, `[x_min, y_min, x_max, y_max]`.
    pub fn bounding_box(&self) -> [f64; 4] {
        bounding_box(self.nodes.iter().copied())
    }

    /// Boundary edges.
    pub fn edges(&self) -> &[BoundaryEdge] {
        &self.edges
    }

    /// The coordinates of element `e`'s nodes.
    pub fn element_nodes(&self, e: usize) -> [[f64; 2]; 8] {
        self.elements[e].map(|k| self.nodes[k])
    }

    /// The boundary edges of `side`.
    ///
    /// # Errors
    /// [`Error::InvalidMesh`] if the mesh has no side of that name.
    pub fn side_edges(&self, side: &str) -> Result<Vec<&BoundaryEdge>, Error> {
        let edges: Vec<&BoundaryEdge> = self.edges.iter().filter(|e| e.side == side).collect();
        if edges.is_empty() {
            let mut known: Vec<&str> = self.edges.iter().map(|e| e.side.as_str()).collect();
            known.sort_unstable();
            known.dedup();
            let reason = format!("no such boundary side (the mesh has: {})", known.join(", "));
            return Err(Error::InvalidMesh { what: format!("side {side:?}"), reason });
        }
        Ok(edges)
    }

    /// The nodes on `side`, increasing.
    ///
    /// # Errors
    /// As [`side_edges`](Self::side_edges).
    pub fn side_nodes(&self, side: &str) -> Result<Vec<usize>, Error> {
        let mut nodes: Vec<usize> = self.side_edges(side)?.iter().flat_map(|e| e.nodes).collect();
        nodes.sort_unstable();
        nodes.dedup();
        Ok(nodes)
    }

    /// The element holding `point` and the point's reference coordinates
    /// `(ξ, η)` in it (Newton on the isoparametric map), or `None` outside
    /// the mesh.
    pub fn locate(&self, point: [f64; 2]) -> Option<(usize, [f64; 2])> {
        self.bins.candidates(point).iter().find_map(|&e| {
            let xi = inverse_map(&self.element_nodes(e), point)?;
            Some((e, xi))
        })
    }

    /// Assemble a global `n × n` matrix (`n` nodes) from element matrices
    /// `element(e)`, in parallel: elements in batches on rayon's threads,
    /// each batch into `(row, column, value)` triplets, merged into
    /// compressed columns by [`CscPattern::from_triplets`] (repeats summed
    /// in element order, so the result does not depend on the thread
    /// count).
    ///
    /// # Errors
    /// The first error `element` returns.
    ///
    /// # Example
    /// ```
    /// use odeon::fem::{quad8, Quad8Mesh};
    /// let mesh = Quad8Mesh::rectangle((0.0, 1.0), (0.0, 1.0), 3, 3)?;
    /// let (pattern, k) = mesh.assemble(|e| Ok(quad8::element(&mesh.element_nodes(e), 1.0, 1.0, 0.0)?.stiffness))?;
    /// assert_eq!(pattern.rows(), mesh.nodes().len());
    /// // Constants are in the kernel: every column sums to zero.
    /// let colptr = pattern.colptr();
    /// assert!((0..pattern.cols()).all(|c| k[colptr[c]..colptr[c + 1]].iter().sum::<f64>().abs() < 1e-12));
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn assemble<T, F>(&self, element: F) -> Result<(CscPattern, Vec<T>), Error>
    where
        T: Copy + Send + Sync + AddAssign,
        F: Fn(usize) -> Result<[[T; 8]; 8], Error> + Sync,
    {
        let n = self.nodes.len();
        // Triplets go straight into the column ranges they are merged in.
        let split = ColumnSplit::new(n, 64 * self.elements.len());
        let buckets: Vec<Buckets<T>> = (0..self.elements.len().div_ceil(BATCH_ELEMENTS))
            .into_par_iter()
            .map(|b| {
                let range = b * BATCH_ELEMENTS..((b + 1) * BATCH_ELEMENTS).min(self.elements.len());
                let mut buckets = split.buckets();
                for e in range {
                    let m = element(e)?;
                    let nodes = &self.elements[e];
                    for (j, &c) in nodes.iter().enumerate() {
                        let bucket: &mut Vec<_> = &mut buckets[split.part(c)];
                        bucket.extend(nodes.iter().enumerate().map(|(i, &r)| (r, c, m[i][j])));
                    }
                }
                Ok(buckets)
            })
            .collect::<Result<_, Error>>()?;
        Ok(CscPattern::from_buckets(n, &split, &buckets))
    }

    /// The `L²` norm over the mesh of `u_h − exact`, where `u_h` is the
    /// finite-element field with nodal values `nodal` (3 × 3 Gauss points
    /// per element).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `nodal` has not one value per node.
    pub fn l2_error(&self, nodal: &[f64], exact: impl Fn([f64; 2]) -> f64 + Sync) -> Result<f64, Error> {
        if nodal.len() != self.nodes.len() {
            return Err(Error::DimensionMismatch {
                what: "nodal values",
                expected: self.nodes.len(),
                got: nodal.len(),
            });
        }
        let squares: Vec<f64> = (0..self.elements.len())
            .into_par_iter()
            .map(|e| {
                let points =
                    quad8::points(&self.element_nodes(e)).expect("elements are checked when the mesh is built");
                points
                    .iter()
                    .map(|p| {
                        let uh: f64 = p.n.iter().zip(&self.elements[e]).map(|(n, &k)| n * nodal[k]).sum();
                        p.w * (uh - exact(p.xy)).powi(2)
                    })
                    .sum()
            })
            .collect();
        Ok(squares.iter().sum::<f64>().sqrt())
    }
}

/// `[x_min, y_min, x_max, y_max]` of `points`.
fn bounding_box(points: impl Iterator<Item = [f64; 2]>) -> [f64; 4] {
    points.fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, p| {
        [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]
    })
}

/// `(ξ, η)` with `x(ξ, η) = point` in the element with nodes `xy`, if it
/// lies in `[−1, 1]²` (Newton from the centre).
fn inverse_map(xy: &[[f64; 2]; 8], point: [f64; 2]) -> Option<[f64; 2]> {
    let (mut xi, mut eta) = (0.0, 0.0);
    let scale = xy.iter().map(|p| (p[0] - xy[0][0]).abs().max((p[1] - xy[0][1]).abs())).fold(0.0, f64::max);
    for _ in 0..30 {
        let (n, dn) = (quad8::shape(xi, eta), quad8::shape_derivatives(xi, eta));
        let mut r = [-point[0], -point[1]];
        let mut j = [[0.0; 2]; 2];
        for k in 0..8 {
            r[0] += n[k] * xy[k][0];
            r[1] += n[k] * xy[k][1];
            for a in 0..2 {
                j[0][a] += dn[k][a] * xy[k][0];
                j[1][a] += dn[k][a] * xy[k][1];
            }
        }
        let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let (dxi, deta) = ((j[1][1] * r[0] - j[0][1] * r[1]) / det, (-j[1][0] * r[0] + j[0][0] * r[1]) / det);
        xi -= dxi;
        eta -= deta;
        if xi.abs() > 3.0 || eta.abs() > 3.0 {
            return None;
        }
        if r[0].hypot(r[1]) <= 1e-13 * scale {
            break;
        }
    }
    let inside = |v: f64| v.abs() <= 1.0 + 1e-10;
    (inside(xi) && inside(eta)).then_some([xi.clamp(-1.0, 1.0), eta.clamp(-1.0, 1.0)])
}

/// A uniform grid of bins over the mesh's bounding box, each listing the
/// elements whose bounding box meets it.
#[derive(Clone, Debug)]
struct Bins {
    origin: [f64; 2],
    size: [f64; 2],
    count: usize,
    elements: Vec<Vec<usize>>,
}

impl Bins {
    fn new(nodes: &[[f64; 2]], elements: &[[usize; 8]]) -> Self {
        let all = bounding_box(nodes.iter().copied());
        let count = ((elements.len() as f64).sqrt().ceil() as usize).max(1);
        let size = [
            ((all[2] - all[0]) / count as f64).max(f64::MIN_POSITIVE),
            ((all[3] - all[1]) / count as f64).max(f64::MIN_POSITIVE),
        ];
        let mut bins = Bins { origin: [all[0], all[1]], size, count, elements: vec![Vec::new(); count * count] };
        for (e, el) in elements.iter().enumerate() {
            let b = bounding_box(el.iter().map(|&k| nodes[k]));
            let (i0, j0) = bins.cell([b[0], b[1]]);
            let (i1, j1) = bins.cell([b[2], b[3]]);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    bins.elements[j * count + i].push(e);
                }
            }
        }
        bins
    }

    /// The bin of a point (clamped into the grid).
    fn cell(&self, p: [f64; 2]) -> (usize, usize) {
        let index =
            |a: usize| ((p[a] - self.origin[a]) / self.size[a]).floor().clamp(0.0, (self.count - 1) as f64) as usize;
        (index(0), index(1))
    }

    fn candidates(&self, p: [f64; 2]) -> &[usize] {
        if !(p[0].is_finite() && p[1].is_finite()) {
            return &[];
        }
        let (i, j) = self.cell(p);
        &self.elements[j * self.count + i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangle_mesh_is_consistent() {
        let mesh = Quad8Mesh::rectangle((1.0, 4.0), (-1.0, 1.0), 3, 2).unwrap();
        let total_area: f64 =
            (0..6).map(|e| quad8::points(&mesh.element_nodes(e)).unwrap().iter().map(|p| p.w).sum::<f64>()).sum();
        assert!((total_area - 6.0).abs() < 1e-13);
        // Midside nodes sit halfway between their corners.
        for el in mesh.elements() {
            for (m, (a, b)) in [(4, (0, 1)), (5, (1, 2)), (6, (2, 3)), (7, (3, 0))] {
                let (pa, pb, pm) = (mesh.nodes[el[a]], mesh.nodes[el[b]], mesh.nodes[el[m]]);
                assert_eq!([(pa[0] + pb[0]) / 2.0, (pa[1] + pb[1]) / 2.0], pm);
            }
        }
        assert!(mesh.side_nodes("right").unwrap().iter().all(|&k| mesh.nodes[k][0] == 4.0));
        assert!(mesh.side_nodes("top").unwrap().iter().all(|&k| mesh.nodes[k][1] == 1.0));
        assert!(matches!(mesh.side_nodes("inlet"), Err(Error::InvalidMesh { .. })));
        for p in [[1.0, -1.0], [4.0, 1.0], [2.7, 0.1], [1.5, 0.99]] {
            let (e, xi) = mesh.locate(p).unwrap();
            let n = quad8::shape(xi[0], xi[1]);
            let x: f64 = n.iter().zip(mesh.element_nodes(e)).map(|(n, q)| n * q[0]).sum();
            assert!((x - p[0]).abs() < 1e-12);
        }
        assert_eq!(mesh.locate([0.9, 0.0]), None);
        assert_eq!(mesh.locate([f64::NAN, 0.0]), None);
    }

    #[test]
    fn bad_meshes_are_errors() {
        assert!(Quad8Mesh::rectangle((0.0, 1.0), (0.0, 1.0), 0, 2).is_err());
        assert!(Quad8Mesh::rectangle((1.0, 1.0), (0.0, 1.0), 2, 2).is_err());
        assert!(Quad8Mesh::rectangle((0.0, 1.0), (0.0, 1.0), usize::MAX, 3).is_err());
        assert!(Quad8Mesh::rectangle((0.0, 1.0), (0.0, 1.0), 1 << 14, 1 << 13).is_err());
        let good = Quad8Mesh::rectangle((0.0, 1.0), (0.0, 1.0), 1, 1).unwrap();
        let (nodes, elements) = (good.nodes().to_vec(), good.elements().to_vec());
        let mut outside = elements.clone();
        outside[0][3] = 99;
        assert!(Quad8Mesh::new(nodes.clone(), outside, vec![]).is_err());
        let mut flipped = elements.clone();
        flipped[0] = [
            elements[0][0],
            elements[0][3],
            elements[0][2],
            elements[0][1],
            elements[0][7],
            elements[0][6],
            elements[0][5],
            elements[0][4],
        ];
        assert!(matches!(Quad8Mesh::new(nodes.clone(), flipped, vec![]), Err(Error::InvalidMesh { .. })));
        let mut extra = nodes.clone();
        extra.push([5.0, 5.0]);
        assert!(Quad8Mesh::new(extra, elements.clone(), vec![]).is_err());
        let edge = BoundaryEdge { nodes: [0, 1, 100], side: "s".into() };
        assert!(Quad8Mesh::new(nodes.clone(), elements.clone(), vec![edge]).is_err());
        assert!(Quad8Mesh::new(nodes, vec![], vec![]).is_err());
    }
}

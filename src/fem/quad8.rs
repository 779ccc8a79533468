//! The 8-node serendipity quadrilateral (quad8): shape functions, 3 × 3
//! Gauss quadrature, and the element matrices of heat conduction — in code
//! generic over the scalar, so a material property can be a dual number.
//!
//! Nodes are numbered counter-clockwise: corners 0–3 at `(ξ, η) = (−1, −1),
//! (1, −1), (1, 1), (−1, 1)`, then the midsides 4–7 of the edges 0–1, 1–2,
//! 2–3 and 3–0. The element is isoparametric (its edges may be curved).

use crate::{DualScalar, Error};

/// Reference coordinates `(ξ, η)` of the eight nodes.
pub const NODES: [(f64, f64); 8] =
    [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)];

/// The 3-point Gauss–Legendre rule on `[−1, 1]`: `(point, weight)`,
/// exact for polynomials of degree 5.
pub const GAUSS3: [(f64, f64); 3] =
    [(-0.774_596_669_241_483_4, 5.0 / 9.0), (0.0, 8.0 / 9.0), (0.774_596_669_241_483_4, 5.0 / 9.0)];

/// The eight shape functions at `(ξ, η)`.
///
/// # Example
/// ```
/// use odeon::fem::quad8;
/// // Interpolating: 1 at its own node, 0 at the others; they sum to 1.
/// let n = quad8::shape(1.0, 0.0);
/// assert_eq!(n[5], 1.0);
/// assert!((quad8::shape(0.3, -0.6).iter().sum::<f64>() - 1.0).abs() < 1e-15);
/// ```
pub fn shape(xi: f64, eta: f64) -> [f64; 8] {
    std::array::from_fn(|i| {
        let (a, b) = NODES[i];
        if i < 4 {
            0.25 * (1.0 + xi * a) * (1.0 + eta * b) * (xi * a + eta * b - 1.0)
        } else if a == 0.0 {
            0.5 * (1.0 - xi * xi) * (1.0 + eta * b)
        } else {
            0.5 * (1.0 + xi * a) * (1.0 - eta * eta)
        }
    })
}

/// The shape functions' derivatives `[∂N/∂ξ, ∂N/∂η]` at `(ξ, η)`.
pub fn shape_derivatives(xi: f64, eta: f64) -> [[f64; 2]; 8] {
    std::array::from_fn(|i| {
        let (a, b) = NODES[i];
        if i < 4 {
            [
                0.25 * a * (1.0 + eta * b) * (2.0 * xi * a + eta * b),
                0.25 * b * (1.0 + xi * a) * (xi * a + 2.0 * eta * b),
            ]
        } else if a == 0.0 {
            [-xi * (1.0 + eta * b), 0.5 * b * (1.0 - xi * xi)]
        } else {
            [0.5 * a * (1.0 - eta * eta), -eta * (1.0 + xi * a)]
        }
    })
}

/// One quadrature point of an element: shape functions, their gradients in
/// `(x, y)`, and the weight times `det J`.
#[derive(Clone, Copy, Debug)]
pub struct Point {
    /// The shape functions.
    pub n: [f64; 8],
    /// `[∂N/∂x, ∂N/∂y]` of each.
    pub grad: [[f64; 2]; 8],
    /// Quadrature weight × `det J` (the area this point stands for).
    pub w: f64,
    /// The point in `(x, y)`.
    pub xy: [f64; 2],
}

/// The 3 × 3 Gauss points of the element with node coordinates `xy`.
///
/// # Errors
/// [`Error::InvalidMesh`] if `det J ≤ 0` (or is not finite) at a point:
/// the element is inverted (its nodes run clockwise) or degenerate.
pub fn points(xy: &[[f64; 2]; 8]) -> Result<[Point; 9], Error> {
    let mut out = [Point { n: [0.0; 8], grad: [[0.0; 2]; 8], w: 0.0, xy: [0.0; 2] }; 9];
    for (k, p) in out.iter_mut().enumerate() {
        let ((xi, wx), (eta, wy)) = (GAUSS3[k % 3], GAUSS3[k / 3]);
        let dn = shape_derivatives(xi, eta);
        let n = shape(xi, eta);
        // J = [[∂x/∂ξ, ∂y/∂ξ], [∂x/∂η, ∂y/∂η]].
        let mut j = [[0.0; 2]; 2];
        for (d, x) in dn.iter().zip(xy) {
            for a in 0..2 {
                j[a][0] += d[a] * x[0];
                j[a][1] += d[a] * x[1];
            }
        }
        let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
        if !(det > 0.0 && det.is_finite()) {
            let reason = format!("det J = {det:e} at Gauss point (ξ, η) = ({xi:.3}, {eta:.3}): inverted or degenerate");
            return Err(Error::InvalidMesh { what: "element".into(), reason });
        }
        p.n = n;
        p.w = wx * wy * det;
        p.xy = n.iter().zip(xy).fold([0.0; 2], |s, (ni, x)| [s[0] + ni * x[0], s[1] + ni * x[1]]);
        for (g, d) in p.grad.iter_mut().zip(&dn) {
            // [∂N/∂x, ∂N/∂y] = J⁻¹ [∂N/∂ξ, ∂N/∂η].
            *g = [(j[1][1] * d[0] - j[0][1] * d[1]) / det, (-j[1][0] * d[0] + j[0][0] * d[1]) / det];
        }
    }
    Ok(out)
}

/// Element matrices of heat conduction `ρc u' = ∇·(κ ∇u) + s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Element<D> {
    /// Conductivity matrix `∫ κ ∇N_i · ∇N_j`.
    pub stiffness: [[D; 8]; 8],
    /// Consistent capacity ("mass") matrix `∫ ρc N_i N_j`.
    pub mass: [[D; 8]; 8],
    /// Source load `∫ s N_i`.
    pub load: [D; 8],
}

/// The element matrices of the element with nodes at `xy` (see
/// [`points`]), with conductivity `kappa`, heat capacity per volume
/// `rho_c` and volumetric source `source` of any scalar: with dual numbers
/// the matrices carry their derivatives.
///
/// # Errors
/// [`Error::InvalidMesh`] for an inverted or degenerate element.
///
/// # Example
/// ```
/// use num_dual::Dual64;
/// use odeon::fem::quad8;
/// // A 2 × 1 rectangle: the capacity matrix sums to ρc · area, and
/// // ∂K/∂κ is K at κ = 1.
/// let xy = [[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0], [1.0, 0.0], [2.0, 0.5], [1.0, 1.0], [0.0, 0.5]];
/// let e = quad8::element(&xy, Dual64::from(3.0).derivative(), Dual64::from(1.5), Dual64::from(0.0))?;
/// let total: f64 = e.mass.iter().flatten().map(|m| m.re).sum();
/// assert!((total - 3.0).abs() < 1e-14);
/// let unit = quad8::element(&xy, 1.0, 1.0, 0.0)?;
/// assert!((e.stiffness[0][6].eps - unit.stiffness[0][6]).abs() < 1e-15);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn element<D: DualScalar>(xy: &[[f64; 2]; 8], kappa: D, rho_c: D, source: D) -> Result<Element<D>, Error> {
    let zero = D::from(0.0);
    let mut e = Element { stiffness: [[zero; 8]; 8], mass: [[zero; 8]; 8], load: [zero; 8] };
    for p in points(xy)? {
        let (k, c, s) = (kappa * p.w, rho_c * p.w, source * p.w);
        for i in 0..8 {
            e.load[i] += s * p.n[i];
            for j in 0..8 {
                e.stiffness[i][j] += k * (p.grad[i][0] * p.grad[j][0] + p.grad[i][1] * p.grad[j][1]);
                e.mass[i][j] += c * (p.n[i] * p.n[j]);
            }
        }
    }
    Ok(e)
}

/// `∫ N_i ds` of a quadratic boundary edge with nodes `[corner, midside,
/// corner]` at `xy`: the nodal loads of a unit heat flux through it.
pub fn edge_load(xy: &[[f64; 2]; 3]) -> [f64; 3] {
    let mut f = [0.0; 3];
    for (s, w) in GAUSS3 {
        let n = [0.5 * s * (s - 1.0), 1.0 - s * s, 0.5 * s * (s + 1.0)];
        let dn = [s - 0.5, -2.0 * s, s + 0.5];
        let dx = dn.iter().zip(xy).fold([0.0; 2], |a, (d, x)| [a[0] + d * x[0], a[1] + d * x[1]]);
        let ds = dx[0].hypot(dx[1]);
        for i in 0..3 {
            f[i] += w * ds * n[i];
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A distorted (but valid) element with a curved edge.
    fn distorted() -> [[f64; 2]; 8] {
        [[0.0, 0.0], [2.0, 0.3], [2.2, 1.8], [-0.1, 1.2], [1.0, 0.1], [2.15, 1.0], [1.0, 1.6], [0.0, 0.6]]
    }

    #[test]
    fn shape_functions_interpolate_and_derivatives_match_differences() {
        for (i, &(a, b)) in NODES.iter().enumerate() {
            let n = shape(a, b);
            for (j, &v) in n.iter().enumerate() {
                assert_eq!(v, if i == j { 1.0 } else { 0.0 });
            }
        }
        let (xi, eta, h) = (0.31, -0.47, 1e-6);
        let d = shape_derivatives(xi, eta);
        let (px, mx, py, my) = (shape(xi + h, eta), shape(xi - h, eta), shape(xi, eta + h), shape(xi, eta - h));
        for i in 0..8 {
            assert!((d[i][0] - (px[i] - mx[i]) / (2.0 * h)).abs() < 1e-9);
            assert!((d[i][1] - (py[i] - my[i]) / (2.0 * h)).abs() < 1e-9);
        }
    }

    /// Quad8 contains the complete quadratics: the stiffness matrix
    /// reproduces `∫ ∇u·∇v` exactly for `u = v = x² + xy` on a rectangle
    /// (and annihilates constants on any element).
    #[test]
    fn stiffness_is_exact_for_quadratics_and_singular_on_constants() {
        let rect = [[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0], [1.0, 0.0], [2.0, 0.5], [1.0, 1.0], [0.0, 0.5]];
        let e = element(&rect, 1.0, 1.0, 1.0).unwrap();
        let u: Vec<f64> = rect.iter().map(|p| p[0] * p[0] + p[0] * p[1]).collect();
        let energy: f64 = (0..8).map(|i| (0..8).map(|j| u[i] * e.stiffness[i][j] * u[j]).sum::<f64>()).sum();
        // ∫₀² ∫₀¹ (2x + y)² + x² dy dx = 32/3 + 4 + 2/3 + 8/3 = 18.
        assert!((energy - 18.0).abs() < 1e-12, "{energy}");
        assert!((e.load.iter().sum::<f64>() - 2.0).abs() < 1e-14);
        let e = element(&distorted(), 1.7, 1.0, 0.0).unwrap();
        for row in e.stiffness {
            assert!(row.iter().sum::<f64>().abs() < 1e-12);
        }
        // Symmetric, and the capacity matrix is positive definite (a
        // Cholesky sweep succeeds).
        let mut m = e.mass;
        for i in 0..8 {
            for j in 0..8 {
                assert!((e.stiffness[i][j] - e.stiffness[j][i]).abs() < 1e-14);
            }
            for k in 0..i {
                let (f, pivot) = (m[i][k] / m[k][k], m[k]);
                m[i].iter_mut().zip(pivot).for_each(|(a, b)| *a -= f * b);
            }
            assert!(m[i][i] > 0.0);
        }
    }

    #[test]
    fn inverted_and_degenerate_elements_are_errors() {
        let mut flipped = distorted();
        flipped.swap(1, 3);
        flipped.swap(4, 7);
        flipped.swap(5, 6);
        assert!(matches!(points(&flipped), Err(Error::InvalidMesh { .. })));
        assert!(points(&[[0.0; 2]; 8]).is_err());
        let mut nan = distorted();
        nan[2][0] = f64::NAN;
        assert!(points(&nan).is_err());
    }

    #[test]
    fn edge_loads_of_a_straight_and_a_curved_edge() {
        let f = edge_load(&[[0.0, 0.0], [0.0, 1.5], [0.0, 3.0]]);
        for (a, b) in f.iter().zip([0.5, 2.0, 0.5]) {
            assert!((a - b).abs() < 1e-14);
        }
        // A curved edge (a parabola through three points of the unit
        // circle): the loads sum to its length, here by a fine midpoint sum.
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let total: f64 = edge_load(&[[1.0, 0.0], [s, s], [0.0, 1.0]]).iter().sum();
        let point = |t: f64| {
            let n = [0.5 * t * (t - 1.0), 1.0 - t * t, 0.5 * t * (t + 1.0)];
            [n[0] + n[1] * s, n[1] * s + n[2]]
        };
        let k = 100_000;
        let length: f64 = (0..k)
            .map(|i| {
                let (a, b) = (point(-1.0 + 2.0 * i as f64 / k as f64), point(-1.0 + 2.0 * (i + 1) as f64 / k as f64));
                (b[0] - a[0]).hypot(b[1] - a[1])
            })
            .sum();
        assert!((total - length).abs() < 1e-3 * length, "{total} vs {length}");
    }
}

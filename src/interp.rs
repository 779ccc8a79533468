//! Smooth interpolation of tabulated data, evaluated in any scalar: a
//! table read with dual numbers gives exact derivatives of the
//! interpolant, so tabulated aerodynamics, engines and atmospheres can sit
//! inside a model that is differentiated, fitted or optimized.
//!
//! * [`Spline`]: one variable; a natural cubic spline (C², the second
//!   derivative zero at both ends, as OpenMDAO's `cubic`) or Akima's
//!   (C¹; a kink in the data stays local instead of setting off wiggles
//!   along the table, as OpenMDAO's `akima` and dymos's 1976 atmosphere).
//! * [`Spline2`]: two variables on a rectangular grid; the tensor product
//!   of natural cubic splines (OpenMDAO's `cubic` in two dimensions).
//!
//! Outside the table both extrapolate with their end pieces.
//!
//! # Reference
//! H. Akima, "A new method of interpolation and smooth curve fitting based
//! on local procedures", J. ACM 17 (1970) 589–602 (the slopes, and the
//! end slopes extrapolated from the last two intervals' slopes).

use crate::{DualScalar, Error};

/// A cubic per interval, in powers of x − xₖ.
type Cubic = [f64; 4];

fn horner<D: DualScalar>(c: &Cubic, t: D) -> D {
    ((t * c[3] + c[2]) * t + c[1]) * t + c[0]
}

fn bad(row: Option<usize>, reason: String) -> Error {
    Error::InvalidData { experiment: "interpolation table".into(), row, reason }
}

/// Check knots: at least two, finite, strictly increasing.
fn check_knots(x: &[f64]) -> Result<(), Error> {
    if x.len() < 2 {
        return Err(bad(None, format!("{} knots (at least two)", x.len())));
    }
    for (i, xi) in x.iter().enumerate() {
        if !xi.is_finite() || (i > 0 && *xi <= x[i - 1]) {
            return Err(bad(Some(i), format!("knot {xi}: knots must be finite and strictly increasing")));
        }
    }
    Ok(())
}

/// Check values: one per knot, finite.
fn check_values(n: usize, y: &[f64]) -> Result<(), Error> {
    if y.len() != n {
        return Err(bad(None, format!("{} values for {n} knots", y.len())));
    }
    match y.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(bad(Some(i), format!("value {} is not finite", y[i]))),
        None => Ok(()),
    }
}

/// The interval of `x` among `knots` (the end ones beyond the table).
fn interval(knots: &[f64], x: f64) -> usize {
    knots[1..knots.len() - 1].partition_point(|&k| k <= x)
}

/// Natural cubic spline through (x, y): second derivatives by the
/// tridiagonal system (Thomas algorithm; diagonally dominant), then the
/// cubic of each interval.
fn natural(x: &[f64], y: &[f64]) -> Vec<Cubic> {
    let n = x.len();
    let h: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let slope: Vec<f64> = (0..n - 1).map(|i| (y[i + 1] - y[i]) / h[i]).collect();
    let mut m = vec![0.0; n];
    if n > 2 {
        // Rows i = 1..n-2: h₍ᵢ₋₁₎Mᵢ₋₁ + 2(h₍ᵢ₋₁₎ + hᵢ)Mᵢ + hᵢMᵢ₊₁ = 6(sᵢ − sᵢ₋₁).
        let (mut diag, mut rhs) = (vec![0.0; n], vec![0.0; n]);
        for i in 1..n - 1 {
            diag[i] = 2.0 * (h[i - 1] + h[i]);
            rhs[i] = 6.0 * (slope[i] - slope[i - 1]);
            if i > 1 {
                let w = h[i - 1] / diag[i - 1];
                diag[i] -= w * h[i - 1];
                rhs[i] -= w * rhs[i - 1];
            }
        }
        for i in (1..n - 1).rev() {
            m[i] = (rhs[i] - if i < n - 2 { h[i] * m[i + 1] } else { 0.0 }) / diag[i];
        }
    }
    (0..n - 1)
        .map(|i| {
            let b = slope[i] - h[i] * (2.0 * m[i] + m[i + 1]) / 6.0;
            [y[i], b, 0.5 * m[i], (m[i + 1] - m[i]) / (6.0 * h[i])]
        })
        .collect()
}

/// Akima's spline through (x, y): each knot's slope from the two
/// intervals' slopes on either side, weighted by how much the slopes
/// change on the other side; Hermite cubics between.
fn akima(x: &[f64], y: &[f64]) -> Vec<Cubic> {
    let n = x.len();
    let h: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    // Interval slopes with two extrapolated on each side: s[k + 2] is
    // interval k's.
    let mut s = vec![0.0; n + 3];
    for i in 0..n - 1 {
        s[i + 2] = (y[i + 1] - y[i]) / h[i];
    }
    s[1] = 2.0 * s[2] - s[3.min(n)];
    s[0] = 2.0 * s[1] - s[2];
    s[n + 1] = 2.0 * s[n] - s[n - 1];
    s[n + 2] = 2.0 * s[n + 1] - s[n];
    if n == 2 {
        (s[1], s[0], s[3], s[4]) = (s[2], s[2], s[2], s[2]);
    }
    let t: Vec<f64> = (0..n)
        .map(|i| {
            let (a, b, c, d) = (s[i], s[i + 1], s[i + 2], s[i + 3]);
            let (w1, w2) = ((d - c).abs(), (b - a).abs());
            if w1 + w2 > 1e-30 { (w1 * b + w2 * c) / (w1 + w2) } else { 0.5 * (b + c) }
        })
        .collect();
    (0..n - 1)
        .map(|i| {
            let m = s[i + 2];
            [y[i], t[i], (3.0 * m - 2.0 * t[i] - t[i + 1]) / h[i], (t[i] + t[i + 1] - 2.0 * m) / (h[i] * h[i])]
        })
        .collect()
}

/// A smooth interpolant of one variable, evaluated in any scalar.
///
/// # Example
/// ```
/// use num_dual::Dual64;
/// use odeon::interp::Spline;
/// // A natural cubic spline reproduces a straight line, slope included.
/// let s = Spline::natural(vec![0.0, 1.0, 2.5, 4.0], &[1.0, 3.0, 6.0, 9.0])?;
/// let y = s.eval(Dual64::from(2.0).derivative());
/// assert!((y.re - 5.0).abs() < 1e-12 && (y.eps - 2.0).abs() < 1e-12);
/// assert!(Spline::akima(vec![0.0, 0.0], &[1.0, 2.0]).is_err());
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spline {
    knots: Vec<f64>,
    pieces: Vec<Cubic>,
}

impl Spline {
    /// The natural cubic spline through (`x`ᵢ, `y`ᵢ) (C²; zero second
    /// derivative at both ends).
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the row for fewer than two knots, a
    /// knot that is not finite or not above the previous one, a value
    /// that is not finite, or lengths that differ.
    pub fn natural(x: Vec<f64>, y: &[f64]) -> Result<Self, Error> {
        check_knots(&x)?;
        check_values(x.len(), y)?;
        let pieces = natural(&x, y);
        Ok(Spline { knots: x, pieces })
    }

    /// Akima's spline through (`x`ᵢ, `y`ᵢ) (C¹; a kink in the data
    /// changes the interpolant only in the two intervals next to it).
    ///
    /// # Errors
    /// As [`natural`](Self::natural).
    pub fn akima(x: Vec<f64>, y: &[f64]) -> Result<Self, Error> {
        check_knots(&x)?;
        check_values(x.len(), y)?;
        let pieces = akima(&x, y);
        Ok(Spline { knots: x, pieces })
    }

    /// The knots.
    pub fn knots(&self) -> &[f64] {
        &self.knots
    }

    /// The interpolant at `x` (its derivative parts carried exactly).
    pub fn eval<D: DualScalar>(&self, x: D) -> D {
        let k = interval(&self.knots, x.re());
        horner(&self.pieces[k], x - self.knots[k])
    }
}

/// A smooth interpolant of two variables on a rectangular grid: natural
/// cubic splines in both directions (their tensor product), evaluated in
/// any scalar.
///
/// # Example
/// ```
/// use num_dual::Dual64;
/// use odeon::interp::Spline2;
/// // z = 2x + 3y + xy is reproduced exactly (bilinear, within each spline's reach).
/// let (x, y) = (vec![0.0, 1.0, 2.0, 4.0], vec![-1.0, 0.5, 2.0]);
/// let z: Vec<Vec<f64>> = y.iter().map(|&yj| x.iter().map(|&xi| 2.0 * xi + 3.0 * yj + xi * yj).collect()).collect();
/// let s = Spline2::natural(x, y, &z)?;
/// let v = s.eval(Dual64::from(1.5).derivative(), Dual64::from(0.25));
/// assert!((v.re - (3.0 + 0.75 + 0.375)).abs() < 1e-12);
/// assert!((v.eps - 2.25).abs() < 1e-12); // ∂z/∂x = 2 + y
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spline2 {
    x: Vec<f64>,
    y: Vec<f64>,
    /// Along x, each y knot's cubics (row j: `pieces[j][k]` on x interval k).
    pieces: Vec<Vec<Cubic>>,
    /// For each y interval, each y knot's cardinal cubic: the natural
    /// spline is linear in its values, so a value's weight at y is known
    /// before the values are (they depend on x at evaluation).
    cardinal: Vec<Vec<Cubic>>,
}

impl Spline2 {
    /// The natural bicubic spline through `z[j][i]` at (`x`ᵢ, `y`ⱼ).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for knots as in [`Spline::natural`] (in
    /// either direction), `z` without one row per y knot and one value
    /// per x knot, or a value that is not finite.
    pub fn natural(x: Vec<f64>, y: Vec<f64>, z: &[Vec<f64>]) -> Result<Self, Error> {
        check_knots(&x)?;
        check_knots(&y)?;
        if z.len() != y.len() {
            return Err(bad(None, format!("{} rows of values for {} y knots", z.len(), y.len())));
        }
        for row in z {
            check_values(x.len(), row)?;
        }
        let pieces = z.iter().map(|row| natural(&x, row)).collect();
        let ny = y.len();
        let basis: Vec<Vec<Cubic>> = (0..ny)
            .map(|j| {
                let mut e = vec![0.0; ny];
                e[j] = 1.0;
                natural(&y, &e)
            })
            .collect();
        let cardinal = (0..ny - 1).map(|k| basis.iter().map(|b| b[k]).collect()).collect();
        Ok(Spline2 { x, y, pieces, cardinal })
    }

    /// The interpolant at (`x`, `y`).
    pub fn eval<D: DualScalar>(&self, x: D, y: D) -> D {
        let (kx, ky) = (interval(&self.x, x.re()), interval(&self.y, y.re()));
        let (tx, ty) = (x - self.x[kx], y - self.y[ky]);
        let mut sum = D::from(0.0);
        for (row, c) in self.pieces.iter().zip(&self.cardinal[ky]) {
            sum += horner(&row[kx], tx) * horner(c, ty);
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::{Spline, Spline2};
    use num_dual::{Dual64, HyperDual64};

    fn grid() -> Vec<f64> {
        vec![0.0, 0.3, 1.0, 1.7, 2.0, 3.2]
    }

    #[test]
    fn natural_spline_interpolates_is_c2_and_has_free_ends() {
        let x = grid();
        let y: Vec<f64> = x.iter().map(|v| v.sin()).collect();
        let s = Spline::natural(x.clone(), &y).unwrap();
        for (xi, yi) in x.iter().zip(&y) {
            assert!((s.eval(*xi) - yi).abs() < 1e-14);
        }
        // Value, slope and curvature continuous at the interior knots;
        // curvature zero at the ends.
        let second = |v: f64| s.eval(HyperDual64::new(v, 1.0, 1.0, 0.0)).eps1eps2;
        for &k in &x[1..x.len() - 1] {
            let (l, r) = (s.eval(Dual64::new(k - 1e-12, 1.0)), s.eval(Dual64::new(k + 1e-12, 1.0)));
            assert!((l.re - r.re).abs() < 1e-10 && (l.eps - r.eps).abs() < 1e-9);
            assert!((second(k - 1e-12) - second(k + 1e-12)).abs() < 1e-8);
        }
        assert!(second(0.0).abs() < 1e-12 && second(3.2).abs() < 1e-12);
        // By hand: through (0, 0), (1, 1), (2, 0) the natural spline is
        // 1.5x − 0.5x³ on [0, 1] (M₁ = −3), and its mirror image.
        let hat = Spline::natural(vec![0.0, 1.0, 2.0], &[0.0, 1.0, 0.0]).unwrap();
        for v in [0.25, 0.5, 0.9] {
            let expect = 1.5 * v - 0.5 * v * v * v;
            assert!((hat.eval(v) - expect).abs() < 1e-15 && (hat.eval(2.0 - v) - expect).abs() < 1e-15);
        }
    }

    #[test]
    fn akima_keeps_a_kink_local() {
        // A temperature-like profile: falls linearly, then constant.
        let x: Vec<f64> = (0..12).map(|i| i as f64).collect();
        let exact = |v: f64| if v < 6.0 { 10.0 - v } else { 4.0 };
        let y: Vec<f64> = x.iter().map(|&v| exact(v)).collect();
        let a = Spline::akima(x.clone(), &y).unwrap();
        let n = Spline::natural(x, &y).unwrap();
        // Akima's slopes see two intervals on each side: outside the two
        // intervals next to the kink it is the data's straight lines.
        let away: Vec<f64> = (0..=1100).map(|i| i as f64 * 0.01).filter(|v| !(5.0..=7.0).contains(v)).collect();
        assert!(away.iter().all(|&v| (a.eval(v) - exact(v)).abs() < 1e-12));
        // The natural spline's wiggles run along the whole table.
        assert!(away.iter().any(|&v| v < 3.0 && (n.eval(v) - exact(v)).abs() > 1e-3));
        assert!(away.iter().any(|&v| v > 9.0 && (n.eval(v) - exact(v)).abs() > 1e-4));
    }

    #[test]
    fn dual_derivatives_match_finite_differences() {
        let x = grid();
        let y: Vec<f64> = x.iter().map(|v| (0.7 * v).exp()).collect();
        for s in [Spline::natural(x.clone(), &y).unwrap(), Spline::akima(x.clone(), &y).unwrap()] {
            for v in [-0.4, 0.1, 0.95, 1.99, 2.9, 3.6] {
                let d = s.eval(Dual64::new(v, 1.0)).eps;
                let fd = (s.eval(v + 1e-6) - s.eval(v - 1e-6)) / 2e-6;
                assert!((d - fd).abs() < 1e-6 * (1.0 + d.abs()), "{v}: {d} against {fd}");
            }
        }
    }

    #[test]
    fn bicubic_is_the_spline_of_splines() {
        let (x, y) = (grid(), vec![-2.0, -1.0, 0.5, 1.0, 3.0]);
        let f = |a: f64, b: f64| (a * b).cos() + a * a - b;
        let z: Vec<Vec<f64>> = y.iter().map(|&b| x.iter().map(|&a| f(a, b)).collect()).collect();
        let s = Spline2::natural(x.clone(), y.clone(), &z).unwrap();
        for (j, &b) in y.iter().enumerate() {
            for (i, &a) in x.iter().enumerate() {
                assert!((s.eval(a, b) - z[j][i]).abs() < 1e-12);
            }
        }
        // Off the grid: the natural spline in y through the x-splines' values.
        for (a, b) in [(0.4, -1.5), (2.5, 0.7), (3.0, 2.9)] {
            let col: Vec<f64> = z.iter().map(|row| Spline::natural(x.clone(), row).unwrap().eval(a)).collect();
            let expect = Spline::natural(y.clone(), &col).unwrap().eval(b);
            assert!((s.eval(a, b) - expect).abs() < 1e-12);
            let dy = s.eval(Dual64::from(a), Dual64::new(b, 1.0)).eps;
            let fd = (s.eval(a, b + 1e-6) - s.eval(a, b - 1e-6)) / 2e-6;
            assert!((dy - fd).abs() < 1e-6 * (1.0 + dy.abs()));
        }
    }

    #[test]
    fn bad_tables_are_errors() {
        assert!(Spline::natural(vec![0.0], &[1.0]).is_err());
        assert!(Spline::natural(vec![0.0, 1.0], &[1.0]).is_err());
        assert!(Spline::natural(vec![0.0, f64::NAN], &[1.0, 2.0]).is_err());
        assert!(Spline::akima(vec![0.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_err());
        assert!(Spline::akima(vec![0.0, 1.0], &[1.0, f64::INFINITY]).is_err());
        let z = vec![vec![0.0, 1.0], vec![1.0, 2.0]];
        assert!(Spline2::natural(vec![0.0, 1.0], vec![0.0], &z[..1]).is_err());
        assert!(Spline2::natural(vec![0.0, 1.0], vec![0.0, 1.0, 2.0], &z).is_err());
        assert!(Spline2::natural(vec![0.0, 1.0, 2.0], vec![0.0, 1.0], &z).is_err());
        // Two knots: both kinds are the straight line, also outside.
        for s in
            [Spline::natural(vec![0.0, 2.0], &[1.0, 5.0]).unwrap(), Spline::akima(vec![0.0, 2.0], &[1.0, 5.0]).unwrap()]
        {
            assert!((s.eval(3.0) - 7.0).abs() < 1e-12 && (s.eval(-1.0) + 1.0).abs() < 1e-12);
        }
        // A NaN argument gives NaN, not a panic.
        assert!(Spline::natural(grid(), &[0.0; 6]).unwrap().eval(f64::NAN).is_nan());
    }
}

//! Legendre–Gauss (LG), Legendre–Gauss–Radau (LGR) and
//! Legendre–Gauss–Lobatto (LGL) nodes and quadrature weights on [-1, 1].
//!
//! All three families are computed by Newton's method on the three-term
//! Legendre recurrence, in O(n²) operations and without eigenvalue problems:
//!
//! * LG nodes (roots of Pₙ) from Tricomi's asymptotic initial guesses,
//!   as in Numerical Recipes §4.6 `gauleg` and Hale & Townsend (2013);
//! * LGL interior nodes (roots of P′ₙ₋₁) and LGR interior nodes (roots of
//!   Pₙ₋₁ + Pₙ) by safeguarded Newton ("rtsafe", Numerical Recipes §9.4)
//!   inside brackets given by consecutive LG roots, which interlace them
//!   (Szegő, *Orthogonal Polynomials*, §3.3 and §6.21): a root can never be
//!   missed or found twice, for any n.
//!
//! LG and LGL nodes are computed on the left half and mirrored, so the sets
//! are exactly symmetric (the middle node of an odd set is exactly 0).

use serde::{Deserialize, Serialize};

use crate::Error;

/// Largest number of nodes the node functions accept (the cost is O(n²)).
pub const MAX_NODES: usize = 100_000;

/// Quadrature nodes `x` (ascending, on [-1, 1]) and their weights `w`.
///
/// `∫₋₁¹ f(τ) dτ ≈ Σᵢ wᵢ f(xᵢ)`.
///
/// # Example
/// ```
/// let nodes = odeon::collocation::lgl(3)?;
/// assert_eq!(nodes.x, vec![-1.0, 0.0, 1.0]);
/// assert!((nodes.w[1] - 4.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nodes {
    /// Node locations, ascending.
    pub x: Vec<f64>,
    /// Quadrature weights, one per node.
    pub w: Vec<f64>,
}

impl Nodes {
    /// Number of nodes.
    ///
    /// # Example
    /// ```
    /// assert_eq!(odeon::collocation::lg(5)?.len(), 5);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no nodes (never true for the sets odeon builds).
    ///
    /// # Example
    /// ```
    /// assert!(!odeon::collocation::lg(1)?.is_empty());
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// The quadrature sum `Σᵢ wᵢ fᵢ` of values `f` given at the nodes.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `values.len() != self.len()`.
    ///
    /// # Example
    /// ```
    /// // 3-point Gauss is exact for x⁴: ∫₋₁¹ x⁴ dx = 2/5.
    /// let g = odeon::collocation::lg(3)?;
    /// let f: Vec<f64> = g.x.iter().map(|x| x.powi(4)).collect();
    /// assert!((g.integrate(&f)? - 0.4).abs() < 1e-15);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn integrate(&self, values: &[f64]) -> Result<f64, Error> {
        if values.len() != self.w.len() {
            return Err(Error::LengthMismatch { name: "values", expected: self.w.len(), len: values.len() });
        }
        Ok(self.w.iter().zip(values).map(|(w, f)| w * f).sum())
    }

    /// The same rule moved from [-1, 1] to [a, b]: nodes mapped affinely,
    /// weights scaled by (b − a)/2.
    ///
    /// # Errors
    /// [`Error::NonFiniteNode`] (set `"interval"`) if `a` or `b` is not finite.
    ///
    /// # Example
    /// ```
    /// // ∫₀² t² dt = 8/3 with 2 Gauss points.
    /// let g = odeon::collocation::lg(2)?.on_interval(0.0, 2.0)?;
    /// let f: Vec<f64> = g.x.iter().map(|t| t * t).collect();
    /// assert!((g.integrate(&f)? - 8.0 / 3.0).abs() < 1e-14);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn on_interval(&self, a: f64, b: f64) -> Result<Nodes, Error> {
        for (index, x) in [a, b].into_iter().enumerate() {
            if !x.is_finite() {
                return Err(Error::NonFiniteNode { set: "interval", index, x });
            }
        }
        let half = 0.5 * (b - a);
        let mid = 0.5 * (a + b);
        Ok(Nodes { x: self.x.iter().map(|x| mid + half * x).collect(), w: self.w.iter().map(|w| half * w).collect() })
    }
}

/// Legendre–Gauss–Lobatto nodes and weights: ±1 and the n − 2 roots of
/// P′ₙ₋₁. Quadrature exact for polynomials of degree ≤ 2n − 3; weights
/// 2 / (n(n − 1) Pₙ₋₁(xᵢ)²).
///
/// Requires n ≥ 2. Same nodes and weights as dymos's `dymos.utils.lgl.lgl(n)`.
///
/// # Reference
/// Canuto, Hussaini, Quarteroni & Zang, *Spectral Methods: Fundamentals in
/// Single Domains* (2006), §2.2.3; Numerical Recipes (3rd ed.) §9.4 for the
/// safeguarded Newton iteration.
///
/// # Errors
/// [`Error::TooFewNodes`] if n < 2, [`Error::TooManyNodes`] if n > [`MAX_NODES`].
///
/// # Example
/// ```
/// let nodes = odeon::collocation::lgl(5)?;
/// assert!((nodes.x[1] + (3.0f64 / 7.0).sqrt()).abs() < 1e-15);
/// assert!((nodes.w.iter().sum::<f64>() - 2.0).abs() < 1e-15);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn lgl(n: usize) -> Result<Nodes, Error> {
    check_count("Legendre–Gauss–Lobatto", n, 2)?;
    let big_n = n - 1; // polynomial degree
    let scale = 2.0 / (big_n * (big_n + 1)) as f64;
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    x[0] = -1.0;
    x[n - 1] = 1.0;
    w[0] = scale;
    w[n - 1] = scale;
    // Interior node k + 1 (k = 0..n−3) lies between LG roots k and k + 1 of
    // P_N; compute the left half and mirror.
    // P′_N has the sign of (−1)^(N−1−k) at LG root k. The midpoint in
    // θ = arccos x of the bracket is a good first guess.
    let half = (n - 2) / 2;
    let mut lo = gauss_root(big_n, 0);
    for k in 0..half {
        let hi = gauss_root(big_n, k + 1);
        let guess = (0.5 * (lo.acos() + hi.acos())).cos();
        let root = rtsafe(
            |t| {
                let p = legendre(big_n, t);
                (p.dp, p.ddp)
            },
            (lo, hi),
            (big_n - 1 - k) % 2 == 1,
            guess,
        );
        let wk = scale / legendre(big_n, root).p.powi(2);
        x[k + 1] = root;
        x[n - 2 - k] = -root;
        w[k + 1] = wk;
        w[n - 2 - k] = wk;
        lo = hi;
    }
    if n % 2 == 1 {
        x[n / 2] = 0.0;
        w[n / 2] = scale / legendre(big_n, 0.0).p.powi(2);
    }
    Ok(Nodes { x, w })
}

/// Legendre–Gauss–Radau nodes and weights with the left end point: −1 and
/// the n − 1 roots of (Pₙ₋₁ + Pₙ)/(1 + x). Quadrature exact for polynomials
/// of degree ≤ 2n − 2; weights 2/n² at −1 and (1 − xᵢ)/(n Pₙ₋₁(xᵢ))²
/// elsewhere (evaluated in the equivalent form 4/((1 − xᵢ)(P′ₙ₋₁ + P′ₙ)²)).
///
/// Requires n ≥ 1. Same as dymos's `lgr(n, include_endpoint=False)`; see
/// [`lgr_with_endpoint`] for the Radau pseudospectral state nodes.
///
/// # Reference
/// Canuto, Hussaini, Quarteroni & Zang (2006), §2.2.3; Hildebrand,
/// *Introduction to Numerical Analysis* (1987), §8.11.
///
/// # Errors
/// [`Error::TooFewNodes`] if n = 0, [`Error::TooManyNodes`] if n > [`MAX_NODES`].
///
/// # Example
/// ```
/// let nodes = odeon::collocation::lgr(3)?;
/// assert_eq!(nodes.x[0], -1.0);
/// assert!((nodes.x[1] - (1.0 - 6f64.sqrt()) / 5.0).abs() < 1e-15);
/// assert!((nodes.w[0] - 2.0 / 9.0).abs() < 1e-15);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn lgr(n: usize) -> Result<Nodes, Error> {
    check_count("Legendre–Gauss–Radau", n, 1)?;
    let nf = n as f64;
    let mut x = Vec::with_capacity(n + 1);
    let mut w = Vec::with_capacity(n + 1);
    x.push(-1.0);
    w.push(2.0 / (nf * nf));
    // Interior node k + 1 lies between LG roots k and k + 1 of P_n, where
    // P_{n−1} + P_n = P_{n−1} has the sign of (−1)^(n−1−k). First guess:
    // the Chebyshev–Gauss–Radau point.
    let mut lo = gauss_root(n, 0);
    for k in 0..n - 1 {
        let hi = gauss_root(n, k + 1);
        let guess = -(2.0 * std::f64::consts::PI * (k + 1) as f64 / (2.0 * nf - 1.0)).cos();
        let root = rtsafe(
            |t| {
                let p = legendre(n, t);
                (p.p_prev + p.p, p.dp_prev + p.dp)
            },
            (lo, hi),
            (n - 1 - k) % 2 == 1,
            guess,
        );
        // At a root, (1 − x²)P′ₖ = k(Pₖ₋₁ − xPₖ) and the recurrence give
        // P′ₙ₋₁ + P′ₙ = 2nPₙ₋₁/(1 − x), so the textbook weight
        // (1 − x)/(nPₙ₋₁)² equals 4/((1 − x)(P′ₙ₋₁ + P′ₙ)²). The latter is
        // far less sensitive to the last-ulp error of the node near x = 1
        // (relative 1e-14 instead of 5e-13 at n = 20).
        let p = legendre(n, root);
        let slope = p.dp_prev + p.dp;
        x.push(root);
        w.push(4.0 / ((1.0 - root) * slope * slope));
        lo = hi;
    }
    Ok(Nodes { x, w })
}

/// The n LGR nodes of [`lgr`] followed by the right end point 1 with weight
/// 0: the n + 1 state nodes of a Radau pseudospectral segment (dymos's
/// `lgr(n, include_endpoint=True)`).
///
/// # Errors
/// As [`lgr`].
///
/// # Example
/// ```
/// let nodes = odeon::collocation::lgr_with_endpoint(4)?;
/// assert_eq!(nodes.len(), 5);
/// assert_eq!((nodes.x[4], nodes.w[4]), (1.0, 0.0));
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn lgr_with_endpoint(n: usize) -> Result<Nodes, Error> {
    let mut nodes = lgr(n)?;
    nodes.x.push(1.0);
    nodes.w.push(0.0);
    Ok(nodes)
}

/// Legendre–Gauss nodes and weights: the n roots of Pₙ, weights
/// 2 / ((1 − xᵢ²) P′ₙ(xᵢ)²). Quadrature exact for polynomials of degree
/// ≤ 2n − 1.
///
/// Requires n ≥ 1. Same as dymos's `dymos.utils.lg.lg(n)`.
///
/// # Reference
/// Numerical Recipes (3rd ed.) §4.6.1 (`gauleg`); Tricomi's initial guesses
/// as in Hale & Townsend, "Fast and accurate computation of Gauss–Legendre
/// and Gauss–Jacobi quadrature nodes and weights", SIAM J. Sci. Comput. 35
/// (2013), §2.
///
/// # Errors
/// [`Error::TooFewNodes`] if n = 0, [`Error::TooManyNodes`] if n > [`MAX_NODES`].
///
/// # Example
/// ```
/// let nodes = odeon::collocation::lg(2)?;
/// assert!((nodes.x[1] - 1.0 / 3f64.sqrt()).abs() < 1e-15);
/// assert_eq!(nodes.w, vec![1.0, 1.0]);
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn lg(n: usize) -> Result<Nodes, Error> {
    check_count("Legendre–Gauss", n, 1)?;
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    for q in 0..n / 2 {
        let (xq, wq) = gauss_node(n, q);
        x[q] = xq;
        x[n - 1 - q] = -xq;
        w[q] = wq;
        w[n - 1 - q] = wq;
    }
    if n % 2 == 1 {
        let dp = legendre(n, 0.0).dp;
        x[n / 2] = 0.0;
        w[n / 2] = 2.0 / (dp * dp);
    }
    Ok(Nodes { x, w })
}

fn check_count(family: &'static str, n: usize, min: usize) -> Result<(), Error> {
    if n < min {
        return Err(Error::TooFewNodes { family, n, min });
    }
    if n > MAX_NODES {
        return Err(Error::TooManyNodes { family, n, max: MAX_NODES });
    }
    Ok(())
}

/// Values at one point of the Legendre polynomials of degrees n − 1 and n
/// and their derivatives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Legendre {
    /// Pₙ₋₁(x) (0 for n = 0).
    pub p_prev: f64,
    /// Pₙ(x).
    pub p: f64,
    /// P′ₙ₋₁(x).
    pub dp_prev: f64,
    /// P′ₙ(x).
    pub dp: f64,
    /// P″ₙ(x).
    pub ddp: f64,
}

/// Pₙ and its derivatives at x by the Bonnet recurrence
/// (k + 1) Pₖ₊₁ = (2k + 1) x Pₖ − k Pₖ₋₁, written as
/// Pₖ₊₁ = xPₖ + (k/(k + 1))(xPₖ − Pₖ₋₁) so that the division is off the
/// dependency chain, and its derivatives P′ₖ₊₁ = (k + 1) Pₖ + x P′ₖ,
/// P″ₖ₊₁ = (k + 2) P′ₖ + x P″ₖ (Abramowitz & Stegun 22.7.10 and 22.8.5);
/// no division by 1 − x², so valid at ±1.
pub(crate) fn legendre(n: usize, x: f64) -> Legendre {
    let (mut p_prev, mut p) = (0.0, 1.0);
    let (mut dp_prev, mut dp, mut ddp) = (0.0, 0.0, 0.0);
    for k in 0..n {
        let kf = k as f64;
        let ratio = kf / (kf + 1.0);
        let xp = x * p;
        let p_next = xp + ratio * (xp - p_prev);
        let dp_next = (kf + 1.0) * p + x * dp;
        ddp = (kf + 2.0) * dp + x * ddp;
        p_prev = p;
        p = p_next;
        dp_prev = dp;
        dp = dp_next;
    }
    Legendre { p_prev, p, dp_prev, dp, ddp }
}

/// The q-th (ascending, 0-based) root of Pₙ and its Gauss weight
/// 2/((1 − x²)P′ₙ(x)²).
pub(crate) fn gauss_node(n: usize, q: usize) -> (f64, f64) {
    let x = gauss_root(n, q);
    let dp = legendre(n, x).dp;
    (x, 2.0 / ((1.0 - x) * (1.0 + x) * dp * dp))
}

/// The q-th (ascending, 0-based) root of Pₙ, by Newton from Tricomi's guess
/// cos(π(4i − 1)/(4n + 2))·(1 − (n − 1)/(8n³)).
fn gauss_root(n: usize, q: usize) -> f64 {
    let nf = n as f64;
    let i = (n - q) as f64; // descending index 1..=n
    let theta = std::f64::consts::PI * (4.0 * i - 1.0) / (4.0 * nf + 2.0);
    let mut x = (1.0 - (nf - 1.0) / (8.0 * nf * nf * nf)) * theta.cos();
    // Newton converges quadratically from the asymptotic guess: once a step
    // is below 1e-14 the iterate it produced is exact to rounding.
    for _ in 0..100 {
        let p = legendre(n, x);
        let dx = p.p / p.dp;
        x -= dx;
        if dx.abs() <= STEP_TOL {
            break;
        }
    }
    x
}

/// Newton steps below this (absolute, on [-1, 1]) end the iteration: with
/// quadratic convergence the iterate they produce is exact to rounding.
const STEP_TOL: f64 = 1e-14;

/// Safeguarded Newton iteration for the single simple root of `f` in
/// (lo, hi), where f(lo) and f(hi) have opposite signs (f(lo) < 0 if
/// `lo_negative`); `f` returns the value and the derivative. Newton steps
/// that leave the bracket are replaced by bisection (Numerical Recipes,
/// 3rd ed., §9.4 `rtsafe`), so it converges for any guess.
fn rtsafe(f: impl Fn(f64) -> (f64, f64), (lo, hi): (f64, f64), lo_negative: bool, guess: f64) -> f64 {
    // Orient the bracket so that f(neg) < 0 < f(pos).
    let (mut neg, mut pos) = if lo_negative { (lo, hi) } else { (hi, lo) };
    let mut x = if guess > lo && guess < hi { guess } else { 0.5 * (lo + hi) };
    for _ in 0..200 {
        let (fx, dfx) = f(x);
        if fx == 0.0 {
            return x;
        }
        if fx < 0.0 {
            neg = x;
        } else {
            pos = x;
        }
        let newton = x - fx / dfx;
        let (a, b) = if neg < pos { (neg, pos) } else { (pos, neg) };
        // Inclusive: a converged iterate is an end of the bracket and its
        // Newton step may be zero.
        let inside = newton >= a && newton <= b;
        let next = if inside { newton } else { 0.5 * (neg + pos) };
        let step = (next - x).abs();
        x = next;
        if inside && step <= STEP_TOL {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legendre_matches_closed_forms() {
        // P₃ = (5x³ − 3x)/2, P₃′ = (15x² − 3)/2, P₃″ = 15x, P₂ = (3x² − 1)/2.
        for &x in &[-1.0, -0.3, 0.0, 0.7, 1.0] {
            let p = legendre(3, x);
            assert!((p.p - (5.0 * x * x * x - 3.0 * x) / 2.0).abs() < 1e-15);
            assert!((p.dp - (15.0 * x * x - 3.0) / 2.0).abs() < 1e-14);
            assert!((p.ddp - 15.0 * x).abs() < 1e-14);
            assert!((p.p_prev - (3.0 * x * x - 1.0) / 2.0).abs() < 1e-15);
            assert!((p.dp_prev - 3.0 * x).abs() < 1e-15);
        }
    }

    #[test]
    fn smallest_sets_are_the_textbook_ones() {
        assert_eq!(lgl(2).unwrap().w, vec![1.0, 1.0]);
        assert_eq!(lg(1).unwrap().x, vec![0.0]);
        assert_eq!(lg(1).unwrap().w, vec![2.0]);
        let r = lgr(1).unwrap();
        assert_eq!((r.x, r.w), (vec![-1.0], vec![2.0]));
        // 2-point Radau: −1 and 1/3 with weights 1/2, 3/2.
        let r = lgr(2).unwrap();
        assert!((r.x[1] - 1.0 / 3.0).abs() < 1e-15);
        assert!((r.w[0] - 0.5).abs() < 1e-15 && (r.w[1] - 1.5).abs() < 1e-15);
    }

    #[test]
    fn rtsafe_recovers_when_the_guess_is_outside_the_bracket() {
        // x³ − 2 on (1, 2): root 2^{1/3}.
        let root = rtsafe(|x| (x * x * x - 2.0, 3.0 * x * x), (1.0, 2.0), true, 10.0);
        assert!((root - 2f64.cbrt()).abs() < 1e-15);
    }

    #[test]
    fn counts_out_of_range_are_errors() {
        assert!(matches!(lgl(1), Err(Error::TooFewNodes { n: 1, min: 2, .. })));
        assert!(matches!(lg(0), Err(Error::TooFewNodes { n: 0, min: 1, .. })));
        assert!(matches!(lgr(0), Err(Error::TooFewNodes { n: 0, min: 1, .. })));
        assert!(matches!(lgl(usize::MAX), Err(Error::TooManyNodes { max: MAX_NODES, .. })));
    }

    #[test]
    fn on_interval_rejects_infinite_ends() {
        let g = lg(2).unwrap();
        assert!(matches!(g.on_interval(0.0, f64::INFINITY), Err(Error::NonFiniteNode { index: 1, .. })));
        assert!(matches!(g.integrate(&[1.0]), Err(Error::LengthMismatch { expected: 2, len: 1, .. })));
    }
}

//! Laws the collocation matrices must obey, checked against polynomials
//! evaluated independently here (Horner on monomial coefficients and their
//! exact derivatives and antiderivatives), never against odeon's own output.

use nalgebra::{DMatrix, DVector};
use odeon::collocation::{
    Barycentric, HermiteMatrices, gauss_integration_matrix, hermite_matrices, integration_matrix, lagrange_matrices,
    lg, lgl, lgr, lgr_with_endpoint, quadrature_weights, radau_integration_matrix,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// A polynomial Σ cₖ xᵏ with its derivative and antiderivative from −1.
#[derive(Debug, Clone)]
struct Poly(Vec<f64>);

impl Poly {
    fn value(&self, x: f64) -> f64 {
        self.0.iter().rev().fold(0.0, |acc, c| acc * x + c)
    }
    fn slope(&self, x: f64) -> f64 {
        let n = self.0.len();
        (1..n).rev().fold(0.0, |acc, k| acc * x + k as f64 * self.0[k])
    }
    /// ∫₋₁ˣ p.
    fn integral(&self, x: f64) -> f64 {
        let anti = |t: f64| self.0.iter().enumerate().rev().fold(0.0, |acc, (k, c)| acc * t + c / (k + 1) as f64) * t;
        anti(x) - anti(-1.0)
    }
    /// Σ |cₖ|: bounds |p| on [−1, 1].
    fn size(&self) -> f64 {
        self.0.iter().map(|c| c.abs()).sum()
    }
    /// Σ k |cₖ|: bounds |p′| on [−1, 1].
    fn slope_size(&self) -> f64 {
        self.0.iter().enumerate().map(|(k, c)| k as f64 * c.abs()).sum::<f64>().max(1e-300)
    }
}

/// Node families odeon is used with, plus perturbed and generic ones.
#[derive(Debug, Clone, Copy)]
enum Family {
    Lgl,
    Lgr,
    LgrWithEnd,
    Lg,
    Chebyshev,
    JitteredLgl,
}

fn family_nodes(family: Family, n: usize, jitter: f64) -> Vec<f64> {
    match family {
        Family::Lgl => lgl(n.max(2)).unwrap().x,
        Family::Lgr => lgr(n).unwrap().x,
        Family::LgrWithEnd => lgr_with_endpoint(n.saturating_sub(1).max(1)).unwrap().x,
        Family::Lg => lg(n).unwrap().x,
        Family::Chebyshev => (0..n).map(|k| -(std::f64::consts::PI * (k as f64 + 0.5) / n as f64).cos()).collect(),
        Family::JitteredLgl => {
            // Move each LGL node by up to a fifth of the gap to its neighbours.
            let x = lgl(n.max(2)).unwrap().x;
            let m = x.len();
            (0..m)
                .map(|i| {
                    let left = if i > 0 { x[i] - x[i - 1] } else { f64::INFINITY };
                    let right = if i + 1 < m { x[i + 1] - x[i] } else { f64::INFINITY };
                    let s = ((i as f64 + 1.0) * 12.9898 + jitter * 78.233).sin();
                    x[i] + 0.2 * s * left.min(right)
                })
                .collect()
        }
    }
}

fn family() -> impl Strategy<Value = Family> {
    prop_oneof![
        Just(Family::Lgl),
        Just(Family::Lgr),
        Just(Family::LgrWithEnd),
        Just(Family::Lg),
        Just(Family::Chebyshev),
        Just(Family::JitteredLgl),
    ]
}

/// Evaluation points: random ones in [−1, 1] and a few of the nodes exactly.
fn eval_points(nodes: &[f64], random: &[f64], pick: &[usize]) -> Vec<f64> {
    let mut x = random.to_vec();
    x.extend(pick.iter().map(|&i| nodes[i % nodes.len()]));
    x
}

fn values(nodes: &[f64], f: impl Fn(f64) -> f64) -> DVector<f64> {
    DVector::from_iterator(nodes.len(), nodes.iter().map(|&x| f(x)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, rng_seed: RngSeed::Fixed(0x0de0), ..ProptestConfig::default() })]

    /// L and D reproduce values and slopes of every polynomial of degree < n.
    #[test]
    fn lagrange_is_exact_below_degree_n(
        fam in family(),
        n in 1usize..=30,
        jitter in 0.0f64..1.0,
        coeffs in prop::collection::vec(-1.0f64..=1.0, 30),
        random in prop::collection::vec(-1.0f64..=1.0, 0..8),
        pick in prop::collection::vec(0usize..64, 0..4),
    ) {
        let nodes = family_nodes(fam, n, jitter);
        let p = Poly(coeffs[..nodes.len()].to_vec());
        let x_eval = eval_points(&nodes, &random, &pick);
        let (l, d) = lagrange_matrices(&nodes, &x_eval).unwrap();
        let f = values(&nodes, |x| p.value(x));
        let (pv, dv) = (&l * &f, &d * &f);
        for (i, &x) in x_eval.iter().enumerate() {
            prop_assert!((pv[i] - p.value(x)).abs() <= 1e-12 * p.size(),
                "{fam:?} n={} value at {x}: {} vs {}", nodes.len(), pv[i], p.value(x));
            prop_assert!((dv[i] - p.slope(x)).abs() <= 1e-12 * p.slope_size(),
                "{fam:?} n={} slope at {x}: {} vs {}", nodes.len(), dv[i], p.slope(x));
        }
    }

    /// Slopes stay accurate arbitrarily close to a node (where the naive
    /// derivative formula cancels catastrophically).
    #[test]
    fn differentiation_is_accurate_next_to_nodes(
        fam in family(),
        n in 2usize..=30,
        node in 0usize..64,
        exponent in 1.0f64..15.0,
        side in prop::bool::ANY,
        coeffs in prop::collection::vec(-1.0f64..=1.0, 30),
    ) {
        let nodes = family_nodes(fam, n, 0.5);
        let p = Poly(coeffs[..nodes.len()].to_vec());
        // Step off the node towards the inside of [−1, 1]: interpolation,
        // not extrapolation, is what this law is about.
        let xn = nodes[node % nodes.len()];
        let step = 10f64.powf(-exponent) * if side { 1.0 } else { -1.0 };
        let delta = if (xn + step).abs() > 1.0 { -step } else { step };
        let x = xn + delta;
        let (_, d) = lagrange_matrices(&nodes, &[x]).unwrap();
        let slope = (&d * values(&nodes, |x| p.value(x)))[0];
        prop_assert!((slope - p.slope(x)).abs() <= 1e-12 * p.slope_size(),
            "{fam:?} n={} at node+{delta:e}: {slope} vs {}", nodes.len(), p.slope(x));
    }

    /// Rows of L sum to 1 and rows of D to 0, for any distinct nodes.
    #[test]
    fn rows_of_l_sum_to_one_and_of_d_to_zero(
        gaps in prop::collection::vec(0.05f64..1.0, 1..12),
        start in -2.0f64..0.0,
        x_eval in prop::collection::vec(-2.0f64..=2.0, 1..8),
    ) {
        let nodes: Vec<f64> = gaps.iter().scan(start, |x, g| { *x += g; Some(*x) }).collect();
        let (l, d) = lagrange_matrices(&nodes, &x_eval).unwrap();
        for i in 0..x_eval.len() {
            let (lrow, drow) = (l.row(i), d.row(i));
            let lscale: f64 = lrow.iter().map(|v| v.abs()).sum();
            let dscale: f64 = drow.iter().map(|v| v.abs()).sum();
            prop_assert!((lrow.sum() - 1.0).abs() <= 1e-13 * lscale.max(1.0));
            prop_assert!(drow.sum().abs() <= 1e-13 * dscale.max(1.0));
        }
    }

    /// Hermite interpolation reproduces values and slopes of every
    /// polynomial of degree ≤ 2n − 1 from n values and n slopes.
    #[test]
    fn hermite_is_exact_to_degree_2n_minus_1(
        fam in family(),
        n in 1usize..=12,
        jitter in 0.0f64..1.0,
        coeffs in prop::collection::vec(-1.0f64..=1.0, 24),
        random in prop::collection::vec(-1.0f64..=1.0, 0..8),
        pick in prop::collection::vec(0usize..64, 0..3),
    ) {
        let nodes = family_nodes(fam, n, jitter);
        let p = Poly(coeffs[..2 * nodes.len()].to_vec());
        let x_eval = eval_points(&nodes, &random, &pick);
        let h = hermite_matrices(&nodes, &x_eval).unwrap();
        let f = values(&nodes, |x| p.value(x));
        let fdot = values(&nodes, |x| p.slope(x));
        let value = &h.ai * &f + &h.bi * &fdot;
        let slope = &h.ad * &f + &h.bd * &fdot;
        for (i, &x) in x_eval.iter().enumerate() {
            prop_assert!((value[i] - p.value(x)).abs() <= 1e-12 * p.slope_size().max(p.size()),
                "{fam:?} n={} value at {x}: {} vs {}", nodes.len(), value[i], p.value(x));
            prop_assert!((slope[i] - p.slope(x)).abs() <= 1e-12 * p.slope_size(),
                "{fam:?} n={} slope at {x}: {} vs {}", nodes.len(), slope[i], p.slope(x));
        }
    }

    /// The integration matrix integrates every polynomial of degree < n
    /// exactly from −1.
    #[test]
    fn integration_is_exact_below_degree_n(
        fam in family(),
        n in 1usize..=30,
        jitter in 0.0f64..1.0,
        coeffs in prop::collection::vec(-1.0f64..=1.0, 30),
        random in prop::collection::vec(-1.0f64..=1.0, 0..8),
        pick in prop::collection::vec(0usize..64, 0..3),
    ) {
        let nodes = family_nodes(fam, n, jitter);
        let p = Poly(coeffs[..nodes.len()].to_vec());
        let x_eval = eval_points(&nodes, &random, &pick);
        let a = integration_matrix(&nodes, &x_eval).unwrap();
        let integral = &a * values(&nodes, |x| p.value(x));
        for (i, &x) in x_eval.iter().enumerate() {
            prop_assert!((integral[i] - p.integral(x)).abs() <= 1e-12 * p.size(),
                "{fam:?} n={} ∫ to {x}: {} vs {}", nodes.len(), integral[i], p.integral(x));
        }
    }

    /// The allocation-free variants write exactly what the allocating ones
    /// return, whatever the buffers held before.
    #[test]
    fn into_variants_overwrite_buffers_completely(
        fam in family(),
        n in 1usize..=20,
        random in prop::collection::vec(-1.0f64..=1.0, 1..6),
        pick in prop::collection::vec(0usize..64, 0..3),
    ) {
        let nodes = family_nodes(fam, n, 0.3);
        let x_eval = eval_points(&nodes, &random, &pick);
        let (ne, nd) = (x_eval.len(), nodes.len());
        let basis = Barycentric::new(&nodes).unwrap();
        let (mut l, mut d) = (DMatrix::from_element(ne, nd, f64::NAN), DMatrix::from_element(ne, nd, 7.0));
        basis.lagrange_matrices_into(&x_eval, &mut l, &mut d).unwrap();
        let (l0, d0) = lagrange_matrices(&nodes, &x_eval).unwrap();
        prop_assert_eq!(l, l0);
        prop_assert_eq!(d, d0);
        let mut h = HermiteMatrices::zeros(ne, nd);
        h.ai.fill(f64::NAN);
        h.bd.fill(-3.0);
        basis.hermite_matrices_into(&x_eval, &mut h).unwrap();
        prop_assert_eq!(h, hermite_matrices(&nodes, &x_eval).unwrap());
        let mut a = DMatrix::from_element(ne, nd, f64::INFINITY);
        basis.integration_matrix_into(&x_eval, &mut a).unwrap();
        prop_assert_eq!(a, integration_matrix(&nodes, &x_eval).unwrap());
    }
}

/// Pₖ(x) by the Bonnet recurrence, written here independently of odeon.
fn legendre_p(k: usize, x: f64) -> f64 {
    let (mut prev, mut p) = (0.0, 1.0);
    for j in 0..k {
        let jf = j as f64;
        (prev, p) = (p, ((2.0 * jf + 1.0) * x * p - jf * prev) / (jf + 1.0));
    }
    p
}

/// Largest quadrature error over P₀ … P_max (∫₋₁¹ Pₖ = 2δₖ₀), and the
/// error for P_max+1. Legendre polynomials rather than monomials, so that
/// the first failing degree fails by O(1/n), not by 4⁻ⁿ.
fn quadrature_errors(x: &[f64], w: &[f64], max: usize) -> (f64, f64) {
    let error = |k: usize| {
        let q: f64 = x.iter().zip(w).map(|(&x, w)| w * legendre_p(k, x)).sum();
        (q - if k == 0 { 2.0 } else { 0.0 }).abs()
    };
    ((0..=max).map(error).fold(0.0, f64::max), error(max + 1))
}

#[test]
fn lgl_quadrature_is_exact_to_degree_2n_minus_3_and_no_further() {
    for n in 2..=100 {
        let nodes = lgl(n).unwrap();
        let (exact, beyond) = quadrature_errors(&nodes.x, &nodes.w, 2 * n - 3);
        assert!(exact < 1e-14, "LGL n={n}: error {exact:e} below degree 2n−2");
        assert!(beyond > 1e-3, "LGL n={n}: degree 2n−2 integrated exactly?");
    }
}

#[test]
fn lgr_quadrature_is_exact_to_degree_2n_minus_2_and_no_further() {
    for n in 1..=100 {
        let nodes = lgr(n).unwrap();
        let (exact, beyond) = quadrature_errors(&nodes.x, &nodes.w, 2 * n - 2);
        assert!(exact < 1e-14, "LGR n={n}: error {exact:e} below degree 2n−1");
        assert!(beyond > 1e-3, "LGR n={n}: degree 2n−1 integrated exactly?");
    }
}

#[test]
fn lg_quadrature_is_exact_to_degree_2n_minus_1_and_no_further() {
    for n in 1..=100 {
        let nodes = lg(n).unwrap();
        let (exact, beyond) = quadrature_errors(&nodes.x, &nodes.w, 2 * n - 1);
        assert!(exact < 1e-14, "LG n={n}: error {exact:e} below degree 2n");
        assert!(beyond > 1e-3, "LG n={n}: degree 2n integrated exactly?");
    }
}

#[test]
fn hermite_is_not_exact_at_degree_2n() {
    // x^{2n} from n values and slopes: the error at a midpoint is Π(x − xⱼ)²,
    // which the law tests above must not mistake for rounding.
    for n in 1..=8 {
        let nodes = lgl(n.max(2)).unwrap().x;
        let m = nodes.len();
        let x = 0.5 * (nodes[0] + nodes[1]);
        let h = hermite_matrices(&nodes, &[x]).unwrap();
        let f = values(&nodes, |t| t.powi(2 * m as i32));
        let fdot = values(&nodes, |t| 2.0 * m as f64 * t.powi(2 * m as i32 - 1));
        let value = (&h.ai * &f + &h.bi * &fdot)[0];
        let expect_error: f64 = nodes.iter().map(|t| (x - t).powi(2)).product();
        assert!(((x.powi(2 * m as i32) - value) - expect_error).abs() < 1e-13);
        assert!(expect_error > 1e-6);
    }
}

#[test]
fn interpolatory_weights_equal_the_gauss_weights() {
    // Two independent computations: ∫ℓⱼ by quadrature of the barycentric
    // basis, and the closed-form Legendre weight formulas.
    for n in 1..=40 {
        for nodes in [lgr(n).unwrap(), lg(n).unwrap()].into_iter().chain((n >= 2).then(|| lgl(n).unwrap())) {
            let w = quadrature_weights(&nodes.x).unwrap();
            for (a, b) in w.iter().zip(&nodes.w) {
                assert!((a - b).abs() < 1e-14, "n={n}: {a} vs {b}");
            }
        }
    }
}

#[test]
fn radau_integration_matrix_inverts_the_radau_differentiation_matrix() {
    // Garg et al. (2010): I = D[:, 1..]⁻¹ for the n × (n+1) LGR D.
    for n in 1..=30 {
        let (_, d) = lagrange_matrices(&lgr_with_endpoint(n).unwrap().x, &lgr(n).unwrap().x).unwrap();
        let i = radau_integration_matrix(n).unwrap();
        let err = (d.columns(1, n) * &i - DMatrix::identity(n, n)).amax();
        assert!(err < 1e-12, "n={n}: |D I − 1| = {err:e}");
    }
}

#[test]
fn gauss_integration_matrix_inverts_the_gauss_differentiation_matrix() {
    for n in 1..=30 {
        let col = lg(n).unwrap().x;
        let mut state = vec![-1.0];
        state.extend(&col);
        let (_, d) = lagrange_matrices(&state, &col).unwrap();
        let a = gauss_integration_matrix(n).unwrap();
        let err = (d.columns(1, n) * &a - DMatrix::identity(n, n)).amax();
        assert!(err < 1e-12, "n={n}: |D A − 1| = {err:e}");
    }
}

#[test]
fn identical_nodes_give_identity_interpolation() {
    for n in 2..=50 {
        let x = lgl(n).unwrap().x;
        let (l, d) = lagrange_matrices(&x, &x).unwrap();
        assert_eq!(l, DMatrix::identity(n, n));
        // Known corner of the LGL differentiation matrix: −N(N+1)/4.
        let big_n = (n - 1) as f64;
        let corner = -big_n * (big_n + 1.0) / 4.0;
        assert!((d[(0, 0)] - corner).abs() < 1e-13 * corner.abs(), "n={n}");
        assert!((d[(n - 1, n - 1)] + corner).abs() < 1e-13 * corner.abs(), "n={n}");
    }
}

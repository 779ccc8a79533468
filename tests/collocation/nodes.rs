//! Node sets against independent computations: closed forms (Abramowitz &
//! Stegun, Table 25.4 and §25.4.31–32), Golub–Welsch eigenvalue problems
//! solved by nalgebra's symmetric eigensolver, and residuals of the defining
//! polynomials evaluated by a recurrence written here.

use nalgebra::{DMatrix, SymmetricEigen};
use odeon::collocation::{Nodes, lg, lgl, lgr};

/// Pₖ(x), P′ₖ(x), P″ₖ(x) for −1 < x < 1, written independently of odeon:
/// values by the Bonnet recurrence, derivatives from the closed forms
/// (x² − 1)P′ₖ = k(xPₖ − Pₖ₋₁) and (1 − x²)P″ₖ = 2xP′ₖ − k(k + 1)Pₖ
/// (Abramowitz & Stegun 22.8.5 and 22.6.13), not the recurrences odeon uses.
fn legendre(k: usize, x: f64) -> (f64, f64, f64) {
    let (mut prev, mut p) = (0.0, 1.0);
    for j in 0..k {
        let jf = j as f64;
        (prev, p) = (p, ((2.0 * jf + 1.0) * x * p - jf * prev) / (jf + 1.0));
    }
    let kf = k as f64;
    let one_minus_x2 = (1.0 - x) * (1.0 + x);
    let dp = kf * (prev - x * p) / one_minus_x2;
    let ddp = (2.0 * x * dp - kf * (kf + 1.0) * p) / one_minus_x2;
    (p, dp, ddp)
}

/// Eigenvalues (ascending) and first eigenvector components of the
/// symmetric tridiagonal Jacobi matrix with diagonal `a` and off-diagonal
/// `b` (Golub & Welsch, Math. Comp. 23 (1969)).
fn golub_welsch(a: &[f64], b: &[f64]) -> Vec<(f64, f64)> {
    let m = a.len();
    let j = DMatrix::from_fn(m, m, |r, c| {
        if r == c {
            a[r]
        } else if r + 1 == c {
            b[r]
        } else if c + 1 == r {
            b[c]
        } else {
            0.0
        }
    });
    let eig = SymmetricEigen::new(j);
    let mut pairs: Vec<(f64, f64)> = (0..m).map(|k| (eig.eigenvalues[k], eig.eigenvectors[(0, k)])).collect();
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0));
    pairs
}

fn assert_ascending_in_interval(nodes: &Nodes, name: &str) {
    assert!(nodes.x.windows(2).all(|w| w[0] < w[1]), "{name}: not strictly ascending");
    assert!(nodes.x.iter().all(|x| (-1.0..=1.0).contains(x)), "{name}: outside [-1, 1]");
    assert!(nodes.w.iter().all(|w| *w > 0.0), "{name}: non-positive weight");
}

#[test]
fn small_sets_match_closed_forms() {
    // A few ulps: the closed forms are themselves rounded.
    let close = |a: f64, b: f64| (a - b).abs() < 1e-15 * b.abs().max(1.0);
    // LGL(4): ±1, ±1/√5; weights 1/6, 5/6.
    let n = lgl(4).unwrap();
    assert!(close(n.x[2], 1.0 / 5f64.sqrt()) && close(n.x[1], -1.0 / 5f64.sqrt()));
    assert!(close(n.w[0], 1.0 / 6.0) && close(n.w[1], 5.0 / 6.0));
    // LGL(5): 0, ±√(3/7); weights 1/10, 49/90, 32/45.
    let n = lgl(5).unwrap();
    assert_eq!(n.x[2], 0.0);
    assert!(close(n.x[3], (3f64 / 7.0).sqrt()));
    assert!(close(n.w[0], 0.1) && close(n.w[1], 49.0 / 90.0) && close(n.w[2], 32.0 / 45.0));
    // LG(3): 0, ±√(3/5); weights 8/9, 5/9.
    let n = lg(3).unwrap();
    assert!(close(n.x[2], 0.6f64.sqrt()) && n.x[1] == 0.0);
    assert!(close(n.w[1], 8.0 / 9.0) && close(n.w[0], 5.0 / 9.0));
    // LGR(3): −1, (1 ∓ √6)/5; weights 2/9, (16 ± √6)/18.
    let n = lgr(3).unwrap();
    let s6 = 6f64.sqrt();
    assert!(close(n.x[1], (1.0 - s6) / 5.0) && close(n.x[2], (1.0 + s6) / 5.0));
    assert!(close(n.w[0], 2.0 / 9.0));
    assert!(close(n.w[1], (16.0 + s6) / 18.0) && close(n.w[2], (16.0 - s6) / 18.0));
}

#[test]
fn lgl_200_nodes_are_the_roots_of_one_minus_x2_times_dp199() {
    let n = 200;
    let nodes = lgl(n).unwrap();
    assert_eq!(nodes.len(), n);
    assert_ascending_in_interval(&nodes, "LGL(200)");
    assert_eq!((nodes.x[0], nodes.x[n - 1]), (-1.0, 1.0));
    // Interior nodes: zeros of P′₁₉₉ ∝ Jacobi P^(1,1)_198, whose monic
    // recurrence has zero diagonal and b_k = k(k+2)/((2k+1)(2k+3)).
    let m = n - 2;
    let b: Vec<f64> = (1..m)
        .map(|k| {
            let k = k as f64;
            (k * (k + 2.0) / ((2.0 * k + 1.0) * (2.0 * k + 3.0))).sqrt()
        })
        .collect();
    let reference = golub_welsch(&vec![0.0; m], &b);
    for (i, (x, _)) in reference.iter().enumerate() {
        let got = nodes.x[i + 1];
        assert!((got - x).abs() < 1e-13, "node {}: {got} vs eigenvalue {x}", i + 1);
    }
    // Each node is within 1e-15 of a root: one Newton step on P′₁₉₉ is tiny.
    for &x in &nodes.x[1..n - 1] {
        let (_, dp, ddp) = legendre(n - 1, x);
        assert!((dp / ddp).abs() < 1e-15, "Newton step {:e} at {x}", dp / ddp);
    }
    let sum: f64 = nodes.w.iter().sum();
    assert!((sum - 2.0).abs() < 1e-13, "weights sum to {sum}");
    // Weights 2/(N(N+1) P_N(x)²) with P_N from the independent recurrence.
    let big_n = (n - 1) as f64;
    for (x, w) in nodes.x.iter().zip(&nodes.w).skip(1).take(n - 2) {
        let p = legendre(n - 1, *x).0;
        let expect = 2.0 / (big_n * (big_n + 1.0) * p * p);
        assert!((w - expect).abs() < 1e-15, "weight at {x}: {w} vs {expect}");
    }
}

#[test]
fn lg_200_matches_golub_welsch() {
    let n = 200;
    let nodes = lg(n).unwrap();
    assert_ascending_in_interval(&nodes, "LG(200)");
    let b: Vec<f64> = (1..n)
        .map(|k| {
            let k = k as f64;
            k / (4.0 * k * k - 1.0).sqrt()
        })
        .collect();
    let reference = golub_welsch(&vec![0.0; n], &b);
    for (i, (x, v)) in reference.iter().enumerate() {
        assert!((nodes.x[i] - x).abs() < 1e-13, "node {i}");
        assert!((nodes.w[i] - 2.0 * v * v).abs() < 1e-13, "weight {i}");
    }
    assert!((nodes.w.iter().sum::<f64>() - 2.0).abs() < 1e-13);
}

#[test]
fn lgr_200_matches_golub_welsch_for_jacobi_0_1() {
    // Interior LGR nodes are the zeros of P^(0,1)_{n−1} (weight 1 + x):
    // diagonal a_k = 1/((2k+1)(2k+3)), off-diagonal² k(k+1)/(2k+1)².
    let n = 200;
    let nodes = lgr(n).unwrap();
    assert_ascending_in_interval(&nodes, "LGR(200)");
    let m = n - 1;
    let a: Vec<f64> = (0..m)
        .map(|k| {
            let k = k as f64;
            1.0 / ((2.0 * k + 1.0) * (2.0 * k + 3.0))
        })
        .collect();
    let b: Vec<f64> = (1..m)
        .map(|k| {
            let k = k as f64;
            (k * (k + 1.0)).sqrt() / (2.0 * k + 1.0)
        })
        .collect();
    let reference = golub_welsch(&a, &b);
    for (i, (x, _)) in reference.iter().enumerate() {
        assert!((nodes.x[i + 1] - x).abs() < 1e-13, "node {}", i + 1);
    }
    assert!((nodes.w.iter().sum::<f64>() - 2.0).abs() < 1e-13);
}

#[test]
fn lgl_and_lg_are_exactly_symmetric() {
    for n in 1..=120 {
        for nodes in std::iter::once(lg(n).unwrap()).chain((n >= 2).then(|| lgl(n).unwrap())) {
            for i in 0..nodes.len() {
                let j = nodes.len() - 1 - i;
                assert_eq!(nodes.x[i], -nodes.x[j]);
                assert_eq!(nodes.w[i], nodes.w[j]);
            }
        }
    }
}

#[test]
fn large_sets_stay_well_formed() {
    for n in [500, 1000] {
        for (name, nodes) in [("LGL", lgl(n)), ("LGR", lgr(n)), ("LG", lg(n))] {
            let nodes = nodes.unwrap();
            assert_eq!(nodes.len(), n);
            assert_ascending_in_interval(&nodes, name);
            let sum: f64 = nodes.w.iter().sum();
            assert!((sum - 2.0).abs() < 1e-13, "{name}({n}) weights sum to {sum}");
        }
    }
}

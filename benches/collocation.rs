//! Collocation matrices: odeon against the product formulas dymos uses,
//! written plainly in Rust here and measured in the same run.
//!
//! Sizes n = 10, 20, 30, 50, 100 with `x_eval = x_disc = LGL(n)`, the setting
//! of dymos's own timing (`peers/collocation_timing.json`). Run with
//! `cargo bench --bench collocation`; results in `docs/benchmarks-collocation.md`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::DMatrix;
use odeon::collocation::{
    Barycentric, HermiteMatrices, hermite_matrices, integration_matrix, lagrange_matrices, lg, lgl, lgr,
};

const SIZES: [usize; 5] = [10, 20, 30, 50, 100];

/// dymos's `lagrange_matrices` algorithm (dymos/utils/lagrange.py):
/// barycentric weights by products, L by an (n − 1)-fold product per entry,
/// D by a sum over k of (n − 2)-fold products per entry — O(n³) and O(n⁴).
fn product_formula_lagrange(x_disc: &[f64], x_eval: &[f64]) -> (DMatrix<f64>, DMatrix<f64>) {
    let (nd, ni) = (x_disc.len(), x_eval.len());
    let wb: Vec<f64> =
        (0..nd).map(|j| (0..nd).filter(|&k| k != j).map(|k| 1.0 / (x_disc[j] - x_disc[k])).product()).collect();
    let mut l = DMatrix::zeros(ni, nd);
    let mut d = DMatrix::zeros(ni, nd);
    for i in 0..ni {
        for j in 0..nd {
            let prod: f64 = (0..nd).filter(|&m| m != j).map(|m| x_eval[i] - x_disc[m]).product();
            l[(i, j)] = wb[j] * prod;
            let mut sum = 0.0;
            for k in (0..nd).filter(|&k| k != j) {
                let prod: f64 = (0..nd).filter(|&m| m != j && m != k).map(|m| x_eval[i] - x_disc[m]).product();
                sum += wb[j] * prod;
            }
            d[(i, j)] = sum;
        }
    }
    (l, d)
}

/// dymos's `hermite_matrices` algorithm (dymos/utils/hermite.py, after ACM
/// algorithm 211): for each evaluation point and node, O(n) products and
/// sums — O(n²·n_eval).
fn product_formula_hermite(x_given: &[f64], x_eval: &[f64]) -> HermiteMatrices {
    let (n, ne) = (x_given.len(), x_eval.len());
    let mut h = HermiteMatrices::zeros(ne, n);
    for (i, &tau) in x_eval.iter().enumerate() {
        for j in 0..n {
            let (mut prod, mut dprod, mut sum) = (1.0, 0.0, 0.0);
            for k in (0..n).filter(|&k| k != j) {
                let xmxi = tau - x_given[k];
                let xjmxi = x_given[j] - x_given[k];
                dprod = dprod * (xmxi / xjmxi).powi(2) + 2.0 * prod * xmxi / xjmxi.powi(2);
                prod *= (xmxi / xjmxi).powi(2);
                sum += 1.0 / xjmxi;
            }
            let xmxj = tau - x_given[j];
            h.ai[(i, j)] = prod * (-xmxj * 2.0 * sum + 1.0);
            h.bi[(i, j)] = prod * xmxj;
            h.ad[(i, j)] = dprod * (-xmxj * 2.0 * sum + 1.0) - prod * 2.0 * sum;
            h.bd[(i, j)] = dprod * xmxj + prod;
        }
    }
    h
}

/// The baselines compute the same matrices (so the ratio compares like
/// with like).
fn check_baselines() {
    let x = lgl(10).unwrap().x;
    let y = lg(10).unwrap().x;
    let (l, d) = lagrange_matrices(&x, &y).unwrap();
    let (l0, d0) = product_formula_lagrange(&x, &y);
    assert!((l - l0).amax() < 1e-12 && (d - d0).amax() < 1e-11);
    let h = hermite_matrices(&x, &y).unwrap();
    let h0 = product_formula_hermite(&x, &y);
    for (a, b) in [(&h.ai, &h0.ai), (&h.bi, &h0.bi), (&h.ad, &h0.ad), (&h.bd, &h0.bd)] {
        assert!((a - b).amax() < 1e-10);
    }
}

fn lagrange(c: &mut Criterion) {
    check_baselines();
    let mut group = c.benchmark_group("lagrange_matrices");
    for n in SIZES {
        let x = lgl(n).unwrap().x;
        group.bench_with_input(BenchmarkId::new("odeon", n), &x, |b, x| {
            b.iter(|| lagrange_matrices(black_box(x), black_box(x)).unwrap())
        });
        let basis = Barycentric::new(&x).unwrap();
        let (mut l, mut d) = (DMatrix::zeros(n, n), DMatrix::zeros(n, n));
        group.bench_with_input(BenchmarkId::new("odeon_into", n), &x, |b, x| {
            b.iter(|| basis.lagrange_matrices_into(black_box(x), &mut l, &mut d).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("product_formula", n), &x, |b, x| {
            b.iter(|| product_formula_lagrange(black_box(x), black_box(x)))
        });
    }
    group.finish();

    // Off the nodes: LGL(n) → LG(n), every row a full barycentric evaluation.
    let mut group = c.benchmark_group("lagrange_lgl_to_lg");
    for n in SIZES {
        let (x, y) = (lgl(n).unwrap().x, lg(n).unwrap().x);
        group.bench_with_input(BenchmarkId::new("odeon", n), &n, |b, _| {
            b.iter(|| lagrange_matrices(black_box(&x), black_box(&y)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("product_formula", n), &n, |b, _| {
            b.iter(|| product_formula_lagrange(black_box(&x), black_box(&y)))
        });
    }
    group.finish();
}

fn hermite(c: &mut Criterion) {
    let mut group = c.benchmark_group("hermite_matrices");
    for n in SIZES {
        let x = lgl(n).unwrap().x;
        group.bench_with_input(BenchmarkId::new("odeon", n), &x, |b, x| {
            b.iter(|| hermite_matrices(black_box(x), black_box(x)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("product_formula", n), &x, |b, x| {
            b.iter(|| product_formula_hermite(black_box(x), black_box(x)))
        });
    }
    group.finish();

    // A Gauss–Lobatto segment of order n: values and slopes at the
    // even-index LGL(n) nodes, evaluated at the odd-index ones.
    let mut group = c.benchmark_group("hermite_disc_to_col");
    for n in SIZES.map(|n| n + 1) {
        let t = lgl(n).unwrap().x;
        let disc: Vec<f64> = t.iter().copied().step_by(2).collect();
        let col: Vec<f64> = t.iter().copied().skip(1).step_by(2).collect();
        group.bench_with_input(BenchmarkId::new("odeon", n), &n, |b, _| {
            b.iter(|| hermite_matrices(black_box(&disc), black_box(&col)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("product_formula", n), &n, |b, _| {
            b.iter(|| product_formula_hermite(black_box(&disc), black_box(&col)))
        });
    }
    group.finish();
}

fn nodes_and_integration(c: &mut Criterion) {
    let mut group = c.benchmark_group("nodes");
    for n in [10, 50, 100, 200] {
        group.bench_with_input(BenchmarkId::new("lgl", n), &n, |b, &n| b.iter(|| lgl(black_box(n)).unwrap()));
        group.bench_with_input(BenchmarkId::new("lgr", n), &n, |b, &n| b.iter(|| lgr(black_box(n)).unwrap()));
        group.bench_with_input(BenchmarkId::new("lg", n), &n, |b, &n| b.iter(|| lg(black_box(n)).unwrap()));
    }
    group.finish();

    // The Radau pseudospectral integration matrix (rows at τ₂…τₙ, 1).
    let mut group = c.benchmark_group("integration_matrix");
    for n in SIZES {
        let x = lgr(n).unwrap().x;
        let mut ends = x[1..].to_vec();
        ends.push(1.0);
        group.bench_with_input(BenchmarkId::new("odeon", n), &n, |b, _| {
            b.iter(|| integration_matrix(black_box(&x), black_box(&ends)).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = lagrange, hermite, nodes_and_integration
}
criterion_main!(benches);

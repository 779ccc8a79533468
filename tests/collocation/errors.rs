//! Bad input gives typed errors naming what and where; no input panics.

use nalgebra::DMatrix;
use odeon::Error;
use odeon::collocation::{
    Barycentric, HermiteMatrices, MAX_NODES, Nodes, gauss_integration_matrix, hermite_matrices, integration_matrix,
    lagrange_matrices, lg, lgl, lgr, lgr_with_endpoint, quadrature_weights, radau_integration_matrix,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

#[test]
fn too_few_and_too_many_nodes() {
    let few = |r: Result<Nodes, Error>, n0: usize, m: usize| matches!(r, Err(Error::TooFewNodes { n, min, .. }) if n == n0 && min == m);
    assert!(few(lgl(0), 0, 2));
    assert!(few(lgl(1), 1, 2));
    assert!(few(lgr(0), 0, 1));
    assert!(few(lgr_with_endpoint(0), 0, 1));
    assert!(few(lg(0), 0, 1));
    for r in [lgl(MAX_NODES + 1), lgr(usize::MAX), lg(usize::MAX)] {
        assert!(matches!(r, Err(Error::TooManyNodes { max: MAX_NODES, .. })));
    }
    assert!(matches!(radau_integration_matrix(0), Err(Error::TooFewNodes { .. })));
    assert!(matches!(gauss_integration_matrix(0), Err(Error::TooFewNodes { .. })));
    assert!(matches!(lagrange_matrices(&[], &[0.0]), Err(Error::TooFewNodes { n: 0, .. })));
    assert!(matches!(hermite_matrices(&[], &[0.0]), Err(Error::TooFewNodes { n: 0, .. })));
    assert!(matches!(integration_matrix(&[], &[0.0]), Err(Error::TooFewNodes { n: 0, .. })));
    assert!(matches!(quadrature_weights(&[]), Err(Error::TooFewNodes { n: 0, .. })));
}

#[test]
fn repeated_nodes_name_both_indices() {
    let x = [-1.0, 0.5, 0.0, 0.5];
    let repeated = |e: Error| matches!(e, Error::RepeatedNode { i: 1, j: 3, x } if x == 0.5);
    assert!(repeated(lagrange_matrices(&x, &[0.0]).unwrap_err()));
    assert!(repeated(hermite_matrices(&x, &[0.0]).unwrap_err()));
    assert!(repeated(integration_matrix(&x, &[0.0]).unwrap_err()));
    assert!(repeated(Barycentric::new(&x).unwrap_err()));
}

#[test]
fn non_finite_values_name_the_argument_and_index() {
    let nan_at =
        |e: Error, s: &str, i: usize| matches!(e, Error::NonFiniteNode { set, index, .. } if set == s && index == i);
    let good = [-1.0, 0.0, 1.0];
    let bad = [-1.0, 0.0, f64::NAN];
    let inf = [0.3, f64::NEG_INFINITY];
    assert!(nan_at(lagrange_matrices(&bad, &good).unwrap_err(), "x_disc", 2));
    assert!(nan_at(lagrange_matrices(&good, &inf).unwrap_err(), "x_eval", 1));
    assert!(nan_at(hermite_matrices(&bad, &good).unwrap_err(), "x_given", 2));
    assert!(nan_at(hermite_matrices(&good, &inf).unwrap_err(), "x_eval", 1));
    assert!(nan_at(integration_matrix(&bad, &good).unwrap_err(), "x_nodes", 2));
    assert!(nan_at(integration_matrix(&good, &inf).unwrap_err(), "x_eval", 1));
    assert!(nan_at(Barycentric::new(&bad).unwrap_err(), "x", 2));
    let nodes = lg(2).unwrap();
    assert!(nan_at(nodes.on_interval(f64::NAN, 1.0).unwrap_err(), "interval", 0));
}

#[test]
fn wrong_buffer_shapes_are_reported_and_leave_buffers_untouched() {
    let basis = Barycentric::new(&[-1.0, 0.0, 1.0]).unwrap();
    let x_eval = [0.25, 0.5];
    let mut l = DMatrix::from_element(2, 3, 9.0);
    let mut d = DMatrix::from_element(3, 2, 9.0);
    let err = basis.lagrange_matrices_into(&x_eval, &mut l, &mut d).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { name: "d", expected_rows: 2, expected_cols: 3, rows: 3, cols: 2 }));
    assert!(l.iter().all(|&v| v == 9.0), "l was written before the shape check");
    let mut h = HermiteMatrices::zeros(2, 3);
    h.ad = DMatrix::zeros(2, 2);
    let err = basis.hermite_matrices_into(&x_eval, &mut h).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { name: "ad", .. }));
    let mut a = DMatrix::zeros(1, 3);
    let err = basis.integration_matrix_into(&x_eval, &mut a).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { name: "a", expected_rows: 2, rows: 1, .. }));
    let err = lg(3).unwrap().integrate(&[1.0, 2.0]).unwrap_err();
    assert!(matches!(err, Error::LengthMismatch { name: "values", expected: 3, len: 2 }));
}

#[test]
fn ill_conditioned_node_sets_are_refused() {
    let equispaced: Vec<f64> = (0..3000).map(|i| i as f64).collect();
    assert!(matches!(lagrange_matrices(&equispaced, &[0.5]), Err(Error::WeightsOutOfRange { set: "x_disc", n: 3000 })));
    assert!(matches!(hermite_matrices(&[0.0, 1e-320], &[0.5]), Err(Error::WeightsOutOfRange { set: "x_given", n: 2 })));
    assert!(matches!(
        integration_matrix(&[-f64::MAX, f64::MAX], &[0.0]),
        Err(Error::WeightsOutOfRange { set: "x_nodes", n: 2 })
    ));
}

#[test]
fn errors_read_well() {
    let e = lagrange_matrices(&[0.0, 0.0], &[0.5]).unwrap_err();
    assert_eq!(e.to_string(), "nodes 0 and 1 coincide (x = 0)");
    let e = lagrange_matrices(&[0.0, 1.0], &[f64::NAN]).unwrap_err();
    assert_eq!(e.to_string(), "x_eval[0] = NaN is not finite");
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Nodes>();
    check::<Barycentric>();
    check::<HermiteMatrices>();
    check::<Error>();
}

/// Any f64 at all, with the awkward ones over-represented.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::num::f64::ANY,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE / 4.0),
        Just(f64::MAX),
        -1.0f64..=1.0,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: RngSeed::Fixed(0x0de0), ..ProptestConfig::default() })]

    /// No input makes a builder panic: it returns Ok or a typed Err.
    #[test]
    fn builders_never_panic(
        nodes in prop::collection::vec(any_f64(), 0..8),
        x_eval in prop::collection::vec(any_f64(), 0..5),
        n in 0usize..40,
    ) {
        let _ = lagrange_matrices(&nodes, &x_eval);
        let _ = hermite_matrices(&nodes, &x_eval);
        let _ = integration_matrix(&nodes, &x_eval);
        let _ = quadrature_weights(&nodes);
        let _ = (lgl(n), lgr(n), lg(n), lgr_with_endpoint(n));
        let _ = (radau_integration_matrix(n), gauss_integration_matrix(n));
    }
}

//! odeon's collocation nodes and matrices against dymos 1.15.1.
//!
//! Reference values: `tests/data/collocation/dymos_reference.json`, a copy of
//! the shared `reference/collocation.json` produced by dymos 1.15.1's
//! `dymos.utils` (`lgl`, `lgr`, `lg`, `lagrange_matrices`,
//! `hermite_matrices`) for n = 3, 4, 5, 7, 9, 10, 20. Agreement is required to
//! 1e-12 absolute, scaled by the largest entry when that exceeds 1 (the
//! differentiation matrices grow like n²).

use nalgebra::DMatrix;
use odeon::collocation::{
    Barycentric, HermiteMatrices, hermite_matrices, lagrange_matrices, lg, lgl, lgr, lgr_with_endpoint,
};
use serde_json::Value;

const TOL: f64 = 1e-12;

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/collocation/dymos_reference.json");
    let text = std::fs::read_to_string(path).expect("reference file");
    let data: Value = serde_json::from_str(&quote_numbers(&text)).expect("valid JSON");
    let cases = data["cases"].as_array().expect("cases").clone();
    assert_eq!(cases.len(), 7, "expected the 7 reference cases");
    cases
}

/// Wraps every JSON number in quotes. serde_json without its
/// `float_roundtrip` feature may misround a decimal by one ulp (it does for
/// 4 of the 40 nodes of n = 20), which would perturb the inputs fed to
/// odeon; `str::parse::<f64>` rounds correctly.
fn quote_numbers(text: &str) -> String {
    let mut out = String::with_capacity(2 * text.len());
    let (mut in_string, mut escaped, mut in_number) = (false, false, false);
    for ch in text.chars() {
        if in_string {
            out.push(ch);
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        let starts = ch.is_ascii_digit() || ch == '-';
        let continues = ch.is_ascii_digit() || matches!(ch, '-' | '+' | '.' | 'e' | 'E');
        if !in_number && starts {
            out.push('"');
            in_number = true;
        } else if in_number && !continues {
            out.push('"');
            in_number = false;
        }
        in_string = ch == '"';
        out.push(ch);
    }
    if in_number {
        out.push('"');
    }
    out
}

fn number(v: &Value) -> f64 {
    v.as_str().expect("quoted number").parse().expect("a number")
}

fn count(case: &Value) -> usize {
    number(&case["n"]) as usize
}

fn vector(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(number).collect()
}

fn matrix(v: &Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().expect("rows").iter().map(vector).collect();
    let (nr, nc) = (rows.len(), rows.first().map_or(0, Vec::len));
    DMatrix::from_fn(nr, nc, |i, j| rows[i][j])
}

fn assert_close_vec(what: &str, n: usize, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what} n={n}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= TOL, "{what} n={n} [{i}]: odeon {g:e}, dymos {w:e}");
    }
}

fn assert_close_mat(what: &str, n: usize, got: &DMatrix<f64>, want: &DMatrix<f64>) {
    assert_eq!(got.shape(), want.shape(), "{what} n={n}: shape");
    let tol = TOL * want.amax().max(1.0);
    let err = (got - want).amax();
    assert!(err <= tol, "{what} n={n}: max deviation {err:e} > {tol:e}");
}

#[test]
fn lgl_nodes_and_weights_match_dymos() {
    for case in cases() {
        let n = count(&case);
        let nodes = lgl(n).unwrap();
        assert_close_vec("LGL nodes", n, &nodes.x, &vector(&case["lgl_nodes"]));
        assert_close_vec("LGL weights", n, &nodes.w, &vector(&case["lgl_weights"]));
    }
}

#[test]
fn lgr_nodes_and_weights_match_dymos() {
    for case in cases() {
        let n = count(&case);
        let nodes = lgr(n).unwrap();
        assert_close_vec("LGR nodes", n, &nodes.x, &vector(&case["lgr_nodes"]));
        assert_close_vec("LGR weights", n, &nodes.w, &vector(&case["lgr_weights"]));
        // include_endpoint=True: the same n values, then 1 with weight 0.
        let with_end = lgr_with_endpoint(n).unwrap();
        assert_eq!(&with_end.x[..n], &nodes.x[..]);
        assert_eq!(&with_end.w[..n], &nodes.w[..]);
        assert_eq!((with_end.x[n], with_end.w[n]), (1.0, 0.0));
    }
}

#[test]
fn lg_nodes_and_weights_match_dymos() {
    for case in cases() {
        let n = count(&case);
        let nodes = lg(n).unwrap();
        assert_close_vec("LG nodes", n, &nodes.x, &vector(&case["lg_nodes"]));
        assert_close_vec("LG weights", n, &nodes.w, &vector(&case["lg_weights"]));
    }
}

#[test]
fn lagrange_lgl_to_lg_matches_dymos() {
    for case in cases() {
        let n = count(&case);
        // dymos built these from its own nodes; use them, so that only the
        // matrix construction is compared.
        let disc = vector(&case["lgl_nodes"]);
        let eval = vector(&case["lg_nodes"]);
        let (l, d) = lagrange_matrices(&disc, &eval).unwrap();
        let reference = &case["lagrange_lgl_to_lg"];
        assert_close_mat("Lagrange LGL→LG L", n, &l, &matrix(&reference["L"]));
        assert_close_mat("Lagrange LGL→LG D", n, &d, &matrix(&reference["D"]));
        // And from odeon's own nodes, end to end.
        let (l, d) = lagrange_matrices(&lgl(n).unwrap().x, &lg(n).unwrap().x).unwrap();
        assert_close_mat("Lagrange LGL→LG L (odeon nodes)", n, &l, &matrix(&reference["L"]));
        assert_close_mat("Lagrange LGL→LG D (odeon nodes)", n, &d, &matrix(&reference["D"]));
    }
}

#[test]
fn lagrange_disc_to_col_matches_dymos() {
    let mut seen = 0;
    for case in cases() {
        let n = count(&case);
        let Some(reference) = case.get("lagrange_disc_to_col") else {
            continue;
        };
        let hermite = &case["hermite_disc_to_col"];
        let (disc, col) = (vector(&hermite["disc"]), vector(&hermite["col"]));
        let (l, d) = lagrange_matrices(&disc, &col).unwrap();
        assert_close_mat("Lagrange disc→col L", n, &l, &matrix(&reference["L"]));
        assert_close_mat("Lagrange disc→col D", n, &d, &matrix(&reference["D"]));
        seen += 1;
    }
    assert_eq!(seen, 4, "Gauss–Lobatto orders 3, 5, 7, 9");
}

#[test]
fn hermite_disc_to_col_matches_dymos_for_gauss_lobatto_orders_3_to_9() {
    let mut orders = Vec::new();
    for case in cases() {
        let n = count(&case);
        let Some(reference) = case.get("hermite_disc_to_col") else {
            continue;
        };
        // The state (disc) nodes are the even-index LGL(n) nodes, the
        // collocation nodes the odd-index ones; check odeon's own split too.
        let t = lgl(n).unwrap().x;
        let disc: Vec<f64> = t.iter().copied().step_by(2).collect();
        let col: Vec<f64> = t.iter().copied().skip(1).step_by(2).collect();
        assert_close_vec("disc nodes", n, &disc, &vector(&reference["disc"]));
        assert_close_vec("col nodes", n, &col, &vector(&reference["col"]));
        let h = hermite_matrices(&disc, &col).unwrap();
        assert_close_mat("Hermite Ai", n, &h.ai, &matrix(&reference["Ai"]));
        assert_close_mat("Hermite Bi", n, &h.bi, &matrix(&reference["Bi"]));
        assert_close_mat("Hermite Ad", n, &h.ad, &matrix(&reference["Ad"]));
        assert_close_mat("Hermite Bd", n, &h.bd, &matrix(&reference["Bd"]));
        // The buffer-filling variant writes the same numbers.
        let mut into = HermiteMatrices::zeros(col.len(), disc.len());
        Barycentric::new(&disc).unwrap().hermite_matrices_into(&col, &mut into).unwrap();
        assert_eq!(into, h);
        orders.push(n);
    }
    assert_eq!(orders, vec![3, 5, 7, 9]);
}

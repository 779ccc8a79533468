//! A model built on tables: the F-4 of the minimum time to climb
//! (`problems::MinTimeClimb`, thrust and atmosphere interpolated) against
//! dymos's own model evaluated at ten points.

use odeon::ocp::problems::MinTimeClimb;
use odeon::system::Model;

/// The CSV's columns by name, one row per point.
fn dymos_points() -> (Vec<String>, Vec<Vec<f64>>) {
    let text = include_str!("../data/min_time_climb_dymos_points.csv");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<String> =
        lines.next().unwrap().split(',').map(|c| c.split('[').next().unwrap().to_string()).collect();
    let rows = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    (header, rows)
}

#[test]
fn f4_model_matches_dymos() {
    let f4 = MinTimeClimb::new();
    let (header, rows) = dymos_points();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in &rows {
        let (h, v, gam, m, alpha) = (row[col("h")], row[col("v")], row[col("gam")], row[col("m")], row[col("alpha")]);
        let (rho, sos) = f4.atmosphere(h);
        let mach = f4.mach(h, v);
        let thrust = f4.max_thrust(h, mach);
        let x = nalgebra::SVector::<f64, 5>::new(0.0, h, v, gam, m);
        let mut dx = nalgebra::SVector::<f64, 5>::zeros();
        f4.rhs(0.0, &x, &[alpha.to_radians()], &[], &mut dx);
        let close = |what: &str, got: f64, want: f64, tol: f64| {
            assert!((got - want).abs() <= tol * want.abs().max(1.0), "h = {h}, v = {v}: {what} {got} against {want}");
        };
        // The same tables and interpolants (Akima, natural bicubic) give
        // the same atmosphere and thrust to the unit conversions' digits.
        close("rho", rho, row[col("rho")], 1e-8);
        close("sos", sos, row[col("sos")], 1e-8);
        close("mach", mach, row[col("mach")], 1e-8);
        close("max thrust", thrust / 4.448_221_615_260_5, row[col("max_thrust_lbf")], 1e-8);
        close("dr/dt", dx[0], row[col("r_dot")], 1e-8);
        close("dh/dt", dx[1], row[col("h_dot")], 1e-8);
        close("dv/dt", dx[2], row[col("v_dot")], 1e-7);
        close("dγ/dt", dx[3], row[col("gam_dot")], 1e-7);
        close("dm/dt", dx[4], row[col("m_dot")], 1e-8);
    }
}

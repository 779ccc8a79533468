//! Finite elements: transient heat conduction on quad8 meshes against
//! closed-form steady states, a modal solution (spatial convergence order)
//! and finite differences of the parameter sensitivities.

use num_dual::Dual64;
use odeon::fem::{HeatConduction, Quad8Mesh};
use odeon::{Bdf, Error, Linsolve, OdeSystem, Options, Rodas5P, solve, solve_dual};
use std::f64::consts::PI;

/// A 2 × 1 plate: fixed temperature `t0` on the left, the heat flux `q`
/// through the right edge, top and bottom insulated.
fn plate(nx: usize, ny: usize, t0: f64) -> HeatConduction {
    let mesh = Quad8Mesh::rectangle((0.0, 2.0), (0.0, 1.0), nx, ny).unwrap();
    HeatConduction::builder(mesh).rho_c(2.0).fixed_temperature("left", t0).heat_flux("right").build().unwrap()
}

/// With a fixed temperature on the left and a flux `q` in on the right the
/// transient settles to `u = t0 + q x / κ` (exact in quad8's space), and
/// the dual-number ∂u/∂κ to `−q x / κ²`.
#[test]
fn transient_settles_to_the_linear_steady_state_with_its_sensitivity() {
    let (t0, kappa, q) = (0.5, 1.3, 0.8);
    let heat = plate(6, 3, t0);
    let o = Options::default().rtol(1e-10).atol(1e-12).save_final().linsolve(Linsolve::Sparse);
    each_method!(alg in [Bdf, Rodas5P] {
        let p = [Dual64::from(kappa).derivative(), Dual64::from(q), Dual64::from(0.0)];
        let y0 = vec![Dual64::from(t0); heat.n_states()];
        let sol = solve_dual(&heat, alg, (0.0, 60.0), &y0, &p, &o).unwrap();
        assert!(sol.stats.jac_colors > 0, "{alg}: the sparse path runs");
        let nodal = heat.nodal(sol.last().unwrap().1).unwrap();
        for (u, xy) in nodal.iter().zip(heat.mesh().nodes()) {
            let x = xy[0];
            assert!((u.re - (t0 + q * x / kappa)).abs() < 1e-7, "{alg} at x = {x}: {}", u.re);
            assert!((u.eps + q * x / (kappa * kappa)).abs() < 1e-7, "{alg} at x = {x}: {}", u.eps);
        }
    });
}

/// The sparse path (its iteration matrix `M/c + κK̂` is symmetric positive
/// definite: sparse Cholesky) and the dense LU agree, derivative parts
/// included.
#[test]
fn sparse_cholesky_and_dense_lu_agree() {
    let heat = plate(6, 4, 0.0);
    let o = Options::default().rtol(1e-8).atol(1e-10).save_final();
    let p = [Dual64::from(1.3).derivative(), Dual64::from(0.8), Dual64::from(0.5)];
    let y0 = vec![Dual64::from(0.0); heat.n_states()];
    each_method!(alg in [Bdf, Rodas5P] {
        let end = |ls: Linsolve| solve_dual(&heat, alg, (0.0, 2.0), &y0, &p, &o.clone().linsolve(ls)).unwrap().last().unwrap().1.to_vec();
        let (sparse, dense) = (end(Linsolve::Sparse), end(Linsolve::Dense));
        for (a, b) in sparse.iter().zip(&dense) {
            assert!((a.re - b.re).abs() <= 1e-10 * b.re.abs().max(1.0), "{alg}: {a} vs {b}");
            assert!((a.eps - b.eps).abs() <= 1e-9 * b.eps.abs().max(1.0), "{alg}: {a} vs {b}");
        }
    });
}

/// Fixed 0 at both ends and a uniform source: `u = s x (2 − x) / (2κ)`,
/// quadratic, so exact in quad8's space.
#[test]
fn a_heat_source_settles_to_the_parabola() {
    let mesh = Quad8Mesh::rectangle((0.0, 2.0), (0.0, 1.0), 4, 2).unwrap();
    let heat =
        HeatConduction::builder(mesh).fixed_temperature("left", 0.0).fixed_temperature("right", 0.0).build().unwrap();
    let (kappa, s) = (0.7, 3.0);
    let o = Options::default().rtol(1e-10).atol(1e-12).save_final();
    let y0 = vec![0.0; heat.n_states()];
    let sol = solve(&heat, Bdf, (0.0, 60.0), &y0, &[kappa, 0.0, s], &o).unwrap();
    let nodal = heat.nodal(sol.last().unwrap().1).unwrap();
    for (u, xy) in nodal.iter().zip(heat.mesh().nodes()) {
        let exact = s * xy[0] * (2.0 - xy[0]) / (2.0 * kappa);
        assert!((u - exact).abs() < 1e-8, "x = {}: {u} vs {exact}", xy[0]);
    }
}

/// `u = e^{−2π²κt/ρc} sin πx sin πy` on the unit square with `u = 0` on
/// the boundary: the L² error at t = 0.1 falls as h³ (quad8's order) on
/// meshes of 8², 16² and 32² elements (4² is still pre-asymptotic, 3.45).
#[test]
fn spatial_convergence_is_third_order_in_l2() {
    let (kappa, t_end) = (1.0, 0.1);
    let mode = |xy: [f64; 2]| (PI * xy[0]).sin() * (PI * xy[1]).sin();
    let errors: Vec<f64> = [8, 16, 32]
        .iter()
        .map(|&n| {
            let mesh = Quad8Mesh::rectangle((0.0, 1.0), (0.0, 1.0), n, n).unwrap();
            let mut b = HeatConduction::builder(mesh);
            for side in ["left", "right", "bottom", "top"] {
                b = b.fixed_temperature(side, 0.0);
            }
            let heat = b.build().unwrap();
            let y0 = heat.interpolate(mode);
            let o = Options::default().rtol(1e-11).atol(1e-13).save_final();
            let sol = solve(&heat, Rodas5P, (0.0, t_end), &y0, &[kappa, 0.0, 0.0], &o).unwrap();
            let nodal = heat.nodal(sol.last().unwrap().1).unwrap();
            let decay = (-2.0 * PI * PI * kappa * t_end).exp();
            heat.mesh().l2_error(&nodal, |xy| decay * mode(xy)).unwrap()
        })
        .collect();
    let orders: Vec<f64> = errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
    for &o in &orders {
        assert!((2.8..3.3).contains(&o), "L² errors {errors:?}, orders {orders:?}");
    }
}

/// ∂(temperature at a probe)/∂κ through the whole transient by one dual
/// solve, against Richardson-extrapolated central differences of `f64`
/// solves at a tight tolerance.
#[test]
fn probe_sensitivity_matches_finite_differences() {
    let heat = plate(8, 4, 0.0);
    let probe = heat.probe([1.3, 0.7]).unwrap();
    let times = vec![0.05, 0.2, 0.5, 1.0, 2.0, 4.0];
    let o = Options::default().rtol(1e-12).atol(1e-14).t_eval(times.clone());
    let (kappa, q, s) = (1.3, 0.8, 0.5);
    let y0 = vec![0.0; heat.n_states()];
    each_method!(alg in [Bdf, Rodas5P] {
        let at = |k: f64| -> Vec<f64> {
            let sol = solve(&heat, alg, (0.0, 4.0), &y0, &[k, q, s], &o).unwrap();
            (0..times.len()).map(|i| probe.value(sol.state(i))).collect()
        };
        let p = [Dual64::from(kappa).derivative(), Dual64::from(q), Dual64::from(s)];
        let y0d = vec![Dual64::from(0.0); heat.n_states()];
        let dual = solve_dual(&heat, alg, (0.0, 4.0), &y0d, &p, &o).unwrap();
        let d = 1e-3;
        let central = |h: f64| -> Vec<f64> {
            at(kappa + h).iter().zip(at(kappa - h)).map(|(a, b)| (a - b) / (2.0 * h)).collect()
        };
        let (coarse, fine) = (central(d), central(d / 2.0));
        let fd: Vec<f64> = coarse.iter().zip(&fine).map(|(c, f)| (4.0 * f - c) / 3.0).collect();
        let scale = fd.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(scale > 1e-2, "{alg}: the sensitivity is not trivially small ({scale})");
        for (i, f) in fd.iter().enumerate() {
            let exact = probe.value(dual.state(i)).eps;
            assert!((exact - f).abs() <= 1e-6 * scale, "{alg} t = {}: {exact} vs {f}", times[i]);
        }
    });
}

/// The model (assembled in parallel) does not depend on the thread count.
#[test]
fn assembly_is_thread_count_independent() {
    let build = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| plate(60, 40, 1.0))
    };
    let (one, two) = (build(1), build(2));
    let u: Vec<f64> = (0..one.n_states()).map(|i| (i as f64 * 0.37).sin()).collect();
    let rhs = |h: &HeatConduction| {
        let mut du = nalgebra::DVector::zeros(u.len());
        h.rhs(0.0, &nalgebra::DVector::from_vec(u.clone()), &[1.0, 2.0, 3.0], &mut du);
        du
    };
    assert_eq!(rhs(&one), rhs(&two));
    assert_eq!(one.mass(), two.mass());
}

#[test]
fn bad_boundaries_and_probes_are_errors() {
    let mesh = || Quad8Mesh::rectangle((0.0, 1.0), (0.0, 1.0), 2, 2).unwrap();
    let is_mesh_error = |r: Result<HeatConduction, Error>| matches!(r, Err(Error::InvalidMesh { .. }));
    assert!(is_mesh_error(HeatConduction::builder(mesh()).fixed_temperature("inlet", 0.0).build()));
    assert!(is_mesh_error(HeatConduction::builder(mesh()).heat_flux("outlet").build()));
    assert!(is_mesh_error(HeatConduction::builder(mesh()).fixed_temperature("left", 0.0).heat_flux("left").build()));
    let mut all = HeatConduction::builder(mesh());
    for side in ["left", "right", "bottom", "top"] {
        all = all.fixed_temperature(side, 1.0);
    }
    // Every node of a 2 × 2 mesh's boundary fixed still leaves the centre.
    assert_eq!(all.build().unwrap().n_states(), 5);
    let tiny = Quad8Mesh::rectangle((0.0, 1.0), (0.0, 1.0), 1, 1).unwrap();
    let mut b = HeatConduction::builder(tiny);
    for side in ["left", "right", "bottom", "top"] {
        b = b.fixed_temperature(side, 1.0);
    }
    assert!(is_mesh_error(b.build()));
    assert!(HeatConduction::builder(mesh()).rho_c(0.0).build().is_err());
    assert!(HeatConduction::builder(mesh()).rho_c(f64::NAN).build().is_err());
    assert!(HeatConduction::builder(mesh()).fixed_temperature("left", f64::INFINITY).build().is_err());
    let heat = HeatConduction::builder(mesh()).build().unwrap();
    assert!(heat.probe([1.5, 0.5]).is_err());
    assert!(heat.nodal(&[0.0; 3]).is_err());
    assert!(heat.sample(&[0.0; 3], (4, 4)).is_err());
    let u = vec![0.0; heat.n_states()];
    assert!(heat.sample(&u, (0, 4)).is_err());
    assert!(heat.sample(&u, (usize::MAX, 2)).is_err());
    assert_eq!(heat.sample(&u, (3, 5)).unwrap().values.len(), 15);
    // A NaN conductivity is a typed error from the solver, not a panic.
    let y0 = vec![0.0; heat.n_states()];
    assert!(solve(&heat, Bdf, (0.0, 1.0), &y0, &[f64::NAN, 0.0, 1.0], &Options::default()).is_err());
}

/// Pure Neumann (insulated all round, no fixed temperature): the heat
/// put in by the source stays, `∫ρc u = s · area · t`.
#[test]
fn insulated_plate_conserves_energy() {
    let heat = HeatConduction::builder(Quad8Mesh::rectangle((0.0, 2.0), (0.0, 1.0), 4, 2).unwrap())
        .rho_c(2.0)
        .build()
        .unwrap();
    let y0 = heat.interpolate(|xy| xy[0] * xy[1]);
    let s = 1.5;
    let o = Options::default().rtol(1e-10).atol(1e-12).save_final();
    let sol = solve(&heat, Bdf, (0.0, 3.0), &y0, &[0.4, 0.0, s], &o).unwrap();
    let energy = |u: &[f64]| -> f64 {
        // ∫ρc u = 1ᵀ M u.
        let Some(odeon::integrate::MassMatrix::Sparse(m)) = heat.mass() else { unreachable!() };
        m.iter().map(|&(_, c, v)| v * u[c]).sum()
    };
    let gained = energy(sol.last().unwrap().1) - energy(&y0);
    assert!((gained - s * 2.0 * 3.0).abs() < 1e-8, "{gained}");
}

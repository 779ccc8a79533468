//! Stiffness: explicit methods stop early with a typed error; `Auto`
//! switches to Rodas5P and back, and solves stiff problems to tolerance.

use odeon::models::{Robertson, StiffVanDerPol, VanDerPol};
use odeon::scalar::{Derivatives, InlineDual64};
use odeon::{Auto, Dopri5, Error, Options, Rodas5P, Tsit5, solve, solve_dual};

#[test]
fn explicit_methods_report_stiffness_within_a_few_hundred_steps() {
    let opts = Options::default().rtol(1e-6).atol(1e-10);
    each_method!(m in [Dopri5, Tsit5, Dop853] {
        let e = solve(&Robertson, m, (0.0, 40.0), &Robertson::Y0, &Robertson::PARAMS, &opts).unwrap_err();
        let Error::Stiff { t, method, .. } = &e else { panic!("{m}: {e}") };
        assert_eq!(*method, m.to_string());
        let steps = e.partial().unwrap().stats.accepted + e.partial().unwrap().stats.rejected;
        // Tested every 100th step until one is positive, then every step:
        // 15 positive tests from the first at step 100 (114 measured).
        assert!(steps < 300, "{m}: {steps} steps before giving up");
        assert!(*t > 0.0 && *t < 40.0);
        assert!(e.to_string().contains("Rodas5P"), "the message suggests a stiff method: {e}");
    });
}

#[test]
fn non_stiff_problems_are_not_flagged() {
    // Van der Pol with mu = 1 at loose and tight tolerances; the stiffness
    // test must stay quiet.
    for tol in [1e-3, 1e-6, 1e-10] {
        let opts = Options::default().rtol(tol).atol(tol);
        each_method!(m in [Dopri5, Tsit5, Dop853] {
            solve(&VanDerPol, m, (0.0, 100.0), &[2.0, 0.0], &[1.0], &opts).unwrap_or_else(|e| panic!("{m} at {tol}: {e}"));
        });
    }
}

#[test]
fn detection_can_be_turned_off() {
    let opts = Options::default().detect_stiffness(false).max_steps(3000);
    let e = solve(&Robertson, Dopri5, (0.0, 40.0), &Robertson::Y0, &Robertson::PARAMS, &opts).unwrap_err();
    assert!(matches!(e, Error::MaxStepsExceeded { .. }), "{e}");
}

/// `max_i |y_i − ref_i| / (atol + rtol |ref_i|)`.
fn scaled_error(y: &[f64], reference: &[f64], rtol: f64, atol: f64) -> f64 {
    y.iter().zip(reference).map(|(a, b)| (a - b).abs() / (atol + rtol * b.abs())).fold(0.0, f64::max)
}

#[test]
fn auto_solves_robertson_and_vdpol_to_tolerance() {
    // References: tests/data/stiff_reference.json (scipy Radau at 1e-12).
    let (rtol, atol) = (1e-6, 1e-10);
    let opts = Options::default().rtol(rtol).atol(atol).save_final();
    let rob = solve(&Robertson, Auto, (0.0, 40.0), &Robertson::Y0, &Robertson::PARAMS, &opts).unwrap();
    let want = [0.7158270687194067, 9.185534764557781e-06, 0.2841637457458304];
    assert!(scaled_error(rob.last().unwrap().1, &want, rtol, atol) <= 10.0);
    let s = rob.stats;
    assert!(s.switches >= 1 && s.stiff_steps > 0 && s.stiff_steps < s.accepted, "{s:?}");
    println!(
        "Auto on Robertson: {} Tsit5 steps, {} Rodas5P steps, {} switches",
        s.accepted - s.stiff_steps,
        s.stiff_steps,
        s.switches
    );

    let opts = Options::default().rtol(1e-6).atol(1e-6).save_final();
    let vdp = solve(&StiffVanDerPol, Auto, (0.0, 2.0), &[2.0, -0.66], &StiffVanDerPol::PARAMS, &opts).unwrap();
    let want = [1.7061674375431832, -0.8928100165511125];
    assert!(scaled_error(vdp.last().unwrap().1, &want, 1e-6, 1e-6) <= 10.0);
    let s = vdp.stats;
    assert!(s.stiff_steps > 0, "{s:?}");
    println!(
        "Auto on VDPOL: {} Tsit5 steps, {} Rodas5P steps, {} switches",
        s.accepted - s.stiff_steps,
        s.stiff_steps,
        s.switches
    );
}

#[test]
fn auto_switches_at_tight_tolerances_where_the_stages_hide_stiffness() {
    // At rtol 1e-12 Tsit5 crawls at its stability limit on Robertson while
    // Hairer's estimate from its stages stays below the vote (12,380 Tsit5
    // steps before the plateau check, 251 with it); the check's power
    // iterations find |hλ| at 0.6 of the bound within a few checks.
    let (rtol, atol) = (1e-12, 1e-14);
    let opts = Options::default().rtol(rtol).atol(atol).save_final();
    let rob = solve(&Robertson, Auto, (0.0, 40.0), &Robertson::Y0, &Robertson::PARAMS, &opts).unwrap();
    let s = rob.stats;
    let explicit = s.accepted - s.stiff_steps;
    assert!(s.switches == 1 && explicit < 1000, "{explicit} Tsit5 steps: {s:?}");
    let want = [0.7158270687194067, 9.185534764557781e-06, 0.2841637457458304];
    // The reference is scipy's Radau at 1e-12: its own error bounds this.
    assert!(scaled_error(rob.last().unwrap().1, &want, 1e-10, 1e-14) <= 10.0);
}

#[test]
fn auto_decides_on_real_parts_so_a_dual_solve_takes_the_f64_steps() {
    // At rtol 1e-12 the plateau check decides the switch: the dual solve
    // must make it where the f64 solve does (its primal bit for bit), and
    // its derivatives match central differences of f64 solves.
    let opts = Options::default().rtol(1e-12).atol(1e-14).save_final();
    let span = (0.0, 40.0);
    let f = solve(&Robertson, Auto, span, &Robertson::Y0, &Robertson::PARAMS, &opts).unwrap();
    let p: Vec<InlineDual64<3>> = (0..3)
        .map(|i| {
            InlineDual64::from_parts(Robertson::PARAMS[i], std::array::from_fn(|j| if i == j { 1.0 } else { 0.0 }))
        })
        .collect();
    let y0 = Robertson::Y0.map(InlineDual64::<3>::from);
    let d = solve_dual(&Robertson, Auto, span, &y0, &p, &opts).unwrap();
    assert_eq!((d.stats.accepted, d.stats.switches), (f.stats.accepted, f.stats.switches));
    let (yf, yd) = (f.last().unwrap().1, d.last().unwrap().1);
    assert!(yf.iter().zip(yd).all(|(a, b)| a.to_bits() == b.re.to_bits()));
    for j in 0..3 {
        let end = |scale: f64| {
            let mut p = Robertson::PARAMS;
            p[j] *= scale;
            solve(&Robertson, Auto, span, &Robertson::Y0, &p, &opts).unwrap().last().unwrap().1.to_vec()
        };
        let (up, down, h) = (end(1.0 + 1e-5), end(1.0 - 1e-5), 2e-5 * Robertson::PARAMS[j]);
        for i in 0..3 {
            let fd = (up[i] - down[i]) / h;
            let exact = yd[i].eps_part(j);
            // Measured: 2e-10 to 5e-8 relative.
            assert!((exact - fd).abs() <= 1e-6 * exact.abs(), "∂y{i}/∂k{j}: {exact} vs {fd}");
        }
    }
}

#[test]
fn auto_stays_explicit_on_a_non_stiff_problem_and_matches_tsit5() {
    let opts = Options::default().rtol(1e-8).atol(1e-10);
    let auto = solve(&VanDerPol, Auto, (0.0, 20.0), &[2.0, 0.0], &[1.0], &opts).unwrap();
    let tsit5 = solve(&VanDerPol, Tsit5, (0.0, 20.0), &[2.0, 0.0], &[1.0], &opts).unwrap();
    assert_eq!(auto.stats.switches, 0);
    assert_eq!(auto.y, tsit5.y);
}

#[test]
fn auto_and_rodas5p_agree_with_t_eval_across_switches() {
    let ts: Vec<f64> = (0..=40).map(|i| i as f64).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-12).t_eval(ts.clone());
    let auto = solve(&Robertson, Auto, (0.0, 40.0), &Robertson::Y0, &Robertson::PARAMS, &opts).unwrap();
    let rodas = solve(&Robertson, Rodas5P, (0.0, 40.0), &Robertson::Y0, &Robertson::PARAMS, &opts).unwrap();
    assert_eq!(auto.t, ts);
    for (a, b) in auto.y.iter().zip(&rodas.y) {
        assert!((a - b).abs() <= 1e-6 * b.abs() + 1e-11, "{a} vs {b}");
    }
}

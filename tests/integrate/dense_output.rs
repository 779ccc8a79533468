//! Dense output: values at off-step times converge with the stepper's own
//! order, and saving at `t_eval` does not change the steps taken.

use crate::common::{Forced, slope};
use odeon::Dopri5;
use odeon::integrate::{self, ExplicitRk};
use odeon::models::HarmonicOscillator;
use odeon::{Options, solve};

/// Max error at off-step times (θ = 0.3 and 0.77 inside every step) of
/// fixed-step runs.
fn off_step_errors<M: ExplicitRk>(steps: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let t_end = 2.0;
    let mut hs = Vec::new();
    let mut errs = Vec::new();
    for &n in steps {
        let h = t_end / n as f64;
        let t_eval: Vec<f64> = (0..n).flat_map(|i| [(i as f64 + 0.3) * h, (i as f64 + 0.77) * h]).collect();
        let opts = Options::default().dt(h).t_eval(t_eval.clone());
        let osc =
            integrate::solve_with::<_, M, f64>(&HarmonicOscillator, (0.0, t_end), &[1.0, 0.0], &[1.0], &opts).unwrap();
        let forced = integrate::solve_with::<_, M, f64>(&Forced, (0.0, t_end), &[1.0], &[0.0], &opts).unwrap();
        assert_eq!(osc.t, t_eval);
        let mut e: f64 = 0.0;
        for (i, &t) in t_eval.iter().enumerate() {
            e = e.max((osc.state(i)[0] - t.cos()).abs()).max((osc.state(i)[1] + t.sin()).abs());
            e = e.max((forced.state(i)[0] - Forced::exact(t)).abs());
        }
        hs.push(h);
        errs.push(e);
    }
    (hs, errs)
}

fn check<M: ExplicitRk>(steps: &[usize]) {
    let order = M::TABLEAU.order as f64;
    let (hs, errs) = off_step_errors::<M>(steps);
    let (h, e): (Vec<f64>, Vec<f64>) = hs.iter().zip(&errs).filter(|(_, e)| **e > 3e-14).map(|(h, e)| (*h, *e)).unzip();
    assert!(h.len() >= 3, "{}: {errs:?}", M::TABLEAU.name);
    let s = slope(&h, &e);
    assert!((s - order).abs() <= 0.25, "{}: off-step slope {s:.3}, order {order}; errors {errs:?}", M::TABLEAU.name);
}

#[test]
fn hermite_interpolant_keeps_the_order() {
    check::<integrate::Euler>(&[100, 200, 400, 800]);
    check::<integrate::Heun>(&[50, 100, 200, 400]);
    check::<integrate::Rk4>(&[10, 20, 40, 80, 160]);
    check::<integrate::Bs3>(&[20, 40, 80, 160, 320]);
}

#[test]
fn own_interpolants_keep_the_order() {
    check::<integrate::Dopri5>(&[8, 16, 32, 64, 128]);
    check::<integrate::Tsit5>(&[16, 32, 64, 128]);
    check::<integrate::Dop853>(&[4, 5, 6, 8, 10, 12]);
}

#[test]
fn t_eval_does_not_change_the_steps() {
    each_method!(m in [Bs3, Dopri5, Tsit5, Dop853] {
        let base = Options::default().rtol(1e-8).atol(1e-8);
        let steps = solve(&HarmonicOscillator, m, (0.0, 10.0), &[1.0, 0.0], &[1.0], &base).unwrap();
        let t_eval: Vec<f64> = (0..=1000).map(|i| i as f64 * 0.01).collect();
        let dense =
            solve(&HarmonicOscillator, m, (0.0, 10.0), &[1.0, 0.0], &[1.0], &base.clone().t_eval(t_eval)).unwrap();
        assert_eq!(steps.stats.accepted, dense.stats.accepted, "{m}");
        assert_eq!(steps.stats.rejected, dense.stats.rejected, "{m}");
        assert_eq!(steps.last().unwrap().1, dense.last().unwrap().1, "{m}: same final state");
        // Dense values are as accurate as the steps themselves.
        let err = (0..dense.len()).map(|i| (dense.state(i)[0] - dense.t[i].cos()).abs()).fold(0.0, f64::max);
        assert!(err < 1e-6, "{m}: dense error {err:e}");
    });
}

#[test]
fn t_eval_at_the_ends_is_exact() {
    let opts = Options::default().t_eval(vec![0.0, 0.0, 5.0]);
    let sol = solve(&HarmonicOscillator, Dopri5, (0.0, 5.0), &[1.0, 0.0], &[1.0], &opts).unwrap();
    assert_eq!(sol.t, vec![0.0, 0.0, 5.0]);
    assert_eq!(sol.state(0), &[1.0, 0.0]);
    let full = solve(&HarmonicOscillator, Dopri5, (0.0, 5.0), &[1.0, 0.0], &[1.0], &Options::default()).unwrap();
    assert_eq!(sol.state(2), full.last().unwrap().1);
}

//! One model definition runs with f64, Dual64, DualSVec64<K>, HyperDual64;
//! dual runs take exactly the f64 run's steps; `Const` and `Dyn` sizes run
//! the same arithmetic; backward integration; Send + Sync.

use nalgebra::Const;
use num_dual::{Dual64, DualSVec64, HyperDual64};
use odeon::integrate::{Controller, Integrator, Options as Opts, Save, Solution, Stats, Tolerance};
use odeon::models::{ExponentialDecay, HarmonicOscillator, Lorenz, Lorenz96, LotkaVolterra, VanDerPol};
use odeon::{Dop853, Dopri5, Rk4};
use odeon::{DualScalar, Error, Method, Options, solve, solve_dual};

fn primal_matches<D: DualScalar>(sol: &Solution<D>, reference: &Solution) {
    assert_eq!(sol.t, reference.t);
    assert_eq!(sol.stats, reference.stats);
    let re: Vec<f64> = sol.y.iter().map(|v| v.re()).collect();
    assert_eq!(re, reference.y, "primal parts are bit-identical to the f64 run");
}

#[test]
fn dual_runs_take_the_f64_steps() {
    let opts = Options::default().rtol(1e-7).atol(1e-9);
    let p = LotkaVolterra::PARAMS;
    each_method!(m in [Bs3, Dopri5, Tsit5, Dop853] {
        let base = solve(&LotkaVolterra, m, (0.0, 10.0), &[1.0, 1.0], &p, &opts).unwrap();
        // Dual64: derivative with respect to a.
        let pd: Vec<Dual64> =
            p.iter().enumerate().map(|(i, &v)| Dual64::new(v, if i == 0 { 1.0 } else { 0.0 })).collect();
        let y0 = [Dual64::from(1.0), Dual64::from(1.0)];
        primal_matches(&solve_dual(&LotkaVolterra, m, (0.0, 10.0), &y0, &pd, &opts).unwrap(), &base);
        // DualSVec64<6>: all parameters and initial states at once.
        let seed = |v: f64, i: usize| DualSVec64::<6>::from_re(v).derivative(i);
        let pd: Vec<_> = p.iter().enumerate().map(|(i, &v)| seed(v, i)).collect();
        let y0 = [seed(1.0, 4), seed(1.0, 5)];
        primal_matches(&solve_dual(&LotkaVolterra, m, (0.0, 10.0), &y0, &pd, &opts).unwrap(), &base);
        // HyperDual64: second derivative with respect to a.
        let pd: Vec<HyperDual64> = p
            .iter()
            .enumerate()
            .map(
                |(i, &v)| {
                    if i == 0 { HyperDual64::from_re(v).derivative1().derivative2() } else { HyperDual64::from(v) }
                },
            )
            .collect();
        let y0 = [HyperDual64::from(1.0), HyperDual64::from(1.0)];
        primal_matches(&solve_dual(&LotkaVolterra, m, (0.0, 10.0), &y0, &pd, &opts).unwrap(), &base);
    });
}

#[test]
fn dual_numbers_carry_the_derivative() {
    // y' = -k y: dy(t)/dk = -t y0 exp(-k t), dy(t)/dy0 = exp(-k t).
    let opts = Options::default().rtol(1e-12).atol(1e-14).save_final();
    let k = DualSVec64::<2>::from_re(0.7).derivative(0);
    let y0 = DualSVec64::<2>::from_re(2.0).derivative(1);
    let sol = solve_dual(&ExponentialDecay, Dop853, (0.0, 3.0), &[y0], &[k], &opts).unwrap();
    let y = sol.last().unwrap().1[0];
    let d = y.eps.unwrap_generic(Const::<2>, Const::<1>);
    let e = (-0.7f64 * 3.0).exp();
    assert!((d[0] - (-3.0 * 2.0 * e)).abs() < 1e-10 * 6.0 * e);
    assert!((d[1] - e).abs() < 1e-10 * e);
}

#[test]
fn const_and_dyn_sizes_run_the_same_arithmetic() {
    let dynamic = Lorenz96::new(10).unwrap();
    let fixed = Lorenz96::<Const<10>>::fixed();
    let y0 = dynamic.perturbed_rest(8.0);
    each_method!(m in [Dopri5, Dop853] {
        let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(vec![0.5, 1.0, 2.0]);
        let a = solve(&dynamic, m, (0.0, 2.0), &y0, &[8.0], &opts).unwrap();
        let b = solve(&fixed, m, (0.0, 2.0), &y0, &[8.0], &opts).unwrap();
        assert_eq!(a, b, "{m}");
    });
    assert!(matches!(Lorenz96::new(3), Err(Error::InvalidOption { name: "n", .. })));
}

#[test]
fn backward_integration_returns_to_the_start() {
    let opts = Options::default().rtol(1e-10).atol(1e-12);
    each_method!(m in [Dopri5, Tsit5, Dop853] {
        let fwd: Solution = solve(&VanDerPol, m, (0.0, 5.0), &[2.0, 0.0], &[1.0], &opts).unwrap();
        let y5 = fwd.last().unwrap().1.to_vec();
        let t_eval = vec![5.0, 2.5, 0.0];
        let back = solve(&VanDerPol, m, (5.0, 0.0), &y5, &[1.0], &opts.clone().t_eval(t_eval.clone())).unwrap();
        assert_eq!(back.t, t_eval);
        assert!((back.state(2)[0] - 2.0).abs() < 1e-7 && back.state(2)[1].abs() < 1e-7, "{m}: {:?}", back.state(2));
    });
    // Fixed steps backward.
    let sol = solve(
        &HarmonicOscillator,
        Rk4,
        (1.0, 0.0),
        &[1.0f64.cos(), -1.0f64.sin()],
        &[1.0],
        &Options::default().dt(0.01),
    )
    .unwrap();
    assert_eq!(sol.stats.accepted, 100);
    assert!((sol.last().unwrap().1[0] - 1.0).abs() < 1e-9);
}

#[test]
fn empty_span_returns_the_initial_state() {
    let sol = solve(&Lorenz, Dopri5, (1.0, 1.0), &[1.0, 2.0, 3.0], &Lorenz::PARAMS, &Options::default()).unwrap();
    assert_eq!(sol.t, vec![1.0]);
    assert_eq!(sol.y, vec![1.0, 2.0, 3.0]);
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Solution>();
    check::<Solution<DualSVec64<4>>>();
    check::<Stats>();
    check::<Opts>();
    check::<Save>();
    check::<Tolerance>();
    check::<Controller>();
    check::<Method>();
    check::<Error>();
    check::<Integrator<'static, VanDerPol, odeon::integrate::Dopri5, f64>>();
    check::<Integrator<'static, Lorenz96, odeon::integrate::Dop853, DualSVec64<3>>>();
    check::<Lorenz96>();
    check::<VanDerPol>();
}

//! Known-time stops: doses on schedules (periodic, at a parameter's
//! time), piecewise-constant inputs and `tstops`, against closed forms.

use nalgebra::{Const, SVector};
use num_dual::Dual64;
use odeon::events::{Action, Cause, Quantity, Schedule};
use odeon::integrate::Save;
use odeon::{Bdf, Dopri5, DualScalar, Error, Kvaerno5, OdeSystem, Options, Rodas5P, Tsit5, solve, solve_dual};

/// One-compartment bolus: `c' = −k c`, `p = [k, dose]`; a dose every
/// 24 h from t = 0, the last dose time a parameter in `p[2]`.
struct Bolus {
    doses: usize,
}

impl OdeSystem for Bolus {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        2
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = -p[0] * y[0];
    }
    fn schedule(&self) -> Schedule {
        Schedule::new().every(0.0, 24.0, self.doses, Action::Add { component: 0, amount: Quantity::Param(1) })
    }
}

#[test]
fn doses_on_a_schedule_match_the_analytic_solution() {
    let (k, dose) = (0.1, 100.0);
    let doses = 30;
    let t_eval: Vec<f64> = (0..doses).map(|j| 24.0 * j as f64).collect();
    let opts = Options::default().rtol(1e-12).atol(1e-12).t_eval(t_eval.clone());
    let check = |sol: odeon::Solution, name: &str| {
        // Just after dose j: dose · Σ_{i ≤ j} exp(−k·24·(j − i)).
        for (j, &t) in t_eval.iter().enumerate() {
            let want: f64 = (0..=j).map(|i| dose * (-k * 24.0 * (j - i) as f64).exp()).sum();
            let got = sol.state(j)[0];
            assert_eq!(sol.t[j], t);
            assert!((got - want).abs() < 1e-9, "{name}: dose {j}: {got} vs {want}");
        }
        assert_eq!(sol.events.len(), doses, "{name}");
    };
    let bolus = Bolus { doses };
    check(solve(&bolus, Dopri5, (0.0, 24.0 * doses as f64), &[0.0], &[k, dose], &opts).unwrap(), "Dopri5");
    check(solve(&bolus, Rodas5P, (0.0, 24.0 * doses as f64), &[0.0], &[k, dose], &opts).unwrap(), "Rodas5P");
    check(solve(&bolus, Bdf, (0.0, 24.0 * doses as f64), &[0.0], &[k, dose], &opts).unwrap(), "BDF");
    // No step straddles a dose: every dose time is a step end.
    let sol = solve(&bolus, Dopri5, (0.0, 720.0), &[0.0], &[k, dose], &Options::default()).unwrap();
    for j in 1..doses {
        let t = 24.0 * j as f64;
        let rows: Vec<usize> = (0..sol.len()).filter(|&i| sol.t[i] == t).collect();
        assert_eq!(rows.len(), 2, "dose {j}: rows before and after");
        assert!((sol.state(rows[1])[0] - sol.state(rows[0])[0] - dose).abs() < 1e-12);
        assert!(sol.t.windows(2).all(|w| !(w[0] < t && t < w[1])));
    }
}

/// One dose of `p[1]` at the time `p[2]`, elimination `p[0]`.
struct TimedDose;

impl OdeSystem for TimedDose {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        3
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = -p[0] * y[0];
    }
    fn schedule(&self) -> Schedule {
        Schedule::new().at_param(2, Action::Add { component: 0, amount: Quantity::Param(1) })
    }
}

#[test]
fn a_dose_time_estimated_as_a_parameter_has_exact_derivatives() {
    // c(T) = c0 e^{−kT} + dose e^{−k(T − τ)}: ∂c/∂τ = k·dose·e^{−k(T−τ)}.
    let (k, dose, tau, c0, big_t) = (0.3, 50.0, 2.0, 10.0, 5.0);
    let opts = Options::default().rtol(1e-12).atol(1e-12).save_final();
    let p = [Dual64::from(k), Dual64::from(dose), Dual64::new(tau, 1.0)];
    for sol in [
        solve_dual(&TimedDose, Tsit5, (0.0, big_t), &[Dual64::from(c0)], &p, &opts).unwrap(),
        solve_dual(&TimedDose, Kvaerno5, (0.0, big_t), &[Dual64::from(c0)], &p, &opts).unwrap(),
    ] {
        let c = sol.last().unwrap().1[0];
        let want = c0 * (-k * big_t).exp() + dose * (-k * (big_t - tau)).exp();
        assert!((c.re - want).abs() < 1e-9);
        let d_want = k * dose * (-k * (big_t - tau)).exp();
        assert!((c.eps - d_want).abs() < 1e-8, "{} vs {d_want}", c.eps);
        assert_eq!(sol.events[0].t.eps, 1.0);
    }
}

/// An infusion: `c' = u − k c`, the rate `u` a state the schedule
/// switches (5 from t = 2 to t = 4), `p = [k]`.
struct Infusion;

impl OdeSystem for Infusion {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 2>, p: &[D], dy: &mut SVector<D, 2>) {
        dy[0] = y[1] - p[0] * y[0];
        dy[1] = D::from(0.0);
    }
    fn schedule(&self) -> Schedule {
        Schedule::new().piecewise_constant(1, &[2.0, 4.0], &[5.0, 0.0])
    }
}

#[test]
fn a_piecewise_constant_input_switches_exactly() {
    let k = 0.7;
    let t_eval: Vec<f64> = (0..=60).map(|i| 0.1 * i as f64).collect();
    let opts = Options::default().rtol(1e-11).atol(1e-12).t_eval(t_eval.clone());
    let sol = solve(&Infusion, Rodas5P, (0.0, 6.0), &[0.0, 0.0], &[k], &opts).unwrap();
    let c4 = 5.0 / k * (1.0 - (-2.0 * k).exp());
    for (i, &t) in t_eval.iter().enumerate() {
        let want = match t {
            t if t <= 2.0 => 0.0,
            t if t <= 4.0 => 5.0 / k * (1.0 - (-k * (t - 2.0)).exp()),
            t => c4 * (-k * (t - 4.0)).exp(),
        };
        assert!((sol.state(i)[0] - want).abs() < 1e-9, "t = {t}: {} vs {want}", sol.state(i)[0]);
    }
    assert_eq!(sol.events.len(), 2);
    assert_eq!((sol.events[0].y_after[1], sol.events[1].y_after[1]), (5.0, 0.0));
}

#[test]
fn tstops_are_landed_on() {
    let opts = Options::default().tstops(vec![0.3, 1.7]);
    let sol = solve(&Infusion, Tsit5, (0.0, 2.0), &[1.0, 0.0], &[0.5], &opts.clone().save_final()).unwrap();
    // The options' stops count after the schedule's two (at 2 and 4).
    let causes: Vec<Cause> = sol.events.iter().map(|e| e.cause).collect();
    assert_eq!(causes, vec![Cause::Stop(2), Cause::Stop(3), Cause::Stop(0)]);
    let sol = solve(&Infusion, Tsit5, (0.0, 2.0), &[1.0, 0.0], &[0.5], &Options { save: Save::Steps, ..opts }).unwrap();
    assert!(sol.t.contains(&0.3) && sol.t.contains(&1.7));
    let bad = Options::default().tstops(vec![3.0]);
    let err = solve(&Infusion, Tsit5, (0.0, 2.0), &[1.0, 0.0], &[0.5], &bad).unwrap_err();
    assert!(matches!(err, Error::InvalidOption { name: "tstops", .. }), "{err}");
}

/// A bolus every `period` (a model field), `count` times.
struct Series {
    period: f64,
    count: usize,
}

impl OdeSystem for Series {
    type Dim = Const<1>;
    fn dim(&self) -> Const<1> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &SVector<D, 1>, _p: &[D], dy: &mut SVector<D, 1>) {
        dy[0] = -y[0];
    }
    fn schedule(&self) -> Schedule {
        Schedule::new().every(0.5, self.period, self.count, Action::Add { component: 0, amount: Quantity::Value(1.0) })
    }
}

#[test]
fn schedules_are_bounded_and_checked() {
    let opts = Options::default();
    // Only the doses inside the span are expanded: a long series is cheap.
    let sol = solve(&Series { period: 1.0, count: usize::MAX }, Tsit5, (0.0, 10.0), &[0.0], &[], &opts).unwrap();
    assert_eq!(sol.events.len(), 10); // 0.5, 1.5, …, 9.5
    // Too many inside the span, a period that does not move: typed errors.
    let dense = Series { period: 1e-9, count: usize::MAX };
    let err = solve(&dense, Tsit5, (0.0, 10.0), &[0.0], &[], &opts).unwrap_err();
    assert!(matches!(err, Error::InvalidOption { name: "schedule", .. }), "{err}");
    for period in [0.0, -1.0, f64::NAN] {
        let err = solve(&Series { period, count: 3 }, Tsit5, (0.0, 10.0), &[0.0], &[], &opts).unwrap_err();
        assert!(matches!(err, Error::InvalidOption { name: "schedule", .. }), "{err}");
    }
}

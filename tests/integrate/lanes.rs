//! Samples solved in lanes (`solve_lanes`) against the same samples solved
//! one by one: bit-identical solutions, statistics and errors, for every
//! lane count and explicit method, failures included.

use num_dual::Dual64;
use odeon::Model;
use odeon::ensemble::{Dist, Independent, SampleRng, Sampler};
use odeon::integrate::{Algorithm, Dop853, Dopri5, ExplicitRk, Tsit5, Unbatched, solve_dual, solve_lanes};
use odeon::models::VanDerPol;
use odeon::prelude::*;

/// The peers' W4 inputs: x0 ~ U(1, 3), v0 = 0, mu ~ U(0.5, 2).
fn w4(n: u64) -> Vec<(Vec<f64>, Vec<f64>)> {
    let sampler = Independent::new(
        vec![Dist::Uniform { low: 1.0, high: 3.0 }, Dist::Fixed(0.0)],
        vec![Dist::Uniform { low: 0.5, high: 2.0 }],
    )
    .unwrap();
    (0..n)
        .map(|i| {
            let d = sampler.sample(i, &mut SampleRng::for_sample(42, i));
            (d.y0, d.p)
        })
        .collect()
}

/// A solve's outcome as text: equal text, equal bits (floats print as
/// their shortest round trip; errors with their partial solutions).
fn text<T: std::fmt::Debug>(r: Result<&Solution<T>, &Error>) -> String {
    format!("{r:?}")
}

/// Every sample through `solve_lanes` with `L` lanes equals its solve
/// alone; returns the number of failed samples.
fn same_as_alone<S, M, T, const L: usize>(
    system: &S,
    t_span: (f64, f64),
    opts: &Options,
    inputs: &[(Vec<T>, Vec<T>)],
) -> usize
where
    S: Model<Dim = Const<2>>,
    M: ExplicitRk + Default,
    T: DualScalar,
{
    let mut got = vec![None; inputs.len()];
    let input = |k: usize| (&inputs[k].0[..], &inputs[k].1[..]);
    solve_lanes::<S, M, T, L>(system, t_span, opts, inputs.len(), &input, &mut |k, r| {
        assert!(got[k].is_none(), "sample {k} twice");
        got[k] = Some(text(r.as_ref().map(|s| *s)));
    })
    .unwrap();
    let mut failed = 0;
    for (k, (y0, p)) in inputs.iter().enumerate() {
        let alone = M::default().solve_dual(system, t_span, y0, p, opts);
        failed += usize::from(alone.is_err());
        assert_eq!(got[k].as_deref(), Some(text(alone.as_ref()).as_str()), "sample {k}, {L} lanes");
    }
    failed
}

fn all_lane_counts<M: ExplicitRk + Default>(opts: &Options, inputs: &[(Vec<f64>, Vec<f64>)]) -> usize {
    let failed = same_as_alone::<_, M, f64, 1>(&VanDerPol, (0.0, 20.0), opts, inputs);
    assert_eq!(same_as_alone::<_, M, f64, 2>(&VanDerPol, (0.0, 20.0), opts, inputs), failed);
    assert_eq!(same_as_alone::<_, M, f64, 4>(&VanDerPol, (0.0, 20.0), opts, inputs), failed);
    assert_eq!(same_as_alone::<_, M, f64, 8>(&VanDerPol, (0.0, 20.0), opts, inputs), failed);
    failed
}

#[test]
fn ten_thousand_w4_samples_are_bit_identical_in_every_lane_count() {
    let inputs = w4(10_000);
    let opts = Options::default().rtol(1e-6).atol(1e-6).save_final();
    assert_eq!(all_lane_counts::<Dopri5>(&opts, &inputs), 0);
    // Saved trajectories, by each method's continuous extension.
    let opts = opts.t_eval(vec![0.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0, 17.5, 20.0]);
    assert_eq!(all_lane_counts::<Dopri5>(&opts, &inputs[..3000]), 0);
    assert_eq!(all_lane_counts::<Tsit5>(&opts, &inputs[..3000]), 0);
    assert_eq!(all_lane_counts::<Dop853>(&opts.clone().rtol(1e-9).atol(1e-9), &inputs[..3000]), 0);
}

#[test]
fn failing_samples_fail_as_alone_and_their_lanes_are_refilled() {
    let mut inputs = w4(400);
    // Bad inputs (refused before the first step) and a few samples too
    // long for the step limit (ended with their partial solution).
    inputs[3].1[0] = f64::NAN;
    inputs[10].0 = vec![1.0];
    for k in [50, 51, 52, 53, 54, 55, 56, 57, 58, 399] {
        inputs[k].1[0] = 400.0;
    }
    let opts = Options::default().rtol(1e-6).atol(1e-6).max_steps(2000);
    let failed = all_lane_counts::<Tsit5>(&opts, &inputs);
    assert_eq!(failed, 12, "2 bad inputs and 10 stiff samples");
    // Stiff samples end with the stiffness test's error as alone.
    let opts = Options::default().rtol(1e-6).atol(1e-6).save_final();
    assert!(all_lane_counts::<Dopri5>(&opts, &inputs) >= 10);
}

/// y' = p y²: blows up at t = 1/(p y0) inside the span for p y0 > 1/2.
struct BlowUp;

impl OdeSystem for BlowUp {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &State<D, Const<2>>, p: &[D], dydt: &mut State<D, Const<2>>) {
        dydt[0] = p[0] * y[0] * y[0];
        dydt[1] = -y[1];
    }
}

#[test]
fn blow_ups_fail_in_lanes_as_alone() {
    let inputs: Vec<(Vec<f64>, Vec<f64>)> = (0..64).map(|k| (vec![1.0, 1.0], vec![0.05 * k as f64])).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(vec![0.5, 1.0, 2.0]);
    let failed = same_as_alone::<_, Dopri5, f64, 4>(&BlowUp, (0.0, 2.0), &opts, &inputs);
    assert_eq!(failed, 53, "p = 0.05 k > 1/2 blows up at t = 1/p < 2");
}

#[test]
fn dual_numbers_in_lanes_give_the_sensitivities_of_alone() {
    let seeded: Vec<(Vec<Dual64>, Vec<Dual64>)> = w4(200)
        .into_iter()
        .map(|(y0, p)| (y0.into_iter().map(Dual64::from).collect(), vec![Dual64::from(p[0]).derivative()]))
        .collect();
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(vec![5.0, 10.0, 20.0]);
    same_as_alone::<_, Dopri5, Dual64, 4>(&VanDerPol, (0.0, 20.0), &opts, &seeded);
    // With the derivatives in the error norm, and a method that evaluates
    // f(t1, y1) for its stiffness test.
    let sens = opts.clone().sensitivity_error_control(true);
    same_as_alone::<_, Dopri5, Dual64, 8>(&VanDerPol, (0.0, 20.0), &sens, &seeded);
    same_as_alone::<_, Dop853, Dual64, 2>(&VanDerPol, (0.0, 20.0), &sens, &seeded);
    // And they are derivatives: against a central difference of the f64 solve.
    let (y0, p) = (&[2.0, 0.0], 1.3);
    let alone = solve_dual(
        &VanDerPol,
        Dopri5,
        (0.0, 5.0),
        &[Dual64::from(2.0), Dual64::from(0.0)],
        &[Dual64::from(p).derivative()],
        &opts.clone().rtol(1e-12).atol(1e-12).save_final(),
    )
    .unwrap();
    let f = |m: f64| {
        odeon::solve(&VanDerPol, Dopri5, (0.0, 5.0), y0, &[m], &opts.clone().rtol(1e-12).atol(1e-12).save_final())
            .unwrap()
            .last()
            .unwrap()
            .1[0]
    };
    let fd = (f(p + 1e-5) - f(p - 1e-5)) / 2e-5;
    assert!((alone.last().unwrap().1[0].eps - fd).abs() < 1e-6 * fd.abs().max(1.0));
}

/// x' = −sign(x): a branch on the state's value.
struct Relay;

impl OdeSystem for Relay {
    type Dim = Const<2>;
    fn dim(&self) -> Const<2> {
        Const
    }
    fn n_params(&self) -> usize {
        0
    }
    fn rhs<D: DualScalar>(&self, _t: D, y: &State<D, Const<2>>, _p: &[D], dydt: &mut State<D, Const<2>>) {
        dydt[0] = if y[0].re() > 0.0 { D::from(-1.0) } else { D::from(1.0) };
        dydt[1] = y[0];
    }
}

#[test]
fn a_branch_the_lanes_disagree_on_leaves_the_unfinished_samples() {
    let inputs: Vec<(Vec<f64>, Vec<f64>)> = (0..20).map(|k| (vec![k as f64 - 9.5, 0.0], vec![])).collect();
    let input = |k: usize| (&inputs[k].0[..], &inputs[k].1[..]);
    let opts = Options::default().save_final();
    let mut done = Vec::new();
    let r = solve_lanes::<_, Dopri5, f64, 4>(&Relay, (0.0, 1.0), &opts, 20, &input, &mut |k, _| done.push(k));
    let Err(Unbatched::Diverged(left)) = r else { panic!("the relay branches differently per lane: {r:?}") };
    let mut all: Vec<usize> = done.iter().chain(&left).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..20).collect::<Vec<_>>(), "every sample is either done or left");
    // With one lane nothing can disagree (the two samples that reach the
    // switch chatter there and fail, alone too).
    assert_eq!(same_as_alone::<_, Dopri5, f64, 1>(&Relay, (0.0, 1.0), &opts, &inputs), 2);
}

#[test]
fn what_lanes_do_not_do_is_left_to_the_one_sample_path() {
    let inputs = w4(4);
    let input = |k: usize| (&inputs[k].0[..], &inputs[k].1[..]);
    let run = |opts: &Options, span| {
        solve_lanes::<_, Dopri5, f64, 4>(&VanDerPol, span, opts, 4, &input, &mut |_, _| panic!("nothing is solved"))
    };
    let opts = Options::default();
    assert_eq!(run(&opts.clone().tstops(vec![1.0]), (0.0, 2.0)), Err(Unbatched::Unsupported));
    assert_eq!(run(&opts, (1.0, 1.0)), Err(Unbatched::Unsupported));
    assert_eq!(run(&opts.clone().rtol(-1.0), (0.0, 1.0)), Err(Unbatched::Unsupported));
}

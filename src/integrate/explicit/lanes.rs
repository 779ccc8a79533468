//! The explicit stepper over `L` samples at once (see [`solve_lanes`]).
//!
//! Each lane is a [`Core`] of its own — its time, step size, controller
//! memory, accept/reject, dense output, stiffness test and statistics —
//! driven by the same code as the one-sample [`Integrator`](super::Integrator);
//! only the stages' right-hand sides are evaluated together, once per
//! stage for all lanes, with the [`Lanes`] scalar. A lane whose sample
//! ends (or fails) takes the next sample at once, so lanes never wait for
//! each other. Every sample's result therefore has the bits of its
//! one-sample solve.

use super::shared::{Core, Verdict, combine};
use super::{begin, ensure_fnew, interpolate, prepare_k0};
use crate::integrate::driver::Saver;
use crate::integrate::options::Settings;
use crate::integrate::stepper::{check_inputs, zeros};
use crate::integrate::tableau::ExplicitRk;
use crate::integrate::{Options, Stats};
use crate::scalar::{Lanes, check_divergence};
use crate::{DualScalar, Error, Model, Solution, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};

/// Why [`solve_lanes`] left samples to the one-sample path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unbatched {
    /// The model or the options need what lanes do not do: events or
    /// stops, `tstops`, inputs, a mass matrix, an empty time span, or
    /// options a one-sample solve refuses (its error is the answer).
    Unsupported,
    /// Lanes disagreed on a branch in the model (see [`Lanes`]); the
    /// samples listed were not finished.
    Diverged(Vec<usize>),
}

/// One sample in one lane.
struct Lane<'o, M, T, N>
where
    T: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    c: Core<M, T, N>,
    p: Vec<T>,
    sol: Solution<T>,
    saver: Saver<'o>,
    /// The sample in the lane (`None`: free).
    sample: Option<usize>,
    /// The trial step of this round, if the lane takes one.
    trial: Option<(f64, bool)>,
    state: State<T, N>,
    row: Vec<T>,
}

/// Solve samples `0..n` of `system` with the explicit method `M`, `L` at
/// a time, and hand each result to `sink` as it is done (in any order):
/// the same [`Solution`] (statistics included) or the same error (with the
/// same partial solution) as [`solve_dual`](crate::integrate::solve_dual)
/// with `M` gives for that sample alone. `input(k)` gives sample `k`'s
/// initial state and parameters.
///
/// # Errors
/// [`Unbatched`] names the samples not done: all of them when the model
/// or the options need the one-sample path, the unfinished ones when the
/// model branched differently in different lanes.
///
/// # Example
/// ```
/// use odeon::integrate::{Dopri5, solve_lanes, solve};
/// use odeon::{models::VanDerPol, Options};
///
/// let mu = [0.5, 1.0, 1.5, 2.0, 2.5];
/// let opts = Options::default().rtol(1e-6).atol(1e-6).save_final();
/// let mut out = vec![None; mu.len()];
/// let y0 = [2.0, 0.0];
/// let ps: Vec<[f64; 1]> = mu.iter().map(|&m| [m]).collect();
/// solve_lanes::<_, Dopri5, f64, 4>(&VanDerPol, (0.0, 10.0), &opts, mu.len(), &|k| (&y0[..], &ps[k][..]), &mut |k, r| {
///     out[k] = Some(r.map(|sol| sol.clone()))
/// })
/// .unwrap();
/// for (k, r) in out.into_iter().enumerate() {
///     let alone = solve(&VanDerPol, Dopri5, (0.0, 10.0), &y0, &ps[k], &opts)?;
///     assert_eq!(r.unwrap()?, alone); // bit for bit
/// }
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn solve_lanes<'i, S, M, T, const L: usize>(
    system: &S,
    t_span: (f64, f64),
    options: &Options,
    n: usize,
    input: &dyn Fn(usize) -> (&'i [T], &'i [T]),
    sink: &mut dyn FnMut(usize, Result<&Solution<T>, Error>),
) -> Result<(), Unbatched>
where
    S: Model,
    M: ExplicitRk,
    T: DualScalar + 'i,
    DefaultAllocator: Allocator<S::Dim>,
{
    let Some(set) = settings::<S, M>(system, t_span, options) else {
        return Err(Unbatched::Unsupported);
    };
    let mut run = Run::<S, M, T, L> {
        system,
        t_span,
        options,
        lanes: std::array::from_fn(|_| Lane {
            c: Core::new(set.clone(), system.dim(), t_span, &vec![T::from(0.0); system.dim().value()]),
            p: Vec::with_capacity(system.n_params()),
            sol: Solution::new(system.dim().value()),
            saver: Saver::new(&options.save, t_span),
            sample: None,
            trial: None,
            state: zeros(system.dim()),
            row: vec![T::from(0.0); system.dim().value()],
        }),
        ys: zeros(system.dim()),
        ks: zeros(system.dim()),
        ps: vec![Lanes::splat(T::from(0.0)); system.n_params()],
    };
    let mut next = 0;
    loop {
        for l in 0..L {
            next = run.next_trial(l, next, n, input, sink);
        }
        let Some(rep) = run.lanes.iter().position(|lane| lane.trial.is_some()) else {
            return Ok(());
        };
        if run.stages(rep) {
            let mut left: Vec<usize> = run.lanes.iter().filter_map(|lane| lane.sample).collect();
            left.extend(next..n);
            left.sort_unstable();
            return Err(Unbatched::Diverged(left));
        }
        for l in 0..L {
            run.judge(l, sink);
        }
    }
}

/// The settings every sample's solve would use, or `None` where the
/// one-sample path must run (see [`Unbatched::Unsupported`]).
fn settings<S: Model, M: ExplicitRk>(system: &S, t_span: (f64, f64), o: &Options) -> Option<Settings> {
    let simple = system.n_inputs() == 0
        && system.events().is_empty()
        && system.schedule().stops().is_empty()
        && system.mass().is_none()
        && o.tstops.is_empty()
        && (1..=1000).contains(&o.event_samples)
        && t_span.0 != t_span.1
        && o.check_t_eval(t_span.0, t_span.1).is_ok();
    let tab = &M::TABLEAU;
    let adaptive = tab.error.controller_order().is_some();
    let span = (t_span.1 - t_span.0).abs();
    simple.then(|| Settings::new(o, system.dim().value(), span, tab.controller, adaptive).ok()).flatten()
}

struct Run<'a, 'o, S, M, T, const L: usize>
where
    S: Model,
    T: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    system: &'a S,
    t_span: (f64, f64),
    options: &'o Options,
    lanes: [Lane<'o, M, T, S::Dim>; L],
    /// The stage's states, times and parameters of all lanes, and its
    /// right-hand sides.
    ys: State<Lanes<T, L>, S::Dim>,
    ks: State<Lanes<T, L>, S::Dim>,
    ps: Vec<Lanes<T, L>>,
}

impl<'o, S, M, T, const L: usize> Run<'_, 'o, S, M, T, L>
where
    S: Model,
    M: ExplicitRk,
    T: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    /// Give lane `l` its trial step for this round: finish its sample if it
    /// has reached the end, start samples from `next` while it is free,
    /// and return the next sample not started.
    fn next_trial<'i>(
        &mut self,
        l: usize,
        mut next: usize,
        n: usize,
        input: &dyn Fn(usize) -> (&'i [T], &'i [T]),
        sink: &mut dyn FnMut(usize, Result<&Solution<T>, Error>),
    ) -> usize
    where
        T: 'i,
    {
        let system = self.system;
        let lane = &mut self.lanes[l];
        lane.trial = None;
        loop {
            let Some(k) = lane.sample else {
                if next == n {
                    return next;
                }
                let (y0, p) = input(next);
                if let Err(e) = lane.start(system, self.t_span, self.options, next, y0, p) {
                    sink(next, Err(e));
                } else {
                    for (lanes, v) in self.ps.iter_mut().zip(&lane.p) {
                        lanes.0[l] = *v;
                    }
                }
                next += 1;
                continue;
            };
            let c = &mut lane.c;
            if c.clock.t == c.clock.t_end {
                match lane.saver.finish(&mut lane.sol, c.clock.t, c.y.as_slice()) {
                    Ok(()) => {
                        lane.sol.stats = c.stats;
                        sink(k, Ok(&lane.sol));
                        lane.sample = None;
                    }
                    Err(e) => lane.fail(e, sink),
                }
                continue;
            }
            prepare_k0(c, system, &lane.p);
            match c.trial() {
                Ok(trial) => {
                    lane.trial = Some(trial);
                    return next;
                }
                Err(e) => lane.fail(e, sink),
            }
        }
    }

    /// Evaluate stages 2…s and the trial states of every lane with a trial
    /// step, the right-hand sides of all lanes in one call per stage
    /// (lanes without one compute lane `rep`'s stage again, which is not
    /// used). `true`: the lanes' branches diverged.
    fn stages(&mut self, rep: usize) -> bool {
        let tab = &M::TABLEAU;
        let s = Core::<M, T, S::Dim>::STAGES;
        let src: [usize; L] = std::array::from_fn(|l| if self.lanes[l].trial.is_some() { l } else { rep });
        for l in 0..L {
            if src[l] != l {
                for v in self.ps.iter_mut() {
                    v.0[l] = v.0[rep];
                }
            }
        }
        // Unrolled, as the one-sample stepper's stages: every tableau entry a
        // compile-time constant.
        let ((), diverged) = check_divergence(|| {
            macro_rules! stage {
                ($($j:literal)+) => {$(
                    if $j < s {
                        self.stage($j, &src);
                    }
                )+};
            }
            const { assert!(Core::<M, T, S::Dim>::STAGES <= 16, "the stepper unrolls at most 16 stages") };
            stage!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        });
        if diverged {
            return true;
        }
        for lane in self.lanes.iter_mut() {
            let Some((h, _)) = lane.trial else { continue };
            let c = &mut lane.c;
            c.stats.rhs_evals += s - 1;
            if !tab.fsal {
                combine(&mut c.y_new, &c.y, h, tab.b, &c.k[..s]);
            }
        }
        false
    }

    /// Stage `j` of every lane with a trial step: the stage's states, then
    /// one right-hand side for all lanes (lane `l` computes lane
    /// `src[l]`'s).
    #[inline(always)]
    fn stage(&mut self, j: usize, src: &[usize; L]) {
        let tab = &M::TABLEAU;
        let to_new = tab.fsal && j == Core::<M, T, S::Dim>::STAGES - 1;
        let n = self.system.dim().value();
        let mut t = [T::from(0.0); L];
        for (l, lane) in self.lanes.iter_mut().enumerate() {
            let Some((h, _)) = lane.trial else { continue };
            let c = &mut lane.c;
            let (done, _) = c.k.split_at_mut(j);
            let target = if to_new { &mut c.y_new } else { &mut c.y_stage };
            combine(target, &c.y, h, tab.a[j], done);
            t[l] = T::from(c.clock.t + tab.c[j] * h);
        }
        for (l, &from) in src.iter().enumerate() {
            let c = &self.lanes[from].c;
            let target = if to_new { &c.y_new } else { &c.y_stage };
            for i in 0..n {
                self.ys[i].0[l] = target[i];
            }
            t[l] = t[from];
        }
        self.system.rhs(Lanes(t), &self.ys, &[], &self.ps, &mut self.ks);
        for (l, lane) in self.lanes.iter_mut().enumerate() {
            if lane.trial.is_some() {
                let k = &mut lane.c.k[j];
                for i in 0..n {
                    k[i] = self.ks[i].0[l];
                }
            }
        }
    }

    /// Accept or reject lane `l`'s trial step, and save what the step
    /// gives.
    fn judge(&mut self, l: usize, sink: &mut dyn FnMut(usize, Result<&Solution<T>, Error>)) {
        let system = self.system;
        let lane = &mut self.lanes[l];
        let Some((h, last)) = lane.trial else { return };
        let c = &mut lane.c;
        let judged = c.judge(h, last).and_then(|verdict| match verdict {
            Verdict::Retry => Ok(false),
            Verdict::Accepted => Ok(true),
            Verdict::TestStiffness(test) => {
                ensure_fnew(c, system, &lane.p);
                c.test_stiffness(test, h).map(|()| true)
            }
        });
        let saved = judged.and_then(|accepted| if accepted { lane.save_step(system) } else { Ok(()) });
        if let Err(e) = saved {
            lane.fail(e, sink);
        }
    }
}

impl<'o, M, T, N> Lane<'o, M, T, N>
where
    M: ExplicitRk,
    T: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    /// Take sample `k`: check its inputs, evaluate `f` at the start and
    /// choose the first step, as a one-sample solve does.
    fn start<S: Model<Dim = N>>(
        &mut self,
        system: &S,
        t_span: (f64, f64),
        options: &'o Options,
        k: usize,
        y0: &[T],
        p: &[T],
    ) -> Result<(), Error> {
        check_inputs(t_span, y0, p, system.dim().value(), system.n_params())?;
        self.c.y.as_mut_slice().copy_from_slice(y0);
        self.c.stats = Stats::default();
        self.p.clear();
        self.p.extend_from_slice(p);
        begin(&mut self.c, system, &self.p, t_span.0, t_span.1)?;
        let sol = &mut self.sol;
        (sol.t.clear(), sol.y.clear(), sol.events.clear());
        sol.stats = Stats::default();
        self.saver = Saver::new(&options.save, t_span);
        let y = self.c.y.as_slice();
        self.saver.step_end(sol, t_span.0, y);
        self.saver.at_time(sol, t_span.0, y);
        self.sample = Some(k);
        Ok(())
    }

    /// Save what an accepted step gives: the `t_eval` points in it (from
    /// its continuous extension) and its end.
    fn save_step<S: Model<Dim = N>>(&mut self, system: &S) -> Result<(), Error> {
        let (c, p, state) = (&mut self.c, &self.p, &mut self.state);
        let b = c.clock.t;
        let mut dense = |t: f64, out: &mut [T]| {
            interpolate(c, system, p, t, state)?;
            out.copy_from_slice(state.as_slice());
            Ok(())
        };
        self.saver.until(&mut self.sol, &mut dense, b, true, &mut self.row)?;
        self.saver.step_end(&mut self.sol, b, self.c.y.as_slice());
        Ok(())
    }

    /// End the lane's sample with `e` and what it saved.
    fn fail(&mut self, e: Error, sink: &mut dyn FnMut(usize, Result<&Solution<T>, Error>)) {
        if let Some(k) = self.sample.take() {
            self.sol.stats = self.c.stats;
            sink(k, Err(e.with_partial(self.sol.primal())));
        }
        self.trial = None;
    }
}

//! The explicit stepper over `L` samples at once (see [`solve_lanes`]).
//!
//! The states and stages are held as structure of arrays — one [`Lanes`]
//! value per component — so the stages' combinations and the model's
//! right-hand side run for all lanes at once. Each lane keeps its own
//! clock (time, step size, controller memory), accept/reject, stiffness
//! count and statistics. The error norms, the checks of the accepted
//! states and the stiffness estimates run for all lanes at once, with the
//! one-sample stepper's own functions over lane values ([`error_estimate`],
//! [`stiffness_sums`]); each lane's controller runs the one-sample
//! [`trial`] and [`control`]. A sample starts, and its `t_eval` points are
//! interpolated, in a one-sample [`Core`]. A lane whose sample ends (or
//! fails) takes the next sample at once, so lanes never wait for each
//! other. Every sample's result has the bits of its one-sample solve.

use super::shared::{
    Core, StiffnessCount, combine, control, controller_q, error_estimate, error_norm, stage_slices, stiffness_rho,
    stiffness_sums, trial,
};
use crate::integrate::controller::Clock;
use crate::integrate::driver::Saver;
use crate::integrate::options::Settings;
use crate::integrate::stepper::{check_accepted, check_inputs, sound, zeros};
use crate::integrate::tableau::ExplicitRk;
use crate::integrate::{Options, Save, Stats};
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

/// Solve samples `0..n` of `system` with the explicit method `M`, `L` at
/// a time, and hand each result to `sink` as it is done (in any order):
/// the same [`Solution`] (statistics included) or the same error (with the
/// same partial solution) as [`solve_dual`](crate::integrate::solve_dual)
/// with `M` gives for that sample alone. `input(k)` gives sample `k`'s
/// initial state and parameters.
///
/// Speed: the stages, the right-hand side, the error norms and the checks
/// run for all lanes at once, each lane's controller after the other;
/// measured on 10,000 Van der Pol samples it is 2.1–2.4× one-by-one solves
/// at 4 and 8 lanes (`docs/benchmarks.md`, section 5), not yet the 3.4–4×
/// a loop written for lanes by hand reaches.
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
    sink: &mut LaneSink<'_, T>,
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
    let mut run = Run::<S, M, T, L>::new(system, t_span, options, set);
    let mut next = 0;
    loop {
        // Only lanes that are free or have reached the end need `fill`.
        let free: [bool; L] = std::array::from_fn(|l| run.sample[l].is_none() | run.at_end(l));
        if free.contains(&true) {
            for l in (0..L).filter(|&l| free[l]) {
                next = run.fill(l, next, n, input, sink);
            }
            if run.sample.iter().all(Option::is_none) {
                return Ok(());
            }
        }
        // A diverged evaluation ends the round before its values are used.
        let diverged = run.prepare_k0() || {
            for l in 0..L {
                run.trial(l, sink);
            }
            run.on.contains(&true) && (run.stages() || run.judge(sink))
        };
        if diverged {
            let mut left: Vec<usize> = run.sample.iter().filter_map(|k| *k).collect();
            left.extend(next..n);
            left.sort_unstable();
            return Err(Unbatched::Diverged(left));
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

/// A state of `L` lanes.
type LaneState<T, N, const L: usize> = State<Lanes<T, L>, N>;

/// Where [`solve_lanes`] hands each sample's result: its index and its
/// solution or error.
pub type LaneSink<'s, T> = dyn FnMut(usize, Result<&Solution<T>, Error>) + 's;

struct Run<'a, 'o, S, M, T, const L: usize>
where
    S: Model,
    T: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    system: &'a S,
    t_span: (f64, f64),
    options: &'o Options,
    set: Settings,
    /// A one-sample stepper: starts samples and interpolates inside a
    /// lane's step, with the one-sample code.
    one: Core<M, T, S::Dim>,
    // Each lane's step control and bookkeeping.
    clock: [Clock; L],
    stats: [Stats; L],
    nonfinite: [Option<usize>; L],
    stiffness: [StiffnessCount; L],
    /// `k[0]` holds `f(t, y)` (else it is taken from `k[FNEW]` if `fnew`,
    /// or evaluated).
    k0: [bool; L],
    /// `k[FNEW]` holds `f` at the end of the last accepted step.
    fnew: [bool; L],
    sample: [Option<usize>; L],
    /// The lanes with a trial step this round, the step (0 elsewhere) and
    /// whether it ends the span.
    on: [bool; L],
    h: [f64; L],
    last: [bool; L],
    sol: [Solution<T>; L],
    saver: [Saver<'o>; L],
    /// Whether accepted steps may save anything (not only the final state).
    saves_steps: bool,
    // The lanes' states, stages and parameters, structure of arrays.
    y: LaneState<T, S::Dim, L>,
    y_new: LaneState<T, S::Dim, L>,
    y_stage: LaneState<T, S::Dim, L>,
    k: Vec<LaneState<T, S::Dim, L>>,
    tmp: LaneState<T, S::Dim, L>,
    ps: Vec<Lanes<T, L>>,
    /// One lane's parameters, read out for its continuous extension.
    p_row: Vec<T>,
    row: Vec<T>,
    state: State<T, S::Dim>,
}

impl<'a, 'o, S, M, T, const L: usize> Run<'a, 'o, S, M, T, L>
where
    S: Model,
    M: ExplicitRk,
    T: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    const STAGES: usize = Core::<M, T, S::Dim>::STAGES;
    const FNEW: usize = Core::<M, T, S::Dim>::FNEW;

    fn new(system: &'a S, t_span: (f64, f64), options: &'o Options, set: Settings) -> Self {
        let (dim, n) = (system.dim(), system.dim().value());
        let zero = T::from(0.0);
        Run {
            system,
            t_span,
            options,
            one: Core::new(set.clone(), dim, t_span, &vec![zero; n]),
            set,
            clock: [Clock::new(t_span); L],
            stats: [Stats::default(); L],
            nonfinite: [None; L],
            stiffness: [StiffnessCount::default(); L],
            k0: [false; L],
            fnew: [false; L],
            sample: [None; L],
            on: [false; L],
            h: [0.0; L],
            last: [false; L],
            sol: std::array::from_fn(|_| Solution::new(n)),
            saver: std::array::from_fn(|_| Saver::new(&options.save, t_span)),
            saves_steps: !matches!(options.save, Save::Final),
            y: zeros(dim),
            y_new: zeros(dim),
            y_stage: zeros(dim),
            k: (0..=Self::FNEW).map(|_| zeros(dim)).collect(),
            tmp: zeros(dim),
            ps: vec![Lanes::splat(zero); system.n_params()],
            p_row: vec![zero; system.n_params()],
            row: vec![zero; n],
            state: zeros(dim),
        }
    }

    /// Whether lane `l` has reached the end of the span.
    #[inline(always)]
    fn at_end(&self, l: usize) -> bool {
        self.clock[l].t == self.clock[l].t_end
    }

    /// Finish lane `l`'s sample if it has reached the end, and start
    /// samples from `next` while the lane is free; the next sample not
    /// started.
    fn fill<'i>(
        &mut self,
        l: usize,
        mut next: usize,
        n: usize,
        input: &dyn Fn(usize) -> (&'i [T], &'i [T]),
        sink: &mut LaneSink<'_, T>,
    ) -> usize
    where
        T: 'i,
    {
        loop {
            match self.sample[l] {
                Some(k) if self.at_end(l) => {
                    lane_row(&self.y, l, &mut self.row);
                    match self.saver[l].finish(&mut self.sol[l], self.clock[l].t, &self.row) {
                        Ok(()) => {
                            self.sol[l].stats = self.stats[l];
                            sink(k, Ok(&self.sol[l]));
                            self.sample[l] = None;
                        }
                        Err(e) => self.fail(l, e, sink),
                    }
                }
                Some(_) => return next,
                None if next == n => return next,
                None => {
                    let (y0, p) = input(next);
                    match self.start(l, y0, p) {
                        Ok(()) => self.sample[l] = Some(next),
                        Err(e) => sink(next, Err(e)),
                    }
                    next += 1;
                }
            }
        }
    }

    /// Start a sample in lane `l`: check its inputs, evaluate `f` at the
    /// start and choose the first step in the one-sample stepper, as a
    /// one-sample solve does, and take its state over.
    fn start(&mut self, l: usize, y0: &[T], p: &[T]) -> Result<(), Error> {
        let (system, t_span, one) = (self.system, self.t_span, &mut self.one);
        check_inputs(t_span, y0, p, self.y.len(), system.n_params())?;
        one.y.as_mut_slice().copy_from_slice(y0);
        one.stats = Stats::default();
        one.begin(system, p, t_span.0, t_span.1)?;
        for (v, x) in self.ps.iter_mut().zip(p) {
            v.0[l] = *x;
        }
        set_lane(&mut self.y, l, one.y.as_slice());
        set_lane(&mut self.k[0], l, one.k[0].as_slice());
        (self.clock[l], self.stats[l]) = (one.clock, one.stats);
        (self.nonfinite[l], self.stiffness[l]) = (None, StiffnessCount::default());
        (self.k0[l], self.fnew[l]) = (true, false);
        let sol = &mut self.sol[l];
        sol.t.clear();
        sol.y.clear();
        sol.events.clear();
        sol.stats = Stats::default();
        self.saver[l] = Saver::new(&self.options.save, t_span);
        self.saver[l].step_end(sol, t_span.0, y0);
        self.saver[l].at_time(sol, t_span.0, y0);
        Ok(())
    }

    /// `f(t, y)` into `k[0]` of every lane about to step: the last step's
    /// `f(t1, y1)` where at hand, else evaluated. `true`: the lanes'
    /// branches diverged.
    fn prepare_k0(&mut self) -> bool {
        let mut copy = [false; L];
        let mut eval = [false; L];
        for l in 0..L {
            if self.sample[l].is_some() && !self.k0[l] {
                (copy[l], eval[l]) = (self.fnew[l], !self.fnew[l]);
                (self.k0[l], self.fnew[l]) = (true, false);
            }
        }
        if copy.contains(&true) {
            // `k[FNEW]` is stale from here on (`fnew` cleared above).
            let (k0, rest) = self.k.split_at_mut(1);
            take_lanes(&mut k0[0], &mut rest[Self::FNEW - 1], &copy);
        }
        self.eval_here(0, &eval, false)
    }

    /// `f(t, y)` of the lanes in `which` at their current time into stage
    /// slot `slot` (`at_new`: at `y_new`), counted; one call for all
    /// lanes, the others' values not taken. `true`: the branches diverged.
    fn eval_here(&mut self, slot: usize, which: &[bool; L], at_new: bool) -> bool {
        if !which.contains(&true) {
            return false;
        }
        let t = Lanes(std::array::from_fn(|l| T::from(self.clock[l].t)));
        let y = if at_new { &self.y_new } else { &self.y };
        let (system, ps, out) = (self.system, &self.ps, &mut self.tmp);
        let ((), diverged) = check_divergence(|| system.rhs(t, y, &[], ps, out));
        take_lanes(&mut self.k[slot], &mut self.tmp, which);
        for l in (0..L).filter(|&l| which[l]) {
            self.stats[l].rhs_evals += 1;
        }
        diverged
    }

    /// Lane `l`'s trial step for this round, if it has a sample (a lane
    /// that cannot take one ends its sample with the error).
    fn trial(&mut self, l: usize, sink: &mut LaneSink<'_, T>) {
        (self.on[l], self.h[l]) = (false, 0.0);
        if self.sample[l].is_none() {
            return;
        }
        match trial(&self.set, &mut self.clock[l], &self.stats[l], self.nonfinite[l]) {
            Ok((h, last)) => (self.on[l], self.h[l], self.last[l]) = (true, h, last),
            Err(e) => self.fail(l, e, sink),
        }
    }

    /// Evaluate stages 2…s and the trial states of all lanes (lanes
    /// without a trial step compute with `h = 0`; their values are not
    /// used). `true`: the lanes' branches diverged.
    fn stages(&mut self) -> bool {
        let s = Self::STAGES;
        let h = self.h;
        // Unrolled, as the one-sample stepper's stages: every tableau entry
        // a compile-time constant.
        let ((), diverged) = check_divergence(|| {
            macro_rules! stage {
                ($($j:literal)+) => {$(
                    if $j < s {
                        self.stage($j, &h);
                    }
                )+};
            }
            const { assert!(Core::<M, T, S::Dim>::STAGES <= 16, "the stepper unrolls at most 16 stages") };
            stage!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
            if !M::TABLEAU.fsal {
                combine(&mut self.y_new, &self.y, h, M::TABLEAU.b, &self.k[..s]);
            }
        });
        for l in 0..L {
            self.stats[l].rhs_evals += if self.on[l] { s - 1 } else { 0 };
        }
        diverged
    }

    #[inline(always)]
    fn stage(&mut self, j: usize, h: &[f64; L]) {
        let tab = &M::TABLEAU;
        let to_new = tab.fsal && j == Self::STAGES - 1;
        let (done, rest) = self.k.split_at_mut(j);
        let target = if to_new { &mut self.y_new } else { &mut self.y_stage };
        combine(target, &self.y, *h, tab.a[j], done);
        let t = Lanes(std::array::from_fn(|l| T::from(self.clock[l].t + tab.c[j] * h[l])));
        self.system.rhs(t, target, &[], &self.ps, &mut rest[0]);
    }

    /// Accept or reject each lane's trial step, run the stiffness test
    /// and save what accepted steps give. `true`: the lanes' branches
    /// diverged.
    fn judge(&mut self, sink: &mut LaneSink<'_, T>) -> bool {
        let (err, finite) = self.error_norms();
        // The controller's logarithms and exponentials for all lanes at once.
        let ln_err_prev = std::array::from_fn(|l| self.clock[l].ln_err_prev());
        let powers = self.set.controller.powers_lanes(err.0, ln_err_prev, controller_q::<M>());
        let mut accepted = [false; L];
        let mut test = [false; L];
        for l in 0..L {
            if !self.on[l] {
                continue;
            }
            let (h, last) = (self.h[l], self.last[l]);
            // A lane whose norm is not finite finds its component alone.
            let (norm, powers) =
                if finite[l] { ((err.0[l], None), Some(powers[l])) } else { (self.error_norm(l, h), None) };
            let (clock, stats, nonfinite) = (&mut self.clock[l], &mut self.stats[l], &mut self.nonfinite[l]);
            match control::<M>(&self.set, clock, stats, nonfinite, h, last, norm, powers) {
                Ok(None) => {}
                Ok(Some(stage_done)) => {
                    accepted[l] = true;
                    test[l] = stage_done
                        && M::STIFFNESS.is_some()
                        && self.stiffness[l].due(&self.set, self.stats[l].accepted);
                    (self.k0[l], self.fnew[l]) = (false, M::TABLEAU.fsal);
                }
                Err(e) => self.fail(l, e, sink),
            }
        }
        // The accepted states checked for all lanes at once; a lane that
        // fails is read out and checked alone for its error.
        let sound = self.sound();
        for l in 0..L {
            if !accepted[l] || sound[l] {
                continue;
            }
            lane_row(&self.y_new, l, &mut self.row);
            if let Err(e) = check_accepted(self.clock[l].t, &self.row) {
                (accepted[l], test[l]) = (false, false);
                self.fail(l, e, sink);
            }
        }
        if self.test_stiffness(&test, &mut accepted, sink) {
            return true;
        }
        let saves = self.saves_steps;
        for (l, accepted) in accepted.iter_mut().enumerate().filter(|_| saves) {
            if !*accepted || !self.saver[l].due(self.clock[l].t) {
                continue;
            }
            if let Err(e) = self.save_step(l) {
                *accepted = false;
                self.fail(l, e, sink);
            }
        }
        // The trial states are not read again before the next stages
        // overwrite them.
        take_lanes(&mut self.y, &mut self.y_new, &accepted);
        false
    }

    /// The error norms of all lanes' trial steps (lanes without one give
    /// a value not used), and which lanes' norms and trial states are
    /// finite.
    fn error_norms(&self) -> (Lanes<f64, L>, [bool; L]) {
        let n = self.y.len();
        let h = Lanes(self.h);
        let ks = stage_slices(&self.k, Self::STAGES, n);
        let (y, y1) = (&self.y.as_slice()[..n], &self.y_new.as_slice()[..n]);
        let part = |v: &Lanes<T, L>, part: Option<usize>| {
            Lanes(std::array::from_fn(|l| part.map_or_else(|| v.0[l].re(), |d| v.0[l].eps_part(d))))
        };
        let err = error_estimate::<M, _, Lanes<f64, L>>(&self.set, h, &ks, y, y1, T::N_EPS, part);
        let mut finite: [bool; L] = err.0.map(f64::is_finite);
        for v in y1 {
            for (f, x) in finite.iter_mut().zip(&v.0) {
                *f &= x.re().is_finite();
            }
        }
        (err, finite)
    }

    /// Lane `l`'s error norm and first non-finite component, alone.
    fn error_norm(&self, l: usize, h: f64) -> (f64, Option<usize>) {
        let n = self.y.len();
        let ks = stage_slices(&self.k, Self::STAGES, n);
        let (y, y1) = (&self.y.as_slice()[..n], &self.y_new.as_slice()[..n]);
        error_norm::<M, T, _>(&self.set, h, &ks, y, y1, |v: &Lanes<T, L>| v.0[l])
    }

    /// Which lanes' trial states pass [`check_accepted`].
    fn sound(&self) -> [bool; L] {
        let mut ok = [true; L];
        for v in &self.y_new.as_slice()[..self.y.len()] {
            for (ok, x) in ok.iter_mut().zip(&v.0) {
                *ok &= sound(x);
            }
        }
        ok
    }

    /// Hairer's stiffness test for the lanes in `test` (accepted steps),
    /// with `f(t1, y1)` evaluated for all that lack it in one call; a lane
    /// found stiff ends its sample. `true`: the branches diverged.
    fn test_stiffness(&mut self, test: &[bool; L], accepted: &mut [bool; L], sink: &mut LaneSink<'_, T>) -> bool {
        let Some(st) = M::STIFFNESS else { return false };
        if !test.contains(&true) {
            return false;
        }
        let need: [bool; L] = std::array::from_fn(|l| test[l] && !self.fnew[l]);
        if self.eval_here(Self::FNEW, &need, true) {
            return true;
        }
        let n = self.y.len();
        let f = (&self.k[Self::FNEW].as_slice()[..n], &self.k[st.stage].as_slice()[..n]);
        let ys = (&self.y_new.as_slice()[..n], &self.y_stage.as_slice()[..n]);
        let re = |v: &Lanes<T, L>| Lanes(std::array::from_fn(|l| v.0[l].re()));
        let (num, den): (Lanes<f64, L>, _) = stiffness_sums(&self.set, f, ys, re);
        let h = Lanes(self.h);
        let rho = stiffness_rho(h, (num, den));
        for l in (0..L).filter(|&l| test[l]) {
            self.fnew[l] = true;
            let (h, rho) = (h.0[l], (den.0[l] > 0.0).then_some(rho.0[l]));
            if let Err(e) = self.stiffness[l].record::<M>(rho, st, &self.set, self.clock[l].t, h) {
                accepted[l] = false;
                self.fail(l, e, sink);
            }
        }
        false
    }

    /// Save what lane `l`'s accepted step gives (the `t_eval` points in it,
    /// by the one-sample stepper's continuous extension, and its end).
    fn save_step(&mut self, l: usize) -> Result<(), Error> {
        let b = self.clock[l].t;
        let mut loaded = false;
        let (one, system, p, state) = (&mut self.one, self.system, &mut self.p_row, &mut self.state);
        let ps = &self.ps;
        let (y, y_new, k, clock, fnew) = (&self.y, &self.y_new, &self.k, &self.clock[l], self.fnew[l]);
        let mut dense = |t: f64, out: &mut [T]| {
            if !loaded {
                // The step as the one-sample stepper holds it once accepted.
                lane_into(&mut one.y, y_new, l);
                lane_into(&mut one.y_new, y, l);
                for (kj, lanes) in one.k.iter_mut().zip(k) {
                    lane_into(kj, lanes, l);
                }
                (one.clock, one.stats) = (*clock, Stats::default());
                (one.k0_ready, one.fnew_ready, one.dense_ready) = (false, fnew, false);
                for (x, v) in p.iter_mut().zip(ps) {
                    *x = v.0[l];
                }
                loaded = true;
            }
            one.interpolate(system, p, t, state)?;
            out.copy_from_slice(state.as_slice());
            Ok(())
        };
        let saved = self.saver[l].until(&mut self.sol[l], &mut dense, b, true, &mut self.row);
        if loaded {
            // The continuous extension's right-hand sides, and `f(t1, y1)`
            // for the next step if it evaluated it.
            self.stats[l].rhs_evals += self.one.stats.rhs_evals;
            if self.one.fnew_ready && !self.fnew[l] {
                set_lane(&mut self.k[Self::FNEW], l, self.one.k[Self::FNEW].as_slice());
                self.fnew[l] = true;
            }
        }
        saved?;
        lane_row(&self.y_new, l, &mut self.row);
        self.saver[l].step_end(&mut self.sol[l], b, &self.row);
        Ok(())
    }

    /// End lane `l`'s sample with `e` and what it saved.
    fn fail(&mut self, l: usize, e: Error, sink: &mut LaneSink<'_, T>) {
        if let Some(k) = self.sample[l].take() {
            self.sol[l].stats = self.stats[l];
            sink(k, Err(e.with_partial(self.sol[l].primal())));
        }
        self.on[l] = false;
    }
}

/// Lane `l` of a lane state into `row`.
fn lane_row<T: DualScalar, N: Dim, const L: usize>(x: &LaneState<T, N, L>, l: usize, row: &mut [T])
where
    DefaultAllocator: Allocator<N>,
{
    for (r, v) in row.iter_mut().zip(x.iter()) {
        *r = v.0[l];
    }
}

/// Lane `l` of a lane state into a one-sample state.
fn lane_into<T: DualScalar, N: Dim, const L: usize>(out: &mut State<T, N>, x: &LaneState<T, N, L>, l: usize)
where
    DefaultAllocator: Allocator<N>,
{
    lane_row(x, l, out.as_mut_slice());
}

/// Lane `l` of a lane state set from `v`.
fn set_lane<T: DualScalar, N: Dim, const L: usize>(x: &mut LaneState<T, N, L>, l: usize, v: &[T])
where
    DefaultAllocator: Allocator<N>,
{
    for (lanes, v) in x.iter_mut().zip(v) {
        lanes.0[l] = *v;
    }
}

/// `x`'s lanes in `which` set from `v`'s; `v` is scratch afterwards (where
/// every lane is taken, the two swap: the common round, in which every
/// lane accepted its step).
#[inline(always)]
fn take_lanes<T: DualScalar, N: Dim, const L: usize>(
    x: &mut LaneState<T, N, L>,
    v: &mut LaneState<T, N, L>,
    which: &[bool; L],
) where
    DefaultAllocator: Allocator<N>,
{
    if *which == [true; L] {
        std::mem::swap(x, v);
        return;
    }
    let n = x.len();
    for (x, v) in x.as_mut_slice()[..n].iter_mut().zip(&v.as_slice()[..n]) {
        *x = Lanes(std::array::from_fn(|l| if which[l] { v.0[l] } else { x.0[l] }));
    }
}

//! How a solve finds and handles a model's events and stops.
//!
//! **Finding a root.** After each accepted step `[a, b]` each event
//! function's value and rate `dg/dt` (a one-direction dual along `f`) at
//! `b` are compared with those at `a`: if every function keeps its sign
//! and the cubic Hermite model of `g` from these values and rates stays
//! on that side (its interior extrema at least a quarter of the larger end
//! value away from zero), the step has no root and costs nothing more.
//! Otherwise (and on the first step, after a restart or an event) the
//! functions are evaluated on the method's continuous extension at the
//! ends of [`Options::event_samples`] equal sub-intervals (4 by default,
//! so a function that crosses zero and back inside one step is still
//! seen if the excursion spans a sample). A sign change that the event's
//! [`Direction`] counts is bracketed between two samples and refined on
//! the same continuous extension by the Illinois variant of regula falsi
//! (with a bisection every fourth iteration) until the bracket is no
//! wider than `100·ε·(|t| + |b − a|)` (SUNDIALS' root tolerance): the
//! event time is the bracket's end where the function has left its old
//! sign (reached zero or passed it). Only real parts decide, so a
//! dual-number solve finds the same events at the same times as the
//! `f64` solve.
//!
//! **After a root.** The model's [`reset`](crate::OdeSystem::reset) runs
//! (every event, with or without a change); if it changed the state the
//! solution gets two rows at the event time (before and after, with
//! `Save::Steps`; a `t_eval` point at the event time gets the state
//! after) and the method restarts there ([`Stepper::restart`](super::Stepper::restart): FSAL
//! stage, controller memory, Jacobian and BDF history dropped, a new
//! first step). An event whose function sits exactly at zero after its
//! reset is not armed again until the function is seen away from zero.
//! A terminal event ends the solve at the event time.
//!
//! **Stops** ([`Schedule`] and
//! [`Options::tstops`]) are never stepped across: each is the end of a
//! segment the method integrates to exactly; its action applies there
//! and the method restarts.
//!
//! **Derivatives.** With dual numbers, an event's time gets its
//! derivatives from the implicit function theorem, `τ_p = −(g_y·s⁻ +
//! g_p)/(g_y·f⁻ + g_t)` (the numerator from `g` evaluated with the
//! solve's duals at the root, the denominator with a one-direction dual
//! in time), a stop's time from its parameter; and the state jumps as
//! `s⁺ = R_y·s⁻ + R_p + (R_y·f⁻ + R_t − f⁺)·τ_p` (Fröhlich et al.,
//! *Bioinformatics* 33, 2017), obtained by evaluating the reset with
//! dual numbers at the state moved along `f⁻` by `τ_p`, and moving the
//! result back along `f⁺`. An event whose rate `g_y·f⁻ + g_t` vanishes
//! (grazing) has no such derivative: [`Error::GrazingEvent`]. First
//! derivatives only: second-order dual numbers through an event whose time
//! moves are an [`Error::InvalidEvent`].
//!
//! **Limits.** Events at more than [`ZENO_EVENTS`] distinct times within
//! `1e-6` of the span's length are [`Error::Zeno`]; more than [`Options::max_events`] in
//! all, [`Error::TooManyEvents`].

mod screen;
mod stops;

use super::driver::{Saver, Steps};
use super::stepper::check_accepted;
use super::{Options, Solution};
use crate::events::{Action, Cause, Direction, Event, EventRecord, Schedule};
use crate::{DualScalar, Error, Model, State};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;
use num_dual::Dual64;

/// Event times within `1e-6` of the span's length that count as accumulating.
pub const ZENO_EVENTS: usize = 10;
const ZENO_WINDOW: f64 = 1e-6;
const ROOT_TOL: f64 = 100.0 * f64::EPSILON;
/// `dg/dt` at a root below this fraction of the function's mean slope
/// around it is a touch (grazing), not a crossing.
const GRAZING: f64 = 1e-8;

/// What firing the events at one time did.
pub(crate) struct Fired {
    /// A terminal event fired: the solve ends.
    pub terminal: bool,
    /// A reset changed the state: the method restarts.
    pub changed: bool,
}

/// One scheduled stop, resolved for this solve.
struct Resolved<D> {
    t: f64,
    /// The time with its derivatives (from a parameter).
    time: D,
    action: Action,
    index: usize,
}

/// What the event tracker asks of a model, on slices: the tracker
/// compiles once per scalar type, whatever the model.
pub(crate) trait EventFns<D> {
    fn events(&self) -> Vec<Event>;
    fn schedule(&self) -> Schedule;
    /// The event functions at `(t, y)` into `g`.
    fn values(&mut self, t: D, y: &[D], p: &[D], g: &mut [D]);
    /// `f(t, y)` into `f`.
    fn rhs(&mut self, t: D, y: &[D], p: &[D], f: &mut [D]);
    /// The event functions and their rates `dg/dt = g_t + g_y·f` along
    /// `f` at `(t, y)` (real parts), as one-direction duals into `g1`.
    fn rates(&mut self, t: f64, y: &[D], f: &[D], p1: &[Dual64], g1: &mut [Dual64]);
    /// The model's reset for `cause`; `Err` with the length of the state
    /// it returned if that is not the model's.
    fn reset(&mut self, cause: Cause, t: D, y: &mut [D], p: &[D], armed: &mut [bool]) -> Result<(), usize>;
}

/// A [`Model`] as [`EventFns`], with its own state buffers (on the stack
/// for a `Const` dimension, allocated once for `Dyn`).
pub(crate) struct ModelFns<'a, S: Model, D: DualScalar>
where
    DefaultAllocator: Allocator<S::Dim>,
{
    system: &'a S,
    y: State<D, S::Dim>,
    f: State<D, S::Dim>,
    y1: State<Dual64, S::Dim>,
}

impl<'a, S: Model, D: DualScalar> ModelFns<'a, S, D>
where
    DefaultAllocator: Allocator<S::Dim>,
{
    pub fn new(system: &'a S, y0: &State<D, S::Dim>) -> Self {
        ModelFns { system, y: y0.clone(), f: y0.clone(), y1: y0.map(|v| Dual64::from(v.re())) }
    }
}

impl<S: Model, D: DualScalar> EventFns<D> for ModelFns<'_, S, D>
where
    DefaultAllocator: Allocator<S::Dim>,
{
    fn events(&self) -> Vec<Event> {
        self.system.events()
    }
    fn schedule(&self) -> Schedule {
        self.system.schedule()
    }
    fn values(&mut self, t: D, y: &[D], p: &[D], g: &mut [D]) {
        self.y.as_mut_slice().copy_from_slice(y);
        self.system.event_values(t, &self.y, &[], p, g);
    }
    fn rhs(&mut self, t: D, y: &[D], p: &[D], f: &mut [D]) {
        self.y.as_mut_slice().copy_from_slice(y);
        self.system.rhs(t, &self.y, &[], p, &mut self.f);
        f.copy_from_slice(self.f.as_slice());
    }
    fn rates(&mut self, t: f64, y: &[D], f: &[D], p1: &[Dual64], g1: &mut [Dual64]) {
        for ((v, y), f) in self.y1.iter_mut().zip(y).zip(f) {
            *v = Dual64::new(y.re(), f.re());
        }
        self.system.event_values(Dual64::new(t, 1.0), &self.y1, &[], p1, g1);
    }
    fn reset(&mut self, cause: Cause, t: D, y: &mut [D], p: &[D], armed: &mut [bool]) -> Result<(), usize> {
        self.y.as_mut_slice().copy_from_slice(y);
        self.system.reset(cause, t, &mut self.y, p, armed);
        if self.y.len() != y.len() {
            let got = self.y.len();
            self.y = State::from_element_generic(self.system.dim(), nalgebra::U1, D::from(0.0));
            return Err(got);
        }
        y.copy_from_slice(self.y.as_slice());
        Ok(())
    }
}

/// The events and stops of one solve.
pub(crate) struct Tracker<'a, D: DualScalar> {
    system: &'a mut dyn EventFns<D>,
    p: &'a [D],
    specs: Vec<Event>,
    armed: Vec<bool>,
    /// The last non-zero sign of each event function (0: not known).
    side: Vec<i8>,
    /// Event function values at the last point scanned.
    g_last: Vec<f64>,
    g: Vec<D>,
    g_trial: Vec<D>,
    /// Events that fire at the next root: (event, old side, root, the
    /// function's mean slope over the sample interval).
    firing: Vec<(usize, i8, f64, f64)>,
    samples: usize,
    stops: Vec<Resolved<D>>,
    next_stop: usize,
    t_end: f64,
    span: f64,
    /// Times of the last `ZENO_EVENTS` events (a ring).
    recent: Vec<f64>,
    fired: usize,
    /// Distinct times at which events fired.
    roots: usize,
    max_events: usize,
    f: Vec<D>,
    /// `dg/dt` along the solution at the last point scanned, valid when
    /// `slopes` (for the cubic screen of the next step).
    gdot_last: Vec<f64>,
    slopes: bool,
    /// One-direction duals for `dg/dt`: parameters, values.
    p1: Vec<Dual64>,
    g1: Vec<Dual64>,
    /// Right-hand-side evaluations done here (steppers without the
    /// derivative at the step's end).
    pub rhs_evals: usize,
}

impl<'a, D: DualScalar> Tracker<'a, D> {
    /// The model's events and stops for a solve over `t_span` from `y0`.
    pub fn new(
        system: &'a mut dyn EventFns<D>,
        p: &'a [D],
        t_span: (f64, f64),
        o: &Options,
        y0: &[D],
    ) -> Result<Self, Error> {
        let bad = |name, reason: String| Err(Error::InvalidOption { name, reason });
        if !(1..=1000).contains(&o.event_samples) {
            return bad("event_samples", format!("{} sub-intervals per step; 1 to 1000", o.event_samples));
        }
        let specs = system.events();
        let m = specs.len();
        let mut tracker = Tracker {
            system,
            p,
            armed: vec![true; m],
            side: vec![0; m],
            g_last: vec![0.0; m],
            g: vec![D::from(0.0); m],
            g_trial: vec![D::from(0.0); m],
            firing: Vec::with_capacity(m),
            samples: o.event_samples,
            stops: Vec::new(),
            next_stop: 0,
            t_end: t_span.1,
            span: (t_span.1 - t_span.0).abs(),
            recent: Vec::with_capacity(if m > 0 { ZENO_EVENTS } else { 0 }),
            fired: 0,
            roots: 0,
            max_events: o.max_events,
            f: y0.to_vec(),
            gdot_last: vec![0.0; m],
            slopes: false,
            p1: p.iter().map(|v| Dual64::from(v.re())).collect(),
            g1: vec![Dual64::from(0.0); m],
            rhs_evals: 0,
            specs,
        };
        tracker.resolve_stops(t_span, o)?;
        tracker.rearm(t_span.0, y0, false)?;
        Ok(tracker)
    }

    /// Evaluate the event functions at `(t, y)` into `g` (checked).
    fn eval(&mut self, t: f64, y: &[D], trial: bool) -> Result<(), Error> {
        let g = if trial { &mut self.g_trial } else { &mut self.g };
        self.system.values(D::from(t), y, self.p, g);
        if let Some(i) = g.iter().position(|v| !v.re().is_finite()) {
            let reason = format!("the event function is {}", g[i].re());
            return Err(Error::InvalidEvent { t, what: self.name(i), reason, partial: None });
        }
        Ok(())
    }

    fn name(&self, i: usize) -> String {
        self.describe(Cause::Event(i))
    }

    fn describe(&self, cause: Cause) -> String {
        match cause {
            Cause::Event(i) => format!("event {i} {:?}", self.specs[i].name),
            Cause::Stop(i) => format!("stop {i}"),
        }
    }

    /// Signs and values of the event functions at `(t, y)`; with
    /// `forget_fired`, the signs of the events just fired (`firing`) are
    /// unknown until seen away from zero.
    fn rearm(&mut self, t: f64, y: &[D], forget_fired: bool) -> Result<(), Error> {
        if self.specs.is_empty() {
            return Ok(());
        }
        self.eval(t, y, false)?;
        self.slopes = false;
        for i in 0..self.specs.len() {
            let v = self.g[i].re();
            self.g_last[i] = v;
            let fired = forget_fired && self.firing.iter().any(|f| f.0 == i);
            self.side[i] = if fired { 0 } else { sign(v) };
        }
        Ok(())
    }

    /// Look for the first root in `(lo, b]` of the last step `[a, b]`:
    /// its time, the events that fire there being kept for [`fire`](Self::fire).
    pub fn scan(
        &mut self,
        it: &mut dyn Steps<D>,
        a: f64,
        lo: f64,
        b: f64,
        buf: &mut [D],
    ) -> Result<Option<f64>, Error> {
        if self.specs.is_empty() {
            return Ok(None);
        }
        let dir = if b >= a { 1.0 } else { -1.0 };
        // g and dg/dt at the step's end, from the accepted state: the cubic
        // screen, and the next step's start.
        let at_end = self.slopes && lo == a;
        if at_end {
            self.end_values(it, b)?;
        }
        if at_end && self.clean(b - a) {
            for i in 0..self.specs.len() {
                (self.g_last[i], self.gdot_last[i]) = (self.g1[i].re, self.g1[i].eps);
            }
            return Ok(None);
        }
        let mut prev = lo;
        for k in 1..=self.samples {
            let x = if k == self.samples { b } else { a + (b - a) * (k as f64 / self.samples as f64) };
            if dir * (x - lo) <= 0.0 {
                continue;
            }
            it.interpolate(x, buf)?;
            check_accepted(x, buf)?;
            self.eval(x, buf, false)?;
            self.firing.clear();
            for i in 0..self.specs.len() {
                let s = sign(self.g[i].re());
                let old = self.side[i];
                if !self.armed[i] || s == old {
                    continue;
                }
                if old != 0 && self.specs[i].direction.counts(old) {
                    let (gl, gr) = (self.g_last[i], self.g[i].re());
                    let tol = ROOT_TOL * (x.abs() + (b - a).abs());
                    let root = self.refine(it, buf, (i, old), (prev, gl), (x, gr), tol)?;
                    self.firing.push((i, old, root, (gr - gl) / (x - prev)));
                } else {
                    self.side[i] = s;
                }
            }
            if let Some(root) = self.firing.iter().map(|f| f.2).min_by(|u, v| (dir * u).total_cmp(&(dir * v))) {
                self.firing.retain(|f| f.2 == root);
                return Ok(Some(root));
            }
            for i in 0..self.specs.len() {
                self.g_last[i] = self.g[i].re();
            }
            prev = x;
        }
        if !at_end {
            self.end_values(it, b)?;
        }
        for i in 0..self.specs.len() {
            self.gdot_last[i] = self.g1[i].eps;
        }
        self.slopes = true;
        Ok(None)
    }

    /// The root of event `i` (old side `old`) between `(xl, gl)` on its
    /// old side and `(xr, gr)` off it, on the stepper's continuous
    /// extension, to a bracket of width `tol`: Illinois regula falsi, a
    /// bisection every fourth step.
    fn refine(
        &mut self,
        it: &mut dyn Steps<D>,
        buf: &mut [D],
        (i, old): (usize, i8),
        (mut xl, gl): (f64, f64),
        (mut xr, gr): (f64, f64),
        tol: f64,
    ) -> Result<f64, Error> {
        let sigma = f64::from(old);
        let (mut vl, mut vr) = (sigma * gl, sigma * gr);
        let mut last_kept = 0i8;
        for iter in 0..400 {
            if (xr - xl).abs() <= tol {
                break;
            }
            let mut x = xr - vr * (xr - xl) / (vr - vl);
            let inside = |x: f64| (x - xl) * (xr - x) > 0.0;
            if iter % 4 == 3 || !inside(x) {
                x = 0.5 * (xl + xr);
                if !inside(x) {
                    break;
                }
            }
            it.interpolate(x, buf)?;
            check_accepted(x, buf)?;
            self.eval(x, buf, true)?;
            let v = sigma * self.g_trial[i].re();
            if v > 0.0 {
                (xl, vl) = (x, v);
                if last_kept == -1 {
                    vr *= 0.5;
                }
                last_kept = -1;
            } else {
                (xr, vr) = (x, v);
                if last_kept == 1 {
                    vl *= 0.5;
                }
                last_kept = 1;
            }
        }
        Ok(xr)
    }

    /// Fire the events found by [`scan`](Self::scan) at `t`, `y` the state
    /// there (replaced by the state after their resets).
    pub fn fire(&mut self, t: f64, y: &mut [D], sol: &mut Solution<D>, saver: &mut Saver<'_>) -> Result<Fired, Error> {
        let before: Vec<D> = y.to_vec();
        let mut terminal = false;
        self.count(t, self.firing.len())?;
        for k in 0..self.firing.len() {
            let (i, old, _, slope) = self.firing[k];
            let delta = self.time_derivative(t, y, (i, old), slope)?;
            let y_before: Vec<D> = y.to_vec();
            self.jump(t, delta, y, Cause::Event(i), |system, time, y, p, armed| {
                system.reset(Cause::Event(i), time, y, p, armed)
            })?;
            terminal |= self.specs[i].terminal;
            let crossing = Some(if old < 0 { Direction::Up } else { Direction::Down });
            let y_after = y.to_vec();
            sol.events.push(EventRecord { t: D::from(t) + delta, cause: Cause::Event(i), crossing, y_before, y_after });
        }
        let changed = y.iter().zip(&before).any(|(a, b)| a.re() != b.re());
        if changed || terminal {
            saver.step_end(sol, t, &before);
            if changed {
                saver.step_end(sol, t, y);
            }
        }
        // After a jump the fired events wait to be seen away from zero;
        // without one the method goes on and their signs are those at `t`.
        self.rearm(t, y, changed)?;
        self.firing.clear();
        Ok(Fired { terminal, changed })
    }

    /// Count `events` firing at `t` against `max_events`, and their time
    /// against the Zeno window.
    fn count(&mut self, t: f64, events: usize) -> Result<(), Error> {
        self.fired += events;
        if self.fired > self.max_events {
            return Err(Error::TooManyEvents { t, max_events: self.max_events, partial: None });
        }
        self.roots += 1;
        let slot = (self.roots - 1) % ZENO_EVENTS;
        if self.recent.len() < ZENO_EVENTS {
            self.recent.push(t);
            return Ok(());
        }
        let window = ZENO_WINDOW * self.span;
        let oldest = std::mem::replace(&mut self.recent[slot], t);
        if (t - oldest).abs() <= window {
            return Err(Error::Zeno { t, events: ZENO_EVENTS, window, partial: None });
        }
        Ok(())
    }

    /// `τ − t` as a pure derivative: by the implicit function theorem from
    /// event `i`'s function at `(t, y)`, crossing from side `old` with mean
    /// slope `slope` over its sample interval (zero for `f64`).
    fn time_derivative(&mut self, t: f64, y: &[D], (i, old): (usize, i8), slope: f64) -> Result<D, Error> {
        if D::N_EPS == 0 {
            return Ok(D::from(0.0));
        }
        self.eval(t, y, true)?;
        let g = self.g_trial[i];
        self.system.rhs(D::from(t), y, self.p, &mut self.f);
        self.system.rates(t, y, &self.f, &self.p1, &mut self.g1);
        let rate = self.g1[i].eps;
        // Leaving side `old`, the function moves against it; a rate of the
        // wrong sign or far below the mean slope is a touch, not a crossing.
        if !rate.is_finite() || rate * f64::from(old) >= 0.0 || rate.abs() <= GRAZING * slope.abs() {
            return Err(Error::GrazingEvent { t, what: self.name(i), rate, partial: None });
        }
        Ok((g - D::from(g.re())) * (-1.0 / rate))
    }

    /// Apply a reset at `t` whose time moves by `delta` (a pure derivative)
    /// with the parameters: `s⁺ = R_y·s⁻ + R_p + (R_y·f⁻ + R_t − f⁺)·τ_p`.
    fn jump(
        &mut self,
        t: f64,
        delta: D,
        y: &mut [D],
        cause: Cause,
        apply: impl FnOnce(&mut dyn EventFns<D>, D, &mut [D], &[D], &mut [bool]) -> Result<(), usize>,
    ) -> Result<(), Error> {
        let n = y.len();
        let moves = (0..D::N_EPS).any(|l| delta.eps_part(l) != 0.0);
        if moves && D::ORDER > 1 {
            let reason = "second derivatives through an event whose time moves are not supported".into();
            return Err(Error::InvalidEvent { t, what: self.describe(cause), reason, partial: None });
        }
        if moves {
            self.system.rhs(D::from(t), y, self.p, &mut self.f);
            for (v, &f) in y.iter_mut().zip(self.f.iter()) {
                *v += f * delta;
            }
        }
        if let Err(got) = apply(&mut *self.system, D::from(t) + delta, y, self.p, &mut self.armed) {
            let reason = format!("the reset returned {got} states, not {n}");
            return Err(Error::InvalidEvent { t, what: self.describe(cause), reason, partial: None });
        }
        if let Some(c) = y.iter().position(|v| !v.re().is_finite()) {
            let reason = format!("the reset made state {c} {}", y[c].re());
            return Err(Error::InvalidEvent { t, what: self.describe(cause), reason, partial: None });
        }
        if moves {
            self.system.rhs(D::from(t), y, self.p, &mut self.f);
            for (v, &f) in y.iter_mut().zip(self.f.iter()) {
                *v -= f * delta;
            }
        }
        Ok(())
    }
}

fn sign(v: f64) -> i8 {
    if v > 0.0 {
        1
    } else if v < 0.0 {
        -1
    } else {
        0
    }
}

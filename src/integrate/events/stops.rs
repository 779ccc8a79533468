//! Known-time stops: the schedule and `tstops` resolved for one solve,
//! and applied when the method lands on them.

use super::{Resolved, Tracker};
use crate::events::{Action, Cause, EventRecord, Quantity, Stop};
use crate::integrate::driver::Saver;
use crate::integrate::{Options, Solution};
use crate::{DualScalar, Error};

impl<D: DualScalar> Tracker<'_, D> {
    /// The schedule's stops and `tstops` inside the span, checked and in
    /// the order of integration (a series expanded within the span only,
    /// at most `max_events` stops in all).
    pub(super) fn resolve_stops(&mut self, (t0, t1): (f64, f64), o: &Options) -> Result<(), Error> {
        let (n, n_p) = (self.f.len(), self.p.len());
        let dir = if t1 >= t0 { 1.0 } else { -1.0 };
        let (lo, hi) = (t0.min(t1), t0.max(t1));
        let schedule = self.system.schedule();
        let given = schedule.stops().len();
        let extra = o.tstops.iter().map(|&t| Stop::once(Quantity::Value(t), 0.0, Action::Restart));
        let mut index = 0usize;
        for (j, stop) in schedule.stops().iter().copied().chain(extra).enumerate() {
            let what = if j >= given { "tstops" } else { "schedule" };
            let bad = |reason: String| Error::InvalidOption { name: what, reason: format!("stop {j}: {reason}") };
            let quantity = |q: Quantity| match q {
                Quantity::Value(v) => Ok(D::from(v)),
                Quantity::Param(k) if k < n_p => Ok(self.p[k]),
                Quantity::Param(k) => Err(bad(format!("parameter {k} of {n_p}"))),
            };
            let base = quantity(stop.time)? + stop.offset;
            if !base.re().is_finite() {
                return Err(bad(format!("time {}", base.re())));
            }
            if stop.count > 1 && !(stop.period.is_finite() && stop.period > 0.0) {
                return Err(bad(format!("period {} of a series; positive and finite", stop.period)));
            }
            match stop.action {
                Action::Add { component, amount: q } | Action::Set { component, value: q } => {
                    if component >= n {
                        return Err(bad(format!("state {component} of {n}")));
                    }
                    if !quantity(q)?.re().is_finite() {
                        return Err(bad("the amount is not finite".into()));
                    }
                }
                Action::Restart | Action::Reset => {}
            }
            // The repetitions inside [lo, hi], with one to spare each side
            // against rounding (each is checked below).
            let (first, last) = if stop.count <= 1 {
                (0, stop.count)
            } else {
                let k = |t: f64| ((t - base.re()) / stop.period).max(0.0);
                (
                    (k(lo).floor() as usize).saturating_sub(1),
                    ((k(hi).ceil() as usize).saturating_add(2)).min(stop.count),
                )
            };
            for k in first..last {
                let time = base + k as f64 * stop.period;
                let t = time.re();
                if !(lo <= t && t <= hi) {
                    if j >= given {
                        return Err(bad(format!("t = {t} is outside t_span ({t0}, {t1})")));
                    }
                    continue;
                }
                if self.stops.len() >= o.max_events {
                    let reason = format!("more than max_events = {} stops inside t_span", o.max_events);
                    return Err(Error::InvalidOption { name: what, reason });
                }
                self.stops.push(Resolved { t, time, action: stop.action, index: index.saturating_add(k) });
            }
            index = index.saturating_add(stop.count);
        }
        self.stops.sort_by(|a, b| (dir * a.t).total_cmp(&(dir * b.t)));
        Ok(())
    }

    /// Whether neither an event function nor a stop is left to watch:
    /// steps need no scan.
    #[inline]
    pub fn quiet(&self) -> bool {
        self.specs.is_empty() && !self.has_stops()
    }

    /// Whether any stop is still ahead.
    #[inline]
    pub fn has_stops(&self) -> bool {
        self.next_stop < self.stops.len()
    }

    /// Where the method integrates to next: the next stop, or the end.
    pub fn segment_end(&self) -> f64 {
        self.stops.get(self.next_stop).map_or(self.t_end, |s| s.t)
    }

    /// Whether a stop waits at `t`.
    pub fn stop_pending(&self, t: f64) -> bool {
        self.stops.get(self.next_stop).is_some_and(|s| s.t == t)
    }

    /// Apply the stops at `t` to `y` (recorded, with rows for
    /// `Save::Steps`); whether there were any.
    pub fn stops_at(
        &mut self,
        t: f64,
        y: &mut [D],
        sol: &mut Solution<D>,
        saver: &mut Saver<'_>,
    ) -> Result<bool, Error> {
        let mut any = false;
        let mut changed = false;
        while self.stop_pending(t) {
            let stop = &self.stops[self.next_stop];
            let (index, action, delta) = (stop.index, stop.action, stop.time - D::from(t));
            let time = stop.time;
            self.next_stop += 1;
            any = true;
            let before: Vec<D> = y.to_vec();
            self.jump(t, delta, y, Cause::Stop(index), |system, time, y, p, armed| match action {
                Action::Restart => Ok(()),
                Action::Add { component, amount } => {
                    y[component] += value(amount, p);
                    Ok(())
                }
                Action::Set { component, value: v } => {
                    y[component] = value(v, p);
                    Ok(())
                }
                Action::Reset => system.reset(Cause::Stop(index), time, y, p, armed),
            })?;
            let moved = y.iter().zip(&before).any(|(a, b)| a.re() != b.re());
            if moved {
                saver.step_end(sol, t, y);
            }
            changed |= moved;
            sol.events.push(EventRecord {
                t: time,
                cause: Cause::Stop(index),
                crossing: None,
                y_before: before,
                y_after: y.to_vec(),
            });
        }
        if changed {
            self.rearm(t, y, false)?;
        }
        Ok(any)
    }
}

/// A quantity's value for this solve (checked when the stops were
/// resolved).
fn value<D: DualScalar>(q: Quantity, p: &[D]) -> D {
    match q {
        Quantity::Value(v) => D::from(v),
        Quantity::Param(k) => p[k],
    }
}

//! Events and known-time stops of a model: what a model declares
//! ([`Event`], [`Schedule`]) and what a solve records ([`EventRecord`]).
//!
//! A model with events implements three more methods of
//! [`OdeSystem`](crate::OdeSystem): [`events`](crate::OdeSystem::events)
//! (one [`Event`] per event function: its direction, whether it ends the
//! solve), [`event_values`](crate::OdeSystem::event_values) (the functions
//! `g_i(t, y, p)`, generic over the scalar like `rhs`) and
//! [`reset`](crate::OdeSystem::reset) (the state after an event:
//! `y⁺ = R(t, y⁻, p)`). Doses and switches at known times are a
//! [`Schedule`] ([`schedule`](crate::OdeSystem::schedule)). How the
//! integrator finds and handles them is documented in
//! [`integrate::events`](crate::integrate::events).

use serde::{Deserialize, Serialize};

/// Which sign changes of an event function count, met in the direction
/// of integration (backward in time, `Up` is a function that grows as `t`
/// decreases).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// From negative to positive.
    Up,
    /// From positive to negative.
    Down,
    /// Either way.
    Both,
}

impl Direction {
    /// Whether a crossing from the side `from` (`−1` or `+1`) counts.
    pub(crate) fn counts(self, from: i8) -> bool {
        match self {
            Direction::Up => from < 0,
            Direction::Down => from > 0,
            Direction::Both => true,
        }
    }
}

/// One event function of a model: its name, the crossings that count and
/// whether it ends the solve.
///
/// # Example
/// ```
/// use odeon::events::{Direction, Event};
/// let ground = Event::new("ground").down().terminal();
/// assert_eq!(ground.direction, Direction::Down);
/// assert!(ground.terminal);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// For records, errors and plots.
    pub name: String,
    /// Which sign changes fire the event (default both).
    pub direction: Direction,
    /// Whether the solve ends at the event (after its reset).
    pub terminal: bool,
}

impl Event {
    /// An event on sign changes both ways that does not end the solve.
    pub fn new(name: impl Into<String>) -> Self {
        Event { name: name.into(), direction: Direction::Both, terminal: false }
    }

    /// Fire only when the function goes from negative to positive.
    pub fn up(mut self) -> Self {
        self.direction = Direction::Up;
        self
    }

    /// Fire only when the function goes from positive to negative.
    pub fn down(mut self) -> Self {
        self.direction = Direction::Down;
        self
    }

    /// End the solve at the event.
    pub fn terminal(mut self) -> Self {
        self.terminal = true;
        self
    }
}

/// What triggered a reset: event function `i`, or stop `i` of the
/// schedule (counting each repetition of a series; the options' `tstops`
/// count after the schedule's stops).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Cause {
    /// The `i`-th event function of [`events`](crate::OdeSystem::events).
    Event(usize),
    /// The `i`-th stop of the model's [`Schedule`], in the order given,
    /// each repetition of a series counted (then
    /// [`Options::tstops`](crate::Options::tstops)).
    Stop(usize),
}

/// A number given as a value or taken from the parameters: a dose amount
/// or a dose time that a fit can estimate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Quantity {
    /// A fixed value.
    Value(f64),
    /// The parameter `p[i]` (with its derivatives in a dual-number solve).
    Param(usize),
}

/// What happens at a scheduled stop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Nothing but a restart: the integrator lands on the time exactly
    /// and starts afresh (a discontinuity of a time-dependent `rhs`).
    Restart,
    /// A bolus: `y[component] += amount`.
    Add {
        /// The state that receives the amount.
        component: usize,
        /// The amount.
        amount: Quantity,
    },
    /// A switch: `y[component] = value` (an input held as a state with
    /// zero derivative, such as an infusion rate).
    Set {
        /// The state that is set.
        component: usize,
        /// Its new value.
        value: Quantity,
    },
    /// The model's [`reset`](crate::OdeSystem::reset) with
    /// [`Cause::Stop`]`(i)`, `i` the stop's place in the schedule.
    Reset,
}

/// One scheduled stop, or a periodic series of them: at `time + offset +
/// k·period` for `k = 0 … count − 1`, the same action each time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    /// When (a value, or a parameter for a time to be estimated) …
    pub time: Quantity,
    /// … plus this offset.
    pub offset: f64,
    /// What happens.
    pub action: Action,
    /// Time between repetitions (ignored when `count` is 1).
    pub period: f64,
    /// Number of times (1 for a single stop).
    pub count: usize,
}

impl Stop {
    /// One stop at `time + offset`.
    pub fn once(time: Quantity, offset: f64, action: Action) -> Self {
        Stop { time, offset, action, period: 0.0, count: 1 }
    }
}

/// Known-time stops: doses, switches of piecewise-constant inputs,
/// discontinuities of a time-dependent right-hand side. The integrator
/// never steps across a stop: it lands on its time, applies the action
/// and restarts. Stops outside the solve's span are ignored; stops at
/// the same time apply in the order given.
///
/// # Example
/// ```
/// use odeon::events::{Action, Quantity, Schedule};
/// // 100 mg into the gut (state 0) every 24 h for 30 days, and an
/// // infusion rate (state 2) on from 48 h to 50 h.
/// let doses = Schedule::new()
///     .every(0.0, 24.0, 30, Action::Add { component: 0, amount: Quantity::Value(100.0) })
///     .piecewise_constant(2, &[48.0, 50.0], &[5.0, 0.0]);
/// assert_eq!(doses.stops().len(), 3); // the series and two switches
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    stops: Vec<Stop>,
}

impl Schedule {
    /// No stops.
    pub fn new() -> Self {
        Schedule::default()
    }

    /// A stop at time `t`.
    pub fn at(mut self, t: f64, action: Action) -> Self {
        self.stops.push(Stop::once(Quantity::Value(t), 0.0, action));
        self
    }

    /// A stop at the time given by parameter `p[index]`.
    pub fn at_param(mut self, index: usize, action: Action) -> Self {
        self.stops.push(Stop::once(Quantity::Param(index), 0.0, action));
        self
    }

    /// Delay every stop given so far at a fixed time by the parameter
    /// `p[index]` (a lag time a fit can estimate): `t` becomes
    /// `p[index] + t`.
    pub fn lag(mut self, index: usize) -> Self {
        for stop in &mut self.stops {
            if let Quantity::Value(t) = stop.time {
                *stop = Stop { time: Quantity::Param(index), offset: stop.offset + t, ..*stop };
            }
        }
        self
    }

    /// `count` stops at `start, start + period, …` (kept as one series:
    /// a solve expands only those in its span).
    pub fn every(mut self, start: f64, period: f64, count: usize, action: Action) -> Self {
        self.stops.push(Stop { time: Quantity::Value(start), offset: 0.0, action, period, count });
        self
    }

    /// A piecewise-constant input held in state `component`: from
    /// `times[k]` on it is `values[k]` (extra values or times are
    /// ignored). The model gives the component a zero derivative.
    pub fn piecewise_constant(mut self, component: usize, times: &[f64], values: &[f64]) -> Self {
        self.stops.extend(
            times.iter().zip(values).map(|(&t, &v)| {
                Stop::once(Quantity::Value(t), 0.0, Action::Set { component, value: Quantity::Value(v) })
            }),
        );
        self
    }

    /// Append a stop or series.
    pub(crate) fn push(&mut self, stop: Stop) {
        self.stops.push(stop);
    }

    /// Every stop or series, in the order given.
    pub fn stops(&self) -> &[Stop] {
        &self.stops
    }

    /// Whether there are no stops.
    pub fn is_empty(&self) -> bool {
        self.stops.is_empty()
    }
}

/// An event or stop that happened during a solve.
///
/// With dual numbers, `t` carries the derivatives of the event time (by
/// the implicit function theorem for an event function, from the
/// parameter for a stop at a parameter's time), and `y_before` and
/// `y_after` those of the states on either side at the fixed time `t`
/// (like the saved states): the total derivative of a state at the event
/// is `∂y + f·∂t`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord<D = f64> {
    /// When.
    pub t: D,
    /// Which event function or stop.
    pub cause: Cause,
    /// The crossing's direction (`Up` or `Down`) for an event function;
    /// `None` for a stop.
    pub crossing: Option<Direction>,
    /// The state before the reset.
    pub y_before: Vec<D>,
    /// The state after it (equal to `y_before` without one).
    pub y_after: Vec<D>,
}

impl<D> EventRecord<D> {
    /// The record with every value mapped by `f`.
    pub fn map<E>(&self, mut f: impl FnMut(&D) -> E) -> EventRecord<E> {
        EventRecord {
            t: f(&self.t),
            cause: self.cause,
            crossing: self.crossing,
            y_before: self.y_before.iter().map(&mut f).collect(),
            y_after: self.y_after.iter().map(f).collect(),
        }
    }
}

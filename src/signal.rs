//! Inputs as signals of time: a [`Model`]'s inputs given by data tables,
//! constants or functions, and [`Driven`], the model under those signals
//! as an [`OdeSystem`] — so a model with inputs is simulated,
//! differentiated, fitted and sampled like any other.
//!
//! Signals are evaluated in the solve's scalar: a time carrying derivative
//! parts (the stiff methods seed it for `∂f/∂t`) gives inputs carrying
//! `du/dt`, exactly, for tables and constants.

use crate::events::{Action, Cause, Event, Schedule};
use crate::system::{Model, State};
use crate::{DualScalar, Error, OdeSystem};
use nalgebra::DefaultAllocator;
use nalgebra::allocator::Allocator;

/// Inputs up to this many are gathered on the stack in `Driven`'s
/// right-hand side; more are gathered in a heap buffer per call.
const STACK_INPUTS: usize = 32;

/// The inputs of a model as functions of time.
///
/// Implement it for a signal whose time derivative matters (a smooth
/// control law of time evaluated in the scalar `D`); tables, constants and
/// closures are provided.
pub trait Signals {
    /// Number of signals.
    fn len(&self) -> usize;

    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Write the signals at `t` into `u` (one per [`len`](Self::len)).
    fn eval<D: DualScalar>(&self, t: D, u: &mut [D]);

    /// Times at which a signal is not smooth (the integrator stops there
    /// and restarts); none by default.
    fn breakpoints(&self) -> Vec<f64> {
        Vec::new()
    }
}

/// Constant inputs.
impl Signals for Vec<f64> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn eval<D: DualScalar>(&self, _t: D, u: &mut [D]) {
        for (ui, &v) in u.iter_mut().zip(self.iter()) {
            *ui = D::from(v);
        }
    }
}

/// How a [`Table`] fills in between its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Interpolation {
    /// Straight lines between rows (`du/dt` exact between them).
    Linear,
    /// Each row's values until the next row's time (zero-order hold).
    Hold,
}

/// Signals given as a table: times (strictly increasing) and a row of
/// values at each, interpolated linearly or held; constant before the
/// first row and after the last. Its rows' times are breakpoints: the
/// integrator lands on them.
///
/// # Example
/// ```
/// use odeon::signal::{Interpolation, Signals, Table};
/// let t = Table::new(vec![0.0, 1.0, 3.0], vec![vec![0.0, 5.0], vec![2.0, 5.0], vec![2.0, -1.0]], Interpolation::Linear)?;
/// let mut u = [0.0; 2];
/// t.eval(0.5, &mut u);
/// assert_eq!(u, [1.0, 5.0]);
/// t.eval(9.0, &mut u);
/// assert_eq!(u, [2.0, -1.0]);
/// assert!(Table::new(vec![0.0, 0.0], vec![vec![1.0], vec![2.0]], Interpolation::Hold).is_err());
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Table {
    times: Vec<f64>,
    rows: Vec<Vec<f64>>,
    interpolation: Interpolation,
}

impl Table {
    /// A table of `rows[i]` at `times[i]`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the row for no rows, times not
    /// finite or not strictly increasing, rows of different lengths, or a
    /// value that is not finite.
    pub fn new(times: Vec<f64>, rows: Vec<Vec<f64>>, interpolation: Interpolation) -> Result<Self, Error> {
        let bad =
            |row: Option<usize>, reason: String| Error::InvalidData { experiment: "signal table".into(), row, reason };
        if times.is_empty() || times.len() != rows.len() {
            return Err(bad(
                None,
                format!("{} times and {} rows (at least one of each, as many)", times.len(), rows.len()),
            ));
        }
        let width = rows[0].len();
        for (i, (t, row)) in times.iter().zip(&rows).enumerate() {
            if !t.is_finite() || (i > 0 && *t <= times[i - 1]) {
                return Err(bad(Some(i), format!("time {t}: times must be finite and strictly increasing")));
            }
            if row.len() != width {
                return Err(bad(Some(i), format!("{} values, the first row has {width}", row.len())));
            }
            if let Some(v) = row.iter().find(|v| !v.is_finite()) {
                return Err(bad(Some(i), format!("value {v} is not finite")));
            }
        }
        Ok(Table { times, rows, interpolation })
    }

    /// A table from columns of a CSV file: the times in column `time`,
    /// the signals in `columns` (every cell a number).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file, line and column for a missing
    /// column, an empty cell or one that is not a number; then as
    /// [`new`](Self::new).
    ///
    /// # Example
    /// ```
    /// use odeon::signal::{Interpolation, Signals, Table};
    /// let path = std::env::temp_dir().join("odeon-doc-inflow.csv");
    /// std::fs::write(&path, "t, q_in, valve\n0, 1.0, 0\n10, 3.0, 1\n")?;
    /// let table = Table::from_csv(&path, "t", &["q_in"], Interpolation::Linear)?;
    /// let mut u = [0.0];
    /// table.eval(5.0, &mut u);
    /// assert_eq!(u, [2.0]);
    /// assert!(Table::from_csv(&path, "t", &["q_out"], Interpolation::Linear).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_csv(
        path: impl AsRef<std::path::Path>,
        time: &str,
        columns: &[&str],
        interpolation: Interpolation,
    ) -> Result<Self, Error> {
        let mut names = vec![time];
        names.extend_from_slice(columns);
        let mut read = crate::files::read_csv_columns(path.as_ref(), &names, names.len())?;
        let times = std::mem::take(&mut read[0]);
        let rows = (0..times.len()).map(|r| read[1..].iter().map(|c| c[r]).collect()).collect();
        Table::new(times, rows, interpolation)
    }
}

impl Signals for Table {
    fn len(&self) -> usize {
        self.rows[0].len()
    }

    fn eval<D: DualScalar>(&self, t: D, u: &mut [D]) {
        match self.interpolation {
            Interpolation::Linear => {
                let (lo, hi, w) = bracket(&self.times, t);
                for (c, ui) in u.iter_mut().enumerate() {
                    *ui = (-w + 1.0) * self.rows[lo][c] + w * self.rows[hi][c];
                }
            }
            Interpolation::Hold => {
                // The row at or before t (the first row before the table).
                let k = self.times.partition_point(|&ti| ti <= t.re()).saturating_sub(1);
                for (ui, &v) in u.iter_mut().zip(&self.rows[k]) {
                    *ui = D::from(v);
                }
            }
        }
    }

    fn breakpoints(&self) -> Vec<f64> {
        self.times.clone()
    }
}

/// Piecewise-linear interpolation in increasing `times`: the rows `lo`,
/// `hi` around `t` and the weight `w` of `hi` (a scalar, so that `t`'s
/// derivative parts give `du/dt`), the value being `(1 − w) v_lo + w v_hi`;
/// clamped to the first and last rows outside, and `hi`'s value where two
/// times coincide. The one linear interpolator in time (signal tables,
/// optimal-control guesses).
pub(crate) fn bracket<D: DualScalar>(times: &[f64], t: D) -> (usize, usize, D) {
    let (n, tr) = (times.len(), t.re());
    if n == 0 || tr <= times[0] {
        return (0, 0, D::from(0.0));
    }
    if tr >= times[n - 1] {
        return (n - 1, n - 1, D::from(0.0));
    }
    let i = times.partition_point(|&x| x <= tr).clamp(1, n - 1);
    let (t0, t1) = (times[i - 1], times[i]);
    if t1 <= t0 {
        return (i, i, D::from(0.0));
    }
    (i - 1, i, (t - t0) / (t1 - t0))
}

/// Signals computed by a function of (plain) time, `f(t, u)`: no `du/dt`
/// reaches the stiff methods' `∂f/∂t` (implement [`Signals`] for that).
pub struct FromFn<F> {
    len: usize,
    f: F,
}

impl<F: Fn(f64, &mut [f64])> FromFn<F> {
    /// `len` signals written by `f(t, u)`.
    pub fn new(len: usize, f: F) -> Self {
        FromFn { len, f }
    }
}

impl<F: Fn(f64, &mut [f64])> Signals for FromFn<F> {
    fn len(&self) -> usize {
        self.len
    }
    fn eval<D: DualScalar>(&self, t: D, u: &mut [D]) {
        let mut buf = [0.0; STACK_INPUTS];
        let mut heap;
        let values: &mut [f64] = if self.len <= STACK_INPUTS {
            &mut buf[..self.len]
        } else {
            heap = vec![0.0; self.len];
            &mut heap
        };
        (self.f)(t.re(), values);
        for (ui, &v) in u.iter_mut().zip(values.iter()) {
            *ui = D::from(v);
        }
    }
}

/// A [`Model`] with its inputs given by [`Signals`]: an [`OdeSystem`]
/// (states, parameters, events, resets, mass and schedule are the
/// model's; the signals' breakpoints are added to the schedule as
/// restarts).
///
/// See [`Model`] for an example.
pub struct Driven<'a, M, G> {
    model: &'a M,
    signals: G,
}

impl<'a, M: Model, G: Signals> Driven<'a, M, G> {
    /// `model` under `signals`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if there is not one signal per input.
    pub fn new(model: &'a M, signals: G) -> Result<Self, Error> {
        if signals.len() != model.n_inputs() {
            return Err(Error::DimensionMismatch { what: "signals", expected: model.n_inputs(), got: signals.len() });
        }
        Ok(Driven { model, signals })
    }

    /// The model.
    pub fn model(&self) -> &M {
        self.model
    }

    /// The inputs at `t` (with the derivatives `t` carries).
    pub fn inputs<D: DualScalar>(&self, t: D) -> Vec<D> {
        let mut u = vec![D::from(0.0); self.signals.len()];
        self.signals.eval(t, &mut u);
        u
    }

    /// The model's outputs at `(t, x)` under the signals.
    pub fn outputs<D: DualScalar>(&self, t: D, x: &State<D, M::Dim>, p: &[D]) -> Vec<D>
    where
        DefaultAllocator: Allocator<M::Dim>,
    {
        let mut y = vec![D::from(0.0); self.model.n_outputs()];
        self.model.outputs(t, x, &self.inputs(t), p, &mut y);
        y
    }

    /// Call `f` with the inputs at `t`.
    fn with_inputs<D: DualScalar, R>(&self, t: D, f: impl FnOnce(&[D]) -> R) -> R {
        crate::scalar::with_scratch(self.signals.len(), |u| {
            self.signals.eval(t, u);
            f(u)
        })
    }
}

impl<M: Model, G: Signals> OdeSystem for Driven<'_, M, G> {
    type Dim = M::Dim;
    const FIXED_SENSITIVITY_CHUNKS: bool = M::FIXED_SENSITIVITY_CHUNKS;

    fn dim(&self) -> M::Dim {
        self.model.dim()
    }
    fn n_params(&self) -> usize {
        self.model.n_params()
    }
    fn rhs<D: DualScalar>(&self, t: D, y: &State<D, M::Dim>, p: &[D], dydt: &mut State<D, M::Dim>)
    where
        DefaultAllocator: Allocator<M::Dim>,
    {
        self.with_inputs(t, |u| self.model.rhs(t, y, u, p, dydt));
    }
    fn events(&self) -> Vec<Event> {
        self.model.events()
    }
    fn event_values<D: DualScalar>(&self, t: D, y: &State<D, M::Dim>, p: &[D], g: &mut [D])
    where
        DefaultAllocator: Allocator<M::Dim>,
    {
        self.with_inputs(t, |u| self.model.event_values(t, y, u, p, g));
    }
    fn reset<D: DualScalar>(&self, cause: Cause, t: D, y: &mut State<D, M::Dim>, p: &[D], armed: &mut [bool])
    where
        DefaultAllocator: Allocator<M::Dim>,
    {
        self.model.reset(cause, t, y, p, armed);
    }
    fn mass(&self) -> Option<crate::integrate::MassMatrix> {
        self.model.mass()
    }
    fn schedule(&self) -> Schedule {
        // The model's stops keep their places (its `Cause::Stop(i)`); the
        // breakpoints follow.
        self.signals.breakpoints().into_iter().fold(self.model.schedule(), |s, t| s.at(t, Action::Restart))
    }
    fn state_names(&self) -> Vec<String> {
        self.model.state_names()
    }
    fn param_names(&self) -> Vec<String> {
        self.model.param_names()
    }
}

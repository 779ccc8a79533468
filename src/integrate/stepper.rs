//! The stepper interface every method implements, and the one driver that
//! turns steps into a [`Solution`].

use super::linalg::Singular;
use super::options::Settings;
use super::{Controller, Options, Stats};
use crate::{DualScalar, Error, Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};

/// What [`Stepper::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepResult {
    /// One step was accepted; the stepper is at the new time.
    Stepped,
    /// The end of `t_span` had been reached; nothing was done.
    Finished,
}

/// A method that advances a solution step by step: explicit Runge–Kutta
/// ([`Integrator`](super::Integrator)), Rosenbrock
/// ([`RosenbrockStepper`](super::RosenbrockStepper)), and the automatic
/// switch between them. A stepper is created at the start of `t_span`
/// (checking its inputs and options) and owns all its work buffers.
pub trait Stepper<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    /// Current time.
    fn t(&self) -> f64;

    /// Start of the last accepted step (equal to `t()` before the first).
    fn t_prev(&self) -> f64;

    /// Current state.
    fn y(&self) -> &State<D, N>;

    /// Take one accepted step (retrying rejected ones), or report that the
    /// end of the span has been reached.
    fn step(&mut self) -> Result<StepResult, Error>;

    /// The solution at `t` inside the last accepted step, by the method's
    /// continuous extension (exact copies at the step's end points).
    fn interpolate(&mut self, t: f64, out: &mut State<D, N>) -> Result<(), Error>;

    /// Start again at `(t, y)` towards `t_end` (between `t` and the end of
    /// `t_span`), as after an event's reset or at a stop: the step history
    /// is dropped (FSAL stage, controller memory, Jacobian, BDF's
    /// differences: order 1) and the first step chosen afresh; the
    /// statistics carry on.
    fn restart(&mut self, t: f64, y: &State<D, N>, t_end: f64) -> Result<(), Error>;

    /// `f(t, y)` at the current time if the stepper holds it without
    /// more work (the FSAL stage of an explicit method); `None` otherwise.
    fn derivative(&self) -> Option<&State<D, N>> {
        None
    }

    /// Work done so far.
    fn stats(&self) -> Stats;
}

/// What every stepper checks when it is created: `t_span`, `y0` and `p`
/// against the system, `t_eval` against the span, and the options
/// (expanded for the system, with the method's default `controller`).
pub(crate) fn checked_settings<S: Model, D: DualScalar>(
    system: &S,
    t_span: (f64, f64),
    y0: &[D],
    p: &[D],
    options: &Options,
    controller: Controller,
    adaptive: bool,
) -> Result<Settings, Error> {
    if system.n_inputs() > 0 {
        return Err(Error::FreeInputs { inputs: system.input_names().join(", ") });
    }
    let n = system.dim().value();
    check_inputs(t_span, y0, p, n, system.n_params())?;
    options.check_t_eval(t_span.0, t_span.1)?;
    Settings::new(options, n, (t_span.1 - t_span.0).abs(), controller, adaptive)
}

/// `f(t, y)` into `out`, counted in `stats`: where a method starts, a
/// value that is not finite is [`Error::NonFiniteRhs`].
pub(crate) fn eval_start<S, D>(
    system: &S,
    (t, y): (f64, &State<D, S::Dim>),
    p: &[D],
    out: &mut State<D, S::Dim>,
    stats: &mut Stats,
) -> Result<(), Error>
where
    S: Model,
    D: DualScalar,
    DefaultAllocator: Allocator<S::Dim>,
{
    system.rhs(D::from(t), y, &[], p, out);
    stats.rhs_evals += 1;
    match out.iter().position(|v| !v.re().is_finite()) {
        Some(component) => Err(Error::NonFiniteRhs { t, component, partial: None }),
        None => Ok(()),
    }
}

/// A state of zeros.
pub(crate) fn zeros<D: DualScalar, N: Dim>(dim: N) -> State<D, N>
where
    DefaultAllocator: Allocator<N>,
{
    State::from_element_generic(dim, nalgebra::U1, D::from(0.0))
}

/// Check `t_span`, `y0` and `p` against the system.
pub(crate) fn check_inputs<D: DualScalar>(
    t_span: (f64, f64),
    y0: &[D],
    p: &[D],
    n: usize,
    n_params: usize,
) -> Result<(), Error> {
    for (index, t) in [t_span.0, t_span.1].into_iter().enumerate() {
        if !t.is_finite() {
            return Err(Error::NonFinite { what: "t_span", index, value: t });
        }
    }
    if y0.len() != n {
        return Err(Error::DimensionMismatch { what: "y0", expected: n, got: y0.len() });
    }
    if p.len() != n_params {
        return Err(Error::DimensionMismatch { what: "p", expected: n_params, got: p.len() });
    }
    for (what, v) in [("y0", y0), ("p", p)] {
        if let Some((index, x)) = v.iter().enumerate().find(|(_, x)| !x.re().is_finite()) {
            return Err(Error::NonFinite { what, index, value: x.re() });
        }
    }
    Ok(())
}

/// Past this magnitude an accepted state counts as blowing up
/// ([`Error::Unstable`]): products of two such components overflow.
pub(crate) const UNSTABLE: f64 = 1e150;

/// Checks of every state a solve returns (accepted or interpolated): a
/// value that is not finite is an error (never NaN inside an `Ok`), a
/// component past ±[`UNSTABLE`] is a blow-up, and derivatives that are
/// not finite (e.g. `sqrt` at an exact zero) would otherwise spread
/// silently. Stop and say where.
#[inline]
pub(crate) fn check_accepted<D: DualScalar>(t: f64, y: &[D]) -> Result<(), Error> {
    if y.iter().fold(true, |ok, v| ok & sound(v)) {
        return Ok(());
    }
    if let Some(component) = y.iter().position(|v| !v.re().is_finite()) {
        return Err(Error::NonFiniteRhs { t, component, partial: None });
    }
    if let Some((component, v)) = y.iter().enumerate().find(|(_, v)| v.re().abs() > UNSTABLE) {
        return Err(Error::Unstable { t, component, value: v.re(), partial: None });
    }
    for (component, v) in y.iter().enumerate() {
        if let Some(direction) = (0..D::N_EPS).find(|&l| !v.eps_part(l).is_finite()) {
            return Err(Error::NonFiniteDerivative {
                t,
                component,
                direction,
                wrt: format!("direction {direction}"),
                partial: None,
            });
        }
    }
    Ok(())
}

/// Whether [`check_accepted`] finds nothing wrong with a value.
#[inline(always)]
pub(crate) fn sound<D: DualScalar>(v: &D) -> bool {
    // Without short circuits, so that a loop over values vectorizes;
    // `|re| ≤ UNSTABLE` is false for NaN and ±∞ too.
    (v.re().abs() <= UNSTABLE) & (0..D::N_EPS).fold(true, |ok, l| ok & v.eps_part(l).is_finite())
}

/// What every stepper's interpolation shares: `t` must lie in the last
/// step `[t_prev, t]` (in the direction of integration), and at the step's
/// end points the states are copied exactly. `Ok(true)`: `out` is filled.
pub(crate) fn at_step_ends<D, N>(
    t: f64,
    (a, b): (f64, f64),
    dir: f64,
    (y_a, y_b): (&State<D, N>, &State<D, N>),
    out: &mut State<D, N>,
) -> Result<bool, Error>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    if !(dir * (t - a) >= 0.0 && dir * (b - t) >= 0.0) {
        return Err(Error::OutOfStep { t, t_from: a, t_to: b });
    }
    if t == b {
        out.copy_from(y_b);
        return Ok(true);
    }
    if t == a {
        out.copy_from(y_a);
        return Ok(true);
    }
    Ok(false)
}

/// `y ← y + a·x`, component by component.
#[inline]
pub(crate) fn axpy<D: DualScalar, N: Dim>(y: &mut State<D, N>, a: f64, x: &State<D, N>)
where
    DefaultAllocator: Allocator<N>,
{
    // Slices, not nalgebra's matrix iterators: a plain loop the compiler
    // vectorizes (the same arithmetic per component).
    for (yi, &xi) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *yi += xi * a;
    }
}

/// `y += x` on slices, as [`axpy`]: for sizes known only at run time
/// nalgebra's `+=` checks the shapes and walks strides at every call.
#[inline]
pub(crate) fn add_assign<D: DualScalar, N: Dim>(y: &mut State<D, N>, x: &State<D, N>)
where
    DefaultAllocator: Allocator<N>,
{
    for (yi, &xi) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *yi += xi;
    }
}

/// Why an implicit method's last trial step failed, for the error if the
/// step collapses.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Failure {
    /// A non-finite right-hand side or trial state, in this component.
    NonFinite(usize),
    /// A singular iteration matrix; whether the Jacobian was non-finite.
    Singular(Singular, bool),
    /// Newton iterations that did not converge.
    Newton,
}

/// The error of a step that collapsed at `t` with step `h`: what made the
/// last trial fail, or a too-small step if it merely failed the error test.
pub(crate) fn collapse_error(failure: Option<Failure>, t: f64, h: f64, h_min: f64) -> Error {
    match failure {
        Some(Failure::NonFinite(component)) => Error::NonFiniteRhs { t, component, partial: None },
        Some(Failure::Singular(s, non_finite_jacobian)) => {
            Error::SingularMatrix { t, column: s.column, non_finite_jacobian, partial: None }
        }
        Some(Failure::Newton) => Error::NewtonFailure { t, h, partial: None },
        None => Error::StepSizeTooSmall { t, h, h_min: h_min.max(10.0 * t.abs() * f64::EPSILON), partial: None },
    }
}

/// `Stepper` for a stepper type with fields `clock`, `y`, `stats` (or
/// those of its field `$inner`) and inherent `step`, `interpolate`,
/// `restart` and `derivative`, generic over `<S, M: $bound, D>`.
macro_rules! delegate_stepper {
    ($ty:ident, $bound:ident $(, $inner:ident)?) => {
        impl<S, M, D> super::stepper::Stepper<D, S::Dim> for $ty<'_, S, M, D>
        where
            S: Model,
            M: $bound,
            D: DualScalar,
            DefaultAllocator: Allocator<S::Dim>,
        {
            fn t(&self) -> f64 {
                self$(.$inner)?.clock.t
            }
            fn t_prev(&self) -> f64 {
                self$(.$inner)?.clock.t_prev
            }
            fn y(&self) -> &State<D, S::Dim> {
                &self$(.$inner)?.y
            }
            #[inline]
            fn step(&mut self) -> Result<StepResult, Error> {
                $ty::step(self)
            }
            fn interpolate(&mut self, t: f64, out: &mut State<D, S::Dim>) -> Result<(), Error> {
                $ty::interpolate(self, t, out)
            }
            fn restart(&mut self, t: f64, y: &State<D, S::Dim>, t_end: f64) -> Result<(), Error> {
                $ty::restart(self, t, y, t_end)
            }
            fn derivative(&self) -> Option<&State<D, S::Dim>> {
                $ty::derivative(self)
            }
            fn stats(&self) -> Stats {
                self$(.$inner)?.stats
            }
        }
    };
}
pub(crate) use delegate_stepper;

//! What derivatives are taken with respect to, and how directions are
//! seeded into dual numbers.

use super::Sensitivities;
use crate::{Error, Model, State};
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A direction of differentiation.
///
/// # Example
/// ```
/// use odeon::{models::LotkaVolterra, sensitivity::Wrt};
/// let all = Wrt::all(&LotkaVolterra);
/// assert_eq!(all.len(), 6); // a, b, c, d, x0, y0
/// assert_eq!(all[4], Wrt::Y0(0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Wrt {
    /// The parameter `p[k]`.
    Param(usize),
    /// The initial state `y0[j]`.
    Y0(usize),
    /// The initial time `t0` (for fixed output times:
    /// `∂y(t)/∂t0 = −(∂y(t)/∂y0) f(t0, y0)`).
    T0,
    /// The end time `t1`: only the state saved at `t1` depends on it,
    /// `∂y(t1)/∂t1 = f(t1, y(t1))`.
    TEnd,
}

impl Wrt {
    /// Every parameter of a system.
    pub fn params<S: Model>(system: &S) -> Vec<Wrt> {
        (0..system.n_params()).map(Wrt::Param).collect()
    }

    /// Every initial state of a system.
    pub fn initial_states<S: Model>(system: &S) -> Vec<Wrt> {
        (0..system.dim().value()).map(Wrt::Y0).collect()
    }

    /// Every parameter, then every initial state.
    pub fn all<S: Model>(system: &S) -> Vec<Wrt> {
        let mut v = Wrt::params(system);
        v.extend(Wrt::initial_states(system));
        v
    }
}

impl fmt::Display for Wrt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wrt::Param(k) => write!(f, "p[{k}]"),
            Wrt::Y0(j) => write!(f, "y0[{j}]"),
            Wrt::T0 => f.write_str("t0"),
            Wrt::TEnd => f.write_str("t_end"),
        }
    }
}

/// Checked directions of one sensitivity solve and their seeds.
pub(crate) struct Seeds {
    wrt: Vec<Wrt>,
    /// `−f(t0, y0, p)`: the `y0` direction that equals a shift of `t0`.
    minus_f0: Vec<f64>,
}

impl Seeds {
    pub fn new<S>(system: &S, t_span: (f64, f64), y0: &[f64], p: &[f64], wrt: &[Wrt]) -> Result<Self, Error>
    where
        S: Model,
        DefaultAllocator: Allocator<S::Dim>,
    {
        let (n, np) = (system.dim().value(), system.n_params());
        if y0.len() != n {
            return Err(Error::DimensionMismatch { what: "y0", expected: n, got: y0.len() });
        }
        if p.len() != np {
            return Err(Error::DimensionMismatch { what: "p", expected: np, got: p.len() });
        }
        for (index, w) in wrt.iter().enumerate() {
            let reason = match *w {
                Wrt::Param(k) if k >= np => format!("parameter index {k} out of range ({np} parameters)"),
                Wrt::Y0(j) if j >= n => format!("initial-state index {j} out of range ({n} states)"),
                _ => continue,
            };
            return Err(Error::InvalidWrt { index, reason });
        }
        let mut minus_f0 = vec![0.0; n];
        if wrt.contains(&Wrt::T0) {
            minus_f0 = rhs(system, t_span.0, y0, p).iter().map(|v| -v).collect();
        }
        Ok(Seeds { wrt: wrt.to_vec(), minus_f0 })
    }

    /// Seed of direction `col` in the initial state `y0[i]`.
    pub fn y0(&self, col: usize, i: usize) -> f64 {
        match self.wrt[col] {
            Wrt::Y0(j) if j == i => 1.0,
            Wrt::T0 => self.minus_f0[i],
            _ => 0.0,
        }
    }

    /// Seed of direction `col` in the parameter `p[k]`.
    pub fn p(&self, col: usize, k: usize) -> f64 {
        if self.wrt[col] == Wrt::Param(k) { 1.0 } else { 0.0 }
    }

    /// A readable name of direction `col` (the system's names are asked
    /// for here, on the error path, not at every solve).
    pub fn describe<S: Model>(&self, system: &S, col: usize) -> String {
        let name = |names: Vec<String>, i: usize| names.get(i).cloned().unwrap_or_default();
        match self.wrt[col] {
            Wrt::Param(k) => format!("parameter {} (p[{k}])", name(system.param_names(), k)),
            Wrt::Y0(j) => format!("initial state {} (y0[{j}])", name(system.state_names(), j)),
            Wrt::T0 => "t0".into(),
            Wrt::TEnd => "the end time".into(),
        }
    }

    /// Name the direction of a `NonFiniteDerivative` raised in a pass whose
    /// first direction is `first`.
    pub fn name<S: Model>(&self, system: &S, e: Error, first: usize) -> Error {
        match e {
            Error::NonFiniteDerivative { t, component, direction, partial, .. } => Error::NonFiniteDerivative {
                t,
                component,
                direction: first + direction,
                wrt: self.describe(system, first + direction),
                partial,
            },
            other => other,
        }
    }

    /// `∂y(t1)/∂t1 = f(t1, y(t1))` in the `TEnd` columns (zero before `t1`).
    pub fn fill_t_end<S>(&self, system: &S, t_end: f64, p: &[f64], out: &mut Sensitivities)
    where
        S: Model,
        DefaultAllocator: Allocator<S::Dim>,
    {
        let Some(col) = self.wrt.iter().position(|w| *w == Wrt::TEnd) else { return };
        let sol = &out.solution;
        for i in (0..sol.len()).filter(|&i| sol.t[i] == t_end) {
            let f = rhs(system, t_end, sol.state(i), p);
            for (j, v) in f.iter().enumerate() {
                out.jacobians[i][(j, col)] = *v;
            }
            for c in (col + 1..self.wrt.len()).filter(|&c| self.wrt[c] == Wrt::TEnd) {
                let v = out.jacobians[i].column(col).clone_owned();
                out.jacobians[i].set_column(c, &v);
            }
        }
    }
}

/// `f(t, y, p)` in `f64`.
pub(crate) fn rhs<S>(system: &S, t: f64, y: &[f64], p: &[f64]) -> Vec<f64>
where
    S: Model,
    DefaultAllocator: Allocator<S::Dim>,
{
    let dim = system.dim();
    let y = State::<f64, S::Dim>::from_iterator_generic(dim, nalgebra::U1, y.iter().copied());
    let mut f = State::<f64, S::Dim>::zeros_generic(dim, nalgebra::U1);
    system.rhs(t, &y, &[], p, &mut f);
    f.iter().copied().collect()
}

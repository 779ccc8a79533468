//! The result of a solve: times, states in one contiguous buffer, work
//! statistics; JSON and CSV writers.

use crate::events::EventRecord;
use crate::{DualScalar, Error};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

/// Work done by a solve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Evaluations of the right-hand side.
    pub rhs_evals: usize,
    /// Accepted steps.
    pub accepted: usize,
    /// Rejected steps (error test failures, non-finite trial steps and,
    /// for implicit methods, singular iteration matrices).
    pub rejected: usize,
    /// Jacobians `∂f/∂y` evaluated (implicit methods; each costs
    /// `⌈(n + 1)/4⌉` dual-number passes through the right-hand side, or
    /// `⌈(jac_colors + 2)/4⌉` when sparse (with one check direction), which also give `f` and
    /// `∂f/∂t`, and are not in `rhs_evals`).
    #[serde(default)]
    pub jac_evals: usize,
    /// LU factorizations of the iteration matrix.
    #[serde(default)]
    pub factorizations: usize,
    /// Linear solves with a factorization.
    #[serde(default)]
    pub linear_solves: usize,
    /// Accepted steps taken by a stiff method (all of them for a stiff
    /// method, those after switches for [`Auto`](super::Auto)).
    #[serde(default)]
    pub stiff_steps: usize,
    /// Switches between methods ([`Auto`](super::Auto)).
    #[serde(default)]
    pub switches: usize,
    /// Newton iterations (BDF), each one right-hand-side evaluation and one
    /// linear solve.
    #[serde(default)]
    pub newton_iters: usize,
    /// Newton iterations that failed to converge (BDF): a new Jacobian or a
    /// smaller step follows.
    #[serde(default)]
    pub newton_failures: usize,
    /// Colors of the sparse Jacobian (dual directions per evaluation; 0
    /// when the Jacobian is dense).
    #[serde(default)]
    pub jac_colors: usize,
    /// Times a sparse Jacobian met a nonzero outside its pattern, which
    /// then grew (a warning: the pattern missed a dependency).
    #[serde(default)]
    pub pattern_growths: usize,
    /// GMRES iterations of the Krylov linear solver
    /// ([`Linsolve::Krylov`](crate::Linsolve::Krylov)), each one multigrid
    /// cycle and one product with `W`; 0 for the direct solvers.
    #[serde(default)]
    pub krylov_iters: usize,
}

/// Saved times and states of a solve.
///
/// States are stored row by row in one buffer: the state at `t[i]` is
/// `y[i * n_states .. (i + 1) * n_states]` (see [`state`](Self::state)).
///
/// # Example
/// ```
/// use odeon::{models::ExponentialDecay, solve, Method, Options};
/// let opts = Options::default().rtol(1e-10).atol(1e-12).t_eval(vec![0.0, 1.0, 2.0]);
/// let sol = solve(&ExponentialDecay, Method::Dopri5, (0.0, 2.0), &[1.0], &[0.5], &opts)?;
/// assert_eq!(sol.t, vec![0.0, 1.0, 2.0]);
/// assert!((sol.state(2)[0] - (-1.0f64).exp()).abs() < 1e-9);
/// let json = serde_json::to_string(&sol).unwrap();
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Solution<D = f64> {
    /// Saved times.
    pub t: Vec<f64>,
    /// Saved states, row-major: `n_states` values per time.
    pub y: Vec<D>,
    /// Number of state components.
    pub n_states: usize,
    /// Work statistics.
    pub stats: Stats,
    /// Events and stops that happened, in time order (see
    /// [`integrate::events`](crate::integrate::events)).
    #[serde(default)]
    pub events: Vec<EventRecord<D>>,
}

impl<D: Copy> Solution<D> {
    /// An empty solution for `n_states` components.
    pub fn new(n_states: usize) -> Self {
        Solution { t: Vec::new(), y: Vec::new(), n_states, stats: Stats::default(), events: Vec::new() }
    }

    /// Number of saved times.
    pub fn len(&self) -> usize {
        self.t.len()
    }

    /// Whether nothing was saved.
    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// The state at `t[i]`.
    ///
    /// # Panics
    /// If `i >= self.len()`, like slice indexing.
    pub fn state(&self, i: usize) -> &[D] {
        &self.y[i * self.n_states..(i + 1) * self.n_states]
    }

    /// The last saved time and state.
    pub fn last(&self) -> Option<(f64, &[D])> {
        let i = self.len().checked_sub(1)?;
        Some((self.t[i], self.state(i)))
    }

    /// Component `j` at every saved time.
    pub fn component(&self, j: usize) -> impl Iterator<Item = D> + '_ {
        self.y.iter().skip(j).step_by(self.n_states.max(1)).copied()
    }

    /// Append a time and state.
    pub fn push(&mut self, t: f64, y: impl IntoIterator<Item = D>) {
        self.t.push(t);
        self.y.extend(y);
    }

    /// The solution with every state value mapped by `f`.
    pub fn map<E>(&self, mut f: impl FnMut(&D) -> E) -> Solution<E> {
        Solution {
            t: self.t.clone(),
            y: self.y.iter().map(&mut f).collect(),
            n_states: self.n_states,
            stats: self.stats,
            events: self.events.iter().map(|e| e.map(&mut f)).collect(),
        }
    }
}

impl<D: DualScalar> Solution<D> {
    /// The real (primal) parts of a solution computed with dual numbers.
    pub fn primal(&self) -> Solution {
        self.map(|x| x.re())
    }
}

impl Solution {
    /// The solution as CSV: a header `t,<names…>` and one row per time.
    /// With `names` empty the columns are called `y0, y1, …`.
    pub fn to_csv(&self, names: &[&str]) -> Result<String, Error> {
        if !names.is_empty() && names.len() != self.n_states {
            return Err(Error::DimensionMismatch {
                what: "CSV column names",
                expected: self.n_states,
                got: names.len(),
            });
        }
        let mut out = String::from("t");
        for j in 0..self.n_states {
            match names.get(j) {
                Some(name) => write!(out, ",{name}"),
                None => write!(out, ",y{j}"),
            }
            .expect("writing to a String cannot fail");
        }
        out.push('\n');
        for i in 0..self.len() {
            write!(out, "{:e}", self.t[i]).expect("String");
            for v in self.state(i) {
                write!(out, ",{v:e}").expect("String");
            }
            out.push('\n');
        }
        Ok(out)
    }

    /// Write [`to_csv`](Self::to_csv) to a file (creating its directory).
    pub fn write_csv(&self, path: impl AsRef<Path>, names: &[&str]) -> Result<(), Error> {
        crate::files::write_atomic(path.as_ref(), self.to_csv(names)?.as_bytes())
    }

    /// Write the solution as JSON (creating its directory).
    pub fn write_json(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        crate::files::write_json(path, self, true)
    }

    /// Read a solution written by [`write_json`](Self::write_json).
    pub fn read_json(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let sol: Solution = crate::files::read_json(path)?;
        if sol.y.len() != sol.t.len() * sol.n_states {
            return Err(Error::io(
                path,
                format!("{} values for {} times of {} states", sol.y.len(), sol.t.len(), sol.n_states),
            ));
        }
        if let Some(k) =
            sol.events.iter().position(|e| e.y_before.len() != sol.n_states || e.y_after.len() != sol.n_states)
        {
            return Err(Error::io(path, format!("event {k}: states of another length than {}", sol.n_states)));
        }
        Ok(sol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Solution {
        let mut s = Solution::new(2);
        s.push(0.0, [1.0, 2.0]);
        s.push(0.5, [3.0, 4.0]);
        s
    }

    #[test]
    fn rows_and_components() {
        let s = sample();
        assert_eq!(s.state(1), &[3.0, 4.0]);
        assert_eq!(s.component(1).collect::<Vec<_>>(), vec![2.0, 4.0]);
        assert_eq!(s.last(), Some((0.5, &[3.0, 4.0][..])));
    }

    #[test]
    fn csv_round_trips_values() {
        let csv = sample().to_csv(&["x", "v"]).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("t,x,v"));
        let row: Vec<f64> = lines.nth(1).unwrap().split(',').map(|x| x.parse().unwrap()).collect();
        assert_eq!(row, vec![0.5, 3.0, 4.0]);
        assert!(sample().to_csv(&["x"]).is_err());
    }

    #[test]
    fn json_round_trip_and_malformed_file() {
        let dir = std::env::temp_dir().join(format!("odeon-sol-{}", std::process::id()));
        let path = dir.join("s.json");
        sample().write_json(&path).unwrap();
        assert_eq!(Solution::read_json(&path).unwrap(), sample());
        std::fs::write(
            &path,
            "{\"t\":[0.0],\"y\":[1.0],\"n_states\":2,\"stats\":{\"rhs_evals\":0,\"accepted\":0,\"rejected\":0}}",
        )
        .unwrap();
        assert!(matches!(Solution::read_json(&path), Err(Error::Io { .. })));
        std::fs::remove_dir_all(dir).ok();
    }
}

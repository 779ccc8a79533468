//! The cubic screen: whether a step can hold a root of any event
//! function, from their values and rates at the step's ends.

use super::{Tracker, sign};
use crate::integrate::driver::Steps;
use crate::{DualScalar, Error};

impl<D: DualScalar> Tracker<'_, D> {
    /// `g` and `dg/dt` (real parts) at the end `b` of the last step into
    /// `g1`, with `f` there from the stepper if it holds it.
    pub(super) fn end_values(&mut self, it: &mut dyn Steps<D>, b: f64) -> Result<(), Error> {
        let f = match it.derivative() {
            Some(f) => f,
            None => {
                self.system.rhs(D::from(b), it.y(), self.p, &mut self.f);
                self.rhs_evals += 1;
                &self.f
            }
        };
        self.system.rates(b, it.y(), f, &self.p1, &mut self.g1);
        if let Some(i) = self.g1.iter().position(|v| !v.re.is_finite()) {
            let reason = format!("the event function is {}", self.g1[i].re);
            return Err(Error::InvalidEvent { t: b, what: self.name(i), reason, partial: None });
        }
        Ok(())
    }

    /// Whether no armed event can have a root in the step of length `h`
    /// that ends where `g1` was evaluated: each function keeps its (known)
    /// sign at both ends, and the cubic Hermite model of `g` from its
    /// values and slopes at both ends stays on that side by a margin of a
    /// quarter of the larger end value. If not, the step is sampled on
    /// the method's continuous extension.
    pub(super) fn clean(&self, h: f64) -> bool {
        (0..self.specs.len()).filter(|&i| self.armed[i]).all(|i| {
            let (ga, gb) = (self.g_last[i], self.g1[i].re);
            let (da, db) = (h * self.gdot_last[i], h * self.g1[i].eps);
            let side = f64::from(self.side[i]);
            self.side[i] != 0
                && sign(ga) == self.side[i]
                && sign(gb) == self.side[i]
                && cubic_stays_away(ga, gb, da, db, side, 0.25 * ga.abs().max(gb.abs()))
        })
    }
}

/// Whether the cubic Hermite `p` on `[0, 1]` with `p(0) = ga`, `p(1) =
/// gb`, `p'(0) = da`, `p'(1) = db` stays above `margin` on `side` (`±1`)
/// at its interior extrema.
fn cubic_stays_away(ga: f64, gb: f64, da: f64, db: f64, side: f64, margin: f64) -> bool {
    let (c1, c2, c3) = (da, 3.0 * (gb - ga) - 2.0 * da - db, 2.0 * (ga - gb) + da + db);
    let p = |x: f64| ga + x * (c1 + x * (c2 + x * c3));
    // p'(x) = c1 + 2 c2 x + 3 c3 x².
    let (qa, qb, qc) = (3.0 * c3, 2.0 * c2, c1);
    let mut roots = [f64::NAN; 2];
    if qa.abs() <= 1e-14 * (qb.abs() + qc.abs()) {
        if qb != 0.0 {
            roots[0] = -qc / qb;
        }
    } else {
        let disc = qb * qb - 4.0 * qa * qc;
        if disc >= 0.0 {
            let q = -0.5 * (qb + disc.sqrt().copysign(qb));
            roots = [q / qa, if q != 0.0 { qc / q } else { f64::NAN }];
        }
    }
    roots.iter().filter(|x| **x > 0.0 && **x < 1.0).all(|&x| side * p(x) > margin)
        && [ga, gb, da, db].iter().all(|v| v.is_finite())
}

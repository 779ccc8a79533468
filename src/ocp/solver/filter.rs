//! The filter of the line search: pairs (θ, f) of constraint violation and
//! objective that a trial point must not be dominated by.
//!
//! # Reference
//! Fletcher & Leyffer, "Nonlinear programming without a penalty function",
//! Math. Program. 91 (2002); Wächter & Biegler, "On the implementation of an
//! interior-point filter line-search algorithm", Math. Program. 106 (2006),
//! §2.3 (switching condition, sufficient decrease, the constants below).

const GAMMA_THETA: f64 = 1e-5;
const GAMMA_F: f64 = 1e-5;
const S_THETA: f64 = 1.1;
const S_F: f64 = 2.3;
const DELTA: f64 = 1.0;
const ETA: f64 = 1e-4;

/// How a trial point was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Armijo decrease of f (an "f-type" step: the filter is not augmented).
    Objective,
    /// Sufficient decrease of θ or f (the filter is augmented).
    Either,
}

#[derive(Clone)]
pub(crate) struct Filter {
    entries: Vec<(f64, f64)>,
    theta_max: f64,
    theta_min: f64,
}

impl Filter {
    pub fn new(theta0: f64) -> Self {
        Filter { entries: Vec::new(), theta_max: 1e4 * theta0.max(1.0), theta_min: 1e-4 * theta0.max(1.0) }
    }

    /// Whether (θ⁺, f⁺) is acceptable from (θ, f) along a step of length α
    /// with directional derivative `gd` = ∇fᵀd.
    pub fn accept(&self, (theta_t, f_t): (f64, f64), (theta, f): (f64, f64), alpha: f64, gd: f64) -> Option<Accept> {
        if !(theta_t.is_finite() && f_t.is_finite()) || theta_t > self.theta_max {
            return None;
        }
        if self.entries.iter().any(|&(th, fj)| theta_t >= th && f_t >= fj) {
            return None;
        }
        let switching = gd < 0.0 && alpha * (-gd).powf(S_F) > DELTA * theta.powf(S_THETA);
        if theta <= self.theta_min && switching {
            return (f_t <= f + ETA * alpha * gd).then_some(Accept::Objective);
        }
        (theta_t <= (1.0 - GAMMA_THETA) * theta || f_t <= f - GAMMA_F * theta).then_some(Accept::Either)
    }

    /// Remember (θ, f) after a step that was not of f-type.
    pub fn augment(&mut self, theta: f64, f: f64) {
        let entry = ((1.0 - GAMMA_THETA) * theta, f - GAMMA_F * theta);
        self.entries.retain(|&(th, fj)| !(th >= entry.0 && fj >= entry.1));
        self.entries.push(entry);
    }

    /// Smallest step length worth trying (W&B eq. 23, with a floor).
    pub fn alpha_min(&self, theta: f64, gd: f64) -> f64 {
        let a = if gd < 0.0 {
            let mut a = GAMMA_THETA.min(GAMMA_F * theta / -gd);
            if theta <= self.theta_min {
                a = a.min(DELTA * theta.powf(S_THETA) / (-gd).powf(S_F));
            }
            a
        } else {
            GAMMA_THETA
        };
        (0.05 * a).max(1e-12)
    }
}

//! The NLP solver: a line-search SQP with convex QP subproblems (clarabel).

mod convexify;
mod filter;
#[cfg(feature = "ipopt")]
mod ipopt;
mod options;
mod qp;
mod scaled;
mod sqp;
mod steps;
mod updates;

#[cfg(feature = "ipopt")]
pub use ipopt::solve_nlp_ipopt;
pub use options::{HessianMode, IterLog, NlpResult, PrintLog, SqpObserver, SqpOptions, Status};
pub use sqp::{solve_nlp, solve_nlp_observed};

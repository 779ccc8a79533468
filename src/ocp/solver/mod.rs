//! The NLP solver: a line-search SQP with convex QP subproblems (clarabel).

mod convexify;
mod filter;
mod options;
mod qp;
mod sqp;
mod updates;

pub use options::{HessianMode, IterLog, NlpResult, SqpOptions, Status};
pub use sqp::solve_nlp;

//! The NLP solver: a line-search SQP with convex QP subproblems (clarabel).

mod convexify;
mod filter;
mod qp;
mod sqp;

pub use sqp::{HessianMode, IterLog, NlpResult, SqpOptions, Status, solve_nlp};

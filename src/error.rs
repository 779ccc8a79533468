//! The crate's one error type.

/// Every fallible odeon API returns `Result<_, Error>`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Too few nodes were asked of a node family (e.g. LGL needs n ≥ 2).
    #[error("{family} needs at least {min} nodes, got {n}")]
    TooFewNodes {
        /// Node family, e.g. "Legendre–Gauss–Lobatto".
        family: &'static str,
        /// Requested number of nodes.
        n: usize,
        /// Smallest admissible number of nodes.
        min: usize,
    },
    /// Two interpolation nodes coincide.
    #[error("nodes {i} and {j} coincide (x = {x})")]
    RepeatedNode {
        /// Index of the first node.
        i: usize,
        /// Index of the second node.
        j: usize,
        /// Their common value.
        x: f64,
    },
}

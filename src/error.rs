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
    /// A node or evaluation point is NaN or infinite.
    #[error("{set}[{index}] = {x} is not finite")]
    NonFiniteNode {
        /// Which argument holds it, e.g. "x_disc", "x_eval".
        set: &'static str,
        /// Its index in that argument.
        index: usize,
        /// Its value.
        x: f64,
    },
    /// The barycentric weights of a node set over- or underflow `f64`: the
    /// nodes are too clustered (or too many equispaced ones) for polynomial
    /// interpolation in floating point.
    #[error("barycentric weights of {set} ({n} nodes) exceed the range of f64")]
    WeightsOutOfRange {
        /// Which argument holds the nodes, e.g. "x_disc".
        set: &'static str,
        /// Number of nodes.
        n: usize,
    },
    /// More nodes were asked of a node family than odeon computes.
    #[error("{family} supports at most {max} nodes, got {n}")]
    TooManyNodes {
        /// Node family, e.g. "Legendre–Gauss–Lobatto".
        family: &'static str,
        /// Requested number of nodes.
        n: usize,
        /// Largest admissible number of nodes.
        max: usize,
    },
    /// A caller-supplied output matrix has the wrong shape.
    #[error("{name} must be {expected_rows}×{expected_cols}, got {rows}×{cols}")]
    ShapeMismatch {
        /// Which output, e.g. "l", "ai".
        name: &'static str,
        /// Required number of rows.
        expected_rows: usize,
        /// Required number of columns.
        expected_cols: usize,
        /// Rows of the matrix given.
        rows: usize,
        /// Columns of the matrix given.
        cols: usize,
    },
    /// A vector argument has the wrong length.
    #[error("{name} has {len} entries, expected {expected}")]
    LengthMismatch {
        /// Which argument, e.g. "values".
        name: &'static str,
        /// Required length.
        expected: usize,
        /// Length given.
        len: usize,
    },
}

//! Collocation building blocks: Gauss–Lobatto, Radau and Gauss nodes and
//! weights, and the Lagrange, Hermite and integration matrices that
//! pseudospectral and Gauss–Lobatto transcriptions are made of.
//!
//! # Conventions
//!
//! * **Interval.** Node sets live on the reference interval τ ∈ [−1, 1],
//!   ascending ([`lgl`], [`lgr`], [`lgr_with_endpoint`], [`lg`]). The matrix
//!   builders accept any distinct finite nodes, but integrals start at −1.
//! * **Rows are evaluation points.** Every matrix is
//!   `n_eval × n_nodes`: row i belongs to `x_eval[i]`, column j to node j,
//!   so `M * f` maps values at the nodes to results at the evaluation points
//!   (dymos's convention).
//! * **Scaling is the caller's.** Derivatives and integrals are in τ. On a
//!   segment [t₀, t₁], dt/dτ = (t₁ − t₀)/2: divide `D` (and `ad`) by it,
//!   multiply `bi` and integration matrices by it.
//! * **Exact node hits.** An evaluation point equal to a node (closer than
//!   the smallest normal `f64`) gives the exact unit row for interpolation
//!   and the barycentric node formula for differentiation, with the diagonal
//!   from the row-sum identity; points merely close to a node are handled by
//!   a formula that does not cancel there.
//! * **Cost.** [`Barycentric`] holds the O(n²) precomputation; each matrix
//!   costs O(n) per evaluation point after it (O(n²/2) for integration).
//!   The `*_into` methods of [`Barycentric`] fill caller buffers and
//!   allocate nothing.
//!
//! # Example: one Radau pseudospectral segment
//! ```
//! use odeon::collocation::{lagrange_matrices, lgr, lgr_with_endpoint, radau_integration_matrix};
//! let n = 4;
//! let state = lgr_with_endpoint(n)?; // n + 1 state nodes
//! let col = lgr(n)?; // n collocation nodes
//! let (_, d) = lagrange_matrices(&state.x, &col.x)?; // n × (n + 1)
//! // Defects: D·X − (dt/dτ)·F = 0. The integral form uses I = D[:, 1..]⁻¹.
//! let i = radau_integration_matrix(n)?;
//! let product = d.columns(1, n) * &i;
//! assert!((product - nalgebra::DMatrix::<f64>::identity(n, n)).amax() < 1e-12);
//! # Ok::<(), odeon::Error>(())
//! ```

mod barycentric;
mod hermite;
mod integration;
mod lagrange;
mod nodes;

pub use barycentric::Barycentric;
pub use hermite::{HermiteMatrices, hermite_matrices};
pub use integration::{gauss_integration_matrix, integration_matrix, quadrature_weights, radau_integration_matrix};
pub use lagrange::lagrange_matrices;
pub use nodes::{MAX_NODES, Nodes, lg, lgl, lgr, lgr_with_endpoint};

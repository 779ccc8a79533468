//! Finite elements for differentiable PDE models: 8-node serendipity
//! quadrilaterals ([`quad8`]), meshes with named boundary sides and
//! parallel assembly ([`Quad8Mesh`]), and transient heat conduction as an
//! ODE system with a sparse mass matrix ([`HeatConduction`]).
//!
//! Element matrices come from Gauss quadrature in code generic over the
//! scalar, so a material property can be a dual number; global matrices
//! are assembled on rayon's threads (element batches into triplets, merged
//! into compressed columns by [`CscPattern::from_triplets`]). The assembled
//! model is solved by odeon's BDF or Rosenbrock methods on the sparse
//! path: its Jacobian pattern is traced, colored and factored by sparse LU,
//! and its parameter sensitivities are exact (`docs/sparse.md`).
//!
//! [`CscPattern::from_triplets`]: crate::integrate::linalg::CscPattern::from_triplets

mod heat;
mod mesh;
pub mod quad8;

pub use heat::{HeatConduction, HeatConductionBuilder, Probe, SampledField};
pub use mesh::{BoundaryEdge, Quad8Mesh};

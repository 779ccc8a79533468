//! Collocation building blocks: Gauss–Lobatto, Radau and Gauss nodes,
//! Lagrange and Hermite matrices.

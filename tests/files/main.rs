//! Models from files: model files compiled to a tape, and SBML import.

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod sbml;
mod tape;

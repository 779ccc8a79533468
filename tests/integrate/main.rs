//! Integration: accuracy against references, convergence orders, dense
//! output, events, inputs, composed models, errors, scalar types (the stiff
//! methods' tests are in `tests/stiff`).

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod accuracy;
mod compose;
mod compose_files;
mod convergence;
mod dense_output;
mod errors;
mod events;
mod inputs;
mod lanes;
mod sbml;
mod scalar_types;
mod schedules;
mod tape;

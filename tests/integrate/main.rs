//! Integration: accuracy against references, convergence orders, dense
//! output, events, lanes, errors, scalar types. The stiff methods' tests
//! are in `tests/stiff`, composed, driven and file-defined models in
//! `tests/compose` and `tests/files` (apart so that the three compile side by side; one
//! binary was the last unit of every test build, alone on one core;
//! docs/benchmarks.md, "Build").

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod accuracy;
mod convergence;
mod dense_output;
mod errors;
mod events;
mod lanes;
mod scalar_types;
mod schedules;

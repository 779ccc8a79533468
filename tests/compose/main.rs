//! Models with inputs and outputs: composition in Rust and from model
//! files, and models driven by signals. (Apart from `tests/integrate`
//! and `tests/files` so that they compile side by side: one binary with
//! all of them was the last unit of every test build, alone on one core;
//! docs/benchmarks.md, "Build".)

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod compose;
mod compose_files;
mod inputs;
mod wired;

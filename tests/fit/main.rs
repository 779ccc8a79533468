//! Parameter estimation: problems, solvers and reports; fit specs from the command line.

mod problems;
mod cli;

//! Parameter estimation: problems, solvers and reports; fit specs from the command line.

mod cli;
mod problems;
mod svd;
mod validation;

//! IPOPT behind the same [`Nlp`] trait (cargo feature `ipopt`, which links a
//! system IPOPT through the `ipopt` crate; never in the default features).
//!
//! Built and tested here with Debian's IPOPT 3.14 (MUMPS):
//! `apt-get install coinor-libipopt-dev liblapack-dev libblas-dev libclang-dev cmake`,
//! then (the `ipopt-sys` build script mistakes the system's libm linker
//! script for a static library when it goes through pkg-config)
//! `PKG_CONFIG=/bin/false OPENSSL_LIB_DIR=/usr/lib/x86_64-linux-gnu OPENSSL_INCLUDE_DIR=/usr/include
//! cargo test --release --features ipopt --test ocp_ipopt -- --nocapture`.
//!
//! The exact Hessian of the Lagrangian is passed unchanged (IPOPT corrects
//! its inertia itself); `tol` is IPOPT's `tol`, `constr_tol` its
//! `constr_viol_tol`.
//!
//! # Reference
//! Wächter & Biegler, "On the implementation of an interior-point filter
//! line-search algorithm for large-scale nonlinear programming", Math.
//! Program. 106 (2006).

use super::options::{IterLog, NlpResult, SqpOptions, Status};
use crate::Error;
use crate::ocp::Nlp;
use ipopt::{BasicProblem, ConstrainedProblem, Index, IntermediateCallbackData, Ipopt, Number, SolveStatus};
use std::time::Instant;

struct Adapter<'a, N: Nlp> {
    nlp: &'a N,
    jidx: Vec<(usize, usize)>,
    hidx: Vec<(usize, usize)>,
    log: Vec<IterLog>,
    verbose: bool,
}

impl<N: Nlp> BasicProblem for Adapter<'_, N> {
    fn num_variables(&self) -> usize {
        self.nlp.n()
    }
    fn bounds(&self, x_l: &mut [Number], x_u: &mut [Number]) -> bool {
        self.nlp.x_bounds(x_l, x_u);
        true
    }
    fn initial_point(&self, x: &mut [Number]) -> bool {
        self.nlp.initial_point(x);
        true
    }
    fn objective(&self, x: &[Number], _new_x: bool, obj: &mut Number) -> bool {
        *obj = self.nlp.objective(x);
        obj.is_finite()
    }
    fn objective_grad(&self, x: &[Number], _new_x: bool, grad_f: &mut [Number]) -> bool {
        self.nlp.gradient(x, grad_f);
        grad_f.iter().all(|v| v.is_finite())
    }
}

impl<N: Nlp> ConstrainedProblem for Adapter<'_, N> {
    fn num_constraints(&self) -> usize {
        self.nlp.m()
    }
    fn num_constraint_jacobian_non_zeros(&self) -> usize {
        self.jidx.len()
    }
    fn constraint(&self, x: &[Number], _new_x: bool, g: &mut [Number]) -> bool {
        self.nlp.constraints(x, g);
        g.iter().all(|v| v.is_finite())
    }
    fn constraint_bounds(&self, g_l: &mut [Number], g_u: &mut [Number]) -> bool {
        self.nlp.g_bounds(g_l, g_u);
        true
    }
    fn constraint_jacobian_indices(&self, rows: &mut [Index], cols: &mut [Index]) -> bool {
        for (k, &(r, c)) in self.jidx.iter().enumerate() {
            rows[k] = r as Index;
            cols[k] = c as Index;
        }
        true
    }
    fn constraint_jacobian_values(&self, x: &[Number], _new_x: bool, vals: &mut [Number]) -> bool {
        self.nlp.jacobian_values(x, vals);
        vals.iter().all(|v| v.is_finite())
    }
    fn num_hessian_non_zeros(&self) -> usize {
        self.hidx.len()
    }
    fn hessian_indices(&self, rows: &mut [Index], cols: &mut [Index]) -> bool {
        for (k, &(r, c)) in self.hidx.iter().enumerate() {
            rows[k] = r as Index;
            cols[k] = c as Index;
        }
        true
    }
    fn hessian_values(
        &self,
        x: &[Number],
        _new_x: bool,
        obj_factor: Number,
        lambda: &[Number],
        vals: &mut [Number],
    ) -> bool {
        self.nlp.hessian_values(x, obj_factor, lambda, vals);
        vals.iter().all(|v| v.is_finite())
    }
}

fn record<N: Nlp>(a: &mut Adapter<'_, N>, d: IntermediateCallbackData) -> bool {
    let line = IterLog {
        iter: d.iter_count as usize,
        objective: d.obj_value,
        primal_inf: d.inf_pr,
        dual_inf: d.inf_du,
        alpha: d.alpha_pr,
        step: d.d_norm,
        qp_iters: 0,
        flags: String::new(),
    };
    if a.verbose {
        eprintln!(
            "{:>4} {:>14.7e} {:>9.2e} {:>9.2e} {:>9.2e} {:>9.2e}",
            line.iter, line.objective, line.primal_inf, line.dual_inf, line.alpha, line.step
        );
    }
    a.log.push(line);
    true
}

/// Solve `nlp` with IPOPT (exact Hessian required).
///
/// # Errors
/// [`Error::InvalidOption`] if the problem has no Hessian or IPOPT cannot
/// be set up. Non-convergence is a [`Status`].
///
/// # Example
/// ```ignore
/// let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)?;
/// let r = odeon::ocp::solve_nlp_ipopt(&ocp, &SqpOptions::default())?;
/// ```
pub fn solve_nlp_ipopt<N: Nlp>(nlp: &N, options: &SqpOptions) -> Result<NlpResult, Error> {
    let start = Instant::now();
    let hidx = nlp
        .hessian_structure()
        .ok_or_else(|| Error::InvalidOption { name: "ipopt", reason: "the problem provides no Hessian".into() })?;
    let adapter = Adapter { nlp, jidx: nlp.jacobian_structure(), hidx, log: Vec::new(), verbose: options.verbose };
    let mut solver =
        Ipopt::new(adapter).map_err(|e| Error::InvalidOption { name: "ipopt", reason: format!("{e:?}") })?;
    solver.set_option("tol", options.tol);
    solver.set_option("constr_viol_tol", options.constr_tol);
    solver.set_option("max_iter", options.max_iter as i32);
    if let Some(t) = options.max_time {
        solver.set_option("max_cpu_time", t);
    }
    solver.set_option("print_level", 0);
    solver.set_option("sb", "yes");
    solver.set_intermediate_callback(Some(record));
    let r = solver.solve();
    let status = match r.status {
        SolveStatus::SolveSucceeded | SolveStatus::SolvedToAcceptableLevel => Status::Optimal,
        SolveStatus::InfeasibleProblemDetected => Status::Infeasible,
        SolveStatus::MaximumIterationsExceeded => Status::MaxIterations,
        SolveStatus::MaximumCpuTimeExceeded => Status::TimeLimit,
        _ => Status::Failed,
    };
    let x = r.solver_data.solution.primal_variables.to_vec();
    let lambda = r.solver_data.solution.constraint_multipliers.to_vec();
    let (mut gl, mut gu) = (vec![0.0; nlp.m()], vec![0.0; nlp.m()]);
    nlp.g_bounds(&mut gl, &mut gu);
    let violation = r
        .constraint_values
        .iter()
        .zip(gl.iter().zip(&gu))
        .map(|(g, (lo, hi))| (lo - g).max(g - hi).max(0.0))
        .fold(0.0, f64::max);
    let objective = r.objective_value;
    let log = std::mem::take(&mut r.solver_data.problem.log);
    let iterations = log.last().map_or(0, |l| l.iter);
    Ok(NlpResult {
        status,
        x,
        lambda,
        objective,
        constraint_violation: violation,
        dual_infeasibility: log.last().map_or(f64::NAN, |l| l.dual_inf),
        iterations,
        log,
        seconds: start.elapsed().as_secs_f64(),
        message: format!("{:?}", r.status),
    })
}

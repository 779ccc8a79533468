//! Derivatives of the transcribed NLP, block by block, by dual numbers.
//!
//! Each block is a generic function of a few local variables. Its dense
//! local Jacobian comes from passes with `InlineDual64<8>` (eight seeded
//! local variables per pass), its local Hessian of the weighted outputs
//! from `InlineHyperDual64<4, 4>` passes over pairs of four-variable chunks.
//! Duals are seeded with each variable's scale and outputs multiplied by
//! their row scale, so the derivatives are those of the scaled NLP. The
//! global sparse Jacobian and Hessian are scattered sums of the blocks;
//! their structure is found once, by evaluating every block at random
//! probe points near the initial guess and keeping the entries that are
//! nonzero at any of them (as OpenMDAO's total coloring does); an entry
//! met nonzero later joins the structure then (`off_structure`).

use super::collocation::{Block, Collocation, Convexify, NONE};
use super::duals::{HK, JK, hess_part, hess_seed, jac_seed};
use super::nlp::Nlp;
use super::problem::OptimalControl;
use crate::Error;
use crate::random::{Domain, SampleRng};
use crate::scalar::Derivatives;
use nalgebra::{DMatrix, SymmetricEigen};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

impl<P: OptimalControl> Collocation<'_, P> {
    /// Dense local Jacobian of block `b` (outputs × local vars, scaled) into `jl`.
    fn local_jacobian(&self, b: &Block, x: &[f64], jl: &mut [f64], bufs: &mut JacBufs) {
        let nl = b.vars.len();
        let no = b.n_out();
        let JacBufs { z, out, xa, fa } = bufs;
        for c0 in (0..nl).step_by(JK) {
            for (i, &v) in b.vars.iter().enumerate() {
                let l = (i >= c0 && i < c0 + JK).then(|| i - c0);
                z[i] = jac_seed(x[v] * self.scale[v], l, self.scale[v]);
            }
            self.eval_block(b, &z[..nl], &mut out[..no], xa, fa);
            for r in 0..no {
                let rs = if r < b.rows.len() { b.row_scale[r] } else { self.obj_scale };
                for i in c0..(c0 + JK).min(nl) {
                    jl[r * nl + i] = out[r].eps_part(i - c0) * rs;
                }
            }
        }
    }

    /// Dense local Hessian over `vars` (local indices) of Σ w_r out_r.
    fn local_hessian(
        &self,
        b: &Block,
        x: &[f64],
        vars: &[usize],
        w: &[f64],
        h: &mut DMatrix<f64>,
        bufs: &mut HessBufs,
    ) {
        let k = vars.len();
        let HessBufs { z, out, xa, fa } = bufs;
        let nl = b.vars.len();
        let no = b.n_out();
        let nchunks = k.div_ceil(HK);
        for ca in 0..nchunks {
            for cb in ca..nchunks {
                for (i, &v) in b.vars.iter().enumerate() {
                    z[i] = hess_seed(x[v] * self.scale[v], None, None, 0.0);
                }
                for (a, &li) in vars.iter().enumerate() {
                    let v = b.vars[li];
                    let ia = (a / HK == ca).then_some(a % HK);
                    let ib = (a / HK == cb).then_some(a % HK);
                    z[li] = hess_seed(x[v] * self.scale[v], ia, ib, self.scale[v]);
                }
                self.eval_block(b, &z[..nl], &mut out[..no], xa, fa);
                let mut l = hess_seed(0.0, None, None, 0.0);
                for r in 0..no {
                    if w[r] != 0.0 {
                        l += out[r] * w[r];
                    }
                }
                for a in ca * HK..((ca + 1) * HK).min(k) {
                    for bb in cb * HK..((cb + 1) * HK).min(k) {
                        let val = hess_part(&l, a % HK, bb % HK);
                        h[(a, bb)] = val;
                        h[(bb, a)] = val;
                    }
                }
            }
        }
    }

    /// Sparsity from random probes near the initial guess.
    pub(crate) fn structure(&mut self) -> Result<(), Error> {
        // Finite values at the guess, or a typed error naming the row.
        let mut g = vec![0.0; self.m];
        let f = self.values(&self.x0, Some(&mut g));
        if let Some(r) = g.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFiniteEvaluation { what: self.row_name(r), value: g[r] });
        }
        if !f.is_finite() {
            return Err(Error::NonFiniteEvaluation { what: "objective".into(), value: f });
        }
        let probes: Vec<Vec<f64>> = (0..2)
            .map(|k| {
                let mut rng = SampleRng::new(0, Domain::Probe, k);
                self.x0.iter().map(|&v| v + 0.05 * (2.0 * rng.uniform() - 1.0) * (1.0 + v.abs())).collect()
            })
            .collect();
        let mut jac_map: HashMap<(usize, usize), usize> = HashMap::new();
        let mut hess_map: HashMap<(usize, usize), usize> = HashMap::new();
        let (mut jac, mut hess) = (Vec::new(), Vec::new());
        for i in 0..self.n {
            hess_map.insert((i, i), hess.len());
            hess.push((i, i));
        }
        let mut jb = JacBufs::new(self);
        let mut hb = HessBufs::new(self);
        let mut blocks = std::mem::take(&mut self.blocks);
        for b in &mut blocks {
            let (nl, no, nr) = (b.vars.len(), b.n_out(), b.rows.len());
            let mut nz = vec![false; no * nl];
            let mut jl = vec![0.0; no * nl];
            let all: Vec<usize> = (0..nl).collect();
            let mut hz = vec![false; nl * nl];
            let mut h = DMatrix::zeros(nl, nl);
            for (pi, x) in probes.iter().enumerate() {
                self.local_jacobian(b, x, &mut jl, &mut jb);
                for (flag, v) in nz.iter_mut().zip(&jl) {
                    *flag |= *v != 0.0;
                }
                let w: Vec<f64> = (0..no).map(|r| 1.0 + 0.37 * ((r + pi) % 5) as f64).collect();
                self.local_hessian(b, x, &all, &w, &mut h, &mut hb);
                for (flag, v) in hz.iter_mut().zip(h.iter()) {
                    *flag |= *v != 0.0;
                }
            }
            b.jac_pos = vec![NONE; nr * nl];
            for r in 0..nr {
                for i in 0..nl {
                    if nz[r * nl + i] {
                        let key = (b.rows[r], b.vars[i]);
                        let pos = *jac_map.entry(key).or_insert_with(|| {
                            jac.push(key);
                            jac.len() - 1
                        });
                        b.jac_pos[r * nl + i] = pos;
                    }
                }
            }
            // Fixed variables (equal bounds) do not move in any step: their
            // rows of the Hessian are left out, so that convexifying a
            // block cannot spread their cross terms onto the free variables.
            let free = |i: usize| self.xl[b.vars[i]] != self.xu[b.vars[i]];
            b.hess_vars = (0..nl).filter(|&i| free(i) && (0..nl).any(|j| free(j) && hz[i * nl + j])).collect();
            let k = b.hess_vars.len();
            b.hess_pos = vec![NONE; k * k];
            for a in 0..k {
                for c in 0..=a {
                    let (gi, gj) = (b.vars[b.hess_vars[a]], b.vars[b.hess_vars[c]]);
                    let key = (gi.max(gj), gi.min(gj));
                    let pos = *hess_map.entry(key).or_insert_with(|| {
                        hess.push(key);
                        hess.len() - 1
                    });
                    b.hess_pos[a * k + c] = pos;
                }
            }
        }
        self.blocks = blocks;
        self.jac = jac;
        self.hess = hess;
        Ok(())
    }
}

type Jd = crate::scalar::InlineDual64<JK>;
type Hd = crate::scalar::InlineHyperDual64<HK, HK>;

struct JacBufs {
    z: Vec<Jd>,
    out: Vec<Jd>,
    xa: Vec<Jd>,
    fa: Vec<Jd>,
}

impl JacBufs {
    fn new<P: OptimalControl>(c: &Collocation<'_, P>) -> Self {
        let (z, out, xa, fa) = c.scratch::<Jd>();
        JacBufs { z, out, xa, fa }
    }
}

struct HessBufs {
    z: Vec<Hd>,
    out: Vec<Hd>,
    xa: Vec<Hd>,
    fa: Vec<Hd>,
}

impl HessBufs {
    fn new<P: OptimalControl>(c: &Collocation<'_, P>) -> Self {
        let (z, out, xa, fa) = c.scratch::<Hd>();
        HessBufs { z, out, xa, fa }
    }
}

impl<P: OptimalControl> Nlp for Collocation<'_, P> {
    fn n(&self) -> usize {
        self.n
    }
    fn m(&self) -> usize {
        self.m
    }
    fn x_bounds(&self, lower: &mut [f64], upper: &mut [f64]) {
        lower.copy_from_slice(&self.xl);
        upper.copy_from_slice(&self.xu);
    }
    fn g_bounds(&self, lower: &mut [f64], upper: &mut [f64]) {
        lower.copy_from_slice(&self.gl);
        upper.copy_from_slice(&self.gu);
    }
    fn initial_point(&self, x: &mut [f64]) {
        x.copy_from_slice(&self.x0);
    }
    fn objective(&self, x: &[f64]) -> f64 {
        self.values(x, None)
    }
    fn gradient(&self, x: &[f64], grad: &mut [f64]) {
        grad.fill(0.0);
        let mut bufs = JacBufs::new(self);
        let mut jl = vec![0.0; self.max_local * self.max_local];
        for b in self.blocks.iter().filter(|b| b.objective) {
            let nl = b.vars.len();
            self.local_jacobian(b, x, &mut jl, &mut bufs);
            let r = b.rows.len();
            for (i, &v) in b.vars.iter().enumerate() {
                grad[v] += jl[r * nl + i];
            }
        }
    }
    fn constraints(&self, x: &[f64], g: &mut [f64]) {
        self.values(x, Some(g));
    }
    fn jacobian_structure(&self) -> Vec<(usize, usize)> {
        let extra = self.extra.lock().unwrap_or_else(|e| e.into_inner());
        let mut grown: Vec<(usize, (usize, usize))> = extra.iter().map(|(&key, &pos)| (pos, key)).collect();
        grown.sort_unstable();
        self.jac.iter().copied().chain(grown.into_iter().map(|(_, key)| key)).collect()
    }
    fn jacobian_values(&self, x: &[f64], values: &mut [f64]) {
        values.fill(0.0);
        let mut bufs = JacBufs::new(self);
        let mut jl = vec![0.0; self.max_local * self.max_local];
        for b in &self.blocks {
            let nl = b.vars.len();
            if b.rows.is_empty() {
                continue;
            }
            self.local_jacobian(b, x, &mut jl, &mut bufs);
            for (k, (pos, v)) in b.jac_pos.iter().zip(&jl).enumerate() {
                if *pos != NONE {
                    values[*pos] += v;
                } else if *v != 0.0 {
                    self.off_structure((b.rows[k / nl], b.vars[k % nl]), *v, values);
                }
            }
        }
    }
    fn hessian_structure(&self) -> Option<Vec<(usize, usize)>> {
        Some(self.hess.clone())
    }
    fn hessian_values(&self, x: &[f64], sigma: f64, lambda: &[f64], values: &mut [f64]) {
        self.hessian_into(x, sigma, lambda, values, Convexify::None);
    }
    fn convex_hessian_values(&self, x: &[f64], sigma: f64, lambda: &[f64], values: &mut [f64]) -> bool {
        self.hessian_into(x, sigma, lambda, values, self.convexify);
        true
    }
}

impl<P: OptimalControl> Collocation<'_, P> {
    /// A Jacobian entry the probes did not see: added to `values` when the
    /// caller's structure has grown to hold it, else recorded (the
    /// structure grows and `missed` is set).
    fn off_structure(&self, key: (usize, usize), v: f64, values: &mut [f64]) {
        let mut extra = self.extra.lock().unwrap_or_else(|e| e.into_inner());
        let next = self.jac.len() + extra.len();
        let pos = *extra.entry(key).or_insert(next);
        if pos < values.len() {
            values[pos] += v;
        } else {
            self.missed.store(true, Ordering::Relaxed);
        }
    }

    /// Σ of the block Hessians, each convexified as `how`.
    fn hessian_into(&self, x: &[f64], sigma: f64, lambda: &[f64], values: &mut [f64], how: Convexify) {
        values.fill(0.0);
        let mut bufs = HessBufs::new(self);
        let mut w = vec![0.0; self.max_local];
        for b in &self.blocks {
            let k = b.hess_vars.len();
            if k == 0 {
                continue;
            }
            for (r, &row) in b.rows.iter().enumerate() {
                w[r] = lambda[row] * b.row_scale[r];
            }
            if b.objective {
                w[b.rows.len()] = sigma * self.obj_scale;
            }
            let mut h = DMatrix::zeros(k, k);
            self.local_hessian(b, x, &b.hess_vars, &w[..b.n_out()], &mut h, &mut bufs);
            if h.iter().any(|v| !v.is_finite()) {
                values.fill(f64::NAN);
                return;
            }
            let h = convexify(h, how);
            for a in 0..k {
                for c in 0..=a {
                    values[b.hess_pos[a * k + c]] += h[(a, c)];
                }
            }
        }
    }
}

/// The block Hessian `h`, or with its negative eigenvalues mirrored or
/// clipped (a positive semidefinite block for solvers that need one).
fn convexify(h: DMatrix<f64>, how: Convexify) -> DMatrix<f64> {
    if how == Convexify::None {
        return h;
    }
    let eig = SymmetricEigen::new(h.clone());
    if eig.eigenvalues.iter().all(|&l| l >= 0.0) {
        return h;
    }
    let lam = eig.eigenvalues.map(|l| match how {
        Convexify::Mirror => l.abs(),
        Convexify::Clip | Convexify::None => l.max(0.0),
    });
    &eig.eigenvectors * DMatrix::from_diagonal(&lam) * eig.eigenvectors.transpose()
}

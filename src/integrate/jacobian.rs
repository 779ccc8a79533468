//! `∂f/∂y` and `∂f/∂t` of a model's generic right-hand side by dual
//! numbers: the user writes no Jacobian.
//!
//! The `n` state directions and the time direction are seeded
//! [`CHUNK`] at a time as [`InlineDual`] numbers over the solve's own
//! scalar, so a solve with dual numbers gets the Jacobian's derivative
//! parts too (nested duals), which exact sensitivities through the linear
//! solves need. The first pass also yields `f` itself.

use super::linalg::DenseMatrix;
use crate::scalar::InlineDual;
use crate::{DualScalar, OdeSystem, State};
use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, U1};

/// Directions per pass: with the time direction, one pass covers a
/// system of three states.
pub(crate) const CHUNK: usize = 4;

type Seeded<D> = InlineDual<D, Const<CHUNK>>;

/// Buffers for the dual passes, allocated once per solve.
pub(crate) struct DualJacobian<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    y: State<Seeded<D>, N>,
    f: State<Seeded<D>, N>,
    p: Vec<Seeded<D>>,
}

impl<D, N> DualJacobian<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    pub fn new(dim: N, p: &[D]) -> Self {
        let zero = Seeded::<D>::from_re(D::from(0.0));
        DualJacobian {
            y: State::from_element_generic(dim, U1, zero),
            f: State::from_element_generic(dim, U1, zero),
            p: p.iter().map(|&v| Seeded::<D>::from_re(v)).collect(),
        }
    }

    /// Write `f(t, y)`, `J = ∂f/∂y` and `T = ∂f/∂t` at `(t, y)`; return the
    /// number of passes (right-hand-side evaluations).
    pub fn eval<S>(
        &mut self,
        system: &S,
        t: f64,
        y: &State<D, N>,
        f: &mut State<D, N>,
        jac: &mut DenseMatrix<D>,
        dfdt: &mut State<D, N>,
    ) -> usize
    where
        S: OdeSystem<Dim = N>,
    {
        let n = y.len();
        let mut passes = 0;
        for start in (0..=n).step_by(CHUNK) {
            let seed = |v: D, dir: usize| {
                let x = Seeded::<D>::from_re(v);
                if dir >= start && dir < start + CHUNK { x.derivative(dir - start) } else { x }
            };
            for j in 0..n {
                self.y[j] = seed(y[j], j);
            }
            system.rhs(seed(D::from(t), n), &self.y, &self.p, &mut self.f);
            passes += 1;
            if start == 0 {
                for i in 0..n {
                    f[i] = self.f[i].re;
                }
            }
            for l in 0..CHUNK.min(n + 1 - start) {
                let dir = start + l;
                if dir == n {
                    for i in 0..n {
                        dfdt[i] = self.f[i].eps.0[l];
                    }
                } else {
                    for (c, f) in jac.column_mut(dir).iter_mut().zip(self.f.iter()) {
                        *c = f.eps.0[l];
                    }
                }
            }
        }
        passes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Robertson;
    use nalgebra::SVector;
    use num_dual::Dual64;

    #[test]
    fn robertson_jacobian_is_the_analytic_one() {
        let p = [0.04, 3e7, 1e4];
        let y = SVector::from([0.9, 1e-5, 0.1]);
        let mut jd = DualJacobian::new(Const::<3>, &p);
        let (mut f, mut t) = (SVector::zeros(), SVector::zeros());
        let mut jac = DenseMatrix::from_element(3, 0.0);
        assert_eq!(jd.eval(&Robertson, 0.0, &y, &mut f, &mut jac, &mut t), 1);
        let want = [
            [-p[0], p[2] * y[2], p[2] * y[1]],
            [p[0], -p[2] * y[2] - 2.0 * p[1] * y[1], -p[2] * y[1]],
            [0.0, 2.0 * p[1] * y[1], 0.0],
        ];
        for (i, row) in want.iter().enumerate() {
            for (j, w) in row.iter().enumerate() {
                assert!((jac.get(i, j) - w).abs() <= 1e-15 * w.abs(), "J[{i}][{j}]");
            }
        }
        assert_eq!(t, SVector::<f64, 3>::zeros());
        assert!((f[0] - (-p[0] * y[0] + p[2] * y[1] * y[2])).abs() < 1e-18);
    }

    /// `y_i' = sin(t) y_{i+1} p`, cyclic: J and T in several passes, and
    /// the derivative of J with respect to `p` carried by a dual solve.
    struct Ring;
    impl OdeSystem for Ring {
        type Dim = nalgebra::Dyn;
        fn dim(&self) -> nalgebra::Dyn {
            nalgebra::Dyn(6)
        }
        fn n_params(&self) -> usize {
            1
        }
        fn rhs<D: DualScalar>(&self, t: D, y: &State<D, nalgebra::Dyn>, p: &[D], dy: &mut State<D, nalgebra::Dyn>) {
            for i in 0..6 {
                dy[i] = t.sin() * y[(i + 1) % 6] * p[0];
            }
        }
    }

    #[test]
    fn several_passes_and_nested_derivatives() {
        let p = [Dual64::from(2.0).derivative()];
        let y = State::<Dual64, nalgebra::Dyn>::from_fn_generic(nalgebra::Dyn(6), U1, |i, _| Dual64::from(i as f64));
        let mut jd = DualJacobian::new(nalgebra::Dyn(6), &p);
        let (mut f, mut t) = (y.clone(), y.clone());
        let mut jac = DenseMatrix::from_element(6, Dual64::from(0.0));
        assert_eq!(jd.eval(&Ring, 0.5, &y, &mut f, &mut jac, &mut t), 2);
        for i in 0..6 {
            for j in 0..6 {
                let want = if j == (i + 1) % 6 { 0.5f64.sin() } else { 0.0 };
                assert_eq!(jac.get(i, j).re, want * 2.0);
                assert_eq!(jac.get(i, j).eps, want, "∂J/∂p");
            }
            assert!((t[i].re - 0.5f64.cos() * ((i + 1) % 6) as f64 * 2.0).abs() < 1e-15);
        }
    }
}

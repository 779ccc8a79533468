//! Lorenz-96: a model whose size is chosen at run time (or at compile time).

use crate::{DualScalar, OdeSystem, State};
use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, Dyn};

/// The Lorenz-96 model on a ring of `n ≥ 4` sites,
/// `x_i' = (x_{i+1} − x_{i−2}) x_{i−1} − x_i + F` (Lorenz 1996), chaotic for
/// `F = 8`.
///
/// The dimension is a type parameter: `Lorenz96::new(n)` has a run-time
/// size (`Dyn`), `Lorenz96::<Const<8>>::fixed()` a compile-time one. Both go
/// through the same integrator code.
///
/// # Example
/// ```
/// use nalgebra::Const;
/// use odeon::{models::Lorenz96, solve, Method, Options};
/// let dynamic = Lorenz96::new(8)?;
/// let fixed = Lorenz96::<Const<8>>::fixed();
/// let y0 = dynamic.perturbed_rest(8.0);
/// let a = solve(&dynamic, Method::Tsit5, (0.0, 1.0), &y0, &[8.0], &Options::default())?;
/// let b = solve(&fixed, Method::Tsit5, (0.0, 1.0), &y0, &[8.0], &Options::default())?;
/// assert_eq!(a.y, b.y); // the same arithmetic, bit for bit
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lorenz96<N: Dim = Dyn> {
    dim: N,
}

impl Lorenz96<Dyn> {
    /// A ring of `n` sites, `n ≥ 4`.
    pub fn new(n: usize) -> Result<Self, crate::Error> {
        if n < 4 {
            return Err(crate::Error::InvalidOption {
                name: "n",
                reason: format!("Lorenz-96 needs at least 4 sites, got {n}"),
            });
        }
        Ok(Lorenz96 { dim: Dyn(n) })
    }
}

impl<const N: usize> Lorenz96<Const<N>> {
    /// A ring of `N` sites fixed at compile time.
    ///
    /// # Panics
    /// At compile time if `N < 4`.
    pub const fn fixed() -> Self {
        const { assert!(N >= 4, "Lorenz-96 needs at least 4 sites") };
        Lorenz96 { dim: Const }
    }
}

impl<N: Dim> Lorenz96<N> {
    /// The rest state `x_i = F` with the first site nudged by 0.01, the
    /// usual way to start the chaotic regime.
    pub fn perturbed_rest(&self, forcing: f64) -> Vec<f64> {
        let mut y = vec![forcing; self.dim.value()];
        y[0] += 0.01;
        y
    }
}

impl<N: Dim> OdeSystem for Lorenz96<N> {
    type Dim = N;
    fn dim(&self) -> N {
        self.dim
    }
    fn n_params(&self) -> usize {
        1
    }
    fn rhs<D: DualScalar>(&self, _t: f64, x: &State<D, N>, p: &[D], dx: &mut State<D, N>)
    where
        DefaultAllocator: Allocator<N>,
    {
        let n = x.len();
        let f = p[0];
        for i in 0..n {
            let (ip1, im1, im2) = ((i + 1) % n, (i + n - 1) % n, (i + n - 2) % n);
            dx[i] = (x[ip1] - x[im2]) * x[im1] - x[i] + f;
        }
    }
    fn param_names(&self) -> Vec<String> {
        vec!["F".into()]
    }
}

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
    fn autonomous(&self) -> bool {
        true
    }
    fn rhs<D: DualScalar>(&self, _t: D, x: &State<D, N>, p: &[D], dx: &mut State<D, N>)
    where
        DefaultAllocator: Allocator<N>,
    {
        let n = x.len();
        let f = p[0];
        let (x, dx) = (x.as_slice(), dx.as_mut_slice());
        // A function, not a closure, so that it can be forced inline: with
        // many derivative directions a call would copy four large numbers.
        #[inline(always)]
        fn site<D: DualScalar>(f: D, xp1: D, xm2: D, xm1: D, xi: D) -> D {
            (xp1 - xm2) * xm1 - xi + f
        }
        // Interior sites as zipped slices (no index arithmetic, vectorizes),
        // then the three sites that wrap around the ring.
        for ((((d, &xp1), &xm2), &xm1), &xi) in
            dx[2..n - 1].iter_mut().zip(&x[3..]).zip(&x[..n - 3]).zip(&x[1..n - 2]).zip(&x[2..n - 1])
        {
            *d = site(f, xp1, xm2, xm1, xi);
        }
        dx[0] = site(f, x[1], x[n - 2], x[n - 1], x[0]);
        dx[1] = site(f, x[2], x[n - 1], x[0], x[1]);
        dx[n - 1] = site(f, x[0], x[n - 3], x[n - 2], x[n - 1]);
    }
    fn param_names(&self) -> Vec<String> {
        vec!["F".into()]
    }
}

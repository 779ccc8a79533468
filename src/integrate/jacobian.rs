//! `∂f/∂y` and `∂f/∂t` of a model's generic right-hand side by dual
//! numbers: the user writes no Jacobian.
//!
//! The `n` state directions and the time direction are seeded
//! [`CHUNK`] at a time as [`InlineDual`] numbers over the solve's own
//! scalar, so a solve with dual numbers gets the Jacobian's derivative
//! parts too (nested duals), which exact sensitivities through the linear
//! solves need. The first pass also yields `f` itself.

use super::linalg::{Coloring, CscPattern, DenseMatrix};
use crate::scalar::InlineDual;
use crate::{DualScalar, Model, State};
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

    /// The parameters the passes use.
    pub fn params(&self) -> Vec<D> {
        self.p.iter().map(|v| v.re).collect()
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
        S: Model<Dim = N>,
    {
        let n = y.len();
        self.passes(system, (t, y), (f, dfdt), (n, |j| j), None, |k, l, fd| {
            for (c, f) in jac.column_mut(k).iter_mut().zip(fd.as_slice()) {
                *c = f.eps.0[l];
            }
        })
    }

    /// The dual passes: state `j` seeded on direction `color(j)` (of
    /// `dirs`, then time as direction `dirs` unless the model is
    /// [`autonomous`](Model::autonomous)), [`CHUNK`] directions a
    /// pass; with `weights`, direction `dirs − 1` is instead seeded with
    /// `weights[j]` on every state (a Jacobian–vector product); `f` from
    /// the first pass, `∂f/∂t` into `dfdt`, and `take(k, l, f̃)` for each
    /// state direction `k` of a pass, in lane `l` of `f̃`. Returns the
    /// number of passes.
    pub(crate) fn passes<S>(
        &mut self,
        system: &S,
        (t, y): (f64, &State<D, N>),
        (f, dfdt): (&mut State<D, N>, &mut State<D, N>),
        (dirs, color): (usize, impl Fn(usize) -> usize),
        weights: Option<&[f64]>,
        mut take: impl FnMut(usize, usize, &State<Seeded<D>, N>),
    ) -> usize
    where
        S: Model<Dim = N>,
    {
        let n = y.len();
        // The time direction last, unless the model does not read time.
        let time = !system.autonomous();
        let total = dirs + usize::from(time);
        if !time {
            dfdt.fill(D::from(0.0));
        }
        let mut passes = 0;
        // One pass at least, for `f`.
        for start in (0..total.max(1)).step_by(CHUNK) {
            // Every part written by a select, none stored to a computed
            // index: the wide loads of the seeded values waited on such a
            // store (a failed store forwarding, 8% of a HIRES Rodas5P solve).
            let seed = |v: D, dir: usize| {
                let mut x = Seeded::<D>::from_re(v);
                for (l, e) in x.eps.0.iter_mut().enumerate() {
                    *e = D::from(if dir == start + l { 1.0 } else { 0.0 });
                }
                x
            };
            for j in 0..n {
                self.y[j] = seed(y[j], color(j));
            }
            if let Some(w) = weights
                && (start..start + CHUNK).contains(&(dirs - 1))
            {
                for (yj, &wj) in self.y.iter_mut().zip(w) {
                    yj.eps.0[dirs - 1 - start] = D::from(wj);
                }
            }
            system.rhs(seed(D::from(t), dirs), &self.y, &[], &self.p, &mut self.f);
            passes += 1;
            if start == 0 {
                for i in 0..n {
                    f[i] = self.f[i].re;
                }
            }
            for l in 0..CHUNK.min(total.saturating_sub(start)) {
                let k = start + l;
                if k == dirs {
                    for i in 0..n {
                        dfdt[i] = self.f[i].eps.0[l];
                    }
                } else {
                    take(k, l, &self.f);
                }
            }
        }
        passes
    }
}

/// `∂f/∂y` on a sparse pattern by colored dual directions (Curtis,
/// Powell & Reid): the columns of one [`Coloring`] color share no row, so
/// one direction seeded on all of them gives all their entries; with the
/// time direction, `⌈(colors + 1)/CHUNK⌉` passes instead of `⌈(n +
/// 1)/CHUNK⌉`. The same arithmetic per entry as [`DualJacobian`].
///
/// A nonzero outside the pattern is seen by one more direction, a
/// Jacobian–vector product with fixed pseudo-random weights in `[0.5,
/// 1.5)`, compared with the same product of the pattern's entries: a row
/// where they differ by more than rounding (1e-8 of the row's scale) has
/// a dependency the pattern misses, counted in `misses`; the caller grows
/// the pattern (`iteration`). The extra direction fills a spare lane of
/// the last pass when there is one (it costs a pass when `colors + 1` is
/// a multiple of [`CHUNK`]).
pub(crate) struct ColoredJacobian<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    dense: DualJacobian<D, N>,
    pattern: CscPattern,
    coloring: Coloring,
    /// The columns of each color.
    by_color: Vec<Vec<usize>>,
    /// The check direction's weights, and `J·w` from the passes.
    weights: Vec<f64>,
    jw: Vec<f64>,
    /// `J_pattern·w` and `|J_pattern|·w`, per row.
    sum: Vec<f64>,
    scale: Vec<f64>,
    /// Evaluations that met a nonzero outside the pattern.
    pub misses: usize,
}

impl<D, N> ColoredJacobian<D, N>
where
    D: DualScalar,
    N: Dim,
    DefaultAllocator: Allocator<N>,
{
    /// For a system of dimension `dim` whose `∂f/∂y` lies in `pattern`
    /// (`n × n`).
    pub fn new(dim: N, p: &[D], pattern: CscPattern) -> Self {
        let coloring = Coloring::greedy(&pattern);
        let mut by_color = vec![Vec::new(); coloring.n_colors];
        for c in 0..pattern.cols() {
            by_color[coloring.colors[c]].push(c);
        }
        // Weyl's sequence: fixed, well spread, never zero.
        let weights = (0..pattern.cols()).map(|j| 0.5 + (j as f64 * 0.618_033_988_749_894_9).fract()).collect();
        let rows = pattern.rows();
        let (jw, sum, scale) = (vec![0.0; rows], vec![0.0; rows], vec![0.0; rows]);
        let dense = DualJacobian::new(dim, p);
        ColoredJacobian { dense, pattern, coloring, by_color, weights, jw, sum, scale, misses: 0 }
    }

    /// Number of colors.
    pub fn colors(&self) -> usize {
        self.coloring.n_colors
    }

    /// Write `f(t, y)`, the pattern's entries of `∂f/∂y` into `values` (in
    /// the pattern's CSC order) and `∂f/∂t`; return the number of passes.
    /// A nonzero derivative outside the pattern counts in
    /// [`misses`](Self::misses).
    pub fn eval<S>(
        &mut self,
        system: &S,
        t: f64,
        y: &State<D, N>,
        f: &mut State<D, N>,
        values: &mut [D],
        dfdt: &mut State<D, N>,
    ) -> usize
    where
        S: Model<Dim = N>,
    {
        let colors = self.coloring.n_colors;
        let (pattern, by_color, jw) = (&self.pattern, &self.by_color, &mut self.jw);
        let color = |j: usize| self.coloring.colors[j];
        let check = Some(self.weights.as_slice());
        let passes = self.dense.passes(system, (t, y), (f, dfdt), (colors + 1, color), check, |k, l, fd| {
            if k == colors {
                for (v, fi) in jw.iter_mut().zip(fd.as_slice()) {
                    *v = fi.eps.0[l].re();
                }
                return;
            }
            for &c in &by_color[k] {
                for (pos, &r) in (pattern.colptr()[c]..).zip(pattern.column(c)) {
                    values[pos] = fd[r].eps.0[l];
                }
            }
        });
        // `J_pattern·w` against the passes' `J·w`.
        let (sum, scale) = (&mut self.sum, &mut self.scale);
        sum.fill(0.0);
        scale.fill(0.0);
        for c in 0..pattern.cols() {
            for (pos, &r) in (pattern.colptr()[c]..).zip(pattern.column(c)) {
                let term = values[pos].re() * self.weights[c];
                sum[r] += term;
                scale[r] += term.abs();
            }
        }
        let missed = (0..pattern.rows()).any(|r| (sum[r] - self.jw[r]).abs() > 1e-8 * (scale[r] + self.jw[r].abs()));
        self.misses += usize::from(missed);
        passes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OdeSystem;
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

    /// HIRES with the default answer to `autonomous`: its time direction
    /// is evaluated (and found zero).
    struct Timed;
    impl OdeSystem for Timed {
        type Dim = Const<8>;
        fn dim(&self) -> Const<8> {
            Const
        }
        fn n_params(&self) -> usize {
            crate::models::Hires::PARAMS.len()
        }
        fn rhs<D: DualScalar>(&self, t: D, y: &State<D, Const<8>>, p: &[D], dy: &mut State<D, Const<8>>) {
            OdeSystem::rhs(&crate::models::Hires, t, y, p, dy);
        }
    }

    #[test]
    fn an_autonomous_model_skips_the_time_direction() {
        use crate::models::Hires;
        assert!(OdeSystem::autonomous(&Hires) && !OdeSystem::autonomous(&Timed));
        let y = State::<f64, Const<8>>::from_fn(|i, _| 0.1 + 0.05 * i as f64);
        let mut out = Vec::new();
        for (passes, autonomous) in [(2, true), (3, false)] {
            let mut jd = DualJacobian::new(Const::<8>, &Hires::PARAMS);
            let (mut f, mut t) = (SVector::zeros(), SVector::from_element(1.0));
            let mut jac = DenseMatrix::from_element(8, 0.0);
            let got = match autonomous {
                true => jd.eval(&Hires, 3.0, &y, &mut f, &mut jac, &mut t),
                false => jd.eval(&Timed, 3.0, &y, &mut f, &mut jac, &mut t),
            };
            assert_eq!(got, passes);
            assert_eq!(t, SVector::<f64, 8>::zeros());
            out.push((f, jac.as_slice().to_vec()));
        }
        assert_eq!(out[0], out[1]);
        // A Rosenbrock solve drops the `∂f/∂t` terms: the same bits.
        let opts = crate::Options::default().rtol(1e-6).atol(1e-10);
        let (span, p) = ((0.0, 321.8122), &Hires::PARAMS);
        let a = crate::solve(&Hires, crate::Rodas5P, span, &Hires::Y0, p, &opts).unwrap();
        assert_eq!(a, crate::solve(&Timed, crate::Rodas5P, span, &Hires::Y0, p, &opts).unwrap());
    }
}

#[cfg(test)]
mod colored {
    use super::*;
    use crate::models::Lorenz96;
    use nalgebra::Dyn;

    /// Lorenz-96's pattern: `f_i` reads `y_{i−2}, y_{i−1}, y_i, y_{i+1}`.
    fn l96_pattern(n: usize, skip: Option<(usize, usize)>) -> CscPattern {
        let entries: Vec<(usize, usize)> =
            (0..n).flat_map(|i| [n - 2, n - 1, 0, 1].map(|d| (i, (i + d) % n))).filter(|&e| Some(e) != skip).collect();
        CscPattern::new(n, n, &entries).unwrap().0
    }

    #[test]
    fn the_colored_jacobian_equals_the_dense_one_in_fewer_passes() {
        let n = 40;
        let model = Lorenz96::new(n).unwrap();
        let y = State::<f64, Dyn>::from_fn_generic(Dyn(n), U1, |i, _| (i as f64 * 0.7).sin() + 8.0);
        let p = [8.0];
        let (mut f, mut t) = (y.clone(), y.clone());
        let mut dense = DenseMatrix::from_element(n, 0.0);
        let dense_passes = DualJacobian::new(Dyn(n), &p).eval(&model, 0.3, &y, &mut f, &mut dense, &mut t);
        let pattern = l96_pattern(n, None);
        let mut cj = ColoredJacobian::new(Dyn(n), &p, pattern.clone());
        let mut values = vec![0.0; pattern.nnz()];
        let (mut f2, mut t2) = (y.clone(), y.clone());
        let passes = cj.eval(&model, 0.3, &y, &mut f2, &mut values, &mut t2);
        // Columns within cyclic distance 3 share a row: 4 colors at least,
        // and 4 suffice when 4 divides n.
        assert_eq!(cj.colors(), 4);
        assert!(passes < dense_passes, "{passes} passes against {dense_passes}");
        assert_eq!((f2, t2), (f, t));
        for c in 0..n {
            for (pos, &r) in (pattern.colptr()[c]..).zip(pattern.column(c)) {
                assert_eq!(values[pos], dense.get(r, c), "J[{r}][{c}]: same arithmetic, same bits");
            }
        }
        // Every entry outside the pattern is zero in the dense Jacobian.
        let inside: usize = (0..n).map(|c| pattern.column(c).len()).sum();
        let nonzero = (0..n).flat_map(|c| (0..n).map(move |r| (r, c))).filter(|&(r, c)| dense.get(r, c) != 0.0).count();
        assert_eq!(nonzero, inside);
        assert_eq!(cj.misses, 0);
    }

    #[test]
    fn an_entry_the_pattern_misses_is_counted() {
        let n = 12;
        let model = Lorenz96::new(n).unwrap();
        let y = State::<f64, Dyn>::from_fn_generic(Dyn(n), U1, |i, _| i as f64 + 1.0);
        let mut cj = ColoredJacobian::new(Dyn(n), &[8.0], l96_pattern(n, Some((3, 4))));
        let mut values = vec![0.0; 4 * n - 1];
        let (mut f, mut t) = (y.clone(), y.clone());
        cj.eval(&model, 0.0, &y, &mut f, &mut values, &mut t);
        assert_eq!(cj.misses, 1);
    }
}

//! Distance-2 column coloring of a sparse pattern: columns of one color
//! share no row, so a single dual-number direction seeded on all of them
//! evaluates all their Jacobian columns at once (Curtis, Powell & Reid,
//! *IMA J. Appl. Math.* 13, 1974). Greedy in largest-first order, the
//! heuristic Gebremedhin, Manne & Pothen (*SIAM Review* 47, 2005) found
//! near-optimal on the patterns of discretized PDEs.

use super::CscPattern;

/// Rounds of iterated greedy recoloring after the first coloring.
const ITERATED_GREEDY_ROUNDS: usize = 20;

/// A color per column; columns of one color share no row.
///
/// # Example
/// ```
/// use odeon::integrate::linalg::{Coloring, CscPattern};
/// // A tridiagonal 100 × 100 pattern: three colors, so its Jacobian costs
/// // three dual directions instead of a hundred.
/// let entries: Vec<(usize, usize)> =
///     (0..100usize).flat_map(|c| (c.saturating_sub(1)..(c + 2).min(100)).map(move |r| (r, c))).collect();
/// let (pattern, _) = CscPattern::new(100, 100, &entries)?;
/// let coloring = Coloring::greedy(&pattern);
/// assert_eq!(coloring.n_colors, 3);
/// assert!(coloring.is_valid(&pattern));
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coloring {
    /// The color of each column, `0 … n_colors − 1`.
    pub colors: Vec<usize>,
    /// Number of colors (dual directions a Jacobian costs).
    pub n_colors: usize,
}

impl Coloring {
    /// Greedy coloring of the columns of `pattern` (`rows` rows) in two
    /// orders — largest-first (by the number of columns a column shares a
    /// row with) and smallest-last (Matula & Beck, *J. ACM* 30, 1983) —
    /// keeping the one with fewer colors. Each column takes the smallest
    /// color none of its neighbours has yet.
    pub fn greedy(pattern: &CscPattern) -> Coloring {
        let graph = Intersections::new(pattern);
        let cols = graph.cols();
        let mut largest_first: Vec<usize> = (0..cols).collect();
        largest_first.sort_by_key(|&c| (std::cmp::Reverse(graph.neighbours(c).len()), c));
        // No coloring has fewer colors than a row has entries: there the
        // search stops (the 1-D Brusselator's pattern reaches it at once).
        let mut per_row = vec![0usize; pattern.rows()];
        pattern.rowval().iter().for_each(|&r| per_row[r] += 1);
        let bound = per_row.into_iter().max().unwrap_or(0);
        let a = graph.color(&largest_first);
        if a.n_colors <= bound {
            return a;
        }
        let b = graph.color(&graph.smallest_last());
        let mut best = if b.n_colors < a.n_colors { b } else { a };
        // Culberson's iterated greedy: recoloring class by class (largest
        // color first, or largest class first) never needs more colors,
        // and often fewer. Each order is a counting sort of the classes.
        // The search stops when it stagnates: when a round would start
        // from the classes the round two before started from (the same
        // classes, perhaps numbered otherwise). On the 2-D Brusselator's
        // pattern all 20 rounds had kept the first coloring's 8 colors,
        // 1.6 ms of a 42 ms solve at 2,048 states; they stop after two
        // now (docs/benchmarks.md §12).
        let (mut order, mut started) = (Vec::with_capacity(cols), [Vec::new(), Vec::new()]);
        for round in 0..ITERATED_GREEDY_ROUNDS {
            let classes = best.classes();
            if best.n_colors <= bound || classes == started[round % 2] {
                break;
            }
            started[round % 2] = classes;
            let mut size = vec![0usize; best.n_colors];
            best.colors.iter().for_each(|&k| size[k] += 1);
            let mut classes: Vec<usize> = (0..best.n_colors).rev().collect();
            if round % 2 == 1 {
                classes.sort_by_key(|&k| (std::cmp::Reverse(size[k]), k));
            }
            // Where each class starts in the order; columns ascending in it.
            let mut start = vec![0usize; best.n_colors];
            let mut at = 0;
            for &k in &classes {
                start[k] = at;
                at += size[k];
            }
            order.clear();
            order.resize(cols, 0);
            for (c, &k) in best.colors.iter().enumerate() {
                order[start[k]] = c;
                start[k] += 1;
            }
            best = graph.color(&order);
        }
        best
    }

    /// The colors renumbered in the order columns first take them: equal
    /// for two colorings with the same classes.
    fn classes(&self) -> Vec<usize> {
        let mut label = vec![usize::MAX; self.n_colors];
        let mut next = 0;
        self.colors
            .iter()
            .map(|&k| {
                if label[k] == usize::MAX {
                    (label[k], next) = (next, next + 1);
                }
                label[k]
            })
            .collect()
    }

    /// Whether this is a coloring of `pattern`'s columns in which no two
    /// columns of one color share a row.
    pub fn is_valid(&self, pattern: &CscPattern) -> bool {
        let by_row = pattern.transpose();
        self.colors.len() == pattern.cols()
            && self.colors.iter().all(|&k| k < self.n_colors)
            && (0..pattern.rows()).all(|r| {
                let mut seen: Vec<usize> = by_row.column(r).iter().map(|&c| self.colors[c]).collect();
                seen.sort_unstable();
                seen.windows(2).all(|w| w[0] != w[1])
            })
    }
}

/// The column intersection graph: columns are adjacent when they share a
/// row (each neighbour listed once), the lists one after another.
struct Intersections {
    ptr: Vec<usize>,
    adj: Vec<usize>,
}

impl Intersections {
    fn new(pattern: &CscPattern) -> Self {
        let cols = pattern.cols();
        let by_row = pattern.transpose();
        let mut seen = vec![usize::MAX; cols];
        let (mut ptr, mut adj) = (Vec::with_capacity(cols + 1), Vec::new());
        ptr.push(0);
        for c in 0..cols {
            for &r in pattern.column(c) {
                for &o in by_row.column(r) {
                    if o != c && seen[o] != c {
                        seen[o] = c;
                        adj.push(o);
                    }
                }
            }
            ptr.push(adj.len());
        }
        Intersections { ptr, adj }
    }

    fn cols(&self) -> usize {
        self.ptr.len() - 1
    }

    /// The columns that share a row with column `c`.
    fn neighbours(&self, c: usize) -> &[usize] {
        &self.adj[self.ptr[c]..self.ptr[c + 1]]
    }

    /// Greedy coloring in `order`.
    fn color(&self, order: &[usize]) -> Coloring {
        let mut colors = vec![usize::MAX; self.cols()];
        // `used[k] == c`: color k is taken by a neighbour of column c.
        let mut used: Vec<usize> = Vec::new();
        for &c in order {
            for &o in self.neighbours(c) {
                if colors[o] != usize::MAX {
                    used[colors[o]] = c;
                }
            }
            let k = (0..used.len()).find(|&k| used[k] != c).unwrap_or(used.len());
            if k == used.len() {
                used.push(usize::MAX);
            }
            colors[c] = k;
        }
        Coloring { n_colors: used.len().max(usize::from(!colors.is_empty())), colors }
    }

    /// Smallest-last order: repeatedly remove a column of least remaining
    /// degree; color in the reverse order of removal. The columns wait in
    /// one list per degree (Matula & Beck's buckets: time linear in the
    /// graph), a column moved to a lower list when a neighbour goes, its
    /// older entry skipped when met.
    fn smallest_last(&self) -> Vec<usize> {
        let cols = self.cols();
        let mut degree: Vec<usize> = (0..cols).map(|c| self.neighbours(c).len()).collect();
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); degree.iter().max().map_or(0, |d| d + 1)];
        // Pushed in reverse, so that equal degrees leave lowest column first.
        (0..cols).rev().for_each(|c| buckets[degree[c]].push(c));
        let mut removed = vec![false; cols];
        let mut order = Vec::with_capacity(cols);
        let mut low = 0;
        while order.len() < cols {
            let Some(c) = buckets[low].pop() else {
                low += 1;
                continue;
            };
            if removed[c] || degree[c] != low {
                continue;
            }
            removed[c] = true;
            order.push(c);
            for &o in self.neighbours(c) {
                if !removed[o] {
                    degree[o] -= 1;
                    buckets[degree[o]].push(o);
                    low = low.min(degree[o]);
                }
            }
        }
        order.reverse();
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    fn pattern(n: usize, entries: impl Iterator<Item = (usize, usize)>) -> CscPattern {
        CscPattern::new(n, n, &entries.collect::<Vec<_>>()).unwrap().0
    }

    /// A band of half-width `w` on `n` states.
    fn band(n: usize, w: usize) -> CscPattern {
        pattern(n, (0..n).flat_map(|c| (c.saturating_sub(w)..(c + w + 1).min(n)).map(move |r| (r, c))))
    }

    /// The 5-point Laplacian on an `m × m` grid (Dirichlet or periodic).
    fn stencil(m: usize, periodic: bool) -> CscPattern {
        let id = |i: usize, j: usize| i * m + j;
        let mut e = Vec::new();
        for i in 0..m {
            for j in 0..m {
                e.push((id(i, j), id(i, j)));
                for (di, dj) in [(1i64, 0i64), (-1, 0), (0, 1), (0, -1)] {
                    let (a, b) = (i as i64 + di, j as i64 + dj);
                    let inside = (0..m as i64).contains(&a) && (0..m as i64).contains(&b);
                    if inside || periodic {
                        let (a, b) = (a.rem_euclid(m as i64) as usize, b.rem_euclid(m as i64) as usize);
                        e.push((id(a, b), id(i, j)));
                    }
                }
            }
        }
        pattern(m * m, e.into_iter())
    }

    #[test]
    fn banded_matrices_take_their_bandwidth_in_colors() {
        for (n, w) in [(10, 1), (100, 1), (100, 2), (57, 4)] {
            let p = band(n, w);
            let coloring = Coloring::greedy(&p);
            assert!(coloring.is_valid(&p));
            assert_eq!(coloring.n_colors, 2 * w + 1, "n = {n}, half-width {w}");
        }
    }

    #[test]
    fn a_five_point_stencil_takes_few_colors() {
        // Columns within Manhattan distance 2 conflict: 12 neighbours, so
        // greedy's bound is 13 colors; the optimum is 5 ((i + 2j) mod 5
        // when 5 divides the periodic side), 5–7 otherwise. Measured: 7 on
        // the Dirichlet grids, 8 on the periodic 64 × 64 one (9 before the
        // iterated-greedy rounds) — pinned so a change shows.
        for (m, periodic, most) in [(10, false, 7), (20, false, 7), (64, true, 8)] {
            let p = stencil(m, periodic);
            let coloring = Coloring::greedy(&p);
            assert!(coloring.is_valid(&p));
            assert!(coloring.n_colors <= most, "m = {m}: {} colors", coloring.n_colors);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 2000, ..Default::default() })]
        /// Any pattern: a valid coloring, no more colors than columns, at
        /// least as many as the fullest row has entries.
        #[test]
        fn any_pattern_gets_a_valid_coloring(
            (rows, cols, entries) in (1usize..30, 1usize..30).prop_flat_map(|(r, c)| {
                (proptest::strategy::Just(r), proptest::strategy::Just(c), proptest::collection::vec((0..r, 0..c), 0..120))
            })
        ) {
            let (p, _) = CscPattern::new(rows, cols, &entries).unwrap();
            let coloring = Coloring::greedy(&p);
            proptest::prop_assert!(coloring.is_valid(&p));
            proptest::prop_assert!(coloring.n_colors <= cols);
            let by_row = p.transpose();
            let fullest = (0..rows).map(|r| by_row.column(r).len()).max().unwrap_or(0);
            proptest::prop_assert!(coloring.n_colors >= fullest);
        }
    }

    #[test]
    fn a_dense_matrix_takes_one_color_per_column_and_a_diagonal_one() {
        let dense = pattern(6, (0..6).flat_map(|c| (0..6).map(move |r| (r, c))));
        assert_eq!(Coloring::greedy(&dense).n_colors, 6);
        let diagonal = pattern(6, (0..6).map(|c| (c, c)));
        assert_eq!(Coloring::greedy(&diagonal).n_colors, 1);
        let empty = pattern(4, std::iter::empty());
        assert_eq!(Coloring::greedy(&empty).n_colors, 1);
    }
}

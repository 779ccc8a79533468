//! Compressed sparse columns: the one CSC builder, from `(row, column)`
//! entries or from `(row, column, value)` triplets assembled in parallel.

use crate::Error;
use rayon::prelude::*;
use std::ops::AddAssign;

/// One batch's triplets, bucketed by a [`ColumnSplit`]'s column ranges.
pub(crate) type Buckets<T> = Vec<Vec<(usize, usize, T)>>;

/// The most rows and columns of a compressed-column matrix (its column
/// pointers alone would take 16 GiB).
const MAX_DIM: usize = 1 << 31;

/// Below this many triplets one thread builds the matrix.
const PARALLEL_MIN_ENTRIES: usize = 1 << 16;

/// A compressed-sparse-column pattern: the one CSC builder (the SQP's QP
/// matrices, its convexified Hessian, sparse Jacobians and their
/// [`Coloring`](super::Coloring)). Entries of column `c` are `rowval[colptr[c]..colptr[c +
/// 1]]`, rows increasing.
///
/// # Example
/// ```
/// use odeon::integrate::linalg::CscPattern;
/// // A 3 × 3 tridiagonal pattern from (row, column) entries.
/// let entries = [(0, 0), (1, 0), (0, 1), (1, 1), (2, 1), (1, 2), (2, 2)];
/// let (p, positions) = CscPattern::new(3, 3, &entries)?;
/// assert_eq!(p.colptr(), &[0, 2, 5, 7]);
/// assert_eq!(p.nnz(), 7);
/// assert_eq!(p.position(2, 1), Some(positions[4]));
/// assert_eq!(p.position(2, 0), None);
/// assert!(CscPattern::new(3, 3, &[(3, 0)]).is_err());
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CscPattern {
    rows: usize,
    colptr: Vec<usize>,
    rowval: Vec<usize>,
}

impl CscPattern {
    /// The pattern of `entries` `(row, col)` of a `rows × cols` matrix
    /// (any order, repeats merged), and the position of each entry in it.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the first entry outside the matrix.
    pub fn new(rows: usize, cols: usize, entries: &[(usize, usize)]) -> Result<(Self, Vec<usize>), Error> {
        let triplets: Vec<(usize, usize, f64)> = entries.iter().map(|&(r, c)| (r, c, 0.0)).collect();
        let (pattern, _) = CscPattern::from_triplets(rows, cols, &[triplets])?;
        let positions =
            entries.iter().map(|&(r, c)| pattern.position(r, c).expect("an entry of the pattern")).collect();
        Ok((pattern, positions))
    }

    /// The pattern and summed values of `(row, col, value)` triplets of a
    /// `rows × cols` matrix, given in batches (say, one per block of
    /// finite elements): repeats are added in batch order, so the values
    /// are the same for any number of threads. Built in parallel (rayon)
    /// for large inputs: the triplets are bucketed by column range, and
    /// each range is counting-sorted and merged on its own — `O(nnz)`
    /// work, no global sort.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the first entry outside the matrix,
    /// or for more than 2³¹ rows or columns.
    ///
    /// # Example
    /// ```
    /// use odeon::integrate::linalg::CscPattern;
    /// // Two 1-D linear elements on nodes 0–1 and 1–2: K = [[1, −1], [−1, 1]] each.
    /// let element = |a: usize, b: usize| vec![(a, a, 1.0), (a, b, -1.0), (b, a, -1.0), (b, b, 1.0)];
    /// let (p, values) = CscPattern::from_triplets(3, 3, &[element(0, 1), element(1, 2)])?;
    /// assert_eq!(p.colptr(), &[0, 2, 5, 7]);
    /// assert_eq!(values, [1.0, -1.0, -1.0, 2.0, -1.0, -1.0, 1.0]);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn from_triplets<T>(
        rows: usize,
        cols: usize,
        batches: &[Vec<(usize, usize, T)>],
    ) -> Result<(Self, Vec<T>), Error>
    where
        T: Copy + Send + Sync + AddAssign,
    {
        if rows > MAX_DIM || cols > MAX_DIM {
            let reason = format!("a {rows} × {cols} matrix: at most {MAX_DIM} rows and columns");
            return Err(Error::InvalidOption { name: "pattern", reason });
        }
        let outside = batches.iter().enumerate().find_map(|(b, batch)| {
            batch.iter().position(|&(r, c, _)| r >= rows || c >= cols).map(|k| (b, k, batch[k].0, batch[k].1))
        });
        if let Some((b, k, r, c)) = outside {
            let at = if batches.len() > 1 { format!("batch {b}, entry {k}") } else { format!("entry {k}") };
            let reason = format!("{at} at ({r}, {c}) is outside the {rows} × {cols} matrix");
            return Err(Error::InvalidOption { name: "pattern", reason });
        }
        let split = ColumnSplit::new(cols, batches.iter().map(Vec::len).sum());
        if split.parts == 1 {
            let range = Range::merge(0..cols, batches.iter().map(|b| b.as_slice()));
            return Ok(CscPattern::join(rows, cols, vec![range]));
        }
        // Bucket each batch's triplets by column range (in parallel, order kept).
        let buckets: Vec<Buckets<T>> = batches
            .par_iter()
            .map(|batch| {
                let mut b = split.buckets();
                batch.iter().for_each(|&e| b[split.part(e.1)].push(e));
                b
            })
            .collect();
        Ok(CscPattern::from_buckets(rows, &split, &buckets))
    }

    /// [`from_triplets`](Self::from_triplets) for triplets already
    /// bucketed by `split`'s column ranges (`buckets[batch][part]`), their
    /// indices known to be inside the matrix.
    pub(crate) fn from_buckets<T>(rows: usize, split: &ColumnSplit, buckets: &[Buckets<T>]) -> (CscPattern, Vec<T>)
    where
        T: Copy + Send + Sync + AddAssign,
    {
        let ranges: Vec<Range<T>> = (0..split.parts)
            .into_par_iter()
            .map(|k| Range::merge(split.range(k), buckets.iter().map(|b| b[k].as_slice())))
            .collect();
        CscPattern::join(rows, split.cols, ranges)
    }

    /// The matrix of consecutive column ranges (copied together in
    /// parallel).
    fn join<T: Copy + Send + Sync>(rows: usize, cols: usize, ranges: Vec<Range<T>>) -> (CscPattern, Vec<T>) {
        let mut colptr = Vec::with_capacity(cols + 1);
        colptr.push(0);
        for r in &ranges {
            for &count in &r.counts {
                colptr.push(colptr.last().copied().unwrap_or(0) + count);
            }
        }
        let total = colptr.last().copied().unwrap_or(0);
        colptr.resize(cols + 1, total);
        if ranges.len() == 1 {
            let r = ranges.into_iter().next().expect("one range");
            return (CscPattern { rows, colptr, rowval: r.rowval }, r.values);
        }
        let Some(&fill) = ranges.iter().find_map(|r| r.values.first()) else {
            return (CscPattern { rows, colptr, rowval: Vec::new() }, Vec::new());
        };
        let (mut rowval, mut values) = (vec![0; total], vec![fill; total]);
        let (mut rest_r, mut rest_v) = (rowval.as_mut_slice(), values.as_mut_slice());
        let mut pieces = Vec::with_capacity(ranges.len());
        for r in &ranges {
            let (head_r, tail_r) = std::mem::take(&mut rest_r).split_at_mut(r.rowval.len());
            let (head_v, tail_v) = std::mem::take(&mut rest_v).split_at_mut(r.values.len());
            pieces.push((head_r, head_v, r));
            (rest_r, rest_v) = (tail_r, tail_v);
        }
        pieces.into_par_iter().for_each(|(pr, pv, r)| {
            pr.copy_from_slice(&r.rowval);
            pv.copy_from_slice(&r.values);
        });
        (CscPattern { rows, colptr, rowval }, values)
    }

    /// Where entry `(r, c)` sits in the values (`None` outside the
    /// pattern).
    pub fn position(&self, r: usize, c: usize) -> Option<usize> {
        let (a, b) = (*self.colptr.get(c)?, *self.colptr.get(c + 1)?);
        self.rowval[a..b].binary_search(&r).ok().map(|k| a + k)
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.rowval.len()
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.colptr.len() - 1
    }

    /// Where each column starts in [`rowval`](Self::rowval) (`cols + 1`
    /// entries).
    pub fn colptr(&self) -> &[usize] {
        &self.colptr
    }

    /// The rows of the entries, column by column, increasing in each.
    pub fn rowval(&self) -> &[usize] {
        &self.rowval
    }

    /// The rows of column `c`.
    pub fn column(&self, c: usize) -> &[usize] {
        &self.rowval[self.colptr[c]..self.colptr[c + 1]]
    }

    /// The `(row, column)` entries, column by column.
    ///
    /// # Example
    /// ```
    /// use odeon::integrate::linalg::CscPattern;
    /// let (p, _) = CscPattern::new(2, 2, &[(1, 1), (0, 1), (1, 0)])?;
    /// assert_eq!(p.entries().collect::<Vec<_>>(), [(1, 0), (0, 1), (1, 1)]);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.cols()).flat_map(move |c| self.column(c).iter().map(move |&r| (r, c)))
    }

    /// The transpose's pattern (this pattern's rows as columns), by one
    /// counting pass: rows come out increasing in each column.
    ///
    /// # Example
    /// ```
    /// use odeon::integrate::linalg::CscPattern;
    /// // A 2 × 3 pattern with entries (0, 2) and (1, 0).
    /// let (p, _) = CscPattern::new(2, 3, &[(0, 2), (1, 0)])?;
    /// let t = p.transpose();
    /// assert_eq!((t.rows(), t.cols()), (3, 2));
    /// assert_eq!(t.column(0), &[2]);
    /// assert_eq!(t.column(1), &[0]);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    pub fn transpose(&self) -> CscPattern {
        let mut colptr = vec![0; self.rows + 1];
        for &r in &self.rowval {
            colptr[r + 1] += 1;
        }
        for i in 0..self.rows {
            colptr[i + 1] += colptr[i];
        }
        let mut next = colptr.clone();
        let mut rowval = vec![0; self.rowval.len()];
        for c in 0..self.cols() {
            for &r in self.column(c) {
                rowval[next[r]] = c;
                next[r] += 1;
            }
        }
        CscPattern { rows: self.cols(), colptr, rowval }
    }

    /// `(colptr, rowval)`, for a sparse matrix type.
    pub fn into_parts(self) -> (Vec<usize>, Vec<usize>) {
        (self.colptr, self.rowval)
    }
}

/// Consecutive column ranges of a matrix being built in parallel, one
/// merged per rayon task.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnSplit {
    cols: usize,
    parts: usize,
    width: usize,
}

impl ColumnSplit {
    /// Ranges for `nnz` triplets of a matrix with `cols` columns: one
    /// below [`PARALLEL_MIN_ENTRIES`], else four per thread.
    pub(crate) fn new(cols: usize, nnz: usize) -> Self {
        let parts = if nnz < PARALLEL_MIN_ENTRIES { 1 } else { (4 * rayon::current_num_threads()).min(cols).max(1) };
        let width = cols.div_ceil(parts).max(1);
        ColumnSplit { cols, parts: cols.div_ceil(width).max(1), width }
    }

    /// Empty buckets, one per range.
    pub(crate) fn buckets<T>(&self) -> Vec<Vec<T>> {
        (0..self.parts).map(|_| Vec::new()).collect()
    }

    /// The range holding column `c`.
    pub(crate) fn part(&self, c: usize) -> usize {
        c / self.width
    }

    fn range(&self, k: usize) -> std::ops::Range<usize> {
        k * self.width..((k + 1) * self.width).min(self.cols)
    }
}

/// One column range of a matrix being built: entries per column, rows
/// (increasing per column) and summed values.
struct Range<T> {
    counts: Vec<usize>,
    rowval: Vec<usize>,
    values: Vec<T>,
}

impl<T: Copy + AddAssign> Range<T> {
    /// Counting-sort the triplets of `cols` from `sources` (in order) by
    /// column, then sort each column by row and add repeats.
    fn merge<'a>(cols: std::ops::Range<usize>, sources: impl Iterator<Item = &'a [(usize, usize, T)]> + Clone) -> Self
    where
        T: 'a,
    {
        let c0 = cols.start;
        let mut start = vec![0usize; cols.len() + 1];
        let in_range = |&&(_, c, _): &&(usize, usize, T)| cols.contains(&c);
        for &(_, c, _) in sources.clone().flatten().filter(in_range) {
            start[c - c0 + 1] += 1;
        }
        for k in 0..cols.len() {
            start[k + 1] += start[k];
        }
        let mut slots: Vec<(usize, T)> = Vec::new();
        if let Some(&(_, _, v)) = sources.clone().flatten().find(in_range) {
            slots = vec![(0, v); start[cols.len()]];
        }
        let mut next = start.clone();
        for &(r, c, v) in sources.flatten().filter(in_range) {
            slots[next[c - c0]] = (r, v);
            next[c - c0] += 1;
        }
        let mut range = Range { counts: vec![0; cols.len()], rowval: Vec::new(), values: Vec::new() };
        range.rowval.reserve(slots.len());
        range.values.reserve(slots.len());
        for (k, w) in start.windows(2).enumerate() {
            let column = &mut slots[w[0]..w[1]];
            column.sort_by_key(|e| e.0);
            for &(r, v) in column.iter() {
                if range.counts[k] > 0 && range.rowval.last() == Some(&r) {
                    *range.values.last_mut().expect("a value per row") += v;
                } else {
                    range.rowval.push(r);
                    range.values.push(v);
                    range.counts[k] += 1;
                }
            }
        }
        range
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn csc_pattern_merges_repeats_and_finds_entries() {
        let entries = [(2, 0), (0, 1), (0, 0), (2, 0), (1, 2)];
        let (p, pos) = CscPattern::new(3, 3, &entries).unwrap();
        assert_eq!((p.colptr.clone(), p.rowval.clone()), (vec![0, 2, 3, 4], vec![0, 2, 0, 1]));
        assert_eq!(pos, vec![1, 2, 0, 1, 3]);
        assert_eq!((p.position(1, 0), p.position(1, 2), p.position(0, 7)), (None, Some(3), None));
        assert_eq!(p.nnz(), 4);
    }

    proptest! {
        /// The parallel build equals a sorted merge of all triplets, and
        /// the values do not depend on the batching's parallel split.
        #[test]
        fn triplets_match_a_sorted_merge(
            entries in proptest::collection::vec((0usize..40, 0usize..30, -5i32..5), 0..400),
            split in 1usize..7,
        ) {
            let triplets: Vec<(usize, usize, f64)> = entries.iter().map(|&(r, c, v)| (r, c, f64::from(v))).collect();
            let mut sorted = triplets.clone();
            sorted.sort_by_key(|e| (e.1, e.0));
            let mut expect: Vec<(usize, usize, f64)> = Vec::new();
            for (r, c, v) in sorted {
                match expect.last_mut() {
                    Some(last) if (last.0, last.1) == (r, c) => last.2 += v,
                    _ => expect.push((r, c, v)),
                }
            }
            let size = triplets.len().div_ceil(split).max(1);
            let batches: Vec<Vec<_>> = triplets.chunks(size).map(<[_]>::to_vec).collect();
            let (p, values) = CscPattern::from_triplets(40, 30, &batches).unwrap();
            let got: Vec<(usize, usize, f64)> =
                (0..30).flat_map(|c| (p.colptr[c]..p.colptr[c + 1]).map(move |k| (k, c))).map(|(k, c)| (p.rowval[k], c, values[k])).collect();
            prop_assert_eq!(got, expect);
        }

        /// The transpose is the pattern of the swapped entries.
        #[test]
        fn transpose_is_the_pattern_of_swapped_entries(
            entries in proptest::collection::vec((0usize..40, 0usize..30), 0..400),
        ) {
            let swapped: Vec<(usize, usize)> = entries.iter().map(|&(r, c)| (c, r)).collect();
            let p = CscPattern::new(40, 30, &entries).unwrap().0;
            prop_assert_eq!(p.transpose(), CscPattern::new(30, 40, &swapped).unwrap().0);
        }
    }

    /// Enough triplets for the parallel path: the same result with one
    /// thread and with several.
    #[test]
    fn parallel_build_is_thread_count_independent() {
        let n = 3000;
        let batches: Vec<Vec<(usize, usize, f64)>> = (0..n - 1)
            .collect::<Vec<_>>()
            .chunks(97)
            .map(|c| {
                c.iter()
                    .flat_map(|&i| [(i, i, 0.1), (i, i + 1, -0.3), (i + 1, i, 0.7), (i + 1, i + 1, 1.0 / 3.0)])
                    .collect()
            })
            .collect();
        let batches: Vec<Vec<_>> = (0..8).flat_map(|_| batches.clone()).collect();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let many = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let a = one.install(|| CscPattern::from_triplets(n, n, &batches)).unwrap();
        let b = many.install(|| CscPattern::from_triplets(n, n, &batches)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.0.nnz(), 3 * n - 2);
        assert!(CscPattern::from_triplets(n, n, &[vec![(0, n, 1.0)]]).is_err());
        assert!(CscPattern::new(3, usize::MAX, &[]).is_err());
    }
}

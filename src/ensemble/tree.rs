//! The fixed reduction order that makes results independent of threads
//! and shards.
//!
//! Samples are grouped in blocks of `block_size` consecutive indices; each
//! block is reduced sequentially. Blocks are combined along the dyadic
//! tree over block indices: the node `(level l, index j)` covers blocks
//! `[j 2ˡ, (j + 1) 2ˡ)` and is always the combination of its two children,
//! left then right. A run over any range of blocks keeps the maximal
//! dyadic nodes inside the range (at most two per level); merging runs over
//! adjacent ranges combines sibling nodes until none are left. Whatever the
//! split, the nodes, and every value in them, are those of the unsplit run,
//! so floating-point results are bit-identical. The final value folds the
//! remaining nodes left to right.

use serde::{Deserialize, Serialize};

/// A value reduced over the blocks `[index 2^level, (index + 1) 2^level)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Node<T> {
    pub level: u32,
    pub index: u64,
    pub value: T,
}

impl<T> Node<T> {
    pub fn first(&self) -> u64 {
        self.index << self.level
    }
    pub fn end(&self) -> u64 {
        (self.index + 1) << self.level
    }
}

/// Maximal dyadic nodes over disjoint block ranges, in block order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Forest<T> {
    pub nodes: Vec<Node<T>>,
}

impl<T> Default for Forest<T> {
    fn default() -> Self {
        Forest { nodes: Vec::new() }
    }
}

impl<T> Forest<T> {
    /// Append a node that starts at or after the end of the last one, then
    /// combine siblings (`merge(left, right)`) while the last two are.
    pub fn push(&mut self, node: Node<T>, merge: &impl Fn(T, T) -> T) {
        debug_assert!(self.nodes.last().is_none_or(|last| last.end() <= node.first()));
        self.nodes.push(node);
        while self.nodes.len() >= 2 {
            let (l, r) = (&self.nodes[self.nodes.len() - 2], &self.nodes[self.nodes.len() - 1]);
            if !(l.level == r.level && l.index % 2 == 0 && r.index == l.index + 1) {
                break;
            }
            let r = self.nodes.pop().expect("two nodes");
            let l = self.nodes.pop().expect("two nodes");
            self.nodes.push(Node { level: l.level + 1, index: l.index / 2, value: merge(l.value, r.value) });
        }
    }

    /// Append one block's value.
    pub fn push_block(&mut self, block: u64, value: T, merge: &impl Fn(T, T) -> T) {
        self.push(Node { level: 0, index: block, value }, merge);
    }

    /// Merge forests over disjoint block ranges (in any order).
    ///
    /// # Errors
    /// The first block covered twice.
    pub fn union(forests: Vec<Forest<T>>, merge: &impl Fn(T, T) -> T) -> Result<Forest<T>, u64> {
        let mut nodes: Vec<Node<T>> = forests.into_iter().flat_map(|f| f.nodes).collect();
        nodes.sort_by_key(|n| n.first());
        for w in nodes.windows(2) {
            if w[1].first() < w[0].end() {
                return Err(w[1].first());
            }
        }
        let mut out = Forest::default();
        for n in nodes {
            out.push(n, merge);
        }
        Ok(out)
    }

    /// The blocks covered, as sorted disjoint ranges.
    pub fn ranges(&self) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for n in &self.nodes {
            match out.last_mut() {
                Some(last) if last.1 == n.first() => last.1 = n.end(),
                _ => out.push((n.first(), n.end())),
            }
        }
        out
    }
}

impl<T: Clone> Forest<T> {
    /// All nodes folded left to right (`None` when empty).
    pub fn fold(&self, merge: &impl Fn(T, T) -> T) -> Option<T> {
        let mut it = self.nodes.iter();
        let first = it.next()?.value.clone();
        Some(it.fold(first, |acc, n| merge(acc, n.value.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deliberately non-associative combination: any change of order or
    /// grouping changes the result.
    fn f(a: f64, b: f64) -> f64 {
        (a * 1.000_000_1 + b) * 0.999_999_7 + a.sin() * 1e-3
    }

    fn run(range: std::ops::Range<u64>) -> Forest<f64> {
        let mut forest = Forest::default();
        for b in range {
            forest.push_block(b, (b as f64 * 0.37).cos(), &f);
        }
        forest
    }

    #[test]
    fn nodes_are_maximal_dyadic_intervals() {
        let forest = run(3..13);
        let spans: Vec<_> = forest.nodes.iter().map(|n| (n.first(), n.end())).collect();
        assert_eq!(spans, vec![(3, 4), (4, 8), (8, 12), (12, 13)]);
        assert_eq!(forest.ranges(), vec![(3, 13)]);
    }

    #[test]
    fn any_split_reproduces_the_unsplit_run() {
        let whole = run(0..37);
        for cuts in [vec![0, 10, 37], vec![0, 1, 2, 3, 37], vec![0, 16, 17, 36, 37], vec![0, 5, 9, 20, 33, 37]] {
            let mut parts: Vec<_> = cuts.windows(2).map(|w| run(w[0]..w[1])).collect();
            parts.reverse();
            let merged = Forest::union(parts, &f).unwrap();
            assert_eq!(merged, whole);
            assert_eq!(merged.fold(&f).unwrap().to_bits(), whole.fold(&f).unwrap().to_bits());
        }
        assert_eq!(Forest::union(vec![run(0..5), run(4..8)], &f).unwrap_err(), 4);
    }
}

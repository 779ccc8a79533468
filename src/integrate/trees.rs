//! Rooted trees and their elementary weights, for the order conditions
//! of the tableaux' unit tests (Butcher; Hairer, Nørsett & Wanner, *Solving
//! ODEs I*, §II.2).
#![allow(clippy::needless_range_loop)] // the formulas' indices, as printed

/// A method's coupling matrices in B-series form: `Φ(t)` multiplies by
/// `beta` below a single child and by `alpha` for each child of a node with
/// several (for Runge–Kutta methods both are `A`; for Rosenbrock methods
/// `β = α + Γ`).
pub struct Classical {
    pub alpha: Vec<Vec<f64>>,
    pub beta: Vec<Vec<f64>>,
}

/// A rooted tree as the list of its children.
#[derive(Clone)]
pub struct Tree(Vec<Tree>);

impl Tree {
    pub fn order(&self) -> usize {
        1 + self.0.iter().map(Tree::order).sum::<usize>()
    }
    pub fn density(&self) -> f64 {
        self.order() as f64 * self.0.iter().map(Tree::density).product::<f64>()
    }
    /// The stage vector `Φ_j(t)`.
    pub fn phi(&self, m: &Classical) -> Vec<f64> {
        let s = m.alpha.len();
        match self.0.len() {
            0 => vec![1.0; s],
            1 => {
                let c = self.0[0].phi(m);
                (0..s).map(|j| (0..s).map(|k| m.beta[j][k] * c[k]).sum()).collect()
            }
            _ => {
                let mut out = vec![1.0; s];
                for child in &self.0 {
                    let c = child.phi(m);
                    for j in 0..s {
                        out[j] *= (0..s).map(|k| m.alpha[j][k] * c[k]).sum::<f64>();
                    }
                }
                out
            }
        }
    }
}

/// Every rooted tree with `n` nodes (with repeats; harmless here).
pub fn trees(n: usize) -> Vec<Tree> {
    if n == 1 {
        return vec![Tree(vec![])];
    }
    // Children: multisets of trees whose orders sum to n − 1.
    let mut out = Vec::new();
    fn forests(n: usize, max: usize, out: &mut Vec<Vec<Tree>>, cur: &mut Vec<Tree>) {
        if n == 0 {
            out.push(cur.clone());
            return;
        }
        for k in (1..=n.min(max)).rev() {
            for t in trees(k) {
                cur.push(t);
                forests(n - k, k, out, cur);
                cur.pop();
            }
        }
    }
    let mut fs = Vec::new();
    forests(n - 1, n - 1, &mut fs, &mut Vec::new());
    for f in fs {
        out.push(Tree(f));
    }
    out
}

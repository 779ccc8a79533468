//! Sobol' low-discrepancy points (up to 21 dimensions) with a random
//! digital shift, computed point by point (Antonov–Saleev Gray-code order,
//! so point `j` needs no predecessor and parallel evaluation stays
//! deterministic).
//!
//! References: I. M. Sobol', *On the distribution of points in a cube and
//! the approximate evaluation of integrals*, USSR Comput. Math. Math. Phys.
//! 7(4), 86–112 (1967); S. Joe, F. Y. Kuo, *Constructing Sobol sequences
//! with better two-dimensional projections*, SIAM J. Sci. Comput. 30,
//! 2635–2654 (2008) (direction numbers `new-joe-kuo-6.21201`, dimensions
//! 2–21 below); I. A. Antonov, V. M. Saleev, USSR Comput. Math. Math. Phys.
//! 19(1), 252–256 (1979).

use crate::random::SampleRng;

/// `(s, a, m_1 … m_s)` of dimensions 2–21 (Joe & Kuo 2008).
const JOE_KUO: [(u32, u32, &[u32]); 20] = [
    (1, 0, &[1]),
    (2, 1, &[1, 3]),
    (3, 1, &[1, 3, 1]),
    (3, 2, &[1, 1, 1]),
    (4, 1, &[1, 1, 3, 3]),
    (4, 4, &[1, 3, 5, 13]),
    (5, 2, &[1, 1, 5, 5, 17]),
    (5, 4, &[1, 1, 5, 5, 5]),
    (5, 7, &[1, 1, 7, 11, 19]),
    (5, 11, &[1, 1, 5, 1, 1]),
    (5, 13, &[1, 1, 1, 3, 11]),
    (5, 14, &[1, 3, 5, 5, 31]),
    (6, 1, &[1, 3, 3, 9, 7, 49]),
    (6, 13, &[1, 1, 1, 15, 21, 21]),
    (6, 16, &[1, 3, 1, 13, 27, 49]),
    (6, 19, &[1, 1, 1, 15, 7, 5]),
    (6, 22, &[1, 3, 1, 15, 13, 25]),
    (6, 25, &[1, 1, 5, 5, 19, 61]),
    (7, 1, &[1, 3, 7, 11, 23, 15, 103]),
    (7, 4, &[1, 3, 7, 13, 13, 15, 69]),
];

/// Largest dimension supported.
pub const MAX_DIM: usize = JOE_KUO.len() + 1;

/// A digitally shifted Sobol' point set in `dim ≤ 21` dimensions.
#[derive(Clone, Debug)]
pub(crate) struct SobolSeq {
    /// 32 direction numbers per dimension.
    v: Vec<[u32; 32]>,
    shift: Vec<u32>,
}

impl SobolSeq {
    /// The first `dim` dimensions, shifted by random bits from `rng`.
    pub fn new(dim: usize, rng: &mut SampleRng) -> Option<Self> {
        if dim == 0 || dim > MAX_DIM {
            return None;
        }
        let mut v = Vec::with_capacity(dim);
        v.push(std::array::from_fn(|k| 1u32 << (31 - k)));
        for &(s, a, m) in &JOE_KUO[..dim - 1] {
            let s = s as usize;
            let mut d = [0u32; 32];
            for k in 0..32 {
                d[k] = if k < s {
                    m[k] << (31 - k)
                } else {
                    let mut x = d[k - s] ^ (d[k - s] >> s);
                    for l in 1..s {
                        if (a >> (s - 1 - l)) & 1 == 1 {
                            x ^= d[k - l];
                        }
                    }
                    x
                };
            }
            v.push(d);
        }
        let shift = (0..dim).map(|_| (rng.below(1 << 32)) as u32).collect();
        Some(SobolSeq { v, shift })
    }

    /// Point `j` in (0, 1)^dim.
    pub fn point(&self, j: u64, out: &mut [f64]) {
        let gray = j ^ (j >> 1);
        for (i, o) in out.iter_mut().enumerate() {
            let mut x = self.shift[i];
            let mut g = gray;
            let mut k = 0;
            while g != 0 && k < 32 {
                if g & 1 == 1 {
                    x ^= self.v[i][k];
                }
                g >>= 1;
                k += 1;
            }
            *o = (f64::from(x) + 0.5) / 4_294_967_296.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Domain;

    #[test]
    fn unshifted_points_are_the_textbook_sequence() {
        // Without shift, dimensions 1–3 of points 1–4 in Gray-code order
        // (Bratley & Fox 1988 values in natural order: 1/2; 3/4, 1/4; …).
        let mut s = SobolSeq::new(3, &mut SampleRng::new(0, Domain::Sample, 0)).unwrap();
        s.shift = vec![0; 3];
        let mut p = [0.0; 3];
        let at = |s: &SobolSeq, j, p: &mut [f64; 3]| {
            s.point(j, p);
            p.map(|x| (x * 4_294_967_296.0 - 0.5) / 4_294_967_296.0)
        };
        assert_eq!(at(&s, 1, &mut p), [0.5, 0.5, 0.5]);
        assert_eq!(at(&s, 2, &mut p), [0.75, 0.25, 0.25]);
        assert_eq!(at(&s, 3, &mut p), [0.25, 0.75, 0.75]);
    }

    #[test]
    fn every_dimension_stratifies_perfectly() {
        // The first 2^m points of a (t, s)-sequence put one point in each
        // interval [k/2^m, (k+1)/2^m) of every coordinate.
        let s = SobolSeq::new(MAX_DIM, &mut SampleRng::new(9, Domain::Sample, 0)).unwrap();
        let m = 10;
        let mut hits = vec![vec![0u32; 1 << m]; MAX_DIM];
        let mut p = vec![0.0; MAX_DIM];
        for j in 0..1u64 << m {
            s.point(j, &mut p);
            for (i, &x) in p.iter().enumerate() {
                hits[i][(x * f64::from(1u32 << m)) as usize] += 1;
            }
        }
        assert!(hits.iter().all(|h| h.iter().all(|&c| c == 1)));
        assert!(SobolSeq::new(MAX_DIM + 1, &mut SampleRng::new(9, Domain::Sample, 0)).is_none());
    }
}

"""Radau (LGR) collocation data for the peer scripts in this folder."""
import numpy as np
from numpy.polynomial import legendre


def lgr_with_end(n):
    """LGR nodes (n, -1 included) and the segment end, and the
    differentiation matrix of the n + 1 nodes' Lagrange basis at the n
    LGR nodes."""
    c = np.zeros(n + 1)
    c[n - 1], c[n] = 1.0, 1.0  # P_{n-1} + P_n
    x = np.sort(np.real(legendre.legroots(c)))
    tau = np.append(x, 1.0)
    m = len(tau)
    w = np.array([1.0 / np.prod([tau[j] - tau[k] for k in range(m) if k != j]) for j in range(m)])
    d = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            if i != j:
                d[i, j] = w[j] / w[i] / (tau[i] - tau[j])
        d[i, i] = -np.sum(d[i, :])
    return tau, d

"""W9: large sparse stiff systems, beside `cargo bench --bench sparse`.

(1) Hairer's 1-D Brusselator, N = 500 (1000 states interleaved u1, v1, ...,
alpha = 1/50, u(x,0) = 1 + sin(2 pi x), v = 3, t in [0, 10]), the peers' W6
bruss1d; (2) the 2-D Brusselator of odeon's models::Brusselator2D on an
m x m periodic grid (2 m^2 states, u and v interleaved per point, A = 3.4,
B = 1, alpha = 10, t in [0, 1]) for m = 32 and 64. rtol = atol = 1e-6.

Tools: scipy solve_ivp BDF with `jac_sparsity` (its sparse finite-difference
Jacobian and splu), CasADi's CVODES (BDF, Newton, an exact symbolic sparse
Jacobian; linear solver csparse), and diffsol's BDF with faer sparse LU
through pydiffsol (DiffSL, JIT-compiled).

Run in a virtual environment with numpy, scipy, casadi and pydiffsol
(never part of odeon's build): `python benches/peers/w9_sparse.py` from the
repository root; `python benches/peers/w9_sparse.py 32,64,128` runs the 2-D
problem alone at those sides, `python benches/peers/w9_sparse.py 1d` the
1-D problem alone (CVODES only up to m = 64, diffsol up to
m = 32: at 64 its DiffSL build ran out of the machine's 24 GiB). Prints one JSON
line per row.
"""
import json
import os
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import bench  # noqa: E402

RTOL = ATOL = 1e-6
N1 = 500
C1 = (N1 + 1) ** 2 / 50.0


def bruss1d_y0():
    x = np.arange(1, N1 + 1) / (N1 + 1)
    y0 = np.empty(2 * N1)
    y0[0::2] = 1.0 + np.sin(2.0 * np.pi * x)
    y0[1::2] = 3.0
    return y0


def bruss1d_rhs(t, y):
    u, v = y[0::2], y[1::2]
    up = np.concatenate(([1.0], u, [1.0]))
    vp = np.concatenate(([3.0], v, [3.0]))
    uuv = u * u * v
    out = np.empty_like(y)
    out[0::2] = 1.0 + uuv - 4.0 * u + C1 * (up[:-2] - 2.0 * u + up[2:])
    out[1::2] = 3.0 * u - uuv + C1 * (vp[:-2] - 2.0 * v + vp[2:])
    return out


def bruss2d_y0(m):
    h = 1.0 / m
    i, j = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    x, yy = i * h, j * h
    y0 = np.empty(2 * m * m)
    y0[0::2] = (22.0 * (yy * (1.0 - yy)) ** 1.5).ravel()
    y0[1::2] = (27.0 * (x * (1.0 - x)) ** 1.5).ravel()
    return y0


def bruss2d_rhs(m, a=3.4, b=1.0, alpha=10.0):
    c = alpha * m * m

    def f(t, y):
        u = y[0::2].reshape(m, m)
        v = y[1::2].reshape(m, m)

        def lap(w):
            return np.roll(w, 1, 0) + np.roll(w, -1, 0) + np.roll(w, 1, 1) + np.roll(w, -1, 1) - 4.0 * w

        uuv = u * u * v
        out = np.empty_like(y)
        out[0::2] = (b + uuv - (a + 1.0) * u + c * lap(u)).ravel()
        out[1::2] = (a * u - uuv + c * lap(v)).ravel()
        return out

    return f


def sparsity(f, y0):
    """The Jacobian's pattern by perturbing one state at a time (setup, untimed)."""
    n = y0.size
    f0 = f(0.0, y0)
    rows, cols = [], []
    for j in range(n):
        y = y0.copy()
        y[j] += 1e-3 * (1.0 + abs(y[j]))
        nz = np.nonzero(f(0.0, y) - f0)[0]
        rows.extend(nz)
        cols.extend([j] * len(nz))
    return sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def casadi_integrator(kind, m, y0, t1):
    import casadi as ca

    n = y0.size
    x = ca.SX.sym("x", n)
    out = []
    if kind == "bruss1d":
        for i in range(N1):
            u, v = x[2 * i], x[2 * i + 1]
            ul = x[2 * i - 2] if i > 0 else 1.0
            ur = x[2 * i + 2] if i < N1 - 1 else 1.0
            vl = x[2 * i - 1] if i > 0 else 3.0
            vr = x[2 * i + 3] if i < N1 - 1 else 3.0
            out += [1 + u * u * v - 4 * u + C1 * (ul - 2 * u + ur), 3 * u - u * u * v + C1 * (vl - 2 * v + vr)]
    else:
        c = 10.0 * m * m

        def at(i, j):
            return 2 * ((i % m) * m + (j % m))

        for i in range(m):
            for j in range(m):
                k = at(i, j)
                u, v = x[k], x[k + 1]

                def lap(s):
                    return (x[at(i - 1, j) + s] + x[at(i + 1, j) + s] + x[at(i, j - 1) + s] + x[at(i, j + 1) + s]
                            - 4 * x[k + s])

                out += [1.0 + u * u * v - 4.4 * u + c * lap(0), 3.4 * u - u * u * v + c * lap(1)]
    opts = {"abstol": ATOL, "reltol": RTOL, "max_num_steps": 1_000_000, "linear_solver": "csparse"}
    return ca.integrator("F", "cvodes", {"x": x, "ode": ca.vertcat(*out)}, 0.0, t1, opts)


def diffsl_bruss1d(y0):
    N = N1
    y0s = ",\n".join(repr(float(v)) for v in y0)
    pu = ", ".join(f"({i},{2 * i}): 1.0" for i in range(N)) + f", ({N - 1},{2 * N - 1}): 0.0"
    pv = ", ".join(f"({i},{2 * i + 1}): 1.0" for i in range(N))
    eu = ", ".join(f"({2 * i},{i}): 1.0" for i in range(N)) + f", ({2 * N - 1},{N - 1}): 0.0"
    ev = ", ".join(f"({2 * i + 1},{i}): 1.0" for i in range(N))
    return f"""
c {{ {C1!r} }}
D_ij {{
  (0..{N - 1}, 1..{N}): 1.0,
  (0..{N}, 0..{N}): -2.0,
  (1..{N}, 0..{N - 1}): 1.0,
}}
e_i {{ (0): 1.0, (1:{N - 1}): 0.0, ({N - 1}): 1.0 }}
Pu_ij {{ {pu} }}
Pv_ij {{ {pv} }}
Eu_ij {{ {eu} }}
Ev_ij {{ {ev} }}
u_i {{
{y0s}
}}
uu_i {{ Pu_ij * u_j }}
vv_i {{ Pv_ij * u_j }}
lu_i {{ D_ij * uu_j }}
lv_i {{ D_ij * vv_j }}
ru_i {{ 1.0 + uu_i * uu_i * vv_i - 4.0 * uu_i + c * (lu_i + e_i) }}
rv_i {{ 3.0 * uu_i - uu_i * uu_i * vv_i + c * (lv_i + 3.0 * e_i) }}
gu_i {{ Eu_ij * ru_j }}
gv_i {{ Ev_ij * rv_j }}
F_i {{ gu_i + gv_i }}
"""


def diffsl_bruss2d(m, y0):
    """The 2-D Brusselator in DiffSL with the states in two blocks, all u then
    all v (DiffSL's diagonal ranges then write the periodic 5-point Laplacian
    and the block selections in O(m) entries; entry-by-entry lists took
    minutes to compile at m = 64). `y0` and the result are interleaved as
    odeon's; `bruss2d_blocks` converts."""
    n = m * m
    c = 10.0 * m * m
    lap = [f"(0..{n}, 0..{n}): -4.0", f"({m}..{n}, 0..{n - m}): 1.0", f"(0..{n - m}, {m}..{n}): 1.0",
           f"(0..{m}, {n - m}..{n}): 1.0", f"({n - m}..{n}, 0..{m}): 1.0"]
    for i in range(m):
        a, b = i * m, i * m + m
        lap += [f"({a}..{b - 1}, {a + 1}..{b}): 1.0", f"({a + 1}..{b}, {a}..{b - 1}): 1.0",
                f"({a},{b - 1}): 1.0", f"({b - 1},{a}): 1.0"]
    lap = ",\n".join(lap)
    y0s = ",\n".join(repr(float(v)) for v in bruss2d_blocks(y0))
    return f"""
c {{ {c!r} }}
L_ij {{
{lap}
}}
Pu_ij {{ (0..{n}, 0..{n}): 1.0, ({n - 1},{2 * n - 1}): 0.0 }}
Pv_ij {{ (0..{n}, {n}..{2 * n}): 1.0 }}
Eu_ij {{ (0..{n}, 0..{n}): 1.0, ({2 * n - 1},{n - 1}): 0.0 }}
Ev_ij {{ ({n}..{2 * n}, 0..{n}): 1.0 }}
u_i {{
{y0s}
}}
uu_i {{ Pu_ij * u_j }}
vv_i {{ Pv_ij * u_j }}
lu_i {{ L_ij * uu_j }}
lv_i {{ L_ij * vv_j }}
ru_i {{ 1.0 + uu_i * uu_i * vv_i - 4.4 * uu_i + c * lu_i }}
rv_i {{ 3.4 * uu_i - uu_i * uu_i * vv_i + c * lv_i }}
gu_i {{ Eu_ij * ru_j }}
gv_i {{ Ev_ij * rv_j }}
F_i {{ gu_i + gv_i }}
"""


def bruss2d_blocks(y):
    """Interleaved (u1, v1, u2, ...) to blocks (u1, u2, ..., v1, v2, ...)."""
    return np.concatenate((y[0::2], y[1::2]))


def bruss2d_interleaved(y):
    """The inverse of `bruss2d_blocks`."""
    out = np.empty_like(y)
    out[0::2], out[1::2] = y[: y.size // 2], y[y.size // 2:]
    return out


def report(problem, tool, timing, y, ref=None, **extra):
    row = {"problem": problem, "tool": tool, "median_ms": 1e3 * timing["median_s"], "min_ms": 1e3 * timing["min_s"],
           "repeats": timing["repeats"], **extra}
    if ref is not None:
        row["max_rel_err"] = float(np.max(np.abs(y - ref) / np.abs(ref)))
    print(json.dumps(row), flush=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "tests", "data", "bruss1d_reference.json")) as fh:
        ref1 = np.array(json.load(fh)["y_end"])
    y0 = bruss1d_y0()
    problems = [("bruss1d", None, y0, bruss1d_rhs, 10.0, ref1)]
    sides = (32, 64)
    if sys.argv[1:] == ["1d"]:
        sides = ()  # `w9_sparse.py 1d`: bruss1d alone
    elif len(sys.argv) > 1:
        # `w9_sparse.py 32,64,128`: the 2-D problem alone at these sides.
        problems, sides = [], [int(s) for s in sys.argv[1].split(",")]
    for m in sides:
        problems.append((f"bruss2d m={m}", m, bruss2d_y0(m), bruss2d_rhs(m), 1.0, None))
    for name, m, y0, f, t1, ref in problems:
        pattern = sparsity(f, y0)

        def scipy_bdf():
            return solve_ivp(f, (0.0, t1), y0, method="BDF", rtol=RTOL, atol=ATOL, jac_sparsity=pattern).y[:, -1]

        t, y = bench(scipy_bdf, min_repeats=3)
        report(name, "scipy BDF [jac_sparsity]", t, y, ref)
        if ref is None:
            ref = y
        if m is None or m <= 32:  # diffsol's DiffSL build ran out of 24 GiB at m = 64
            import pydiffsol as ds

            t0 = time.perf_counter()
            code = diffsl_bruss1d(y0) if m is None else diffsl_bruss2d(m, y0)
            ode = ds.Ode(code, matrix_type=ds.faer_sparse, ode_solver=ds.bdf)
            ode.rtol, ode.atol = RTOL, ATOL
            build = time.perf_counter() - t0
            t, sol = bench(lambda: ode.solve_dense(np.array([]), np.array([t1])), min_repeats=3)
            y = np.asarray(sol.ys)[:, -1]
            report(name, "diffsol bdf [faer_sparse]", t, y if m is None else bruss2d_interleaved(y), ref, build_s=build)
        if m is not None and m > 64:
            continue  # CVODES with csparse took 25 s at m = 64 already
        t0 = time.perf_counter()
        F = casadi_integrator("bruss1d" if m is None else "bruss2d", m, y0, t1)
        build = time.perf_counter() - t0
        t, y = bench(lambda: np.asarray(F(x0=y0)["xf"]).ravel(), min_repeats=3)
        st = F.stats()
        report(name, "casadi cvodes [csparse]", t, y, ref, build_s=build, steps=int(st["nsteps"]))

if __name__ == "__main__":
    main()

"""dymos's two-phase cannonball (odeon's `problems::Cannonball`) with
CasADi Opti + IPOPT on the NLP odeon's `cannonball` bench solves: the
ascent on Radau (LGR) 5 x 3, the descent on Gauss-Lobatto 5 x 3
(Hermite-Simpson, states at the segment ends), linked at the apex in
time, the four states and the radius; muzzle energy at most 400 kJ;
range maximized; odeon's variable scaling.

Run from a clone in a virtual environment with casadi and numpy:
    python benches/peers/w11_cannonball_casadi.py
It prints one JSON line per variant (variable bounds as constraint rows,
Opti's default, and passed to IPOPT as bounds): times (median of >= 5
runs in a >= 3 s window, `timing.bench`), IPOPT's iterations, status,
range and radius.
"""
import json
import math

import casadi as ca
import numpy as np

from collocation import lgr_with_end
from timing import bench

DEG = math.pi / 180.0
G, CD, RHO_IRON, ENERGY = 9.80665, 0.5, 7870.0, 4e5
SCALE = np.array([1000.0, 1000.0, 1.0, 100.0])


def mass(r):
    return 4.0 / 3.0 * math.pi * RHO_IRON * r ** 3


def rhs(x, radius):
    h, gam, v = x[1], x[2], x[3]
    rho = 1.225 * (1.0 - 0.0065 / 288.15 * h) ** 4.255876
    drag = 0.5 * CD * rho * v * v * math.pi * radius ** 2
    return ca.vertcat(v * ca.cos(gam), v * ca.sin(gam), -ca.cos(gam) * G / v, -drag / mass(radius) - ca.sin(gam) * G)


def phase_variables(opti, nodes, guess):
    xs = opti.variable(4, nodes)
    frac = np.linspace(0.0, 1.0, nodes)
    opti.set_initial(xs, np.vstack([(a + (b - a) * frac) / sc for (a, b), sc in zip(guess, SCALE)]))
    lo = np.array([0.0, 0.0, -89 * DEG, 1.0]) / SCALE
    hi = np.array([np.inf, np.inf, 89 * DEG, np.inf]) / SCALE
    for k in range(4):
        opti.subject_to(opti.bounded(lo[k], xs[k, :], hi[k]))
    return xs, ca.diag(ca.DM(SCALE)) @ xs


def solve(detect_bounds):
    opti = ca.Opti()
    segments, order = 5, 3
    # Ascent: Radau, states at all LGR nodes and the end.
    tau, d = lgr_with_end(order)
    na = segments * order + 1
    xa_s, xa = phase_variables(opti, na, [(0, 100), (0, 100), (25 * DEG, 0), (200, 150)])
    ra_s, dur_a_s = opti.variable(), opti.variable()
    ra, dur_a = 0.1 * ra_s, 100 * dur_a_s
    for s in range(segments):
        h = dur_a * 0.5 / segments
        for i in range(order):
            k = s * order + i
            dx = sum(d[i, j] * xa[:, s * order + j] for j in range(order + 1))
            opti.subject_to((dx - h * rhs(xa[:, k], ra)) / ca.DM(SCALE) == 0)
    # Descent: Hermite-Simpson (Gauss-Lobatto order 3), states at segment ends.
    nd = segments + 1
    xd_s, xd = phase_variables(opti, nd, [(100, 200), (100, 0), (0, -45 * DEG), (150, 200)])
    rd_s, t0_d_s, dur_d_s = opti.variable(), opti.variable(), opti.variable()
    rd, t0_d, dur_d = 0.1 * rd_s, 100 * t0_d_s, 100 * dur_d_s
    hs = dur_d / segments
    for s in range(segments):
        xl, xr = xd[:, s], xd[:, s + 1]
        fl, fr = rhs(xl, rd), rhs(xr, rd)
        xc = 0.5 * (xl + xr) + hs / 8 * (fl - fr)
        opti.subject_to((xr - xl - hs / 6 * (fl + 4 * rhs(xc, rd) + fr)) / ca.DM(SCALE) == 0)
    # Boundaries, bounds and linkage.
    opti.subject_to(xa_s[0, 0] == 0)
    opti.subject_to(xa_s[1, 0] == 0)
    opti.subject_to(xa_s[2, na - 1] == 0)
    opti.subject_to(opti.bounded(0.0, 0.5 * mass(ra) * xa[3, 0] ** 2 / 1e5, ENERGY / 1e5))
    opti.subject_to(xd_s[1, nd - 1] == 0)
    for v, lo, hi in [(ra_s, 0.1, 1.0), (rd_s, 0.1, 1.0), (dur_a_s, 0.01, 1.0), (t0_d_s, 0.005, 1.0),
                      (dur_d_s, 0.005, 1.0)]:
        opti.subject_to(opti.bounded(lo, v, hi))
    opti.subject_to(t0_d_s - dur_a_s == 0)
    opti.subject_to(xa_s[:, na - 1] - xd_s[:, 0] == 0)
    opti.subject_to(ra_s - rd_s == 0)
    opti.minimize(-xd[0, nd - 1] / 1000)
    for v, g in [(ra_s, 0.5), (rd_s, 0.5), (dur_a_s, 0.1), (t0_d_s, 0.1), (dur_d_s, 0.1)]:
        opti.set_initial(v, g)
    opti.solver("ipopt", {"print_time": False, "record_time": True, "detect_simple_bounds": detect_bounds},
                {"print_level": 0, "sb": "yes", "tol": 1e-8})
    sol = opti.solve()
    st = sol.stats()
    return {"iterations": int(st["iter_count"]), "status": st["return_status"],
            "range_m": float(sol.value(xd[0, nd - 1])), "radius_m": float(sol.value(ra)),
            "ipopt_wall_s": float(st["t_wall_total"]), "variables": int(opti.nx), "constraints": int(opti.ng)}


def main():
    for detect in [False, True]:
        timing, out = bench(lambda: solve(detect))
        print(json.dumps({"case": "cannonball Radau 5x3 + GL 5x3", "detect_simple_bounds": detect, **timing, **out,
                          "casadi": ca.__version__}), flush=True)


if __name__ == "__main__":
    main()

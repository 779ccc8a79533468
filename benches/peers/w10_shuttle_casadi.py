"""Betts's shuttle reentry (odeon's `problems::ShuttleReentry`, dymos's
setup) with CasADi Opti + IPOPT on the grid odeon's bench solves: Radau
(LGR) collocation, 30 segments of order 3, states at all nodes shared at
segment ends, controls at every node, defects D x - (dt/dtau) f at the
LGR nodes, the same variable and defect scaling as odeon's phase.

Run from a clone in a virtual environment with casadi and numpy
(`pip install casadi numpy`):
    python benches/peers/w10_shuttle_casadi.py [segments]
It prints one JSON line per case (free and q <= 70, each with the
variable bounds as constraint rows, Opti's default, and passed to IPOPT
as bounds, `detect_simple_bounds`): build and solve times (median of >= 5 runs in a >= 3 s window, `timing.bench`), IPOPT's
iterations, status and the optimum.
"""
import json
import math
import sys

import casadi as ca
import numpy as np

from collocation import lgr_with_end
from timing import bench

DEG = math.pi / 180.0


def density(h):
    return 0.002378 * ca.exp(-h / 23800.0)


def rhs(x, u):
    re, mu, mass = 20902900.0, 0.14076539e17, 203000.0 / 32.174
    h, gam, phi, psi, theta, v = (x[i] for i in range(6))
    a = u[0] / DEG
    qs = 0.5 * 2690.0 * density(h) * v * v
    lift = qs * (0.029244 * a - 0.20704)
    drag = qs * (0.621408e-3 * a * a - 0.61592e-2 * a + 0.07854)
    r = h + re
    g = mu / (r * r)
    return ca.vertcat(
        v * ca.sin(gam),
        lift / (v * mass) * ca.cos(u[1]) + ca.cos(gam) * (v / r - g / v),
        v / r * ca.cos(gam) * ca.sin(psi) / ca.cos(theta),
        lift * ca.sin(u[1]) / (v * ca.cos(gam) * mass) + v * ca.cos(gam) * ca.sin(psi) * ca.sin(theta) / (r * ca.cos(theta)),
        ca.cos(gam) * ca.cos(psi) * v / r,
        -drag / mass - g * ca.sin(gam),
    )


def heating(x, u):
    a = u[0] / DEG
    q_r = 17700.0 * ca.sqrt(density(x[0])) * (1e-4 * x[5]) ** 3.07
    q_a = 1.0672181 + a * (-0.19213774e-1 + a * (0.21286289e-3 - 0.10117249e-5 * a))
    return q_r * q_a


def solve(segments, order, heating_limit, detect_bounds):
    tau, d = lgr_with_end(order)
    npn = order + 1
    nodes = segments * order + 1
    scale_x = np.array([1e5, 1, 1, 1, 1, 1e4])
    defect_scale = np.array([1e3, 1, 1, 1, 1, 1e4])
    opti = ca.Opti()
    xs = opti.variable(6, nodes)  # scaled states
    us = opti.variable(2, segments * npn)  # controls at every node of every segment
    ds = opti.variable()  # duration / 200
    dur = 200 * ds
    x = ca.diag(ca.DM(scale_x)) @ xs
    for s in range(segments):
        h = dur * 0.5 / segments
        for i in range(order):
            k = s * order + i
            f = rhs(x[:, k], us[:, s * npn + i])
            dx = sum(d[i, j] * x[:, s * order + j] for j in range(npn))
            opti.subject_to((dx - h * f) / ca.DM(defect_scale) == 0)
        # Controls continuous: the segment's end value is the next's first.
        if s + 1 < segments:
            opti.subject_to(us[:, s * npn + order] == us[:, (s + 1) * npn])
        if heating_limit:
            for i in range(npn if s + 1 == segments else order):
                q = heating(x[:, s * order + i], us[:, s * npn + i])
                opti.subject_to(opti.bounded(0.0, q / 70.0, 1.0))
    # The last control value: the extrapolation of the last segment's LGR values.
    lag = np.array([np.prod([(1.0 - tau[k]) / (tau[j] - tau[k]) for k in range(order) if k != j]) for j in range(order)])
    last = (segments - 1) * npn
    opti.subject_to(us[:, last + order] == sum(lag[j] * us[:, last + j] for j in range(order)))
    first, final = [260000.0, -DEG, 0.0, 90 * DEG, 0.0, 25600.0], {0: 80000.0, 1: -5 * DEG, 5: 2500.0}
    opti.subject_to(xs[:, 0] == ca.DM(np.array(first) / scale_x))
    for k, v in final.items():
        opti.subject_to(xs[k, nodes - 1] == v / scale_x[k])
    lo = np.array([0.0, -89 * DEG, 0.0, 0.0, -89 * DEG, 500.0]) / scale_x
    hi = np.array([np.inf, 89 * DEG, 89 * DEG, 90 * DEG, 89 * DEG, np.inf]) / scale_x
    for k in range(6):
        opti.subject_to(opti.bounded(lo[k], xs[k, :], hi[k]))
    opti.subject_to(opti.bounded(-90 * DEG, us[0, :], 90 * DEG))
    opti.subject_to(opti.bounded(-89 * DEG, us[1, :], DEG))
    opti.subject_to(opti.bounded(100.0 / 200, ds, 5000.0 / 200))
    opti.minimize(-100 * x[4, nodes - 1])
    # dymos's guesses, linear in the phase fraction.
    frac = np.concatenate([[(s + 0.5 * (tau[i] + 1)) / segments for i in range(order)] for s in range(segments)] + [[1.0]])
    guess = [(260000, 80000), (-DEG, -5 * DEG), (0, 75 * DEG), (90 * DEG, 10 * DEG), (0, 25 * DEG), (25600, 2500)]
    opti.set_initial(xs, np.vstack([(a + (b - a) * frac) / sc for (a, b), sc in zip(guess, scale_x)]))
    ufrac = np.concatenate([[(s + 0.5 * (t + 1)) / segments for t in tau] for s in range(segments)])
    opti.set_initial(us, np.vstack([np.full_like(ufrac, 17.4 * DEG), -75 * DEG + 75 * DEG * ufrac]))
    opti.set_initial(ds, 2000.0 / 200)
    opti.solver("ipopt", {"print_time": False, "record_time": True, "detect_simple_bounds": detect_bounds}, {"print_level": 0, "sb": "yes", "tol": 1e-8})
    sol = opti.solve()
    st = sol.stats()
    return {
        "iterations": int(st["iter_count"]),
        "status": st["return_status"],
        "theta_f_deg": float(sol.value(x[4, nodes - 1])) / DEG,
        "t_f": float(sol.value(dur)),
        "ipopt_wall_s": float(st["t_wall_total"]),
        "variables": int(opti.nx),
        "constraints": int(opti.ng),
    }


def main():
    segments = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    for name, limit in [("free", False), ("q <= 70", True)]:
        for detect in [False, True]:
            timing, out = bench(lambda: solve(segments, 3, limit, detect))
            print(json.dumps({"case": name, "segments": segments, "order": 3, "detect_simple_bounds": detect,
                              **timing, **out, "casadi": ca.__version__}), flush=True)


if __name__ == "__main__":
    main()

"""W8: events. (1) a bouncing ball (h'' = -g, g = 9.81, e = 0.8, dropped from
10 m) to its 10th bounce at rtol = atol = 1e-10 with scipy solve_ivp and a
terminal event, restarted after each bounce; (2) the oral-dosing fit of
odeon's examples/pharmacokinetics.rs (6 doses q12h after a lag, 4 parameters)
with scipy least_squares (2-point finite differences), each residual
evaluation integrating dose to dose with solve_ivp (rtol 1e-9, atol 1e-10).

Run in a virtual environment with numpy and scipy (never part of odeon's
build): `python benches/peers/w8_events.py` from the repository root; the
data file defaults to this repository's examples/data/pk_noisy.csv."""
import json
import os
import sys
import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares
from timing import bench

G, E, H0 = 9.81, 0.8, 10.0


def exact_bounces(k):
    v = np.sqrt(2 * G * H0)
    t = v / G
    out = [t]
    for j in range(1, k):
        t += 2 * E ** j * v / G
        out.append(t)
    return np.array(out)


def ball(method):
    def rhs(t, y):
        return [y[1], -G]

    def ground(t, y):
        return y[0]

    ground.terminal = True
    ground.direction = -1
    t, y, times = 0.0, [H0, 0.0], []
    while len(times) < 10:
        sol = solve_ivp(rhs, (t, 11.5), y, method=method, rtol=1e-10, atol=1e-10, events=ground)
        if sol.status != 1:
            break
        t = sol.t_events[0][0]
        ye = sol.y_events[0][0]
        times.append(t)
        y = [0.0, -E * ye[1]]
    return np.array(times)


def pk_data(path):
    d = np.loadtxt(path, delimiter=",", skiprows=1)
    return d[:, 0], d[:, 1], d[:, 2]


def pk_predict(theta, t_obs):
    ka, ke, V, tlag = theta
    doses = tlag + 12.0 * np.arange(6)

    def rhs(t, y):
        return [-ka * y[0], ka * y[0] - ke * y[1]]

    y = np.zeros(2)
    out = np.zeros_like(t_obs)
    edges = list(doses) + [max(t_obs[-1], doses[-1]) + 1.0]
    t = 0.0
    # before the first dose the concentration is zero
    for k, td in enumerate(doses):
        if td > t:
            m = (t_obs > t) & (t_obs <= td)
            if m.any():
                s = solve_ivp(rhs, (t, td), y, method="RK45", rtol=1e-9, atol=1e-10, t_eval=t_obs[m])
                out[m] = s.y[1]
            s = solve_ivp(rhs, (t, td), y, method="RK45", rtol=1e-9, atol=1e-10)
            y = s.y[:, -1].copy()
            t = td
        y[0] += 100.0 / V
        m = (t_obs > td) & (t_obs <= edges[k + 1])
        if m.any():
            s = solve_ivp(rhs, (td, edges[k + 1]), y, method="RK45", rtol=1e-9, atol=1e-10, t_eval=t_obs[m])
            out[m] = s.y[1]
    return out


def main():
    exact = exact_bounces(10)
    rows = {}
    for method in ["RK45", "DOP853", "Radau"]:
        r, _ = bench(lambda: ball(method))
        err = float(np.max(np.abs(ball(method) - exact)))
        rows[f"ball_{method}"] = {"median_s": r["median_s"], "min_s": r["min_s"], "max_err": err}
        print(f"ball {method}: {r['median_s']*1e3:.2f} ms (min {r['min_s']*1e3:.2f}), max |t_k - exact| = {err:.1e}")
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "examples", "data", "pk_noisy.csv")
    t_obs, c_obs, sigma = pk_data(sys.argv[1] if len(sys.argv) > 1 else default)

    def residuals(theta):
        return (pk_predict(theta, t_obs) - c_obs) / sigma

    def fit():
        return least_squares(residuals, [0.8, 0.25, 20.0, 0.3], bounds=([0.01] * 4, [100.0] * 4), xtol=1e-10, ftol=1e-10, gtol=1e-10)

    r, _ = bench(fit, min_repeats=3)
    res = fit()
    rows["pk_fit_least_squares"] = {"median_s": r["median_s"], "min_s": r["min_s"], "x": res.x.tolist(), "cost": res.cost, "nfev": res.nfev}
    print(f"pk fit: {r['median_s']*1e3:.1f} ms (min {r['min_s']*1e3:.1f}), x = {res.x}, cost = {res.cost:.6f}, nfev = {res.nfev}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()

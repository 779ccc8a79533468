"""W8 with diffrax: a ball dropped from 10 m (g = 9.81) until it lands,
diffrax's `Event` being terminal only (its documented way: a condition
function and an optimistix root finder), Tsit5 with a PID controller at
rtol = atol = 1e-10, jitted, float64; and the ten bounces by restarting
the jitted terminal solve from each landing (v -> -0.8 v) in a Python loop.

Run in a virtual environment with jax, diffrax and optimistix (never part
of odeon's build): `python benches/peers/w8_diffrax.py`."""
import json
import math
import jax
import jax.numpy as jnp
import diffrax
import optimistix as optx
from timing import bench

jax.config.update("jax_enable_x64", True)
G, E, H0 = 9.81, 0.8, 10.0

term = diffrax.ODETerm(lambda t, y, args: jnp.array([y[1], -G]))
newton = optx.Newton(1e-12, 1e-12, optx.rms_norm)
event = diffrax.Event(lambda t, y, args, **kw: y[0], newton)
# After a bounce the ball starts on the ground: watch the height only while
# it falls, so the restart does not fire at once.
falling = diffrax.Event(lambda t, y, args, **kw: jnp.where(y[1] < 0, y[0], 1.0), newton)
controller = diffrax.PIDController(rtol=1e-10, atol=1e-10)


def make(ev):
    @jax.jit
    def land(t0, y0):
        sol = diffrax.diffeqsolve(term, diffrax.Tsit5(), t0=t0, t1=t0 + 11.5, dt0=None, y0=y0,
                                  stepsize_controller=controller, event=ev, saveat=diffrax.SaveAt(t1=True),
                                  max_steps=100000)
        return sol.ts[-1], sol.ys[-1]
    return land


land = make(event)
land_falling = make(falling)


def first_landing():
    t, y = land(0.0, jnp.array([H0, 0.0]))
    return float(t.block_until_ready())


def ten_bounces():
    t, y, times = 0.0, jnp.array([H0, 0.0]), []
    for _ in range(10):
        t, yl = land_falling(t, y)
        t = float(t)
        times.append(t)
        y = jnp.array([0.0, -E * float(yl[1])])
    return times


def main():
    t1 = math.sqrt(2 * H0 / G)
    r, _ = bench(first_landing)
    err = abs(first_landing() - t1)
    print(f"diffrax Tsit5 terminal landing: {r['median_s']*1e6:.1f} us (min {r['min_s']*1e6:.1f}), |t - t1| = {err:.1e}")
    v = math.sqrt(2 * G * H0)
    exact, t = [], v / G
    for k in range(10):
        exact.append(t)
        t += 2 * E ** (k + 1) * v / G
    r10, _ = bench(ten_bounces, min_repeats=3)
    err10 = max(abs(a - b) for a, b in zip(ten_bounces(), exact))
    print(f"diffrax Tsit5 ten bounces (restarts): {r10['median_s']*1e3:.2f} ms (min {r10['min_s']*1e3:.2f}), max err {err10:.1e}")
    print(json.dumps({"landing": r, "landing_err": err, "ten": r10, "ten_err": err10}))


if __name__ == "__main__":
    main()

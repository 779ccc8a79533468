"""Timing for the peer scripts in this folder (no other files needed).

`bench(fn)` runs `fn` once untimed, then repeatedly until at least
`min_repeats` runs and `min_time` seconds were spent; returns the median,
minimum and maximum time per run and the number of runs, and the last
output. The 3 s window spreads the samples over this kind of machine's
multi-second phases of lower throughput; the median is the headline.
"""
import statistics
import time


def bench(fn, min_repeats=5, min_time=3.0, max_repeats=20000):
    out = fn()
    times = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= max_repeats:
            break
        if len(times) >= min_repeats and time.perf_counter() - start >= min_time:
            break
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "repeats": len(times),
    }, out

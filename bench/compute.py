#!/usr/bin/env python3
"""The `compute` workload's other half: fib(n) from bench/app/src/fib.lua (the file bench:fib runs in a
process) in the stock lua5.4 interpreter, best of `runs`, printed as compute_fib<n>_lua_ms.

Wall-clock time, as the process side measures it (from spawn to answer): each run is a fresh interpreter
timed from outside, less the best time of an interpreter that only loads the file, so both sides count the
same thing (os.clock inside Lua counts CPU time, which the process side cannot).

    python3 bench/compute.py bench/app/src/fib.lua 30 5
"""
import subprocess, sys, time

path = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5


def best(code):
    fastest = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["lua5.4", "-e", code], check=True)
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


load = f"local fib = dofile({path!r}).fib"
overhead = best(load)
total = best(f"{load}; fib({n})")
print(f"compute_fib{n}_lua_ms {(total - overhead) * 1000:.1f} ms")

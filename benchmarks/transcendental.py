"""fastnn's vectorisable ``exp``/``tanh``/``log``/``log1p`` against NumPy's, in a numba loop.

    python -m benchmarks.transcendental               # 100 000 elements, both dtypes
    python -m benchmarks.transcendental --n 1000000 --functions exp,tanh

For each function and dtype, the best of rounds of one call over an array of ``n`` elements
(arguments in the range the engines see: weighted inputs of a few units):

* ``fastnn loop``: ``out[i] = fastmath.exp(x[i])`` in a numba loop with fastnn's ``JIT``
  flags (vectorised by LLVM);
* ``np loop``: the same loop calling ``np.exp`` (a scalar call of the C library per element);
* ``NumPy``: the ufunc ``np.exp(x, out=out)`` (NumPy's own SIMD loops where it has them).

Ratios are times relative to ``fastnn loop`` (above 1: slower than it), measured side by side
in this one run. The last column says whether the loop's LLVM IR holds vector arithmetic.
One thread, no parallelism: the numba loops are serial.
"""
import argparse
import re
import time

import numpy as np
from numba import njit

from fastnn.core import fastmath
from fastnn.core._numba import JIT

from .report import _cpu_name

NUMPY = {"exp": np.exp, "tanh": np.tanh, "log": np.log, "log1p": np.log1p}


def _loop(function):
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = function(x[i])
    return njit(**dict(JIT, cache=False))(loop)


def _best(call, rounds):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def arguments(name, n, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n) * 4
    if name.startswith("log"):
        x = np.abs(x) + (0.0 if name == "log1p" else 1e-3)
    return x.astype(dtype)


def measure(name, dtype, n, rounds):
    x = arguments(name, n, dtype)
    out = np.empty_like(x)
    ours, theirs = _loop(getattr(fastmath, name)), _loop(NUMPY[name])
    ours(x, out)
    theirs(x, out)
    ufunc = NUMPY[name]
    times = {"fastnn loop": _best(lambda: ours(x, out), rounds),
             "np loop": _best(lambda: theirs(x, out), rounds),
             "NumPy": _best(lambda: ufunc(x, out=out), rounds)}
    llvm = ours.inspect_llvm(ours.signatures[0])
    kind = "double" if dtype == np.float64 else "float"
    vector = re.search(rf"= f(add|mul|div) <(\d+) x {kind}>", llvm)
    return times, (f"<{vector.group(2)} x {kind}>" if vector else "no")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--functions", default="exp,tanh,log,log1p")
    parser.add_argument("--dtypes", default="float64,float32")
    args = parser.parse_args(argv)
    print(f"CPU: {_cpu_name()}; n = {args.n}, best of {args.rounds}, one thread")
    print(f"{'function':9s}{'dtype':9s}{'fastnn loop':>13s}{'np loop':>10s}{'NumPy':>10s}"
          f"{'np loop / fastnn':>18s}{'NumPy / fastnn':>16s}  vectorised")
    for name in args.functions.split(","):
        for dtype in args.dtypes.split(","):
            times, vector = measure(name, np.dtype(dtype).type, args.n, args.rounds)
            per = {k: v / args.n * 1e9 for k, v in times.items()}
            print(f"{name:9s}{dtype:9s}{per['fastnn loop']:10.2f} ns{per['np loop']:7.2f} ns"
                  f"{per['NumPy']:7.2f} ns{times['np loop'] / times['fastnn loop']:18.2f}"
                  f"{times['NumPy'] / times['fastnn loop']:16.2f}  {vector}")


if __name__ == "__main__":
    main()

"""Compile the numba engine ahead of time: ``fastnn compile [--dtype float32|float64|both]``.

A first run from an empty numba cache spends tens of seconds of CPU compiling the loop
engine; a Docker image, a CI job or every worker of a cluster would pay it again. This
module calls every compiled entry point the engine uses (training with plain SGD, training
with any other rule, prediction, evaluation, gradients; with ``plain`` also the plain
per-equation drivers), the population kernels of ``best_of`` and ``sweep`` (plain SGD and
any rule; the lanes of narrow networks and the per-network path of wider ones) and the graph
engine's, through the public API on small networks, so that numba compiles exactly the
argument types real use hits and stores them in its cache. One compile covers every network of
that dtype and kind (sizes, activations, costs and accuracy modes are run-time values of the
compiled code).

With ``--dtype both`` the two dtypes compile in two processes at once (the machine's two
cores); a final serial pass in this process then loads both from the cache and compiles
whatever the other process's concurrent writes of numba's per-function index may have lost.
"""
import os
import subprocess
import sys
import time

import numpy as np

DTYPES = ("float64", "float32")


def compile_dtype(dtype, plain=False):
    """Compile (or load from numba's cache) every engine entry point for ``dtype``."""
    from .network import Network
    rng = np.random.default_rng(0)
    X = rng.random((24, 8)).astype(dtype)
    y = rng.integers(0, 4, 24)
    for engine in (("numba", "numba-plain") if plain else ("numba",)):
        for optimizer in (None, "momentum"):
            net = Network([8, 6, 4], dtype=dtype, seed=0, engine=engine)
            kw = dict(learning_rate=0.1) if optimizer is None else dict(optimizer=optimizer)
            net.fit(X, y, epochs=1, batch_size=5, validation_data=(X, y), **kw)
        net.predict(X)
        net.evaluate(X, y)
        net.gradients(X, y)
    import numba

    from .core.graph import Graph
    from .engine import fast_kernels, lanes
    from .training.restarts import best_of
    y_bit = (y > 1).reshape(-1, 1).astype(dtype)
    lane_population = lanes.MIN_LANES * numba.get_num_threads()  # enough to take the lanes
    for optimizer in ("sgd", "momentum"):  # population kernels: plain SGD, and any rule
        for hidden, restarts in ((6, lane_population), (fast_kernels.NARROW + 1, 2)):
            best_of(restarts, lambda seed, h=hidden: Network([8, h, 4], dtype=dtype, seed=seed),
                    X, y, n_jobs=1, epochs=1, batch_size=5, optimizer=optimizer,
                    validation_data=(X, y))
        graph = Network(Graph([(1, 3), (2, 3), (1, 4), (3, 4)], [1, 2], [4], bias=[3, 4]),
                        dtype=dtype, seed=0)
        graph.fit(X[:, :2], y_bit, epochs=1, batch_size=5, optimizer=optimizer)
    graph.predict(X[:, :2])
    graph.evaluate(X[:, :2], y_bit)
    graph.gradients(X[:, :2], y_bit)


def run(dtype="both", plain=False, out=None):
    """Compile for ``dtype`` ("float32", "float64" or "both", the latter in two processes);
    returns the exit status. Prints what it did and how long it took to ``out``."""
    out = out or sys.stdout
    dtypes = DTYPES if dtype == "both" else (dtype,)
    start = time.perf_counter()
    if len(dtypes) > 1:
        command = [sys.executable, "-m", "fastnn", "compile"] + (["--plain"] if plain else [])
        workers = [subprocess.Popen(command + ["--dtype", d], stdout=subprocess.DEVNULL)
                   for d in dtypes]
        codes = [w.wait() for w in workers]
        if any(codes):
            print(f"fastnn compile: a worker failed (exit {codes})", file=sys.stderr)
            return 1
    for d in dtypes:  # after the workers: a load from the cache, or the compile itself
        compile_dtype(d, plain)
    cache = os.environ.get("NUMBA_CACHE_DIR") or "numba's default cache (__pycache__)"
    print(f"fastnn: compiled the numba engine for {', '.join(dtypes)}"
          f"{' (fast and plain kernels)' if plain else ''} in {time.perf_counter() - start:.1f} s; "
          f"cached in {cache}", file=out)
    return 0

"""pytest-benchmark suite: ``pytest benchmarks/ --benchmark-only`` (``FASTNN_BENCH_PROFILE=full``
for the larger profile).

Every case of ``cases.CASES`` on every engine (fastnn's numba and numpy engines, PyTorch and
scikit-learn when installed), one benchmark group per case so the table shows the factor;
data and compilation in the set-up, outside the timed call; after timing, the trained fastnn
network must still agree with fastnn's other engine on the same weights.
"""
import os

import numba
import numpy as np
import pytest

import fastnn
from benchmarks import cases

PROFILE = os.environ.get("FASTNN_BENCH_PROFILE", "fast")
ENGINES = ["numba", "numpy", "numpy-lean"] + cases.available_peers()
CASES = cases.CASES[PROFILE]


def still_matches_the_other_engine(runner, X):
    """The trained network, copied onto fastnn's other engine (the loop engine's onto the
    NumPy engine, the NumPy engine's onto the loop engine), predicts the same."""
    net = runner.net
    other = "numpy" if net.engine == "numba" else "numba"
    ref = fastnn.Network(net.sizes, activation=net.activation,
                         output_activation=net.output_activation, cost=net.cost,
                         dtype=net.dtype, engine=other)
    for l in range(len(net.weights)):
        ref.weights[l][...] = net.weights[l]
        ref.biases[l][...] = net.biases[l]
    tolerance = (dict(rtol=1e-3, atol=1e-4) if net.dtype == np.float32
                 else dict(rtol=1e-9, atol=1e-12))
    out = net.predict(X[:64])
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, ref.predict(X[:64]), **tolerance)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("c", CASES, ids=[c.key for c in CASES])
def test_case(benchmark, c, engine):
    X, labels = cases.data(c)
    runner = cases.make_runner(engine, c)
    runner.warm_up(X, labels)
    benchmark.group = c.title
    benchmark.extra_info.update(samples=c.n_samples, flops=cases.flops(c), dtype=c.dtype)
    benchmark.pedantic(runner.run, args=(X, labels), rounds=3, iterations=1, warmup_rounds=1)
    if engine in ("numba", "numpy"):
        still_matches_the_other_engine(runner, X)


@pytest.mark.parametrize("threads", sorted({1, numba.config.NUMBA_NUM_THREADS}))
@pytest.mark.parametrize("c", [c for c in CASES if c.kind == "train"],
                         ids=[c.key for c in CASES if c.kind == "train"])
def test_thread_scaling(benchmark, c, threads):
    """The numba engine on 1 thread and on all of numba's threads (same bits, other speed)."""
    X, labels = cases.data(c)
    runner = cases.make_runner("numba", c)
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        runner.warm_up(X, labels)
        benchmark.group = f"threads: {c.title}"
        benchmark.pedantic(runner.run, args=(X, labels), rounds=3, iterations=1, warmup_rounds=1)
    finally:
        fastnn.set_num_threads(previous)
    still_matches_the_other_engine(runner, X)

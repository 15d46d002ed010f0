"""pytest-benchmark suite for sparse graphs (``benchmarks/graphs.py``): one epoch of a
[784, 1000, 10]-shaped graph per density and engine, one group per density; after timing,
the graph engine's network must still predict what the NumPy graph engine predicts with the
same parameters.

    pytest benchmarks/test_graphs.py --benchmark-only
"""
import numpy as np
import pytest

import fastnn
from benchmarks import cases, graphs

ENGINES = [e for e in graphs.ENGINES
           if not e.startswith("torch") or "torch" in cases.available_peers()]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("density", graphs.DENSITIES)
def test_graph_epoch(benchmark, density, engine):
    X, labels = graphs.data(graphs.PROFILES["fast"]["n_samples"])
    graph = fastnn.Graph.sparse(graphs.SIZES, density, seed=0, activation="sigmoid",
                                output_activation="softmax")
    runner = graphs.make_runner(engine, graph)
    runner.warm_up(X, labels)
    benchmark.group = f"graph [784, 1000, 10] density {density:.0%}"
    benchmark.extra_info.update(edges=graph.n_edges, samples=len(X))
    benchmark.pedantic(runner.run, args=(X, labels), rounds=3, iterations=1, warmup_rounds=1)
    if engine == "graph":
        net = runner.net
        reference = fastnn.Network(graph, cost=net.cost, dtype=net.dtype, engine="numpy")
        reference.parameters()[...] = net.parameters()
        out = net.predict(X[:64])
        assert np.isfinite(out).all()
        np.testing.assert_allclose(out, reference.predict(X[:64]), rtol=1e-3, atol=1e-5)

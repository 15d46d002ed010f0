"""``Network.trace``: one example's s, a, delta and dC/dw in the documents' notation, equal to
``net.gradients`` on that example for both engines, both dtypes, layered and graph; checked by
hand on document 002's chain and by finite differences. Document 003's bias neurons
(``Graph(bias_neurons=...)``) and ``fastnn.documents``."""
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import documents

ENGINES = ["numpy", "numba"]
DTYPES = ["float64", "float32"]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _graph_gradients(net, x, y):
    gw, gb = net.gradients(np.asarray(x, float)[None], np.asarray(y, float).reshape(1, -1))
    return gw, gb


# --- equal to gradients on a batch of one ----------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_layered_trace_equals_gradients(engine, dtype):
    net = fastnn.Network([4, 5, 3, 2], activation="tanh", output_activation="sigmoid",
                         seed=3, engine=engine, dtype=dtype)
    x = np.array([0.3, -1.2, 0.5, 2.0])
    y = np.array([0.2, 0.9])
    t = net.trace(x, y)
    gw, gb = net.gradients(x[None], y[None])
    assert sorted(t.a) == [1, 2, 3, 4] and sorted(t.dw) == [2, 3, 4]
    for l in (2, 3, 4):
        assert t.dw[l].shape == net.weights[l - 2].shape == (net.sizes[l - 1], net.sizes[l - 2])
        np.testing.assert_allclose(t.dw[l], gw[l - 2], rtol=0, atol=1e-12)
        np.testing.assert_allclose(t.db[l], gb[l - 2], rtol=0, atol=1e-12)
        np.testing.assert_array_equal(t.db[l], t.delta[l])  # BP3: dC/db = delta
        np.testing.assert_allclose(t.dw[l], np.outer(t.delta[l], t.a[l - 1]), rtol=1e-5)
    np.testing.assert_allclose(t.a[1], x.astype(dtype))
    np.testing.assert_allclose(t.a[4], net.predict(x[None])[0], rtol=1e-6)
    assert t.cost == pytest.approx(net.evaluate(x[None], y[None])["loss"], rel=1e-6)
    assert t.a[2].dtype == np.dtype(dtype) and t.dw[2].dtype == np.dtype(dtype)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_graph_trace_equals_gradients(engine, dtype):
    graph = fastnn.Graph([(0, 2), (1, 2), (0, 3), (2, 3), (2, 4), (3, 4), (1, 4)], [0, 1], [4],
                         activation="tanh", activations={4: "sigmoid"})
    net = fastnn.Network(graph, seed=5, engine=engine, dtype=dtype, init="normal")
    x, y = np.array([0.7, -0.4]), 0.25
    t = net.trace(x, y)
    gw, gb = _graph_gradients(net, x, y)
    for e, edge in enumerate(graph.edges):
        assert abs(t.dw[edge] - gw[e]) <= 1e-12
        i, j = edge
        assert t.dw[edge] == pytest.approx(t.a[i] * t.delta[j], rel=1e-5)
    for n, j in enumerate(graph.has_bias):
        assert abs(t.db[j] - gb[n]) <= 1e-12
    assert t.a[0] == pytest.approx(0.7) and t.a[1] == pytest.approx(-0.4)
    assert 0 not in t.s and 0 not in t.delta  # inputs have a value only
    assert t.cost == pytest.approx(0.5 * (t.a[4] - y) ** 2, rel=1e-5)


def test_engines_agree_on_trace():
    traces = [fastnn.Network([3, 4, 2], seed=2, engine=e).trace([1.0, 0.5, -0.5], 1)
              for e in ENGINES]
    for l in (2, 3):
        np.testing.assert_allclose(traces[0].delta[l], traces[1].delta[l], rtol=1e-12)
        np.testing.assert_allclose(traces[0].s[l], traces[1].s[l], rtol=1e-12)
        np.testing.assert_allclose(traces[0].dw[l], traces[1].dw[l], rtol=1e-12)


def test_trace_labels_and_softmax():
    net = fastnn.Network([2, 3, 3], output_activation="softmax", cost="log_likelihood", seed=1)
    t = net.trace([0.1, 0.2], 2)
    np.testing.assert_array_equal(t.y, [0, 0, 1])
    np.testing.assert_allclose(t.delta[3], t.a[3] - t.y, atol=1e-15)  # BP1 for this pair
    assert t.cost == pytest.approx(-np.log(t.a[3][2]))


# --- document 002's chain by hand --------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_chain_by_hand(engine):
    net = documents.chain(seed=0, engine=engine)
    w = {2: 0.5, 3: -1.5, 4: 2.0}
    b = {2: 0.1, 3: 0.2, 4: -0.3}
    for l in (2, 3, 4):
        net.weights[l - 2][0, 0] = w[l]
        net.biases[l - 2][0] = b[l]
    x, y = 0.8, 1.0
    a, z = {1: x}, {}
    for l in (2, 3, 4):
        z[l] = w[l] * a[l - 1] + b[l]
        a[l] = _sigmoid(z[l])
    # 3Blue1Brown: dC0/dw^L = a^(L-1) sigma'(z^L) 2(a^L - y); fastnn's cost is half of C0
    d = {4: (a[4] - y) * a[4] * (1 - a[4])}
    d[3] = w[4] * d[4] * a[3] * (1 - a[3])
    d[2] = w[3] * d[3] * a[2] * (1 - a[2])
    t = net.trace([x], y)
    for l in (2, 3, 4):
        assert t.s[l][0] == pytest.approx(z[l], abs=1e-15)
        assert t.a[l][0] == pytest.approx(a[l], abs=1e-15)
        assert t.delta[l][0] == pytest.approx(d[l], abs=1e-15)
        assert t.dw[l][0, 0] == pytest.approx(a[l - 1] * d[l], abs=1e-15)
    assert 2 * t.dw[4][0, 0] == pytest.approx(a[3] * a[4] * (1 - a[4]) * 2 * (a[4] - y))
    assert t.cost == pytest.approx(0.5 * (a[4] - y) ** 2, abs=1e-15)
    assert (t.s[4][0], t.a[4][0], t.delta[4][0]) == pytest.approx(
        (0.3487715, 0.5863196, -0.1003377), abs=5e-7)


# --- finite differences ----------------------------------------------------------------------

@pytest.mark.parametrize("structure", ["layered", "graph"])
def test_trace_matches_finite_differences(structure):
    if structure == "layered":
        net = fastnn.Network([2, 3, 2], seed=4, engine="numba")
    else:
        net = documents.network_003(seed=4, engine="numba", init="normal")
    x = np.array([0.3, -0.6])[:net.topology.n_inputs]
    y = np.array([0.9, 0.1])[:net.topology.n_outputs]
    t = net.trace(x, y)
    theta = net.parameters()
    analytic = np.zeros_like(theta)  # the trace's derivatives in theta's layout
    gw, gb = net.topology.views(analytic)
    if structure == "layered":
        for l in t.dw:
            gw[l - 2][...], gb[l - 2][...] = t.dw[l], t.db[l]
    else:
        gw[...] = [t.dw[e] for e in net.topology.edges]
    h = 1e-6
    for p in range(theta.shape[0]):
        old = theta[p]
        theta[p] = old + h
        up = net.trace(x, y).cost
        theta[p] = old - h
        down = net.trace(x, y).cost
        theta[p] = old
        assert (up - down) / (2 * h) == pytest.approx(analytic[p], abs=1e-8)


# --- printing ----------------------------------------------------------------------------------

def test_print_and_pandas():
    net = fastnn.Network([2, 2, 1], seed=0, engine="numpy")
    t = net.trace([1.0, 0.0], 1.0)
    text = str(t)
    assert "C_x = " in text and "w^2_10" in text and "delta^l_j" in text
    assert f"{t.dw[3][0, 1]:.6g}" in text and f"{t.s[2][1]:.6g}" in text
    pd = pytest.importorskip("pandas")
    neurons, weights = t.to_pandas()
    assert isinstance(neurons, pd.DataFrame) and len(neurons) == 5 and len(weights) == 6
    assert weights["dC/dw"].tolist() == [float(v) for l in (2, 3) for v in t.dw[l].ravel()]
    big = fastnn.Network([30, 10, 2], seed=0, engine="numpy").trace(np.zeros(30), 0)
    assert "more rows" in str(big) and "more rows" not in big.table(max_rows=None)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("x, y, message", [
    (np.zeros((1, 3)), 0,
     r"x must be one example, a 1-D array of 3 input values; got shape \(1, 3\)"),
    (np.zeros(4), 0, r"x must be one example, a 1-D array of 3 input values; got shape \(4,\)"),
    (np.zeros(3), [0, 1, 0],
     r"y must be this example's class label .* or its target vector of shape \(2,\)"),
    (np.zeros(3), np.zeros((1, 2)), r"y must be .* got shape \(1, 2\)"),
    (np.zeros(3), 5, r"y: class labels must lie in \[0, 1\]"),
    (np.array([0, np.nan, 0]), 0, "x"),
])
def test_bad_input(x, y, message):
    net = fastnn.Network([3, 2, 2], engine="numpy")
    with pytest.raises(ValueError, match=message):
        net.trace(x, y)


# --- document 003's bias neurons --------------------------------------------------------------

def test_graph_003_literally():
    g = documents.graph_003()
    assert g.bias_neurons == [2, 5, 8] and 2 not in g.neurons and g.has_bias == []
    assert g.edges == documents.EDGES_003 and (3, 7) not in g.edges
    assert g.bias_edges == {3: 2, 4: 3, 6: 7, 7: 8, 9: 11}
    net = fastnn.Network(g, seed=0)
    assert net.weights.shape == (12,) and net.biases.shape == (0,)
    assert "9 neurons" not in repr(g) and "3 bias neurons" in repr(g)


@pytest.mark.parametrize("engine", ENGINES)
def test_bias_neurons_equal_bias_parameters(engine):
    """The document-003 graph computes exactly what the 7-edge graph with bias=True does,
    its bias-edge weights playing the biases; same initial draws, same training."""
    plain = fastnn.Graph([(1, 3), (1, 4), (3, 6), (4, 6), (4, 7), (6, 9), (7, 9)], [1], [9])
    a = fastnn.Network(plain, seed=7, init="normal", engine=engine)
    b = documents.network_003(seed=7, init="normal", engine=engine)
    ordinary = [e for e, (i, _) in enumerate(b.topology.edges) if i not in (2, 5, 8)]
    np.testing.assert_array_equal(b.weights[ordinary], a.weights)
    np.testing.assert_array_equal(b.weights[[2, 3, 7, 8, 11]], a.biases)  # biases of 3 4 6 7 9
    X = np.linspace(-1, 1, 12).reshape(-1, 1)
    y = 0.5 + 0.3 * np.sin(3 * X)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    a.fit(X, y, epochs=5, batch_size=4, learning_rate=1.0, l2=0.1)
    b.fit(X, y, epochs=5, batch_size=4, learning_rate=1.0, l2=0.1)
    np.testing.assert_allclose(b.weights[ordinary], a.weights, rtol=0, atol=1e-14)
    np.testing.assert_allclose(b.weights[[2, 3, 7, 8, 11]], a.biases, rtol=0, atol=1e-14)
    t = b.trace([0.4], 0.6)
    assert t.a[2] == 1 and t.a[5] == 1 and t.a[8] == 1
    assert t.dw[(2, 3)] == t.delta[3] and t.dw[(8, 9)] == t.delta[9]
    assert t.db == {} and t.b == {}
    ta = a.trace([0.4], 0.6)
    assert t.dw[(5, 7)] == pytest.approx(ta.db[7], abs=1e-15)


def test_bias_neurons_save_load_prune_plot(tmp_path):
    net = documents.network_003(seed=1, init="normal", engine="numpy")
    path = tmp_path / "doc003.fnn"
    net.save(path)
    back = fastnn.load(path)
    assert back.topology == net.topology and back.topology.bias_neurons == [2, 5, 8]
    np.testing.assert_array_equal(back.weights, net.weights)
    net.weights[[0, 1, 4, 5, 6, 9, 10]] = [3.0, 0.01, 2.0, -2.0, 0.02, 1.5, 1.0]
    net.weights[[2, 3, 7, 8, 11]] = [0.5, 0.4, 0.3, 0.2, 0.1]
    small = net.prune(0.3)  # drops 1 -> 4 and 4 -> 7 (the two smallest ordinary weights)...
    g = small.topology
    assert (1, 4) not in g.edges and (2, 3) in g.edges and (8, 9) in g.edges
    assert all(i not in (2, 5, 8) or e in g.bias_edges.values()
               for e, (i, _) in enumerate(g.edges))
    X = np.array([[0.3], [-0.2]])
    # ...which leaves 4 and 7 without sources but still reaching 9: outputs as with those weights 0
    zeroed = net.weights.copy()
    zeroed[[1, 6]] = 0
    net.weights[...] = zeroed
    np.testing.assert_allclose(small.predict(X), net.predict(X), rtol=1e-12)
    pytest.importorskip("matplotlib")
    from fastnn import plot
    out = tmp_path / "doc003.png"
    plot.graph(net, out)
    assert out.stat().st_size > 1000


def test_l2_does_not_decay_bias_edges():
    net = documents.network_003(seed=0)
    mask = net.weight_mask()
    assert [net.topology.edges[e] for e in np.flatnonzero(mask == 0)] == [
        (2, 3), (2, 4), (5, 6), (5, 7), (8, 9)]


@pytest.mark.parametrize("kwargs, message", [
    (dict(edges=[(1, 3), (3, 9), (2, 3), (3, 2)], bias_neurons=[2]),
     r"edges\[3\] = \(3, 2\) leads into bias neuron 2"),
    (dict(edges=[(1, 3), (3, 9), (2, 3), (5, 3)], bias_neurons=[2, 5]),
     r"second edge from a bias neuron into neuron 3"),
    (dict(edges=[(1, 3), (3, 9)], bias_neurons=[2]), r"bias neuron 2 has no outgoing edge"),
    (dict(edges=[(1, 3), (3, 9)], bias_neurons=[1]), r"bias_neurons names input neuron 1"),
    (dict(edges=[(1, 3), (3, 9)], bias_neurons=[9]), r"bias_neurons names output neuron 9"),
    (dict(edges=[(1, 3), (3, 9), (2, 3)], bias_neurons=[2], bias=True),
     r"bias=True together with bias_neurons"),
])
def test_bias_neuron_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fastnn.Graph(inputs=[1], outputs=[9], **kwargs)


# --- the documents' networks -------------------------------------------------------------------

def test_documents():
    assert list(documents.chain().sizes) == [1, 1, 1, 1]
    net = documents.network_001(seed=0)
    assert list(net.sizes) == [3, 3, 3, 1] and net.cost == "quadratic"
    W1, W2, W3 = documents.matrices_001(net)
    assert W1.shape == (3, 3) and W3.shape == (3, 1)
    np.testing.assert_array_equal(W3[:, 0], net.weights[2][0])
    x = np.array([0.1, 0.2, 0.3])
    hidden = _sigmoid(x @ W1 + net.biases[0])  # the document's row-vector form
    np.testing.assert_allclose(hidden, net.trace(x, 0.5).a[2], rtol=1e-12)
    for f in (documents.chain, documents.network_001, documents.graph_003, documents.network_003):
        assert "ocument 00" in f.__doc__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        documents.graph_003()  # no dead ends: every neuron reaches the output


def test_plot_with_trace(tmp_path):
    pytest.importorskip("matplotlib")
    from fastnn import plot
    net = documents.network_003(seed=3, init="normal", engine="numpy")
    t = net.trace([0.5], 0.8)
    fig = plot.graph(net, tmp_path / "t.png", trace=t)
    texts = [text.get_text() for text in fig.axes[0].texts]
    assert f"s={t.s[6]:.3g}\na={t.a[6]:.3g}\n\u03b4={t.delta[6]:.3g}" in texts
    assert f"w={t.w[(3, 6)]:.3g}\n\u2202C/\u2202w={t.dw[(3, 6)]:.3g}" in texts
    assert "a=1" in texts and f"C_x = {t.cost:.4g}" in fig.axes[0].get_title()
    layered = fastnn.Network([2, 3, 1], seed=0, engine="numpy")
    lt = layered.trace([1.0, 0.5], 0.2)
    texts = [x.get_text() for x in plot.graph(layered, trace=lt).axes[0].texts]
    assert (f"b={lt.b[2][1]:.3g}\ns={lt.s[2][1]:.3g}\na={lt.a[2][1]:.3g}\n"
            f"\u03b4={lt.delta[2][1]:.3g}") in texts
    assert f"w={lt.w[3][0, 2]:.3g}\n\u2202C/\u2202w={lt.dw[3][0, 2]:.3g}" in texts  # edge 4 -> 5
    dense = fastnn.Network([3, 6, 6, 3], seed=0, engine="numpy")
    dt = dense.trace(np.array([0.2, 0.5, -0.3]), 1)
    fig = plot.graph(dense, trace=dt)
    labels = [x.get_text() for x in fig.axes[0].texts if x.get_text().startswith("w=")]
    assert len(labels) == 20 and "20 edges of largest" in fig.axes[0].get_title()
    largest = max((abs(v), l, j, k) for l in (2, 3, 4) for (j, k), v in np.ndenumerate(dt.dw[l]))
    _, l, j, k = largest
    assert f"w={dt.w[l][j, k]:.3g}\n\u2202C/\u2202w={dt.dw[l][j, k]:.3g}" in labels
    assert len([x for x in plot.graph(dense, trace=dt, edge_labels=5).axes[0].texts
                if x.get_text().startswith("w=")]) == 5
    with pytest.raises(ValueError, match="not a trace of this network"):
        other = fastnn.Network(fastnn.Graph([(1, 3), (3, 9)], [1], [9]), engine="numpy")
        plot.graph(net, trace=other.trace([0.1], 0.2))
    with pytest.raises(ValueError, match="not of this network"):
        plot.graph(layered, trace=fastnn.Network([2, 2, 1], engine="numpy").trace([1.0, 0.5], 0.2))


@pytest.mark.parametrize("engine", ENGINES)
def test_bias_neurons_in_a_dense_layered_graph(engine):
    """A [3, 8, 2] network written with bias neurons (each target's edges, then its bias
    edge: the weight runs of the compiled dense blocks are not contiguous in theta) computes,
    differentiates and trains exactly like the layered network with those parameters."""
    sizes = [3, 8, 2]
    first = np.cumsum([0] + sizes)
    edges, where_w, where_b = [], {}, {}
    for l in (1, 2):
        for j in range(sizes[l]):
            target = int(first[l] + j)
            for k in range(sizes[l - 1]):
                where_w[(l, j, k)] = len(edges)
                edges.append((int(first[l - 1] + k), target))
            where_b[(l, j)] = len(edges)
            edges.append((100 + l, target))
    graph = fastnn.Graph(edges, [0, 1, 2], [11, 12], bias_neurons=[101, 102])
    layered = fastnn.Network(sizes, seed=0, engine=engine, init="normal")
    net = fastnn.Network(graph, seed=0, engine=engine)
    for (l, j, k), e in where_w.items():
        net.weights[e] = layered.weights[l - 1][j, k]
    for (l, j), e in where_b.items():
        net.weights[e] = layered.biases[l - 1][j]
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30)
    np.testing.assert_allclose(net.predict(X), layered.predict(X), rtol=1e-13)
    gw, _ = net.gradients(X, y)
    lw, lb = layered.gradients(X, y)
    for (l, j, k), e in where_w.items():
        assert gw[e] == pytest.approx(lw[l - 1][j, k], rel=1e-12, abs=1e-16)
    for (l, j), e in where_b.items():
        assert gw[e] == pytest.approx(lb[l - 1][j], rel=1e-12, abs=1e-16)
    for optimizer in ("sgd", "adam"):
        net.fit(X, y, epochs=3, batch_size=5, learning_rate=0.1, optimizer=optimizer, l2=0.5,
                shuffle=False)
        layered.fit(X, y, epochs=3, batch_size=5, learning_rate=0.1, optimizer=optimizer,
                    l2=0.5, shuffle=False)
        for (l, j), e in where_b.items():
            assert net.weights[e] == pytest.approx(layered.biases[l - 1][j], rel=1e-10, abs=1e-14)
        for (l, j, k), e in where_w.items():
            assert net.weights[e] == pytest.approx(layered.weights[l - 1][j, k], rel=1e-10,
                                                   abs=1e-14)


def test_numba_trace_runs_the_compiled_gradient_driver(monkeypatch):
    """engine="numba": the numbers come from the compiled drivers' own pass on a batch of
    one (read from their workspace), not from a Python re-implementation."""
    from fastnn.engine import fast_drivers, graph_kernels
    calls = []
    for module, x_at in ((fast_drivers, 5), (graph_kernels, 5)):  # X: 6th argument of both
        original = module.gradients

        def spy(*args, _original=original, _x_at=x_at):
            calls.append(args[_x_at].shape)
            return _original(*args)

        monkeypatch.setattr(module, "gradients", spy)
    fastnn.Network([2, 3, 1], seed=0).trace([0.1, 0.2], 0.5)
    documents.network_003(seed=0).trace([0.3], 0.5)
    assert calls == [(1, 2), (1, 1)]


def test_notation_page_names_exist():
    """Every fastnn name docs/notation.md points to exists."""
    from pathlib import Path

    from fastnn.core import costs
    from fastnn.engine import kernels
    text = (Path(__file__).resolve().parent.parent / "docs" / "notation.md").read_text()
    names = {"costs.output_delta_of_sample": costs, "kernels.backpropagate_delta": kernels,
             "kernels.weight_gradient": kernels, "documents.matrices_001": documents,
             "documents.graph_003": documents}
    for name, module in names.items():
        assert f"`{name}" in text or name in text
        assert callable(getattr(module, name.split(".")[1]))
    g = documents.graph_003()
    assert g.bias_edges[3] == g.edges.index((2, 3))  # `net.weights[graph.bias_edges[j]]`
    t = documents.network_003(seed=0).trace([0.2], 0.3)
    assert set(t.dw) == set(g.edges) and (3, 6) in t.dw  # `t.dw[(3, 6)]` is w_{6,3}'s
    assert repr(t).startswith("<Trace of one example: graph network, 9 neurons")

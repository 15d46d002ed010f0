"""Feed-forward graphs: validation, the layered graph equals the layered network, gradients,
engine agreement, thread independence, document 003's network, XOR with shortcuts, pruning."""
import re
import warnings
from pathlib import Path

import numba
import numpy as np
import pytest

import fastnn
from fastnn import Graph, GraphWarning
from fastnn.core.graph import as_graph
from fastnn.engine import graph_kernels
from fastnn.training.optimizers import OPTIMIZERS

from conftest import random_problem

DOC003_EDGES = [(1, 3), (1, 4), (3, 6), (4, 6), (4, 7), (6, 9), (7, 9)]
"""Document 003's running example without its bias neurons 2, 5 and 8 (bias weights here)."""
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


def flat(weights, biases):
    """A layered network's parameters in the layout of ``Graph.layered``."""
    return np.concatenate([w.ravel() for w in weights] + [b.ravel() for b in biases])


def random_graph(rng, n_in=3, n_hidden=6, n_out=2, p=0.5, ids=int):
    """A random non-layered graph: edges from any earlier neuron to any later one (skips
    included), every non-input fed, per-neuron smooth activations, some neurons without a
    bias, edges listed in random order."""
    names = [ids(i) if i % 2 else f"n{i}" for i in range(n_in + n_hidden + n_out)]
    inputs, outputs = names[:n_in], names[-n_out:]
    edges = []
    for t in range(n_in, len(names)):
        sources = [s for s in range(min(t, n_in + n_hidden)) if rng.random() < p]
        sources = sources or [int(rng.integers(min(t, n_in + n_hidden)))]
        edges += [(names[s], names[t]) for s in sources]
    edges = [edges[i] for i in rng.permutation(len(edges))]
    hidden = names[n_in:-n_out]
    smooth = ["sigmoid", "tanh", "arctan", "identity"]
    activations = {h: smooth[int(rng.integers(4))] for h in hidden}
    bias = [h for h in hidden + outputs if rng.random() < 0.6]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GraphWarning)
        return Graph(edges, inputs, outputs, activation="tanh", activations=activations, bias=bias)


# --- bad graphs are refused --------------------------------------------------------------

@pytest.mark.parametrize("edges, inputs, outputs, kwargs, message", [
    (DOC003_EDGES + [(7, 4)], [1], [9], {}, r"cycle.*4 -> 7 -> 4"),
    (DOC003_EDGES + [(6, 6)], [1], [9], {}, r"cycle.*6 -> 6"),
    (DOC003_EDGES + [(3, 1)], [1], [9], {}, "leads into input neuron 1"),
    (DOC003_EDGES + [(4, 6)], [1], [9], {}, r"duplicate edge \(4, 6\)"),
    (DOC003_EDGES, [1, 1], [9], {}, "inputs lists neuron 1 more than once"),
    (DOC003_EDGES, [1], [9, 9], {}, "outputs lists neuron 9 more than once"),
    (DOC003_EDGES, [1], [1], {}, "both an input and an output"),
    (DOC003_EDGES, [1], [9], {"activations": {42: "tanh"}}, "unknown neuron 42"),
    (DOC003_EDGES, [1], [9], {"bias": [3, 42]}, "bias names unknown neuron 42"),
    (DOC003_EDGES, [1], [9], {"bias": [1]}, "bias names input neuron 1"),
    (DOC003_EDGES, [1.5], [9], {}, "ints or strings"),
    (DOC003_EDGES + [(5, 10)], [1], [9, 10], {}, "output neuron 10 is reached from no input"),
    (DOC003_EDGES, [1], [9, 11], {}, "output neuron 11 is reached from no input"),
    (DOC003_EDGES, [1], [9], {"activations": {6: "softmax", 9: "softmax"}}, "softmax.*neuron 6"),
    (DOC003_EDGES, [1], [9], {"activation": "softmax"}, "softmax.*exactly the output"),
    (DOC003_EDGES + [(9, 10)], [1], [9], {}, "leaves output neuron 9"),
    ([(1, 3, 4)], [1], [3], {}, r"edges\[0\] must be a \(source, target\) pair"),
    (DOC003_EDGES, [1], [9], {"activation": "swish"}, "activation must be one of"),
])
def test_bad_graphs_are_refused_with_the_problem_named(edges, inputs, outputs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Graph(edges, inputs, outputs, **kwargs)


def test_neurons_that_reach_no_output_are_a_warning():
    with pytest.warns(GraphWarning, match=r"2 neuron\(s\) reach no output.*'unused', 'dead'"):
        g = Graph(DOC003_EDGES + [(4, "dead")], [1, "unused"], [9])
    assert g.dead_ends == ["unused", "dead"]
    net = fastnn.Network(g, seed=0)  # it runs: the dead neuron's weight gets no gradient
    X = np.array([[0.5, 2.0], [-1.0, 0.0]])
    dW, _ = net.gradients(X, [[0.2], [0.9]])
    assert dW[g.edges.index((4, "dead"))] == 0 and dW[0] != 0


def test_document_003_graph_structure():
    g = Graph(DOC003_EDGES, [1], [9])
    assert g.neurons == [1, 3, 4, 6, 7, 9]
    assert g.levels == [[1], [3, 4], [6, 7], [9]]
    assert g.has_bias == [3, 4, 6, 7, 9]  # bias neurons 2 (-> 3, 4), 5 (-> 6, 7), 8 (-> 9)
    assert g.n_parameters == 7 + 5
    a = g.arrays
    # in-edges of neuron 6 (position 3) come from 3 and 4; out-edges of 4 go to 6 and 7
    assert [g.neurons[i] for i in a.in_src[a.in_ptr[3]:a.in_ptr[4]]] == [3, 4]
    assert [g.neurons[i] for i in a.out_dst[a.out_ptr[2]:a.out_ptr[3]]] == [6, 7]
    assert all(arr.dtype == np.int64 for arr in a[1:])


def test_skip_edges_and_string_ids_are_levelled():
    g = Graph([("b", "c"), ("a", "c"), ("c", "out"), ("a", "out"), ("a", "b")], ["a"], ["out"])
    assert g.levels == [["a"], ["b"], ["c"], ["out"]] and g.neurons == ["a", "b", "c", "out"]
    assert Graph.from_config(g.config()) == g


def test_views_are_the_edge_and_bias_vectors_users_assign():
    g = Graph(DOC003_EDGES, [1], [9], bias=[6, 9])
    net = fastnn.Network(g, seed=1)
    assert net.weights.shape == (7,) and net.biases.shape == (2,)
    theta = net.parameters()
    assert np.shares_memory(net.weights, theta) and np.shares_memory(net.biases, theta)
    X = np.array([[0.3], [-0.4]])
    before = net.predict(X)
    net.weights[g.edges.index((6, 9))] += 1.0
    assert not np.allclose(net.predict(X), before)
    net.weights = np.zeros(7)  # replacing the array is copied in on the next call
    net.biases = np.array([0.0, 2.0])
    np.testing.assert_allclose(net.predict(X), 1 / (1 + np.exp(-2.0)))
    with pytest.raises(AttributeError, match="layered networks only.*graph"):
        _ = net.sizes


# --- the same mathematics as the layered network ------------------------------------------

@pytest.mark.parametrize("init", ["scaled_normal", "he", "normal", "zeros", "xavier"])
def test_layered_graph_starts_from_the_layered_networks_parameters(init):
    sizes = [4, 6, 5, 3]
    a = fastnn.Network(sizes, init=init, seed=9)
    b = fastnn.Network(Graph.layered(sizes), init=init, seed=9)
    np.testing.assert_array_equal(flat(a.weights, a.biases), b.parameters())


@pytest.mark.parametrize("engine", ["numba", "numpy"])
@pytest.mark.parametrize("activation, output, cost, optimizer", [
    ("sigmoid", "sigmoid", "quadratic", "sgd"),
    ("tanh", "softmax", "log_likelihood", "adam"),
    ("relu", "sigmoid", "cross_entropy", "momentum"),
    ("arctan", "identity", "quadratic", "rmsprop"),
])
def test_layered_graph_equals_layered_network(rng, engine, activation, output, cost, optimizer):
    sizes = [5, 7, 4, 3]
    X, Y = random_problem(rng, sizes, cost, output, 30)
    kwargs = dict(cost=cost, seed=4, engine=engine)
    a = fastnn.Network(sizes, activation=activation, output_activation=output, **kwargs)
    b = fastnn.Network(Graph.layered(sizes, activation, output), **kwargs)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.concatenate(b.gradients(X, Y, l2=0.5)),
                               flat(*a.gradients(X, Y, l2=0.5)), rtol=0, atol=1e-12)
    for net in (a, b):
        net.fit(X, Y, epochs=3, batch_size=7, optimizer=optimizer, l2=0.1, l1=0.01)
    np.testing.assert_allclose(b.parameters(), flat(a.weights, a.biases), rtol=0, atol=1e-12)
    assert b.evaluate(X, Y)["loss"] == pytest.approx(a.evaluate(X, Y)["loss"], abs=1e-12)


# --- random non-layered graphs ------------------------------------------------------------

@pytest.mark.parametrize("engine", ["numba", "numpy"])
@pytest.mark.parametrize("graph_seed", [0, 1, 2])
def test_gradient_check_on_random_non_layered_graphs(engine, graph_seed):
    rng = np.random.default_rng(graph_seed)
    g = random_graph(rng)
    assert any(len(level) and lvl > 1 for lvl, level in enumerate(g.levels[:-1]))  # deep
    assert len(g.has_bias) < len(g.neurons) - g.n_inputs  # some neurons without bias
    net = fastnn.Network(g, seed=graph_seed, engine=engine)
    X, Y = rng.standard_normal((9, 3)), rng.standard_normal((9, 2))
    assert fastnn.gradient_check(net, X, Y) < 1e-6
    assert fastnn.gradient_check(net, X, Y, l2=0.3) < 1e-6


def test_gradient_check_softmax_and_mixed_outputs(rng):
    g = random_graph(np.random.default_rng(5), n_out=3)
    soft = Graph(g.edges, g.inputs, g.outputs, activations={o: "softmax" for o in g.outputs})
    net = fastnn.Network(soft, cost="log_likelihood", seed=0)
    X, labels = rng.standard_normal((8, 3)), rng.integers(0, 3, 8)
    assert fastnn.gradient_check(net, X, labels) < 1e-6
    mixed = Graph(g.edges, g.inputs, g.outputs,
                  activations=dict(zip(g.outputs, ["sigmoid", "identity", "tanh"])))
    assert mixed.output_activation == "mixed"
    for engine in ("numba", "numpy"):
        net = fastnn.Network(mixed, seed=1, engine=engine)
        assert fastnn.gradient_check(net, X, rng.standard_normal((8, 3))) < 1e-6
    with pytest.raises(ValueError, match="needs output_activation='sigmoid'"):
        fastnn.Network(mixed, cost="cross_entropy")


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_numba_engine_matches_numpy_engine_after_three_epochs(rng, optimizer):
    g = random_graph(np.random.default_rng(7), n_in=4, n_hidden=10, n_out=3, p=0.4)
    X, labels = rng.standard_normal((40, 4)), rng.integers(0, 3, 40)
    for dtype, tol in (("float64", 1e-9), ("float32", 1e-4)):
        nets = [fastnn.Network(g, seed=3, dtype=dtype, engine=e) for e in ("numba", "numpy")]
        for net in nets:
            net.fit(X, labels, epochs=3, batch_size=8, optimizer=optimizer, l2=0.2, l1=0.01)
        assert nets[0].parameters().dtype == np.dtype(dtype)
        np.testing.assert_allclose(nets[0].parameters(), nets[1].parameters(), rtol=0, atol=tol)
        assert nets[0].evaluate(X, labels)["loss"] == pytest.approx(
            nets[1].evaluate(X, labels)["loss"], abs=tol)


def test_twin_neurons_are_computed_in_quads():
    """A dense layer's neurons share their sources: they run as units of four."""
    arch = fastnn.Network(Graph.layered([5, 9, 3]), seed=0).backend.arch
    assert arch.unit_size.tolist() == [1] * 5 + [4, 4, 1] + [1, 1, 1]
    assert arch.unit_dense.tolist() == [0] * 5 + [1, 1, 0] + [0, 0, 0] and arch.has_dense
    shuffled = Graph.layered([5, 9, 3])  # twins, but their weights not consecutive in theta
    edges = shuffled.edges[::-1]
    arch = fastnn.Network(Graph(edges, shuffled.inputs, shuffled.outputs), seed=0).backend.arch
    assert 4 in arch.unit_size.tolist() and not arch.has_dense
    arch = fastnn.Network(random_graph(np.random.default_rng(0)), seed=0).backend.arch
    assert (arch.unit_size == 1).all()


def mixed_graph(rng, output):
    """Dense blocks beside sparse and skip edges: inputs -> hidden layer H (every input, a
    dense block) -> hidden layer H2 (every neuron of H) -> outputs, four of them fed by every
    neuron of H2 (a dense block whose sources do not start at position 0), the others by H2,
    by sparse neurons beside H (random inputs) and by a skip edge from an input. Random
    sizes around the tile widths (2 samples x 4 neurons, rank-4 passes), per-neuron
    activations, some neurons without a bias; edges target by target (weights consecutive)."""
    n_in, n_h, n_h2 = int(rng.integers(2, 10)), int(rng.integers(4, 14)), int(rng.integers(4, 10))
    n_sparse, n_out = int(rng.integers(1, 4)), int(rng.integers(5, 8))
    ids = iter(range(1000))
    inputs = [next(ids) for _ in range(n_in)]
    H, H2 = [next(ids) for _ in range(n_h)], [next(ids) for _ in range(n_h2)]
    sparse, outputs = [next(ids) for _ in range(n_sparse)], [next(ids) for _ in range(n_out)]
    edges = [(i, j) for j in H for i in inputs]
    edges += [(i, j) for j in sparse
              for i in sorted(rng.choice(inputs, int(rng.integers(1, n_in + 1)), replace=False))]
    edges += [(i, j) for j in H2 for i in H]
    edges += [(i, j) for j in outputs[:4] for i in H2]
    edges += [(i, j) for j in outputs[4:] for i in H2 + sparse + [inputs[-1]]]
    smooth = ["sigmoid", "tanh", "arctan"]
    activations = {h: smooth[int(rng.integers(3))] for h in H + H2 + sparse}
    activations.update({o: output for o in outputs})
    bias = [j for j in H + H2 + sparse + outputs if rng.random() < 0.7]
    return Graph(edges, inputs, outputs, activation="tanh", activations=activations, bias=bias)


@pytest.mark.parametrize("seed, output, cost", [(0, "softmax", "log_likelihood"),
                                                (1, "identity", "quadratic"),
                                                (2, "sigmoid", "cross_entropy")])
def test_dense_blocks_match_the_numpy_engine(seed, output, cost):
    """The register-tiled loops of dense blocks (``quad_forward_dense``,
    ``quad_gradients_dense``) among per-edge loops: predictions, gradients over several
    chunks, and training at batch sizes around the tile widths, against the NumPy engine."""
    rng = np.random.default_rng(seed)
    g = mixed_graph(rng, output)
    arch = fastnn.Network(g, cost=cost, seed=0).backend.arch
    assert arch.unit_dense.sum() >= 3 and (arch.unit_dense == 0).sum() > g.n_inputs
    X, Y = random_problem(rng, [g.n_inputs, len(g.outputs)], cost, output, 300)
    for dtype, tol in (("float64", 1e-9), ("float32", 1e-4)):
        a, b = (fastnn.Network(g, cost=cost, seed=seed, dtype=dtype, engine=e)
                for e in ("numba", "numpy"))
        np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=0, atol=tol)
        np.testing.assert_allclose(np.concatenate(a.gradients(X, Y)),
                                   np.concatenate(b.gradients(X, Y)), rtol=0, atol=tol)
        for batch_size in (1, 2, 3, 5, 8):
            for net in (a, b):
                net.fit(X[:23], Y[:23], epochs=2, batch_size=batch_size, learning_rate=0.05)
            np.testing.assert_allclose(a.parameters(), b.parameters(), rtol=0, atol=tol)


@pytest.mark.parametrize("g", [Graph.sparse([40, 120, 10], 0.3, seed=1),
                               Graph.layered([40, 64, 10])], ids=["sparse", "layered"])
def test_same_bits_for_one_and_two_threads(rng, g):
    net = fastnn.Network(g, seed=0)
    assert graph_kernels.parallel_levels(net.backend.arch, 32, 2, 1)[1] == 1  # forced below
    assert not graph_kernels.parallel_levels(net.backend.arch, 32, 1, 1).any()
    X, labels = rng.standard_normal((96, 40)), rng.integers(0, 10, 96)
    results = []
    for threads in (1, 2):
        previous = numba.get_num_threads()
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            copy = fastnn.Network(g, seed=0)
            copy.backend.parallel_work = 1  # every level with two units in parallel on 2 threads
            copy.fit(X, labels, epochs=2, batch_size=32, optimizer="adam")
            copy.fit(X, labels, epochs=1, batch_size=32, optimizer="sgd", l2=0.1)  # fused step
            results.append((copy.parameters().copy(), copy.predict(X),
                            copy.gradients(X, labels)[0]))
        finally:
            numba.set_num_threads(previous)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


# --- document 003's network and the shortcut network ----------------------------------------

def test_document_003_network_learns_a_bump():
    """1 input, hidden neurons 3, 4 then 6, 7, output 9, bias weights for 2, 5 and 8: it
    learns y = 1 for |x| < 1 (a bump: two hidden branches needed), 0 outside."""
    X = np.linspace(-2, 2, 41).reshape(-1, 1)
    y = (np.abs(X[:, 0]) < 1).astype(float)
    best = fastnn.best_of(3, lambda seed: fastnn.Network(Graph(DOC003_EDGES, [1], [9]),
                                                         cost="cross_entropy", seed=seed),
                          X, y, epochs=300, batch_size=4, optimizer="adam", learning_rate=0.05,
                          n_jobs=1)
    assert best.network.evaluate(X, y)["accuracy"] == 1.0
    assert best.network.evaluate(X, y)["loss"] < 0.1
    assert max(np.mean(y), 1 - np.mean(y)) < 0.6  # a constant answer gets ~half right


def test_xor_needs_the_shortcut_edges():
    shortcut = Graph([("x1", "h"), ("x2", "h"), ("x1", "o"), ("x2", "o"), ("h", "o")],
                     ["x1", "x2"], ["o"])
    assert shortcut.levels == [["x1", "x2"], ["h"], ["o"]]
    for seed in range(3):
        net = fastnn.Network(shortcut, cost="cross_entropy", seed=seed)
        net.fit(XOR_X, XOR_Y, epochs=2000, batch_size=4, learning_rate=2.0)
        assert net.evaluate(XOR_X, XOR_Y)["accuracy"] == 1.0
        layered = fastnn.Network([2, 1, 1], cost="cross_entropy", seed=seed)
        layered.fit(XOR_X, XOR_Y, epochs=2000, batch_size=4, learning_rate=2.0)
        # one hidden neuron: the output is monotone in one projection of x, which
        # cannot put (0,1), (1,0) on one side and (0,0), (1,1) on the other
        assert layered.evaluate(XOR_X, XOR_Y)["accuracy"] <= 0.75


# --- sparse graphs and pruning --------------------------------------------------------------

def test_sparse_graph_density_and_every_neuron_used():
    g = Graph.sparse([30, 40, 5], 0.1, seed=3)
    dense = 30 * 40 + 40 * 5
    assert 0.1 * dense <= g.n_edges <= 0.1 * dense + 30 + 40 + 40 + 5
    assert g.dead_ends == [] and (g.fan_in[g.n_inputs:] > 0).all()
    assert Graph.sparse([30, 40, 5], 0.1, seed=3) == g
    with pytest.raises(ValueError, match="density"):
        Graph.sparse([3, 2], 0)


@pytest.mark.parametrize("layered", [True, False])
def test_prune_drops_the_smallest_weights_and_keeps_the_function(rng, layered):
    net = (fastnn.Network([6, 8, 3], seed=2) if layered
           else fastnn.Network(random_graph(np.random.default_rng(3), 6, 8, 3), seed=2))
    graph, theta = as_graph(net.topology, net.parameters())
    X = rng.standard_normal((10, 6))
    small = net.prune(0.6)
    assert isinstance(small.topology, Graph)
    assert small.topology.n_edges <= graph.n_edges - round(0.6 * graph.n_edges)
    w = theta[:graph.n_edges]
    threshold = np.sort(np.abs(w))[round(0.6 * graph.n_edges)]
    assert np.abs(small.weights).min() >= threshold
    zeroed = fastnn.Network(graph, seed=2)
    zeroed.parameters()[...] = theta
    zeroed.weights[np.abs(w) < threshold] = 0
    np.testing.assert_allclose(small.predict(X), zeroed.predict(X), rtol=0, atol=1e-12)
    assert small.prune(0.0).topology == small.topology
    with pytest.raises(ValueError, match="fraction"):
        net.prune(1.0)


def test_graph_network_trains_with_validation_early_stopping_and_l1(rng):
    """Random labels: the validation loss soon stops falling, training stops ``patience``
    epochs after its lowest point and the network is given back the weights it had there."""
    g = Graph.sparse([8, 12, 3], 0.5, seed=0)
    X, labels = rng.standard_normal((60, 8)), rng.integers(0, 3, 60)
    X_val, labels_val = rng.standard_normal((30, 8)), rng.integers(0, 3, 30)
    net = fastnn.Network(g, cost="quadratic", seed=0)
    history = net.fit(X, labels, epochs=30, batch_size=5, learning_rate=0.5, schedule="cosine",
                      l1=0.1, validation_data=(X_val, labels_val), early_stopping=True,
                      patience=2)
    assert history.stopped_epoch is not None and history.stopped_epoch < 30
    best = history.epoch.index(history.best_epoch)
    assert history.val_loss[best] == min(history.val_loss)
    assert history.val_loss.index(min(history.val_loss)) == best  # the first lowest
    assert history.stopped_epoch == history.best_epoch + 2
    assert len(history.epoch) == best + 3
    scores = net.evaluate(X_val, labels_val)
    assert scores["loss"] == pytest.approx(history.val_loss[best], rel=1e-12)
    assert scores["penalty"] > 0
    with pytest.raises(fastnn.TrainingDiverged):
        fastnn.Network(Graph.sparse([8, 12, 1], 0.5, seed=0, activation="identity"),
                       seed=0).fit(X * 1e3, X[:, 0] * 1e3, epochs=3, learning_rate=10.0)


# --- the example and the picture ---------------------------------------------------------------

def test_example_script_shows_both_networks(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    examples = Path(__file__).resolve().parents[1] / "examples"
    monkeypatch.syspath_prepend(str(examples))
    import graph_networks
    assert graph_networks.main(["--plot", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "bump accuracy 100%" in out
    assert re.search(r"shortcut network .* accuracy 100%; layered 2-1-1 accuracy (50|75)%", out)
    assert (tmp_path / "doc003_network.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_plot_graph_draws_levels_widths_and_signs(tmp_path):
    pytest.importorskip("matplotlib")
    from fastnn import plot
    net = fastnn.Network(Graph(DOC003_EDGES, [1], [9]), seed=0)
    net.weights[...] = [1.0, -2.0, 0.5, 3.0, -1.0, 4.0, -0.25]
    fig = plot.graph(net, tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    (lines,) = fig.axes[0].collections[:1]
    widths = lines.get_linewidths()
    assert widths[0] == max(widths)  # drawn largest |w| first: the 4.0 edge 6 -> 9
    colours = [tuple(c[:3]) for c in lines.get_colors()]
    assert len(set(colours)) == 2  # positive and negative weights apart
    assert len(fig.axes[0].get_xticklabels()) == 4  # inputs, two levels, outputs
    plot.graph(fastnn.Network([3, 4, 2], seed=0), tmp_path / "layered.png", max_edges=5)

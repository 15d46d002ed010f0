"""The benchmark's numpy-lean peer computes what fastnn's NumPy engine computes.

A faster NumPy loop that trained something else would make every "x NumPy" ratio of the
benchmark report meaningless: on tiny cases, one and two epochs of plain SGD (a last batch
smaller than the others included) must end at the same weights as ``engine="numpy"``
from the same initial weights and the same sample order, up to rounding.
"""
import numpy as np
import pytest

import fastnn
from benchmarks.lean import LeanNumpy

CASES = [
    ([6, 5, 3], "sigmoid", "sigmoid", "quadratic", "float64", 4),
    ([6, 7, 4, 3], "sigmoid", "sigmoid", "quadratic", "float64", 1),
    ([6, 8, 5, 3], "relu", "softmax", "log_likelihood", "float64", 5),
    ([6, 8, 3], "relu", "softmax", "log_likelihood", "float32", 3),
]


@pytest.mark.parametrize("sizes, act, out, cost, dtype, batch", CASES)
def test_lean_peer_trains_to_the_numpy_engines_weights(sizes, act, out, cost, dtype, batch):
    rng = np.random.default_rng(3)
    n = 23
    X = rng.random((n, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], n)
    Y = np.eye(sizes[-1], dtype=dtype)[labels]
    net = fastnn.Network(sizes, activation=act, output_activation=out, cost=cost, dtype=dtype,
                         seed=5, engine="numpy")
    lean = LeanNumpy(net.weights, net.biases, act, out, cost)
    eta = 0.5
    for _ in range(2):
        net.fit(X, labels, epochs=1, batch_size=batch, learning_rate=eta, shuffle=False)
        lean.train_epoch(X, Y, np.arange(n), batch, eta)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    for l in range(len(net.weights)):
        np.testing.assert_allclose(lean.W[l], net.weights[l], **tol)
        np.testing.assert_allclose(lean.b[l], net.biases[l], **tol)
    np.testing.assert_allclose(lean.predict(X, chunk=7), net.predict(X), **tol)


def test_lean_peer_weights_really_move():
    """The comparison above is not of two untouched copies: training changes the weights."""
    rng = np.random.default_rng(0)
    X = rng.random((20, 6))
    Y = np.eye(3)[rng.integers(0, 3, 20)]
    net = fastnn.Network([6, 5, 3], seed=1, engine="numpy")
    lean = LeanNumpy(net.weights, net.biases)
    lean.train_epoch(X, Y, np.arange(20), 4, 1.0)
    assert np.abs(lean.W[0] - net.weights[0]).max() > 1e-3

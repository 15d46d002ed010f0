"""Backpropagation against central differences (doc 001's gradient check)."""
import zlib

import numpy as np
import pytest

import fastnn
from fastnn.core import activations

from conftest import OUTPUT_PAIRS, random_problem


@pytest.mark.parametrize("engine", ["numba", "numba-plain", "numpy"])
@pytest.mark.parametrize("hidden", activations.HIDDEN_NAMES)
@pytest.mark.parametrize("cost,output", OUTPUT_PAIRS)
def test_gradient_check_every_activation_and_cost(engine, hidden, cost, output):
    rng = np.random.default_rng(zlib.crc32(f"{engine}-{hidden}-{cost}-{output}".encode()))
    depth = rng.integers(1, 3)  # one or two hidden layers
    sizes = [int(rng.integers(2, 6))] + [int(n) for n in rng.integers(2, 6, depth)] \
        + [int(rng.integers(2, 5))]
    net = fastnn.Network(sizes, activation=hidden, output_activation=output, cost=cost,
                         init="normal", seed=int(rng.integers(1000)), engine=engine)
    X, Y = random_problem(rng, sizes, cost, output, n_samples=7)
    error = fastnn.gradient_check(net, X, Y)
    assert error < 1e-6, (sizes, error)


def test_near_zero_gradient_arrays_are_no_false_alarm():
    """A saturated softmax output leaves some arrays with gradients ~1e-5 while J ~ 3: their
    central differences carry ~1e-10 of rounding, which must not read as a backprop error."""
    rng = np.random.default_rng(170)
    rng.integers(1, 3), rng.integers(2, 6), rng.integers(2, 6, 2), rng.integers(2, 5)
    sizes = [5, 4, 5, 2]
    net = fastnn.Network(sizes, activation="identity", output_activation="softmax",
                         cost="log_likelihood", init="normal", seed=int(rng.integers(1000)))
    X, Y = random_problem(rng, sizes, "log_likelihood", "softmax", n_samples=7)
    assert np.linalg.norm(net.gradients(X, Y)[1][-1]) < 1e-4  # the case this test is about
    assert fastnn.gradient_check(net, X, Y) < 1e-6


def test_gradient_check_detects_a_wrong_gradient(monkeypatch, rng):
    """The check must fail when backpropagation is wrong: scale one bias gradient."""
    net = fastnn.Network([3, 4, 2], seed=0, engine="numpy")
    X, Y = random_problem(rng, [3, 4, 2], "quadratic", "sigmoid", 5)
    honest = net.gradients

    def wrong(X, Y):
        dW, db = honest(X, Y)
        db[0][1] *= 1.01
        return dW, db

    monkeypatch.setattr(net, "gradients", wrong)
    assert fastnn.gradient_check(net, X, Y) > 1e-4


def test_float32_network_is_checked_to_float32_precision(rng):
    net = fastnn.Network([4, 5, 3], dtype="float32", seed=3)
    X, Y = random_problem(rng, [4, 5, 3], "quadratic", "sigmoid", 6)
    dW, db = net.gradients(X, Y)
    assert all(g.dtype == np.float32 for g in dW + db)
    assert fastnn.gradient_check(net, X, Y) < 1e-3


def test_hand_worked_network():
    """A 1-1-1 sigmoid net with quadratic cost, derivatives worked by hand.

    s2 = w2*x + b2, a2 = σ(s2); s3 = w3*a2 + b3, a3 = σ(s3); C = ½(a3 − y)²
    δ3 = (a3 − y)·a3(1 − a3)            (BP1)
    δ2 = w3·δ3·a2(1 − a2)              (BP2)
    ∂C/∂w3 = a2·δ3, ∂C/∂b3 = δ3, ∂C/∂w2 = x·δ2, ∂C/∂b2 = δ2   (BP3, BP4)
    """
    x, y, w2, b2, w3, b3 = 0.5, 1.0, 0.3, -0.1, -0.7, 0.2
    def sigma(s):
        return 1 / (1 + np.exp(-s))

    a2 = sigma(w2 * x + b2)
    a3 = sigma(w3 * a2 + b3)
    d3 = (a3 - y) * a3 * (1 - a3)
    d2 = w3 * d3 * a2 * (1 - a2)
    for engine in ("numba", "numpy"):
        net = fastnn.Network([1, 1, 1], engine=engine)
        net.weights[0][...] = w2
        net.biases[0][...] = b2
        net.weights[1][...] = w3
        net.biases[1][...] = b3
        dW, db = net.gradients([[x]], [[y]])
        np.testing.assert_allclose([dW[0][0, 0], db[0][0], dW[1][0, 0], db[1][0]],
                                   [x * d2, d2, a2 * d3, d3], rtol=1e-12)


def test_gradient_check_needs_a_network():
    with pytest.raises(TypeError, match="net must be a fastnn.Network"):
        fastnn.gradient_check("net", np.ones((2, 3)), np.ones((2, 1)))

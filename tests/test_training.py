"""Training behaviour: what the documents promise backpropagation does."""
import numpy as np
import pytest

import fastnn
from fastnn.datasets import load_mnist_sample

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("engine", ["numba", "numpy"])
@pytest.mark.parametrize("hidden", [2, 3])
def test_xor_is_learned(engine, hidden):
    """XOR is not linearly separable: it needs the hidden layer, and backprop finds one."""
    net = fastnn.Network([2, hidden, 1], activation="tanh", output_activation="sigmoid",
                         cost="cross_entropy", init="normal", seed=1, engine=engine)
    history = net.fit(XOR_X, XOR_Y, epochs=2000, batch_size=4, learning_rate=1.0)
    np.testing.assert_array_equal(net.predict(XOR_X)[:, 0] > 0.5, XOR_Y.astype(bool))
    assert history.accuracy[-1] == 1.0
    assert net.evaluate(XOR_X, XOR_Y)["loss"] < 0.1


def test_zero_init_leaves_hidden_neurons_identical():
    """The symmetry problem (doc 001): with all-zero weights every hidden neuron gets the same
    gradient, so they stay copies of each other however long we train (up to the last bit:
    vectorised loops may round lane and remainder neurons differently)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 4)), rng.integers(0, 3, 50)
    net = fastnn.Network([4, 5, 3], init="zeros", seed=0)
    net.fit(X, y, epochs=20, batch_size=5, learning_rate=0.5)
    w, b = net.weights[0], net.biases[0]
    assert np.abs(net.weights[1]).max() > 0  # the output layer did learn
    np.testing.assert_allclose(w, np.broadcast_to(w[0], w.shape), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b, b[0], rtol=1e-12, atol=1e-15)
    assert np.abs(w).max() > 1e-3  # they did move, together
    random_start = fastnn.Network([4, 5, 3], seed=0)
    random_start.fit(X, y, epochs=20, batch_size=5, learning_rate=0.5)
    assert not np.allclose(random_start.weights[0][0], random_start.weights[0][1])


def test_mnist_sample_accuracy():
    """[784, 30, 10] on 5,000 real MNIST digits: a few epochs give > 88% on 1,000 unseen ones."""
    (X, y), (X_test, y_test) = load_mnist_sample()
    net = fastnn.Network([784, 30, 10], seed=0)
    history = net.fit(X, y, epochs=8, batch_size=10, learning_rate=3.0)
    assert history.loss[-1] < history.loss[0]
    assert net.evaluate(X_test, y_test)["accuracy"] > 0.88


def test_batch_size_one_and_full_batch(rng):
    X, y = rng.standard_normal((30, 3)), rng.integers(0, 2, 30)
    for batch_size in (1, 30, 1000):
        loop, ref = (fastnn.Network([3, 4, 2], seed=5, engine=e) for e in ("numba", "numpy"))
        loop.fit(X, y, epochs=2, batch_size=batch_size, learning_rate=0.3)
        ref.fit(X, y, epochs=2, batch_size=batch_size, learning_rate=0.3)
        np.testing.assert_allclose(loop.parameters(), ref.parameters(), atol=1e-12)
    # full batch and batch >= n are the same gradient descent
    a, b = (fastnn.Network([3, 4, 2], seed=5) for _ in range(2))
    a.fit(X, y, epochs=3, batch_size=30, learning_rate=0.3)
    b.fit(X, y, epochs=3, batch_size=1000, learning_rate=0.3, shuffle=False)
    np.testing.assert_allclose(a.parameters(), b.parameters(), atol=1e-12)


def test_one_full_batch_step_is_gradient_descent(rng):
    X, Y = rng.standard_normal((12, 3)), rng.random((12, 2))
    net = fastnn.Network([3, 4, 2], seed=9)
    dW, db = net.gradients(X, Y)
    expected = [p - 0.7 * g for p, g in zip(net.weights + net.biases, dW + db)]
    net.fit(X, Y, epochs=1, batch_size=12, learning_rate=0.7)
    for p, e in zip(net.weights + net.biases, expected):
        np.testing.assert_allclose(p, e, rtol=1e-12)


def test_history_records_each_epoch(rng):
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    history = fastnn.Network([3, 4, 2], seed=1).fit(X, y, epochs=3)
    assert history.epoch == [1, 2, 3]
    assert len(history.loss) == len(history.accuracy) == len(history.samples_per_second) == 3
    assert all(0 <= a <= 1 for a in history.accuracy)
    assert all(s > 0 for s in history.samples_per_second)
    regression = fastnn.Network([3, 1], activation="identity", seed=1).fit(X, X[:, :1] * 2)
    assert regression.accuracy == [None]


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_user_assigned_weights_are_used(engine, rng):
    X = rng.standard_normal((5, 3))
    net = fastnn.Network([3, 2], activation="identity", engine=engine)
    W, b = rng.standard_normal((2, 3)), rng.standard_normal(2)
    net.weights[0][...] = W  # in place
    net.biases[0] = b  # a new array in place of the view
    np.testing.assert_allclose(net.predict(X), X @ W.T + b)
    net.biases[0][...] = 0  # the list holds the view again
    np.testing.assert_allclose(net.predict(X), X @ W.T)


def test_float32_training_stays_float32(rng):
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    net = fastnn.Network([3, 4, 2], dtype="float32", seed=1)
    net.fit(X, y, epochs=2)
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)
    assert net.predict(X).dtype == np.float32

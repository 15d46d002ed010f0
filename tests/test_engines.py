"""The loop engine against the NumPy engine, end to end, and its determinism."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastnn

from conftest import KERNEL_FORMS, OUTPUT_PAIRS, make_pair, random_problem


@pytest.mark.parametrize("kernels", KERNEL_FORMS)
def test_three_epochs_same_trajectory_float64(kernels, rng):
    """Same seed, same shuffling, same arithmetic up to rounding: weights agree to 1e-9."""
    sizes = [20, 16, 8, 5]
    X, Y = random_problem(rng, sizes, "quadratic", "sigmoid", 157)  # last batch is partial
    loop, ref = make_pair(sizes, kernels, seed=7)
    h_loop = loop.fit(X, Y, epochs=3, batch_size=10, learning_rate=0.5)
    h_ref = ref.fit(X, Y, epochs=3, batch_size=10, learning_rate=0.5)
    for w_loop, w_ref in zip(loop.weights + loop.biases, ref.weights + ref.biases):
        np.testing.assert_allclose(w_loop, w_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(h_loop.loss, h_ref.loss, rtol=1e-9)
    assert not np.allclose(loop.weights[0], fastnn.Network(sizes, seed=7).weights[0])  # it trained


@pytest.mark.parametrize("kernels", KERNEL_FORMS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cost,output", OUTPUT_PAIRS)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_engines_agree_on_random_networks(kernels, dtype, cost, output, data):
    hidden = data.draw(st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "arctan",
                                        "identity"]))
    sizes = data.draw(st.lists(st.integers(1, 24), min_size=2, max_size=5))
    sizes[-1] = max(sizes[-1], 2) if output == "softmax" else sizes[-1]
    n = data.draw(st.integers(1, 40))
    batch_size = data.draw(st.integers(1, 50))
    seed = data.draw(st.integers(0, 1000))
    rng = np.random.default_rng(seed)
    X, Y = random_problem(rng, sizes, cost, output, n)
    kwargs = dict(activation=hidden, output_activation=output, cost=cost, dtype=dtype, seed=seed)
    loop, ref = make_pair(sizes, kernels, **kwargs)
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(loop.predict(X), ref.predict(X), **tolerance)
    for g_loop, g_ref in zip(*(sum(net.gradients(X, Y), []) for net in (loop, ref))):
        assert g_loop.dtype == np.dtype(dtype)
        np.testing.assert_allclose(g_loop, g_ref, **tolerance)
    e_loop, e_ref = loop.evaluate(X, Y), ref.evaluate(X, Y)
    assert e_loop.keys() == e_ref.keys()
    np.testing.assert_allclose(e_loop["loss"], e_ref["loss"], **tolerance)
    outcomes = []
    for net in (loop, ref):
        try:  # a random deep linear net can truly diverge at this rate: then both must
            net.fit(X, Y, epochs=1, batch_size=batch_size, learning_rate=0.05)
            outcomes.append("trained")
        except fastnn.TrainingDiverged:
            outcomes.append("diverged")
    assert outcomes[0] == outcomes[1]
    for p_loop, p_ref in zip(loop.weights + loop.biases, ref.weights + ref.biases):
        assert p_loop.dtype == np.dtype(dtype)
        np.testing.assert_allclose(p_loop, p_ref, **tolerance)


@pytest.mark.parametrize("kernels", KERNEL_FORMS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_wide_hidden_layers_and_long_batches(kernels, dtype, optimizer, rng):
    """A hidden-to-hidden matrix of 80 x 64 = 5120 weights (the fast kernels' transposed BP2
    path, from ``fast_drivers.DIRECT_BP2`` = 4096 weights) and batches of 40 samples, longer
    than one 16-sample chunk of the tiled kernels (``fast_kernels.X_CHUNK``), end to end."""
    from fastnn.engine import fast_drivers, fast_kernels
    sizes = [30, 80, 64, 5]
    assert sizes[1] * sizes[2] >= fast_drivers.DIRECT_BP2 and 40 > fast_kernels.X_CHUNK
    X, Y = random_problem(rng, sizes, "log_likelihood", "softmax", 130)
    loop, ref = make_pair(sizes, kernels, activation="tanh", output_activation="softmax",
                          cost="log_likelihood", dtype=dtype, seed=4)
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-11)
    for g_loop, g_ref in zip(sum(loop.gradients(X, Y), []), sum(ref.gradients(X, Y), [])):
        np.testing.assert_allclose(g_loop, g_ref, **tolerance)
    for net in (loop, ref):
        net.fit(X, Y, epochs=2, batch_size=40, learning_rate=0.05, optimizer=optimizer)
    for p_loop, p_ref in zip(loop.weights + loop.biases, ref.weights + ref.biases):
        np.testing.assert_allclose(p_loop, p_ref, **tolerance)
    np.testing.assert_allclose(loop.predict(X), ref.predict(X), **tolerance)
    assert not np.allclose(loop.weights[1], fastnn.Network(sizes, seed=4).weights[1])


@pytest.mark.parametrize("kernels", KERNEL_FORMS)
def test_chunked_gradients_and_predict_match_reference(kernels, rng):
    """More samples than one workspace chunk: the chunk-by-chunk sums agree with NumPy."""
    sizes = [6, 9, 3]
    X, Y = random_problem(rng, sizes, "log_likelihood", "softmax", 1000)
    loop, ref = make_pair(sizes, kernels, output_activation="softmax", cost="log_likelihood",
                          seed=2)
    np.testing.assert_allclose(loop.predict(X), ref.predict(X), rtol=1e-12)
    for g_loop, g_ref in zip(sum(loop.gradients(X, Y), []), sum(ref.gradients(X, Y), [])):
        np.testing.assert_allclose(g_loop, g_ref, rtol=1e-9, atol=1e-14)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs at least 2 numba threads")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bit_identical_for_one_and_two_threads_and_run_to_run(dtype, rng):
    sizes = [64, 48, 32, 10]
    X, y = rng.standard_normal((300, 64)), rng.integers(0, 10, 300)

    def train(threads):
        numba.set_num_threads(threads)
        try:
            net = fastnn.Network(sizes, activation="tanh", output_activation="softmax",
                                 cost="log_likelihood", dtype=dtype, seed=3)
            history = net.fit(X, y, epochs=2, batch_size=32, learning_rate=0.1)
            return net.parameters().copy(), history.loss, net.predict(X)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)

    one, two, two_again = train(1), train(2), train(2)
    for a, b, c in zip(one, two, two_again):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(b, c)


def test_same_seed_same_initial_weights_across_engines_and_dtypes():
    nets = [fastnn.Network([5, 4, 3], seed=11, engine=e, dtype=d)
            for e in ("numba", "numpy") for d in ("float64", "float32")]
    for net in nets[1:]:
        for w, w0 in zip(net.weights + net.biases, nets[0].weights + nets[0].biases):
            np.testing.assert_allclose(w, w0, rtol=1e-7)
    assert not np.array_equal(nets[0].weights[0], fastnn.Network([5, 4, 3], seed=12).weights[0])

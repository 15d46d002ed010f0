"""Sample weights in the engines: BP1's output error of sample x times its weight v_x, the
gradient the weighted mean (``fast_drivers.weigh_output_delta``), in both kernel forms of the
loop engine and in the NumPy engine."""
import numpy as np
import pytest

import fastnn

from conftest import KERNEL_FORMS, make_pair, random_problem


@pytest.mark.parametrize("kernels", KERNEL_FORMS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cost,output", [("quadratic", "identity"), ("cross_entropy", "sigmoid"),
                                         ("log_likelihood", "softmax")])
def test_integer_weights_equal_repeated_rows(kernels, dtype, cost, output, rng):
    """The weighted mean gradient with integer weights is the mean gradient over the data with
    each row repeated v_x times (an independent computation of the same quantity)."""
    sizes = [int(rng.integers(2, 9)), int(rng.integers(1, 12)), 3]
    n = int(rng.integers(5, 300))  # more than one chunk of the gradient loops
    X, Y = random_problem(rng, sizes, cost, output, n, dtype)
    v = rng.integers(0, 4, n)
    v[0] = 1
    loop, ref = make_pair(sizes, kernels, activation="tanh", output_activation=output,
                          cost=cost, dtype=dtype, seed=3)
    tolerance = dict(rtol=2e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    repeated = np.repeat(np.arange(n), v)
    expected = sum(ref.gradients(X[repeated], Y[repeated]), [])
    for net in (loop, ref):
        got = sum(net.gradients(X, Y, sample_weight=v.astype(float)), [])
        for g, e in zip(got, expected):
            assert g.dtype == np.dtype(dtype)
            np.testing.assert_allclose(g, e, **tolerance)


@pytest.mark.parametrize("kernels", KERNEL_FORMS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_weighted_training_matches_numpy_engine(kernels, optimizer, dtype, rng):
    sizes = [6, 9, 4]
    X, Y = random_problem(rng, sizes, "log_likelihood", "softmax", 83, dtype)
    v = rng.uniform(0, 3, 83)
    kwargs = dict(activation="relu", output_activation="softmax", cost="log_likelihood",
                  dtype=dtype, seed=11)
    loop, ref = make_pair(sizes, kernels, **kwargs)
    fit = dict(epochs=2, batch_size=7, optimizer=optimizer, learning_rate=0.05, l2=0.3,
               sample_weight=v)
    h_loop, h_ref = loop.fit(X, Y, **fit), ref.fit(X, Y, **fit)
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-10)
    for a, b in zip(loop.weights + loop.biases, ref.weights + ref.biases):
        np.testing.assert_allclose(a, b, **tolerance)
    np.testing.assert_allclose(h_loop.loss, h_ref.loss, **tolerance)
    plain = fastnn.Network(sizes, engine="numpy", **kwargs)
    plain.fit(X, Y, **dict(fit, sample_weight=None))
    assert not np.allclose(plain.weights[0], ref.weights[0])  # the weights changed the result


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_unit_weights_change_no_bit(engine, rng):
    X, Y = random_problem(rng, [5, 7, 2], "quadratic", "sigmoid", 50)
    a = fastnn.Network([5, 7, 2], seed=1, engine=engine)
    b = fastnn.Network([5, 7, 2], seed=1, engine=engine)
    a.fit(X, Y, epochs=2, batch_size=8)
    b.fit(X, Y, epochs=2, batch_size=8, sample_weight=np.ones(50))
    np.testing.assert_array_equal(a.parameters(), b.parameters())


@pytest.mark.parametrize("value, match", [
    (np.ones(3), r"shape \(10,\)"), (-np.ones(10), "non-negative"), (np.zeros(10), "zero"),
    (np.full(10, np.nan), "NaN"), (["a"] * 10, "numbers")])
def test_bad_sample_weight_is_refused(value, match):
    net = fastnn.Network([2, 2])
    with pytest.raises((ValueError, TypeError), match=match):
        net.fit(np.zeros((10, 2)), np.zeros((10, 2)), sample_weight=value)

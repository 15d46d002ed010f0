"""Each loop kernel against the NumPy form of its equation, on random shapes, both dtypes."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastnn.core import activations, costs
from fastnn.engine import kernels, rules

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}
small = st.integers(1, 40)
seeds = st.integers(0, 2**32 - 1)


def arrays(seed, dtype, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=25, deadline=None)
@given(m=small, n_in=small, n_out=small, seed=seeds)
def test_weighted_sum(dtype, m, n_in, n_out, seed):
    w, b, a_prev = arrays(seed, dtype, (n_out, n_in), (n_out,), (m, n_in))
    s = np.empty((m, n_out), dtype)
    kernels.weighted_sum(w, b, a_prev, s)
    np.testing.assert_allclose(s, a_prev @ w.T + b, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", activations.OUTPUT_NAMES)
@settings(max_examples=10, deadline=None)
@given(m=small, n=small, seed=seeds)
def test_activate(dtype, name, m, n, seed):
    (s,) = arrays(seed, dtype, (m, n))
    s *= 5
    a = np.empty_like(s)
    kernels.activate(activations.CODES[name], s, a)
    f = activations.NUMPY[name][0]
    np.testing.assert_allclose(a, f(s), **TOLERANCE[dtype])
    if name != "softmax":
        fprime = activations.NUMPY[name][1]
        loop = np.array([[activations.f_prime(activations.CODES[name], s[x, j], a[x, j])
                          for j in range(n)] for x in range(m)])
        np.testing.assert_allclose(loop, fprime(s, a), **TOLERANCE[dtype])


def test_activations_stay_float32():
    """No float64 literal may promote float32 code: the compiled return type is float32."""
    s = np.float32(0.3)
    activations.f(activations.SIGMOID, s)
    activations.f_prime(activations.SIGMOID, s, s)
    for function in (activations.f, activations.f_prime):
        (signature,) = [sig for sig in function.nopython_signatures if sig.args[1] == numba.float32]
        assert signature.return_type == numba.float32


def test_sigmoid_and_log_costs_do_not_overflow():
    s = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]])
    a = np.empty_like(s)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        kernels.activate(activations.SIGMOID, s, a)
        np.testing.assert_array_equal(a[0, [0, 2, 4]], [0.0, 0.5, 1.0])
        y = np.array([1.0, 1.0, 0.5, 0.0, 0.0])  # every saturated sample on the wrong side
        c = costs.cost_of_sample(costs.CROSS_ENTROPY, s[0], a[0], y)
        np.testing.assert_allclose(c, costs.NUMPY_COST["cross_entropy"](s, a, y[None])[0])
        np.testing.assert_allclose(c, 2e4 + 100 + np.log(2))  # softplus(|s|) for each
        one_hot = np.array([1.0, 0, 0, 0, 0])
        c = costs.cost_of_sample(costs.LOG_LIKELIHOOD, s[0], a[0], one_hot)
        np.testing.assert_allclose(c, 2e4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cost,output", [(c, o) for c in costs.CODES
                                         for o in activations.OUTPUT_NAMES
                                         if costs.REQUIRED_OUTPUT.get(c, o) == o])
@settings(max_examples=10, deadline=None)
@given(m=small, n=st.integers(1, 12), seed=seeds)
def test_output_delta(dtype, cost, output, m, n, seed):
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((m, n)).astype(dtype)
    a = activations.NUMPY[output][0](s)
    y = np.eye(n, dtype=dtype)[rng.integers(0, n, m)]
    delta, sample_cost = np.empty_like(s), np.empty(m, dtype)
    kernels.output_delta(costs.CODES[cost], activations.CODES[output], s, a, y, delta, sample_cost)
    np.testing.assert_allclose(delta, costs.numpy_output_delta(cost, output, s, a, y),
                               **TOLERANCE[dtype])
    np.testing.assert_allclose(sample_cost, costs.NUMPY_COST[cost](s, a, y), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", activations.HIDDEN_NAMES)
@settings(max_examples=10, deadline=None)
@given(m=small, n=small, n_next=small, seed=seeds)
def test_backpropagate_delta(dtype, name, m, n, n_next, seed):
    w_next, delta_next, s = arrays(seed, dtype, (n_next, n), (m, n_next), (m, n))
    f, fprime = activations.NUMPY[name]
    a = f(s)
    delta = np.empty_like(s)
    kernels.backpropagate_delta(activations.CODES[name], w_next, delta_next, s, a, delta)
    np.testing.assert_allclose(delta, (delta_next @ w_next) * fprime(s, a), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=25, deadline=None)
@given(m=small, n_in=small, n_out=small, seed=seeds, accumulate=st.booleans())
def test_weight_gradient(dtype, m, n_in, n_out, seed, accumulate):
    delta, a_prev, gw0, gb0 = arrays(seed, dtype, (m, n_out), (m, n_in), (n_out, n_in), (n_out,))
    gw, gb = gw0.copy(), gb0.copy()
    kernels.weight_gradient(delta, a_prev, gw, gb, 1.0 / m, accumulate)
    keep = 1 if accumulate else 0
    np.testing.assert_allclose(gw, keep * gw0 + delta.T @ a_prev / m, **TOLERANCE[dtype])
    np.testing.assert_allclose(gb, keep * gb0 + delta.sum(axis=0) / m, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_step(dtype, rng):
    theta, grad = (rng.standard_normal(1000).astype(dtype) for _ in range(2))
    expected = theta - dtype(0.3) * grad
    rules.sgd_step(theta, grad, 0.3)
    assert theta.dtype == dtype
    np.testing.assert_allclose(theta, expected, **TOLERANCE[dtype])

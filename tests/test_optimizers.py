"""Update rules: hand-computed steps, the loop kernels against the NumPy forms, float32 purity,
thread determinism, and fit(optimizer=...) in both engines."""
import re

import numba
import numpy as np
import pytest

import fastnn
from fastnn.engine import rules
from fastnn.training import optimizers

from conftest import make_pair, random_problem

RULES = list(optimizers.OPTIMIZERS)


def run(cls, steps, theta, grad, decay, l2=0.0, l1=0.0, engine="numba", **hyper):
    """``steps`` updates with a constant gradient; returns theta and the optimizer."""
    theta = np.array(theta, dtype=np.float64)
    opt = cls(0.1, **hyper).bind(theta.size, theta.dtype)
    u = opt.update(0.1, np.array(decay, dtype=np.uint8), l2, l1)
    step = rules.step if engine == "numba" else rules.numpy_step
    for _ in range(steps):
        step(u, theta, np.array(grad, dtype=np.float64))
    opt.collect(u)
    return theta, opt


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_hand_computed_steps(engine):
    """Two steps of each rule from theta = 1 with the constant gradient g = 0.5, eta = 0.1."""
    def two_steps(cls, **hyper):
        theta, opt = run(cls, 2, [1.0], [0.5], [1], engine=engine, **hyper)
        assert opt.iterations == 2
        return theta[0]

    # SGD: 1 - 0.1*0.5 = 0.95; 0.95 - 0.05 = 0.9
    assert two_steps(optimizers.SGD) == pytest.approx(0.9, abs=1e-15)
    # Momentum (doc 001), mu = 0.9: V = -0.05, W = 0.95; V = 0.9*(-0.05) - 0.05 = -0.095, W = 0.855
    assert two_steps(optimizers.Momentum, mu=0.9) == pytest.approx(0.855, abs=1e-15)
    # Nesterov: V = -0.05, W = 1 + 0.9*(-0.05) - 0.05 = 0.905;
    #           V = -0.095, W = 0.905 + 0.9*(-0.095) - 0.05 = 0.7695
    assert two_steps(optimizers.Nesterov, mu=0.9) == pytest.approx(0.7695, abs=1e-15)
    # Adagrad: G = 0.25, W = 1 - 0.1*0.5/0.5 = 0.9; G = 0.5, W = 0.9 - 0.05/sqrt(0.5)
    assert two_steps(optimizers.Adagrad, eps=1e-12) == pytest.approx(0.9 - 0.05 / 0.5 ** 0.5,
                                                                      abs=1e-10)
    # RMSProp, rho = 0.9: E = 0.1*0.25 = 0.025, W = 1 - 0.05/sqrt(0.025);
    #                     E = 0.9*0.025 + 0.025 = 0.0475, W -= 0.05/sqrt(0.0475)
    expected = 1 - 0.05 / 0.025 ** 0.5 - 0.05 / 0.0475 ** 0.5
    assert two_steps(optimizers.RMSProp, rho=0.9, eps=1e-12) == pytest.approx(expected, abs=1e-10)
    # Adam: with a constant gradient the bias-corrected moments are exactly g and g^2, so
    # each step is eta * g / |g| = 0.1: W = 0.9, then 0.8
    assert two_steps(optimizers.Adam, eps=1e-12) == pytest.approx(0.8, abs=1e-10)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_penalties_decay_weights_not_biases(engine):
    """theta = [w, w', b] = [1, -1, -2], g = [0.5, 0.5, 0.25], eta = 0.1, one SGD step.
    L2 (lambda/n = 0.2): g_w = 0.5 + 0.2*w. L1 (lambda_1/n = 0.1): g_w = 0.5 + 0.1*sign(w)."""
    decay, grad = [1, 1, 0], [0.5, 0.5, 0.25]
    theta, _ = run(optimizers.SGD, 1, [1.0, -1.0, -2.0], grad, decay, l2=0.2, engine=engine)
    np.testing.assert_allclose(theta, [1 - 0.1 * 0.7, -1 - 0.1 * 0.3, -2 - 0.1 * 0.25], rtol=1e-15)
    theta, _ = run(optimizers.SGD, 1, [1.0, -1.0, -2.0], grad, decay, l1=0.1, engine=engine)
    np.testing.assert_allclose(theta, [1 - 0.1 * 0.6, -1 - 0.1 * 0.4, -2 - 0.1 * 0.25], rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", RULES)
def test_step_kernels_match_numpy_forms(name, dtype):
    rng = np.random.default_rng(len(name))
    n = 1001
    theta = rng.standard_normal(n).astype(dtype)
    decay = (rng.random(n) < 0.8).astype(np.uint8)
    loops, refs = theta.copy(), theta.copy()
    u_loop, u_ref = (optimizers.OPTIMIZERS[name](0.05).bind(n, dtype)
                     .update(0.05, decay, 0.01, 0.003) for _ in range(2))
    for _ in range(6):
        grad = rng.standard_normal(n).astype(dtype)
        rules.step(u_loop, loops, grad)
        rules.numpy_step(u_ref, refs, grad)
    assert loops.dtype == dtype and u_loop.v.dtype == dtype and u_loop.s.dtype == dtype
    tolerance = dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(loops, refs, **tolerance)
    for a, b in ((u_loop.v, u_ref.v), (u_loop.s, u_ref.s), (u_loop.t, u_ref.t)):
        np.testing.assert_allclose(a, b, **tolerance)


def _promotions(function, *args):
    """float32 -> float64 conversions in a fresh (uncached) compile of ``function``."""
    options = {k: v for k, v in rules.EXACT_JIT.items() if k != "cache"}
    kernel = numba.njit(**options)(function)
    kernel(*args)
    ir = "".join(kernel.inspect_llvm().values())
    assert "<8 x float>" in ir or "<16 x float>" in ir or "<4 x float>" in ir, "not vectorised"
    return re.findall(r"fpext [^\n]*float[^\n]* to [^\n]*double", ir)


def test_float32_update_loops_stay_float32_and_vectorise():
    theta, grad = np.ones(64, np.float32), np.ones(64, np.float32)
    decay = np.ones(64, np.uint8)
    u = optimizers.Adam(0.1).bind(64, np.float32).update(0.1, decay, 0.1, 0.1)
    u.t[0] = 1
    for name in ("_sgd", "_adagrad", "_rmsprop", "_adam"):
        for penalise in (False, True):
            assert _promotions(getattr(rules, name).py_func, u, theta, grad, 0, 64,
                               penalise) == [], name
    assert _promotions(rules._momentum.py_func, u, theta, grad, 0, 64, True, True) == []

    def promoted(theta, grad, lo, hi):  # the check itself must catch a float64 literal
        w, dw = theta[lo:hi], grad[lo:hi]
        for i in range(w.shape[0]):
            w[i] -= 0.1 * dw[i]
    assert _promotions(promoted, theta, grad, 0, 64)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs at least 2 numba threads")
@pytest.mark.parametrize("name", RULES)
def test_parallel_blocks_give_the_serial_bits(name):
    """Above PARALLEL_PARAMETERS the step runs in owned blocks: same bits as one pass, with
    a penalty whose weight/bias runs straddle the block edges."""
    n = rules.PARALLEL_PARAMETERS + 12345
    rng = np.random.default_rng(1)
    decay = np.repeat(np.arange(n // 1000 + 1) % 2, 1000)[:n].astype(np.uint8)
    theta0 = rng.standard_normal(n).astype(np.float32)
    results = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        try:
            theta = theta0.copy()
            u = optimizers.OPTIMIZERS[name](0.01).bind(n, np.float32).update(0.01, decay, 0.1, 0.01)
            for k in range(2):
                rules.step(u, theta, np.sin(theta0 + k))
            results.append(theta)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(results[0], results[1])
    serial = theta0.copy()
    u = optimizers.OPTIMIZERS[name](0.01).bind(n, np.float32).update(0.01, decay, 0.1, 0.01)
    for k in range(2):
        u.t[0] += 1
        rules.step_range(u, serial, np.sin(theta0 + k), 0, n)
    np.testing.assert_array_equal(results[0], serial)


def test_mask_runs():
    runs = rules.mask_runs(np.array([1, 1, 0, 1, 0, 0], np.uint8))
    np.testing.assert_array_equal(runs, [[0, 2, 1], [2, 3, 0], [3, 4, 1], [4, 6, 0]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", RULES)
def test_fit_with_every_optimizer_agrees_across_engines(name, dtype, rng):
    sizes = [6, 7, 3]
    X, Y = random_problem(rng, sizes, "log_likelihood", "softmax", 53)
    loop, ref = make_pair(sizes, output_activation="softmax", cost="log_likelihood",
                          dtype=dtype, seed=4)
    h_loop, h_ref = (net.fit(X, Y, epochs=3, batch_size=8, optimizer=name, l2=0.3, l1=0.05,
                             schedule="exponential") for net in (loop, ref))
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(loop.parameters(), ref.parameters(), **tolerance)
    np.testing.assert_allclose(h_loop.loss, h_ref.loss, **tolerance)
    assert loop.parameters().dtype == np.dtype(dtype)
    assert loop.optimizer.name == name and loop.optimizer.iterations == 3 * 7
    for a, b in zip(loop.optimizer.state.values(), ref.optimizer.state.values()):
        np.testing.assert_allclose(a, b, **tolerance)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs at least 2 numba threads")
@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_optimizers_bit_identical_for_one_and_two_threads(name, rng):
    X, y = rng.standard_normal((200, 30)), rng.integers(0, 4, 200)

    def train(threads):
        numba.set_num_threads(threads)
        try:
            net = fastnn.Network([30, 40, 4], activation="relu", output_activation="softmax",
                                 cost="log_likelihood", dtype="float32", seed=2)
            net.fit(X, y, epochs=2, batch_size=16, optimizer=name, l2=0.1)
            return net.parameters().copy(), *(a.copy() for a in net.optimizer.state.values())
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)

    for a, b in zip(train(1), train(2)):
        np.testing.assert_array_equal(a, b)


def test_learning_rate_and_optimizer_arguments(rng):
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    net = fastnn.Network([3, 4, 2], seed=0)
    net.fit(X, y)
    assert isinstance(net.optimizer, fastnn.SGD) and net.optimizer.learning_rate == 0.1
    net.fit(X, y, learning_rate=0.5)
    assert net.optimizer.learning_rate == 0.5  # same SGD, new rate
    adam = fastnn.Adam(0.01, beta1=0.8)
    net.fit(X, y, optimizer=adam)
    assert net.optimizer is adam and adam.iterations == 2
    net.fit(X, y, optimizer="adam")  # the same name continues the current Adam
    assert net.optimizer is adam and adam.iterations == 4
    net.fit(X, y, optimizer="momentum")
    assert isinstance(net.optimizer, fastnn.Momentum) and net.optimizer.learning_rate == 0.01
    assert repr(fastnn.Adam()) == "Adam(learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-08)"


def test_bad_optimizer_arguments(rng):
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    net = fastnn.Network([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        net.fit(X, y, optimizer="adamw")
    with pytest.raises(TypeError, match="optimizer"):
        net.fit(X, y, optimizer=3)
    with pytest.raises(ValueError, match="mu must lie in"):
        fastnn.Momentum(0.1, mu=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        fastnn.Adam(-1)
    with pytest.raises(ValueError, match="eps"):
        fastnn.RMSProp(eps=0)
    adam = fastnn.Adam()
    net.fit(X, y, optimizer=adam)
    with pytest.raises(ValueError, match="holds state for 26"):
        fastnn.Network([3, 5, 2]).fit(X, y, optimizer=adam)
    adam.reset()
    fastnn.Network([3, 5, 2]).fit(X, y, optimizer=adam)

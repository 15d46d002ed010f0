"""The fast forms (``fast_kernels``, ``fast_drivers``) against the plain kernels and the NumPy
engine, on random shapes and both dtypes; and their determinism across drivers and threads."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastnn
from fastnn.core import activations
from fastnn.core._numba import JIT
from fastnn.engine import fast_drivers, kernels, rules
from fastnn.engine import fast_kernels as fk
from fastnn.training import optimizers

from conftest import make_pair, random_problem

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-11, atol=1e-11)}
small = st.integers(1, 13)   # covers full and partial blocks of 4 and odd sample counts
seeds = st.integers(0, 2**32 - 1)
DRIVERS = ["serial", "parallel"]
widths = st.integers(1, fk.GROUP)   # blocks per group: one group or several on small layers


def arrays(seed, dtype, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("driver", DRIVERS)
@settings(max_examples=15, deadline=None)
@given(m=small, n_in=st.integers(1, 40), n_out=small, seed=seeds,
       name=st.sampled_from(activations.OUTPUT_NAMES), per=widths)
def test_weighted_sum_matches_plain_kernels(dtype, driver, m, n_in, n_out, seed, name, per):
    w, b, a_prev = arrays(seed, dtype, (n_out, n_in), (n_out,), (m, n_in))
    code = activations.CODES[name]
    s, a = np.empty((m, n_out), dtype), np.empty((m, n_out), dtype)
    getattr(fk, f"weighted_sum_{driver}")(per, code, w, b, a_prev, s, a)
    if code == activations.SOFTMAX:
        fk.softmax_rows(s, a)
    s_plain, a_plain = np.empty_like(s), np.empty_like(a)
    kernels.weighted_sum(w, b, a_prev, s_plain)
    kernels.activate(code, s_plain, a_plain)
    np.testing.assert_allclose(s, s_plain, **TOLERANCE[dtype])
    np.testing.assert_allclose(a, a_plain, **TOLERANCE[dtype])
    assert s.dtype == a.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("driver", DRIVERS)
@settings(max_examples=15, deadline=None)
@given(m=small, n=small, n_next=st.integers(1, 40), seed=seeds,
       name=st.sampled_from(activations.HIDDEN_NAMES), per=widths)
def test_backpropagate_delta_matches_plain_kernel(dtype, driver, m, n, n_next, seed, name, per):
    w_next, delta_next, s = arrays(seed, dtype, (n_next, n), (m, n_next), (m, n))
    code = activations.CODES[name]
    a = activations.NUMPY[name][0](s)
    delta, plain, direct = np.empty_like(s), np.empty_like(s), np.empty_like(s)
    wT = np.empty((n, n_next), dtype)
    getattr(fk, f"backpropagate_delta_{driver}")(per, code, w_next, wT, delta_next, s, a, delta)
    np.testing.assert_array_equal(wT, w_next.T)  # every group copied its rows of w_next.T
    fk.backpropagate_delta_direct(code, w_next, delta_next, s, a, direct)
    np.testing.assert_allclose(direct, delta, **TOLERANCE[dtype])
    kernels.backpropagate_delta(code, w_next, delta_next, s, a, plain)
    np.testing.assert_allclose(delta, plain, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("driver", DRIVERS)
@settings(max_examples=15, deadline=None)
@given(m=small, n_in=st.integers(1, 40), n_out=small, seed=seeds, accumulate=st.booleans(),
       per=widths)
def test_weight_gradient_matches_plain_kernel(dtype, driver, m, n_in, n_out, seed, accumulate, per):
    delta, a_prev, gw0, gb0 = arrays(seed, dtype, (m, n_out), (m, n_in), (n_out, n_in), (n_out,))
    gw, gb, plain_w, plain_b = gw0.copy(), gb0.copy(), gw0.copy(), gb0.copy()
    getattr(fk, f"weight_gradient_{driver}")(per, delta, a_prev, gw, gb, 1.0 / m, accumulate)
    kernels.weight_gradient(delta, a_prev, plain_w, plain_b, 1.0 / m, accumulate)
    np.testing.assert_allclose(gw, plain_w, **TOLERANCE[dtype])
    np.testing.assert_allclose(gb, plain_b, **TOLERANCE[dtype])


def sgd_alone(driver, per, delta, a_prev, w, b, scale, eta, decay, l2, l1):
    """The SGD step of a layer without a next batch: ``sgd_then_weighted_sum_*`` given no
    next rows, as the drivers run it for every layer but the first."""
    empty = np.empty((0, a_prev.shape[1]), w.dtype)
    out = np.empty((0, w.shape[0]), w.dtype)
    getattr(fk, f"sgd_then_weighted_sum_{driver}")(per, delta, a_prev, w, b, scale, eta, decay,
                                                   l2, l1, activations.SIGMOID, empty, out,
                                                   out.copy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("driver", DRIVERS)
@settings(max_examples=15, deadline=None)
@given(m=small, n_in=st.integers(1, 40), n_out=small, seed=seeds,
       penalty=st.sampled_from([(0.0, 0.0), (0.1, 0.0), (0.0, 0.05), (0.2, 0.03)]), per=widths)
def test_fused_sgd_equals_gradient_then_step(dtype, driver, m, n_in, n_out, seed, penalty, per):
    """BP3/BP4 fused with SGD = the plain gradient followed by ``optimizers``' own SGD step."""
    delta, a_prev, w, b = arrays(seed, dtype, (m, n_out), (m, n_in), (n_out, n_in), (n_out,))
    l2, l1 = penalty
    eta = 0.3
    gw, gb = np.empty_like(w), np.empty_like(b)
    kernels.weight_gradient(delta, a_prev, gw, gb, 1.0 / m, False)
    theta = np.concatenate([w.ravel(), b])
    grad = np.concatenate([gw.ravel(), gb])
    decay = np.concatenate([np.ones(w.size, np.uint8), np.zeros(b.size, np.uint8)])
    update = optimizers.get("sgd", eta).bind(theta.size, dtype).update(eta, decay, l2=l2, l1=l1)
    rules.step(update, theta, grad)
    sgd_alone(driver, per, delta, a_prev, w, b, 1.0 / m, eta, 1, l2, l1)
    np.testing.assert_allclose(w.ravel(), theta[:w.size], **TOLERANCE[dtype])
    np.testing.assert_allclose(b, theta[w.size:], **TOLERANCE[dtype])


FRESH = Path(__file__).parent / "fresh" / "fused_sgd_then_weighted_sum.py"


def test_sgd_then_weighted_sum_equals_the_two_in_turn(tmp_path):
    """This batch's SGD step fused with the next batch's weighted sum: the same bits as
    ``sgd_*`` followed by ``weighted_sum_*`` (``fresh/fused_sgd_then_weighted_sum.py``: random
    shapes, both drivers, both dtypes), every kernel compiled in one new process from an empty
    cache. Not in this process: the two paths share their tile code (``weighted_sum_block``),
    but a process that has loaded some of these kernels from numba's cache, compiled
    elsewhere as parts of other functions (after ``fastnn compile``), can run two separately
    optimised copies of it, and fastmath lets LLVM group a sum differently in each (measured:
    1 ulp of ``s`` when ``weighted_sum_serial`` was loaded from the cache ``fastnn compile``
    filled before the fused kernel was compiled; equal when both compile in one process)."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(FRESH)], capture_output=True, text=True,
                            env=dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout, result.stdout[-2000:]  # 2 drivers x 2 dtypes


def test_float32_tile_kernels_stay_float32():
    """No float64 arithmetic in the float32 specialisations
    of the hot kernels: each is recompiled without the cache (cached code carries no IR)."""
    M, V = numba.float32[:, ::1], numba.float32[::1]
    i, f, d = numba.int64, numba.float32, numba.float64
    four = numba.types.UniTuple(f, 4)
    signatures = {
        fk.dot_2x4: (M, i, M, i), fk.dot_1x4: (M, i, M, i), fk.dot_1x1: (M, i, M, i),
        fk.weighted_sum_block: (i, i, M, V, M, M, M, i, i),
        fk.weighted_sum_group: (i, i, i, M, V, M, M, M),
        fk.backpropagate_delta_block: (i, i, M, M, M, M, M, i, i),
        fk.backpropagate_delta_direct: (i, M, M, M, M, M),
        fk.rank_update_block: (i, M, M, M, f, i, i),
        fk.rank_update_group: (i, i, M, M, M, V, d),
        fk._rank4_pass: (M, i, M, i, i, i, i, four, four, four, four),
        fk._scaled_deltas: (M, i, i, f, numba.boolean),
        fk.rank_update_rows: (i, M, M, M, V, f),
        fk.sgd_block: (i, M, M, M, V, d, d, i, d, d),
        fk.sgd_then_weighted_sum_group: (i, i, M, M, M, V, d, d, i, d, d, i, M, M, M),
        fk.softmax_rows: (M, M),
    }
    for kernel, signature in signatures.items():
        fresh = numba.njit(**dict(JIT, cache=False))(kernel.py_func)
        fresh.compile(signature)
        ir = fresh.inspect_llvm(signature)
        assert "float" in ir
        # e.g. "%.5 = fmul reassoc nsz arcp contract afn double %.3, %.4"
        found = re.findall(r"= f(?:add|sub|mul|div)(?: [a-z]+)* double ", ir)
        assert not found, (kernel.__name__, found[:3])


def _forced(net, parallel_work):
    net.backend.parallel_work = parallel_work
    return net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("parallel_work", [0, 10**12])
def test_fast_engine_matches_numpy_engine(dtype, parallel_work, rng):
    """Whole fit/predict/gradients/evaluate with every layer parallel, then every layer serial."""
    sizes = [13, 9, 6, 4]
    X, Y = random_problem(rng, sizes, "log_likelihood", "softmax", 57)
    kwargs = dict(activation="tanh", output_activation="softmax", cost="log_likelihood",
                  dtype=dtype, seed=4)
    loop, ref = make_pair(sizes, **kwargs)
    _forced(loop, parallel_work)
    tolerance = dict(rtol=2e-4, atol=2e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(loop.predict(X), ref.predict(X), **tolerance)
    for g_loop, g_ref in zip(sum(loop.gradients(X, Y), []), sum(ref.gradients(X, Y), [])):
        np.testing.assert_allclose(g_loop, g_ref, **tolerance)
    np.testing.assert_allclose(loop.evaluate(X, Y)["loss"], ref.evaluate(X, Y)["loss"], **tolerance)
    for name in ("sgd", "adam"):   # SGD runs fused into BP3/BP4, Adam through rules.step
        for net in (loop, ref):
            optimizer = optimizers.get(name, 0.05).bind(net.n_parameters, net.dtype)
            update = optimizer.update(0.05, net.topology.penalised_mask(), l2=0.01, l1=0.002)
            Xc, Yc, mode = net.check_data(X, Y)
            for _ in range(2):  # two epochs
                net.backend.train_epoch(net.parameters(), Xc, Yc, np.arange(len(Xc))[::-1], 7,
                                        update, mode)
        for p_loop, p_ref in zip(loop.weights + loop.biases, ref.weights + ref.biases):
            np.testing.assert_allclose(p_loop, p_ref, **tolerance)


def _train(sizes, dtype, parallel_work, threads, X, y):
    previous = numba.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        net = _forced(fastnn.Network(sizes, activation="relu", output_activation="softmax",
                                     cost="log_likelihood", dtype=dtype, seed=3), parallel_work)
        history = net.fit(X, y, epochs=2, batch_size=33, learning_rate=0.1)
        grads = sum(net.gradients(X, y), [])
        return [net.parameters().copy(), np.array(history.loss), net.predict(X)] + grads
    finally:
        fastnn.set_num_threads(previous)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs at least 2 numba threads")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fast_paths_bit_identical_for_any_thread_count_and_driver(dtype, rng):
    """Parallel blocks on 1 and 2 threads, run twice, and the serial driver: the same bits."""
    sizes = [37, 22, 9, 5]   # partial blocks of 4 in every layer, odd batch
    X, y = rng.standard_normal((150, 37)), rng.integers(0, 5, 150)
    runs = [_train(sizes, dtype, 10**12, 2, X, y), _train(sizes, dtype, 0, 2, X, y),
            _train(sizes, dtype, 0, 2, X, y), _train(sizes, dtype, 0, 1, X, y)]
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


def test_parallel_layers_by_work_size():
    flags = fast_drivers.parallel_layers([784, 1024, 1024, 10], 128, 2)
    assert list(flags) == [0, 1, 1, 1]   # the output layer: 128 x 1024 x 10 multiply-adds
    assert list(fast_drivers.parallel_layers([784, 30, 10], 10, 2)) == [0, 1, 0]
    assert not fast_drivers.parallel_layers([784, 30, 10], 1, 2).any()   # per-sample SGD
    assert not fast_drivers.parallel_layers([784, 1024, 1024, 10], 128, 1).any()
    assert not fast_drivers.parallel_layers([64, 64, 64], 1000, 2).any()  # ordered: serial


def test_group_width_gives_every_thread_an_equal_share():
    assert list(fast_drivers.group_width([784, 1024, 30, 10, 1], 2)) == [8, 8, 4, 2, 1]
    assert list(fast_drivers.group_width([784, 30, 10], 1)) == [8, 8, 3]
    # 100 neurons, 25 blocks: 4 groups of 7, 7, 7, 4 (two threads: 14 and 11 blocks)
    assert list(fast_drivers.group_width([100], 2)) == [7]
    for blocks in range(1, 200):
        for threads in (1, 2, 3, 4):
            width = int(fast_drivers.group_width([4 * blocks], threads)[0])
            assert 1 <= width <= fk.GROUP
            groups = -(-blocks // width)
            assert groups <= threads * -(-blocks // (threads * fk.GROUP))
            if threads == 2 and blocks >= 2:
                assert groups >= 2   # both threads get work


def test_set_num_threads_validates_and_round_trips():
    previous = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        assert fastnn.get_num_threads() == 1
        fastnn.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        assert fastnn.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    finally:
        fastnn.set_num_threads(previous)
    for bad in (0, -1, numba.config.NUMBA_NUM_THREADS + 1):
        with pytest.raises(ValueError, match="NUMBA_NUM_THREADS"):
            fastnn.set_num_threads(bad)
    for bad in (1.5, "2", True, None):
        with pytest.raises(TypeError):
            fastnn.set_num_threads(bad)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs at least 2 numba threads")
def test_parallel_kernels_same_bits_on_one_and_two_threads(rng):
    m, n, n_in = 9, 22, 37
    f = np.float32
    w, b = rng.standard_normal((n, n_in)).astype(f), rng.standard_normal(n).astype(f)
    a_prev, delta = rng.standard_normal((m, n_in)).astype(f), rng.standard_normal((m, n)).astype(f)
    results = []
    previous = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            s, a = np.empty((m, n), f), np.empty((m, n), f)
            fk.weighted_sum_parallel(3, activations.TANH, w, b, a_prev, s, a)
            wT, back = np.empty((n_in, n), f), np.empty((m, n_in), f)
            fk.backpropagate_delta_parallel(2, activations.TANH, w, wT, delta, a_prev, a_prev,
                                            back)
            gw, gb = np.empty_like(w), np.empty_like(b)
            fk.weight_gradient_parallel(3, delta, a_prev, gw, gb, 0.1, False)
            w2, b2 = w.copy(), b.copy()
            sgd_alone("parallel", 3, delta, a_prev, w2, b2, 0.1, 0.5, 1, 0.01, 0.001)
            w3, b3, s3, a3 = w.copy(), b.copy(), np.empty((m, n), f), np.empty((m, n), f)
            fk.sgd_then_weighted_sum_parallel(2, delta, a_prev, w3, b3, 0.1, 0.5, 1, 0.01, 0.001,
                                              activations.TANH, a_prev[::-1].copy(), s3, a3)
            results.append([s, a, back, gw, gb, w2, b2, w3, b3, s3, a3])
    finally:
        numba.set_num_threads(previous)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


def test_second_input_buffer_only_for_training(rng):
    """predict/evaluate workspaces carry no next-batch input buffer; training's has one."""
    net = fastnn.Network([7, 5, 3], seed=0)
    X, y = rng.random((40, 7)), rng.integers(0, 3, 40)
    net.predict(X)
    net.evaluate(X, y)
    assert all(work.x_next.size == 0 for work in net.backend._buffers().workspaces.values())
    net.fit(X, y, epochs=1, batch_size=40)  # predict's chunk's capacity: rebuilt for training
    assert net.backend._buffers().workspaces[40].x_next.shape == (40, 7)
    np.testing.assert_array_equal(net.predict(X), net.predict(X))

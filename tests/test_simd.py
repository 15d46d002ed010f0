"""``fastnn.engine.simd.fma_rows``: the vector multiply-add blocks of the population lanes,
held to the plain loop they replace (the ordered sum, one fused multiply-add per term), and
the ordered kernels of ``fit`` to the NumPy engine."""
import numpy as np
import pytest
from numba import njit

import fastnn
from fastnn.core._numba import FALSE, ORDERED_JIT, TRUE
from fastnn.engine import simd


@njit(**ORDERED_JIT)
def _plain(OUT, o, o_step, B, b, b_step, C, c, c_row, c_step, T, rows, accumulate):
    """The plain form: for every lane, the sum term after term (``s += b * c``, contracted
    to one fused multiply-add like the ordered kernels' loops)."""
    for i in range(rows):
        for r in range(OUT.shape[1]):
            s = OUT[o + i * o_step, r] if accumulate else OUT.dtype.type(0)
            for t in range(T):
                s += B[b + t * b_step, r] * C[c + i * c_row + t * c_step, r]
            OUT[o + i * o_step, r] = s


@njit(**ORDERED_JIT)
def _blocks(OUT, o, o_step, B, b, b_step, C, c, c_row, c_step, T, rows, accumulate):
    vw = simd.VECTOR_BYTES // OUT.itemsize
    for r0 in range(0, OUT.shape[1], vw):
        if rows == simd.ROWS:
            simd.fma_rows4(OUT, o, o_step, B, b, b_step, C, c, c_row, c_step, T, r0, accumulate)
        else:
            simd.fma_rows1(OUT, o, o_step, B, b, b_step, C, c, c_row, c_step, T, r0, accumulate)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fma_rows_equal_the_plain_ordered_sum_bit_for_bit(dtype):
    rng = np.random.default_rng(5)
    for trial in range(40):
        lanes = simd.vector_width(dtype) * int(rng.integers(1, 5))
        T = int(rng.integers(0, 70))
        rows = simd.ROWS if trial % 3 else 1
        o_step, b_step = (int(v) for v in rng.integers(1, 4, 2))
        c_row, c_step = (int(v) for v in rng.integers(1, 5, 2))
        B = rng.standard_normal((T * b_step + 2, lanes)).astype(dtype)
        C = rng.standard_normal((rows * c_row + T * c_step + 3, lanes)).astype(dtype)
        start = rng.standard_normal((rows * o_step + 2, lanes)).astype(dtype)
        accumulate = TRUE if trial % 2 else FALSE
        args = (np.int64(1), np.int64(o_step), B, np.int64(1), np.int64(b_step), C,
                np.int64(2), np.int64(c_row), np.int64(c_step), np.int64(T), np.int64(rows),
                accumulate)
        expected, got = start.copy(), start.copy()
        _plain(expected, *args)
        _blocks(got, *args)
        np.testing.assert_array_equal(got, expected)
        assert not np.array_equal(got, start) or T == 0 or not accumulate


def test_vector_width():
    assert simd.vector_width(np.float64) == 4 and simd.vector_width(np.float32) == 8


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_ordered_kernels_agree_with_the_numpy_engine(dtype, optimizer):
    """A narrow network (every layer <= 64: fit's ordered kernels) trained by both engines."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((150, 64)), rng.integers(0, 5, 150)
    nets = [fastnn.Network([64, 33, 64, 5], activation="tanh", output_activation="softmax",
                           cost="log_likelihood", seed=2, dtype=dtype, engine=engine)
            for engine in ("numba", "numpy")]
    for net in nets:
        net.fit(X, y, epochs=2, batch_size=13, learning_rate=0.05, optimizer=optimizer,
                l2=0.3, shuffle=False)
    tol = 1e-10 if dtype == "float64" else 2e-4
    for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)

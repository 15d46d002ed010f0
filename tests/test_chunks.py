"""``chunks.chunk_loop``, the one chunk loop of predict, evaluate and gradients, against a
plain Python loop: every row reached once, in order, the step's writes kept, totals carried."""
from collections import namedtuple

import numpy as np
import pytest
from numba import njit

from fastnn.core._numba import GLUE_JIT
from fastnn.engine.chunks import chunk_loop

DoubleJob = namedtuple("DoubleJob", "X out")
SumJob = namedtuple("SumJob", "X")


@njit(**GLUE_JIT)
def _double_rows(job, start, m, total):
    job.out[start:start + m] = 2 * job.X[start:start + m]
    return total + 1


@njit(**GLUE_JIT)
def _sum_rows(job, start, m, total):
    loss, firsts = total
    for x in range(start, start + m):
        loss = loss * 0.5 + job.X[x]  # order-dependent: a reordered loop gives another value
    return loss, firsts + start


_double_loop = chunk_loop(_double_rows)
_sum_loop = chunk_loop(_sum_rows)


@njit
def _double(X, out, capacity):
    return _double_loop(DoubleJob(X, out), X.shape[0], capacity, 0)


@njit
def _sum(X, capacity, loss):
    return _sum_loop(SumJob(X), X.shape[0], capacity, (loss, 0))


@pytest.mark.parametrize("n,capacity", [(0, 4), (1, 4), (10, 3), (12, 4), (5, 256)])
def test_chunk_loop_matches_a_plain_loop(n, capacity):
    X = np.random.default_rng(n).standard_normal(n)
    out = np.full(n, np.nan)
    calls = _double(X, out, capacity)
    np.testing.assert_array_equal(out, 2 * X)  # every row written, once
    assert calls == len(range(0, n, capacity))
    loss, firsts = _sum(X, capacity, 0.25)
    expected = 0.25
    for x in X:
        expected = expected * 0.5 + x
    assert loss == expected  # bit for bit: the rows in order, the total carried
    assert firsts == sum(range(0, n, capacity))

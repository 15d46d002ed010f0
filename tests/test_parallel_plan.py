"""The work size from which a layer runs in parallel adapts to the measured region cost and
the thread count (``numba_engine.parallel_work``); it never changes a result (the fast
kernels' tests force both paths), only which layers go parallel."""
import numpy as np
import pytest

import fastnn
from fastnn.engine import fast_drivers, numba_engine


@pytest.fixture
def region_cost(monkeypatch):
    """Set the measured region cost (seconds) for 2 and 4 threads, float64."""
    costs = {}
    monkeypatch.setattr(numba_engine, "_REGION_COST", costs)

    def set_cost(seconds):
        for threads in (2, 4):
            costs[(threads, np.dtype("float64"))] = seconds
    return set_cost


def test_threshold_reproduces_the_measured_constant_and_scales_with_threads(region_cost):
    region_cost(1.5e-6)  # the region cost measured on the project's machine, other core free
    two = numba_engine.parallel_work(2, np.float64)
    assert two == pytest.approx(fast_drivers.PARALLEL_WORK, rel=0.05)
    assert numba_engine.parallel_work(4, np.float64) == pytest.approx(two * 0.5 / 0.75, rel=1e-6)
    assert numba_engine.parallel_work(1, np.float64) is None


def test_a_costly_region_keeps_layers_serial(region_cost):
    net = fastnn.Network([784, 30, 10], seed=0)
    engine = net._engine
    if fastnn.get_num_threads() < 2:
        pytest.skip("needs 2 threads")
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    try:
        region_cost(1.5e-6)
        assert list(engine._plan(10).parallel) == [0, 1, 0]  # 2.4e5 multiply-adds: parallel
        region_cost(50e-6)  # the other core busy elsewhere: a region costs far more
        assert list(engine._plan(10).parallel) == [0, 0, 0]
        assert list(engine._plan(1000).parallel) == [0, 1, 0]
    finally:
        fastnn.set_num_threads(previous)


def test_region_cost_is_measured_once_and_is_finite():
    numba_engine._REGION_COST.pop((2, np.dtype("float64")), None)
    cost = numba_engine.region_cost(2, np.float64)
    assert 0 <= cost < 1.0  # microseconds on a quiet machine; milliseconds when it is overloaded
    assert numba_engine.region_cost(2, np.float64) == cost  # cached, not re-measured

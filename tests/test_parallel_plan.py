"""The work size from which a layer runs in parallel adapts to the measured region cost and
the thread count (``numba_engine.parallel_work``); it never changes a result (the fast
kernels' tests force both paths), only which layers go parallel."""
import time

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


def test_at_the_measured_region_cost_the_measured_winners_go_parallel(region_cost):
    """The threshold against the timings it stands for (``fast_drivers.PARALLEL_WORK``): with
    a parallel region costing 1.5 us on two threads, as measured on the project's machine with
    the other core free, the layers that ran faster on two threads in interleaved A/B runs go
    parallel - the first layers of [784, 30, 10] and [784, 100, 10] at batch 10 - and the
    ones that did not gain stay serial: per-sample SGD on [784, 30, 10] and the output
    layers."""
    region_cost(1.5e-6)
    work = numba_engine.parallel_work(2, np.float64)

    def plan(sizes, m):
        return list(fast_drivers.parallel_layers(sizes, m, 2, work))

    assert plan([784, 30, 10], 10) == [0, 1, 0]
    assert plan([784, 100, 10], 10) == [0, 1, 0]
    assert plan([784, 30, 10], 1) == [0, 0, 0]


def test_threshold_grows_with_the_region_cost_and_falls_with_more_threads(region_cost):
    """A region that costs twice as much must save twice as much work before it pays; with
    more threads a region saves more of the layer's time, so smaller layers pay; one thread
    has no parallel region at all."""
    region_cost(1e-6)
    low = {threads: numba_engine.parallel_work(threads, np.float64) for threads in (2, 4)}
    region_cost(2e-6)
    high = {threads: numba_engine.parallel_work(threads, np.float64) for threads in (2, 4)}
    for threads in (2, 4):
        assert high[threads] == pytest.approx(2 * low[threads], abs=2)  # whole multiply-adds
    assert low[4] < low[2] and high[4] < high[2]
    assert numba_engine.parallel_work(1, np.float64) is None


def test_a_costly_region_keeps_layers_serial(region_cost):
    net = fastnn.Network([784, 30, 10], seed=0)
    engine = net.backend
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


def _counting(monkeypatch, seconds):
    """Replace the two kernels ``region_cost`` times by stand-ins that take ``seconds``
    (parallel, serial) per call and count their calls."""
    calls = []

    def stand_in(name, delay):
        def kernel(*args):
            calls.append(name)
            if delay:
                start = time.perf_counter()
                while time.perf_counter() - start < delay:
                    pass
        return kernel

    monkeypatch.setattr(numba_engine.fk, "backpropagate_delta_parallel",
                        stand_in("parallel", seconds[0]))
    monkeypatch.setattr(numba_engine.fk, "backpropagate_delta_serial",
                        stand_in("serial", seconds[1]))
    return calls


@pytest.fixture
def fresh_region_cost(monkeypatch):
    monkeypatch.setattr(numba_engine, "_REGION_COST", {})


def test_region_cost_is_measured_once_per_thread_count(monkeypatch, fresh_region_cost):
    calls = _counting(monkeypatch, (0.0, 0.0))
    numba_engine.region_cost(2, np.float64)
    assert calls.count("parallel") > 1 and calls.count("serial") > 1
    calls.clear()
    numba_engine.region_cost(2, np.float64)
    assert calls == []  # cached: not measured again
    numba_engine.region_cost(4, np.float64)
    assert calls  # another thread count is another measurement


def test_region_cost_is_the_parallel_kernels_extra_time_within_bounds(monkeypatch,
                                                                      fresh_region_cost):
    """The least time of the parallel kernel minus the serial one's; a region that measures
    slower than ``QUIET_REGION_COST`` (another process holds a core) counts as that, one that
    measures faster than free counts as free."""
    _counting(monkeypatch, (1e-3, 0.0))
    assert numba_engine.region_cost(2, np.float64) == numba_engine.QUIET_REGION_COST
    _counting(monkeypatch, (0.0, 1e-3))
    assert numba_engine.region_cost(4, np.float64) == 0.0
    _counting(monkeypatch, (2e-6, 0.0))
    assert 0 < numba_engine.region_cost(8, np.float64) <= numba_engine.QUIET_REGION_COST


def test_region_cost_runs_the_real_kernels():
    """The measurement calls the compiled kernels with arguments they accept (a type error
    would raise here); what it measures depends on the machine and its load."""
    numba_engine._REGION_COST.pop((2, np.dtype("float64")), None)
    assert isinstance(numba_engine.region_cost(2, np.float64), float)

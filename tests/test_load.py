"""The load governor: parallel or serial segment by segment, never a different result."""
import numba
import numpy as np
import pytest

import fastnn
from fastnn.engine import load


def test_governor_tries_both_plans_then_keeps_the_faster():
    g = load.Governor()
    assert g.choose() is True  # parallel first
    g.record(True, 100, 0.010)  # 10k/s
    assert g.choose() is False  # then the serial plan once
    g.record(False, 100, 0.001)  # 100k/s: serial is faster
    assert g.best is False
    picks, spent = [], {True: 0.0, False: 0.0}
    for _ in range(2000):
        parallel = g.choose()
        picks.append(parallel)
        rows = max(1, int(100 * g.trial_share(parallel)))  # a trial runs a shorter segment
        seconds = rows * (1e-4 if parallel else 1e-5)
        spent[parallel] += seconds
        g.record(parallel, rows, seconds)
    # the slow plan is tried again now and then, briefly: about 1/PACING of the time
    assert sum(picks) > 0
    assert spent[True] <= 2 / load.PACING * spent[False]
    assert g.best is False


def test_governor_comes_back_to_the_parallel_plan_when_it_is_faster_again():
    g = load.Governor()
    g.record(True, 100, 0.010)
    g.record(False, 100, 0.001)
    for _ in range(20):  # load from elsewhere: parallel slow
        p = g.choose()
        g.record(p, 100, 0.010 if p else 0.001)
    assert g.best is False
    for n in range(2000):  # noqa: B007 (n is read after the loop)
        # the load has gone: parallel twice as fast as serial
        p = g.choose()
        g.record(p, 100, 0.0005 if p else 0.001)
        if g.best:
            break
    assert g.best is True
    # back within PACING times the last (10 ms) trial of serial time, plus a few segments
    assert n * 0.001 <= load.PACING * 0.010 + 0.1


def test_segment_rows_are_whole_batches_from_the_shapes_only():
    rows = load.segment_rows(10, 3 * 784 * 30)
    assert rows % 10 == 0 and rows >= 10
    assert load.segment_rows(10, 10**12) == 10  # one batch at least
    assert load.segment_rows(1024, 10, 1024) % 1024 == 0


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_an_epoch_in_segments_on_either_plan_gives_the_bits_of_one_call(monkeypatch, dtype,
                                                                        optimizer):
    """Segments of two batches (50 rows in predict and evaluate), the plan alternating between
    parallel and serial: the weights, the epoch's cost, the predictions and the evaluation
    equal those of the whole epoch (and of predict, evaluate) in one call."""
    rng = np.random.default_rng(3)
    X = rng.random((203, 40)).astype(dtype)
    y = rng.integers(0, 5, 203)

    def train(segmented):
        net = fastnn.Network([40, 70, 5], dtype=dtype, seed=4)  # > 64 wide: the tiled kernels
        if segmented:
            net.backend.parallel_work = 0  # every layer may run in parallel
            # two batches a segment in training, 50 rows in predict
            monkeypatch.setattr(load, "segment_rows", lambda batch, work, least=1:
                                2 * batch if batch < 100 else 50)
            monkeypatch.setattr(load.Governor, "choose",
                                lambda self: choices.append(1) or len(choices) % 2 == 1)
        else:
            net.backend.parallel_work = 10**15  # everything serial: one call
        history = net.fit(X, y, epochs=2, batch_size=7, learning_rate=0.5, optimizer=optimizer)
        out = net.predict(X)
        scores = net.evaluate(X, y)
        monkeypatch.undo()
        return net.parameters().copy(), history.loss, out, scores

    choices = []
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs two threads")
    before = fastnn.get_num_threads()  # an earlier test may have left one
    fastnn.set_num_threads(2)
    try:
        whole, segmented = train(False), train(True)
    finally:
        fastnn.set_num_threads(before)
    assert len(choices) > 10  # the segmented run did alternate plans
    assert np.array_equal(whole[0], segmented[0])
    assert whole[1] == segmented[1]
    assert np.array_equal(whole[2], segmented[2])
    assert whole[3] == segmented[3]

"""Random restarts (doc 003): parallel over restarts, reproducible from one seed."""
import numba
import numpy as np
import pytest

import fastnn
from fastnn.training import restarts

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


def make(seed):
    return fastnn.Network([2, 2, 1], activation="tanh", output_activation="sigmoid",
                          cost="cross_entropy", init="normal", seed=seed)


def test_best_of_keeps_the_best_and_is_the_same_for_any_number_of_jobs():
    kwargs = dict(epochs=150, batch_size=4, learning_rate=1.0, seed=7)
    serial = fastnn.best_of(6, make, XOR_X, XOR_Y, n_jobs=1, **kwargs)
    parallel = fastnn.best_of(6, make, XOR_X, XOR_Y, n_jobs=2, **kwargs)
    assert serial.scores == parallel.scores and serial.seeds == parallel.seeds
    assert serial.best_index == parallel.best_index == int(np.argmin(serial.scores))
    np.testing.assert_array_equal(serial.network.parameters(), parallel.network.parameters())
    assert serial.network.evaluate(XOR_X, XOR_Y)["loss"] == min(serial.scores)
    assert len(set(serial.scores)) > 1 and len(serial.histories) == 6  # the restarts differ
    # each restart is exactly the network make(seed) trained alone
    alone = make(serial.seeds[2])
    alone.fit(XOR_X, XOR_Y, epochs=150, batch_size=4, learning_rate=1.0)
    assert alone.evaluate(XOR_X, XOR_Y)["loss"] == serial.scores[2]
    other = fastnn.best_of(6, make, XOR_X, XOR_Y, n_jobs=2, **{**kwargs, "seed": 8})
    assert other.seeds != serial.seeds


def test_metrics_validation_data_and_shared_optimizer_instances():
    adam = fastnn.Adam(0.05)
    result = fastnn.best_of(3, make, XOR_X, XOR_Y, epochs=20, batch_size=4, optimizer=adam,
                            metric="accuracy", validation_data=(XOR_X, XOR_Y))
    assert result.scores[result.best_index] == max(result.scores)
    assert adam.iterations == 0  # copied for each restart, never shared
    assert all(len(h.val_loss) == 20 for h in result.histories)
    custom = fastnn.best_of(3, make, XOR_X, XOR_Y, epochs=5,
                            metric=lambda net, X, y: net.weights[0][0, 0], greater_is_better=True)
    assert custom.scores[custom.best_index] == max(custom.scores)


def test_diverged_restarts_are_skipped(monkeypatch):
    calls = []

    def sometimes_diverges(seed):
        net = fastnn.Network([2, 2, 1], activation="identity", seed=seed)
        calls.append(seed)
        if len(calls) % 2:
            net.weights[0][...] = 1e200  # the cost (1e200)^2 overflows in the first epoch
        return net

    result = fastnn.best_of(4, sometimes_diverges, XOR_X, XOR_Y, epochs=3, n_jobs=1)
    assert result.scores[0] is None and result.scores[2] is None
    assert result.best_index in (1, 3)


def test_bad_input():
    with pytest.raises(TypeError, match="make_network"):
        fastnn.best_of(2, "net", XOR_X, XOR_Y)
    with pytest.raises(ValueError, match="n_restarts"):
        fastnn.best_of(0, make, XOR_X, XOR_Y)
    with pytest.raises(ValueError, match="metric must be one of"):
        fastnn.best_of(2, make, XOR_X, XOR_Y, metric="f1")
    with pytest.raises(ValueError, match="fixes greater_is_better=False"):
        fastnn.best_of(2, make, XOR_X, XOR_Y, metric="loss", greater_is_better=True)
    with pytest.raises(TypeError, match="must return a fastnn.Network"):
        fastnn.best_of(2, lambda seed: None, XOR_X, XOR_Y, n_jobs=1)


def test_threading_layer_is_checked():
    assert restarts._threads_are_safe() == (numba.threading_layer() != "workqueue")


def test_population_best_of_equals_the_sequential_one_and_its_best_is_the_true_minimum():
    kwargs = dict(epochs=40, batch_size=2, learning_rate=0.5, optimizer="momentum", seed=3)
    together = fastnn.best_of(8, make, XOR_X, XOR_Y, **kwargs)
    # callbacks are not a population argument: this runs the restarts one by one with fit
    one_by_one = fastnn.best_of(8, make, XOR_X, XOR_Y, callbacks=[], n_jobs=1, **kwargs)
    assert together.scores == one_by_one.scores and together.seeds == one_by_one.seeds
    assert together.best_index == one_by_one.best_index
    np.testing.assert_array_equal(together.network.parameters(), one_by_one.network.parameters())
    assert [h.loss for h in together.histories] == [h.loss for h in one_by_one.histories]
    # the best is the minimum of scores recomputed independently, network by network
    recomputed = []
    for s in together.seeds:
        net = make(s)
        net.fit(XOR_X, XOR_Y, epochs=40, batch_size=2, learning_rate=0.5, optimizer="momentum")
        recomputed.append(net.evaluate(XOR_X, XOR_Y)["loss"])
    assert together.scores == recomputed
    assert together.best_index == int(np.argmin(recomputed))

"""fastnn.sweep: grid x restarts trained as populations; halving continues the survivors."""
import numba
import numpy as np
import pytest

import fastnn

RNG = np.random.default_rng(0)
X = RNG.standard_normal((60, 2))
Y = (X[:, 0] * X[:, 1] > 0).astype(int)
XV = RNG.standard_normal((30, 2))
YV = (XV[:, 0] * XV[:, 1] > 0).astype(int)


def make(seed, hidden=4):
    return fastnn.Network([2, hidden, 2], activation="tanh", output_activation="softmax",
                          cost="log_likelihood", seed=seed)


PARAMS = {"learning_rate": [0.05, 0.3, 1.0], "l2": [0.0, 1.0], "hidden": [3, 6]}


def test_full_sweep_scores_are_those_of_networks_trained_alone():
    result = fastnn.sweep(make, X, Y, params=PARAMS, restarts=2, validation_data=(XV, YV),
                          epochs=6, batch_size=10, metric="accuracy")
    assert len(result.table) == 12 * 2
    assert result.epochs_spent == 12 * 2 * 6
    for row in result.table[::5]:  # a sample of rows, each recomputed independently
        net = make(row["seed"], hidden=row["hidden"])
        net.fit(X, Y, epochs=6, batch_size=10, learning_rate=row["learning_rate"], l2=row["l2"])
        assert row["score"] == net.evaluate(XV, YV)["accuracy"]
    means = {}
    for row in result.table:
        means.setdefault(row["candidate"], []).append(row["score"])
    best = max(means, key=lambda c: (np.mean(means[c]), -c))
    assert result.best_score == np.mean(means[best])
    assert result.best_params == {k: result.table[2 * best][k] for k in PARAMS}
    assert result.best_network.evaluate(XV, YV)["accuracy"] == max(means[best])
    pytest.importorskip("pandas")
    assert result.to_pandas().shape[0] == 24


def test_halving_continues_survivors_and_is_the_same_for_any_number_of_threads():
    kwargs = dict(params=PARAMS, restarts=2, validation_data=(XV, YV), epochs=9, batch_size=10,
                  metric="loss", schedule="halving")
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = fastnn.sweep(make, X, Y, **kwargs)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = fastnn.sweep(make, X, Y, **kwargs)
    finally:
        numba.set_num_threads(previous)
    assert one.table == two.table and one.best_params == two.best_params
    np.testing.assert_array_equal(one.best_network.parameters(), two.best_network.parameters())
    epochs = sorted({row["epochs"] for row in one.table})
    assert epochs[-1] == 9 and epochs[0] < 9  # some stopped early, the survivors got all 9
    assert one.epochs_spent < 12 * 2 * 9
    # a survivor trained in rungs equals one trained for 9 epochs in one go (no refit, the
    # optimizer and generator carried over)
    best = one.best_network
    first = one.table[[r["rank"] for r in one.table].index(1)]["candidate"]
    row = next(r for r in one.table if r["epochs"] == 9 and r["seed"] == best.seed
               and r["candidate"] == first)
    alone = make(row["seed"], hidden=row["hidden"])
    alone.fit(X, Y, epochs=9, batch_size=10, learning_rate=row["learning_rate"], l2=row["l2"])
    np.testing.assert_array_equal(best.parameters(), alone.parameters())


def test_cv_and_bad_input():
    result = fastnn.sweep(make, X, Y, params={"learning_rate": [0.1, 0.5]}, cv=3, epochs=3,
                          metric="accuracy")
    assert len(result.table) == 2 and result.best_network.optimizer.epochs == 3
    with pytest.raises(ValueError, match="validation_data or cv"):
        fastnn.sweep(make, X, Y, params={"l2": [0]}, cv=3, validation_data=(XV, YV))
    with pytest.raises(ValueError, match="schedule"):
        fastnn.sweep(make, X, Y, params={"l2": [0]}, schedule="hyperband")
    with pytest.raises(TypeError, match="params"):
        fastnn.sweep(make, X, Y, params={"l2": 0})
    with pytest.raises(ValueError, match="fixes greater_is_better=True"):
        fastnn.sweep(make, X, Y, params={"l2": [0]}, metric="accuracy", greater_is_better=False)
    with pytest.raises(TypeError, match="metric must be"):
        fastnn.sweep(make, X, Y, params={"l2": [0]}, metric=3)


class PicklingRunner:
    """A runner of the generic protocol (``map_chunks``) in this process: every chunk and every
    result goes through pickle, as to and from a cluster's worker."""

    def __init__(self, chunk_size):
        self.chunk_size = chunk_size
        self.calls = []

    def map_chunks(self, function, items):
        import pickle
        function = pickle.loads(pickle.dumps(function))
        out = []
        for start in range(0, len(items), self.chunk_size):
            chunk = pickle.loads(pickle.dumps(items[start:start + self.chunk_size]))
            out.extend(pickle.loads(pickle.dumps(function(chunk))))
        self.calls.append(len(items))
        return out


def test_a_sweep_through_a_runner_is_the_local_sweep_and_survivors_continue_their_state():
    """Units cross a process boundary as seed + state (parameters, Adam's moments and step
    count, the generator): whatever the chunks, the result is the local one bit for bit."""
    kwargs = dict(params={"learning_rate": [0.01, 0.1], "optimizer": ["momentum", "adam"],
                          "hidden": [3, 5]}, restarts=2, validation_data=(XV, YV), epochs=9,
                  batch_size=10, metric="loss", schedule="halving")
    local = fastnn.sweep(make, X, Y, **kwargs)
    for size in (1, 7):
        runner = PicklingRunner(size)
        remote = fastnn.sweep(make, X, Y, client=runner, **kwargs)
        assert runner.calls == [16, 6]  # rung 1: every unit; rung 2: the 3 survivors' restarts
        assert remote.table == local.table and remote.epochs_spent == local.epochs_spent
        assert remote.best_params == local.best_params and remote.best_score == local.best_score
        np.testing.assert_array_equal(remote.best_network.parameters(),
                                      local.best_network.parameters())
        assert remote.best_network.optimizer.iterations == local.best_network.optimizer.iterations
        for a, b in zip(remote.best_network.optimizer.state.values(),
                        local.best_network.optimizer.state.values()):
            np.testing.assert_array_equal(a, b)
    assert {row["error"] for row in local.table} == {None}

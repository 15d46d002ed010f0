"""The population engine: every network bit-identical to training it alone with fit."""
import numba
import numpy as np
import pytest

import fastnn
from fastnn.training.population import train_candidates, train_together

RNG = np.random.default_rng(3)
X = RNG.standard_normal((23, 3))
Y_CLASS = RNG.integers(0, 2, size=23)


def make(seed, sizes=(3, 5, 2), activation="tanh"):
    return fastnn.Network(list(sizes), activation=activation, output_activation="softmax",
                          cost="log_likelihood", seed=seed)


def fit_alone(seed, optimizer, lr, l2, batch_size, epochs, **kw):
    net = make(seed)
    history = net.fit(X, Y_CLASS, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                      learning_rate=lr, l2=l2, **kw)
    return net, history


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [1, 10, 23])
def test_every_network_is_bit_identical_to_fit_alone(optimizer, batch_size):
    seeds = [11, 12, 13]
    lrs = [0.05, 0.1, 0.2]
    l2s = [0.0, 0.5, 2.0]
    nets = [make(s) for s in seeds]
    val = (X[:7], Y_CLASS[:7])
    results = train_together(nets, X, Y_CLASS, epochs=4, batch_size=batch_size,
                             optimizer=optimizer, learning_rate=lrs, l2=l2s, l1=[0.0, 0.1, 0.0],
                             validation_data=val)
    for net, (history, error), s, lr, l2, l1 in zip(nets, results, seeds, lrs, l2s,
                                                    [0.0, 0.1, 0.0]):
        alone = make(s)
        expected = alone.fit(X, Y_CLASS, epochs=4, batch_size=batch_size, optimizer=optimizer,
                             learning_rate=lr, l2=l2, l1=l1, validation_data=val)
        assert error is None
        np.testing.assert_array_equal(net.parameters(), alone.parameters())
        for a, b in zip(net.optimizer.state.values(), alone.optimizer.state.values()):
            np.testing.assert_array_equal(a, b)
        assert net.optimizer.iterations == alone.optimizer.iterations
        assert net.optimizer.epochs == alone.optimizer.epochs == 4
        assert history.loss == expected.loss and history.accuracy == expected.accuracy
        assert history.val_loss == expected.val_loss
        assert history.learning_rate == expected.learning_rate
        # the generator is where fit leaves it: a further fit continues alike
        net.fit(X, Y_CLASS, epochs=1, batch_size=batch_size)
        alone.fit(X, Y_CLASS, epochs=1, batch_size=batch_size)
        np.testing.assert_array_equal(net.parameters(), alone.parameters())


def test_larger_network_schedule_and_threads_do_not_change_bits():
    kwargs = dict(epochs=3, batch_size=8, optimizer="nesterov", learning_rate=0.05,
                  schedule="cosine")
    alone = fastnn.Network([3, 40, 70, 2], seed=5, output_activation="sigmoid")
    alone.fit(X, Y_CLASS, **kwargs)
    for threads, chunks in ((1, None), (2, 3), (2, 1)):
        previous = numba.get_num_threads()
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            nets = [fastnn.Network([3, 40, 70, 2], seed=s, output_activation="sigmoid")
                    for s in (4, 5, 6)]
            train_together(nets, X, Y_CLASS, chunks=chunks, **kwargs)
        finally:
            numba.set_num_threads(previous)
        np.testing.assert_array_equal(nets[1].parameters(), alone.parameters())


def test_a_diverging_network_keeps_its_last_finite_weights_and_the_others_go_on():
    Xr = RNG.standard_normal((20, 2))
    yr = Xr[:, :1] * 3.0

    def reg(seed):
        return fastnn.Network([2, 4, 1], activation="identity", seed=seed)

    rates = [0.01, 2.0, 0.02]  # 2.0 diverges on this identity network
    nets = [reg(s) for s in (1, 2, 3)]
    results = train_together(nets, Xr, yr, epochs=30, batch_size=5, learning_rate=rates)
    assert results[1][1] is not None and results[0][1] is None and results[2][1] is None
    alone = reg(2)
    with pytest.raises(fastnn.TrainingDiverged) as info:
        alone.fit(Xr, yr, epochs=30, batch_size=5, learning_rate=2.0)
    np.testing.assert_array_equal(nets[1].parameters(), alone.parameters())  # rolled back alike
    assert np.isfinite(nets[1].parameters()).all()
    assert results[1][1].epoch == info.value.epoch
    assert results[1][0].loss == info.value.history.loss
    assert nets[1]._rng.random() == alone._rng.random()  # same draws consumed
    for i in (0, 2):
        ok = reg((1, 2, 3)[i])
        ok.fit(Xr, yr, epochs=30, batch_size=5, learning_rate=rates[i])
        np.testing.assert_array_equal(nets[i].parameters(), ok.parameters())


def test_memory_is_checked_and_a_split_population_gives_the_same_bits():
    whole = [make(s) for s in range(6)]
    train_together(whole, X, Y_CLASS, epochs=2, batch_size=4)
    split = [make(s) for s in range(6)]
    train_together(split, X, Y_CLASS, epochs=2, batch_size=4, memory_limit=60_000)
    for a, b in zip(whole, split):
        np.testing.assert_array_equal(a.parameters(), b.parameters())
    with pytest.raises(MemoryError, match="MB"):
        train_together([make(0)], X, Y_CLASS, epochs=2, batch_size=4, memory_limit=100)


def test_train_candidates_returns_plain_results():
    import pickle
    out = train_candidates(lambda seed: make(seed), [1, 2], [{}, {}],
                           [{"learning_rate": 0.1}, {"learning_rate": 0.3}], X, Y_CLASS,
                           {"epochs": 2, "batch_size": 5}, keep_networks=False)
    pickle.loads(pickle.dumps(out))
    alone = make(2)
    alone.fit(X, Y_CLASS, epochs=2, batch_size=5, learning_rate=0.3)
    np.testing.assert_array_equal(out[1]["theta"], alone.parameters())
    assert out[1]["score"] == alone.evaluate(X, Y_CLASS)["loss"]


# --- the network-minor path for narrow networks (fastnn.engine.lanes) -----------------------

from fastnn.engine import lanes  # noqa: E402

LANES_TRAIN = lanes.train

LANE_CASES = [  # sizes, hidden activation, output, cost, batch size, dtype
    ([2, 2, 1], "sigmoid", "sigmoid", "quadratic", 4, "float64"),
    ([3, 17, 2], "tanh", "softmax", "log_likelihood", 7, "float32"),
    ([5, 2, 9, 1], "relu", "sigmoid", "cross_entropy", 1, "float64"),
    ([20, 33, 64, 3], "arctan", "identity", "quadratic", 19, "float64"),
    ([64, 6, 3], "leaky_relu", "softmax", "quadratic", 5, "float32"),
    ([6, 16, 16, 2], "tanh", "softmax", "log_likelihood", 32, "float64"),
    ([7, 12, 5], "sigmoid", "sigmoid", "cross_entropy", 8, "float32"),
]


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam", "rmsprop"])
@pytest.mark.parametrize("case", LANE_CASES, ids=lambda c: "-".join(map(str, c[0])) + c[5][-2:])
def test_lanes_are_bit_identical_to_fit_alone(case, optimizer, monkeypatch):
    """Every width the lanes can take (up to 64, wider than they are chosen for: they are
    forced here), both dtypes, every cost, rules with and without state, L2/L1."""
    sizes, hidden, output, cost, batch_size, dtype = case
    assert lanes.fits(sizes)
    monkeypatch.setattr(lanes, "FASTEST_WIDTH", max(sizes))
    calls = []
    monkeypatch.setattr(lanes, "train", lambda *a: calls.append(1) or LANES_TRAIN(*a))
    rng = np.random.default_rng(sum(sizes))
    Xt = rng.standard_normal((19, sizes[0]))
    Yt = rng.standard_normal((19, sizes[-1])) if output == "identity" else \
        rng.integers(0, 2, 19) if sizes[-1] == 1 else rng.integers(0, sizes[-1], 19)
    if sizes[-1] == 1 and output != "identity":
        Yt = Yt.reshape(-1, 1).astype(float)

    def build(seed):
        return fastnn.Network(sizes, activation=hidden, output_activation=output, cost=cost,
                              seed=seed, dtype=dtype)

    seeds = list(range(40, 110))  # 70 networks: two chunks of lanes, one partly filled
    lrs = [0.02 + 0.01 * (s % 5) for s in seeds]
    l2s = [(0.0, 0.4, 0.0)[s % 3] for s in seeds]
    l1s = [(0.0, 0.0, 0.3)[s % 3] for s in seeds]
    val = (Xt[:6], Yt[:6])
    nets = [build(s) for s in seeds]
    results = train_together(nets, Xt, Yt, epochs=3, batch_size=batch_size, optimizer=optimizer,
                             learning_rate=lrs, l2=l2s, l1=l1s, validation_data=val)
    assert calls
    for i in (0, 1, 2, 68, 69):
        alone = build(seeds[i])
        expected = alone.fit(Xt, Yt, epochs=3, batch_size=batch_size, optimizer=optimizer,
                             learning_rate=lrs[i], l2=l2s[i], l1=l1s[i], validation_data=val)
        history, error = results[i]
        assert error is None
        np.testing.assert_array_equal(nets[i].parameters(), alone.parameters())
        for a, b in zip(nets[i].optimizer.state.values(), alone.optimizer.state.values()):
            np.testing.assert_array_equal(a, b)
        assert nets[i].optimizer.iterations == alone.optimizer.iterations
        assert history.loss == expected.loss and history.accuracy == expected.accuracy
        assert history.val_loss == expected.val_loss
        assert history.val_accuracy == expected.val_accuracy


def test_lanes_divergence_and_threads():
    Xr = RNG.standard_normal((20, 2))
    yr = Xr[:, :1] * 3.0

    def reg(seed):
        return fastnn.Network([2, 3, 1], activation="identity", seed=seed)

    assert lanes.fits([2, 3, 1])
    seeds = list(range(1, 71))
    rates = [2.0 if s % 7 == 0 else 0.01 for s in seeds]  # 2.0 diverges
    runs = []
    for threads in (1, 2):
        previous = numba.get_num_threads()
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            nets = [reg(s) for s in seeds]
            results = train_together(nets, Xr, yr, epochs=30, batch_size=5, learning_rate=rates)
        finally:
            numba.set_num_threads(previous)
        runs.append((nets, results))
    (nets, results), (nets2, _) = runs
    for a, b in zip(nets, nets2):
        np.testing.assert_array_equal(a.parameters(), b.parameters())
    for i, s in enumerate(seeds):
        alone = reg(s)
        if rates[i] == 2.0:
            with pytest.raises(fastnn.TrainingDiverged) as info:
                alone.fit(Xr, yr, epochs=30, batch_size=5, learning_rate=2.0)
            assert results[i][1] is not None and results[i][1].epoch == info.value.epoch
            assert results[i][0].loss == info.value.history.loss
            assert np.isfinite(nets[i].parameters()).all()
        else:
            alone.fit(Xr, yr, epochs=30, batch_size=5, learning_rate=rates[i])
            assert results[i][1] is None
        np.testing.assert_array_equal(nets[i].parameters(), alone.parameters())


def test_lanes_take_the_networks_fit_trains_in_order():
    from fastnn.engine import fast_drivers, fast_kernels
    for sizes in ([2, 2, 1], [64, 64, 64], [1, 64, 1], [65, 2, 1], [2, 65, 1], [2, 2, 65]):
        arch = fastnn.Network(sizes).backend.arch
        assert lanes.fits(sizes) == fast_drivers.ordered(arch) == (max(sizes) <= 64)
    assert fast_kernels.NARROW == 64
    assert lanes.faster([2, 16, 16, 2], 16, 2) and not lanes.faster([2, 16, 16, 2], 15, 2)
    assert not lanes.faster([20, 64, 64, 1], 256, 2)  # measured faster one at a time


def test_population_histories_pickle_as_arrays_and_read_as_fit_s_lists():
    """A population's Histories hold their columns as arrays until read (a shared column
    once per pickle): they pickle without a Python float per epoch, and every field reads
    back as the list fit records, the same values to the bit, before and after pickling."""
    import pickle

    nets = [make(s) for s in (1, 2, 3)]
    results = train_together(nets, X, Y_CLASS, epochs=40, batch_size=10, learning_rate=0.1,
                             validation_data=(X[:9], Y_CLASS[:9]))
    histories = [history for history, _ in results]
    packed = pickle.dumps(histories)
    as_lists = pickle.dumps([{f: getattr(h, f) for f in h.fields} for h in histories])
    assert len(packed) < 0.8 * len(as_lists)
    alone, expected = fit_alone(1, "sgd", 0.1, 0.0, 10, 40, validation_data=(X[:9], Y_CLASS[:9]))
    for history in (histories[0], pickle.loads(packed)[0],
                    pickle.loads(pickle.dumps(histories[0]))):
        for field in expected.fields:
            value = getattr(history, field)
            assert type(value) is list and value == getattr(expected, field) or field in (
                "seconds", "samples_per_second"), field
            assert all(type(v) is type(w) for v, w in zip(value, getattr(expected, field)))
        history.record(epoch=41, loss=0.5)  # lists from here on, as fit's
        assert history.epoch[-1] == 41 and len(history) == 41


def test_history_copies_keep_their_own_fields():
    import copy

    history = fastnn.History()
    history.record(epoch=1, loss=0.5)
    shallow, deep = copy.copy(history), copy.deepcopy(history)
    shallow.loss = [9.0]
    deep.loss.append(1.0)
    assert history.loss == [0.5] and shallow.loss == [9.0] and deep.loss == [0.5, 1.0]


def test_a_history_pickled_before_array_columns_still_loads():
    state = {field: [1.5, 2.5] for field in fastnn.History.fields}
    state.update(epoch=[1, 2], best_epoch=2, stopped_epoch=None)
    history = fastnn.History.__new__(fastnn.History)
    history.__setstate__(state)
    assert history.loss == [1.5, 2.5] and history.epoch == [1, 2] and history.best_epoch == 2


def test_the_memory_estimate_counts_every_lane_s_scratch():
    """On the lanes a chunk holds one network's workspace per lane: with full batches of
    4,000 rows that is ~5 MB a network, ~160 MB for a chunk of 32. A 100 MB limit that the
    per-network estimate (8 chunks of one network) would pass must refuse it."""
    from fastnn.engine import population as engine_population
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((4000, 8)), rng.integers(0, 2, 4000)
    nets = [fastnn.Network([8, 32, 2], output_activation="softmax", cost="log_likelihood",
                           seed=s) for s in range(64)]
    trainer = engine_population.make_population(nets[0].topology, "log_likelihood", "float64")
    threads = numba.get_num_threads()
    one, chunks = trainer.scratch(4000, 256, 0, 64, threads)
    single = engine_population.scratch_bytes(nets[0].topology, np.float64, 4000, 256, 0)
    width = lanes.lane_count(64, threads)
    assert (one, chunks) == (width * single, -(-64 // width))
    assert 8 * single < 100 * 2**20 < chunks * one
    with pytest.raises(MemoryError):
        train_together(nets, X, y, epochs=1, batch_size=4000, learning_rate=0.1,
                       memory_limit=100 * 2**20)

"""Restarts and sweeps on a Dask cluster (fastnn.distributed): the same bits as the local run,
faults cost nothing, failures stay per restart / per unit, scikit-learn's search on Dask. The
module's two clusters (2 worker processes; 1 in-process worker of 2 threads) are started once,
in this process (the workers inherit NUMBA_CACHE_DIR, so they load this process's
compiled kernels instead of compiling)."""
import os
import signal
import subprocess
import sys
import threading
import time
import warnings

import numba
import numpy as np
import pytest

import fastnn

distributed = pytest.importorskip("distributed", reason="the Dask extra is not installed "
                                  "(pip install 'fastnn[dask]')")
from fastnn import distributed as fd  # noqa: E402

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])
KWARGS = dict(epochs=60, batch_size=4, learning_rate=1.0, seed=7)


def make(seed):
    return fastnn.Network([2, 2, 1], activation="tanh", output_activation="sigmoid",
                          cost="cross_entropy", init="normal", seed=seed)


def flaky(seed):
    """Raises for one seed in three; a network that diverges for another one in three."""
    if seed % 3 == 0:
        raise ValueError(f"no network for seed {seed}")
    if seed % 3 == 1:
        net = fastnn.Network([2, 2, 1], activation="identity", seed=seed)
        net.weights[0][...] = 1e200  # the cost (1e200)^2 overflows in the first epoch: diverged
        return net
    return make(seed)


@pytest.fixture(scope="module")
def cluster():
    fastnn.best_of(2, make, XOR_X, XOR_Y, n_jobs=1, **KWARGS)  # this process's cache is warm
    for dtype in fd.WARM_DTYPES:  # what the workers will load
        fd.warm_up(dtype)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def threaded_client(cluster):
    """One in-process worker with two threads (after ``cluster``: the kernels are warm)."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None, silence_logs=40) as small, \
            distributed.Client(small) as other:
        yield other


def assert_same(a, b):
    assert a.scores == b.scores and a.seeds == b.seeds and a.best_index == b.best_index
    np.testing.assert_array_equal(a.network.parameters(), b.network.parameters())
    assert [h.loss for h in a.histories] == [h.loss for h in b.histories]


def test_import_fastnn_never_imports_dask():
    code = ("import sys, fastnn; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_dask_is_a_one_line_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    monkeypatch.delitem(sys.modules, "fastnn.distributed")
    with pytest.raises(ImportError, match=r"pip install 'fastnn\[dask\]'"):
        import fastnn.distributed  # noqa: F401
    sys.modules.pop("fastnn.distributed", None)


def test_a_client_gives_the_local_result_bit_for_bit(client, threaded_client):
    local = fastnn.best_of(12, make, XOR_X, XOR_Y, n_jobs=1, **KWARGS)
    on_dask = fastnn.best_of(12, make, XOR_X, XOR_Y, client=client, **KWARGS)
    assert_same(on_dask, local)
    # whatever the chunking: one restart per task, uneven chunks, everything in one task
    for size in (1, 5, 12):
        runner = fd.DaskRunner(client, chunk_size=size)
        assert_same(fastnn.best_of(12, make, XOR_X, XOR_Y, client=runner, **KWARGS), local)
    # and whatever the workers: one in-process worker with two threads
    assert_same(fastnn.best_of(12, make, XOR_X, XOR_Y, client=threaded_client, **KWARGS), local)
    assert len(set(local.scores)) > 1  # the restarts differ


def test_workers_are_warmed_once_and_tasks_run_one_numba_thread(client):
    fastnn.best_of(2, make, XOR_X, XOR_Y, client=client, **KWARGS)
    plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    assert all("fastnn" in names for names in plugins.values())
    # the warm-up loaded the kernels: the SGD training loop the engine calls
    # (fast_drivers.train_epoch_sgd) has its compiled signatures in every worker
    from fastnn.engine import fast_drivers
    loaded = client.run(lambda: len(fast_drivers.train_epoch_sgd.signatures))
    assert all(n >= 2 for n in loaded.values())  # float64 and float32
    # and the lanes, which a task of 8 or more small restarts runs (else its first such
    # task compiled them: 44 s in the middle of the test below with chunk_size=12)
    from fastnn.engine import lanes
    loaded = client.run(lambda: len(lanes.train_lanes.signatures))
    assert all(n >= 2 for n in loaded.values())
    seen = []  # in a thread of its own: set_num_threads is per thread
    task = threading.Thread(target=lambda: seen.extend(fd._train_chunk(
        lambda indices: [(None, 0.0, numba.get_num_threads())], [0], False, 1)))
    task.start()
    task.join()
    assert seen == [(0, (None, 0.0, 1))]  # one numba thread in the task's thread
    # ... and the calling thread's own count back after the task (a task body run in a
    # client's thread once left its later local training on one thread: 2x slower)
    before = numba.get_num_threads()
    assert fd._train_chunk(lambda indices: [(None, 0.0, numba.get_num_threads())], [0], False,
                           1) == [(0, (None, 0.0, 1))]
    assert fd._map_chunk(lambda items: [numba.get_num_threads()], [0], 1) == [1]
    assert numba.get_num_threads() == before
    with pytest.raises(ValueError, match="numba_threads"):
        fd.DaskRunner(client, numba_threads=0)


def test_failing_and_diverging_restarts_are_reported_per_restart(client):
    seeds = fastnn.training.restarts.restart_seeds(3, 9)
    raising = [i for i, s in enumerate(seeds) if s % 3 == 0]
    diverging = [i for i, s in enumerate(seeds) if s % 3 == 1]
    assert raising and diverging and len(raising) + len(diverging) < 9
    with pytest.warns(fd.RestartFailed, match=f"{len(raising)} of 9 restarts raised") as caught:
        result = fastnn.best_of(9, flaky, XOR_X, XOR_Y, client=fd.DaskRunner(client, chunk_size=2),
                                **{**KWARGS, "seed": 3})
    assert all(f"restart {i}: ValueError: no network for seed {seeds[i]}" in str(caught[0].message)
               for i in raising)
    local = fastnn.best_of(9, make, XOR_X, XOR_Y, n_jobs=1, **{**KWARGS, "seed": 3})
    for i in range(9):
        if i in raising:
            assert result.scores[i] is None and result.histories[i] is None
        elif i in diverging:
            assert result.scores[i] is None and result.histories[i] is not None
        else:
            assert result.scores[i] == local.scores[i]
    # every restart raising raises the first error, as the local run does
    with pytest.raises(TypeError, match="must return a fastnn.Network"):
        fastnn.best_of(3, lambda seed: None, XOR_X, XOR_Y, client=client, epochs=1)


def test_a_client_that_is_no_client_is_refused():
    with pytest.raises(TypeError, match=r"client must be None .*fastnn\[dask\]"):
        fastnn.best_of(2, make, XOR_X, XOR_Y, client="tcp://scheduler:8786", epochs=1)
    with pytest.raises(TypeError, match=r"client must be None .*fastnn\[dask\]"):
        fastnn.sweep(make_sized, XOR_X, XOR_Y, params={"hidden": [2]}, client="tcp://scheduler:8786")

    class RestartsOnly:
        def map_restarts(self, train_chunk, n, greater_is_better):
            return train_chunk(list(range(n)))
    with pytest.raises(TypeError, match="needs a runner with map_chunks"):
        fastnn.sweep(make_sized, XOR_X, XOR_Y, params={"hidden": [2]}, client=RestartsOnly())


def test_a_worker_killed_mid_run_costs_nothing(client):
    """Kill one worker process while it runs restarts: the scheduler reruns its tasks on
    the other (and on the nanny's replacement) and the result equals the undisturbed run."""
    n, kwargs = 16, {**KWARGS, "epochs": 400}
    local = fastnn.best_of(n, make, XOR_X, XOR_Y, n_jobs=1, **kwargs)
    outcome = {}
    run = threading.Thread(target=lambda: outcome.setdefault("result", fastnn.best_of(
        n, make, XOR_X, XOR_Y, client=fd.DaskRunner(client, chunk_size=1), **kwargs)))
    pids = client.run(os.getpid)
    run.start()
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        processing = client.processing()
        done = sum(1 for k in client.who_has() if "fastnn-restarts" in str(k))
        busy = [w for w, keys in processing.items()
                if any("fastnn-restarts" in str(k) for k in keys)]
        if done >= 2 and busy:
            victim = busy[0]
        time.sleep(0.02)
    assert victim is not None, "no worker was running restarts"
    os.kill(pids[victim], signal.SIGKILL)
    assert run.is_alive()  # killed in the middle of the run
    run.join(120)
    assert not run.is_alive()
    assert_same(outcome["result"], local)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it
    assert pids[victim] not in client.run(os.getpid).values()


def test_grid_search_on_dask_equals_n_jobs_1(client):
    pytest.importorskip("sklearn")
    import joblib
    from sklearn.model_selection import GridSearchCV

    from fastnn.sklearn import MLPClassifier
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int)
    grid = {"learning_rate_init": [0.01, 0.1], "alpha": [0.0, 0.01]}
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the short fits
        serial = GridSearchCV(est, grid, cv=2, n_jobs=1).fit(X, y)
        with joblib.parallel_config(backend="dask"):
            on_dask = GridSearchCV(est, grid, cv=2, n_jobs=-1).fit(X, y)
    assert on_dask.best_params_ == serial.best_params_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(on_dask.cv_results_[key], serial.cv_results_[key])
    np.testing.assert_array_equal(on_dask.predict(X), serial.predict(X))


# --- sweeps --------------------------------------------------------------------------------

SWEEP = dict(params={"learning_rate": [0.3, 1.0, 3.0], "hidden": [2, 3]}, restarts=2,
             validation_data=(XOR_X, XOR_Y), epochs=9, batch_size=4, metric="loss", seed=5)
"""6 candidates x 2 restarts; halving: rungs of 3 and 9 epochs, 2 candidates continue."""


def make_sized(seed, hidden=2, start="normal"):
    if hidden < 1:
        raise ValueError(f"hidden must be positive, got {hidden}")
    if start == "huge":  # the cost (1e200)^2 overflows in the first epoch: diverged
        net = fastnn.Network([2, hidden, 1], activation="identity", seed=seed)
        net.weights[0][...] = 1e200
        return net
    return fastnn.Network([2, hidden, 1], activation="tanh", output_activation="sigmoid",
                          cost="cross_entropy", init="normal", seed=seed)


class CountingRunner(fd.DaskRunner):
    """A DaskRunner that records, per call (rung), the unit ids sent and received."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def map_chunks(self, function, items):
        results = super().map_chunks(function, items)
        self.calls.append(([it["id"] for it in items], [r["id"] for r in results],
                           self._shipped[1].key))
        return results


def assert_same_sweep(a, b):
    assert a.table == b.table  # every score, epoch count, rank: the same floats
    assert (a.best_params, a.best_score, a.epochs_spent) == (b.best_params, b.best_score,
                                                             b.epochs_spent)
    np.testing.assert_array_equal(a.best_network.parameters(), b.best_network.parameters())
    assert a.best_network.optimizer.epochs == b.best_network.optimizer.epochs
    assert a.best_network.optimizer.iterations == b.best_network.optimizer.iterations
    assert a.best_network._rng.bit_generator.state == b.best_network._rng.bit_generator.state


@pytest.mark.parametrize("schedule", [None, "halving"])
def test_a_sweep_on_a_client_is_the_local_sweep_bit_for_bit(client, threaded_client, schedule):
    local = fastnn.sweep(make_sized, XOR_X, XOR_Y, schedule=schedule, **SWEEP)
    assert len({row["score"] for row in local.table}) > 6  # the units differ
    if schedule == "halving":
        epochs = sorted({row["epochs"] for row in local.table})
        assert epochs == [3, 9]  # the survivors continued to 9 epochs, the others stopped at 3
    for on in (client, fd.DaskRunner(client, chunk_size=1), fd.DaskRunner(client, chunk_size=5),
               threaded_client):
        assert_same_sweep(fastnn.sweep(make_sized, XOR_X, XOR_Y, schedule=schedule, client=on,
                                       **SWEEP), local)


def test_a_halving_sweep_with_folds_on_a_client_is_the_local_one(client):
    kwargs = dict(SWEEP, validation_data=None, cv=2, schedule="halving",
                  params={"learning_rate": [0.3, 3.0], "optimizer": ["sgd", "adam"]})
    local = fastnn.sweep(make_sized, XOR_X, XOR_Y, **kwargs)
    runner = CountingRunner(client, chunk_size=3)
    assert_same_sweep(fastnn.sweep(make_sized, XOR_X, XOR_Y, client=runner, **kwargs), local)
    # rung 1: 4 candidates x 2 restarts x 2 folds; rung 2: the 2 survivors' 8 units, continued
    assert [len(sent) for sent, _, _ in runner.calls] == [16, 8]
    assert len({job for _, _, job in runner.calls}) == 1  # the data went out once, for both rungs


def test_a_worker_killed_mid_sweep_costs_nothing(client):
    """Kill one worker process while it trains a rung's units: its chunks are rerun elsewhere
    (from the state they set out with) and the sweep equals the undisturbed run, every unit
    sent and received exactly once per rung."""
    kwargs = dict(SWEEP, epochs=300, schedule="halving")
    local = fastnn.sweep(make_sized, XOR_X, XOR_Y, **kwargs)
    runner = CountingRunner(client, chunk_size=1)
    outcome = {}
    run = threading.Thread(target=lambda: outcome.setdefault("result", fastnn.sweep(
        make_sized, XOR_X, XOR_Y, client=runner, **kwargs)))
    pids = client.run(os.getpid)
    run.start()
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        processing = client.processing()
        done = sum(1 for k in client.who_has() if "fastnn-chunk" in str(k))
        busy = [w for w, keys in processing.items() if any("fastnn-chunk" in str(k) for k in keys)]
        if done >= 2 and busy:
            victim = busy[0]
        time.sleep(0.02)
    assert victim is not None, "no worker was training units"
    os.kill(pids[victim], signal.SIGKILL)
    assert run.is_alive()  # killed in the middle of the sweep
    run.join(120)
    assert not run.is_alive()
    assert_same_sweep(outcome["result"], local)
    assert len(runner.calls) == 2  # two rungs
    for sent, received, _ in runner.calls:
        assert sent == received and len(set(sent)) == len(sent)
    assert sorted(runner.calls[0][0]) == list(range(12))
    survivors = {row["candidate"] for row in local.table if row["epochs"] == 300}
    assert sorted(runner.calls[1][0]) == sorted(2 * c + r for c in survivors for r in range(2))
    client.wait_for_workers(2, timeout=60)


def test_units_that_raise_or_diverge_are_reported_per_candidate(client):
    # learning_rate last: a chunk of 4 holds units of a good and a bad rate, trained together
    # until the bad one raises, then each alone
    params = {"hidden": [2, 0], "start": ["normal", "huge"], "learning_rate": [0.3, -1.0, 1.0]}
    with pytest.warns(fastnn.training.sweep.UnitFailed, match="16 of 24 sweep units raised"):
        result = fastnn.sweep(make_sized, XOR_X, XOR_Y, client=fd.DaskRunner(client, chunk_size=4),
                              **dict(SWEEP, params=params))
    good = fastnn.sweep(make_sized, XOR_X, XOR_Y, **dict(SWEEP, params={
        "learning_rate": [0.3, 1.0], "hidden": [2], "start": ["normal"]}))
    rows = {(r["learning_rate"], r["hidden"], r["start"], r["restart"]): r for r in result.table}
    for row in good.table:  # the candidates that train are those of a sweep of them alone
        key = row["learning_rate"], row["hidden"], row["start"], row["restart"]
        assert rows[key]["score"] == row["score"]
    assert result.best_params == good.best_params and result.best_score == good.best_score
    np.testing.assert_array_equal(result.best_network.parameters(), good.best_network.parameters())
    for row in result.table:
        if row["hidden"] == 0:  # make_network refused the value: its row says why
            assert row["score"] is None and row["mean_score"] is None and row["epochs"] == 0
            assert row["error"] == "ValueError: hidden must be positive, got 0"
        elif row["learning_rate"] == -1.0:  # refused by the training, reported
            assert row["score"] is None and row["error"].startswith("ValueError: learning_rate")
        elif row["start"] == "huge":  # trained, diverged, reported
            assert row["diverged"] and row["score"] is None and row["error"] is None
        else:
            assert row["error"] is None and not row["diverged"]
    assert max(r["rank"] for r in result.table if r["score"] is not None) == 2
    with pytest.raises(ValueError, match="hidden must be positive"):  # every unit raised
        fastnn.sweep(make_sized, XOR_X, XOR_Y, client=client, **dict(SWEEP, params={"hidden": [0]}))

"""Restarts on a Dask cluster (fastnn.distributed): the same bits as the local run, faults cost
nothing, failures stay per restart, scikit-learn's search on Dask. Every test starts its
cluster in this process (the workers inherit NUMBA_CACHE_DIR, so they load this process's
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


def assert_same(a, b):
    assert a.scores == b.scores and a.seeds == b.seeds and a.best_index == b.best_index
    np.testing.assert_array_equal(a.network._theta, b.network._theta)
    assert [h.loss for h in a.histories] == [h.loss for h in b.histories]


def test_import_fastnn_never_imports_dask():
    code = "import sys, fastnn; print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_dask_is_a_one_line_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    monkeypatch.delitem(sys.modules, "fastnn.distributed")
    with pytest.raises(ImportError, match=r"pip install 'fastnn\[dask\]'"):
        import fastnn.distributed  # noqa: F401
    sys.modules.pop("fastnn.distributed", None)


def test_a_client_gives_the_local_result_bit_for_bit(client):
    local = fastnn.best_of(12, make, XOR_X, XOR_Y, n_jobs=1, **KWARGS)
    on_dask = fastnn.best_of(12, make, XOR_X, XOR_Y, client=client, **KWARGS)
    assert_same(on_dask, local)
    # whatever the chunking: one restart per task, uneven chunks, everything in one task
    for size in (1, 5, 12):
        assert_same(fastnn.best_of(12, make, XOR_X, XOR_Y, client=fd.DaskRunner(client, chunk_size=size),
                                   **KWARGS), local)
    # and whatever the workers: one in-process worker with two threads
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None, silence_logs=40) as small, \
            distributed.Client(small) as other:
        assert_same(fastnn.best_of(12, make, XOR_X, XOR_Y, client=other, **KWARGS), local)
    assert len(set(local.scores)) > 1  # the restarts differ


def test_workers_are_warmed_once_and_tasks_run_one_numba_thread(client):
    fastnn.best_of(2, make, XOR_X, XOR_Y, client=client, **KWARGS)
    plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    assert all("fastnn" in names for names in plugins.values())
    # the warm-up loaded the kernels: a worker's dispatcher has its compiled signatures
    from fastnn.engine import fast_drivers
    loaded = client.run(lambda: len(fast_drivers.train_epoch.signatures))
    assert all(n >= 2 for n in loaded.values())  # float64 and float32
    seen = []  # in a thread of its own: set_num_threads is per thread
    task = threading.Thread(target=lambda: seen.extend(fd._train_chunk(
        lambda indices: [(None, 0.0, numba.get_num_threads())], [0], False, 1)))
    task.start()
    task.join()
    assert seen == [(0, (None, 0.0, 1))]  # one numba thread in the task's thread
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
        busy = [w for w, keys in processing.items() if any("fastnn-restarts" in str(k) for k in keys)]
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

"""Issue 25: reliability under faults. Each test is one probe of the issue's table: a save
during fit, Ctrl-C in fit and in ``fastnn train``, no writable cache, populations too large
for memory, Dask workers lost, sparse X in populations, and the messages that misled.
"""
import copy
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn import cli
from fastnn.training import fit as fit_module

ROOT = Path(__file__).resolve().parents[1]


def problem(n=200, n_inputs=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_inputs))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y


class InterruptAt:
    """Stands in for ``fit``'s divergence check, which runs right after an epoch's compiled
    loop: on its ``at``-th call it raises KeyboardInterrupt there, as a Ctrl-C landing just
    after the loop does; otherwise it is the real check."""

    def __init__(self, at):
        self.at, self.calls = at, 0
        self.real = fit_module.diverged

    def __call__(self, *args):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return self.real(*args)


# --- item 3: Ctrl-C keeps the last whole epoch -------------------------------------------------

def record_interrupted_at(at):
    """``History.record`` that, on its ``at``-th call, stops half-way (some fields recorded,
    not the others) with a KeyboardInterrupt: a Ctrl-C inside the lines committing an epoch."""
    real = fastnn.training.history.History.record
    calls = []

    def record(self, **values):
        calls.append(1)
        if len(calls) == at:
            self.epoch.append(values["epoch"])
            self.loss.append(values["loss"])
            raise KeyboardInterrupt
        return real(self, **values)
    return record


@pytest.mark.parametrize("where", ["after the compiled loop", "inside the commit"])
def test_an_interrupted_epoch_is_rolled_back_whole(monkeypatch, where):
    X, y = problem()
    kwargs = dict(batch_size=5, optimizer="adam", learning_rate=0.01)
    straight = fastnn.Network([4, 6, 1], seed=1)
    straight.fit(X, y, epochs=5, **kwargs)

    net = fastnn.Network([4, 6, 1], seed=1)
    if where == "after the compiled loop":
        monkeypatch.setattr(fit_module, "diverged", InterruptAt(3))
    else:
        monkeypatch.setattr(fastnn.training.history.History, "record", record_interrupted_at(3))
    with pytest.raises(KeyboardInterrupt) as caught:
        net.fit(X, y, epochs=5, **kwargs)
    monkeypatch.undo()
    history = caught.value.history
    assert history.epoch == [1, 2] and len(history.loss) == len(history.seconds) == 2
    assert net.optimizer.epochs == 2 and net._boundary is None
    assert net.optimizer.iterations == 2 * len(X) // 5
    resumed = net.fit(X, y, epochs=3, **kwargs)  # the rest of the run
    assert resumed.epoch == [3, 4, 5]
    np.testing.assert_array_equal(net.parameters(), straight.parameters())
    for name, array in straight.optimizer.state.items():
        np.testing.assert_array_equal(net.optimizer.state[name], array)
    assert (net.optimizer.iterations, net.optimizer.epochs) == \
        (straight.optimizer.iterations, straight.optimizer.epochs)


# --- item 2: a save during fit holds one epoch boundary ----------------------------------------

def test_save_during_fit_holds_the_state_of_one_epoch_boundary(tmp_path):
    X, y = problem(n=400, n_inputs=8)
    kwargs = dict(epochs=30, batch_size=1, optimizer="adam", learning_rate=0.01)
    boundaries = {}  # epoch -> parameters at its end, from a run that is not disturbed

    class Record(fastnn.callbacks.Callback):
        def on_epoch_end(self, event):
            boundaries[event.epoch] = event.network.parameters().copy()

    reference = fastnn.Network([8, 24, 1], seed=2)
    boundaries[0] = reference.parameters().copy()
    reference.fit(X, y, callbacks=[Record()], **kwargs)

    net = fastnn.Network([8, 24, 1], seed=2)
    trainer = threading.Thread(target=net.fit, args=(X, y), kwargs=kwargs)
    trainer.start()
    paths, copies = [], []
    while trainer.is_alive() and len(paths) < 40:
        paths.append(tmp_path / f"m{len(paths)}.npz")
        net.save(paths[-1])
        copies.append(copy.deepcopy(net))  # (pickle and copy take the same state)
    trainer.join()
    assert paths
    for path, saved in [(p, fastnn.load(p)) for p in paths] + list(zip(paths, copies)):
        epoch = saved.optimizer.epochs if saved.optimizer is not None else 0
        np.testing.assert_array_equal(saved.parameters(), boundaries[epoch], err_msg=str(path))
        if epoch:
            assert saved.optimizer.iterations == epoch * len(X)


def run_cli(capsys, *argv):
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_train_interrupted_saves_the_last_whole_epoch(capsys, tmp_path, monkeypatch):
    model = tmp_path / "m.npz"
    monkeypatch.setattr(fit_module, "diverged", InterruptAt(4))
    status, _, err = run_cli(capsys, "train", "xor", "--epochs", "50", "--no-progress",
                             "--output", str(model))
    assert status == 130
    assert f"the 3 whole epochs trained saved to {model}" in err
    assert fastnn.load(model).optimizer.epochs == 3


@pytest.mark.parametrize("at, output, reason", [(4, False, "no --output was given"),
                                                (1, True, "no epoch had finished")])
def test_train_interrupted_says_plainly_nothing_was_saved(capsys, tmp_path, monkeypatch, at,
                                                          output, reason):
    model = tmp_path / "m.npz"
    monkeypatch.setattr(fit_module, "diverged", InterruptAt(at))
    status, _, err = run_cli(capsys, "train", "xor", "--epochs", "50", "--no-progress",
                             *(["--output", str(model)] if output else []))
    assert status == 130
    assert f"nothing was saved ({reason})" in err
    assert not model.exists()


def test_train_interrupted_while_compiling_ends_at_once(tmp_path):
    """A cold cache (an empty NUMBA_CACHE_DIR): the first compilation takes minutes, and
    SIGINT must end the process during it, saying nothing was saved. (The timeout only
    guards against a hang.)"""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    process = subprocess.Popen(
        [sys.executable, "-m", "fastnn", "train", "spirals", "--epochs", "5", "--no-progress",
         "--output", str(tmp_path / "m.npz")], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for line in process.stdout:  # the line printed just before fit starts compiling
            if line.startswith("optimizer"):
                break
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "nothing was saved" in err
    assert not (tmp_path / "m.npz").exists()


# --- item 4: import anywhere ------------------------------------------------------------------

NO_CACHE_FOLDER = """
import numba.core.caching as caching

def nowhere(self):  # as for a user who can write neither the package folder nor a home folder
    raise PermissionError(13, "Permission denied", self.get_cache_path())

caching._CacheLocator.ensure_cache_path = nowhere
"""


def test_import_and_train_with_no_writable_cache_folder():
    script = NO_CACHE_FOLDER + """
import numpy as np
import fastnn
from fastnn.core import _numba
from fastnn.engine import rules
assert _numba.CACHE_LOCATION is None
theta = np.ones(3)
rules.sgd_step(theta, np.ones(3), 0.5)  # compiled, in memory
assert theta.tolist() == [0.5, 0.5, 0.5], theta
net = fastnn.Network([2, 2, 1], seed=0, engine="numpy")
net.fit(np.eye(2), np.array([0, 1]), epochs=2, batch_size=2)
print("trained", len(net.optimizer._state))
"""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    done = subprocess.run([sys.executable, "-W", "always", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "trained" in done.stdout
    assert done.stderr.count("NUMBA_CACHE_DIR") == 1, done.stderr
    assert "no locator" not in done.stderr


# --- item 1: memory before work -----------------------------------------------------------------

class Counting:
    """``make_network`` that counts its calls."""

    def __init__(self, sizes):
        self.sizes, self.calls = sizes, 0

    def __call__(self, seed, **params):
        self.calls += 1
        return fastnn.Network(self.sizes, seed=seed)


def test_population_memory_estimate_is_within_2x_of_the_measured(monkeypatch):
    import tracemalloc

    from fastnn.training import memory
    X, y = problem(n=100, n_inputs=20)
    kwargs = dict(epochs=3, batch_size=10, learning_rate=0.1, optimizer="adam")
    fastnn.best_of(2, Counting([20, 30, 3]), X, y, **kwargs)  # compiled before measuring
    estimates = []
    real = memory.check_population_memory
    monkeypatch.setattr(memory, "check_population_memory",
                        lambda what, count, per, advice: estimates.append(count * per))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fastnn.best_of(60, Counting([20, 30, 3]), X, y, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert real is not None and len(estimates) == 1
    assert 0.5 < estimates[0] / peak < 2, (estimates[0], peak)


@pytest.mark.parametrize("call", ["best_of", "sweep"])
def test_population_too_large_is_refused_before_building_it(monkeypatch, call):
    from fastnn.training import memory
    monkeypatch.setattr(memory, "room_for_networks", lambda: 6 * 2**30)  # a 6 GB limit
    X, y = problem(n=50, n_inputs=784)
    y = y * 9
    make = Counting([784, 30, 10])
    with pytest.raises(MemoryError) as caught:
        if call == "best_of":
            fastnn.best_of(100_000, make, X, y, epochs=1)
        else:
            fastnn.sweep(make, X, y, {"learning_rate": [0.1]}, restarts=100_000, epochs=1)
    message = str(caught.value)
    assert ("best_of(n_restarts=100000)" if call == "best_of" else "sweep(restarts=100000)") \
        in message
    assert "GB" in message and "available" in message and "client=" in message
    assert make.calls == 1  # only the network measured was built


# --- item 5: a cluster that loses workers at any moment ----------------------------------------

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])
XOR_FIT = dict(epochs=20, batch_size=4, learning_rate=1.0)


def xor_net(seed, hidden=2):
    return fastnn.Network([2, hidden, 1], activation="tanh", output_activation="sigmoid",
                          cost="cross_entropy", init="normal", seed=seed)


def kill_once_plugin(marker):
    """fastnn's worker plugin, except that the first worker to warm up dies in the middle of
    it (``os._exit``): the probe of a worker lost during the warm-up. Built here so that
    cloudpickle ships the class by value to the workers."""
    from fastnn import distributed as fd

    class KillOnce(fd.FastnnWorker):
        def _warm(self):
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return super()._warm()
            os._exit(1)

    return KillOnce(warm_dtypes=("float64",))


@pytest.fixture
def two_workers():
    """A cluster of two worker processes started for one test (and stopped after it), with
    short lock leases: the warm-up lock a killed worker held is freed in seconds."""
    distributed = pytest.importorskip("distributed", reason="the Dask extra is not installed")
    import dask
    with dask.config.set({"distributed.scheduler.locks.lease-timeout": "3s",
                          "distributed.scheduler.locks.lease-validation-interval": "1s"}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def test_a_worker_killed_during_the_warm_up_loses_nothing(two_workers, tmp_path):
    from fastnn import distributed as fd
    local = fastnn.best_of(6, xor_net, XOR_X, XOR_Y, **XOR_FIT)
    runner = fd.DaskRunner(two_workers)
    runner.plugin = kill_once_plugin(str(tmp_path / "killed"))
    remote = fastnn.best_of(6, xor_net, XOR_X, XOR_Y, client=runner, **XOR_FIT)
    assert (tmp_path / "killed").exists()  # a worker did die during the warm-up
    assert remote.scores == local.scores and remote.best_index == local.best_index
    np.testing.assert_array_equal(remote.network.parameters(), local.network.parameters())


def test_a_worker_killed_before_the_warm_up_loses_nothing(two_workers):
    from fastnn import distributed as fd
    params = {"hidden": [2, 3], "learning_rate": [0.5, 1.0]}
    local = fastnn.sweep(xor_net, XOR_X, XOR_Y, params, restarts=2, epochs=10, batch_size=4)
    pids = list(two_workers.run(os.getpid).values())
    os.kill(pids[0], signal.SIGKILL)  # the client has not registered fastnn's plugin yet
    runner = fd.DaskRunner(two_workers, warm_dtypes=("float64",))  # no float32 compile
    remote = fastnn.sweep(xor_net, XOR_X, XOR_Y, params, restarts=2, epochs=10, batch_size=4,
                          client=runner)
    assert [r["score"] for r in remote.table] == [r["score"] for r in local.table]
    np.testing.assert_array_equal(remote.best_network.parameters(), local.best_network.parameters())


def test_closed_client_and_unpicklable_make_network_are_refused_by_name():
    distributed = pytest.importorskip("distributed", reason="the Dask extra is not installed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None, silence_logs=50) as cluster:
        with distributed.Client(cluster) as client:
            lock = threading.Lock()
            with pytest.raises(TypeError, match=r"make_network=.* cannot be sent to the "
                                                r"cluster.*pickle"):
                fastnn.best_of(2, lambda seed: lock and xor_net(seed), XOR_X, XOR_Y,
                               client=client, **XOR_FIT)
            with pytest.raises(TypeError, match=r"make_network=.* cannot be sent"):
                fastnn.sweep(lambda seed, **p: lock and xor_net(seed), XOR_X, XOR_Y,
                             {"learning_rate": [1.0]}, client=client, epochs=2)
        for call in (lambda: fastnn.best_of(2, xor_net, XOR_X, XOR_Y, client=client, **XOR_FIT),
                     lambda: fastnn.sweep(xor_net, XOR_X, XOR_Y, {"learning_rate": [1.0]},
                                          client=client, epochs=2)):
            with pytest.raises(ValueError, match=r"client=.* is closed"):
                call()


# --- item 6: scipy sparse X in populations ------------------------------------------------------

@pytest.mark.parametrize("call", ["best_of", "sweep", "sweep_cv"])
def test_sparse_X_trains_in_best_of_and_sweep_as_the_dense_one(call):
    sp = pytest.importorskip("scipy.sparse")
    X, y = problem(n=60, n_inputs=6, seed=3)
    X[np.abs(X) < 0.8] = 0.0  # mostly zeros
    results = []
    for data in (X, sp.csr_matrix(X)):
        if call == "best_of":
            result = fastnn.best_of(3, lambda s: fastnn.Network([6, 4, 1], seed=s), data, y,
                                    epochs=3, batch_size=6, learning_rate=0.5)
            results.append((result.scores, result.network.parameters()))
        else:
            result = fastnn.sweep(lambda s, **p: fastnn.Network([6, 4, 1], seed=s), data, y,
                                  {"learning_rate": [0.2, 0.5]}, restarts=2, epochs=3,
                                  batch_size=6, cv=3 if call == "sweep_cv" else None)
            results.append(([r["score"] for r in result.table], result.best_network.parameters()))
    (dense_scores, dense_theta), (sparse_scores, sparse_theta) = results
    np.testing.assert_allclose(sparse_scores, dense_scores, rtol=1e-10)
    np.testing.assert_allclose(sparse_theta, dense_theta, rtol=1e-10, atol=1e-12)


# --- item 7: messages that name the argument and the problem ------------------------------------

@pytest.mark.parametrize("call", ["best_of", "sweep"])
def test_a_metric_that_is_nan_for_every_restart_is_named(call):
    X, y = problem(n=40)
    nan_metric = lambda net, X, y: float("nan")  # noqa: E731
    with pytest.raises(ValueError, match=r"metric=.* scored no.*returned nan.*check the metric"):
        if call == "best_of":
            fastnn.best_of(3, lambda s: fastnn.Network([4, 3, 1], seed=s), X, y, epochs=1,
                           metric=nan_metric)
        else:
            fastnn.sweep(lambda s, **p: fastnn.Network([4, 3, 1], seed=s), X, y,
                         {"learning_rate": [0.1, 0.2]}, epochs=1, metric=nan_metric)


@pytest.mark.parametrize("call", ["best_of", "sweep"])
def test_validation_data_that_is_not_a_pair_is_named(call):
    X, y = problem(n=40)
    with pytest.raises(TypeError, match=r"validation_data must be a pair \(X_val, y_val\), "
                                        r"got a ndarray of shape \(40, 4\)"):
        if call == "best_of":
            fastnn.best_of(2, lambda s: fastnn.Network([4, 3, 1], seed=s), X, y, epochs=1,
                           validation_data=X)
        else:
            fastnn.sweep(lambda s, **p: fastnn.Network([4, 3, 1], seed=s), X, y,
                         {"learning_rate": [0.1]}, epochs=1, validation_data=X)


def test_a_neuron_id_of_thousands_of_digits_is_refused_by_name():
    huge = 10 ** 5000
    with pytest.raises(ValueError, match=r"edges\[0\]: a neuron id is an int of 16610 bits"):
        fastnn.Graph([(0, huge), (huge, 1)], inputs=[0], outputs=[1])
    with pytest.raises(ValueError, match=r"inputs: a neuron id is an int"):
        fastnn.Graph([(-huge, 1)], inputs=[-huge], outputs=[1])


def test_one_class_predict_proba_has_two_columns_as_scikit_learn():
    pytest.importorskip("sklearn")
    from fastnn.sklearn import MLPClassifier
    X, _ = problem(n=20)
    model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
    with pytest.warns(Warning):  # not converged in 3 iterations
        model.fit(X, np.full(20, 7))
    proba = model.predict_proba(X)
    assert proba.shape == (20, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(model.predict(X)) == [7] * 20


def test_prune_refuses_nan_weights():
    net = fastnn.Network([3, 4, 2], seed=0)
    net.weights[0][1, 2] = np.nan
    with pytest.raises(ValueError, match=r"cannot prune: 1 weight\(s\) are NaN or infinite"):
        net.prune(0.5)

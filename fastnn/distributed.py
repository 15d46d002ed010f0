"""Restarts and sweeps on a Dask cluster: ``fastnn.best_of(..., client=Client(...))`` and
``fastnn.sweep(..., client=Client(...))``.

``import fastnn`` never imports Dask; this module does (``pip install 'fastnn[dask]'``), and
``fastnn.best_of`` imports it the first time it is given a ``distributed.Client``.

How a run goes (``DaskRunner.map_restarts``):

1. once per client, a worker plugin (``FastnnWorker``) runs on every worker process, before it
   takes any task, and on every worker that joins later: it loads the compiled kernels (from
   numba's cache, ``NUMBA_CACHE_DIR``, or compiles them once) by training a tiny network in
   every dtype it is asked to warm;
2. the function training a chunk of restarts, which carries the data, is sent once, as the
   argument of one task whose result every chunk's task takes (a worker fetches it once);
   unlike ``client.scatter``, whose data is lost with the worker holding it, the scheduler can
   recompute that task if its worker dies;
3. the restarts are split into contiguous chunks of indices, one task per chunk
   (``chunk_size``); a task trains its chunk and sends back every score and history but only
   its best network (the only one that can be the overall best);
4. the chunks are gathered and put back in index order: the result equals the local run's bit
   for bit (every restart is fixed by its own seed; the kernels give the same bits for any
   number of threads), whatever the number of workers.

Sweeps (``DaskRunner.map_chunks``, called by ``sweep`` once per rung): the chunk function
(``fastnn.training.sweep.train_units`` with the sweep's data, folds and ``make_network``) is
shipped once per sweep as in step 2 and reused by every rung; the rung's units (candidate x
restart x fold) go out in contiguous chunks, each unit as its seed and, once trained, its
state (parameters, optimizer state and counters, generator state), and come back with
scores, epochs and, for the units that may continue (every unit of a rung before the last)
or be the best (each candidate's best restart of the chunk), the new state. A unit that
raises is reported in its table row and a ``fastnn.training.sweep.UnitFailed`` warning.

Faults: a worker that dies takes its running tasks with it; the scheduler reruns them on
another worker (up to ``distributed.scheduler.allowed-failures`` times) and, every restart being
a pure function of its index (a sweep's unit, of the state it set out with), the result is
unchanged. A restart that raises (a bad argument,
a ``make_network`` that fails for some seed) is caught inside the task and reported for that
restart alone: its score and history are None and a ``RestartFailed`` warning lists it; only
when every restart raises is the first error raised, as the local run would.

Threads: a Dask worker runs ``nthreads`` tasks at once, one per thread (``dask worker
--nthreads``, ``LocalCluster(threads_per_worker=)``; by default the threads of all workers on a
machine add up to its cores). Each task runs numba with ``numba_threads`` threads, 1 by default
(``numba.set_num_threads`` is per thread, so this holds in every worker thread): one numba
thread per worker thread, never more threads than cores. To give each task several cores
(large networks, few restarts), start fewer worker threads and pass ``DaskRunner(client,
numba_threads=k)`` with ``nthreads x k`` at most the machine's cores. ``fastnn.set_num_threads``
called on the client changes nothing on the workers.
"""
import asyncio
import contextlib
import functools
import math
import pickle
import socket
import time
import traceback
import uuid
import warnings

try:
    import distributed
except ImportError:  # pragma: no cover - exercised where Dask is not installed
    raise ImportError("fastnn.distributed needs Dask: pip install 'fastnn[dask]'") from None
import numba
import numpy as np

from .engine import lanes
from .network import Network
from .training import runners
from .training.restarts import best_of

TASKS_PER_THREAD = 4
"""Default number of tasks per worker thread: enough to balance uneven chunks and to lose
little to a dead worker, few enough that Dask's per-task cost (a few ms, see
docs/distributed.md) stays negligible next to a chunk's training."""

REGISTER_ATTEMPTS = 5
"""Tries at registering the workers' warm-up plugin (see ``DaskRunner.prepare``)."""

WARM_DTYPES = ("float64", "float32")
"""The dtypes whose kernels every worker loads before its first task."""


class RestartFailed(UserWarning):
    """Some restarts raised on the cluster; the others were kept."""


class FastnnWorker(distributed.WorkerPlugin):
    """Prepares a worker process for fastnn tasks: the compiled kernels loaded.

    Runs in the worker when registered (``DaskRunner`` registers it once per client) and on
    every worker that joins afterwards, always before the worker's first fastnn task.
    """

    name = "fastnn"

    def __init__(self, warm_dtypes=WARM_DTYPES):
        self.warm_dtypes = tuple(warm_dtypes)

    async def setup(self, worker):
        # in a thread, so that a cold compile (minutes) does not stall the worker's heartbeats;
        # under a lock per cache, so that workers sharing one cache do not build it at once
        # (numba #4807: concurrent writers of one cache can crash)
        lock = distributed.Lock(f"fastnn-warm-up:{_cache_name()}", scheduler_rpc=worker.scheduler,
                                loop=worker.loop)
        async with lock:
            await asyncio.get_running_loop().run_in_executor(None, self._warm)

    def _warm(self):
        for dtype in self.warm_dtypes:
            warm_up(dtype)


def _cache_name():
    """Where this process's compiled kernels live: the shared NUMBA_CACHE_DIR, or this machine."""
    return numba.config.CACHE_DIR or socket.gethostname()


def warm_up(dtype="float64"):
    """Load (or compile, once per cache) the kernels that training and scoring in ``dtype`` run:
    one epoch of a tiny network, its evaluation and prediction, and restarts of it trained
    together by ``best_of``: two (one network at a time) and enough to fill the lanes
    (``lanes.faster``: a task of 8 or more small restarts per thread runs them), whose first
    use would otherwise compile in the middle of a task (measured: 44 s in a worker)."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([1, 1, 0])
    net = Network([2, 2, 1], dtype=dtype, seed=0)
    net.fit(X, y, epochs=1, batch_size=2, learning_rate=0.1)
    net.evaluate(X, y)
    net.predict(X)
    make = functools.partial(_tiny_network, dtype)
    for restarts in (2, lanes.MIN_LANES * max(1, numba.get_num_threads())):
        best_of(restarts, make, X, y, n_jobs=1, epochs=1, batch_size=2, learning_rate=0.1)


def _tiny_network(dtype, seed):
    return Network([2, 2, 1], dtype=dtype, seed=seed)


def _identity(value):
    return value


@contextlib.contextmanager
def _numba_threads(n):
    """This thread's numba thread count set to ``n`` (at most numba's pool) while a task
    runs, and given back after it: ``numba.set_num_threads`` is per thread and outlives the
    call, so a task body run in a client's own thread (an in-process runner, a benchmark)
    would otherwise leave that thread's later training on one thread."""
    previous = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _train_chunk(train_chunk, indices, greater_is_better, numba_threads=1):
    """Task body of ``best_of``: train one chunk of restarts on this worker thread, by one call
    of the ``train_chunk`` that ``best_of`` gives (the chunk's restarts trained together as
    one population when they share a structure, else one after another). Returns ``(index,
    (network or None, score, history) or _Failure)`` pairs, keeping only the chunk's best
    network.

    If the chunk raises, its restarts are trained one by one to find the ones that raise:
    those are reported, the others kept."""
    with _numba_threads(numba_threads):
        try:
            results = list(train_chunk(indices))
        except Exception:  # reported per restart, see the module docstring
            results = []
            for i in indices:
                try:
                    results.extend(train_chunk([i]))
                except Exception as error:
                    results.append(_Failure(error, traceback.format_exc()))
    best = _chunk_best(results, greater_is_better)
    return [(i, r if isinstance(r, _Failure) or k == best else (None, r[1], r[2]))
            for k, (i, r) in enumerate(zip(indices, results))]


def _map_chunk(function, items, numba_threads=1):
    """Task body of ``map_chunks`` (``sweep``): ``function(items)`` on this worker thread with
    ``numba_threads`` numba threads; ``function`` reports its items' errors itself."""
    with _numba_threads(numba_threads):
        results = list(function(items))
    if len(results) != len(items):
        raise RuntimeError(f"a chunk of {len(items)} items gave {len(results)} results")
    return results


def _chunk_best(results, greater_is_better):
    """Position of the best finite score among ``results`` (ties: the first), or None."""
    best = None
    for k, r in enumerate(results):
        if isinstance(r, _Failure) or r[1] is None or not np.isfinite(r[1]):
            continue
        if best is None or (r[1] > results[best][1] if greater_is_better
                            else r[1] < results[best][1]):
            best = k
    return best


class _Failure:
    """A restart that raised inside a task: the exception (if it pickles) and its traceback."""

    def __init__(self, error, text):
        self.type_name = type(error).__name__
        self.message = str(error)
        self.text = text
        try:  # keep the exception itself when it survives the trip back
            pickle.dumps(error)
            self.error = error
        except Exception:
            self.error = RuntimeError(f"{self.type_name}: {self.message}")


def chunk_sizes(n, n_threads, chunk_size=None, tasks_per_thread=TASKS_PER_THREAD):
    """Contiguous chunks of ``range(n)``: ``chunk_size`` each, or by default
    ``ceil(n / (tasks_per_thread x n_threads))`` (at least 1)."""
    if chunk_size is None:
        chunk_size = max(1, math.ceil(n / (tasks_per_thread * max(1, n_threads))))
    return [range(start, min(n, start + chunk_size)) for start in range(0, n, chunk_size)]


class DaskRunner:
    """Trains restarts on a Dask cluster (the runner ``best_of(client=...)`` uses).

    ``fastnn.best_of(..., client=DaskRunner(client, chunk_size=50))`` sets the parameters
    below; a plain ``client=Client(...)`` uses the defaults.

    Parameters
    ----------
    client : distributed.Client
    chunk_size : int or None
        Restarts per task; None: ``ceil(n / (TASKS_PER_THREAD x worker threads))``.
    numba_threads : int
        Numba threads per task (per worker thread), 1 by default; see the module docstring.
    warm_dtypes : sequence of str
        Dtypes whose kernels each worker loads before its first task.
    """

    def __init__(self, client, chunk_size=None, numba_threads=1, warm_dtypes=WARM_DTYPES):
        if not isinstance(client, distributed.Client):
            raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
        if chunk_size is not None and (isinstance(chunk_size, bool)
                                       or not isinstance(chunk_size, int) or chunk_size < 1):
            raise ValueError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
        if (isinstance(numba_threads, bool) or not isinstance(numba_threads, int)
                or numba_threads < 1):
            raise ValueError(f"numba_threads must be a positive integer, got {numba_threads!r}")
        _check_open(client)
        self.client = client
        self.chunk_size = chunk_size
        self.numba_threads = numba_threads
        self.plugin = FastnnWorker(warm_dtypes)
        self._shipped = None  # (function, its future): map_chunks ships one function once

    def prepare(self):
        """Register the worker plugin (once per client and dtypes): the warm-up.

        A worker that dies while the plugin is being registered (its warm-up can last
        minutes on a cold numba cache) makes the registration raise (``CommClosedError``);
        it is tried again (``REGISTER_ATTEMPTS``, registering under the same name replaces
        the plugin, and the workers the nannies restart run it too). If it still fails, the
        run goes on with a ``RuntimeWarning``: the warm-up only saves time, every task loads
        or compiles what it runs itself."""
        _check_open(self.client)
        done = getattr(self.client, "_fastnn_plugin", None)
        key = self.plugin.warm_dtypes
        if done == key:
            return
        for attempt in range(REGISTER_ATTEMPTS):
            try:
                self.client.register_plugin(self.plugin)
                break
            except Exception as error:  # noqa: BLE001 - a lost worker, in one of many forms
                _check_open(self.client)
                if attempt == REGISTER_ATTEMPTS - 1:
                    warnings.warn(f"fastnn: the workers' warm-up "
                                  f"(worker plugin {self.plugin.name!r}) "
                                  f"could not be registered ({type(error).__name__}: {error}); "
                                  f"going on without it: each task loads or compiles the "
                                  f"kernels it runs", RuntimeWarning, stacklevel=4)
                    break
                time.sleep(min(0.5 * 2 ** attempt, 5.0))
        self.client._fastnn_plugin = key

    def n_threads(self):
        """Worker threads of the cluster now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def map_restarts(self, train_chunk, n, greater_is_better):
        """The runner protocol of ``fastnn.training.runners``."""
        self.prepare()
        run = uuid.uuid4().hex[:8]
        # shipped once, as a task rather than scattered: scattered data dies with its worker,
        # a task the scheduler holds is recomputed (see the module docstring: faults)
        shipped = self.client.submit(_identity, train_chunk, key=f"fastnn-job-{run}", pure=False)
        futures = [self.client.submit(_train_chunk, shipped, list(chunk), greater_is_better,
                                      self.numba_threads, key=f"fastnn-restarts-{run}-{c}",
                                      pure=False)
                   for c, chunk in enumerate(chunk_sizes(n, self.n_threads(), self.chunk_size))]
        try:
            pairs = [pair for chunk in self.client.gather(futures) for pair in chunk]
        finally:
            self.client.cancel(futures + [shipped])
        results = [None] * n
        for i, r in pairs:  # every index exactly once (guards; the chunks partition range(n))
            if results[i] is not None:
                raise RuntimeError(f"restart {i} came back twice")
            results[i] = r
        if any(r is None for r in results):
            raise RuntimeError(f"restart {results.index(None)} never came back")
        return _with_failures(results)


    def map_chunks(self, function, items):
        """The generic runner protocol of ``fastnn.training.runners`` (``sweep``, per rung).

        ``function`` is shipped once (as a recomputable task, as in ``map_restarts``) and
        reused while the same object is given again (the rungs of one sweep); ``items`` go out
        in contiguous chunks (``chunk_size``, default ``ceil(len / (TASKS_PER_THREAD x worker
        threads))``), one task each, and come back in order, each exactly once."""
        self.prepare()
        items = list(items)
        if self._shipped is None or self._shipped[0] is not function:
            if self._shipped is not None:
                self.client.cancel([self._shipped[1]])
            key = f"fastnn-job-{uuid.uuid4().hex[:8]}"
            self._shipped = (function, self.client.submit(_identity, function, key=key, pure=False))
        shipped = self._shipped[1]
        run = uuid.uuid4().hex[:8]
        chunks = chunk_sizes(len(items), self.n_threads(), self.chunk_size)
        futures = [self.client.submit(_map_chunk, shipped, [items[i] for i in chunk],
                                      self.numba_threads, key=f"fastnn-chunk-{run}-{c}", pure=False)
                   for c, chunk in enumerate(chunks)]
        try:
            gathered = self.client.gather(futures)
        finally:
            self.client.cancel(futures)
        results = []
        for chunk, part in zip(chunks, gathered):  # every item exactly once, in order
            if len(part) != len(chunk):
                raise RuntimeError(f"a chunk of {len(chunk)} items gave {len(part)} results")
            results.extend(part)
        return results


def _check_open(client):
    """Refuse a client that was closed (``client.close()``, or its ``with`` block ended)."""
    status = getattr(client, "status", None)
    if status in ("closing", "closed") or getattr(client, "scheduler", "") is None:
        raise ValueError(f"client={client!r} is closed (client.close() was called or its "
                         f"'with' block ended); pass an open distributed.Client")


def _with_failures(results):
    """Failed restarts become ``(None, None, None)`` with one warning listing them; if every
    restart failed, the first one's exception is raised."""
    failed = [(i, r) for i, r in enumerate(results) if isinstance(r, _Failure)]
    if failed and len(failed) == len(results):
        raise failed[0][1].error
    if failed:
        lines = "; ".join(f"restart {i}: {r.type_name}: {r.message}" for i, r in failed[:10])
        more = f" (and {len(failed) - 10} more)" if len(failed) > 10 else ""
        warnings.warn(f"{len(failed)} of {len(results)} restarts raised and were left out: "
                      f"{lines}{more}", RestartFailed, stacklevel=4)
        results = [(None, None, None) if isinstance(r, _Failure) else r for r in results]
    return results


runners.register("distributed.client.Client", DaskRunner)

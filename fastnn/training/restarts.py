"""Random restarts (doc 003): train from several initial weights, keep the best network.

When the restarts share a structure (same topology, cost and dtype, numba engine) and the fit
arguments are ones a population supports (``population.POPULATION_FIT_ARGS``), they are
trained together in one compiled loop (``fastnn.training.population.train_together``):
each restart's weights, optimizer state and History are bit-identical to fitting it alone,
and ``progress=True`` shows one bar over the whole population. Otherwise (callbacks, early
stopping, mixed structures) they run one by one, as follows.

The restarts are the parallel unit: each runs in its own Python thread, and the compiled
drivers release the GIL (``nogil=True``), so two restarts train at once on two cores. Inside
a worker thread numba is told to use one thread (``numba.set_num_threads`` is thread-local),
so the cores are not oversubscribed; the kernels give the same bits for any thread count, and
every restart has its own seed and generator, so the result does not depend on ``n_jobs`` or
on which thread ran what. Numba's ``omp`` and ``tbb`` threading layers accept parallel calls
from several threads at once; its ``workqueue`` layer does not (it aborts), so under it the
restarts run one after another.
"""
import copy
import numbers
import os
import threading
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from ..core import validation
from ..core.errors import TrainingDiverged
from ..core.structure import is_network
from ..engine import rules
from . import memory, optimizers, population, runners

BestOf = namedtuple("BestOf", ["network", "scores", "seeds", "histories", "best_index"])
"""Result of ``best_of``: the best trained ``network``; every restart's ``scores`` (None for
a restart that diverged), ``seeds`` and ``histories``; ``best_index`` into them."""

METRICS = {"loss": False, "regularized_loss": False, "accuracy": True}
"""Built-in metrics (keys of ``Network.evaluate``) and whether greater is better."""

_layer_lock = threading.Lock()


def _threads_are_safe():
    """True unless numba runs its ``workqueue`` layer, which aborts on concurrent use."""
    with _layer_lock:
        try:
            layer = numba.threading_layer()
        except ValueError:  # no parallel function has run yet: run one to pick the layer
            rules.sgd_step(np.zeros(1), np.zeros(1), 0.0)
            layer = numba.threading_layer()
    return layer != "workqueue"


def metric_direction(metric, greater_is_better):
    """Check ``metric`` (a key of ``METRICS`` or ``metric(net, X, y) -> float``) and return
    whether a greater score is better: fixed for the built-in metrics (a contradicting
    ``greater_is_better`` is refused), ``greater_is_better`` (default False) for a callable."""
    if isinstance(metric, str):
        validation.choice("metric", metric, tuple(METRICS))
        if greater_is_better is not None and greater_is_better != METRICS[metric]:
            raise ValueError(f"metric={metric!r} fixes greater_is_better={METRICS[metric]}")
        return METRICS[metric]
    if callable(metric):
        return bool(greater_is_better) if greater_is_better is not None else False
    raise TypeError(f"metric must be 'loss', 'regularized_loss', 'accuracy' or a callable, "
                    f"got {metric!r}")


def restart_seeds(seed, n_restarts):
    """``n_restarts`` independent seeds derived from one (numpy's SeedSequence)."""
    state = np.random.SeedSequence(seed).generate_state(n_restarts, dtype=np.uint32)
    return [int(s) for s in state]


def best_of(n_restarts, make_network, X, y, *, seed=0, metric="loss", greater_is_better=None,
            validation_data=None, n_jobs=None, client=None, **fit_kwargs):
    """Train ``n_restarts`` networks from different initial weights; return the best.

    Parameters
    ----------
    n_restarts : int
    make_network : callable
        ``make_network(seed) -> Network``, e.g.
        ``lambda seed: fastnn.Network([2, 3, 1], seed=seed)``.
        Called with each restart's seed, which seeds initialisation and shuffling.
    X, y : training data, as for ``Network.fit``
    seed : int
        The one seed every restart's seed is derived from: same seed, same result.
    metric : str or callable
        "loss", "regularized_loss" or "accuracy" of ``Network.evaluate`` on the validation data
        (or on X, y without it), or ``metric(network, X, y) -> float``.
    greater_is_better : bool or None
        For a callable metric (default False: lower is better); implied by a named one.
    validation_data : (X_val, y_val) or None
        The data the restarts are scored on (also passed to fit).
    n_jobs : int or None
        Restarts trained at once (threads) when they run one by one; None: as many as there
        are cores. A population uses numba's threads (``fastnn.set_num_threads``) instead.
    client : dask.distributed.Client or None
        None trains here. A Dask ``Client`` (``pip install 'fastnn[dask]'``) trains the
        restarts on its cluster, in chunks, with the same result bit for bit; ``n_jobs`` is
        then ignored (see ``fastnn.distributed``; any runner of ``fastnn.training.runners``).
    **fit_kwargs
        Passed to every ``Network.fit`` (epochs, batch_size, optimizer, l2, ...). An optimizer
        instance is copied, never shared between restarts.

    Returns
    -------
    BestOf
        ``(network, scores, seeds, histories, best_index)``.
    """
    n_restarts = validation.positive_int("n_restarts", n_restarts)
    if not callable(make_network):
        raise TypeError(f"make_network must be a callable seed -> Network, got {make_network!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    greater_is_better = metric_direction(metric, greater_is_better)
    n_jobs = min(n_restarts, os.cpu_count() or 1) if n_jobs is None \
        else validation.positive_int("n_jobs", n_jobs)
    if "validation_fraction" in fit_kwargs and validation_data is not None:
        raise ValueError("give validation_data or validation_fraction, not both")
    if validation_data is not None:
        validation_data = validation.pair("validation_data", validation_data, "(X_val, y_val)")
        fit_kwargs["validation_data"] = validation_data
        score_X, score_y = validation_data
    else:
        score_X, score_y = X, y
    seeds = restart_seeds(seed, n_restarts)
    here = client is None  # (train below is shipped to a cluster: it must not hold the client)

    def train(indices, n_jobs):
        """The restarts of ``indices``: a list of (network, score, history)."""
        nets = []
        for restart_seed in (seeds[i] for i in indices):
            net = make_network(restart_seed)
            if not is_network(net):
                raise TypeError(f"make_network must return a fastnn.Network, "
                                f"got {type(net).__name__}")
            nets.append(net)
            if len(nets) == 1 and len(indices) > 1:  # memory before work: measured on the first
                memory.check_population_memory(
                    f"best_of(n_restarts={n_restarts})" if here else
                    f"best_of(client=...): a chunk of {len(indices)} restarts", len(indices),
                    memory.network_memory(net, fit_kwargs.get("epochs", 1),
                                              (score_X, score_y),
                                              validation=validation_data is not None),
                    "Train fewer restarts per call (several calls with different seeds), "
                    "or pass client= to train them on a Dask cluster in chunks.")

        if population.supports(nets, fit_kwargs, X):  # (scipy sparse X: one fit each)
            # one structure: all restarts in one compiled loop, bit-identical to fitting each
            kwargs = dict(fit_kwargs)
            if isinstance(kwargs.get("optimizer"), optimizers.Optimizer):  # never shared
                kwargs["optimizer"] = [copy.deepcopy(kwargs["optimizer"]) for _ in nets]
            outcomes = population.train_together(nets, X, y, **kwargs)
            results = [(net, None if error is not None else
                        population.score_network(net, metric, score_X, score_y), history)
                       for net, (history, error) in zip(nets, outcomes)]
        else:
            def one_restart(index):
                if n_jobs > 1:
                    numba.set_num_threads(1)  # thread-local: the restarts are the parallel unit
                net = nets[index]
                kwargs = dict(fit_kwargs)
                if isinstance(kwargs.get("optimizer"), optimizers.Optimizer):
                    kwargs["optimizer"] = copy.deepcopy(kwargs["optimizer"])
                try:
                    history = net.fit(X, y, **kwargs)
                except TrainingDiverged as error:
                    return net, None, error.history
                return net, population.score_network(net, metric, score_X, score_y), history

            if n_jobs > 1 and _threads_are_safe():
                with ThreadPoolExecutor(max_workers=n_jobs,
                                        thread_name_prefix="fastnn-restart") as pool:
                    results = list(pool.map(one_restart, range(len(nets))))
            else:
                results = [one_restart(i) for i in range(len(nets))]
        return results

    if client is not None:  # chunks of restarts on a cluster (see fastnn.training.runners)
        runner = runners.runner_for(client)
        runners.check_shippable("make_network", make_network)
        if callable(metric):
            runners.check_shippable("metric", metric)
        results = runner.map_restarts(
            lambda indices: train(indices, 1), n_restarts, greater_is_better)
    else:
        try:
            results = train(range(n_restarts), n_jobs)
        except MemoryError as error:
            if str(error):
                raise
            raise MemoryError(f"best_of(n_restarts={n_restarts}) ran out of memory (the "
                              f"estimate made before training said it would fit: other "
                              f"processes may have taken memory since); train fewer restarts "
                              f"per call or pass client=") from error
    scores = [score for _, score, _ in results]
    finite = [i for i, s in enumerate(scores) if s is not None and np.isfinite(s)]
    if not finite:
        trained = [s for s in scores if s is not None]
        if trained:  # the networks trained; the metric gave no number for any of them
            raise ValueError(f"metric={metric!r} scored none of the {n_restarts} restarts: it "
                             f"returned {trained[0]!r} for every one that trained"
                             + (f" ({n_restarts - len(trained)} diverged)"
                                if len(trained) < n_restarts else "")
                             + "; check the metric (and the data it scores on)")
        raise TrainingDiverged(None, None, f"training of every one of the {n_restarts} restarts")
    pick = max if greater_is_better else min
    best = pick(finite, key=lambda i: (scores[i], -i) if greater_is_better else (scores[i], i))
    return BestOf(results[best][0], scores, seeds, [h for _, _, h in results], best)

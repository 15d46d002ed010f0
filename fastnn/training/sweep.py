"""Hyper-parameter sweeps: a grid of candidates x restarts (x folds) trained as populations.

``sweep`` builds every network ``make_network(seed, **structure_params)`` of the grid, trains
those of one structure (and one fold) together in one compiled loop
(``population.train_together``), each with its own learning rate, L2/L1 and optimizer, and
scores them. With ``schedule="halving"`` (successive halving) the candidates are trained in
rungs: after each rung the best third go on, and their networks *continue* training from
where they are (optimizer state and all, as a second ``fit`` call would), never refitted
from scratch; the table reports every candidate's epochs and the result the network-epochs
spent.

With ``client=`` (a ``dask.distributed.Client``, or any runner of ``fastnn.training.runners``
with ``map_chunks``) the units (candidate x restart x fold) go out in chunks, rung by rung:
``train_units`` is the work of one chunk. A unit travels as its seed and, once trained, its
*state* (``unit_state``: parameters, optimizer with its state and counters, the generator's
state, the penalty), from which ``restore_unit`` rebuilds the network exactly as it was, so a
halving survivor continues on any worker where it stopped. Every network being fixed by its
seed and hyper-parameters, and the population bit-identical to fitting each network alone,
the result equals the local run's bit for bit whatever the chunks and workers. A unit that
raises there (``make_network`` refusing a value, a bad learning rate) is reported in its table
row (``error``) and a ``UnitFailed`` warning, not as a crashed sweep.
"""
import functools
import itertools
import math
import numbers
import pickle
import warnings

import numpy as np

from ..core import validation
from ..core.errors import TrainingDiverged
from ..core.structure import is_network
from . import memory, population, runners
from .restarts import metric_direction, restart_seeds

TRAINING_PARAMS = ("learning_rate", "l2", "l1", "optimizer")
"""Keys of ``params`` that go to the training (per network); every other key goes to
``make_network``."""

HALVING_ETA = 3
"""Successive halving keeps the best ``1/HALVING_ETA`` of the candidates after each rung."""

CV_STREAM = 0xC5
"""Second word of the seed of the cross-validation folds (never the networks' streams)."""


class UnitFailed(UserWarning):
    """Some units of a sweep on a cluster raised; their rows say why, the others were kept."""


class SweepResult:
    """What ``sweep`` returns.

    Attributes
    ----------
    best_network : Network
        The best restart of the best candidate (with ``cv``: trained on all of X, y with the
        best parameters and that restart's seed).
    best_params : dict
        The best candidate's parameters (structure and training).
    best_score : float
        Its score (mean over restarts and folds).
    table : list of dict
        One row per candidate x restart: the parameters, ``restart``, ``seed``, ``score``
        (mean over folds; None if it diverged), ``epochs`` trained, ``diverged``,
        ``candidate`` (index), ``mean_score`` (the candidate's), ``rank`` (1 = best), ``error``
        (None, or ``"Type: message"`` of what a unit raised on a cluster).
    epochs_spent : int
        Network-epochs trained in all (halving spends fewer than candidates x restarts x
        folds x epochs).
    """

    def __init__(self, best_network, best_params, best_score, table, epochs_spent):
        self.best_network = best_network
        self.best_params = best_params
        self.best_score = best_score
        self.table = table
        self.epochs_spent = epochs_spent

    def to_pandas(self):
        """``table`` as a pandas DataFrame (needs pandas)."""
        import pandas as pd
        return pd.DataFrame(self.table)

    def __repr__(self):
        return (f"SweepResult(best_params={self.best_params}, best_score={self.best_score:.6g}, "
                f"{len(self.table)} rows, epochs_spent={self.epochs_spent})")


def _grid(params):
    if not isinstance(params, dict) or not params:
        raise TypeError("params must be a non-empty dict {name: list of values}")
    names = list(params)
    for name in names:
        values = params[name]
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"params[{name!r}] must be a list of values, got {values!r}")
        if len(list(values)) == 0:
            raise ValueError(f"params[{name!r}] is empty")
    return [dict(zip(names, combo))
            for combo in itertools.product(*(list(params[n]) for n in names))]


def _folds(n, cv, seed):
    order = np.random.default_rng([seed, CV_STREAM]).permutation(n)
    return [np.sort(part) for part in np.array_split(order, cv)]


def _split_params(cand):
    """(structure params for make_network, training params) of one candidate."""
    return ({k: v for k, v in cand.items() if k not in TRAINING_PARAMS},
            {k: v for k, v in cand.items() if k in TRAINING_PARAMS})


def _group_key(net, fold):
    """Networks with equal keys train together as one population."""
    return (repr(sorted(net.topology.config().items())), net.cost, str(net.dtype), fold)


def _train_group(nets, trainings, split, n_epochs, fit_kwargs, metric):
    """Train ``nets`` (one structure, one fold) ``n_epochs`` more, together when a population
    can; per network ``(epochs trained, diverged, score or None)``."""
    X_t, y_t, X_s, y_s = split
    per = {k: [t.get(k, None if k in ("learning_rate", "optimizer") else 0.0) for t in trainings]
           for k in TRAINING_PARAMS}
    if population.supports(nets, fit_kwargs, X_t):  # (scipy sparse X: one fit each)
        outcomes = population.train_together(nets, X_t, y_t, epochs=n_epochs, **per, **fit_kwargs)
    else:
        outcomes = []
        for i, net in enumerate(nets):
            try:
                outcomes.append((net.fit(X_t, y_t, epochs=n_epochs,
                                         **{k: v[i] for k, v in per.items()}, **fit_kwargs), None))
            except TrainingDiverged as error:
                outcomes.append((error.history, error))
    return [(len(history), error is not None,
             None if error is not None else population.score_network(net, metric, X_s, y_s))
            for net, (history, error) in zip(nets, outcomes)]


def unit_state(net):
    """What a trained unit needs to continue elsewhere: its ``snapshot``, picklable."""
    return net.snapshot()


def restore_unit(net, state):
    """``net`` (fresh from make_network, same seed) put back into ``state`` (a
    ``unit_state``); returns it. ``state`` is never changed (copied in), so a task rerun from
    it starts alike."""
    if state is not None:
        net.restore(state)
    return net


def _describe(error):
    return f"{type(error).__name__}: {error}"


def _failure(error):
    """A unit's exception, kept if it pickles (to re-raise on the client)."""
    try:
        pickle.dumps(error)
    except Exception:
        error = RuntimeError(f"{type(error).__name__}: {error}")
    return error


def train_units(job, items):
    """The work of one chunk of a sweep on a cluster (``runner.map_chunks``): build, restore,
    train and score the units ``items``; never raises for a unit.

    ``job`` (shipped once per sweep): ``make_network``, ``candidates``, ``splits``,
    ``fit_kwargs``, ``metric``, ``greater_is_better``. An item: ``id``, ``candidate``,
    ``restart``, ``fold``, ``seed``, ``state`` (None: a new network), ``n_epochs``, ``keep``
    ("all": return every unit's state; "best": only each candidate's best-scoring unit of
    the chunk, ties to the lower restart, the only one that can be the sweep's best; "none").
    Returns per item a dict: ``id``, ``epochs`` (trained now), ``diverged``, ``score``,
    ``error`` (None or the exception), ``state`` (None unless kept).
    """
    out = [dict(id=it["id"], epochs=0, diverged=False, score=None, error=None, state=None)
           for it in items]
    nets = {}
    for k, it in enumerate(items):
        try:
            structure, _ = _split_params(job["candidates"][it["candidate"]])
            net = job["make_network"](it["seed"], **structure)
            if not is_network(net):
                raise TypeError(f"make_network must return a fastnn.Network, "
                                f"got {type(net).__name__}")
            nets[k] = restore_unit(net, it["state"])
        except Exception as error:
            out[k]["error"] = _failure(error)
    groups = {}
    for k, net in nets.items():
        groups.setdefault(_group_key(net, items[k]["fold"]), []).append(k)
    for members in groups.values():
        batches = [members]
        while batches:
            batch = batches.pop(0)
            try:
                outcomes = _train_group([nets[k] for k in batch],
                                        [_split_params(job["candidates"][items[k]["candidate"]])[1]
                                         for k in batch], job["splits"][items[batch[0]]["fold"]],
                                        items[batch[0]]["n_epochs"], job["fit_kwargs"],
                                        job["metric"])
            except Exception as error:
                if len(batch) == 1:
                    out[batch[0]]["error"] = _failure(error)
                else:  # find the units that raise: each alone (the same bits as together)
                    for k in batch:
                        structure, _ = _split_params(job["candidates"][items[k]["candidate"]])
                        nets[k] = restore_unit(job["make_network"](items[k]["seed"], **structure),
                                               items[k]["state"])
                    batches.extend([k] for k in batch)
                continue
            for k, (epochs, diverged, score) in zip(batch, outcomes):
                out[k].update(epochs=epochs, diverged=diverged, score=score)
    best = {}
    for k, it in enumerate(items):
        if it["keep"] == "all" and k in nets and out[k]["error"] is None:
            out[k]["state"] = unit_state(nets[k])
        score = out[k]["score"]
        if it["keep"] == "best" and score is not None and math.isfinite(score):
            c, b = it["candidate"], best.get(it["candidate"])
            better = b is None or (score > out[b]["score"] if job["greater_is_better"]
                                   else score < out[b]["score"]) or \
                (score == out[b]["score"] and it["restart"] < items[b]["restart"])
            if better:
                best[c] = k
    for k in best.values():
        out[k]["state"] = unit_state(nets[k])
    return out


def sweep(make_network, X, y, params, *, restarts=1, validation_data=None, cv=None, epochs=10,
          batch_size=10, metric="loss", greater_is_better=None, schedule=None, seed=0,
          lr_schedule=None, shuffle=True, progress=False, client=None):
    """Train a grid of hyper-parameters x random restarts together; report every result.

    Parameters
    ----------
    make_network : callable
        ``make_network(seed, **structure_params) -> Network``.
    X, y : training data
    params : dict
        ``{name: list of values}``; the grid is their product. ``learning_rate``, ``l2``,
        ``l1`` and ``optimizer`` (a name) are training hyper-parameters, given to each network;
        any other name is passed to ``make_network``.
    restarts : int
        Seeds per candidate (``restart_seeds(seed, restarts)``, the same for every candidate).
    validation_data : (X_val, y_val) or None
        Data the candidates are scored on (default: the training data, unless ``cv``).
    cv : int or None
        k-fold cross-validation instead of ``validation_data``: each network is trained on
        k-1 folds and scored on the other; a candidate's score is the mean over folds.
    epochs, batch_size, shuffle : as for ``Network.fit`` (``epochs`` is the full budget).
    metric : str or callable
        "loss", "regularized_loss", "accuracy", or ``metric(net, X, y) -> float``.
    greater_is_better : bool or None
        For a callable metric (default False); the built-in metrics fix it.
    schedule : None or "halving"
        None trains every candidate for ``epochs``; "halving" is successive halving: rungs
        of growing length, after each the best ``1/HALVING_ETA`` candidates (by mean score)
        go on training, continuing from where they are.
    seed : int
        Seeds the restarts and the folds.
    lr_schedule : learning-rate schedule for fit (``fastnn.schedules``), or None.
    progress : bool
        A tqdm bar per population trained (on a cluster: none).
    client : dask.distributed.Client or None
        None trains here. A Dask ``Client`` (``pip install 'fastnn[dask]'``) trains the units
        on its cluster, in chunks, rung by rung, with the same result bit for bit (see the
        module docstring and ``fastnn.distributed``; any runner of ``fastnn.training.runners``
        with ``map_chunks``). ``make_network`` must then be picklable (cloudpickle).

    Returns
    -------
    SweepResult
    """
    if not callable(make_network):
        raise TypeError(f"make_network must be a callable (seed, **params) -> Network, "
                        f"got {make_network!r}")
    candidates = _grid(params)
    restarts = validation.positive_int("restarts", restarts)
    epochs = validation.positive_int("epochs", epochs)
    batch_size = validation.positive_int("batch_size", batch_size)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    if schedule not in (None, "halving"):
        raise ValueError(f"schedule must be None or 'halving', got {schedule!r}")
    greater_is_better = metric_direction(metric, greater_is_better)
    if validation.is_sparse(X):  # trained as fit takes it, one network at a time
        X = X.tocsr()  # (rows can be taken for the folds)
    else:
        X = np.asarray(X)
    y = np.asarray(y)
    if cv is not None:
        if validation_data is not None:
            raise ValueError("give validation_data or cv, not both")
        cv = validation.positive_int("cv", cv)
        n_samples = X.shape[0] if X.ndim else 0
        if cv < 2 or cv > n_samples:
            raise ValueError(f"cv must be between 2 and the number of samples ({n_samples}), "
                             f"got {cv}")
        splits = []
        for part in _folds(n_samples, cv, seed):
            rest = np.setdiff1d(np.arange(n_samples), part)
            splits.append((X[rest], y[rest], X[part], y[part]))
    else:
        score = (X, y) if validation_data is None else \
            validation.pair("validation_data", validation_data, "(X_val, y_val)")
        splits = [(X, y, score[0], score[1])]
    seeds = restart_seeds(seed, restarts)
    fit_kwargs = dict(batch_size=batch_size, shuffle=shuffle, schedule=lr_schedule,
                      progress=progress)

    # one unit = (candidate, restart, fold), its own network
    units = []
    for c, cand in enumerate(candidates):
        structure, training = _split_params(cand)
        for i, s in enumerate(seeds):
            for f in range(len(splits)):
                net = None
                if client is None:
                    net = make_network(s, **structure)
                    if not is_network(net):
                        raise TypeError(f"make_network must return a fastnn.Network, "
                                        f"got {type(net).__name__}")
                    if not units:  # memory before work: measured on the first network
                        n_units = len(candidates) * restarts * len(splits)
                        memory.check_population_memory(
                            f"sweep(restarts={restarts}) of {len(candidates)} candidates"
                            + (f" x {len(splits)} folds" if cv is not None else ""), n_units,
                            memory.network_memory(net, epochs, splits[0][2:],
                                                      validation=True),
                            "Sweep a smaller grid or fewer restarts per call, or pass client= "
                            "to train the units on a Dask cluster in chunks.")
                units.append(dict(id=len(units), candidate=c, restart=i, fold=f, seed=s, net=net,
                                  training=training, epochs=0, score=None, diverged=False,
                                  error=None, state=None))

    def train(active, n_epochs, final):
        if client is not None:
            return train_remote(active, n_epochs, final)
        try:
            train_here(active, n_epochs)
        except MemoryError as error:
            if str(error):
                raise
            raise MemoryError(f"sweep ran out of memory training {len(active)} networks (the "
                              f"estimate made before training said they would fit: other "
                              f"processes may have taken memory since); sweep a smaller grid "
                              f"or fewer restarts, or pass client=") from error

    def train_here(active, n_epochs):
        groups = {}
        for u in active:
            groups.setdefault(_group_key(u["net"], u["fold"]), []).append(u)
        for group in groups.values():
            outcomes = _train_group([u["net"] for u in group], [u["training"] for u in group],
                                    splits[group[0]["fold"]], n_epochs, fit_kwargs, metric)
            for u, (k, diverged, score) in zip(group, outcomes):
                u["epochs"] += k
                u["diverged"], u["score"] = diverged, score

    if client is not None:  # units in chunks on a cluster (see fastnn.training.runners)
        runner = runners.runner_for(client)
        runners.check_shippable("make_network", make_network)
        if callable(metric):
            runners.check_shippable("metric", metric)
        if not callable(getattr(runner, "map_chunks", None)):
            raise TypeError(f"sweep(client=...) needs a runner with map_chunks(), "
                            f"got {type(runner).__name__}")
        job = dict(make_network=make_network, candidates=candidates, splits=splits,
                   fit_kwargs=dict(fit_kwargs, progress=False), metric=metric,
                   greater_is_better=greater_is_better)
        work = functools.partial(train_units, job)  # one object: shipped once per sweep

    def train_remote(active, n_epochs, final):
        keep = "all" if not final else ("none" if cv is not None else "best")
        items = [dict(id=u["id"], candidate=u["candidate"], restart=u["restart"], fold=u["fold"],
                      seed=u["seed"], state=u["state"], n_epochs=n_epochs, keep=keep)
                 for u in active]
        results = runner.map_chunks(work, items)
        if len(results) != len(items) or [r["id"] for r in results] != [it["id"] for it in items]:
            raise RuntimeError("the cluster did not return every unit exactly once")
        for u, r in zip(active, results):
            u["epochs"] += r["epochs"]
            u["diverged"], u["score"], u["error"], u["state"] = (r["diverged"], r["score"],
                                                                r["error"], r["state"])

    def candidate_scores(alive):
        means = {}
        for c in alive:
            rows = [u for u in units if u["candidate"] == c]
            scores = [u["score"] for u in rows]
            finite = [s for s in scores if s is not None and math.isfinite(s)]
            means[c] = float(np.mean(finite)) if len(finite) == len(scores) else None
        return means

    def order_key(item):
        c, m = item
        if m is None:
            return (1, 0.0, c)
        return (0, -m if greater_is_better else m, c)

    alive = list(range(len(candidates)))
    if schedule == "halving" and len(candidates) > 1:
        rungs = int(math.floor(math.log(len(candidates), HALVING_ETA))) + 1
        budgets = [max(1, int(round(epochs / HALVING_ETA ** (rungs - 1 - k))))
                   for k in range(rungs)]
        budgets[-1] = epochs
        trained = 0
        for k, budget in enumerate(budgets):
            if budget > trained:
                train([u for u in units if u["candidate"] in alive and not u["diverged"]
                       and u["error"] is None], budget - trained, k == rungs - 1)
                trained = budget
            if k < rungs - 1:
                ranked = sorted(candidate_scores(alive).items(), key=order_key)
                keep = max(1, math.ceil(len(alive) / HALVING_ETA))
                alive = sorted(c for c, _ in ranked[:keep])
    else:
        train(units, epochs, True)
    failed = [u for u in units if u["error"] is not None]
    if failed and len(failed) == len(units):
        raise failed[0]["error"]
    if failed:
        lines = "; ".join(f"candidate {u['candidate']} restart {u['restart']} fold {u['fold']}: "
                          f"{_describe(u['error'])}" for u in failed[:10])
        more = f" (and {len(failed) - 10} more)" if len(failed) > 10 else ""
        warnings.warn(f"{len(failed)} of {len(units)} sweep units raised and were left out: "
                      f"{lines}{more}", UnitFailed, stacklevel=2)
    means = candidate_scores(range(len(candidates)))
    ranked = sorted(means.items(), key=order_key)
    best = ranked[0][0]
    if means[best] is None:
        trained = [u["score"] for u in units if u["score"] is not None]
        if trained:  # the networks trained; the metric gave no number for them
            raise ValueError(f"metric={metric!r} scored no candidate: it returned "
                             f"{trained[0]!r} for the networks that trained; check the metric "
                             f"(and the data it scores on)")
        raise TrainingDiverged(None, None, "training of every candidate")
    rank = {c: i + 1 for i, (c, _) in enumerate(ranked)}
    table = []
    for c, cand in enumerate(candidates):
        for i, s in enumerate(seeds):
            rows = [u for u in units if u["candidate"] == c and u["restart"] == i]
            scores = [u["score"] for u in rows]
            ok = all(v is not None for v in scores)
            table.append(dict(cand, candidate=c, restart=i, seed=s,
                              score=float(np.mean(scores)) if ok else None,
                              epochs=max(u["epochs"] for u in rows),
                              diverged=any(u["diverged"] for u in rows),
                              mean_score=means[c], rank=rank[c],
                              error=next((_describe(u["error"]) for u in rows
                                          if u["error"] is not None), None)))
    best_rows = [r for r in table if r["candidate"] == best and r["score"] is not None]
    pick = max if greater_is_better else min
    best_row = pick(best_rows, key=lambda r: r["score"])
    if cv is None:
        unit = next(u for u in units
                    if u["candidate"] == best and u["restart"] == best_row["restart"])
        best_net = unit["net"]
        if best_net is None:  # trained on a cluster: rebuilt from the state it came back with
            if unit["state"] is None:
                raise RuntimeError("the best unit's state did not come back from the cluster")
            best_net = restore_unit(make_network(unit["seed"], **_split_params(
                candidates[best])[0]), unit["state"])
    else:  # refit on all the data: each fold's network saw only part of it
        cand = candidates[best]
        best_net = make_network(best_row["seed"], **{k: v for k, v in cand.items()
                                                     if k not in TRAINING_PARAMS})
        best_net.fit(X, y, epochs=epochs, **{k: v for k, v in cand.items()
                                             if k in TRAINING_PARAMS}, **fit_kwargs)
    spent = sum(u["epochs"] for u in units)
    return SweepResult(best_net, dict(candidates[best]), means[best], table, spent)

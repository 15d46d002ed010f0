"""Hyper-parameter sweeps: a grid of candidates x restarts (x folds) trained as populations.

``sweep`` builds every network ``make_network(seed, **structure_params)`` of the grid, trains
those of one structure (and one fold) together in one compiled loop
(``population.train_together``), each with its own learning rate, L2/L1 and optimizer, and
scores them. With ``schedule="halving"`` (successive halving) the candidates are trained in
rungs: after each rung the best third go on, and their networks *continue* training from
where they are (optimizer state and all, as a second ``fit`` call would), never refitted
from scratch; the table reports every candidate's epochs and the result the network-epochs
spent.
"""
import itertools
import math
import numbers

import numpy as np

from ..core import validation
from ..core.errors import TrainingDiverged
from ..core.structure import is_network
from . import population
from .restarts import METRICS, restart_seeds

TRAINING_PARAMS = ("learning_rate", "l2", "l1", "optimizer")
"""Keys of ``params`` that go to the training (per network); every other key goes to
``make_network``."""

HALVING_ETA = 3
"""Successive halving keeps the best ``1/HALVING_ETA`` of the candidates after each rung."""

CV_STREAM = 0xC5
"""Second word of the seed of the cross-validation folds (never the networks' streams)."""


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
        ``candidate`` (index), ``mean_score`` (the candidate's), ``rank`` (1 = best).
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
    return [dict(zip(names, combo)) for combo in itertools.product(*(list(params[n]) for n in names))]


def _folds(n, cv, seed):
    order = np.random.default_rng([seed, CV_STREAM]).permutation(n)
    return [np.sort(part) for part in np.array_split(order, cv)]


def sweep(make_network, X, y, params, *, restarts=1, validation_data=None, cv=None, epochs=10,
          batch_size=10, metric="loss", greater_is_better=None, schedule=None, seed=0,
          lr_schedule=None, shuffle=True, progress=False):
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
        For a callable metric (default False).
    schedule : None or "halving"
        None trains every candidate for ``epochs``; "halving" is successive halving: rungs
        of growing length, after each the best ``1/HALVING_ETA`` candidates (by mean score)
        go on training, continuing from where they are.
    seed : int
        Seeds the restarts and the folds.
    lr_schedule : learning-rate schedule for fit (``fastnn.schedules``), or None.
    progress : bool
        A tqdm bar per population trained.

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
    if isinstance(metric, str):
        validation.choice("metric", metric, tuple(METRICS))
        greater_is_better = METRICS[metric]
    elif callable(metric):
        greater_is_better = bool(greater_is_better) if greater_is_better is not None else False
    else:
        raise TypeError(f"metric must be 'loss', 'regularized_loss', 'accuracy' or a callable, "
                        f"got {metric!r}")
    X = np.asarray(X)
    y = np.asarray(y)
    if cv is not None:
        if validation_data is not None:
            raise ValueError("give validation_data or cv, not both")
        cv = validation.positive_int("cv", cv)
        if cv < 2 or cv > len(X):
            raise ValueError(f"cv must be between 2 and the number of samples, got {cv}")
        splits = []
        for part in _folds(len(X), cv, seed):
            rest = np.setdiff1d(np.arange(len(X)), part)
            splits.append((X[rest], y[rest], X[part], y[part]))
    else:
        score = validation_data if validation_data is not None else (X, y)
        splits = [(X, y, score[0], score[1])]
    seeds = restart_seeds(seed, restarts)
    fit_kwargs = dict(batch_size=batch_size, shuffle=shuffle, schedule=lr_schedule,
                      progress=progress)

    # one unit = (candidate, restart, fold), its own network
    units = []
    for c, cand in enumerate(candidates):
        structure = {k: v for k, v in cand.items() if k not in TRAINING_PARAMS}
        training = {k: v for k, v in cand.items() if k in TRAINING_PARAMS}
        for i, s in enumerate(seeds):
            for f in range(len(splits)):
                net = make_network(s, **structure)
                if not is_network(net):
                    raise TypeError(f"make_network must return a fastnn.Network, "
                                    f"got {type(net).__name__}")
                units.append(dict(candidate=c, restart=i, fold=f, seed=s, net=net,
                                  training=training, epochs=0, score=None, diverged=False))

    def train(active, n_epochs):
        groups = {}
        for u in active:
            key = (repr(sorted(u["net"].topology.config().items())), u["net"].cost,
                   str(u["net"].dtype), u["fold"])
            groups.setdefault(key, []).append(u)
        for group in groups.values():
            nets = [u["net"] for u in group]
            X_t, y_t, X_s, y_s = splits[group[0]["fold"]]
            per = {k: [u["training"].get(k, None if k in ("learning_rate", "optimizer") else 0.0)
                       for u in group] for k in TRAINING_PARAMS}
            if population.supports(nets, fit_kwargs):
                outcomes = population.train_together(nets, X_t, y_t, epochs=n_epochs, **per,
                                                     **fit_kwargs)
            else:
                outcomes = []
                for i, net in enumerate(nets):
                    try:
                        outcomes.append((net.fit(X_t, y_t, epochs=n_epochs,
                                                 **{k: v[i] for k, v in per.items()},
                                                 **fit_kwargs), None))
                    except TrainingDiverged as error:
                        outcomes.append((error.history, error))
            for u, (history, error) in zip(group, outcomes):
                u["epochs"] += len(history)
                if error is not None:
                    u["diverged"], u["score"] = True, None
                else:
                    u["score"] = population.score_network(u["net"], metric, X_s, y_s)

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
        budgets = [max(1, int(round(epochs / HALVING_ETA ** (rungs - 1 - k)))) for k in range(rungs)]
        budgets[-1] = epochs
        trained = 0
        for k, budget in enumerate(budgets):
            if budget > trained:
                train([u for u in units if u["candidate"] in alive and not u["diverged"]],
                      budget - trained)
                trained = budget
            if k < rungs - 1:
                ranked = sorted(candidate_scores(alive).items(), key=order_key)
                keep = max(1, math.ceil(len(alive) / HALVING_ETA))
                alive = sorted(c for c, _ in ranked[:keep])
    else:
        train(units, epochs)
    means = candidate_scores(range(len(candidates)))
    ranked = sorted(means.items(), key=order_key)
    best = ranked[0][0]
    if means[best] is None:
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
                              mean_score=means[c], rank=rank[c]))
    best_rows = [r for r in table if r["candidate"] == best and r["score"] is not None]
    pick = max if greater_is_better else min
    best_row = pick(best_rows, key=lambda r: r["score"])
    if cv is None:
        best_net = next(u["net"] for u in units
                        if u["candidate"] == best and u["restart"] == best_row["restart"])
    else:  # refit on all the data: each fold's network saw only part of it
        cand = candidates[best]
        best_net = make_network(best_row["seed"], **{k: v for k, v in cand.items()
                                                     if k not in TRAINING_PARAMS})
        best_net.fit(X, y, epochs=epochs, **{k: v for k, v in cand.items()
                                             if k in TRAINING_PARAMS}, **fit_kwargs)
    spent = sum(u["epochs"] for u in units)
    return SweepResult(best_net, dict(candidates[best]), means[best], table, spent)

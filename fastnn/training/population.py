"""Train many networks of one structure together: ``fit``'s loop for a population.

``train_together(nets, X, y, ...)`` gives every network exactly what ``net.fit(X, y, ...)``
would (same weights to the bit, optimizer state and counters, generator state, History),
with the hyper-parameters given per network, but runs the epochs of all networks in one
compiled call per run of epochs (``fastnn.engine.population``) instead of one Python loop
and one compiled call per network and epoch. What fit does per epoch in Python is done here
for all networks at once: each network's visiting orders for a run of epochs are drawn from
its own generator in one call (``Generator.permuted`` over a stack of ``arange(n)`` rows
consumes the stream exactly as successive ``permutation(n)`` calls do), learning rates come
from the schedule, and the divergence check (cost and every parameter finite at the end of
an epoch, else roll back to the end of the previous one and stop that network) runs inside
the compiled loop, so the other networks go on. Rates, History columns, counters and
divergence errors come from fit's own bookkeeping (``fastnn.training.epochs``).

``train_candidates`` is the unit of work of ``best_of`` and ``sweep`` (and of a Dask task):
build networks from explicit seeds and per-candidate hyper-parameters, train them together,
score them, and return plain picklable results.
"""
import copy
import gc
import math
import os
import sys
import time
from collections import namedtuple

import numpy as np

from ..core import validation
from ..core.errors import TrainingDiverged
from ..core.structure import is_network
from ..engine.population import make_population
from ..engine.rules import mask_runs
from . import optimizers, schedules
from .epochs import commit_epochs, divergence, epoch_logs, epoch_rates
from .fit import _validation_data, resolve_optimizer
from .history import History

POPULATION_FIT_ARGS = frozenset({"epochs", "batch_size", "learning_rate", "shuffle", "optimizer",
                                 "schedule", "l2", "l1", "validation_data", "progress"})
"""``fit`` arguments a population supports; any other (callbacks, early stopping, a
validation fraction) makes ``best_of`` train its restarts one by one instead."""

MEMORY_FRACTION = 0.5
"""Share of the machine's available memory a population may use; a larger one is split
into groups of networks trained in turn (each group all epochs)."""

ORDERS_BYTES = 64 << 20
"""Bound on the visiting orders drawn ahead (int64, networks x epochs x samples): the
epochs run in calls of as many epochs as fit in it (at most 20 calls' worth when a
progress bar is shown, so it moves)."""


def available_memory():
    """Bytes of memory available now: ``MemAvailable`` of /proc/meminfo, else
    ``os.sysconf`` free pages, else None (unknown: no limit applied)."""
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def population_bytes(n_networks, n_parameters, n_state, itemsize, epochs_per_call, n_samples,
                     chunk_bytes, chunks):
    """Estimated bytes of a population: per network its parameters and optimizer state
    (a copy of each, ``n_state`` state arrays), visiting orders for a call and the per-epoch
    records; plus ``chunks`` times the scratch of a chunk (workspaces, rollback copies)."""
    per_network = (itemsize * n_parameters * (1 + n_state)
                   + 8 * epochs_per_call * (n_samples + 6))
    return n_networks * per_network + chunks * chunk_bytes, per_network


def supports(nets, fit_kwargs, X=None):
    """True when ``train_together`` can train ``nets`` with ``fit_kwargs`` on ``X``: fit
    arguments it knows, one structure, cost and dtype, an engine whose ``population``
    capability says the population engine reproduces it, a population trainer for the kind,
    dense X and validation X (scipy sparse input is ``fit``'s alone: such networks are
    fitted one at a time)."""
    if not nets or not set(fit_kwargs) <= POPULATION_FIT_ARGS:
        return False
    validation_X = (fit_kwargs.get("validation_data") or (None,))[0]
    if validation.is_sparse(X) or validation.is_sparse(validation_X):
        return False
    first = nets[0]
    if not all(is_network(net) for net in nets):
        return False
    if any(net.topology != first.topology or net.cost != first.cost or net.dtype != first.dtype
           or not net.backend.population for net in nets):
        return False
    return make_population(first.topology, first.cost, first.dtype) is not None


class PopulationProgress:
    """One tqdm bar over the whole population: network-epochs done, the best and median
    training loss so far. Disabled unless asked for and the output is a terminal (as
    ``callbacks.Progress``)."""

    def __init__(self, enabled, total, file=None):
        self.bar = None
        stream = sys.stderr if file is None else file
        if enabled and getattr(stream, "isatty", lambda: False)():
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, desc="population", unit="net-epoch", unit_scale=True,
                            file=file, dynamic_ncols=True)

    def advance(self, count, losses):
        if self.bar is not None:
            finite = [x for x in losses if math.isfinite(x)]
            if finite:
                self.bar.set_postfix({"best": f"{min(finite):.4g}",
                                      "median": f"{float(np.median(finite)):.4g}"}, refresh=False)
            self.bar.update(count)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _per_network(name, value, count, check):
    """A scalar for every network, or a sequence of ``count`` values, each checked."""
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != count:
            raise ValueError(f"{name} must be one value or {count} values, got {len(value)}")
        return [check(name, v) for v in value]
    return [check(name, value)] * count


def _optional_rate(name, value):
    return None if value is None else validation.positive_float(name, value)


def train_together(nets, X, y, epochs=1, batch_size=10, learning_rate=None, shuffle=True,
                   optimizer=None, schedule=None, l2=0.0, l1=0.0, validation_data=None,
                   progress=False, chunks=None, memory_limit=None):
    """Train every network of ``nets`` as ``net.fit(X, y, ...)`` would, all in one loop.

    Parameters
    ----------
    nets : list of Network
        Networks of one structure, cost and dtype (``supports``), each with its own seed.
    X, y, epochs, batch_size, shuffle, schedule, validation_data
        As for ``Network.fit``, shared by all networks.
    learning_rate, l2, l1 : float or sequence of float
        One value for all networks or one per network.
    optimizer : None, str, Optimizer, or sequence of them
        As for fit; one per network or one for all (an instance is copied per network).
    progress : bool
        One tqdm bar over the population's network-epochs.
    chunks : int or None
        Chunks of networks the compiled loop hands to threads (default four per thread);
        decides nothing but who computes what.
    memory_limit : int or None
        Bytes the population may use (default ``MEMORY_FRACTION`` of ``available_memory``).
        A larger population is split into groups trained in turn; a single network that does
        not fit raises ``MemoryError`` with the estimate.

    Returns
    -------
    list of (History, TrainingDiverged or None)
        Per network, what fit returns, or the error fit would have raised (whose
        ``history`` holds the finite epochs); the network then holds its parameters from
        the end of its last finite epoch, as after fit.
    """
    nets = list(nets)
    R = len(nets)
    if not supports(nets, {}):
        raise ValueError("train_together needs numba-engine networks of one structure, cost "
                         "and dtype")
    epochs = validation.positive_int("epochs", epochs)
    batch_size = validation.positive_int("batch_size", batch_size)
    shuffle = validation.flag("shuffle", shuffle)
    progress = validation.flag("progress", progress)
    rates_in = _per_network("learning_rate", learning_rate, R, _optional_rate)
    l2s = _per_network("l2", l2, R, validation.non_negative_float)
    l1s = _per_network("l1", l1, R, validation.non_negative_float)
    opts_in = list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer] * R
    if len(opts_in) != R:
        raise ValueError(f"optimizer must be one value or {R} values, got {len(opts_in)}")
    schedule = schedules.get(schedule)
    first = nets[0]
    X, Y, accuracy_mode = first.check_data(X, y)
    n = X.shape[0]
    if validation_data is not None:
        Xv, Yv, val_mode = _validation_data(first, validation_data)
    else:
        Xv = np.zeros((0, first.topology.n_inputs), first.dtype)
        Yv = np.zeros((0, first.topology.n_outputs), first.dtype)
        val_mode = 0
    trainer = make_population(first.topology, first.cost, first.dtype)
    mask = first.weight_mask()

    # --- fit's set-up, network by network ------------------------------------------------
    opts, updates = [], []
    runs = mask_runs(mask)
    for r, net in enumerate(nets):
        theta = net.parameters()
        if not np.isfinite(theta).all():
            raise ValueError(f"network {r}: the weights or biases contain NaN or infinity")
        chosen = opts_in[r]
        if isinstance(chosen, optimizers.Optimizer) and (R > 1 and opts_in.count(chosen) > 1):
            chosen = copy.deepcopy(chosen)
        opt = resolve_optimizer(net, chosen, rates_in[r])
        net.optimizer = opt
        opts.append(opt)
        updates.append(opt.update(opt.learning_rate, mask, l2s[r] / n, l1s[r] / n, runs))
        net.penalty = (l2s[r], l1s[r], n)
    P = first.topology.n_parameters
    n_state = max(int(updates[r].v.size > 0) + int(updates[r].s.size > 0) for r in range(R))
    width_v = P if any(u.v.size for u in updates) else 0
    width_s = P if any(u.s.size for u in updates) else 0
    rule = np.array([u.rule for u in updates], np.int64)
    hyper = np.array([[u.mu, u.rho, u.beta1, u.beta2, u.eps] for u in updates], np.float64)
    l2c = np.array([u.l2 for u in updates], np.float64)
    l1c = np.array([u.l1 for u in updates], np.float64)
    rows = {}
    for opt in opts:
        key = (opt.epochs, opt.learning_rate)
        if key not in rows:
            rows[key] = epoch_rates(schedule, opt, epochs)
    rates_all = np.stack([rows[(opt.epochs, opt.learning_rate)] for opt in opts])

    # --- memory: the estimate decides the groups of networks trained in turn -----------------
    per_call = max(1, min(epochs, ORDERS_BYTES // max(1, 8 * n * R)))
    if progress:
        per_call = max(1, min(per_call, -(-epochs // 20)))
    from numba import get_num_threads
    chunk_bytes, est_chunks = trainer.scratch(min(batch_size, n), min(256, Xv.shape[0]),
                                              n_state, R, get_num_threads(), chunks)
    total, per_network = population_bytes(R, P, n_state, first.dtype.itemsize, per_call, n,
                                          chunk_bytes, est_chunks)
    limit = memory_limit
    if limit is None:
        available = available_memory()
        limit = None if available is None else int(MEMORY_FRACTION * available)
    group = R
    if limit is not None and total > limit:
        room = limit - est_chunks * chunk_bytes
        group = int(room // per_network) if room > 0 else 0
        if group < 1:
            raise MemoryError(f"a population of {R} networks of {P:,} parameters needs about "
                              f"{total / 2**20:,.1f} MB ({per_network / 2**20:,.2f} MB per "
                              f"network plus {chunk_bytes / 2**20:,.1f} MB per chunk); only "
                              f"{limit / 2**20:,.1f} MB may be used")

    # --- training, group by group -----------------------------------------------------------
    results = [None] * R
    data = Data(X, Y, Xv, Yv, accuracy_mode, val_mode)
    rules = Rules(rule, hyper, l2c, l1c, mask, rates_all, width_v, width_s)
    plan = Plan(batch_size, epochs, shuffle, per_call, chunks)
    bar = PopulationProgress(progress, R * epochs)
    try:
        for g0 in range(0, R, group):
            members = list(range(g0, min(R, g0 + group)))
            _train_group(nets, members, opts, updates, trainer, data, rules, plan, bar, results)
    finally:
        bar.close()
    return results


Data = namedtuple("Data", "X Y Xv Yv accuracy_mode val_mode")
"""The training and validation data of a population, in the engines' form, and their
accuracy modes (``Network.check_data``); ``Xv`` has no rows without validation data."""

Rules = namedtuple("Rules", "rule hyper l2 l1 mask rates width_v width_s")
"""Per network (rows): the update rule's code and hyperparameters (mu, rho, beta1, beta2,
eps), the L2/L1 coefficients per step, every epoch's learning rate; shared: the weight mask
and the widths of the two optimizer state arrays (the parameter count, or 0 when no
network's rule keeps that state)."""

Plan = namedtuple("Plan", "batch_size epochs shuffle per_call chunks")
"""How the epochs run: the mini-batch size, the epochs, shuffling, epochs per compiled call
(``ORDERS_BYTES``) and the chunks of networks handed to threads."""

Trained = namedtuple("Trained", "thetas V S T done records status")
"""A group's results (rows by position in the group): parameters, optimizer state arrays and
step counters, epochs done, the per-epoch sums (``records``) and the status (0 trained,
else diverged: 1 the cost, 2 a parameter)."""


def _train_group(nets, members, opts, updates, trainer, data, rules, plan, bar, results):
    """Train the networks ``members`` for all epochs (arrays indexed by position in it)."""
    X, Y, Xv, Yv, accuracy_mode, val_mode = data
    rule, hyper, l2c, l1c, mask, rates_all, width_v, width_s = rules
    batch_size, epochs, shuffle, per_call, chunks = plan
    R = len(members)
    n = X.shape[0]
    dtype = nets[0].dtype
    thetas = np.stack([nets[r].parameters() for r in members]).astype(dtype, copy=False)
    V = np.zeros((R, width_v), dtype)
    S = np.zeros((R, width_s), dtype)
    for i, r in enumerate(members):
        if updates[r].v.size:
            V[i] = updates[r].v
        if updates[r].s.size:
            S[i] = updates[r].s
    T = np.array([[updates[r].t[0]] for r in members], np.int64)
    sub = np.asarray(members)
    rule_g, hyper_g, l2_g, l1_g = rule[sub], hyper[sub], l2c[sub], l1c[sub]
    status = np.zeros(R, np.int64)
    done = np.zeros(R, np.int64)
    records = {key: [[] for _ in range(R)] for key in ("loss", "correct", "val_loss",
                                                     "val_correct", "seconds")}
    identity = np.arange(n, dtype=np.int64)
    for e0 in range(0, epochs, per_call):
        E = min(per_call, epochs - e0)
        active = [i for i in range(R) if status[i] == 0]
        if not active:
            break
        orders = np.empty((R, E, n), np.int64)
        saved = {}
        for i in active:
            if shuffle:
                rng = nets[members[i]].rng
                saved[i] = copy.deepcopy(rng.bit_generator.state)
                orders[i] = rng.permuted(np.tile(identity, (E, 1)), axis=1)
            else:
                orders[i] = identity
        tic = time.perf_counter()
        losses, corrects, val_losses, val_corrects, done_now = trainer.train(
            (thetas, V, S, T),
            (rule_g, hyper_g, np.ascontiguousarray(rates_all[sub, e0:e0 + E]), l2_g, l1_g, mask,
             mask_runs(mask)),
            (X, Y, orders, batch_size, accuracy_mode, Xv, Yv, val_mode),
            np.array(active, np.int64), status, chunks)
        seconds = (time.perf_counter() - tic) / (len(active) * E)
        for i in active:
            k = int(done_now[i])
            done[i] += k
            if status[i] != 0 and shuffle:  # fit draws no order after the diverged epoch
                rng = nets[members[i]].rng
                rng.bit_generator.state = saved[i]
                rng.permuted(np.tile(identity, (k + 1, 1)), axis=1)
            records["loss"][i].append(losses[i, :k])
            records["correct"][i].append(corrects[i, :k])
            records["val_loss"][i].append(val_losses[i, :k])
            records["val_correct"][i].append(val_corrects[i, :k])
            records["seconds"][i].append(np.full(k, seconds))
            if status[i] != 0:
                records.setdefault("diverged", {})[i] = (e0 + k, float(losses[i, k]))
        bar.advance(sum(int(done_now[i]) + int(status[i] != 0) for i in active),
                    [float(losses[i, int(done_now[i]) - 1]) / n for i in active if done_now[i]])

    # --- back into the networks, and fit's History -------------------------------------------
    collecting = gc.isenabled()
    gc.disable()  # millions of list entries for 1000 networks x 2000 epochs: no cycles to find
    try:
        _histories(nets, members, opts, updates, Trained(thetas, V, S, T, done, records, status),
                   data, rates_all, results)
    finally:
        if collecting:
            gc.enable()


def _histories(nets, members, opts, updates, trained, data, rates_all, results):
    """Trained parameters and optimizer state back into the networks; fit's History (or
    TrainingDiverged) of each into ``results``, built from the arrays (``History.from_arrays``):
    columns most networks share (seconds, throughput, learning rates) are one read-only
    array for all of them."""
    thetas, V, S, T, done, records, status = trained
    n, n_val = data.X.shape[0], data.Xv.shape[0]
    shared = {}

    def one_array(array):
        key = (array.dtype.str, array.tobytes())
        if key not in shared:
            array = np.array(array)  # a copy: a History must not see later writes to the source
            array.flags.writeable = False
            shared[key] = array
        return shared[key]

    for i, r in enumerate(members):
        net, opt, update = nets[r], opts[r], updates[r]
        net.parameters()[...] = thetas[i]
        if update.v.size:
            update.v[...] = V[i]
        if update.s.size:
            update.s[...] = S[i]
        update.t[0] = T[i, 0]
        first_epoch = opt.epochs + 1
        k = int(done[i])
        commit_epochs(opt, update, k)
        cat = {key: (np.concatenate(records[key][i]) if records[key][i] else np.zeros(0))
               for key in ("loss", "correct", "val_loss", "val_correct", "seconds")}
        columns = epoch_logs(cat["loss"], cat["correct"], n, data.accuracy_mode,
                             cat["val_loss"], cat["val_correct"], n_val, data.val_mode,
                             cat["seconds"])
        history = History.from_arrays(
            epoch=range(first_epoch, first_epoch + k),
            learning_rate=one_array(rates_all[r, :k]),
            **dict(columns, seconds=one_array(columns["seconds"]),
                   samples_per_second=one_array(columns["samples_per_second"])))
        error = None
        if status[i] != 0:
            epoch_index, _ = records["diverged"][i]
            what = "the training cost" if status[i] == 1 else "a weight or bias"
            error = divergence(first_epoch + k, float(rates_all[r, epoch_index]), what, history)
        results[r] = (history, error)


# --- the unit of work of best_of and sweep (and of a Dask task) ------------------------------

def score_network(net, metric, X, y):
    """``metric`` of a trained network: a key of ``Network.evaluate`` on (X, y), or a
    callable ``metric(net, X, y)``."""
    if callable(metric):
        return float(metric(net, X, y))
    result = net.evaluate(X, y)
    if metric not in result:
        raise ValueError(f"metric={metric!r} is not available for these targets/settings "
                         f"(evaluate gives {sorted(result)})")
    return float(result[metric])


def train_candidates(make_network, seeds, structure_params, training_params, X, y, fit_kwargs,
                     metric="loss", score_data=None, keep_networks=True):
    """Build, train and score one chunk of candidates; plain, picklable results.

    Parameters
    ----------
    make_network : callable
        ``make_network(seed, **structure_params[i]) -> Network`` (picklable for Dask).
    seeds : list of int
        One seed per candidate.
    structure_params : list of dict
        Per candidate, the keyword arguments of ``make_network`` (empty dicts for best_of).
    training_params : list of dict
        Per candidate, fit arguments of its own (``learning_rate``, ``l2``, ``l1``,
        ``optimizer``); they override ``fit_kwargs``.
    X, y : training data
    fit_kwargs : dict
        fit arguments shared by all (epochs, batch_size, validation_data, ...).
    metric : str or callable
        As ``best_of``'s; scored on ``score_data`` (X_val, y_val), default (X, y).
    keep_networks : bool
        Also return the trained Network objects (False for results sent between processes:
        the parameters are in ``theta`` anyway).

    Returns
    -------
    list of dict
        Per candidate: ``seed``, ``score`` (None if it diverged), ``diverged`` (bool),
        ``history`` (dict of lists, ``History.as_dict``), ``theta`` (float array, the trained
        parameters), ``epochs`` trained, and ``network`` when ``keep_networks``.
    """
    score_X, score_y = (X, y) if score_data is None else score_data
    nets = []
    for seed, params in zip(seeds, structure_params):
        net = make_network(seed, **params)
        if not is_network(net):
            raise TypeError(f"make_network must return a fastnn.Network, got {type(net).__name__}")
        nets.append(net)
    per = {}
    for key in ("learning_rate", "l2", "l1", "optimizer"):
        default = fit_kwargs.get(key, None if key in ("learning_rate", "optimizer") else 0.0)
        per[key] = [p.get(key, default) for p in training_params]
    shared = {k: v for k, v in fit_kwargs.items() if k not in per}
    if supports(nets, shared, X):  # sparse X: one fit each
        outcomes = train_together(nets, X, y, learning_rate=per["learning_rate"], l2=per["l2"],
                                  l1=per["l1"], optimizer=per["optimizer"], **shared)
    else:
        outcomes = []
        for i, net in enumerate(nets):
            kwargs = dict(shared, **{k: v[i] for k, v in per.items()})
            if isinstance(kwargs.get("optimizer"), optimizers.Optimizer):
                kwargs["optimizer"] = copy.deepcopy(kwargs["optimizer"])
            try:
                outcomes.append((net.fit(X, y, **kwargs), None))
            except TrainingDiverged as error:
                outcomes.append((error.history, error))
    results = []
    for seed, net, (history, error) in zip(seeds, nets, outcomes):
        score = None if error is not None else score_network(net, metric, score_X, score_y)
        item = {"seed": int(seed), "score": score, "diverged": error is not None,
                "history": history.as_dict() if history is not None else {},
                "theta": net.parameters().copy(),
                "epochs": len(history) if history is not None else 0}
        if keep_networks:
            item["network"] = net
            item["history_object"] = history
        results.append(item)
    return results

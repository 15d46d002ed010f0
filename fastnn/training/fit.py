r"""The epoch loop behind ``Network.fit``: optimizer, schedule, penalty, validation, early
stopping, callbacks, progress and divergence, all in Python between calls of the engine's
compiled batch loop (``engine.train_epoch``: on the numba engine ``fast_drivers.train_epoch_sgd``
for plain SGD and ``fast_drivers.train_epoch_rule`` for the other rules), where they cost
nothing measurable.

Per epoch: the schedule sets the learning rate; the network's generator draws the visiting
order; the engine runs every mini-batch (forward, BP1-BP4, one optimizer step each); the
parameters are checked for divergence (``TrainingDiverged``, parameters restored to the end of
the previous epoch; the rule is below); the validation set is evaluated; History, callbacks,
the progress bar and early stopping see the epoch. The rate's check, History's columns, the
optimizer's counters and the divergence error are ``fastnn.training.epochs``, shared with the
population loop.

Divergence, in either dtype, is any of (checked after every epoch, the cost also after every
chunk of mini-batches; ``diverged``):

- the training cost or a parameter is NaN or infinite;
- a parameter's magnitude exceeds ``sqrt(finfo(dtype).max)`` (about 1.3e154 in float64,
  1.8e19 in float32): past it :math:`w^2`, and so the L2 penalty and the quadratic terms of the
  arithmetic, overflow (float32 runs met infinity soon after; float64 runs could wander up to
  1e300 and report a 300-digit cost);
- the epoch's mean cost exceeds ``COST_GROWTH`` (1e8) times the first epoch's of the fit call
  (or 1e8 itself when that was below 1).

When an L2 penalty is on and its weight decay alone is unstable for the rule and rate
(SGD :math:`\eta\lambda/n \ge 2`, Momentum :math:`\ge 2(1+\mu)`, Nesterov
:math:`\ge 2(1+\mu)/(1+2\mu)`: the recurrence :math:`w \leftarrow (1-\eta\lambda/n)w` and its
momentum forms then grow without bound), the error names the penalty as the cause.

Faults (issue 25): while an epoch runs, the network holds the state of the end of the
previous one (``Network.hold_boundary``: a ``TrainingSnapshot``, the copies divergence rolls
back to, plus the optimizer's counters and the generator's state). ``save`` in another thread
writes it, so a file never mixes two moments; a KeyboardInterrupt inside the epoch restores
it, so parameters, optimizer state and counters, generator and History all describe the last
whole epoch (the History goes with the exception, ``interrupt.history``). The epoch is
committed (counters, History, then the boundary released) under ``net.state_lock``; an
interrupt landing inside those lines rolls the epoch back whole (History truncated), so no
signal handling is needed and the loop pays a few microseconds per epoch for all this.
"""
import math
import numbers
import time
from collections import namedtuple

import numpy as np

from ..core import validation
from . import optimizers, schedules
from .callbacks import EpochEnd, Progress, as_callbacks
from .epochs import commit_epochs, divergence, epoch_logs, epoch_rate
from .history import History

SPLIT_STREAM = 0x5EED5
"""Second word of the seed of the validation split, so the split never reuses the stream of
initialisation and shuffling (and does not advance it: every fit call splits alike)."""


COST_GROWTH = 1e8
"""An epoch whose mean cost exceeds this many times the first epoch's (at least 1) diverged."""


def diverged(loss, theta, reference):
    """``(what, reason)`` when an epoch's mean ``loss`` and the parameters ``theta`` break the
    divergence rule (module docstring), else None. ``reference``: the first epoch's mean cost
    of this fit call, or None during it. Two passes over theta (max and min), no allocation."""
    if not math.isfinite(loss):
        return "the training cost", "became NaN or infinite"
    largest = max(float(theta.max()), -float(theta.min())) if theta.size else 0.0
    if not math.isfinite(largest):  # NaN propagates through max and min
        return "a weight or bias", "became NaN or infinite"
    limit = math.sqrt(float(np.finfo(theta.dtype).max))
    if largest > limit:
        return ("a weight or bias", f"grew to magnitude {largest:.3g}, past {limit:.3g} (the "
                f"square root of the largest {theta.dtype.name}, where w**2 overflows)")
    if reference is not None and loss > COST_GROWTH * max(reference, 1.0):
        return ("the training cost", f"grew to {loss:.4g} from {reference:.4g} in the first "
                f"epoch (more than {COST_GROWTH:g} times)")
    return None


PENALTY_STABILITY = {
    "sgd": lambda opt: 2.0,
    "momentum": lambda opt: 2.0 * (1 + opt.mu),
    "nesterov": lambda opt: 2.0 * (1 + opt.mu) / (1 + 2 * opt.mu),
}
r"""Largest :math:`h = \eta\lambda/n` for which the weight decay alone is stable, by rule (the
2x2 recurrence of a weight and its velocity has an eigenvalue -1 there)."""


def penalty_advice(opt, rate, l2, n):
    """Advice naming the L2 penalty when its decay alone diverges at this rate, else None."""
    stable = PENALTY_STABILITY.get(opt.name)
    if not l2 or stable is None:
        return None
    h, limit = rate * l2 / n, stable(opt)
    if h < limit:
        return None
    return (f"The cause is the L2 penalty: with l2={l2:g}, n={n} and learning rate {rate:g} "
            f"the weight decay per step, learning_rate*l2/n = {h:.3g}, is at least "
            f"{limit:.3g}, where the decay alone makes the weights grow without bound "
            f"({opt.name}); use l2 < {limit * n / rate:.3g} at this rate.")


def resolve_optimizer(net, optimizer, learning_rate):
    """The optimizer a fit call trains with (see ``Network.fit``), bound to ``net``."""
    current = net.optimizer
    if optimizer is None:
        chosen = current if current is not None else optimizers.SGD(learning_rate)
    elif isinstance(optimizer, str):
        name = validation.choice("optimizer", optimizer, tuple(optimizers.OPTIMIZERS))
        if (current is not None and current.name == name
                and type(current) is optimizers.OPTIMIZERS[name]):
            chosen = current
        else:
            chosen = optimizers.OPTIMIZERS[name](learning_rate)
    elif isinstance(optimizer, optimizers.Optimizer):
        chosen = optimizer
    else:
        raise TypeError(f"optimizer must be a name ({', '.join(map(repr, optimizers.OPTIMIZERS))}) "
                        f"or a fastnn.optimizers.Optimizer, got {optimizer!r}")
    chosen.bind(net.n_parameters, net.dtype)
    if learning_rate is not None:
        chosen.learning_rate = learning_rate
    return chosen


def validation_rows(net, n, fraction):
    """Training and validation row indices of ``n`` samples, the last ``fraction`` of a
    permutation that depends only on the network's seed and ``n``."""
    n_val = int(round(fraction * n))
    if n_val < 1 or n_val >= n:
        raise ValueError(f"validation_fraction={fraction} of {n} samples leaves "
                         f"{n_val} for validation and {n - n_val} for training; "
                         f"both need at least 1")
    order = np.random.default_rng([net.split_seed, SPLIT_STREAM]).permutation(n)
    return np.sort(order[:n - n_val]), np.sort(order[n - n_val:])


def validation_split(net, X, Y, fraction):
    """Training and validation rows (``validation_rows``): ``X, Y, X_val, Y_val``."""
    train, val = validation_rows(net, X.shape[0], fraction)
    return X[train], Y[train], X[val], Y[val]


def _validation_data(net, validation_data, sparse=False):
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError("validation_data must be a pair (X_val, y_val)")
    return net.check_data(validation_data[0], validation_data[1], name="validation_data X",
                     y_name="validation_data y", sparse=sparse)


class FitSettings(namedtuple("FitSettings",
                             "epochs batch_size learning_rate shuffle optimizer schedule l2 l1 "
                             "validation_data validation_fraction early_stopping patience "
                             "min_delta callbacks progress sample_weight",
                             defaults=(1, 10, None, True, None, None, 0.0, 0.0, None, None,
                                       False, 5, 0.0, None, False, None))):
    """The arguments of ``Network.fit`` after X and y, by the same names and defaults."""

    __slots__ = ()


def fit(net, X, y, settings):
    """See ``Network.fit``; ``settings`` holds its other arguments (``FitSettings``)."""
    (epochs, batch_size, learning_rate, shuffle, optimizer, schedule, l2, l1, validation_data,
     validation_fraction, early_stopping, patience, min_delta, callbacks, progress,
     sample_weight) = settings
    # --- every argument is checked before compiled code runs --------------------------------
    epochs = validation.positive_int("epochs", epochs)
    batch_size = validation.positive_int("batch_size", batch_size)
    if learning_rate is not None:
        learning_rate = validation.positive_float("learning_rate", learning_rate)
    shuffle = validation.flag("shuffle", shuffle)
    l2, l1 = validation.non_negative_float("l2", l2), validation.non_negative_float("l1", l1)
    schedule = schedules.get(schedule)
    early_stopping = validation.flag("early_stopping", early_stopping)
    patience = validation.positive_int("patience", patience)
    min_delta = validation.non_negative_float("min_delta", min_delta)
    if progress != "lines":
        progress = validation.flag("progress", progress)
    callbacks = as_callbacks(callbacks)
    if validation_fraction is not None:
        if validation_data is not None:
            raise ValueError("give validation_data or validation_fraction, not both")
        if (isinstance(validation_fraction, bool)
                or not isinstance(validation_fraction, numbers.Real)):
            raise TypeError(f"validation_fraction must be a number in (0, 1), "
                            f"got {validation_fraction!r}")
        if not 0 < validation_fraction < 1:
            raise ValueError(f"validation_fraction must lie in (0, 1), got {validation_fraction!r}")
    elif early_stopping and validation_data is None:
        validation_fraction = 0.1  # as scikit-learn: early stopping sets 10% aside
    X, Y, accuracy_mode = net.check_data(X, y, sparse=True)
    weights = None
    if sample_weight is not None:
        weights = validation.sample_weights(sample_weight, X.shape[0], net.dtype)
        if not net.backend.sample_weights:
            raise ValueError(f"sample_weight is supported for layered networks only; this "
                             f"network is a {net.topology.kind}")
    Xv = Yv = None
    val_mode = 0
    if validation_data is not None:
        Xv, Yv, val_mode = _validation_data(net, validation_data, sparse=True)
    elif validation_fraction is not None:
        train, val = validation_rows(net, X.shape[0], float(validation_fraction))
        X, Y, Xv, Yv = X[train], Y[train], X[val], Y[val]
        weights = None if weights is None else weights[train]
        val_mode = accuracy_mode
    theta = net.parameters()
    if not np.isfinite(theta).all():
        raise ValueError("the network's weights or biases contain NaN or infinity")
    opt = resolve_optimizer(net, optimizer, learning_rate)
    net.optimizer = opt

    # --- training ----------------------------------------------------------------------------
    n = X.shape[0]
    engine = net.backend
    horizon = opt.epochs + epochs
    update = opt.update(opt.learning_rate, net.weight_mask(), l2 / n, l1 / n)
    engine.warm_up(theta, X, Y, batch_size, update, accuracy_mode, weights)
    net.penalty = (l2, l1, n)
    history = History()
    bar = Progress(progress, n, horizon, first_epoch=opt.epochs + 1)
    best_loss, best_theta, wait = math.inf, None, 0
    first_loss = None
    for callback in callbacks:
        callback.on_train_begin(net)
    boundary = None  # the state at the end of the last whole epoch, while an epoch runs
    first_epoch = opt.epochs + 1
    n_val = 0 if Xv is None else Xv.shape[0]
    try:
        for _ in range(epochs):
            epoch = opt.epochs + 1
            rate = epoch_rate(schedule, opt.epochs, opt.learning_rate, horizon)
            update = update._replace(learning_rate=float(rate))
            # the copies divergence rolls back to are also what a concurrent save writes and
            # what an interrupt restores: the state of the epoch boundary
            boundary = net.hold_boundary()
            order = net.rng.permutation(n) if shuffle else np.arange(n)
            loss, correct, seconds = 0.0, 0, 0.0
            bar.start_epoch(epoch)
            chunk = bar.chunk_size(batch_size)
            for start in range(0, n, chunk):
                tic = time.perf_counter()
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is raised below
                    part_loss, part_correct = engine.train_epoch(
                        theta, X, Y, order[start:start + chunk], batch_size, update, accuracy_mode,
                        weights)
                seconds += time.perf_counter() - tic
                loss += part_loss
                correct += part_correct
                bar.advance(min(chunk, n - start), loss, correct, seconds, bool(accuracy_mode))
                if not math.isfinite(loss):
                    break
            verdict = diverged(loss / n, theta, first_loss)
            if verdict is not None:
                with net.state_lock:  # the generator stays: this epoch's order was drawn
                    net.restore(boundary, generator=False)
                    net.release_boundary()
                    boundary = None
                raise divergence(epoch, rate, verdict[0], history, reason=verdict[1],
                                 advice=penalty_advice(opt, rate, l2, n))
            v_loss = v_correct = None
            if n_val:
                v_loss, v_correct = engine.evaluate(theta, Xv, Yv, val_mode)
            columns = epoch_logs(loss, correct, n, accuracy_mode, v_loss, v_correct, n_val,
                                 val_mode, seconds)
            # the epoch is committed as one step: counters and History with the parameters,
            # a concurrent save kept out; a Ctrl-C landing in these lines rolls the whole
            # epoch back (the boundary is released last, History truncated by the handler)
            with net.state_lock:
                commit_epochs(opt, update, 1)
                history.record(epoch=epoch, learning_rate=rate, **columns)
                net.release_boundary()
                boundary = None
            if first_loss is None:
                first_loss = loss / n
            logs = history.logs()
            bar.end_epoch(logs)
            stop = False
            if early_stopping:
                val_loss = columns["val_loss"]
                if val_loss < best_loss - min_delta:
                    best_loss, best_theta, wait = val_loss, theta.copy(), 0
                    history.best_epoch = epoch
                else:
                    wait += 1
                    stop = wait >= patience
            event = EpochEnd(net, epoch, logs, history)
            for callback in callbacks:
                callback.on_epoch_end(event)
            if stop or event.stop_requested:
                history.stopped_epoch = epoch
                break
    except KeyboardInterrupt as interrupt:
        # Ctrl-C inside an epoch (its compiled loop, the validation pass): back to the end of
        # the last whole epoch, which the parameters, optimizer state and counters, generator
        # and History then all describe; the History goes with the exception
        with net.state_lock:
            if boundary is not None:
                net.restore(boundary)
                history.truncate(boundary.epochs - first_epoch + 1)
            net.release_boundary()
        interrupt.history = history
        raise
    finally:
        bar.close()
    if best_theta is not None:
        with net.state_lock:
            theta[...] = best_theta
    for callback in callbacks:
        callback.on_train_end(net, history)
    return history

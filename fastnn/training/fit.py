r"""The epoch loop behind ``Network.fit``: optimizer, schedule, penalty, validation, early
stopping, callbacks, progress and divergence, all in Python between calls of the compiled
batch loop (``drivers.train_epoch``), where they cost nothing measurable.

Per epoch: the schedule sets the learning rate; the network's generator draws the visiting
order; the engine runs every mini-batch (forward, BP1-BP4, one optimizer step each); the
parameters are checked for NaN/inf (``TrainingDiverged``, parameters restored to the end of
the previous epoch); the validation set is evaluated; History, callbacks, the progress bar
and early stopping see the epoch.
"""
import math
import numbers
import time

import numpy as np

from ..core import validation
from ..core.errors import TrainingDiverged
from . import optimizers, schedules
from .callbacks import EpochEnd, Progress, as_callbacks
from .history import History

SPLIT_STREAM = 0x5EED5
"""Second word of the seed of the validation split, so the split never reuses the stream of
initialisation and shuffling (and does not advance it: every fit call splits alike)."""


def resolve_optimizer(net, optimizer, learning_rate):
    """The optimizer a fit call trains with (see ``Network.fit``), bound to ``net``."""
    current = net.optimizer
    if optimizer is None:
        chosen = current if current is not None else optimizers.SGD(learning_rate)
    elif isinstance(optimizer, str):
        name = validation.choice("optimizer", optimizer, tuple(optimizers.OPTIMIZERS))
        if current is not None and current.name == name and type(current) is optimizers.OPTIMIZERS[name]:
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


def split_seed(net):
    """The seed of the validation split: the network's seed, or (for seed=None) one drawn
    from the OS once per network, so repeated fits use the same split."""
    if net.seed is not None:
        return int(net.seed)
    if net._split_seed is None:
        net._split_seed = int(np.random.SeedSequence().entropy % 2**63)
    return net._split_seed


def validation_split(net, X, Y, fraction):
    """Training and validation rows, the last ``fraction`` of a permutation that depends only
    on the network's seed and the number of samples."""
    n = X.shape[0]
    n_val = int(round(fraction * n))
    if n_val < 1 or n_val >= n:
        raise ValueError(f"validation_fraction={fraction} of {n} samples leaves "
                         f"{n_val} for validation and {n - n_val} for training; both need at least 1")
    order = np.random.default_rng([split_seed(net), SPLIT_STREAM]).permutation(n)
    train, val = np.sort(order[:n - n_val]), np.sort(order[n - n_val:])
    return X[train], Y[train], X[val], Y[val]


def _validation_data(net, validation_data):
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError("validation_data must be a pair (X_val, y_val)")
    return net._data(validation_data[0], validation_data[1], name="validation_data X",
                     y_name="validation_data y")


def fit(net, X, y, epochs=1, batch_size=10, learning_rate=None, shuffle=True, optimizer=None,
        schedule=None, l2=0.0, l1=0.0, validation_data=None, validation_fraction=None,
        early_stopping=False, patience=5, min_delta=0.0, callbacks=None, progress=False):
    """See ``Network.fit``."""
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
    progress = validation.flag("progress", progress)
    callbacks = as_callbacks(callbacks)
    if validation_fraction is not None:
        if validation_data is not None:
            raise ValueError("give validation_data or validation_fraction, not both")
        if isinstance(validation_fraction, bool) or not isinstance(validation_fraction, numbers.Real):
            raise TypeError(f"validation_fraction must be a number in (0, 1), got {validation_fraction!r}")
        if not 0 < validation_fraction < 1:
            raise ValueError(f"validation_fraction must lie in (0, 1), got {validation_fraction!r}")
    elif early_stopping and validation_data is None:
        validation_fraction = 0.1  # as scikit-learn: early stopping sets 10% aside
    X, Y, accuracy_mode = net._data(X, y)
    Xv = Yv = None
    if validation_data is not None:
        Xv, Yv, val_mode = _validation_data(net, validation_data)
    elif validation_fraction is not None:
        X, Y, Xv, Yv = validation_split(net, X, Y, float(validation_fraction))
        val_mode = accuracy_mode
    theta = net._parameters()
    if not np.isfinite(theta).all():
        raise ValueError("the network's weights or biases contain NaN or infinity")
    opt = resolve_optimizer(net, optimizer, learning_rate)
    net.optimizer = opt

    # --- training ----------------------------------------------------------------------------
    n = X.shape[0]
    engine = net._engine
    horizon = opt.epochs + epochs
    update = opt.update(opt.learning_rate, net._weight_mask(), l2 / n, l1 / n)
    engine.warm_up(theta, X, Y, batch_size, update, accuracy_mode)
    net._penalty = (l2, l1, n)
    history = History()
    bar = Progress(progress, n, horizon)
    best_loss, best_theta, wait = math.inf, None, 0
    for callback in callbacks:
        callback.on_train_begin(net)
    try:
        for _ in range(epochs):
            epoch = opt.epochs + 1
            rate = schedule.rate(opt.epochs, opt.learning_rate, horizon)
            if not (isinstance(rate, numbers.Real) and math.isfinite(rate) and rate > 0):
                raise ValueError(f"schedule {schedule!r} gave learning rate {rate!r} for epoch "
                                 f"{epoch}; it must be positive and finite")
            update = update._replace(learning_rate=float(rate))
            order = net._rng.permutation(n) if shuffle else np.arange(n)
            theta_before = theta.copy()
            state_before = [array.copy() for array in (update.v, update.s)]
            loss, correct, seconds = 0.0, 0, 0.0
            bar.start_epoch(epoch)
            chunk = bar.chunk_size(batch_size)
            for start in range(0, n, chunk):
                tic = time.perf_counter()
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is raised below
                    part_loss, part_correct = engine.train_epoch(
                        theta, X, Y, order[start:start + chunk], batch_size, update, accuracy_mode)
                seconds += time.perf_counter() - tic
                loss += part_loss
                correct += part_correct
                bar.advance(min(chunk, n - start), loss, correct, seconds, bool(accuracy_mode))
                if not math.isfinite(loss):
                    break
            if not math.isfinite(loss) or not np.isfinite(theta).all():
                what = "the training cost" if not math.isfinite(loss) else "a weight or bias"
                theta[...] = theta_before
                update.v[...], update.s[...] = state_before
                raise TrainingDiverged(epoch, rate, what, history)
            opt.collect(update)
            opt.epochs += 1
            val_loss = val_accuracy = None
            if Xv is not None:
                v_loss, v_correct = engine.evaluate(theta, Xv, Yv, val_mode)
                val_loss = v_loss / Xv.shape[0]
                val_accuracy = v_correct / Xv.shape[0] if val_mode else None
            history.record(epoch=epoch, loss=loss / n,
                           accuracy=correct / n if accuracy_mode else None, learning_rate=rate,
                           val_loss=val_loss, val_accuracy=val_accuracy,
                           samples_per_second=n / max(seconds, 1e-12), seconds=seconds)
            logs = history.logs()
            bar.end_epoch(logs)
            stop = False
            if early_stopping:
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
    finally:
        bar.close()
    if best_theta is not None:
        theta[...] = best_theta
    for callback in callbacks:
        callback.on_train_end(net, history)
    return history

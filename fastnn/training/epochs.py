"""The per-epoch bookkeeping of training, shared by ``fit`` (one network, one epoch at a time)
and the population loop (``population.train_together``: many networks, runs of epochs), so
that both give the same History, counters and errors to the bit: the learning rate an epoch
trains at, History's columns from the sums an epoch's compiled loop returns, the optimizer's
counters, and the error of a diverged epoch.
"""
import math
import numbers

import numpy as np

from ..core.errors import TrainingDiverged


def epoch_rate(schedule, t, base_rate, horizon):
    """The learning rate of the epoch of index ``t`` (from 0), ``schedule.rate(t, base_rate,
    horizon)``, as the schedule gives it; ValueError unless positive and finite."""
    rate = schedule.rate(t, base_rate, horizon)
    if not (isinstance(rate, numbers.Real) and math.isfinite(rate) and rate > 0):
        raise ValueError(f"schedule {schedule!r} gave learning rate {rate!r} for epoch "
                         f"{t + 1}; it must be positive and finite")
    return rate


def epoch_rates(schedule, opt, epochs):
    """The learning rates (float64 array) of the next ``epochs`` epochs of ``opt``, a fit call
    of that length that no callback changes: what ``fit`` computes epoch by epoch."""
    horizon = opt.epochs + epochs
    return np.array([float(epoch_rate(schedule, opt.epochs + k, opt.learning_rate, horizon))
                     for k in range(epochs)])


def epoch_logs(loss, correct, n, accuracy_mode, val_loss, val_correct, n_val, val_mode,
               seconds):
    """History's columns of epochs from their sums: ``loss`` (total cost) and ``correct``
    (samples classified correctly) of ``n`` training samples, the same of the ``n_val``
    validation samples (``n_val`` 0: none), and the seconds of the training loop.

    One epoch (``fit``: numbers, and None for a column that does not apply) or several
    (the population: 1-D arrays, and lists of None); the same operations either way
    (``loss / n``, ``correct / n``, ...), so the same bits.
    """
    several = isinstance(loss, np.ndarray)
    none = [None] * len(loss) if several else None
    return {"loss": loss / n,
            "accuracy": correct / n if accuracy_mode else none,
            "val_loss": val_loss / n_val if n_val else none,
            "val_accuracy": val_correct / n_val if n_val and val_mode else none,
            "seconds": seconds,
            "samples_per_second": n / (np.maximum(seconds, 1e-12) if several
                                       else max(seconds, 1e-12))}


def commit_epochs(opt, update, count):
    """Count ``count`` epochs trained through ``update`` on ``opt``: the step counter taken
    back from the kernels, the epoch counter advanced."""
    opt.collect(update)
    opt.epochs += count


def divergence(epoch, rate, what, history, reason=None, advice=None):
    """The ``TrainingDiverged`` of epoch ``epoch`` trained at ``rate``: ``what`` diverged
    (``reason``: how; default "became NaN or infinite"); ``advice`` names the L2 penalty as
    the cause (``fit.penalty_advice``), else the learning rate is."""
    return TrainingDiverged(epoch, rate, what, history, reason=reason, advice=advice,
                            cause="learning rate" if advice is None else "L2 penalty")

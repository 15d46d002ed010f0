"""Accuracy: how predictions are compared with targets, in compiled and NumPy form.

The mode is decided once per data set from its targets (``accuracy_mode``): argmax
agreement for one-hot rows, a 0.5 threshold for a single 0/1 output, none otherwise.
"""
import numpy as np
from numba import njit

from ._numba import JIT

NO_ACCURACY, ARGMAX_ACCURACY, THRESHOLD_ACCURACY = range(3)
"""How ``count_correct`` compares predictions with targets."""


def accuracy_mode(Y):
    """Argmax agreement for one-hot targets, a 0.5 threshold for one 0/1 output, else none."""
    is_binary = np.isin(Y, (0, 1)).all()
    if Y.shape[1] > 1 and is_binary and (Y.sum(axis=1) == 1).all():
        return ARGMAX_ACCURACY
    if Y.shape[1] == 1 and is_binary:
        return THRESHOLD_ACCURACY
    return NO_ACCURACY


@njit(**JIT)
def count_correct(mode, a, y):
    """Samples whose prediction matches the target: argmax agreement, or for a single
    output both on the same side of 0.5."""
    correct = 0
    for x in range(a.shape[0]):
        if mode == ARGMAX_ACCURACY:
            correct += np.argmax(a[x]) == np.argmax(y[x])
        elif mode == THRESHOLD_ACCURACY:
            correct += (a[x, 0] >= 0.5) == (y[x, 0] >= 0.5)
    return correct


def numpy_count_correct(mode, a, y):
    """Same rule as ``count_correct``, vectorised."""
    if mode == ARGMAX_ACCURACY:
        return int((a.argmax(axis=1) == y.argmax(axis=1)).sum())
    if mode == THRESHOLD_ACCURACY:
        return int(((a[:, 0] >= 0.5) == (y[:, 0] >= 0.5)).sum())
    return 0

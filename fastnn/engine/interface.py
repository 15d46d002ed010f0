"""The one interface every engine implements (``Engine``), written down.

An engine computes one network structure in one dtype: it is built once, with the network
(``fastnn.engine.make_engine``), and never switched afterwards. Everything above this package
(fit, the population engine, the estimators, gradient checks) talks to it through these
methods and reads what it can do from its capability attributes; nothing asks which class it
is.

Arrays: ``theta`` is the network's flat parameter vector (layout: ``fastnn.core.structure``),
updated in place by ``train_epoch``; ``X`` (n, n_inputs) and ``Y`` (n, n_outputs) are
C-contiguous in the engine's dtype (``X`` may be a canonical CSR matrix where
``sparse_input``); ``weights`` one non-negative weight per row of ``X`` or None;
``accuracy_mode`` the code of ``fastnn.core.metrics`` (0: no accuracy); ``update`` a
``rules.Update`` whose state arrays and step counter ``train_epoch`` advances in place.
"""
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Engine(Protocol):
    """What ``Network`` and the training loops use of an engine."""

    name: str
    """The ``Network(engine=...)`` name this engine answers to."""
    dtype: np.dtype
    """Every array the engine takes and returns is of this dtype."""
    n_parameters: int
    """Length of ``theta``."""
    compiled: bool
    """Runs numba-compiled code (``warm_up`` compiles it or loads it from the cache)."""
    sample_weights: bool
    """``train_epoch`` and ``gradients`` accept ``weights``; else they refuse them."""
    sparse_input: bool
    """``X`` may be a scipy CSR matrix (``validation.sparse_inputs``)."""
    population: bool
    """``fastnn.engine.population`` trains many networks of this engine bit for bit as
    ``train_epoch`` would (``best_of`` and ``sweep`` then train them together)."""

    def warm_up(self, theta, X, Y, batch_size, update, accuracy_mode, weights=None):
        """Compile or load what ``train_epoch`` will run, on copies (nothing changes)."""

    def train_epoch(self, theta, X, Y, order, batch_size, update, accuracy_mode,
                    weights=None):
        """Mini-batches of ``batch_size`` rows in ``order``, each followed by its update;
        ``(summed cost, correct count)``, the cost of each batch taken before its update;
        stops after a batch whose summed cost is not finite, without applying it."""

    def predict(self, theta, X):
        """Output activations :math:`a^L` of every row, shape (n, n_outputs)."""

    def evaluate(self, theta, X, Y, accuracy_mode):
        """``(summed cost, correct count)`` over the rows."""

    def gradients(self, theta, X, Y, weights=None):
        """``(grad, summed cost)``: the gradient of the mean cost over the rows (weighted
        mean with ``weights``) as a new array in theta's layout."""

    def trace(self, theta, x, y):
        """One sample's pass, ``(grad, cost, s, a, delta)`` (``fastnn.core.trace``)."""

    def add_penalty_gradient(self, theta, grad, decay, l2, l1):
        r"""``grad += l2 * w + l1 * sign(w)`` on the weights ``decay`` marks (``decay`` uint8
        over theta): the gradient of :math:`\frac{l_2}{2}\sum w^2 + l_1 \sum |w|`, by the
        same per-weight function the engine's update rules apply."""


def refuse_weights(engine, weights):
    """The error an engine without ``sample_weights`` raises when given some."""
    if weights is not None:
        raise ValueError(f"sample_weight is not supported by the {engine.name!r} engine of "
                         f"this network (layered networks only)")

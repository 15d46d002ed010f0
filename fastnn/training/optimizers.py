"""The optimizer objects behind ``Network.fit(optimizer=...)``: hyperparameters, the state
arrays (velocities, moments) and the counters of one training run, kept apart from the
network (doc 001's advice). The per-weight update rules they select are compiled in
``fastnn.engine.rules``, which documents every rule.
"""
import numpy as np

from ..core import validation
from ..engine.rules import (
    ADAGRAD_RULE,
    ADAM_RULE,
    MOMENTUM_RULE,
    NESTEROV_RULE,
    RMSPROP_RULE,
    SGD_RULE,
    Update,
    mask_runs,
)

# --- the optimizer objects -----------------------------------------------------------------

class Optimizer:
    """Base class: hyperparameters, the state arrays and the counters of one training run.

    State is allocated when the optimizer first meets a network (``bind``) and then belongs
    to that network's parameter vector; ``reset()`` forgets it.

    Attributes
    ----------
    learning_rate : float
        The base learning rate :math:`\\eta` (a schedule scales it per epoch).
    iterations : int
        Update steps taken (the ``t`` of Adam's bias correction).
    epochs : int
        Epochs trained with this optimizer (the epoch index of learning-rate schedules).
    """

    name = None
    rule = None
    default_learning_rate = 0.01
    hyperparameters = ()
    slots = (None, None)
    """Names of the state held in ``Update.v`` and ``Update.s`` (None: unused, length 0)."""

    def __init__(self, learning_rate=None):
        self.learning_rate = validation.positive_float(
            "learning_rate", self.default_learning_rate if learning_rate is None else learning_rate)
        self.iterations = 0
        self.epochs = 0
        self._state = None
        self._n_parameters = None

    # state
    def bind(self, n_parameters, dtype):
        """Allocate zeroed state for a parameter vector of this size and dtype, or check the
        existing state fits it."""
        dtype = np.dtype(dtype)
        if self._state is None:
            self._state = [np.zeros(n_parameters if name else 0, dtype) for name in self.slots]
            self._n_parameters = n_parameters
        elif self._n_parameters != n_parameters or self._state[0].dtype != dtype:
            raise ValueError(f"this {type(self).__name__} holds state for {self._n_parameters} "
                             f"{self._state[0].dtype} parameters, not {n_parameters} {dtype.name}; "
                             f"use a new optimizer or call reset()")
        return self

    def reset(self):
        """Forget state and counters: the next fit starts this rule afresh."""
        self._state = None
        self.iterations = 0
        self.epochs = 0

    @property
    def state(self):
        """The state arrays by name (empty for SGD), e.g. ``{"velocity": V}``."""
        if self._state is None:
            return {}
        return {name: array for name, array in zip(self.slots, self._state) if name}

    def update(self, learning_rate, decay, l2=0.0, l1=0.0, runs=None):
        """The ``Update`` record for the kernels; shares this optimizer's state arrays and a
        one-element step counter (copy ``iterations`` back with ``collect``). ``runs``:
        ``mask_runs(decay)`` when the caller has it already."""
        if self._state is None:
            raise RuntimeError("optimizer not bound to a network yet; call bind()")
        h = self.get_config()
        return Update(self.rule, float(learning_rate), float(h.get("mu", 0.0)),
                      float(h.get("rho", 0.0)), float(h.get("beta1", 0.0)),
                      float(h.get("beta2", 0.0)), float(h.get("eps", 0.0)), float(l2),
                      float(l1), decay, self._state[0], self._state[1],
                      np.array([self.iterations], dtype=np.int64),
                      mask_runs(decay) if runs is None else runs)

    def collect(self, update):
        """Take the step count back from an ``Update`` the kernels have used."""
        self.iterations = int(update.t[0])

    def get_config(self):
        """Hyperparameters as a dict (``type(opt)(**opt.get_config())`` rebuilds it, stateless)."""
        return {"learning_rate": self.learning_rate,
                **{name: getattr(self, name) for name in self.hyperparameters}}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _unit_interval(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
    return float(value)


class SGD(Optimizer):
    r"""Stochastic gradient descent,
    :math:`\theta \leftarrow \theta - \eta\, \partial J/\partial\theta`."""

    name, rule, default_learning_rate = "sgd", SGD_RULE, 0.1


class Momentum(Optimizer):
    r"""Momentum exactly as doc 001 writes it:
    :math:`V = \mu V - \alpha\, \partial J/\partial W;\ W = W + V`."""

    name, rule, default_learning_rate = "momentum", MOMENTUM_RULE, 0.01
    hyperparameters = ("mu",)
    slots = ("velocity", None)

    def __init__(self, learning_rate=None, mu=0.9):
        super().__init__(learning_rate)
        self.mu = _unit_interval("mu", mu)


class Nesterov(Momentum):
    r"""Nesterov's accelerated gradient:
    :math:`V = \mu V - \eta g;\ \theta = \theta + \mu V - \eta g`."""

    name, rule = "nesterov", NESTEROV_RULE


class Adagrad(Optimizer):
    r"""Adagrad: :math:`G = G + g^2;\ \theta = \theta - \eta g / (\sqrt G + \epsilon)`."""

    name, rule, default_learning_rate = "adagrad", ADAGRAD_RULE, 0.01
    hyperparameters = ("eps",)
    slots = (None, "sum_of_squares")

    def __init__(self, learning_rate=None, eps=1e-8):
        super().__init__(learning_rate)
        self.eps = validation.positive_float("eps", eps)


class RMSProp(Optimizer):
    r"""RMSProp:
    :math:`E = \rho E + (1-\rho) g^2;\ \theta = \theta - \eta g / (\sqrt E + \epsilon)`."""

    name, rule, default_learning_rate = "rmsprop", RMSPROP_RULE, 0.001
    hyperparameters = ("rho", "eps")
    slots = (None, "mean_square")

    def __init__(self, learning_rate=None, rho=0.9, eps=1e-8):
        super().__init__(learning_rate)
        self.rho = _unit_interval("rho", rho)
        self.eps = validation.positive_float("eps", eps)


class Adam(Optimizer):
    r"""Adam (Kingma & Ba): bias-corrected first and second moments of the gradient."""

    name, rule, default_learning_rate = "adam", ADAM_RULE, 0.001
    hyperparameters = ("beta1", "beta2", "eps")
    slots = ("first_moment", "second_moment")

    def __init__(self, learning_rate=None, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(learning_rate)
        self.beta1 = _unit_interval("beta1", beta1)
        self.beta2 = _unit_interval("beta2", beta2)
        self.eps = validation.positive_float("eps", eps)


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Nesterov, Adagrad, RMSProp, Adam)}
"""Optimizer classes by the names ``fit(optimizer=...)`` accepts."""


def get(optimizer, learning_rate=None):
    """An optimizer from a name (new instance) or an instance (returned as is)."""
    if isinstance(optimizer, Optimizer):
        if learning_rate is not None:
            optimizer.learning_rate = validation.positive_float("learning_rate", learning_rate)
        return optimizer
    name = validation.choice("optimizer", optimizer, tuple(OPTIMIZERS))
    return OPTIMIZERS[name](learning_rate)

r"""Learning-rate schedules (docs 001 and 003: "the step size usually decreases"), per epoch.

A schedule maps the epoch index ``t`` (0 for the optimizer's first epoch, counted across
``fit`` calls, so training resumed with the same schedule continues it) and the optimizer's
base rate :math:`\eta_0` to the epoch's rate :math:`\eta_t`:

==================  ============================================================  ==================
name                :math:`\eta_t`                                                class
==================  ============================================================  ==================
``"constant"``      :math:`\eta_0`                                                ``Constant()``
``"step"``          :math:`\eta_0 \cdot \gamma^{\lfloor t / s \rfloor}`           ``StepDecay(step_size=10, gamma=0.5)``
``"exponential"``   :math:`\eta_0 \cdot \gamma^{t}`                               ``ExponentialDecay(gamma=0.95)``
``"inverse_time"``  :math:`\eta_0 / (1 + k t)`                                    ``InverseTimeDecay(k=0.1)``
``"cosine"``        :math:`\eta_{min} + (\eta_0 - \eta_{min}) \frac{1 + \cos(\pi \min(t, T) / T)}{2}`  ``Cosine(period=None, min_rate=0)``
==================  ============================================================  ==================

``Cosine(period=None)`` anneals over the epochs the optimizer will have trained when the
current ``fit`` call ends; give ``period`` explicitly when training is resumed in several calls.
"""  # noqa: E501 (the table's rows cannot wrap: a row's math and class stay on one line)
import math
import numbers

from ..core import validation


class Schedule:
    """Base class: ``rate(t, base_rate, horizon)`` is the learning rate of epoch index ``t``;
    ``horizon`` is the epoch count at which the current fit call ends."""

    name = None

    def rate(self, t, base_rate, horizon):
        raise NotImplementedError

    def get_config(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _fraction(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1], got {value!r}")
    if not 0 < value <= 1:
        raise ValueError(f"{name} must lie in (0, 1], got {value!r}")
    return float(value)


class Constant(Schedule):
    r""":math:`\eta_t = \eta_0`."""

    name = "constant"

    def rate(self, t, base_rate, horizon):
        return base_rate


class StepDecay(Schedule):
    r""":math:`\eta_t = \eta_0 \gamma^{\lfloor t/s \rfloor}`: multiply by ``gamma`` every
    ``step_size`` epochs."""

    name = "step"

    def __init__(self, step_size=10, gamma=0.5):
        self.step_size = validation.positive_int("step_size", step_size)
        self.gamma = _fraction("gamma", gamma)

    def rate(self, t, base_rate, horizon):
        return base_rate * self.gamma ** (t // self.step_size)

    def get_config(self):
        return {"step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(Schedule):
    r""":math:`\eta_t = \eta_0 \gamma^t`."""

    name = "exponential"

    def __init__(self, gamma=0.95):
        self.gamma = _fraction("gamma", gamma)

    def rate(self, t, base_rate, horizon):
        return base_rate * self.gamma ** t

    def get_config(self):
        return {"gamma": self.gamma}


class InverseTimeDecay(Schedule):
    r""":math:`\eta_t = \eta_0 / (1 + k t)`."""

    name = "inverse_time"

    def __init__(self, k=0.1):
        if isinstance(k, bool) or not isinstance(k, numbers.Real):
            raise TypeError(f"k must be a non-negative number, got {k!r}")
        if not (math.isfinite(k) and k >= 0):
            raise ValueError(f"k must be a non-negative, finite number, got {k!r}")
        self.k = float(k)

    def rate(self, t, base_rate, horizon):
        return base_rate / (1 + self.k * t)

    def get_config(self):
        return {"k": self.k}


class Cosine(Schedule):
    r"""Cosine annealing from :math:`\eta_0` to ``min_rate`` over ``period`` epochs
    (None: until the end of the current fit call), then ``min_rate``."""

    name = "cosine"

    def __init__(self, period=None, min_rate=0.0):
        self.period = None if period is None else validation.positive_int("period", period)
        if isinstance(min_rate, bool) or not isinstance(min_rate, numbers.Real) \
                or not (math.isfinite(min_rate) and min_rate >= 0):
            raise ValueError(f"min_rate must be a non-negative, finite number, got {min_rate!r}")
        self.min_rate = float(min_rate)

    def rate(self, t, base_rate, horizon):
        period = self.period or horizon
        fraction = min(t, period) / period
        return self.min_rate + (base_rate - self.min_rate) * (1 + math.cos(math.pi * fraction)) / 2

    def get_config(self):
        return {"period": self.period, "min_rate": self.min_rate}


SCHEDULES = {cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, InverseTimeDecay,
                                       Cosine)}
"""Schedule classes by the names ``fit(schedule=...)`` accepts (built with their defaults)."""


def get(schedule):
    """A schedule from None (constant), a name or an instance."""
    if schedule is None:
        return Constant()
    if isinstance(schedule, Schedule):
        return schedule
    if callable(schedule) and not isinstance(schedule, str):
        return _Function(schedule)
    return SCHEDULES[validation.choice("schedule", schedule, tuple(SCHEDULES))]()


class _Function(Schedule):
    """A user function ``f(t, base_rate) -> rate``."""

    name = "function"

    def __init__(self, function):
        self.function = function

    def rate(self, t, base_rate, horizon):
        return self.function(t, base_rate)

"""Hyperparameter checks of the estimators: a ValueError or TypeError naming the parameter.

As in scikit-learn they run in ``fit`` (not ``__init__``), so ``set_params`` and clones keep
whatever they are given until then.
"""
import numbers

import numpy as np

from ..core import validation
from ..core.structure import INITS
from ..engine import ENGINE_NAMES

ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "sigmoid": "sigmoid",
               "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu", "arctan": "arctan"}
"""scikit-learn's activation names (and fastnn's) -> fastnn's hidden activation."""

STOCHASTIC_SOLVERS = ("adam", "sgd", "momentum", "nesterov", "adagrad", "rmsprop")
SOLVERS = ("lbfgs",) + STOCHASTIC_SOLVERS
LEARNING_RATES = ("constant", "invscaling", "adaptive")


def _int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _float(name, value, low, high=None, low_open=False, high_open=True):
    """A finite real number in the interval given (``None``: unbounded above)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    above = value > low if low_open else value >= low
    below = high is None or (value < high if high_open else value <= high)
    if not (np.isfinite(value) and above and below):
        interval = (("(" if low_open else "[") + f"{low}, " +
                    ("inf)" if high is None else f"{high}" + (")" if high_open else "]")))
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return value


def _bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _verbose(value):
    if isinstance(value, (bool, np.bool_, numbers.Integral)):
        return bool(value)
    raise TypeError(f"verbose must be True/False or an integer, got {value!r}")


def _n_iter_no_change(value):
    """A positive integer, or ``np.inf`` (never stop for lack of improvement)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == np.inf:
        return np.inf
    return _int("n_iter_no_change", value, 1)


def hidden_layer_sizes(value):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"hidden_layer_sizes must be an int or a sequence of ints such as "
                        f"(100,) or (64, 32), got {value!r}")
    sizes = list(value)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"hidden_layer_sizes must hold positive integers, got {value!r}")
    return [int(size) for size in sizes]


def checked(est):
    """Every hyperparameter of the estimator ``est``, checked, in a dict."""
    p = {
        "hidden": hidden_layer_sizes(est.hidden_layer_sizes),
        "activation": ACTIVATIONS[validation.choice("activation", est.activation,
                                                    tuple(ACTIVATIONS))],
        "solver": validation.choice("solver", est.solver, SOLVERS),
        "alpha": _float("alpha", est.alpha, 0.0),
        "learning_rate": validation.choice("learning_rate", est.learning_rate, LEARNING_RATES),
        "learning_rate_init": _float("learning_rate_init", est.learning_rate_init, 0.0,
                                     low_open=True),
        "power_t": _float("power_t", est.power_t, 0.0),
        "max_iter": _int("max_iter", est.max_iter, 1),
        "max_fun": _int("max_fun", est.max_fun, 1),
        "shuffle": _bool("shuffle", est.shuffle),
        "tol": _float("tol", est.tol, 0.0),
        "verbose": _verbose(est.verbose),
        "warm_start": _bool("warm_start", est.warm_start),
        "momentum": _float("momentum", est.momentum, 0.0, 1.0, high_open=False),
        "nesterovs_momentum": _bool("nesterovs_momentum", est.nesterovs_momentum),
        "early_stopping": _bool("early_stopping", est.early_stopping),
        "validation_fraction": _float("validation_fraction", est.validation_fraction,
                                      0.0, 1.0, low_open=True),
        "beta_1": _float("beta_1", est.beta_1, 0.0, 1.0),
        "beta_2": _float("beta_2", est.beta_2, 0.0, 1.0),
        "epsilon": _float("epsilon", est.epsilon, 0.0, low_open=True),
        "n_iter_no_change": _n_iter_no_change(est.n_iter_no_change),
        "init": validation.choice("init", est.init, ("sklearn",) + INITS),
        "engine": validation.choice("engine", est.engine, ENGINE_NAMES),
        "dtype": None if est.dtype is None else validation.float_dtype(est.dtype),
    }
    if not (est.batch_size == "auto" or isinstance(est.batch_size, numbers.Integral)
            and not isinstance(est.batch_size, bool)):
        raise TypeError(f"batch_size must be 'auto' or a positive integer, got {est.batch_size!r}")
    if est.batch_size != "auto":
        _int("batch_size", est.batch_size, 1)
    return p

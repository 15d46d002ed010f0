r"""Costs :math:`C_x` of one sample and their output deltas
:math:`\delta^L = \partial C_x/\partial s^L` (BP1).

The network's cost is the mean over the samples given, :math:`J = \frac1m \sum_x C_x`.

========================  =================================================  ====================
name                      :math:`C_x`                                        valid output
========================  =================================================  ====================
``"quadratic"``           :math:`\frac12 \sum_j (a_j - y_j)^2`               any
``"cross_entropy"``       :math:`-\sum_j [y_j \ln a_j + (1-y_j)\ln(1-a_j)]`  sigmoid
``"log_likelihood"``      :math:`-\ln a_y = -\sum_j y_j \ln a_j`             softmax
========================  =================================================  ====================

The quadratic cost carries the factor :math:`\frac12` (as document 001's
:math:`J = \frac12(p - a)^2`), so :math:`\partial C_x/\partial a_j = a_j - y_j`. 3Blue1Brown
(document 002) and document 003 square the difference without it, :math:`C_0 = (a - y)^2`,
whose gradient :math:`2(a - y)` is twice fastnn's: multiply fastnn's quadratic-cost
gradients by 2 to compare with theirs (``docs/notation.md``, "Costs and the factor 2").

Both log costs are evaluated from the weighted input ``s`` in overflow-safe forms:
:math:`-[y\ln\sigma(s) + (1-y)\ln(1-\sigma(s))] = \mathrm{softplus}(s) - y s` and
:math:`-\sum_j y_j \ln \mathrm{softmax}(s)_j = \sum_j y_j (\mathrm{logsumexp}(s) - s_j)`.
"""
import numpy as np
from numba import njit

from . import activations, fastmath
from ._numba import SCALAR_JIT, typed

QUADRATIC, CROSS_ENTROPY, LOG_LIKELIHOOD = range(3)
CODES = {"quadratic": QUADRATIC, "cross_entropy": CROSS_ENTROPY,
         "log_likelihood": LOG_LIKELIHOOD}
REQUIRED_OUTPUT = {"cross_entropy": "sigmoid", "log_likelihood": "softmax"}
"""Output activation each log cost is defined for (and for which ``delta = a - y`` holds)."""


@njit(**SCALAR_JIT)
def _softplus(s):
    """ln(1 + e^s), without overflow for large |s|."""
    return max(s, typed(s, 0.0)) + fastmath.log1p(fastmath.exp(-abs(s)))


@njit(**SCALAR_JIT)
def cost_of_sample(cost, s, a, y):
    r"""Per-sample cost :math:`C_x` from one row of ``s``, ``a`` and targets ``y``."""
    c = typed(s[0], 0.0)
    if cost == CROSS_ENTROPY:
        for j in range(s.shape[0]):
            c += _softplus(s[j]) - y[j] * s[j]
    elif cost == LOG_LIKELIHOOD:
        s_max = s[0]
        for j in range(s.shape[0]):
            s_max = max(s_max, s[j])
        total = typed(s[0], 0.0)
        for j in range(s.shape[0]):
            total += fastmath.exp(s[j] - s_max)
        log_sum_exp = s_max + fastmath.log(total)
        for j in range(s.shape[0]):
            c += y[j] * (log_sum_exp - s[j])
    else:
        for j in range(s.shape[0]):
            c += (a[j] - y[j]) * (a[j] - y[j])
        c *= typed(s[0], 0.5)
    return c


@njit(**SCALAR_JIT)
def output_delta_of_sample(cost, output, s, a, y, delta):
    r"""BP1 for one sample: :math:`\delta^L_j = \partial C_x/\partial a^L_j \cdot f'(s^L_j)`.

    For (cross_entropy, sigmoid) and (log_likelihood, softmax) the product simplifies to
    :math:`\delta^L_j = a_j - y_j`; that shortcut is valid for exactly these two pairs, which
    the Network enforces. Quadratic cost with a softmax output needs the softmax Jacobian:
    :math:`\delta_j = a_j \left((a_j - y_j) - \sum_i (a_i - y_i) a_i\right)`.
    """
    n = s.shape[0]
    if cost == CROSS_ENTROPY or cost == LOG_LIKELIHOOD:
        for j in range(n):
            delta[j] = a[j] - y[j]
    elif output == activations.SOFTMAX:
        g_dot_a = typed(s[0], 0.0)
        for j in range(n):
            g_dot_a += (a[j] - y[j]) * a[j]
        for j in range(n):
            delta[j] = a[j] * ((a[j] - y[j]) - g_dot_a)
    else:
        for j in range(n):
            delta[j] = (a[j] - y[j]) * activations.f_prime(output, s[j], a[j])


# --- vectorised NumPy forms (reference engine) -------------------------------------------

def _softplus_np(s):
    return np.maximum(s, 0) + np.log1p(np.exp(-np.abs(s)))


def _log_likelihood_np(s, a, y):
    s_max = s.max(axis=1, keepdims=True)
    log_sum_exp = s_max + np.log(np.exp(s - s_max).sum(axis=1, keepdims=True))
    return (y * (log_sum_exp - s)).sum(axis=1)


NUMPY_COST = {
    # name: C_x for every row, shape (m,)
    "quadratic": lambda s, a, y: 0.5 * ((a - y) ** 2).sum(axis=1),
    "cross_entropy": lambda s, a, y: (_softplus_np(s) - y * s).sum(axis=1),
    "log_likelihood": _log_likelihood_np,
}


def numpy_output_delta(cost, output, s, a, y):
    """BP1 for a batch, rows are samples; see ``output_delta_of_sample``."""
    if cost in REQUIRED_OUTPUT:
        return a - y  # valid for (cross_entropy, sigmoid) and (log_likelihood, softmax)
    g = a - y
    if output == "softmax":
        return a * (g - (g * a).sum(axis=1, keepdims=True))
    return g * activations.NUMPY[output][1](s, a)

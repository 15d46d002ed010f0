r"""Activation functions ``f`` and their derivatives ``f'``, side by side.

Each activation exists twice: a scalar form compiled with numba (used inside the loop
kernels, once per neuron, never inside a k-loop) and a vectorised NumPy form (used by the
reference engine). Activations are chosen by name; the compiled kernels receive the integer
``code`` of the name, because numba cannot dispatch on strings cheaply.

Derivatives are written in terms of the activation's output ``a`` where that is cheaper
(sigmoid: :math:`\sigma' = \sigma(1-\sigma)`, tanh: :math:`1 - a^2`), otherwise in terms of
the weighted input ``s``.

``softmax`` couples the neurons of a layer, :math:`a_j = e^{s_j} / \sum_i e^{s_i}`, so it is
allowed for the output layer only and is applied row by row (see ``kernels.activate``);
its Jacobian is only ever needed through the output delta (``costs``).
"""
import numpy as np
from numba import njit

from . import fastmath
from ._numba import JIT, SCALAR_JIT, typed

IDENTITY, SIGMOID, TANH, RELU, LEAKY_RELU, ARCTAN, SOFTMAX = range(7)
CODES = {
    "identity": IDENTITY,
    "sigmoid": SIGMOID,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "arctan": ARCTAN,
    "softmax": SOFTMAX,
}
HIDDEN_NAMES = tuple(name for name in CODES if name != "softmax")
OUTPUT_NAMES = tuple(CODES)
LEAKY_SLOPE = 0.01
"""Slope of ``leaky_relu`` for negative weighted input."""


@njit(**dict(JIT, forceinline=True))
def f(code, s):
    r"""Elementwise activation :math:`a = f(s)` for every code except ``SOFTMAX``.

    The sigmoid is evaluated in its overflow-safe form: :math:`1/(1+e^{-s})` for
    :math:`s \ge 0` and :math:`e^{s}/(1+e^{s})` otherwise. Always inlined (LLVM's
    ``alwaysinline``, its own flags kept): a loop that calls it with a constant code, as the
    population lanes do, is then a loop over one formula, and vectorises.
    """
    one = typed(s, 1.0)
    if code == SIGMOID:
        if s >= 0:
            return one / (one + fastmath.exp(-s))
        e = fastmath.exp(s)
        return e / (one + e)
    if code == TANH:
        return fastmath.tanh(s)
    if code == RELU:
        return s if s > 0 else typed(s, 0.0)
    if code == LEAKY_RELU:
        return s if s > 0 else typed(s, LEAKY_SLOPE) * s
    if code == ARCTAN:
        return np.arctan(s)
    return s  # IDENTITY


@njit(**dict(SCALAR_JIT, forceinline=True))
def f_prime(code, s, a):
    r"""Derivative :math:`f'(s)`, given both ``s`` and ``a = f(s)`` (elementwise codes only).
    Strict and always inlined, like ``f``."""
    one = typed(s, 1.0)
    if code == SIGMOID:
        return a * (one - a)
    if code == TANH:
        return one - a * a
    if code == RELU:
        return one if s > 0 else typed(s, 0.0)
    if code == LEAKY_RELU:
        return one if s > 0 else typed(s, LEAKY_SLOPE)
    if code == ARCTAN:
        return one / (one + s * s)
    return one  # IDENTITY


# --- vectorised NumPy forms (reference engine) -------------------------------------------

def _sigmoid(s):
    out = np.empty_like(s)
    pos = s >= 0
    out[pos] = 1 / (1 + np.exp(-s[pos]))
    e = np.exp(s[~pos])
    out[~pos] = e / (1 + e)
    return out


def _softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _leaky_relu(s):
    return np.where(s > 0, s, s * s.dtype.type(LEAKY_SLOPE))


NUMPY = {
    # name: (f(s), f'(s, a))
    "identity": (lambda s: s.copy(), lambda s, a: np.ones_like(s)),
    "sigmoid": (_sigmoid, lambda s, a: a * (1 - a)),
    "tanh": (np.tanh, lambda s, a: 1 - a * a),
    "relu": (lambda s: np.maximum(s, 0), lambda s, a: (s > 0).astype(s.dtype)),
    "leaky_relu": (_leaky_relu,
                   lambda s, a: np.where(s > 0, 1, LEAKY_SLOPE).astype(s.dtype)),
    "arctan": (np.arctan, lambda s, a: 1 / (1 + s * s)),
    "softmax": (_softmax, None),  # Jacobian used only through the output delta
}

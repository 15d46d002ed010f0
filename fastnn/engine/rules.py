r"""Update rules, kept apart from the layers: an optimizer owns its state (velocities,
moments), the network owns the parameters.

Every rule is one loop over the flat parameter vector ``theta`` (the per-weight loop of the
documents), ``g_i`` the backpropagated gradient of the batch mean cost plus the gradient of
the penalty (see below), :math:`\eta` the learning rate of the epoch:

===========  ===============================================================================
rule         per parameter i
===========  ===============================================================================
SGD          :math:`\theta_i \leftarrow \theta_i - \eta g_i`
Momentum     :math:`V_i \leftarrow \mu V_i - \eta g_i;\ \theta_i \leftarrow \theta_i + V_i`
             (doc 001)
Nesterov     :math:`V_i \leftarrow \mu V_i - \eta g_i;`
             :math:`\theta_i \leftarrow \theta_i + \mu V_i - \eta g_i`
Adagrad      :math:`G_i \leftarrow G_i + g_i^2;`
             :math:`\theta_i \leftarrow \theta_i - \eta g_i / (\sqrt{G_i} + \epsilon)`
RMSProp      :math:`E_i \leftarrow \rho E_i + (1-\rho) g_i^2;`
             :math:`\theta_i \leftarrow \theta_i - \eta g_i / (\sqrt{E_i} + \epsilon)`
Adam         :math:`m_i \leftarrow \beta_1 m_i + (1-\beta_1) g_i;`
             :math:`v_i \leftarrow \beta_2 v_i + (1-\beta_2) g_i^2;`
             :math:`\theta_i \leftarrow \theta_i - \eta \hat m_i / (\sqrt{\hat v_i} + \epsilon)`,
             :math:`\hat m_i = m_i / (1-\beta_1^t)`, :math:`\hat v_i = v_i / (1-\beta_2^t)`,
             t the step count
===========  ===============================================================================

Nesterov is written in its look-ahead-free form (Bengio et al. 2013): with the gradient taken
at the current parameters, :math:`\theta + \mu V_{new} - \eta g` equals Sutskever's update
with the gradient taken at the look-ahead point :math:`\theta + \mu V`, in shifted variables.

Regularisation enters every rule through ``g_i``. For a weight (never a bias), with n the
training-set size: L2 (Nielsen's :math:`\frac{\lambda}{2n}\sum w^2`) adds
:math:`\frac{\lambda}{n} w_i`, L1 (:math:`\frac{\lambda_1}{n}\sum |w|`) adds
:math:`\frac{\lambda_1}{n}\,\mathrm{sign}(w_i)`. ``Update.decay`` marks the weights.

The compiled kernels take one ``Update`` (a namedtuple: rule code, hyperparameters, state
arrays); ``step`` dispatches on the rule to one loop per rule over a range of parameters, in
which parameter i writes only ``theta[i]`` and its own state entries. Large vectors are
updated in parallel blocks that each thread owns, so the result does not depend on the number
of threads. Each kernel exists as a vectorised NumPy form too (``numpy_step``),
the reference the tests hold the loops to.
"""
from collections import namedtuple

import numpy as np
from numba import njit, prange

from ..core._numba import FALSE, JIT, PARALLEL_JIT, TRUE, ZERO

EXACT_JIT = dict(JIT, fastmath=False)
EXACT_PARALLEL_JIT = dict(PARALLEL_JIT, fastmath=False)
"""The update loops are elementwise: they vectorise without fastmath, and with it (``afn``,
``arcp``, ``contract``) a parameter could be rounded differently in a SIMD lane than in the
scalar remainder loop, whose position moves with the number of threads, breaking the
same-bits-for-any-thread-count guarantee (seen with Adam's division and square root)."""

SGD_RULE, MOMENTUM_RULE, NESTEROV_RULE, ADAGRAD_RULE, RMSPROP_RULE, ADAM_RULE = range(6)

Update = namedtuple("Update", ["rule", "learning_rate", "mu", "rho", "beta1", "beta2", "eps",
                               "l2", "l1", "decay", "v", "s", "t", "runs"])
"""Everything a step kernel needs. ``rule`` int code; ``learning_rate``, ``mu``, ``rho``,
``beta1``, ``beta2``, ``eps`` float; ``l2``, ``l1`` the per-weight penalty coefficients
:math:`\\lambda/n` and :math:`\\lambda_1/n`; ``decay`` uint8 (n_parameters,), 1 for weights and
0 for biases; ``v``, ``s`` first and second state arrays in theta's dtype (length 0 when the
rule has none); ``t`` int64 (1,), the number of steps taken (incremented by ``step``);
``runs`` int64 (k, 3), the maximal runs ``[start, stop, is_weight]`` of ``decay``."""

WEIGHT = np.uint8(1)
"""``decay``'s mark of a weight, for kernels that call ``penalised`` on weights only (typed
uint8 like ``decay[i]``: one compiled form of ``penalised``)."""


# --- compiled per-weight kernels -----------------------------------------------------------

@njit(**EXACT_JIT)
def penalised(theta_i, grad_i, decay_i, l2, l1):
    r"""The penalised gradient of a weight (``decay_i`` = 1),

    .. math::

        g_i = \partial J/\partial\theta_i + \frac{\lambda}{n}\theta_i
        + \frac{\lambda_1}{n}\mathrm{sign}(\theta_i);

    the plain gradient for a bias."""
    g = grad_i
    if decay_i:
        g += l2 * theta_i
        if theta_i > 0:
            g += l1
        elif theta_i < 0:
            g -= l1
    return g


@njit(**EXACT_PARALLEL_JIT)
def add_penalty_gradient(theta, grad, decay, l2, l1):
    """``grad += gradient of the penalty`` (weights only): the gradient of the regularised
    cost, from the same per-weight function the update rules use."""
    l2, l1 = theta.dtype.type(l2), theta.dtype.type(l1)
    for i in prange(theta.shape[0]):
        grad[i] = penalised(theta[i], grad[i], decay[i], l2, l1)


@njit(**EXACT_PARALLEL_JIT)
def sgd_step(theta, grad, learning_rate):
    r"""Plain SGD :math:`\theta_i \leftarrow \theta_i - \eta\, g_i`, no penalty; parallel over i."""
    eta = theta.dtype.type(learning_rate)
    for i in prange(theta.shape[0]):
        theta[i] -= eta * grad[i]


PARALLEL_PARAMETERS = 1 << 20
"""From this many parameters the update runs in parallel, in blocks of ``BLOCK`` that each
thread owns; below it one serial pass is faster than waking the threads (a 79,510-parameter
Momentum step: ~50 us serial, and a parallel region costs more than it saves, much more
when the cores are busy with other work)."""
BLOCK = 1 << 16


@njit(**EXACT_JIT)
def _sign_times(l1, w):
    r""":math:`\lambda_1 \mathrm{sign}(w)` as a select (vectorises; sign(0) = 0)."""
    return l1 if w > 0 else (-l1 if w < 0 else l1 - l1)


@njit(**EXACT_JIT)
def _sgd(u, theta, grad, lo, hi, penalise):
    r""":math:`\theta_i \leftarrow \theta_i - \eta g_i` for i in [lo, hi)."""
    f = theta.dtype.type
    eta, l2, l1 = f(u.learning_rate), f(u.l2), f(u.l1)
    w, dw = theta[lo:hi], grad[lo:hi]  # views: the loop index is then provably >= 0 (SIMD)
    for i in range(w.shape[0]):
        g = dw[i]
        if penalise:
            g += l2 * w[i] + _sign_times(l1, w[i])
        w[i] -= eta * g


@njit(**EXACT_JIT)
def _momentum(u, theta, grad, lo, hi, penalise, nesterov):
    r"""Momentum (doc 001):
    :math:`V_i \leftarrow \mu V_i - \eta g_i;\ \theta_i \leftarrow \theta_i + V_i`;
    Nesterov: :math:`\theta_i \leftarrow \theta_i + \mu V_i - \eta g_i` with the new V."""
    f = theta.dtype.type
    eta, mu, l2, l1 = f(u.learning_rate), f(u.mu), f(u.l2), f(u.l1)
    w, dw, V = theta[lo:hi], grad[lo:hi], u.v[lo:hi]
    for i in range(w.shape[0]):
        g = dw[i]
        if penalise:
            g += l2 * w[i] + _sign_times(l1, w[i])
        V[i] = mu * V[i] - eta * g
        if nesterov:
            w[i] += mu * V[i] - eta * g
        else:
            w[i] += V[i]


@njit(**EXACT_JIT)
def _adagrad(u, theta, grad, lo, hi, penalise):
    r"""Adagrad: :math:`G_i \leftarrow G_i + g_i^2;`
    :math:`\theta_i \leftarrow \theta_i - \eta g_i/(\sqrt{G_i}+\epsilon)`."""
    f = theta.dtype.type
    eta, eps, l2, l1 = f(u.learning_rate), f(u.eps), f(u.l2), f(u.l1)
    w, dw, G = theta[lo:hi], grad[lo:hi], u.s[lo:hi]
    for i in range(w.shape[0]):
        g = dw[i]
        if penalise:
            g += l2 * w[i] + _sign_times(l1, w[i])
        G[i] += g * g
        w[i] -= eta * g / (np.sqrt(G[i]) + eps)


@njit(**EXACT_JIT)
def _rmsprop(u, theta, grad, lo, hi, penalise):
    r"""RMSProp: :math:`E_i \leftarrow \rho E_i + (1-\rho) g_i^2;`
    :math:`\theta_i \leftarrow \theta_i - \eta g_i/(\sqrt{E_i}+\epsilon)`."""
    f = theta.dtype.type
    eta, rho, eps, l2, l1 = f(u.learning_rate), f(u.rho), f(u.eps), f(u.l2), f(u.l1)
    one_minus_rho = f(1.0 - u.rho)
    w, dw, E = theta[lo:hi], grad[lo:hi], u.s[lo:hi]
    for i in range(w.shape[0]):
        g = dw[i]
        if penalise:
            g += l2 * w[i] + _sign_times(l1, w[i])
        E[i] = rho * E[i] + one_minus_rho * g * g
        w[i] -= eta * g / (np.sqrt(E[i]) + eps)


@njit(**EXACT_JIT)
def _adam(u, theta, grad, lo, hi, penalise):
    r"""Adam with bias-corrected moments :math:`\hat m = m/(1-\beta_1^t)`,
    :math:`\hat v = v/(1-\beta_2^t)`."""
    f = theta.dtype.type
    t = u.t[0]
    eta, eps, l2, l1 = f(u.learning_rate), f(u.eps), f(u.l2), f(u.l1)
    beta1, beta2 = f(u.beta1), f(u.beta2)
    one_minus_beta1, one_minus_beta2 = f(1.0 - u.beta1), f(1.0 - u.beta2)
    correct1, correct2 = f(1.0 / (1.0 - u.beta1 ** t)), f(1.0 / (1.0 - u.beta2 ** t))
    w, dw, m, v = theta[lo:hi], grad[lo:hi], u.v[lo:hi], u.s[lo:hi]
    for i in range(w.shape[0]):
        g = dw[i]
        if penalise:
            g += l2 * w[i] + _sign_times(l1, w[i])
        m[i] = beta1 * m[i] + one_minus_beta1 * g
        v[i] = beta2 * v[i] + one_minus_beta2 * g * g
        w[i] -= eta * (m[i] * correct1) / (np.sqrt(v[i] * correct2) + eps)


@njit(**EXACT_JIT)
def _rule(u, theta, grad, lo, hi, penalise):
    """The rule ``u.rule`` over parameters [lo, hi)."""
    if u.rule == SGD_RULE:
        _sgd(u, theta, grad, lo, hi, penalise)
    elif u.rule == MOMENTUM_RULE:
        _momentum(u, theta, grad, lo, hi, penalise, FALSE)
    elif u.rule == NESTEROV_RULE:
        _momentum(u, theta, grad, lo, hi, penalise, TRUE)
    elif u.rule == ADAGRAD_RULE:
        _adagrad(u, theta, grad, lo, hi, penalise)
    elif u.rule == RMSPROP_RULE:
        _rmsprop(u, theta, grad, lo, hi, penalise)
    else:
        _adam(u, theta, grad, lo, hi, penalise)


@njit(**EXACT_JIT)
def step_range(u, theta, grad, lo, hi):
    """One update of parameters [lo, hi). With a penalty the range is walked run by run
    (``u.runs``: weights penalised, biases not), so no inner loop tests a mask."""
    if u.l2 == 0 and u.l1 == 0:
        _rule(u, theta, grad, lo, hi, FALSE)
        return
    for r in range(u.runs.shape[0]):
        a, b = max(lo, u.runs[r, 0]), min(hi, u.runs[r, 1])
        if a < b:
            _rule(u, theta, grad, a, b, u.runs[r, 2] == 1)


@njit(**EXACT_PARALLEL_JIT)
def _step_blocks(u, theta, grad):
    """``step_range`` over blocks of ``BLOCK`` parameters in parallel; block ``q`` owns
    parameters [q BLOCK, (q+1) BLOCK) and their state."""
    n = theta.shape[0]
    for q in prange((n + BLOCK - 1) // BLOCK):
        step_range(u, theta, grad, q * BLOCK, min(n, (q + 1) * BLOCK))


@njit(**EXACT_JIT)
def step(u, theta, grad):
    """One update of ``theta`` from the gradient ``grad`` by the rule ``u.rule``; counts the
    step in ``u.t``. Called once per mini-batch by the compiled training loops. Every
    parameter gets the same arithmetic on either path, so the bits do not depend on the
    number of threads."""
    u.t[0] += 1
    if theta.shape[0] >= PARALLEL_PARAMETERS:
        _step_blocks(u, theta, grad)
    else:
        step_range(u, theta, grad, ZERO, theta.shape[0])


# --- vectorised NumPy forms (reference engine) ---------------------------------------------

def numpy_add_penalty_gradient(theta, grad, decay, l2, l1):
    """``grad += gradient of the penalty`` (weights only), vectorised."""
    f = theta.dtype.type
    if l2 or l1:
        grad += decay.astype(bool) * (f(l2) * theta + f(l1) * np.sign(theta))


def numpy_penalised(u, theta, grad):
    """The penalised gradient of every parameter, vectorised (see ``penalised``)."""
    g = grad.copy()
    numpy_add_penalty_gradient(theta, g, u.decay, u.l2, u.l1)
    return g


def penalty(theta, decay, l2, l1, n):
    r"""The penalty :math:`\frac{\lambda}{2n}\sum w^2 + \frac{\lambda_1}{n}\sum |w|` over the
    weights (``decay`` = 1), in float64."""
    w = theta[decay.astype(bool)].astype(np.float64)
    return float(l2 / (2 * n) * np.dot(w, w) + l1 / n * np.abs(w).sum())


def numpy_step(u, theta, grad):
    """The rule ``u.rule`` as whole-array NumPy operations, in place on ``theta`` and state."""
    f = theta.dtype.type
    u.t[0] += 1
    g = numpy_penalised(u, theta, grad)
    eta = f(u.learning_rate)
    if u.rule == SGD_RULE:
        theta -= eta * g
    elif u.rule in (MOMENTUM_RULE, NESTEROV_RULE):
        u.v[...] = f(u.mu) * u.v - eta * g
        theta += f(u.mu) * u.v - eta * g if u.rule == NESTEROV_RULE else u.v
    elif u.rule == ADAGRAD_RULE:
        u.s[...] += g * g
        theta -= eta * g / (np.sqrt(u.s) + f(u.eps))
    elif u.rule == RMSPROP_RULE:
        u.s[...] = f(u.rho) * u.s + f(1 - u.rho) * g * g
        theta -= eta * g / (np.sqrt(u.s) + f(u.eps))
    else:
        t = int(u.t[0])
        u.v[...] = f(u.beta1) * u.v + f(1 - u.beta1) * g
        u.s[...] = f(u.beta2) * u.s + f(1 - u.beta2) * g * g
        m_hat = u.v * f(1 / (1 - u.beta1 ** t))
        v_hat = u.s * f(1 / (1 - u.beta2 ** t))
        theta -= eta * m_hat / (np.sqrt(v_hat) + f(u.eps))


def mask_runs(decay):
    """int64 (k, 3): the maximal runs ``[start, stop, value]`` of the 0/1 array ``decay``."""
    decay = np.asarray(decay)
    if decay.size == 0:
        return np.zeros((0, 3), dtype=np.int64)
    edges = np.flatnonzero(np.diff(decay.astype(np.int8))) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [decay.size]])
    return np.stack([starts, stops, decay[starts].astype(np.int64)], axis=1).astype(np.int64)


def scratch_copy(update):
    """The same ``Update`` over copies of its state arrays (for compiling on throwaway data)."""
    return update._replace(v=update.v.copy(), s=update.s.copy(), t=update.t.copy())

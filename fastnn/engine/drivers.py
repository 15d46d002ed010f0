"""Compiled drivers: whole loops over mini-batches, so no Python runs per batch.

``train_epoch``, ``predict``, ``gradients`` and ``evaluate`` chain ``kernels.forward_pass``
and ``kernels.backward_pass`` over the batches of an epoch (or chunks of a data set), over
workspaces the engine allocated once (``kernels.make_workspace``): no allocation per batch.
``predict``, ``gradients`` and ``evaluate`` walk the rows in chunks with ``chunks.chunk_loop``.
"""
from collections import namedtuple

import numpy as np
from numba import njit

from ..core._numba import FALSE, GLUE_JIT, JIT, ZERO
from ..core.metrics import count_correct
from . import rules
from .chunks import chunk_loop
from .kernels import add_output_costs, backward_pass, forward_pass, layer_of, weight_total


@njit(**JIT)
def train_epoch(theta, grad, arch, work, X, Y, order, batch_size, update, accuracy_mode, weights):
    """One epoch of mini-batch training over the samples in ``order``.

    For each batch of (up to) ``batch_size`` samples: gather the rows, forward pass, BP1-BP4
    (``grad`` = gradient of the batch mean cost), then one step of the update rule
    ``update`` (an ``rules.Update``: rule, hyperparameters, penalty, state), e.g. SGD
    :math:`\\theta \\leftarrow \\theta - \\eta \\nabla J`. Returns the sum of the per-sample
    costs (each measured before its batch's update) and the number of correct predictions.
    Stops early, after the batch concerned, once the summed cost is no longer finite (the
    caller raises ``TrainingDiverged``). Sample weights :math:`v` (``weights``, one per row of
    ``X``, or empty for none) weight BP1 and the costs, and the gradient is the batch's
    weighted mean (``kernels.backward_pass``).
    """
    n = order.shape[0]
    loss = 0.0
    correct = 0
    a_in_all = layer_of(work.A, arch, work, ZERO, batch_size)
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        a_in = a_in_all[:m]
        y = work.y[:m]
        for x in range(m):
            a_in[x, :] = X[order[start + x]]
            y[x, :] = Y[order[start + x]]
        forward_pass(theta, arch, work, a_in, m)
        # divided at the call, as 1/m was (see fast_drivers.weigh_output_delta)
        weight_sum = float(m)
        if weights.shape[0] > 0:
            weight_sum = 0.0
            for x in range(m):
                weight_sum += weights[order[start + x]]
            if weight_sum == 0:
                weight_sum = 1.0
        backward_pass(theta, grad, arch, work, a_in, y, m, 1.0 / weight_sum, FALSE, weights,
                      order, start)
        for x in range(m):
            loss += work.sample_cost[x]
        output = layer_of(work.A, arch, work, arch.sizes.shape[0] - 1, m)
        correct += count_correct(accuracy_mode, output, y)
        if not np.isfinite(loss):
            break
        rules.step(update, theta, grad)
    return loss, correct


PredictJob = namedtuple("PredictJob", "theta arch work X out")
GradientsJob = namedtuple("GradientsJob", "theta grad arch work X Y weights rows scale")
EvaluateJob = namedtuple("EvaluateJob", "theta arch work X Y accuracy_mode")
"""The arrays of one ``predict``, ``gradients`` or ``evaluate`` call, walked in chunks of the
workspace's capacity by ``chunks.chunk_loop`` (their steps below)."""


@njit(**GLUE_JIT)
def _predict_rows(job, start, m, total):
    """Forward pass of rows ``start .. start+m``; their output activations into ``out``."""
    forward_pass(job.theta, job.arch, job.work, job.X[start:start + m], m)
    L = job.arch.sizes.shape[0] - 1
    job.out[start:start + m] = layer_of(job.work.A, job.arch, job.work, L, m)
    return total


@njit(**GLUE_JIT)
def _gradient_rows(job, start, m, loss):
    """Forward and backward pass of rows ``start .. start+m``, their gradient (times
    ``scale``) added to ``grad`` (written by the first chunk); ``loss`` plus their costs."""
    work = job.work
    forward_pass(job.theta, job.arch, work, job.X[start:start + m], m)
    backward_pass(job.theta, job.grad, job.arch, work, job.X[start:start + m],
                  job.Y[start:start + m], m, job.scale, start > 0, job.weights, job.rows, start)
    for x in range(m):
        loss += work.sample_cost[x]
    return loss


@njit(**GLUE_JIT)
def _evaluate_rows(job, start, m, total):
    """Forward pass of rows ``start .. start+m``; (summed cost, correct count) plus theirs."""
    forward_pass(job.theta, job.arch, job.work, job.X[start:start + m], m)
    return add_output_costs(job.arch, job.work, job.Y[start:start + m], m, job.accuracy_mode,
                            total)


_predict_loop = chunk_loop(_predict_rows)
_gradient_loop = chunk_loop(_gradient_rows)
_evaluate_loop = chunk_loop(_evaluate_rows)


@njit(**JIT)
def predict(theta, arch, work, X, out):
    """Output activations of every row of ``X`` into ``out``, in chunks of the workspace size."""
    _predict_loop(PredictJob(theta, arch, work, X, out), X.shape[0], work.y.shape[0], ZERO)


@njit(**JIT)
def gradients(theta, grad, arch, work, X, Y, weights, rows):
    """Gradient of the mean cost over all rows of ``X`` into ``grad``; returns the summed cost
    (weighted means and sums with ``weights``, ``rows`` = arange(n), as
    ``fast_drivers.gradients``)."""
    n = X.shape[0]
    job = GradientsJob(theta, grad, arch, work, X, Y, weights, rows,
                       1.0 / weight_total(weights, n))
    return _gradient_loop(job, n, work.y.shape[0], 0.0)


@njit(**JIT)
def evaluate(theta, arch, work, X, Y, accuracy_mode):
    """Summed cost and number of correct predictions over all rows of ``X``."""
    return _evaluate_loop(EvaluateJob(theta, arch, work, X, Y, accuracy_mode), X.shape[0],
                          work.y.shape[0], (0.0, 0))

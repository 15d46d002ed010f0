r"""The loop engine's fast batch loops: ``drivers`` with the kernels of ``fast_kernels``.

Same loops as ``drivers`` (gather a batch, forward pass, BP1, BP2-BP4 from the last layer
back, update), same results up to rounding, with four differences:

* each layer's kernels run either in parallel (``prange`` over blocks of neurons) or serially,
  as the ``Plan`` says; the engine decides by work size (``parallel_layers``). Both
  drivers run the same block code, so the choice never changes a bit of the result;
* BP2 reads a transposed copy of the weights (``Plan.wT``), made just before it, so its
  tile kernel walks memory with unit stride, serial or parallel alike (layers under
  ``DIRECT_BP2`` weights skip the copy and use the direct loop, whatever the plan);
* a network whose every layer is at most ``fast_kernels.NARROW`` wide runs the ordered
  kernels instead (``ordered``): every sum in the order of its index, on the calling thread,
  the order the population lanes reproduce bit for bit;
* with plain SGD (``rules.SGD_RULE``, L1/L2 penalty included) the update is fused into
  BP3/BP4: each block of weight rows is updated in place as its gradient is summed, and the
  gradient is never stored. Every other rule gets the gradient in ``grad`` and then its own
  ``rules.step``. BP2 of layer l reads :math:`w^l` before that layer is updated;
* a batch's forward pass runs at the end of the previous batch's update, and with plain SGD
  its first layer is fused into that layer's step (``fast_kernels.sgd_then_weighted_sum_group``:
  each block of rows is updated and then used for the next batch while still in L1, one
  parallel region instead of two). The inputs alternate between two buffers.
"""
from collections import namedtuple

import numpy as np
from numba import njit

from ..core import activations, costs
from ..core._numba import FALSE, GLUE_JIT, JIT, ONE, ZERO
from ..core.metrics import count_correct
from . import fast_kernels as fk
from . import rules
from .chunks import chunk_loop
from .kernels import _matrix, biases_of, layer_of, weight_total, weights_of

Plan = namedtuple("Plan", ["parallel", "width", "wT"])
"""How the fast drivers run each layer: ``parallel`` uint8 (L+1,), 1 where layer l's kernels
(its weighted sum, BP2 into layer l-1, BP3/BP4) run in ``prange`` over groups of neurons;
``width`` int64 (L+1,), the blocks per group for the kernels that own layer l's neurons (its
weighted sum and BP3/BP4, and BP2 from layer l+1), from ``group_width``;
``wT`` a buffer the size of theta for transposed weights (layer l's at ``arch.w_off[l]``)."""

PARALLEL_WORK = 100_000
"""Multiply-adds (samples x n_in x n_out) from which a layer runs in parallel, when the engine
is not told otherwise: ``NumbaEngine`` derives its own threshold from the parallel-region
cost it measures at first use and the thread count (``numba_engine.parallel_work``), which
gives this value on the machine it was measured on. Measured on the
shared 2-core machine (numba's omp layer): a parallel region costs ~1.5 us when the other
core is free, about what one core does in 2e4 multiply-adds. In interleaved A/B runs of
whole epochs (median of 9) the first layer of [784, 30, 10] at batch 10 (2.4e5
multiply-adds) ran ~10-20% faster on two threads, and of [784, 100, 10] ~20-60% faster;
per-sample SGD on [784, 30, 10] (2.4e4) did not gain, so it and the output layers stay
serial. A region waits for its second thread, so a core busy with another process (or with
another library's spinning worker threads) costs far more."""


DIRECT_BP2 = 4096
"""Below this many weights, BP2 reads :math:`w^l` directly instead of a transposed copy (the
copy and the tile's reduction epilogue cost more than they save on, say, a 30 x 10 layer).
Decided by the shape alone: serial or parallel, any thread count, the same arithmetic."""


def group_width(sizes, threads):
    """The ``Plan.width`` of every layer: blocks of neurons per group, at most
    ``fast_kernels.GROUP``, and as even a split as the layer allows into a multiple of
    ``threads`` groups, so that prange's equal shares of groups are equal shares of work
    (100 neurons = 25 blocks on two threads: four groups of 7, 7, 7 and 4 blocks, not 8, 8, 8
    and 1). The width changes only which thread computes a row, never its value."""
    blocks = (np.asarray(sizes, dtype=np.int64) + fk.BLOCK - 1) // fk.BLOCK
    groups = threads * -(-blocks // (threads * fk.GROUP))
    return np.maximum(-(-blocks // groups), 1).astype(np.int64)


def parallel_layers(sizes, m, threads, threshold=PARALLEL_WORK):
    """The ``Plan.parallel`` flags for batches of ``m`` samples on ``threads`` threads (none
    for a network the ordered kernels train: they run on the calling thread)."""
    flags = np.zeros(len(sizes), dtype=np.uint8)
    if threads > 1 and max(int(s) for s in sizes) > fk.NARROW:
        for l in range(1, len(sizes)):
            flags[l] = m * int(sizes[l]) * int(sizes[l - 1]) >= threshold
    return flags


@njit(**JIT)
def ordered(arch):
    """True when every layer of ``arch`` is at most ``fast_kernels.NARROW`` wide: the drivers
    then run the ordered kernels (every sum in the order of its index, the order the
    population lanes reproduce) instead of the tiles, serially."""
    for l in range(arch.sizes.shape[0]):
        if arch.sizes[l] > fk.NARROW:
            return False
    return True


@njit(**JIT)
def transposed_weights_of(plan, arch, l):
    """The transposed copy of :math:`w^l` in ``plan.wT``, shape (sizes[l-1], sizes[l])."""
    return _matrix(plan.wT, arch.w_off[l], arch.sizes[l - 1], arch.sizes[l])


@njit(**GLUE_JIT)
def forward_pass(theta, arch, plan, work, a_in, m):
    """Weighted sum with the activation fused, layer by layer (softmax applied per row)."""
    forward_layers(theta, arch, plan, work, a_in, m, ONE)  # not a literal: one compiled form


@njit(**GLUE_JIT)
def forward_layers(theta, arch, plan, work, a_in, m, first):
    """``forward_pass`` from layer ``first`` on (the layers before it already computed)."""
    a_prev = a_in if first == 1 else layer_of(work.A, arch, work, first - 1, m)
    in_order = ordered(arch)
    for l in range(first, arch.sizes.shape[0]):
        w, b = weights_of(theta, arch, l), biases_of(theta, arch, l)
        s = layer_of(work.S, arch, work, l, m)
        a = layer_of(work.A, arch, work, l, m)
        if in_order:
            fk.weighted_sum_ordered(arch.codes[l], w, transposed_weights_of(plan, arch, l), b,
                                    a_prev, s, a)
        elif plan.parallel[l]:
            fk.weighted_sum_parallel(plan.width[l], arch.codes[l], w, b, a_prev, s, a)
        else:
            fk.weighted_sum_serial(plan.width[l], arch.codes[l], w, b, a_prev, s, a)
        if arch.codes[l] == activations.SOFTMAX:
            fk.softmax_rows(s, a)
        a_prev = a


@njit(**GLUE_JIT)
def output_delta(arch, work, y, m):
    r"""BP1 :math:`\delta^L = \partial C_x/\partial a^L \cdot f'(s^L)` and the cost :math:`C_x`
    of every sample, on the calling thread (the output layer is small)."""
    L = arch.sizes.shape[0] - 1
    s = layer_of(work.S, arch, work, L, m)
    a = layer_of(work.A, arch, work, L, m)
    delta = layer_of(work.D, arch, work, L, m)
    for x in range(m):
        work.sample_cost[x] = costs.cost_of_sample(arch.cost, s[x], a[x], y[x])
        costs.output_delta_of_sample(arch.cost, arch.codes[L], s[x], a[x], y[x], delta[x])


@njit(**GLUE_JIT)
def propagate_delta(theta, arch, plan, work, l, m):
    r"""BP2 from layer l into layer l-1, :math:`\delta^{l-1} = f'(s^{l-1}) \odot (\delta^l w^l)`."""
    w = weights_of(theta, arch, l)
    delta = layer_of(work.D, arch, work, l, m)
    s_prev = layer_of(work.S, arch, work, l - 1, m)
    a_prev = layer_of(work.A, arch, work, l - 1, m)
    delta_prev = layer_of(work.D, arch, work, l - 1, m)
    if ordered(arch):
        fk.backpropagate_delta_ordered(arch.codes[l - 1], w, delta, s_prev, a_prev, delta_prev)
        return
    if arch.sizes[l] * arch.sizes[l - 1] < DIRECT_BP2:
        fk.backpropagate_delta_direct(arch.codes[l - 1], w, delta, s_prev, a_prev, delta_prev)
        return
    wT = transposed_weights_of(plan, arch, l)
    if plan.parallel[l]:
        fk.backpropagate_delta_parallel(plan.width[l - 1], arch.codes[l - 1], w, wT, delta,
                                        s_prev, a_prev, delta_prev)
    else:
        fk.backpropagate_delta_serial(plan.width[l - 1], arch.codes[l - 1], w, wT, delta,
                                      s_prev, a_prev, delta_prev)


@njit(**GLUE_JIT)
def backward_pass(theta, grad, arch, plan, work, a_in, m, scale, accumulate):
    r"""After BP1 (``output_delta``), for l = L..1: BP2 into layer l-1, then BP3/BP4 of
    layer l into ``grad``: ``scale`` times the sums over the batch, added to ``grad`` when
    ``accumulate``."""
    for l in range(arch.sizes.shape[0] - 1, 0, -1):
        if l > 1:
            propagate_delta(theta, arch, plan, work, l, m)
        a_prev = a_in if l == 1 else layer_of(work.A, arch, work, l - 1, m)
        delta = layer_of(work.D, arch, work, l, m)
        gw, gb = weights_of(grad, arch, l), biases_of(grad, arch, l)
        if ordered(arch):
            fk.weight_gradient_ordered(delta, a_prev, gw, gb, scale, accumulate)
        elif plan.parallel[l]:
            fk.weight_gradient_parallel(plan.width[l], delta, a_prev, gw, gb, scale, accumulate)
        else:
            fk.weight_gradient_serial(plan.width[l], delta, a_prev, gw, gb, scale, accumulate)


@njit(**GLUE_JIT)
def backward_pass_sgd(theta, arch, plan, work, a_in, m, weight_sum, update, a_next):
    r"""``backward_pass`` with the SGD step of ``update`` fused into BP3/BP4 (1/``weight_sum``
    times the sums over the batch: ``weight_sum`` is m, or the batch's summed sample weight):
    layer l's weights are updated in place, block of rows by block of rows, right after BP2
    has read them; the gradient is never stored. When the next batch's inputs ``a_next`` are
    given (``m_next = len(a_next) > 0``), its forward pass follows, the first layer's fused
    into that layer's update (``fast_kernels.sgd_then_weighted_sum_group``); the other
    layers' steps run the same kernel with no next rows (one kernel to compile, not two)."""
    scale = 1.0 / weight_sum  # the division here, as before sample weights: the same bits
    m_next = a_next.shape[0]
    if ordered(arch):  # every layer's step in order, then the next batch's forward pass
        for l in range(arch.sizes.shape[0] - 1, 0, -1):
            if l > 1:
                propagate_delta(theta, arch, plan, work, l, m)
            a_prev = a_in if l == 1 else layer_of(work.A, arch, work, l - 1, m)
            fk.sgd_ordered(layer_of(work.D, arch, work, l, m), a_prev, weights_of(theta, arch, l),
                           biases_of(theta, arch, l), scale, update.learning_rate,
                           update.decay[arch.w_off[l]], update.l2, update.l1)
        if m_next > 0:
            forward_pass(theta, arch, plan, work, a_next, m_next)
        return
    for l in range(arch.sizes.shape[0] - 1, 0, -1):
        if l > 1:
            propagate_delta(theta, arch, plan, work, l, m)
        a_prev = a_in if l == 1 else layer_of(work.A, arch, work, l - 1, m)
        delta = layer_of(work.D, arch, work, l, m)
        w, b = weights_of(theta, arch, l), biases_of(theta, arch, l)
        decay = update.decay[arch.w_off[l]]
        fused = l == 1 and m_next > 0  # else the step alone: no next batch's rows
        rows = m_next if fused else 0
        s, a = layer_of(work.S, arch, work, l, rows), layer_of(work.A, arch, work, l, rows)
        if plan.parallel[l]:
            fk.sgd_then_weighted_sum_parallel(plan.width[l], delta, a_prev, w, b, scale,
                                              update.learning_rate, decay, update.l2, update.l1,
                                              arch.codes[l], a_next[:rows], s, a)
        else:
            fk.sgd_then_weighted_sum_serial(plan.width[l], delta, a_prev, w, b, scale,
                                            update.learning_rate, decay, update.l2, update.l1,
                                            arch.codes[l], a_next[:rows], s, a)
        if fused:
            if arch.codes[1] == activations.SOFTMAX:
                fk.softmax_rows(s, a)
            forward_layers(theta, arch, plan, work, a_next, m_next, np.int64(2))


@njit(**GLUE_JIT)
def gather(X, Y, order, start, a_in, y):
    """Rows ``order[start:start + m]`` of ``X`` and ``Y`` into the batch buffers (m = len(a_in)).
    Explicit k-loops: numba's row-slice assignment cost ~2.5 us more per batch of ten
    784-pixel rows (7.3 against 4.7 us, rows from L3)."""
    for x in range(a_in.shape[0]):
        i = order[start + x]
        for k in range(a_in.shape[1]):
            a_in[x, k] = X[i, k]
        for k in range(y.shape[1]):
            y[x, k] = Y[i, k]


@njit(**JIT)
def train_epoch(theta, grad, arch, plan, work, X, Y, order, batch_size, update, accuracy_mode,
                weights, loss):
    """One epoch of mini-batch training over the samples in ``order``: the contract of
    ``drivers.train_epoch`` (costs measured before each batch's update; stop after a batch
    whose summed cost is not finite, without applying its update).

    Plain SGD runs ``train_epoch_sgd`` (the update fused into BP3/BP4), every other rule
    ``train_epoch_rule``. The engine calls those two directly, so that a user of plain SGD
    never compiles the code of the other rules (about half of the compile time); this
    function is for compiled callers that take any rule. ``loss`` is the running cost the
    epoch's per-sample costs are added to, one by one (0.0 for a whole epoch; the cost so far
    when an epoch runs as segments, ``load.run_segments``, so that the sum is the same)."""
    if update.rule == rules.SGD_RULE:
        return train_epoch_sgd(theta, arch, plan, work, X, Y, order, batch_size, update,
                               accuracy_mode, weights, loss)
    return train_epoch_rule(theta, grad, arch, plan, work, X, Y, order, batch_size, update,
                            accuracy_mode, weights, loss)


@njit(**GLUE_JIT)
def _first_batch(arch, plan, theta, work, X, Y, order, batch_size):
    """Gather the first batch into the first input buffer and run its forward pass."""
    current = layer_of(work.A, arch, work, ZERO, batch_size)
    m = min(batch_size, order.shape[0])
    gather(X, Y, order, ZERO, current[:m], work.y[:m])
    forward_pass(theta, arch, plan, work, current[:m], m)
    return current


@njit(**GLUE_JIT)
def weigh_output_delta(arch, work, weights, rows, start, m):
    r"""Sample weights :math:`v_x` into BP1: :math:`\delta^L_x \leftarrow v_x \delta^L_x` and
    :math:`C_x \leftarrow v_x C_x` for the batch's samples x, the rows ``rows[start + x]`` of
    the data (so every gradient, linear in :math:`\delta^L`, becomes :math:`\sum_x v_x
    \nabla C_x`). Returns the weight sum BP3/BP4 divide by, :math:`\sum_x v_x` (1 for a batch
    of zero weight, whose gradient is 0). No weights (``weights`` empty): nothing changes, and
    the sum is m. (The callers divide where they divided by m before: with fastmath LLVM turns
    ``c * (1/m)`` into ``c / m``, so moving the division would change the last bits.)"""
    if weights.shape[0] == 0:
        return float(m)
    L = arch.sizes.shape[0] - 1
    delta = layer_of(work.D, arch, work, L, m)
    total = 0.0
    for x in range(m):
        v = weights[rows[start + x]]
        total += v
        work.sample_cost[x] *= v
        for j in range(delta.shape[1]):
            delta[x, j] *= v
    return total if total > 0 else 1.0


@njit(**GLUE_JIT)
def _batch_cost(arch, work, y, m, accuracy_mode, loss, weights, order, start):
    """BP1 of the batch in the workspace, weighted (``weigh_output_delta``); ``loss`` plus the
    batch's per-sample costs (added one by one, in sample order), the batch's number of
    correct outputs and its weight sum (``weigh_output_delta``)."""
    output_delta(arch, work, y, m)
    weight_sum = weigh_output_delta(arch, work, weights, order, start, m)
    for x in range(m):
        loss = fk.add(loss, work.sample_cost[x])
    L = arch.sizes.shape[0] - 1
    return loss, count_correct(accuracy_mode, layer_of(work.A, arch, work, L, m), y), weight_sum


@njit(**JIT)
def train_epoch_sgd(theta, arch, plan, work, X, Y, order, batch_size, update, accuracy_mode,
                    weights, loss):
    """``train_epoch`` for plain SGD (``update.rule == rules.SGD_RULE``, penalty included).

    The batch's forward pass runs before the loop reaches it: at the end of the previous
    batch's update, computed fused into the first layer's step. The inputs alternate
    between two buffers, since the update still reads the current batch's inputs when the
    next batch's are gathered (its targets are no longer needed by then)."""
    n = order.shape[0]
    correct = 0
    if n == 0:
        return loss, correct
    current = _first_batch(arch, plan, theta, work, X, Y, order, batch_size)
    following = work.x_next
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        loss, batch_correct, weight_sum = _batch_cost(arch, work, work.y[:m], m, accuracy_mode,
                                                      loss, weights, order, start)
        correct += batch_correct
        if not np.isfinite(loss):
            break
        m_next = max(0, min(batch_size, n - start - batch_size))
        a_next = following[:m_next]
        gather(X, Y, order, start + batch_size, a_next, work.y[:m_next])
        update.t[0] += 1
        backward_pass_sgd(theta, arch, plan, work, current[:m], m, weight_sum, update, a_next)
        current, following = following, current
    return loss, correct


@njit(**JIT)
def train_epoch_rule(theta, grad, arch, plan, work, X, Y, order, batch_size, update,
                     accuracy_mode, weights, loss):
    """``train_epoch`` for any rule: the gradient into ``grad``, then ``rules.step``, then
    the next batch's forward pass (inputs alternating between two buffers, as with SGD)."""
    n = order.shape[0]
    correct = 0
    if n == 0:
        return loss, correct
    current = _first_batch(arch, plan, theta, work, X, Y, order, batch_size)
    following = work.x_next
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        loss, batch_correct, weight_sum = _batch_cost(arch, work, work.y[:m], m, accuracy_mode,
                                                      loss, weights, order, start)
        correct += batch_correct
        if not np.isfinite(loss):
            break
        m_next = max(0, min(batch_size, n - start - batch_size))
        a_next = following[:m_next]
        gather(X, Y, order, start + batch_size, a_next, work.y[:m_next])
        backward_pass(theta, grad, arch, plan, work, current[:m], m, 1.0 / weight_sum, FALSE)
        rules.step(update, theta, grad)
        if m_next > 0:
            forward_pass(theta, arch, plan, work, a_next, m_next)
        current, following = following, current
    return loss, correct


PredictJob = namedtuple("PredictJob", "theta arch plan work X out")
GradientsJob = namedtuple("GradientsJob", "theta grad arch plan work X Y weights rows scale")
EvaluateJob = namedtuple("EvaluateJob", "theta arch plan work X Y accuracy_mode")
"""The arrays of one ``predict``, ``gradients`` or ``evaluate`` call, walked in chunks of the
workspace's capacity by ``chunks.chunk_loop`` (their steps below)."""


@njit(**GLUE_JIT)
def _predict_rows(job, start, m, total):
    """Forward pass of rows ``start .. start+m``; their output activations into ``out``."""
    forward_pass(job.theta, job.arch, job.plan, job.work, job.X[start:start + m], m)
    L = job.arch.sizes.shape[0] - 1
    job.out[start:start + m] = layer_of(job.work.A, job.arch, job.work, L, m)
    return total


@njit(**GLUE_JIT)
def _gradient_rows(job, start, m, loss):
    """Forward pass, BP1 (weighted), BP2-BP4 of rows ``start .. start+m``, their gradient
    (times ``scale``) added to ``grad`` (written by the first chunk); ``loss`` plus their
    costs, one by one."""
    arch, work = job.arch, job.work
    forward_pass(job.theta, arch, job.plan, work, job.X[start:start + m], m)
    output_delta(arch, work, job.Y[start:start + m], m)
    weigh_output_delta(arch, work, job.weights, job.rows, start, m)
    backward_pass(job.theta, job.grad, arch, job.plan, work, job.X[start:start + m], m,
                  job.scale, start > 0)
    for x in range(m):
        loss = fk.add(loss, work.sample_cost[x])
    return loss


@njit(**GLUE_JIT)
def _evaluate_rows(job, start, m, total):
    """Forward pass of rows ``start .. start+m``; (summed cost, correct count) plus theirs,
    the costs added one by one."""
    loss, correct = total
    arch, work = job.arch, job.work
    forward_pass(job.theta, arch, job.plan, work, job.X[start:start + m], m)
    L = arch.sizes.shape[0] - 1
    s = layer_of(work.S, arch, work, L, m)
    a = layer_of(work.A, arch, work, L, m)
    for x in range(m):
        loss = fk.add(loss, costs.cost_of_sample(arch.cost, s[x], a[x], job.Y[start + x]))
    correct += count_correct(job.accuracy_mode, a, job.Y[start:start + m])
    return loss, correct


_predict_loop = chunk_loop(_predict_rows)
_gradient_loop = chunk_loop(_gradient_rows)
_evaluate_loop = chunk_loop(_evaluate_rows)


@njit(**JIT)
def predict(theta, arch, plan, work, X, out):
    """Output activations of every row of ``X`` into ``out``, in chunks of the workspace size."""
    _predict_loop(PredictJob(theta, arch, plan, work, X, out), X.shape[0], work.y.shape[0], ZERO)


@njit(**JIT)
def gradients(theta, grad, arch, plan, work, X, Y, weights, rows):
    r"""Gradient of the mean cost over all rows of ``X`` into ``grad``; returns the summed cost.
    With sample weights :math:`v` (``weights``, one per row, ``rows`` = arange(n)): the
    weighted mean :math:`\sum_x v_x \nabla C_x / \sum_x v_x` and the weighted sum of costs."""
    n = X.shape[0]
    job = GradientsJob(theta, grad, arch, plan, work, X, Y, weights, rows,
                       1.0 / weight_total(weights, n))
    return _gradient_loop(job, n, work.y.shape[0], 0.0)


@njit(**JIT)
def evaluate(theta, arch, plan, work, X, Y, accuracy_mode, loss):
    """Summed cost and number of correct predictions over all rows of ``X``; the costs are
    added one by one to ``loss`` (0.0, or the cost of the rows before, as for ``train_epoch``)."""
    return _evaluate_loop(EvaluateJob(theta, arch, plan, work, X, Y, accuracy_mode),
                          X.shape[0], work.y.shape[0], (loss, 0))

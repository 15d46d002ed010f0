r"""Sparse input: the first layer's loops over the stored entries of a CSR matrix only.

For a sample x with stored entries :math:`(k, x_k)` (row x of a CSR matrix: column indices
``indices[p]`` and values ``data[p]`` for ``indptr[x] <= p < indptr[x+1]``), the first
layer's weighted sum (eq. 23/25) and its weight gradient (BP4) skip every zero input:

.. math::

    s^1_{xj} = \sum_{p} w^1_{j,\,k_p}\, x_{k_p} + b^1_j, \qquad
    \frac{\partial J}{\partial w^1_{jk}} = \mathrm{scale} \sum_x \delta^1_{xj}\, x_k .

Layers above the first compute on the batch's dense activations with the kernels of
``fast_kernels`` (``fast_drivers.forward_layers``, ``propagate_delta``), unchanged.

**Layout and loop order.** A stored :math:`x_k` touches column k of :math:`w^1` (one
weight of every neuron j), which the network's layout ``w[j, k]`` (row-major, (n_out, n_in))
scatters over n_out cache lines, 400 KB apart for n_in = 50,000 in float64. So the kernels
work on a *transposed* first layer, ``wT[k, j]`` = :math:`w^1_{jk}` (shape (n_in, n_out)):
each stored entry reads (forward) or adds to (BP4) one contiguous row of n_out values, a
vectorised loop over j, and a batch touches only the rows of the columns it stores,
sample-major. Neuron-major loops over the network's layout (a block of 4 rows j gathered
from for the whole batch) were measured about 2x slower on the benchmark's 50,000 x 100
layer (prediction: 40 against 20 ms per 200 rows, on a loaded machine): every entry misses
L2 in each of the block's rows. During a fit the engine holds the parameters, the gradient and the
optimizer's state in this layout (``SparseNumbaEngine._transposed``: one tiled transpose in and
out per call of the batch loop, not per batch; the update rules are elementwise, so they give
the same bits in either order), and only the rows a batch touched are zeroed after its
update (``clear_rows``): the rest of the transposed gradient stays zero.

**Ownership.** The forward pass runs ``prange`` over samples (a sample owns its rows of
``s`` and ``a``), BP4 over groups of neurons (a group owns its columns of the gradient, and
visits every entry of the batch); each sum is taken in the entries' stored order wherever
it runs: the same bits for any thread count.

**Summation order** against the dense kernels: the weighted sum adds the entries of a row in
column order, the dense tile kernel adds all n_in products in SIMD lanes; the gradient adds
the samples of a batch one by one per entry, the dense rank-4 update four at a time. Equal to
rounding, and bit-identical where every sum has a single nonzero term (at most one stored
entry per row, and per column within a batch): zeros add exactly nothing, and the scaled
deltas :math:`c\,\delta` are stored before they multiply :math:`x_k`, as the dense kernels
hold them (``fastmath`` may otherwise regroup :math:`c\,\delta\,x_k`).

Mini-batches: ``gather_rows`` copies the batch's rows (shuffled order) into a CSR buffer
whose size is bounded by the batch (``SparseNumbaEngine`` allocates it once per fit), so memory
never grows with the data.
"""
from collections import namedtuple

import numpy as np
from numba import njit, prange

from ..core import activations
from ..core._numba import FALSE, GLUE_JIT, JIT, ONE, PARALLEL_JIT, typed
from . import fast_drivers as fd
from . import fast_kernels as fk
from . import rules
from .chunks import chunk_loop
from .kernels import _matrix, add_output_costs, biases_of, layer_of, weight_total, weights_of

Csr = namedtuple("Csr", ["data", "indices", "indptr"])
"""Rows of a CSR matrix as the kernels take them: ``data`` in the network's dtype, ``indices``
and ``indptr`` int64, column indices sorted within a row (``validation.sparse_inputs``)."""

BLOCK = fk.BLOCK


# --- the first layer's weighted sum (eq. 23/25) over stored entries ---------------------

@njit(**JIT)
def sparse_weighted_sum_rows(x0, x1, code, wT, b, X, r0, s, a):
    r""":math:`s_{xj} = \sum_p w_{j,k_p} x_{k_p} + b_j` and :math:`a_{xj} = f(s_{xj})` for the
    samples ``x0 <= x < x1``, sample x being row ``r0 + x`` of ``X``; ``wT[k, j]`` =
    :math:`w_{jk}`. Each stored entry adds ``x_k`` times the contiguous row k of ``wT`` to
    the sample's row of ``s`` (the sum starts at 0 and the bias is added last, as in the
    dense kernels)."""
    n_out = wT.shape[1]
    for x in range(x0, x1):
        r = r0 + x
        s_x = s[x]
        for j in range(n_out):
            s_x[j] = 0
        for p in range(X.indptr[r], X.indptr[r + 1]):
            v = X.data[p]
            w_k = wT[X.indices[p]]
            for j in range(n_out):
                s_x[j] += w_k[j] * v
        for j in range(n_out):
            fk._store_activation(code, s, a, x, j, s_x[j] + b[j])


@njit(**PARALLEL_JIT)
def sparse_weighted_sum_parallel(code, wT, b, X, r0, s, a):
    """``sparse_weighted_sum_rows`` in parallel over samples (a sample owns its rows of ``s``,
    ``a``)."""
    for x in prange(s.shape[0]):
        sparse_weighted_sum_rows(np.int64(x), np.int64(x + 1), code, wT, b, X, r0, s, a)


# --- BP3/BP4 of the first layer over stored entries -------------------------------------

@njit(**JIT)
def sparse_weight_gradient_columns(j0, j1, scaled_delta, X, r0, gwT):
    r"""BP4 :math:`g_{jk} \mathrel{+}= \sum_x d_{xj}\, x_k` (``scaled_delta`` :math:`d = c\,\delta`,
    c the scale of the sum) for the neurons ``j0 <= j < j1``, over the stored entries of the
    rows ``r0 + x`` of ``X`` (x < len(d)), into ``gwT[k, j]`` = :math:`g_{jk}`: each entry
    adds to a contiguous piece of row k."""
    for x in range(scaled_delta.shape[0]):
        r = r0 + x
        d_x = scaled_delta[x]
        for p in range(X.indptr[r], X.indptr[r + 1]):
            v = X.data[p]
            g_k = gwT[X.indices[p]]
            for j in range(j0, j1):
                g_k[j] += d_x[j] * v


@njit(**PARALLEL_JIT)
def sparse_weight_gradient_parallel(per, scaled_delta, X, r0, gwT):
    """``sparse_weight_gradient_columns`` in parallel over groups of ``per`` blocks of neurons
    (a group owns its columns of ``gwT``)."""
    n = gwT.shape[1]
    for g in prange(fk.n_groups(n, per)):
        j0 = BLOCK * per * g
        sparse_weight_gradient_columns(np.int64(j0), np.int64(min(j0 + BLOCK * per, n)),
                                       scaled_delta, X, r0, gwT)


@njit(**JIT)
def clear_rows(X, r0, r1, gwT):
    """Zero the rows k of ``gwT`` that rows ``r0..r1-1`` of ``X`` store entries in (after the
    update has read them: the rest of ``gwT`` is zero already)."""
    for p in range(X.indptr[r0], X.indptr[r1]):
        g_k = gwT[X.indices[p]]
        for j in range(g_k.shape[0]):
            g_k[j] = 0


# --- the transposed layout ---------------------------------------------------------------

TILE = 32
"""Rows and columns per tile of ``transpose_tiles``: a 32 x 32 tile of float64 reads and
writes 32 pieces of 256 bytes each, whatever the shape (``fast_kernels.transpose_block`` walks
whole columns, which costs cache misses on every element for a (50000, 100) matrix)."""


@njit(**PARALLEL_JIT)
def transpose_tiles(w, wT):
    """``wT = w.T`` (shape (n_cols, n_rows)) tile by tile, in parallel over tiles (a tile owns
    its block of ``wT``); a copy, so the same bits for any thread count."""
    rows, cols = w.shape[0], w.shape[1]
    tiles_c = (cols + TILE - 1) // TILE
    for t in prange(((rows + TILE - 1) // TILE) * tiles_c):
        i0, j0 = (t // tiles_c) * TILE, (t % tiles_c) * TILE
        for i in range(i0, min(i0 + TILE, rows)):
            for j in range(j0, min(j0 + TILE, cols)):
                wT[j, i] = w[i, j]


# --- passes and drivers ------------------------------------------------------------------

@njit(**GLUE_JIT)
def first_layer_transposed(theta, arch):
    """The first layer's weights in a transposed parameter vector: ``wT[k, j]`` = :math:`w^1_{jk}`,
    shape (sizes[0], sizes[1]), at ``arch.w_off[1]``."""
    return _matrix(theta, arch.w_off[1], arch.sizes[0], arch.sizes[1])


@njit(**GLUE_JIT)
def forward_pass(theta, arch, plan, work, X, r0, r1):
    """Forward pass of rows ``r0..r1-1`` of ``X`` on the transposed parameters ``theta``:
    the first layer over stored entries, the layers above with ``fast_drivers.forward_layers``."""
    m = r1 - r0
    wT, b = first_layer_transposed(theta, arch), biases_of(theta, arch, ONE)
    s = layer_of(work.S, arch, work, ONE, m)
    a = layer_of(work.A, arch, work, ONE, m)
    if plan.parallel[1]:
        sparse_weighted_sum_parallel(arch.codes[1], wT, b, X, r0, s, a)
    else:
        sparse_weighted_sum_rows(np.int64(0), m, arch.codes[1], wT, b, X, r0, s, a)
    if arch.codes[1] == activations.SOFTMAX:
        fk.softmax_rows(s, a)
    fd.forward_layers(theta, arch, plan, work, a, m, np.int64(2))  # a: unread from layer 2 on


@njit(**GLUE_JIT)
def backward_pass(theta, grad, arch, plan, work, X, r0, r1, scale, accumulate):
    """After BP1, for l = L..2: BP2 into layer l-1 and BP3/BP4 of layer l (dense kernels,
    overwriting ``grad`` or adding to it when ``accumulate``); then BP3 of layer 1 and its
    BP4 over the stored entries of rows ``r0..r1-1``, always added to ``grad``'s transposed
    first-layer weights (which the caller zeroes)."""
    m = r1 - r0
    for l in range(arch.sizes.shape[0] - 1, 1, -1):
        fd.propagate_delta(theta, arch, plan, work, l, m)
        a_prev = layer_of(work.A, arch, work, l - 1, m)
        delta = layer_of(work.D, arch, work, l, m)
        gw, gb = weights_of(grad, arch, l), biases_of(grad, arch, l)
        if plan.parallel[l]:
            fk.weight_gradient_parallel(plan.width[l], delta, a_prev, gw, gb, scale, accumulate)
        else:
            fk.weight_gradient_serial(plan.width[l], delta, a_prev, gw, gb, scale, accumulate)
    delta = layer_of(work.D, arch, work, ONE, m)
    gwT, gb = first_layer_transposed(grad, arch), biases_of(grad, arch, ONE)
    c = gwT.dtype.type(scale)
    for j in range(gb.shape[0]):
        total = typed(c, 0.0)
        for x in range(m):
            total += delta[x, j]
        gb[j] = c * total + (gb[j] if accumulate else typed(c, 0.0))
    for x in range(m):  # delta^1 is read by nothing else: scaled in place, stored, so that
        for j in range(gb.shape[0]):  # c * delta * x_k is rounded as the dense kernels round it
            delta[x, j] = c * delta[x, j]
    if plan.parallel[1]:
        sparse_weight_gradient_parallel(plan.width[1], delta, X, r0, gwT)
    else:
        sparse_weight_gradient_columns(np.int64(0), gwT.shape[1], delta, X, r0, gwT)


@njit(**GLUE_JIT)
def gather_rows(X, Y, order, start, batch, y):
    """Rows ``order[start:start + m]`` of ``X`` into the CSR buffer ``batch`` (its rows 0..m-1,
    m = len(y)) and of ``Y`` into ``y``."""
    q = 0
    batch.indptr[0] = 0
    for x in range(y.shape[0]):
        i = order[start + x]
        for p in range(X.indptr[i], X.indptr[i + 1]):
            batch.indices[q] = X.indices[p]
            batch.data[q] = X.data[p]
            q += 1
        batch.indptr[x + 1] = q
        for j in range(y.shape[1]):
            y[x, j] = Y[i, j]


@njit(**JIT)
def train_epoch(theta, grad, arch, plan, work, batch, X, Y, order, batch_size, update,
                accuracy_mode, weights):
    """One epoch (or a run of whole batches) of mini-batch training over the rows ``order``
    of the CSR matrix ``X``, any rule: per batch, gather its rows into ``batch``, forward
    pass, BP1 and the cost (``drivers.train_epoch``'s contract: costs measured before the
    update; stop after a batch whose summed cost is not finite, without applying it), BP2-BP4
    into ``grad``, ``rules.step``. ``weights``: one per row of ``X``, or empty for none
    (``fast_drivers.weigh_output_delta``)."""
    n = order.shape[0]
    loss = 0.0
    correct = 0
    zero = np.int64(0)
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        y = work.y[:m]
        gather_rows(X, Y, order, start, batch, y)
        forward_pass(theta, arch, plan, work, batch, zero, m)
        loss, batch_correct, weight_sum = fd._batch_cost(arch, work, y, m, accuracy_mode, loss,
                                                         weights, order, start)
        correct += batch_correct
        if not np.isfinite(loss):
            break
        backward_pass(theta, grad, arch, plan, work, batch, zero, m, 1.0 / weight_sum, FALSE)
        rules.step(update, theta, grad)
        clear_rows(batch, zero, m, first_layer_transposed(grad, arch))
    return loss, correct


PredictJob = namedtuple("PredictJob", "theta arch plan work X out")
GradientsJob = namedtuple("GradientsJob", "theta grad arch plan work X Y weights rows scale")
EvaluateJob = namedtuple("EvaluateJob", "theta arch plan work X Y accuracy_mode")
"""The arrays of one ``predict``, ``gradients`` or ``evaluate`` call on a CSR ``X``, walked
in chunks of the workspace's capacity by ``chunks.chunk_loop`` (their steps below)."""


@njit(**GLUE_JIT)
def _predict_rows(job, start, m, total):
    """Forward pass of rows ``start .. start+m``; their output activations into ``out``."""
    forward_pass(job.theta, job.arch, job.plan, job.work, job.X, start, start + m)
    L = job.arch.sizes.shape[0] - 1
    job.out[start:start + m] = layer_of(job.work.A, job.arch, job.work, L, m)
    return total


@njit(**GLUE_JIT)
def _gradient_rows(job, start, m, loss):
    """Forward pass, BP1 (weighted), BP2-BP4 of rows ``start .. start+m``, their gradient
    (times ``scale``) added to ``grad`` (written by the first chunk); ``loss`` plus their
    costs."""
    arch, work = job.arch, job.work
    forward_pass(job.theta, arch, job.plan, work, job.X, start, start + m)
    fd.output_delta(arch, work, job.Y[start:start + m], m)
    fd.weigh_output_delta(arch, work, job.weights, job.rows, start, m)
    backward_pass(job.theta, job.grad, arch, job.plan, work, job.X, start, start + m,
                  job.scale, start > 0)
    for x in range(m):
        loss += work.sample_cost[x]
    return loss


@njit(**GLUE_JIT)
def _evaluate_rows(job, start, m, total):
    """Forward pass of rows ``start .. start+m``; (summed cost, correct count) plus theirs."""
    forward_pass(job.theta, job.arch, job.plan, job.work, job.X, start, start + m)
    return add_output_costs(job.arch, job.work, job.Y[start:start + m], m, job.accuracy_mode,
                            total)


_predict_loop = chunk_loop(_predict_rows)
_gradient_loop = chunk_loop(_gradient_rows)
_evaluate_loop = chunk_loop(_evaluate_rows)


@njit(**JIT)
def predict(theta, arch, plan, work, X, out):
    """Output activations of every row of ``X`` into ``out``, in chunks of the workspace size."""
    _predict_loop(PredictJob(theta, arch, plan, work, X, out), X.indptr.shape[0] - 1,
                  work.y.shape[0], ONE)


@njit(**JIT)
def gradients(theta, grad, arch, plan, work, X, Y, weights, rows):
    """Gradient of the mean cost over all rows of ``X`` into ``grad`` (the weighted mean with
    ``weights``, as ``fast_drivers.gradients``); returns the summed (weighted) cost."""
    n = X.indptr.shape[0] - 1
    job = GradientsJob(theta, grad, arch, plan, work, X, Y, weights, rows,
                       1.0 / weight_total(weights, n))
    return _gradient_loop(job, n, work.y.shape[0], 0.0)


@njit(**JIT)
def evaluate(theta, arch, plan, work, X, Y, accuracy_mode):
    """Summed cost and number of correct predictions over all rows of ``X``."""
    return _evaluate_loop(EvaluateJob(theta, arch, plan, work, X, Y, accuracy_mode),
                          X.indptr.shape[0] - 1, work.y.shape[0], (0.0, 0))

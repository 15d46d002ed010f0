r"""Sparse input: the first layer's loops over the stored entries of a CSR matrix only.

For a sample x with stored entries :math:`(k, x_k)` (row x of a CSR matrix: column indices
``indices[p]`` and values ``data[p]`` for ``indptr[x] <= p < indptr[x+1]``), the first
layer's weighted sum (eq. 23/25) and its weight gradient (BP4) skip every zero input:

.. math::

    s^1_{xj} = \sum_{p} w^1_{j,\,k_p}\, x_{k_p} + b^1_j, \qquad
    \frac{\partial J}{\partial w^1_{jk}} = \mathrm{scale} \sum_x \delta^1_{xj}\, x_k .

Layers above the first compute on the batch's dense activations with the kernels of
``fast_kernels`` (``fast_drivers.forward_layers``, ``propagate_delta``), unchanged.

**Layout and loop order.** The weights stay in the network's layout, ``w[j, k]`` row-major
(shape (n_out, n_in)), and the loops run neuron-major: a block of 4 neurons j at a time, over
every sample of the batch and every stored entry of it. A stored :math:`x_k` touches column
k of ``w``, one element in each row j; sample-major loops would walk that column, one cache
line per neuron and entry. Neuron-major, the block's 4 rows (4 x n_in values, e.g. 1.6 MB in
float64 for n_in = 50,000, read from L2/L3) are gathered from for the whole batch, each
entry's index and value are loaded once per 4 neurons, and the gradient's 4 rows are
scattered into the same way. A transposed copy (``wT[k, j]``, a stored entry touching one
contiguous row) would make the loops unit-stride, but would have to be made again after
every update, a pass over all n_in x n_out weights per batch, more than the loops read.

**Ownership.** The parallel drivers run ``prange`` over groups of blocks of neurons: a group
writes only its neurons' columns of ``s`` and ``a`` and its rows of the gradient, and sums
over the entries in their stored order wherever it runs: the same bits for any thread count.

**Summation order** against the dense kernels: the weighted sum adds the entries of a row in
column order, the dense tile kernel adds all n_in products in SIMD lanes; the gradient adds
the samples of a batch one by one per entry, the dense rank-4 update four at a time. Equal to
rounding, and bit-identical where every sum has a single nonzero term (at most one stored
entry per row, and per column within a batch): zeros add exactly nothing.

Mini-batches: ``gather_rows`` copies the batch's rows (shuffled order) into a CSR buffer
whose size is bounded by the batch (``NumbaEngine`` allocates it once per fit), so memory
never grows with the data.
"""
from collections import namedtuple

import numpy as np
from numba import njit, prange

from ..core import activations, costs
from ..core._numba import JIT, PARALLEL_JIT, typed
from ..core.metrics import count_correct
from . import fast_drivers as fd
from . import fast_kernels as fk
from . import rules
from .kernels import biases_of, layer_of, weights_of

Csr = namedtuple("Csr", ["data", "indices", "indptr"])
"""Rows of a CSR matrix as the kernels take them: ``data`` in the network's dtype, ``indices``
and ``indptr`` int64, column indices sorted within a row (``validation.sparse_inputs``)."""

BLOCK = fk.BLOCK


# --- the first layer's weighted sum (eq. 23/25) over stored entries ---------------------

@njit(**JIT)
def sparse_weighted_sum_block(jb, code, w, b, X, r0, r1, s, a):
    r""":math:`s_{xj} = \sum_p w_{j,k_p} x_{k_p} + b_j`, :math:`a_{xj} = f(s_{xj})` for the
    neurons j of block ``jb`` and the rows ``r0 <= r < r1`` of ``X`` (row r into x = r - r0)."""
    n = w.shape[0]
    j = BLOCK * jb
    if j + BLOCK <= n:
        for r in range(r0, r1):
            zero = typed(b[j], 0.0)
            t0 = t1 = t2 = t3 = zero
            for p in range(X.indptr[r], X.indptr[r + 1]):
                k = X.indices[p]
                v = X.data[p]
                t0 += w[j, k] * v
                t1 += w[j + 1, k] * v
                t2 += w[j + 2, k] * v
                t3 += w[j + 3, k] * v
            x = r - r0
            fk._store_activation(code, s, a, x, j, t0 + b[j])
            fk._store_activation(code, s, a, x, j + 1, t1 + b[j + 1])
            fk._store_activation(code, s, a, x, j + 2, t2 + b[j + 2])
            fk._store_activation(code, s, a, x, j + 3, t3 + b[j + 3])
    else:
        for jj in range(j, n):
            for r in range(r0, r1):
                t = typed(b[jj], 0.0)
                for p in range(X.indptr[r], X.indptr[r + 1]):
                    t += w[jj, X.indices[p]] * X.data[p]
                fk._store_activation(code, s, a, r - r0, jj, t + b[jj])


@njit(**JIT)
def sparse_weighted_sum_group(g, per, code, w, b, X, r0, r1, s, a):
    """``sparse_weighted_sum_block`` for the ``per`` blocks of group ``g``."""
    for jb in range(per * g, min(per * (g + 1), (w.shape[0] + BLOCK - 1) // BLOCK)):
        sparse_weighted_sum_block(jb, code, w, b, X, r0, r1, s, a)


@njit(**PARALLEL_JIT)
def sparse_weighted_sum_parallel(per, code, w, b, X, r0, r1, s, a):
    """``sparse_weighted_sum_group`` over every group, in parallel (a group owns its columns)."""
    for g in prange(fk.n_groups(w.shape[0], per)):
        sparse_weighted_sum_group(np.int64(g), per, code, w, b, X, r0, r1, s, a)


@njit(**JIT)
def sparse_weighted_sum_serial(per, code, w, b, X, r0, r1, s, a):
    """``sparse_weighted_sum_group`` over every group, on the calling thread."""
    for g in range(fk.n_groups(w.shape[0], per)):
        sparse_weighted_sum_group(g, per, code, w, b, X, r0, r1, s, a)


# --- BP3/BP4 of the first layer over stored entries -------------------------------------

@njit(**JIT)
def sparse_weight_gradient_block(jb, delta, X, r0, r1, gw, gb, scale, accumulate):
    r"""BP3 :math:`g^b_j = \mathrm{scale}\sum_x \delta_{xj}` and BP4
    :math:`g^w_{jk} = \sum_x (\mathrm{scale}\,\delta_{xj})\, x_k` over the stored entries of
    rows ``r0..r1-1`` (delta row x = r - r0), for the neurons j of block ``jb``: overwrites
    their rows of ``gw`` and ``gb``, or adds to them when ``accumulate``."""
    n = gw.shape[0]
    j0, j1 = BLOCK * jb, min(BLOCK * jb + BLOCK, n)
    c = gw.dtype.type(scale)
    for j in range(j0, j1):
        if not accumulate:
            gb[j] = 0
            for k in range(gw.shape[1]):
                gw[j, k] = 0
        total = typed(c, 0.0)
        for r in range(r0, r1):
            total += delta[r - r0, j]
        gb[j] += c * total
    if j1 - j0 == BLOCK:
        for r in range(r0, r1):
            x = r - r0
            d0, d1, d2, d3 = c * delta[x, j0], c * delta[x, j0 + 1], c * delta[x, j0 + 2], c * delta[x, j0 + 3]
            for p in range(X.indptr[r], X.indptr[r + 1]):
                k = X.indices[p]
                v = X.data[p]
                gw[j0, k] += d0 * v
                gw[j0 + 1, k] += d1 * v
                gw[j0 + 2, k] += d2 * v
                gw[j0 + 3, k] += d3 * v
    else:
        for j in range(j0, j1):
            for r in range(r0, r1):
                d = c * delta[r - r0, j]
                for p in range(X.indptr[r], X.indptr[r + 1]):
                    gw[j, X.indices[p]] += d * X.data[p]


@njit(**JIT)
def sparse_weight_gradient_group(g, per, delta, X, r0, r1, gw, gb, scale, accumulate):
    """``sparse_weight_gradient_block`` for the ``per`` blocks of group ``g``."""
    for jb in range(per * g, min(per * (g + 1), (gw.shape[0] + BLOCK - 1) // BLOCK)):
        sparse_weight_gradient_block(jb, delta, X, r0, r1, gw, gb, scale, accumulate)


@njit(**PARALLEL_JIT)
def sparse_weight_gradient_parallel(per, delta, X, r0, r1, gw, gb, scale, accumulate):
    """``sparse_weight_gradient_group`` over every group, in parallel (a group owns its rows)."""
    for g in prange(fk.n_groups(gw.shape[0], per)):
        sparse_weight_gradient_group(np.int64(g), per, delta, X, r0, r1, gw, gb, scale, accumulate)


@njit(**JIT)
def sparse_weight_gradient_serial(per, delta, X, r0, r1, gw, gb, scale, accumulate):
    """``sparse_weight_gradient_group`` over every group, on the calling thread."""
    for g in range(fk.n_groups(gw.shape[0], per)):
        sparse_weight_gradient_group(g, per, delta, X, r0, r1, gw, gb, scale, accumulate)


# --- passes and drivers ------------------------------------------------------------------

@njit(**JIT)
def forward_pass(theta, arch, plan, work, X, r0, r1):
    """Forward pass of rows ``r0..r1-1`` of ``X``: the first layer over stored entries, the
    layers above with ``fast_drivers.forward_layers``."""
    m = r1 - r0
    w, b = weights_of(theta, arch, 1), biases_of(theta, arch, 1)
    s = layer_of(work.S, arch, work, 1, m)
    a = layer_of(work.A, arch, work, 1, m)
    if plan.parallel[1]:
        sparse_weighted_sum_parallel(plan.width[1], arch.codes[1], w, b, X, r0, r1, s, a)
    else:
        sparse_weighted_sum_serial(plan.width[1], arch.codes[1], w, b, X, r0, r1, s, a)
    if arch.codes[1] == activations.SOFTMAX:
        fk.softmax_rows(s, a)
    fd.forward_layers(theta, arch, plan, work, a, m, np.int64(2))  # a: unread from layer 2 on


@njit(**JIT)
def backward_pass(theta, grad, arch, plan, work, X, r0, r1, scale, accumulate):
    """After BP1, for l = L..2: BP2 into layer l-1 and BP3/BP4 of layer l (dense kernels);
    then BP3/BP4 of layer 1 over the stored entries of rows ``r0..r1-1`` of ``X``."""
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
    delta = layer_of(work.D, arch, work, 1, m)
    gw, gb = weights_of(grad, arch, 1), biases_of(grad, arch, 1)
    if plan.parallel[1]:
        sparse_weight_gradient_parallel(plan.width[1], delta, X, r0, r1, gw, gb, scale, accumulate)
    else:
        sparse_weight_gradient_serial(plan.width[1], delta, X, r0, r1, gw, gb, scale, accumulate)


@njit(**JIT)
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
        backward_pass(theta, grad, arch, plan, work, batch, zero, m, 1.0 / weight_sum, False)
        rules.step(update, theta, grad)
    return loss, correct


@njit(**JIT)
def predict(theta, arch, plan, work, X, out):
    """Output activations of every row of ``X`` into ``out``, in chunks of the workspace size."""
    capacity = work.y.shape[0]
    n = X.indptr.shape[0] - 1
    L = arch.sizes.shape[0] - 1
    for start in range(0, n, capacity):
        m = min(capacity, n - start)
        forward_pass(theta, arch, plan, work, X, start, start + m)
        out[start:start + m] = layer_of(work.A, arch, work, L, m)


@njit(**JIT)
def gradients(theta, grad, arch, plan, work, X, Y, weights, rows):
    """Gradient of the mean cost over all rows of ``X`` into ``grad`` (the weighted mean with
    ``weights``, as ``fast_drivers.gradients``); returns the summed (weighted) cost."""
    capacity = work.y.shape[0]
    n = X.indptr.shape[0] - 1
    loss = 0.0
    weight_sum = float(n)
    if weights.shape[0] > 0:
        weight_sum = 0.0
        for x in range(n):
            weight_sum += weights[x]
    for start in range(0, n, capacity):
        m = min(capacity, n - start)
        forward_pass(theta, arch, plan, work, X, start, start + m)
        fd.output_delta(arch, work, Y[start:start + m], m)
        fd.weigh_output_delta(arch, work, weights, rows, start, m)
        backward_pass(theta, grad, arch, plan, work, X, start, start + m, 1.0 / weight_sum,
                      start > 0)
        for x in range(m):
            loss += work.sample_cost[x]
    return loss


@njit(**JIT)
def evaluate(theta, arch, plan, work, X, Y, accuracy_mode):
    """Summed cost and number of correct predictions over all rows of ``X``."""
    capacity = work.y.shape[0]
    n = X.indptr.shape[0] - 1
    L = arch.sizes.shape[0] - 1
    loss = 0.0
    correct = 0
    for start in range(0, n, capacity):
        m = min(capacity, n - start)
        forward_pass(theta, arch, plan, work, X, start, start + m)
        s = layer_of(work.S, arch, work, L, m)
        a = layer_of(work.A, arch, work, L, m)
        for x in range(m):
            loss += costs.cost_of_sample(arch.cost, s[x], a[x], Y[start + x])
        correct += count_correct(accuracy_mode, a, Y[start:start + m])
    return loss, correct

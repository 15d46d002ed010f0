r"""The plain loop kernels: one compiled loop per equation of backpropagation, and the passes.

Notation (documents' index form, rows of every batch array are samples ``x``):
``s[x, j]`` weighted input, ``a[x, j]`` activation, ``delta[x, j]`` =
:math:`\partial C_x/\partial s_j`, ``w[j, k]`` joins neuron ``k`` of the previous layer to
neuron ``j`` of this layer.

==========================  ===========================================================  ======================
equation                    formula                                                      kernel
==========================  ===========================================================  ======================
weighted sum                :math:`s_j = \sum_k w_{jk} a^{prev}_k + b_j`                   ``weighted_sum``
activation                  :math:`a_j = f(s_j)`                                         ``activate``
BP1, output delta           :math:`\delta^L_j = \partial C/\partial a^L_j \, f'(s^L_j)`     ``output_delta``
BP2, delta recursion        :math:`\delta^l_j = f'(s^l_j) \sum_k w^{l+1}_{kj} \delta^{l+1}_k`  ``backpropagate_delta``
BP3, BP4, gradients         :math:`\partial J/\partial b_j = \frac1m\sum_x \delta_j`,
                            :math:`\partial J/\partial w_{jk} = \frac1m\sum_x a^{prev}_k \delta_j`  ``weight_gradient``
update (SGD)                :math:`w \leftarrow w - \eta\, \partial J/\partial w`              ``rules.step``
==========================  ===========================================================  ======================

Parallelism is by ownership: ``prange`` runs over samples ``x`` where every iteration writes
its own rows (weighted sum, activation, BP1, BP2), and over neurons ``j`` where every
iteration writes its own row of the gradient (BP3/BP4). No two iterations write one element,
so results are bit-identical for any number of threads.

``forward_pass`` and ``backward_pass`` chain the kernels over the layers; the compiled loops
over batches that call them are in ``drivers``. Per-layer arrays are views into flat
buffers (``Workspace``), so the depth of the network never triggers a recompile.
"""  # noqa: E501 (the equation table's rows cannot wrap)
from collections import namedtuple

import numpy as np
from numba import njit, prange

from ..core import activations, costs, fastmath
from ..core._numba import GLUE_JIT, JIT, PARALLEL_JIT, typed
from ..core.metrics import count_correct

Architecture = namedtuple("Architecture", ["sizes", "w_off", "b_off", "codes", "cost"])
"""What the kernels need to know of a network: ``sizes``, parameter offsets ``w_off`` and
``b_off`` (see ``fastnn.core.structure``, ``Topology.layout``), activation ``codes`` per
layer (entry 0 unused) and the ``cost`` code."""

Workspace = namedtuple("Workspace", ["a_off", "A", "S", "D", "y", "sample_cost", "x_next"])
"""Buffers for batches of up to ``capacity`` samples: ``A``, ``S``, ``D`` hold every layer's
``a``, ``s`` and ``delta`` (layer l at offset ``a_off[l]``, shape (m, sizes[l])); ``y`` the
batch targets (capacity, sizes[-1]); ``sample_cost`` the per-sample costs (capacity,);
``x_next`` a second input buffer for the fast drivers' next batch, (capacity, sizes[0]) when
made ``for_training``, else empty (prediction and evaluation never read it)."""

def make_workspace(sizes, capacity, dtype, for_training=False):
    """Allocate a ``Workspace`` for batches of up to ``capacity`` samples."""
    sizes = np.asarray(sizes, dtype=np.int64)
    a_off = np.zeros(len(sizes), dtype=np.int64)
    a_off[1:] = np.cumsum(sizes[:-1]) * capacity
    total = int(sizes.sum()) * capacity
    return Workspace(a_off, np.zeros(total, dtype), np.zeros(total, dtype),
                     np.zeros(total, dtype), np.zeros((capacity, int(sizes[-1])), dtype),
                     np.zeros(capacity, dtype),
                     np.zeros((capacity if for_training else 0, int(sizes[0])), dtype))


# --- views -------------------------------------------------------------------------------

@njit(**JIT)
def _matrix(buffer, offset, rows, cols):
    return buffer[offset:offset + rows * cols].reshape((rows, cols))


@njit(**JIT)
def weights_of(theta, arch, l):
    """:math:`w^l`, shape (sizes[l], sizes[l-1]), a view into the flat vector ``theta``."""
    return _matrix(theta, arch.w_off[l], arch.sizes[l], arch.sizes[l - 1])


@njit(**JIT)
def biases_of(theta, arch, l):
    """:math:`b^l`, shape (sizes[l],), a view into ``theta``."""
    return theta[arch.b_off[l]:arch.b_off[l] + arch.sizes[l]]


@njit(**JIT)
def layer_of(buffer, arch, work, l, m):
    """Layer ``l``'s rows of a workspace buffer (``work.A``, ``work.S`` or ``work.D``), shape
    (m, sizes[l])."""
    return _matrix(buffer, work.a_off[l], m, arch.sizes[l])


# --- one kernel per equation -------------------------------------------------------------

@njit(**PARALLEL_JIT)
def weighted_sum(w, b, a_prev, s):
    r"""Weighted sum :math:`s_{xj} = \sum_k w_{jk} a^{prev}_{xk} + b_j`; parallel over samples x."""
    for x in prange(a_prev.shape[0]):
        for j in range(w.shape[0]):
            s_j = b[j]
            for k in range(w.shape[1]):
                s_j += w[j, k] * a_prev[x, k]
            s[x, j] = s_j


@njit(**PARALLEL_JIT)
def activate(code, s, a):
    r"""Activation :math:`a_{xj} = f(s_{xj})`; softmax row by row,
    :math:`a_{xj} = e^{s_{xj} - \max s_x} / \sum_i e^{s_{xi} - \max s_x}`."""
    for x in prange(s.shape[0]):
        if code == activations.SOFTMAX:
            s_max = s[x, 0]
            for j in range(s.shape[1]):
                s_max = max(s_max, s[x, j])
            total = typed(s_max, 0.0)
            for j in range(s.shape[1]):
                a[x, j] = fastmath.exp(s[x, j] - s_max)
                total += a[x, j]
            for j in range(s.shape[1]):
                a[x, j] /= total
        else:
            for j in range(s.shape[1]):
                a[x, j] = activations.f(code, s[x, j])


@njit(**PARALLEL_JIT)
def output_delta(cost, output, s, a, y, delta, sample_cost):
    r"""BP1 :math:`\delta^L_{xj} = \partial C_x/\partial a_{xj} \, f'(s_{xj})` and the cost
    :math:`C_x` of every sample; parallel over samples x (see ``costs``)."""
    for x in prange(s.shape[0]):
        sample_cost[x] = costs.cost_of_sample(cost, s[x], a[x], y[x])
        costs.output_delta_of_sample(cost, output, s[x], a[x], y[x], delta[x])


@njit(**PARALLEL_JIT)
def backpropagate_delta(code, w_next, delta_next, s, a, delta):
    r"""BP2 :math:`\delta_{xj} = f'(s_{xj}) \sum_k w^{next}_{kj} \delta^{next}_{xk}`; parallel
    over samples x.

    The sum runs with ``k`` outermost so the innermost loop walks row ``k`` of ``w_next``
    with unit stride, accumulating into the sample's own row of ``delta``.
    """
    for x in prange(s.shape[0]):
        for j in range(s.shape[1]):
            delta[x, j] = 0
        for k in range(w_next.shape[0]):
            d_k = delta_next[x, k]
            for j in range(s.shape[1]):
                delta[x, j] += w_next[k, j] * d_k
        for j in range(s.shape[1]):
            delta[x, j] *= activations.f_prime(code, s[x, j], a[x, j])


@njit(**PARALLEL_JIT)
def weight_gradient(delta, a_prev, gw, gb, scale, accumulate):
    r"""BP3 :math:`g^b_j = \mathrm{scale}\sum_x \delta_{xj}` and BP4
    :math:`g^w_{jk} = \mathrm{scale}\sum_x a^{prev}_{xk} \delta_{xj}`; parallel over neurons j.

    With ``scale = 1/m`` these are :math:`\partial J/\partial b` and :math:`\partial J/\partial w`
    of the batch mean cost. ``accumulate`` adds to ``gw``/``gb`` instead of overwriting them
    (used to sum a large set chunk by chunk). Iteration ``j`` owns row ``j`` of ``gw``.
    """
    scale = gw.dtype.type(scale)
    for j in prange(gw.shape[0]):
        if not accumulate:
            gb[j] = 0
            for k in range(gw.shape[1]):
                gw[j, k] = 0
        for x in range(delta.shape[0]):
            d_j = scale * delta[x, j]
            gb[j] += d_j
            for k in range(gw.shape[1]):
                gw[j, k] += d_j * a_prev[x, k]


@njit(**JIT)
def weight_total(weights, n):
    r"""The denominator of a weighted mean gradient over ``n`` samples: :math:`\sum_x v_x` of
    the sample weights, or ``n`` without them (``weights`` empty)."""
    if weights.shape[0] == 0:
        return float(n)
    total = 0.0
    for x in range(n):
        total += weights[x]
    return total


# --- passes over the network -------------------------------------------------------------

@njit(**GLUE_JIT)
def add_output_costs(arch, work, Y, m, accuracy_mode, total):
    """``total`` (summed cost, correct count) plus the costs and correct predictions of the
    ``m`` rows in the workspace's output layer against their targets ``Y``; the costs are
    added one by one (the order of ``evaluate`` of the plain and the sparse drivers)."""
    loss, correct = total
    L = arch.sizes.shape[0] - 1
    s = layer_of(work.S, arch, work, L, m)
    a = layer_of(work.A, arch, work, L, m)
    for x in range(m):
        loss += costs.cost_of_sample(arch.cost, s[x], a[x], Y[x])
    return loss, correct + count_correct(accuracy_mode, a, Y)


@njit(**GLUE_JIT)
def forward_pass(theta, arch, work, a_in, m):
    """Weighted sum and activation, layer by layer, for ``m`` samples whose inputs are ``a_in``."""
    a_prev = a_in
    for l in range(1, arch.sizes.shape[0]):
        s = layer_of(work.S, arch, work, l, m)
        a = layer_of(work.A, arch, work, l, m)
        weighted_sum(weights_of(theta, arch, l), biases_of(theta, arch, l), a_prev, s)
        activate(arch.codes[l], s, a)
        a_prev = a


@njit(**GLUE_JIT)
def backward_pass(theta, grad, arch, work, a_in, y, m, scale, accumulate, weights, rows, start):
    r"""BP1 at the output, then BP3/BP4 and BP2 from the last layer back to the first hidden one.

    Writes the gradient into ``grad`` (same layout as ``theta``) and per-sample costs into
    ``work.sample_cost``. BP2 for layer l-1 reads :math:`w^l` before any update touches it.
    With sample weights (``weights`` not empty) sample x of the batch, row ``rows[start + x]``
    of the data, has its :math:`\delta^L_x` and :math:`C_x` multiplied by its weight.
    """
    L = arch.sizes.shape[0] - 1
    output_delta(arch.cost, arch.codes[L], layer_of(work.S, arch, work, L, m),
                 layer_of(work.A, arch, work, L, m), y,
                 layer_of(work.D, arch, work, L, m), work.sample_cost[:m])
    if weights.shape[0] > 0:
        delta = layer_of(work.D, arch, work, L, m)
        for x in range(m):
            v = weights[rows[start + x]]
            work.sample_cost[x] *= v
            for j in range(delta.shape[1]):
                delta[x, j] *= v
    for l in range(L, 0, -1):
        a_prev = a_in if l == 1 else layer_of(work.A, arch, work, l - 1, m)
        delta = layer_of(work.D, arch, work, l, m)
        weight_gradient(delta, a_prev, weights_of(grad, arch, l), biases_of(grad, arch, l),
                        scale, accumulate)
        if l > 1:
            backpropagate_delta(arch.codes[l - 1], weights_of(theta, arch, l), delta,
                                layer_of(work.S, arch, work, l - 1, m), a_prev,
                                layer_of(work.D, arch, work, l - 1, m))

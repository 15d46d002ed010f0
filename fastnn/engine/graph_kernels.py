r"""Compiled per-edge loops for feed-forward graphs (``fastnn.core.graph``), in document 003's
form.

Neurons are numbered by position ``p`` in topological order (inputs first, outputs last) and
grouped into levels; a neuron depends only on lower levels. Batch buffers are neuron-major:
``S[p, x]``, ``A[p, x]``, ``D[p, x]`` (weighted input, activation, delta of neuron p for sample
x), so that the innermost loop of every equation runs over the samples of a batch with unit
stride while one weight stays in a register.

=====================  ===================================================================  ====================
equation               formula                                                              kernel
=====================  ===================================================================  ====================
forward sum            :math:`s_j = \sum_{i \in in(j)} w_{ij} a_i + b_j,\ a_j = f_j(s_j)`      ``neuron_forward``
output delta (BP1)     :math:`\delta_j = \partial C_x/\partial a_j\, f'_j(s_j)` (costs)           ``output_stage``
delta recursion        :math:`\delta_i = f'_i(s_i) \sum_{j \in out(i)} w_{ij} \delta_j`          ``deltas``
edge gradients         :math:`\partial J/\partial w_{ij} = \frac1m \sum_x a_i \delta_j`,
                       :math:`\partial J/\partial b_j = \frac1m \sum_x \delta_j`                  ``edge_gradients``
=====================  ===================================================================  ====================

Parallel by ownership: within a level, ``prange`` runs over *units*, single neurons or quads
of twin neurons (consecutive neurons with the same sources, as in a dense layer, computed
together so that each source row is loaded once for four targets: ``units``); a unit writes
only its neurons' rows ``S[p]``, ``A[p]``, ``D[p]`` and the gradients of their incoming edges
and biases (every edge has one target), so no two iterations write one element and the bits
do not depend on the number of threads. Which levels run in parallel (``parallel_levels``)
depends on their work, the thread count and, as in the layered engine, the measured cost of a
parallel region; it changes only which thread computes a unit, never how. A *dense block* (a
quad of twins whose sources are consecutive neurons and whose weights are consecutive in
theta: four rows of a fully connected level pair) runs the dense engine's register-tiled loops
instead of the per-edge ones, on its views of theta (``quad_forward_dense``,
``quad_gradients_dense``). The backward pass computes every delta first, then every gradient,
so that plain SGD takes its step inside the gradient pass, on theta itself, as the layered
engine does; every other rule is ``rules.step``, shared with the layered engine.
"""  # noqa: E501 (the equation table's rows cannot wrap)
from collections import namedtuple

import numpy as np
from numba import njit, prange

from ..core import activations, costs, fastmath
from ..core._numba import FALSE, GLUE_JIT, JIT, PARALLEL_JIT, TRUE, typed
from ..core.metrics import count_correct
from . import fast_kernels as fk
from . import rules
from .chunks import chunk_loop

GraphArch = namedtuple("GraphArch", [
    "n_inputs", "level_ptr", "in_ptr", "in_src", "in_edge", "out_ptr", "out_dst", "out_edge",
    "bias_index", "codes", "n_outputs", "output_code", "cost", "unit_start", "unit_size",
    "unit_dense", "level_unit_ptr", "has_dense"])
"""``core.graph.GraphArrays`` plus ``n_outputs``, ``output_code`` (the outputs' common
activation code, -1 when they differ: quadratic cost, per-neuron BP1), the ``cost`` code and
the *units* of work (``units``): unit u is neurons ``unit_start[u]`` to
``unit_start[u] + unit_size[u] - 1``, level q's units are ``level_unit_ptr[q]:level_unit_ptr[q+1]``;
``unit_dense[u]`` 1 for a quad whose sources are consecutive neurons and whose weights are
consecutive in theta (a block of a dense layer), ``has_dense`` 1 when there is one."""

QUAD = 4
"""Neurons per unit when consecutive neurons of a level have the same sources (*twins*, as in
every dense layer): a unit loads each source row once for all of them."""


def units(g):
    """``(unit_start, unit_size, unit_dense, level_unit_ptr, has_dense)`` for
    ``core.graph.GraphArrays`` ``g``: each level cut into runs of ``QUAD`` consecutive neurons
    with identical in-edge source lists (computed together by ``quad_forward`` and
    ``quad_gradients``) and single neurons."""
    starts, sizes, dense, level_unit_ptr = [], [], [], [0]
    for q in range(len(g.level_ptr) - 1):
        p, hi = int(g.level_ptr[q]), int(g.level_ptr[q + 1])
        while p < hi:
            size = 1
            if q > 0 and p + QUAD <= hi:
                first = g.in_src[g.in_ptr[p]:g.in_ptr[p + 1]]
                if first.shape[0] >= 2 and all(
                        np.array_equal(first, g.in_src[g.in_ptr[p + t]:g.in_ptr[p + t + 1]])
                        for t in range(1, QUAD)):
                    size = QUAD
            block = False
            if size == QUAD:
                n = int(g.in_ptr[p + 1] - g.in_ptr[p])
                runs = [g.in_edge[g.in_ptr[p + t]:g.in_ptr[p + t + 1]] for t in range(QUAD)]
                block = bool((np.diff(first) == 1).all() and all(
                    (run == run[0] + np.arange(n)).all() for run in runs))
            starts.append(p)
            sizes.append(size)
            dense.append(block)
            p += size
        level_unit_ptr.append(len(starts))
    return (np.array(starts, dtype=np.int64), np.array(sizes, dtype=np.int64),
            np.array(dense, dtype=np.uint8), np.array(level_unit_ptr, dtype=np.int64),
            int(any(dense)))

GraphWorkspace = namedtuple("GraphWorkspace", ["S", "A", "D", "y", "s_out", "a_out", "d_out",
                                               "sample_cost", "AT"])
"""Buffers for batches of up to ``capacity`` samples: ``S``, ``A``, ``D`` (N, capacity)
neuron-major; ``y``, ``s_out``, ``a_out``, ``d_out`` (capacity, n_outputs) sample-major rows
of the targets and of the outputs' s, a and delta (what ``costs`` and ``metrics`` take);
``sample_cost`` (capacity,); ``AT`` (capacity, N), ``A`` transposed (sample-major), where
dense blocks read their sources (``quad_forward_dense``, ``quad_gradients_dense``; (0, 0)
when the graph has none)."""

def make_workspace(n_neurons, n_outputs, capacity, dtype, dense=True):
    """Allocate a ``GraphWorkspace`` for batches of up to ``capacity`` samples (``dense``:
    with the transposed activations ``AT``)."""
    def rows():
        return np.zeros((capacity, n_outputs), dtype)
    AT = np.zeros((capacity, n_neurons) if dense else (0, 0), dtype)
    return GraphWorkspace(np.zeros((n_neurons, capacity), dtype),
                          np.zeros((n_neurons, capacity), dtype),
                          np.zeros((n_neurons, capacity), dtype), rows(), rows(), rows(), rows(),
                          np.zeros(capacity, dtype), AT)


def parallel_levels(arch, m, threads, threshold):
    """uint8 per level: 1 where, on ``threads`` > 1 threads, the level's work for a batch of
    ``m`` (multiply-adds: its edges and neurons times ``m``) reaches ``threshold`` and it has
    at least two units to share."""
    ptr = arch.level_ptr
    flags = np.zeros(len(ptr) - 1, dtype=np.uint8)
    for q in range(1, len(ptr) - 1 if threads > 1 else 1):
        lo, hi = ptr[q], ptr[q + 1]
        edges = arch.in_ptr[hi] - arch.in_ptr[lo]
        n_units = arch.level_unit_ptr[q + 1] - arch.level_unit_ptr[q]
        flags[q] = n_units >= 2 and (edges + hi - lo) * m >= threshold
    return flags


# --- one neuron ----------------------------------------------------------------------------

@njit(**JIT)
def neuron_forward(theta, g, p, S, A, m):
    r"""Forward sum :math:`s_{px} = b_p + \sum_{e \in in(p)} w_e a_{src(e), x}` and, for an
    elementwise activation, :math:`a_{px} = f_p(s_{px})` for samples x < m.

    The edges are taken four at a time (one load and store of ``s[x]`` per four
    multiply-adds: the loop is bound by loads), the rest one by one."""
    s = S[p]
    b = _bias(theta, g, p)
    for x in range(m):
        s[x] = b
    e, stop = g.in_ptr[p], g.in_ptr[p + 1]
    while e + 8 <= stop:
        w0, w1 = theta[g.in_edge[e]], theta[g.in_edge[e + 1]]
        w2, w3 = theta[g.in_edge[e + 2]], theta[g.in_edge[e + 3]]
        w4, w5 = theta[g.in_edge[e + 4]], theta[g.in_edge[e + 5]]
        w6, w7 = theta[g.in_edge[e + 6]], theta[g.in_edge[e + 7]]
        a0, a1, a2, a3 = A[g.in_src[e]], A[g.in_src[e + 1]], A[g.in_src[e + 2]], A[g.in_src[e + 3]]
        a4, a5 = A[g.in_src[e + 4]], A[g.in_src[e + 5]]
        a6, a7 = A[g.in_src[e + 6]], A[g.in_src[e + 7]]
        for x in range(m):
            s[x] += ((w0 * a0[x] + w1 * a1[x]) + (w2 * a2[x] + w3 * a3[x])) + \
                ((w4 * a4[x] + w5 * a5[x]) + (w6 * a6[x] + w7 * a7[x]))
        e += 8
    while e + 4 <= stop:
        w0, w1 = theta[g.in_edge[e]], theta[g.in_edge[e + 1]]
        w2, w3 = theta[g.in_edge[e + 2]], theta[g.in_edge[e + 3]]
        a0, a1, a2, a3 = A[g.in_src[e]], A[g.in_src[e + 1]], A[g.in_src[e + 2]], A[g.in_src[e + 3]]
        for x in range(m):
            s[x] += w0 * a0[x] + w1 * a1[x] + w2 * a2[x] + w3 * a3[x]
        e += 4
    while e < stop:
        w = theta[g.in_edge[e]]
        a_i = A[g.in_src[e]]
        for x in range(m):
            s[x] += w * a_i[x]
        e += 1
    _activate(g, p, S, A, m)


@njit(**JIT)
def _activate(g, p, S, A, m):
    """:math:`a_{px} = f_p(s_{px})` for an elementwise activation (softmax: ``forward``)."""
    code = g.codes[p]
    if code != activations.SOFTMAX:
        s, a = S[p], A[p]
        for x in range(m):
            a[x] = activations.f(code, s[x])


@njit(**JIT)
def _bias(theta, g, p):
    bias = g.bias_index[p]
    return theta[bias] if bias >= 0 else typed(theta[0], 0.0)


@njit(**JIT)
def quad_forward(theta, g, p, S, A, m):
    r"""The forward sum of ``QUAD`` twin neurons p..p+3 (same sources, in the same order),
    two edges at a time: each source row :math:`a_{src(e)}` is loaded once for four targets,
    :math:`s_{p+t, x} \mathrel{+}= w_{e_t} a_{src(e), x} + w_{e_t+1} a_{src(e+1), x}`."""
    s0, s1, s2, s3 = S[p], S[p + 1], S[p + 2], S[p + 3]
    b0, b1, b2, b3 = (_bias(theta, g, p), _bias(theta, g, p + 1), _bias(theta, g, p + 2),
                      _bias(theta, g, p + 3))
    for x in range(m):
        s0[x] = b0
        s1[x] = b1
        s2[x] = b2
        s3[x] = b3
    e, stop = g.in_ptr[p], g.in_ptr[p + 1]
    o1, o2, o3 = g.in_ptr[p + 1] - e, g.in_ptr[p + 2] - e, g.in_ptr[p + 3] - e
    ie = g.in_edge
    while e + 2 <= stop:
        u, v = A[g.in_src[e]], A[g.in_src[e + 1]]
        w00, w01 = theta[ie[e]], theta[ie[e + 1]]
        w10, w11 = theta[ie[e + o1]], theta[ie[e + o1 + 1]]
        w20, w21 = theta[ie[e + o2]], theta[ie[e + o2 + 1]]
        w30, w31 = theta[ie[e + o3]], theta[ie[e + o3 + 1]]
        for x in range(m):
            u_x, v_x = u[x], v[x]
            s0[x] += w00 * u_x + w01 * v_x
            s1[x] += w10 * u_x + w11 * v_x
            s2[x] += w20 * u_x + w21 * v_x
            s3[x] += w30 * u_x + w31 * v_x
        e += 2
    if e < stop:
        u = A[g.in_src[e]]
        w0, w1, w2, w3 = theta[ie[e]], theta[ie[e + o1]], theta[ie[e + o2]], theta[ie[e + o3]]
        for x in range(m):
            u_x = u[x]
            s0[x] += w0 * u_x
            s1[x] += w1 * u_x
            s2[x] += w2 * u_x
            s3[x] += w3 * u_x
    for t in range(4):
        _activate(g, p + t, S, A, m)


@njit(**JIT)
def _store(grad, index, value, accumulate):
    if accumulate:
        grad[index] += value
    else:
        grad[index] = value


@njit(**JIT)
def _delta(theta, g, p, S, A, D, m):
    r"""The delta recursion :math:`\delta_{px} = f'_p(s_{px}) \sum_{e \in out(p)} w_e
    \delta_{dst(e), x}` for a hidden neuron (out-edges four at a time); an output's delta is
    already in ``D[p]`` (BP1)."""
    if p >= S.shape[0] - g.n_outputs:
        return
    d = D[p]
    for x in range(m):
        d[x] = 0
    e, stop = g.out_ptr[p], g.out_ptr[p + 1]
    while e + 4 <= stop:
        w0, w1 = theta[g.out_edge[e]], theta[g.out_edge[e + 1]]
        w2, w3 = theta[g.out_edge[e + 2]], theta[g.out_edge[e + 3]]
        d0, d1 = D[g.out_dst[e]], D[g.out_dst[e + 1]]
        d2, d3 = D[g.out_dst[e + 2]], D[g.out_dst[e + 3]]
        for x in range(m):
            d[x] += w0 * d0[x] + w1 * d1[x] + w2 * d2[x] + w3 * d3[x]
        e += 4
    while e < stop:
        w = theta[g.out_edge[e]]
        d_j = D[g.out_dst[e]]
        for x in range(m):
            d[x] += w * d_j[x]
        e += 1
    code, s, a = g.codes[p], S[p], A[p]
    for x in range(m):
        d[x] *= activations.f_prime(code, s[x], a[x])


@njit(**JIT)
def _bias_gradient(grad, g, p, D, m, scale, accumulate):
    r""":math:`\partial J/\partial b_p = \mathrm{scale} \sum_x \delta_{px}`."""
    bias = g.bias_index[p]
    if bias >= 0:
        d = D[p]
        total = typed(scale, 0.0)
        for x in range(m):
            total += d[x]
        _store(grad, bias, scale * total, accumulate)


@njit(**JIT)
def neuron_gradients(grad, g, p, A, D, m, scale, accumulate):
    r"""The gradients of neuron p's incoming edges
    :math:`g_e = \mathrm{scale} \sum_x a_{src(e), x} \delta_{px}` (four at a time) and of its
    bias :math:`\mathrm{scale} \sum_x \delta_{px}`, added to ``grad`` when ``accumulate``."""
    d = D[p]
    zero = typed(scale, 0.0)
    e, stop = g.in_ptr[p], g.in_ptr[p + 1]
    while e + 4 <= stop:
        a0, a1, a2, a3 = A[g.in_src[e]], A[g.in_src[e + 1]], A[g.in_src[e + 2]], A[g.in_src[e + 3]]
        t0, t1, t2, t3 = zero, zero, zero, zero
        for x in range(m):
            d_x = d[x]
            t0 += a0[x] * d_x
            t1 += a1[x] * d_x
            t2 += a2[x] * d_x
            t3 += a3[x] * d_x
        _store(grad, g.in_edge[e], scale * t0, accumulate)
        _store(grad, g.in_edge[e + 1], scale * t1, accumulate)
        _store(grad, g.in_edge[e + 2], scale * t2, accumulate)
        _store(grad, g.in_edge[e + 3], scale * t3, accumulate)
        e += 4
    while e < stop:
        a_i = A[g.in_src[e]]
        total = zero
        for x in range(m):
            total += a_i[x] * d[x]
        _store(grad, g.in_edge[e], scale * total, accumulate)
        e += 1
    _bias_gradient(grad, g, p, D, m, scale, accumulate)


@njit(**JIT)
def quad_gradients(grad, g, p, A, D, m, scale, accumulate):
    r"""``neuron_gradients`` for ``QUAD`` twin neurons p..p+3: for each shared source row
    (loaded once) the four edge gradients
    :math:`g_{e_t} = \mathrm{scale} \sum_x a_{src(e), x} \delta_{p+t, x}`."""
    d0, d1, d2, d3 = D[p], D[p + 1], D[p + 2], D[p + 3]
    zero = typed(scale, 0.0)
    e, stop = g.in_ptr[p], g.in_ptr[p + 1]
    o1, o2, o3 = g.in_ptr[p + 1] - e, g.in_ptr[p + 2] - e, g.in_ptr[p + 3] - e
    ie = g.in_edge
    while e < stop:
        a_i = A[g.in_src[e]]
        t0, t1, t2, t3 = zero, zero, zero, zero
        for x in range(m):
            a_x = a_i[x]
            t0 += a_x * d0[x]
            t1 += a_x * d1[x]
            t2 += a_x * d2[x]
            t3 += a_x * d3[x]
        _store(grad, ie[e], scale * t0, accumulate)
        _store(grad, ie[e + o1], scale * t1, accumulate)
        _store(grad, ie[e + o2], scale * t2, accumulate)
        _store(grad, ie[e + o3], scale * t3, accumulate)
        e += 1
    for t in range(4):
        _bias_gradient(grad, g, p + t, D, m, scale, accumulate)


@njit(**JIT)
def _dense_rows(g, p):
    """``(n, i0, w0, w1, w2, w3)`` of dense quad p..p+3: n sources i0..i0+n-1, and the theta
    index where each twin's n consecutive weights start."""
    e = g.in_ptr[p]
    return (g.in_ptr[p + 1] - e, g.in_src[e], g.in_edge[e], g.in_edge[g.in_ptr[p + 1]],
            g.in_edge[g.in_ptr[p + 2]], g.in_edge[g.in_ptr[p + 3]])


@njit(**JIT)
def quad_forward_dense(theta, g, p, S, A, AT, m):
    r"""``quad_forward`` for a dense block (``units``): the forward sums
    :math:`s_{p+t, x} = b_{p+t} + \sum_{k<n} w_{t,k}\, a_{x, i0+k}` in register tiles of 2
    samples x 4 neurons (``fast_kernels.dot_2x4_rows``, the tile of the dense layers' weighted
    sums) along rows of the transposed activations ``AT`` and the twins' weight rows in theta."""
    n, i0, w0, w1, w2, w3 = _dense_rows(g, p)
    v0, v1, v2 = theta[w0:w0 + n], theta[w1:w1 + n], theta[w2:w2 + n]
    v3 = theta[w3:w3 + n]
    b0, b1, b2, b3 = (_bias(theta, g, p), _bias(theta, g, p + 1), _bias(theta, g, p + 2),
                      _bias(theta, g, p + 3))
    x = 0
    while x + 2 <= m:
        c00, c01, c02, c03, c10, c11, c12, c13 = fk.dot_2x4_rows(
            AT[x, i0:i0 + n], AT[x + 1, i0:i0 + n], v0, v1, v2, v3)
        S[p, x], S[p + 1, x], S[p + 2, x], S[p + 3, x] = c00 + b0, c01 + b1, c02 + b2, c03 + b3
        S[p, x + 1], S[p + 1, x + 1] = c10 + b0, c11 + b1
        S[p + 2, x + 1], S[p + 3, x + 1] = c12 + b2, c13 + b3
        x += 2
    if x < m:
        c00, c01, c02, c03 = fk.dot_1x4_rows(AT[x, i0:i0 + n], v0, v1, v2, v3)
        S[p, x], S[p + 1, x], S[p + 2, x], S[p + 3, x] = c00 + b0, c01 + b1, c02 + b2, c03 + b3
    for t in range(4):
        _activate(g, p + t, S, A, m)


@njit(**JIT)
def quad_gradients_dense(grad, g, p, AT, D, m, scale, accumulate):
    r"""``quad_gradients`` for a dense block: the edge gradients
    :math:`g_{t,k} = \mathrm{scale} \sum_x \delta_{p+t,x}\, a_{x, i0+k}` as rank-4 updates
    of the twins' four gradient rows, four samples per pass along rows of ``AT`` (16 scaled
    deltas in registers, each row of the gradient loaded and stored once per four samples:
    ``fast_kernels.rank4_rows``, the tile of the dense layers' BP4), the samples left over
    one by one."""
    n, i0, w0, w1, w2, w3 = _dense_rows(g, p)
    g0, g1, g2, g3 = grad[w0:w0 + n], grad[w1:w1 + n], grad[w2:w2 + n], grad[w3:w3 + n]
    if not accumulate:
        for k in range(n):
            g0[k] = 0
            g1[k] = 0
            g2[k] = 0
            g3[k] = 0
    d0, d1, d2, d3 = D[p], D[p + 1], D[p + 2], D[p + 3]
    x = 0
    while x + 4 <= m:
        e00, e01, e02, e03 = scale * d0[x], scale * d1[x], scale * d2[x], scale * d3[x]
        e10, e11, e12, e13 = (scale * d0[x + 1], scale * d1[x + 1], scale * d2[x + 1],
                              scale * d3[x + 1])
        e20, e21, e22, e23 = (scale * d0[x + 2], scale * d1[x + 2], scale * d2[x + 2],
                              scale * d3[x + 2])
        e30, e31, e32, e33 = (scale * d0[x + 3], scale * d1[x + 3], scale * d2[x + 3],
                              scale * d3[x + 3])
        fk.rank4_rows(g0, g1, g2, g3, AT[x, i0:i0 + n], AT[x + 1, i0:i0 + n],
                      AT[x + 2, i0:i0 + n], AT[x + 3, i0:i0 + n], (e00, e01, e02, e03),
                      (e10, e11, e12, e13), (e20, e21, e22, e23), (e30, e31, e32, e33))
        x += 4
    while x < m:
        c0, c1, c2, c3 = scale * d0[x], scale * d1[x], scale * d2[x], scale * d3[x]
        row = AT[x, i0:i0 + n]
        for k in range(n):
            a_k = row[k]
            g0[k] += c0 * a_k
            g1[k] += c1 * a_k
            g2[k] += c2 * a_k
            g3[k] += c3 * a_k
        x += 1
    for t in range(4):
        _bias_gradient(grad, g, p + t, D, m, scale, accumulate)


@njit(**JIT)
def unit_forward(theta, g, u, S, A, AT, m):
    """The forward sums of unit ``u`` (a dense block, a quad of twins or one neuron), and
    its hidden neurons' activations copied into their columns of ``AT`` (when the graph has
    dense blocks, which read their sources there)."""
    p = g.unit_start[u]
    if g.unit_dense[u]:
        quad_forward_dense(theta, g, p, S, A, AT, m)
    elif g.unit_size[u] == QUAD:
        quad_forward(theta, g, p, S, A, m)
    else:
        neuron_forward(theta, g, p, S, A, m)
    if AT.shape[0] > 0:
        for j in range(p, min(p + g.unit_size[u], S.shape[0] - g.n_outputs)):
            a = A[j]
            for x in range(m):
                AT[x, j] = a[x]


@njit(**JIT)
def unit_deltas(theta, g, u, S, A, D, m):
    """The deltas of unit ``u``'s neurons (``_delta``)."""
    p = g.unit_start[u]
    for t in range(g.unit_size[u]):
        _delta(theta, g, p + t, S, A, D, m)


@njit(**JIT)
def unit_gradients(target, g, u, A, D, AT, m, scale, accumulate, decay, eta, l2, l1):
    r"""The gradients of unit ``u``'s incoming edges and biases, ``scale`` times the sums
    over the batch, into ``target`` (added when ``accumulate``). With ``target`` = theta,
    ``scale`` = :math:`-\eta/m` and ``accumulate`` this is the SGD step fused into the
    gradient pass (as ``fast_kernels.sgd_block``): when ``eta`` is not zero, each incoming
    weight first takes its penalty step :math:`w \leftarrow w - \eta\, p(w)`
    (``rules.penalised``, weights marked in ``decay`` only), at the weights before the step."""
    p = g.unit_start[u]
    if eta != 0 and (l2 != 0 or l1 != 0):
        f = target.dtype.type
        eta_, l2_, l1_, zero = f(eta), f(l2), f(l1), f(0)
        for e in range(g.in_ptr[p], g.in_ptr[p + g.unit_size[u]]):
            i = g.in_edge[e]
            target[i] -= eta_ * rules.penalised(target[i], zero, decay[i], l2_, l1_)
    if g.unit_dense[u]:
        quad_gradients_dense(target, g, p, AT, D, m, scale, accumulate)
    elif g.unit_size[u] == QUAD:
        quad_gradients(target, g, p, A, D, m, scale, accumulate)
    else:
        neuron_gradients(target, g, p, A, D, m, scale, accumulate)


# --- one level, serial or parallel over its neurons --------------------------------------

@njit(**PARALLEL_JIT)
def _forward_level_parallel(theta, g, lo, hi, S, A, AT, m):
    for u in prange(lo, hi):
        unit_forward(theta, g, u, S, A, AT, m)


@njit(**PARALLEL_JIT)
def _deltas_level_parallel(theta, g, lo, hi, S, A, D, m):
    for u in prange(lo, hi):
        unit_deltas(theta, g, u, S, A, D, m)


@njit(**PARALLEL_JIT)
def _gradients_level_parallel(target, g, lo, hi, A, D, AT, m, scale, accumulate, decay, eta,
                              l2, l1):
    for u in prange(lo, hi):
        unit_gradients(target, g, u, A, D, AT, m, scale, accumulate, decay, eta, l2, l1)


# --- passes ----------------------------------------------------------------------------------

@njit(**GLUE_JIT)
def forward(theta, g, par, work, m):
    """The forward sums level by level, then the row-wise softmax of softmax outputs,
    :math:`a_{jx} = e^{s_{jx} - \\max s_x} / \\sum_i e^{s_{ix} - \\max s_x}` over the outputs."""
    S, A, AT = work.S, work.A, work.AT
    for q in range(1, g.level_ptr.shape[0] - 1):
        lo, hi = g.level_unit_ptr[q], g.level_unit_ptr[q + 1]
        if par[q]:
            _forward_level_parallel(theta, g, lo, hi, S, A, AT, m)
        else:
            for u in range(lo, hi):
                unit_forward(theta, g, u, S, A, AT, m)
    if g.output_code == activations.SOFTMAX:
        o0 = S.shape[0] - g.n_outputs
        for x in range(m):
            s_max = S[o0, x]
            for j in range(o0, S.shape[0]):
                s_max = max(s_max, S[j, x])
            total = typed(s_max, 0.0)
            for j in range(o0, S.shape[0]):
                A[j, x] = fastmath.exp(S[j, x] - s_max)
                total += A[j, x]
            for j in range(o0, S.shape[0]):
                A[j, x] /= total


@njit(**GLUE_JIT)
def output_stage(g, work, y, m, with_delta):
    """Per sample: the outputs' s and a as rows, the cost :math:`C_x` (``work.sample_cost``)
    and, ``with_delta``, BP1 into ``D`` (``costs.output_delta_of_sample``; per neuron
    :math:`(a_j - y_j) f'_j(s_j)` when the outputs' activations differ)."""
    o0 = work.S.shape[0] - g.n_outputs
    for x in range(m):
        s, a, d = work.s_out[x], work.a_out[x], work.d_out[x]
        for j in range(g.n_outputs):
            s[j] = work.S[o0 + j, x]
            a[j] = work.A[o0 + j, x]
        work.sample_cost[x] = costs.cost_of_sample(g.cost, s, a, y[x])
        if with_delta:
            if g.output_code >= 0:
                costs.output_delta_of_sample(g.cost, g.output_code, s, a, y[x], d)
            else:
                for j in range(g.n_outputs):
                    d[j] = (a[j] - y[x, j]) * activations.f_prime(g.codes[o0 + j], s[j], a[j])
            for j in range(g.n_outputs):
                work.D[o0 + j, x] = d[j]


@njit(**GLUE_JIT)
def deltas(theta, g, par, work, m):
    """The delta recursion level by level from the outputs back to level 1 (a level's
    deltas need only higher levels'), after BP1 (``output_stage``) has set the outputs'."""
    for q in range(g.level_ptr.shape[0] - 3, 0, -1):
        lo, hi = g.level_unit_ptr[q], g.level_unit_ptr[q + 1]
        if par[q]:
            _deltas_level_parallel(theta, g, lo, hi, work.S, work.A, work.D, m)
        else:
            for u in range(lo, hi):
                unit_deltas(theta, g, u, work.S, work.A, work.D, m)


@njit(**GLUE_JIT)
def edge_gradients(target, g, par, work, m, scale, accumulate, decay, eta, l2, l1):
    """``unit_gradients`` of every unit, level by level, once every delta is known: into the
    gradient, or (SGD, ``eta`` the learning rate) into theta itself, which no delta reads
    any more."""
    scale = target.dtype.type(scale)
    for q in range(1, g.level_ptr.shape[0] - 1):
        lo, hi = g.level_unit_ptr[q], g.level_unit_ptr[q + 1]
        if par[q]:
            _gradients_level_parallel(target, g, lo, hi, work.A, work.D, work.AT, m, scale,
                                      accumulate, decay, eta, l2, l1)
        else:
            for u in range(lo, hi):
                unit_gradients(target, g, u, work.A, work.D, work.AT, m, scale, accumulate,
                               decay, eta, l2, l1)


@njit(**GLUE_JIT)
def backward(theta, grad, g, par, work, y, m, scale, accumulate):
    """BP1 at the outputs, the deltas, then the edge gradients ``scale`` times the sums over
    the batch into ``grad`` (added when ``accumulate``)."""
    output_stage(g, work, y, m, TRUE)
    deltas(theta, g, par, work, m)
    edge_gradients(grad, g, par, work, m, scale, accumulate, np.zeros(0, np.uint8), 0.0, 0.0, 0.0)


@njit(**GLUE_JIT)
def _load(g, work, X, rows, start, m):
    """Inputs of samples ``rows[start:start+m]`` into the columns of ``A``'s input rows (and
    into the rows of ``AT``, when the graph has dense blocks)."""
    A, AT = work.A, work.AT
    for x in range(m):
        row = X[rows[start + x]]
        for i in range(g.n_inputs):
            A[i, x] = row[i]
        if AT.shape[0] > 0:
            for i in range(g.n_inputs):
                AT[x, i] = row[i]


@njit(**GLUE_JIT)
def _load_targets(work, Y, rows, start, m):
    for x in range(m):
        work.y[x, :] = Y[rows[start + x]]


# --- drivers -----------------------------------------------------------------------------------

@njit(**JIT)
def train_epoch(theta, grad, g, par, work, X, Y, order, batch_size, update, accuracy_mode):
    """One epoch of mini-batch training over ``order``: per batch, forward, BP1, the delta
    recursion, then the edge gradients and one step of ``update`` (``rules.step``); plain SGD
    takes its step in the gradient pass (``edge_gradients`` into theta, the gradient never
    stored). Returns the summed per-sample cost (before each batch's update) and the correct
    count; stops, before the update, after a batch whose summed cost is not finite."""
    n = order.shape[0]
    loss = 0.0
    correct = 0
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        _load(g, work, X, order, start, m)
        _load_targets(work, Y, order, start, m)
        forward(theta, g, par, work, m)
        output_stage(g, work, work.y, m, TRUE)
        for x in range(m):
            loss += work.sample_cost[x]
        correct += count_correct(accuracy_mode, work.a_out[:m], work.y[:m])
        if not np.isfinite(loss):
            break
        deltas(theta, g, par, work, m)
        if update.rule == rules.SGD_RULE:
            update.t[0] += 1
            edge_gradients(theta, g, par, work, m, -update.learning_rate / m, TRUE, update.decay,
                           update.learning_rate, update.l2, update.l1)
        else:
            edge_gradients(grad, g, par, work, m, 1.0 / m, FALSE, update.decay, 0.0, 0.0, 0.0)
            rules.step(update, theta, grad)
    return loss, correct


PredictJob = namedtuple("PredictJob", "theta g par work X rows out")
GradientsJob = namedtuple("GradientsJob", "theta grad g par work X Y rows scale")
EvaluateJob = namedtuple("EvaluateJob", "theta g par work X Y rows accuracy_mode")
"""The arrays of one ``predict``, ``gradients`` or ``evaluate`` call (``rows`` = arange(n)),
walked in chunks of the workspace's capacity by ``chunks.chunk_loop`` (their steps below)."""


@njit(**GLUE_JIT)
def _predict_rows(job, start, m, total):
    """Forward pass of rows ``start .. start+m``; their output activations into ``out``."""
    g, work = job.g, job.work
    _load(g, work, job.X, job.rows, start, m)
    forward(job.theta, g, job.par, work, m)
    o0 = work.S.shape[0] - g.n_outputs
    for x in range(m):
        for j in range(g.n_outputs):
            job.out[start + x, j] = work.A[o0 + j, x]
    return total


@njit(**GLUE_JIT)
def _gradient_rows(job, start, m, loss):
    """Forward and backward pass of rows ``start .. start+m``, their gradient (times
    ``scale``) added to ``grad`` (written by the first chunk); ``loss`` plus their costs."""
    g, work = job.g, job.work
    _load(g, work, job.X, job.rows, start, m)
    _load_targets(work, job.Y, job.rows, start, m)
    forward(job.theta, g, job.par, work, m)
    backward(job.theta, job.grad, g, job.par, work, work.y, m, job.scale, start > 0)
    for x in range(m):
        loss += work.sample_cost[x]
    return loss


@njit(**GLUE_JIT)
def _evaluate_rows(job, start, m, total):
    """Forward pass and output costs of rows ``start .. start+m``; (summed cost, correct
    count) plus theirs."""
    loss, correct = total
    g, work = job.g, job.work
    _load(g, work, job.X, job.rows, start, m)
    _load_targets(work, job.Y, job.rows, start, m)
    forward(job.theta, g, job.par, work, m)
    output_stage(g, work, work.y, m, FALSE)
    for x in range(m):
        loss += work.sample_cost[x]
    correct += count_correct(job.accuracy_mode, work.a_out[:m], work.y[:m])
    return loss, correct


_predict_loop = chunk_loop(_predict_rows)
_gradient_loop = chunk_loop(_gradient_rows)
_evaluate_loop = chunk_loop(_evaluate_rows)


@njit(**JIT)
def predict(theta, g, par, work, X, out):
    """Output activations of every row of ``X`` into ``out`` (n, n_outputs)."""
    job = PredictJob(theta, g, par, work, X, np.arange(X.shape[0]), out)
    _predict_loop(job, X.shape[0], work.S.shape[1], 0)


@njit(**JIT)
def gradients(theta, grad, g, par, work, X, Y):
    """Gradient of the mean cost over all rows into ``grad``; returns the summed cost."""
    n = X.shape[0]
    job = GradientsJob(theta, grad, g, par, work, X, Y, np.arange(n), 1.0 / n)
    return _gradient_loop(job, n, work.S.shape[1], 0.0)


@njit(**JIT)
def evaluate(theta, g, par, work, X, Y, accuracy_mode):
    """Summed cost and number of correct predictions over all rows."""
    job = EvaluateJob(theta, g, par, work, X, Y, np.arange(X.shape[0]), accuracy_mode)
    return _evaluate_loop(job, X.shape[0], work.S.shape[1], (0.0, 0))

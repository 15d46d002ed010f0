r"""Fast forms of the equations of ``kernels``: the same loops, register-tiled and fused.

``kernels`` keeps one plain loop per equation, the readable definition and the test oracle;
this module computes the same quantities faster, and ``tests/test_fast_kernels.py`` holds it
to the plain kernels and to the NumPy engine. What changes, and why (measured on the 2-core
AVX2 machine this was written on; see ``benchmarks/``):

* **Register tiles.** A plain k-loop loads one weight and one activation per multiply-add
  and is bound by loads. ``dot_2x4`` computes a tile of 2 rows x 4 rows of sums at once:
  each loaded value is used 2 or 4 times, the eight accumulators (vectorised over k by LLVM,
  thanks to ``reassoc``) fit AVX2's sixteen registers. Measured on 1024-wide float32 layers:
  ~55-60 GFLOP/s per core against ~20 for the plain loop (OpenBLAS: ~70-85).
* **One tile kernel, three equations.** The weighted sum :math:`s_{xj} = \sum_k w_{jk} a_{xk}`
  is ``dot_2x4`` over rows of ``a_prev`` and ``w``; BP2
  :math:`\sum_k w_{kj} \delta_{xk}` is the same over rows of ``delta_next`` and of a
  *transposed copy* ``wT`` of the weights (the plain loop would walk a column of ``w``).
* **Fused epilogues.** The activation :math:`a = f(s)` is applied as each tile is stored,
  and :math:`f'(s)` multiplies the BP2 sum as it is stored: no second pass over the layer.
* **BP3/BP4 as rank-4 updates.** :math:`g_{jk} = \sum_x \delta_{xj} a_{xk}` runs 4 samples at
  a time into 4 rows of the gradient, which stay in L1 while the k-loop streams each
  activation row once per 4 samples; no transposed copies are needed.
* **Blocks and groups of neurons.** Each kernel has a *block* body (neurons ``4*jb`` to
  ``4*jb+3`` of one layer, samples ``x0..x1-1``) and a *group* body: ``GROUP`` blocks swept
  by chunks of ``X_CHUNK`` samples, so that the group's weight rows stay in L2 while each
  chunk of activations is read once per group instead of once per block (a 128 x 1024
  float32 batch is 512 KB, the size of this machine's L2). Two drivers run the groups: a
  ``prange`` and a serial loop. A group writes only its own neurons' entries and sums in the
  same order wherever it runs, so both drivers and any thread count give the same bits.
  ``fast_drivers`` picks the driver per layer by the work size (``PARALLEL_WORK``): a
  parallel region costs microseconds to launch (milliseconds when another process holds a
  core), more than a tiny layer's whole arithmetic. The choice changes who computes, never how.
* **The next batch's weighted sum fused into this batch's SGD step** of the first layer
  (``sgd_then_weighted_sum_group``): block by block, the rows are updated and then used at
  once, while in L1; per element the same operations as the two kernels in turn.
"""
import numpy as np
from numba import njit, prange

from ..core import activations, fastmath
from ..core._numba import GLUE_JIT, JIT, ORDERED_JIT, PARALLEL_JIT, SCALAR_JIT, TRUE, ZERO, typed
from . import rules

BLOCK = 4
"""Neurons per block: the width of the register tiles."""
GROUP = 8
"""Blocks per group, the unit of work (and of ownership) of the loops over groups, on layers wide
enough; every driver takes the width ``per`` as its first argument, and narrow layers run in
parallel with fewer blocks per group so that every thread gets one (``fast_drivers.group_width``).
The width never changes a value: it only decides which thread computes which rows."""
X_CHUNK = 16
"""Samples per sweep over a group (a multiple of 4, so chunking never changes an order of
summation: the rank-4 updates and 2-sample tiles line up as without chunks)."""


@njit(**JIT)
def n_groups(n, per):
    """Groups of ``per`` blocks covering ``n`` neurons (rows)."""
    return (n + BLOCK * per - 1) // (BLOCK * per)


# --- register tiles -----------------------------------------------------------------------

@njit(**JIT)
def dot_2x4(A, p, B, q):
    r"""The 2 x 4 tile of sums :math:`c_{uv} = \sum_r A_{p+u,\,r} B_{q+v,\,r}`, u < 2, v < 4
    (``dot_2x4_rows`` of those rows)."""
    return dot_2x4_rows(A[p], A[p + 1], B[q], B[q + 1], B[q + 2], B[q + 3])


@njit(**GLUE_JIT)
def dot_2x4_rows(a0, a1, b0, b1, b2, b3):
    r"""The 2 x 4 register tile :math:`c_{uv} = \sum_r a_u[r]\, b_v[r]`, u < 2, v < 4, of
    two sample rows and four weight rows of one length: every dense weighted sum of the
    package (layers here, dense blocks of a graph in ``graph_kernels.quad_forward_dense``).

    Returned as ``(c00, c01, c02, c03, c10, c11, c12, c13)``. Each iteration of the r-loop
    loads 6 values and does 8 multiply-adds; LLVM vectorises the loop over r. Inlined into
    its callers (``GLUE_JIT``): a function of its own would be optimised again in each.
    """
    zero = typed(a0[0], 0.0)
    c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = zero
    for r in range(a0.shape[0]):
        x0 = a0[r]
        x1 = a1[r]
        w0 = b0[r]
        w1 = b1[r]
        w2 = b2[r]
        w3 = b3[r]
        c00 += x0 * w0
        c01 += x0 * w1
        c02 += x0 * w2
        c03 += x0 * w3
        c10 += x1 * w0
        c11 += x1 * w1
        c12 += x1 * w2
        c13 += x1 * w3
    return c00, c01, c02, c03, c10, c11, c12, c13


@njit(**JIT)
def dot_1x4(A, p, B, q):
    r"""The 1 x 4 tile :math:`c_v = \sum_r A_{p,r} B_{q+v,\,r}`, v < 4 (odd last row of A)."""
    return dot_1x4_rows(A[p], B[q], B[q + 1], B[q + 2], B[q + 3])


@njit(**GLUE_JIT)
def dot_1x4_rows(a0, b0, b1, b2, b3):
    r"""The 1 x 4 tile :math:`c_v = \sum_r a_0[r]\, b_v[r]`, v < 4 (a sample left over)."""
    zero = typed(a0[0], 0.0)
    c0 = c1 = c2 = c3 = zero
    for r in range(a0.shape[0]):
        x0 = a0[r]
        c0 += x0 * b0[r]
        c1 += x0 * b1[r]
        c2 += x0 * b2[r]
        c3 += x0 * b3[r]
    return c0, c1, c2, c3


@njit(**JIT)
def dot_1x1(A, p, B, q):
    r""":math:`\sum_r A_{p,r} B_{q,r}` (neurons left over after the last full block)."""
    c = typed(A[p, 0], 0.0)
    for r in range(A.shape[1]):
        c += A[p, r] * B[q, r]
    return c


# --- weighted sum with the activation fused ------------------------------------------------

@njit(**JIT)
def _store_activation(code, s, a, x, j, s_xj):
    r"""Epilogue of the weighted sum: store :math:`s_{xj}` and :math:`a_{xj} = f(s_{xj})`
    (softmax couples a row, so ``softmax_rows`` applies it after the whole layer)."""
    s[x, j] = s_xj
    if code != activations.SOFTMAX:
        a[x, j] = activations.f(code, s_xj)


@njit(**JIT)
def weighted_sum_block(jb, code, w, b, a_prev, s, a, x0, x1):
    r"""Weighted sum and activation :math:`a_{xj} = f(\sum_k w_{jk} a^{prev}_{xk} + b_j)` for
    the neurons j of block ``jb`` and samples ``x0 <= x < x1``, in 2 x 4 tiles (samples x
    neurons)."""
    n = w.shape[0]
    j = BLOCK * jb
    if j + BLOCK <= n:
        for x in range(x0, x1 - 1, 2):
            t = dot_2x4(a_prev, x, w, j)
            for v in range(BLOCK):
                _store_activation(code, s, a, x, j + v, t[v] + b[j + v])
                _store_activation(code, s, a, x + 1, j + v, t[BLOCK + v] + b[j + v])
        if (x1 - x0) % 2 == 1:
            t1 = dot_1x4(a_prev, x1 - 1, w, j)
            for v in range(BLOCK):
                _store_activation(code, s, a, x1 - 1, j + v, t1[v] + b[j + v])
    else:
        for jj in range(j, n):
            for x in range(x0, x1):
                _store_activation(code, s, a, x, jj, dot_1x1(a_prev, x, w, jj) + b[jj])


@njit(**JIT)
def weighted_sum_group(g, per, code, w, b, a_prev, s, a):
    """``weighted_sum_block`` for the ``per`` blocks of group ``g``, chunk of samples by chunk."""
    m = a_prev.shape[0]
    jb0 = per * g
    jb1 = min(jb0 + per, (w.shape[0] + BLOCK - 1) // BLOCK)
    for x0 in range(0, m, X_CHUNK):
        x1 = min(x0 + X_CHUNK, m)
        for jb in range(jb0, jb1):
            weighted_sum_block(jb, code, w, b, a_prev, s, a, x0, x1)


@njit(**PARALLEL_JIT)
def weighted_sum_parallel(per, code, w, b, a_prev, s, a):
    """``weighted_sum_group`` over every group of neurons, in parallel (a group owns its
    columns)."""
    for g in prange(n_groups(w.shape[0], per)):
        weighted_sum_group(np.int64(g), per, code, w, b, a_prev, s, a)


@njit(**JIT)
def weighted_sum_serial(per, code, w, b, a_prev, s, a):
    """``weighted_sum_group`` over every group of neurons, on the calling thread."""
    for g in range(n_groups(w.shape[0], per)):
        weighted_sum_group(g, per, code, w, b, a_prev, s, a)


@njit(**ORDERED_JIT)
def softmax_rows(s, a):
    r"""Softmax :math:`a_{xj} = e^{s_{xj} - \max s_x} / \sum_i e^{s_{xi} - \max s_x}`, row by
    row; the sum in the order of j (the population lanes sum it so too)."""
    for x in range(s.shape[0]):
        s_max = s[x, 0]
        for j in range(s.shape[1]):
            s_max = max(s_max, s[x, j])
        for j in range(s.shape[1]):
            a[x, j] = fastmath.exp(s[x, j] - s_max)
        total = typed(s_max, 0.0)
        for j in range(s.shape[1]):
            total += a[x, j]
        inverse = typed(s_max, 1.0) / total
        for j in range(s.shape[1]):
            a[x, j] *= inverse


# --- BP2 with f' fused, on a transposed copy of the weights --------------------------------

@njit(**JIT)
def transpose_block(jb, w, wT):
    """Rows ``4*jb..4*jb+3`` of ``wT`` = those columns of ``w``; the block owns those rows."""
    j0 = BLOCK * jb
    j1 = min(j0 + BLOCK, w.shape[1])
    for k in range(w.shape[0]):
        for j in range(j0, j1):
            wT[j, k] = w[k, j]


@njit(**JIT)
def _store_delta(code, s, a, delta, x, j, total):
    r"""Epilogue of BP2: :math:`\delta_{xj} = f'(s_{xj}) \cdot \mathrm{total}`."""
    delta[x, j] = activations.f_prime(code, s[x, j], a[x, j]) * total


@njit(**JIT)
def backpropagate_delta_block(jb, code, wT, delta_next, s, a, delta, x0, x1):
    r"""BP2 :math:`\delta_{xj} = f'(s_{xj}) \sum_k w^{next}_{kj} \delta^{next}_{xk}` for the
    neurons j of block ``jb`` and samples ``x0 <= x < x1``; ``wT[j, k]`` =
    :math:`w^{next}_{kj}`, so the sum is a unit-stride tile over rows of ``delta_next`` and
    ``wT``."""
    n = wT.shape[0]
    j = BLOCK * jb
    if j + BLOCK <= n:
        for x in range(x0, x1 - 1, 2):
            t = dot_2x4(delta_next, x, wT, j)
            for v in range(BLOCK):
                _store_delta(code, s, a, delta, x, j + v, t[v])
                _store_delta(code, s, a, delta, x + 1, j + v, t[BLOCK + v])
        if (x1 - x0) % 2 == 1:
            t1 = dot_1x4(delta_next, x1 - 1, wT, j)
            for v in range(BLOCK):
                _store_delta(code, s, a, delta, x1 - 1, j + v, t1[v])
    else:
        for jj in range(j, n):
            for x in range(x0, x1):
                _store_delta(code, s, a, delta, x, jj, dot_1x1(delta_next, x, wT, jj))


@njit(**JIT)
def backpropagate_delta_group(g, per, code, w_next, wT, delta_next, s, a, delta):
    """``backpropagate_delta_block`` for the ``per`` blocks of group ``g``, chunk of samples
    by chunk, after copying the group's rows of ``wT`` from ``w_next``'s columns
    (``transpose_block``): a group reads only the rows of ``wT`` it wrote, so the copy needs
    no region of its own."""
    m = delta_next.shape[0]
    jb0 = per * g
    jb1 = min(jb0 + per, (wT.shape[0] + BLOCK - 1) // BLOCK)
    for jb in range(jb0, jb1):
        transpose_block(jb, w_next, wT)
    for x0 in range(0, m, X_CHUNK):
        x1 = min(x0 + X_CHUNK, m)
        for jb in range(jb0, jb1):
            backpropagate_delta_block(jb, code, wT, delta_next, s, a, delta, x0, x1)


@njit(**PARALLEL_JIT)
def backpropagate_delta_parallel(per, code, w_next, wT, delta_next, s, a, delta):
    """``backpropagate_delta_group`` over every group of neurons, in parallel (a group owns
    its rows of ``wT`` and its columns of ``delta``)."""
    for g in prange(n_groups(wT.shape[0], per)):
        backpropagate_delta_group(np.int64(g), per, code, w_next, wT, delta_next, s, a, delta)


@njit(**JIT)
def backpropagate_delta_serial(per, code, w_next, wT, delta_next, s, a, delta):
    """``backpropagate_delta_group`` over every group of neurons, on the calling thread."""
    for g in range(n_groups(wT.shape[0], per)):
        backpropagate_delta_group(g, per, code, w_next, wT, delta_next, s, a, delta)


@njit(**JIT)
def backpropagate_delta_direct(code, w_next, delta_next, s, a, delta):
    r"""BP2 straight from ``w_next`` on the calling thread, for layers too small for the
    transposed copy to pay (``fast_drivers.DIRECT_BP2``): per sample, the k-loop outermost so
    the inner loop walks row k of ``w_next`` with unit stride (``kernels.backpropagate_delta``'s
    loop, serial). Chosen by the layer's shape only, so it never depends on the threads."""
    for x in range(s.shape[0]):
        for j in range(s.shape[1]):
            delta[x, j] = 0
        for k in range(w_next.shape[0]):
            d_k = delta_next[x, k]
            for j in range(s.shape[1]):
                delta[x, j] += w_next[k, j] * d_k
        for j in range(s.shape[1]):
            delta[x, j] *= activations.f_prime(code, s[x, j], a[x, j])


# --- BP3/BP4 as rank-4 updates of rows ------------------------------------------------------

@njit(**JIT)
def rank_update_block(jb, delta, a_prev, target, c, x0, x1):
    r"""Add :math:`c\sum_{x_0 \le x < x_1} \delta_{xj} a^{prev}_{xk}` to ``target[j, k]`` for the
    rows j of block ``jb``.

    With ``target`` the zeroed gradient and :math:`c = 1/m` this is BP4; with ``target`` the
    weights themselves and :math:`c = -\eta/m` it is BP4 fused with the SGD update.
    Four samples at a time: 16 scaled deltas are held in registers while the
    k-loop adds :math:`\sum_{u<4} \delta_{x+u,j}\, a^{prev}_{x+u,k}` to each of the block's four
    rows, which stay in L1 (one pass over them per 4 samples instead of one per sample).
    """
    n, n_in = target.shape[0], target.shape[1]
    j0, j1 = BLOCK * jb, min(BLOCK * jb + BLOCK, n)
    if j1 - j0 < BLOCK:
        for j in range(j0, j1):
            for x in range(x0, x1):
                d = c * delta[x, j]
                for k in range(n_in):
                    target[j, k] += d * a_prev[x, k]
        return
    x = x0
    while x + 4 <= x1:
        _rank4_pass(target, j0, a_prev, x, x + 1, x + 2, x + 3,
                    _scaled_deltas(delta, x, j0, c, TRUE),
                    _scaled_deltas(delta, x + 1, j0, c, TRUE),
                    _scaled_deltas(delta, x + 2, j0, c, TRUE),
                    _scaled_deltas(delta, x + 3, j0, c, TRUE))
        x += 4
    if x1 - x == 1:
        d0, d1, d2, d3 = _scaled_deltas(delta, x, j0, c, TRUE)
        for k in range(n_in):
            a0 = a_prev[x, k]
            target[j0, k] += d0 * a0
            target[j0 + 1, k] += d1 * a0
            target[j0 + 2, k] += d2 * a0
            target[j0 + 3, k] += d3 * a0
    elif x1 - x > 1:
        # 2 or 3 samples left: one 4-sample pass in which the missing samples repeat the last
        # row with zero deltas (cheaper than two or three single-sample passes over the rows)
        x2, x3 = min(x + 2, x1 - 1), min(x + 3, x1 - 1)
        _rank4_pass(target, j0, a_prev, x, x + 1, x2, x3,
                    _scaled_deltas(delta, x, j0, c, TRUE),
                    _scaled_deltas(delta, x + 1, j0, c, TRUE),
                    _scaled_deltas(delta, x2, j0, c, x + 2 < x1),
                    _scaled_deltas(delta, x3, j0, c, x + 3 < x1))


@njit(**JIT)
def _rank4_pass(target, j0, a_prev, x0, x1, x2, x3, d0, d1, d2, d3):
    r"""``target[j0 + v, k] += \sum_u d_u[v]\, a^{prev}_{x_u, k}``, u, v < 4: one pass over the
    block's four rows for four samples (``d_u`` the scaled deltas of sample ``x_u``)."""
    rank4_rows(target[j0], target[j0 + 1], target[j0 + 2], target[j0 + 3],
               a_prev[x0], a_prev[x1], a_prev[x2], a_prev[x3], d0, d1, d2, d3)


@njit(**GLUE_JIT)
def rank4_rows(t0, t1, t2, t3, r0, r1, r2, r3, d0, d1, d2, d3):
    r""":math:`t_v[k] \mathrel{+}= \sum_{u<4} d_u[v]\, r_u[k]`, v < 4: the rank-4 register
    tile of every dense BP4 of the package (layers here, dense blocks of a graph in
    ``graph_kernels.quad_gradients_dense``): four target rows, each loaded and stored once
    for four sample rows ``r_u`` and their 16 scaled deltas ``d_u`` (4-tuples)."""
    for k in range(t0.shape[0]):
        a0, a1, a2, a3 = r0[k], r1[k], r2[k], r3[k]
        t0[k] += d0[0] * a0 + d1[0] * a1 + d2[0] * a2 + d3[0] * a3
        t1[k] += d0[1] * a0 + d1[1] * a1 + d2[1] * a2 + d3[1] * a3
        t2[k] += d0[2] * a0 + d1[2] * a1 + d2[2] * a2 + d3[2] * a3
        t3[k] += d0[3] * a0 + d1[3] * a1 + d2[3] * a2 + d3[3] * a3


@njit(**JIT)
def _scaled_deltas(delta, x, j0, c, valid):
    r""":math:`c\,\delta_{x,j}` for the 4 neurons of a block (zeros for a padding sample)."""
    if not valid:
        c = typed(c, 0.0)
    return c * delta[x, j0], c * delta[x, j0 + 1], c * delta[x, j0 + 2], c * delta[x, j0 + 3]


@njit(**JIT)
def rank_update_rows(jb, delta, a_prev, target, target_b, c):
    r"""``rank_update_block`` for the rows j of block ``jb`` over every sample, and
    :math:`c\sum_x \delta_{xj}` added to ``target_b[j]`` (BP3, or its SGD step)."""
    m = delta.shape[0]
    for j in range(BLOCK * jb, min(BLOCK * jb + BLOCK, target.shape[0])):
        total = typed(c, 0.0)
        for x in range(m):
            total += delta[x, j]
        target_b[j] += c * total
    rank_update_block(jb, delta, a_prev, target, c, ZERO, m)


@njit(**JIT)
def rank_update_group(g, per, delta, a_prev, target, target_b, c):
    """``rank_update_rows`` for the ``per`` blocks of group ``g``, block by block over all
    samples: a block's rows stay in L1 for all its passes (measured faster here than sweeping
    the group by chunks of samples)."""
    c = target.dtype.type(c)
    for jb in range(per * g, min(per * (g + 1), (target.shape[0] + BLOCK - 1) // BLOCK)):
        rank_update_rows(jb, delta, a_prev, target, target_b, c)


@njit(**JIT)
def weight_gradient_group(g, per, delta, a_prev, gw, gb, scale, accumulate):
    r"""BP3 :math:`g^b_j = \mathrm{scale}\sum_x \delta_{xj}` and BP4
    :math:`g^w_{jk} = \mathrm{scale}\sum_x \delta_{xj} a^{prev}_{xk}` for the rows j of group
    ``g`` (``per`` blocks): overwrites them, or adds to them when ``accumulate``."""
    if not accumulate:
        for j in range(BLOCK * per * g, min(BLOCK * per * (g + 1), gw.shape[0])):
            gb[j] = 0
            for k in range(gw.shape[1]):
                gw[j, k] = 0
    rank_update_group(g, per, delta, a_prev, gw, gb, scale)


@njit(**PARALLEL_JIT)
def weight_gradient_parallel(per, delta, a_prev, gw, gb, scale, accumulate):
    """``weight_gradient_group`` over every group of rows, in parallel (a group owns its rows)."""
    for g in prange(n_groups(gw.shape[0], per)):
        weight_gradient_group(np.int64(g), per, delta, a_prev, gw, gb, scale, accumulate)


@njit(**JIT)
def weight_gradient_serial(per, delta, a_prev, gw, gb, scale, accumulate):
    """``weight_gradient_group`` over every group of rows, on the calling thread."""
    for g in range(n_groups(gw.shape[0], per)):
        weight_gradient_group(g, per, delta, a_prev, gw, gb, scale, accumulate)


@njit(**JIT)
def sgd_block(jb, delta, a_prev, w, b, scale, eta, decay, l2, l1):
    r"""BP3/BP4 fused with the SGD update of the rows j of block ``jb``:
    :math:`w_{jk} \leftarrow w_{jk} -
    \eta\,(\mathrm{scale}\sum_x \delta_{xj} a^{prev}_{xk} + p(w_{jk}))`,
    :math:`b_j \leftarrow b_j - \eta\,\mathrm{scale}\sum_x \delta_{xj}`, where :math:`p` is the
    penalty gradient of ``rules.penalised`` (weights only, and only when ``decay``),
    taken at the weights before the step. The gradient is never stored."""
    f = w.dtype.type
    if decay and (l2 != 0 or l1 != 0):
        eta_, l2_, l1_, zero = f(eta), f(l2), f(l1), f(0)
        for j in range(BLOCK * jb, min(BLOCK * jb + BLOCK, w.shape[0])):
            for k in range(w.shape[1]):
                w[j, k] -= eta_ * rules.penalised(w[j, k], zero, rules.WEIGHT, l2_, l1_)
    rank_update_rows(jb, delta, a_prev, w, b, -f(eta) * f(scale))


# --- the SGD step of one batch fused with the next batch's weighted sum ---------------------

@njit(**JIT)
def sgd_then_weighted_sum_group(g, per, delta, a_prev, w, b, scale, eta, decay, l2, l1,
                                code, a_next, s_next, act_next):
    r"""For each block of group ``g``: ``sgd_block`` (this batch's update of the block's rows
    of :math:`w` and :math:`b`), then ``weighted_sum_block`` of the *next* batch
    (``a_next``, shape (m_next, n_in)) on the freshly updated rows, while they are still in
    L1. Per element the same operations as the SGD step of every block followed by
    ``weighted_sum_group``, so the same bits; but each weight row is brought from L2 once
    per batch instead of twice.
    Measured: 7% less time for the first layer of [784, 30, 10] and [784, 100, 10] at batch
    10; no change at batch 1, where the 1 x 4 dot product is bound by FMA latency instead.
    With ``a_next`` of no rows it is the SGD step alone (``fast_drivers`` steps every layer
    so: one kernel compiled instead of two)."""
    m_next = a_next.shape[0]
    for jb in range(per * g, min(per * (g + 1), (w.shape[0] + BLOCK - 1) // BLOCK)):
        sgd_block(jb, delta, a_prev, w, b, scale, eta, decay, l2, l1)
        for x0 in range(0, m_next, X_CHUNK):
            weighted_sum_block(jb, code, w, b, a_next, s_next, act_next, x0,
                               min(x0 + X_CHUNK, m_next))


@njit(**PARALLEL_JIT)
def sgd_then_weighted_sum_parallel(per, delta, a_prev, w, b, scale, eta, decay, l2, l1,
                                   code, a_next, s_next, act_next):
    """``sgd_then_weighted_sum_group`` over every group of rows, in parallel (a group owns
    its rows of ``w`` and ``b`` and its columns of ``s_next`` and ``act_next``)."""
    for g in prange(n_groups(w.shape[0], per)):
        sgd_then_weighted_sum_group(np.int64(g), per, delta, a_prev, w, b, scale, eta, decay,
                                    l2, l1, code, a_next, s_next, act_next)


@njit(**JIT)
def sgd_then_weighted_sum_serial(per, delta, a_prev, w, b, scale, eta, decay, l2, l1,
                                 code, a_next, s_next, act_next):
    """``sgd_then_weighted_sum_group`` over every group of rows, on the calling thread."""
    for g in range(n_groups(w.shape[0], per)):
        sgd_then_weighted_sum_group(g, per, delta, a_prev, w, b, scale, eta, decay, l2, l1,
                                    code, a_next, s_next, act_next)


# --- ordered kernels: every sum in the order of its index ------------------------------------
# For networks whose every layer is at most NARROW neurons wide (``fast_drivers.ordered``),
# the drivers run these instead of the tiles: each sum runs k = 0, 1, ... (or x = 0, 1, ...)
# one term after the other, from zero, and LLVM vectorises only over an index that owns its
# result (neurons j, inputs k). That order is written in the source, the same on every
# machine, so the population engine (``lanes``), which runs the loop over networks
# innermost, reproduces each network's ``fit`` bit for bit at any size up to NARROW.

NARROW = 64
"""Widest layer (input included) of the networks trained with the ordered kernels."""


@njit(**SCALAR_JIT)
def add(total, value):
    """``total + value``, strict: a running sum of costs that fastmath cannot regroup."""
    return total + value


@njit(**ORDERED_JIT)
def weighted_sum_ordered(code, w, wT, b, a_prev, s, a):
    r"""Weighted sum and activation :math:`a_{xj} = f(s_{xj})`,
    :math:`s_{xj} = (\sum_k a^{prev}_{xk} w_{jk}) + b_j`, the sum over k in order from zero
    (each term one fused multiply-add), vectorised over the neurons j through the transposed
    copy ``wT`` (shape (n_in, n), rewritten here)."""
    n, n_in = w.shape[0], w.shape[1]
    for j in range(n):
        for k in range(n_in):
            wT[k, j] = w[j, k]
    for x in range(a_prev.shape[0]):
        for j in range(n):
            s[x, j] = 0
        for k in range(n_in):
            a_xk = a_prev[x, k]
            for j in range(n):
                s[x, j] += a_xk * wT[k, j]
        for j in range(n):
            s[x, j] += b[j]
        if code != activations.SOFTMAX:
            for j in range(n):
                a[x, j] = activations.f(code, s[x, j])


@njit(**ORDERED_JIT)
def backpropagate_delta_ordered(code, w_next, delta_next, s, a, delta):
    r"""BP2 :math:`\delta_{xj} = (\sum_k w^{next}_{kj} \delta^{next}_{xk})\, f'(s_{xj})`, the
    sum over k in order from zero, vectorised over j (row k of ``w_next`` has unit stride):
    ``backpropagate_delta_direct``'s loop, with its order guaranteed."""
    for x in range(s.shape[0]):
        for j in range(s.shape[1]):
            delta[x, j] = 0
        for k in range(w_next.shape[0]):
            d_k = delta_next[x, k]
            for j in range(s.shape[1]):
                delta[x, j] += w_next[k, j] * d_k
        for j in range(s.shape[1]):
            delta[x, j] *= activations.f_prime(code, s[x, j], a[x, j])


@njit(**ORDERED_JIT)
def rank_update_ordered(delta, a_prev, target, target_b, c):
    r"""BP3/BP4 into ``target``: :math:`b_j \mathrel{+}= c \sum_x \delta_{xj}` (the sum over x
    in order), then sample after sample :math:`w_{jk} \mathrel{+}= (c\,\delta_{xj})\,
    a^{prev}_{xk}`, vectorised over k. With ``target`` the zeroed gradient and c = 1/m it is
    BP3/BP4; with the parameters and c = -eta/m, the SGD step."""
    c = target.dtype.type(c)
    for j in range(delta.shape[1]):
        total = typed(c, 0.0)
        for x in range(delta.shape[0]):
            total += delta[x, j]
        target_b[j] += c * total
        for x in range(delta.shape[0]):
            d = c * delta[x, j]
            for k in range(a_prev.shape[1]):
                target[j, k] += d * a_prev[x, k]


@njit(**ORDERED_JIT)
def weight_gradient_ordered(delta, a_prev, gw, gb, scale, accumulate):
    """BP3/BP4 (``weight_gradient_serial``'s contract) by ``rank_update_ordered``."""
    if not accumulate:
        gw[:] = 0
        gb[:] = 0
    rank_update_ordered(delta, a_prev, gw, gb, scale)


@njit(**ORDERED_JIT)
def sgd_ordered(delta, a_prev, w, b, scale, eta, decay, l2, l1):
    r"""``sgd_block``'s step for the whole layer in order: the penalty
    :math:`w \leftarrow w - \eta\,p(w)` (``rules.penalised``, when ``decay``), then
    ``rank_update_ordered`` with :math:`c = -\eta \cdot \mathrm{scale}`."""
    f = w.dtype.type
    if decay and (l2 != 0 or l1 != 0):
        eta_, l2_, l1_, zero = f(eta), f(l2), f(l1), f(0)
        for j in range(w.shape[0]):
            for k in range(w.shape[1]):
                w[j, k] -= eta_ * rules.penalised(w[j, k], zero, rules.WEIGHT, l2_, l1_)
    rank_update_ordered(delta, a_prev, w, b, -f(eta) * f(scale))

r"""Populations of narrow layered networks, network-minor: the loop over networks vectorises.

``population.train_population`` trains one network at a time through ``fit``'s own compiled
epoch; for a [2, 16, 16, 2] network that is a few thousand multiply-adds between calls, loop
set-ups and branches, on one core per network. Here the parameters of a *chunk* of
``LANES`` networks are stored ``[parameter, network]`` (likewise every activation, delta,
and the optimizer state), and every loop of the epoch has the loop over the chunk's
networks innermost, with unit stride: LLVM vectorises it, and the chunk runs all the epochs
of a call without leaving compiled code. Chunks are spread over the cores (``prange``); a
chunk owns its networks' columns.

Bit-identity with ``Network.fit``: ``fit`` trains a network whose every layer is at most
``fast_kernels.NARROW`` wide with the ordered kernels (``fast_kernels.weighted_sum_ordered``
and the rest; ``fast_drivers.ordered``), in which every sum runs in the order of its index,
one fused multiply-add after the other, compiled without ``reassoc`` (``ORDERED_JIT``). Each
lane here performs, for its network, the same operations in the same order with the same
flags, and calls the same strict helpers (``costs``, ``activations.f_prime``, ``rules``), so
its parameters after training are exactly those ``fit`` computes from the same seed, order
and hyper-parameters (``tests/test_population.py``), on any machine, at any width up to
``NARROW``, for both dtypes. The costs' and the rules' arithmetic is strict (no fastmath);
the lane forms of it here are compiled strict too (``SCALAR_JIT``, ``rules.EXACT_JIT``). The
weighted sums, BP2 and BP3/BP4 keep their running sums in registers, one vector of lanes at
a time, through ``simd.fma_rows`` (one ``llvm.fma`` per term, in order).
"""
from collections import namedtuple

import numba
import numpy as np
from numba import njit, prange

from ..core import activations, costs, fastmath
from ..core._numba import FALSE, JIT, ONE, ORDERED_JIT, PARALLEL_JIT, SCALAR_JIT, TRUE, ZERO, typed
from ..core.metrics import ARGMAX_ACCURACY, THRESHOLD_ACCURACY
from . import fast_kernels as fk
from . import rules, simd

DIVERGED_COST, DIVERGED_WEIGHT = 1, 2
"""``status`` codes, as ``population``'s (which imports them from here)."""

State = namedtuple("State", ["thetas", "V", "S", "T"])
"""A population's trained state, updated in place: ``thetas`` the parameters, ``V``, ``S``
the optimizer's first and second state arrays (width 0 when no rule has one), ``T`` int64
the steps taken. Network-major for ``population`` ((R, P), (R, 1) for ``T``); lane-major
here ((chunks, P, lanes), (chunks, lanes) for ``T``)."""

Optim = namedtuple("Optim", ["rule", "hyper", "rates", "l2", "l1", "decay", "runs"])
"""How each network steps: ``rule`` int64 code (``rules.SGD_RULE``...; here one per chunk);
``hyper`` float64 (..., 5) mu, rho, beta1, beta2, eps; ``rates`` float64 (R, E) the learning
rate of each network's epochs; ``l2``, ``l1`` float64 penalty coefficients; ``decay`` uint8
(P,) 1 for weights; ``runs`` its runs (``rules.mask_runs``). Per network for ``population``
(R, ...), per lane here (chunks, lanes, ...) but for ``rates``."""

Data = namedtuple("Data", ["X", "Y", "orders", "batch_size", "accuracy_mode", "Xv", "Yv",
                           "val_mode"])
"""What every network trains on: ``X``, ``Y`` (n, ...) the training set in the parameters'
dtype; ``orders`` int64 (R, E, n) each network's visiting order per epoch; ``batch_size``
(at most n); ``accuracy_mode`` the rule counting correct predictions
(``metrics.count_correct``); ``Xv``, ``Yv`` the validation set (no rows: none) and
``val_mode`` its accuracy rule."""

Results = namedtuple("Results", ["losses", "corrects", "val_losses", "val_corrects", "done",
                                 "status"])
"""Per network r and epoch e: summed training cost ``losses[r, e]`` (float64) and correct
predictions ``corrects[r, e]`` (int64), the same of the validation set in ``val_losses``,
``val_corrects``; ``done[r]`` the epochs that finished; ``status[r]`` 0 or why network r
diverged (``DIVERGED_COST``, ``DIVERGED_WEIGHT``), read on entry (a diverged network trains
no further) and kept across calls."""

LANES = 64
"""Most networks per chunk: the width of every inner loop."""
MIN_LANES = 8
"""Fewest networks per chunk (a vector of float32 on AVX2) when there are few networks: a
population of R networks on t threads runs chunks of ``lane_count(R, t)`` lanes, so that
every thread gets a chunk and padding lanes (wasted work) stay under one vector's worth."""


def lane_count(networks, threads):
    """Lanes per chunk for ``networks`` networks on ``threads`` threads: one chunk per thread
    at least, as many lanes as that allows up to ``LANES``, a multiple of ``MIN_LANES``. Only
    decides which networks share a chunk, never a value."""
    per_thread = -(-networks // max(1, threads))
    return int(min(LANES, max(MIN_LANES, -(-per_thread // MIN_LANES) * MIN_LANES)))


def fits(sizes):
    """True when the lanes can train networks of ``sizes`` bit-identical to ``fit``: every
    layer at most ``fast_kernels.NARROW`` wide (what ``fit`` trains with the ordered kernels),
    any batch size and dtype."""
    return max(int(s) for s in sizes) <= fk.NARROW


FASTEST_WIDTH = 32
"""Widest layer for which the lanes measured faster than one network at a time (which runs
``fit``'s ordered kernels, vectorised over a layer's neurons, so it gains with the width).
Measured 7 Dec 2026, AMD EPYC Zen 3, one thread, CPU time, best of 3, populations of 8 and
64 (128) networks, per-network time / lanes time: [2,2,1] XOR 2.5-3.8; [2,16,16,2] SGD
1.2-1.6 (0.67 for 2 networks); [10,24,24,2] Adam 1.1-1.5; [10,32,32,2] SGD 1.0-1.3;
[20,64,64,1] Adam batch 64 0.73-0.93."""


def faster(sizes, networks, threads):
    """True when ``networks`` networks of ``sizes`` train faster in the lanes than one at a
    time (``FASTEST_WIDTH``), with at least ``MIN_LANES`` of them per thread. Either path
    gives the same bits; this only picks the faster."""
    return (fits(sizes) and max(int(s) for s in sizes) <= FASTEST_WIDTH
            and networks >= MIN_LANES * max(1, threads))


@njit(**ORDERED_JIT)
def _forward(TH, arch, A, S, a_off, m, row):
    r"""Weighted sums and activations of every layer for samples ``x < m``, all lanes, as
    ``fast_kernels.weighted_sum_ordered``: :math:`s_{xj} = (\sum_k a_{xk} w_{jk}) + b_j`, k in
    order from zero (``simd.fma_rows``), :math:`a = f(s)`; softmax as
    ``fast_kernels.softmax_rows`` (``row``: two scratch rows of one value per lane)."""
    R = TH.shape[1]
    vw = simd.VECTOR_BYTES // TH.itemsize
    for l in range(1, arch.sizes.shape[0]):
        n, n_in = arch.sizes[l], arch.sizes[l - 1]
        w0, b0, code = arch.w_off[l], arch.b_off[l], arch.codes[l]
        n4 = n - n % simd.ROWS
        for x in range(m):
            src, dst = a_off[l - 1] + x * n_in, a_off[l] + x * n
            for j in range(0, n4, simd.ROWS):
                for r0 in range(0, R, vw):
                    simd.fma_rows4(S, dst + j, ONE, A, src, ONE, TH, w0 + j * n_in, n_in, ONE,
                                   n_in, r0, FALSE)
            for j in range(n4, n):
                for r0 in range(0, R, vw):
                    simd.fma_rows1(S, dst + j, ONE, A, src, ONE, TH, w0 + j * n_in, n_in, ONE,
                                   n_in, r0, FALSE)
            for j in range(n):
                for r in range(R):
                    S[dst + j, r] += TH[b0 + j, r]
            if code != activations.SOFTMAX:
                _activate(code, S, A, dst, dst + n)
                continue
            s_max, total = row[0], row[1]
            for r in range(R):
                s_max[r] = S[dst, r]
            for j in range(n):
                for r in range(R):
                    s_max[r] = max(s_max[r], S[dst + j, r])
            for j in range(n):
                for r in range(R):
                    A[dst + j, r] = fastmath.exp(S[dst + j, r] - s_max[r])
            for r in range(R):
                total[r] = 0
            for j in range(n):
                for r in range(R):
                    total[r] += A[dst + j, r]
            for r in range(R):
                total[r] = typed(total[r], 1.0) / total[r]
            for j in range(n):
                for r in range(R):
                    A[dst + j, r] *= total[r]


@njit(**JIT)
def _activate(code, S, A, lo, hi):
    """``A[q, r] = activations.f(code, S[q, r])`` for the rows ``lo <= q < hi``, all lanes;
    one loop per code, each calling ``f`` with a constant code (inlined: the loop over lanes
    vectorises, ``fastmath``'s functions included)."""
    R = S.shape[1]
    if code == activations.TANH:
        for q in range(lo, hi):
            for r in range(R):
                A[q, r] = activations.f(activations.TANH, S[q, r])
    elif code == activations.SIGMOID:
        for q in range(lo, hi):
            for r in range(R):
                A[q, r] = activations.f(activations.SIGMOID, S[q, r])
    elif code == activations.RELU:
        for q in range(lo, hi):
            for r in range(R):
                A[q, r] = activations.f(activations.RELU, S[q, r])
    else:
        for q in range(lo, hi):
            for r in range(R):
                A[q, r] = activations.f(code, S[q, r])


@njit(**JIT)
def _times_derivative(code, S, A, D, lo, hi):
    """``D[q, r] *= activations.f_prime(code, S[q, r], A[q, r])`` for the rows ``lo <= q <
    hi``, all lanes, one loop per code (as ``_activate``)."""
    R = S.shape[1]
    if code == activations.TANH:
        for q in range(lo, hi):
            for r in range(R):
                D[q, r] *= activations.f_prime(activations.TANH, S[q, r], A[q, r])
    elif code == activations.SIGMOID:
        for q in range(lo, hi):
            for r in range(R):
                D[q, r] *= activations.f_prime(activations.SIGMOID, S[q, r], A[q, r])
    elif code == activations.RELU:
        for q in range(lo, hi):
            for r in range(R):
                D[q, r] *= activations.f_prime(activations.RELU, S[q, r], A[q, r])
    else:
        for q in range(lo, hi):
            for r in range(R):
                D[q, r] *= activations.f_prime(code, S[q, r], A[q, r])


@njit(**SCALAR_JIT)
def _sample_costs(arch, A, S, Yb, y_off, a_base, n, out, row):
    r"""Per lane, :math:`C_x` of one sample as ``costs.cost_of_sample`` computes it (the same
    strict operations in the same order) into ``out``; ``Yb[y_off + j]`` its targets."""
    R = out.shape[0]
    if arch.cost == costs.CROSS_ENTROPY:
        for r in range(R):
            out[r] = 0
        for j in range(n):
            for r in range(R):
                s = S[a_base + j, r]
                out[r] += costs._softplus(s) - Yb[y_off + j, r] * s
    elif arch.cost == costs.LOG_LIKELIHOOD:
        s_max, total = row[0], row[1]
        for r in range(R):
            s_max[r] = S[a_base, r]
        for j in range(n):
            for r in range(R):
                s_max[r] = max(s_max[r], S[a_base + j, r])
        for r in range(R):
            total[r] = 0
        for j in range(n):
            for r in range(R):
                total[r] += fastmath.exp(S[a_base + j, r] - s_max[r])
        for r in range(R):
            total[r] = s_max[r] + fastmath.log(total[r])  # log-sum-exp
            out[r] = 0
        for j in range(n):
            for r in range(R):
                out[r] += Yb[y_off + j, r] * (total[r] - S[a_base + j, r])
    else:
        for r in range(R):
            out[r] = 0
        for j in range(n):
            for r in range(R):
                diff = A[a_base + j, r] - Yb[y_off + j, r]
                out[r] += diff * diff
        for r in range(R):
            out[r] *= typed(out[r], 0.5)


@njit(**SCALAR_JIT)
def _output_deltas(arch, A, S, D, Yb, y_off, a_base, n, row):
    """BP1 of one sample per lane, as ``costs.output_delta_of_sample``."""
    R = A.shape[1]
    code = arch.codes[arch.sizes.shape[0] - 1]
    if arch.cost == costs.CROSS_ENTROPY or arch.cost == costs.LOG_LIKELIHOOD:
        for j in range(n):
            for r in range(R):
                D[a_base + j, r] = A[a_base + j, r] - Yb[y_off + j, r]
    elif code == activations.SOFTMAX:
        g_dot_a = row[0]
        for r in range(R):
            g_dot_a[r] = 0
        for j in range(n):
            for r in range(R):
                a = A[a_base + j, r]
                g_dot_a[r] += (a - Yb[y_off + j, r]) * a
        for j in range(n):
            for r in range(R):
                a = A[a_base + j, r]
                D[a_base + j, r] = a * ((a - Yb[y_off + j, r]) - g_dot_a[r])
    else:
        for j in range(n):
            for r in range(R):
                a = A[a_base + j, r]
                D[a_base + j, r] = (a - Yb[y_off + j, r]) * activations.f_prime(
                    code, S[a_base + j, r], a)


@njit(**SCALAR_JIT)
def _add_costs(loss, cost):
    """``loss[r] += cost[r]`` (float64 running sums, strict: ``fast_kernels.add``)."""
    for r in range(loss.shape[0]):
        loss[r] += cost[r]


@njit(**JIT)
def _count_correct(arch, A, Yb, y_off, a_base, n, mode, correct):
    """``metrics.count_correct``'s rule for one sample, per lane."""
    R = A.shape[1]
    if mode == THRESHOLD_ACCURACY:
        for r in range(R):
            correct[r] += (A[a_base, r] >= 0.5) == (Yb[y_off, r] >= 0.5)
    elif mode == ARGMAX_ACCURACY:
        for r in range(R):
            correct[r] += _argmax(A, a_base, n, r) == _argmax(Yb, y_off, n, r)


@njit(**JIT)
def _argmax(M, base, n, r):
    """``np.argmax`` of ``M[base:base + n, r]`` (the first largest; the first NaN if any)."""
    best = 0
    for j in range(n):
        v = M[base + j, r]
        if v != v:
            return j
        if v > M[base + best, r]:
            best = j
    return best


@njit(**JIT)
def _batch_costs(arch, A, S, D, Yb, a_off, m, mode, loss, correct, cost, row):
    """BP1 of every sample of the batch into ``D``, its cost added to ``loss`` sample by
    sample, and the correct predictions to ``correct``, all lanes."""
    L = arch.sizes.shape[0] - 1
    n = arch.sizes[L]
    for x in range(m):
        base = a_off[L] + x * n
        _sample_costs(arch, A, S, Yb, x * n, base, n, cost, row)
        _add_costs(loss, cost)
        _output_deltas(arch, A, S, D, Yb, x * n, base, n, row)
        _count_correct(arch, A, Yb, x * n, base, n, mode, correct)


@njit(**ORDERED_JIT)
def _propagate(TH, arch, A, S, D, a_off, l, m):
    r"""BP2 into layer l-1 as ``fast_kernels.backpropagate_delta_ordered``:
    :math:`\delta^{l-1}_{xj} = (\sum_k w^l_{kj} \delta^l_{xk})\, f'(s_{xj})`, k in order."""
    R = TH.shape[1]
    n, n_prev = arch.sizes[l], arch.sizes[l - 1]
    w0, code = arch.w_off[l], arch.codes[l - 1]
    vw = simd.VECTOR_BYTES // TH.itemsize
    n4 = n_prev - n_prev % simd.ROWS
    for x in range(m):
        dst, src = a_off[l - 1] + x * n_prev, a_off[l] + x * n
        for j in range(0, n4, simd.ROWS):
            for r0 in range(0, R, vw):
                simd.fma_rows4(D, dst + j, ONE, D, src, ONE, TH, w0 + j, ONE, n_prev, n, r0,
                               FALSE)
        for j in range(n4, n_prev):
            for r0 in range(0, R, vw):
                simd.fma_rows1(D, dst + j, ONE, D, src, ONE, TH, w0 + j, ONE, n_prev, n, r0,
                               FALSE)
        _times_derivative(code, S, A, D, dst, dst + n_prev)


@njit(**ORDERED_JIT)
def _rank_update(arch, A, D, a_off, l, m, target, c, totals, scaled):
    r"""BP3/BP4 into ``target`` (the parameters for SGD, else the zeroed gradient), as
    ``fast_kernels.rank_update_ordered``: :math:`b_j \mathrel{+}= c_r \sum_x \delta_{xj}`
    (x in order), then sample after sample :math:`w_{jk} \mathrel{+}= (c_r \delta_{xj})\,
    a^{prev}_{xk}` (``simd.fma_rows`` over x, the scaled deltas in ``scaled``)."""
    R = target.shape[1]
    n, n_in = arch.sizes[l], arch.sizes[l - 1]
    w0, b0 = arch.w_off[l], arch.b_off[l]
    vw = simd.VECTOR_BYTES // target.itemsize
    k4 = n_in - n_in % simd.ROWS
    for j in range(n):
        for r in range(R):
            totals[r] = 0
        for x in range(m):
            for r in range(R):
                totals[r] += D[a_off[l] + x * n + j, r]
        for r in range(R):
            target[b0 + j, r] += c[r] * totals[r]
        for x in range(m):
            for r in range(R):
                scaled[x, r] = c[r] * D[a_off[l] + x * n + j, r]
        q = w0 + j * n_in
        for k in range(0, k4, simd.ROWS):
            for r0 in range(0, R, vw):
                simd.fma_rows4(target, q + k, ONE, scaled, ZERO, ONE, A, a_off[l - 1] + k, ONE,
                               n_in, m, r0, TRUE)
        for k in range(k4, n_in):
            for r0 in range(0, R, vw):
                simd.fma_rows1(target, q + k, ONE, scaled, ZERO, ONE, A, a_off[l - 1] + k, ONE,
                               n_in, m, r0, TRUE)


@njit(**ORDERED_JIT)
def _penalise_weights(TH, arch, l, eta, l2, l1):
    r"""The penalty step of ``fast_kernels.sgd_ordered``,
    :math:`w \leftarrow w - \eta\,p(w)` (``rules.penalised``), for layer l's weights."""
    R = TH.shape[1]
    f = TH.dtype.type
    zero = f(0)
    for q in range(arch.w_off[l], arch.w_off[l] + arch.sizes[l] * arch.sizes[l - 1]):
        for r in range(R):
            if l2[r] != 0 or l1[r] != 0:
                TH[q, r] -= f(eta[r]) * rules.penalised(TH[q, r], zero, rules.WEIGHT, f(l2[r]),
                                                        f(l1[r]))


@njit(**rules.EXACT_JIT)
def _rule_constants(rule, hyper, eta, l2, l1, T, K):
    """Each lane's constants of ``rules.step``, computed as the rule computes them for one
    network (``f(...)`` casts included): rows of ``K`` (dtype of the parameters) are eta, mu,
    rho, 1 - rho, eps, l2, l1, beta1, beta2, 1 - beta1, 1 - beta2, the bias corrections
    1/(1 - beta1^t) and 1/(1 - beta2^t), and 1 where the lane has a penalty. Counts the
    step in ``T``."""
    f = K.dtype.type
    for r in range(K.shape[1]):
        T[r] += 1
        t = T[r]
        mu, rho, beta1, beta2, eps = hyper[r, 0], hyper[r, 1], hyper[r, 2], hyper[r, 3], hyper[r, 4]
        K[0, r], K[1, r], K[2, r], K[3, r] = f(eta[r]), f(mu), f(rho), f(1.0 - rho)
        K[4, r], K[5, r], K[6, r] = f(eps), f(l2[r]), f(l1[r])
        K[7, r], K[8, r], K[9, r], K[10, r] = f(beta1), f(beta2), f(1.0 - beta1), f(1.0 - beta2)
        if rule == rules.ADAM_RULE:
            K[11, r] = f(1.0 / (1.0 - beta1 ** t))
            K[12, r] = f(1.0 / (1.0 - beta2 ** t))
        K[13, r] = 1 if (l2[r] != 0 or l1[r] != 0) else 0


@njit(**rules.EXACT_JIT)
def _rule_step(rule, G, TH, V, S, decay, K):
    r"""``rules.step`` of every lane at once (any rule but SGD, which is fused into BP3/BP4):
    per parameter q, the loop over lanes runs the per-parameter arithmetic of ``rules._momentum``,
    ``_adagrad``, ``_rmsprop`` or ``_adam``, strict like them, with each lane's constants
    ``K`` (``_rule_constants``); the penalty gradient where the lane has one and q is a
    weight, as ``rules.step_range`` walks its runs."""
    R = TH.shape[1]
    eta, mu, rho, one_minus_rho, eps, l2, l1 = K[0], K[1], K[2], K[3], K[4], K[5], K[6]
    beta1, beta2, one_minus_beta1, one_minus_beta2 = K[7], K[8], K[9], K[10]
    correct1, correct2, penalty = K[11], K[12], K[13]
    for q in range(TH.shape[0]):
        w, dw = TH[q], G[q]
        weight = decay[q] != 0
        for r in range(R):
            g = dw[r]
            if weight and penalty[r] != 0:
                g += l2[r] * w[r] + rules._sign_times(l1[r], w[r])
            if rule == rules.MOMENTUM_RULE or rule == rules.NESTEROV_RULE:
                V[q, r] = mu[r] * V[q, r] - eta[r] * g
                if rule == rules.NESTEROV_RULE:
                    w[r] += mu[r] * V[q, r] - eta[r] * g
                else:
                    w[r] += V[q, r]
            elif rule == rules.ADAGRAD_RULE:
                S[q, r] += g * g
                w[r] -= eta[r] * g / (np.sqrt(S[q, r]) + eps[r])
            elif rule == rules.RMSPROP_RULE:
                S[q, r] = rho[r] * S[q, r] + one_minus_rho[r] * g * g
                w[r] -= eta[r] * g / (np.sqrt(S[q, r]) + eps[r])
            else:
                V[q, r] = beta1[r] * V[q, r] + one_minus_beta1[r] * g
                S[q, r] = beta2[r] * S[q, r] + one_minus_beta2[r] * g * g
                w[r] -= eta[r] * (V[q, r] * correct1[r]) / (np.sqrt(S[q, r] * correct2[r]) + eps[r])


@njit(**JIT)
def _gather(X, Y, orders, nets, e, start, m, A, Yb):
    """Batch rows of every lane's own order into layer 0 of ``A`` and into ``Yb``."""
    n0, n_out = X.shape[1], Y.shape[1]
    for r in range(A.shape[1]):
        g = nets[r]
        for x in range(m):
            i = orders[g, e, start + x] if g >= 0 else (start + x)
            for k in range(n0):
                A[x * n0 + k, r] = X[i, k]
            for j in range(n_out):
                Yb[x * n_out + j, r] = Y[i, j]


Work = namedtuple("Work", ["a_off", "A", "S", "D", "y", "G", "K", "scratch"])
"""One chunk's buffers for training batches of up to ``capacity`` samples, every row one
value per lane: ``A``, ``S``, ``D`` every layer's activations, weighted sums and deltas
(layer l at row ``a_off[l]``, capacity rows of sizes[l]); ``y`` the batch targets; ``G``
the gradient (P rows); ``K`` the rule's constants (``_rule_constants``); ``scratch`` the
rows ``(cost, totals, c, row, scaled)`` of ``_batch_costs`` and ``_rank_update``."""


@njit(**JIT)
def _epoch(state, rule, hyper, eta, l2, l1, decay, arch, work, data, nets, e, loss, correct):
    """One epoch of every lane of one chunk (``state`` its lane-major views, ``hyper``, ``l2``,
    ``l1`` and the rates ``eta`` per lane): ``fast_drivers.train_epoch_sgd`` (``rule`` SGD)
    or ``train_epoch_rule`` on the ordered kernels, per lane; ``loss`` (float64) and
    ``correct`` accumulate."""
    TH, V, S, T = state
    A, Sw, D, Yb, a_off, G, K = work.A, work.S, work.D, work.y, work.a_off, work.G, work.K
    X, Y, batch_size = data.X, data.Y, data.batch_size
    R = TH.shape[1]
    n = X.shape[0]
    L = arch.sizes.shape[0] - 1
    f = TH.dtype.type
    cost, totals, c, row, scaled = work.scratch
    for r in range(R):
        loss[r] = 0.0
        correct[r] = 0
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        _gather(X, Y, data.orders, nets, e, start, m, A, Yb)
        _forward(TH, arch, A, Sw, a_off, m, row)
        _batch_costs(arch, A, Sw, D, Yb, a_off, m, data.accuracy_mode, loss, correct, cost, row)
        scale = 1.0 / m
        if rule == rules.SGD_RULE:
            for r in range(R):
                T[r] += 1
            for l in range(L, 0, -1):
                if l > 1:
                    _propagate(TH, arch, A, Sw, D, a_off, l, m)
                if decay[arch.w_off[l]] != 0:
                    _penalise_weights(TH, arch, l, eta, l2, l1)
                for r in range(R):
                    c[r] = -f(eta[r]) * f(scale)
                _rank_update(arch, A, D, a_off, l, m, TH, c, totals, scaled)
        else:
            for r in range(R):
                c[r] = f(scale)
            for l in range(L, 0, -1):
                if l > 1:
                    _propagate(TH, arch, A, Sw, D, a_off, l, m)
                for q in range(arch.b_off[l], arch.b_off[l] + arch.sizes[l]):
                    for r in range(R):
                        G[q, r] = 0
                for q in range(arch.w_off[l], arch.w_off[l] + arch.sizes[l] * arch.sizes[l - 1]):
                    for r in range(R):
                        G[q, r] = 0
                _rank_update(arch, A, D, a_off, l, m, G, c, totals, scaled)
            _rule_constants(rule, hyper, eta, l2, l1, T, K)
            _rule_step(rule, G, TH, V, S, decay, K)


@njit(**JIT)
def _evaluate(TH, arch, A, Sw, Yb, a_off, Xv, Yv, mode, loss, correct, scratch):
    """``fast_drivers.evaluate`` for every lane: summed cost (sample by sample) and correct
    predictions over ``Xv``, in batches of the workspace's capacity."""
    R = TH.shape[1]
    L = arch.sizes.shape[0] - 1
    n, n0 = arch.sizes[L], Xv.shape[1]
    capacity = Yb.shape[0] // n
    cost, row = scratch[0], scratch[3]
    for r in range(R):
        loss[r] = 0.0
        correct[r] = 0
    for start in range(0, Xv.shape[0], capacity):
        m = min(capacity, Xv.shape[0] - start)
        for x in range(m):
            for k in range(n0):
                for r in range(R):
                    A[x * n0 + k, r] = Xv[start + x, k]
            for j in range(n):
                for r in range(R):
                    Yb[x * n + j, r] = Yv[start + x, j]
        _forward(TH, arch, A, Sw, a_off, m, row)
        for x in range(m):
            base = a_off[L] + x * n
            _sample_costs(arch, A, Sw, Yb, x * n, base, n, cost, row)
            _add_costs(loss, cost)
            _count_correct(arch, A, Yb, x * n, base, n, mode, correct)


Lanes = namedtuple("Lanes", ["nets", "a_off", "a_off_e", "capacity_e"])
"""Which networks ``train_lanes`` trains in which chunk, and its workspaces' layout:
``nets[c, r]`` int64 the network in lane r of chunk c (-1: a padding lane); ``a_off`` the
row of every layer in the training workspace (capacity ``Data.batch_size``), ``a_off_e``
the same in the validation workspace of capacity ``capacity_e``."""


@njit(**PARALLEL_JIT)
def train_lanes(state, optim, arch, chunks, data, results):
    r"""Train chunk ``c``'s lanes (``prange`` over chunks) for ``optim.rates.shape[1]`` epochs.

    ``state`` lane-major: ``thetas[c]`` (P, lanes) the parameters of networks
    ``chunks.nets[c]``, ``V[c]``, ``S[c]`` their optimizer state, ``T[c]`` their step
    counts; ``optim.rule[c]`` the chunk's one rule; ``hyper``, ``l2``, ``l1`` per lane;
    ``rates`` (networks, epochs) per network. Per epoch e and lane, network g =
    ``nets[c, r]``: the epoch (``_epoch``), its summed cost into ``losses[g, e]`` and correct
    count into ``corrects[g, e]``; then if the cost and every parameter are finite,
    ``done[g] += 1`` and the validation pass (``val_losses[g, e]``, ``val_corrects[g, e]``),
    else the lane's parameters and state go back to the end of the previous epoch and
    ``status`` is set (``DIVERGED_COST`` or ``DIVERGED_WEIGHT``), and the lane is rolled back
    after every later epoch (it trains no further). Lanes with ``status != 0`` on entry are
    rolled back alike from the start.
    """
    for c in prange(state.thetas.shape[0]):
        _train_chunk(np.int64(c), state, optim, arch, chunks, data, results)


@njit(**JIT)
def _train_chunk(c, state, optim, arch, chunks, data, results):
    """Chunk ``c`` of ``train_lanes``: all epochs of its lanes."""
    C, P, R = state.thetas.shape
    rates = optim.rates
    E = rates.shape[1]
    nets = chunks.nets
    losses, corrects, val_losses, val_corrects, done, status = results
    capacity, capacity_e = data.batch_size, chunks.capacity_e
    eta = np.ones(R, np.float64)
    dtype = state.thetas.dtype
    units = 0
    for l in range(arch.sizes.shape[0]):
        units += arch.sizes[l]
    n_out = arch.sizes[arch.sizes.shape[0] - 1]
    A = np.zeros((units * capacity, R), dtype)
    scratch = (np.zeros(R, dtype), np.zeros(R, dtype), np.zeros(R, dtype),
               np.zeros((2, R), dtype), np.zeros((capacity, R), dtype))
    work = Work(chunks.a_off, A, np.zeros_like(A), np.zeros_like(A),
                np.zeros((capacity * n_out, R), dtype), np.zeros((P, R), dtype),
                np.zeros((14, R), dtype), scratch)
    Ae = np.zeros((units * capacity_e, R), dtype)
    Se = np.zeros_like(Ae)
    Ye = np.zeros((capacity_e * n_out, R), dtype)
    before = np.zeros((P, R), dtype)
    v_before = np.zeros((state.V.shape[1], R), dtype)
    s_before = np.zeros((state.S.shape[1], R), dtype)
    t_before = np.zeros(R, np.int64)
    loss = np.zeros(R, np.float64)
    correct = np.zeros(R, np.int64)
    v_loss = np.zeros(R, np.float64)
    v_correct = np.zeros(R, np.int64)
    lanes = ZERO  # not a literal 0: one compiled form of _epoch
    for r in range(R):
        if nets[c, r] >= 0:
            lanes = r + 1
    TC, VC, SC, TT = state.thetas[c], state.V[c], state.S[c], state.T[c]
    mine = State(TC, VC, SC, TT)
    rule = optim.rule[c]
    for e in range(E):
        before[:] = TC
        v_before[:] = VC
        s_before[:] = SC
        t_before[:] = TT
        for r in range(R):
            if nets[c, r] >= 0:
                eta[r] = rates[nets[c, r], e]
        _epoch(mine, rule, optim.hyper[c], eta, optim.l2[c], optim.l1[c], optim.decay, arch,
               work, data, nets[c], e, loss, correct)
        for r in range(lanes):
            g = nets[c, r]
            if status[g] == 0:
                losses[g, e] = loss[r]
                corrects[g, e] = correct[r]
                bad = 0
                if not np.isfinite(loss[r]):
                    bad = DIVERGED_COST
                else:
                    for q in range(P):
                        if not np.isfinite(TC[q, r]):
                            bad = DIVERGED_WEIGHT
                            break
                if bad == 0:
                    done[g] += 1
                    continue
                status[g] = bad
            for q in range(P):
                TC[q, r] = before[q, r]
            for q in range(VC.shape[0]):
                VC[q, r] = v_before[q, r]
            for q in range(SC.shape[0]):
                SC[q, r] = s_before[q, r]
            TT[r] = t_before[r]
        if data.Xv.shape[0] > 0:
            _evaluate(TC, arch, Ae, Se, Ye, chunks.a_off_e, data.Xv, data.Yv, data.val_mode,
                      v_loss, v_correct, scratch)
            for r in range(lanes):
                val_losses[nets[c, r], e] = v_loss[r]
                val_corrects[nets[c, r], e] = v_correct[r]


def train(trainer, state, optim, data, members, status):
    """``LayeredPopulation.train`` on the lanes: the same arguments (network-major
    arrays, updated in place) and results, computed by ``train_lanes`` on chunks of
    ``lane_count`` networks of one rule each."""
    thetas, V, S, T = state
    rule, hyper, rates, l2, l1, decay, runs = optim
    R, E = rates.shape
    members = np.asarray(members, np.int64)
    order = members[np.argsort(rule[members], kind="stable")]
    width = lane_count(len(members), numba.get_num_threads())
    chunks = []
    for value in np.unique(rule[order]):
        group = order[rule[order] == value]
        chunks += [group[i:i + width] for i in range(0, len(group), width)]
    C = len(chunks)
    nets = np.full((C, width), -1, np.int64)
    for c, group in enumerate(chunks):
        nets[c, :len(group)] = group
    real = nets >= 0
    idx = np.where(real, nets, 0)

    def lanes(array, fill=0):
        """Per-network rows -> (C, ..., width), padding lanes filled."""
        out = np.where(real.reshape(real.shape + (1,) * (array.ndim - 1)), array[idx], fill)
        return np.ascontiguousarray(np.moveaxis(out, 1, -1)).astype(array.dtype, copy=False)

    TH, VL, SL = lanes(thetas), lanes(V), lanes(S)
    TL = np.ascontiguousarray(np.where(real, T[idx, 0], 0))
    chunk_rule = np.array([rule[group[0]] for group in chunks], np.int64)
    hyper_l = np.ascontiguousarray(np.where(real[..., None], hyper[idx], 0.0))
    l2_l = np.ascontiguousarray(np.where(real, l2[idx], 0.0))
    l1_l = np.ascontiguousarray(np.where(real, l1[idx], 0.0))
    sizes = trainer.arch.sizes
    capacity = data.batch_size
    capacity_e = max(1, min(256, data.Xv.shape[0]))
    a_off = np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(np.int64) * capacity
    a_off_e = np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(np.int64) * capacity_e
    results = Results(np.zeros((R, E)), np.zeros((R, E), np.int64), np.zeros((R, E)),
                      np.zeros((R, E), np.int64), np.zeros(R, np.int64), status)
    with np.errstate(over="ignore", invalid="ignore"):
        train_lanes(State(TH, VL, SL, TL),
                    Optim(chunk_rule, hyper_l, np.ascontiguousarray(rates), l2_l, l1_l, decay,
                          runs),
                    trainer.arch, Lanes(nets, a_off, a_off_e, capacity_e), data, results)
    g = nets[real]
    thetas[g] = np.moveaxis(TH, -1, 1)[real]
    V[g] = np.moveaxis(VL, -1, 1)[real]
    S[g] = np.moveaxis(SL, -1, 1)[real]
    T[g, 0] = TL[real]
    return results

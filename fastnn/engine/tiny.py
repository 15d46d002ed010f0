r"""Populations of tiny layered networks, network-minor: the loop over networks vectorises.

``population.train_population`` trains one network at a time through ``fit``'s own compiled
epoch; for a [2, 2, 1] network that is a few dozen multiply-adds between calls, loop set-ups
and branches. Here the parameters of a *chunk* of ``LANES`` networks are stored
``[parameter, network]`` (likewise every activation, delta, and the optimizer state), and
every loop of the epoch has the loop over the chunk's networks innermost, with unit stride:
LLVM vectorises it, and the chunk runs all the epochs of a call without leaving compiled
code. Chunks are spread over the cores (``prange``); a chunk owns its networks' columns.

Bit-identity with ``Network.fit``: every lane performs, for its network, the floating-point
operations of the fast kernels (``fast_kernels``, ``fast_drivers``) in the same order, with
the same fastmath flags, and calls the same strict helpers (``costs``,
``activations.f_prime``, ``rules.step``). The fast kernels' reductions are vectorised by LLVM
over their own index, which fixes their summation order; measured on this build (float32 and
float64, AVX2): a sum of fewer than four terms is sequential, and a sum of four to fifteen
terms over a unit stride is four partial sums over the terms ``t = v mod 4`` (the first one
starting from the running value), combined as ``(p0 + p2) + (p1 + p3)``, then the remaining
terms in order (``_staged``). This holds for the weighted sums of layers narrower than a
block (``fast_kernels.dot_1x1`` over ``n_in`` inputs), BP3's sum over the batch of a
one-neuron layer, and the epoch cost's sum over a batch; a layer of two or three neurons
sums BP3 with a stride, sequentially. ``fits`` admits exactly the shapes whose every sum
is of those kinds (``tests/test_population.py`` holds each network to ``fit``); wider layers
(``fast_kernels.dot_2x4`` tiles, rank-4 updates) stay on ``population.train_population``.

The sigmoid is evaluated with one exponential, :math:`e = e^{-|s|}`, :math:`1/(1+e)` for
:math:`s \ge 0` and :math:`e/(1+e)` otherwise: the same value and operations as
``activations.f``'s two branches (``-|s|`` is ``-s`` or ``s``), without computing both
branches' exponentials in a vectorised select. Exponentials stay scalar calls (numba is
built without SVML here), so a lane's bits equal the scalar ones.
"""
import numba
import numpy as np
from numba import njit, prange

from ..core import activations, costs, fastmath
from ..core._numba import FALSE, JIT, PARALLEL_JIT, SCALAR_JIT, ZERO, typed
from ..core.metrics import ARGMAX_ACCURACY, THRESHOLD_ACCURACY
from . import fast_kernels as fk
from . import rules

DIVERGED_COST, DIVERGED_WEIGHT = 1, 2
"""``status`` codes, as ``population``'s (which imports them from here)."""

LANES = 64
"""Networks per chunk: the width of every inner loop (a multiple of the vector width)."""
MAX_WIDTH = fk.BLOCK - 1
"""Widest non-input layer the tiny path takes: narrower than one block of ``fast_kernels``."""
MAX_SUM = 15
"""Longest sum the tiny path reproduces (inputs of a layer, samples of a batch): below
LLVM's main vector loop of the fast kernels (sixteen terms)."""


def fits(sizes, batch_size, dtype=np.float64):
    """True when a population of ``sizes`` at this batch size and dtype takes the tiny path.
    float64 only: on an AMD EPYC Zen 4 (AVX-512, llvm znver4) the float32 lanes did not
    reproduce ``fit``'s bits (weights and validation losses of a [6, 2, 1] network differed
    in the last place), so float32 populations take the per-network path, which does."""
    sizes = [int(s) for s in sizes]
    return (np.dtype(dtype) == np.float64 and all(s <= MAX_WIDTH for s in sizes[1:])
            and max(sizes[:-1]) <= MAX_SUM and batch_size <= MAX_SUM)


@njit(**SCALAR_JIT)
def _tree4(p0, p1, p2, p3):
    """LLVM's reduction of four partial sums, ``(p0 + p2) + (p1 + p3)``; strict (no fastmath),
    so that the caller's fastmath flags cannot regroup it."""
    return (p0 + p2) + (p1 + p3)


@njit(**SCALAR_JIT)
def _sigmoid(s):
    r""":math:`\sigma(s)` as ``activations.f`` computes it, from one exponential."""
    one = typed(s, 1.0)
    e = fastmath.exp(-abs(s))
    return one / (one + e) if s >= 0 else e / (one + e)


@njit(**JIT)
def _activate(code, s):
    """``activations.f`` (the sigmoid through ``_sigmoid``)."""
    if code == activations.SIGMOID:
        return _sigmoid(s)
    return activations.f(code, s)


@njit(**JIT)
def _forward(TH, arch, A, S, a_off, m, acc):
    r"""Weighted sums and activations of every layer for samples ``x < m``, all lanes:
    :math:`s_{xj} = \sum_k w_{jk} a_{xk} + b_j` summed as ``fast_kernels.dot_1x1`` does
    (``_staged``), :math:`a = f(s)`; softmax as ``fast_kernels.softmax_rows``."""
    R = TH.shape[1]
    for l in range(1, arch.sizes.shape[0]):
        n, n_in = arch.sizes[l], arch.sizes[l - 1]
        w0, b0, code = arch.w_off[l], arch.b_off[l], arch.codes[l]
        for x in range(m):
            src, dst = a_off[l - 1] + x * n_in, a_off[l] + x * n
            for j in range(n):
                nv = (n_in // 4) * 4 if n_in >= 4 else 0
                for v in range(4):
                    for r in range(R):
                        acc[v, r] = 0
                for k in range(nv):
                    v = k % 4
                    for r in range(R):
                        acc[v, r] += A[src + k, r] * TH[w0 + j * n_in + k, r]
                for r in range(R):
                    S[dst + j, r] = _tree4(acc[0, r], acc[1, r], acc[2, r], acc[3, r]) if nv \
                        else acc[0, r]
                for k in range(nv, n_in):
                    for r in range(R):
                        S[dst + j, r] += A[src + k, r] * TH[w0 + j * n_in + k, r]
                for r in range(R):
                    S[dst + j, r] += TH[b0 + j, r]
                if code != activations.SOFTMAX:
                    for r in range(R):
                        A[dst + j, r] = _activate(code, S[dst + j, r])
            if code == activations.SOFTMAX:
                for r in range(R):
                    s_max = S[dst, r]
                    for j in range(n):
                        s_max = max(s_max, S[dst + j, r])
                    total = typed(s_max, 0.0)
                    for j in range(n):
                        A[dst + j, r] = fastmath.exp(S[dst + j, r] - s_max)
                        total += A[dst + j, r]
                    inverse = typed(s_max, 1.0) / total
                    for j in range(n):
                        A[dst + j, r] *= inverse


@njit(**JIT)
def _staged_sum(values, m, start, out, acc):
    r"""``out[r] = start[r] + \sum_{x<m} values[x, r]`` in the fast kernels' order for a
    unit-stride sum of fewer than 16 terms (see the module docstring)."""
    R = out.shape[0]
    nv = (m // 4) * 4 if m >= 4 else 0
    for r in range(R):
        acc[0, r] = start[r]
        acc[1, r] = acc[2, r] = acc[3, r] = 0
    for x in range(nv):
        v = x % 4
        for r in range(R):
            acc[v, r] += values[x, r]
    for r in range(R):
        out[r] = _tree4(acc[0, r], acc[1, r], acc[2, r], acc[3, r]) if nv else acc[0, r]
    for x in range(nv, m):
        for r in range(R):
            out[r] += values[x, r]


@njit(**SCALAR_JIT)
def _quadratic_term(c, a, y):
    """One term of ``costs.cost_of_sample``'s quadratic sum, strict: ``c + (a - y)(a - y)``."""
    return c + (a - y) * (a - y)


@njit(**SCALAR_JIT)
def _half(like, c):
    """``costs.cost_of_sample``'s last step of the quadratic cost, ``c * 0.5`` (in c's type
    for float64 buffers, ``like``'s precision first)."""
    return c * typed(like, 0.5)


@njit(**SCALAR_JIT)
def _quadratic_delta(code, s, a, y):
    """``costs.output_delta_of_sample`` for the quadratic cost and an elementwise output."""
    return (a - y) * activations.f_prime(code, s, a)


@njit(**JIT)
def _cost_and_output_delta(arch, A, S, D, Yb, a_off, m, mode, costs_out, correct, rows):
    """BP1 and the per-sample cost through ``costs`` (the same strict helpers fit calls,
    on a copy of each lane's row), and the correct predictions added to ``correct``."""
    R = A.shape[1]
    L = arch.sizes.shape[0] - 1
    n = arch.sizes[L]
    s_row, a_row, y_row, d_row = rows[0], rows[1], rows[2], rows[3]
    code = arch.codes[L]
    if arch.cost == costs.QUADRATIC and code != activations.SOFTMAX:
        for x in range(m):
            base = a_off[L] + x * n
            for r in range(R):
                costs_out[x, r] = 0
            for j in range(n):
                for r in range(R):
                    a, y = A[base + j, r], Yb[x * n + j, r]
                    costs_out[x, r] = _quadratic_term(costs_out[x, r], a, y)
                    D[base + j, r] = _quadratic_delta(code, S[base + j, r], a, y)
            for r in range(R):
                costs_out[x, r] = _half(A[base, r], costs_out[x, r])
            if mode == THRESHOLD_ACCURACY:
                for r in range(R):
                    correct[r] += (A[base, r] >= 0.5) == (Yb[x * n, r] >= 0.5)
            elif mode == ARGMAX_ACCURACY:
                for r in range(R):
                    for j in range(n):
                        a_row[j] = A[base + j, r]
                        y_row[j] = Yb[x * n + j, r]
                    correct[r] += np.argmax(a_row) == np.argmax(y_row)
        return
    for x in range(m):
        base = a_off[L] + x * n
        for r in range(R):
            for j in range(n):
                s_row[j] = S[base + j, r]
                a_row[j] = A[base + j, r]
                y_row[j] = Yb[x * n + j, r]
            costs_out[x, r] = costs.cost_of_sample(arch.cost, s_row, a_row, y_row)
            costs.output_delta_of_sample(arch.cost, arch.codes[L], s_row, a_row, y_row, d_row)
            for j in range(n):
                D[base + j, r] = d_row[j]
            if mode == ARGMAX_ACCURACY:
                correct[r] += np.argmax(a_row) == np.argmax(y_row)
            elif mode == THRESHOLD_ACCURACY:
                correct[r] += (a_row[0] >= 0.5) == (y_row[0] >= 0.5)


@njit(**JIT)
def _propagate(TH, arch, A, S, D, a_off, l, m):
    r"""BP2 into layer l-1 as ``fast_kernels.backpropagate_delta_direct``:
    :math:`\delta^{l-1}_{xj} = f'(s_{xj}) \sum_k w^l_{kj} \delta^l_{xk}`, k in order."""
    R = TH.shape[1]
    n, n_prev = arch.sizes[l], arch.sizes[l - 1]
    w0, code = arch.w_off[l], arch.codes[l - 1]
    for x in range(m):
        dst, src = a_off[l - 1] + x * n_prev, a_off[l] + x * n
        for j in range(n_prev):
            for r in range(R):
                D[dst + j, r] = 0
        for k in range(n):
            for j in range(n_prev):
                for r in range(R):
                    D[dst + j, r] += TH[w0 + k * n_prev + j, r] * D[src + k, r]
        for j in range(n_prev):
            for r in range(R):
                D[dst + j, r] *= activations.f_prime(code, S[dst + j, r], A[dst + j, r])


@njit(**JIT)
def _rank_update(arch, A, D, a_off, l, m, target, c, delta_col, totals, zero, acc):
    r"""BP3/BP4 into ``target`` (the weights for fused SGD, else the zeroed gradient), as
    ``fast_kernels.rank_update_rows`` for a layer narrower than a block:
    :math:`b_j \mathrel{+}= c_r \sum_x \delta_{xj}`, then for each sample in turn
    :math:`w_{jk} \mathrel{+}= (c_r \delta_{xj})\, a^{prev}_{xk}`."""
    R = target.shape[1]
    n, n_in = arch.sizes[l], arch.sizes[l - 1]
    w0, b0 = arch.w_off[l], arch.b_off[l]
    for j in range(n):
        if n == 1:
            for x in range(m):
                for r in range(R):
                    delta_col[x, r] = D[a_off[l] + x, r]
            _staged_sum(delta_col, m, zero, totals, acc)
        else:
            for r in range(R):
                totals[r] = 0
            for x in range(m):
                for r in range(R):
                    totals[r] += D[a_off[l] + x * n + j, r]
        for r in range(R):
            target[b0 + j, r] += c[r] * totals[r]
        for x in range(m):
            for k in range(n_in):
                for r in range(R):
                    target[w0 + j * n_in + k, r] += (c[r] * D[a_off[l] + x * n + j, r]) * \
                        A[a_off[l - 1] + x * n_in + k, r]


@njit(**JIT)
def _penalise_weights(TH, arch, l, eta, l2, l1):
    r"""The penalty step of ``fast_kernels.sgd_block``,
    :math:`w \leftarrow w - \eta\,p(w)` (``rules.penalised``), for layer l's weights."""
    R = TH.shape[1]
    f = TH.dtype.type
    zero = f(0)
    for q in range(arch.w_off[l], arch.w_off[l] + arch.sizes[l] * arch.sizes[l - 1]):
        for r in range(R):
            if l2[r] != 0 or l1[r] != 0:
                TH[q, r] -= f(eta[r]) * rules.penalised(TH[q, r], zero, rules.WEIGHT, f(l2[r]), f(l1[r]))


RULES = (rules.SGD_RULE, rules.MOMENTUM_RULE, rules.NESTEROV_RULE, rules.ADAM_RULE)
"""The update rules of the tiny path (the others keep ``population.train_population``)."""


@njit(**rules.EXACT_JIT)
def _momentum_or_adam(u, theta, grad, lo, hi, penalise):
    """``rules._rule`` for the non-SGD rules of ``RULES`` (only these are compiled in)."""
    if u.rule == rules.ADAM_RULE:
        rules._adam(u, theta, grad, lo, hi, penalise)
    else:
        rules._momentum(u, theta, grad, lo, hi, penalise, u.rule == rules.NESTEROV_RULE)


@njit(**JIT)
def _rule_step(G, TH, V, S, T, rule, hyper, eta, l2, l1, decay, runs, lanes, tmp):
    """``rules.step`` for each lane (Momentum, Nesterov or Adam), on contiguous copies of its
    columns: the same per-rule loops fit runs, so the same bits."""
    P = TH.shape[0]
    theta, grad, v, s = tmp[0], tmp[1], tmp[2][:V.shape[0]], tmp[3][:S.shape[0]]
    tcount = np.zeros(1, np.int64)
    for r in range(lanes):
        for q in range(P):
            theta[q] = TH[q, r]
            grad[q] = G[q, r]
        for q in range(V.shape[0]):
            v[q] = V[q, r]
        for q in range(S.shape[0]):
            s[q] = S[q, r]
        tcount[0] = T[r]
        u = rules.Update(rule, eta[r], hyper[r, 0], hyper[r, 1], hyper[r, 2], hyper[r, 3],
                         hyper[r, 4], l2[r], l1[r], decay, v, s, tcount, runs)
        tcount[0] += 1  # rules.step: count, then (P < rules.PARALLEL_PARAMETERS) the range
        if u.l2 == 0 and u.l1 == 0:
            _momentum_or_adam(u, theta, grad, ZERO, P, FALSE)
        else:  # rules.step_range: run by run, weights penalised
            for q in range(runs.shape[0]):
                _momentum_or_adam(u, theta, grad, runs[q, 0], runs[q, 1], runs[q, 2] == 1)
        T[r] = tcount[0]
        for q in range(P):
            TH[q, r] = theta[q]
        for q in range(V.shape[0]):
            V[q, r] = v[q]
        for q in range(S.shape[0]):
            S[q, r] = s[q]


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


@njit(**JIT)
def _epoch(TH, G, V, S, T, rule, hyper, eta, l2, l1, decay, runs, arch, A, Sw, D, Yb, a_off,
           X, Y, orders, nets, e, batch_size, mode, loss, correct, lanes, scratch, acc, acc64,
           cost_rows, tmp):
    """One epoch of every lane: ``fast_drivers.train_epoch_sgd`` (``rule`` SGD) or
    ``train_epoch_rule``, per lane; ``loss`` (float64) and ``correct`` accumulate."""
    R = TH.shape[1]
    n = X.shape[0]
    L = arch.sizes.shape[0] - 1
    f = TH.dtype.type
    sample_cost, delta_col, totals, c, zero, zero64 = scratch
    for r in range(R):
        loss[r] = 0.0
        correct[r] = 0
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        _gather(X, Y, orders, nets, e, start, m, A, Yb)
        _forward(TH, arch, A, Sw, a_off, m, acc)
        _cost_and_output_delta(arch, A, Sw, D, Yb, a_off, m, mode, sample_cost, correct,
                               cost_rows)
        _staged_sum(sample_cost, m, loss, loss, acc64)
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
                _rank_update(arch, A, D, a_off, l, m, TH, c, delta_col, totals, zero, acc)
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
                _rank_update(arch, A, D, a_off, l, m, G, c, delta_col, totals, zero, acc)
            _rule_step(G, TH, V, S, T, rule, hyper, eta, l2, l1, decay, runs, lanes, tmp)


@njit(**JIT)
def _evaluate(TH, arch, A, Sw, Yb, a_off, Xv, Yv, mode, loss, correct, acc, cost_rows):
    """``fast_drivers.evaluate`` for every lane: summed cost (sample by sample) and correct
    predictions over ``Xv``, in batches of the workspace's capacity."""
    R = TH.shape[1]
    L = arch.sizes.shape[0] - 1
    n, n0 = arch.sizes[L], Xv.shape[1]
    capacity = Yb.shape[0] // n
    s_row, a_row, y_row = cost_rows[0], cost_rows[1], cost_rows[2]
    for r in range(R):
        loss[r] = 0.0
        correct[r] = 0
    for start in range(0, Xv.shape[0], capacity):
        m = min(capacity, Xv.shape[0] - start)
        for x in range(m):
            for k in range(n0):
                for r in range(R):
                    A[x * n0 + k, r] = Xv[start + x, k]
        _forward(TH, arch, A, Sw, a_off, m, acc)
        for x in range(m):
            base = a_off[L] + x * n
            for r in range(R):
                for j in range(n):
                    s_row[j] = Sw[base + j, r]
                    a_row[j] = A[base + j, r]
                    y_row[j] = Yv[start + x, j]
                loss[r] += costs.cost_of_sample(arch.cost, s_row, a_row, y_row)
                if mode == ARGMAX_ACCURACY:
                    correct[r] += np.argmax(a_row) == np.argmax(y_row)
                elif mode == THRESHOLD_ACCURACY:
                    correct[r] += (a_row[0] >= 0.5) == (y_row[0] >= 0.5)


@njit(**PARALLEL_JIT)
def train_lanes(TH, V, S, T, chunk_rule, hyper, rates, l2, l1, decay, runs, arch, nets,
                a_off, a_off_e, capacity, capacity_e, X, Y, orders, batch_size, mode, Xv, Yv,
                val_mode, losses, corrects, val_losses, val_corrects, done, status):
    r"""Train chunk ``c``'s lanes (``prange`` over chunks) for ``rates.shape[2]`` epochs.

    ``TH[c]`` (P, LANES) holds the parameters of networks ``nets[c]`` (-1: a padding lane),
    ``V[c]``, ``S[c]`` their optimizer state, ``T[c]`` their step counts; ``chunk_rule[c]``
    the chunk's one rule; ``hyper``, ``rates``, ``l2``, ``l1`` per lane. Per epoch e and
    lane: the epoch (``_epoch``), its summed cost into ``losses[c, e]`` and correct count
    into ``corrects[c, e]``; then if the cost and every parameter are finite, ``done += 1``
    and the validation pass, else the lane's parameters and state go back to the end of the
    previous epoch and ``status`` is set (``population.DIVERGED_COST``/``DIVERGED_WEIGHT``),
    and the lane is rolled back after every later epoch (it trains no further). Lanes with
    ``status != 0`` on entry are rolled back alike from the start.
    """
    for c in prange(TH.shape[0]):
        _train_chunk(np.int64(c), TH, V, S, T, chunk_rule, hyper, rates, l2, l1, decay, runs, arch, nets, a_off, a_off_e, capacity, capacity_e, X, Y, orders, batch_size, mode, Xv, Yv, val_mode, losses, corrects, val_losses, val_corrects, done, status)


@njit(**JIT)
def _train_chunk(c, TH, V, S, T, chunk_rule, hyper, rates, l2, l1, decay, runs, arch, nets,
                 a_off, a_off_e, capacity, capacity_e, X, Y, orders, batch_size, mode, Xv, Yv,
                 val_mode, losses, corrects, val_losses, val_corrects, done, status):
    """Chunk ``c`` of ``train_lanes``: all epochs of its lanes."""
    C, P, R = TH.shape
    E = rates.shape[2]
    dtype = TH.dtype
    units = 0
    for l in range(arch.sizes.shape[0]):
        units += arch.sizes[l]
    n_out = arch.sizes[arch.sizes.shape[0] - 1]
    A = np.zeros((units * capacity, R), dtype)
    Sw = np.zeros_like(A)
    D = np.zeros_like(A)
    Yb = np.zeros((capacity * n_out, R), dtype)
    Ae = np.zeros((units * capacity_e, R), dtype)
    Se = np.zeros_like(Ae)
    Ye = np.zeros((capacity_e * n_out, R), dtype)
    G = np.zeros((P, R), dtype)
    before = np.zeros((P, R), dtype)
    v_before = np.zeros((V.shape[1], R), dtype)
    s_before = np.zeros((S.shape[1], R), dtype)
    t_before = np.zeros(R, np.int64)
    scratch = (np.zeros((capacity, R), dtype), np.zeros((capacity, R), dtype),
               np.zeros(R, dtype), np.zeros(R, dtype), np.zeros(R, dtype),
               np.zeros(R, np.float64))
    cost_rows = np.zeros((4, n_out), dtype)
    tmp = np.zeros((4, P), dtype)
    acc = np.zeros((4, R), dtype)
    acc64 = np.zeros((4, R), np.float64)
    loss = np.zeros(R, np.float64)
    correct = np.zeros(R, np.int64)
    v_loss = np.zeros(R, np.float64)
    v_correct = np.zeros(R, np.int64)
    lanes = ZERO  # not a literal 0: one compiled form of _epoch
    for r in range(R):
        if nets[c, r] >= 0:
            lanes = r + 1
    TC, VC, SC, TT = TH[c], V[c], S[c], T[c]
    rule = chunk_rule[c]
    for e in range(E):
        before[:] = TC
        v_before[:] = VC
        s_before[:] = SC
        t_before[:] = TT
        _epoch(TC, G, VC, SC, TT, rule, hyper[c], rates[c, :, e], l2[c], l1[c], decay, runs,
               arch, A, Sw, D, Yb, a_off, X, Y, orders, nets[c], e, batch_size, mode, loss,
               correct, lanes, scratch, acc, acc64, cost_rows, tmp)
        for r in range(lanes):
            g = nets[c, r]
            if status[g] == 0:
                losses[c, r, e] = loss[r]
                corrects[c, r, e] = correct[r]
                bad = 0
                if not np.isfinite(loss[r]):
                    bad = DIVERGED_COST
                else:
                    for q in range(P):
                        if not np.isfinite(TC[q, r]):
                            bad = DIVERGED_WEIGHT
                            break
                if bad == 0:
                    done[c, r] += 1
                    continue
                status[g] = bad
            for q in range(P):
                TC[q, r] = before[q, r]
            for q in range(VC.shape[0]):
                VC[q, r] = v_before[q, r]
            for q in range(SC.shape[0]):
                SC[q, r] = s_before[q, r]
            TT[r] = t_before[r]
        if Xv.shape[0] > 0:
            _evaluate(TC, arch, Ae, Se, Ye, a_off_e, Xv, Yv, val_mode, v_loss, v_correct,
                      acc, cost_rows)
            for r in range(lanes):
                val_losses[c, r, e] = v_loss[r]
                val_corrects[c, r, e] = v_correct[r]


def train(trainer, thetas, V, S, T, rule, hyper, rates, l2, l1, decay, X, Y, orders,
          batch_size, accuracy_mode, Xv, Yv, val_mode, members, status):
    """``LayeredPopulation.train`` on the tiny path: the same arguments (network-major
    arrays, updated in place) and results, computed by ``train_lanes`` on chunks of
    ``LANES`` networks of one rule each."""
    R, E = rates.shape
    members = np.asarray(members, np.int64)
    order = members[np.argsort(rule[members], kind="stable")]
    chunks = []
    for value in np.unique(rule[order]):
        group = order[rule[order] == value]
        chunks += [group[i:i + LANES] for i in range(0, len(group), LANES)]
    C = len(chunks)
    nets = np.full((C, LANES), -1, np.int64)
    for c, group in enumerate(chunks):
        nets[c, :len(group)] = group
    real = nets >= 0
    idx = np.where(real, nets, 0)
    dtype = thetas.dtype

    def lanes(array, fill=0):
        """Per-network rows -> (C, ..., LANES), padding lanes filled."""
        out = np.where(real.reshape(real.shape + (1,) * (array.ndim - 1)), array[idx], fill)
        return np.ascontiguousarray(np.moveaxis(out, 1, -1)).astype(array.dtype, copy=False)

    TH, VL, SL = lanes(thetas), lanes(V), lanes(S)
    TL = np.ascontiguousarray(np.where(real, T[idx, 0], 0))
    chunk_rule = np.array([rule[group[0]] for group in chunks], np.int64)
    hyper_l = np.ascontiguousarray(np.where(real[..., None], hyper[idx], 0.0))
    rates_l = np.ascontiguousarray(np.where(real[..., None], rates[idx], 1.0))
    l2_l = np.ascontiguousarray(np.where(real, l2[idx], 0.0))
    l1_l = np.ascontiguousarray(np.where(real, l1[idx], 0.0))
    sizes = trainer.arch.sizes
    n = orders.shape[2]
    capacity = min(batch_size, n)
    capacity_e = max(1, min(256, Xv.shape[0]))
    a_off = np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(np.int64) * capacity
    a_off_e = np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(np.int64) * capacity_e
    losses_l = np.zeros((C, LANES, E))
    corrects_l = np.zeros((C, LANES, E), np.int64)
    val_losses_l = np.zeros((C, LANES, E))
    val_corrects_l = np.zeros((C, LANES, E), np.int64)
    done_l = np.zeros((C, LANES), np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        train_lanes(TH, VL, SL, TL, chunk_rule, hyper_l, rates_l, l2_l, l1_l, decay,
                    rules.mask_runs(decay), trainer.arch, nets, a_off, a_off_e,
                    capacity, capacity_e, X, Y, orders, capacity, accuracy_mode, Xv, Yv,
                    val_mode, losses_l, corrects_l, val_losses_l, val_corrects_l, done_l,
                    status)
    g = nets[real]
    thetas[g] = np.moveaxis(TH, -1, 1)[real]
    V[g] = np.moveaxis(VL, -1, 1)[real]
    S[g] = np.moveaxis(SL, -1, 1)[real]
    T[g, 0] = TL[real]
    out = [np.zeros((R, E)), np.zeros((R, E), np.int64), np.zeros((R, E)),
           np.zeros((R, E), np.int64), np.zeros(R, np.int64)]
    for target, source in zip(out, (losses_l, corrects_l, val_losses_l, val_corrects_l,
                                    done_l)):
        target[g] = source[real]
    return tuple(out)

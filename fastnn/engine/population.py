r"""Many networks of one structure trained together in one compiled loop (issue 12).

A *population* is R networks of one topology, cost and dtype, each with its own parameters
``thetas[r]``, optimizer state ``V[r]``, ``S[r]``, step counter ``T[r]``, rule and
hyper-parameters (learning rate per epoch, L2/L1, mu, rho, beta1, beta2, eps) and visiting
order per epoch. ``train_population`` runs several epochs of every network in one compiled
call: a ``prange`` over *chunks* of networks, each chunk owning its networks and its own
buffers (workspace, gradient, transposed weights, the copies a divergence rolls back to).

Bit-identity with ``Network.fit``: for each network the epoch is *the same compiled
function* the single-network engine runs, ``fast_drivers.train_epoch`` (tiles, fusion and
all), on a serial plan, and the validation pass is ``fast_drivers.evaluate`` with fit's
chunk size. The fast kernels give the same bits whether a layer runs serially or in
parallel and whatever its group width (``fast_drivers``), so each network's weights after
training are exactly those ``fit`` computes from the same seed, order and hyper-parameters
(``tests/test_population.py`` checks it). Which chunk (thread) trains a network changes
nothing: a network's arithmetic reads only its own rows and its chunk's scratch buffers.

Networks are the unit of parallelism over cores; inside one network the fast kernels'
tiles vectorise as in ``fit``. Populations of narrow networks (``lanes.faster``: every layer
at most ``lanes.FASTEST_WIDTH`` wide, enough networks to fill a chunk per thread) take the
network-minor path of ``lanes`` instead, where the loop over networks is the one that
vectorises; both paths give each network ``fit``'s bits.

``POPULATIONS`` maps ``Topology.kind`` to the class that trains populations of that kind;
a second structure kind registers its class there (its ``train`` has the same contract).
"""
import numba
import numpy as np
from numba import njit, prange

from ..core import activations, costs
from ..core._numba import GLUE_JIT, PARALLEL_JIT
from . import fast_drivers, kernels, lanes, rules

EVAL_CHUNK = 256
"""Rows per chunk of the validation pass: ``numba_engine.CHUNK``, as ``Network.evaluate``
uses it (the pairing of samples into tiles depends on it, so it must be the same)."""

DIVERGED_COST, DIVERGED_WEIGHT = lanes.DIVERGED_COST, lanes.DIVERGED_WEIGHT
"""``status`` codes of a network that diverged: its summed training cost, or (cost finite)
one of its parameters, was not finite at the end of an epoch."""


@njit(**PARALLEL_JIT)
def train_population(thetas, V, S, T, rule, hyper, rates, l2, l1, decay, runs, arch, widths,
                     members, bounds, A, Sw, D, Yb, C, Xn, a_off, Ae, Se, De, Ye, Ce, a_off_e,
                     wT, grad, before, v_before, s_before, X, Y, orders, batch_size,
                     accuracy_mode, Xv, Yv, val_mode, losses, corrects, val_losses,
                     val_corrects, done, status):
    r"""Train every network ``r = members[i]`` for up to ``rates.shape[1]`` epochs.

    Chunk ``c`` (``prange``) owns ``members[bounds[c]:bounds[c+1]]`` and row ``c`` of every
    scratch buffer (workspace ``A``/``Sw``/``D``/``Yb``/``C``/``Xn`` for training batches,
    ``Ae``... for validation chunks, ``wT``, ``grad``, ``before``...). For network r and
    epoch e: ``fast_drivers.train_epoch`` over ``orders[r, e]`` at rate ``rates[r, e]``
    (``rules.Update`` built from row r); the summed cost into ``losses[r, e]`` and correct
    predictions into ``corrects[r, e]``; then, if the cost and every parameter are finite,
    ``done[r] += 1`` and (when ``Xv`` has rows) the validation cost and correct count; else
    the parameters and optimizer state are restored to the end of the previous epoch,
    ``status[r]`` is set (``DIVERGED_COST``/``DIVERGED_WEIGHT``) and network r stops.
    Networks with ``status[r] != 0`` on entry are skipped (``status`` persists across calls).
    """
    for c in prange(bounds.shape[0] - 1):
        work, work_e, plan = _chunk_buffers(c, arch, widths, A, Sw, D, Yb, C, Xn, a_off, Ae, Se,
                                            De, Ye, Ce, a_off_e, wT)
        for i in range(bounds[c], bounds[c + 1]):
            r = members[i]
            for e in range(rates.shape[1] if status[r] == 0 else 0):
                u, t_before = _begin_epoch(c, r, e, thetas, V, S, T, rule, hyper, rates, l2,
                                           l1, decay, runs, before, v_before, s_before)
                loss, correct = fast_drivers.train_epoch(thetas[r], grad[c], arch, plan, work,
                                                         X, Y, orders[r, e], batch_size, u,
                                                         accuracy_mode, Ce[c][:0], 0.0)
                if _end_epoch(c, r, e, loss, correct, t_before, thetas, V, S, T, before,
                              v_before, s_before, arch, plan, work_e, Xv, Yv, val_mode, losses,
                              corrects, val_losses, val_corrects, done, status):
                    break


@njit(**PARALLEL_JIT)
def train_population_sgd(thetas, V, S, T, rule, hyper, rates, l2, l1, decay, runs, arch, widths,
                         members, bounds, A, Sw, D, Yb, C, Xn, a_off, Ae, Se, De, Ye, Ce,
                         a_off_e, wT, grad, before, v_before, s_before, X, Y, orders,
                         batch_size, accuracy_mode, Xv, Yv, val_mode, losses, corrects,
                         val_losses, val_corrects, done, status):
    """``train_population`` for members that all train with plain SGD: the epoch is
    ``fast_drivers.train_epoch_sgd`` (what ``train_epoch`` runs for them), so the other
    rules' code is not compiled in (best_of's first call compiles half as much). A kernel
    of its own rather than ``train_population`` taking the epoch function as an argument:
    numba does not cache a function that takes a compiled function as an argument (tried:
    no cache hit in a second process), so every process would compile it again."""
    for c in prange(bounds.shape[0] - 1):
        work, work_e, plan = _chunk_buffers(c, arch, widths, A, Sw, D, Yb, C, Xn, a_off, Ae, Se,
                                            De, Ye, Ce, a_off_e, wT)
        for i in range(bounds[c], bounds[c + 1]):
            r = members[i]
            for e in range(rates.shape[1] if status[r] == 0 else 0):
                u, t_before = _begin_epoch(c, r, e, thetas, V, S, T, rule, hyper, rates, l2,
                                           l1, decay, runs, before, v_before, s_before)
                loss, correct = fast_drivers.train_epoch_sgd(thetas[r], arch, plan, work, X, Y,
                                                             orders[r, e], batch_size, u,
                                                             accuracy_mode, Ce[c][:0], 0.0)
                if _end_epoch(c, r, e, loss, correct, t_before, thetas, V, S, T, before,
                              v_before, s_before, arch, plan, work_e, Xv, Yv, val_mode, losses,
                              corrects, val_losses, val_corrects, done, status):
                    break


@njit(**GLUE_JIT)
def _chunk_buffers(c, arch, widths, A, Sw, D, Yb, C, Xn, a_off, Ae, Se, De, Ye, Ce, a_off_e, wT):
    """Chunk ``c``'s training and validation workspaces and its serial plan."""
    work = kernels.Workspace(a_off, A[c], Sw[c], D[c], Yb[c], C[c], Xn[c])
    work_e = kernels.Workspace(a_off_e, Ae[c], Se[c], De[c], Ye[c], Ce[c], Xn[c][:0])
    plan = fast_drivers.Plan(np.zeros(arch.sizes.shape[0], dtype=np.uint8), widths, wT[c])
    return work, work_e, plan


@njit(**GLUE_JIT)
def _begin_epoch(c, r, e, thetas, V, S, T, rule, hyper, rates, l2, l1, decay, runs, before,
                 v_before, s_before):
    """Network r's state saved in chunk c's rollback copies; its ``rules.Update`` for epoch e
    and its step count before the epoch."""
    before[c][:] = thetas[r]
    v_before[c][:] = V[r]
    s_before[c][:] = S[r]
    u = rules.Update(rule[r], rates[r, e], hyper[r, 0], hyper[r, 1], hyper[r, 2], hyper[r, 3],
                     hyper[r, 4], l2[r], l1[r], decay, V[r], S[r], T[r], runs)
    return u, T[r][0]


@njit(**GLUE_JIT)
def _end_epoch(c, r, e, loss, correct, t_before, thetas, V, S, T, before, v_before, s_before,
               arch, plan, work_e, Xv, Yv, val_mode, losses, corrects, val_losses, val_corrects,
               done, status):
    """Epoch e of network r recorded; True when it diverged (state rolled back, ``status``
    set: it trains no further), else its validation pass when ``Xv`` has rows."""
    theta = thetas[r]
    losses[r, e] = loss
    corrects[r, e] = correct
    bad = 0
    if not np.isfinite(loss):
        bad = DIVERGED_COST
    else:
        for q in range(theta.shape[0]):
            if not np.isfinite(theta[q]):
                bad = DIVERGED_WEIGHT
                break
    if bad != 0:
        theta[:] = before[c]
        V[r][:] = v_before[c]
        S[r][:] = s_before[c]
        T[r][0] = t_before
        status[r] = bad
        return True
    done[r] += 1
    if Xv.shape[0] > 0:
        v_loss, v_correct = fast_drivers.evaluate(theta, arch, plan, work_e, Xv, Yv, val_mode,
                                                   0.0)
        val_losses[r, e] = v_loss
        val_corrects[r, e] = v_correct
    return False


def _stacked_workspace(sizes, capacity, dtype, chunks, for_training):
    """``chunks`` workspaces of ``kernels.make_workspace`` stacked into arrays (row = chunk)."""
    one = kernels.make_workspace(sizes, capacity, dtype, for_training)
    stack = [np.zeros((chunks,) + array.shape, dtype=array.dtype) for array in one[1:]]
    return one.a_off, stack


def scratch_bytes(topology, dtype, batch_size, n_val, n_state):
    """Bytes of the scratch buffers one chunk of a population owns (workspaces, gradient,
    transposed weights, the rollback copies)."""
    itemsize = np.dtype(dtype).itemsize
    sizes = np.asarray(topology.sizes, dtype=np.int64)
    units = int(sizes.sum())
    train = 3 * units * batch_size + batch_size * (int(sizes[-1]) + 1 + int(sizes[0]))
    evaluation = 3 * units * n_val + n_val * (int(sizes[-1]) + 1)
    return itemsize * (train + evaluation + (3 + n_state) * topology.n_parameters)


class LayeredPopulation:
    """Trains populations of layered networks (``fastnn.core.structure.Layered``).

    Parameters
    ----------
    topology : Layered
    cost : str
        Cost name (``fastnn.core.costs.CODES``).
    dtype : numpy dtype
    """

    def __init__(self, topology, cost, dtype):
        lay = topology.layout
        codes = np.array([0] + [activations.CODES[name] for name in topology.layer_activations],
                         dtype=np.int64)
        self.topology = topology
        self.arch = kernels.Architecture(lay.sizes, lay.w_off, lay.b_off, codes, costs.CODES[cost])
        self.dtype = np.dtype(dtype)
        self.widths = fast_drivers.group_width(lay.sizes, 1)

    def scratch(self, batch_size, n_val, n_state, networks, threads, chunks=None):
        """``(bytes, chunks)``: the scratch of one chunk (``scratch_bytes``) and how many
        chunks hold theirs at once, for ``networks`` networks on ``threads`` threads. On the
        lanes (``lanes.faster``) a chunk holds one network's scratch per lane, and the chunks
        of the threads allocate theirs at once; one network at a time, ``chunks`` (default
        four per thread) chunks of one network each."""
        one = scratch_bytes(self.topology, self.dtype, batch_size, n_val, n_state)
        if lanes.faster(self.arch.sizes, networks, threads):
            width = lanes.lane_count(networks, threads)
            return one * width, min(threads, -(-networks // width))
        return one, min(chunks or 4 * threads, networks)

    def train(self, thetas, V, S, T, rule, hyper, rates, l2, l1, decay, X, Y, orders,
              batch_size, accuracy_mode, Xv, Yv, val_mode, members, status, chunks=None):
        """Run ``train_population`` on the networks ``members`` (see it for the arrays;
        ``status`` int64 (R,) is updated in place and skips networks already diverged).

        Returns ``(losses, corrects, val_losses, val_corrects, done)``, arrays over
        all R networks (rows of non-members untouched: zeros). ``chunks`` (default: four per
        numba thread) only decides which thread trains which network, never a value.
        """
        R, E = rates.shape
        n = orders.shape[2]
        batch_size = min(batch_size, n)
        if lanes.faster(self.arch.sizes, len(members), numba.get_num_threads()):
            return lanes.train(self, thetas, V, S, T, rule, hyper, rates, l2, l1, decay, X, Y,
                              orders, batch_size, accuracy_mode, Xv, Yv, val_mode, members,
                              status)
        if chunks is None:
            chunks = 4 * numba.get_num_threads()
        chunks = max(1, min(chunks, len(members)))
        bounds = np.linspace(0, len(members), chunks + 1).round().astype(np.int64)
        sizes = self.arch.sizes
        a_off, (A, Sw, D, Yb, C, Xn) = _stacked_workspace(sizes, batch_size, self.dtype, chunks,
                                                         True)
        m_eval = max(1, min(EVAL_CHUNK, Xv.shape[0]))
        a_off_e, (Ae, Se, De, Ye, Ce, _) = _stacked_workspace(sizes, m_eval, self.dtype, chunks,
                                                             False)
        P = thetas.shape[1]
        wT = np.zeros((chunks, P), self.dtype)
        grad = np.zeros((chunks, P), self.dtype)
        before = np.zeros((chunks, P), self.dtype)
        v_before = np.zeros((chunks, V.shape[1]), self.dtype)
        s_before = np.zeros((chunks, S.shape[1]), self.dtype)
        losses = np.zeros((R, E))
        corrects = np.zeros((R, E), np.int64)
        val_losses = np.zeros((R, E))
        val_corrects = np.zeros((R, E), np.int64)
        done = np.zeros(R, np.int64)
        members = np.asarray(members, np.int64)
        sgd_only = bool((rule[members] == rules.SGD_RULE).all())
        kernel = train_population_sgd if sgd_only else train_population
        with np.errstate(over="ignore", invalid="ignore"):
            kernel(thetas, V, S, T, rule, hyper, rates, l2, l1, decay, rules.mask_runs(decay),
                   self.arch, self.widths, members, bounds, A, Sw, D, Yb, C, Xn, a_off, Ae, Se,
                   De, Ye, Ce, a_off_e, wT, grad, before, v_before, s_before, X, Y, orders,
                   batch_size, accuracy_mode, Xv, Yv, val_mode, losses, corrects, val_losses,
                   val_corrects, done, status)
        return losses, corrects, val_losses, val_corrects, done


POPULATIONS = {"layered": LayeredPopulation}
"""Population trainers by ``Topology.kind`` (a new structure kind registers its own)."""


def make_population(topology, cost, dtype):
    """The population trainer for ``topology.kind``, or None when that kind has none."""
    cls = POPULATIONS.get(topology.kind)
    return None if cls is None else cls(topology, cost, dtype)

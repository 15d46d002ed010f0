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
from collections import namedtuple

import numba
import numpy as np
from numba import njit, prange

from ..core import activations, costs
from ..core._numba import GLUE_JIT, JIT, PARALLEL_JIT
from . import fast_drivers, kernels, lanes, rules

EVAL_CHUNK = 256
"""Rows per chunk of the validation pass: ``numba_engine.CHUNK``, as ``Network.evaluate``
uses it (the pairing of samples into tiles depends on it, so it must be the same)."""

DIVERGED_COST, DIVERGED_WEIGHT = lanes.DIVERGED_COST, lanes.DIVERGED_WEIGHT
"""``status`` codes of a network that diverged: its summed training cost, or (cost finite)
one of its parameters, was not finite at the end of an epoch."""

State, Optim, Data, Results = lanes.State, lanes.Optim, lanes.Data, lanes.Results
"""The groups of arrays the population kernels take (defined in ``lanes``, which trains the
same groups lane-major)."""


Chunks = namedtuple("Chunks", ["members", "bounds", "widths", "wT", "grad", "before",
                               "v_before", "s_before"])
"""How ``train_population`` splits the networks over chunks, and each chunk's scratch (row c
of every array but ``members``, ``bounds`` and ``widths`` is chunk c's): chunk c trains the
networks ``members[bounds[c]:bounds[c+1]]`` (int64); ``widths`` the serial plan's group
width per layer (``fast_drivers.group_width``); ``wT`` the transposed weights and ``grad``
the gradient (chunks, P); ``before``, ``v_before``, ``s_before`` the copies of a network's
parameters and optimizer state a divergence rolls back to. (The chunks' workspaces are
arguments of their own: numba's ``prange`` takes no tuple nested in a tuple argument.)"""


@njit(**PARALLEL_JIT)
def train_population(state, optim, arch, chunks, work, work_e, data, results):
    r"""Train every network ``r = chunks.members[i]`` for up to ``optim.rates.shape[1]``
    epochs (``State``, ``Optim``, ``Data``, ``Results``, ``Chunks`` name the arrays; ``work``,
    ``work_e`` are ``kernels.Workspace`` stacked by chunk, for training batches and
    validation chunks).

    Chunk ``c`` (``prange``) owns its networks and row ``c`` of every scratch buffer. For
    network r and epoch e: ``fast_drivers.train_epoch`` over ``orders[r, e]`` at rate
    ``rates[r, e]`` (``rules.Update`` built from row r); the summed cost into ``losses[r, e]``
    and correct predictions into ``corrects[r, e]``; then, if the cost and every parameter
    are finite, ``done[r] += 1`` and (when ``Xv`` has rows) the validation cost and correct
    count; else the parameters and optimizer state are restored to the end of the previous
    epoch, ``status[r]`` is set (``DIVERGED_COST``/``DIVERGED_WEIGHT``) and network r stops.
    Networks with ``status[r] != 0`` on entry are skipped (``status`` persists across calls).
    """
    for c in prange(chunks.bounds.shape[0] - 1):
        work_c, work_e_c, plan = _chunk_buffers(c, arch, chunks, work, work_e)
        for i in range(chunks.bounds[c], chunks.bounds[c + 1]):
            r = chunks.members[i]
            for e in range(optim.rates.shape[1] if results.status[r] == 0 else 0):
                u, t_before = _begin_epoch(np.int64(c), r, e, state, optim, chunks)
                loss, correct = fast_drivers.train_epoch(
                    state.thetas[r], chunks.grad[c], arch, plan, work_c, data.X, data.Y,
                    data.orders[r, e], data.batch_size, u, data.accuracy_mode,
                    work_e.sample_cost[c][:0], 0.0)
                if _end_epoch(np.int64(c), r, e, loss, correct, t_before, state, chunks,
                              results):
                    break
                if data.Xv.shape[0] > 0:
                    v_loss, v_correct = fast_drivers.evaluate(state.thetas[r], arch, plan,
                                                               work_e_c, data.Xv, data.Yv,
                                                               data.val_mode, 0.0)
                    _validated(r, e, results, v_loss, v_correct)


@njit(**PARALLEL_JIT)
def train_population_sgd(state, optim, arch, chunks, work, work_e, data, results):
    """``train_population`` for members that all train with plain SGD: the epoch is
    ``fast_drivers.train_epoch_sgd`` (what ``train_epoch`` runs for them), so the other
    rules' code is not compiled in (best_of's first call compiles half as much). A kernel
    of its own rather than ``train_population`` taking the epoch function as an argument:
    numba does not cache a function that takes a compiled function as an argument (tried:
    no cache hit in a second process), so every process would compile it again."""
    for c in prange(chunks.bounds.shape[0] - 1):
        work_c, work_e_c, plan = _chunk_buffers(c, arch, chunks, work, work_e)
        for i in range(chunks.bounds[c], chunks.bounds[c + 1]):
            r = chunks.members[i]
            for e in range(optim.rates.shape[1] if results.status[r] == 0 else 0):
                u, t_before = _begin_epoch(np.int64(c), r, e, state, optim, chunks)
                loss, correct = fast_drivers.train_epoch_sgd(
                    state.thetas[r], arch, plan, work_c, data.X, data.Y, data.orders[r, e],
                    data.batch_size, u, data.accuracy_mode, work_e.sample_cost[c][:0],
                    0.0)
                if _end_epoch(np.int64(c), r, e, loss, correct, t_before, state, chunks,
                              results):
                    break
                if data.Xv.shape[0] > 0:
                    v_loss, v_correct = fast_drivers.evaluate(state.thetas[r], arch, plan,
                                                               work_e_c, data.Xv, data.Yv,
                                                               data.val_mode, 0.0)
                    _validated(r, e, results, v_loss, v_correct)


@njit(**GLUE_JIT)
def _chunk_buffers(c, arch, chunks, w, v):
    """Chunk ``c``'s training and validation workspaces (rows c of the stacked ``w``, ``v``)
    and its serial plan."""
    work = kernels.Workspace(w.a_off, w.A[c], w.S[c], w.D[c], w.y[c], w.sample_cost[c],
                             w.x_next[c])
    work_e = kernels.Workspace(v.a_off, v.A[c], v.S[c], v.D[c], v.y[c], v.sample_cost[c],
                               w.x_next[c][:0])
    plan = fast_drivers.Plan(np.zeros(arch.sizes.shape[0], dtype=np.uint8), chunks.widths,
                             chunks.wT[c])
    return work, work_e, plan


# _begin_epoch, _end_epoch and _validated write into the groups; they are compiled as
# functions of their own, not inlined (GLUE_JIT) into the prange body: numba (0.68) drops a
# write made in a prange body to an array reached through a tuple argument's field (its
# dead-code pass does not know the array aliases the argument), so the kernels' every such
# write happens in a called function. They take the chunk as ``np.int64(c)``: the prange
# index is int64 in the kernel and uint64 in its gufunc, two compiled forms otherwise.

@njit(**JIT)
def _begin_epoch(c, r, e, state, optim, chunks):
    """Network r's state saved in chunk c's rollback copies; its ``rules.Update`` for epoch e
    and its step count before the epoch."""
    chunks.before[c][:] = state.thetas[r]
    chunks.v_before[c][:] = state.V[r]
    chunks.s_before[c][:] = state.S[r]
    h = optim.hyper
    u = rules.Update(optim.rule[r], optim.rates[r, e], h[r, 0], h[r, 1], h[r, 2], h[r, 3],
                     h[r, 4], optim.l2[r], optim.l1[r], optim.decay, state.V[r], state.S[r],
                     state.T[r], optim.runs)
    return u, state.T[r][0]


@njit(**JIT)
def _end_epoch(c, r, e, loss, correct, t_before, state, chunks, results):
    """Epoch e of network r recorded; True when it diverged (state rolled back to chunk c's
    copies, ``status`` set: it trains no further), else ``done[r]`` counts it."""
    theta = state.thetas[r]
    results.losses[r, e] = loss
    results.corrects[r, e] = correct
    bad = 0
    if not np.isfinite(loss):
        bad = DIVERGED_COST
    else:
        for q in range(theta.shape[0]):
            if not np.isfinite(theta[q]):
                bad = DIVERGED_WEIGHT
                break
    if bad != 0:
        theta[:] = chunks.before[c]
        state.V[r][:] = chunks.v_before[c]
        state.S[r][:] = chunks.s_before[c]
        state.T[r][0] = t_before
        results.status[r] = bad
        return True
    results.done[r] += 1
    return False


@njit(**JIT)
def _validated(r, e, results, v_loss, v_correct):
    """Network r's validation cost and correct count after epoch e recorded."""
    results.val_losses[r, e] = v_loss
    results.val_corrects[r, e] = v_correct


def _stacked_workspace(sizes, capacity, dtype, chunks, for_training):
    """``chunks`` workspaces of ``kernels.make_workspace`` stacked: one ``kernels.Workspace``
    whose arrays but ``a_off`` have one row per chunk."""
    one = kernels.make_workspace(sizes, capacity, dtype, for_training)
    return kernels.Workspace(one.a_off, *(np.zeros((chunks,) + array.shape, dtype=array.dtype)
                                          for array in one[1:]))


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

    def train(self, state, optim, data, members, status, chunks=None):
        """Run ``train_population`` on the networks ``members``: ``state`` (``State``,
        updated in place), ``optim`` (``Optim``), ``data`` (``Data``), network-major; any
        tuples of those fields in that order. ``status`` int64 (R,) is updated in place and
        skips networks already diverged.

        Returns ``(losses, corrects, val_losses, val_corrects, done)`` (``Results``), arrays
        over all R networks (rows of non-members untouched: zeros). ``chunks`` (default:
        four per numba thread) only decides which thread trains which network, never a
        value.
        """
        state, optim = State(*state), Optim(*optim)
        R, E = optim.rates.shape
        data = Data(*data)
        data = data._replace(batch_size=min(data.batch_size, data.orders.shape[2]))
        if lanes.faster(self.arch.sizes, len(members), numba.get_num_threads()):
            return lanes.train(self, state, optim, data, members, status)[:5]
        if chunks is None:
            chunks = 4 * numba.get_num_threads()
        chunks = max(1, min(chunks, len(members)))
        bounds = np.linspace(0, len(members), chunks + 1).round().astype(np.int64)
        sizes = self.arch.sizes
        work = _stacked_workspace(sizes, data.batch_size, self.dtype, chunks, True)
        m_eval = max(1, min(EVAL_CHUNK, data.Xv.shape[0]))
        work_e = _stacked_workspace(sizes, m_eval, self.dtype, chunks, False)
        P = state.thetas.shape[1]
        members = np.asarray(members, np.int64)
        scratch = Chunks(members, bounds, self.widths,
                         *(np.zeros((chunks, width), self.dtype)
                           for width in (P, P, P, state.V.shape[1], state.S.shape[1])))
        results = Results(np.zeros((R, E)), np.zeros((R, E), np.int64), np.zeros((R, E)),
                          np.zeros((R, E), np.int64), np.zeros(R, np.int64), status)
        sgd_only = bool((optim.rule[members] == rules.SGD_RULE).all())
        kernel = train_population_sgd if sgd_only else train_population
        with np.errstate(over="ignore", invalid="ignore"):
            kernel(state, optim, self.arch, scratch, work, work_e, data, results)
        return results[:5]


POPULATIONS = {"layered": LayeredPopulation}
"""Population trainers by ``Topology.kind`` (a new structure kind registers its own)."""


def make_population(topology, cost, dtype):
    """The population trainer for ``topology.kind``, or None when that kind has none."""
    cls = POPULATIONS.get(topology.kind)
    return None if cls is None else cls(topology, cost, dtype)

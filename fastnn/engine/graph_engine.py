r"""The engines for feed-forward graphs (``fastnn.core.graph.Graph``), with the interface of
every engine (``interface.Engine``), all on the flat parameter vector ``theta``. Neither takes
sample weights or sparse input (their capability attributes say so).

``GraphNumbaEngine`` runs the compiled per-edge loops of ``graph_kernels``; its buffers
belong to the calling thread (``threading.local``). ``GraphNumpyEngine`` is the reference
they are tested against, written neuron by neuron over sample-major arrays (rows are
samples): :math:`s_j = a_{in(j)} w_{in(j)} + b_j`, :math:`\delta_i = f'(s_i) (\delta_{out(i)}
w_{out(i)})`, and all edge gradients at once, :math:`g_e = \frac1m \sum_x a_{x,src(e)}
\delta_{x,dst(e)}`.
"""
import threading

import numba
import numpy as np

from ..core import activations, costs
from ..core.metrics import numpy_count_correct as count_correct
from . import fast_drivers, graph_kernels, rules
from .interface import refuse_weights
from .numba_engine import parallel_work

CHUNK = 256
"""Rows per chunk in predict/gradients/evaluate."""


def _arch(topology, cost):
    g = topology.arrays
    out_codes = set(g.codes[-topology.n_outputs:].tolist())
    output_code = out_codes.pop() if len(out_codes) == 1 else -1
    return graph_kernels.GraphArch(*g, topology.n_outputs, output_code, costs.CODES[cost],
                                   *graph_kernels.units(g))


class GraphNumbaEngine:
    """Compiled per-edge loops; keeps its gradient buffer and workspaces per thread.

    ``parallel_work`` as for ``NumbaEngine``: the work (multiply-adds per level and batch)
    from which a level runs in parallel; None derives it from the parallel-region cost
    measured at first use (``numba_engine.parallel_work``), an int fixes it (tests)."""

    name = "numba"
    compiled = True
    sample_weights = False
    sparse_input = False
    population = False
    parallel_work = None

    def __init__(self, topology, cost, dtype):
        self.arch = _arch(topology, cost)
        self.n_neurons = len(topology.neurons)
        self.dtype = np.dtype(dtype)
        self.n_parameters = topology.n_parameters
        self._local = threading.local()

    def _buffers(self):
        local = self._local
        if not hasattr(local, "workspaces"):
            local.workspaces = {}
            local.grad = np.zeros(self.n_parameters, dtype=self.dtype)
        return local

    @property
    def grad(self):
        return self._buffers().grad

    def _workspace(self, capacity):
        """This thread's buffers for ``capacity`` samples and the levels' parallel flags on
        the threads numba has now (``fastnn.set_num_threads``)."""
        workspaces = self._buffers().workspaces
        found = workspaces.get(capacity)
        if found is None:
            if len(workspaces) >= 4:
                workspaces.clear()
            found = graph_kernels.make_workspace(self.n_neurons, self.arch.n_outputs, capacity,
                                                 self.dtype, bool(self.arch.has_dense))
            workspaces[capacity] = found
        threads = numba.get_num_threads()
        work = self.parallel_work
        if work is None and threads > 1:
            work = parallel_work(threads, self.dtype)
        return found, graph_kernels.parallel_levels(
            self.arch, capacity, threads, fast_drivers.PARALLEL_WORK if work is None else work)

    def warm_up(self, theta, X, Y, batch_size, update, accuracy_mode, weights=None):
        """Compile (or load from cache) the training loop on one sample and copies."""
        self.train_epoch(theta.copy(), X, Y, np.zeros(1, dtype=np.int64),
                         min(batch_size, X.shape[0]), rules.scratch_copy(update), accuracy_mode,
                         weights)

    def add_penalty_gradient(self, theta, grad, decay, l2, l1):
        """``rules.add_penalty_gradient``: the function the compiled update rules apply."""
        rules.add_penalty_gradient(theta, grad, decay, l2, l1)

    def train_epoch(self, theta, X, Y, order, batch_size, update, accuracy_mode, weights=None):
        refuse_weights(self, weights)
        batch_size = min(batch_size, len(order))
        work, par = self._workspace(batch_size)
        loss, correct = graph_kernels.train_epoch(theta, self.grad, self.arch, par, work, X, Y,
                                                  order, batch_size, update, accuracy_mode)
        return float(loss), int(correct)

    def predict(self, theta, X):
        out = np.empty((X.shape[0], self.arch.n_outputs), dtype=self.dtype)
        work, par = self._workspace(min(CHUNK, X.shape[0]))
        graph_kernels.predict(theta, self.arch, par, work, X, out)
        return out

    def gradients(self, theta, X, Y, weights=None):
        refuse_weights(self, weights)
        grad = np.empty_like(theta)
        work, par = self._workspace(min(CHUNK, X.shape[0]))
        loss = graph_kernels.gradients(theta, grad, self.arch, par, work, X, Y)
        return grad, float(loss)

    def trace(self, theta, x, y):
        """One sample (``x``, ``y`` of shape (1, n)) through the compiled gradient driver:
        ``(grad, cost, S, A, D)``, the last three per neuron position, read from the workspace
        the driver computed them in (nothing is recomputed in Python)."""
        grad, loss = self.gradients(theta, x, y)
        work, _ = self._workspace(1)
        return grad, loss, work.S[:, 0].copy(), work.A[:, 0].copy(), work.D[:, 0].copy()

    def evaluate(self, theta, X, Y, accuracy_mode):
        work, par = self._workspace(min(CHUNK, X.shape[0]))
        loss, correct = graph_kernels.evaluate(theta, self.arch, par, work, X, Y, accuracy_mode)
        return float(loss), int(correct)


class GraphNumpyEngine:
    """Vectorised over samples, neuron by neuron over the graph: the reference."""

    name = "numpy"
    compiled = False
    sample_weights = False
    sparse_input = False
    population = False

    def __init__(self, topology, cost, dtype):
        self.n_parameters = topology.n_parameters
        self.g = topology.arrays
        self.n_edges = topology.n_edges
        self.N = len(topology.neurons)
        self.n_out = topology.n_outputs
        self.source, self.target = topology.edge_source, topology.edge_target
        self.edge_index = topology.edge_index  # theta index of each (source, target) pair
        self.bias_at = np.flatnonzero(self.g.bias_index >= 0)
        names = {code: name for name, code in activations.CODES.items()}
        self.names = [names[int(c)] for c in self.g.codes]
        self.output = topology.output_activation
        self.cost = cost
        self.dtype = np.dtype(dtype)

    def _forward(self, theta, x):
        """Sample-major ``S``, ``A`` (m, N), inputs in the first columns of ``A``."""
        g, f = self.g, self.dtype.type
        w = theta  # in_edge holds indices in theta
        m = x.shape[0]
        S = np.zeros((m, self.N), dtype=self.dtype)
        A = np.zeros((m, self.N), dtype=self.dtype)
        A[:, :g.n_inputs] = x
        for p in range(g.n_inputs, self.N):
            e = slice(g.in_ptr[p], g.in_ptr[p + 1])
            b = theta[g.bias_index[p]] if g.bias_index[p] >= 0 else f(0)
            S[:, p] = A[:, g.in_src[e]] @ w[g.in_edge[e]] + b
            if self.names[p] != "softmax":
                A[:, p] = activations.NUMPY[self.names[p]][0](S[:, p])
        if self.output == "softmax":
            A[:, -self.n_out:] = activations.NUMPY["softmax"][0](S[:, -self.n_out:])
        return S, A

    def _backprop(self, theta, S, A, y, scale, deltas=None):
        """Flat gradient ``scale * sum over samples`` and the per-sample costs; ``deltas``, a
        list, receives the sample-major deltas ``D`` (m, N)."""
        g = self.g
        w = theta  # out_edge holds indices in theta
        s, a = S[:, -self.n_out:], A[:, -self.n_out:]
        sample_cost = costs.NUMPY_COST[self.cost](s, a, y)
        D = np.zeros_like(S)
        if self.output == "mixed":
            primes = [activations.NUMPY[name][1] for name in self.names[-self.n_out:]]
            D[:, -self.n_out:] = (a - y) * np.stack(
                [fp(s[:, j], a[:, j]) for j, fp in enumerate(primes)], axis=1)
        else:
            D[:, -self.n_out:] = costs.numpy_output_delta(self.cost, self.output, s, a, y)
        for p in range(self.N - self.n_out - 1, g.n_inputs - 1, -1):
            e = slice(g.out_ptr[p], g.out_ptr[p + 1])
            D[:, p] = (D[:, g.out_dst[e]] @ w[g.out_edge[e]]) * \
                activations.NUMPY[self.names[p]][1](S[:, p], A[:, p])
        grad = np.empty_like(theta)
        grad[self.edge_index] = np.einsum("xe,xe->e", A[:, self.source], D[:, self.target]) * scale
        grad[g.bias_index[self.bias_at]] = D[:, self.bias_at].sum(axis=0) * scale
        if deltas is not None:
            deltas.append(D)
        return grad, sample_cost

    def warm_up(self, theta, X, Y, batch_size, update, accuracy_mode, weights=None):
        """Nothing to compile."""

    def add_penalty_gradient(self, theta, grad, decay, l2, l1):
        """``rules.numpy_add_penalty_gradient``: the NumPy rules' own penalty gradient."""
        rules.numpy_add_penalty_gradient(theta, grad, decay, l2, l1)

    def train_epoch(self, theta, X, Y, order, batch_size, update, accuracy_mode, weights=None):
        refuse_weights(self, weights)
        loss, correct = 0.0, 0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            x, y = X[batch], Y[batch]
            S, A = self._forward(theta, x)
            grad, sample_cost = self._backprop(theta, S, A, y, self.dtype.type(1 / len(batch)))
            loss += float(sample_cost.sum(dtype=np.float64))
            correct += count_correct(accuracy_mode, A[:, -self.n_out:], y)
            if not np.isfinite(loss):
                break
            rules.numpy_step(update, theta, grad)
        return loss, correct

    def predict(self, theta, X):
        out = np.empty((X.shape[0], self.n_out), dtype=self.dtype)
        for start in range(0, X.shape[0], CHUNK):
            A = self._forward(theta, X[start:start + CHUNK])[1]
            out[start:start + CHUNK] = A[:, -self.n_out:]
        return out

    def gradients(self, theta, X, Y, weights=None):
        refuse_weights(self, weights)
        grad = np.zeros_like(theta)
        loss = 0.0
        for start in range(0, X.shape[0], CHUNK):
            S, A = self._forward(theta, X[start:start + CHUNK])
            part, sample_cost = self._backprop(theta, S, A, Y[start:start + CHUNK],
                                               self.dtype.type(1 / X.shape[0]))
            grad += part
            loss += float(sample_cost.sum(dtype=np.float64))
        return grad, loss

    def trace(self, theta, x, y):
        """One sample: ``(grad, cost, S, A, D)``, per neuron position (``gradients`` on it)."""
        S, A = self._forward(theta, x)
        deltas = []
        grad, sample_cost = self._backprop(theta, S, A, y, self.dtype.type(1), deltas)
        return grad, float(sample_cost.sum(dtype=np.float64)), S[0], A[0], deltas[0][0]

    def evaluate(self, theta, X, Y, accuracy_mode):
        loss, correct = 0.0, 0
        for start in range(0, X.shape[0], CHUNK):
            y = Y[start:start + CHUNK]
            S, A = self._forward(theta, X[start:start + CHUNK])
            s, a = S[:, -self.n_out:], A[:, -self.n_out:]
            loss += float(costs.NUMPY_COST[self.cost](s, a, y).sum(dtype=np.float64))
            correct += count_correct(accuracy_mode, a, y)
        return loss, correct

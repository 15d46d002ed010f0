"""The loop engines behind ``Network(engine="numba")`` and ``engine="numba-plain"`` for
layered networks (the ``fastnn.engine.interface.Engine`` interface).

``NumbaEngine`` runs the tiled, fused kernels of ``fast_drivers``; ``PlainNumbaEngine`` the
plain per-equation kernels of ``drivers`` (the readable form, kept as the oracle). Which one a
network has is decided once, when it is built. Both hand contiguous arrays to their drivers,
take the flat parameter vector ``theta`` (layout: ``fastnn.core.structure``) and update it in
place; they know nothing of shuffling, epochs or validation, which the fit loop does once for
every engine.

A scipy sparse ``X`` (the canonical CSR form of ``validation.sparse_inputs``) runs the
drivers of ``sparse_kernels`` (``SparseNumbaEngine``, built with either engine): the first
layer over stored entries on a transposed copy of its weights, the layers above as usual.

Buffers (workspaces, the gradient, the transposed weights of BP2) belong to the calling
thread (``threading.local``): any number of threads may predict, evaluate or take gradients
on one engine at once, each with its own buffers, and a single thread allocates them once
and reuses them as before.
"""
import sys
import threading
import time

import numba
import numpy as np

from ..core import activations, costs
from ..core._numba import will_compile
from ..core.validation import is_sparse
from . import drivers, fast_drivers, kernels, load, rules, sparse_kernels
from . import fast_kernels as fk

CHUNK = 256
"""Rows per chunk in predict/gradients/evaluate: enough work per parallel region, small buffers."""
PREDICT_CHUNK = 1024
"""Rows per chunk in the fast engine's predict: fewer, larger parallel regions (measured on the
[784, 1024, 1024, 10] net: ~7k samples/s with chunks of 256, ~10k with 1024, NumPy ~11k)."""


MARGIN = 2.5
"""How many times its cost a parallel region must save before a layer runs in parallel (a
region waits for its slowest thread; with 2.5 and a 1.5 us region on 2 threads the threshold
is ``fast_drivers.PARALLEL_WORK``, 1e5 multiply-adds, measured best on that machine)."""
_REGION_COST = {}


QUIET_REGION_COST = 4e-6
"""The most a parallel region is taken to cost when the plan is made (about 2.5x what it
costs on the project's machines with the other core free). Load from elsewhere is not the
plan's business: a region measured while another process holds a core costs milliseconds,
and a plan made from that would stay serial for the life of the process after the load has
gone. The ``load.Governor`` measures the load as it comes and goes instead."""


def region_cost(threads, dtype):
    """Seconds a parallel region costs on ``threads`` threads with the cores free, measured
    once per process: ``fast_kernels.backpropagate_delta_parallel`` minus
    ``backpropagate_delta_serial`` on a 4 x 4 layer and one sample (one block: the launch and
    the join, no work to share), the least of up to 100 calls of each (the least: load only
    adds), at most ``QUIET_REGION_COST``. Measuring stops after about 5 ms (a region can cost
    milliseconds under load); both kernels are part of every fast driver, so nothing
    extra is compiled (they are compiled or loaded from the cache here instead of there)."""
    key = (threads, np.dtype(dtype))
    if key not in _REGION_COST:
        w, wT, row = np.zeros((4, 4), dtype), np.zeros((4, 4), dtype), np.zeros((1, 4), dtype)
        args = (np.int64(1), np.int64(activations.SIGMOID), w, wT, row, row.copy(), row.copy(),
                row.copy())

        def per_call(kernel):
            kernel(*args)
            least, begin = np.inf, time.perf_counter()
            for _ in range(100):
                start = time.perf_counter()
                kernel(*args)
                least = min(least, time.perf_counter() - start)
                if start - begin > 2.5e-3:
                    break
            return least

        measured = (per_call(fk.backpropagate_delta_parallel)
                    - per_call(fk.backpropagate_delta_serial))
        _REGION_COST[key] = min(max(measured, 0.0), QUIET_REGION_COST)
    return _REGION_COST[key]


def parallel_work(threads, dtype):
    """The work (multiply-adds per layer and batch) from which a layer runs in parallel on
    ``threads`` threads: a layer's region saves ``(1 - 1/threads)`` of its single-thread time,
    so it pays from ``MARGIN x region cost x rate / (1 - 1/threads)`` multiply-adds. The region
    cost is measured (``region_cost``): when another process holds the second core it is
    larger, and fewer layers go parallel. Never changes a result, only which thread computes."""
    if threads < 2:
        return None
    rate = load.MULTIPLY_ADDS_PER_SECOND
    return int(MARGIN * region_cost(threads, dtype) * rate / (1 - 1 / threads))


_NO_ROWS = np.empty(0, dtype=np.int64)

_CHECKED = set()
"""(driver, dtype) pairs whose first call this process has checked for compiling."""


def _call(driver, what, dtype, *args):
    """``driver(*args)``; on its first call in this process for ``dtype``, if that call will
    compile, one line on stderr first says so (compilation takes tens of seconds of CPU; a
    silent wait looks like a hang)."""
    key = (driver, dtype)
    if key not in _CHECKED:
        _CHECKED.add(key)
        if will_compile(driver, args):
            print(f"fastnn: compiling the numba engine's {what} ({driver.__name__}, {dtype}); "
                  f"this happens once, later runs load it from numba's cache "
                  f"(`fastnn compile` does it ahead of time)", file=sys.stderr, flush=True)
    return driver(*args)


class _LoopEngine:
    """What the loop engines share: the network's ``kernels.Architecture``, this thread's
    buffers (workspaces by capacity, the gradient, plans, load governors), the penalty's
    gradient and the one-sample trace. Subclasses say which drivers run."""

    compiled = True
    sample_weights = True
    sparse_input = True
    population = False
    parallel_work = None
    """Multiply-adds per layer and batch from which a layer runs in parallel; None derives
    it from the parallel-region cost measured at first use (``parallel_work()``), an int
    fixes it (the tests force either path). Decides who computes, never a value."""

    def __init__(self, topology, cost, dtype):
        lay = topology.layout
        codes = np.array([0] + [activations.CODES[name] for name in topology.layer_activations],
                         dtype=np.int64)
        self.arch = kernels.Architecture(lay.sizes, lay.w_off, lay.b_off, codes,
                                         costs.CODES[cost])
        self.dtype = np.dtype(dtype)
        self.n_parameters = lay.size
        self._local = threading.local()

    def _buffers(self):
        """This thread's buffers: workspaces by capacity, the gradient, transposed weights."""
        local = self._local
        if not hasattr(local, "workspaces"):
            local.workspaces = {}
            local.grad = np.zeros(self.n_parameters, dtype=self.dtype)
            local.transposed = np.zeros(self.n_parameters, dtype=self.dtype)
            local.plans = {}
        return local

    @property
    def grad(self):
        """The calling thread's gradient buffer (written by non-fused training steps)."""
        return self._buffers().grad

    def _plan(self, m, X=None):
        """Which layers run in parallel for batches of ``m`` samples, on the threads numba
        has now (``fastnn.set_num_threads``); see ``fast_drivers.Plan``. For a sparse ``X``
        the first layer's work counts the mean number of stored entries per row, not n_in."""
        threads = numba.get_num_threads()
        work = self.parallel_work
        if work is None and threads > 1:
            work = parallel_work(threads, self.dtype)
        sizes = self.arch.sizes
        if X is not None:  # sparse input: the first layer's work is its stored entries
            sizes = self.arch.sizes.copy()
            sizes[0] = max(1, -(-X.nnz // X.shape[0]))
        local = self._buffers()
        key = (threads, m, work, int(sizes[0]))
        plan = local.plans.get(key)  # kept: computing one costs more than predicting a row
        if plan is None:
            if len(local.plans) >= 16:
                local.plans.clear()
            flags = fast_drivers.parallel_layers(
                sizes, m, threads, fast_drivers.PARALLEL_WORK if work is None else work)
            plan = fast_drivers.Plan(flags, fast_drivers.group_width(self.arch.sizes, threads),
                                     local.transposed)
            local.plans[key] = plan
        return plan

    def _workspace(self, capacity, for_training=False):
        """This thread's buffers for ``capacity`` samples, allocated once and reused (fit
        alternates between the training batch size and the evaluation chunk size);
        ``for_training`` adds the fast drivers' second input buffer to them."""
        workspaces = self._buffers().workspaces
        work = workspaces.get(capacity)
        if work is None or (for_training and work.x_next.shape[0] < capacity):
            if len(workspaces) >= 4:
                workspaces.clear()
            work = kernels.make_workspace(self.arch.sizes, capacity, self.dtype, for_training)
            workspaces[capacity] = work
        return work

    def _weights(self, weights):
        """Sample weights for the drivers: ``weights`` (checked by the caller), or an empty
        array of the dtype for none (one compiled form either way)."""
        return np.empty(0, dtype=self.dtype) if weights is None else weights

    def warm_up(self, theta, X, Y, batch_size, update, accuracy_mode, weights=None):
        """Compile (or load from cache) the training loop on one sample and copies of
        ``theta`` and the optimizer state, so that the first epoch's timing measures
        training, not compilation."""
        self.train_epoch(theta.copy(), X, Y, np.zeros(1, dtype=np.int64),
                         min(batch_size, X.shape[0]), rules.scratch_copy(update),
                         accuracy_mode, weights)

    def add_penalty_gradient(self, theta, grad, decay, l2, l1):
        """``rules.add_penalty_gradient``: the function the compiled update rules apply."""
        rules.add_penalty_gradient(theta, grad, decay, l2, l1)

    def trace(self, theta, x, y):
        """One sample (``x``, ``y`` of shape (1, n)) through the compiled gradient driver
        (``gradients``): ``(grad, cost, s, a, delta)``, the last three lists with one row per
        layer (index 0 the input; ``s[0]``, ``delta[0]`` None) read from the workspace the
        driver computed them in; nothing is recomputed here."""
        grad, loss = self.gradients(theta, x, y)
        work = self._workspace(1)
        sizes, off = self.arch.sizes, work.a_off

        def rows(buffer):
            return [buffer[off[l]:off[l] + sizes[l]].copy() for l in range(1, len(sizes))]

        return (grad, loss, [None] + rows(work.S), [x[0].copy()] + rows(work.A),
                [None] + rows(work.D))


class _DenseLoopEngine(_LoopEngine):
    """What the two dense loop engines share: a CSR ``X`` goes to their ``SparseNumbaEngine``
    (built with them), any other ``X`` to their own drivers (``_train_epoch``, ``_predict``,
    ``_evaluate``; ``gradients`` of their driver module ``_drivers`` on ``_context``)."""

    def __init__(self, topology, cost, dtype):
        super().__init__(topology, cost, dtype)
        self.sparse = SparseNumbaEngine(self)

    def train_epoch(self, theta, X, Y, order, batch_size, update, accuracy_mode, weights=None):
        """One epoch (or a run of whole batches of one) over ``order``."""
        if is_sparse(X):
            return self.sparse.train_epoch(theta, X, Y, order, batch_size, update,
                                           accuracy_mode, weights)
        return self._train_epoch(theta, X, Y, order, min(batch_size, len(order)), update,
                                 accuracy_mode, self._weights(weights))

    def predict(self, theta, X):
        if is_sparse(X):
            return self.sparse.predict(theta, X)
        return self._predict(theta, X)

    def evaluate(self, theta, X, Y, accuracy_mode):
        if is_sparse(X):
            return self.sparse.evaluate(theta, X, Y, accuracy_mode)
        return self._evaluate(theta, X, Y, accuracy_mode)

    def gradients(self, theta, X, Y, weights=None):
        """Gradient of the mean cost (weighted mean with ``weights``) and the summed cost."""
        if is_sparse(X):
            return self.sparse.gradients(theta, X, Y, weights)
        grad = np.empty_like(theta)
        m = min(CHUNK, X.shape[0])
        rows = _NO_ROWS if weights is None else np.arange(X.shape[0], dtype=np.int64)
        loss = _call(self._drivers.gradients, f"{self._kind}gradients", self.dtype, theta, grad,
                     *self._context(m), X, Y, self._weights(weights), rows)
        return grad, float(loss)


class NumbaEngine(_DenseLoopEngine):
    """``engine="numba"``: the tiled, fused kernels of ``fast_drivers`` (a CSR ``X`` runs
    ``SparseNumbaEngine``). A layer runs in parallel where its work pays for the parallel
    region (``_plan``); when some layer would, a long call runs as segments, each on the
    plan that measures faster now (``load.run_segments``): the same bits either way."""

    name = "numba"
    population = True
    _drivers, _kind = fast_drivers, ""

    def _context(self, m):
        """The architecture, plan and workspace the drivers take for chunks of ``m`` rows."""
        return self.arch, self._plan(m), self._workspace(m)

    def _train_epoch(self, theta, X, Y, order, batch_size, update, accuracy_mode, weights):
        """Plain SGD on ``train_epoch_sgd``, whose code holds no other rule's; any other rule
        on ``train_epoch_rule``. ``weights`` (none: empty): each batch's gradient is then its
        weighted mean (``fast_drivers.weigh_output_delta``)."""
        sgd = update.rule == rules.SGD_RULE
        driver = fast_drivers.train_epoch_sgd if sgd else fast_drivers.train_epoch_rule
        head = () if sgd else (self.grad,)
        work = self._workspace(batch_size, True)
        plan = self._plan(batch_size)
        tail = (update, accuracy_mode, weights)
        if not plan.parallel.any():
            loss, correct = _call(driver, "training loop", self.dtype, theta, *head, self.arch,
                                  plan, work, X, Y, order, batch_size, *tail, 0.0)
            return float(loss), int(correct)
        serial = self._serial(plan)
        total = [0.0, 0]

        def segment(start, stop, parallel):
            loss, correct = _call(driver, "training loop", self.dtype, theta, *head, self.arch,
                                  plan if parallel else serial, work, X, Y, order[start:stop],
                                  batch_size, *tail, total[0])
            total[0], total[1] = float(loss), total[1] + int(correct)
            return np.isfinite(total[0])

        rows = load.segment_rows(batch_size, 3 * self._multiply_adds)  # forward, BP2, BP4
        load.run_segments(self._governor(("train", batch_size)), len(order), rows, segment,
                          batch_size)
        return total[0], total[1]

    def _serial(self, plan):
        """``plan`` with every layer on the calling thread (same widths: the same bits)."""
        return plan._replace(parallel=np.zeros_like(plan.parallel))

    @property
    def _multiply_adds(self):
        """Multiply-adds of one sample's weighted sums (the unit ``load`` sizes segments in)."""
        sizes = self.arch.sizes
        return int(np.sum(sizes[1:] * sizes[:-1]))

    def _governor(self, key):
        """This thread's ``load.Governor`` for one kind of call (kept across calls: a fit of
        one epoch at a time keeps what earlier calls measured)."""
        local = self._buffers()
        if not hasattr(local, "governors"):
            local.governors = {}
        governor = local.governors.get(key)
        if governor is None:
            if len(local.governors) >= 16:
                local.governors.clear()
            governor = local.governors[key] = load.Governor()
        return governor

    def _predict(self, theta, X):
        out = np.empty((X.shape[0], int(self.arch.sizes[-1])), dtype=self.dtype)
        m = min(PREDICT_CHUNK, X.shape[0])
        plan, work = self._plan(m), self._workspace(m)
        if not plan.parallel.any():
            _call(fast_drivers.predict, "prediction", self.dtype, theta, self.arch, plan,
                  work, X, out)
            return out
        serial = self._serial(plan)

        def segment(start, stop, parallel):
            _call(fast_drivers.predict, "prediction", self.dtype, theta, self.arch,
                  plan if parallel else serial, work, X[start:stop], out[start:stop])

        rows = load.segment_rows(m, self._multiply_adds)
        load.run_segments(self._governor(("predict", m)), X.shape[0], rows, segment, m)
        return out

    def _evaluate(self, theta, X, Y, accuracy_mode):
        m = min(CHUNK, X.shape[0])
        plan, work = self._plan(m), self._workspace(m)
        serial = self._serial(plan)
        total = [0.0, 0]

        def segment(start, stop, parallel):
            loss, correct = _call(fast_drivers.evaluate, "evaluation", self.dtype, theta,
                                  self.arch, plan if parallel else serial, work,
                                  X[start:stop], Y[start:stop], accuracy_mode, total[0])
            total[0], total[1] = float(loss), total[1] + int(correct)

        rows = (load.segment_rows(m, self._multiply_adds) if plan.parallel.any()
                else X.shape[0])
        load.run_segments(self._governor(("evaluate", m)), X.shape[0], rows, segment, m)
        return total[0], total[1]


class PlainNumbaEngine(_DenseLoopEngine):
    """``engine="numba-plain"``: the plain per-equation kernels of ``drivers``, one loop per
    equation as the documents write it, on the calling thread's buffers; the readable form
    the fast kernels are held to (a CSR ``X`` runs ``SparseNumbaEngine``)."""

    name = "numba-plain"
    _drivers, _kind = drivers, "plain "

    def _context(self, m):
        """The architecture and workspace the drivers take for chunks of ``m`` rows."""
        return self.arch, self._workspace(m)

    def _train_epoch(self, theta, X, Y, order, batch_size, update, accuracy_mode, weights):
        """``drivers.train_epoch``."""
        loss, correct = _call(drivers.train_epoch, "plain training loop", self.dtype, theta,
                              self.grad, self.arch, self._workspace(batch_size), X, Y, order,
                              batch_size, update, accuracy_mode, weights)
        return float(loss), int(correct)

    def _predict(self, theta, X):
        out = np.empty((X.shape[0], int(self.arch.sizes[-1])), dtype=self.dtype)
        _call(drivers.predict, "plain prediction", self.dtype, theta,
              *self._context(min(CHUNK, X.shape[0])), X, out)
        return out

    def _evaluate(self, theta, X, Y, accuracy_mode):
        loss, correct = _call(drivers.evaluate, "plain evaluation", self.dtype, theta,
                              *self._context(min(CHUNK, X.shape[0])), X, Y, accuracy_mode)
        return float(loss), int(correct)


class SparseNumbaEngine(_LoopEngine):
    """The loop engines' drivers for a CSR ``X`` (``sparse_kernels``): the first layer over
    stored entries on a transposed copy of its weights, the layers above as usual. Built by
    the dense engine it serves (``owner``), whose name and ``parallel_work`` it takes."""

    def __init__(self, owner):
        self.arch, self.dtype, self.n_parameters = owner.arch, owner.dtype, owner.n_parameters
        self.owner = owner
        self._local = threading.local()

    @property
    def name(self):
        return self.owner.name

    @property
    def parallel_work(self):
        return self.owner.parallel_work

    def _sparse_workspace(self, capacity):
        """This thread's buffers for ``capacity`` rows of sparse input: a workspace without
        the dense input layer (``A``, ``S``, ``D`` start at layer 1)."""
        local = self._buffers()
        if not hasattr(local, "sparse_workspaces"):
            local.sparse_workspaces = {}
        work = local.sparse_workspaces.get(capacity)
        if work is None:
            if len(local.sparse_workspaces) >= 4:
                local.sparse_workspaces.clear()
            sizes = self.arch.sizes.copy()
            sizes[0] = 0
            work = local.sparse_workspaces[capacity] = kernels.make_workspace(sizes, capacity,
                                                                             self.dtype)
        return work

    def _sparse_batch(self, X, batch_size):
        """This thread's CSR buffer for one mini-batch of rows of ``X``: room for the
        ``batch_size`` rows with the most stored entries, so any batch fits. Kept and reused
        while large enough (once per fit): memory bounded by the batch, not the data."""
        n = X.shape[0]
        lengths = np.diff(X.indptr)
        most = int(lengths.sum() if batch_size >= n
                   else np.partition(lengths, n - batch_size)[n - batch_size:].sum())
        local = self._buffers()
        batch = getattr(local, "sparse_batch", None)
        if batch is None or batch.indptr.shape[0] < batch_size + 1 or batch.data.shape[0] < most:
            batch = local.sparse_batch = sparse_kernels.Csr(
                np.zeros(most, self.dtype), np.zeros(most, np.int64),
                np.zeros(batch_size + 1, np.int64))
        return batch

    def _transposed(self, name, source=None):
        """This thread's parameter-sized buffer ``name``, holding ``source`` (a vector in
        theta's layout) with the first layer's weights transposed, the layout of
        ``sparse_kernels``; zeros in that segment when ``source`` is None."""
        local = self._buffers()
        buffer = getattr(local, name, None)
        if buffer is None or buffer.shape[0] != self.n_parameters:
            buffer = np.zeros(self.n_parameters, self.dtype)
            setattr(local, name, buffer)
        lo, hi, n_out, n_in = self._first_segment()
        if source is None:
            buffer[lo:hi] = 0
        else:
            buffer[:lo], buffer[hi:] = source[:lo], source[hi:]
            _transpose(source[lo:hi].reshape(n_out, n_in), buffer[lo:hi].reshape(n_in, n_out))
        return buffer

    def _from_transposed(self, buffer, target):
        """The inverse of ``_transposed``: ``buffer`` back into ``target`` in theta's layout."""
        lo, hi, n_out, n_in = self._first_segment()
        target[:lo], target[hi:] = buffer[:lo], buffer[hi:]
        _transpose(buffer[lo:hi].reshape(n_in, n_out), target[lo:hi].reshape(n_out, n_in))

    def _first_segment(self):
        """(start, stop) of the first layer's weights in theta, and their shape (n_out, n_in)."""
        n_in, n_out = int(self.arch.sizes[0]), int(self.arch.sizes[1])
        lo = int(self.arch.w_off[1])
        return lo, lo + n_in * n_out, n_out, n_in

    def train_epoch(self, theta, X, Y, order, batch_size, update, accuracy_mode, weights=None):
        """One epoch on a CSR ``X``: the parameters, the gradient and the optimizer's state
        are moved into the transposed layout of ``sparse_kernels`` for the call (the update
        rules are elementwise: the same arithmetic on every parameter) and back."""
        batch_size = min(batch_size, len(order))
        theta_T = self._transposed("sparse_theta", theta)
        grad_T = self._transposed("sparse_grad")
        state = [self._transposed(name, array) if array.shape[0] else array
                 for name, array in (("sparse_v", update.v), ("sparse_s", update.s))]
        try:
            loss, correct = _call(sparse_kernels.train_epoch, "sparse training loop", self.dtype,
                                  theta_T, grad_T, self.arch, self._plan(batch_size, X),
                                  self._sparse_workspace(batch_size),
                                  self._sparse_batch(X, batch_size), _csr(X), Y, order,
                                  batch_size, update._replace(v=state[0], s=state[1]),
                                  accuracy_mode, self._weights(weights))
        finally:
            self._from_transposed(theta_T, theta)
            for array, transposed in zip((update.v, update.s), state):
                if array.shape[0]:
                    self._from_transposed(transposed, array)
        return float(loss), int(correct)

    def predict(self, theta, X):
        out = np.empty((X.shape[0], int(self.arch.sizes[-1])), dtype=self.dtype)
        m = min(CHUNK, X.shape[0])
        _call(sparse_kernels.predict, "sparse prediction", self.dtype,
              self._transposed("sparse_theta", theta), self.arch,
              self._plan(m, X), self._sparse_workspace(m), _csr(X), out)
        return out

    def gradients(self, theta, X, Y, weights=None):
        grad = np.empty_like(theta)
        m = min(CHUNK, X.shape[0])
        rows = _NO_ROWS if weights is None else np.arange(X.shape[0], dtype=np.int64)
        grad_T = self._transposed("sparse_grad")
        loss = _call(sparse_kernels.gradients, "sparse gradients", self.dtype,
                     self._transposed("sparse_theta", theta), grad_T, self.arch,
                     self._plan(m, X), self._sparse_workspace(m), _csr(X), Y,
                     self._weights(weights), rows)
        self._from_transposed(grad_T, grad)
        return grad, float(loss)

    def evaluate(self, theta, X, Y, accuracy_mode):
        m = min(CHUNK, X.shape[0])
        loss, correct = _call(sparse_kernels.evaluate, "sparse evaluation", self.dtype,
                              self._transposed("sparse_theta", theta), self.arch,
                              self._plan(m, X), self._sparse_workspace(m),
                              _csr(X), Y, accuracy_mode)
        return float(loss), int(correct)

    def trace(self, theta, x, y):
        raise TypeError("trace takes one dense example")


def _csr(X):
    """The arrays of a CSR matrix in the kernels' form (``sparse_kernels.Csr``); no copy for
    the matrices ``validation.sparse_inputs`` returns and the row selections of them."""
    return sparse_kernels.Csr(np.ascontiguousarray(X.data),
                              np.ascontiguousarray(X.indices, np.int64),
                              np.ascontiguousarray(X.indptr, np.int64))


def _transpose(w, wT):
    """``wT[...] = w.T`` (``sparse_kernels.transpose_tiles``)."""
    sparse_kernels.transpose_tiles(w, wT)

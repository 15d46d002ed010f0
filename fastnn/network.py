"""``Network``: a feed-forward network trained by backpropagation, engine-agnostic.

The Network validates input, owns the parameters (one flat vector ``theta`` with the views
its structure object gives, see ``fastnn.core.structure``), the random generator
(initialisation and shuffling) and the optimizer of its last fit. An engine
(``fastnn.engine``) does the arithmetic: the loop kernels (``engine="numba"``) or the NumPy
reference (``engine="numpy"``). Both share initialisation and shuffling, so one seed gives
one trajectory whichever engine runs it. The epoch loop is ``fastnn.training.fit``.

Layer indices: the documents number layers from 1 (the input); Python lists start at 0, so
``weights[0]`` is the documents' :math:`w^2` (input -> first hidden layer), of shape
``(sizes[1], sizes[0])``, and ``weights[l][j, k]`` is :math:`w^{l+2}_{jk}`.

Thread safety: ``predict``, ``evaluate`` and ``gradients`` may be called from any number of
threads at once (the engines keep their buffers per thread); ``fit`` runs on one thread at a
time and refuses a second concurrent call.
"""
import copy
import os
import threading

import numpy as np

from .core import costs, validation
from .core.graph import as_graph, pruned
from .core.structure import INITS, Layered, Topology
from .core.views import take_replacements
from .engine import ENGINE_NAMES, make_engine, rules
from .io import model_file
from .training.fit import FitSettings
from .training.fit import fit as _fit
from .training.optimizers import OPTIMIZERS
from .training.state import TrainingSnapshot


class Network:
    """A fully connected feed-forward network.

    Parameters
    ----------
    sizes : sequence of int, or a structure object
        Neurons per layer, input first, e.g. ``[784, 30, 10]``; or a ``fastnn.Graph`` (any
        feed-forward graph of neurons, ``fastnn.core.graph``), whose activations it carries
        (``activation`` and ``output_activation`` are then ignored).
    activation : str
        Hidden-layer activation: "sigmoid", "tanh", "relu", "leaky_relu", "arctan", "identity".
    output_activation : str or None
        Output-layer activation (the above or "softmax"); None means the same as ``activation``.
    cost : str
        "quadratic" (:math:`C_x = \\frac12 \\sum_j (a_j - y_j)^2`: half of 3Blue1Brown's
        :math:`(a - y)^2`, so its gradients are half of that cost's), "cross_entropy"
        (sigmoid outputs) or "log_likelihood" (softmax outputs); see ``fastnn.core.costs``.
    init : str
        "scaled_normal", "normal", "he", "xavier" or "zeros"
        (see ``fastnn.core.structure.Layered.initialise``).
    dtype : str
        "float32" or "float64": every parameter and every computation stays in it.
    seed : int or None
        Seed of the generator used for initialisation and shuffling.
    engine : str
        "numba" (compiled loop kernels, tiled and fused), "numba-plain" (the plain
        per-equation loop kernels, one loop per equation; layered networks) or "numpy"
        (vectorised reference). Chosen once: the network keeps its engine.

    Attributes
    ----------
    weights : list of ndarray, weights[l] of shape (sizes[l+1], sizes[l])
    biases : list of ndarray, biases[l] of shape (sizes[l+1],)
        Views into the network's parameter vector: assign in place (``net.weights[0][...] = W``)
        or replace an entry (``net.weights[0] = W``); the next call uses the new values.
        For a graph network, ``weights`` is one 1-D array, one weight per edge in the order of
        ``graph.edges``, and ``biases`` one 1-D array in the order of ``graph.has_bias``
        (``net.weights[...] = w`` or ``net.weights = w``). ``sizes``, ``activation`` and
        ``layer_activations`` exist for layered networks only (AttributeError for a graph).
    """

    def __init__(self, sizes, activation="sigmoid", output_activation=None, cost="quadratic",
                 init="scaled_normal", dtype="float64", seed=None, engine="numba"):
        if isinstance(sizes, Topology):
            self.topology = sizes
        else:
            self.topology = Layered(sizes, activation,
                                    activation if output_activation is None else output_activation)
        self.cost = validation.choice("cost", cost, tuple(costs.CODES))
        output = self.topology.output_activation
        required = costs.REQUIRED_OUTPUT.get(self.cost)
        if required is not None and output != required:
            raise ValueError(f"cost={self.cost!r} needs output_activation={required!r}, "
                             f"got {output!r}")
        self.init = validation.choice("init", init, INITS)
        self.dtype = validation.float_dtype(dtype)
        self.seed = validation.seed(seed)
        self.engine = validation.choice("engine", engine, ENGINE_NAMES)

        self._rng = np.random.default_rng(seed)
        theta = _allocate(self.topology)
        self.topology.initialise(theta, self.init, self._rng)
        self._theta = theta.astype(self.dtype)
        self._bind_views()
        self.optimizer = None
        """The optimizer of the last fit (state and counters); None before any training."""
        self._penalty = None  # (l2, l1, n) of the last fit, for evaluate
        self._split_seed = None  # validation split of a seed=None network, drawn once
        self._mask = None
        self._fit_lock = threading.Lock()
        self._state_lock = threading.RLock()
        self._boundary = None  # fit's copy of the last epoch boundary while an epoch runs

    def _bind_views(self):
        """Views into ``_theta`` for the user, and the engine over the structure."""
        self._weight_views, self._bias_views = self.topology.views(self._theta)
        self.weights = _copy_list(self._weight_views)
        self.biases = _copy_list(self._bias_views)
        self._engine = make_engine(self.engine, self.topology, self.cost, self.dtype)

    # --- copies and pickling: the views must be views of the copy's own parameters ----------

    _DERIVED = ("weights", "biases", "_weight_views", "_bias_views", "_engine", "_fit_lock",
                "_state_lock", "_boundary")

    def __getstate__(self):
        """The network's state for pickle and copy; while ``fit`` runs an epoch in another
        thread, that of the last epoch boundary (as ``save`` writes it), never a mix."""
        with self._state_lock:
            self.parameters()  # arrays put in place of the views count
            state = {key: value for key, value in self.__dict__.items()
                     if key not in self._DERIVED}
            boundary = self._boundary
            if boundary is not None:
                rng = copy.deepcopy(self._rng)
                rng.bit_generator.state = boundary.rng
                state.update(_theta=boundary.theta.copy(), _rng=rng,
                             optimizer=boundary.optimizer_copy(), _penalty=boundary.penalty)
            return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._fit_lock = threading.Lock()
        self._state_lock = threading.RLock()
        self._boundary = None
        self._bind_views()

    def __copy__(self):
        """``copy.copy`` copies as deeply as ``copy.deepcopy``: a copy sharing the parameter
        vector (or the optimizer state, or the generator) with its original would train both."""
        return copy.deepcopy(self)

    # --- structure -----------------------------------------------------------------------

    def _layered(self, name):
        if not isinstance(self.topology, Layered):
            raise AttributeError(f"net.{name} exists for layered networks only; this network "
                                 f"is a {self.topology.kind} (see net.topology: "
                                 f"{self.topology!r})")
        return self.topology

    @property
    def sizes(self):
        """Neurons per layer, input first (layered networks; AttributeError for a graph)."""
        return self._layered("sizes").sizes

    @property
    def activation(self):
        """Hidden-layer activation (layered networks; a graph's is
        ``topology.neuron_activations``)."""
        return self._layered("activation").activation

    @property
    def output_activation(self):
        return self.topology.output_activation

    @property
    def layer_activations(self):
        """Activation name of every non-input layer (layered networks only)."""
        return self._layered("layer_activations").layer_activations

    @property
    def n_parameters(self):
        return self.topology.n_parameters

    def config(self):
        """The configuration ``save`` writes and ``Network(**config)`` accepts (layered) or
        ``load`` rebuilds: the structure's, then cost, init, dtype, seed and engine."""
        return {**self.topology.config(), "cost": self.cost, "init": self.init,
                "dtype": self.dtype.name, "seed": self.seed, "engine": self.engine}

    def __repr__(self):
        if isinstance(self.topology, Layered):
            structure = (f"{list(self.sizes)}, activation={self.activation!r}, "
                         f"output_activation={self.output_activation!r}")
        else:
            structure = repr(self.topology)
        return (f"Network({structure}, cost={self.cost!r}, dtype={self.dtype.name!r}, "
                f"engine={self.engine!r})")

    # --- parameters ----------------------------------------------------------------------

    def parameters(self):
        """The flat parameter vector :math:`\\theta` (a view: writes change the network),
        after copying in any array the user put in ``weights``/``biases`` (or in one of
        their entries) in place of the views (``fastnn.core.views``). Its layout is the
        structure's (``fastnn.core.structure``)."""
        take_replacements(self, "weights", self._weight_views, label="net.")
        take_replacements(self, "biases", self._bias_views, label="net.")
        return self._theta

    def check_inputs(self, X, name="X", sparse=False):
        """``X`` checked and converted for this network's engine (``validation.inputs``):
        shape (n_samples, n_inputs), finite, C-contiguous in the network's dtype; scipy
        sparse ``X`` (a canonical CSR array, ``validation.sparse_inputs``) only where
        ``sparse`` and for a layered network."""
        if sparse and validation.is_sparse(X) and not self._engine.sparse_input:
            raise TypeError(f"{name} is a scipy sparse matrix, but sparse input is supported "
                            f"for layered networks only; this network is a "
                            f"{self.topology.kind}: pass {name}.toarray()")
        return validation.inputs(X, self.topology.n_inputs, self.dtype, name=name, sparse=sparse)

    def check_data(self, X, y, name="X", y_name="y", sparse=False):
        """``(X, Y, accuracy_mode)``: inputs as ``check_inputs``, targets ``Y`` of shape
        (n_samples, n_outputs) in the network's dtype (labels one-hot encoded) and the
        engines' code of how accuracy is counted for them (0: no accuracy;
        ``validation.targets``)."""
        X = self.check_inputs(X, name, sparse)
        Y, accuracy_mode = validation.targets(y, X.shape[0], self.topology.n_outputs, self.cost,
                                              self.dtype, name=y_name)
        return X, Y, accuracy_mode

    def weight_mask(self):
        """uint8 mask over :math:`\\theta`: 1 for weights (regularised by L2/L1), 0 for
        biases."""
        if self._mask is None:
            self._mask = self.topology.penalised_mask()
        return self._mask

    def penalty_coefficients(self, l2, l1, n, n_samples):
        """``(l2, l1, n)`` checked; ``n`` (the training-set size of
        :math:`\\frac{\\lambda}{2n}\\sum w^2 + \\frac{\\lambda_1}{n}\\sum|w|`) defaults to
        ``n_samples``."""
        l2, l1 = validation.non_negative_float("l2", l2), validation.non_negative_float("l1", l1)
        n = n_samples if n is None else validation.positive_int("n", n)
        return l2, l1, n

    # --- training state: what fit, populations, files and pickles save and restore ---------

    @property
    def backend(self):
        """The engine object that computes for this network (``fastnn.engine``; ``engine``
        is its name). Rebuilt with the network's views when it is copied or unpickled."""
        return self._engine

    @property
    def rng(self):
        """The network's ``numpy.random.Generator``: initialisation, then the visiting order
        of every epoch (shuffling). Its state is part of the training state."""
        return self._rng

    @property
    def penalty(self):
        """``(l2, l1, n)`` of the last fit (n its number of training samples), which
        ``evaluate`` applies by default; None before any training."""
        return self._penalty

    @penalty.setter
    def penalty(self, value):
        self._penalty = value

    @property
    def split_seed(self):
        """The seed of ``fit``'s validation split: the network's seed, or for ``seed=None``
        one drawn from the OS once per network, so that every fit call splits alike."""
        if self.seed is not None:
            return int(self.seed)
        if self._split_seed is None:
            self._split_seed = int(np.random.SeedSequence().entropy % 2**63)
        return self._split_seed

    @property
    def state_lock(self):
        """The re-entrant lock under which the training state changes as one step (``fit``
        holding or committing an epoch, ``restore``) and is read as one (``snapshot``)."""
        return self._state_lock

    def snapshot(self):
        """The training state (``fastnn.training.state.TrainingSnapshot``): parameters,
        generator state, optimizer (a private copy, with its state and counters) and
        penalty, as copies. While ``fit`` runs an epoch in another thread (its compiled loop
        changes parameters and optimizer state as it goes), the state of the end of the last
        whole epoch, which fit holds (``hold_boundary``), so it never mixes two moments."""
        with self._state_lock:
            if self._boundary is not None:
                return self._boundary
            return TrainingSnapshot.take(self.parameters(), self._rng.bit_generator.state,
                                         self.optimizer, self._penalty)

    def restore(self, snapshot, *, generator=True):
        """Put the network back into ``snapshot`` (copied in; the snapshot is not changed).

        The generator state is set first, so an unreadable one changes nothing. A snapshot
        of the network's own optimizer (``fit``'s epoch boundary) writes the state and
        counters into it; any other gives the network a copy of the snapshot's optimizer
        (None: no optimizer). ``generator=False`` keeps the generator where it is: ``fit``
        rolling back a diverged epoch, whose visiting order was drawn."""
        with self._state_lock:
            if generator:
                self._rng.bit_generator.state = snapshot.rng
            self._theta[...] = snapshot.theta
            if snapshot.optimizer is not None and snapshot.optimizer is self.optimizer:
                snapshot.put_optimizer_state(self.optimizer)
            else:
                self.optimizer = snapshot.optimizer_copy()
            self._penalty = snapshot.penalty

    def hold_boundary(self):
        """Take the snapshot of an epoch boundary and hold it until ``release_boundary``:
        ``fit`` calls it before each epoch. Meanwhile ``snapshot`` (so ``save`` and pickling)
        gives it, and divergence and Ctrl-C ``restore`` it. Cheap: the parameters and the
        optimizer state are copied, the optimizer itself is not."""
        with self._state_lock:
            self._boundary = TrainingSnapshot.take(self._theta, self._rng.bit_generator.state,
                                                   self.optimizer, self._penalty, detach=False)
            return self._boundary

    def release_boundary(self):
        """Drop the epoch boundary ``hold_boundary`` holds (the epoch is committed or rolled
        back): ``snapshot`` gives the current state again."""
        with self._state_lock:
            self._boundary = None

    # --- the algorithm -------------------------------------------------------------------

    def fit(self, X, y, epochs=1, batch_size=10, learning_rate=None, shuffle=True, *,
            optimizer=None, schedule=None, l2=0.0, l1=0.0, validation_data=None,
            validation_fraction=None, early_stopping=False, patience=5, min_delta=0.0,
            callbacks=None, progress=False, sample_weight=None):
        """Train by backpropagation and mini-batch updates (the epoch loop is in ``training``).

        Parameters
        ----------
        X : array-like or scipy sparse matrix of shape (n_samples, sizes[0])
            Sparse (CSR, CSC, ...; layered networks only) is converted once to canonical CSR
            and never densified; ``predict``, ``evaluate``, ``gradients`` and
            ``validation_data`` take it too (docs/sparse.md).
        y : array-like of shape (n_samples, sizes[-1]), or integer labels of shape (n_samples,)
        epochs : int
        batch_size : int
            Samples per update: 1 is per-sample SGD, ``>= n_samples`` full-batch gradient descent.
        learning_rate : float or None
            The base rate :math:`\\eta` of the optimizer (SGD:
            :math:`w \\leftarrow w - \\eta\\, \\partial J/\\partial w`, J the batch mean cost).
            None keeps the optimizer's current rate: its default for a new optimizer
            (SGD 0.1, Momentum/Nesterov/Adagrad 0.01, RMSProp/Adam 0.001).
        shuffle : bool
            Visit the samples in a new random order (from the network's seed) every epoch.
        optimizer : str, fastnn.optimizers.Optimizer or None
            "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam" or an instance. A name
            equal to the current optimizer's continues it (its state and epoch count carry
            over, so ``fit(epochs=5)`` twice equals ``fit(epochs=10)`` for a constant rate and
            for every schedule that does not depend on the fit call's length; a cosine schedule
            with ``period=None`` spans each call's own last epoch, so it does not); another
            name starts a new one.
            None continues the current optimizer, or starts SGD. The optimizer used is kept in
            ``net.optimizer`` (and saved with the network).
        schedule : str, fastnn.schedules.Schedule, callable or None
            Learning rate per epoch: "constant" (None), "step", "exponential",
            "inverse_time", "cosine", a ``Schedule`` or ``f(t, base_rate) -> rate`` with t the
            optimizer's epoch index from 0 (see ``fastnn.schedules``).
        l2 : float
            L2 weight decay :math:`\\lambda`: the cost minimised is
            :math:`J + \\frac{\\lambda}{2n}\\sum w^2`, n the number of training samples; biases
            are not decayed.
        l1 : float
            L1 penalty :math:`\\lambda_1`: adds :math:`\\frac{\\lambda_1}{n}\\sum |w|`
            (weights only).
        validation_data : (X_val, y_val) or None
            Evaluated after every epoch: ``History.val_loss`` and ``val_accuracy``.
        validation_fraction : float in (0, 1) or None
            Set this fraction of (X, y) aside as validation data instead; the split depends
            only on the network's seed, so every fit call of one network splits alike.
        early_stopping : bool
            Stop once the validation loss has not improved by more than ``min_delta`` for
            ``patience`` epochs, and give the network back the weights of its best epoch
            (``History.best_epoch``). Without validation data 10% of (X, y) is set aside.
        patience : int
        min_delta : float
        callbacks : callable, fastnn.callbacks.Callback or a list of them
            Called after every epoch with a ``fastnn.callbacks.EpochEnd`` event
            (``event.logs``, ``event.stop()``).
        progress : bool or "lines"
            True: a tqdm progress bar per epoch (loss, accuracy, samples/s), only on a
            terminal. "lines": the bar on a terminal, otherwise one line per epoch on standard
            error (at most about 20 per call; for logs, and what ``fastnn train`` shows).
        sample_weight : array-like of shape (n_samples,) or None
            Non-negative weight :math:`v_x` per training sample (layered networks): each
            mini-batch then follows the gradient of its weighted mean cost
            :math:`\\sum_x v_x C_x / \\sum_x v_x` (the output error :math:`\\delta^L_x` is
            multiplied by :math:`v_x`; scikit-learn's convention), and ``History.loss`` is
            :math:`\\frac1n\\sum_x v_x C_x`. Validation is unweighted.

        Returns
        -------
        History

        Raises
        ------
        fastnn.TrainingDiverged
            The cost or a parameter became NaN or infinite, a parameter grew past the square
            root of the dtype's largest value (1.3e154 in float64), or the cost grew more than
            1e8-fold (the rule: ``fastnn.training.fit``); the network keeps the parameters
            from the end of the previous epoch. ``cause`` names the L2 penalty when its decay
            alone diverges.
        """
        if not self._fit_lock.acquire(blocking=False):
            raise RuntimeError("fit is already running on this network in another thread; "
                               "train a copy (copy.deepcopy(net)) to train two at once")
        try:
            return _fit(self, X, y, FitSettings(
                epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                shuffle=shuffle, optimizer=optimizer, schedule=schedule, l2=l2, l1=l1,
                validation_data=validation_data, validation_fraction=validation_fraction,
                early_stopping=early_stopping, patience=patience, min_delta=min_delta,
                callbacks=callbacks, progress=progress, sample_weight=sample_weight))
        finally:
            self._fit_lock.release()

    def predict(self, X):
        """Output activations :math:`a^L`, shape (n_samples, sizes[-1])."""
        X = self.check_inputs(X, sparse=True)
        return self._engine.predict(self.parameters(), X)

    def evaluate(self, X, y, *, l2=None, l1=None, n=None):
        """Mean cost over the samples and, for class targets, accuracy.

        Returns a dict: ``"loss"``, the mean data cost :math:`J = \\frac1m\\sum_x C_x` (no
        penalty); ``"accuracy"`` for class targets; and, when a penalty applies,
        ``"penalty"`` (:math:`\\frac{\\lambda}{2n}\\sum w^2 + \\frac{\\lambda_1}{n}\\sum|w|`) and
        ``"regularized_loss"`` (``loss + penalty``, the cost the training minimised).

        ``l2``, ``l1`` and ``n`` default to those of the last ``fit`` (n its number of
        training samples); given explicitly, ``n`` defaults to ``len(X)``.
        """
        X, Y, accuracy_mode = self.check_data(X, y, sparse=True)
        theta = self.parameters()
        loss, correct = self._engine.evaluate(theta, X, Y, accuracy_mode)
        result = {"loss": loss / X.shape[0]}
        if accuracy_mode:
            result["accuracy"] = correct / X.shape[0]
        if l2 is None and l1 is None and n is None:
            l2, l1, n = self._penalty or (0.0, 0.0, 1)
        else:
            last_l2, last_l1, _ = self._penalty or (0.0, 0.0, 1)
            l2, l1, n = self.penalty_coefficients(last_l2 if l2 is None else l2,
                                                  last_l1 if l1 is None else l1, n, X.shape[0])
        if l2 or l1:
            result["penalty"] = rules.penalty(theta, self.weight_mask(), l2, l1, n)
            result["regularized_loss"] = result["loss"] + result["penalty"]
        return result

    def gradients(self, X, y, *, l2=0.0, l1=0.0, n=None, sample_weight=None):
        """Backpropagated :math:`\\partial J/\\partial w` and :math:`\\partial J/\\partial b` of the
        mean cost over the samples given. Unregularised by default; with ``l2``/``l1`` the
        gradient of :math:`J + \\frac{\\lambda}{2n}\\sum w^2 + \\frac{\\lambda_1}{n}\\sum|w|`
        (``n`` defaults to ``len(X)``), computed by the same per-weight function the
        optimizers apply during training.

        With ``sample_weight`` (layered networks), the gradient of the weighted mean
        :math:`\\sum_x v_x C_x / \\sum_x v_x`.

        Returns
        -------
        (list_dW, list_db) : lists of ndarray, shaped like ``weights`` and ``biases``
        """
        X, Y, _ = self.check_data(X, y, sparse=True)
        l2, l1, n = self.penalty_coefficients(l2, l1, n, X.shape[0])
        theta = self.parameters()
        if sample_weight is None:
            grad, _ = self._engine.gradients(theta, X, Y)
        else:
            if not self._engine.sample_weights:
                raise ValueError("sample_weight is supported for layered networks only")
            grad, _ = self._engine.gradients(
                theta, X, Y, validation.sample_weights(sample_weight, X.shape[0], self.dtype))
        if l2 or l1:
            self._engine.add_penalty_gradient(theta, grad, self.weight_mask(), l2 / n, l1 / n)
        return self.topology.views(grad)

    def trace(self, x, y):
        r"""One example's backpropagation, neuron by neuron: a ``fastnn.Trace``.

        For layered networks ``t.a[l]`` (l = 1..L, ``t.a[1]`` is x), ``t.s[l]``,
        ``t.delta[l]`` (:math:`\delta^l_j = \partial C_x/\partial s^l_j`), ``t.dw[l]``
        (shape of :math:`w^l`: :math:`\partial C_x/\partial w^l_{jk}`) and ``t.db[l]`` for
        l = 2..L, in the documents' layer numbers; for graph networks the same names keyed
        by neuron id (``t.s[j]``) and by edge (``t.dw[(i, j)]`` for the edge i -> j).
        ``t.cost`` is :math:`C_x` (no regularisation term); ``print(t)`` shows the tables.

        The values come from this network's engine running its gradient pass on a batch of
        this one example (``engine="numba"``: the compiled loop kernels, read from their
        workspace), so ``t.dw``/``t.db`` equal ``net.gradients(x[None], y[None])``.

        Parameters
        ----------
        x : array-like of shape (n_inputs,)
            One example (for a batch, use ``gradients``).
        y : int, float or array-like of shape (n_outputs,)
            Its class label (networks with more than one output), or its target vector (a
            number for a network with one output).

        Returns
        -------
        fastnn.Trace
        """
        from .core import trace as _trace
        n_in, n_out = self.topology.n_inputs, self.topology.n_outputs
        x_array = validation._numeric("x", x)
        if x_array.ndim != 1 or x_array.shape[0] != n_in:
            raise ValueError(f"x must be one example, a 1-D array of {n_in} input values; got "
                             f"shape {x_array.shape} (for a batch of examples use "
                             f"net.gradients(X, y))")
        X = self.check_inputs(x_array[None], name="x")
        y_array = validation._numeric("y", y)
        if y_array.ndim == 0:
            y_array = y_array.reshape(1) if n_out > 1 else y_array.reshape(1, 1)
        elif y_array.ndim == 1 and y_array.shape[0] == n_out:
            y_array = y_array[None]
        else:
            raise ValueError(f"y must be this example's class label (an int in [0, "
                             f"{n_out - 1}]) or its target vector of shape ({n_out},); got "
                             f"shape {y_array.shape}")
        Y, _ = validation.targets(y_array, 1, n_out, self.cost, self.dtype, name="y")
        theta = self.parameters()
        result = self._engine.trace(theta, X, Y)
        build = (_trace.layered_trace if isinstance(self.topology, Layered)
                 else _trace.graph_trace)
        return build(self.topology, theta, self.cost, X[0].copy(), Y[0].copy(), result)

    def prune(self, fraction):
        """A new graph network without the ``fraction`` of weights smallest in magnitude.

        Works on layered and graph networks (a layered one is first read as
        ``Graph.layered``). Hidden neurons that no longer reach an output are removed with
        their edges; the remaining weights and biases are copied, so the new network's
        outputs equal this one's with the pruned weights set to 0. The new network has this
        one's cost, init, dtype, seed, engine and generator state, and no optimizer yet
        (its parameter vector is shorter).

        Parameters
        ----------
        fraction : float in [0, 1)

        Returns
        -------
        Network
        """
        graph, theta = as_graph(self.topology, self.parameters())
        new_graph, new_theta = pruned(graph, theta, fraction)
        net = Network(new_graph, cost=self.cost, init=self.init, dtype=self.dtype,
                      seed=self.seed, engine=self.engine)
        net.restore(TrainingSnapshot(new_theta, self._rng.bit_generator.state))
        return net

    def save(self, path):
        """Write the network to ``path`` atomically (format: ``fastnn.io.model_file``).

        Safe while ``fit`` runs in another thread: the file holds the state of the last
        epoch boundary (parameters, optimizer state and counters, generator of one and the
        same epoch), never a mix of two."""
        model_file.save(self, path)


def _physical_memory():
    """Bytes of physical memory, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _allocate(topology):
    """The float64 vector the initialisation draws into, refused with a ``MemoryError`` naming
    the structure when it cannot be allocated, or would not fit in physical memory (where
    Linux overcommits, ``np.zeros`` would succeed and the process be killed while filling it)."""
    n = topology.n_parameters
    memory = _physical_memory()
    if memory is not None and 8 * n > memory:
        raise MemoryError(f"{topology!r} has {n:,} parameters ({8 * n / 2**30:,.1f} GiB as "
                          f"float64), more than this machine's memory ({memory / 2**30:,.1f} GiB)")
    try:
        return np.zeros(n)
    except MemoryError:
        raise MemoryError(f"{topology!r} has {n:,} parameters ({8 * n / 2**30:,.1f} GiB as "
                          f"float64): cannot allocate them") from None


def _copy_list(views):
    return list(views) if isinstance(views, list) else views


def load(path, engine=None):
    """Read a network written by ``Network.save``.

    Parameters
    ----------
    path : str or path-like
    engine : str or None
        Engine of the loaded network; None keeps the one it was saved with.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file is not a fastnn network file, is truncated or corrupt, or comes from a
        newer format version.
    """
    if engine is not None:
        validation.choice("engine", engine, ENGINE_NAMES)
    record = model_file.read(path)  # checked: structure, shapes and dtype of every array
    path = record.path
    config = dict(record.config)
    if engine is not None:
        config["engine"] = engine
    try:
        net = Network(record.topology, cost=config["cost"], init=config["init"],
                      dtype=config["dtype"], seed=config["seed"], engine=config["engine"])
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{path!r}: invalid network configuration: {error}") from error
    snapshot = TrainingSnapshot(record.theta, record.rng_state)
    if record.training is not None:
        try:
            snapshot = _training_snapshot(snapshot, net, *record.training, path)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            message = str(error)
            if not message.startswith(repr(path)):
                message = f"{path!r}: unreadable training state: {message}"
            raise ValueError(message) from error
    try:
        net.restore(snapshot)  # the generator first: an unreadable state changes nothing
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{path!r}: unreadable random generator state: {error}") from error
    return net


def _training_snapshot(snapshot, net, record, v, s, path):
    """``snapshot`` with the optimizer and penalty of a version-2 ``training`` record."""
    penalty = None
    if record.get("penalty") is not None:  # types and ranges checked by model_file.read
        l2, l1, n = record["penalty"]
        penalty = (float(l2), float(l1), int(n))
    spec = record.get("optimizer")
    if spec is None:
        return snapshot._replace(penalty=penalty)
    if spec.get("name") not in OPTIMIZERS:
        raise ValueError(f"{path!r}: unknown optimizer {spec.get('name')!r}")
    opt = OPTIMIZERS[spec["name"]](**spec["config"]).bind(net.n_parameters, net.dtype)
    for array, stored in zip(opt._state, (v, s)):
        if stored.size == 0 and int(spec["iterations"]) == 0:
            continue  # an optimizer that never stepped: zero state
        if stored.shape != array.shape or stored.dtype != array.dtype:
            raise ValueError(f"{path!r}: optimizer state of shape {stored.shape} and dtype "
                             f"{stored.dtype} does not fit a {spec['name']} optimizer of this "
                             f"network")
        array[...] = stored
    return snapshot._replace(optimizer=opt, state=tuple(opt._state),
                             iterations=int(spec["iterations"]), epochs=int(spec["epochs"]),
                             penalty=penalty)

"""``Network``: a feed-forward network trained by backpropagation, engine-agnostic.

The Network validates input, owns the parameters (one flat vector with per-layer views,
see ``parameters``), the random generator (initialisation and shuffling) and the epoch loop.
An engine (``engines``) does the arithmetic: the loop kernels (``engine="numba"``) or the
NumPy reference (``engine="numpy"``). Both share initialisation and shuffling, so one seed
gives one trajectory whichever engine runs it.

Layer indices: the documents number layers from 1 (the input); Python lists start at 0, so
``weights[0]`` is the documents' :math:`w^2` (input -> first hidden layer), of shape
``(sizes[1], sizes[0])``, and ``weights[l][j, k]`` is :math:`w^{l+2}_{jk}`.
"""
import time

import numpy as np

from . import activations, costs, optimizers, parameters, validation
from .engines import ENGINES
from .history import History


class Network:
    """A fully connected feed-forward network.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, input first, e.g. ``[784, 30, 10]``.
    activation : str
        Hidden-layer activation: "sigmoid", "tanh", "relu", "leaky_relu", "arctan", "identity".
    output_activation : str or None
        Output-layer activation (the above or "softmax"); None means the same as ``activation``.
    cost : str
        "quadratic", "cross_entropy" (sigmoid outputs) or "log_likelihood" (softmax outputs).
    init : str
        "scaled_normal", "normal", "he", "xavier" or "zeros" (see ``parameters.initialise``).
    dtype : str
        "float32" or "float64": every parameter and every computation stays in it.
    seed : int or None
        Seed of the generator used for initialisation and shuffling.
    engine : str
        "numba" (compiled loop kernels) or "numpy" (vectorised reference).

    Attributes
    ----------
    weights : list of ndarray, weights[l] of shape (sizes[l+1], sizes[l])
    biases : list of ndarray, biases[l] of shape (sizes[l+1],)
        Views into the network's parameter vector: assign in place (``net.weights[0][...] = W``)
        or replace an entry (``net.weights[0] = W``); the next call uses the new values.
    """

    def __init__(self, sizes, activation="sigmoid", output_activation=None, cost="quadratic",
                 init="scaled_normal", dtype="float64", seed=None, engine="numba"):
        self.sizes = validation.sizes(sizes)
        self.activation = validation.choice("activation", activation, activations.HIDDEN_NAMES)
        self.output_activation = validation.choice(
            "output_activation", activation if output_activation is None else output_activation,
            activations.OUTPUT_NAMES)
        self.cost = validation.choice("cost", cost, tuple(costs.CODES))
        required = costs.REQUIRED_OUTPUT.get(self.cost)
        if required is not None and self.output_activation != required:
            raise ValueError(f"cost={self.cost!r} needs output_activation={required!r}, "
                             f"got {self.output_activation!r}")
        self.init = validation.choice("init", init, parameters.INITS)
        self.dtype = validation.float_dtype(dtype)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise TypeError(f"seed must be None or a non-negative integer, got {seed!r}")
        self.seed = seed
        self.engine = validation.choice("engine", engine, tuple(ENGINES))

        self._layout = parameters.layout(self.sizes)
        self._rng = np.random.default_rng(seed)
        theta = np.zeros(self._layout.size)
        parameters.initialise(theta, self._layout, self.init, self._rng)
        self._theta = theta.astype(self.dtype)
        self._weight_views, self._bias_views = parameters.views(self._theta, self._layout)
        self.weights, self.biases = list(self._weight_views), list(self._bias_views)
        self._engine = ENGINES[self.engine](self.sizes, self.layer_activations, self.cost,
                                            self.dtype)

    @property
    def layer_activations(self):
        """Activation name of every non-input layer."""
        return [self.activation] * (len(self.sizes) - 2) + [self.output_activation]

    @property
    def n_parameters(self):
        return self._layout.size

    def __repr__(self):
        return (f"Network({list(self.sizes)}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}, cost={self.cost!r}, "
                f"dtype={self.dtype.name!r}, engine={self.engine!r})")

    # --- parameters ----------------------------------------------------------------------

    def _parameters(self):
        """The flat parameter vector, after copying in any array the user put in
        ``weights``/``biases`` in place of the views."""
        for name, current, views in (("weights", self.weights, self._weight_views),
                                     ("biases", self.biases, self._bias_views)):
            if not isinstance(current, list) or len(current) != len(views):
                raise ValueError(f"net.{name} must be a list of {len(views)} arrays")
            for l, (array, view) in enumerate(zip(current, views)):
                if array is view:
                    continue
                array = validation._numeric(f"{name}[{l}]", array)
                if array.shape != view.shape:
                    raise ValueError(f"{name}[{l}] must have shape {view.shape}, got {array.shape}")
                validation._finite(f"{name}[{l}]", array)
                view[...] = array
                current[l] = view
        return self._theta

    def _data(self, X, y):
        X = validation.inputs(X, self.sizes[0], self.dtype)
        Y, accuracy_mode = validation.targets(y, X.shape[0], self.sizes[-1], self.cost, self.dtype)
        return X, Y, accuracy_mode

    # --- the algorithm -------------------------------------------------------------------

    def fit(self, X, y, epochs=1, batch_size=10, learning_rate=0.1, shuffle=True):
        """Train by mini-batch stochastic gradient descent.

        Parameters
        ----------
        X : array-like of shape (n_samples, sizes[0])
        y : array-like of shape (n_samples, sizes[-1]), or integer labels of shape (n_samples,)
        epochs : int
        batch_size : int
            Samples per update: 1 is per-sample SGD, ``>= n_samples`` full-batch gradient descent.
        learning_rate : float
            :math:`\\eta` in :math:`w \\leftarrow w - \\eta\\, \\partial J/\\partial w`, J the
            batch mean cost.
        shuffle : bool
            Visit the samples in a new random order (from the network's seed) every epoch.

        Returns
        -------
        History
        """
        epochs = validation.positive_int("epochs", epochs)
        batch_size = validation.positive_int("batch_size", batch_size)
        learning_rate = validation.positive_float("learning_rate", learning_rate)
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
        X, Y, accuracy_mode = self._data(X, y)
        theta = self._parameters()
        if not np.isfinite(theta).all():
            raise ValueError("the network's weights or biases contain NaN or infinity")
        n = X.shape[0]
        optimizer = optimizers.SGD(learning_rate).bind(theta.shape[0], self.dtype)
        update = optimizer.update(learning_rate, optimizers.weight_mask(self._layout))
        self._engine.warm_up(theta, X, Y, batch_size, update, accuracy_mode)
        history = History()
        for epoch in range(1, epochs + 1):
            order = self._rng.permutation(n) if shuffle else np.arange(n)
            start = time.perf_counter()
            loss, correct = self._engine.train_epoch(theta, X, Y, order, batch_size,
                                                     update, accuracy_mode)
            seconds = time.perf_counter() - start
            history.record(epoch=epoch, loss=loss / n,
                           accuracy=correct / n if accuracy_mode else None,
                           samples_per_second=n / seconds, seconds=seconds)
        return history

    def predict(self, X):
        """Output activations :math:`a^L`, shape (n_samples, sizes[-1])."""
        X = validation.inputs(X, self.sizes[0], self.dtype)
        return self._engine.predict(self._parameters(), X)

    def evaluate(self, X, y):
        """Mean cost over the samples (``"loss"``) and, for class targets, ``"accuracy"``."""
        X, Y, accuracy_mode = self._data(X, y)
        loss, correct = self._engine.evaluate(self._parameters(), X, Y, accuracy_mode)
        result = {"loss": loss / X.shape[0]}
        if accuracy_mode:
            result["accuracy"] = correct / X.shape[0]
        return result

    def gradients(self, X, y):
        """Backpropagated :math:`\\partial J/\\partial w` and :math:`\\partial J/\\partial b` of the
        mean cost over the samples given (no regularisation).

        Returns
        -------
        (list_dW, list_db) : lists of ndarray, shaped like ``weights`` and ``biases``
        """
        X, Y, _ = self._data(X, y)
        grad, _ = self._engine.gradients(self._parameters(), X, Y)
        dW, db = parameters.views(grad, self._layout)
        return dW, db

    def save(self, path):
        """Write the network to ``path`` (see ``fastnn.serialization``)."""
        from .serialization import save
        save(self, path)

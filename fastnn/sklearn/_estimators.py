"""scikit-learn estimators backed by fastnn: ``MLPClassifier`` and ``MLPRegressor``.

They take scikit-learn's ``neural_network`` parameter names where the two libraries share a
concept, so existing code can switch by changing an import::

    from fastnn.sklearn import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(30,), solver="sgd", learning_rate_init=0.1,
                        max_iter=20, random_state=0).fit(X, y)
    clf.predict_proba(X_test)

and they work inside ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` and the like.
scikit-learn is an optional extra (``pip install fastnn[sklearn]``); ``import fastnn`` never
imports this module.

How scikit-learn's names map onto fastnn
----------------------------------------
=========================  ==================================================================
scikit-learn               fastnn
=========================  ==================================================================
hidden_layer_sizes         ``Network(sizes=[n_features, *hidden_layer_sizes, n_outputs])``
activation                 hidden activation; "logistic" is fastnn's "sigmoid"; fastnn's
                           "leaky_relu" and "arctan" are accepted too
solver                     "adam" -> ``optimizer="adam"`` (beta_1, beta_2, epsilon);
                           "sgd" -> "nesterov" / "momentum" / "sgd" by ``momentum`` and
                           ``nesterovs_momentum`` as in scikit-learn; fastnn's "momentum",
                           "nesterov", "adagrad", "rmsprop" by name. "lbfgs" is not offered.
alpha                      L2 penalty. scikit-learn adds :math:`\\alpha w` to the gradient of
                           every mini-batch mean cost (batch size m); fastnn's ``l2=lambda``
                           adds :math:`\\frac{\\lambda}{n} w` (n the training-set size, the
                           book's convention), so ``l2 = alpha * n / m``: the same decay.
batch_size                 ``batch_size``; "auto" is ``min(200, n_samples)``
learning_rate_init         the optimizer's learning rate
learning_rate              "constant", "invscaling" (eta / (t + 1) ** power_t, t the samples
                           seen) and "adaptive" (eta / 5 after n_iter_no_change epochs without
                           improvement), for solver="sgd" as in scikit-learn
max_iter                   epochs
tol, n_iter_no_change      stop when the training loss (or, with early_stopping, the
                           validation score) has not improved by tol for n_iter_no_change
                           epochs (fastnn: ``patience``)
early_stopping,            hold out validation_fraction of the training data (stratified for
validation_fraction        the classifier), keep the parameters of the best validation score
shuffle, random_state      reshuffle every epoch; random_state seeds initialisation, the
                           validation split and the shuffling
warm_start                 continue training the fitted network
=========================  ==================================================================

fastnn's own extras: ``engine`` ("numba" or "numpy"), ``dtype`` ("float64" or "float32")
and ``init`` (weight initialisation, default "xavier", Glorot's uniform as scikit-learn uses).

Outputs: the classifier uses a softmax output with the log-likelihood cost for more than two
classes, one sigmoid output with the cross-entropy cost for two classes (as scikit-learn
does) and one sigmoid output per label for multilabel indicator targets; the regressor an
identity output with the quadratic cost :math:`\\frac12\\sum_j (a_j - y_j)^2`, averaged over
the samples. That is scikit-learn's squared error / 2 for one target; for several targets
scikit-learn also averages over the targets where fastnn sums, so ``loss_`` (and the plain-SGD
step) is n_targets times scikit-learn's.
"""
import numbers

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import check_is_fitted, column_or_1d
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("fastnn.sklearn needs scikit-learn: pip install 'fastnn[sklearn]' "
                      "(or pip install scikit-learn)") from error

try:
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - scikit-learn < 1.6
    def _validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

from .core import validation as _validation
from .training import optimizers as _optimizers
from .network import Network

__all__ = ["MLPClassifier", "MLPRegressor"]

ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "sigmoid": "sigmoid",
               "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu", "arctan": "arctan"}
"""scikit-learn's activation names (and fastnn's) -> fastnn's hidden activation."""

SOLVERS = ("adam", "sgd", "momentum", "nesterov", "adagrad", "rmsprop")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
_MIN_ADAPTIVE_LEARNING_RATE = 1e-6
"""scikit-learn stops "adaptive" training instead of dividing a rate this small by 5."""


# --- parameter checks: ValueError/TypeError naming the parameter ---------------------------

def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_float(name, value, low, high=None, low_open=False, high_open=True):
    """A finite real number in the interval given (``None``: unbounded above)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    above = value > low if low_open else value >= low
    below = high is None or (value < high if high_open else value <= high)
    if not (np.isfinite(value) and above and below):
        interval = (("(" if low_open else "[") + f"{low}, " +
                    ("inf)" if high is None else f"{high}" + (")" if high_open else "]")))
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return value


def _check_choice(name, value, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def _check_verbose(value):
    if isinstance(value, (bool, np.bool_, numbers.Integral)):
        return bool(value)
    raise TypeError(f"verbose must be True/False or an integer, got {value!r}")


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _hidden_layer_sizes(value):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"hidden_layer_sizes must be an int or a sequence of ints such as "
                        f"(100,) or (64, 32), got {value!r}")
    sizes = list(value)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"hidden_layer_sizes must hold positive integers, got {value!r}")
    return [int(size) for size in sizes]


def _fit_parameters():
    """Keyword arguments ``Network.fit`` accepts (the training issue adds some)."""
    import inspect
    return set(inspect.signature(Network.fit).parameters)


# --- the shared estimator -------------------------------------------------------------------

class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, the epoch loop, pickling."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
                 init="xavier", engine="numba", dtype="float64"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.init = init
        self.engine = engine
        self.dtype = dtype

    # -- checks -------------------------------------------------------------------------

    def _checked_parameters(self):
        """All hyperparameters checked; scikit-learn convention: checks run in fit, not __init__."""
        if self.solver == "lbfgs":
            raise ValueError("solver='lbfgs' is not offered by fastnn (it trains by "
                             "backpropagation with mini-batch updates); use 'adam' or 'sgd'")
        p = {
            "hidden": _hidden_layer_sizes(self.hidden_layer_sizes),
            "activation": ACTIVATIONS[_check_choice("activation", self.activation,
                                                    tuple(ACTIVATIONS))],
            "solver": _check_choice("solver", self.solver, SOLVERS),
            "alpha": _check_float("alpha", self.alpha, 0.0),
            "learning_rate": _check_choice("learning_rate", self.learning_rate, LEARNING_RATES),
            "learning_rate_init": _check_float("learning_rate_init", self.learning_rate_init,
                                               0.0, low_open=True),
            "power_t": _check_float("power_t", self.power_t, 0.0),
            "max_iter": _check_int("max_iter", self.max_iter, 1),
            "shuffle": _check_bool("shuffle", self.shuffle),
            "tol": _check_float("tol", self.tol, 0.0),
            "verbose": _check_verbose(self.verbose),
            "warm_start": _check_bool("warm_start", self.warm_start),
            "momentum": _check_float("momentum", self.momentum, 0.0, 1.0),
            "nesterovs_momentum": _check_bool("nesterovs_momentum", self.nesterovs_momentum),
            "early_stopping": _check_bool("early_stopping", self.early_stopping),
            "validation_fraction": _check_float("validation_fraction", self.validation_fraction,
                                                0.0, 1.0, low_open=True),
            "beta_1": _check_float("beta_1", self.beta_1, 0.0, 1.0),
            "beta_2": _check_float("beta_2", self.beta_2, 0.0, 1.0),
            "epsilon": _check_float("epsilon", self.epsilon, 0.0, low_open=True),
            "n_iter_no_change": _check_int("n_iter_no_change", self.n_iter_no_change, 1),
            "init": self.init, "engine": self.engine,
            "dtype": _validation.float_dtype(self.dtype),
        }
        if not (self.batch_size == "auto" or isinstance(self.batch_size, numbers.Integral)
                and not isinstance(self.batch_size, bool)):
            raise TypeError(f"batch_size must be 'auto' or a positive integer, "
                            f"got {self.batch_size!r}")
        if self.batch_size != "auto":
            _check_int("batch_size", self.batch_size, 1)
        return p

    def _dtype(self):
        return _validation.float_dtype(self.dtype)

    def _batch_size(self, n_samples):
        return min(200, n_samples) if self.batch_size == "auto" else min(self.batch_size,
                                                                          n_samples)

    def _make_optimizer(self, p):
        """The fastnn optimizer for ``solver``; its state (velocities, moments, step count)
        lives in it across the epochs and the ``partial_fit`` calls."""
        solver = p["solver"]
        if solver == "sgd" and p["momentum"] > 0:
            solver = "nesterov" if p["nesterovs_momentum"] else "momentum"
        if "optimizer" not in _fit_parameters():
            if solver == "sgd":
                return None  # a fastnn whose fit knows plain SGD only
            raise NotImplementedError(
                f"solver={self.solver!r} (momentum={self.momentum}) needs Network.fit(optimizer=), "
                f"which this fastnn does not have; use solver='sgd' with momentum=0")
        lr = p["learning_rate_init"]
        if solver == "adam":
            return _optimizers.Adam(lr, beta1=p["beta_1"], beta2=p["beta_2"], eps=p["epsilon"])
        if solver in ("momentum", "nesterov"):
            return _optimizers.OPTIMIZERS[solver](lr, mu=p["momentum"])
        return _optimizers.OPTIMIZERS[solver](lr)

    # -- building and training ----------------------------------------------------------

    def _new_network(self, p, n_features, n_outputs, output_activation, cost, seed):
        return Network([n_features, *p["hidden"], n_outputs], activation=p["activation"],
                       output_activation=output_activation, cost=cost, init=p["init"],
                       dtype=p["dtype"], seed=seed, engine=p["engine"])

    def _fit(self, X, Y, stratify, incremental):
        """Train ``self.network_`` on float targets ``Y`` of shape (n, n_outputs).

        The epoch loop runs here (one ``Network.fit`` epoch per iteration) so that the
        stopping rules, schedules and the validation split follow scikit-learn exactly.
        """
        p = self._checked_parameters()
        n_samples, n_features = X.shape
        rng = check_random_state(self.random_state)
        fresh = not (incremental or p["warm_start"]) or not hasattr(self, "network_")
        if fresh:
            seed = int(rng.randint(np.iinfo(np.int32).max))
            self.network_ = self._new_network(p, n_features, Y.shape[1], self._output_activation,
                                              self._cost, seed)
            self._optimizer = self._make_optimizer(p)
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            self.best_loss_ = np.inf
            self._no_improvement_count = 0
            self._learning_rate = p["learning_rate_init"]
            self.validation_scores_ = None
            self.best_validation_score_ = None
        net = self.network_
        if not fresh and (net.sizes[0] != n_features or net.sizes[-1] != Y.shape[1]):
            raise ValueError(f"the fitted network takes {net.sizes[0]} features and has "
                             f"{net.sizes[-1]} outputs; this data needs {n_features} and "
                             f"{Y.shape[1]} (set warm_start=False to start afresh)")
        early_stopping = p["early_stopping"] and not incremental
        if early_stopping:
            X, X_val, Y, Y_val = train_test_split(
                X, Y, random_state=rng.randint(np.iinfo(np.int32).max),
                test_size=p["validation_fraction"], stratify=stratify)
            if X.shape[0] < 1 or X_val.shape[0] < 1:
                raise ValueError(f"early_stopping with validation_fraction="
                                 f"{p['validation_fraction']} leaves no training or no "
                                 f"validation samples out of {n_samples}")
            if self.validation_scores_ is None:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
            best = None
        else:
            self.validation_scores_ = self.best_validation_score_ = None
        n = X.shape[0]
        batch_size = self._batch_size(n)
        l2 = p["alpha"] * n / batch_size  # scikit-learn's alpha per batch -> the book's lambda/n
        accepted = _fit_parameters()
        options = {}
        if self._optimizer is not None:
            options["optimizer"] = self._optimizer
        if l2 > 0:
            if "l2" not in accepted:
                raise NotImplementedError("alpha > 0 needs fastnn's L2 regularisation (fit's "
                                          "l2=), which this fastnn does not have yet; use alpha=0")
            options["l2"] = l2
        if "progress" in accepted:
            options["progress"] = False
        epochs = 1 if incremental else p["max_iter"]
        for _ in range(epochs):
            history = net.fit(X, Y, epochs=1, batch_size=batch_size,
                              learning_rate=self._learning_rate, shuffle=p["shuffle"], **options)
            self.n_iter_ += 1
            self.t_ += n
            loss = float(history.loss[-1])
            if l2 > 0:  # report the regularised cost scikit-learn reports
                loss += 0.5 * p["alpha"] * sum(float(np.sum(w * w)) for w in net.weights) / batch_size
            self.loss_curve_.append(loss)
            if p["verbose"]:
                print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
            if p["solver"] == "sgd" and p["learning_rate"] == "invscaling":
                self._learning_rate = p["learning_rate_init"] / (self.t_ + 1) ** p["power_t"]
            if incremental:
                continue
            # scikit-learn's stopping rule: no improvement by tol for n_iter_no_change epochs
            if early_stopping:
                score = self._score_for_stopping(X_val, Y_val)
                self.validation_scores_.append(score)
                if p["verbose"]:
                    print(f"Validation score: {score:f}")
                if score < self.best_validation_score_ + p["tol"]:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best = [array.copy() for array in net.weights + net.biases]
            else:
                if loss > self.best_loss_ - p["tol"]:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
                self.best_loss_ = min(self.best_loss_, loss)
            if self._no_improvement_count > p["n_iter_no_change"]:
                if p["solver"] == "sgd" and p["learning_rate"] == "adaptive" and \
                        self._learning_rate > _MIN_ADAPTIVE_LEARNING_RATE:
                    self._learning_rate /= 5
                    self._no_improvement_count = 0
                    if p["verbose"]:
                        print(f"Setting learning rate to {self._learning_rate:f}")
                    continue
                if p["verbose"]:
                    what = "Validation score" if early_stopping else "Training loss"
                    print(f"{what} did not improve more than tol={p['tol']} for "
                          f"{p['n_iter_no_change']} consecutive epochs. Stopping.")
                break
        self.loss_ = self.loss_curve_[-1]
        if early_stopping:
            self.best_loss_ = None
            if best is not None:  # scikit-learn keeps the parameters of the best epoch
                for array, saved in zip(net.weights + net.biases, best):
                    array[...] = saved
        elif incremental:
            self.best_loss_ = min(self.best_loss_, self.loss_)
        return self

    def _forward(self, X):
        check_is_fitted(self, "network_")
        X = _validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.network_.predict(_writeable(X, self.network_.dtype))

    # -- attributes scikit-learn users look for -----------------------------------------

    @property
    def coefs_(self):
        """Weights as scikit-learn stores them: ``coefs_[i]`` of shape (n_in, n_out), the
        transpose of ``network_.weights[i]`` (a view)."""
        return [w.T for w in self.network_.weights]

    @property
    def intercepts_(self):
        """Biases, ``intercepts_[i]`` of shape (n_out,) (views of ``network_.biases``)."""
        return list(self.network_.biases)

    @property
    def n_layers_(self):
        return len(self.network_.sizes)

    @property
    def n_outputs_(self):
        return self.network_.sizes[-1]

    @property
    def out_activation_(self):
        return {"sigmoid": "logistic"}.get(self.network_.output_activation,
                                           self.network_.output_activation)

    # -- pickling: rebuild the network from its configuration and parameters ---------------

    def __getstate__(self):
        state = dict(super().__getstate__())
        net = state.get("network_")
        if isinstance(net, Network):
            state["network_"] = {
                "config": {"sizes": list(net.sizes), "activation": net.activation,
                           "output_activation": net.output_activation, "cost": net.cost,
                           "init": net.init, "dtype": net.dtype.name, "seed": net.seed,
                           "engine": net.engine},
                "theta": net._parameters().copy(),
                "rng": net._rng.bit_generator.state,
            }
        return state

    def __setstate__(self, state):
        saved = state.get("network_")
        if isinstance(saved, dict):
            net = Network(**saved["config"])
            net._parameters()[...] = saved["theta"]
            net._rng.bit_generator.state = saved["rng"]
            state = dict(state, network_=net)
        super().__setstate__(state)


def _writeable(X, dtype):
    """C-contiguous, writeable ``X`` of ``dtype``: the compiled engine would otherwise compile
    a separate read-only specialization for memory-mapped input."""
    X = np.ascontiguousarray(X, dtype=dtype)
    return X if X.flags.writeable else X.copy()


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by fastnn's backpropagation.

    Parameters are scikit-learn's ``sklearn.neural_network.MLPClassifier``'s (see the module
    docstring for how each maps onto fastnn), plus ``init``, ``engine`` and ``dtype``.
    ``solver="lbfgs"`` is not offered.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in fit (any sortable labels: ints, strings, ...); for multilabel
        indicator targets, ``arange(n_labels)``.
    network_ : fastnn.Network
        The trained network, ``sizes = [n_features_in_, *hidden_layer_sizes, n_outputs_]``.
    loss_, loss_curve_, best_loss_, validation_scores_, best_validation_score_, n_iter_, t_
        As in scikit-learn: the training loss (mean cost, plus the L2 term) per epoch, the
        validation accuracy per epoch with ``early_stopping``, epochs run, samples seen.
    coefs_, intercepts_ : lists of ndarray
        scikit-learn's layout of ``network_.weights`` (transposed) and ``network_.biases``.
    n_features_in_, feature_names_in_
        As set by scikit-learn's input validation.
    """

    _output_activation = "softmax"  # replaced per problem in _encode_fit_targets
    _cost = "log_likelihood"

    def fit(self, X, y):
        """Train on ``X`` of shape (n_samples, n_features) and labels ``y`` of shape
        (n_samples,) (or a multilabel indicator matrix (n_samples, n_labels)); returns self."""
        X, y = _validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32))
        previous = self.classes_ if self.warm_start is True and hasattr(self, "network_") \
            else None
        Y, stratify = self._encode_fit_targets(y, classes=None)
        if previous is not None and not np.array_equal(previous, self.classes_):
            raise ValueError(f"warm_start=True needs y to hold the classes of the previous fit, "
                             f"{previous!r}; got {self.classes_!r}")
        return self._fit(_writeable(X, self._dtype()), Y, stratify, incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``X``, ``y``, continuing from the current state.

        ``classes`` (all labels that will ever appear) is required on the first call.
        """
        first = not hasattr(self, "network_")
        X, y = _validate_data(self, X, y, multi_output=True, reset=first,
                              dtype=(np.float64, np.float32))
        if first and classes is None and type_of_target(y) != "multilabel-indicator":
            raise ValueError("classes must be passed on the first call to partial_fit")
        if not first and classes is not None and not np.array_equal(
                np.unique(classes), self.classes_):
            raise ValueError(f"classes={classes!r} is not the same as on the first call to "
                             f"partial_fit: {self.classes_!r}")
        Y, _ = self._encode_fit_targets(y, classes=classes if first else self.classes_,
                                        keep=not first)
        return self._fit(_writeable(X, self._dtype()), Y, None, incremental=True)

    def _encode_fit_targets(self, y, classes, keep=False):
        """Float targets for the network and the labels to stratify a validation split by;
        sets ``classes_``, the output layer and the cost."""
        check_classification_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            Y = np.asarray(y, dtype=np.float64)
            if keep and Y.shape[1] != len(self.classes_):
                raise ValueError(f"y has {Y.shape[1]} labels, but the classifier was first "
                                 f"fitted with {len(self.classes_)}")
            self.classes_ = np.arange(Y.shape[1])
            self._label_mode = "multilabel"
            self._output_activation, self._cost = "sigmoid", "cross_entropy"
            return Y, None
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D class labels or a multilabel indicator matrix; "
                             f"got targets of kind {kind!r} and shape {y.shape}")
        present = np.unique(y)
        known = present if classes is None else np.unique(classes)
        if classes is not None and not np.isin(present, known).all():
            raise ValueError(f"y holds labels {np.setdiff1d(present, known)!r} that are not "
                             f"in classes={known!r}")
        if len(known) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in "
                             f"the data, but the data contains only 1 class: {known[0]!r}")
        self.classes_ = known
        codes = np.searchsorted(known, y)
        if len(known) == 2:
            self._label_mode = "binary"
            self._output_activation, self._cost = "sigmoid", "cross_entropy"
            Y = codes.astype(np.float64).reshape(-1, 1)
        else:
            self._label_mode = "multiclass"
            self._output_activation, self._cost = "softmax", "log_likelihood"
            Y = np.zeros((len(codes), len(known)))
            Y[np.arange(len(codes)), codes] = 1
        return Y, codes

    def _score_for_stopping(self, X_val, Y_val):
        """Validation accuracy (scikit-learn's early-stopping score for classifiers)."""
        a = self.network_.predict(X_val)
        if self._label_mode == "multiclass":
            return float(np.mean(a.argmax(axis=1) == Y_val.argmax(axis=1)))
        return float(np.mean(np.all((a > 0.5) == (Y_val > 0.5), axis=1)))

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order;
        for multilabel targets, each label's probability (n_samples, n_labels)."""
        a = self._forward(X)
        if self._label_mode == "binary":
            return np.hstack([1 - a, a])
        return a

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class per sample (labels from ``classes_``); for multilabel targets
        the indicator matrix of labels with probability above 0.5."""
        a = self._forward(X)
        if self._label_mode == "multilabel":
            return (a > 0.5).astype(int)
        if self._label_mode == "binary":
            return self.classes_[(a[:, 0] > 0.5).astype(int)]
        return self.classes_[a.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multilabel": True}


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by fastnn's backpropagation.

    An identity output layer and the quadratic cost (scikit-learn's squared error / 2).
    Parameters are scikit-learn's ``sklearn.neural_network.MLPRegressor``'s (see the module
    docstring), plus ``init``, ``engine`` and ``dtype``.

    Attributes
    ----------
    network_ : fastnn.Network
    loss_, loss_curve_, best_loss_, validation_scores_, best_validation_score_, n_iter_, t_
        As in scikit-learn; validation scores are :math:`R^2`.
    coefs_, intercepts_, n_features_in_, feature_names_in_
        As in scikit-learn.
    """

    _output_activation = "identity"
    _cost = "quadratic"

    def fit(self, X, y):
        """Train on ``X`` (n_samples, n_features) and targets ``y`` (n_samples,) or
        (n_samples, n_targets); returns self."""
        X, y = _validate_data(self, X, y, multi_output=True, y_numeric=True,
                              dtype=(np.float64, np.float32))
        return self._fit(_writeable(X, self._dtype()), self._targets(y), None,
                         incremental=False)

    def partial_fit(self, X, y):
        """One epoch over ``X``, ``y``, continuing from the current state."""
        first = not hasattr(self, "network_")
        X, y = _validate_data(self, X, y, multi_output=True, y_numeric=True, reset=first,
                              dtype=(np.float64, np.float32))
        Y = self._targets(y, keep=not first)
        return self._fit(_writeable(X, self._dtype()), Y, None, incremental=True)

    def _targets(self, y, keep=False):
        was_1d = np.ndim(y) == 1
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if keep and Y.shape[1] != self.network_.sizes[-1]:
            raise ValueError(f"y has {Y.shape[1]} targets per sample, but the regressor was "
                             f"first fitted with {self.network_.sizes[-1]}")
        if not keep:
            self._y_was_1d = was_1d
        return Y

    def _score_for_stopping(self, X_val, Y_val):
        """:math:`R^2` on the validation set (scikit-learn's early-stopping score)."""
        from sklearn.metrics import r2_score
        return float(r2_score(Y_val, self.network_.predict(X_val)))

    def predict(self, X):
        """Predicted targets, shape (n_samples,) when fitted on 1-D ``y``, else
        (n_samples, n_targets)."""
        a = self._forward(X)
        return a[:, 0].copy() if self._y_was_1d else a

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multioutput": True}

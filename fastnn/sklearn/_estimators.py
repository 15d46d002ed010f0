"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's estimators over a ``fastnn.Network``
(the mapping and the deliberate differences: the package docstring, ``fastnn.sklearn``)."""
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

try:
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # scikit-learn < 1.6
    def _validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

from ..core import validation
from ..core.errors import TrainingDiverged
from ..core.views import take_replacements
from ..network import Network
from ..training import optimizers
from ..training.state import TrainingSnapshot
from . import _lbfgs, _params
from ._stochastic import SklearnEpochs

ACCEPT_SPARSE = ["csr", "csc"]
NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large "
              "values and need to be preprocessed.")


def _stochastic(est):
    """``partial_fit`` exists for the stochastic solvers only (scikit-learn's rule)."""
    if est.solver == "lbfgs":
        raise AttributeError(f"partial_fit is only available for stochastic optimizers; "
                             f"{est.solver!r} is not stochastic")
    return True


def _sklearn_initialisation(rng, sizes, activation, dtype):
    r"""scikit-learn's initial parameters, drawn as it draws them from ``rng`` (its
    ``_init_coef``): per layer, weights (n_in, n_out) then biases, uniform in
    :math:`\pm\sqrt{f/(n_{in}+n_{out})}`, f = 2 for logistic hidden units, else 6. Returns
    the weights of every layer, then the biases."""
    factor = 2.0 if activation == "sigmoid" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        intercepts.append(rng.uniform(-bound, bound, fan_out).astype(dtype))
    return coefs + intercepts


def _as_float(X):
    """float32 stays float32, every other input becomes float64 (scikit-learn's rule)."""
    return X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, the two solvers, the
    parameter views ``coefs_``/``intercepts_``, pickling."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 init="sklearn", engine="numba", dtype=None):
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
        self.max_fun = max_fun
        self.init = init
        self.engine = engine
        self.dtype = dtype

    # -- the parameters as scikit-learn shows them: views into the network -----------------

    @property
    def coefs_(self):
        """``coefs_[i]`` of shape (n_in, n_out): views (the transpose) of
        ``network_.weights[i]``; write into them, assign an entry or the whole list, and the
        network takes the new values at its next use."""
        try:
            return self.__dict__["_coefs"]
        except KeyError:
            raise AttributeError("coefs_ exists once the estimator is fitted") from None

    @coefs_.setter
    def coefs_(self, value):
        self.__dict__["_coefs"] = value

    @property
    def intercepts_(self):
        """``intercepts_[i]`` of shape (n_out,): views of ``network_.biases[i]``
        (see ``coefs_``)."""
        try:
            return self.__dict__["_intercepts"]
        except KeyError:
            raise AttributeError("intercepts_ exists once the estimator is fitted") from None

    @intercepts_.setter
    def intercepts_(self, value):
        self.__dict__["_intercepts"] = value

    def _bind_views(self):
        """``coefs_``/``intercepts_`` as fresh views of ``network_``'s parameters."""
        weights, biases = self.network_.topology.views(self.network_.parameters())
        self._coef_views = [w.T for w in weights]
        self._intercept_views = list(biases)
        self.coefs_, self.intercepts_ = list(self._coef_views), list(self._intercept_views)

    def _push_parameters(self):
        """Copy into the network whatever the user put into ``coefs_``/``intercepts_`` in
        place of the views (checked: shape, finite), and restore the views there."""
        take_replacements(self, "coefs_", self._coef_views, squeeze=True)
        take_replacements(self, "intercepts_", self._intercept_views, squeeze=True)

    def _assigned_sizes(self):
        """Layer sizes of ``coefs_`` assigned by the user before any fit, else None."""
        coefs = self.__dict__.get("_coefs")
        if "network_" in self.__dict__ or not isinstance(coefs, list) or not coefs:
            return None
        shapes = [np.shape(c) for c in coefs]
        if any(len(s) != 2 for s in shapes):
            return None
        return [shapes[0][0]] + [s[1] for s in shapes]

    # -- training -----------------------------------------------------------------------

    def _make_optimizer(self, p):
        """The fastnn optimizer for ``solver`` (sgd: Nesterov or momentum by ``momentum`` and
        ``nesterovs_momentum``, as scikit-learn), at ``learning_rate_init``."""
        solver, lr = p["solver"], p["learning_rate_init"]
        if solver == "sgd" and p["momentum"] > 0:
            return optimizers.OPTIMIZERS["nesterov" if p["nesterovs_momentum"] else "momentum"](
                lr, mu=p["momentum"])
        if solver == "adam":
            return optimizers.Adam(lr, beta1=p["beta_1"], beta2=p["beta_2"], eps=p["epsilon"])
        return optimizers.OPTIMIZERS[solver](lr)

    def _fit(self, X, Y, sample_weight, incremental, stratify=None):
        """Train on ``X`` (dense or sparse, float32/float64) and float targets ``Y`` of shape
        (n, n_outputs): a new network, or the current one with ``warm_start``/``partial_fit``."""
        p = _params.checked(self)
        if incremental and p["early_stopping"]:
            raise ValueError("partial_fit does not support early_stopping=True")
        n_samples, n_features = X.shape
        weights = None
        if sample_weight is not None:
            weights = validation.sample_weights(sample_weight, n_samples, np.float64)
        rng = check_random_state(self.random_state)
        first = "network_" not in self.__dict__ or not (p["warm_start"] or incremental)
        if first:
            assigned = self._assigned_sizes() if incremental else None
            sizes = assigned or [n_features, *p["hidden"], Y.shape[1]]
            if sizes[0] != n_features or sizes[-1] != Y.shape[1]:
                raise ValueError(f"the assigned coefs_ take {sizes[0]} features and give "
                                 f"{sizes[-1]} outputs; this data needs {n_features} and "
                                 f"{Y.shape[1]}")
            dtype = p["dtype"] or X.dtype
            initial = (_sklearn_initialisation(rng, sizes, p["activation"], dtype)
                       if p["init"] == "sklearn" and not assigned else None)
            pending = ((self.__dict__["_coefs"], self.__dict__.get("_intercepts"))
                       if assigned else None)
            self.network_ = Network(sizes, activation=p["activation"],
                                    output_activation=self._output_activation, cost=self._cost,
                                    init="xavier" if p["init"] == "sklearn" else p["init"],
                                    dtype=dtype,
                                    seed=int(rng.randint(np.iinfo(np.int32).max)),
                                    engine=p["engine"])
            self._bind_views()
            if initial is not None:
                for view, value in zip(self._coef_views + self._intercept_views, initial):
                    view[...] = value
            if pending is not None:  # coefs_ (and intercepts_) assigned before the first fit
                self.coefs_ = list(pending[0])
                if pending[1] is not None:
                    self.intercepts_ = list(pending[1])
            self._optimizer = None
            self.n_iter_ = self.t_ = 0
            if p["solver"] != "lbfgs":
                self.loss_curve_ = []
                self._no_improvement_count = 0
                self._best_theta = None
                if p["early_stopping"]:
                    self.validation_scores_, self.best_validation_score_ = [], -np.inf
                    self.best_loss_ = None
                else:
                    self.validation_scores_ = self.best_validation_score_ = None
                    self.best_loss_ = np.inf
        net = self.network_
        self._push_parameters()
        if net.sizes[0] != n_features or net.sizes[-1] != Y.shape[1]:
            raise ValueError(f"the fitted network takes {net.sizes[0]} features and has "
                             f"{net.sizes[-1]} outputs; this data needs {n_features} and "
                             f"{Y.shape[1]} (set warm_start=False to start afresh)")
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(net.sizes)
        self.out_activation_ = "exp" if self._poisson else {"sigmoid": "logistic"}.get(
            net.output_activation, net.output_activation)
        if p["solver"] == "lbfgs":
            Xn, Yn, _ = net.check_data(X, Y, sparse=True)
            w = None if weights is None else weights.astype(net.dtype)
            objective = _lbfgs.Objective(net, Xn, Yn, w, p["alpha"], self._poisson)
            self.n_iter_, self.loss_ = _lbfgs.minimize(objective, p["max_iter"], p["max_fun"],
                                                       p["tol"], p["verbose"])
        else:
            if self._poisson:
                raise ValueError("loss='poisson' is offered with solver='lbfgs' only (fastnn's "
                                 "engines train the stochastic solvers with their own costs, "
                                 "which have no Poisson deviance)")
            self._fit_stochastic(p, X, Y, weights, incremental, stratify, rng)
        if not np.isfinite(net.parameters()).all():
            raise ValueError(NON_FINITE)
        return self

    def _fit_stochastic(self, p, X, Y, weights, incremental, stratify, rng):
        net = self.network_
        self.n_iter_ = 0  # epochs of this call (scikit-learn); t_ counts on
        if not incremental or self._optimizer is None:
            self._optimizer = self._make_optimizer(p)  # as scikit-learn: new on every fit
        validation_set = None
        if p["early_stopping"]:
            parts = train_test_split(X, Y, *([] if weights is None else [weights]),
                                     random_state=rng, test_size=p["validation_fraction"],
                                     stratify=stratify)
            X, X_val, Y, Y_val = parts[:4]
            w_val = None
            if weights is not None:
                weights, w_val = parts[4], parts[5]
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            validation_set = (X_val, Y_val, w_val)
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                # scikit-learn's words, and like its warnings this one names this line
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                              "going to be clipped", stacklevel=1)
            batch_size = int(np.clip(self.batch_size, 1, n))
        weight_mean = 1.0 if weights is None else float(weights.mean())
        # scikit-learn adds alpha*w / (the batch's weight sum) to each batch's gradient;
        # fastnn's l2 adds (l2/n)*w per step: l2 = alpha*n / (batch_size * mean weight)
        l2 = p["alpha"] * n / (batch_size * weight_mean)
        rule = SklearnEpochs(self, p, n, batch_size, weight_mean, self._loss_scale, validation_set)
        try:
            net.fit(X, Y, epochs=1 if incremental else p["max_iter"], batch_size=batch_size,
                    shuffle=p["shuffle"], optimizer=self._optimizer, l2=l2,
                    validation_data=None if validation_set is None else validation_set[:2],
                    callbacks=[rule], sample_weight=weights)
        except TrainingDiverged as error:
            rule.diverged(net)
            if self._best_theta is None:
                raise ValueError(NON_FINITE) from error
        if p["early_stopping"] and self._best_theta is not None:
            net.parameters()[...] = self._best_theta  # scikit-learn keeps the best epoch's
        if not incremental and not rule.stopped and self.n_iter_ == p["max_iter"]:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({p['max_iter']}) reached "
                          f"and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=1)  # as scikit-learn's own

    def _loss_grad_lbfgs(self, packed, X, y, sample_weight=None, *buffers):
        """scikit-learn's private L-BFGS objective, with its packing (every ``coefs_`` raveled,
        then every ``intercepts_``): ``(loss, gradient)`` at ``packed`` (which becomes the
        network's parameters). ``buffers`` (scikit-learn's work arrays) are not needed;
        scikit-learn < 1.7 passes them without ``sample_weight``, first a list."""
        if isinstance(sample_weight, list):
            sample_weight = None
        self._push_parameters()
        start = 0
        for view in self._coef_views + self._intercept_views:
            view[...] = np.reshape(packed[start:start + view.size], view.shape)
            start += view.size
        net = self.network_
        Xn, Yn, _ = net.check_data(_as_float(np.asarray(X)), np.asarray(y, dtype=np.float64))
        w = None if sample_weight is None else validation.sample_weights(
            sample_weight, Xn.shape[0], net.dtype)
        loss, grad = _lbfgs.Objective(net, Xn, Yn, w, float(self.alpha), self._poisson)(
            net.parameters().astype(np.float64))
        g_w, g_b = net.topology.views(grad)
        return loss, np.hstack([g.T.ravel() for g in g_w] + [g.ravel() for g in g_b])

    def _forward(self, X):
        check_is_fitted(self, "network_")
        X = _validate_data(self, X, reset=False, accept_sparse=ACCEPT_SPARSE,
                           dtype=(np.float64, np.float32))
        self._push_parameters()
        return self.network_.predict(X)

    # -- pickling: the network from its configuration and parameters; views rebuilt -------

    _VIEWS = ("_coefs", "_intercepts", "_coef_views", "_intercept_views")

    def __getstate__(self):
        if "network_" in self.__dict__:
            self._push_parameters()
        state = {k: v for k, v in super().__getstate__().items() if k not in self._VIEWS}
        net = state.get("network_")
        if isinstance(net, Network):
            snapshot = net.snapshot()
            state["network_"] = {"config": net.config(), "theta": snapshot.theta,
                                 "rng": snapshot.rng}
        return state

    def __setstate__(self, state):
        saved = state.get("network_")
        if isinstance(saved, dict):
            net = Network(**saved["config"])
            net.restore(TrainingSnapshot(saved["theta"], saved["rng"]))
            state = dict(state, network_=net)
        super().__setstate__(state)
        if "network_" in self.__dict__:
            self._bind_views()


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by fastnn (scikit-learn's ``MLPClassifier``
    parameters, plus ``init``, ``engine`` and ``dtype``; see ``fastnn.sklearn``).

    Outputs: softmax with the log-likelihood cost for more than two classes; one sigmoid
    output with the cross-entropy cost for two classes, and one per label for multilabel
    indicator targets. Fitted attributes are scikit-learn's (``classes_``, ``coefs_``,
    ``intercepts_``, ``loss_``, ``loss_curve_``, ``best_loss_``, ``validation_scores_``,
    ``best_validation_score_``, ``n_iter_``, ``t_``, ``n_layers_``, ``n_outputs_``,
    ``out_activation_``, ``n_features_in_``) plus ``network_``, the trained ``fastnn.Network``.
    """

    _poisson = False
    _output_activation = "softmax"  # replaced per problem in _encode_targets
    _cost = "log_likelihood"
    _loss_scale = 1.0
    _TARGET_STATE = ("classes_", "_label_mode", "_output_activation", "_cost")

    def fit(self, X, y, sample_weight=None):
        """Train on ``X`` (n_samples, n_features), dense or CSR/CSC, and labels ``y``
        (n_samples,) or a multilabel indicator matrix; returns self."""
        X, y = _validate_data(self, X, y, multi_output=True, accept_sparse=ACCEPT_SPARSE,
                              dtype=(np.float64, np.float32))
        warm = self.warm_start is True and "network_" in self.__dict__
        previous = {k: self.__dict__[k] for k in self._TARGET_STATE if k in self.__dict__}
        Y = self._encode_targets(y, classes=None)
        if warm and not np.array_equal(previous["classes_"], self.classes_):
            self.__dict__.update(previous)
            previous = previous["classes_"]
            raise ValueError(f"warm_start can only be used where `y` has the same classes as "
                             f"in the previous call to fit. Previously got {previous}, `y` has "
                             f"{np.unique(y)}")
        stratify = Y.astype(bool) if Y.shape[1] == 1 else None  # binary only, as scikit-learn
        return self._fit(X, Y, sample_weight, incremental=False, stratify=stratify)

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``X``, ``y`` from the current state; ``classes`` (every label that
        will ever appear) is required on the first call."""
        first = "network_" not in self.__dict__
        X, y = _validate_data(self, X, y, multi_output=True, reset=first,
                              accept_sparse=ACCEPT_SPARSE, dtype=(np.float64, np.float32))
        if first and classes is None and type_of_target(y) != "multilabel-indicator":
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if not first and classes is not None and not np.array_equal(np.unique(classes),
                                                                    self.classes_):
            raise ValueError(f"`classes={list(classes)!r}` is not the same as on last call "
                             f"to partial_fit, was: {self.classes_!r}")
        Y = self._encode_targets(y, classes=classes if first else self.classes_,
                                 keep=not first)
        return self._fit(X, Y, sample_weight, incremental=True)

    def _encode_targets(self, y, classes, keep=False):
        """Float targets for the network; sets ``classes_``, the output layer and the cost."""
        check_classification_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if type_of_target(y) == "multilabel-indicator":
            Y = np.asarray(y, dtype=np.float64)
            if keep and Y.shape[1] != len(self.classes_):
                raise ValueError(f"y has {Y.shape[1]} labels, but the classifier was first "
                                 f"fitted with {len(self.classes_)}")
            self.classes_ = np.arange(Y.shape[1])
            self._label_mode = "multilabel"
            self._output_activation, self._cost = "sigmoid", "cross_entropy"
            return Y
        present = np.unique(y)
        known = present if classes is None else np.unique(classes)
        if classes is not None and not np.isin(present, known).all():
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{known}. 'y' has {present}.")
        self.classes_ = known
        codes = np.searchsorted(known, y)
        if len(known) <= 2:
            self._label_mode = "binary" if len(known) == 2 else "single"
            self._output_activation, self._cost = "sigmoid", "cross_entropy"
            return codes.astype(np.float64).reshape(-1, 1)
        self._label_mode = "multiclass"
        self._output_activation, self._cost = "softmax", "log_likelihood"
        Y = np.zeros((len(codes), len(known)))
        Y[np.arange(len(codes)), codes] = 1
        return Y

    def _validation_score(self, event, X_val, Y_val, w_val):
        """Accuracy on the validation set (scikit-learn's early-stopping score): fit's own
        ``val_accuracy`` where its rule is the same (one label per sample, unweighted),
        else from the predictions."""
        if w_val is None and self._label_mode != "multilabel" and "val_accuracy" in event.logs:
            return float(event.logs["val_accuracy"])
        return float(accuracy_score(self._labels(event.network.predict(X_val)),
                                    self._labels(Y_val), sample_weight=w_val))

    def _labels(self, a):
        if self._label_mode == "multilabel":
            return (a > 0.5).astype(int)
        if self._label_mode == "single":
            return np.full(a.shape[0], self.classes_[0])
        if self._label_mode == "binary":
            return self.classes_[(a[:, 0] > 0.5).astype(int)]
        return self.classes_[a.argmax(axis=1)]

    def predict(self, X):
        """Most probable class per sample (labels from ``classes_``); for multilabel targets
        the indicator matrix of labels with probability above 0.5."""
        return self._labels(self._forward(X))

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in ``classes_`` order; for
        multilabel targets each label's probability."""
        a = self._forward(X)
        if self._label_mode in ("binary", "single"):
            # one class seen in fit: two columns as scikit-learn's MLPClassifier gives, the
            # first (the class of ``classes_``) near 1
            return np.hstack([1 - a, a])
        return a

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multilabel": True}


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by fastnn: identity outputs and the quadratic
    cost (scikit-learn's squared error), or with ``loss="poisson"`` (solver "lbfgs") the
    half Poisson deviance of :math:`e^{s^L}`. Parameters are scikit-learn's
    ``MLPRegressor``'s, plus ``init``, ``engine`` and ``dtype``; fitted attributes as
    ``MLPClassifier``'s, validation scores are :math:`R^2`."""

    _output_activation = "identity"
    _cost = "quadratic"

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 init="sklearn", engine="numba", dtype=None):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, init=init, engine=engine, dtype=dtype)
        self.loss = loss

    @property
    def _loss_scale(self):
        """scikit-learn's squared error averages over the targets, fastnn's cost sums."""
        return 1.0 / self.network_.sizes[-1]

    @property
    def _poisson(self):
        return self.loss == "poisson"

    def _targets(self, y, keep=False):
        validation.choice("loss", self.loss, ("squared_error", "poisson"))
        if np.ndim(y) == 2 and np.shape(y)[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if self._poisson and (Y < 0).any():
            raise ValueError("loss='poisson' needs non-negative targets y")
        if keep and Y.shape[1] != self.network_.sizes[-1]:
            raise ValueError(f"y has {Y.shape[1]} targets per sample, but the regressor was "
                             f"first fitted with {self.network_.sizes[-1]}")
        return Y

    def fit(self, X, y, sample_weight=None):
        """Train on ``X`` (n_samples, n_features), dense or CSR/CSC, and targets ``y``
        (n_samples,) or (n_samples, n_targets); returns self."""
        X, y = _validate_data(self, X, y, multi_output=True, y_numeric=True,
                              accept_sparse=ACCEPT_SPARSE, dtype=(np.float64, np.float32))
        return self._fit(X, self._targets(y), sample_weight, incremental=False)

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X``, ``y`` from the current state."""
        first = "network_" not in self.__dict__
        X, y = _validate_data(self, X, y, multi_output=True, y_numeric=True, reset=first,
                              accept_sparse=ACCEPT_SPARSE, dtype=(np.float64, np.float32))
        return self._fit(X, self._targets(y, keep=not first), sample_weight, incremental=True)

    def _validation_score(self, event, X_val, Y_val, w_val):
        """:math:`R^2` on the validation set (scikit-learn's early-stopping score)."""
        return float(r2_score(Y_val, event.network.predict(X_val), sample_weight=w_val))

    def predict(self, X):
        """Predicted targets, (n_samples,) for one target, else (n_samples, n_targets)."""
        a = self._forward(X)
        if self._poisson:
            a = np.exp(a)
        return a.ravel() if a.shape[1] == 1 else a

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multioutput": True}

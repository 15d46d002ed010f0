"""fastnn.sklearn: scikit-learn's estimator contract, pipelines, grid search, label handling.

scikit-learn is an optional extra: every test here except the import check is skipped,
with the reason, when it is not installed.
"""
import inspect
import pickle
import subprocess
import sys
import unittest
import warnings
from pathlib import Path

import numpy as np
import pytest

import fastnn

sklearn = pytest.importorskip("sklearn", reason="scikit-learn not installed "
                              "(pip install 'fastnn[sklearn]'); fastnn.sklearn is untested")

from sklearn.datasets import load_digits, make_blobs, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from fastnn.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# Small, fast settings for the tests below (check_estimator runs with the defaults).
FAST = dict(hidden_layer_sizes=(10,), max_iter=40, random_state=0, solver="adam",
            learning_rate_init=0.02)

ALLOWED_SKIPS = {
    "check_array_api_input":
        "scikit-learn runs it only with SCIPY_ARRAY_API=1 and an array-API library; fastnn "
        "computes on NumPy arrays (other arrays are converted by np.asarray)",
    "check_classifier_data_not_an_array":
        "needs pandas, which fastnn does not depend on (list inputs are checked elsewhere)",
    "check_regressor_data_not_an_array":
        "needs pandas, which fastnn does not depend on (list inputs are checked elsewhere)",
    "check_classifiers_multilabel_output_format_decision_function":
        "no decision_function: the classifier exposes predict_proba instead, as scikit-learn's "
        "MLPClassifier does",
}
"""Checks scikit-learn may skip for these estimators, and why. Anything else skipped fails."""


def run_checks(estimator):
    """Run scikit-learn's estimator checks; ``({check: error}, {check: skip reason})``."""
    failed, skipped = {}, {}
    if "callback" in inspect.signature(check_estimator).parameters:  # scikit-learn >= 1.6
        def record(*, estimator, check_name, exception, status, expected_to_fail,
                   expected_to_fail_reason):
            if status == "failed":
                failed[check_name] = repr(exception)[:500]
            elif status == "skipped":
                skipped[check_name] = str(exception)

        check_estimator(estimator, on_fail=None, on_skip=None, callback=record)
        return failed, skipped
    for instance, check in check_estimator(estimator, generate_only=True):
        name = getattr(check, "func", check).__name__
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check(instance)
        except unittest.SkipTest as reason:
            skipped[name] = str(reason)
        except Exception as error:  # noqa: BLE001 - collected and reported by the assertion
            failed[name] = repr(error)[:500]
    return failed, skipped


def test_import_fastnn_does_not_import_sklearn():
    code = ("import sys, fastnn, fastnn.datasets; "
            "print(any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("estimator", [MLPClassifier(), MLPRegressor(), MLPRegressor(max_iter=20)],
                         ids=["MLPClassifier", "MLPRegressor", "MLPRegressor-max_iter=20"])
def test_check_estimator_with_default_parameters(estimator):
    """As scikit-learn checks its own estimators: default parameters (scikit-learn's
    ``MLPRegressor(max_iter=20)`` passes check_regressors_train too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        failed, skipped = run_checks(estimator)
    assert failed == {}
    unexplained = {name: why for name, why in skipped.items() if name not in ALLOWED_SKIPS}
    assert unexplained == {}


def test_arbitrary_labels_and_probabilities():
    X, y = make_blobs(150, centers=3, random_state=1)
    names = np.array(["emu", "cat", "dog"])[y]
    clf = MLPClassifier(**FAST).fit(X, names)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert clf.score(X, names) > 0.9
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)


def test_binary_uses_one_sigmoid_output():
    X, y = make_blobs(100, centers=2, random_state=2)
    labels = np.where(y == 1, 10, -3)
    clf = MLPClassifier(**FAST).fit(X, labels)
    assert clf.network_.sizes[-1] == 1 and clf.out_activation_ == "logistic"
    assert clf.network_.cost == "cross_entropy"
    proba = clf.predict_proba(X)
    assert proba.shape == (100, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X)) <= {10, -3} and clf.score(X, labels) > 0.9


def test_multilabel_indicator_targets():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5]).astype(int)
    clf = MLPClassifier(**dict(FAST, max_iter=80)).fit(X, Y)
    assert clf.predict(X).shape == (120, 3)
    assert clf.predict_proba(X).shape == (120, 3)
    assert (clf.predict(X) == Y).mean() > 0.85


def test_regressor_output_shapes():
    X, y = make_regression(80, n_features=3, noise=1.0, random_state=0)
    y = (y - y.mean()) / y.std()
    reg = MLPRegressor(**FAST).fit(X, y)
    assert reg.predict(X).shape == (80,)
    assert reg.score(X, y) > 0.8
    Y = np.column_stack([y, -y])
    reg2 = MLPRegressor(**FAST).fit(X, Y)
    assert reg2.predict(X).shape == (80, 2) and reg2.n_outputs_ == 2
    assert reg2.network_.output_activation == "identity"


def test_pipeline_and_grid_search():
    X, y = load_digits(return_X_y=True)
    X, y = X[:600], y[:600]
    pipe = make_pipeline(StandardScaler(), MLPClassifier(**dict(FAST, max_iter=20, batch_size=32)))
    search = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(8,), (32,)]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["mlpclassifier__hidden_layer_sizes"] == (32,)
    assert search.best_score_ > 0.85
    assert search.score(X, y) > 0.9
    assert cross_val_score(make_pipeline(StandardScaler(), MLPRegressor(**FAST)),
                           X, X[:, 20], cv=2).mean() > 0.5


def test_matches_network_fit():
    """The estimator is fastnn underneath: the same seed, optimizer and epochs give the same
    parameters as Network.fit called directly (alpha enters as the book's lambda = alpha n/m)."""
    X, y = make_blobs(60, centers=3, random_state=3)
    params = dict(hidden_layer_sizes=(5,), activation="logistic", solver="sgd", momentum=0.0,
                  learning_rate_init=0.3, batch_size=12, max_iter=4, tol=0.0, random_state=7,
                  alpha=0.01, init="scaled_normal")
    clf = MLPClassifier(**params).fit(X, y)
    seed = np.random.RandomState(7).randint(np.iinfo(np.int32).max)
    net = fastnn.Network([2, 5, 3], activation="sigmoid", output_activation="softmax",
                         cost="log_likelihood", init="scaled_normal", seed=int(seed))
    for _ in range(4):
        net.fit(X, y, epochs=1, batch_size=12, learning_rate=0.3, l2=0.01 * 60 / 12)
    for mine, theirs in zip(clf.coefs_, net.weights):
        np.testing.assert_allclose(mine, theirs.T, rtol=1e-12)
    assert clf.n_iter_ == 4 and len(clf.loss_curve_) == 4


def test_pickle_round_trip_keeps_predictions_and_training():
    X, y = make_blobs(90, centers=3, random_state=4)
    clf = MLPClassifier(**FAST).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    assert copy.network_.weights[0].base is not None  # views into the parameter vector again
    copy.partial_fit(X, y)  # still trainable
    assert not np.allclose(copy.predict_proba(X), clf.predict_proba(X))


def test_early_stopping_and_stopping_rule():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    clf = MLPClassifier(**dict(FAST, hidden_layer_sizes=(30,), max_iter=200, early_stopping=True,
                               n_iter_no_change=3, validation_fraction=0.2)).fit(X, y)
    assert clf.n_iter_ < 200
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.85
    assert clf.best_loss_ is None
    reg = MLPRegressor(**dict(FAST, max_iter=500, tol=1e-2, n_iter_no_change=2))
    reg.fit(X, X[:, 20])
    assert reg.n_iter_ < 500 and reg.validation_scores_ is None
    assert reg.best_loss_ == min(reg.loss_curve_)


def test_partial_fit_and_warm_start():
    X, y = make_blobs(100, centers=3, random_state=1)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier(**dict(FAST, batch_size=10))
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    for _ in range(20):
        clf.partial_fit(X, y)
    # scikit-learn >= 1.3: n_iter_ counts the epochs of the last call, t_ the samples of all
    assert clf.n_iter_ == 1 and clf.t_ == 50 + 20 * 100 and len(clf.loss_curve_) == 21
    assert clf.score(X, y) > 0.9
    warm = MLPClassifier(**dict(FAST, max_iter=5, warm_start=True)).fit(X, y)
    first = [w.copy() for w in warm.coefs_]
    warm.fit(X, y)
    assert warm.n_iter_ == 5 and len(warm.loss_curve_) == 10
    assert not np.allclose(first[0], warm.coefs_[0])
    with pytest.raises(ValueError, match="classes"):
        warm.fit(X, (y + 1) % 4)


def test_learning_rate_schedules_follow_sklearn():
    X, y = make_blobs(80, centers=2, random_state=6)
    params = dict(FAST, solver="sgd", learning_rate_init=0.2, batch_size=20)
    inv = MLPClassifier(**dict(params, learning_rate="invscaling", power_t=0.5,
                               max_iter=3)).fit(X, y)
    assert inv.t_ == 240
    assert inv._optimizer.learning_rate == pytest.approx(0.2 / 241 ** 0.5)
    # adaptive: lr / 5 whenever the loss stalls for n_iter_no_change epochs, until <= 1e-6
    ada = MLPClassifier(**dict(params, learning_rate="adaptive", tol=1e9, n_iter_no_change=1,
                               max_iter=500)).fit(X, y)
    expected_divisions = int(np.ceil(np.log(0.2 / 1e-6) / np.log(5)))
    assert ada._optimizer.learning_rate == pytest.approx(0.2 / 5 ** expected_divisions)
    # epoch 1 sets best_loss_; from then on every 2nd epoch exceeds n_iter_no_change=1 and
    # divides, and the trigger after the last division stops: 1 + 2 * (divisions + 1) epochs
    assert ada.n_iter_ == 2 * expected_divisions + 3


@pytest.mark.parametrize("name, value, error", [
    ("hidden_layer_sizes", (0,), ValueError), ("hidden_layer_sizes", "ten", TypeError),
    ("activation", "softsign", ValueError), ("solver", "newton", ValueError),
    ("alpha", -1.0, ValueError), ("batch_size", 0, ValueError), ("max_iter", 0, ValueError),
    ("learning_rate", "cyclic", ValueError), ("validation_fraction", 1.0, ValueError),
    ("momentum", 1.5, ValueError), ("engine", "gpu", ValueError), ("dtype", "int8", ValueError),
    ("max_fun", 0, ValueError), ("n_iter_no_change", 0.5, TypeError),
])
def test_bad_parameters_name_the_parameter(name, value, error):
    X, y = make_blobs(20, random_state=0)
    with pytest.raises(error, match=name):
        MLPClassifier(**dict(FAST, **{name: value})).fit(X, y)


def test_fit_on_mnist_sample():
    """Real data through the estimator: 1,000 shipped MNIST digits, a few epochs."""
    from fastnn.datasets import load_mnist_sample
    (X, y), (X_test, y_test) = load_mnist_sample()
    clf = MLPClassifier(**dict(FAST, hidden_layer_sizes=(30,), max_iter=8)).fit(X[:2000], y[:2000])
    assert clf.score(X_test, y_test) > 0.8


# --- the drop-in features: lbfgs, sample weights, parameter views, dtypes ---------------------

def _copy_parameters(source, target):
    """Give ``target`` (any MLP estimator) the parameters of ``source``, in place."""
    for mine, theirs in zip(target.coefs_ + target.intercepts_,
                            source.coefs_ + source.intercepts_):
        mine[...] = theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_lbfgs_objective_gradient_matches_finite_differences(dtype, n_classes):
    from fastnn.sklearn import _lbfgs
    rng = np.random.default_rng(n_classes)
    X = rng.standard_normal((23, 4)).astype(dtype)
    y = rng.integers(0, n_classes, 23)
    clf = MLPClassifier(hidden_layer_sizes=(5, 3), activation="tanh", solver="lbfgs",
                        max_iter=1, alpha=0.3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    net = clf.network_
    Y = clf._encode_targets(y, None)
    Xn, Yn, _ = net.check_data(X, Y)
    v = rng.uniform(0.1, 2, 23).astype(dtype)
    objective = _lbfgs.Objective(net, Xn, Yn, v, 0.3)
    theta = net.parameters().astype(np.float64)
    _, grad = objective(theta)
    eps = 1e-6 if dtype == np.float64 else 3e-3
    numeric = np.array([(objective(theta + eps * e)[0] - objective(theta - eps * e)[0]) / (2 * eps)
                        for e in np.eye(theta.size)])
    np.testing.assert_allclose(grad, numeric, **(dict(rtol=1e-5, atol=1e-8) if dtype == np.float64
                                                 else dict(rtol=0.05, atol=2e-3)))


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_lbfgs_follows_scikit_learns_trajectory(kind):
    """From the same parameters, fastnn's L-BFGS-B over its compiled loss and gradient takes
    scikit-learn's steps: the objectives are the same function (one target for regression)."""
    from sklearn import neural_network
    rng = np.random.default_rng(5)
    X = rng.standard_normal((60, 5))
    if kind == "regression":
        y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
        ours, theirs = MLPRegressor, neural_network.MLPRegressor
    else:
        y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (kind == "multiclass") * (X[:, 2] > 0)
        ours, theirs = MLPClassifier, neural_network.MLPClassifier
    params = dict(hidden_layer_sizes=(7,), activation="tanh", solver="lbfgs", alpha=1e-3,
                  random_state=0, warm_start=True)
    a, b = ours(**params, max_iter=1), theirs(**params, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a.fit(X, y), b.fit(X, y)
        _copy_parameters(a, b)
        a.set_params(max_iter=8), b.set_params(max_iter=8)
        a.fit(X, y), b.fit(X, y)
    assert a.n_iter_ == b.n_iter_ == 8
    np.testing.assert_allclose(a.loss_, b.loss_, rtol=1e-8)
    for mine, theirs_ in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(mine, theirs_, rtol=1e-6, atol=1e-8)


def test_lbfgs_warns_at_max_iter_and_max_fun():
    X, y = make_blobs(80, centers=3, random_state=2)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        clf = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_fun=5,
                            random_state=0).fit(X, y)
    assert clf.n_iter_ <= 5
    assert not hasattr(clf, "partial_fit")


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_integer_sample_weights_equal_repeated_samples(solver):
    """Full-batch training with integer weights is training on the repeated rows."""
    X, y = make_regression(40, n_features=3, noise=0.5, random_state=1)
    y = y / y.std()
    v = np.random.default_rng(0).integers(1, 4, 40)
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=15, batch_size=400,
                  shuffle=False, alpha=0.0, random_state=0, learning_rate_init=0.05,
                  momentum=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = MLPRegressor(**params).fit(X, y, sample_weight=v)
        repeated = MLPRegressor(**params).fit(np.repeat(X, v, axis=0), np.repeat(y, v))
        plain = MLPRegressor(**params).fit(X, y)
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7, atol=1e-9)
    assert not np.allclose(weighted.predict(X), plain.predict(X))


def test_coefs_and_intercepts_are_assignable_views():
    X, y = make_blobs(50, centers=3, random_state=0)
    clf = MLPClassifier(**FAST).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(2, 10), (10, 3)]
    assert [b.shape for b in clf.intercepts_] == [(10,), (3,)]
    clf.coefs_[1][...] = 0
    clf.intercepts_[1][...] = [0.0, 5.0, 0.0]  # in place: the network sees it at once
    assert (clf.predict(X) == clf.classes_[1]).all()
    clf.intercepts_[1] = np.array([5.0, 0.0, 0.0])  # an entry replaced
    assert (clf.predict(X) == clf.classes_[0]).all()
    np.testing.assert_array_equal(clf.network_.biases[1], [5.0, 0.0, 0.0])
    clf.coefs_ = [np.ones((2, 10)), np.zeros((10, 3))]  # the whole list
    expected = np.exp([5.0, 0, 0]) / np.exp([5.0, 0, 0]).sum()
    np.testing.assert_allclose(clf.predict_proba(X[:2]), [expected, expected], rtol=1e-12)
    np.testing.assert_array_equal(clf.network_.weights[0], np.ones((10, 2)))
    clf.coefs_[0] = np.ones((3, 10))
    with pytest.raises(ValueError, match=r"coefs_\[0\] must have shape \(2, 10\)"):
        clf.predict(X)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_input_keeps_float32(Estimator, solver):
    X, y = make_blobs(60, centers=2, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Estimator(**dict(FAST, solver=solver)).fit(X.astype(np.float32), y)
    assert est.network_.dtype == np.float32
    assert all(a.dtype == np.float32 for a in est.coefs_ + est.intercepts_)
    if Estimator is MLPRegressor:
        assert est.predict(X.astype(np.float32)).dtype == np.float32


def test_verbose_prints_each_iteration(capsys):
    X, y = make_blobs(40, centers=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(**dict(FAST, max_iter=3, verbose=True, early_stopping=True)).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines[::2]] == ["Iteration 1", "Iteration 2",
                                                         "Iteration 3"]
    assert all(line.startswith("Validation score: ") for line in lines[1::2])


def test_divergence_is_scikit_learns():
    X, y = make_regression(60, n_features=3, random_state=0)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        MLPRegressor(solver="sgd", learning_rate_init=10.0, max_iter=20,
                     random_state=0).fit(X * 1e3, y * 1e3)
    reg = MLPRegressor(solver="sgd", learning_rate_init=1.0, activation="identity",
                       max_iter=20, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, y)
    assert np.isnan(reg.validation_scores_[-1]) and np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input_reaches_the_network(solver):
    """CSR and CSC ``X`` go to ``Network`` unchanged (computed over the stored entries by the
    sparse engine), with every solver: the same predictions as dense input."""
    import scipy.sparse as sp
    X, y = make_blobs(60, n_features=6, centers=3, random_state=0)
    X[X < 0] = 0
    params = dict(FAST, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = MLPClassifier(**params).fit(X, y)
        for container in (sp.csr_matrix, sp.csc_matrix):
            sparse = MLPClassifier(**params).fit(container(X), y)
            np.testing.assert_allclose(sparse.predict_proba(container(X)),
                                       dense.predict_proba(X), rtol=1e-9)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_initial_parameters_are_scikit_learns(activation):
    """init="sklearn" draws scikit-learn's initial weights from random_state: one epoch at a
    negligible rate leaves both estimators at the same parameters."""
    from sklearn import neural_network
    X, y = make_blobs(30, n_features=4, centers=3, random_state=0)
    params = dict(hidden_layer_sizes=(6, 5), activation=activation, solver="sgd", max_iter=1,
                  learning_rate_init=1e-12, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(**params).fit(X, y)
        theirs = neural_network.MLPClassifier(**params).fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_poisson_loss_with_lbfgs():
    """loss="poisson": the compiled gradient (quadratic BP1 fed t = s - (mu - y)) is the
    Poisson deviance's; the gradient check passes and the stochastic solvers refuse it."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (40, 2))
    y = rng.poisson(np.exp(X[:, 0] + 0.5))
    reg = MLPRegressor(loss="poisson", hidden_layer_sizes=(4,), activation="tanh",
                       solver="lbfgs", alpha=0.01, random_state=0).fit(X, y)
    assert reg.out_activation_ == "exp" and (reg.predict(X) > 0).all()
    packed = np.hstack([a.ravel() for a in reg.coefs_ + reg.intercepts_])
    loss, grad = reg._loss_grad_lbfgs(packed, X, y.reshape(-1, 1))
    eps = 1e-6
    numeric = [(reg._loss_grad_lbfgs(packed + eps * e, X, y.reshape(-1, 1))[0] -
                reg._loss_grad_lbfgs(packed - eps * e, X, y.reshape(-1, 1))[0]) / (2 * eps)
               for e in np.eye(packed.size)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    with pytest.raises(ValueError, match="lbfgs"):
        MLPRegressor(loss="poisson", solver="adam").fit(X, y)

"""Bad input: a ValueError/TypeError naming the argument, before any compiled code runs."""
import numpy as np
import pytest

import fastnn
from fastnn.engine import NumbaEngine


@pytest.fixture
def net(monkeypatch):
    """A network whose engine fails the test if it is reached at all."""
    def reached(*args, **kwargs):
        raise AssertionError("invalid input reached the compiled engine")

    for method in ("train_epoch", "warm_up", "predict", "gradients", "evaluate"):
        monkeypatch.setattr(NumbaEngine, method, reached)
    return fastnn.Network([3, 4, 2], seed=0)


GOOD_X = np.zeros((5, 3))
GOOD_Y = np.array([0, 1, 0, 1, 1])


@pytest.mark.parametrize("sizes,error,match", [
    ([3], ValueError, "at least 2 layers"),
    ([], ValueError, "at least 2 layers"),
    ([3, 0, 2], ValueError, "positive integers"),
    ([3, -1], ValueError, "positive integers"),
    ([3, 2.5], TypeError, "integers"),
    ([3, True], TypeError, "integers"),
    ("784,30", TypeError, "sequence"),
    (10, TypeError, "sequence"),
])
def test_bad_sizes(sizes, error, match):
    with pytest.raises(error, match=f"sizes.*{match}|{match}.*sizes"):
        fastnn.Network(sizes)


@pytest.mark.parametrize("kwargs,match", [
    (dict(activation="softmax"), "activation"),
    (dict(activation="sigmoidal"), "activation"),
    (dict(output_activation="step"), "output_activation"),
    (dict(cost="hinge"), "cost"),
    (dict(init="ones"), "init"),
    (dict(dtype="float16"), "dtype"),
    (dict(dtype="int32"), "dtype"),
    (dict(dtype="complex"), "dtype"),
    (dict(engine="torch"), "engine"),
    (dict(cost="log_likelihood"), "output_activation='softmax'"),
    (dict(cost="cross_entropy", output_activation="softmax"), "output_activation='sigmoid'"),
    (dict(cost="cross_entropy", output_activation="tanh"), "output_activation='sigmoid'"),
])
def test_unknown_names_and_invalid_pairings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fastnn.Network([3, 2], **kwargs)


def test_bad_seed():
    with pytest.raises(TypeError, match="seed"):
        fastnn.Network([3, 2], seed="abc")
    with pytest.raises(ValueError, match="seed must be None or a non-negative integer"):
        fastnn.Network([3, 2], seed=-1)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(epochs=0), ValueError, "epochs"),
    (dict(epochs=1.5), TypeError, "epochs"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(batch_size=-3), ValueError, "batch_size"),
    (dict(batch_size=True), TypeError, "batch_size"),
    (dict(learning_rate=0), ValueError, "learning_rate"),
    (dict(learning_rate=-0.1), ValueError, "learning_rate"),
    (dict(learning_rate=float("nan")), ValueError, "learning_rate"),
    (dict(learning_rate=float("inf")), ValueError, "learning_rate"),
    (dict(learning_rate="0.1"), TypeError, "learning_rate"),
    (dict(shuffle="yes"), TypeError, "shuffle"),
])
def test_bad_fit_arguments(net, kwargs, error, match):
    with pytest.raises(error, match=match):
        net.fit(GOOD_X, GOOD_Y, **kwargs)


BAD_X = [
    (np.zeros(3), ValueError, "X must be 2-D.*reshape"),
    (np.zeros((5, 3, 1)), ValueError, "X must be 2-D"),
    (np.zeros((5, 4)), ValueError, "X has 4 features.*input layer has 3"),
    (np.zeros((0, 3)), ValueError, "X is empty"),
    (np.full((5, 3), np.nan), ValueError, "X contains NaN"),
    (np.full((5, 3), np.inf), ValueError, "X contains NaN or infinity"),
    (np.full((5, 3), "a"), TypeError, "X must hold numbers"),
    (np.array([[1, 2, None]] * 5), TypeError, "X must hold numbers"),
    (np.ones((5, 3), dtype=complex), TypeError, "X must hold real numbers"),
]


@pytest.mark.parametrize("X,error,match", BAD_X)
def test_bad_X_in_fit_predict_evaluate_gradients(net, X, error, match):
    with pytest.raises(error, match=match):
        net.fit(X, GOOD_Y)
    with pytest.raises(error, match=match):
        net.predict(X)
    with pytest.raises(error, match=match):
        net.evaluate(X, GOOD_Y)
    with pytest.raises(error, match=match):
        net.gradients(X, GOOD_Y)
    with pytest.raises(error, match=match):
        fastnn.gradient_check(net, X, GOOD_Y)


@pytest.mark.parametrize("y,error,match", [
    (np.array([0, 1, 2, 0, 1]), ValueError, r"labels must lie in \[0, 1\]"),
    (np.array([0, 1, -1, 0, 1]), ValueError, "labels must lie"),
    (np.array([0, 1, 0.5, 0, 1]), TypeError, "labels must be integers"),
    (np.array([0, 1, 0]), ValueError, "y has 3 samples but X has 5"),
    (np.zeros((5, 3)), ValueError, "y has 3 targets per sample.*2 outputs"),
    (np.zeros((5, 2, 1)), ValueError, "y must be 1-D labels or 2-D"),
    (np.array([0, 1, np.nan, 0, 1]), ValueError, "y contains NaN"),
    (np.full((5, 2), np.inf), ValueError, "y contains NaN or infinity"),
    (np.array(["a", "b", "a", "b", "a"]), TypeError, "y must hold numbers"),
])
def test_bad_y(net, y, error, match):
    with pytest.raises(error, match=match):
        net.fit(GOOD_X, y)
    with pytest.raises(error, match=match):
        net.evaluate(GOOD_X, y)


def test_targets_outside_the_cost_domain(monkeypatch):
    monkeypatch.setattr(NumbaEngine, "train_epoch", None)
    ce = fastnn.Network([3, 2], cost="cross_entropy")
    with pytest.raises(ValueError, match="cross_entropy needs targets in"):
        ce.fit(GOOD_X, np.full((5, 2), 2.0))
    ll = fastnn.Network([3, 2], output_activation="softmax", cost="log_likelihood")
    with pytest.raises(ValueError, match="log_likelihood needs"):
        ll.fit(GOOD_X, np.full((5, 2), 0.2))


def test_float32_overflow_on_cast_is_caught(monkeypatch):
    net = fastnn.Network([3, 2], dtype="float32")
    with pytest.raises(ValueError, match="X has values beyond the range of float32"):
        net.predict(np.full((2, 3), 1e300))


def test_bad_replacement_weights(net):
    net.weights[0] = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(4, 3\)"):
        net.predict(GOOD_X)
    net.weights[0] = np.full((4, 3), np.nan)
    with pytest.raises(ValueError, match=r"weights\[0\] contains NaN"):
        net.predict(GOOD_X)
    net.weights = "nope"
    with pytest.raises(ValueError, match="net.weights must be a list of 2 arrays"):
        net.predict(GOOD_X)


def test_nan_written_into_the_weights_is_refused_by_fit(rng):
    net = fastnn.Network([3, 2], seed=0)
    net.weights[0][0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        net.fit(GOOD_X, GOOD_Y)


def test_integer_and_non_contiguous_inputs_are_accepted(rng):
    net, ref = (fastnn.Network([3, 4, 2], seed=0, engine=e) for e in ("numba", "numpy"))
    X_int = rng.integers(0, 5, (6, 3))
    X_strided = np.asfortranarray(rng.standard_normal((12, 6)))[::2, ::2]
    assert not X_strided.flags.c_contiguous
    for X in (X_int, X_strided, X_int.tolist()):
        np.testing.assert_allclose(net.predict(X), ref.predict(np.asarray(X, float)), rtol=1e-12)
        net.fit(X, np.arange(len(X)) % 2, epochs=1)
        ref.fit(np.asarray(X, float), np.arange(len(X)) % 2, epochs=1)
        np.testing.assert_allclose(net.parameters(), ref.parameters(), rtol=1e-12)
    bool_labels = np.array([True, False] * 3)
    net.fit(X_int, bool_labels.astype(int))
    net.fit(X_int, np.arange(6.0) % 2)  # integral floats are labels too


def test_float32_overflow_of_targets_and_huge_labels_are_reported():
    import warnings
    net = fastnn.Network([3, 2], dtype="float32", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from the cast either
        with pytest.raises(ValueError, match="y has values beyond the range of float32"):
            net.evaluate(np.ones((2, 3)), np.full((2, 2), 1e300))
    with pytest.raises(ValueError, match=f"got labels from {2**63 + 5} to {2**63 + 5}"):
        net.evaluate(np.ones((2, 3)), np.full(2, 2**63 + 5, dtype=np.uint64))


def test_cast_finite_says_when_a_float32_cast_overflows():
    from fastnn.core import validation
    np.testing.assert_array_equal(validation.cast_finite("w", np.array([1.5, -2.0]), np.float32),
                                  np.array([1.5, -2.0], np.float32))
    with pytest.raises(ValueError, match=r"w has values beyond the range of float32 \(largest "
                                         r"magnitude 3e\+40"):
        validation.cast_finite("w", np.array([1.0, -3e40]), np.float32)
    with pytest.raises(ValueError, match="w contains NaN or infinity"):
        validation.cast_finite("w", np.array([np.nan]), np.float32)
    assert validation.cast_finite("w", np.array([3e40]), np.float64)[0] == 3e40


@pytest.mark.parametrize("check, good, bad, error", [
    ("non_negative_int", [0, 5, np.int64(3)], [-1], ValueError),
    ("non_negative_int", [], [1.0, True, "3", None], TypeError),
    ("non_negative_float", [0, 0.5, 7], [-0.1, float("inf"), float("nan")], ValueError),
    ("non_negative_float", [], [True, "1", None], TypeError),
])
def test_non_negative_validators(check, good, bad, error):
    from fastnn.core import validation
    function = getattr(validation, check)
    for value in good:
        assert function("x", value) == value
    for value in bad:
        with pytest.raises(error, match="x must be"):
            function("x", value)


def test_finite_values_whose_sum_overflows_are_accepted_and_bad_ones_found_anywhere():
    """``_finite`` proves finiteness by a sum; an overflowing sum falls back to the exact check."""
    from fastnn.core import validation
    validation._finite("X", np.full((4, 3), 1e308))  # sum is inf, every value finite
    for bad in (np.nan, np.inf, -np.inf):
        X = np.full((4, 3), 1e308)
        X[3, 2] = bad
        with pytest.raises(ValueError, match="X contains NaN or infinity"):
            validation._finite("X", X)

"""fit's training features: schedules, L2/L1, validation and early stopping, callbacks,
progress, divergence, resuming (also through save/load)."""
import io
import sys
import warnings

import numpy as np
import pytest

import fastnn
from fastnn.core import activations, costs
from fastnn.engine import kernels, rules
from fastnn.training import fit as training
from fastnn.training import schedules

from conftest import random_problem


@pytest.fixture
def data(rng):
    return rng.standard_normal((60, 4)), rng.integers(0, 3, 60)


def small_net(**kwargs):
    return fastnn.Network([4, 6, 3], output_activation="softmax", cost="log_likelihood",
                          **{"seed": 1, **kwargs})


# --- schedules -------------------------------------------------------------------------------

def test_schedules_recorded_in_history(data):
    X, y = data
    expected = {
        schedules.StepDecay(2, 0.5): [0.4, 0.4, 0.2, 0.2, 0.1],
        schedules.ExponentialDecay(0.5): [0.4, 0.2, 0.1, 0.05, 0.025],
        schedules.InverseTimeDecay(1.0): [0.4, 0.2, 0.4 / 3, 0.1, 0.08],
        schedules.Cosine(period=4, min_rate=0.1):  # 0.1 + 0.3 (1 + cos(pi min(t, 4) / 4)) / 2
            [0.4, 0.1 + 0.15 * (1 + np.cos(np.pi / 4)), 0.25,
             0.1 + 0.15 * (1 + np.cos(3 * np.pi / 4)), 0.1],
        "constant": [0.4] * 5,
        (lambda t, base: base / (t + 1)): [0.4, 0.2, 0.4 / 3, 0.1, 0.08],
    }
    for schedule, rates in expected.items():
        history = small_net().fit(X, y, epochs=5, learning_rate=0.4, schedule=schedule)
        np.testing.assert_allclose(history.learning_rate, rates, rtol=1e-12, err_msg=str(schedule))


def test_cosine_without_period_anneals_over_the_fit_call():
    rates = [schedules.Cosine().rate(t, 1.0, 4) for t in range(5)]
    np.testing.assert_allclose(rates, [1, 0.5 + 0.5 * np.cos(np.pi / 4), 0.5,
                                       0.5 + 0.5 * np.cos(3 * np.pi / 4), 0], atol=1e-15)


def test_schedule_bad_input(data):
    X, y = data
    with pytest.raises(ValueError, match="schedule must be one of"):
        small_net().fit(X, y, schedule="linear")
    with pytest.raises(ValueError, match="gamma"):
        schedules.StepDecay(gamma=2)
    with pytest.raises(ValueError, match="learning rate 0.0 for epoch 1"):
        small_net().fit(X, y, schedule=lambda t, base: 0.0)


# --- regularisation ----------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_gradient_check_of_the_regularised_cost(engine, rng):
    sizes = [3, 5, 4, 2]
    net = fastnn.Network(sizes, activation="tanh", init="normal", seed=3, engine=engine)
    X, Y = random_problem(rng, sizes, "quadratic", "sigmoid", 9)
    for l2, l1 in ((2.0, 0.0), (0.0, 0.7), (1.5, 0.4)):
        assert fastnn.gradient_check(net, X, Y, l2=l2, l1=l1, n=30) < 1e-6
    # the regularised gradient is the plain one plus (l2/n) w + (l1/n) sign(w), weights only
    plain_W, plain_b = net.gradients(X, Y)
    dW, db = net.gradients(X, Y, l2=1.5, l1=0.4, n=30)
    for g, g0, w in zip(dW, plain_W, net.weights):
        np.testing.assert_allclose(g, g0 + 1.5 / 30 * w + 0.4 / 30 * np.sign(w), rtol=1e-12)
    for g, g0 in zip(db, plain_b):
        np.testing.assert_array_equal(g, g0)


def test_gradient_check_fails_for_a_wrong_penalty_gradient(rng, monkeypatch):
    net = fastnn.Network([3, 4, 2], init="normal", seed=0, engine="numpy")
    X, Y = random_problem(rng, [3, 4, 2], "quadratic", "sigmoid", 5)
    monkeypatch.setattr(rules, "numpy_add_penalty_gradient",
                        lambda theta, grad, decay, l2, l1: None)  # forgets the penalty
    assert fastnn.gradient_check(net, X, Y, l2=5.0) > 1e-3


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_full_batch_step_follows_the_regularised_gradient(engine, rng):
    """Nielsen's rule: w -> (1 - eta*lambda/n) w - eta dC/dw; biases without decay."""
    X, Y = rng.standard_normal((12, 3)), rng.random((12, 2))
    net = fastnn.Network([3, 4, 2], seed=9, engine=engine)
    dW, db = net.gradients(X, Y)
    expected_W = [(1 - 0.7 * 3.0 / 12) * w - 0.7 * g for w, g in zip(net.weights, dW)]
    expected_b = [b - 0.7 * g for b, g in zip(net.biases, db)]
    net.fit(X, Y, epochs=1, batch_size=12, learning_rate=0.7, l2=3.0)
    for p, e in zip(net.weights + net.biases, expected_W + expected_b):
        np.testing.assert_allclose(p, e, rtol=1e-12)


def test_evaluate_reports_cost_with_and_without_penalty(data):
    X, y = data
    net = small_net()
    assert set(net.evaluate(X, y)) == {"loss", "accuracy"}
    net.fit(X[:50], y[:50], epochs=2, l2=4.0, l1=1.0)
    result = net.evaluate(X, y)
    w = np.concatenate([w.ravel() for w in net.weights])
    penalty = 4.0 / (2 * 50) * (w ** 2).sum() + 1.0 / 50 * np.abs(w).sum()  # n = 50 trained on
    assert result["penalty"] == pytest.approx(penalty, rel=1e-12)
    assert result["regularized_loss"] == pytest.approx(result["loss"] + penalty, rel=1e-12)
    assert result["loss"] == net.evaluate(X, y, l2=0.0, l1=0.0)["loss"]  # "loss" is the data cost
    assert result["loss"] != small_net().evaluate(X, y)["loss"]  # of the trained weights
    plain = net.evaluate(X, y, l2=0.0, l1=0.0)
    assert set(plain) == {"loss", "accuracy"} and plain["loss"] == result["loss"]
    explicit = net.evaluate(X, y, l2=1.0, l1=0.0)  # n defaults to len(X) when given explicitly
    assert explicit["penalty"] == pytest.approx(1.0 / (2 * 60) * (w ** 2).sum(), rel=1e-12)


def test_l2_shrinks_the_weights(data):
    X, y = data
    plain, decayed = small_net(), small_net()
    plain.fit(X, y, epochs=20, learning_rate=0.5)
    decayed.fit(X, y, epochs=20, learning_rate=0.5, l2=5.0)
    def norm(net):
        return sum((w ** 2).sum() for w in net.weights)

    assert norm(decayed) < 0.8 * norm(plain)


# --- validation, early stopping, callbacks --------------------------------------------------

def test_validation_data_is_evaluated_every_epoch(data):
    X, y = data
    net = small_net()
    history = net.fit(X[:40], y[:40], epochs=3, validation_data=(X[40:], y[40:]))
    assert len(history.val_loss) == len(history.val_accuracy) == 3
    final = net.evaluate(X[40:], y[40:])
    assert history.val_loss[-1] == final["loss"] and history.val_accuracy[-1] == final["accuracy"]
    assert small_net().fit(X, y, epochs=2).val_loss == [None, None]


def test_validation_fraction_is_deterministic_by_seed(data):
    X, y = data
    Y = np.eye(3)[y]
    def split(seed):
        return training.validation_split(small_net(seed=seed), X, Y, 0.25)[2]

    np.testing.assert_array_equal(split(5), split(5))
    assert not np.array_equal(split(5), split(6))
    assert len(split(5)) == 15
    a, b = small_net(), small_net()
    h_a = a.fit(X, y, epochs=2, validation_fraction=0.25)
    h_b = b.fit(X, y, epochs=2, validation_fraction=0.25)
    assert h_a.val_loss == h_b.val_loss
    # a second fit of the same network splits alike (the split does not use the shuffling stream)
    X_train, Y_train, X_val, Y_val = training.validation_split(a, X, Y, 0.25)
    history = a.fit(X, y, epochs=1, validation_fraction=0.25)
    assert history.val_loss[0] == a.evaluate(X_val, Y_val)["loss"]


def test_early_stopping_restores_the_best_weights(data):
    X, y = data
    X_val, y_val = X[:20] + 0.5, (y[:20] + 1) % 3  # a validation set that training makes worse
    snapshots = {}
    net = small_net()
    history = net.fit(X, y, epochs=100, learning_rate=0.5, validation_data=(X_val, y_val),
                      early_stopping=True, patience=3,
                      callbacks=lambda e: snapshots.__setitem__(e.epoch,
                                                                e.network.parameters().copy()))
    assert history.stopped_epoch is not None and len(history) < 100
    best = history.best_epoch
    assert history.val_loss[best - 1] == min(history.val_loss)
    assert history.stopped_epoch == best + 3
    np.testing.assert_array_equal(net.parameters(), snapshots[best])


def test_early_stopping_without_validation_data_sets_ten_percent_aside(data):
    X, y = data
    history = small_net().fit(X, y, epochs=2, early_stopping=True)
    assert all(v is not None for v in history.val_loss)


def test_callbacks_receive_epoch_end_events_and_can_stop(data):
    X, y = data
    events = []

    class Recorder(fastnn.callbacks.Callback):
        def on_train_begin(self, network):
            events.append("begin")

        def on_epoch_end(self, event):
            events.append((event.epoch, sorted(event.logs)))
            if event.epoch == 2:
                event.stop()

        def on_train_end(self, network, history):
            events.append(("end", len(history)))

    seen = []
    history = small_net().fit(X, y, epochs=5, callbacks=[Recorder(), seen.append])
    keys = ["accuracy", "epoch", "learning_rate", "loss", "samples_per_second", "seconds"]
    assert events == ["begin", (1, keys), (2, keys), ("end", 2)]
    assert [e.epoch for e in seen] == [1, 2] and history.stopped_epoch == 2
    with pytest.raises(TypeError, match="callbacks"):
        small_net().fit(X, y, callbacks=[3])


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_progress_bar_changes_nothing_but_the_screen(engine, data, monkeypatch):
    X, y = np.repeat(data[0], 5, axis=0), np.repeat(data[1], 5)  # 300 samples, 30 batches
    quiet, shown = small_net(engine=engine), small_net(engine=engine)
    h_quiet = quiet.fit(X, y, epochs=2, optimizer="adam", progress=False)
    screen = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", screen)
    h_shown = shown.fit(X, y, epochs=2, optimizer="adam", progress=True)
    monkeypatch.undo()
    np.testing.assert_array_equal(quiet.parameters(), shown.parameters())  # chunks of whole batches
    np.testing.assert_allclose(h_quiet.loss, h_shown.loss, rtol=1e-12)  # summed in parts
    assert "epoch 2/2" in screen.getvalue() and "loss" in screen.getvalue()
    assert fastnn.callbacks.Progress(True, 300, 2).chunk_size(10) == 300  # pytest: no TTY
    bar = fastnn.callbacks.Progress(True, 300, 2, file=FakeTerminal())
    assert bar.chunk_size(10) == 20  # 30 batches in 15 runs of 2 (at most 20 runs)


# --- divergence ---------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_divergence_raises_and_keeps_the_last_finite_parameters(engine, rng):
    X, Y = rng.standard_normal((40, 3)) * 10, rng.standard_normal((40, 2)) * 10
    def make():
        return fastnn.Network([3, 8, 2], activation="relu", output_activation="identity",
                              seed=2, engine=engine)

    def explode(t, base):
        return base if t < 2 else 1e6  # epoch 3 blows up

    net, twin = make(), make()
    twin.fit(X, Y, epochs=2, learning_rate=1e-4, optimizer="momentum")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning either
        with pytest.raises(fastnn.TrainingDiverged, match="epoch 3.*smaller learning rate") as info:
            net.fit(X, Y, epochs=5, learning_rate=1e-4, optimizer="momentum", schedule=explode)
    assert isinstance(info.value, FloatingPointError)
    assert info.value.epoch == 3 and info.value.learning_rate == 1e6
    assert len(info.value.history) == 2
    np.testing.assert_array_equal(net.parameters(), twin.parameters())
    np.testing.assert_array_equal(net.optimizer.state["velocity"], twin.optimizer.state["velocity"])
    assert net.optimizer.iterations == twin.optimizer.iterations
    net.fit(X, Y, epochs=1, learning_rate=1e-4)  # and training can go on from there


def test_softmax_sigmoid_and_log_costs_do_not_overflow():
    s = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]])
    y = np.array([[1.0, 0, 0, 0, 0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name in ("softmax", "sigmoid"):
            a = np.empty_like(s)
            kernels.activate(activations.CODES[name], s, a)
            np.testing.assert_allclose(a, activations.NUMPY[name][0](s), atol=1e-300)
            assert np.isfinite(a).all()
        for cost in ("log_likelihood", "cross_entropy"):
            a = activations.NUMPY["softmax" if cost == "log_likelihood" else "sigmoid"][0](s)
            c = costs.cost_of_sample(costs.CODES[cost], s[0], a[0], y[0])
            assert np.isfinite(c) and c == pytest.approx(costs.NUMPY_COST[cost](s, a, y)[0])


# --- resuming -------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["numba", "numpy"])
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_five_plus_five_epochs_equal_ten_also_through_save_and_load(engine, optimizer, data,
                                                                    tmp_path):
    X, y = data
    kwargs = dict(optimizer=optimizer, learning_rate=0.05, schedule="exponential", l2=0.5,
                  batch_size=7)
    once = small_net(engine=engine)
    h_once = once.fit(X, y, epochs=10, **kwargs)
    twice = small_net(engine=engine)
    twice.fit(X, y, epochs=5, **kwargs)
    twice.save(tmp_path / "half.npz")
    h_second = twice.fit(X, y, epochs=5, **kwargs)
    np.testing.assert_array_equal(once.parameters(), twice.parameters())
    assert h_second.epoch == [6, 7, 8, 9, 10] and h_second.loss == h_once.loss[5:]
    loaded = fastnn.load(tmp_path / "half.npz")
    assert loaded.optimizer.name == optimizer and loaded.optimizer.iterations == 5 * 9
    loaded.fit(X, y, epochs=5, **kwargs)
    np.testing.assert_array_equal(once.parameters(), loaded.parameters())
    for a, b in zip(once.optimizer.state.values(), loaded.optimizer.state.values()):
        np.testing.assert_array_equal(a, b)


def test_version_1_files_still_load(tmp_path, data):
    X, y = data
    net = small_net()
    net.fit(X, y, epochs=1, optimizer="adam")
    path = tmp_path / "v1.npz"
    net.save(path)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in fastnn.io.model_file.KEYS}
    np.savez(path, **{**arrays, "version": np.array(1)})
    old = fastnn.load(path)
    np.testing.assert_array_equal(old.parameters(), net.parameters())
    assert old.optimizer is None
    with np.load(tmp_path / "v1.npz") as archive:
        arrays = dict(archive)
    np.savez(path, **{**arrays, "version": np.array(2)})  # claims 2 but lacks the training keys
    with pytest.raises(ValueError, match="without training"):
        fastnn.load(path)


def test_fit_argument_errors_name_the_argument(data):
    X, y = data
    net = small_net()
    cases = [(dict(l2=-1), ValueError, "l2"), (dict(l1="x"), TypeError, "l1"),
             (dict(validation_fraction=1.5), ValueError, "validation_fraction"),
             (dict(validation_fraction=0.2, validation_data=(X, y)), ValueError, "not both"),
             (dict(validation_data=X), TypeError, "validation_data"),
             (dict(validation_data=(X[:, :2], y)), ValueError, "validation_data X"),
             (dict(patience=0), ValueError, "patience"),
             (dict(early_stopping="yes"), TypeError, "early_stopping"),
             (dict(progress=1), TypeError, "progress"),
             (dict(learning_rate=0), ValueError, "learning_rate")]
    for kwargs, error, match in cases:
        with pytest.raises(error, match=match):
            net.fit(X, y, **kwargs)
    assert net.optimizer is None  # nothing was trained

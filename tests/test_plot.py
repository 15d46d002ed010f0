"""fastnn.plot.training_curves: PNG output, validation curves, the optional-extra message."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn import plot

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def test_import_fastnn_does_not_import_matplotlib():
    code = ("import sys, fastnn, fastnn.plot, fastnn.cli; "
            "print(any(m.startswith('matplotlib') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"fastnn\[plot\]"):
        plot.training_curves({"loss": [1.0, 0.5]}, "unused.png")


def test_bad_histories_are_refused():
    with pytest.raises(ValueError, match="no epochs"):
        plot.training_curves(fastnn.History())
    with pytest.raises(ValueError, match="accuracy"):
        plot.training_curves({"loss": [1, 2], "accuracy": [0.5]})
    with pytest.raises(TypeError, match="History"):
        plot.training_curves([1, 2, 3])


needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="matplotlib not installed (the plot extra)")


@needs_matplotlib
def test_history_from_fit_to_png(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 3)), rng.integers(0, 2, 60)
    history = fastnn.Network([3, 4, 2], seed=0).fit(X, y, epochs=4, batch_size=10)
    path = tmp_path / "curves.png"
    figure = plot.training_curves(history, path, title="a title")
    assert path.read_bytes()[:8] == PNG
    loss_axes, accuracy_axes = figure.axes
    assert loss_axes.get_ylabel().startswith("loss") and accuracy_axes.get_ylabel() == "accuracy"
    np.testing.assert_allclose(loss_axes.lines[0].get_ydata(), history.loss)
    assert figure.get_suptitle() == "a title"


@needs_matplotlib
def test_validation_curves_are_drawn(tmp_path):
    history = {"loss": [0.9, 0.5, 0.4], "accuracy": [0.6, 0.8, 0.9],
               "val_loss": [1.0, 0.7, 0.6], "val_accuracy": [0.5, 0.7, 0.8]}
    figure = plot.training_curves(history, tmp_path / "c.png", validation_label="test")
    for axes in figure.axes:
        assert [line.get_label() for line in axes.lines] == ["training", "test"]
    np.testing.assert_allclose(figure.axes[1].lines[1].get_ydata(), [0.5, 0.7, 0.8])


@needs_matplotlib
def test_regression_history_has_one_panel(tmp_path):
    X = np.linspace(0, 1, 20).reshape(-1, 1)
    history = fastnn.Network([1, 3, 1], activation="tanh", output_activation="identity",
                             seed=0).fit(X, 2 * X, epochs=3)
    figure = plot.training_curves(history, tmp_path / "r.png")
    assert len(figure.axes) == 1


@needs_matplotlib
def test_without_path_returns_open_pyplot_figure():
    import matplotlib.pyplot as plt
    figure = plot.training_curves({"loss": [3, 2, 1]})
    assert plt.fignum_exists(figure.number)
    plt.close(figure)

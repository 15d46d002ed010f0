"""The example scripts run end to end on the real data in ../shared/data (one short run each)
and print the accuracies they are meant to show; skipped, saying so, without the data."""
import re
import sys
from pathlib import Path

import pytest

from conftest import SHARED_DATA

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))


def needs(kind):
    if not (SHARED_DATA / kind / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip(f"real {kind} not available at {SHARED_DATA / kind}")
    return str(SHARED_DATA / kind)


def final_tests(text):
    """Test accuracies (fractions) printed by the book scripts' "=> test 95.07%" lines."""
    return [float(v) / 100 for v in re.findall(r"=> test (\d+\.\d+)%", text)]


def test_book_chapter1_one_epoch(capsys):
    import book_chapter1
    data = needs("mnist")
    assert book_chapter1.main(["--data", data, "--sizes", "30", "--seeds", "1", "--epochs", "1",
                               "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "50,000 training, 10,000 validation, 10,000 test" in out
    (accuracy,) = final_tests(out)
    assert accuracy > 0.85  # one epoch of the book's [784, 30, 10] (about 90% for seed 1)


def test_book_chapter3_one_epoch(capsys):
    import book_chapter3
    data = needs("mnist")
    assert book_chapter3.main(["--data", data, "--seeds", "1", "--epochs", "1"]) == 0
    (accuracy,) = final_tests(capsys.readouterr().out)
    assert accuracy > 0.93  # cross-entropy, scaled init and L2 learn fast (about 95%)


def test_optimizers_mnist_one_epoch(capsys):
    import optimizers_mnist
    optimizers_mnist.main(["--data", needs("mnist"), "--epochs", "1"])
    rows = re.findall(r"(sgd|momentum|adam)\s+test accuracy (0\.\d+)", capsys.readouterr().out)
    assert [name for name, _ in rows] == ["sgd", "momentum", "adam"]
    assert all(float(accuracy) > 0.9 for _, accuracy in rows)


def test_fashion_mnist_sklearn_one_epoch(capsys):
    pytest.importorskip("sklearn")
    import fashion_mnist_sklearn
    assert fashion_mnist_sklearn.main(["--data", needs("fashion-mnist"), "--hidden", "32",
                                       "--max-iter", "2"]) == 0
    accuracy = re.search(r"test accuracy: (\d+\.\d+)%", capsys.readouterr().out)
    assert float(accuracy.group(1)) > 75


def test_restarts_doc003_reduced(capsys, tmp_path):
    import restarts_doc003
    png = tmp_path / "losses.png"
    assert restarts_doc003.main(["--restarts", "12", "--epochs", "60", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "12 restarts x 60 epochs" in out and png.stat().st_size > 1000
    best = float(re.search(r"final loss: best ([0-9.e+-]+)", out).group(1))
    worst = float(re.search(r"worst ([0-9.e+-]+)", out).group(1))
    assert best < worst  # the restarts end in different places; the best is reported
    X, y = restarts_doc003.problem()
    seed = int(re.search(r"\(seed (\d+)\)", out).group(1))
    alone = restarts_doc003.make(seed)
    alone.fit(X, y, epochs=60, batch_size=len(X), learning_rate=2.0)
    assert f"{alone.evaluate(X, y)['loss']:.3e}" == f"{best:.3e}"

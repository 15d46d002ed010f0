"""The ``fastnn`` command line: help, training on shipped/synthetic data, one-line errors."""
import subprocess
import sys
from pathlib import Path

import pytest

import fastnn
from fastnn import cli

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def run(capsys, *argv):
    """main() in-process: (exit status, stdout, stderr)."""
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_python_m_fastnn_help():
    done = subprocess.run([sys.executable, "-m", "fastnn", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for command in ("train", "evaluate", "bench"):
        assert command in done.stdout


def test_train_help_explains_datasets_and_defaults(capsys):
    status, out, _ = run(capsys, "train", "--help")
    assert status == 0
    for text in ("mnist-sample", "fashion-mnist", "spirals", "--hidden", "--plot", "FASTNN_DATA",
                 "examples:"):
        assert text in out


def test_train_on_the_shipped_sample_saves_and_evaluates(capsys, tmp_path):
    model = tmp_path / "sample.npz"
    status, out, err = run(capsys, "train", "--hidden", "10", "--epochs", "1", "--seed", "3",
                           "--output", str(model))
    assert status == 0, err
    assert "test accuracy:" in out and "samples/s" in out
    assert "epoch 1/1" in err  # progress goes to stderr
    accuracy = float(out.split("test accuracy:")[1].split("%")[0]) / 100
    assert accuracy > 0.6
    net = fastnn.load(model)
    assert list(net.sizes) == [784, 10, 10]
    status, out, err = run(capsys, "evaluate", str(model))
    assert status == 0, err
    assert f"test accuracy: {accuracy:.2%}" in out


def test_train_xor_quietly(capsys):
    status, out, err = run(capsys, "train", "xor", "--epochs", "1", "--no-progress",
                           "--engine", "numpy")
    assert status == 0, err
    assert "test accuracy:" in out and "[2, 4, 2]" in out
    assert err == ""


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist not present")
def test_train_real_mnist_one_small_epoch(capsys):
    status, out, err = run(capsys, "train", "mnist", "--data", str(SHARED_MNIST), "--hidden",
                           "10", "--epochs", "1", "--validation-size", "55000", "--no-progress")
    assert status == 0, err
    assert "5,000 training, validation 55,000, 10,000 test" in out


def test_plot_option_writes_png(capsys, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib not installed (the plot extra)")
    image = tmp_path / "curves.png"
    status, out, err = run(capsys, "train", "xor", "--epochs", "3", "--plot", str(image))
    assert status == 0, err
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    status, _, err = run(capsys, "train", "xor", "--epochs", "1", "--no-progress",
                         "--plot", str(tmp_path / "c.png"))
    assert status == 2
    assert err.count("\n") == 1 and "fastnn[plot]" in err


@pytest.mark.parametrize("argv, says", [
    ([], "COMMAND"),
    (["fly"], "invalid choice"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--epochs", "many"], "--epochs"),
    (["train", "cifar"], "invalid choice"),
    (["train", "--sizes", "784", "30", "9"], "--sizes"),
    (["train", "--hidden", "0"], "--hidden"),
    (["train", "--hidden", "5", "--sizes", "784", "5", "10"], "not both"),
    (["train", "--activation", "softsign"], "--activation"),
    (["train", "-lr", "-1"], "--learning-rate"),
    (["train", "xor", "--data", "/tmp"], "--data"),
    (["train", "mnist", "--data", "/no/such/folder"], "not found"),
    (["train", "mnist", "--data", "/no/such/folder"], "--data DIR"),
    (["train", "--cost", "log_likelihood", "--output-activation", "sigmoid"], "softmax"),
    (["evaluate", "/no/such/model.npz"], "no fastnn network file"),
    (["train", "xor", "-o", "/no/such/folder/m.npz"], "--output '/no/such/folder/m.npz': folder"),
    (["train", "xor", "--plot", "/no/such/folder/c.png"], "--plot"),
])
def test_bad_arguments_give_one_line_and_status_2(capsys, argv, says):
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert err.count("\n") == 1, err
    assert says in err and "Traceback" not in err


def test_bench_without_report_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr(cli, "find_benchmarks", lambda: (None, None))
    status, _, err = run(capsys, "bench")
    assert status == 2 and err.count("\n") == 1 and "benchmark" in err


def test_bench_delegates_with_arguments(capfd, monkeypatch, tmp_path):
    report = tmp_path / "report.py"
    report.write_text("import sys\nprint('report got', sys.argv[1:])\nsys.exit(3)\n")
    monkeypatch.setattr(cli, "find_benchmarks", lambda: ([sys.executable, str(report)], tmp_path))
    assert cli.main(["bench", "--", "--fast"]) == 3  # the report's own exit status
    assert "report got ['--fast']" in capfd.readouterr().out


def test_find_benchmarks_prefers_python_m_benchmarks(tmp_path, monkeypatch):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "report.py").write_text("")
    monkeypatch.chdir(tmp_path)
    command, root = cli.find_benchmarks()
    assert root == tmp_path and command[-1].endswith("report.py")
    (tmp_path / "benchmarks" / "__main__.py").write_text("")
    command, root = cli.find_benchmarks()
    assert command[1:] == ["-m", "benchmarks"]


def test_unwritable_output_is_refused_before_training(capsys, monkeypatch):
    """A bad --output folder is an error before the data is loaded, not after the training."""
    monkeypatch.setattr(cli, "load_dataset", lambda *a: pytest.fail("loaded data"))
    status, out, err = run(capsys, "train", "xor", "-o", "/no/such/folder/m.npz")
    assert status == 2 and err.count("\n") == 1 and "does not exist" in err

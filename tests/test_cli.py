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


SAMPLE_MNIST = Path(fastnn.__file__).resolve().parent / "data" / "mnist-sample"
"""The MNIST sample shipped with fastnn: MNIST's file names, so a ``--data`` folder too."""


def test_train_mnist_from_a_data_folder_one_small_epoch(capsys):
    """The shipped sample's folder (it holds MNIST's files: 5,000 and 1,000 digits), and real
    MNIST from ../shared/data too when it is there."""
    folders = [(SAMPLE_MNIST, "4500", "500 training, validation 4,500, 1,000 test")]
    if SHARED_MNIST.is_dir():
        folders.append((SHARED_MNIST, "55000", "5,000 training, validation 55,000, 10,000 test"))
    for folder, validation, expected in folders:
        status, out, err = run(capsys, "train", "mnist", "--data", str(folder), "--hidden",
                               "10", "--epochs", "1", "--validation-size", validation,
                               "--no-progress")
        assert status == 0, err
        assert expected in out


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


# --- issue 16: the command line never loses a finished run ---------------------------------

def _no_training(monkeypatch):
    """Make loading the data (the first step of training) fail the test."""
    monkeypatch.setattr(cli, "load_dataset", lambda *a: pytest.fail("trained before refusing"))


def test_character_device_output_is_refused_before_training(capsys, monkeypatch, tmp_path):
    import os
    import stat
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as error:
        pytest.skip(f"cannot create a character device ({error}); needs root")
    _no_training(monkeypatch)
    status, _, err = run(capsys, "train", "xor", "-o", str(device))
    assert status == 2 and err.count("\n") == 1
    assert "character device" in err and str(device) in err
    assert stat.S_ISCHR(os.stat(device).st_mode)  # not replaced by a zip file


@pytest.mark.parametrize("case", ["proc", "directory", "file as folder", "plot suffix",
                                  "plot directory", "plot no suffix", "same path",
                                  "hard link"])
def test_bad_output_paths_are_refused_before_training(capsys, monkeypatch, tmp_path, case):
    import os
    (tmp_path / "somedir").mkdir()
    (tmp_path / "plain").write_text("x")
    model, plot = str(tmp_path / "m.npz"), None
    if case == "proc":
        model = "/proc/fastnn-m.npz"
    elif case == "directory":
        model = str(tmp_path / "somedir")
    elif case == "file as folder":
        model = str(tmp_path / "plain" / "m.npz")
    elif case == "plot suffix":
        plot = str(tmp_path / "curves.xyz")
    elif case == "plot directory":
        (tmp_path / "dir.png").mkdir()
        plot = str(tmp_path / "dir.png")
    elif case == "plot no suffix":
        plot = str(tmp_path / "somedir")
    elif case == "same path":
        model = plot = str(tmp_path / "same.png")
    else:
        (tmp_path / "a.png").write_text("x")
        os.link(tmp_path / "a.png", tmp_path / "b.png")
        model, plot = str(tmp_path / "a.png"), str(tmp_path / "b.png")
    if plot is not None:
        pytest.importorskip("matplotlib", reason="matplotlib not installed (the plot extra)")
    _no_training(monkeypatch)
    argv = ["train", "xor", "-o", model] + (["--plot", plot] if plot else [])
    status, out, err = run(capsys, *argv)
    assert status == 2 and err.count("\n") == 1, err
    assert ".fastnn-" not in err and "Traceback" not in err
    named = plot if case.startswith("plot") else model
    assert named in err
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(
        ("somedir", "plain", "dir.png", "a.png", "b.png"))) == []  # nothing written


def _train_subprocess(tmp_path, stdout, *extra):
    model = tmp_path / "m.npz"
    done = subprocess.run([sys.executable, "-m", "fastnn", "train", "xor", "--epochs", "3",
                           "--engine", "numpy", "-o", str(model), *extra], cwd=tmp_path,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    return done, model


def test_a_closed_stdout_never_prevents_the_save(tmp_path):
    import os
    read, write = os.pipe()
    os.close(read)  # like '| head -0': every write to stdout fails with EPIPE
    try:
        done, model = _train_subprocess(tmp_path, write)
    finally:
        os.close(write)
    assert done.returncode == 1, done.stderr
    assert "Broken pipe" in done.stderr and f"network saved to {model}" in done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
    assert list(fastnn.load(model).sizes) == [2, 4, 2]


def test_a_full_stdout_never_prevents_the_save(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        done, model = _train_subprocess(tmp_path, full)
    assert done.returncode == 1, done.stderr
    assert "No space left on device" in done.stderr and str(model) in done.stderr
    fastnn.load(model)


def test_the_model_is_saved_before_results_are_printed(capsys, monkeypatch, tmp_path):
    def failing_save(self, path):
        raise OSError(28, f"cannot save to {path!r}: No space left on device")
    monkeypatch.setattr(fastnn.Network, "save", failing_save)
    status, out, err = run(capsys, "train", "xor", "--epochs", "2", "--engine", "numpy",
                           "--no-progress", "-o", str(tmp_path / "m.npz"))
    assert status == 2 and "No space left" in err and "m.npz" in err
    assert "test accuracy" not in out  # nothing reported as done before the model was kept


def test_a_failing_plot_still_reports_the_saved_model(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib not installed (the plot extra)")
    import fastnn.plot
    monkeypatch.setattr(fastnn.plot, "training_curves",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("plot failed")))
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", "xor", "--epochs", "2", "--engine", "numpy",
                         "--no-progress", "-o", str(model), "--plot", str(tmp_path / "c.png"))
    assert status == 2 and "plot failed" in err and f"network saved to {model}" in err
    fastnn.load(model)


def test_evaluate_a_regression_network_reports_loss_only(capsys, tmp_path):
    """One output fitted to the digit's value (0-9): a regression, no accuracy to report."""
    net = fastnn.Network([784, 3, 1], activation="tanh", output_activation="identity", seed=0,
                         engine="numpy")
    model = tmp_path / "regression.npz"
    net.save(model)
    status, out, err = run(capsys, "evaluate", str(model), "mnist-sample")
    assert status == 0, err
    assert "test loss:" in out and "accuracy" not in out.replace("no accuracy", "")
    loss = float(out.split("test loss:")[1].split()[0])
    _, (X_test, y_test) = fastnn.datasets.load_mnist_sample()
    assert loss == pytest.approx(net.evaluate(X_test, y_test)["loss"], rel=1e-3)


@pytest.mark.parametrize("hidden, says", [("1000000000000", "more than fastnn allows"),
                                          ("100000000", "more than this machine's memory")])
def test_unallocatable_sizes_are_one_line(capsys, hidden, says):
    if "memory" in says:
        import os
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        if 8 * 784 * 10**8 < memory:
            pytest.skip("this machine could hold the network")
    status, _, err = run(capsys, "train", "--hidden", hidden, "--engine", "numpy")
    assert status == 2 and err.count("\n") == 1 and says in err and "Traceback" not in err


def test_losses_are_printed_in_g_style():
    assert cli._scores("test", {"loss": 2.3456e299}, 4) .startswith("test loss: 2.346e+299")
    line = cli._scores("test", {"loss": 0.012345678, "accuracy": 0.5}, 4)
    assert line == "test accuracy: 50.00% (2 of 4)  test loss: 0.01235"


def test_divergence_is_one_line_and_status_1(capsys, tmp_path):
    model = tmp_path / "m.npz"
    status, out, err = run(capsys, "train", "xor", "--engine", "numpy", "-lr", "1e300",
                           "--output-activation", "identity", "--cost", "quadratic",
                           "--no-progress", "-o", str(model))
    assert status == 1 and err.count("\n") == 1 and "diverged in epoch" in err
    assert len(err) < 400 and not model.exists()


def test_progress_lines_come_from_the_training_progress_bar(capsys):
    status, _, err = run(capsys, "train", "xor", "--epochs", "100", "--engine", "numpy")
    assert status == 0
    lines = [line for line in err.splitlines() if "epoch" in line]
    assert 15 <= len(lines) <= 21 and lines[-1].lstrip().startswith("epoch 100/100")
    assert "val_loss" in lines[-1] and "samples/s" in lines[-1]
    assert not hasattr(cli, "Progress")  # one progress bar: fastnn.training.callbacks'


def test_train_goes_through_network_fit_once(capsys, monkeypatch):
    calls = []
    real_fit = fastnn.Network.fit

    def counting_fit(self, *args, **kwargs):
        calls.append(kwargs)
        return real_fit(self, *args, **kwargs)
    monkeypatch.setattr(fastnn.Network, "fit", counting_fit)
    status, _, _ = run(capsys, "train", "xor", "--epochs", "7", "--engine", "numpy",
                       "--optimizer", "adam", "--l2", "0.5", "--no-progress")
    assert status == 0 and len(calls) == 1
    assert calls[0]["epochs"] == 7 and calls[0]["optimizer"] == "adam"
    assert calls[0]["l2"] == 0.5 and calls[0]["validation_data"] is not None


@pytest.mark.parametrize("option, text", [("--epochs", "1e3"), ("--epochs", "-2"),
                                          ("--seed", "-1"), ("-lr", "nan"), ("-lr", "inf"),
                                          ("--l2", "-0.1"), ("--batch-size", "0")])
def test_argument_validators_are_the_librarys(capsys, option, text):
    status, _, err = run(capsys, "train", "xor", option, text)
    assert status == 2 and err.count("\n") == 1 and "expected" in err and repr(text) in err

"""The ``fastnn`` command: train a network on a data set, evaluate a saved one, benchmark.

    fastnn train                       # [784, 30, 10] on the MNIST sample shipped with fastnn
    fastnn train mnist --data ~/mnist --hidden 100 --epochs 30 --output mnist.npz --plot curves.png
    fastnn evaluate mnist.npz mnist --data ~/mnist
    fastnn bench                       # the benchmark report (from a source checkout)

Also runnable as ``python -m fastnn``. Results go to standard output, progress to standard
error. A bad argument, a missing data file or a value fastnn refuses prints one line on
standard error and exits with status 2 (``FASTNN_DEBUG=1`` shows the traceback instead).

``fastnn train`` never throws a finished run away: every output path (``--output``,
``--plot``) is checked before the data is loaded (its folder can take a new file, an existing
target is a regular file, the plot format is one matplotlib writes, no two outputs share a
path); the model is saved before any result is printed; and a closed or full standard output
(``| head``, a full disk) stops the printing, never the saving: the run then ends with one
line on standard error naming what was saved, and exit status 1.
"""
import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .core import validation

DATASETS = {
    # name: defaults of the training options, chosen so that the default run works well
    "mnist-sample": dict(hidden=[30], activation="sigmoid", cost="quadratic", learning_rate=3.0,
                         batch_size=10, epochs=10, init="scaled_normal"),
    "mnist": dict(hidden=[30], activation="sigmoid", cost="quadratic", learning_rate=3.0,
                  batch_size=10, epochs=10, init="scaled_normal"),
    "fashion-mnist": dict(hidden=[100], activation="sigmoid", cost="quadratic",
                          learning_rate=3.0, batch_size=10, epochs=10, init="scaled_normal"),
    "xor": dict(hidden=[4], activation="tanh", output_activation="sigmoid",
                cost="cross_entropy", learning_rate=1.0, batch_size=4, epochs=500,
                init="normal"),
    "spirals": dict(hidden=[32, 32], activation="tanh", output_activation="softmax",
                    cost="log_likelihood", learning_rate=0.1, batch_size=10, epochs=300,
                    init="scaled_normal"),
}
DESCRIPTIONS = {
    "mnist-sample": "5,000 training / 1,000 test MNIST digits shipped inside fastnn",
    "mnist": "MNIST digits (60,000 / 10,000) from --data or $FASTNN_DATA",
    "fashion-mnist": "Fashion-MNIST clothes (60,000 / 10,000) from --data or $FASTNN_DATA",
    "xor": "the four XOR points (the classic non-linearly-separable problem)",
    "spirals": "two interleaved spirals, 1,000 training / 1,000 test points",
}


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors instead of usage + error + exit."""

    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def _argument(parse, check, expected):
    """An argparse ``type``: ``parse`` the text, then ``check(name, value)`` with one of the
    validators of ``fastnn.core.validation``; either failing is argparse's one-line error."""
    def convert(text):
        try:
            return check("value", parse(text))
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    convert.__name__ = check.__name__
    return convert


_positive_int = _argument(int, validation.positive_int, "a positive integer")
_nonnegative_int = _argument(int, validation.non_negative_int, "an integer >= 0")
_positive_float = _argument(float, validation.positive_float, "a positive, finite number")
_nonnegative_float = _argument(float, validation.non_negative_float, "a finite number >= 0")


def _names():
    """Choices for the options, from the library's own tables."""
    from .core import activations, costs, structure
    from .training.optimizers import OPTIMIZERS
    return dict(activation=activations.HIDDEN_NAMES, output=activations.OUTPUT_NAMES,
                cost=tuple(costs.CODES), init=structure.INITS, optimizer=tuple(OPTIMIZERS))


# --- the parser -----------------------------------------------------------------------------

def build_parser():
    names = _names()
    parser = _Parser(
        prog="fastnn",
        description="Feed-forward neural networks trained by backpropagation "
                    "(textbook loops compiled with numba).",
        epilog="Run 'fastnn COMMAND --help' for the options of a command. Quick start:\n"
               "  fastnn train                      "
               "# trains on the MNIST sample shipped with fastnn\n"
               "  fastnn train mnist --data DIR     # the full MNIST files in DIR",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"fastnn {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    datasets = "\n".join(f"  {name:14s} {text}" for name, text in DESCRIPTIONS.items())
    defaults = "\n".join(
        f"  {name:14s} --hidden {' '.join(map(str, d['hidden']))} --activation {d['activation']}"
        f" --cost {d['cost']} -lr {d['learning_rate']:g} --batch-size {d['batch_size']}"
        f" --epochs {d['epochs']}" for name, d in DATASETS.items())
    train = commands.add_parser(
        "train", help="train a network on a data set and report its test accuracy",
        description="Train a fully connected network on a data set by mini-batch gradient "
                    "descent, then print its accuracy on the test set and the training "
                    "speed in samples per second.",
        epilog=f"data sets:\n{datasets}\n\ndefaults per data set (any option overrides them):\n"
               f"{defaults}\n\n"
               "MNIST and Fashion-MNIST are read from the four standard files\n"
               "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
               "t10k-images-idx3-ubyte.gz,\n"
               "t10k-labels-idx1-ubyte.gz) in --data or $FASTNN_DATA; nothing is downloaded.\n\n"
               "examples:\n"
               "  fastnn train\n"
               "  fastnn train mnist --data ~/mnist --hidden 100 --epochs 30 -o mnist.npz\n"
               "  fastnn train fashion-mnist --data ~/fashion --plot curves.png\n"
               "  fastnn train spirals --hidden 64 64 --optimizer adam -lr 0.01",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("dataset", nargs="?", default="mnist-sample", choices=list(DATASETS),
                       metavar="DATASET", help="one of: " + ", ".join(DATASETS) +
                       " (default: mnist-sample)")
    train.add_argument("--data", metavar="DIR",
                       help="folder holding the MNIST / Fashion-MNIST files "
                            "(default: $FASTNN_DATA)")
    shape = train.add_argument_group("network")
    shape.add_argument("--hidden", type=_positive_int, nargs="+", metavar="N",
                       help="hidden layer sizes, e.g. --hidden 100 or --hidden 64 32 "
                            "(input and output sizes come from the data)")
    shape.add_argument("--sizes", type=_positive_int, nargs="+", metavar="N",
                       help="all layer sizes, input first, e.g. --sizes 784 30 10 "
                            "(instead of --hidden; must fit the data)")
    shape.add_argument("--activation", choices=names["activation"],
                       help="hidden-layer activation")
    shape.add_argument("--output-activation", choices=names["output"],
                       help="output-layer activation (default: the cost's, else --activation)")
    shape.add_argument("--cost", choices=names["cost"], help="cost function")
    shape.add_argument("--init", choices=names["init"], help="weight initialisation")
    shape.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                       help="floating-point type of weights and arithmetic (default: float64)")
    shape.add_argument("--engine", choices=["numba", "numba-plain", "numpy"], default="numba",
                       help="numba: compiled loop kernels; numba-plain: the plain per-equation "
                            "loop kernels; numpy: the vectorised reference (default: numba)")
    training = train.add_argument_group("training")
    training.add_argument("--optimizer", choices=names["optimizer"], default="sgd",
                          help="update rule (default: sgd)")
    training.add_argument("--epochs", type=_positive_int, metavar="N")
    training.add_argument("--batch-size", type=_positive_int, metavar="M",
                          help="samples per update (1: per-sample SGD)")
    training.add_argument("--learning-rate", "-lr", "--eta", type=_positive_float, metavar="ETA",
                          dest="learning_rate")
    training.add_argument("--l2", type=_nonnegative_float, default=0.0, metavar="LAMBDA",
                          help="L2 regularisation lambda, the book's (lambda/2n) sum w^2 "
                               "(default: 0)")
    training.add_argument("--validation-size", type=_nonnegative_int, metavar="N",
                          help="MNIST / Fashion-MNIST: hold out the last N training images and "
                               "report accuracy on them every epoch (default: 10000, the "
                               "book's split; 0 trains on all 60,000)")
    training.add_argument("--seed", type=_nonnegative_int, default=0,
                          help="random seed of initialisation, shuffling and toy data (default: 0)")
    training.add_argument("--threads", type=_positive_int, metavar="N",
                          help="threads of the numba engine (default: numba's, one per core)")
    out = train.add_argument_group("output")
    out.add_argument("--output", "-o", metavar="PATH", help="save the trained network there "
                     "(load it with fastnn.load or 'fastnn evaluate')")
    out.add_argument("--plot", metavar="PATH", help="save training curves (loss and accuracy per "
                     "epoch) as an image whose format the suffix names (.png, .pdf, .svg, ...); "
                     "needs matplotlib ('pip install fastnn[plot]')")
    out.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=run_train)

    evaluate = commands.add_parser(
        "evaluate", help="report a saved network's accuracy on a data set's test images",
        description="Load a network saved with 'fastnn train --output' (or Network.save) and "
                    "print its loss and accuracy on the test set of a data set.",
        epilog="example:\n  fastnn evaluate mnist.npz mnist --data ~/mnist",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    evaluate.add_argument("model", metavar="MODEL", help="file written by Network.save")
    evaluate.add_argument("dataset", nargs="?", default="mnist-sample", choices=list(DATASETS),
                          metavar="DATASET", help="data set whose test split to use "
                          "(default: mnist-sample)")
    evaluate.add_argument("--data", metavar="DIR", help="folder of the MNIST files")
    evaluate.add_argument("--engine", choices=["numba", "numba-plain", "numpy"],
                          help="engine to evaluate with (default: the saved one)")
    evaluate.add_argument("--seed", type=_nonnegative_int, default=0,
                          help="seed of the toy data sets' test points (default: 0)")
    evaluate.set_defaults(run=run_evaluate)

    bench = commands.add_parser(
        "bench", help="run the benchmark report (engines, peers, GFLOP/s)",
        description="Run fastnn's benchmark report (benchmarks/report.py in a source checkout, "
                    "run as 'python -m benchmarks'). Everything after 'bench' is passed to it; "
                    "'fastnn bench -- --help' shows its own options.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("arguments", nargs=argparse.REMAINDER, metavar="...",
                       help="options of the benchmark report")
    bench.set_defaults(run=run_bench)
    _add_compile_command(commands)
    return parser


def _add_compile_command(commands):
    """``fastnn compile``: the numba engine compiled ahead of time (``fastnn.precompile``)."""
    command = commands.add_parser(
        "compile", help="compile the numba engine ahead of time (images, CI, cluster workers)",
        description="Compile the numba engine's loops once and store them in numba's cache "
                    "(NUMBA_CACHE_DIR, or __pycache__ beside fastnn), so that no later run "
                    "waits for compilation. 'both' compiles the two dtypes in two processes.")
    command.add_argument("--dtype", choices=["float32", "float64", "both"], default="both",
                         help="which dtype's code to compile (default: both)")
    command.add_argument("--plain", action="store_true",
                         help="also the plain per-equation kernels (engine='numba-plain')")
    command.set_defaults(run=run_compile)


def run_compile(args, out):
    from .precompile import run
    return run(args.dtype, args.plain, out)


def _version():
    from . import __version__
    return __version__


# --- data -----------------------------------------------------------------------------------

def load_dataset(name, data=None, validation_size=None, seed=0, dtype="float64"):
    """``(train, held_out, held_out_name, test)`` as (X, y) pairs; ``held_out`` may be None."""
    from . import datasets
    if name in ("mnist", "fashion-mnist"):
        if validation_size is None:
            validation_size = 10000
        try:
            splits = datasets.load_mnist(data, kind=name,
                                         validation_size=validation_size or None, dtype=dtype)
        except FileNotFoundError as error:
            raise FileNotFoundError(f"{error} On the command line: --data DIR.") from None
        if validation_size:
            train, validation, test = splits
            return train, validation, "validation", test
        train, test = splits
        return train, None, None, test
    if data is not None:
        raise ValueError(f"--data applies to mnist and fashion-mnist, not {name}")
    if validation_size:
        raise ValueError(f"--validation-size applies to mnist and fashion-mnist, not {name}")
    if name == "mnist-sample":
        train, test = datasets.load_mnist_sample(dtype=dtype)
    elif name == "xor":
        train = test = datasets.make_xor(dtype=dtype)
    else:
        train = datasets.make_spirals(1000, seed=seed, dtype=dtype)
        test = datasets.make_spirals(1000, seed=seed + 1, dtype=dtype)
    return train, None, None, test


# --- train ----------------------------------------------------------------------------------

def _network_sizes(args, defaults, n_features, n_classes):
    if args.sizes is not None:
        if args.hidden is not None:
            raise UsageError("fastnn train: error: give --sizes or --hidden, not both")
        sizes = list(args.sizes)
        if len(sizes) < 2 or sizes[0] != n_features or sizes[-1] != n_classes:
            raise ValueError(f"--sizes {' '.join(map(str, sizes))} does not fit {args.dataset}: "
                             f"it needs {n_features} inputs and {n_classes} outputs, e.g. "
                             f"--sizes {n_features} {' '.join(map(str, defaults['hidden']))} "
                             f"{n_classes}")
        return sizes
    hidden = args.hidden if args.hidden is not None else defaults["hidden"]
    return [n_features, *hidden, n_classes]


def plot_formats():
    """The image formats matplotlib writes (``savefig`` infers one from the suffix)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("--plot needs matplotlib: pip install 'fastnn[plot]' "
                          "(or pip install matplotlib)") from error
    return Figure().canvas.get_supported_filetypes()


def check_outputs(args):
    """Check every output path before anything is trained (the model file layer's own
    check: folder, regular-file target, a probe file created and removed), the plot's
    format, and that no two outputs share a file. Returns nothing; raises one-line errors."""
    from .io import model_file
    targets = {}
    for option, path in (("--output", args.output), ("--plot", args.plot)):
        if path is None:
            continue
        if option == "--plot":
            formats = plot_formats()
            suffix = os.path.splitext(path)[1][1:].lower()
            if suffix not in formats:
                got = f"suffix .{suffix}" if suffix else "no suffix"
                raise ValueError(f"--plot {path}: {got}; the suffix names the image format, "
                                 f"one of {', '.join('.' + name for name in sorted(formats))}")
        real, status = model_file.check_target(path, what=f"write {option}")
        for other, (other_path, other_real, other_status) in targets.items():
            same = real == other_real or (
                status is not None and other_status is not None
                and os.path.samestat(status, other_status))
            if same:
                raise ValueError(f"{other} {other_path} and {option} {path} name the same "
                                 f"file: the second would overwrite the first")
        targets[option] = (path, real, status)


class _Output:
    """Standard output that stops writing at the first failure (a closed pipe, a full disk)
    and remembers it, so that the command goes on (and has saved its model) regardless."""

    def __init__(self, stream):
        self.stream, self.error = stream, None

    def write(self, text):
        if self.error is None:
            try:
                self.stream.write(text)
            except (OSError, ValueError) as error:  # ValueError: a closed file object
                self.error = error
        return len(text)

    def flush(self):
        if self.error is None:
            try:
                self.stream.flush()
            except (OSError, ValueError) as error:
                self.error = error


def run_train(args, out):
    from .core.costs import REQUIRED_OUTPUT
    from .network import Network
    defaults = DATASETS[args.dataset]
    options = {name: getattr(args, name) if getattr(args, name) is not None else defaults[name]
               for name in ("activation", "cost", "init", "epochs", "batch_size",
                            "learning_rate")}
    output_activation = args.output_activation or REQUIRED_OUTPUT.get(
        options["cost"], defaults.get("output_activation") if args.cost is None else None)
    if args.threads is not None and args.engine == "numba":
        import numba
        if args.threads > numba.config.NUMBA_NUM_THREADS:
            raise ValueError(f"--threads {args.threads} is more than the "
                             f"{numba.config.NUMBA_NUM_THREADS} numba started with (set "
                             f"NUMBA_NUM_THREADS to raise the limit)")
        numba.set_num_threads(args.threads)
    check_outputs(args)  # before the data is loaded and the network trained, not after

    started = time.perf_counter()
    (X, y), held_out, held_out_name, (X_test, y_test) = load_dataset(
        args.dataset, args.data, args.validation_size, args.seed, args.dtype)
    n_classes = int(max(y.max(), y_test.max())) + 1
    sizes = _network_sizes(args, defaults, X.shape[1], n_classes)
    net = Network(sizes, activation=options["activation"], output_activation=output_activation,
                  cost=options["cost"], init=options["init"], dtype=args.dtype, seed=args.seed,
                  engine=args.engine)
    curve_set = held_out if held_out is not None else (X_test, y_test)
    curve_name = held_out_name or "test"
    held = f", {held_out_name} {len(held_out[1]):,}" if held_out else ""
    print(f"{args.dataset}: {len(y):,} training{held}, {len(y_test):,} test samples "
          f"(loaded in {time.perf_counter() - started:.1f} s)", file=out)
    print(f"{net}\noptimizer {args.optimizer}, learning rate {options['learning_rate']:g}, "
          f"mini-batch {options['batch_size']}, {options['epochs']} epochs"
          + (f", L2 lambda {args.l2:g}" if args.l2 else "")
          + f"; val_ in the progress lines is the {curve_name} set", file=out, flush=True)

    try:
        with _exit_on_interrupt_before_first_epoch(net):
            history = net.fit(X, y, epochs=options["epochs"], batch_size=options["batch_size"],
                              learning_rate=options["learning_rate"], optimizer=args.optimizer,
                              l2=args.l2, validation_data=curve_set,
                              progress=False if args.no_progress else "lines")
    except KeyboardInterrupt as interrupt:
        # fit left the network at the end of its last whole epoch (and says how many)
        done = len(getattr(interrupt, "history", None) or ())
        if done and args.output:
            net.save(args.output)
            out.saved = [f"the {done} whole epoch{'s' if done != 1 else ''} trained saved to "
                         f"{args.output}"]
        else:
            out.nothing_saved = ("no --output was given" if done else
                                 "no epoch had finished")
        raise
    # the results exist: keep them first, then report them
    saved = out.saved = []  # an error after a save still reports it
    if args.output:
        net.save(args.output)
        saved.append(f"network saved to {args.output}")
    if args.plot:
        from .plot import training_curves
        training_curves(history, args.plot, validation_label=curve_name,
                        title=f"{args.dataset}: {list(sizes)}, {options['activation']}, "
                              f"{options['cost']}, {args.optimizer} "
                              f"lr={options['learning_rate']:g}")
        saved.append(f"training curves saved to {args.plot}")

    test = net.evaluate(X_test, y_test)
    training_seconds = sum(history.seconds)
    samples_per_second = len(y) * len(history) / max(training_seconds, 1e-12)
    print(_scores("test", test, len(y_test)), file=out)
    print(f"training: {len(history)} epochs in {training_seconds:.1f} s, "
          f"{samples_per_second:,.0f} samples/s ({args.engine} engine)", file=out)
    for line in saved:
        print(line, file=out)
    return 0


def _scores(name, scores, n):
    """``test accuracy: 95.12% (9,512 of 10,000)  test loss: 0.0123`` or, for a network without
    classes (regression), the loss alone; losses in %g style (a diverging float64 run must not
    print 300 digits)."""
    loss = f"{name} loss: {scores['loss']:.4g}"
    if "accuracy" not in scores:
        return f"{loss} ({n:,} samples; a regression network: no accuracy)"
    correct = round(scores["accuracy"] * n)
    return f"{name} accuracy: {scores['accuracy']:.2%} ({correct:,} of {n:,})  {loss}"


def run_evaluate(args, out):
    from .network import load
    net = load(args.model, engine=args.engine)
    dtype = net.dtype.name
    _, _, _, (X_test, y_test) = load_dataset(args.dataset, args.data, None, args.seed, dtype)
    if X_test.shape[1] != net.topology.n_inputs:
        raise ValueError(f"{args.model} takes {net.topology.n_inputs} inputs but {args.dataset} "
                         f"has {X_test.shape[1]} features")
    scores = net.evaluate(X_test, y_test)
    print(f"{net}", file=out)
    print(f"{args.dataset} {_scores('test', scores, len(y_test))}", file=out)
    return 0


# --- bench ----------------------------------------------------------------------------------

def find_benchmarks():
    """The benchmark report's command, from the current folder or the source checkout that
    holds this package; None when neither has one."""
    here = Path(__file__).resolve().parent.parent
    for root in dict.fromkeys([Path.cwd(), here]):
        folder = root / "benchmarks"
        if (folder / "__main__.py").is_file():
            return [sys.executable, "-m", "benchmarks"], root
        if (folder / "report.py").is_file():
            return [sys.executable, str(folder / "report.py")], root
    return None, None


def run_bench(args, out):
    command, root = find_benchmarks()
    if command is None:
        raise FileNotFoundError(
            "the benchmark report is not here: it lives in benchmarks/ of fastnn's source "
            "checkout (not in the installed package); run 'fastnn bench' from the checkout")
    arguments = list(args.arguments)
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    out.flush()
    return subprocess.run(command + arguments, cwd=root, env=env).returncode


# --- main -----------------------------------------------------------------------------------

def main(argv=None, out=None):
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    stream = out or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(error, file=sys.stderr)
        return 2
    except SystemExit as done:  # --help, --version
        return done.code if isinstance(done.code, int) else 0
    prog = f"fastnn {args.command}"
    out = _Output(stream)
    out.saved = []
    try:
        status = args.run(args, out)
    except UsageError as error:
        print(error, file=sys.stderr)
        return 2
    except (ValueError, TypeError, FileNotFoundError, ImportError, OSError,
            MemoryError, OverflowError) as error:
        if os.environ.get("FASTNN_DEBUG"):
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{prog}: error: {message}{_kept(out)}", file=sys.stderr)
        return 2
    except FloatingPointError as error:  # fastnn.TrainingDiverged
        if os.environ.get("FASTNN_DEBUG"):
            raise
        print(f"{prog}: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        saved = getattr(out, "saved", None)
        reason = getattr(out, "nothing_saved", None)
        said = (f"; {'; '.join(saved)}" if saved else
                f"; nothing was saved ({reason})" if reason else "; nothing was saved")
        print(f"\n{prog}: interrupted{said}", file=sys.stderr)
        return 130
    if out.error is not None:
        if stream is sys.__stdout__:
            _silence_stdout()
        reason = getattr(out.error, "strerror", None) or str(out.error)
        print(f"{prog}: standard output failed ({reason}); results not shown{_kept(out)}",
              file=sys.stderr)
        return 1
    return status


@contextlib.contextmanager
def _exit_on_interrupt_before_first_epoch(net):
    """Ctrl-C before the first epoch ends (in practice: during numba's first compilation,
    minutes of LLVM in C, where Python's KeyboardInterrupt waits until the compiler comes
    back) ends the process at once, saying nothing was saved: a thread woken by the signal
    (``signal.set_wakeup_fd``, written by the C-level handler) exits with status 130. Once
    an epoch has finished the thread leaves the signal to ``fit``, which keeps the work.
    Main thread only (elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        previous = signal.set_wakeup_fd(write_end)
    except (ValueError, OSError):
        os.close(read_end)
        os.close(write_end)
        yield
        return
    start = net.optimizer.epochs if net.optimizer is not None else 0
    finished = threading.Event()

    def watch():
        while True:
            try:
                data = os.read(read_end, 64)
            except OSError:
                return
            if not data or finished.is_set():
                return
            opt = net.optimizer
            if signal.SIGINT in data and (opt is None or opt.epochs <= start):
                print("\nfastnn train: interrupted before the first epoch ended (while "
                      "compiling); nothing was saved", file=sys.stderr, flush=True)
                os._exit(130)

    watcher = threading.Thread(target=watch, name="fastnn-interrupt", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        signal.set_wakeup_fd(previous)
        os.close(write_end)  # the watcher reads end-of-file and returns
        watcher.join()
        os.close(read_end)


def _kept(out):
    """What was saved before an error, for the error line (nothing is lost silently)."""
    saved = getattr(out, "saved", None)
    return f" ({'; '.join(saved)})" if saved else ""


def _silence_stdout():
    """Point file descriptor 1 at /dev/null, so that the interpreter's flush at exit does not
    fail again on the broken pipe or full disk (and print "Exception ignored")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

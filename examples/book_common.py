"""What the book-reproduction scripts share: options, data, the epoch loop and the summary.

Not a fastnn API: a helper for ``book_chapter1.py`` and ``book_chapter3.py`` (run them, not
this file).
"""
import argparse
import os
import statistics
import time
from pathlib import Path

from fastnn.datasets import load_mnist

CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
"""The data folder beside a source checkout of the project (used when nothing else is set)."""


def parser(description, epochs, learning_rate, seeds):
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=epochs, help=f"default: {epochs}, the book's")
    p.add_argument("--batch-size", type=int, default=10, help="default: 10, the book's")
    p.add_argument("--learning-rate", "--eta", type=float, default=learning_rate,
                   help=f"default: {learning_rate}, the book's")
    p.add_argument("--engine", choices=["numba", "numpy"], default="numba")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--seeds", type=int, nargs="+", default=seeds,
                   help=f"one run per seed (default: {' '.join(map(str, seeds))})")
    p.add_argument("--threads", type=int, default=None,
                   help="numba threads (default: all of numba's; the first layer runs in "
                        "parallel, the results are the same bits for any count)")
    p.add_argument("--data", default=None,
                   help="folder with the four MNIST files (default: $FASTNN_DATA, else "
                        "../shared/data/mnist beside the checkout)")
    return p


def load(args):
    """The book's split: train on the first 50,000 training images, validate on the last
    10,000, test on the 10,000 t10k images."""
    if args.threads:
        import numba
        numba.set_num_threads(args.threads)
    folder = args.data
    if folder is None and not os.environ.get("FASTNN_DATA") and CHECKOUT_DATA.is_dir():
        folder = CHECKOUT_DATA
    started = time.perf_counter()
    train, validation, test = load_mnist(folder, validation_size=10000, dtype=args.dtype)
    print(f"MNIST loaded in {time.perf_counter() - started:.1f} s: {len(train[1]):,} training, "
          f"{len(validation[1]):,} validation, {len(test[1]):,} test images", flush=True)
    return train, validation, test


def train_and_report(net, data, args, fit_options=None, label=""):
    """Train ``net`` epoch by epoch, printing validation and test accuracy after each; return
    a summary dict: accuracies as fractions, ``seconds`` the wall time of the whole run
    (compilation, training and the per-epoch evaluations), ``training_seconds`` the time
    spent in the training loops alone."""
    (X, y), (X_val, y_val), (X_test, y_test) = data
    print(f"\n{net}\n  seed {net.seed}, mini-batch {args.batch_size}, "
          f"eta {args.learning_rate}, {args.epochs} epochs"
          + "".join(f", {k} {v}" for k, v in (fit_options or {}).items()), flush=True)
    test, validation, rates, training_seconds = [], [], [], 0.0
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        history = net.fit(X, y, epochs=1, batch_size=args.batch_size,
                          learning_rate=args.learning_rate, **(fit_options or {}))
        validation.append(net.evaluate(X_val, y_val)["accuracy"])
        test.append(net.evaluate(X_test, y_test)["accuracy"])
        rates.append(history.samples_per_second[-1])
        training_seconds += history.seconds[-1]
        print(f"  epoch {epoch:2d}: validation {validation[-1]:.2%}  test {test[-1]:.2%}  "
              f"({rates[-1]:,.0f} samples/s)", flush=True)
    seconds = time.perf_counter() - started
    result = {"label": label, "seed": net.seed, "final_test": test[-1], "best_test": max(test),
              "final_validation": validation[-1], "best_validation": max(validation),
              "seconds": seconds, "training_seconds": training_seconds,
              "samples_per_second": statistics.median(rates)}
    print(f"  => test {result['final_test']:.2%} (best {result['best_test']:.2%}), validation "
          f"{result['final_validation']:.2%} (best {result['best_validation']:.2%}); "
          f"{seconds:.1f} s in all, {training_seconds:.1f} s of it training", flush=True)
    return result


def summary(results, book):
    """A table of every run, with the book's figure for its network."""
    print("\nnetwork / seed                  test final  test best  valid. best  book     "
          "wall time  training  samples/s")
    for r in results:
        print(f"{r['label']:24s} seed {r['seed']:<3d}  {r['final_test']:9.2%}  "
              f"{r['best_test']:9.2%}  {r['best_validation']:10.2%}  "
              f"{book.get(r['label'], '-'):7s}  "
              f"{r['seconds']:7.1f} s  {r['training_seconds']:6.1f} s  "
              f"{r['samples_per_second']:9,.0f}")

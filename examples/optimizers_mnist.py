"""SGD, Momentum and Adam on real MNIST: test accuracy and wall time, one run each, one seed.

Network [784, 100, 10]: sigmoid hidden layer, softmax output, log-likelihood cost, float64,
mini-batches of 10, Nielsen's split (50,000 train / 10,000 validation / 10,000 test). Every
run starts from the same initial weights and visits the samples in the same order (seed 1).

    pip install -e .        # once, from the checkout
    python examples/optimizers_mnist.py       # data: $FASTNN_DATA or ../shared/data/mnist
    python examples/optimizers_mnist.py --data ~/mnist --epochs 5 --dtype float32

The learning rates are the usual ones for each rule at this batch size: SGD 0.5 (Nielsen's
rate for this cost), Momentum 0.05 with mu = 0.9 (the same long-run step, 0.05 / (1 - 0.9)),
Adam 0.001 (Kingma & Ba's default). Wall time counts fit (training plus the validation pass
each epoch), after one warm-up fit of one epoch on 100 samples compiles the kernels.
"""
import argparse
import os
import time
from pathlib import Path

import numpy as np

import fastnn
from fastnn.datasets import load_mnist

RUNS = [("sgd", dict(optimizer=fastnn.SGD(0.5))),
        ("momentum", dict(optimizer=fastnn.Momentum(0.05, mu=0.9))),
        ("adam", dict(optimizer=fastnn.Adam(0.001)))]


CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def make_network(seed, dtype):
    return fastnn.Network([784, 100, 10], activation="sigmoid", output_activation="softmax",
                          cost="log_likelihood", dtype=dtype, seed=seed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("FASTNN_DATA", str(CHECKOUT_DATA)),
                        help="folder with the four MNIST .gz files")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)

    (X, y), (X_val, y_val), (X_test, y_test) = load_mnist(args.data, validation_size=10000,
                                                          dtype=args.dtype)
    print(f"MNIST: {len(X)} train, {len(X_val)} validation, {len(X_test)} test; "
          f"[784, 100, 10] sigmoid/softmax/log-likelihood, {args.dtype}, batch {args.batch_size}, "
          f"{args.epochs} epochs, seed {args.seed}")
    for _, kwargs in RUNS:  # compile every rule's loop once, outside the timings
        make_network(args.seed, args.dtype).fit(X[:100], y[:100], epochs=1,
                                                optimizer=type(kwargs["optimizer"])())
    rows = []
    for name, kwargs in RUNS:
        net = make_network(args.seed, args.dtype)
        start = time.perf_counter()
        history = net.fit(X, y, epochs=args.epochs, batch_size=args.batch_size,
                          validation_data=(X_val, y_val), progress=args.progress, **kwargs)
        seconds = time.perf_counter() - start
        test = net.evaluate(X_test, y_test)
        rows.append((name, repr(net.optimizer), test["accuracy"], test["loss"],
                     max(history.val_accuracy), seconds,
                     float(np.median(history.samples_per_second))))
        print(f"  {name:9s} test accuracy {test['accuracy']:.4f}  ({seconds:.1f} s)", flush=True)
    print()
    print("| optimizer | test accuracy | test loss | best val accuracy | wall time (s) "
          "| samples/s (median epoch) |")
    print("|---|---|---|---|---|---|")
    for _, config, accuracy, loss, val, seconds, speed in rows:
        print(f"| `{config}` | {accuracy:.4f} | {loss:.4f} | {val:.4f} | {seconds:.1f} "
              f"| {speed:,.0f} |")


if __name__ == "__main__":
    main()

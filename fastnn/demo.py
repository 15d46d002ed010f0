"""Train [784, 30, 10] on the MNIST digits shipped with fastnn, with both engines.

Run ``python -m fastnn.demo [--epochs N]``. Same seed, same data, same hyperparameters (the
book's chapter-1 setting: sigmoid, quadratic cost, mini-batch 10, learning rate 3.0), one
process, engines back to back; prints test accuracy and training samples/s of each and the
ratio. Compilation is excluded from samples/s (``fit`` compiles before it starts timing).
"""
import argparse
import statistics
import time

import fastnn
from fastnn.datasets import load_mnist_sample


def run(engine, epochs, data):
    (X, y), (X_test, y_test) = data
    net = fastnn.Network([784, 30, 10], activation="sigmoid", cost="quadratic", seed=0,
                         engine=engine)
    start = time.perf_counter()
    history = net.fit(X, y, epochs=epochs, batch_size=10, learning_rate=3.0)
    wall = time.perf_counter() - start
    return {"accuracy": net.evaluate(X_test, y_test)["accuracy"],
            "samples_per_second": statistics.median(history.samples_per_second),
            "train_seconds": sum(history.seconds), "wall": wall}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    data = load_mnist_sample()
    (X, _), (X_test, _) = data
    print(f"MNIST sample shipped with fastnn: {len(X)} training and {len(X_test)} test digits")
    print(f"[784, 30, 10] sigmoid, quadratic cost, mini-batch 10, eta 3.0, {args.epochs} epochs, "
          f"float64\n")
    results = {engine: run(engine, args.epochs, data) for engine in ("numpy", "numba")}
    print(f"{'engine':<8}{'test accuracy':>15}{'samples/s':>14}{'train s':>10}{'wall s':>9}")
    for engine, r in results.items():
        print(f"{engine:<8}{r['accuracy']:>15.2%}{r['samples_per_second']:>14,.0f}"
              f"{r['train_seconds']:>10.2f}{r['wall']:>9.2f}")
    ratio = results["numba"]["samples_per_second"] / results["numpy"]["samples_per_second"]
    print(f"\nloop engine / NumPy engine: {ratio:.1f}x samples/s "
          f"(wall time of the numba engine includes compiling or loading its cache)")


if __name__ == "__main__":
    main()

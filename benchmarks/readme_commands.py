"""Compilation each documented command adds after the demo (at most about 10 s each).

    export NUMBA_CACHE_DIR=$(mktemp -d)
    python -m fastnn.demo                      # fills the cache with the demo's kernels
    python -m benchmarks.readme_commands       # then each README step, CPU and wall seconds

Each step is a line of the README's example or of docs/training.md, in its order, on 200 rows
of the MNIST sample (the data size does not change what is compiled): a step that only
loads cached code takes well under a second; the rest is compilation. ``fastnn train``
(the Command line section) runs in its own process: time it with ``time fastnn train``.
"""
import time

import fastnn
from fastnn.datasets import load_mnist_sample


def step(name, call):
    cpu, wall = time.process_time(), time.perf_counter()
    call()
    print(f"{name:<28} cpu {time.process_time() - cpu:6.1f} s  "
          f"wall {time.perf_counter() - wall:6.1f} s", flush=True)


def main():
    (X, y), (Xt, yt) = load_mnist_sample()
    X, y = X[:200], y[:200]
    net = fastnn.Network([784, 30, 10], activation="sigmoid", cost="quadratic", seed=0)
    step("Example: fit (SGD)", lambda: net.fit(X, y, epochs=1, batch_size=10, learning_rate=3.0))
    step("Example: evaluate", lambda: net.evaluate(Xt, yt))
    step("Example: predict", lambda: net.predict(Xt))
    step("Example: gradient_check",
         lambda: fastnn.gradient_check(fastnn.Network([4, 5, 3]), X[:8, :4], y[:8] % 3))
    step("Training: Momentum", lambda: net.fit(X, y, epochs=1,
                                              optimizer=fastnn.Momentum(0.05, mu=0.9)))
    step("Training: Adam", lambda: net.fit(X, y, epochs=1, optimizer="adam",
                                          learning_rate=0.001))
    step("Training: schedule", lambda: net.fit(X, y, epochs=2, optimizer="sgd", learning_rate=0.5,
                                              schedule=fastnn.schedules.StepDecay(5, 0.5)))
    step("Training: l2", lambda: net.fit(X, y, epochs=1, learning_rate=0.5, l2=5.0))
    step("Training: early stopping", lambda: net.fit(X, y, epochs=2, validation_fraction=0.1,
                                                    early_stopping=True, patience=5))
    step("Training: best_of", lambda: fastnn.best_of(
        2, lambda seed: fastnn.Network([784, 30, 10], seed=seed), X, y, seed=0, epochs=1,
        learning_rate=3.0, validation_data=(Xt, yt)))


if __name__ == "__main__":
    main()

"""CPU and wall seconds of each first call of the numba engine, in the order a user meets them.

    NUMBA_CACHE_DIR=$(mktemp -d) python -m benchmarks.first_calls [float64|float32]

From an empty cache each line is (mostly) compilation: ``fit`` with plain SGD (the demo's
path, ``fast_drivers.train_epoch_sgd``), ``evaluate``, ``predict``, then ``fit`` with
Momentum (``train_epoch_rule``) and ``gradients``. CPU time is ``time.process_time`` of this
process (compilation runs on one thread): on a shared machine it compares where wall time
does not. With a filled cache, every line should be well under a second.
"""
import sys
import time


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    dtype = argv[0] if argv else "float64"
    cpu, wall = time.process_time(), time.perf_counter()
    import fastnn
    from fastnn.datasets import load_mnist_sample
    (X, y), (Xt, yt) = load_mnist_sample(dtype=dtype)
    print(f"{'import and data':<28} cpu {time.process_time() - cpu:6.1f} s  "
          f"wall {time.perf_counter() - wall:6.1f} s", flush=True)

    def step(name, call):
        cpu, wall = time.process_time(), time.perf_counter()
        call()
        print(f"{name:<28} cpu {time.process_time() - cpu:6.1f} s  "
              f"wall {time.perf_counter() - wall:6.1f} s", flush=True)

    net = fastnn.Network([784, 30, 10], activation="sigmoid", cost="quadratic", seed=0, dtype=dtype)
    step("fit, SGD", lambda: net.fit(X[:100], y[:100], epochs=1, batch_size=10, learning_rate=3.0))
    step("evaluate", lambda: net.evaluate(Xt, yt))
    step("predict", lambda: net.predict(Xt))
    step("fit, Momentum", lambda: net.fit(X[:100], y[:100], epochs=1, batch_size=10,
                                         optimizer="momentum"))
    step("gradients", lambda: net.gradients(X[:100], y[:100]))


if __name__ == "__main__":
    main()

"""Where a training step's time goes: each fast kernel of one layer alone, on one core, at each
batch size, against the machine's one-core GEMM ceiling measured in the same run.

    python -m benchmarks.kernel_table                     # [784, 100, 10], both dtypes
    python -m benchmarks.kernel_table --sizes 784,30,10 --dtypes float64

Runs in one process pinned to one core (``taskset -c 0``, every thread pool at one thread) and
times, per batch of ``m`` samples (the best of rounds of repeated calls on the same buffers):

* ``weighted sum``: the first layer's :math:`s = w a + b` with the identity activation
  (``fast_kernels.weighted_sum_serial``), 2 FLOPs per weight and sample;
* ``activation``: the same with the layer's sigmoid fused, minus the above;
* ``output delta``: BP1 and the per-sample costs of the output layer
  (``fast_drivers.output_delta``);
* ``BP2``: the delta of the hidden layer from the output layer's (``fast_drivers.propagate_delta``),
  2 FLOPs per output-layer weight and sample;
* ``SGD update``: BP3/BP4 fused with the SGD step of the first layer
  (``fast_kernels.sgd_then_weighted_sum_serial`` with no next rows), 2 FLOPs per weight and sample;
* ``gather``: copying the batch's rows of X and Y (``fast_drivers.gather``) in a shuffled order;
* ``fit step``: one whole batch of ``train_epoch_sgd`` on one thread (the epoch's time divided by
  its batches), and ``rest``: the fit step minus every kernel above, the output layer's forward
  pass and SGD update (bookkeeping, the small layers, copies).

GFLOP/s and the share of the one-core ceiling (the best of NumPy's 2048-square products) are
given for the kernels that do multiply-adds.
"""
import argparse
import os
import sys
import time
from functools import partial

for _name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import numpy as np  # noqa: E402

import fastnn  # noqa: E402
from fastnn.core import activations  # noqa: E402
from fastnn.engine import fast_drivers, kernels  # noqa: E402
from fastnn.engine import fast_kernels as fk  # noqa: E402

CLOCK = time.perf_counter
"""Wall time; ``--clock cpu`` uses the thread's CPU time instead (``time.thread_time``), which
leaves out the time the thread waits for a core that another process holds (not the cache
misses that process causes): for comparing kernels on a busy machine, not for reporting."""


def best_seconds(call, min_time=0.05, rounds=7):
    """The least over ``rounds`` of the mean seconds per call, each round repeating ``call`` for
    about ``min_time / 5`` (the least: on a shared machine, load from elsewhere only adds)."""
    call()
    start, n = CLOCK(), 0
    while CLOCK() - start < min_time / 5:
        call()
        n += 1
    repeats = max(1, n)
    runs = []
    for _ in range(rounds):
        start = CLOCK()
        for _ in range(repeats):
            call()
        runs.append((CLOCK() - start) / repeats)
    return float(np.min(runs))


def one_core_ceiling(dtype, n=1024):
    rng = np.random.default_rng(0)
    A, B = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    return 2 * n ** 3 / best_seconds(lambda: A @ B, 0.3) / 1e9


def table(sizes, dtype, batches, samples=2000):
    rng = np.random.default_rng(0)
    dt = np.dtype(dtype)
    net = fastnn.Network(sizes, dtype=dtype, seed=0)
    eng = net.backend
    n0, n1, n2 = sizes[0], sizes[1], sizes[-1]
    X = rng.random((samples, n0)).astype(dt)
    labels = rng.integers(0, n2, samples)
    Y = np.zeros((samples, n2), dt)
    Y[np.arange(samples), labels] = 1
    ceiling = one_core_ceiling(dt)
    one = np.int64(1)
    rows = []
    for m in batches:
        theta = net.parameters().copy()
        arch = eng.arch
        work = kernels.make_workspace(arch.sizes, m, dt, True)
        plan = fast_drivers.Plan(np.zeros(len(sizes), np.uint8),
                                 fast_drivers.group_width(arch.sizes, 1), np.zeros_like(theta))
        w1, b1 = kernels.weights_of(theta, arch, one), kernels.biases_of(theta, arch, one)
        a_in = np.ascontiguousarray(X[:m])
        s1 = kernels.layer_of(work.S, arch, work, one, m)
        a1 = kernels.layer_of(work.A, arch, work, one, m)
        per1 = plan.width[1]
        ident = np.int64(activations.IDENTITY)
        sig = np.int64(arch.codes[1])
        fast_drivers.forward_pass(theta, arch, plan, work, a_in, m)
        fast_drivers.output_delta(arch, work, Y[:m], m)
        # partial, not lambda: the arguments bound now, in this iteration of the loop
        wsum = best_seconds(partial(fk.weighted_sum_serial, per1, ident, w1, b1, a_in, s1, a1))
        wsum_act = best_seconds(partial(fk.weighted_sum_serial, per1, sig, w1, b1, a_in, s1, a1))
        bp1 = best_seconds(partial(fast_drivers.output_delta, arch, work, Y[:m], m))
        L = len(sizes) - 1
        bp2 = best_seconds(partial(fast_drivers.propagate_delta, theta, arch, plan, work,
                                   np.int64(L), m)) if L > 1 else 0.0
        d1 = kernels.layer_of(work.D, arch, work, one, m)
        empty = a_in[:0]
        s0, a0 = s1[:0], a1[:0]
        w_copy, b_copy = w1.copy(), b1.copy()
        sgd = best_seconds(partial(fk.sgd_then_weighted_sum_serial,
                                   per1, d1, a_in, w_copy, b_copy, 1.0 / m, 1e-9, np.bool_(False),
                                   0.0, 0.0, sig, empty, s0, a0))
        order = rng.permutation(samples).astype(np.int64)
        gath = best_seconds(partial(fast_drivers.gather, X, Y, order, np.int64(0),
                                    work.x_next[:m], work.y[:m]))
        # the whole step: one epoch of train_epoch_sgd on one thread, per batch
        epoch_net = fastnn.Network(sizes, dtype=dtype, seed=0)
        epoch_net.fit(X[:2 * m], labels[:2 * m], epochs=1, batch_size=m, learning_rate=1e-9)
        n_batches = -(-samples // m)
        step = best_seconds(partial(epoch_net.fit, X, labels, epochs=1, batch_size=m,
                                    learning_rate=1e-9), 0.2, 3) / n_batches
        counted = wsum_act + bp1 + bp2 + sgd + gath
        for name, seconds, flops in (("weighted sum", wsum, 2 * m * n0 * n1),
                                     ("activation", max(wsum_act - wsum, 0.0), 0),
                                     ("output delta", bp1, 0),
                                     ("BP2", bp2, 2 * m * n1 * n2 if L > 1 else 0),
                                     ("SGD update", sgd, 2 * m * n0 * n1),
                                     ("gather", gath, 0),
                                     ("fit step", step, 0),
                                     ("rest", max(step - counted, 0.0), 0)):
            g = flops / seconds / 1e9 if flops and seconds > 0 else None
            rows.append(dict(batch=m, kernel=name, us=seconds * 1e6, gflops=g,
                             share=g / ceiling if g else None))
    return ceiling, rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="784,100,10")
    p.add_argument("--dtypes", default="float64,float32")
    p.add_argument("--batches", default="1,10,32,100,1000")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = p.parse_args(argv)
    global CLOCK
    CLOCK = time.thread_time if args.clock == "cpu" else time.perf_counter
    if os.environ.get("_FASTNN_PINNED") != "1" and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    sizes = [int(n) for n in args.sizes.split(",")]
    for dtype in args.dtypes.split(","):
        ceiling, rows = table(sizes, dtype, [int(b) for b in args.batches.split(",")])
        print(f"\n{sizes} {dtype}, one core; GEMM ceiling {ceiling:.1f} GFLOP/s")
        print(f"{'batch':>6} {'kernel':<14} {'us/batch':>10} {'GFLOP/s':>8} {'ceiling':>8}")
        for r in rows:
            g = f"{r['gflops']:8.1f}" if r["gflops"] else " " * 8
            s = f"{100 * r['share']:7.0f}%" if r["share"] else " " * 8
            print(f"{r['batch']:>6} {r['kernel']:<14} {r['us']:10.2f} {g} {s}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

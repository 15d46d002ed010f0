"""Batch size as an axis: fastnn's ``fit`` against the lean NumPy loop and PyTorch, each runner in
a fresh process of its own on the same cores, with the machine's GEMM ceiling measured in the
same run.

    python -m benchmarks.batch_sweep                        # the issue's grid (a few minutes)
    python -m benchmarks.batch_sweep --sizes 784,100,10 --batches 10,100 --threads 2
    python -m benchmarks.batch_sweep --busy                 # beside a process that holds core 1

Every point is one runner (``fastnn``, ``numpy-lean``, ``torch``) in a new Python process
started with ``taskset`` on the first ``threads`` cores and every thread pool (numba, OpenMP,
OpenBLAS, MKL, PyTorch) limited to ``threads``: a thread pool outlives the call that started it,
and a PyTorch run in a process where numba's threads had run was measured 13x slower. A process
warms up (compiles, touches its buffers) on one epoch, then times ``--epochs`` epochs of
``--samples`` MNIST-shaped rows (synthetic, uniform in [0, 1)); the median epoch counts.
fastnn's time is the wall time of its whole ``fit`` call (validation, shuffling, bookkeeping
included); the lean loop's includes its shuffled copy of the data; PyTorch's its Python batch loop.

GFLOP/s count an SGD step's work: 4 FLOPs per first-layer weight per sample (weighted sum and
BP4), 6 per weight of every later layer (BP2 too); biases, activations and updates not counted.
The ceiling is the best of NumPy's (OpenBLAS) and PyTorch's 2048 x 2048 products, in processes
of their own on the same cores.

With ``--busy`` a spinning process holds the last core during every point (the machine a user
has: a browser, an IDE, a test runner), so that the cost of load from elsewhere is measured.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUNNERS = ("fastnn", "numpy-lean", "torch")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def flops_per_sample(sizes):
    """FLOPs of one SGD sample (see the module docstring)."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    return 4 * pairs[0][0] * pairs[0][1] + sum(6 * a * b for a, b in pairs[1:])


# --- what runs inside one fresh process -------------------------------------------------------

def _time_point(runner, sizes, dtype, batch, samples, epochs, activation, output, cost):
    """Median seconds of one epoch of ``runner`` (run in a fresh process)."""
    from . import cases
    c = cases.case("sweep", "", sizes, activation, output, cost, dtype, batch, samples)
    X, labels = cases.data(c)
    if runner == "fastnn":
        import fastnn
        net = fastnn.Network(sizes, activation=activation, output_activation=output, cost=cost,
                             dtype=dtype, seed=1)
        fit = lambda: net.fit(X, labels, epochs=1, batch_size=batch,  # noqa: E731
                              learning_rate=cases.LEARNING_RATE)
        fit()  # compile and touch every buffer
        times = []
        for _ in range(epochs):
            start = time.perf_counter()
            fit()
            times.append(time.perf_counter() - start)
    else:
        r = cases.make_runner(runner, c)
        r.warm_up(X, labels)
        r.run(X, labels)
        times = [r.run(X, labels) for _ in range(epochs)]
    return float(np.median(times))


def _time_gemm(library, dtype, n=2048, repeats=5):
    """GFLOP/s of the median n x n x n product (run in a fresh process)."""
    rng = np.random.default_rng(0)
    A, B = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    if library == "torch":
        import torch
        A, B = torch.from_numpy(A), torch.from_numpy(B)
    A @ B
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        A @ B
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / float(np.median(times)) / 1e9


def _child(args):
    spec = json.loads(args.child)
    if spec.get("runner") == "torch" or spec.get("library") == "torch":
        import torch
        torch.set_num_threads(spec["threads"])
    if "library" in spec:
        out = _time_gemm(spec["library"], spec["dtype"])
    else:
        out = _time_point(spec["runner"], spec["sizes"], spec["dtype"], spec["batch"],
                          spec["samples"], spec["epochs"], spec["activation"], spec["output"],
                          spec["cost"])
    print(json.dumps(out))


# --- the parent: one process per point ---------------------------------------------------------

def thread_env(threads):
    env = dict(os.environ)
    for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                 "MKL_NUM_THREADS"):
        env[name] = str(threads)
    env.pop("PYTHONPATH", None)
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_child(spec, threads):
    """Run one point in a fresh process pinned to cores 0..threads-1; its JSON result."""
    cores = ",".join(str(i) for i in range(threads))
    command = ["taskset", "-c", cores, sys.executable, "-m", "benchmarks.batch_sweep",
               "--child", json.dumps(spec)]
    done = subprocess.run(command, env=thread_env(threads), cwd=ROOT, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{spec}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ceilings(thread_counts, dtypes, libraries):
    """``{(dtype, threads): best GFLOP/s}`` of the libraries' 2048-square products."""
    best = {}
    for dtype in dtypes:
        for threads in thread_counts:
            figures = {lib: run_child(dict(library=lib, dtype=dtype, threads=threads), threads)
                       for lib in libraries}
            best[(dtype, threads)] = max(figures.values())
            log(f"GEMM ceiling {dtype} {threads} thread(s): "
                + ", ".join(f"{lib} {g:.0f}" for lib, g in figures.items()) + " GFLOP/s")
    return best


class Busy:
    """A process spinning on the last core while the sweep runs (``--busy``)."""

    def __init__(self, enabled):
        self.enabled, self.process = enabled, None

    def __enter__(self):
        if self.enabled:
            last = str(os.cpu_count() - 1)
            self.process = subprocess.Popen(["taskset", "-c", last, sys.executable, "-c",
                                             "while True: pass"])
            time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--sizes", action="append",
                   help="layer sizes, e.g. 784,30,10 (repeatable; default both MNIST nets)")
    p.add_argument("--batches", default="1,10,32,100,1000")
    p.add_argument("--dtypes", default="float64,float32")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runners", default=",".join(RUNNERS))
    p.add_argument("--samples", type=int, default=10_000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--activation", default="sigmoid")
    p.add_argument("--output", default="sigmoid")
    p.add_argument("--cost", default="quadratic")
    p.add_argument("--busy", action="store_true", help="a spinning process holds the last core")
    p.add_argument("--out", help="write the points as JSON here")
    args = p.parse_args(argv)
    if args.child:
        return _child(args)

    sizes_list = [[int(n) for n in s.split(",")] for s in (args.sizes or ["784,30,10",
                                                                          "784,100,10"])]
    batches = [int(b) for b in args.batches.split(",")]
    dtypes = args.dtypes.split(",")
    thread_counts = [int(t) for t in args.threads.split(",")]
    runners = available_runners(args.runners.split(","))
    import llvmlite.binding as llvm
    machine = f"{platform.processor() or platform.machine()}, LLVM cpu {llvm.get_host_cpu_name()}"
    log(f"machine: {machine}, {os.cpu_count()} cores" + (", last core busy" if args.busy else ""))
    ceiling, points = run(sizes_list, batches, dtypes, thread_counts, runners, args.samples,
                          args.epochs, args.activation, args.output, args.cost, args.busy)
    print_table(points, runners, ceiling)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(dict(machine=machine, busy=args.busy, points=points,
                                                  ceiling={f"{d}/{t}": g for (d, t), g in
                                                           ceiling.items()}), indent=1))


def available_runners(runners):
    """``runners`` without PyTorch when it is not installed."""
    runners = list(runners)
    if "torch" in runners:
        try:
            import torch  # noqa: F401
        except ImportError:
            log("PyTorch is not installed: its runner is skipped")
            runners.remove("torch")
    return runners


def run(sizes_list, batches, dtypes, thread_counts, runners, samples=10_000, epochs=3,
        activation="sigmoid", output="sigmoid", cost="quadratic", busy=False):
    """The GEMM ceilings and one row per (sizes, dtype, threads, batch): every runner's
    samples/s, fastnn's GFLOP/s and its share of the ceiling of the same cores."""
    runners = available_runners(runners)
    libraries = ["numpy"] + (["torch"] if "torch" in runners else [])
    points = []
    with Busy(busy):
        ceiling = ceilings(thread_counts, dtypes, libraries)
        for sizes in sizes_list:
            per_sample = flops_per_sample(sizes)
            for dtype in dtypes:
                for threads in thread_counts:
                    for batch in batches:
                        row = dict(sizes=list(sizes), dtype=dtype, threads=threads, batch=batch,
                                   busy=busy)
                        for runner in runners:
                            spec = dict(runner=runner, sizes=list(sizes), dtype=dtype,
                                        batch=batch, samples=samples, epochs=epochs,
                                        threads=threads, activation=activation, output=output,
                                        cost=cost)
                            row[runner] = samples / run_child(spec, threads)
                        gflops = row["fastnn"] * per_sample / 1e9 if "fastnn" in row else None
                        row["fastnn_gflops"] = gflops
                        row["ceiling_share"] = (gflops / ceiling[(dtype, threads)] if gflops
                                                else None)
                        points.append(row)
                        log(format_row(row, runners))
    return ceiling, points


def format_row(row, runners):
    name = "[" + ",".join(map(str, row["sizes"])) + "]"
    text = f"{name:>13} {row['dtype']:>7} {row['threads']}t b{row['batch']:<5}"
    for r in runners:
        text += f" {r} {row[r] / 1e3:8.1f}k/s"
    if "fastnn" in row:
        for r in runners:
            if r != "fastnn":
                text += f"  x{r} {row['fastnn'] / row[r]:5.2f}"
        text += (f"  {row['fastnn_gflops']:5.1f} GFLOP/s "
                 f"({100 * row['ceiling_share']:.0f}% of ceiling)")
    return text


def print_table(points, runners, ceiling):
    print("GEMM ceiling (GFLOP/s, best library, 2048^3): "
          + ", ".join(f"{d} {t}t {g:.0f}" for (d, t), g in ceiling.items()))
    for row in points:
        print(format_row(row, runners))
    for line in verdicts(points):
        print(line)


SPECIAL = {((784, 30, 10), 10): (3, 20), ((784, 100, 10), 10): (3, 10),
           ((784, 30, 10), 1): (10, 30)}
"""(times the lean NumPy loop, times PyTorch) asked of fastnn at these (sizes, batch) points."""


def verdicts(points):
    """The targets of the batch sweep, each met or not, with the figure reached."""
    lines = []

    def say(what, value, target):
        lines.append(f"  {what:<58} {value:6.2f}x  target {target}x  "
                     + ("met" if value >= target else "NOT met"))

    for row in points:
        if row.get("busy") or "fastnn" not in row:
            continue
        name = (f"[{','.join(map(str, row['sizes']))}] {row['dtype']} {row['threads']}t "
                f"b{row['batch']}")
        if "numpy-lean" in row:
            target = 1.5 if row["batch"] <= 100 else 1.0
            target = max(target, SPECIAL.get((tuple(row["sizes"]), row["batch"]), (0, 0))[0])
            say(f"{name} x lean NumPy", row["fastnn"] / row["numpy-lean"], target)
        special = SPECIAL.get((tuple(row["sizes"]), row["batch"]))
        if special and "torch" in row:
            say(f"{name} x PyTorch", row["fastnn"] / row["torch"], special[1])
    by_key = {}
    for row in points:
        if "fastnn" in row:
            by_key[(tuple(row["sizes"]), row["dtype"], row["batch"], row.get("busy"),
                    row["threads"])] = row["fastnn"]
    for (sizes, dtype, batch, busy, threads), rate in sorted(by_key.items()):
        one = by_key.get((sizes, dtype, batch, busy, 1))
        if threads == 1 or one is None:
            continue
        target = 1.6 if (sizes == (784, 100, 10) and batch >= 32 and not busy) else 1.0
        say(f"[{','.join(map(str, sizes))}] {dtype} b{batch}{' busy' if busy else ''} "
            f"{threads}t / 1t", rate / one, target)
    return lines


if __name__ == "__main__":
    main()

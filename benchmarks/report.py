"""The benchmark report: every case on every engine, back to back in one process, one table.

    python -m benchmarks                      # fast profile (a few minutes)
    python -m benchmarks --profile full       # more samples and rounds, every sweep point
    python benchmarks/report.py --help

Protocol (docs/performance.md, Method): same data, hyperparameters and dtype for every engine; each
engine warmed up (compiled) before timing; the engines of a case are timed in interleaved
rounds (engine 1, engine 2, ..., then again), so that a burst of load from elsewhere on the
machine hits them alike, each after a pause that lets the previous engine's worker threads
go idle (``PAUSE``); the median round counts. Throughput excludes compilation, which is
measured separately in fresh processes, with an empty and with a filled numba cache.
Writes ``<out>/report-<profile>.json`` and, with matplotlib, ``<out>/scaling-<profile>.png``.
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

if __package__ in (None, ""):  # run as a script: python benchmarks/report.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks import batch_sweep, cases, graphs
else:
    from . import batch_sweep, cases, graphs

import fastnn

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = {"fast": 5, "full": 9}
WIDTHS = {"fast": [32, 128, 512, 2048], "full": [32, 64, 128, 256, 512, 1024, 2048]}
BATCHES = {"fast": [1, 8, 64, 512], "full": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


PAUSE = 0.3
"""Seconds of idle time before each timed call. Worker threads stay busy after a call
returns (OpenBLAS's spin for up to ~0.1 s, OpenMP's before they sleep): with 0.05 s, the
engine timed next shared the second core with them. Measured here: numba's [784, 30, 10]
batch-10 epoch ran at ~155k samples/s after a 0.05 s pause and ~220k after 0.3 s, the NumPy
engine's at 33-43k and 46-48k, PyTorch's at 13-16k and 16-17k."""


def time_engines(c, engines, rounds, pause=PAUSE):
    """Median seconds per timed call of case ``c`` for each engine, in interleaved rounds."""
    X, labels = cases.data(c)
    runners = {engine: cases.make_runner(engine, c) for engine in engines}
    for runner in runners.values():
        runner.warm_up(X, labels)
    times = {engine: [] for engine in engines}
    for _ in range(rounds):
        for engine, runner in runners.items():
            time.sleep(pause)  # let the other engines' worker threads go idle
            times[engine].append(runner.run(X, labels))
    return {engine: float(np.median(t)) for engine, t in times.items()}


def run_cases(profile, engines, rounds):
    rows = []
    for c in cases.CASES[profile]:
        log(f"case {c.title} ...")
        seconds = time_engines(c, engines, rounds)
        for engine, s in seconds.items():
            rows.append(dict(case=c.key, title=c.title, dtype=c.dtype, kind=c.kind, engine=engine,
                             seconds=s, samples_per_second=c.n_samples / s,
                             gflops=cases.flops(c) / s / 1e9))
    return rows


def thread_scaling(profile, rounds):
    """The numba engine on 1 thread and on all of numba's threads, same cases, interleaved."""
    most = numba.config.NUMBA_NUM_THREADS
    rows = []
    for c in cases.CASES[profile]:
        X, labels = cases.data(c)
        runner = cases.make_runner("numba", c)
        runner.warm_up(X, labels)
        times = {1: [], most: []}
        for _ in range(rounds):
            for threads in times:
                fastnn.set_num_threads(threads)
                try:
                    time.sleep(PAUSE)
                    times[threads].append(runner.run(X, labels))
                finally:
                    fastnn.set_num_threads(most)
        one, all_ = (c.n_samples / np.median(times[t]) for t in (1, most))
        rows.append(dict(case=c.key, title=c.title, threads=most, one_thread=float(one),
                         all_threads=float(all_), speedup=float(all_ / one)))
    return rows


def sweep(profile, rounds):
    """Samples/s of both fastnn engines against hidden width and against batch size."""
    base = cases.case("sweep", "", [784, 256, 10], "relu", "softmax", "log_likelihood", "float32",
                      64, 0)
    points = []
    for width in WIDTHS[profile]:
        c = base._replace(sizes=[784, width, 10])
        c = c._replace(n_samples=int(np.clip(4e8 / cases.flops(c, 1), 512, 8192)) // 64 * 64)
        seconds = time_engines(c, ["numba", "numpy"], max(3, rounds // 2))
        points.append(dict(axis="width", width=width, batch=c.batch, n_samples=c.n_samples,
                           **{e: c.n_samples / s for e, s in seconds.items()}))
        log(f"  width {width}: " + ", ".join(f"{e} {points[-1][e]:,.0f}/s" for e in seconds))
    for batch in BATCHES[profile]:
        c = base._replace(batch=batch, n_samples=2048 if batch < 8 else 4096)
        seconds = time_engines(c, ["numba", "numpy"], max(3, rounds // 2))
        points.append(dict(axis="batch", width=256, batch=batch, n_samples=c.n_samples,
                           **{e: c.n_samples / s for e, s in seconds.items()}))
        log(f"  batch {batch}: " + ", ".join(f"{e} {points[-1][e]:,.0f}/s" for e in seconds))
    return points


COMPILE_SCRIPT = r"""
import time
start = time.perf_counter()
import numpy as np
import fastnn
imported = time.perf_counter()
rng = np.random.default_rng(0)
for sizes, act, out, cost, dtype in [
        ([784, 30, 10], "sigmoid", "sigmoid", "quadratic", "float64"),
        ([784, 64, 64, 10], "relu", "softmax", "log_likelihood", "float32")]:
    X = rng.random((40, sizes[0])).astype(dtype)
    y = rng.integers(0, 10, 40)
    net = fastnn.Network(sizes, activation=act, output_activation=out, cost=cost, dtype=dtype,
                         seed=0)
    net.fit(X, y, epochs=1, batch_size=10)
    net.predict(X)
    net.evaluate(X, y)
print(imported - start, time.perf_counter() - imported)
"""


def _child(argv, env):
    """stdout, wall seconds and CPU seconds (user + sys) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, wall, cpu


def compile_times():
    """The cold start: ``python -m fastnn.demo --epochs 1`` in a fresh process with an empty
    numba cache ("cold", the wall time the demo reports for the numba engine is the issue's
    target) and again with the cache it filled ("cached"); then the two-network script
    (import, first fit+predict+evaluate of a float64 sigmoid and a float32 relu/softmax net)
    on the same cache. Wall and CPU (user + sys of the child) seconds."""
    result = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        for label in ("cold", "cached"):
            out, wall, cpu = _child([sys.executable, "-m", "fastnn.demo", "--epochs", "1"], env)
            numba_wall = next(float(line.split()[-1]) for line in out.splitlines()
                              if line.startswith("numba "))
            result[f"demo_{label}"] = dict(numba_wall_seconds=numba_wall, process_wall_seconds=wall,
                                           process_cpu_seconds=cpu)
            log(f"  demo {label}: numba engine wall {numba_wall:.1f} s; process wall {wall:.1f} s, "
                f"cpu {cpu:.1f} s")
        out, wall, cpu = _child([sys.executable, "-c", COMPILE_SCRIPT], env)
        out = out.split()
        result["two_networks_after_demo"] = dict(import_seconds=float(out[0]),
                                                 first_calls_seconds=float(out[1]),
                                                 process_cpu_seconds=cpu)
        log(f"  two networks after the demo: import {float(out[0]):.1f} s, first calls "
            f"{float(out[1]):.1f} s, cpu {cpu:.1f} s")
    return result


def environment():
    info = dict(python=platform.python_version(), machine=platform.machine(),
                cpu=_cpu_name(), cores=os.cpu_count(), numba=numba.__version__,
                numpy=np.__version__, numba_threads=numba.config.NUMBA_NUM_THREADS,
                threading_layer=None, fastnn=fastnn.__version__)
    try:
        import llvmlite.binding as llvm
        info["llvm_cpu"] = llvm.get_host_cpu_name()
    except Exception:  # pragma: no cover - informational only
        pass
    for peer in cases.available_peers():
        module = __import__({"sklearn": "sklearn", "torch": "torch"}[peer])
        info[peer] = module.__version__
        if peer == "torch":
            info["torch_threads"] = module.get_num_threads()
    return info


def _cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# --- output -------------------------------------------------------------------------------------

def table(rows, ceilings):
    """The main table, as text."""
    by_case = {}
    for row in rows:
        by_case.setdefault(row["case"], {})[row["engine"]] = row
    lines = [f"{'case':<44} {'engine':<12} {'samples/s':>11} {'GFLOP/s':>8} {'x NumPy':>8} "
             f"{'x torch':>8} {'% GEMM':>7}"]
    lines.append("-" * len(lines[0]))
    for engines in by_case.values():
        numpy_rate = best_numpy_rate(engines)
        torch_rate = engines.get("torch", {}).get("samples_per_second")
        for engine, row in engines.items():
            rate = row["samples_per_second"]
            ceiling = ceilings[row["dtype"]]
            lines.append(
                f"{row['title']:<44} {engine:<12} {rate:>11,.0f} {row['gflops']:>8.1f} "
                f"{_ratio(rate, numpy_rate):>8} {_ratio(rate, torch_rate):>8} "
                f"{100 * row['gflops'] / ceiling:>6.0f}%")
    return "\n".join(lines)


def best_numpy_rate(engines):
    """samples/s of the faster of the two NumPy forms (``cases.NUMPY_FORMS``) among
    ``engines`` ({engine: row}), or None if neither ran."""
    rates = [engines[e]["samples_per_second"] for e in cases.NUMPY_FORMS if e in engines]
    return max(rates) if rates else None


def _ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def verdicts(rows, ceilings):
    """One line per target of issue 14: measured, target, met or not ("numpy" is the faster
    of the NumPy engine and the numpy-lean peer, named in brackets)."""
    by_case = {}
    for row in rows:
        by_case.setdefault(row["case"], {})[row["engine"]] = row
    lines = []
    for key, (vs_numpy, vs_torch) in cases.TARGETS.items():
        engines = by_case.get(key, {})
        mine = engines.get("numba")
        if mine is None:
            continue
        numpy_rate = best_numpy_rate(engines)
        best = max((e for e in cases.NUMPY_FORMS if e in engines),
                   key=lambda e: engines[e]["samples_per_second"], default=None)
        torch_rate = engines.get("torch", {}).get("samples_per_second")
        for peer, target, rate in (("numpy", vs_numpy, numpy_rate),
                                   ("torch", vs_torch, torch_rate)):
            if target is None:
                continue
            label = f"vs {peer}" + (f" ({best})" if peer == "numpy" else "")
            if rate is None:
                lines.append(f"{mine['title']:<44} {label:<19} not measured  target >= {target}")
                continue
            ratio = mine["samples_per_second"] / rate
            lines.append(f"{mine['title']:<44} {label:<19} {ratio:7.2f}x  target >= {target:<4} "
                         f"{'met' if ratio >= target else 'NOT met'}")
    return "\n".join(lines)


def _verdict(seconds, target):
    return f"{seconds:6.2f} s  target <= {target:g} s  {'met' if seconds <= target else 'NOT met'}"


BOOK_SCRIPT = r"""
import sys, time
import fastnn
from fastnn.datasets import load_mnist
(X, y), (Xv, yv), (Xt, yt) = load_mnist(sys.argv[1], validation_size=10000)
net = fastnn.Network([784, 30, 10], activation="sigmoid", cost="quadratic", seed=0)
net.fit(X[:20], y[:20], epochs=1, batch_size=10, learning_rate=3.0,
        validation_data=(Xt[:20], yt[:20]))  # compile (or load the cache) outside the timing
net = fastnn.Network([784, 30, 10], activation="sigmoid", cost="quadratic", seed=0)
start = time.perf_counter()
history = net.fit(X, y, epochs=30, batch_size=10, learning_rate=3.0, validation_data=(Xt, yt))
wall = time.perf_counter() - start
print(wall, net.evaluate(Xt, yt)["accuracy"])
"""


def book_run(data_path):
    """The book's chapter-1 run in a fresh process (its cache warm from this process's
    cases): wall seconds of the whole ``fit`` (30 epochs, evaluation of the 10,000 test
    images after each), and the final test accuracy. None when MNIST is not at ``data_path``."""
    if not data_path or not Path(data_path).exists():
        log(f"  MNIST not found at {data_path!r}: book run skipped")
        return None
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", BOOK_SCRIPT, str(data_path)], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    result = dict(wall_seconds=float(out[0]), accuracy=float(out[1]))
    log(f"  {result['wall_seconds']:.2f} s, accuracy {result['accuracy']:.2%}")
    return result


def plot(points, path):
    """samples/s against hidden width and against batch size, both engines (needs matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot")
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, axis, label in ((axes[0], "width", "hidden width (784-H-10, batch 64)"),
                            (axes[1], "batch", "batch size (784-256-10)")):
        chosen = [p for p in points if p["axis"] == axis]
        xs = [p[axis] for p in chosen]
        for engine, style in (("numba", "o-"), ("numpy", "s--")):
            ax.plot(xs, [p[engine] for p in chosen], style, label=f"fastnn {engine} engine")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("training samples / s")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("fastnn training throughput, ReLU + softmax/log-likelihood, float32")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return str(path)


SWEEP = {"fast": dict(batches=[1, 10, 32, 100, 1000], dtypes=["float64", "float32"],
                     samples=10_000, epochs=3),
         "full": dict(batches=[1, 10, 32, 100, 1000], dtypes=["float64", "float32"],
                      samples=20_000, epochs=5)}
"""The batch sweep of the report: [784, 30, 10] and [784, 100, 10], sigmoid, quadratic cost."""


def _sweep_section(profile, busy):
    """``batch_sweep`` on the report's grid: every runner quiet, or fastnn alone (1 and all
    threads) beside a spinning process."""
    p = SWEEP[profile]
    runners = ["fastnn"] if busy else list(batch_sweep.RUNNERS)
    threads = sorted({1, os.cpu_count() or 1})
    ceiling, points = batch_sweep.run([[784, 30, 10], [784, 100, 10]],
                                      [10, 100] if busy else p["batches"], p["dtypes"], threads,
                                      runners, p["samples"], p["epochs"], busy=busy)
    return dict(runners=batch_sweep.available_runners(runners), points=points,
                ceiling={f"{d} {t}t": g for (d, t), g in ceiling.items()})


def _kernel_table(profile):
    """``benchmarks.kernel_table`` in a process of its own pinned to one core: its text."""
    command = ["taskset", "-c", "0", sys.executable, "-m", "benchmarks.kernel_table"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env=batch_sweep.thread_env(1))
    if done.returncode != 0:
        return f"kernel table failed: {done.stderr[-1000:]}"
    return done.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=["fast", "full"], default="fast")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per engine")
    parser.add_argument("--no-peers", action="store_true", help="skip PyTorch and scikit-learn")
    parser.add_argument("--plain", action="store_true",
                        help="also time the plain per-equation kernels (numba-plain)")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["threads", "sweep", "compile", "book", "graphs", "batches",
                                 "busy", "kernels"],
                        help="sections to leave out")
    parser.add_argument("--mnist", default=os.environ.get("FASTNN_DATA", "/work/shared/data/mnist"),
                        help="folder of the real MNIST files for the book's chapter-1 run")
    parser.add_argument("--out", default=str(ROOT / ".benchmarks" / "report"),
                        help="folder for the JSON and plot (default: .benchmarks/report, "
                             "untracked; benchmarks/results holds the recorded ones)")
    args = parser.parse_args(argv)
    rounds = args.rounds or ROUNDS[args.profile]
    engines = ["numba", "numpy", "numpy-lean"] + ([] if args.no_peers else cases.available_peers())
    if args.plain or args.profile == "full":
        engines.insert(1, "numba-plain")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    report = dict(profile=args.profile, rounds=rounds, started=time.strftime("%Y-%m-%d %H:%M:%S"),
                  environment=environment(),
                  flop_count="training epoch: (6 x weights - 2 x input-layer weights) x "
                  "samples (forward, BP4, BP2 except into the input layer); predict: 2 x weights "
                  "x samples (biases, activations and updates not counted)")
    log("GEMM ceiling ...")
    gemm = {dtype: cases.gemm_gflops(dtype) for dtype in ("float32", "float64")}
    report["gemm_gflops"] = gemm
    ceilings = {dtype: max(values.values()) for dtype, values in gemm.items()}
    report["rows"] = run_cases(args.profile, engines, rounds)
    # the ceiling again after the cases, the best of both counts (load on the machine varies)
    for dtype in gemm:
        again = cases.gemm_gflops(dtype)
        gemm[dtype] = {k: max(v, again.get(k, 0)) for k, v in gemm[dtype].items()}
        ceilings[dtype] = max(gemm[dtype].values())
    if "threads" not in args.skip:
        log("thread scaling ...")
        report["threads"] = thread_scaling(args.profile, max(3, rounds // 2))
    if "sweep" not in args.skip:
        log("sweeps ...")
        report["sweep"] = sweep(args.profile, rounds)
        report["plot"] = plot(report["sweep"], out / f"scaling-{args.profile}.png")
    if "book" not in args.skip:
        log("book chapter-1 run (real MNIST) ...")
        report["book"] = book_run(args.mnist)
    if "compile" not in args.skip:
        log("compile time ...")
        report["compile"] = compile_times()
    if "graphs" not in args.skip:
        log("sparse graphs (benchmarks/graphs.py) ...")
        report["graphs"] = graphs.run(args.profile, log=log)

    if "batches" not in args.skip:
        log("batch sweep, one process per runner (benchmarks/batch_sweep.py) ...")
        report["batches"] = _sweep_section(args.profile, busy=False)
    if "busy" not in args.skip:
        log("beside a busy process (benchmarks/batch_sweep.py --busy) ...")
        report["busy"] = _sweep_section(args.profile, busy=True)
    if "kernels" not in args.skip:
        log("per-kernel table, one core (benchmarks/kernel_table.py) ...")
        report["kernels"] = _kernel_table(args.profile)

    env = report["environment"]
    print(f"fastnn benchmark report, profile {args.profile}, {rounds} interleaved rounds, "
          f"median; {report['started']}")
    print(f"{env['cpu']}, {env['cores']} cores, numba {env['numba']} ({env['numba_threads']} "
          f"threads), numpy {env['numpy']}" + (f", torch {env['torch']} ({env['torch_threads']} "
          f"threads)" if "torch" in env else "") + (f", scikit-learn {env['sklearn']}"
                                                     if "sklearn" in env else ""))
    print("GFLOP/s: " + report["flop_count"])
    print("GEMM ceiling (1024^3 matmul, best of the run): " + "; ".join(
        f"{dtype} " + ", ".join(f"{k} {v:.1f}" for k, v in values.items())
        for dtype, values in gemm.items()) + " GFLOP/s")
    print()
    print(table(report["rows"], ceilings))
    print("x NumPy: against the faster of fastnn's NumPy engine (numpy) and the lean hand-written "
          "NumPy loop (numpy-lean, benchmarks/lean.py)")
    print()
    print("Targets (issue 14; numpy = the faster of the NumPy engine and numpy-lean):")
    print(verdicts(report["rows"], ceilings))
    if report.get("book"):
        book = report["book"]
        print(f"{'book ch.1 run [784,30,10] 30 x 50k b10 f64':<44} {'wall':<19} "
              + _verdict(book["wall_seconds"], cases.BOOK_RUN_TARGET)
              + f"  (accuracy {book['accuracy']:.2%})")
    if "compile" in report:
        cold = report["compile"]["demo_cold"]
        print(f"{'cold start: python -m fastnn.demo':<44} {'numba wall':<19} "
              + _verdict(cold["numba_wall_seconds"], cases.COLD_START_TARGET))
    if "threads" in report:
        print()
        print(f"Thread scaling, numba engine (1 vs {numba.config.NUMBA_NUM_THREADS} threads):")
        for row in report["threads"]:
            print(f"  {row['title']:<44} {row['one_thread']:>11,.0f} {row['all_threads']:>11,.0f} "
                  f"samples/s  x{row['speedup']:.2f}")
    if "sweep" in report:
        print()
        print("Sweeps (samples/s, numba / numpy engine, ReLU softmax float32):")
        for p in report["sweep"]:
            label = f"width {p['width']}, batch {p['batch']}"
            print(f"  {label:<24} {p['numba']:>11,.0f} {p['numpy']:>11,.0f}  "
                  f"x{p['numba'] / p['numpy']:.2f}")
        if report.get("plot"):
            print(f"  plot: {os.path.relpath(report['plot'], ROOT)}")
    if "compile" in report:
        print()
        print("Cold start (fresh process; empty numba cache, then the cache it filled):")
        for label in ("cold", "cached"):
            v = report["compile"][f"demo_{label}"]
            print(f"  demo {label:<7} numba engine wall {v['numba_wall_seconds']:.1f} s; whole "
                  f"process wall {v['process_wall_seconds']:.1f} s, "
                  f"cpu {v['process_cpu_seconds']:.1f} s")
        v = report["compile"]["two_networks_after_demo"]
        print(f"  then a float64 sigmoid and a float32 relu/softmax net: import "
              f"{v['import_seconds']:.1f} s, "
              f"first fit+predict+evaluate {v['first_calls_seconds']:.1f} s, "
              f"cpu {v['process_cpu_seconds']:.1f} s")
    if "graphs" in report:
        print()
        print(f"Sparse graphs {graphs.SIZES}, batch {graphs.BATCH}, {graphs.DTYPE} (issue 11):")
        for row in report["graphs"]:
            print(f"  density {row['density']:>5.0%}  {row['engine']:<11} "
                  f"{row['samples_per_second']:>11,.0f} samples/s  "
                  f"{row['connections_per_second'] / 1e9:6.2f} G connections/s")
        print("\n".join("  " + line for line in graphs.verdicts(report["graphs"])))
    for key, title in (("batches", "Batch sweep"),
                       ("busy", "Beside a process spinning on the last core")):
        if key in report:
            ceiling, points = report[key]["ceiling"], report[key]["points"]
            print()
            print(f"{title} (each runner in a fresh process on the same cores; "
                  f"benchmarks/batch_sweep.py):")
            print("  GEMM ceiling of the same cores (GFLOP/s): "
                  + ", ".join(f"{k} {v:.0f}" for k, v in ceiling.items()))
            for row in points:
                print("  " + batch_sweep.format_row(row, report[key]["runners"]))
            print("\n".join(batch_sweep.verdicts(points)))
    if "kernels" in report:
        print()
        print(report["kernels"].rstrip())
    path = out / f"report-{args.profile}.json"
    path.write_text(json.dumps(report, indent=1))
    print(f"\nJSON: {os.path.relpath(path, ROOT)}")
    return report


if __name__ == "__main__":
    main()

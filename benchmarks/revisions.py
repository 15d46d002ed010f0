"""The same calls timed on two revisions of fastnn, side by side in one run.

    python -m benchmarks.revisions        # 3945774 (before the restructure) vs this tree
    python -m benchmarks.revisions --base REV --rounds 7 --threads 1

Issue 10 asks that the restructure (subpackages, the structure object, thread-safe
inference: per-call workspaces instead of the engine's shared ones) cost nothing in speed.
This runs each case in a fresh child process per revision (``git archive REV`` unpacked
into a temporary folder, put first on ``sys.path``; each revision with its own numba cache,
filled by a warm-up round that is not timed), revisions interleaved round by round so that
load from elsewhere hits both alike; the median round counts. Each child times its call
after one untimed call (so cache loading and first-call set-up are excluded) and prints
seconds per call.

Cases (numba engine, float64 unless named, [784, 30, 10] sigmoid quadratic, MNIST sample):
``predict-1``: ``predict`` of one row (the per-call overhead a thread-safe call adds);
``predict-1k``: ``predict`` of 1,000 rows; ``evaluate``: ``evaluate`` of 1,000 rows;
``fit-b10``: one epoch of 5,000 samples at batch 10; ``fit-b10-f32``: the same in float32.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ["predict-1", "predict-1k", "evaluate", "fit-b10", "fit-b10-f32"]

CHILD = r"""
import sys, time, json
sys.path.insert(0, sys.argv[1])
import numpy as np
import fastnn
from fastnn.datasets import load_mnist_sample
case = sys.argv[2]
dtype = "float32" if case.endswith("-f32") else "float64"
(X, y), (Xt, yt) = load_mnist_sample(dtype=dtype)
net = fastnn.Network([784, 30, 10], activation="sigmoid", cost="quadratic", seed=0, dtype=dtype)
if case == "predict-1":
    row = Xt[:1]; call, repeat = (lambda: net.predict(row)), 2000
elif case == "predict-1k":
    call, repeat = (lambda: net.predict(Xt)), 50
elif case == "evaluate":
    call, repeat = (lambda: net.evaluate(Xt, yt)), 50
else:
    call, repeat = (lambda: net.fit(X, y, epochs=1, batch_size=10, learning_rate=3.0)), 3
call()
start = time.perf_counter()
for _ in range(repeat):
    call()
print(json.dumps((time.perf_counter() - start) / repeat))
"""


def unpack(rev, into):
    """``git archive rev`` of the package into ``into``; returns the folder to import from."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "fastnn"],
                             check=True, capture_output=True).stdout
    path = Path(into) / rev
    path.mkdir()
    archive_file = Path(into) / f"{rev}.tar"
    archive_file.write_bytes(archive)
    with tarfile.open(archive_file) as tar:
        tar.extractall(path, filter="data")
    return path


def run_child(source, case, cache, threads):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NUMBA_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", CHILD, str(source), case], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="3945774", help="the earlier revision (default: "
                        "3945774, the last commit before the restructure)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="numba threads (default 1: "
                        "single-threaded speed is what issue 10 asks about)")
    parser.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sources = {args.base: unpack(args.base, tmp), "this tree": ROOT}
        caches = {name: Path(tmp) / f"cache-{i}" for i, name in enumerate(sources)}
        print(f"load average {os.getloadavg()}; {args.threads} numba thread(s); warming up "
              f"(compiling each revision once into its own cache)", file=sys.stderr, flush=True)
        for name, source in sources.items():
            for case in args.cases:
                run_child(source, case, caches[name], args.threads)
        seconds = {case: {name: [] for name in sources} for case in args.cases}
        for r in range(args.rounds):
            for case in args.cases:
                for name in (sources if r % 2 == 0 else list(sources)[::-1]):
                    time.sleep(0.3)
                    seconds[case][name].append(run_child(sources[name], case, caches[name],
                                                         args.threads))
    print(f"{'case':<14}{args.base:>16}{'this tree':>16}{'this / base':>14}")
    result = {"base": args.base, "threads": args.threads, "rounds": args.rounds,
              "load_average_at_end": os.getloadavg(), "cases": {}}
    for case in args.cases:
        base, now = (statistics.median(seconds[case][n]) for n in sources)
        print(f"{case:<14}{base * 1e6:>13.1f} us{now * 1e6:>13.1f} us{now / base:>13.2f}x")
        result["cases"][case] = {"base_s": base, "this_tree_s": now, "ratio": now / base,
                                 "rounds": seconds[case]}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

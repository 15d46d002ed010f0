"""Population benchmarks (issue 12): many restarts of one network trained together.

``python -m benchmarks.population [--quick]`` runs every case once on every runner and writes
``.benchmarks/population.json`` (``--out benchmarks/results`` to record); ``benchmarks/test_population.py`` is the pytest-
benchmark form (reduced sizes). Runners, all on the same networks and data:

* ``fastnn``: ``fastnn.training.population.train_together`` (what ``best_of`` runs), all
  restarts in one compiled loop; compilation is warmed up outside the timing, building the
  networks (seeded initialisation) is timed separately.
* ``sequential``: today's per-network path, ``Network.fit`` called once per restart, timed on
  ``SEQUENTIAL_SUBSET`` restarts and scaled linearly to R (each fit is independent and the
  same size, so this is the time of R calls up to noise) - reported as scaled.
* ``torch-vmap``: PyTorch's vectorised ensemble, ``torch.func.stack_module_state`` +
  ``functional_call`` + ``vmap(grad(...))``, plain SGD on the stacked parameters; every
  model sees the same batches (fastnn's networks each shuffle with their own generator).
* ``sklearn``: a loop of ``MLPClassifier(solver="sgd", momentum=0).fit`` calls, timed on a
  subset and scaled like ``sequential`` (its output layer is always softmax/log-loss).

Throughput: ``models x epochs / s`` and samples/s = R x epochs x n / wall.
"""
import argparse
import json
import os
import time
from collections import namedtuple
from pathlib import Path

import numpy as np

import fastnn
import fastnn.datasets
from fastnn.training.population import train_together

PopCase = namedtuple("PopCase", ["key", "title", "sizes", "activation", "output", "cost",
                                 "restarts", "epochs", "batch", "learning_rate", "data"])

CASES = [
    PopCase("xor", "1000 x XOR [2,2,1] sigmoid, 2000 epochs full-batch SGD", [2, 2, 1],
            "sigmoid", "sigmoid", "quadratic", 1000, 2000, 4, 3.0, "xor"),
    PopCase("spirals", "256 x spirals [2,16,16,2] tanh softmax, 200 epochs b32", [2, 16, 16, 2],
            "tanh", "softmax", "log_likelihood", 256, 200, 32, 0.1, "spirals"),
    PopCase("mnist", "64 x MNIST sample [784,30,10] sigmoid, 5 epochs b10", [784, 30, 10],
            "sigmoid", "sigmoid", "quadratic", 64, 5, 10, 3.0, "mnist"),
]
TARGETS = {"xor": {"wall": 1.0, "sequential": 50, "torch-vmap": 10}, "spirals": {"torch-vmap": 10}}
SEQUENTIAL_SUBSET = {"xor": 20, "spirals": 4, "mnist": 2}
SKLEARN_SUBSET = {"xor": 10, "spirals": 4, "mnist": 2}
TORCH_EPOCHS = {"xor": 2000, "spirals": 10, "mnist": 1}
"""Epochs of the PyTorch ensemble timed (all models, every batch), scaled to the case's
epochs (each epoch is the same work) - reported as scaled."""


def quick(c):
    """The case at a size a test can afford (same shapes, fewer restarts and epochs)."""
    return c._replace(restarts=min(c.restarts, 16), epochs=min(c.epochs, 20),
                      data=c.data + "-quick" if c.data == "mnist" else c.data)


def data(c):
    if c.data == "xor":
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
        return X, np.array([0, 1, 1, 0])
    if c.data == "spirals":
        return fastnn.datasets.make_spirals(1000, seed=0)
    (X, y), _ = fastnn.datasets.load_mnist_sample()
    return (X[:300], y[:300]) if c.data == "mnist-quick" else (X, y)


def targets(c, labels):
    """Targets fastnn trains on: one 0/1 column for a single sigmoid output, else labels."""
    return labels.reshape(-1, 1).astype(float) if c.sizes[-1] == 1 else labels


def make(c, seed):
    return fastnn.Network(c.sizes, activation=c.activation, output_activation=c.output,
                          cost=c.cost, seed=seed)


def run_fastnn(c, X, labels):
    Y = targets(c, labels)
    train_together([make(c, s) for s in range(2)], X, Y, epochs=1, batch_size=c.batch,
                   learning_rate=c.learning_rate)  # compile / load the cache
    tic = time.perf_counter()
    nets = [make(c, s) for s in range(c.restarts)]
    build = time.perf_counter() - tic
    tic = time.perf_counter()
    train_together(nets, X, Y, epochs=c.epochs, batch_size=c.batch, learning_rate=c.learning_rate)
    return {"wall": time.perf_counter() - tic, "build": build}


def run_sequential(c, X, labels):
    Y = targets(c, labels)
    make(c, 0).fit(X, Y, epochs=1, batch_size=c.batch, learning_rate=c.learning_rate)
    subset = min(c.restarts, SEQUENTIAL_SUBSET[c.key])
    tic = time.perf_counter()
    for s in range(subset):
        make(c, s).fit(X, Y, epochs=c.epochs, batch_size=c.batch, learning_rate=c.learning_rate)
    measured = time.perf_counter() - tic
    return {"wall": measured * c.restarts / subset, "measured": measured, "subset": subset,
            "scaled": True}


def run_torch(c, X, labels):
    import torch
    from torch.func import functional_call, grad, stack_module_state, vmap
    torch.manual_seed(0)
    act = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}

    def model():
        layers = []
        for l in range(1, len(c.sizes)):
            layers.append(torch.nn.Linear(c.sizes[l - 1], c.sizes[l]).double())
            if l < len(c.sizes) - 1:
                layers.append(act[c.activation]())
            elif c.output == "sigmoid":
                layers.append(torch.nn.Sigmoid())
        return torch.nn.Sequential(*layers)

    models = [model() for _ in range(c.restarts)]
    params, buffers = stack_module_state(models)
    base = model().to("meta")
    Xt = torch.from_numpy(np.asarray(X, float))
    yt = torch.from_numpy(np.asarray(labels, np.int64))
    Yt = torch.from_numpy(targets(c, labels)) if c.sizes[-1] == 1 else \
        torch.nn.functional.one_hot(yt, c.sizes[-1]).double()

    def loss(p, b, xb, yb, Yb):
        out = functional_call(base, (p, b), (xb,))
        if c.cost == "log_likelihood":
            return torch.nn.functional.cross_entropy(out, yb)
        return 0.5 * ((out - Yb) ** 2).sum(dim=1).mean()

    step = vmap(grad(loss), in_dims=(0, 0, None, None, None))
    rng = np.random.default_rng(0)

    def epoch():
        order = torch.from_numpy(rng.permutation(len(Xt)))
        for s in range(0, len(Xt), c.batch):
            idx = order[s:s + c.batch]
            g = step(params, buffers, Xt[idx], yt[idx], Yt[idx])
            with torch.no_grad():
                for k in params:
                    params[k] -= c.learning_rate * g[k]

    epoch()  # warm-up
    timed = min(c.epochs, TORCH_EPOCHS[c.key])
    tic = time.perf_counter()
    for _ in range(timed):
        epoch()
    measured = time.perf_counter() - tic
    return {"wall": measured * c.epochs / timed, "measured": measured, "epochs_timed": timed,
            "scaled": timed < c.epochs, "threads": torch.get_num_threads()}


def run_sklearn(c, X, labels):
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    subset = min(c.restarts, SKLEARN_SUBSET[c.key])
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for s in range(subset):
            MLPClassifier(hidden_layer_sizes=tuple(c.sizes[1:-1]),
                          activation={"sigmoid": "logistic"}.get(c.activation, c.activation),
                          solver="sgd", batch_size=c.batch, learning_rate_init=c.learning_rate,
                          momentum=0.0, alpha=0.0, max_iter=c.epochs, tol=0.0,
                          n_iter_no_change=c.epochs + 1, random_state=s).fit(X, labels)
    measured = time.perf_counter() - tic
    return {"wall": measured * c.restarts / subset, "measured": measured, "subset": subset,
            "scaled": True}


RUNNERS = {"fastnn": run_fastnn, "sequential": run_sequential, "torch-vmap": run_torch,
           "sklearn": run_sklearn}


def available():
    names = ["fastnn", "sequential"]
    for module, name in (("torch", "torch-vmap"), ("sklearn", "sklearn")):
        try:
            __import__(module)
            names.append(name)
        except ImportError:
            pass
    return names


def run(c, runners):
    X, labels = data(c)
    rows = {}
    for name in runners:
        result = RUNNERS[name](c, X, labels)
        result["model_epochs_per_s"] = c.restarts * c.epochs / result["wall"]
        result["samples_per_s"] = c.restarts * c.epochs * len(X) / result["wall"]
        rows[name] = result
        print(f"{c.key:8s} {name:11s} {result['wall']:9.3f} s  "
              f"{result['model_epochs_per_s']:12,.0f} model-epochs/s"
              + ("  (scaled from a subset)" if result.get("scaled") else ""),
              flush=True)
    fast = rows["fastnn"]["wall"]
    for name in rows:
        if name != "fastnn":
            rows[name]["fastnn_speedup"] = rows[name]["wall"] / fast
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes (a smoke run)")
    parser.add_argument("--cases", nargs="*", default=[c.key for c in CASES])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / ".benchmarks"),
                        help="folder for the JSON (default .benchmarks, untracked; "
                             "benchmarks/results holds the recorded ones)")
    args = parser.parse_args(argv)
    with open("/proc/loadavg") as file:
        load_before = file.read().split()[:3]
    report = {"load_before": load_before, "cpus": os.cpu_count(),
              "threads": fastnn.get_num_threads(), "quick": args.quick, "cases": {}}
    for c in CASES:
        if c.key in args.cases:
            c = quick(c) if args.quick else c
            report["cases"][c.key] = {"title": c.title, "restarts": c.restarts,
                                      "epochs": c.epochs, "results": run(c, available()),
                                      "targets": TARGETS.get(c.key, {})}
    with open("/proc/loadavg") as file:
        report["load_after"] = file.read().split()[:3]
    out = Path(args.out) / ("population-quick.json" if args.quick else "population.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():  # a run of some cases keeps the others' last results (and their load)
        previous = json.loads(out.read_text())
        for key, case in previous.get("cases", {}).items():
            if key not in report["cases"]:
                case.setdefault("load_before", previous.get("load_before"))
                report["cases"][key] = case
    out.write_text(json.dumps(report, indent=1))
    print("load before", load_before, "after", report["load_after"], "->", out)
    return report


if __name__ == "__main__":
    main()

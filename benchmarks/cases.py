"""The benchmark cases, the data, and one runner per engine (fastnn's two, PyTorch, scikit-learn).

Shared by the pytest-benchmark suite (``benchmarks/test_training.py``) and the report
(``benchmarks/report.py``). PyTorch and scikit-learn are optional peers, imported only when a
runner for them is built (``pip install -e ".[bench]"``).

FLOP count: a training epoch is counted as 2 FLOPs (one multiply-add) per weight and sample
for the weighted sum, 2 for BP4 and 2 for BP2 on every layer but the first (no engine
propagates deltas into the input layer), i.e. ``(6 x weights - 2 x weights of layer 2) x
samples``; biases, activations, costs and the update are not counted. Prediction is
``2 x weights x samples``.
"""
import time
from collections import namedtuple

import numpy as np

import fastnn

Case = namedtuple("Case", ["key", "title", "sizes", "activation", "output", "cost", "dtype",
                           "batch", "n_samples", "kind"])
"""One benchmark: ``kind`` is "train" (one epoch of mini-batch SGD over ``n_samples``) or
"predict" (output activations of ``n_samples`` rows)."""

LEARNING_RATE = 0.1


def case(key, title, sizes, activation, output, cost, dtype, batch, n_samples, kind="train"):
    return Case(key, title, list(sizes), activation, output, cost, dtype, batch, n_samples, kind)


CASES = {
    "fast": [
        case("mnist30-b10", "[784,30,10] sigmoid quadratic b10 f64", [784, 30, 10], "sigmoid",
             "sigmoid", "quadratic", "float64", 10, 4000),
        case("mnist100-b10", "[784,100,10] sigmoid quadratic b10 f64", [784, 100, 10], "sigmoid",
             "sigmoid", "quadratic", "float64", 10, 2000),
        case("mnist30-b1", "[784,30,10] sigmoid quadratic b1 f64", [784, 30, 10], "sigmoid",
             "sigmoid", "quadratic", "float64", 1, 2000),
        case("wide-b128", "[784,1024,1024,10] relu softmax-LL b128 f32", [784, 1024, 1024, 10],
             "relu", "softmax", "log_likelihood", "float32", 128, 1024),
        case("wide-predict", "[784,1024,1024,10] predict 10k f32", [784, 1024, 1024, 10],
             "relu", "softmax", "log_likelihood", "float32", 10000, 10000, kind="predict"),
    ],
}
CASES["full"] = [c._replace(n_samples=c.n_samples * (1 if c.kind == "predict" else 3))
                 for c in CASES["fast"]]

TARGETS = {
    # key: (times the best NumPy form, times PyTorch) that issue 14 asks of the numba engine;
    # "best NumPy" is the faster of fastnn's NumPy engine and the numpy-lean peer
    "mnist30-b10": (4, 20),
    "mnist100-b10": (3, 10),
    "mnist30-b1": (15, 50),
    "wide-b128": (1.5, 1.1),
    "wide-predict": (1.0, 1.0),
}
NUMPY_FORMS = ("numpy", "numpy-lean")
"""The two NumPy peers; every "x NumPy" ratio divides by the faster of them."""
BOOK_RUN_TARGET = 4.0
"""Seconds (wall, 2 cores) for the book's chapter-1 run: [784, 30, 10], 30 epochs of 50,000
MNIST images, batch 10, eta 3.0, float64, evaluating 10,000 test images each epoch."""
COLD_START_TARGET = 20.0
"""Seconds of wall time ``python -m fastnn.demo`` may report for the numba engine from an
empty numba cache."""
GEMM_TARGET = 0.5
"""The wide training case should reach this fraction of the best GEMM GFLOP/s of the run."""


def n_weights(sizes):
    return sum(int(a) * int(b) for a, b in zip(sizes[:-1], sizes[1:]))


def flops(c, n_samples=None):
    """FLOPs of one timed call of case ``c`` (see the module docstring)."""
    weights = n_weights(c.sizes)
    per_sample = 2 * weights if c.kind == "predict" else 6 * weights - 2 * c.sizes[0] * c.sizes[1]
    return per_sample * (n_samples or c.n_samples)


def data(c, seed=0):
    """Synthetic MNIST-shaped data: inputs uniform in [0, 1), labels 0..9 (one-hot targets)."""
    rng = np.random.default_rng(seed)
    X = rng.random((c.n_samples, c.sizes[0])).astype(c.dtype)
    labels = rng.integers(0, c.sizes[-1], c.n_samples)
    return X, labels


# --- runners ----------------------------------------------------------------------------------

class FastnnRunner:
    """A fastnn Network on one engine; ``fast=False`` runs the plain per-equation kernels."""

    def __init__(self, c, engine="numba", fast=True, seed=1):
        self.case = c
        if engine == "numba" and not fast:
            engine = "numba-plain"
        self.net = fastnn.Network(c.sizes, activation=c.activation, output_activation=c.output,
                                  cost=c.cost, dtype=c.dtype, seed=seed, engine=engine)

    def warm_up(self, X, labels):
        """Compile (numba) and touch every buffer once, outside any timing."""
        if self.case.kind == "predict":
            self.net.predict(X[:300])
        else:
            self.net.fit(X[:max(2 * self.case.batch, 20)], labels[:max(2 * self.case.batch, 20)],
                         epochs=1, batch_size=self.case.batch, learning_rate=LEARNING_RATE)

    def run(self, X, labels):
        """Seconds of one timed call: an epoch (as ``History.seconds`` measures it, shuffling
        and input checks excluded) or a ``predict``."""
        if self.case.kind == "predict":
            start = time.perf_counter()
            self.net.predict(X)
            return time.perf_counter() - start
        history = self.net.fit(X, labels, epochs=1, batch_size=self.case.batch,
                               learning_rate=LEARNING_RATE)
        return history.seconds[-1]


class LeanRunner:
    """The ``numpy-lean`` peer (``benchmarks.lean``): the same initial weights as the fastnn
    runners (same seed), a fresh permutation per epoch from its own generator."""

    def __init__(self, c, seed=1):
        from .lean import LeanNumpy
        net = fastnn.Network(c.sizes, activation=c.activation, output_activation=c.output,
                             cost=c.cost, dtype=c.dtype, seed=seed, engine="numpy")
        self.case = c
        self.model = LeanNumpy(net.weights, net.biases, c.activation, c.output, c.cost)
        self.rng = np.random.default_rng(seed)

    def _targets(self, labels):
        Y = np.zeros((len(labels), self.case.sizes[-1]), dtype=self.case.dtype)
        Y[np.arange(len(labels)), labels] = 1
        return Y

    def warm_up(self, X, labels):
        self.run(X[:max(2 * self.case.batch, 20)], labels[:max(2 * self.case.batch, 20)])

    def run(self, X, labels):
        """Seconds of one epoch (the shuffled copy included) or of a ``predict``."""
        if self.case.kind == "predict":
            start = time.perf_counter()
            self.model.predict(X)
            return time.perf_counter() - start
        Y = self._targets(labels)
        order = self.rng.permutation(len(X))
        start = time.perf_counter()
        self.model.train_epoch(X, Y, order, self.case.batch, LEARNING_RATE)
        return time.perf_counter() - start


class TorchRunner:
    """The same network in PyTorch (CPU, the case's dtype): nn.Linear layers, torch.optim.SGD,
    the batch loop in Python as a PyTorch user writes it. Log-likelihood uses
    ``cross_entropy`` on the logits (softmax folded into the loss)."""

    def __init__(self, c, seed=1):
        import torch
        self.torch, self.case = torch, c
        torch.manual_seed(seed)
        dtype = getattr(torch, c.dtype)
        act = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
        layers = []
        for l in range(1, len(c.sizes)):
            layers.append(torch.nn.Linear(c.sizes[l - 1], c.sizes[l]).to(dtype))
            last = l == len(c.sizes) - 1
            if not last:
                layers.append(act[c.activation]())
            elif c.output == "sigmoid":
                layers.append(torch.nn.Sigmoid())
            elif c.output == "softmax" and c.cost != "log_likelihood":
                layers.append(torch.nn.Softmax(dim=1))
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)
        self.rng = np.random.default_rng(seed)

    def _tensors(self, X, labels):
        torch = self.torch
        Xt = torch.from_numpy(X)
        yt = torch.from_numpy(labels.astype(np.int64))
        Yt = torch.nn.functional.one_hot(yt, self.case.sizes[-1]).to(Xt.dtype)
        return Xt, yt, Yt

    def warm_up(self, X, labels):
        self.run(X[:max(2 * self.case.batch, 20)], labels[:max(2 * self.case.batch, 20)])

    def run(self, X, labels):
        torch, c = self.torch, self.case
        Xt, yt, Yt = self._tensors(X, labels)
        if c.kind == "predict":
            start = time.perf_counter()
            with torch.no_grad():
                for s in range(0, len(X), 1024):
                    out = self.model(Xt[s:s + 1024])
                    if c.output == "softmax" and c.cost == "log_likelihood":
                        torch.softmax(out, dim=1)
            return time.perf_counter() - start
        order = torch.from_numpy(self.rng.permutation(len(X)))
        start = time.perf_counter()
        for s in range(0, len(X), c.batch):
            batch = order[s:s + c.batch]
            out = self.model(Xt[batch])
            if c.cost == "log_likelihood":
                loss = torch.nn.functional.cross_entropy(out, yt[batch])
            else:
                loss = 0.5 * ((out - Yt[batch]) ** 2).sum(dim=1).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return time.perf_counter() - start


class SklearnRunner:
    """scikit-learn's MLPClassifier(solver='sgd'), no momentum, no penalty; one epoch is one
    ``partial_fit`` over the data. Its output is always softmax with log-loss, so for the
    quadratic-cost cases it trains a slightly different output layer (same hidden work)."""

    def __init__(self, c, seed=1):
        from sklearn.neural_network import MLPClassifier
        self.case = c
        self.model = MLPClassifier(hidden_layer_sizes=tuple(c.sizes[1:-1]),
                                   activation={"sigmoid": "logistic"}.get(c.activation,
                                                                          c.activation),
                                   solver="sgd", batch_size=c.batch,
                                   learning_rate_init=LEARNING_RATE,
                                   momentum=0.0, nesterovs_momentum=False, alpha=0.0,
                                   shuffle=True, random_state=seed)
        self.classes = np.arange(c.sizes[-1])

    def warm_up(self, X, labels):
        rows = max(2 * self.case.batch, 20)
        self.model.partial_fit(X[:rows], labels[:rows], classes=self.classes)

    def run(self, X, labels):
        start = time.perf_counter()
        if self.case.kind == "predict":
            self.model.predict_proba(X)
        else:
            self.model.partial_fit(X, labels)
        return time.perf_counter() - start


def available_peers():
    """Names of the optional peers that are installed."""
    peers = []
    try:
        import torch  # noqa: F401
        peers.append("torch")
    except ImportError:
        pass
    try:
        import sklearn  # noqa: F401
        peers.append("sklearn")
    except ImportError:
        pass
    return peers


def make_runner(engine, c):
    if engine == "numba":
        return FastnnRunner(c, "numba")
    if engine == "numba-plain":
        return FastnnRunner(c, "numba", fast=False)
    if engine == "numpy":
        return FastnnRunner(c, "numpy")
    if engine == "numpy-lean":
        return LeanRunner(c)
    if engine == "torch":
        return TorchRunner(c)
    if engine == "sklearn":
        return SklearnRunner(c)
    raise ValueError(f"unknown engine {engine!r}")


# --- the GEMM ceiling ---------------------------------------------------------------------------

def gemm_gflops(dtype, n=1024, repeats=7):
    """Best GFLOP/s of an n x n x n matrix product in NumPy and (if installed) PyTorch:
    ``{"numpy": ..., "torch": ...}``, each the median of ``repeats`` products."""
    rng = np.random.default_rng(0)
    A, B = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    products = {"numpy": lambda: A @ B}
    try:
        import torch
        At, Bt = torch.from_numpy(A), torch.from_numpy(B)
        products["torch"] = lambda: At @ Bt
    except ImportError:
        pass
    result = {}
    for name, product in products.items():
        product()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            product()
            times.append(time.perf_counter() - start)
        result[name] = 2 * n ** 3 / np.median(times) / 1e9
    return result

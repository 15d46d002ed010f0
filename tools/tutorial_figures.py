"""Draw the pictures of docs/tutorial.md ("Learning backprop") into docs/img/.

    python tools/tutorial_figures.py                 # all five, 1000 restarts (about a minute)
    python tools/tutorial_figures.py --restarts 50   # quicker histogram

Every picture is computed the way the tutorial's code computes it (the same networks,
seeds, data and rates), with matplotlib's Agg backend:

- tutorial_chain_trace.png: document 002's chain with the trace of section 1 on it;
- tutorial_vanishing.png: gradient norm per layer, deep sigmoid / deep ReLU / shallow;
- tutorial_learning_rates.png: the loss curves at learning rates 0.05, 20 and 100;
- tutorial_doc003_trace.png: document 003's graph, trained, with one example's trace;
- tutorial_restarts.png: the final losses of 1000 restarts of document 003's graph.
"""
import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import fastnn  # noqa: E402
import fastnn.plot  # noqa: E402
from fastnn import documents  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"


def curve_problem():
    X = np.linspace(-1, 1, 40).reshape(-1, 1)
    return X, 0.5 + 0.4 * np.sin(3 * X)


def chain_trace(out):
    net = documents.chain(seed=0)
    for l, (w, b) in zip((2, 3, 4), ((0.5, 0.1), (-1.5, 0.2), (2.0, -0.3))):
        net.weights[l - 2][0, 0], net.biases[l - 2][0] = w, b
    fig = fastnn.plot.graph(net, trace=net.trace([0.8], 1.0),
                            title="document 002's chain, x = 0.8, y = 1 (neurons 0-3 = layers 1-4)")
    fig.savefig(out / "tutorial_chain_trace.png", dpi=110)
    plt.close(fig)


def _finish(fig, ax, xlabel, ylabel, title, path):
    """Label a curve plot, add its grid and legend, and write it to ``path``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def vanishing(out):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    Y = (X[:, :1] > 0).astype(float)
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name, sizes, activation, init in [
            ("deep sigmoid", [4] + [16] * 8 + [1], "sigmoid", "scaled_normal"),
            ("deep relu (He init)", [4] + [16] * 8 + [1], "relu", "he"),
            ("shallow sigmoid", [4, 16, 1], "sigmoid", "scaled_normal")]:
        net = fastnn.Network(sizes, activation=activation, output_activation="sigmoid",
                             init=init, seed=0)
        gw, _ = net.gradients(X, Y)
        norms = [np.linalg.norm(g) for g in gw]
        ax.semilogy(range(2, len(norms) + 2), norms, marker="o", label=name)
    _finish(fig, ax, "layer l (2 = first hidden, last = output)", "||dJ/dw^l||",
            "gradient norm per layer, 100 examples", out / "tutorial_vanishing.png")


def learning_rates(out):
    X, y = curve_problem()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for eta, label in ((0.05, "too small"), (20.0, "about right"), (100.0, "too large")):
        net = fastnn.Network([1, 8, 1], seed=0)
        history = net.fit(X, y, epochs=300, batch_size=len(X), learning_rate=eta)
        ax.semilogy(range(1, len(history.loss) + 1), history.loss, label=f"eta = {eta:g} ({label})")
    _finish(fig, ax, "epoch", "training loss (mean cost)",
            "full-batch gradient descent, 1-8-1 network, y = 0.5 + 0.4 sin 3x",
            out / "tutorial_learning_rates.png")


def doc003_trace(out):
    X, y = curve_problem()
    net = documents.network_003(seed=0, init="normal")
    net.fit(X, y, epochs=1000, batch_size=len(X), learning_rate=2.0)
    t = net.trace([0.5], 0.5 + 0.4 * np.sin(1.5))
    title = f"document 003's graph after 1000 epochs; x = 0.5: C_x = {t.cost:.3g}"
    fig = fastnn.plot.graph(net, trace=t, title=title)
    fig.savefig(out / "tutorial_doc003_trace.png", dpi=110)
    plt.close(fig)


def restarts(out, n):
    X, y = curve_problem()
    result = fastnn.best_of(n, lambda seed: documents.network_003(seed=seed, init="normal"),
                            X, y, epochs=300, batch_size=len(X), learning_rate=2.0)
    scores = np.array([s for s in result.scores if s is not None])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(np.log10(scores), bins=40, color="tab:blue")
    ax.axvline(np.log10(scores.min()), color="tab:red", label="best")
    ax.set_xlabel("log10 final training loss")
    ax.set_ylabel("restarts")
    ax.set_title(f"{len(scores)} restarts of document 003's graph, 300 epochs")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "tutorial_restarts.png", dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    chain_trace(args.out)
    vanishing(args.out)
    learning_rates(args.out)
    doc003_trace(args.out)
    restarts(args.out, args.restarts)
    print(f"pictures -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

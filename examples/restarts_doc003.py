"""Document 003's answer to local minima: run backpropagation 1000 times, keep the best.

"The practical solution is simply to run the entire backpropagation algorithm a bunch of
times, say 1000 times, starting from different initial weights ... and then we take the best
of those." The document's running example is a nine-neuron layered network: one input
neuron, two hidden layers of two neurons, one output neuron, and a bias neuron in the input
and each hidden layer, logistic functions inside - ``fastnn.Network([1, 2, 2, 1])``.

Here it learns a 1-D curve (``y = 0.5 + 0.4 sin(3x)`` on 40 points of [-1, 1]) by full-batch
gradient descent. ``fastnn.best_of`` trains all restarts together in one compiled loop (each
bit-identical to training it alone); the script prints the spread of the final losses, the
best network, and draws their histogram (a PNG, with matplotlib).

    python examples/restarts_doc003.py                      # 1000 restarts, 2000 epochs
    python examples/restarts_doc003.py --restarts 50 --epochs 200 --png losses.png
"""
import argparse
import time

import numpy as np

import fastnn


def problem(n=40):
    x = np.linspace(-1, 1, n).reshape(-1, 1)
    return x, 0.5 + 0.4 * np.sin(3 * x)


def make(seed):
    return fastnn.Network([1, 2, 2, 1], activation="sigmoid", init="normal", seed=seed)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--restarts", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=2000)
    p.add_argument("--learning-rate", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--png", default="restarts_doc003.png", help="histogram file ('' for none)")
    p.add_argument("--progress", action="store_true", help="a progress bar over the population")
    args = p.parse_args(argv)
    X, y = problem()
    tic = time.perf_counter()
    result = fastnn.best_of(args.restarts, make, X, y, seed=args.seed, epochs=args.epochs,
                            batch_size=len(X), learning_rate=args.learning_rate,
                            progress=args.progress)
    seconds = time.perf_counter() - tic
    scores = np.array([s for s in result.scores if s is not None])
    diverged = sum(s is None for s in result.scores)
    print(f"{args.restarts} restarts x {args.epochs} epochs of the nine-neuron network "
          f"[1, 2, 2, 1] in {seconds:.2f} s ({diverged} diverged)")
    q = np.quantile(scores, [0, 0.1, 0.5, 0.9, 1])
    print("final loss: best {:.3e}, 10% {:.3e}, median {:.3e}, 90% {:.3e}, worst {:.3e}".format(*q))
    best = result.network
    print(f"best restart #{result.best_index} (seed {result.seeds[result.best_index]}): "
          f"loss {result.scores[result.best_index]:.3e}; "
          f"{np.mean(scores > 10 * scores.min()):.0%} of the restarts end 10x worse")
    for l, (w, b) in enumerate(zip(best.weights, best.biases), start=2):
        print(f"  w^{l} = {np.array2string(w, precision=3)}  b^{l} = {np.array2string(b, precision=3)}")
    if args.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(np.log10(scores), bins=40, color="tab:blue")
        ax.axvline(np.log10(scores.min()), color="tab:red", label="best")
        ax.set_xlabel("log10 final training loss")
        ax.set_ylabel("restarts")
        ax.set_title(f"{len(scores)} restarts of [1, 2, 2, 1], {args.epochs} epochs")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.png, dpi=100)
        plt.close(fig)
        print(f"histogram -> {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Document 003's answer to local minima: run backpropagation 1000 times, keep the best.

"The practical solution is simply to run the entire backpropagation algorithm a bunch of
times, say 1000 times, starting from different initial weights ... and then we take the best
of those." The document's running example is its nine-neuron graph: input neuron 1, hidden
neurons 3, 4 and 6, 7, output neuron 9, and bias neurons 2, 5, 8 that always output 1; 3
feeds only 6 (there is no edge 3 -> 7). ``fastnn.documents.network_003()`` builds it
literally (``Graph(..., bias_neurons=[2, 5, 8])``), with logistic functions inside.

Here it learns a 1-D curve (``y = 0.5 + 0.4 sin(3x)`` on 40 points of [-1, 1]) by full-batch
gradient descent. ``fastnn.best_of`` trains the restarts on all cores, each exactly as it
would train alone; the script prints the spread of the final losses, the best network's
weights by edge, and draws their histogram (a PNG, with matplotlib). The default, 1000
restarts of 1000 epochs, takes about two minutes on two cores.

    python examples/restarts_doc003.py                      # 1000 restarts, 1000 epochs
    python examples/restarts_doc003.py --restarts 50 --epochs 200 --png losses.png
"""
import argparse
import time

import numpy as np

import fastnn
from fastnn import documents


def problem(n=40):
    x = np.linspace(-1, 1, n).reshape(-1, 1)
    return x, 0.5 + 0.4 * np.sin(3 * x)


def make(seed):
    return documents.network_003(init="normal", seed=seed)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--restarts", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=1000)
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
    print(f"{args.restarts} restarts x {args.epochs} epochs of document 003's nine-neuron "
          f"graph in {seconds:.2f} s ({diverged} diverged)")
    q = np.quantile(scores, [0, 0.1, 0.5, 0.9, 1])
    print("final loss: best {:.3e}, 10% {:.3e}, median {:.3e}, 90% {:.3e}, worst {:.3e}".format(*q))
    best = result.network
    print(f"best restart #{result.best_index} (seed {result.seeds[result.best_index]}): "
          f"loss {result.scores[result.best_index]:.3e}; "
          f"{np.mean(scores > 10 * scores.min()):.0%} of the restarts end 10x worse")
    print("  " + ", ".join(f"w_{{{j},{i}}} = {w:.3f}"  # the document's w_{j,i}: edge i -> j
                           for (i, j), w in zip(best.topology.edges, best.weights)))
    if args.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(np.log10(scores), bins=40, color="tab:blue")
        ax.axvline(np.log10(scores.min()), color="tab:red", label="best")
        ax.set_xlabel("log10 final training loss")
        ax.set_ylabel("restarts")
        ax.set_title(f"{len(scores)} restarts of document 003's graph, {args.epochs} epochs")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.png, dpi=100)
        plt.close(fig)
        print(f"histogram -> {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

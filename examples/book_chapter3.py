"""Reproduce chapter 3 of Nielsen's "Neural Networks and Deep Learning" on real MNIST.

Chapter 3 improves chapter 1's network three ways: the cross-entropy cost (no learning
slowdown of saturated sigmoid outputs), weights drawn from N(0, 1/n_in) ("scaled normal", so
hidden neurons do not start saturated) and L2 regularisation (weight decay). With 100 hidden
neurons, lambda = 5.0, eta = 0.5, mini-batch 10 and 30 epochs on the first 50,000 training
images the book reaches about 98% (it reports 97.92% on its validation set).

    python examples/book_chapter3.py                      # seeds 1 and 2, 30 epochs
    python examples/book_chapter3.py --seeds 1 --epochs 10 --engine numpy
    python examples/book_chapter3.py --l2 0               # the same without regularisation

The L2 term is the book's: cost + (lambda / 2n) sum w^2 over the weights (not the biases),
n = 50,000 the training-set size, i.e. each step decays w by the factor 1 - eta lambda / n.
"""
import sys

import fastnn

from book_common import load, parser, summary, train_and_report

BOOK = {"[784, 100, 10]": "~98%"}


def main(argv=None):
    p = parser(__doc__.split("\n\n")[0], epochs=30, learning_rate=0.5, seeds=[1, 2])
    p.add_argument("--l2", type=float, default=5.0, help="lambda (default: 5.0, the book's)")
    p.add_argument("--hidden", type=int, default=100, help="hidden neurons (default: 100)")
    args = p.parse_args(argv)
    fit_options = {"l2": args.l2} if args.l2 else {}
    data = load(args)
    results = []
    for seed in args.seeds:
        net = fastnn.Network([784, args.hidden, 10], activation="sigmoid",
                             output_activation="sigmoid", cost="cross_entropy",
                             init="scaled_normal", dtype=args.dtype, seed=seed,
                             engine=args.engine)
        results.append(train_and_report(net, data, args, fit_options,
                                        label=f"[784, {args.hidden}, 10]"))
    summary(results, BOOK)
    return 0


if __name__ == "__main__":
    sys.exit(main())

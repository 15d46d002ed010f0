"""Reproduce chapter 1 of Nielsen's "Neural Networks and Deep Learning" on real MNIST.

The book trains sigmoid networks with the quadratic cost by mini-batch SGD (mini-batch 10,
eta = 3.0, 30 epochs, weights and biases drawn from N(0, 1)) on the first 50,000 MNIST
training images, and reports the test accuracy:

    [784, 30, 10]    ~95%    (95.42% at the book's best epoch)
    [784, 100, 10]   ~96.6%  (96.59%)

With N(0, 1) weights on 784 inputs many hidden neurons start saturated, so some runs get
stuck far below these figures (chapter 3's scaled initialisation is the book's cure); the
script trains each network once per seed (--seeds) to show the spread.

    python examples/book_chapter1.py                       # both networks, seeds 1-4
    python examples/book_chapter1.py --sizes 30 --seeds 2 --epochs 5 --engine numpy
    python examples/book_chapter1.py --data ~/mnist        # or set FASTNN_DATA
"""
import sys

import fastnn

from book_common import load, parser, summary, train_and_report

BOOK = {"[784, 30, 10]": "95.42%", "[784, 100, 10]": "96.59%"}


def main(argv=None):
    p = parser(__doc__.split("\n\n")[0], epochs=30, learning_rate=3.0, seeds=[1, 2, 3, 4])
    p.add_argument("--sizes", type=int, nargs="+", choices=[30, 100], default=[30, 100],
                   help="hidden layer sizes to train (default: 30 and 100)")
    args = p.parse_args(argv)
    data = load(args)
    results = []
    for hidden in args.sizes:
        for seed in args.seeds:
            net = fastnn.Network([784, hidden, 10], activation="sigmoid", cost="quadratic",
                                 init="normal", dtype=args.dtype, seed=seed, engine=args.engine)
            results.append(train_and_report(net, data, args, label=f"[784, {hidden}, 10]"))
    summary(results, BOOK)
    return 0


if __name__ == "__main__":
    sys.exit(main())

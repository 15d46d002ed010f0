"""Fashion-MNIST through fastnn's IDX reader, classified by a scikit-learn pipeline.

Fashion-MNIST (Zalando Research) has MNIST's format and sizes: 28x28 grey images of ten kinds
of clothing, 60,000 for training and 10,000 for testing. ``fastnn.datasets.load_fashion_mnist``
reads it like MNIST; ``fastnn.sklearn.MLPClassifier`` then trains inside an ordinary
scikit-learn ``Pipeline`` (standardised pixels, Adam, early stopping on 10% of the training
set) and is scored with scikit-learn's metrics.

    pip install 'fastnn[sklearn]'
    python examples/fashion_mnist_sklearn.py --data ~/fashion-mnist      # or set FASTNN_DATA
    python examples/fashion_mnist_sklearn.py --max-iter 5 --hidden 100
"""
import argparse
import os
import sys
import time
from pathlib import Path

from sklearn.metrics import classification_report
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastnn.datasets import load_fashion_mnist
from fastnn.sklearn import MLPClassifier

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot"]
CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fashion-mnist"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="folder with the four Fashion-MNIST files")
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    p.add_argument("--max-iter", type=int, default=30)
    p.add_argument("--engine", choices=["numba", "numpy"], default="numba")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    folder = args.data
    if folder is None and not os.environ.get("FASTNN_DATA") and CHECKOUT_DATA.is_dir():
        folder = CHECKOUT_DATA

    (X, y), (X_test, y_test) = load_fashion_mnist(folder, dtype="float32")
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=tuple(args.hidden), solver="adam",
                      learning_rate_init=1e-3, batch_size=128, alpha=1e-4,
                      max_iter=args.max_iter, early_stopping=True, n_iter_no_change=5,
                      random_state=args.seed, engine=args.engine, dtype="float32",
                      verbose=True))
    started = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - started
    mlp = model[-1]
    print(f"\n{mlp.n_iter_} epochs in {seconds:.1f} s; best validation accuracy "
          f"{mlp.best_validation_score_:.2%}")
    print(f"test accuracy: {model.score(X_test, y_test):.2%}\n")
    print(classification_report(y_test, model.predict(X_test), target_names=CLASSES, digits=3))
    return 0


if __name__ == "__main__":
    sys.exit(main())

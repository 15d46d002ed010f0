"""Sparse input: ``Network.fit`` on a scipy CSR matrix against scikit-learn's ``MLPClassifier``.

A text-like matrix (default 20,000 training rows x 50,000 features at 0.1% density: about 50
stored entries per row, words drawn from a Zipf-like background, values tf-idf-like:
log(1 + count), rows scaled to unit length) whose label is a topic: 5 classes, each with 400
random topic words, from which 12% of a row's words are drawn (about 6 per row, among 44
background words), and a held-out test set of a quarter of that size from the same model.

Both learners get the same parameters: one hidden layer of 100 relu, softmax outputs with
the log-loss, Adam (learning rate 1e-3, beta 0.9/0.999, eps 1e-8), batch 200, shuffled,
scikit-learn's default ``alpha=1e-4``, Glorot-uniform weights, the same number of epochs
and the same dtype (float64 by default, as scikit-learn trains on float64 input).
scikit-learn's L2 term is :math:`\\frac{\\alpha}{2m}\\|W\\|^2` per batch of m samples
(its gradient :math:`\\alpha W/m`); fastnn's is :math:`\\frac{\\lambda}{2n}\\|W\\|^2` with n
the training-set size, so ``l2 = alpha * n / batch_size`` gives the same per-step decay.
scikit-learn's early stopping on the training loss is switched off (``tol=0``,
``n_iter_no_change=epochs + 1``) so that both run every epoch.

Timed: ``fit`` (fastnn: compiled loops warmed up on a small fit first; the conversion to
the canonical CSR form inside ``fit`` is included), and test accuracy. Rounds alternate
between the learners; the medians are reported, with ``uptime``'s load before and after.

    PYTHONPATH=. python benchmarks/sparse_input.py [--rows 20000] [--features 50000]
        [--density 0.001] [--epochs 3] [--rounds 3] [--dtype float64]
"""
import argparse
import os
import time

import numpy as np
import scipy.sparse as sp


def dataset(n_rows, n_features, density, seed=0, n_classes=5, topic_words=400, topic_share=0.12):
    """(X_train, y_train, X_test, y_test), a quarter of ``n_rows`` for the test set: CSR rows
    of about ``density * n_features`` entries (Poisson), each word drawn with probability
    ``topic_share`` from its row's class topic (``topic_words`` random columns per class),
    otherwise from a Zipf-like background over all columns; values log(1 + count), rows of
    unit length (tf-idf-like)."""
    rng = np.random.default_rng(seed)
    n = n_rows + n_rows // 4
    y = rng.integers(0, n_classes, n)
    per_row = rng.poisson(density * n_features, n).clip(1, None)
    ranks = np.arange(1, n_features + 1, dtype=np.float64)
    p = 1.0 / (ranks + 20.0) ** 0.8
    background = rng.permutation(n_features)[rng.choice(n_features, size=int(per_row.sum()),
                                                        p=p / p.sum())]
    topics = rng.integers(0, n_features, (n_classes, topic_words))
    rows = np.repeat(np.arange(n), per_row)
    from_topic = rng.random(rows.shape[0]) < topic_share
    cols = np.where(from_topic, topics[y[rows], rng.integers(0, topic_words, rows.shape[0])],
                    background)
    X = sp.csr_array((np.ones(rows.shape[0]), (rows, cols)), shape=(n, n_features))
    X.sum_duplicates()
    X.data = np.log1p(X.data)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
    X = sp.csr_array(sp.diags_array(1.0 / norms) @ X)
    X.sort_indices()
    return X[:n_rows], y[:n_rows], X[n_rows:], y[n_rows:]


def load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def fit_fastnn(X, y, epochs, batch_size, alpha, dtype, seed):
    import fastnn
    net = fastnn.Network([X.shape[1], 100, int(y.max()) + 1], activation="relu",
                         output_activation="softmax", cost="log_likelihood", init="xavier",
                         dtype=dtype, seed=seed)
    tic = time.perf_counter()
    net.fit(X, y, epochs=epochs, batch_size=batch_size, learning_rate=1e-3, optimizer="adam",
            l2=alpha * X.shape[0] / batch_size)
    return net, time.perf_counter() - tic


def fit_sklearn(X, y, epochs, batch_size, alpha, dtype, seed):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(100,), activation="relu", solver="adam",
                        alpha=alpha, batch_size=batch_size, learning_rate_init=1e-3,
                        max_iter=epochs, shuffle=True, random_state=seed, tol=0.0,
                        n_iter_no_change=epochs + 1)
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X.astype(dtype), y)
    return clf, time.perf_counter() - tic


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--features", type=int, default=50_000)
    parser.add_argument("--density", type=float, default=0.001)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    import fastnn
    if args.threads:
        fastnn.set_num_threads(args.threads)
    X, y, X_test, y_test = dataset(args.rows, args.features, args.density)
    print(f"X {X.shape[0]:,} x {X.shape[1]:,}, {X.nnz:,} stored ({X.nnz / np.prod(X.shape):.4%}), "
          f"{int(y.max()) + 1} classes (largest {np.bincount(y).max() / len(y):.1%}); "
          f"test {X_test.shape[0]:,} rows; dtype {args.dtype}, {args.epochs} epochs, "
          f"{fastnn.get_num_threads()} threads")
    batch, alpha = 200, 1e-4
    fit_fastnn(X[:400], y[:400], 1, batch, alpha, args.dtype, 0)  # compile / load the loops
    print("before:", load())
    rows = {"fastnn": [], "sklearn": []}
    for r in range(args.rounds):
        for name, fit in (("fastnn", fit_fastnn), ("sklearn", fit_sklearn)):
            model, seconds = fit(X, y, args.epochs, batch, alpha, args.dtype, r)
            Xt = X_test.astype(args.dtype)
            predicted = model.predict(Xt)  # fastnn: output activations, one column per class
            if name == "fastnn":
                predicted = predicted.argmax(axis=1)
            accuracy = float((predicted == y_test).mean())
            rows[name].append((seconds, accuracy))
            print(f"round {r}: {name:8s} fit {seconds:7.2f} s  test accuracy {accuracy:.4f}",
                  flush=True)
    print("after:", load())
    med = {name: (float(np.median([s for s, _ in v])), float(np.median([a for _, a in v])))
           for name, v in rows.items()}
    for name, (seconds, accuracy) in med.items():
        print(f"median {name:8s} fit {seconds:7.2f} s  test accuracy {accuracy:.4f}")
    ratio = med["sklearn"][0] / med["fastnn"][0]
    gap = 100 * (med["fastnn"][1] - med["sklearn"][1])
    print(f"fastnn is {ratio:.1f}x faster; accuracy difference {gap:+.2f} points "
          f"(target: >= 5x, within 0.5 points)")


if __name__ == "__main__":
    main()

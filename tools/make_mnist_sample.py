"""Make the small MNIST sample bundled in fastnn/data/mnist-sample/.

The sample lets examples and the README run on a fresh machine with no data folder.
It is a deterministic, class-balanced subset of the real MNIST files:

* training: for each digit 0-9, the first 500 images of that digit among the
  first 50,000 training images (so it never overlaps Nielsen's validation set,
  the last 10,000) -- 5,000 images;
* test: for each digit, the first 100 images of that digit in t10k -- 1,000 images.

Selected rows keep their original order and their pixels are unchanged. They are
written as gzip IDX files with MNIST's file names (so ``load_mnist(<folder>)`` reads
them too), plus the selected row numbers as int32 IDX files and ATTRIBUTION.txt.
No randomness is involved; rerunning gives the same arrays.

Usage::

    python tools/make_mnist_sample.py [--source DIR] [--out DIR] [--check]

``--source`` is the folder holding MNIST (default: $FASTNN_DATA, else
../shared/data beside the repository); ``--check`` verifies the committed files hold
exactly what would be written, without writing anything.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "fastnn" / "data"
TRAIN_PER_CLASS = 500
TEST_PER_CLASS = 100
TRAIN_POOL = 50_000  # Nielsen's training part of the 60,000 training images


def _load_datasets_module():
    """fastnn's MNIST loader with the IDX reader and writer it uses, from this checkout.

    ``fastnn.datasets.mnist`` and ``fastnn.io.idx`` import numpy and ``fastnn.core`` only
    (no compiled code runs).
    """
    sys.path.insert(0, str(REPO))
    from fastnn.datasets import mnist
    from fastnn.io import idx
    module = type(sys)("_fastnn_datasets")
    module.find_mnist_files = mnist.find_mnist_files
    module.DATA_ENV_VAR = mnist.DATA_ENV_VAR
    module.read_idx = idx.read_idx
    module.write_idx = idx.write_idx
    return module


ds = _load_datasets_module()


def balanced_rows(labels, per_class, pool=None):
    """Row numbers of the first ``per_class`` examples of each class, in file order.

    Parameters
    ----------
    labels : numpy.ndarray
        Shape ``(n,)``, class labels 0-9.
    per_class : int
        Examples to take per class.
    pool : int, optional
        Only consider the first ``pool`` rows.

    Returns
    -------
    numpy.ndarray
        Shape ``(10 * per_class,)``, int32, increasing.
    """
    labels = labels[:pool]
    rows = []
    for digit in range(10):
        found = np.flatnonzero(labels == digit)[:per_class]
        if len(found) < per_class:
            raise ValueError(f"only {len(found)} examples of digit {digit}")
        rows.append(found)
    return np.sort(np.concatenate(rows)).astype(np.int32)


ATTRIBUTION = """\
fastnn bundled data: MNIST sample
=================================

Files in mnist-sample/ are a subset of "The MNIST database of handwritten digits"
by Yann LeCun, Corinna Cortes and Christopher J. C. Burges.
Licence: Creative Commons Attribution-Share Alike 3.0 (CC BY-SA 3.0),
https://creativecommons.org/licenses/by-sa/3.0/ -- this subset is redistributed
under the same licence.

What the subset is
------------------
train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz:
    {n_train:,} training digits, {train_per_class} of each digit 0-9: for each digit,
    the first {train_per_class} images of that digit among the first {pool:,} images of
    the MNIST training set (never from the last 10,000, which Nielsen's book uses
    for validation).
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz:
    {n_test:,} test digits, {test_per_class} of each digit: for each digit, the first
    {test_per_class} images of that digit in the MNIST test set (t10k).
train-indices-idx1-int32.gz, t10k-indices-idx1-int32.gz:
    the row number of each sample image in the original file (0-based, int32).

The selected images keep their original order; pixels and labels are unchanged
(28x28 unsigned bytes, standard IDX format, gzip-compressed).

How it was made
---------------
By tools/make_mnist_sample.py (no randomness; rerun it to reproduce, or run it
with --check to verify) from the standard MNIST distribution files. This file is
written by that script.

Load it with fastnn.datasets.load_mnist_sample(); mnist_sample_indices() gives
the row numbers.
"""


def build(source):
    """Read MNIST from ``source`` and return the files to write, name -> array."""
    files = ds.find_mnist_files(source, "mnist")
    train_images = ds.read_idx(files["train_images"])
    train_labels = ds.read_idx(files["train_labels"])
    test_images = ds.read_idx(files["test_images"])
    test_labels = ds.read_idx(files["test_labels"])
    train_rows = balanced_rows(train_labels, TRAIN_PER_CLASS, TRAIN_POOL)
    test_rows = balanced_rows(test_labels, TEST_PER_CLASS)
    return {
        "train-images-idx3-ubyte.gz": train_images[train_rows],
        "train-labels-idx1-ubyte.gz": train_labels[train_rows],
        "t10k-images-idx3-ubyte.gz": test_images[test_rows],
        "t10k-labels-idx1-ubyte.gz": test_labels[test_rows],
        "train-indices-idx1-int32.gz": train_rows,
        "t10k-indices-idx1-int32.gz": test_rows,
    }


def attribution_text():
    return ATTRIBUTION.format(
        n_train=10 * TRAIN_PER_CLASS,
        n_test=10 * TEST_PER_CLASS,
        train_per_class=TRAIN_PER_CLASS,
        test_per_class=TEST_PER_CLASS,
        pool=TRAIN_POOL,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_source = os.environ.get(ds.DATA_ENV_VAR) or str(REPO.parent / "shared" / "data")
    parser.add_argument("--source", default=default_source,
                        help="folder holding MNIST (default: %(default)s)")
    parser.add_argument("--out", default=str(DATA_DIR),
                        help="fastnn data folder to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="verify the existing files instead of writing them")
    args = parser.parse_args(argv)

    out = Path(args.out)
    sample_dir = out / "mnist-sample"
    arrays = build(args.source)

    if args.check:
        problems = []
        for name, array in arrays.items():
            path = sample_dir / name
            if not path.is_file():
                problems.append(f"{path}: missing")
                continue
            stored = ds.read_idx(path)
            if stored.dtype != array.dtype or not np.array_equal(stored, array):
                problems.append(f"{path}: content differs")
        text = out / "ATTRIBUTION.txt"
        if not text.is_file() or text.read_text(encoding="utf-8") != attribution_text():
            problems.append(f"{text}: missing or differs")
        for problem in problems:
            print(problem, file=sys.stderr)
        print("sample OK" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0

    sample_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, array in arrays.items():
        path = ds.write_idx(sample_dir / name, array)
        size = path.stat().st_size
        total += size
        print(f"{path}: shape {array.shape} {array.dtype}, {size:,} bytes")
    (out / "ATTRIBUTION.txt").write_text(attribution_text(), encoding="utf-8")
    print(f"total {total:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

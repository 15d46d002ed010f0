"""Datasets for fastnn: IDX files, MNIST, a bundled MNIST sample and toy problems.

This module reads and writes the IDX format used by MNIST and Fashion-MNIST (``fastnn.idx``,
re-exported here), loads
those datasets from a local folder (nothing is ever downloaded), loads a small,
class-balanced subset of real MNIST that ships inside the package, and generates
small synthetic problems (XOR, two spirals, a house-price style regression curve).

It depends on numpy only and imports nothing else from fastnn.

Conventions
-----------
* Images are returned flattened, one example per row: ``X`` has shape
  ``(n_samples, 784)`` with pixel values scaled to ``[0, 1]`` (float64 by default,
  any floating dtype through ``dtype=``).
* Class labels are integer vectors of shape ``(n_samples,)`` and dtype int64.
* Data folders: a loader takes a ``path`` argument; without it the environment
  variable ``FASTNN_DATA`` is used. Either may name a folder that holds the four
  IDX files directly, or a folder with ``mnist/`` and ``fashion-mnist/``
  subfolders.
"""

from __future__ import annotations

import errno
import math
import os
from pathlib import Path

import numpy as np

from .idx import read_idx, write_idx

__all__ = [
    "DATA_ENV_VAR",
    "KINDS",
    "read_idx",
    "write_idx",
    "find_mnist_files",
    "load_mnist",
    "load_fashion_mnist",
    "load_mnist_sample",
    "mnist_sample_indices",
    "make_xor",
    "make_spirals",
    "make_regression_curve",
]

#: Environment variable naming the data folder when no ``path`` is given.
DATA_ENV_VAR = "FASTNN_DATA"

#: Dataset names accepted by :func:`load_mnist` (``kind=``); also the subfolder names.
KINDS = ("mnist", "fashion-mnist")

# File names of the standard distribution, identical for MNIST and Fashion-MNIST.
# Each may also be stored uncompressed (the same name without ".gz").
_FILE_STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_IMAGE_SHAPE = (28, 28)
_N_CLASSES = 10

# The bundled sample, made by tools/make_mnist_sample.py.
_SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "mnist-sample"
_SAMPLE_INDEX_FILES = ("train-indices-idx1-int32.gz", "t10k-indices-idx1-int32.gz")


# ---------------------------------------------------------------------------
# MNIST and Fashion-MNIST from a local folder
# ---------------------------------------------------------------------------


def _expected_files_text():
    names = ", ".join(stem + ".gz" for stem in _FILE_STEMS.values())
    return f"{names} (uncompressed copies without .gz are accepted too)"


def _scan_folder(folder):
    """Look for the four files in one folder.

    Returns ``(files, problem)``: a dict of paths and None when all four are there,
    else None and a short description of what is wrong.
    """
    if not folder.exists():
        return None, "does not exist"
    if not folder.is_dir():
        return None, "is not a folder"
    files, missing = {}, []
    for key, stem in _FILE_STEMS.items():
        for candidate in (folder / (stem + ".gz"), folder / stem):
            if candidate.is_file():
                files[key] = candidate
                break
        else:
            missing.append(stem + ".gz")
    if len(missing) == len(_FILE_STEMS):
        return None, "holds none of the files"
    if missing:
        return None, "missing " + ", ".join(missing)
    return files, None


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
    return kind


def find_mnist_files(path=None, kind="mnist"):
    """Locate the four IDX files of MNIST or Fashion-MNIST.

    The data folder is ``path`` if given, else the value of the environment variable
    ``FASTNN_DATA``. Within it, the files are looked for first in the subfolder named
    after ``kind`` (``<folder>/mnist`` or ``<folder>/fashion-mnist``), then in the
    folder itself. The folder itself is skipped when its own name is the other
    dataset's (e.g. ``.../mnist`` when asking for ``kind="fashion-mnist"``), since
    both datasets use the same file names.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Data folder. Defaults to ``$FASTNN_DATA``.
    kind : {"mnist", "fashion-mnist"}, default "mnist"
        Which dataset.

    Returns
    -------
    dict of str to pathlib.Path
        Keys ``"train_images"``, ``"train_labels"``, ``"test_images"``,
        ``"test_labels"``.

    Raises
    ------
    FileNotFoundError
        If no folder is given, or no candidate folder holds all four files. The
        message lists the expected file names, each folder searched and what was
        wrong with it, and where to put the files.
    ValueError
        If ``kind`` is not one of :data:`KINDS`.
    """
    _check_kind(kind)
    expected = _expected_files_text()
    if path is not None:
        root, source = Path(path), "the path argument"
    elif os.environ.get(DATA_ENV_VAR):
        root, source = Path(os.environ[DATA_ENV_VAR]), f"${DATA_ENV_VAR}"
    else:
        raise FileNotFoundError(
            f"No data folder for {kind!r}: pass path=<folder> or set the environment "
            f"variable {DATA_ENV_VAR}=<folder>. The folder must hold {expected}, either "
            f"directly or in a subfolder named {kind!r}. fastnn downloads nothing; "
            "for a small bundled MNIST subset use load_mnist_sample()."
        )
    root = root.expanduser()
    candidates = [root / kind]
    if root.name not in KINDS or root.name == kind:
        candidates.append(root)
    problems = []
    for folder in candidates:
        files, problem = _scan_folder(folder)
        if files is not None:
            return files
        problems.append(f"{folder}: {problem}")
    if root.name in KINDS and root.name != kind:
        problems.append(f"{root}: is the folder of {root.name!r}, not {kind!r}")
    raise FileNotFoundError(
        f"{kind} files not found in {root} (from {source}). Expected {expected} in "
        f"{root / kind} or directly in {root}. Searched: " + "; ".join(problems) + ". "
        f"Put the files there, or pass path=<folder> / set {DATA_ENV_VAR}=<folder> "
        "to where they are."
    )


def _check_float_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype!r}") from exc
    if dt.kind != "f":
        raise TypeError(
            f"dtype must be a floating-point dtype such as numpy.float64 or "
            f"numpy.float32, got {dt}"
        )
    return dt


def _load_split(image_file, label_file, dtype):
    """Read one images/labels pair and return ``X (n, 784)`` and ``y (n,)``."""
    images = read_idx(image_file)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"{image_file}: expected an IDX image file (magic 2051: unsigned bytes, 3 "
            f"dimensions), got {images.dtype} with {images.ndim} dimensions"
        )
    if images.shape[1:] != _IMAGE_SHAPE:
        raise ValueError(
            f"{image_file}: expected 28x28 images, got {images.shape[1]}x{images.shape[2]}"
        )
    labels = read_idx(label_file)
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{label_file}: expected an IDX label file (magic 2049: unsigned bytes, 1 "
            f"dimension), got {labels.dtype} with {labels.ndim} dimensions"
        )
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{label_file}: {labels.shape[0]} labels for {images.shape[0]} images in "
            f"{image_file}"
        )
    if labels.size and labels.max() >= _N_CLASSES:
        raise ValueError(f"{label_file}: label {labels.max()} out of range 0-9")
    X = images.reshape(images.shape[0], -1).astype(dtype)
    X /= 255
    return X, labels.astype(np.int64)


def _check_validation_size(validation_size):
    if validation_size is None:
        return None
    if isinstance(validation_size, bool) or not isinstance(
        validation_size, (int, np.integer)
    ):
        raise TypeError(
            f"validation_size must be None or an integer, got {validation_size!r}"
        )
    if validation_size < 0:
        raise ValueError(f"validation_size must be >= 0, got {validation_size}")
    return int(validation_size)


def _load_folder(files, validation_size, dtype):
    train = _load_split(files["train_images"], files["train_labels"], dtype)
    test = _load_split(files["test_images"], files["test_labels"], dtype)
    if validation_size is None:
        return train, test
    n_train = train[1].shape[0]
    if validation_size >= n_train:
        raise ValueError(
            f"validation_size must be smaller than the {n_train} training examples, "
            f"got {validation_size}"
        )
    cut = n_train - validation_size
    X, y = train
    return (X[:cut], y[:cut]), (X[cut:], y[cut:]), test


def load_mnist(path=None, *, kind="mnist", validation_size=None, dtype=np.float64):
    """Load MNIST (or Fashion-MNIST) from a local folder.

    Nothing is downloaded. The folder is ``path`` or ``$FASTNN_DATA``, holding the
    four standard files directly or in a subfolder named after ``kind``; see
    :func:`find_mnist_files`.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Data folder. Defaults to the environment variable ``FASTNN_DATA``.
    kind : {"mnist", "fashion-mnist"}, default "mnist"
        Which dataset; both share the format, sizes and file names.
    validation_size : int, optional
        If None (the default), return the standard split: train (60,000) and test
        (10,000). If an integer ``v``, also hold out the *last* ``v`` training
        examples as a validation set. ``validation_size=10000`` gives Nielsen's split
        from *Neural Networks and Deep Learning*: the first 50,000 training images
        for training, the last 10,000 for validation, and t10k for testing.
    dtype : numpy dtype, default numpy.float64
        Floating-point dtype of the images (e.g. ``numpy.float32``).

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        When ``validation_size`` is None. ``X_*`` has shape ``(n, 784)`` and dtype
        ``dtype`` with values in ``[0, 1]`` (pixel / 255, rows are the 28x28 images
        in row-major order); ``y_*`` has shape ``(n,)``, dtype int64, values 0-9.
    (X_train, y_train), (X_val, y_val), (X_test, y_test)
        When ``validation_size`` is given: the same, with ``n_train - v`` training
        and ``v`` validation rows, in file order.

    Raises
    ------
    FileNotFoundError
        If the files are not found; the message says which files are expected and
        where to put them.
    ValueError
        If ``kind`` is unknown, ``validation_size`` is negative or not smaller than
        the training set, or a file is not a valid MNIST-style IDX file.
    TypeError
        If ``dtype`` is not a floating-point dtype or ``validation_size`` is not an
        integer.

    See Also
    --------
    load_fashion_mnist : The same for Fashion-MNIST.
    load_mnist_sample : A small MNIST subset bundled with fastnn.

    Examples
    --------
    >>> (X_train, y_train), (X_test, y_test) = load_mnist("data")  # doctest: +SKIP
    >>> X_train.shape, y_train.shape  # doctest: +SKIP
    ((60000, 784), (60000,))
    >>> train, val, test = load_mnist(validation_size=10000)  # doctest: +SKIP
    >>> len(train[1]), len(val[1]), len(test[1])  # doctest: +SKIP
    (50000, 10000, 10000)
    """
    _check_kind(kind)
    dtype = _check_float_dtype(dtype)
    validation_size = _check_validation_size(validation_size)
    files = find_mnist_files(path, kind)
    return _load_folder(files, validation_size, dtype)


def load_fashion_mnist(path=None, *, validation_size=None, dtype=np.float64):
    """Load Fashion-MNIST (Zalando Research) from a local folder.

    Same as ``load_mnist(path, kind="fashion-mnist", ...)``: 60,000 training and
    10,000 test 28x28 images of 10 clothing classes, in MNIST's format.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Data folder holding the files directly or in a ``fashion-mnist`` subfolder.
        Defaults to the environment variable ``FASTNN_DATA``.
    validation_size : int, optional
        Hold out the last ``validation_size`` training examples; see
        :func:`load_mnist`.
    dtype : numpy dtype, default numpy.float64
        Floating-point dtype of the images.

    Returns
    -------
    tuple
        ``(X_train, y_train), (X_test, y_test)``, or with ``validation_size``
        ``(X_train, y_train), (X_val, y_val), (X_test, y_test)``; ``X_*`` of shape
        ``(n, 784)`` in ``[0, 1]``, ``y_*`` of shape ``(n,)`` int64.

    Raises
    ------
    FileNotFoundError, ValueError, TypeError
        As for :func:`load_mnist`.
    """
    return load_mnist(
        path, kind="fashion-mnist", validation_size=validation_size, dtype=dtype
    )


def _sample_files():
    files, problem = _scan_folder(_SAMPLE_DIR)
    if files is None:
        raise FileNotFoundError(
            f"fastnn's bundled MNIST sample is incomplete: {_SAMPLE_DIR} {problem}. "
            "The package data was not installed; reinstall fastnn, or regenerate the "
            "files with tools/make_mnist_sample.py from a source checkout."
        )
    return files


def load_mnist_sample(*, dtype=np.float64):
    """Load the small MNIST subset bundled with fastnn (no data folder needed).

    The sample holds 5,000 training digits (500 per class, taken from the first
    50,000 MNIST training images, so it never overlaps Nielsen's validation set)
    and 1,000 test digits (100 per class, from t10k). Within each class the
    earliest images in file order are taken, and the rows keep the original file
    order. Pixels are unchanged. See ``fastnn/data/ATTRIBUTION.txt`` for licence
    (CC BY-SA 3.0) and provenance, and ``tools/make_mnist_sample.py``.

    Parameters
    ----------
    dtype : numpy dtype, default numpy.float64
        Floating-point dtype of the images.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_train`` of shape ``(5000, 784)`` and ``X_test`` of shape ``(1000, 784)``
        with values in ``[0, 1]``; ``y_train`` ``(5000,)`` and ``y_test``
        ``(1000,)``, int64, values 0-9.

    Raises
    ------
    FileNotFoundError
        If the package data files are missing (an incomplete installation).

    See Also
    --------
    mnist_sample_indices : Where each sample row comes from in full MNIST.
    load_mnist : The full dataset from a local folder.
    """
    dtype = _check_float_dtype(dtype)
    return _load_folder(_sample_files(), None, dtype)


def mnist_sample_indices():
    """Row numbers of the bundled sample in the full MNIST files.

    Returns
    -------
    train_rows : numpy.ndarray
        Shape ``(5000,)``, int64, increasing: row ``i`` of the sample's training set
        is row ``train_rows[i]`` of ``train-images-idx3-ubyte``.
    test_rows : numpy.ndarray
        Shape ``(1000,)``, int64, increasing: the same for ``t10k-images-idx3-ubyte``.

    Raises
    ------
    FileNotFoundError
        If the package data files are missing.
    """
    rows = []
    for name in _SAMPLE_INDEX_FILES:
        file = _SAMPLE_DIR / name
        if not file.is_file():
            raise FileNotFoundError(
                errno.ENOENT,
                "fastnn's bundled MNIST sample index is missing (incomplete install)",
                str(file),
            )
        rows.append(read_idx(file).astype(np.int64))
    return rows[0], rows[1]


# ---------------------------------------------------------------------------
# Synthetic problems
# ---------------------------------------------------------------------------


def _check_n_samples(n_samples, name="n_samples"):
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(
            f"{name} must be a positive integer, got {n_samples!r} "
            f"({type(n_samples).__name__})"
        )
    if n_samples <= 0:
        raise ValueError(f"{name} must be a positive integer, got {n_samples}")
    return int(n_samples)


def _check_nonnegative(value, name):
    if isinstance(value, bool) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"{name} must be a number >= 0, got {value!r} ({type(value).__name__})"
        )
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def _check_positive(value, name):
    value = _check_nonnegative(value, name)
    if value == 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def _make_rng(seed):
    if isinstance(seed, bool):
        raise TypeError(f"seed must be None, an int or a numpy.random.Generator, got {seed!r}")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"seed must be None, a non-negative int or a numpy.random.Generator, "
            f"got {seed!r}"
        ) from exc


def make_xor(n_samples=4, noise=0.0, seed=None, *, dtype=np.float64):
    """The XOR problem: points near the corners of the unit square.

    Row ``i`` is the corner ``(0, 0), (0, 1), (1, 0), (1, 1)`` numbered ``i % 4``
    (the truth table order) plus Gaussian noise; its label is the XOR of the
    corner's coordinates. The defaults give exactly the four XOR points.

    Parameters
    ----------
    n_samples : int, default 4
        Number of points; the corners are used in turn, so any multiple of 4 is
        balanced.
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate. Labels
        stay those of the corner, so a large noise makes the classes overlap.
    seed : int, numpy.random.Generator or None, default None
        Seed of the noise (``numpy.random.default_rng(seed)``). A Generator is used
        (and advanced) as is.
    dtype : numpy dtype, default numpy.float64
        Floating-point dtype of ``X``.

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n_samples, 2)``.
    y : numpy.ndarray
        Shape ``(n_samples,)``, int64, 0 or 1.

    Raises
    ------
    TypeError
        If ``n_samples`` is not an integer, ``noise`` not a number, ``seed`` not
        usable as a seed, or ``dtype`` not floating.
    ValueError
        If ``n_samples <= 0`` or ``noise`` is negative or not finite.

    Examples
    --------
    >>> X, y = make_xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    n_samples = _check_n_samples(n_samples)
    noise = _check_nonnegative(noise, "noise")
    dtype = _check_float_dtype(dtype)
    rng = _make_rng(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    corner = np.arange(n_samples) % 4
    X = corners[corner]
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    y = ((corner == 1) | (corner == 2)).astype(np.int64)
    return X.astype(dtype), y


def make_spirals(n_samples=200, noise=0.05, seed=None, *, n_turns=1.5, dtype=np.float64):
    """Two interleaved spirals, a classic problem no linear model can solve.

    A point at position ``t ~ Uniform(0, 1)`` along spiral ``k`` (0 or 1) is at
    radius ``r = 0.1 + 0.9 t`` and angle ``2 pi n_turns t + k pi``; Gaussian noise
    is then added to both coordinates. Rows alternate between the spirals: row
    ``i`` has label ``i % 2``.

    Parameters
    ----------
    n_samples : int, default 200
        Total number of points (spiral 0 gets the extra one when odd).
    noise : float, default 0.05
        Standard deviation of the Gaussian noise on each coordinate (the arms are
        about ``0.3 / n_turns`` apart).
    seed : int, numpy.random.Generator or None, default None
        Seed of the positions and the noise.
    n_turns : float, default 1.5
        Number of turns of each spiral.
    dtype : numpy dtype, default numpy.float64
        Floating-point dtype of ``X``.

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n_samples, 2)``, coordinates roughly in ``[-1, 1]``.
    y : numpy.ndarray
        Shape ``(n_samples,)``, int64, 0 or 1.

    Raises
    ------
    TypeError
        If an argument has the wrong type (see :func:`make_xor`).
    ValueError
        If ``n_samples <= 0``, ``noise < 0`` or ``n_turns <= 0``.
    """
    n_samples = _check_n_samples(n_samples)
    noise = _check_nonnegative(noise, "noise")
    n_turns = _check_positive(n_turns, "n_turns")
    dtype = _check_float_dtype(dtype)
    rng = _make_rng(seed)
    y = (np.arange(n_samples) % 2).astype(np.int64)
    t = rng.random(n_samples)
    radius = 0.1 + 0.9 * t
    angle = 2.0 * np.pi * n_turns * t + np.pi * y
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
    return X.astype(dtype), y


def make_regression_curve(
    n_samples=100, noise=0.05, seed=None, *, n_features=1, dtype=np.float64
):
    """A noisy house-price style regression problem with a smooth nonlinear curve.

    Features are drawn uniformly from ``[0, 1]`` and stand for scaled house
    attributes: ``x0`` the floor area, ``x1`` the age, ``x2`` the distance to the
    town centre (the first ``n_features`` of them are used). The target "price" is

    ``f(x) = 0.1 + 0.8 / (1 + exp(-8 (x0 - 0.5)))  - 0.2 x1**2  - 0.15 sin(pi x2 / 2)``

    (terms for absent features dropped) plus Gaussian noise: small homes are
    cheap, prices climb fastest for mid-sized ones and level off for the largest,
    older and remoter homes are cheaper. With one feature, ``f`` lies in about
    ``[0.11, 0.89]``.

    ``X`` is drawn before the noise, so calling again with the same ``seed`` and
    ``noise=0`` gives the noiseless targets at the same points.

    Parameters
    ----------
    n_samples : int, default 100
        Number of examples.
    noise : float, default 0.05
        Standard deviation of the Gaussian noise added to the price.
    seed : int, numpy.random.Generator or None, default None
        Seed of the features and the noise.
    n_features : {1, 2, 3}, default 1
        Number of input features.
    dtype : numpy dtype, default numpy.float64
        Floating-point dtype of ``X`` and ``y``.

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n_samples, n_features)``, values in ``[0, 1]``.
    y : numpy.ndarray
        Shape ``(n_samples, 1)``, the noisy prices.

    Raises
    ------
    TypeError
        If an argument has the wrong type (see :func:`make_xor`).
    ValueError
        If ``n_samples <= 0``, ``noise < 0`` or ``n_features`` is not 1, 2 or 3.
    """
    n_samples = _check_n_samples(n_samples)
    noise = _check_nonnegative(noise, "noise")
    n_features = _check_n_samples(n_features, "n_features")
    if n_features > 3:
        raise ValueError(f"n_features must be 1, 2 or 3, got {n_features}")
    dtype = _check_float_dtype(dtype)
    rng = _make_rng(seed)
    X = rng.random((n_samples, n_features))
    price = 0.1 + 0.8 / (1.0 + np.exp(-8.0 * (X[:, 0] - 0.5)))
    if n_features >= 2:
        price -= 0.2 * X[:, 1] ** 2
    if n_features >= 3:
        price -= 0.15 * np.sin(np.pi * X[:, 2] / 2.0)
    if noise > 0:
        price = price + noise * rng.standard_normal(n_samples)
    return X.astype(dtype), price.reshape(-1, 1).astype(dtype)

"""MNIST and Fashion-MNIST from local IDX files, and the MNIST sample shipped with fastnn.

Nothing is ever downloaded. Images are returned flattened, one example per row: ``X`` has
shape ``(n_samples, 784)`` with pixel values scaled to ``[0, 1]`` (float64 by default, any
floating dtype through ``dtype=``); class labels are int64 vectors of shape ``(n_samples,)``.
Data folders: a loader takes a ``path`` argument; without it the environment variable
``FASTNN_DATA`` is used. Either may name a folder that holds the four IDX files directly, or
a folder with ``mnist/`` and ``fashion-mnist/`` subfolders.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np

from ..core import validation
from ..io.idx import read_idx

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
_SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist-sample"
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
    validation.choice("kind", kind, KINDS)
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
    validation.choice("kind", kind, KINDS)
    dtype = validation.any_float_dtype(dtype)
    validation_size = validation.optional_non_negative_int("validation_size", validation_size)
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
    dtype = validation.any_float_dtype(dtype)
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

"""Checks of user input, run in Python before any compiled code sees it.

Every failure is a ``ValueError`` or ``TypeError`` whose message names the argument and
says what was expected. Accepted input is returned in the form the engines need:
C-contiguous arrays of the network's dtype, or for scipy sparse input a canonical
``csr_array`` (``sparse_inputs``; this module never imports scipy itself).
"""
import math
import numbers
import sys

import numpy as np

from .metrics import accuracy_mode


def positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def positive_float(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive, finite number, got {value!r}")
    return float(value)


def non_negative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def seed(value, name="seed"):
    """None or a non-negative integer (the seed of a ``numpy.random.default_rng``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be None or a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be None or a non-negative integer, got {value!r}")
    return int(value)


def non_negative_float(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a non-negative number, got {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a non-negative, finite number, got {value!r}")
    return float(value)


def flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def optional_non_negative_int(name, value):
    """None or an integer >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be None or an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def any_float_dtype(value):
    """Any NumPy floating dtype (the data loaders' ``dtype=``), as a dtype."""
    try:
        dtype = np.dtype(value)
    except TypeError as exc:
        raise TypeError(f"dtype must be a floating-point dtype, got {value!r}") from exc
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating-point dtype such as numpy.float64 or "
                        f"numpy.float32, got {dtype}")
    return dtype


def rng(seed):
    """A ``numpy.random.Generator`` from None, a non-negative int or a Generator."""
    if isinstance(seed, bool):
        raise TypeError(f"seed must be None, an int or a numpy.random.Generator, got {seed!r}")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"seed must be None, a non-negative int or a numpy.random.Generator, "
                        f"got {seed!r}") from exc


def choice(name, value, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def float_dtype(value):
    """"float32" or "float64" (or the NumPy dtype / type), as a NumPy dtype."""
    try:
        dtype = np.dtype(value)
    except TypeError:
        dtype = None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {value!r}")
    return dtype


def sizes(value):
    """Layer sizes: a sequence of at least two positive integers."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"sizes must be a sequence of layer sizes such as [784, 30, 10], "
                        f"got {value!r}")
    if len(value) < 2:
        raise ValueError(f"sizes needs at least 2 layers (input and output), got {list(value)!r}")
    for n in value:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"sizes must contain integers, got {n!r} in {list(value)!r}")
        if n < 1:
            raise ValueError(f"sizes must contain positive integers, got {n!r} in {list(value)!r}")
    return tuple(int(n) for n in value)


def _numeric(name, value):
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array


def _finite(name, array):
    """Refuse NaN and infinities. A finite sum proves every element finite (a NaN or an
    infinity makes any sum NaN or infinite): one pass with no temporary, half the time of
    ``np.isfinite(array).all()`` (4 against 8.4 ms on 10,000 MNIST rows in float64, which
    ``fit`` checks on every call); only a sum that overflows or meets a bad value is checked
    element by element."""
    if not np.issubdtype(array.dtype, np.floating):
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(array, axis=None)):
            return
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")


def cast_finite(name, array, dtype):
    """``array`` (finite) cast to ``dtype``; a value beyond the range of ``dtype`` (1e39 in
    float32) is refused as such, not passed on as the infinity the cast makes of it."""
    _finite(name, array)
    with np.errstate(over="ignore"):
        cast = np.asarray(array, dtype=dtype)
    if cast.dtype != array.dtype and not np.isfinite(cast).all():  # same dtype: checked above
        largest = float(np.max(np.abs(array)))
        raise ValueError(f"{name} has values beyond the range of {np.dtype(dtype).name} "
                         f"(largest magnitude {largest:g}, the cast would make it infinite; "
                         f"{np.dtype(dtype).name} holds up to {float(np.finfo(dtype).max):g})")
    return cast


def is_sparse(X):
    """True for a scipy.sparse matrix or array. Never imports scipy: a sparse matrix can only
    exist once its user has imported ``scipy.sparse``, so it is looked up in ``sys.modules``."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(X)


def _samples_and_features(name, shape, n_features):
    """A 2-D ``shape`` of at least one sample of ``n_features`` features."""
    if shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples")
    if shape[1] != n_features:
        raise ValueError(f"{name} has {shape[1]} features per sample, but the network's "
                         f"input layer has {n_features}")


def inputs(X, n_features, dtype, name="X", sparse=False):
    """``X`` of shape (n_samples, n_features), finite, returned C-contiguous in ``dtype``.

    A scipy sparse ``X`` is refused unless ``sparse``, and then returned by ``sparse_inputs``."""
    if is_sparse(X):
        if not sparse:
            raise TypeError(f"{name} is a scipy sparse matrix, which this function does not "
                            f"take (sparse input goes to Network.fit, predict, evaluate and "
                            f"gradients of layered networks); pass {name}.toarray()")
        return sparse_inputs(X, n_features, dtype, name)
    X = _numeric(name, X)
    if X.ndim != 2:
        hint = " (use X.reshape(1, -1) for a single sample)" if X.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, {n_features}), got shape {X.shape}{hint}")
    _samples_and_features(name, X.shape, n_features)
    return for_kernels(cast_finite(name, X, dtype), dtype)


def sparse_inputs(X, n_features, dtype, name="X"):
    """A scipy sparse ``X`` (any format convertible to CSR) of shape (n_samples, n_features)
    as the one form the engines take: a ``scipy.sparse.csr_array`` with data in ``dtype``
    (finite), int64 ``indices`` and ``indptr``, and canonical rows (column indices sorted,
    duplicates summed). Never densified; the arrays are copied only where a conversion needs
    it, and the caller's matrix is never modified."""
    sp = sys.modules["scipy.sparse"]
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, {n_features}), got a sparse array "
                         f"of shape {X.shape}")
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool) \
            or np.issubdtype(X.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got a sparse matrix of dtype {X.dtype}")
    _samples_and_features(name, X.shape, n_features)
    csr = sp.csr_array(X)  # shares the arrays of a CSR input
    data = cast_finite(f"{name} (its stored values)", csr.data, dtype)
    indices, indptr = (np.asarray(a, dtype=np.int64) for a in (csr.indices, csr.indptr))
    out = sp.csr_array((data, indices, indptr), shape=csr.shape)
    try:
        out.check_format(full_check=True)
    except ValueError as error:
        raise ValueError(f"{name} is not a valid sparse matrix: {error}") from None
    if not out.has_canonical_format:  # sort and sum in place, on arrays of our own
        out = sp.csr_array((data.copy(), indices.copy(), indptr.copy()), shape=csr.shape)
        out.sum_duplicates()
        _finite(f"{name} (its duplicate entries summed)", out.data)
    out.data = for_kernels(out.data, dtype)
    out.indices = for_kernels(out.indices, np.int64)
    out.indptr = for_kernels(out.indptr, np.int64)
    return out


def for_kernels(array, dtype):
    """``array`` as the one array type the compiled kernels are built for: a C-contiguous,
    aligned, writeable base-class ndarray of ``dtype`` in native byte order (numba compiles a
    separate copy of every driver for read-only or unaligned arrays, which a memory-mapped
    file or ``writeable=False`` array would otherwise cost: minutes). Returned as is when it
    already is one, else copied."""
    array = np.ascontiguousarray(array, dtype=dtype)
    if type(array) is not np.ndarray or not (array.flags.writeable and array.flags.aligned):
        array = np.array(array, dtype=dtype, order="C", copy=True, subok=False)
    return array


def sample_weights(value, n_samples, dtype, name="sample_weight"):
    """One finite, non-negative weight per sample, not all zero, as a C-contiguous 1-D array
    of ``dtype``."""
    w = _numeric(name, value)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(f"{name} must have shape ({n_samples},), one weight per sample, "
                         f"got shape {w.shape}")
    w = cast_finite(name, w, dtype)
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative, got {float(w.min()):g}")
    if not (w > 0).any():
        raise ValueError(f"{name} is zero for every sample")
    return for_kernels(w, dtype)


def targets(y, n_samples, n_outputs, cost, dtype, name="y"):
    """Targets as a C-contiguous (n_samples, n_outputs) array of ``dtype`` and the accuracy mode.

    ``y`` is either targets of shape (n_samples, n_outputs) or, for a network with more than
    one output, integer class labels of shape (n_samples,), one-hot encoded here. A network
    with one output also takes targets of shape (n_samples,).
    """
    if is_sparse(y):
        raise TypeError(f"{name} is a scipy sparse matrix; targets must be a dense array "
                        f"(pass {name}.toarray())")
    y = _numeric(name, y)
    if y.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D labels or 2-D targets, got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(f"{name} has {y.shape[0]} samples but X has {n_samples}")
    _finite(name, y)
    if y.ndim == 1 and n_outputs > 1:
        if not (np.issubdtype(y.dtype, np.integer) or np.all(np.mod(y, 1) == 0)):
            raise TypeError(f"{name}: 1-D class labels must be integers, got dtype {y.dtype}")
        low, high = int(y.min()), int(y.max())  # before the cast, which wraps huge labels
        if low < 0 or high >= n_outputs:
            raise ValueError(f"{name}: class labels must lie in [0, {n_outputs - 1}] for a "
                             f"network with {n_outputs} outputs, got labels from "
                             f"{low} to {high}")
        labels = y.astype(np.int64)
        Y = np.zeros((n_samples, n_outputs), dtype=dtype)
        Y[np.arange(n_samples), labels] = 1
    else:
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.shape[1] != n_outputs:
            raise ValueError(f"{name} has {y.shape[1]} targets per sample, but the network "
                             f"has {n_outputs} outputs")
        Y = for_kernels(cast_finite(name, y, dtype), dtype)
    if cost == "cross_entropy" and (Y.min() < 0 or Y.max() > 1):
        raise ValueError(f"{name}: cross_entropy needs targets in [0, 1]")
    if cost == "log_likelihood" and (Y.min() < 0 or not np.allclose(Y.sum(axis=1), 1, atol=1e-5)):
        raise ValueError(f"{name}: log_likelihood needs class labels or one-hot / probability "
                         f"rows that sum to 1")
    return Y, accuracy_mode(Y)


def pair(name, value, form):
    """``value`` as a 2-tuple, refused (``TypeError`` naming ``name`` and the ``form``
    expected) unless it is a tuple or list of two items."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        got = (f"a {type(value).__name__} of shape {value.shape}" if hasattr(value, "shape")
               else f"a {type(value).__name__}" + (f" of {len(value)} items"
                                                   if isinstance(value, (tuple, list)) else ""))
        raise TypeError(f"{name} must be a pair {form}, got {got}")
    return tuple(value)

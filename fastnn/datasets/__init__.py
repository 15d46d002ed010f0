"""Datasets for fastnn: MNIST and Fashion-MNIST from local IDX files (``mnist``), a small,
class-balanced MNIST sample shipped inside the package, and synthetic problems (``toy``).
The IDX format itself is ``fastnn.io.idx`` (re-exported here). Nothing is ever downloaded.
"""
from ..io.idx import read_idx, write_idx
from .mnist import (
    DATA_ENV_VAR,
    KINDS,
    find_mnist_files,
    load_fashion_mnist,
    load_mnist,
    load_mnist_sample,
    mnist_sample_indices,
)
from .toy import make_regression_curve, make_spirals, make_xor

__all__ = ["DATA_ENV_VAR", "KINDS", "read_idx", "write_idx", "find_mnist_files", "load_mnist",
           "load_fashion_mnist", "load_mnist_sample", "mnist_sample_indices", "make_xor",
           "make_spirals", "make_regression_curve"]

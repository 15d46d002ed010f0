"""Shared helpers: random problems for every activation/cost pairing."""
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn.core import activations, costs

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

OUTPUT_PAIRS = [(cost, output)
                for cost in costs.CODES
                for output in activations.OUTPUT_NAMES
                if costs.REQUIRED_OUTPUT.get(cost, output) == output]
"""Every valid (cost, output activation) pairing."""


def random_problem(rng, sizes, cost, output, n_samples, dtype=np.float64):
    """Inputs and targets that suit ``cost`` with ``output`` activation."""
    X = rng.standard_normal((n_samples, sizes[0]))
    if cost == "log_likelihood" or output == "softmax":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n_samples)]
    elif cost == "cross_entropy" or output == "sigmoid":
        Y = rng.uniform(0.05, 0.95, (n_samples, sizes[-1]))
    else:
        Y = rng.standard_normal((n_samples, sizes[-1]))
    return X.astype(dtype), Y.astype(dtype)


KERNEL_FORMS = ("fast", "plain")
"""The loop engine's two kernel forms: the tiled, fused kernels (``engine="numba"``) and the
plain per-equation kernels (``engine="numba-plain"``), both held to the NumPy engine."""

LOOP_ENGINES = {"fast": "numba", "plain": "numba-plain"}
"""The ``Network(engine=...)`` name of each kernel form."""


def make_pair(sizes, kernels="fast", **kwargs):
    """The same network twice: the loop engine (running ``kernels``) and the NumPy engine."""
    return (fastnn.Network(sizes, engine=LOOP_ENGINES[kernels], **kwargs),
            fastnn.Network(sizes, engine="numpy", **kwargs))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


FIRST = ("test_first_run.py::"
         "test_fastnn_compile_both_dtypes_leaves_nothing_for_the_next_process_to_compile")


def pytest_collection_modifyitems(items):
    """``fastnn compile --dtype both`` runs first: it compiles the engine for both dtypes in
    two worker processes at once (both cores) into the numba cache the suite shares, and the
    tests after it load what they would otherwise compile one after another on one core
    (from an empty cache, as in CI: about 8 instead of 10.5 minutes on 2 cores)."""
    items.sort(key=lambda item: not item.nodeid.endswith(FIRST))

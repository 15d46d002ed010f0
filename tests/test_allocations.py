"""No allocation per mini-batch: the compiled epoch loop reuses its workspaces.

numba's runtime (NRT) counts every array its compiled code allocates; a fit over 5 times as
many mini-batches must make exactly as many NRT allocations as a short one.
"""
import numpy as np
import pytest
from numba.core.runtime import _nrt_python as nrt
from numba.core.runtime import rtsys

import fastnn


@pytest.fixture
def nrt_stats():
    was_enabled = nrt.memsys_stats_enabled()
    nrt.memsys_enable_stats()
    yield lambda: rtsys.get_allocation_stats().alloc
    if not was_enabled:
        nrt.memsys_disable_stats()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_fit_allocations_do_not_grow_with_the_number_of_batches(nrt_stats, optimizer, dtype):
    rng = np.random.default_rng(7)
    X, y = rng.random((200, 20)).astype(dtype), rng.integers(0, 3, 200)
    net = fastnn.Network([20, 16, 3], output_activation="softmax", cost="log_likelihood",
                         dtype=dtype, seed=0)
    net.fit(X[:20], y[:20], epochs=1, batch_size=5, optimizer=optimizer)  # compile, set up
    counts = []
    for n in (40, 200):  # 8 and 40 mini-batches
        before = nrt_stats()
        net.fit(X[:n], y[:n], epochs=1, batch_size=5)
        counts.append(nrt_stats() - before)
    assert counts[0] == counts[1]

"""How many threads the loop engine's parallel kernels use.

The parallel kernels split the neurons of a layer into blocks that the threads share; every
block is computed by the same code whichever thread runs it, so the number of threads never
changes a result, only its speed. Small layers always run on the calling thread (see
``fast_drivers.PARALLEL_WORK``).
"""
import numbers
import os

import numba

PASSIVE_WAIT = {"OMP_WAIT_POLICY": "PASSIVE"}
"""The environment numba's OpenMP threads start in, unless the user set these variables.
GNU OpenMP's threads spin after a parallel region before they sleep; when another process
holds a core, the spinning thread shares it and every region waits for it. Measured on the
2-core machine beside busy processes, a 2-thread fit of [784, 30, 10] at batch 32: 21-29k
samples/s spinning, 87-92k passive, 75-116k on one thread. The load governor
(``engine.load``) chooses serial segments when load remains."""

_launched = False


def launch_pool():
    """Start numba's thread pool (once per process) with ``PASSIVE_WAIT`` in the environment
    its OpenMP library reads when it loads, then restore the environment, so that other
    libraries loaded later see the user's own settings. Does nothing to a pool already
    started (by numba itself or by an earlier call)."""
    global _launched
    if _launched:
        return
    _launched = True
    from numba.np.ufunc import parallel
    if getattr(parallel, "_is_initialized", False):
        return
    saved = {name: os.environ.get(name) for name in PASSIVE_WAIT}
    try:
        for name, value in PASSIVE_WAIT.items():
            os.environ.setdefault(name, value)
        parallel._launch_threads()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def set_num_threads(n):
    """Use ``n`` threads in the loop engine's parallel kernels (1 runs everything serially).

    ``n`` may range from 1 to the number numba started with (``NUMBA_NUM_THREADS``, by
    default the number of cores, fixed when numba is first imported). Like
    ``numba.set_num_threads``, which it calls, the setting applies to the calling thread.
    """
    limit = numba.config.NUMBA_NUM_THREADS
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"the number of threads must be an integer, got {n!r}")
    if not 1 <= n <= limit:
        raise ValueError(f"the number of threads must lie in 1..{limit} "
                         f"(NUMBA_NUM_THREADS, fixed at import), got {n}")
    numba.set_num_threads(int(n))


def get_num_threads():
    """The number of threads the loop engine's parallel kernels use now."""
    return numba.get_num_threads()

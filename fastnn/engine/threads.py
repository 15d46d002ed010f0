"""How many threads the loop engine's parallel kernels use.

The parallel kernels split the neurons of a layer into blocks that the threads share; every
block is computed by the same code whichever thread runs it, so the number of threads never
changes a result, only its speed. Small layers always run on the calling thread (see
``fast_drivers.PARALLEL_WORK``).
"""
import numbers

import numba


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

"""The one chunk loop of every engine's predict, evaluate and gradients.

Each of those calls walks the rows of ``X`` in chunks of the workspace's capacity and carries
a running total (the summed cost, a correct count) from chunk to chunk. ``_over_chunks`` is
that loop, written once; what one chunk does is a *step* of a variant's drivers, taking a
*job*: a namedtuple holding the call's arrays (``PredictJob`` of ``fast_drivers``,
``GradientsJob`` of ``graph_kernels``, ...). ``chunk_loop(step)`` gives the loop bound to one
step, inlined into the driver that calls it (``GLUE_JIT``) like the step itself: one compiled
function per driver, as with a loop written in each.

Why a loop per step rather than one compiled function taking the step: numba cannot cache a
compiled function that takes a function argument, and a step chosen by the job's type
(``@overload``) either lost the step's writes to its arrays when inlined (numba 0.68) or, as
a function of its own, was optimised twice (once alone, once linked into its driver: +2.7 s
of CPU for the first predict, evaluate and gradients of [784, 30, 10]).
"""
import types

from numba import njit

from ..core._numba import GLUE_JIT


def _over_chunks(job, n, capacity, total):
    """The rows ``0 .. n-1`` of ``job`` in chunks of at most ``capacity``, in order, each
    through ``step(job, start, m, total)`` with the total the chunks before it left."""
    for start in range(0, n, capacity):
        total = step(job, start, min(capacity, n - start), total)  # noqa: F821 (bound below)
    return total


def chunk_loop(step):
    """``_over_chunks`` with ``step`` (a ``GLUE_JIT`` function) as its step, compiled inline
    into its callers: ``loop(job, n, capacity, total)``."""
    loop = types.FunctionType(_over_chunks.__code__, dict(_over_chunks.__globals__, step=step),
                              f"over_chunks_of{step.__name__}")
    loop.__doc__ = _over_chunks.__doc__
    return njit(**GLUE_JIT)(loop)

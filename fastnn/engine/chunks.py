"""The one chunk loop of every engine's predict, evaluate and gradients.

Each of those calls walks the rows of ``X`` in chunks of the workspace's capacity and carries
a running total (the summed cost, a correct count) from chunk to chunk. ``over_chunks`` is
that loop, written once; what one chunk does is a *step*, registered per kind of *job*: a
namedtuple holding the call's arrays (``PredictJob`` of ``fast_drivers``, ``GradientsJob`` of
``graph_kernels``, ...). numba picks the step by the job's type while compiling the caller:
no function values at run time (a compiled function taking one cannot be cached). The loop
is inlined into the driver that calls it (``GLUE_JIT``) and the step into one compiled
function per job type; inlining both into the driver lost the step's writes to its arrays
(numba 0.68, IR inlining of an inlined overload: tests/test_chunks.py holds the loop to a
plain one).
"""
from numba import njit
from numba.extending import overload

from ..core._numba import GLUE_JIT, JIT

_STEPS = {}
"""The step of each job type (``step_of``)."""


def chunk_step(job, start, m, total):
    """``total`` after the rows ``start`` to ``start + m`` of ``job``: the registered step of
    ``type(job)``, called from compiled code only."""
    raise TypeError("chunk_step runs inside compiled code only")


def step_of(job_type):
    """Register the decorated compiled function (``GLUE_JIT``) as the step of ``job_type``."""
    def register(step):
        _STEPS[job_type] = step
        return step
    return register


@overload(chunk_step, jit_options=JIT)
def _chunk_step(job, start, m, total):
    step = _STEPS.get(getattr(job, "instance_class", None))
    if step is not None:
        def impl(job, start, m, total):
            return step(job, start, m, total)
        return impl
    return None


@njit(**GLUE_JIT)
def over_chunks(job, n, capacity, total):
    """The rows ``0 .. n-1`` of ``job`` in chunks of at most ``capacity``, in order, each
    through the job's step with the total the chunks before it left."""
    for start in range(0, n, capacity):
        total = chunk_step(job, start, min(capacity, n - start), total)
    return total

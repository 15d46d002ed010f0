"""One place for numba options and the small typed-constant helper the kernels share.

Every compiled function in fastnn is built with ``JIT`` (serial) or ``PARALLEL_JIT``.
The fastmath flag set deliberately leaves out ``nnan`` and ``ninf`` so that NaN and
infinity checks keep their meaning; ``reassoc`` and ``contract`` let LLVM vectorise the
k-loop reductions, which is why kernels are tested against the NumPy engine with
tolerances while the same build stays bit-identical run to run and for any thread count
(every ``prange`` iteration writes only the elements it owns).
"""
from numba import types
from numba.extending import overload
from numba.np import numpy_support

FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
JIT = dict(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
PARALLEL_JIT = dict(JIT, parallel=True)


def typed(like, value):
    """Return ``value`` as a scalar of the same floating type as ``like``.

    Float literals are float64 in numba; ``typed(s, 0.5)`` keeps float32 code in float32.
    """
    return type(like)(value)


@overload(typed)
def _typed_overload(like, value):
    if isinstance(like, types.Float):
        cast = numpy_support.as_dtype(like).type

        def impl(like, value):
            return cast(value)

        return impl
    return None


__all__ = ["FASTMATH", "JIT", "PARALLEL_JIT", "typed"]

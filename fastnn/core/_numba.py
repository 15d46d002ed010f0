"""One place for numba options and the small typed-constant helper the kernels share.

Every compiled function in fastnn is built with ``JIT`` (serial), ``PARALLEL_JIT``,
``SCALAR_JIT`` or ``GLUE_JIT`` (inlined into its callers). The fastmath flag set
deliberately leaves out ``nnan`` and ``ninf`` so that NaN and infinity checks keep their
meaning; ``reassoc`` and ``contract`` let LLVM vectorise
the k-loop reductions, which is why kernels are tested against the NumPy engine with
tolerances while the same build stays bit-identical run to run and for any thread count
(every ``prange`` iteration writes only the elements it owns).

``SCALAR_JIT`` (no fastmath) is for the small per-neuron and per-sample helpers that other
compiled functions call: :math:`f'` and the costs. numba's cached object code is built
with such callees inlined into the caller, while a freshly compiled caller calls them, and
fastmath let LLVM regroup the inlined arithmetic with the caller's: BP1 of a sigmoid output
with quadratic cost came out with different last bits in a user's first run (empty cache)
than in every later run (``tests/test_numba_cache.py``). Without fastmath flags their
operations cannot be regrouped, wherever they are inlined. (``activations.f`` keeps
fastmath: its result is stored as it is, and it runs inside the weighted-sum epilogue.)
"""
import hashlib
import os
import warnings

import numpy as np
from numba import types
from numba.core import caching
from numba.extending import overload
from numba.np import numpy_support

FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
JIT = dict(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
PARALLEL_JIT = dict(JIT, parallel=True)
SCALAR_JIT = dict(JIT, fastmath=False)
"""For helpers whose arithmetic would otherwise depend on where LLVM inlines them (see above)."""
ORDERED_JIT = dict(JIT, fastmath={"contract"})
"""For the kernels whose every sum runs in the order the source writes it (``fast_kernels``'
ordered kernels, the population lanes of ``lanes``): no ``reassoc``, so LLVM vectorises only
over independent indices (neurons, inputs, networks) and never regroups a sum; ``contract``
keeps the fused multiply-adds, the same in both (``s += a * w`` is ``fma(a, w, s)``)."""
GLUE_JIT = dict(JIT, inline="always")
"""For the drivers' glue (a batch's forward pass, BP1, the backward pass, the gather; in the
layered, sparse and graph engines alike): numba inlines its IR into each caller instead of
compiling it as a function of its own. numba links a compiled function's whole call tree
into it and optimises and emits that tree again at every level of calls, so each glue
level re-compiled everything below it: the first ``fit`` of the demo's network compiled
for 20.4 s of CPU with the glue as functions, 14.5 s inlined, the same bits. Only for
functions with ``JIT``'s flags called from ``JIT``
functions: inlined IR is compiled with the caller's fastmath flags."""


TRUE, FALSE, ZERO, ONE = np.bool_(True), np.bool_(False), np.int64(0), np.int64(1)
"""Constant arguments for calls between compiled functions. numba compiles a callee once
more for each Python literal it is called with (``f(x, 0)`` is typed ``Literal[int](0)``,
``f(x, True)`` ``Literal[bool](True)``), a full compilation each; these NumPy scalars are
typed ``int64`` and ``bool`` like the variables passed at other call sites, so every call
shares one compiled form. LLVM still folds them where the callee is inlined."""


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


# --- cache invalidation across modules ----------------------------------------------------
# numba's on-disk cache checks only the source file of the function it caches, but a cached
# function carries the compiled code of every njit function it calls. After an edit to
# kernels.py, a cached driver in drivers.py would still run the old kernels, or crash when a
# namedtuple's fields changed. fastnn's functions are therefore stamped with a hash of every
# module in the package that holds compiled code: any such edit recompiles them all.

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The fastnn package folder (this file is in its ``core`` subpackage)."""


def _compiled_sources():
    """Paths (relative to the package, sorted) of every module that holds compiled code
    (numba functions or the intrinsics they inline)."""
    found = []
    for folder, subfolders, files in os.walk(_PACKAGE):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, "rb") as file:
                    source = file.read()
                    if b"njit" in source or b"@intrinsic" in source:
                        found.append(os.path.relpath(path, _PACKAGE))
    return sorted(found)


def _compiled_sources_digest():
    digest = hashlib.sha256()
    for relative in _compiled_sources():
        with open(os.path.join(_PACKAGE, relative), "rb") as file:
            digest.update(relative.encode() + b"\0" + file.read())
    return digest.hexdigest()


_DIGEST = _compiled_sources_digest()


def _package_wide(locator):
    class PackageWideStamp(locator):
        @classmethod
        def from_function(cls, py_func, py_file):
            if not os.path.abspath(py_file).startswith(_PACKAGE + os.sep):
                return None
            return super().from_function(py_func, py_file)

        def get_source_stamp(self):
            return (super().get_source_stamp(), _DIGEST)

    PackageWideStamp.__name__ = "PackageWide" + locator.__name__
    return PackageWideStamp


def _install_package_wide_stamp():
    """Put the package-wide stamp in front of numba's cache locators. ``CacheImpl._locator_classes``
    is numba's private API (checked on the releases ``pyproject.toml`` admits): if it moves,
    fastnn falls back to numba's per-file stamp, with a warning, and never fails to import.
    Returns True when the stamp is in place."""
    try:
        locators = caching.CacheImpl._locator_classes
        bases = (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator,
                 caching.UserWideCacheLocator)
        if not isinstance(locators, list):
            raise TypeError(f"CacheImpl._locator_classes is a {type(locators).__name__}")
        if not any(getattr(c, "__name__", "").startswith("PackageWide") for c in locators):
            locators[:0] = [_package_wide(locator) for locator in bases]
        return True
    except (AttributeError, TypeError) as error:
        warnings.warn(f"fastnn: numba's cache internals have changed ({error}); falling back "
                      f"to numba's per-file cache stamps: after editing fastnn's kernel "
                      f"modules, clear the numba cache (NUMBA_CACHE_DIR or __pycache__)",
                      RuntimeWarning, stacklevel=2)
        return False


PACKAGE_WIDE_STAMP = _install_package_wide_stamp()


# --- no writable cache location: compile in memory -------------------------------------------
# numba looks for a cache folder per function (NUMBA_CACHE_DIR, the package's __pycache__, a
# folder in the home directory) and, finding none writable, raises "cannot cache function
# ...: no locator available" when the module defining the function is imported: a root-owned
# install run by a user without a writable home, a read-only container. fastnn then compiles
# in memory (every process compiles again), with one warning saying how to keep the code.

def _cache_probe():
    """A function of this package numba is asked to find a cache folder for."""


def _cache_location():
    """The folder numba would cache fastnn's compiled functions in, or None when there is
    no writable one (numba's own search, run once on a function of this package)."""
    try:
        return caching.FunctionCache(_cache_probe).cache_path
    except RuntimeError:
        return None
    except Exception:  # noqa: BLE001 - numba's private API moved: let numba decide itself
        return ""


CACHE_LOCATION = _cache_location()
"""Where numba caches fastnn's compiled code (None: nowhere writable, compiled in memory)."""

if CACHE_LOCATION is None:
    for _options in (JIT, PARALLEL_JIT, SCALAR_JIT, GLUE_JIT, ORDERED_JIT):
        _options["cache"] = False
    warnings.warn("fastnn: numba finds no writable folder to cache compiled code in (not the "
                  "package's __pycache__, not the home folder); compiling in memory, again in "
                  "every process. Set NUMBA_CACHE_DIR to a writable folder to keep it.",
                  RuntimeWarning, stacklevel=2)


def will_compile(dispatcher, args):
    """True when calling ``dispatcher`` with ``args`` will compile: no compiled form in this
    process and none in numba's on-disk cache for these argument types. Reads the cache's
    index file only (no code is loaded); False when it cannot tell (numba's private cache
    API moved), so a wrong answer only loses a message."""
    try:
        sig = tuple(dispatcher.typeof_pyval(a) for a in args)
        if sig in dispatcher.overloads:
            return False
        cache = dispatcher._cache
        if getattr(cache, "cache_path", None) is None:  # no cache: every process compiles
            return True
        key = cache._index_key(sig, dispatcher.targetctx.codegen())
        return key not in cache._cache_file._load_index()
    except Exception:  # noqa: BLE001 - informational only
        return False


__all__ = ["FALSE", "FASTMATH", "GLUE_JIT", "JIT", "ONE", "PARALLEL_JIT", "SCALAR_JIT", "TRUE",
           "ZERO", "typed", "will_compile"]

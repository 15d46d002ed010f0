"""A line on stderr while fastnn's compiled code compiles.

Compiling takes seconds to a minute of CPU the first time a kernel runs; a silent wait looks
like a hang. ``NOTICE`` listens to numba's ``numba:compile`` event, which numba raises only
when it compiles (not when it loads a function from its disk cache), and prints one line for
every compilation of one of fastnn's functions that takes longer than a second, a second into
it. Only the outermost compilation is announced (a function's callees compile inside it), and
none started inside ``fastnn.engine.numba_engine._call``, which announces the engine's
drivers itself before calling them. Installed when ``fastnn.core`` is imported. This module
holds no compiled code (so it is not part of the package-wide cache stamp of ``_numba``).
"""
import sys
import threading

from numba.core import event

COMPONENTS = {
    "fastnn.engine.population": "population kernels (best_of, sweep)",
    "fastnn.engine.lanes": "population kernels of narrow networks (best_of, sweep)",
    "fastnn.engine.graph_kernels": "graph engine",
    "fastnn.engine.sparse_kernels": "sparse-input kernels",
    "fastnn.engine.rules": "update rules",
}
"""What the notice calls the compiled functions of a module (any other: the numba engine)."""


class CompileNotice(event.Listener):
    """Prints the notice for compilations of functions of modules named ``prefix...`` that
    take longer than ``after`` seconds (see the module docstring)."""

    def __init__(self, after=1.0, prefix="fastnn."):
        self.after = after
        self.prefix = prefix
        self._local = threading.local()

    def on_start(self, ev):
        local = self._local
        local.depth = getattr(local, "depth", 0) + 1
        if local.depth != 1:
            return
        function = getattr(ev.data.get("dispatcher"), "py_func", None)
        module = getattr(function, "__module__", None) or ""
        if not module.startswith(self.prefix) or announced_by_engine():
            return
        local.timer = threading.Timer(self.after, print, (line(function, ev.data),),
                                      dict(file=sys.stderr, flush=True))
        local.timer.daemon = True
        local.timer.start()

    def on_end(self, ev):
        local = self._local
        local.depth = getattr(local, "depth", 1) - 1
        if local.depth == 0 and getattr(local, "timer", None) is not None:
            local.timer.cancel()
            local.timer = None


def line(function, data):
    """The notice for compiling ``function`` for the argument types ``data["args"]``."""
    dtypes = {str(t.dtype) for t in data.get("args", ()) if hasattr(t, "dtype")}
    dtype = next((d for d in ("float64", "float32") if d in dtypes), None)
    return (f"fastnn: compiling the {COMPONENTS.get(function.__module__, 'numba engine')} "
            f"({function.__qualname__}{', ' + dtype if dtype else ''}); this happens once, "
            f"later runs load it from numba's cache (`fastnn compile` does it ahead of time)")


def announced_by_engine():
    """True inside ``fastnn.engine.numba_engine._call``, which has printed its own notice."""
    frame = sys._getframe(1)
    while frame is not None:
        if (frame.f_code.co_name == "_call"
                and frame.f_globals.get("__name__") == "fastnn.engine.numba_engine"):
            return True
        frame = frame.f_back
    return False


NOTICE = CompileNotice()
event.register("numba:compile", NOTICE)

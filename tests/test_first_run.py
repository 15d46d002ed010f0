"""The first run: a line on stderr while the engine compiles, and ``fastnn compile``.

Nothing here empties numba's cache to compile from nothing (minutes of CPU on the shared
machine; the benchmark report's cold-start section measures that in a fresh process): the
announcement is tested on small functions compiled just for this test, and ``fastnn
compile`` on the cache the suite shares. That test runs first
(``conftest.pytest_collection_modifyitems``): what it compiles, in two processes at once,
the rest of the suite would compile one by one.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from numba import njit

from fastnn import cli
from fastnn.core._numba import will_compile
from fastnn.engine import numba_engine

ROOT = Path(__file__).resolve().parents[1]


def test_will_compile_knows_compiled_from_not_compiled():
    @njit
    def twice(x):
        return 2 * x

    assert will_compile(twice, (1.5,))
    twice(1.5)
    assert not will_compile(twice, (1.5,))
    assert will_compile(twice, (np.arange(3.0),))  # another signature is not compiled yet


def test_first_compiling_call_says_so_once_on_stderr(capsys):
    @njit
    def add_one(x):
        return x + 1

    assert numba_engine._call(add_one, "toy kernel", np.dtype("float64"), 2.0) == 3.0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "compiling" in err and "toy kernel" in err and "add_one" in err and "once" in err
    assert numba_engine._call(add_one, "toy kernel", np.dtype("float64"), 3.0) == 4.0
    assert capsys.readouterr().err == ""  # one line, on the first call only


def test_no_line_when_nothing_compiles(capsys):
    @njit
    def negate(x):
        return -x

    negate(1.0)  # compiled before the engine's first call
    assert numba_engine._call(negate, "toy kernel", np.dtype("float64"), 1.0) == -1.0
    assert capsys.readouterr().err == ""


ENTRY_POINTS = ("fast_drivers.train_epoch_sgd", "fast_drivers.train_epoch_rule",
                "fast_drivers.predict", "fast_drivers.evaluate", "fast_drivers.gradients",
                "population.train_population_sgd", "population.train_population",
                "lanes.train_lanes", "graph_kernels.train_epoch", "graph_kernels.predict",
                "graph_kernels.evaluate", "graph_kernels.gradients")
"""The engine's compiled entry points (in ``fastnn.engine``), each a user's first run may call."""

AFTER_COMPILE = """
import importlib, json, numba, sys
from numba.core import types
from fastnn import precompile
for dtype in ("float64", "float32"):
    precompile.compile_dtype(dtype)
compiled = set()
for name, module in list(sys.modules.items()):
    if name.split(".")[0] == "fastnn":
        for value in vars(module).values():
            if isinstance(value, numba.core.registry.CPUDispatcher) and value.stats.cache_misses:
                compiled.add(f"{value.py_func.__module__}.{value.py_func.__name__}")

def dtype_of(signature):  # the first argument's, or that of the first field of a namedtuple
    first = signature[0]
    return str((first.types[0] if isinstance(first, types.BaseTuple) else first).dtype)

dtypes = {}
for path in sys.argv[1:]:
    module, name = path.split(".")
    driver = getattr(importlib.import_module(f"fastnn.engine.{module}"), name)
    dtypes[path] = sorted({dtype_of(sig) for sig in driver.signatures})
print(json.dumps({"compiled": sorted(compiled), "dtypes": dtypes}))
"""


def test_fastnn_compile_both_dtypes_leaves_nothing_for_the_next_process_to_compile(capsys):
    """``fastnn compile --dtype both`` (two worker processes, then a pass in this one), then a
    new process that runs what the command's workers run (``precompile.compile_dtype``) for
    both dtypes - as a user's first run would: it reaches every engine entry point in both
    dtypes (its own signatures: nothing else ran in it), loads them all from numba's cache,
    compiles nothing and says nothing about compiling. The entry points are checked in the
    new process, where only ``compile_dtype`` ran, so that nothing compiled by another test
    can stand in for one the command missed."""
    status = cli.main(["compile", "--dtype", "both"])
    out = capsys.readouterr().out
    assert status == 0
    assert "compiled the numba engine for float64, float32 in" in out
    after = subprocess.run([sys.executable, "-c", AFTER_COMPILE, *ENTRY_POINTS],
                           capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
    report = json.loads(after.stdout)
    assert report["compiled"] == []
    assert report["dtypes"] == {path: ["float32", "float64"] for path in ENTRY_POINTS}
    assert "compiling" not in after.stderr, after.stderr

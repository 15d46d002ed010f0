"""One line on stderr for every compilation of fastnn's code that takes more than a second
(``fastnn.core.compile_notice``): best_of, sweep, the graph engine and sparse input compile
outside the engine's announced drivers. Tested on small functions compiled for the test (a
real cold compile takes minutes of CPU), made to look like fastnn's own by their module."""
import numpy as np
import pytest
from numba import njit

from fastnn.core import compile_notice
from fastnn.engine import numba_engine


def compiled(module, name):
    def function(x):
        total = 0.0
        for i in range(x.shape[0]):
            total += x[i] * x[i]
        return total

    function.__module__ = module
    function.__name__ = function.__qualname__ = name
    return njit(function)  # no disk cache: every test compiles it afresh


@pytest.fixture
def at_once(monkeypatch):
    """Announce every compilation at once (the threshold is a second)."""
    monkeypatch.setattr(compile_notice.NOTICE, "after", 0.0)


def wait_for_notice():
    import threading
    import time
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(isinstance(t, threading.Timer) and t.is_alive()
                                              for t in threading.enumerate()):
        time.sleep(0.01)


def test_a_compilation_of_fastnn_code_is_announced_once(capsys, at_once):
    function = compiled("fastnn.engine.graph_kernels", "train_epoch")
    assert function(np.arange(3.0)) == 5.0
    wait_for_notice()
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("fastnn: compiling the graph engine (train_epoch, float64)")
    assert "once" in err and "fastnn compile" in err
    assert function(np.arange(4.0)) == 14.0  # compiled already: nothing to say
    wait_for_notice()
    assert capsys.readouterr().err == ""


def test_a_compilation_shorter_than_the_threshold_is_not(capsys):
    assert compile_notice.NOTICE.after == 1.0
    compile_notice.NOTICE.after = 60.0
    try:
        compiled("fastnn.engine.population", "train_population")(np.arange(3.0))
    finally:
        compile_notice.NOTICE.after = 1.0
    wait_for_notice()
    assert capsys.readouterr().err == ""


def test_other_code_is_not_announced(capsys, at_once):
    compiled("mypackage.kernels", "work")(np.arange(3.0, dtype=np.float32))
    wait_for_notice()
    assert capsys.readouterr().err == ""


def test_the_engines_own_notice_is_not_repeated(capsys, at_once):
    function = compiled("fastnn.engine.fast_drivers", "predict")
    assert numba_engine._call(function, "prediction", np.dtype("float32"),
                              np.arange(3, dtype=np.float32)) == 5.0
    wait_for_notice()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "numba engine's prediction (predict, float32)" in err


def test_the_notice_names_what_compiles():
    function = compiled("fastnn.engine.sparse_kernels", "train_epoch")
    from numba import types
    line = compile_notice.line(function.py_func, {"args": (types.float32[:], types.int64)})
    assert line.startswith("fastnn: compiling the sparse-input kernels (train_epoch, float32);")

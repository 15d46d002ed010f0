"""The first run: a line on stderr while the engine compiles, and ``fastnn compile``.

Nothing here compiles from an empty cache (that is minutes of CPU on the shared machine; the
benchmark report's cold-start section measures it in a fresh process): the announcement is
tested on small functions compiled just for this test, and ``fastnn compile`` on the cache
the rest of the suite fills.
"""
import numpy as np
from numba import njit

from fastnn import cli
from fastnn.core._numba import will_compile
from fastnn.engine import fast_drivers, graph_kernels, lanes, numba_engine, population


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


def test_fastnn_compile_compiles_every_entry_point_the_engine_uses(capsys):
    status = cli.main(["compile", "--dtype", "float64"])
    out = capsys.readouterr().out
    assert status == 0
    assert "compiled the numba engine for float64" in out
    for driver in (fast_drivers.train_epoch_sgd, fast_drivers.train_epoch_rule,
                   fast_drivers.predict, fast_drivers.evaluate, fast_drivers.gradients,
                   population.train_population_sgd, population.train_population, lanes.train_lanes,
                   graph_kernels.train_epoch, graph_kernels.predict, graph_kernels.evaluate,
                   graph_kernels.gradients):
        assert any(str(sig[0].dtype) == "float64" for sig in driver.signatures), driver.__name__

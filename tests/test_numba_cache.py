"""numba's disk cache must not serve code compiled from an older version of another module."""
import os

from fastnn.core import _numba
from fastnn.engine import drivers, kernels


def _fastnn_dispatchers():
    """Every numba dispatcher defined in a fastnn module, found by importing every module of
    the package (those whose optional extra is missing are left out)."""
    import importlib
    import pkgutil

    import numba

    import fastnn
    found = set()
    for info in pkgutil.walk_packages(fastnn.__path__, "fastnn."):
        if info.name == "fastnn.__main__":  # runs the command line
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue
        for value in vars(module).values():
            if isinstance(value, numba.core.registry.CPUDispatcher) \
                    and value.py_func.__module__ == info.name:
                found.add(os.path.relpath(value.py_func.__code__.co_filename, _numba._PACKAGE))
    return found


def test_compiled_functions_are_stamped_with_every_kernel_module():
    """Every module that defines a compiled function is covered by the stamp, and the stamp
    is the one fastnn's cached functions carry."""
    covered = _numba._compiled_sources()
    defining = _fastnn_dispatchers()
    assert {"engine/kernels.py", "engine/drivers.py", "core/metrics.py"} <= defining
    assert defining <= set(covered), defining - set(covered)
    for function in (kernels.weighted_sum, drivers.train_epoch):
        locator = function._cache._impl._locator
        assert type(locator).__name__.startswith("PackageWide")
        assert locator.get_source_stamp()[1] == _numba._DIGEST


def test_the_stamp_changes_with_any_covered_module_and_only_with_them(tmp_path, monkeypatch):
    """In a copy of the package: the stamp is that of the package's files (the same bytes, the
    same stamp), any edit of a module with compiled code changes it, an edit elsewhere does
    not."""
    import shutil
    copy = tmp_path / "fastnn"
    shutil.copytree(_numba._PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(_numba, "_PACKAGE", str(copy))
    assert _numba._compiled_sources_digest() == _numba._DIGEST
    stamps = {_numba._DIGEST}
    for relative in _numba._compiled_sources():
        with open(copy / relative, "a") as file:
            file.write("\n# an edit\n")
        stamps.add(_numba._compiled_sources_digest())
    assert len(stamps) == len(_numba._compiled_sources()) + 1  # a new stamp at every edit
    edited = _numba._compiled_sources_digest()
    uncompiled = next(path for path in sorted(copy.rglob("*.py"))
                      if b"njit" not in path.read_bytes())
    with open(uncompiled, "a") as file:
        file.write("\n# an edit\n")
    assert _numba._compiled_sources_digest() == edited


def test_functions_outside_fastnn_keep_numba_default_locator(tmp_path):
    for locator in _numba.caching.CacheImpl._locator_classes[:3]:
        assert locator.from_function(os.path.join, os.path.__file__) is None


CALLER = '''
import hashlib, numpy as np
from numba import njit
from fastnn.core import activations, costs
from fastnn.core._numba import JIT

@njit(**JIT)
def bp1_rows(cost, code, s, a, y, delta):
    for x in range(s.shape[0]):
        costs.output_delta_of_sample(cost, code, s[x], a[x], y[x], delta[x])
        delta[x, 0] += costs.cost_of_sample(cost, s[x], a[x], y[x]) + activations.f(code, s[x, 1])

rng = np.random.default_rng(0)
s = rng.standard_normal((64, 10)); y = (rng.random((64, 10)) > 0.9) * 1.0
digest = hashlib.sha1()
for cost, code in ((0, activations.SIGMOID), (0, activations.TANH), (1, activations.SIGMOID)):
    a = np.empty_like(s)
    for x in range(64):
        for j in range(10):
            a[x, j] = activations.f(code, s[x, j])
    delta = np.empty_like(s)
    bp1_rows(cost, code, s, a, y, delta)
    digest.update(delta.tobytes())
print(digest.hexdigest())
'''


def test_cold_compiled_and_cached_code_give_the_same_bits(tmp_path):
    """A process that compiles (empty cache) and one that loads the cache compute the same bits.

    numba's cached object code is built with the callees inlined, while the freshly compiled
    code calls them; fastmath's reassociation across the inlined call then changed BP1's
    last bits (quadratic cost, sigmoid output) between a user's first run and later ones.
    The scalar helpers (activations, costs) are therefore compiled without fastmath."""
    import subprocess
    import sys
    script = tmp_path / "caller.py"
    script.write_text(CALLER)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(os.path.dirname(_numba.__file__))),
                                           os.environ.get("PYTHONPATH", "")]))
    runs = [subprocess.run([sys.executable, str(script)], env=env, check=True, text=True,
                           capture_output=True).stdout for _ in range(2)]
    assert os.listdir(tmp_path / "cache")  # the first run filled the cache, the second read it
    assert runs[0] == runs[1]


STAMPED = '''
import sys
from fastnn.core import metrics
import numpy as np
metrics.count_correct(1, np.eye(3), np.eye(3))
stats = metrics.count_correct.stats
print(stats.cache_hits and "hit" or "miss")
'''


def test_editing_a_kernel_module_recompiles_the_compiled_functions_of_other_modules(tmp_path):
    """A copy of the package: a function of core/metrics.py is loaded from the cache until
    engine/kernels.py changes, which makes it compile again (the stamp covers every module
    with compiled code, in every subpackage)."""
    import shutil
    import subprocess
    import sys
    copy = tmp_path / "src" / "fastnn"
    shutil.copytree(os.path.dirname(os.path.dirname(_numba.__file__)), copy,
                    ignore=shutil.ignore_patterns("__pycache__", "data"))
    script = tmp_path / "stamped.py"
    script.write_text(STAMPED)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(copy.parent))

    def run():
        return subprocess.run([sys.executable, str(script)], env=env, check=True, text=True,
                              capture_output=True, cwd=tmp_path).stdout.strip()

    assert run() == "miss"
    assert run() == "hit"
    with open(copy / "engine" / "kernels.py", "a") as file:
        file.write("\n# an edit\n")
    assert run() == "miss"
    assert run() == "hit"


def test_a_moved_numba_internal_falls_back_to_numba_stamps_with_a_warning(monkeypatch):
    import pytest
    monkeypatch.setattr(_numba.caching.CacheImpl, "_locator_classes", ())
    with pytest.warns(RuntimeWarning, match="cache internals have changed"):
        assert _numba._install_package_wide_stamp() is False
    monkeypatch.delattr(_numba.caching, "CacheImpl")
    with pytest.warns(RuntimeWarning, match="cache internals have changed"):
        assert _numba._install_package_wide_stamp() is False

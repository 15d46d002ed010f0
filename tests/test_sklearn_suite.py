"""scikit-learn's own MLP tests against ``fastnn.sklearn``.

The installed scikit-learn's ``sklearn/neural_network/tests/test_mlp.py`` is copied at run
time into a temporary directory (never into this repository), its import of
``MLPClassifier, MLPRegressor`` swapped for ``fastnn.sklearn``'s, and run by pytest in a
subprocess. Every test must pass except those in ``EXPECTED_FAILURES``, each with its reason.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sklearn = pytest.importorskip("sklearn", reason="scikit-learn not installed")

ROOT = Path(__file__).resolve().parents[1]
IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"

EXPECTED_FAILURES = {
    "test_mlp_regressor_dtypes_casting":
        "float32 and float64 fits of the same network (same initial weights) agree to 2e-3 "
        "relative (3e-7 absolute) on a prediction of 1.4e-4, where the test allows 5e-4 "
        "relative and no absolute tolerance: fastnn's float32 kernels sum in another order "
        "than BLAS's sgemm, and 150 Adam epochs carry that rounding into the weights",
}
"""Tests of the copied file allowed to fail, by name (parametrised ids included), and why."""

CONFTEST = """import pytest


@pytest.fixture
def global_random_seed():
    return 42  # scikit-learn's default (SKLEARN_TESTS_GLOBAL_RANDOM_SEED unset)
"""
"""scikit-learn's fixtures the copied file uses (its own conftest is not copied)."""

PASS_RATE = 0.95


def _copied_suite(tmp_path):
    source = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
    text = source.read_text()
    assert text.count(IMPORT) == 1, f"{source} no longer imports the estimators as {IMPORT!r}"
    (tmp_path / "conftest.py").write_text(CONFTEST)
    target = tmp_path / "test_mlp_fastnn.py"
    target.write_text(text.replace(IMPORT,
                                   "from fastnn.sklearn import MLPClassifier, MLPRegressor"))
    return target


def _outcomes(output):
    """``{test id: outcome}`` from pytest's ``-rA`` summary lines."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) \S*::(\S+)", line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def test_scikit_learns_mlp_tests_pass(tmp_path):
    suite = _copied_suite(tmp_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(  # the fastnn under test
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    run = subprocess.run([sys.executable, "-m", "pytest", str(suite), "-q", "-rA", "-p",
                          "no:cacheprovider", "-W", "ignore::DeprecationWarning"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    outcomes = _outcomes(run.stdout)
    print(f"scikit-learn {sklearn.__version__}: {len(outcomes)} tests of {suite.name}")
    assert outcomes, run.stdout[-3000:] + run.stderr[-3000:]
    passed = [name for name, outcome in outcomes.items() if outcome == "PASSED"]
    unexpected = {name: outcome for name, outcome in outcomes.items()
                  if outcome not in ("PASSED", "SKIPPED")
                  and name.split("[")[0] not in EXPECTED_FAILURES}
    rate = len(passed) / len(outcomes)
    print(f"passed {len(passed)} of {len(outcomes)}: pass rate {rate:.1%}; allowed failures: "
          f"{sorted(EXPECTED_FAILURES)}")
    assert unexpected == {}, run.stdout[-6000:]
    assert rate >= PASS_RATE, f"scikit-learn {sklearn.__version__}: pass rate {rate:.1%}"

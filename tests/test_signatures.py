"""House rule (issue 26, item 4): no function of fastnn takes more than ``MAX_PARAMETERS``
parameters; arrays that travel together travel as one namedtuple (``kernels.Architecture``,
``rules.Update``, ``lanes.State``...), which numba passes between compiled functions free."""
import ast
from pathlib import Path

import fastnn

PACKAGE = Path(fastnn.__file__).resolve().parent

MAX_PARAMETERS = 16

PUBLIC = {
    ("network.py", "Network.fit"),
    ("training/sweep.py", "sweep"),
    ("training/population.py", "train_together"),
}
"""Public API signatures, whose keyword arguments are the documented interface (with the
estimators' ``__init__``s, ``_public``)."""

def _public(key):
    """True for a public signature: ``PUBLIC``, or an estimator's ``__init__`` (scikit-learn's
    convention: every hyper-parameter a keyword of it)."""
    path, name = key
    return key in PUBLIC or (path == "sklearn/_estimators.py" and name.endswith(".__init__"))


def _count(arguments):
    """Every parameter: positional-only, positional, keyword-only, ``*args``, ``**kwargs``."""
    return (len(arguments.posonlyargs) + len(arguments.args) + len(arguments.kwonlyargs)
            + (arguments.vararg is not None) + (arguments.kwarg is not None))


def _functions(tree):
    """``(qualified name, node)`` of every function and method, nested ones included."""
    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    yield name, child
                yield from walk(child, name + ".")
            else:
                yield from walk(child, prefix)
    yield from walk(tree, "")


def _too_long():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for name, node in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            if _count(node.args) > MAX_PARAMETERS:
                found[(relative, name)] = _count(node.args)
    return found


def test_no_function_takes_more_than_16_parameters():
    over = {key: n for key, n in _too_long().items() if not _public(key)}
    assert not over, f"over {MAX_PARAMETERS} parameters (group them in a namedtuple): {over}"

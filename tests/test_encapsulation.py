"""Network's private attributes are network.py's alone: every other module of fastnn uses its
public training state (``parameters``, ``rng``, ``penalty``, ``snapshot``/``restore``,
``backend``, ...), so the state has one definition and one way to be saved and restored."""
import ast
from pathlib import Path

import fastnn
from fastnn.network import Network

PACKAGE = Path(fastnn.__file__).resolve().parent



def private_names():
    """Network's private attribute names: its class's and an instance's (not dunders)."""
    names = set(vars(Network)) | set(vars(Network([2, 2], engine="numpy", seed=0)))
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


def private_uses(root, names):
    """``(file, line, attribute)`` of every ``x._name`` outside network.py with ``_name`` a
    Network private name and ``x`` not ``self``/``cls`` (a class's own attributes)."""
    uses = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative == "network.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            own = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in ("self", "cls")
            if isinstance(node, ast.Attribute) and node.attr in names and not own:
                uses.append((relative, node.lineno, node.attr))
    return uses


def test_no_module_uses_network_private_attributes():
    names = private_names()
    assert {"_theta", "_rng", "_penalty", "_engine", "_boundary", "_state_lock"} <= names
    assert private_uses(PACKAGE, names) == []


def test_the_scan_finds_a_private_use(tmp_path):
    (tmp_path / "network.py").write_text("def f(net):\n    return net._theta\n")
    (tmp_path / "user.py").write_text("def f(net, self):\n    self._theta\n    return net._rng\n")
    assert private_uses(tmp_path, private_names()) == [("user.py", 3, "_rng")]

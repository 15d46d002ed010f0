"""Every engine implements ``fastnn.engine.Engine`` with the same signatures, and what it
cannot do is refused by name, decided by its capability attributes."""
import ast
import inspect
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

import fastnn
from fastnn.core.graph import Graph
from fastnn.engine import ENGINES, Engine
from fastnn.engine.numba_engine import SparseNumbaEngine

ENGINE_CLASSES = sorted({cls for kinds in ENGINES.values() for cls in kinds.values()}
                        | {SparseNumbaEngine}, key=lambda cls: cls.__name__)
PROTOCOL_METHODS = [name for name, value in vars(Engine).items()
                    if callable(value) and not name.startswith("_")]
CAPABILITIES = ("compiled", "sample_weights", "sparse_input", "population")


def _network(kind, engine, **kwargs):
    structure = [4, 5, 3] if kind == "layered" else Graph.layered([4, 5, 3])
    return fastnn.Network(structure, engine=engine, seed=0, **kwargs)


def _built():
    """(engine name, kind, network) for every entry of the ENGINES table."""
    return [(name, kind, _network(kind, name))
            for name, kinds in ENGINES.items() for kind in kinds]


@pytest.mark.parametrize("cls", ENGINE_CLASSES, ids=lambda cls: cls.__name__)
def test_every_engine_has_the_protocols_signatures(cls):
    for name in PROTOCOL_METHODS:
        assert hasattr(cls, name), (cls, name)
        want = list(inspect.signature(getattr(Engine, name)).parameters.values())
        have = list(inspect.signature(getattr(cls, name)).parameters.values())
        assert [(p.name, p.default) for p in have] == [(p.name, p.default) for p in want], \
            (cls.__name__, name)


def test_every_built_engine_is_an_engine_with_boolean_capabilities():
    for name, kind, net in _built():
        engine = net.backend
        assert isinstance(engine, Engine), (name, kind)
        assert engine.name == name and engine.dtype == net.dtype
        assert engine.n_parameters == net.n_parameters
        for capability in CAPABILITIES:
            assert isinstance(getattr(engine, capability), bool), (name, kind, capability)
    assert sorted(name for name, kind, net in _built() if net.backend.population) == ["numba"]


def test_an_engine_without_sample_weights_refuses_them_by_name():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((12, 4)), rng.integers(0, 3, 12)
    for _, _, net in _built():
        if net.backend.sample_weights:
            before = net.gradients(X, y, sample_weight=np.ones(12))
            assert np.isfinite(before[0][0]).all()
            continue
        with pytest.raises(ValueError, match="sample_weight"):
            net.fit(X, y, sample_weight=np.ones(12))
        with pytest.raises(ValueError, match="sample_weight"):
            net.gradients(X, y, sample_weight=np.ones(12))
        with pytest.raises(ValueError, match="sample_weight"):
            net.backend.gradients(net.parameters(), X, np.eye(3)[y], np.ones(12))


def test_an_engine_without_sparse_input_refuses_a_sparse_x_by_name():
    X = scipy.sparse.random(10, 4, density=0.5, format="csr", random_state=2)
    for _, _, net in _built():
        if net.backend.sparse_input:
            np.testing.assert_allclose(net.predict(X), net.predict(X.toarray()), rtol=1e-12)
        else:
            with pytest.raises(TypeError, match="toarray"):
                net.predict(X)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_penalty_gradient_is_the_same_function_in_every_engine(dtype):
    """``add_penalty_gradient`` of the loop and the NumPy engines: l2 w + l1 sign(w) on
    the weights, nothing on the biases."""
    for name in ("numba", "numba-plain", "numpy"):
        net = _network("layered", name, dtype=dtype)
        theta = np.random.default_rng(3).standard_normal(net.n_parameters).astype(dtype)
        grad = np.zeros_like(theta)
        mask = net.weight_mask()
        net.backend.add_penalty_gradient(theta, grad, mask, 0.3, 0.2)
        expected = np.where(mask == 1, 0.3 * theta + 0.2 * np.sign(theta), 0)
        np.testing.assert_allclose(grad, expected, rtol=1e-6 if dtype == "float32" else 1e-14)


def test_nothing_outside_the_engines_sets_an_attribute_of_an_engine():
    """The engine and its drivers are chosen when the network is built: no module of the
    package writes to an engine object afterwards (``x._engine.attr = ...``)."""
    root = Path(fastnn.__file__).parent
    writes = []
    for path in root.rglob("*.py"):
        if path.parent.name == "engine":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
            for target in targets:
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Attribute)
                        and target.value.attr in ("_engine", "backend")):
                    writes.append(f"{path.relative_to(root)}:{node.lineno}")
    assert writes == []

"""How a network is computed: the plain loop kernels (one per equation) and their drivers,
the tiled fast kernels and drivers, the compiled update rules, and the NumPy reference engine.

Every engine takes ``(topology, cost, dtype)`` and the flat parameter vector ``theta`` in its
calls (``train_epoch``, ``predict``, ``gradients``, ``evaluate``, ``warm_up``); nothing above
this package knows how it computes.
"""
from .graph_engine import GraphNumbaEngine, GraphNumpyEngine
from .numba_engine import NumbaEngine
from .reference import NumpyEngine

ENGINES = {"numba": {"layered": NumbaEngine, "graph": GraphNumbaEngine},
           "numpy": {"layered": NumpyEngine, "graph": GraphNumpyEngine}}
"""Engine classes by ``Network(engine=...)`` name, then by ``Topology.kind``."""

ENGINE_NAMES = tuple(ENGINES)


def make_engine(name, topology, cost, dtype):
    """The engine ``name`` for a structure of ``topology.kind``."""
    by_kind = ENGINES[name]
    if topology.kind not in by_kind:
        raise ValueError(f"engine={name!r} cannot compute {topology.kind} networks")
    return by_kind[topology.kind](topology, cost, dtype)

"""How a network is computed: the plain loop kernels (one per equation) and their drivers,
the tiled fast kernels and drivers, the compiled update rules, and the NumPy reference engines.

Every engine implements ``interface.Engine``: built once per network from ``(topology, cost,
dtype)`` by ``make_engine``, it takes the flat parameter vector ``theta`` in its calls
(``train_epoch``, ``predict``, ``gradients``, ``evaluate``, ``warm_up``, ``trace``,
``add_penalty_gradient``) and says what it can do in its capability attributes; nothing above
this package knows how it computes.
"""
from .graph_engine import GraphNumbaEngine, GraphNumpyEngine
from .interface import Engine
from .numba_engine import NumbaEngine, PlainNumbaEngine
from .reference import NumpyEngine

ENGINES = {"numba": {"layered": NumbaEngine, "graph": GraphNumbaEngine},
           "numba-plain": {"layered": PlainNumbaEngine},
           "numpy": {"layered": NumpyEngine, "graph": GraphNumpyEngine}}
"""Engine classes by ``Network(engine=...)`` name, then by ``Topology.kind``: "numba" the
tiled, fused loop kernels; "numba-plain" the plain per-equation loop kernels (layered
networks; a graph's per-edge loops have one form, "numba"); "numpy" the vectorised reference."""

ENGINE_NAMES = tuple(ENGINES)

__all__ = ["ENGINES", "ENGINE_NAMES", "Engine", "make_engine"]


def make_engine(name, topology, cost, dtype):
    """The engine ``name`` for a structure of ``topology.kind``."""
    by_kind = ENGINES[name]
    if topology.kind not in by_kind:
        raise ValueError(f"engine={name!r} cannot compute {topology.kind} networks; "
                         f"engines for them: "
                         f"{[n for n, kinds in ENGINES.items() if topology.kind in kinds]}")
    return by_kind[topology.kind](topology, cost, dtype)

"""What a network is: activations (f, f'), costs (BP1), the structure objects (parameter
layout, views, fan-in, penalised weights, configuration: ``structure.Layered`` and
``graph.Graph``, which registers itself in ``structure.KINDS``), accuracy, argument
validation. Imports nothing else of fastnn."""
# imported for their effect: a line on stderr while fastnn compiles; the "graph" kind registered
from . import compile_notice, graph  # noqa: F401

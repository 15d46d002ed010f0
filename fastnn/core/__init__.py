"""What a network is: activations (f, f'), costs (BP1), the structure objects (parameter
layout, views, fan-in, penalised weights, configuration: ``structure.Layered`` and
``graph.Graph``, which registers itself in ``structure.KINDS``), accuracy, argument
validation. Imports nothing else of fastnn."""
from . import compile_notice  # noqa: F401  (a line on stderr while fastnn compiles)
from . import graph  # noqa: F401  (registers the "graph" kind)

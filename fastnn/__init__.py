"""fastnn: feed-forward neural networks trained by backpropagation, written as the textbooks
write the math (loops over neurons j, k and layers l) and compiled with numba.

>>> import fastnn
>>> net = fastnn.Network([784, 30, 10], seed=1)
>>> history = net.fit(X, y, epochs=3, batch_size=10, learning_rate=3.0)   # doctest: +SKIP

Subpackages, each importing only those before it: ``core`` (what a network is) <- ``engine``
(how it is computed) <- ``training`` (how it is trained) <- ``io`` (files) <- ``network``
(the ``Network``) <- ``datasets`` and the integrations ``sklearn``, ``cli``, ``plot``.
"""
from . import documents  # the documents' networks: fastnn.documents.chain() ...
from .core.errors import TrainingDiverged
from .core.graph import Graph, GraphWarning
from .core.trace import Trace
from .engine.threads import get_num_threads, set_num_threads
from .network import Network, load
from .training import callbacks, optimizers, schedules
from .training import runners as _runners
from .training.gradcheck import gradient_check
from .training.history import History
from .training.optimizers import SGD, Adagrad, Adam, Momentum, Nesterov, RMSProp
from .training.restarts import best_of
from .training.sweep import sweep


def _dask_runner(client):
    """``best_of`` / ``sweep(client=distributed.Client(...))``: imports the Dask integration on
    first use."""
    from .distributed import DaskRunner
    return DaskRunner(client)


_runners.register("distributed.client.Client", _dask_runner)

__version__ = "0.1.0"
__all__ = ["Network", "Graph", "GraphWarning", "Trace", "History", "load", "gradient_check",
           "best_of", "sweep",
           "TrainingDiverged",
           "SGD", "Momentum", "Nesterov", "Adagrad", "RMSProp", "Adam",
           "optimizers", "schedules", "callbacks", "documents", "set_num_threads",
           "get_num_threads",
           "__version__"]

"""fastnn: feed-forward neural networks trained by backpropagation, written as the textbooks
write the math (loops over neurons j, k and layers l) and compiled with numba.

>>> import fastnn
>>> net = fastnn.Network([784, 30, 10], seed=1)
>>> history = net.fit(X, y, epochs=3, batch_size=10, learning_rate=3.0)   # doctest: +SKIP
"""
from . import callbacks, optimizers, schedules
from .errors import TrainingDiverged
from .gradcheck import gradient_check
from .history import History
from .network import Network
from .optimizers import SGD, Adagrad, Adam, Momentum, Nesterov, RMSProp
from .restarts import best_of
from .serialization import load
from .threads import get_num_threads, set_num_threads

__version__ = "0.1.0"
__all__ = ["Network", "History", "load", "gradient_check", "best_of", "TrainingDiverged",
           "SGD", "Momentum", "Nesterov", "Adagrad", "RMSProp", "Adam",
           "optimizers", "schedules", "callbacks", "set_num_threads", "get_num_threads",
           "__version__"]

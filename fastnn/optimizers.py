r"""Update rules, kept apart from the layers: an optimizer owns its state, the network owns
the parameters.

``sgd_step`` is the per-weight loop of plain (mini-batch) gradient descent,
:math:`w \leftarrow w - \eta\, \partial J/\partial w`, applied to the whole flat parameter
vector (weights and biases alike).
"""
from numba import njit, prange

from ._numba import PARALLEL_JIT


@njit(**PARALLEL_JIT)
def sgd_step(theta, grad, learning_rate):
    r"""SGD :math:`\theta_i \leftarrow \theta_i - \eta\, g_i`; parallel over parameters i."""
    eta = theta.dtype.type(learning_rate)
    for i in prange(theta.shape[0]):
        theta[i] -= eta * grad[i]

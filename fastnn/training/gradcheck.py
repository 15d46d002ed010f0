r"""The gradient check of doc 001: backpropagation against central differences.

.. math::

    \frac{\partial J}{\partial \theta_i} \approx
    \frac{J(\theta + \epsilon e_i) - J(\theta - \epsilon e_i)}{2\epsilon}

``J`` is the mean cost, or with ``l2``/``l1`` the regularised cost
:math:`J + \frac{\lambda}{2n}\sum w^2 + \frac{\lambda_1}{n}\sum |w|` that training minimises.
"""
import numpy as np

from ..core import validation
from ..core.structure import is_network
from ..engine import make_engine, rules

RESOLUTION = 1e-3
"""Arrays are measured relative to at least this fraction of the whole gradient's norms."""


def numerical_gradient(net, X, Y, eps=1e-6, l2=0.0, l1=0.0, n=None):
    """Central-difference gradient of the mean cost (plus the penalty with ``l2``/``l1``,
    ``n`` defaulting to ``len(X)``), flat, computed in float64 with the NumPy engine whatever
    the network's dtype (2 cost evaluations per parameter)."""
    engine = make_engine("numpy", net.topology, net.cost, np.float64)
    theta = net.parameters().astype(np.float64)
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    m = X.shape[0]
    n = m if n is None else n
    decay = net.weight_mask()

    def J(theta):
        cost = engine.evaluate(theta, X, Y, 0)[0] / m
        return cost + rules.penalty(theta, decay, l2, l1, n) if (l2 or l1) else cost

    numeric = np.empty_like(theta)
    for i in range(theta.size):
        original = theta[i]
        theta[i] = original + eps
        cost_plus = J(theta)
        theta[i] = original - eps
        cost_minus = J(theta)
        theta[i] = original
        numeric[i] = (cost_plus - cost_minus) / (2 * eps)
    return numeric


def gradient_check(net, X, Y, eps=1e-6, *, l2=0.0, l1=0.0, n=None):
    r"""Largest relative error between backpropagation and central differences.

    The error of each parameter array (each :math:`w^l` and :math:`b^l`) is
    :math:`\lVert g - n \rVert / (\lVert g \rVert + \lVert n \rVert)` (0 when both are zero),
    ``g`` the network's backpropagated gradient (its own engine and dtype) and ``n`` the
    numerical one (float64). An array whose gradient is smaller than ``RESOLUTION`` (1e-3)
    times the whole gradient is measured against that floor instead: central differences
    carry an absolute rounding error of about :math:`10^{-16} J/\epsilon`, so they cannot
    resolve a near-zero gradient (a saturated softmax layer's, say) to a relative 1e-6.
    Float64 networks typically give 1e-8 or less; float32 networks about 1e-4, the precision
    of float32 itself.

    Parameters
    ----------
    net : Network
    X : array-like of shape (n_samples, sizes[0])
    Y : array-like, targets or labels as for ``Network.fit``
    eps : float
        Step of the central difference.
    l2, l1 : float
        Check the gradient of the regularised cost
        :math:`J + \frac{\lambda}{2n}\sum w^2 + \frac{\lambda_1}{n}\sum|w|` instead
        (``Network.gradients(..., l2=, l1=, n=)``, the gradient the optimizers follow). L1 is
        not differentiable at 0: weights closer to 0 than ``eps`` give a false alarm.
    n : int or None
        The n of the penalty (the training-set size); None: ``len(X)``.

    Returns
    -------
    float
    """
    if not is_network(net):
        raise TypeError(f"net must be a fastnn.Network, got {type(net).__name__}")
    eps = validation.positive_float("eps", eps)
    X, Y, _ = net.check_data(X, Y)
    l2, l1, n = net.penalty_coefficients(l2, l1, n, X.shape[0])
    dW, db = net.gradients(X, Y, l2=l2, l1=l1, n=n) if (l2 or l1) else net.gradients(X, Y)
    numeric_W, numeric_b = net.topology.views(numerical_gradient(net, X, Y, eps, l2, l1, n))
    pairs = [(g.astype(np.float64), numeric)
             for g, numeric in zip(_arrays(dW) + _arrays(db),
                                   _arrays(numeric_W) + _arrays(numeric_b))]
    floor = RESOLUTION * sum(np.linalg.norm(g) + np.linalg.norm(numeric) for g, numeric in pairs)
    worst = 0.0
    for g, numeric in pairs:
        scale = max(np.linalg.norm(g) + np.linalg.norm(numeric), floor)
        if scale > 0:
            worst = max(worst, float(np.linalg.norm(g - numeric) / scale))
    return worst


def _arrays(views):
    """The parameter arrays of a view: a list of per-layer arrays, or one array."""
    return list(views) if isinstance(views, list) else [views]

r"""``solver="lbfgs"``: scipy's L-BFGS-B on the network's flat parameter vector, each function
evaluation one call of fastnn's compiled gradient loop (``engine.gradients``: forward pass,
BP1-BP4 over all samples, chunked, parallel where the layers are large).

The objective is scikit-learn's: the (sample-weighted) mean cost plus the L2 term,

.. math:: F(\theta) = \frac{\sum_x v_x C_x}{\sum_x v_x} + \frac{\alpha}{2 \sum_x v_x} \sum w^2,

biases not penalised; its gradient is the engine's weighted mean gradient plus
:math:`\alpha w / \sum_x v_x`. With ``loss="poisson"`` (regressor) the network's identity
output is the log of the mean, :math:`\mu = e^{s^L}`, and
:math:`C_x = \sum_j y_j\ln(y_j/\mu_j) - y_j + \mu_j` (scikit-learn's half Poisson
deviance); its gradient comes from the same compiled loop with the quadratic cost's BP1
:math:`\delta^L = a - t` fed the targets :math:`t = s^L - (\mu - y)`, which make
:math:`\delta^L = \mu - y`, the Poisson :math:`\partial C_x/\partial s^L`. ``max_iter``,
``max_fun`` and ``tol`` are L-BFGS-B's ``maxiter``, ``maxfun`` and ``gtol``, as scikit-learn
passes them.
"""
import warnings

import numpy as np
import scipy.optimize
from scipy.special import xlogy
from sklearn.exceptions import ConvergenceWarning


class Objective:
    """:math:`F(\\theta)` and :math:`\\nabla F` for L-BFGS-B, on float64 vectors laid out as
    ``net``'s parameter vector (the network computes in its own dtype). ``X``, ``Y`` (and
    ``weights``) are already in the engine's form (``Network.check_data``)."""

    def __init__(self, net, X, Y, weights, alpha, poisson=False):
        self.net, self.X, self.Y, self.weights = net, X, Y, weights
        self.poisson = poisson
        self.theta = net.parameters()
        self.total = float(X.shape[0] if weights is None else weights.sum(dtype=np.float64))
        self.penalised = net.weight_mask().astype(bool)
        self.alpha = alpha
        self.last_loss = None

    def __call__(self, x):
        self.theta[...] = x
        engine, targets = self.net.backend, self.Y
        if self.poisson:
            raw = engine.predict(self.theta, self.X)
            mu = np.exp(raw)
            targets = (raw - (mu - self.Y)).astype(self.Y.dtype)
        if self.weights is None:
            grad, loss = engine.gradients(self.theta, self.X, targets)
        else:
            grad, loss = engine.gradients(self.theta, self.X, targets, self.weights)
        if self.poisson:
            per_sample = (xlogy(self.Y, self.Y / mu) - self.Y + mu).sum(axis=1, dtype=np.float64)
            loss = float(per_sample.sum() if self.weights is None else per_sample @ self.weights)
        grad = grad.astype(np.float64)
        loss /= self.total
        if self.alpha:
            w = x[self.penalised]
            loss += 0.5 * self.alpha * float(w @ w) / self.total
            grad[self.penalised] += (self.alpha / self.total) * w
        self.last_loss = loss
        return loss, grad


def minimize(objective, max_iter, max_fun, tol, verbose):
    """Run L-BFGS-B from the network's current parameters and leave it at the result;
    ``(n_iter, loss)``. Warns ``ConvergenceWarning`` (scikit-learn's text) when L-BFGS-B
    stopped for ``max_iter``, ``max_fun`` or a failed line search rather than ``tol``."""
    iteration = [0]

    def report(_):
        iteration[0] += 1
        print(f"Iteration {iteration[0]}, loss = {objective.last_loss:.8f}")

    result = scipy.optimize.minimize(
        objective, objective.theta.astype(np.float64), method="L-BFGS-B", jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        callback=report if verbose else None)
    objective.theta[...] = result.x
    if result.status != 0:
        message = result.message.decode() if isinstance(result.message, bytes) else result.message
        warnings.warn(f"lbfgs failed to converge after {result.nit} iteration(s) "
                      f"(status={result.status}):\n{message}\n\nIncrease the number of "
                      f"iterations to improve the convergence (max_iter={max_iter}).\nYou might "
                      f"also want to scale the data as shown in:\n    "
                      f"https://scikit-learn.org/stable/modules/preprocessing.html",
                      ConvergenceWarning, stacklevel=3)
    return min(int(result.nit), max_iter), float(result.fun)

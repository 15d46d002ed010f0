r"""The NumPy engine: vectorised reference for the loop kernels, written to be read.

Rows are samples. For a batch ``x`` of shape (m, n_in), layer by layer:
``s = a_prev @ w.T + b``, ``a = f(s)``; then BP1 ``delta = dC/da * f'(s)`` at the output,
BP2 ``delta_prev = (delta @ w) * f'(s_prev)``, BP3 ``gb = delta.mean(0)``, BP4
``gw = delta.T @ a_prev / m``. Same interface as the loop engines (``interface.Engine``); the
tests hold the loop kernels to this engine.
"""
import numpy as np

from ..core import activations, costs
from ..core.metrics import numpy_count_correct as count_correct
from ..core.structure import views
from . import rules

CHUNK = 1024
"""Rows per chunk in predict/gradients/evaluate, bounding memory on large inputs."""


class NumpyEngine:
    """Vectorised forward pass, backpropagation and SGD over the views of ``theta``."""

    name = "numpy"
    compiled = False
    sample_weights = True
    sparse_input = True
    population = False

    def __init__(self, topology, cost, dtype):
        activation_names = topology.layer_activations
        self.layout = topology.layout
        self.n_parameters = topology.n_parameters
        self.activations = [activations.NUMPY[name] for name in activation_names]
        self.output = activation_names[-1]
        self.cost = cost
        self.dtype = np.dtype(dtype)

    def _forward(self, weights, biases, x):
        """Lists of every layer's ``s`` and ``a`` (``a[0]`` is the input, ``s[0]`` is None)."""
        s_list, a_list = [None], [x]
        for (f, _), w, b in zip(self.activations, weights, biases):
            s = a_list[-1] @ w.T + b
            s_list.append(s)
            a_list.append(f(s))
        return s_list, a_list

    def _backprop(self, weights, s_list, a_list, y, scale, v=None, deltas=None):
        """BP1-BP4: gradients ``(gw, gb)`` per layer of ``scale * sum over samples`` and C_x;
        with sample weights ``v``, of ``scale * sum over samples of v_x dC_x`` and ``v_x C_x``.
        ``deltas``, a list of None per layer, receives every layer's delta (index 0: input)."""
        s, a = s_list[-1], a_list[-1]
        sample_cost = costs.NUMPY_COST[self.cost](s, a, y)
        delta = costs.numpy_output_delta(self.cost, self.output, s, a, y)
        if v is not None:
            sample_cost = sample_cost * v
            delta = delta * v[:, None]
        gw, gb = [None] * len(weights), [None] * len(weights)
        for i in range(len(weights) - 1, -1, -1):
            if deltas is not None:
                deltas[i + 1] = delta
            gw[i] = (delta.T @ a_list[i]) * scale
            gb[i] = delta.sum(axis=0) * scale
            if i > 0:
                f_prime = self.activations[i - 1][1]
                delta = (delta @ weights[i]) * f_prime(s_list[i], a_list[i])
        return gw, gb, sample_cost

    def warm_up(self, theta, X, Y, batch_size, update, accuracy_mode, weights=None):
        """Nothing to compile."""

    def add_penalty_gradient(self, theta, grad, decay, l2, l1):
        """``rules.numpy_add_penalty_gradient``: the NumPy rules' own penalty gradient."""
        rules.numpy_add_penalty_gradient(theta, grad, decay, l2, l1)

    def train_epoch(self, theta, X, Y, order, batch_size, update, accuracy_mode, weights=None):
        """One epoch of mini-batch training with the rule ``update`` (``rules.numpy_step``);
        returns (summed per-sample cost, correct count), stopping once the cost is not finite.
        With ``weights`` each batch's gradient is its weighted mean (1/sum of its weights)."""
        sample_weights = weights
        weights, biases = views(theta, self.layout)
        grad = np.empty_like(theta)
        grad_w, grad_b = views(grad, self.layout)
        loss, correct = 0.0, 0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            x, y = X[batch], Y[batch]
            s_list, a_list = self._forward(weights, biases, x)
            v = None if sample_weights is None else sample_weights[batch]
            weight_sum = len(batch) if v is None else float(v.sum(dtype=np.float64))
            scale = 1 / weight_sum if weight_sum > 0 else 0
            gw, gb, sample_cost = self._backprop(weights, s_list, a_list, y,
                                                 self.dtype.type(scale), v)
            loss += float(sample_cost.sum(dtype=np.float64))
            correct += count_correct(accuracy_mode, a_list[-1], y)
            if not np.isfinite(loss):
                break
            for total, part in zip(grad_w + grad_b, gw + gb):
                total[...] = part
            rules.numpy_step(update, theta, grad)
        return loss, correct

    def predict(self, theta, X):
        weights, biases = views(theta, self.layout)
        out = np.empty((X.shape[0], int(self.layout.sizes[-1])), dtype=self.dtype)
        for start in range(0, X.shape[0], CHUNK):
            out[start:start + CHUNK] = self._forward(weights, biases, X[start:start + CHUNK])[1][-1]
        return out

    def gradients(self, theta, X, Y, weights=None):
        """Flat gradient of the mean cost over all rows, and the summed cost (weighted mean
        and weighted sum with ``weights``)."""
        sample_weights = weights
        weights, biases = views(theta, self.layout)
        grad = np.zeros_like(theta)
        grad_w, grad_b = views(grad, self.layout)
        loss = 0.0
        weight_sum = (X.shape[0] if sample_weights is None
                      else float(sample_weights.sum(dtype=np.float64)))
        scale = self.dtype.type(1 / weight_sum if weight_sum > 0 else 0)
        for start in range(0, X.shape[0], CHUNK):
            s_list, a_list = self._forward(weights, biases, X[start:start + CHUNK])
            v = None if sample_weights is None else sample_weights[start:start + CHUNK]
            gw, gb, sample_cost = self._backprop(weights, s_list, a_list, Y[start:start + CHUNK],
                                                 scale, v)
            loss += float(sample_cost.sum(dtype=np.float64))
            for total, part in zip(grad_w + grad_b, gw + gb):
                total += part
        return grad, loss

    def trace(self, theta, x, y):
        """One sample (``x``, ``y`` of shape (1, n)): ``(grad, cost, s, a, delta)``, the last
        three lists with one row per layer (index 0 the input; ``s[0]``, ``delta[0]`` None)."""
        weights, biases = views(theta, self.layout)
        s_list, a_list = self._forward(weights, biases, x)
        deltas = [None] * len(a_list)
        gw, gb, sample_cost = self._backprop(weights, s_list, a_list, y, self.dtype.type(1),
                                             deltas=deltas)
        grad = np.zeros_like(theta)
        grad_w, grad_b = views(grad, self.layout)
        for total, part in zip(grad_w + grad_b, gw + gb):
            total += part
        return (grad, float(sample_cost.sum(dtype=np.float64)),
                [None] + [s[0] for s in s_list[1:]], [a[0] for a in a_list],
                [None] + [d[0] for d in deltas[1:]])

    def evaluate(self, theta, X, Y, accuracy_mode):
        weights, biases = views(theta, self.layout)
        loss, correct = 0.0, 0
        for start in range(0, X.shape[0], CHUNK):
            y = Y[start:start + CHUNK]
            s_list, a_list = self._forward(weights, biases, X[start:start + CHUNK])
            cost = costs.NUMPY_COST[self.cost](s_list[-1], a_list[-1], y)
            loss += float(cost.sum(dtype=np.float64))
            correct += count_correct(accuracy_mode, a_list[-1], y)
        return loss, correct

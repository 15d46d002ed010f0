"""The ``numpy-lean`` peer: the fastest plain NumPy mini-batch loop we could write.

fastnn's NumPy engine is the readable oracle (per-batch cost and accuracy bookkeeping,
gathered rows, lists of fresh arrays, the generic optimizer step). A ratio against it alone
flatters the loop engine, so the benchmark also times what a user who knows NumPy writes by
hand: the book's ``network.py`` vectorised over the batch (docs/performance.md, Method):

* one shuffled copy of the data per epoch (``X[order]``, timed: it is part of the loop's
  work, as fastnn's gathering of rows is part of its epoch), then contiguous row slices;
* the forward pass ``s = a @ W.T + b`` into preallocated buffers (``out=``), the activation
  in place;
* BP1-BP4 into preallocated buffers; ``delta`` scaled by :math:`\\eta/m` once (a small
  array) instead of the gradient; weights and biases updated in place right after BP2 has
  read them (so no gradient vector, no second pass);
* no cost, no accuracy, no checks.

Same network, cost, batch size, dtype, initial weights and data as the fastnn engines, and
the same number of updates. Supported: hidden activations sigmoid and relu; outputs sigmoid
with the quadratic cost, softmax with log-likelihood (the benchmark cases).
"""
import numpy as np


class LeanNumpy:
    """Plain-SGD training and prediction on copies of ``weights`` (list of (n_l, n_{l-1}))
    and ``biases`` (list of (n_l,)); every buffer is allocated once per batch size."""

    def __init__(self, weights, biases, activation="sigmoid", output="sigmoid", cost="quadratic"):
        if activation not in ("sigmoid", "relu"):
            raise ValueError(f"numpy-lean: activation must be sigmoid or relu, got {activation!r}")
        if (output, cost) not in (("sigmoid", "quadratic"), ("softmax", "log_likelihood")):
            raise ValueError(f"numpy-lean: output/cost must be sigmoid/quadratic or "
                             f"softmax/log_likelihood, got {output}/{cost}")
        self.W = [np.ascontiguousarray(w).copy() for w in weights]
        self.b = [np.ascontiguousarray(b).copy() for b in biases]
        self.activation, self.output = activation, output
        self.dtype = self.W[0].dtype
        self.sizes = [self.W[0].shape[1]] + [w.shape[0] for w in self.W]
        self._buffers = {}

    def _buffers_for(self, m):
        buf = self._buffers.get(m)
        if buf is None:
            new = lambda n: np.empty((m, n), dtype=self.dtype)  # noqa: E731
            buf = dict(s=[None] + [new(n) for n in self.sizes[1:]],
                       a=[None] + [new(n) for n in self.sizes[1:]],
                       d=[None] + [new(n) for n in self.sizes[1:]],
                       tmp=[None] + [new(n) for n in self.sizes[1:]],
                       mask=[None] + [np.empty((m, n), dtype=bool) for n in self.sizes[1:]],
                       gw=[None] + [np.empty_like(w) for w in self.W],
                       gb=[None] + [np.empty_like(b) for b in self.b])
            self._buffers[m] = buf
        return buf

    def _forward(self, x, buf, m):
        a_prev = x
        L = len(self.W)
        for l in range(1, L + 1):
            s, a = buf["s"][l][:m], buf["a"][l][:m]
            np.matmul(a_prev, self.W[l - 1].T, out=s)
            s += self.b[l - 1]
            kind = self.output if l == L else self.activation
            if kind == "sigmoid":
                np.negative(s, out=a)
                np.exp(a, out=a)
                a += 1
                np.reciprocal(a, out=a)
            elif kind == "relu":
                np.maximum(s, 0, out=a)
            else:  # softmax
                np.subtract(s, s.max(axis=1, keepdims=True), out=a)
                np.exp(a, out=a)
                a /= a.sum(axis=1, keepdims=True)
            a_prev = a
        return a_prev

    def train_epoch(self, X, Y, order, batch_size, learning_rate):
        """One epoch of plain SGD over ``X[order]`` (Y: one-hot targets) in batches of
        ``batch_size``; the last batch may be smaller."""
        Xs, Ys = X[order], Y[order]
        n, L = len(order), len(self.W)
        with np.errstate(over="ignore"):  # exp(-s) of a large negative s: 1/inf = 0, as it should
            for start in range(0, n, batch_size):
                m = min(batch_size, n - start)
                buf = self._buffers_for(batch_size)
                x, y = Xs[start:start + m], Ys[start:start + m]
                a_out = self._forward(x, buf, m)
                d = buf["d"][L][:m]
                np.subtract(a_out, y, out=d)  # BP1; softmax + log-likelihood: a - y
                if self.output == "sigmoid":  # quadratic: (a - y) * a * (1 - a)
                    tmp = buf["tmp"][L][:m]
                    np.subtract(1, a_out, out=tmp)
                    d *= a_out
                    d *= tmp
                c = self.dtype.type(learning_rate / m)
                for l in range(L, 0, -1):
                    a_prev = x if l == 1 else buf["a"][l - 1][:m]
                    if l > 1:  # BP2 with the weights before their update
                        d_prev = buf["d"][l - 1][:m]
                        np.matmul(d, self.W[l - 1], out=d_prev)
                        if self.activation == "sigmoid":
                            tmp = buf["tmp"][l - 1][:m]
                            np.subtract(1, a_prev, out=tmp)
                            d_prev *= a_prev
                            d_prev *= tmp
                        else:
                            mask = buf["mask"][l - 1][:m]
                            np.greater(buf["s"][l - 1][:m], 0, out=mask)
                            d_prev *= mask
                    d *= c  # eta/m once, on the small array
                    gw, gb = buf["gw"][l], buf["gb"][l]
                    np.matmul(d.T, a_prev, out=gw)  # BP4
                    np.sum(d, axis=0, out=gb)  # BP3
                    self.W[l - 1] -= gw
                    self.b[l - 1] -= gb
                    if l > 1:
                        d = d_prev

    def predict(self, X, chunk=1024):
        """Output activations of every row of ``X``, ``chunk`` rows at a time."""
        out = np.empty((X.shape[0], self.sizes[-1]), dtype=self.dtype)
        with np.errstate(over="ignore"):
            for start in range(0, X.shape[0], chunk):
                m = min(chunk, X.shape[0] - start)
                buf = self._buffers_for(min(chunk, X.shape[0]))
                out[start:start + m] = self._forward(X[start:start + m], buf, m)
        return out

r"""The flat parameter vector: layout, per-layer views and initialisation schemes.

All weights and biases of a network live in one contiguous vector ``theta``, laid out
layer by layer as ``[w^2, b^2, w^3, b^3, ..., w^L, b^L]`` (the documents number layers from 1,
the input being layer 1). ``Network.weights[i]`` and ``Network.biases[i]`` are *views* into
``theta``: Python's ``weights[0]`` is the documents' :math:`w^2`, of shape
``(sizes[1], sizes[0])``, and ``weights[i][j, k]`` joins neuron ``k`` of the previous layer to
neuron ``j`` of this one. One vector makes the update rules single per-weight loops, gives
the gradient check one index to perturb, and lets the compiled kernels take any depth
without recompiling.
"""
from collections import namedtuple

import numpy as np

Layout = namedtuple("Layout", ["sizes", "w_off", "b_off", "size"])
"""``sizes`` int64 (L,); ``w_off``/``b_off`` int64 (L,), offsets of layer l's incoming
weights and biases in theta (entry 0, the input layer, is unused); ``size`` = len(theta)."""

INITS = ("scaled_normal", "normal", "he", "xavier", "zeros")


def layout(sizes):
    """Offsets of every layer's weights and biases in the flat parameter vector."""
    sizes = np.asarray(sizes, dtype=np.int64)
    w_off = np.zeros(len(sizes), dtype=np.int64)
    b_off = np.zeros(len(sizes), dtype=np.int64)
    offset = 0
    for l in range(1, len(sizes)):
        w_off[l] = offset
        offset += sizes[l] * sizes[l - 1]
        b_off[l] = offset
        offset += sizes[l]
    return Layout(sizes, w_off, b_off, int(offset))


def views(theta, lay):
    """Lists ``(weights, biases)`` of views into ``theta``, one entry per non-input layer."""
    weights, biases = [], []
    for l in range(1, len(lay.sizes)):
        n_out, n_in = int(lay.sizes[l]), int(lay.sizes[l - 1])
        weights.append(theta[lay.w_off[l]:lay.w_off[l] + n_out * n_in].reshape(n_out, n_in))
        biases.append(theta[lay.b_off[l]:lay.b_off[l] + n_out])
    return weights, biases


def initialise(theta, lay, scheme, rng):
    r"""Fill ``theta`` in place by ``scheme``, drawing from ``rng`` in float64.

    ``scaled_normal``: :math:`w \sim N(0,1)/\sqrt{n_{in}}`; ``normal``: :math:`w, b \sim N(0,1)`;
    ``he``: :math:`w \sim N(0,1)\sqrt{2/n_{in}}`; ``xavier``: Glorot's uniform
    :math:`w \sim U(\pm\sqrt{6/(n_{in}+n_{out})})`; ``zeros``: everything 0 (kept to show the
    symmetry problem: every hidden neuron then computes and learns the same thing).
    Biases start at 0 except for ``normal``. Draws are made in float64 and then cast, so a
    float32 and a float64 network built from one seed start from the same values.
    """
    weights, biases = views(theta, lay)
    for w, b in zip(weights, biases):
        n_out, n_in = w.shape
        if scheme == "zeros":
            w[...] = 0
        elif scheme == "xavier":
            limit = np.sqrt(6.0 / (n_in + n_out))
            w[...] = rng.uniform(-limit, limit, size=w.shape)
        else:
            scale = {"scaled_normal": 1 / np.sqrt(n_in), "normal": 1.0,
                     "he": np.sqrt(2.0 / n_in)}[scheme]
            w[...] = rng.standard_normal(w.shape) * scale
        b[...] = rng.standard_normal(b.shape) if scheme == "normal" else 0

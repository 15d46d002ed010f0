r"""The structure of a network: one object that owns the parameter layout.

All weights and biases of a network live in one contiguous vector ``theta``. A *topology*
says what ``theta`` holds: where each weight and bias sits (the layout the engines compute
with), the views the user reads and assigns (``Network.weights``/``biases``), each weight's
fan-in and fan-out for initialisation, which parameters are penalised (weights, never
biases), and the configuration ``save`` writes. Everything above the engines (optimizers,
schedules, the fit loop, rollback, the gradient check, restarts, save/load) works on
``theta`` and this object only, so a new kind of structure plugs in here and in the engines
without touching them.

``Layered`` is the dense layer-to-layer network of the documents. Its layout is
``[w^2, b^2, w^3, b^3, ..., w^L, b^L]`` (layers numbered from 1, the input being layer 1):
``weights[0]`` is the documents' :math:`w^2`, of shape ``(sizes[1], sizes[0])``, and
``weights[i][j, k]`` joins neuron ``k`` of the previous layer to neuron ``j`` of this one.
"""
from collections import namedtuple

import numpy as np

from . import activations as _activations

Layout = namedtuple("Layout", ["sizes", "w_off", "b_off", "size"])
"""``sizes`` int64 (L,); ``w_off``/``b_off`` int64 (L,), offsets of layer l's incoming
weights and biases in theta (entry 0, the input layer, is unused); ``size`` = len(theta)."""

INITS = ("scaled_normal", "normal", "he", "xavier", "zeros")
"""Initialisation schemes (see ``Topology.initialise``)."""

MAX_PARAMETERS = 2**40
"""No structure may claim more parameters than this (8 TB of float64): a bound checked
before anything is allocated, so a corrupt or hostile configuration is an error, not a
``MemoryError`` after minutes."""


class Topology:
    """What every kind of network structure provides (see the module docstring).

    Attributes
    ----------
    kind : str
        "layered" (``Layered``) or another kind's name.
    n_inputs, n_outputs : int
        Columns of ``X`` and of the targets.
    n_parameters : int
        Length of ``theta``.
    output_activation : str
        Activation of the output neurons (all alike), which the cost must fit.
    """

    kind = None

    def views(self, theta):
        """``(weights, biases)``: the user's views into ``theta`` (or a gradient shaped like it)."""
        raise NotImplementedError

    def initialise(self, theta, scheme, rng):
        """Fill ``theta`` (float64) in place by ``scheme``, drawing from ``rng``."""
        raise NotImplementedError

    def penalised_mask(self):
        """uint8 (n_parameters,): 1 where theta holds a weight (L1/L2 apply), 0 for a bias."""
        raise NotImplementedError

    def config(self):
        """JSON-able dict of everything that rebuilds this structure (``from_config``)."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        """The structure a ``config()`` dict describes (other keys are ignored)."""
        raise NotImplementedError

    @property
    def activation_names(self):
        """Names of the activations the structure uses (each a key of ``activations.CODES``)."""
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other) and self.config() == other.config()

    def __hash__(self):
        return hash(repr(sorted(self.config().items())))


def is_network(obj):
    """True for a fastnn Network (checked by what it has, so that the layers below
    ``fastnn.network`` need not import it): a structure object and a ``fit`` method."""
    return (isinstance(getattr(obj, "topology", None), Topology)
            and callable(getattr(obj, "fit", None)))


def check_activation(name, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


class Layered(Topology):
    """Dense layers, every neuron of layer l-1 feeding every neuron of layer l.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, input first, e.g. ``[784, 30, 10]`` (checked by
        ``validation.sizes``).
    activation : str
        Hidden-layer activation.
    output_activation : str
        Output-layer activation (``softmax`` allowed here only).
    """

    kind = "layered"

    def __init__(self, sizes, activation="sigmoid", output_activation="sigmoid"):
        from .validation import sizes as check_sizes
        self.sizes = check_sizes(sizes)
        self.activation = check_activation("activation", activation, _activations.HIDDEN_NAMES)
        self.output_activation = check_activation("output_activation", output_activation,
                                                  _activations.OUTPUT_NAMES)
        count = sum(n * (m + 1) for m, n in zip(self.sizes[:-1], self.sizes[1:]))
        if count > MAX_PARAMETERS:
            raise ValueError(f"sizes {list(self.sizes)} need {count:,} parameters, more than "
                             f"fastnn allows ({MAX_PARAMETERS:,})")
        self.layout = layout(self.sizes)

    @property
    def n_inputs(self):
        return self.sizes[0]

    @property
    def n_outputs(self):
        return self.sizes[-1]

    @property
    def n_parameters(self):
        return self.layout.size

    @property
    def layer_activations(self):
        """Activation name of every non-input layer."""
        return [self.activation] * (len(self.sizes) - 2) + [self.output_activation]

    @property
    def activation_names(self):
        return tuple(self.layer_activations)

    def views(self, theta):
        """Lists ``(weights, biases)`` of views into ``theta``, one entry per non-input layer."""
        return views(theta, self.layout)

    def initialise(self, theta, scheme, rng):
        r"""Fill ``theta`` in place by ``scheme``, drawing from ``rng`` in float64, layer by
        layer (weights, then biases), with :math:`n_{in}` the fan-in of the layer's neurons.

        ``scaled_normal``: :math:`w \sim N(0,1)/\sqrt{n_{in}}`; ``normal``:
        :math:`w, b \sim N(0,1)`; ``he``: :math:`w \sim N(0,1)\sqrt{2/n_{in}}`; ``xavier``:
        Glorot and Bengio's uniform :math:`w \sim U(\pm\sqrt{6/(n_{in}+n_{out})})`
        (scikit-learn's MLP uses :math:`\sqrt{2}` times that bound for sigmoid layers, and
        draws its biases from it too); ``zeros``: everything 0 (kept to show the symmetry
        problem: every hidden neuron then computes and learns the same thing). Biases start
        at 0 except for ``normal``. Draws are made in float64 and then cast, so a float32 and
        a float64 network built from one seed start from the same values.
        """
        weights, biases = self.views(theta)
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

    def penalised_mask(self):
        mask = np.zeros(self.n_parameters, dtype=np.uint8)
        lay = self.layout
        for l in range(1, len(lay.sizes)):
            mask[lay.w_off[l]:lay.b_off[l]] = 1
        return mask

    def config(self):
        return {"sizes": list(self.sizes), "activation": self.activation,
                "output_activation": self.output_activation}

    @classmethod
    def from_config(cls, config):
        return cls(config["sizes"], config["activation"], config["output_activation"])

    def __repr__(self):
        return (f"Layered({list(self.sizes)}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r})")


KINDS = {"layered": Layered}
"""Topology classes by ``kind`` (the key ``from_config`` reads; files without one are layered)."""


def from_config(config):
    """The topology a ``Topology.config()`` dict (plus other keys, ignored) describes."""
    kind = config.get("kind", "layered")
    if kind not in KINDS:
        raise ValueError(f"unknown network structure kind {kind!r}")
    return KINDS[kind].from_config(config)


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

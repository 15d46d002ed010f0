r"""The source documents' own networks, one call each.

================================  ===========================================  =====================
document                          network                                      here
================================  ===========================================  =====================
002 (3Blue1Brown, chapter 4)      a chain of four neurons, one per layer:      ``chain()``
                                  3 weights, 3 biases
001 (backprop from scratch)       3-3-3-1, sigmoid, :math:`J = \frac12(p-a)^2`   ``network_001()``
003 (simple introduction)         the nine-neuron graph: input 1, bias         ``graph_003()``,
                                  neurons 2, 5, 8, no edge 3 -> 7, output 9    ``network_003()``
================================  ===========================================  =====================

Every function passes its keyword arguments (``seed``, ``engine``, ``dtype``, ``init``,
``cost`` ...) on to ``fastnn.Network``. The documents' notation against fastnn's names is on
the notation page (``docs/notation.md``).
"""
from .core.graph import Graph
from .network import Network

EDGES_003 = [(1, 3), (1, 4), (2, 3), (2, 4),
             (3, 6), (4, 6), (4, 7), (5, 6), (5, 7),
             (6, 9), (7, 9), (8, 9)]
"""Document 003's edges (source, target) in the order the document introduces them: input
neuron 1 and bias neuron 2 feed neurons 3 and 4; 3 feeds only 6 (there is no edge 3 -> 7);
4 feeds 6 and 7; bias neuron 5 feeds 6 and 7; 6, 7 and bias neuron 8 feed the output 9.
The document writes the weight of the edge i -> j as :math:`w_{j,i}` (e.g. :math:`w_{3,1}`
for 1 -> 3)."""
INPUTS_003, OUTPUTS_003, BIAS_NEURONS_003 = [1], [9], [2, 5, 8]


def chain(activation="sigmoid", **network):
    r"""Document 002's chain: four neurons, one per layer, ``Network([1, 1, 1, 1])``.

    Document 002 (3Blue1Brown, "Backpropagation calculus", deep learning chapter 4) starts
    with "an extremely simple network, one where each layer has a single neuron in it ...
    determined by 3 weights and 3 biases": :math:`z^{(L)} = w^{(L)} a^{(L-1)} + b^{(L)}`,
    :math:`a^{(L)} = \sigma(z^{(L)})`. fastnn writes :math:`z` as ``s``, :math:`w^{(L)}` as
    ``net.weights[-1][0, 0]`` (the documents' layer L is index L-2 of ``net.weights``; layer 1
    is the input) and :math:`b^{(L)}` as ``net.biases[-1][0]``.

    The document's cost is :math:`C_0 = (a^{(L)} - y)^2`, with
    :math:`\partial C_0/\partial a^{(L)} = 2(a^{(L)} - y)`; fastnn's ``"quadratic"`` cost
    (the default here) is :math:`\frac12 (a - y)^2`, whose gradients are exactly half the
    document's. Multiply ``trace``'s or ``gradients``' results by 2 to compare with it.
    """
    network.setdefault("cost", "quadratic")
    return Network([1, 1, 1, 1], activation=activation, **network)


def network_001(activation="sigmoid", **network):
    r"""Document 001's network: 3 inputs, hidden layers of 3 and 3, one output, sigmoid.

    Document 001 ("backprop from scratch") names the layers x (input), y, z (hidden) and p
    (output), the weighted input of a neuron :math:`y_i` and its output :math:`y_j` (fastnn:
    ``s`` and ``a``), and stores the weights as matrices of shape (in, out):
    :math:`W1, W2, W3` with :math:`W^1_{ij}` joining input neuron i to hidden neuron j.
    fastnn stores :math:`w^l` as (out, in), so the document's ``W1`` is
    ``net.weights[0].T`` (``matrices_001(net)`` returns all three). Its error is
    :math:`J = \frac12 (p - a)^2` (a the target), fastnn's ``"quadratic"`` cost. The
    document adds biases only as an option (a column of 1s); fastnn's layered networks have
    them: set ``net.biases[l][...] = 0`` to follow the document without them (they are
    trained from there; a ``Graph`` with ``bias=False`` has none at all).
    """
    network.setdefault("cost", "quadratic")
    return Network([3, 3, 3, 1], activation=activation, **network)


def matrices_001(net):
    """Document 001's weight matrices ``[W1, W2, W3]`` of a ``network_001`` network: shape
    (in, out), ``W[i, j]`` joins neuron i of a layer to neuron j of the next (copies of the
    transposes of ``net.weights``)."""
    return [w.T.copy() for w in net.weights]


def graph_003(activation="sigmoid"):
    r"""Document 003's graph, literally: neurons 1-9 with bias neurons 2, 5 and 8.

    Document 003 ("A Simple Introduction to Neural Networks") draws a network with one input
    neuron (1), two hidden layers (3, 4 and 6, 7), one output neuron (9) and a bias neuron
    in the input and each hidden layer (2, 5, 8) that "always output 1". Edges: ``EDGES_003``
    (no edge 3 -> 7). The weights of the bias neurons' edges are the biases; they are in
    ``net.weights`` in edge order like every other weight, and ``net.biases`` is empty.
    """
    return Graph(EDGES_003, INPUTS_003, OUTPUTS_003, activation=activation,
                 bias_neurons=BIAS_NEURONS_003)


def network_003(activation="sigmoid", **network):
    r"""A ``Network`` over document 003's graph (``graph_003``), quadratic cost.

    Document 003 measures one example's error as :math:`(a_9 - y)^2` and trains by
    stochastic gradient descent, then suggests running backpropagation "say 1000 times,
    starting from different initial weights" and keeping the best (``fastnn.best_of``). Its
    functions :math:`f_j` are left open; the logistic function (``"sigmoid"``) is the one it
    names. fastnn's ``"quadratic"`` cost is half the document's square (gradients halved).
    """
    network.setdefault("cost", "quadratic")
    return Network(graph_003(activation), **network)

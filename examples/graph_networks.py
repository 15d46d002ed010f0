"""Networks as graphs: document 003's nine-neuron network, and XOR with shortcut edges.

Document 003 ("A Simple Introduction to Neural Networks") draws its running example as a
graph: input neuron 1 and bias neuron 2 feed neurons 3 and 4; 3 feeds only 6; 4 feeds 6 and
7; bias neuron 5 feeds 6 and 7; 6, 7 and bias neuron 8 feed the output neuron 9. In fastnn the
bias neurons are the bias weights of the neurons they feed (``bias=True``), so the graph is
seven edges (``fastnn.documents.graph_003()`` writes them as neurons instead,
``Graph(..., bias_neurons=[2, 5, 8])``, twelve edges). Here it learns a bump, y = 1 for
|x| < 1 and 0 outside, which needs both of its branches.

The second network is the classic shortcut network for XOR: two inputs, one hidden neuron,
and direct edges from the inputs to the output. It is not layered, and it learns XOR; the
layered 2-1-1 network, the same neurons without the shortcuts, cannot (its output is a
monotone function of one projection of the input).

    python examples/graph_networks.py                 # prints the results
    python examples/graph_networks.py --plot docs/    # also draws doc003_network.png
"""
import argparse
from pathlib import Path

import numpy as np

import fastnn
import fastnn.plot

DOC003_EDGES = [(1, 3), (1, 4), (3, 6), (4, 6), (4, 7), (6, 9), (7, 9)]
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


def document_003(seed=0):
    """Document 003's network trained on the bump; returns (net, accuracy, loss)."""
    X = np.linspace(-2, 2, 41).reshape(-1, 1)
    y = (np.abs(X[:, 0]) < 1).astype(float)
    graph = fastnn.Graph(DOC003_EDGES, inputs=[1], outputs=[9], activation="sigmoid", bias=True)
    net = fastnn.Network(graph, cost="cross_entropy", seed=seed)
    net.fit(X, y, epochs=300, batch_size=4, optimizer="adam", learning_rate=0.05)
    result = net.evaluate(X, y)
    return net, result["accuracy"], result["loss"]


def xor(seed=0):
    """XOR accuracy of the shortcut network and of the layered 2-1-1 network."""
    shortcut = fastnn.Graph([("x1", "h"), ("x2", "h"), ("x1", "out"), ("x2", "out"), ("h", "out")],
                            inputs=["x1", "x2"], outputs=["out"])
    accuracies = []
    for structure in (shortcut, [2, 1, 1]):
        net = fastnn.Network(structure, cost="cross_entropy", seed=seed)
        net.fit(XOR_X, XOR_Y, epochs=2000, batch_size=4, learning_rate=2.0)
        accuracies.append(net.evaluate(XOR_X, XOR_Y)["accuracy"])
    return net, accuracies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="FOLDER", help="draw doc003_network.png there")
    args = parser.parse_args(argv)
    net, accuracy, loss = document_003(args.seed)
    print(f"document 003 network ({net.topology!r}): bump accuracy {accuracy:.0%}, "
          f"loss {loss:.4f}")
    for (source, target), w in zip(net.topology.edges, net.weights):
        print(f"  w[{source} -> {target}] = {w:+.3f}")
    for neuron, b in zip(net.topology.has_bias, net.biases):
        print(f"  bias of {neuron} = {b:+.3f}")
    _, (shortcut, layered) = xor(args.seed)
    print(f"XOR: shortcut network 2-1-1 + input->output edges accuracy {shortcut:.0%}; "
          f"layered 2-1-1 accuracy {layered:.0%}")
    if args.plot:
        path = Path(args.plot) / "doc003_network.png"
        fastnn.plot.graph(net, path, title="document 003's network, trained on the bump")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

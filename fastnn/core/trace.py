r"""``Trace``: one example's forward and backward pass, neuron by neuron, in the documents'
notation (what ``Network.trace(x, y)`` returns; ``fastnn.Trace``).

For one example x with target y, backpropagation computes, at every neuron j,

.. math:: s_j = \sum_k w_{jk} a_k + b_j, \qquad a_j = f(s_j), \qquad
          \delta_j = \partial C_x / \partial s_j

and at every weight :math:`\partial C_x/\partial w_{jk} = a_k \delta_j` (bias:
:math:`\partial C_x/\partial b_j = \delta_j`), where :math:`C_x` is the cost of this one
example (no regularisation term). A ``Trace`` holds all of it:

layered networks (keys are the documents' layer numbers, layer 1 the input)
    ``a[l]`` for l = 1..L (``a[1]`` is x); ``s[l]``, ``delta[l]``, ``w[l]``, ``b[l]``,
    ``dw[l]`` (shape of :math:`w^l`, :math:`n_l \times n_{l-1}`, entry [j, k] is
    :math:`\partial C_x/\partial w^l_{jk}`) and ``db[l]`` for l = 2..L; 1-D arrays of the
    network's dtype, neurons j numbered from 0 as in ``net.weights``.
graph networks (keys are neuron ids and edges)
    ``a[j]`` for every neuron (inputs: their input value; bias neurons: 1), ``s[j]`` and
    ``delta[j]`` for every other neuron, ``w[(i, j)]``, ``dw[(i, j)]`` for the edge i -> j
    (an edge from a bias neuron carries j's bias), ``b[j]``, ``db[j]`` for the neurons with a
    bias parameter of their own; Python floats.

``cost`` is :math:`C_x`. ``print(t)`` shows the neuron and weight tables; ``t.to_pandas()``
returns them as two DataFrames. The numbers come from the engine's own gradient pass on a
batch of this one example (for ``engine="numba"`` read from the compiled kernels'
workspace), so ``t.dw`` equals ``net.gradients(x[None], y[None])`` exactly.
"""
import numpy as np

COST_FORMULAS = {
    "quadratic": "1/2 sum_j (a_j - y_j)^2",
    "cross_entropy": "-sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]",
    "log_likelihood": "-ln a_y",
}

MAX_ROWS = 40
"""Rows per table that ``print(t)`` shows (``t.table(max_rows=None)`` shows all)."""


def _fmt(value):
    return "" if value is None else f"{value:.6g}"


class Trace:
    """One example's ``s``, ``a``, ``delta`` at every neuron and ``dC/dw`` at every weight.

    Attributes
    ----------
    kind : "layered" or "graph"
    x, y : ndarray
        The example and its target vector (labels one-hot encoded).
    cost : float
        :math:`C_x`, this example's cost (no regularisation term).
    cost_name : str
    s, a, delta, w, b, dw, db : dict
        See the module docstring: keyed by layer number (layered) or by neuron id and edge
        (graph).
    output : ndarray
        The network's output :math:`a^L` for x.
    """

    def __init__(self, kind, x, y, cost, cost_name, s, a, delta, w, b, dw, db, output,
                 neurons=None):
        self.kind = kind
        self.x, self.y = x, y
        self.cost = cost
        self.cost_name = cost_name
        self.s, self.a, self.delta = s, a, delta
        self.w, self.b, self.dw, self.db = w, b, dw, db
        self.output = output
        self._neurons = neurons  # graph: [(id, level, role)] in drawing order

    # --- tables ---------------------------------------------------------------------------

    def rows(self):
        """``(neuron_rows, weight_rows)``: lists of dicts, the two tables of ``print(t)``."""
        neurons, weights = [], []
        if self.kind == "layered":
            L = max(self.a)
            for l in range(1, L + 1):
                for j in range(len(self.a[l])):
                    hidden = l > 1
                    neurons.append({
                        "layer l": l, "neuron j": j,
                        "b^l_j": float(self.b[l][j]) if hidden else None,
                        "s^l_j": float(self.s[l][j]) if hidden else None,
                        "a^l_j": float(self.a[l][j]),
                        "delta^l_j = dC/db^l_j": float(self.delta[l][j]) if hidden else None})
            for l in range(2, L + 1):
                for j in range(self.w[l].shape[0]):
                    for k in range(self.w[l].shape[1]):
                        weights.append({"weight": f"w^{l}_{j}{k}" if max(self.w[l].shape) <= 10
                                        else f"w^{l}[{j},{k}]",
                                        "from": f"a^{l - 1}_{k}", "to": f"s^{l}_{j}",
                                        "w": float(self.w[l][j, k]),
                                        "dC/dw": float(self.dw[l][j, k])})
        else:
            for i, level, role in self._neurons:
                row = {"neuron": i, "level": level, "role": role, "b": self.b.get(i),
                       "s": self.s.get(i), "a": self.a[i], "delta = dC/ds": self.delta.get(i)}
                if not self.b:  # no bias parameters (none, or bias neurons): no column
                    del row["b"]
                neurons.append(row)
            for (i, j), value in self.w.items():
                weights.append({"edge": f"{i} -> {j}", "document 003": f"w_{{{j},{i}}}",
                                "w": value, "dC/dw": self.dw[(i, j)]})
        return neurons, weights

    def to_pandas(self):
        """``(neurons, weights)``: the two tables as pandas DataFrames (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("Trace.to_pandas needs pandas: pip install pandas") from None
        neurons, weights = self.rows()
        return pd.DataFrame(neurons), pd.DataFrame(weights)

    def table(self, max_rows=MAX_ROWS):
        """The text ``print(t)`` shows, with at most ``max_rows`` rows per table (None: all)."""
        neurons, weights = self.rows()
        head = (f"Trace of one example ({self.kind} network): C_x = {self.cost:.6g}  "
                f"[{self.cost_name}: C_x = {COST_FORMULAS.get(self.cost_name, '?')}]")
        return "\n".join([head, "", _text_table(neurons, max_rows), "",
                          _text_table(weights, max_rows)])

    def __str__(self):
        return self.table()

    def __repr__(self):
        n = sum(len(np.atleast_1d(v)) for v in self.a.values())
        return f"<Trace of one example: {self.kind} network, {n} neurons, C_x = {self.cost:.6g}>"


def _text_table(rows, max_rows):
    if not rows:
        return "(none)"
    columns = list(rows[0])
    shown = rows if max_rows is None or len(rows) <= max_rows else rows[:max_rows]
    cells = [[c for c in columns]] + [
        [_fmt(r[c]) if isinstance(r[c], float) or r[c] is None else str(r[c]) for c in columns]
        for r in shown]
    widths = [max(len(row[n]) for row in cells) for n in range(len(columns))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if len(shown) < len(rows):
        lines.append(f"... {len(rows) - len(shown)} more rows (t.table(max_rows=None) "
                     f"shows all, t.to_pandas() returns them)")
    return "\n".join(lines)


def layered_trace(topology, theta, cost_name, x, y, result):
    """A ``Trace`` from an engine's ``trace`` result for a layered network."""
    grad, cost, s_rows, a_rows, d_rows = result
    weights, biases = topology.views(theta)
    gw, gb = topology.views(grad)
    L = len(a_rows)
    a = {l: a_rows[l - 1] for l in range(1, L + 1)}
    s = {l: s_rows[l - 1] for l in range(2, L + 1)}
    delta = {l: d_rows[l - 1] for l in range(2, L + 1)}
    w = {l: weights[l - 2].copy() for l in range(2, L + 1)}
    b = {l: biases[l - 2].copy() for l in range(2, L + 1)}
    dw = {l: gw[l - 2].copy() for l in range(2, L + 1)}
    db = {l: gb[l - 2].copy() for l in range(2, L + 1)}
    return Trace("layered", x, y, float(cost), cost_name, s, a, delta, w, b, dw, db,
                 a[L].copy())


def graph_trace(graph, theta, cost_name, x, y, result):
    """A ``Trace`` from an engine's ``trace`` result for a graph network."""
    grad, cost, S, A, D = result
    weights, biases = graph.views(theta)
    gw, gb = graph.views(grad)
    inputs, outputs = set(graph.inputs), set(graph.outputs)
    s, a, delta = {}, {}, {}
    neurons = []
    for b_id in graph.bias_neurons:
        a[b_id] = 1.0
    for p, i in enumerate(graph.neurons):
        a[i] = float(A[p])
        if i not in inputs:
            s[i] = float(S[p])
            delta[i] = float(D[p])
    bias_level = bias_neuron_levels(graph)
    for q, level in enumerate(graph.levels):
        if q > 0:  # a bias neuron sits one level before its lowest target
            neurons.extend((b_id, q - 1, "bias neuron") for b_id in graph.bias_neurons
                           if bias_level[b_id] == q - 1)
        for i in level:
            role = "input" if i in inputs else "output" if i in outputs else "hidden"
            neurons.append((i, q, f"{role}, {graph.neuron_activations[i]}" if role != "input"
                            else role))
    w = {edge: float(value) for edge, value in zip(graph.edges, weights)}
    dw = {edge: float(value) for edge, value in zip(graph.edges, gw)}
    b = {i: float(value) for i, value in zip(graph.has_bias, biases)}
    db = {i: float(value) for i, value in zip(graph.has_bias, gb)}
    output = np.array([a[o] for o in graph.outputs], dtype=theta.dtype)
    return Trace("graph", x, y, float(cost), cost_name, s, a, delta, w, b, dw, db, output,
                 neurons)


def bias_neuron_levels(graph):
    """{bias neuron: level}: one level before the lowest level among its targets (where
    document 003 draws them: in the layer before the neurons they feed)."""
    level_of = {i: q for q, level in enumerate(graph.levels) for i in level}
    levels = {}
    for i, j in graph.edges:
        if j in graph.bias_edges and graph.edges[graph.bias_edges[j]][0] == i:
            levels[i] = min(levels.get(i, level_of[j] - 1), level_of[j] - 1)
    return levels

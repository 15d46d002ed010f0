"""Training curves: loss and accuracy per epoch, drawn with matplotlib.

matplotlib is an optional extra (``pip install 'fastnn[plot]'``); it is imported when a plot
is drawn, never by ``import fastnn``.

>>> history = net.fit(X, y, epochs=30, batch_size=10, learning_rate=3.0)   # doctest: +SKIP
>>> fastnn.plot.training_curves(history, "curves.png")                     # doctest: +SKIP
>>> fastnn.plot.graph(net, "network.png")                                   # doctest: +SKIP
"""
import os

import numpy as np

__all__ = ["training_curves", "graph"]

VALIDATION_FIELDS = {
    "loss": ("val_loss", "validation_loss"),
    "accuracy": ("val_accuracy", "validation_accuracy"),
}
"""Names under which a history may hold the held-out curve of each metric."""


def _figure(to_file, **kwargs):
    """A new figure: a plain ``Figure`` when it goes to a file (no GUI backend, no pyplot
    state), a pyplot figure otherwise (so it shows in notebooks and interactive sessions)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError("fastnn.plot needs matplotlib: pip install 'fastnn[plot]' "
                          "(or pip install matplotlib)") from error
    if to_file:
        from matplotlib.figure import Figure
        return Figure(**kwargs)
    import matplotlib.pyplot as plt
    return plt.figure(**kwargs)


def _as_dict(history):
    """``{field: list}`` from a ``fastnn.History`` (``as_dict``), a mapping or an object with
    list attributes."""
    if hasattr(history, "as_dict"):
        data = dict(history.as_dict())
        for names in VALIDATION_FIELDS.values():  # histories that keep extra curves as attributes
            for name in names:
                if name not in data and isinstance(getattr(history, name, None), list):
                    data[name] = getattr(history, name)
        return data
    if hasattr(history, "keys"):
        return dict(history)
    raise TypeError(f"history must be a fastnn History or a mapping of per-epoch lists, "
                    f"got {type(history).__name__}")


def _series(data, name, n):
    values = data.get(name)
    if values is None or len(values) == 0 or all(v is None for v in values):
        return None
    if len(values) != n:
        raise ValueError(f"history[{name!r}] has {len(values)} values but there are {n} epochs")
    return [float("nan") if v is None else float(v) for v in values]


def training_curves(history, path=None, *, title=None, validation_label="validation"):
    """Draw training loss and accuracy per epoch, with the held-out curves when present.

    Parameters
    ----------
    history : fastnn.History or mapping of str to list
        Per-epoch records: ``loss`` (required), ``accuracy`` (drawn when not None), optional
        ``epoch`` (default 1, 2, ...), and held-out curves under ``val_loss`` /
        ``validation_loss`` and ``val_accuracy`` / ``validation_accuracy``.
    path : str or path-like, optional
        Save the figure there (PNG, or any format matplotlib infers from the suffix); it is
        drawn without pyplot, so no display is needed. Without a path the figure is a
        pyplot figure (shown by notebooks, or by ``matplotlib.pyplot.show()``).
    title : str, optional
        Figure title (e.g. the network and data set).
    validation_label : str
        Legend label of the held-out curves, e.g. "validation" or "test".

    Returns
    -------
    matplotlib.figure.Figure
        The figure: one panel for the loss, one for the accuracy when there is one.

    Raises
    ------
    ImportError
        matplotlib is not installed (the message names the ``plot`` extra).
    ValueError, TypeError
        The history has no epochs, no ``loss``, or curves of different lengths.
    """
    data = _as_dict(history)
    if not data.get("loss"):
        raise ValueError("history has no epochs to plot (its 'loss' list is empty or missing)")
    n = len(data["loss"])
    epochs = data.get("epoch") or list(range(1, n + 1))
    if len(epochs) != n:
        raise ValueError(f"history['epoch'] has {len(epochs)} values but 'loss' has {n}")
    panels = [("loss", "loss (mean cost)"), ("accuracy", "accuracy")]
    curves = []
    for name, label in panels:
        train = _series(data, name, n)
        held_out = next((s for s in (_series(data, v, n) for v in VALIDATION_FIELDS[name])
                         if s is not None), None)
        if train is not None or held_out is not None:
            curves.append((name, label, train, held_out))

    fig = _figure(path is not None, figsize=(5.5 * len(curves), 4))
    from matplotlib.ticker import MaxNLocator
    axes = fig.subplots(1, len(curves), squeeze=False)
    marker = "o" if n <= 30 else None
    for ax, (name, label, train, held_out) in zip(axes[0], curves):
        if train is not None:
            ax.plot(epochs, train, marker=marker, markersize=3, label="training")
        if held_out is not None:
            ax.plot(epochs, held_out, marker=marker, markersize=3, label=validation_label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        if name == "accuracy":
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}" if v * 100 % 1 == 0
                                         else f"{v:.1%}")
        ax.legend()
        if n > 1:
            ax.set_xlim(epochs[0], epochs[-1])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(os.fspath(path), dpi=110)
    return fig


def graph(net, path=None, *, title=None, labels=None, max_edges=20000, trace=None,
          edge_labels=None):
    r"""Draw a network as its graph: neurons by level (inputs left, outputs right), edge width
    by :math:`|w|`, colour by sign (blue positive, red negative); a neuron's outline is
    coloured by the sign of its bias (grey: no bias). Document 003's bias neurons
    (``Graph(bias_neurons=...)``) are drawn as the document draws them: filled blue, at the
    bottom of the level before the neurons they feed, each with its edges.

    Parameters
    ----------
    net : fastnn.Network
        A graph network, or a layered one (drawn as ``Graph.layered``: neuron ids 0, 1, ...
        layer by layer).
    path : str or path-like, optional
        Save the figure there; without it, a pyplot figure (see ``training_curves``).
    title : str, optional
    labels : bool or None
        Write the neuron ids; None: when there are at most 40 neurons.
    max_edges : int
        Draw only this many edges, those of largest :math:`|w|` (a picture of 800,000 edges
        shows nothing).
    trace : fastnn.Trace, optional
        ``net.trace(x, y)``: write one example's numbers on the picture: :math:`s`,
        :math:`a`, :math:`\delta` (and :math:`b`, where the neuron has a bias of its own)
        beside every neuron, :math:`a` alone for inputs and bias neurons; :math:`w` and
        :math:`\partial C/\partial w` on every edge drawn; :math:`C_x` in the title.
        Readable up to about 20 neurons.
    edge_labels : int or None
        With ``trace``: label this many edges, those of largest
        :math:`|\partial C/\partial w|`; None: every edge drawn when there are at most 24,
        else 20 (the labels of a dense layer of six neurons or more would cover each other).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .core.graph import as_graph
    from .core.trace import bias_neuron_levels
    g, theta = as_graph(net.topology, net.parameters())
    theta = np.asarray(theta, dtype=np.float64)
    weights, biases = g.views(theta)
    numbers = None if trace is None else _trace_by_id(net, g, trace)
    columns = [list(level) for level in g.levels]
    for b, q in bias_neuron_levels(g).items():
        columns[q].append(b)
    position = {}
    for q, column in enumerate(columns):
        for r, i in enumerate(column):
            position[i] = (q, (len(column) - 1) / 2 - r)
    tallest = max(len(column) for column in columns)
    if numbers is None:
        figsize = (max(4, 1.6 * len(columns)), max(3, 0.35 * tallest + 1.5))
    else:
        figsize = (max(6, 3.4 * len(columns)), max(4, 1.5 * tallest + 1.5))
    fig = _figure(path is not None, figsize=figsize)
    from matplotlib.collections import LineCollection
    ax = fig.subplots()
    shown = np.argsort(-np.abs(weights), kind="stable")[:max_edges]
    strongest = float(np.abs(weights).max()) if weights.size else 1.0
    strongest = strongest or 1.0
    segments = [(position[g.edges[e][0]], position[g.edges[e][1]]) for e in shown]
    colours = ["tab:blue" if weights[e] >= 0 else "tab:red" for e in shown]
    widths = 0.3 + 3.5 * np.abs(weights[shown]) / strongest
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=widths, alpha=0.8
                                     if numbers is None else 0.45, zorder=1))
    bias = dict(zip(g.has_bias, biases))
    drawn = list(g.neurons) + list(g.bias_neurons)
    xy = np.array([position[i] for i in drawn], dtype=float)
    outline = ["tab:blue" if i in g.bias_neurons else "grey" if i not in bias
               else ("tab:blue" if bias[i] >= 0 else "tab:red") for i in drawn]
    fill = ["lightsteelblue" if i in g.bias_neurons else "white" for i in drawn]
    size = 300 if len(drawn) <= 40 else max(4, 3000 / len(drawn))
    ax.scatter(xy[:, 0], xy[:, 1], s=size, c=fill, edgecolors=outline, linewidths=1.5,
               zorder=2)
    if labels or (labels is None and len(drawn) <= 40):
        for i, (x, y) in zip(drawn, xy):
            ax.annotate(str(i), (x, y), ha="center", va="center", fontsize=8, zorder=3)
    if numbers is not None:
        x_span, y_span = len(columns) + 0.35, tallest + 0.6  # the limits set below
        inches = (0.8 * figsize[0] / x_span, 0.8 * figsize[1] / y_span)  # per data unit
        labelled = _write_trace(ax, g, position, shown, numbers, edge_labels, inches)
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels(["inputs"] + [f"level {q}" for q in range(1, len(columns) - 1)]
                       + ["outputs"])
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlim(-0.5, len(columns) - 0.5 + (0.35 if numbers is not None else 0))
    span = tallest / 2
    ax.set_ylim(-span - 0.3, span + 0.3)
    default = (f"{len(g.neurons)} neurons"
               + (f" and {len(g.bias_neurons)} bias neurons" if g.bias_neurons else "")
               + f", {g.n_edges} edges"
               + (f" ({len(shown)} largest |w| drawn)" if len(shown) < g.n_edges else ""))
    if numbers is not None:
        default += f"; one example: C_x = {numbers['cost']:.4g}"
        if labelled < len(shown):
            default += (f"\n(w, \u2202C/\u2202w written on the {labelled} edges of largest "
                        f"|\u2202C/\u2202w|)")
    ax.set_title(title or default)
    fig.tight_layout()
    if path is not None:
        fig.savefig(os.fspath(path), dpi=110)
    return fig


def _trace_by_id(net, g, t):
    """A trace's numbers keyed as ``g`` (the network's graph) keys neurons and edges:
    ``{"s", "a", "delta", "w", "dw": dicts, "cost": float}``. A layered trace is renumbered
    the way ``Graph.layered`` numbers neurons (layer by layer from 0)."""
    from .core.trace import Trace
    if not isinstance(t, Trace):
        raise TypeError(f"trace must be a fastnn.Trace (net.trace(x, y)), got {t!r}")
    if t.kind == "graph":
        if set(t.dw) != set(g.edges) or set(t.a) != set(g.neurons) | set(g.bias_neurons):
            raise ValueError("trace is not a trace of this network (its neurons or edges "
                             "differ): pass net.trace(x, y) of the network drawn")
        return {"s": t.s, "a": t.a, "delta": t.delta, "b": t.b, "w": t.w, "dw": t.dw,
                "cost": t.cost}
    sizes = [len(t.a[l]) for l in sorted(t.a)]
    if list(getattr(net.topology, "sizes", [])) != sizes:
        raise ValueError(f"trace is of a layered network of sizes {sizes}, not of this "
                         f"network: pass net.trace(x, y) of the network drawn")
    first = np.cumsum([0] + sizes)
    numbers = {"s": {}, "a": {}, "delta": {}, "b": {}, "w": {}, "dw": {}, "cost": t.cost}
    for l in sorted(t.a):
        for j in range(sizes[l - 1]):
            i = int(first[l - 1] + j)
            numbers["a"][i] = float(t.a[l][j])
            if l > 1:
                numbers["s"][i] = float(t.s[l][j])
                numbers["b"][i] = float(t.b[l][j])
                numbers["delta"][i] = float(t.delta[l][j])
                for k in range(sizes[l - 2]):
                    edge = (int(first[l - 2] + k), i)
                    numbers["w"][edge] = float(t.w[l][j, k])
                    numbers["dw"][edge] = float(t.dw[l][j, k])
    return numbers


def _write_trace(ax, g, position, shown, numbers, edge_labels, inches):
    """``s``, ``a``, ``delta`` beside every neuron; ``w`` and ``dC/dw`` on the edges drawn
    (``edge_labels`` of them, see ``graph``). Each edge label goes to the first point along
    its edge (from a few between 25% and 80% of the way) where its box, estimated from the
    font size and ``inches`` (inches per data unit in x and y), overlaps no neuron, no
    neuron's numbers and no label placed before it (edges by decreasing |dC/dw|), or the
    least-covered one. Returns how many edges were labelled."""
    box = dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8)

    def extent(text, size, x, y, anchor):
        """(x0, y0, x1, y1) of ``text`` in data units, anchored left or centred at x, y."""
        lines = text.split("\n")
        w = (max(map(len, lines)) * 0.55 + 0.6) * size / 72 / inches[0]
        h = (len(lines) * 1.25 + 0.3) * size / 72 / inches[1]
        x0 = x if anchor == "left" else x - w / 2
        return (x0, y - h / 2, x0 + w, y + h / 2)

    def covered(a, b):
        width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        return width * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))

    taken = []
    for i in list(g.neurons) + list(g.bias_neurons):
        x, y = position[i]
        if i in numbers["s"]:
            text = (f"s={numbers['s'][i]:.3g}\na={numbers['a'][i]:.3g}\n"
                    f"\u03b4={numbers['delta'][i]:.3g}")
            if i in numbers["b"]:
                text = f"b={numbers['b'][i]:.3g}\n" + text
        else:
            text = f"a={numbers['a'][i]:.3g}"
        ax.annotate(text, (x, y), xytext=(11, 0), textcoords="offset points", ha="left",
                    va="center", fontsize=7.5, zorder=4, bbox=box)
        taken.append(extent(text, 7.5, x + 11 / 72 / inches[0], y, "left"))
        taken.append(extent("OO", 8, x, y, "centre"))  # the neuron's circle
    if edge_labels is None:
        edge_labels = len(shown) if len(shown) <= 24 else 20
    by_gradient = sorted(shown, key=lambda e: -abs(numbers["dw"][g.edges[e]]))
    chosen = by_gradient[:max(0, int(edge_labels))]
    for e in chosen:
        edge = g.edges[e]
        (x0, y0), (x1, y1) = position[edge[0]], position[edge[1]]
        text = f"w={numbers['w'][edge]:.3g}\n\u2202C/\u2202w={numbers['dw'][edge]:.3g}"
        best = None
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75, 0.8):
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            here = extent(text, 6.5, x, y, "centre")
            overlap = sum(covered(here, other) for other in taken)
            if best is None or overlap < best[0] - 1e-12:
                best = (overlap, x, y, here)
            if overlap == 0:
                break
        _, x, y, here = best
        taken.append(here)
        ax.annotate(text, (x, y), ha="center", va="center", fontsize=6.5, color="dimgray",
                    zorder=3, bbox=box)
    return len(chosen)

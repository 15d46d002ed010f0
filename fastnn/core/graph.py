r"""Feed-forward graphs: any acyclic network of neurons, as document 003 draws them.

A network is a directed graph of neurons and weighted edges. Input neurons pass their value
on; every other neuron j computes, over *its own* incoming edges,

.. math:: s_j = \sum_{i \in in(j)} w_{ij} a_i + b_j, \qquad a_j = f_j(s_j)

where :math:`b_j` is the weight of the edge from the document's bias neuron (which always
outputs 1) into j. The graph must have no cycle (feed-forward); it need not be layered: an
edge may skip levels, and any pair of neurons may or may not be joined.

Parameters live in one flat vector ``theta`` (see ``structure``): first one weight per edge,
in the order the edges were given, then one bias per neuron that has one, in the order
``Graph.neurons`` lists the neurons. ``views(theta)`` returns these two 1-D slices.

For the engines the neurons are renumbered in topological order and grouped into *levels*:
level 0 holds the inputs, a hidden neuron's level is one more than the highest level among
its sources (1 for a hidden neuron with no incoming edge), and the outputs form the last
level. A neuron depends only on neurons of lower levels, so all neurons of one level can be
computed at once. ``Graph.arrays`` holds the in-edge lists (CSR) for the forward sum and the
transposed out-edge lists for the delta recursion, as int64 arrays over positions in that
order (``GraphArrays``).

Rules (``ValueError`` naming the problem, raised before anything runs): ids are ints or
strings, each input and output listed once and none both; no edge into an input, none out of
an output (outputs are the last level; their deltas come from the cost alone), no duplicate
edge, no cycle (the message names the neurons of one); every output reached from some input;
softmax only on exactly the set of outputs. A neuron from which no output can be reached
(its value is computed and thrown away, its weights never learn) is *allowed* and reported
with a ``GraphWarning``: pruning and sparse drawing produce such neurons naturally, and an
unused input column is not an error.
"""
import numbers
import warnings
from collections import namedtuple

import numpy as np

from . import activations as _activations
from .structure import KINDS, MAX_PARAMETERS, Topology, check_activation

GraphArrays = namedtuple("GraphArrays", [
    "n_inputs", "level_ptr", "in_ptr", "in_src", "in_edge", "out_ptr", "out_dst", "out_edge",
    "bias_index", "codes"])
"""The graph as the kernels take it, every field int64, neurons numbered by position p in
``Graph.neurons`` (inputs 0..n_inputs-1, outputs last):

``level_ptr`` (n_levels+1,): level q holds positions ``level_ptr[q]:level_ptr[q+1]``;
``in_ptr`` (N+1,), ``in_src``, ``in_edge`` (E,): the incoming edges of p are
``in_ptr[p]:in_ptr[p+1]``, each from position ``in_src[e]`` with its weight at
``theta[in_edge[e]]`` (edges of one target in the order given);
``out_ptr`` (N+1,), ``out_dst``, ``out_edge`` (E,): the same for the outgoing edges;
``bias_index`` (N,): index in theta of p's bias, -1 without one;
``codes`` (N,): activation code of p (``activations.CODES``; 0 for inputs, unused)."""


class GraphWarning(UserWarning):
    """A graph that runs but has neurons whose values never reach an output."""


def _check_id(value, what):
    if isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, str)):
        raise ValueError(f"{what}: neuron ids must be ints or strings, got {value!r}")
    if isinstance(value, numbers.Integral) and not -2**63 <= value < 2**63:
        # (not shown: Python refuses to print ints of over 4300 digits, and the file format
        # and the messages print ids)
        raise ValueError(f"{what}: a neuron id is an int of {int(value).bit_length()} bits; "
                         f"int ids must lie in [-2**63, 2**63) (or use strings)")
    return int(value) if isinstance(value, numbers.Integral) else value


def _id_list(name, values):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a list of neuron ids, got {values!r}")
    ids = [_check_id(v, name) for v in values]
    if not ids:
        raise ValueError(f"{name} must list at least one neuron")
    seen = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{name} lists neuron {i!r} more than once")
        seen.add(i)
    return ids


def _find_cycle(remaining, successors):
    """The neurons of one cycle among ``remaining`` (each has a predecessor in it)."""
    colour, stack_pos, path = {}, {}, []
    for start in remaining:
        if start in colour:
            continue
        stack = [(start, iter(successors[start]))]
        colour[start] = 1
        stack_pos[start] = 0
        path.append(start)
        while stack:
            node, it = stack[-1]
            for nxt in it:
                if nxt not in remaining:
                    continue
                if colour.get(nxt) == 1:
                    return path[stack_pos[nxt]:] + [nxt]
                if nxt not in colour:
                    colour[nxt] = 1
                    stack_pos[nxt] = len(path)
                    path.append(nxt)
                    stack.append((nxt, iter(successors[nxt])))
                    break
            else:
                colour[node] = 2
                path.pop()
                stack.pop()
    raise AssertionError("no cycle found among neurons left by the topological sort")


class Graph(Topology):
    """A feed-forward network given as its graph: neurons and weighted edges.

    Parameters
    ----------
    edges : iterable of (source, target)
        The edges, each a pair of neuron ids (ints or strings). Their order is the order of
        ``net.weights``.
    inputs, outputs : sequence of ids
        The input neurons (the columns of ``X``, in order) and the output neurons (the
        columns of the targets and of ``predict``).
    activation : str
        Activation of every non-input neuron not named in ``activations``.
    activations : dict {id: str} or None
        Activation of particular neurons. "softmax" only when it is given to exactly the
        outputs.
    bias : bool, iterable of ids or None
        True: every non-input neuron has a bias (a parameter of its own, listed in
        ``net.biases``); False: none; or the ids of the neurons that have one. None (the
        default) means True, or False when ``bias_neurons`` are given.
    bias_neurons : iterable of ids or None
        Document 003's bias neurons, written as neurons: they have no incoming edge and
        always output 1, so the weight of an edge ``(b, j)`` from bias neuron ``b`` is
        neuron j's bias. Their edges are listed in ``edges`` like any other and their
        weights are in ``net.weights`` in edge order; the network then has no other biases
        (``net.biases`` is empty, ``bias`` must be None or False). A neuron takes at most
        one edge from a bias neuron; a bias neuron is neither an input nor an output and has
        at least one outgoing edge. Their weights are initialised, regularised (not at all)
        and pruned (never) as biases.

    Attributes
    ----------
    edges : list of (source, target)
    inputs, outputs : list of ids
    neurons : list of ids
        Every neuron, in topological order: inputs, hidden neurons by level (ties in the
        order they first appear in ``edges``), outputs. The order of ``net.biases``.
    levels : list of lists of ids
    neuron_activations : dict {id: str}
        The activation of every non-input neuron.
    has_bias : list of ids
        The neurons with a bias parameter of their own, in ``neurons`` order (empty when
        there are bias neurons).
    bias_neurons : list of ids
        Document 003's bias neurons (not in ``neurons``: they compute nothing).
    bias_edges : dict {id: int}
        For every neuron fed by a bias neuron, the index in ``edges`` (and in ``net.weights``)
        of that edge, its bias.
    arrays : GraphArrays
    """

    kind = "graph"

    def __init__(self, edges, inputs, outputs, activation="sigmoid", activations=None, bias=None,
                 bias_neurons=None):
        self.inputs = _id_list("inputs", inputs)
        self.outputs = _id_list("outputs", outputs)
        both = set(self.inputs) & set(self.outputs)
        if both:
            raise ValueError(f"neuron {sorted(both, key=str)[0]!r} is listed as both an input "
                             f"and an output")
        self._read_bias_neurons(bias_neurons)
        if self.bias_neurons:
            if bias is not None and bias is not False:
                raise ValueError(f"bias={bias!r} together with bias_neurons: the weights of the "
                                 f"bias neurons' edges are the biases; pass bias=None or False")
            bias = False
        elif bias is None:
            bias = True
        self._read_edges(edges)
        self._sort()
        self._read_activations(activation, activations)
        self._read_bias(bias)
        self.n_edges = len(self.edges)
        count = self.n_edges + len(self.has_bias)
        if count > MAX_PARAMETERS:
            raise ValueError(f"the graph needs {count:,} parameters, more than fastnn allows "
                             f"({MAX_PARAMETERS:,})")
        self._build_arrays()
        self._report_dead_ends()

    # --- validation and ordering -----------------------------------------------------------

    def _read_bias_neurons(self, bias_neurons):
        if bias_neurons is None:
            self.bias_neurons = []
            return
        if isinstance(bias_neurons, (str, bytes)) or not hasattr(bias_neurons, "__iter__"):
            raise ValueError(f"bias_neurons must be a list of neuron ids, got {bias_neurons!r}")
        ids = [_check_id(v, "bias_neurons") for v in bias_neurons]
        if len(set(ids)) != len(ids):
            raise ValueError(f"bias_neurons lists a neuron more than once: {ids!r}")
        for i in ids:
            if i in self.inputs:
                raise ValueError(f"bias_neurons names input neuron {i!r}; a bias neuron has no "
                                 f"input, it always outputs 1")
            if i in self.outputs:
                raise ValueError(f"bias_neurons names output neuron {i!r}; a bias neuron "
                                 f"always outputs 1 and cannot be an output")
        self.bias_neurons = ids

    def _read_edges(self, edges):
        if isinstance(edges, (str, bytes)) or not hasattr(edges, "__iter__"):
            raise ValueError(f"edges must be an iterable of (source, target) pairs, got {edges!r}")
        inputs, outputs = set(self.inputs), set(self.outputs)
        bias_neurons = set(self.bias_neurons)
        self.bias_edges, self._edge_index = {}, []
        self.edges, seen, appearance = [], set(), {}
        for n, edge in enumerate(edges):
            try:
                source, target = edge
            except (TypeError, ValueError):
                raise ValueError(f"edges[{n}] must be a (source, target) pair, "
                                 f"got {edge!r}") from None
            source, target = _check_id(source, f"edges[{n}]"), _check_id(target, f"edges[{n}]")
            if target in inputs:
                raise ValueError(f"edges[{n}] = ({source!r}, {target!r}) leads into input "
                                 f"neuron {target!r}; inputs have no incoming edges")
            if source in outputs:
                raise ValueError(f"edges[{n}] = ({source!r}, {target!r}) leaves output neuron "
                                 f"{source!r}; outputs have no outgoing edges (add a hidden "
                                 f"neuron in between)")
            if (source, target) in seen:
                raise ValueError(f"duplicate edge ({source!r}, {target!r}) in edges")
            if target in bias_neurons:
                raise ValueError(f"edges[{n}] = ({source!r}, {target!r}) leads into bias neuron "
                                 f"{target!r}; bias neurons have no incoming edges (they always "
                                 f"output 1)")
            seen.add((source, target))
            self.edges.append((source, target))
            if source in bias_neurons:
                if target in self.bias_edges:
                    first = self.edges[self.bias_edges[target]]
                    raise ValueError(f"edges[{n}] = ({source!r}, {target!r}) is a second edge "
                                     f"from a bias neuron into neuron {target!r} (the first is "
                                     f"{first!r}); a neuron has one bias")
                self.bias_edges[target] = n
                appearance.setdefault(target, len(appearance))
                continue
            self._edge_index.append(n)
            for i in (source, target):
                appearance.setdefault(i, len(appearance))
        used = {self.edges[e][0] for e in self.bias_edges.values()}
        for b in self.bias_neurons:
            if b not in used:
                raise ValueError(f"bias neuron {b!r} has no outgoing edge; list its edges in "
                                 f"edges, e.g. ({b!r}, j) for a neuron j it feeds")
        self._appearance = appearance
        self._kernel_edges = [self.edges[e] for e in self._edge_index]

    def _sort(self):
        """Topological order and levels (Kahn's algorithm; a leftover means a cycle)."""
        inputs, outputs = set(self.inputs), set(self.outputs)
        hidden = [i for i in self._appearance if i not in inputs and i not in outputs]
        successors = {i: [] for i in self.inputs + hidden + self.outputs}
        n_pred = dict.fromkeys(successors, 0)
        for s, t in self._kernel_edges:
            successors[s].append(t)
            n_pred[t] += 1
        level = dict.fromkeys(self.inputs, 0)
        ready = list(self.inputs) + [i for i in hidden if n_pred[i] == 0]
        for i in hidden:
            if n_pred[i] == 0:
                level[i] = 1
        done = 0
        while done < len(ready):
            node = ready[done]
            done += 1
            for t in successors[node]:
                if t not in outputs:
                    level[t] = max(level.get(t, 1), level[node] + 1)
                n_pred[t] -= 1
                if n_pred[t] == 0:
                    ready.append(t)
        left = [i for i in successors if n_pred[i] > 0]
        if left:
            cycle = _find_cycle(set(left), successors)
            raise ValueError("the graph has a cycle (feed-forward networks have none): "
                             + " -> ".join(map(repr, cycle)))
        order = {i: n for n, i in enumerate(self._appearance)}
        hidden.sort(key=lambda i: (level[i], order[i]))
        top = max((level[i] for i in hidden), default=0) + 1
        self.neurons = self.inputs + hidden + self.outputs
        self.levels = [list(self.inputs)] + [[] for _ in range(top)]
        for i in hidden:
            self.levels[level[i]].append(i)
        self.levels[top] = list(self.outputs)
        self._successors = successors
        reached = set(self.inputs)
        for node in ready:  # topological order: a node's sources come before it
            if node in reached:
                reached.update(successors[node])
        for o in self.outputs:
            if o not in reached:
                raise ValueError(f"output neuron {o!r} is reached from no input (no path of "
                                 f"edges leads to it from an input neuron)")

    def _read_activations(self, activation, activations):
        check_activation("activation", activation, _activations.OUTPUT_NAMES)
        self.activation = activation
        overrides = {} if activations is None else activations
        if not isinstance(overrides, dict):
            raise ValueError(f"activations must be a dict {{neuron id: name}} or None, got "
                             f"{activations!r}")
        known, inputs = set(self.neurons), set(self.inputs)
        self.neuron_activations = {i: activation for i in self.neurons if i not in inputs}
        self._overrides = []
        for key, name in overrides.items():
            key = _check_id(key, "activations")
            if key not in known:
                raise ValueError(f"activations names unknown neuron {key!r}")
            if key in inputs:
                raise ValueError(f"activations names input neuron {key!r}; inputs apply no "
                                 f"activation")
            check_activation(f"activations[{key!r}]", name, _activations.OUTPUT_NAMES)
            self.neuron_activations[key] = name
            self._overrides.append((key, name))
        softmax = {i for i, name in self.neuron_activations.items() if name == "softmax"}
        if softmax and softmax != set(self.outputs):
            wrong = sorted(softmax ^ set(self.outputs), key=str)[0]
            raise ValueError(f"softmax must be the activation of exactly the output neurons "
                             f"{self.outputs!r}; neuron {wrong!r} breaks that")

    def _read_bias(self, bias):
        inputs = set(self.inputs)
        if bias is True or bias is False:
            chosen = set() if bias is False else {i for i in self.neurons if i not in inputs}
            self._bias_config = bias
        else:
            if isinstance(bias, (str, bytes)) or not hasattr(bias, "__iter__"):
                raise ValueError(f"bias must be True, False or an iterable of neuron ids, "
                                 f"got {bias!r}")
            chosen, known = set(), set(self.neurons)
            for i in bias:
                i = _check_id(i, "bias")
                if i not in known:
                    raise ValueError(f"bias names unknown neuron {i!r}")
                if i in inputs:
                    raise ValueError(f"bias names input neuron {i!r}; inputs have no bias")
                chosen.add(i)
            self._bias_config = None
        self.has_bias = [i for i in self.neurons if i in chosen]
        if self._bias_config is None:
            self._bias_config = list(self.has_bias)

    def _build_arrays(self):
        """The kernels' arrays over the ordinary edges (those from bias neurons are read as
        biases: ``bias_index`` points at their weights); ``in_edge``/``out_edge`` and
        ``bias_index`` are indices in theta, so the parameter layout stays edge order."""
        position = {i: p for p, i in enumerate(self.neurons)}
        N, E = len(self.neurons), len(self._kernel_edges)
        src = np.array([position[s] for s, _ in self._kernel_edges], dtype=np.int64).reshape(E)
        dst = np.array([position[t] for _, t in self._kernel_edges], dtype=np.int64).reshape(E)
        edge_index = np.array(self._edge_index, dtype=np.int64).reshape(E)
        by_dst = np.argsort(dst, kind="stable")
        by_src = np.argsort(src, kind="stable")
        in_ptr = np.zeros(N + 1, dtype=np.int64)
        in_ptr[1:] = np.cumsum(np.bincount(dst, minlength=N))
        out_ptr = np.zeros(N + 1, dtype=np.int64)
        out_ptr[1:] = np.cumsum(np.bincount(src, minlength=N))
        bias_index = np.full(N, -1, dtype=np.int64)
        for n, i in enumerate(self.has_bias):
            bias_index[position[i]] = self.n_edges + n
        for i, e in self.bias_edges.items():
            bias_index[position[i]] = e
        codes = np.zeros(N, dtype=np.int64)
        for i, name in self.neuron_activations.items():
            codes[position[i]] = _activations.CODES[name]
        level_ptr = np.cumsum([0] + [len(level) for level in self.levels]).astype(np.int64)
        self.edge_source, self.edge_target = src, dst
        self.edge_index = edge_index
        """Index in theta of every ordinary edge (not from a bias neuron), the order of
        ``edge_source``/``edge_target``."""
        self.fan_in = np.diff(in_ptr)
        self.fan_out = np.diff(out_ptr)
        self.arrays = GraphArrays(len(self.inputs), level_ptr, in_ptr, src[by_dst],
                                  edge_index[by_dst], out_ptr, dst[by_src],
                                  edge_index[by_src], bias_index, codes)

    def _report_dead_ends(self):
        reaches = set(self.outputs)
        for node in reversed(self.neurons):
            if any(t in reaches for t in self._successors[node]):
                reaches.add(node)
        dead = [i for i in self.neurons if i not in reaches]
        if dead:
            shown = ", ".join(map(repr, dead[:5])) + (", ..." if len(dead) > 5 else "")
            warnings.warn(f"{len(dead)} neuron(s) reach no output and do not affect the "
                          f"network's outputs: {shown}", GraphWarning, stacklevel=3)
        self.dead_ends = dead

    # --- the Topology interface ------------------------------------------------------------

    @property
    def n_inputs(self):
        return len(self.inputs)

    @property
    def n_outputs(self):
        return len(self.outputs)

    @property
    def n_parameters(self):
        return self.n_edges + len(self.has_bias)

    @property
    def output_activation(self):
        """The outputs' activation when they share one, else "mixed" (quadratic cost only)."""
        names = {self.neuron_activations[o] for o in self.outputs}
        return names.pop() if len(names) == 1 else "mixed"

    @property
    def activation_names(self):
        return tuple(sorted(set(self.neuron_activations.values())))

    def views(self, theta):
        """``(weights, biases)``: 1-D views of ``theta``, one weight per edge in the order of
        ``edges``, one bias per neuron of ``has_bias``."""
        return theta[:self.n_edges], theta[self.n_edges:self.n_parameters]

    def initialise(self, theta, scheme, rng):
        r"""Fill ``theta`` in place by ``scheme``, with :math:`n_{in}` the fan-in of the edge's
        target and :math:`n_{out}` the fan-out of its source (the schemes of
        ``structure.Layered.initialise``; the weights of bias neurons' edges are drawn as
        biases, and fan-ins count no bias neuron). Draws are made level by level: the
        weights of the edges into the level's neurons (in the order of ``edges``), then
        (``normal`` only) the level's biases, so a layered graph (``Graph.layered``) draws
        exactly what ``Layered`` draws and starts from the same parameters, and a graph with
        bias neurons what the same graph with ``bias=True`` draws.
        """
        level_ptr = self.arrays.level_ptr
        level_of_target = np.searchsorted(level_ptr, self.edge_target, side="right") - 1
        with_bias = np.flatnonzero(self.arrays.bias_index >= 0)
        bias_at = self.arrays.bias_index[with_bias]  # a bias, or a bias neuron's edge
        bias_level = np.searchsorted(level_ptr, with_bias, side="right") - 1
        for q in range(1, len(self.levels)):
            sel = np.flatnonzero(level_of_target == q)
            at = self.edge_index[sel]
            n_in = self.fan_in[self.edge_target[sel]].astype(np.float64)
            if scheme == "zeros":
                theta[at] = 0
            elif scheme == "xavier":
                limit = np.sqrt(6.0 / (n_in + self.fan_out[self.edge_source[sel]]))
                theta[at] = rng.uniform(-limit, limit, size=sel.shape[0])
            else:
                scale = {"scaled_normal": lambda n: 1 / np.sqrt(n), "normal": np.ones_like,
                         "he": lambda n: np.sqrt(2.0 / n)}[scheme](n_in)
                theta[at] = rng.standard_normal(sel.shape[0]) * scale
            b_sel = bias_at[bias_level == q]
            theta[b_sel] = rng.standard_normal(b_sel.shape[0]) if scheme == "normal" else 0

    def penalised_mask(self):
        mask = np.zeros(self.n_parameters, dtype=np.uint8)
        mask[:self.n_edges] = 1
        mask[list(self.bias_edges.values())] = 0  # biases: not penalised
        return mask

    def config(self):
        """JSON-able: ids keep their type (ints or strings), activations as [id, name] pairs."""
        config = {"kind": self.kind, "edges": [list(e) for e in self.edges],
                  "inputs": list(self.inputs), "outputs": list(self.outputs),
                  "activation": self.activation,
                  "activations": [list(pair) for pair in self._overrides],
                  "bias": self._bias_config}
        if self.bias_neurons:  # absent otherwise: older files and configs read alike
            config["bias_neurons"] = list(self.bias_neurons)
        return config

    @classmethod
    def from_config(cls, config):
        activations = config.get("activations") or []
        if isinstance(activations, dict):
            activations = list(activations.items())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GraphWarning)  # reported when it was built
            return cls([tuple(e) for e in config["edges"]], config["inputs"], config["outputs"],
                       config["activation"], {k: v for k, v in activations}, config["bias"],
                       config.get("bias_neurons"))

    def __repr__(self):
        extra = f", {len(self.bias_neurons)} bias neurons" if self.bias_neurons else ""
        return (f"Graph({len(self.neurons)} neurons{extra}, {self.n_edges} edges, "
                f"{self.n_inputs} inputs, {self.n_outputs} outputs, {len(self.levels)} levels)")

    # --- constructors ----------------------------------------------------------------------

    @classmethod
    def layered(cls, sizes, activation="sigmoid", output_activation=None):
        """The dense layered network ``sizes`` as a graph. Neurons are numbered 0, 1, ...
        layer by layer; edges run target by target, source by source, so ``net.weights`` is
        the concatenation of the layered network's ``w^l`` flattened row by row and
        ``net.biases`` that of its ``b^l``."""
        from .validation import sizes as check_sizes
        sizes = check_sizes(sizes)
        return cls._from_layers(sizes, [None] * (len(sizes) - 1), activation, output_activation)

    @classmethod
    def sparse(cls, sizes, density, seed=None, activation="sigmoid", output_activation=None):
        """A random graph shaped like the layered network ``sizes``: between consecutive
        layers, ``round(density * n_prev * n)`` of the possible edges drawn uniformly
        without replacement, then one random edge added for every neuron left without an
        incoming edge (non-inputs) or without an outgoing one (non-outputs), so that every
        neuron is used. Edges are listed target by target (as in ``layered``)."""
        from .validation import seed as check_seed
        from .validation import sizes as check_sizes
        sizes = check_sizes(sizes)
        if (isinstance(density, bool) or not isinstance(density, numbers.Real)
                or not 0 < density <= 1):
            raise ValueError(f"density must be a number in (0, 1], got {density!r}")
        rng = np.random.default_rng(check_seed(seed))
        masks = []
        for n_prev, n in zip(sizes[:-1], sizes[1:]):
            mask = np.zeros(n * n_prev, dtype=bool)
            mask[rng.choice(n * n_prev, int(round(density * n * n_prev)), replace=False)] = True
            mask = mask.reshape(n, n_prev)
            for j in np.flatnonzero(~mask.any(axis=1)):
                mask[j, rng.integers(n_prev)] = True
            for k in np.flatnonzero(~mask.any(axis=0)):
                mask[rng.integers(n), k] = True
            masks.append(mask)
        return cls._from_layers(sizes, masks, activation, output_activation)

    @classmethod
    def _from_layers(cls, sizes, masks, activation, output_activation):
        check_activation("activation", activation, _activations.HIDDEN_NAMES)
        output_activation = activation if output_activation is None else output_activation
        first = np.cumsum((0,) + tuple(sizes))
        edges = []
        for l, mask in enumerate(masks, start=1):
            for j in range(sizes[l]):
                sources = range(sizes[l - 1]) if mask is None else np.flatnonzero(mask[j])
                edges.extend((int(first[l - 1] + k), int(first[l] + j)) for k in sources)
        outputs = [int(o) for o in range(first[-2], first[-1])]
        activations = ({o: output_activation for o in outputs}
                       if output_activation != activation else None)
        return cls(edges, list(range(sizes[0])), outputs, activation, activations)


def as_graph(topology, theta):
    """``(graph, theta)``: ``topology`` as a ``Graph`` and its parameters in the graph's
    layout (a layered network's weights and biases concatenated, see ``Graph.layered``)."""
    if isinstance(topology, Graph):
        return topology, theta
    weights, biases = topology.views(theta)
    graph = Graph.layered(topology.sizes, topology.activation, topology.output_activation)
    return graph, np.concatenate([w.ravel() for w in weights] + list(biases))


def pruned(graph, theta, fraction):
    """``(graph, theta)`` without the ``fraction`` of edges whose weights are smallest in
    magnitude (ties: the earlier edge goes first), then without the hidden neurons that
    reach no output any more (and their edges). The outputs are unchanged where the pruned
    weights are read as 0. The edges of bias neurons are biases: never pruned (nor counted
    in ``fraction``), kept while their target is; a bias neuron left without edges goes."""
    if (isinstance(fraction, bool) or not isinstance(fraction, numbers.Real)
            or not 0 <= fraction < 1):
        raise ValueError(f"fraction must be a number in [0, 1), got {fraction!r}")
    weights, biases = graph.views(theta)
    if not np.isfinite(weights).all():  # |NaN| sorts last: it would be kept, ahead of any weight
        bad = np.flatnonzero(~np.isfinite(weights))
        raise ValueError(f"cannot prune: {len(bad)} weight(s) are NaN or infinite (edge "
                         f"{graph.edges[bad[0]]} first), so they have no magnitude to rank; "
                         f"set finite weights or retrain first")
    ordinary = np.asarray(graph.edge_index if graph.bias_neurons else np.arange(graph.n_edges),
                          dtype=np.int64)
    n_drop = int(round(fraction * ordinary.shape[0]))
    keep = np.zeros(graph.n_edges, dtype=bool)
    keep[ordinary] = True
    keep[ordinary[np.argsort(np.abs(weights[ordinary]), kind="stable")[:n_drop]]] = False
    successors = {i: set() for i in graph.neurons}
    for e in np.flatnonzero(keep):
        s, t = graph.edges[e]
        successors[s].add(t)
    reaches = set(graph.outputs) | set(graph.inputs)
    for node in reversed(graph.neurons):
        if successors[node] & reaches:
            reaches.add(node)
    for e in graph.bias_edges.values():
        keep[e] = True
    bias_edges = set(graph.bias_edges.values())
    kept = [e for e in np.flatnonzero(keep) if graph.edges[e][1] in reaches
            and (e in bias_edges or graph.edges[e][0] in reaches)]
    bias_value = dict(zip(graph.has_bias, biases))
    overrides = {i: name for i, name in graph.neuron_activations.items()
                 if i in reaches and name != graph.activation}
    used = {graph.edges[e][0] for e in kept}
    bias_neurons = [b for b in graph.bias_neurons if b in used]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GraphWarning)  # inputs left unused
            new = Graph([graph.edges[e] for e in kept], graph.inputs, graph.outputs,
                        graph.activation, overrides,
                        None if bias_neurons else [i for i in graph.has_bias if i in reaches],
                        bias_neurons or None)
    except ValueError as error:
        raise ValueError(f"pruning {fraction:.0%} of the weights breaks the network: "
                         f"{error}") from None
    new_theta = np.concatenate([weights[kept], [bias_value[i] for i in new.has_bias]])
    return new, new_theta.astype(theta.dtype)


KINDS[Graph.kind] = Graph

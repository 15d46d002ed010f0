"""Memory before work (issue 25): what a population of networks will hold, measured on its
first network, checked against the memory this process may still take, before ``best_of``
and ``sweep`` build the others (see docs/reliability.md).

``network_memory`` measures under ``tracemalloc`` (which counts NumPy's arrays): the network
itself with the scoring workspace its engine keeps, and a History of the run's length;
``check_population_memory`` multiplies and refuses with a ``MemoryError`` that names the
call, the GB needed and available, and what to do. The estimate is held within 2x of the
measured peak of a whole ``best_of`` in ``tests/test_faults.py``.
"""
import copy
import threading
import tracemalloc

import numpy as np

from .history import History
from .population import available_memory


def _cgroup_room():
    """Bytes the cgroup (v2) of this process may still take, or None without a limit."""
    try:
        with open("/sys/fs/cgroup/memory.max") as file:
            limit = file.read().strip()
        if limit == "max":
            return None
        with open("/sys/fs/cgroup/memory.current") as file:
            return max(0, int(limit) - int(file.read().strip()))
    except (OSError, ValueError):
        return None


def _address_space_room():
    """Bytes of address space left under ``ulimit -v`` (RLIMIT_AS), or None without one."""
    try:
        import resource
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY or limit <= 0:
            return None
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith("VmSize:"):
                    return max(0, limit - int(line.split()[1]) * 1024)
    except (ImportError, OSError, ValueError):
        pass
    return None


def room_for_networks():
    """Bytes this process may still allocate: the least of the machine's available memory,
    the cgroup's limit and ``ulimit -v``; None when none of them is known."""
    known = [b for b in (available_memory(), _cgroup_room(), _address_space_room())
             if b is not None]
    return min(known) if known else None


POPULATION_ROOM = 0.8
"""Share of ``room_for_networks`` a population (networks, optimizers, Histories, workspaces)
may take before ``best_of`` and ``sweep`` refuse it."""


_TRACING = threading.Lock()
"""One measurement at a time per process (tracemalloc is process-wide: several Dask worker
threads measuring at once would stop each other's tracing)."""


def _traced(build):
    """``(build(), bytes it left allocated)``, counted by ``tracemalloc`` (NumPy's arrays
    included)."""
    with _TRACING:
        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            value = build()
            return value, max(0, tracemalloc.get_traced_memory()[0] - before)
        finally:
            if started:
                tracemalloc.stop()


def network_memory(net, epochs, score_data=None, validation=False):
    """Bytes one network of a population holds until ``best_of`` or ``sweep`` returns,
    measured where it can be: the network itself and the scoring workspaces its engine keeps
    (a copy of ``net`` built and made to evaluate ``score_data`` = (X, y) under
    ``tracemalloc``, after one unmeasured evaluation so that compiling is not counted), its
    History after ``epochs`` (one built alike) and the per-epoch records it is made from;
    plus what training adds: the optimizer's state (two arrays, Adam's), the population's
    stacked copies of the parameters and state (three) and the weight mask."""
    def build():
        clone = copy.deepcopy(net)
        if score_data is not None:
            try:
                clone.evaluate(*score_data)
            except Exception:  # noqa: BLE001 - training reports bad data in its own words
                pass
        return clone
    build()  # compiles (once per process) and warms what is shared, uncounted
    _, held = _traced(build)
    k = max(1, int(epochs))

    def history():
        column = np.zeros(k)
        return History.from_arrays(
            epoch=range(1, k + 1), loss=column / 2, accuracy=column / 3,
            learning_rate=column, val_loss=column / 4 if validation else [None] * k,
            val_accuracy=column / 5 if validation else [None] * k,
            seconds=column, samples_per_second=column)
    _, history_bytes = _traced(history)
    P, itemsize = net.topology.n_parameters, net.dtype.itemsize
    records = 5 * 8 * k
    training = (2 + 3) * itemsize * P + P + 2048  # state, stacks, mask; optimizer, results
    return held + history_bytes + records + training


def check_population_memory(what, count, per_network, advice):
    """Refuse (``MemoryError``) a population of ``count`` networks of ``per_network`` bytes
    each (``network_memory``) when it would not fit in ``POPULATION_ROOM`` of the memory this
    process may still allocate; ``what`` names the call and its argument, ``advice`` what to
    do. Nothing is allocated. Returns the bytes needed."""
    need = count * per_network
    room = room_for_networks()
    if room is not None and need > POPULATION_ROOM * room:
        fits = int(POPULATION_ROOM * room // max(1, per_network))
        raise MemoryError(
            f"{what}: {count:,} networks need about {need / 2**30:,.2f} GB "
            f"({per_network / 2**10:,.1f} KB each, measured: network, optimizer state, "
            f"History, workspaces) but {room / 2**30:,.2f} GB is available (at most "
            f"{POPULATION_ROOM:.0%} of it is used): about {fits:,} would fit. {advice}")
    return need

"""Where restarts and sweeps run when not in this process: the runner protocol and its registry.

``best_of(..., client=None)`` and ``sweep(..., client=None)`` train here. Any other
``client`` is turned into a *runner*, an object with one or both of these methods::

    runner.map_restarts(train_chunk, n, greater_is_better) -> list of n (network, score, history)
    runner.map_chunks(function, items) -> list of len(items) results

``train_chunk(indices)`` trains the restarts of those indices (a list of ints) and returns
their ``(network, score, history)`` in the same order (score None when one diverged); it is
picklable by value (cloudpickle) and carries the data, so a runner ships it once and calls it
on chunks of ``range(n)``. The list returned is in index order and must equal
``train_chunk(list(range(n)))`` except that a runner may return None in place of a network
that cannot be the best (lower score is better unless ``greater_is_better``; ties go to the
lower index), so that it need not move every trained network back.

``map_chunks`` (what ``sweep`` uses, once per rung) is the generic form: ``function(chunk)``
takes a list of consecutive ``items`` and returns one result per item, in order; the runner
splits ``items`` into chunks as it likes, calls ``function`` on each (wherever it runs), and
returns the results in item order, each exactly once. ``function`` is picklable, carries the
data, handles its items' errors itself, and is the same object for every call of one sweep,
so a runner may ship it once and reuse it.

Training never imports an integration: a client type is mapped to the factory of its runner
by name, by ``register``. ``fastnn/__init__.py`` registers Dask's ``distributed.Client``
with a factory that imports ``fastnn.distributed`` when a Client is first given; an object
that already has ``map_restarts`` is used as it is.
"""

_FACTORIES = {}
"""Qualified type name ("module.QualName") -> factory(client) -> runner."""


def register(type_name, factory):
    """Use ``factory(client)`` as the runner of clients of the type named ``type_name``
    (or of a subclass)."""
    _FACTORIES[type_name] = factory


def runner_for(client):
    """The runner that trains on ``client``."""
    if (callable(getattr(client, "map_restarts", None))
            or callable(getattr(client, "map_chunks", None))):
        return client
    for cls in type(client).__mro__:
        factory = _FACTORIES.get(f"{cls.__module__}.{cls.__qualname__}")
        if factory is not None:
            return factory(client)
    raise TypeError(f"client must be None (train here), a dask.distributed.Client "
                    f"(pip install 'fastnn[dask]') or a runner with map_restarts() / map_chunks(); "
                    f"got {type(client).__name__}")


def check_shippable(name, value):
    """Refuse (``TypeError`` naming the argument and the cause) a function that cannot be sent
    to a cluster's workers: what cloudpickle (Dask's pickler) cannot pickle, e.g. a closure
    over a lock, an open file or a client. Without cloudpickle nothing is checked."""
    try:
        import cloudpickle
    except ImportError:
        return
    try:
        cloudpickle.dumps(value)
    except Exception as error:  # noqa: BLE001 - pickling fails in many ways
        raise TypeError(f"{name}={value!r} cannot be sent to the cluster's workers: it does not "
                        f"pickle ({type(error).__name__}: {error}). Define it at module level "
                        f"(or as functools.partial of one) without references to locks, open "
                        f"files, clients or other unpicklable objects") from None

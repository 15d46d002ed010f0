"""A network's training state at one moment: ``TrainingSnapshot``, the one form in which it is
saved and restored (``Network.snapshot`` and ``Network.restore``).

Everything that saves or restores training uses it: ``fit``'s epoch boundary (divergence
roll-back, Ctrl-C, a concurrent ``save``), pickling and copies, model files (``save`` and
``load``), ``prune``, the sweeps' units sent between workers and the scikit-learn estimators'
pickles. Continuing from a restored snapshot gives the same bits as never having stopped.
"""
import copy
from collections import namedtuple


class TrainingSnapshot(namedtuple("TrainingSnapshot",
                                  "theta rng optimizer state iterations epochs penalty",
                                  defaults=(None, None, 0, 0, None))):
    """A network's training state (never changed once taken; ``restore`` copies out of it).

    Attributes
    ----------
    theta : ndarray
        The flat parameter vector (a copy).
    rng : dict
        ``bit_generator.state`` of the network's generator (initialisation, shuffling).
    optimizer : Optimizer or None
        The optimizer, for its kind and hyperparameters. ``Network.snapshot`` holds a private
        copy of it; ``fit``'s epoch boundary the network's own one (its state is in ``state``).
    state : tuple of two ndarray, or None
        Copies of the optimizer's two state arrays (velocity or first moment; squared-gradient
        statistics; length 0 when the rule keeps none), None when it holds none yet.
    iterations, epochs : int
        The optimizer's counters: update steps (Adam's bias correction) and epochs (the
        schedules' epoch index).
    penalty : (l2, l1, n) or None
        The penalty of the last fit, which ``Network.evaluate`` applies by default.
    """

    __slots__ = ()

    @classmethod
    def take(cls, theta, rng, optimizer, penalty, detach=True):
        """A snapshot of these (``theta`` copied). ``detach``: keep a private copy of the
        optimizer, whose state arrays are then ``state`` itself (pickled once); otherwise
        the optimizer itself and copies of its state (``fit``'s cheap per-epoch boundary)."""
        state = iterations = epochs = None
        if optimizer is not None:
            if detach:
                optimizer = copy.deepcopy(optimizer)
            arrays = optimizer._state
            if arrays is not None:
                state = tuple(arrays) if detach else tuple(array.copy() for array in arrays)
            iterations, epochs = optimizer.iterations, optimizer.epochs
        return cls(theta.copy(), rng, optimizer, state, iterations, epochs, penalty)

    def optimizer_copy(self):
        """A new optimizer like ``optimizer`` holding this snapshot's state and counters
        (None without an optimizer)."""
        if self.optimizer is None:
            return None
        optimizer = copy.deepcopy(self.optimizer)
        self.put_optimizer_state(optimizer)
        return optimizer

    def put_optimizer_state(self, optimizer):
        """Write this snapshot's optimizer state arrays and counters into ``optimizer``."""
        if self.state is not None:
            for array, saved in zip(optimizer._state, self.state):
                array[...] = saved
        optimizer.iterations, optimizer.epochs = self.iterations, self.epochs

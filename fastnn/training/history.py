"""What ``Network.fit`` records, epoch by epoch."""
import numpy as np


class History:
    """Per-epoch record of a ``fit`` call.

    Attributes
    ----------
    epoch : list of int
        Epoch numbers, counted from 1 over the life of the network's optimizer: a fresh
        network trained for 3 epochs records [1, 2, 3]; a second ``fit`` that continues the
        same optimizer records [4, 5, ...].
    loss : list of float
        Mean training cost over the epoch's samples, each sample's cost measured in the
        forward pass of its mini-batch (before that batch's update), as most libraries report
        it. The data cost only: an L2/L1 penalty is not included (see ``Network.evaluate``).
    accuracy : list of float or None
        Fraction of training samples classified correctly (same forward passes), or None when
        the targets are not class labels / one-hot / single 0-1 outputs.
    learning_rate : list of float
        The learning rate of each epoch (after the schedule).
    val_loss, val_accuracy : list of float or None
        Mean cost and accuracy on the validation data after each epoch (None without
        validation data; val_accuracy None for targets without an accuracy).
    samples_per_second : list of float
        Training throughput of the epoch (compilation and validation excluded).
    seconds : list of float
        Wall time of the epoch's training loop.
    best_epoch : int or None
        With early stopping: the epoch whose weights the network was given back.
    stopped_epoch : int or None
        The epoch after which training stopped early (early stopping or a callback), else None.
    """

    fields = ("epoch", "loss", "accuracy", "learning_rate", "val_loss", "val_accuracy",
              "samples_per_second", "seconds")

    def __init__(self):
        self._values = {field: [] for field in self.fields}
        self.best_epoch = None
        self.stopped_epoch = None

    @classmethod
    def from_arrays(cls, **columns):
        """A History whose fields are given as 1-D arrays (or lists, or a ``range`` for
        ``epoch``), kept as given until a field is first read, then made the list
        ``array.tolist()`` gives (the same values to the bit). The population engine builds
        its networks' Histories this way: a thousand restarts' Histories pickle as arrays
        (an array several of them share, once) and travel back from cluster workers
        without a Python float per epoch."""
        history = cls()
        for field, value in columns.items():
            if field not in history._values:
                raise ValueError(f"History has no field {field!r}")
            if isinstance(value, np.ndarray) and value.ndim != 1:
                raise ValueError(f"{field}: a 1-D array, got shape {value.shape}")
            history._values[field] = value
        return history

    def record(self, **values):
        for field in self.fields:
            getattr(self, field).append(values.get(field))

    def truncate(self, length):
        """Keep the first ``length`` epochs of every field (``fit`` rolling back an
        interrupted epoch, whose ``record`` may have reached only some fields)."""
        for field in self.fields:
            values = self._values[field]
            self._values[field] = values[:max(0, length)]

    def logs(self, index=-1):
        """One epoch's values as a dict, leaving out those that are None."""
        return {field: getattr(self, field)[index] for field in self.fields
                if getattr(self, field)[index] is not None}

    def as_dict(self):
        """The record as ``{field: list}``."""
        return {field: list(getattr(self, field)) for field in self.fields}

    def __len__(self):
        return len(self.epoch)

    def __getstate__(self):
        return dict(self.__dict__)

    def __copy__(self):
        """A shallow copy whose fields can be reassigned without touching this History's
        (they share the lists, as shallow copies do)."""
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._values = dict(self._values)
        return copy

    def __setstate__(self, state):
        state = dict(state)
        if "_values" not in state:  # pickled before fields could be arrays: lists by name
            state["_values"] = {field: state.pop(field) for field in self.fields}
        self.__dict__.update(state)

    def __repr__(self):
        if not self.epoch:
            return "History(no epochs)"
        accuracy = "" if self.accuracy[-1] is None else f", accuracy={self.accuracy[-1]:.4f}"
        validation = "" if self.val_loss[-1] is None else f", val_loss={self.val_loss[-1]:.6g}"
        return (f"History({len(self)} epochs, loss={self.loss[-1]:.6g}{accuracy}{validation}, "
                f"samples/s={self.samples_per_second[-1]:,.0f})")


def _field(name):
    def get(self):
        value = self._values[name]
        if not isinstance(value, list):  # an array or a range, first read: the list now
            value = self._values[name] = value.tolist() if isinstance(value, np.ndarray) \
                else list(value)
        return value

    def set(self, value):
        self._values[name] = value

    return property(get, set, doc=f"The {name} of each epoch (a list; see the class).")


for _name in History.fields:
    setattr(History, _name, _field(_name))
del _name

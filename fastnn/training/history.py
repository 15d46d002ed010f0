"""What ``Network.fit`` records, epoch by epoch."""


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
        for field in self.fields:
            setattr(self, field, [])
        self.best_epoch = None
        self.stopped_epoch = None

    def record(self, **values):
        for field in self.fields:
            getattr(self, field).append(values.get(field))

    def logs(self, index=-1):
        """One epoch's values as a dict, leaving out those that are None."""
        return {field: getattr(self, field)[index] for field in self.fields
                if getattr(self, field)[index] is not None}

    def as_dict(self):
        """The record as ``{field: list}``."""
        return {field: list(getattr(self, field)) for field in self.fields}

    def __len__(self):
        return len(self.epoch)

    def __repr__(self):
        if not self.epoch:
            return "History(no epochs)"
        accuracy = "" if self.accuracy[-1] is None else f", accuracy={self.accuracy[-1]:.4f}"
        validation = "" if self.val_loss[-1] is None else f", val_loss={self.val_loss[-1]:.6g}"
        return (f"History({len(self)} epochs, loss={self.loss[-1]:.6g}{accuracy}{validation}, "
                f"samples/s={self.samples_per_second[-1]:,.0f})")

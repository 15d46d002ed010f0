"""What ``Network.fit`` records, epoch by epoch."""


class History:
    """Per-epoch record of a ``fit`` call.

    Attributes
    ----------
    epoch : list of int
        Epoch numbers, counted from 1.
    loss : list of float
        Mean training cost over the epoch's samples, each sample's cost measured in the
        forward pass of its mini-batch (before that batch's update), as most libraries report it.
    accuracy : list of float or None
        Fraction of training samples classified correctly (same forward passes), or None when
        the targets are not class labels / one-hot / single 0-1 outputs.
    samples_per_second : list of float
        Training throughput of the epoch (compilation excluded).
    seconds : list of float
        Wall time of the epoch's training loop.
    """

    fields = ("epoch", "loss", "accuracy", "samples_per_second", "seconds")

    def __init__(self):
        for field in self.fields:
            setattr(self, field, [])

    def record(self, **values):
        for field in self.fields:
            getattr(self, field).append(values[field])

    def as_dict(self):
        """The record as ``{field: list}``."""
        return {field: list(getattr(self, field)) for field in self.fields}

    def __len__(self):
        return len(self.epoch)

    def __repr__(self):
        if not self.epoch:
            return "History(no epochs)"
        accuracy = "" if self.accuracy[-1] is None else f", accuracy={self.accuracy[-1]:.4f}"
        return (f"History({len(self)} epochs, loss={self.loss[-1]:.6g}{accuracy}, "
                f"samples/s={self.samples_per_second[-1]:,.0f})")

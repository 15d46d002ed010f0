"""Exceptions raised by training."""


class TrainingDiverged(FloatingPointError):
    """The training cost or a parameter became NaN or infinite during ``Network.fit``.

    The network keeps the parameters (and the optimizer its state) from the end of the last
    finite epoch. Attributes: ``epoch`` (the epoch that diverged, counted like
    ``History.epoch``), ``learning_rate`` (that epoch's rate) and ``history`` (the epochs
    completed before it).
    """

    def __init__(self, epoch, learning_rate, what, history=None):
        self.epoch = epoch
        self.learning_rate = learning_rate
        self.history = history
        if epoch is None:
            super().__init__(f"training diverged: {what} became NaN or infinite. "
                             f"Try a smaller learning rate.")
            return
        kept = (f"the end of epoch {epoch - 1}" if epoch > 1 else "before training")
        super().__init__(f"training diverged in epoch {epoch}: {what} became NaN or infinite. "
                         f"The network keeps its parameters from {kept}. Try a smaller "
                         f"learning rate than {learning_rate:g}.")

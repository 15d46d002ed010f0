"""Exceptions raised by training."""


class TrainingDiverged(FloatingPointError):
    """Training left the range where its arithmetic means anything, during ``Network.fit``.

    Raised when the training cost or a parameter became NaN or infinite, or (the rule in
    ``fastnn.training.fit``) a parameter grew past the square root of the dtype's largest
    value or the cost grew by many orders of magnitude. The network keeps the parameters (and
    the optimizer its state) from the end of the last sane epoch. Attributes: ``epoch`` (the
    epoch that diverged, counted like ``History.epoch``), ``learning_rate`` (that epoch's
    rate), ``history`` (the epochs completed before it) and ``cause`` ("learning rate", or
    "L2 penalty" when the weight decay alone makes the weights grow).
    """

    def __init__(self, epoch, learning_rate, what, history=None, *, reason=None,
                 advice=None, cause="learning rate"):
        self.epoch = epoch
        self.learning_rate = learning_rate
        self.history = history
        self.cause = cause
        reason = "became NaN or infinite" if reason is None else reason
        if epoch is None:
            super().__init__(f"training diverged: {what} {reason}. "
                             f"{advice or 'Try a smaller learning rate.'}")
            return
        kept = (f"the end of epoch {epoch - 1}" if epoch > 1 else "before training")
        if advice is None:
            advice = f"Try a smaller learning rate than {learning_rate:g}."
        super().__init__(f"training diverged in epoch {epoch}: {what} {reason}. "
                         f"The network keeps its parameters from {kept}. {advice}")

"""Epoch-end events for ``Network.fit(callbacks=...)`` and the optional tqdm progress bar.

A callback is a callable taking one ``EpochEnd`` event, or a ``Callback`` object whose
``on_train_begin``, ``on_epoch_end`` and ``on_train_end`` methods are called. Callbacks run
between epochs, in Python; the compiled batch loop never calls back.

>>> def stop_when_good(event):
...     if event.logs["loss"] < 0.01:
...         event.stop()
>>> net.fit(X, y, epochs=100, callbacks=[stop_when_good])   # doctest: +SKIP
"""
import sys


class EpochEnd:
    """What a callback receives after every epoch.

    Attributes
    ----------
    network : Network
        The network being trained (parameters as of the end of the epoch).
    epoch : int
        The epoch just finished, counted like ``History.epoch``.
    logs : dict
        ``loss``, ``accuracy``, ``learning_rate``, ``seconds``, ``samples_per_second`` and,
        with validation data, ``val_loss`` and ``val_accuracy`` (keys whose value is None
        are left out).
    history : History
        Everything recorded so far in this fit call.
    """

    def __init__(self, network, epoch, logs, history):
        self.network, self.epoch, self.logs, self.history = network, epoch, logs, history
        self.stop_requested = False

    def stop(self):
        """End training after this epoch (early-stopping restoration still applies)."""
        self.stop_requested = True

    def __repr__(self):
        return f"EpochEnd(epoch={self.epoch}, logs={self.logs!r})"


class Callback:
    """Base class for callbacks with several hooks; override what you need."""

    def on_train_begin(self, network):
        """Before the first epoch of a fit call."""

    def on_epoch_end(self, event):
        """After every epoch, with an ``EpochEnd`` event."""

    def on_train_end(self, network, history):
        """After the last epoch (also after early stopping; not after an exception)."""


class _FunctionCallback(Callback):
    def __init__(self, function):
        self.function = function

    def on_epoch_end(self, event):
        self.function(event)


def as_callbacks(callbacks):
    """A list of ``Callback`` objects from None, one callable/Callback or a sequence of them."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback) or callable(callbacks):
        callbacks = [callbacks]
    try:
        callbacks = list(callbacks)
    except TypeError:
        raise TypeError(f"callbacks must be a callable, a Callback or a list of them, "
                        f"got {callbacks!r}") from None
    result = []
    for callback in callbacks:
        if isinstance(callback, Callback):
            result.append(callback)
        elif callable(callback):
            result.append(_FunctionCallback(callback))
        else:
            raise TypeError(f"callbacks must be callables or Callback objects, got {callback!r}")
    return result


# --- progress bar ----------------------------------------------------------------------------

CHUNKS_PER_EPOCH = 20
"""When a progress bar is shown, an epoch runs as about this many calls of the compiled loop
(each a run of whole mini-batches), so the bar moves within the epoch."""


LINES_PER_FIT = 20
"""In ``"lines"`` mode a fit call of more than 30 epochs writes about this many lines (every
k-th epoch and the last)."""


class Progress:
    """A tqdm bar per epoch (samples done, then loss, accuracy and samples/s), or one line per
    epoch where there is no terminal.

    ``enabled``: False (nothing), True (a bar when the stream is a terminal, nothing
    otherwise) or ``"lines"`` (a bar on a terminal, otherwise one line per epoch: ``epoch 3/10
    loss 0.1234  accuracy 0.9512 ...``, at most about ``LINES_PER_FIT`` lines per fit call,
    for logs and ``fastnn train``). The bar is updated once per chunk of mini-batches
    (``CHUNKS_PER_EPOCH`` per epoch) and once at the epoch's end, never from the compiled loop.
    """

    def __init__(self, enabled, n_samples, last_epoch, file=None, first_epoch=1):
        if enabled not in (True, False, "lines"):
            raise ValueError(f"progress must be True, False or 'lines', got {enabled!r}")
        self.n_samples = n_samples
        self.last_epoch = last_epoch
        self.first_epoch = first_epoch
        self.file = file
        self.bar = None
        self.lines = False
        self.enabled = False
        if enabled:
            stream = sys.stderr if file is None else file
            if getattr(stream, "isatty", lambda: False)():
                from tqdm.auto import tqdm  # imported only when a bar is shown
                self._tqdm = tqdm
                self.enabled = True
            else:
                self.lines = enabled == "lines"
        epochs = last_epoch - first_epoch + 1
        self.every = 1 if epochs <= 30 else -(-epochs // LINES_PER_FIT)

    def chunk_size(self, batch_size):
        """Samples per call of the compiled loop: the whole epoch unless a bar is shown."""
        if not self.enabled:
            return self.n_samples
        batches = -(-self.n_samples // batch_size)
        return batch_size * max(1, -(-batches // CHUNKS_PER_EPOCH))

    def start_epoch(self, epoch):
        if self.enabled:
            self.bar = self._tqdm(total=self.n_samples, desc=f"epoch {epoch}/{self.last_epoch}",
                                  unit="sample", unit_scale=True, leave=True, file=self.file,
                                  dynamic_ncols=True)

    def advance(self, samples, loss_sum, correct, seconds, with_accuracy):
        if self.bar is not None:
            done = self.bar.n + samples
            postfix = {"loss": f"{loss_sum / max(done, 1):.4g}"}
            if with_accuracy:
                postfix["acc"] = f"{correct / max(done, 1):.4f}"
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(samples)

    def end_epoch(self, logs):
        postfix = {key: (f"{value:.4g}" if isinstance(value, float) else value)
                   for key, value in logs.items()
                   if key in ("loss", "accuracy", "val_loss", "val_accuracy")}
        postfix["samples/s"] = f"{logs['samples_per_second']:,.0f}"
        if self.bar is not None:
            self.bar.set_postfix(postfix)
            self.bar.close()
            self.bar = None
        elif self.lines:
            epoch = logs["epoch"]
            if (epoch - self.first_epoch + 1) % self.every and epoch != self.last_epoch:
                return
            stream = sys.stderr if self.file is None else self.file
            width = len(str(self.last_epoch))
            text = "  ".join(f"{key} {value}" for key, value in postfix.items())
            stream.write(f"  epoch {epoch:>{width}}/{self.last_epoch}  {text}\n")
            stream.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

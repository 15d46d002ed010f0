"""How a network is trained: the fit loop, optimizers, schedules, callbacks, progress,
history, random restarts and the gradient check."""

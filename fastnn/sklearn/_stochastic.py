"""The stochastic solvers: one ``Network.fit`` call per ``fit`` (one epoch per
``partial_fit``), with scikit-learn's per-epoch bookkeeping in a fit callback.

``Network.fit`` runs the epochs (shuffling, mini-batches, the optimizer, the L2 decay, the
sample weights, the validation set, divergence). After each epoch ``SklearnEpochs`` does what
scikit-learn's ``_fit_stochastic`` does between epochs: ``loss_curve_``, ``n_iter_``, ``t_``,
the validation score (accuracy or :math:`R^2`), its stopping rule (no improvement by ``tol``
for more than ``n_iter_no_change`` epochs, on the training loss or with ``early_stopping`` on
the validation score, keeping the best parameters), the "invscaling" and "adaptive" learning
rates of ``solver="sgd"`` and the ``verbose`` lines.
"""
import numpy as np

from ..training.callbacks import Callback

MIN_ADAPTIVE_LEARNING_RATE = 1e-6
"""scikit-learn stops "adaptive" training instead of dividing a rate this small by 5."""


class SklearnEpochs(Callback):
    """scikit-learn's between-epoch rules, applied to the estimator ``est`` (module docstring).

    ``n_train``/``batch_size``: training samples and batch size; ``weight_mean``: their mean
    sample weight (1 without weights); ``loss_scale``: what fastnn's mean cost is multiplied by
    to give scikit-learn's loss (1, or 1/n_outputs for the regressor's squared error);
    ``validation``: ``(X_val, Y_val, weights_val)`` with ``early_stopping``, else None.
    """

    def __init__(self, est, p, n_train, batch_size, weight_mean, loss_scale, validation):
        self.est, self.p = est, p
        self.n_train, self.batch_size = n_train, batch_size
        self.weight_mean, self.loss_scale = weight_mean, loss_scale
        self.validation = validation
        self.stopped = False

    def regularised_loss(self, event):
        """scikit-learn's epoch loss: mean (weighted) cost plus the L2 term
        :math:`\\frac{\\alpha}{2 m}\\sum w^2` of a batch of m samples (of weight sum m v)."""
        loss = event.logs["loss"] * self.loss_scale / self.weight_mean
        if self.p["alpha"] > 0:
            # an elementwise square and a sum, not np.vdot: a BLAS call here wakes OpenBLAS's
            # threads, which then spin on the cores the next epoch's numba threads need
            # (MNIST sample, batch 200: 100-150 ms epochs instead of 33 ms)
            squares = sum(float(np.square(w).sum()) for w in event.network.weights)
            loss += 0.5 * self.p["alpha"] * squares / (self.batch_size * self.weight_mean)
        return loss

    def on_epoch_end(self, event):
        est, p = self.est, self.p
        loss = self.regularised_loss(event)
        est.n_iter_ += 1
        est.t_ += self.n_train
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if p["verbose"]:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if self.validation is not None:
            score = est._validation_score(event, *self.validation)
            est.validation_scores_.append(score)
            if p["verbose"]:
                print(f"Validation score: {score:f}")
            if score < est.best_validation_score_ + p["tol"]:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_theta = event.network.parameters().copy()
        else:
            if loss > est.best_loss_ - p["tol"]:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            est.best_loss_ = min(est.best_loss_, loss)
        opt = event.network.optimizer
        sgd = p["solver"] == "sgd"
        if sgd and p["learning_rate"] == "invscaling":
            opt.learning_rate = p["learning_rate_init"] / (est.t_ + 1) ** p["power_t"]
        if est._no_improvement_count > p["n_iter_no_change"]:
            what = "Validation score" if self.validation is not None else "Training loss"
            message = (f"{what} did not improve more than tol={p['tol']:f} for "
                       f"{p['n_iter_no_change']} consecutive epochs.")
            if sgd and p["learning_rate"] == "adaptive":
                if opt.learning_rate > MIN_ADAPTIVE_LEARNING_RATE:
                    opt.learning_rate /= 5.0
                    est._no_improvement_count = 0
                    if p["verbose"]:
                        print(f"{message} Setting learning rate to {opt.learning_rate:f}")
                    return
                message += " Learning rate too small."
            if p["verbose"]:
                print(f"{message} Stopping.")
            self.stopped = True
            event.stop()

    def diverged(self, network):
        """The epoch that ``Network.fit`` refused as diverged, recorded as scikit-learn
        records one: a NaN loss (and NaN validation score)."""
        est = self.est
        est.n_iter_ += 1
        est.t_ += self.n_train
        est.loss_ = float("nan")
        est.loss_curve_.append(est.loss_)
        if self.validation is not None:
            est.validation_scores_.append(float("nan"))

"""scikit-learn estimators backed by fastnn: ``MLPClassifier`` and ``MLPRegressor``.

A drop-in for ``sklearn.neural_network``'s: same parameters, fitted attributes and behaviour,
so existing code switches by changing an import::

    from fastnn.sklearn import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(30,), random_state=0).fit(X, y)
    clf.predict_proba(X_test)

scikit-learn's own test file for its MLP (``sklearn/neural_network/tests/test_mlp.py``) runs
against these (``tests/test_sklearn_suite.py``), and both pass ``check_estimator`` with
default parameters. scikit-learn (and scipy, which it needs) is the optional extra
``pip install fastnn[sklearn]``; ``import fastnn`` never imports this package.

Modules: ``_estimators`` (the two estimators), ``_stochastic`` (scikit-learn's between-epoch
rules as a ``Network.fit`` callback: training runs in one ``Network.fit`` call per ``fit``),
``_lbfgs`` (``solver="lbfgs"``: scipy's L-BFGS-B over fastnn's compiled loss and gradient),
``_params`` (the hyperparameter checks).

How scikit-learn's names map onto fastnn
----------------------------------------
=========================  ==================================================================
scikit-learn               fastnn
=========================  ==================================================================
hidden_layer_sizes         ``Network(sizes=[n_features, *hidden_layer_sizes, n_outputs])``
activation                 hidden activation; "logistic" is fastnn's "sigmoid"; fastnn's
                           "leaky_relu" and "arctan" are accepted too
solver                     "lbfgs": ``scipy.optimize.minimize(method="L-BFGS-B")`` on the flat
                           parameter vector (``max_iter``, ``max_fun``, ``tol`` as its maxiter,
                           maxfun, gtol); "adam" -> ``optimizer="adam"``; "sgd" ->
                           "nesterov" / "momentum" / "sgd" by ``momentum`` and
                           ``nesterovs_momentum``; fastnn's "momentum", "nesterov",
                           "adagrad", "rmsprop" by name
alpha                      L2 penalty: scikit-learn adds :math:`\\alpha w / m` to each batch's
                           gradient (m the batch's weight sum); fastnn's ``l2=lambda`` adds
                           :math:`\\frac{\\lambda}{n} w`, so ``l2 = alpha * n / m``
batch_size                 ``batch_size``; "auto" is ``min(200, n_samples)``
learning_rate              "constant", "invscaling" (eta / (t + 1) ** power_t, t the samples
                           seen) and "adaptive" (eta / 5 after n_iter_no_change epochs without
                           improvement) for solver="sgd", set between epochs by the callback
max_iter                   epochs (``Network.fit(epochs=max_iter)``); L-BFGS iterations
tol, n_iter_no_change      stop when the training loss (or, with early_stopping, the
                           validation score) has not improved by tol for more than
                           n_iter_no_change epochs (``np.inf``: never)
early_stopping,            hold out validation_fraction (stratified for a binary classifier,
validation_fraction        as scikit-learn), passed as ``Network.fit(validation_data=)``;
                           keep the parameters of the best validation score
sample_weight              ``Network.fit(sample_weight=)``: each sample's output error
                           :math:`\\delta^L_x` times its weight, batch gradients weighted means
shuffle, random_state      reshuffle every epoch; random_state seeds initialisation, the
                           validation split and the shuffling
warm_start, partial_fit    continue the fitted network (``partial_fit``: one epoch, the
                           optimizer's state kept; a warm-started ``fit`` starts a new one)
=========================  ==================================================================

fastnn's extras: ``engine`` ("numba" or "numpy"), ``dtype`` (None: the input's, float32 kept
float32, everything else float64) and ``init`` ("sklearn", scikit-learn's initialisation, or
one of fastnn's: "xavier", "he", "scaled_normal", ...).
``coefs_`` and ``intercepts_`` are views into ``network_``'s parameter vector (transposed to
scikit-learn's ``(n_in, n_out)``): writing into them, or assigning entries or whole lists,
changes the network.

Where fastnn deliberately differs
---------------------------------
- Shuffling: ``init="sklearn"`` (the default) draws the initial parameters from
  ``random_state`` exactly as scikit-learn does (Glorot uniform weights and biases), so both
  start from the same network; the visiting order of the epochs comes from fastnn's own
  generator, so with ``shuffle=True`` and several batches the trajectories differ (full-batch
  or ``shuffle=False`` runs agree to rounding). fastnn's initialisations are offered by name.
- A diverging epoch (NaN or infinite cost or parameters, a parameter beyond
  :math:`\\sqrt{\\text{max}}` of the dtype, or a cost grown 1e8-fold: fastnn's rule) ends
  training instead of continuing with NaN: the epoch is recorded with a NaN loss (and NaN
  validation score); with early stopping the best parameters are kept, otherwise ``fit``
  raises scikit-learn's "Solver produced non-finite parameter weights" ``ValueError``.
- With ``sample_weight`` the L2 term uses the mean batch weight sum (``batch_size`` times the
  mean weight) for every batch and the reported epoch loss is
  :math:`\\sum_x v_x C_x / \\sum_x v_x`; scikit-learn divides by each batch's own weight sum.
  Equal without weights, except for a last, shorter batch, whose L2 step fastnn scales
  like the others'.
- ``solver="lbfgs"`` minimises :math:`\\frac12\\sum_j (a_j - y_j)^2` averaged over samples for a
  multi-output regressor (scikit-learn reports the mean over targets but follows this
  gradient), so its ``loss_`` is n_targets times scikit-learn's there; the stochastic
  solvers report scikit-learn's. ``verbose`` prints one "Iteration k, loss = ..." line per
  L-BFGS iteration instead of scipy's Fortran report.
- ``MLPRegressor(loss="poisson")`` trains with ``solver="lbfgs"`` only (the network's
  identity output is the log of the mean; ``fastnn.sklearn._lbfgs``); the stochastic solvers
  refuse it, since fastnn's engines have no Poisson cost.
- Sparse ``X`` (CSR/CSC) is passed to the network as is (``Network`` computes its first layer
  over the stored entries).
"""
try:
    import scipy.optimize  # noqa: F401
    import sklearn  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("fastnn.sklearn needs scikit-learn: pip install 'fastnn[sklearn]' "
                      "(or pip install scikit-learn)") from error

from ._estimators import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]

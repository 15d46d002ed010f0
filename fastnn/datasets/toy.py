"""Small synthetic problems: XOR, two spirals, a house-price style regression curve."""
from __future__ import annotations

import numpy as np

from ..core import validation

# ---------------------------------------------------------------------------
# Synthetic problems
# ---------------------------------------------------------------------------


def make_xor(n_samples=4, noise=0.0, seed=None, *, dtype=np.float64):
    """The XOR problem: points near the corners of the unit square.

    Row ``i`` is the corner ``(0, 0), (0, 1), (1, 0), (1, 1)`` numbered ``i % 4``
    (the truth table order) plus Gaussian noise; its label is the XOR of the
    corner's coordinates. The defaults give exactly the four XOR points.

    Parameters
    ----------
    n_samples : int, default 4
        Number of points; the corners are used in turn, so any multiple of 4 is
        balanced.
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate. Labels
        stay those of the corner, so a large noise makes the classes overlap.
    seed : int, numpy.random.Generator or None, default None
        Seed of the noise (``numpy.random.default_rng(seed)``). A Generator is used
        (and advanced) as is.
    dtype : numpy dtype, default numpy.float64
        Floating-point dtype of ``X``.

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n_samples, 2)``.
    y : numpy.ndarray
        Shape ``(n_samples,)``, int64, 0 or 1.

    Raises
    ------
    TypeError
        If ``n_samples`` is not an integer, ``noise`` not a number, ``seed`` not
        usable as a seed, or ``dtype`` not floating.
    ValueError
        If ``n_samples <= 0`` or ``noise`` is negative or not finite.

    Examples
    --------
    >>> X, y = make_xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    n_samples = validation.positive_int("n_samples", n_samples)
    noise = validation.non_negative_float("noise", noise)
    dtype = validation.any_float_dtype(dtype)
    rng = validation.rng(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    corner = np.arange(n_samples) % 4
    X = corners[corner]
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    y = ((corner == 1) | (corner == 2)).astype(np.int64)
    return X.astype(dtype), y


def make_spirals(n_samples=200, noise=0.05, seed=None, *, n_turns=1.5, dtype=np.float64):
    """Two interleaved spirals, a classic problem no linear model can solve.

    A point at position ``t ~ Uniform(0, 1)`` along spiral ``k`` (0 or 1) is at
    radius ``r = 0.1 + 0.9 t`` and angle ``2 pi n_turns t + k pi``; Gaussian noise
    is then added to both coordinates. Rows alternate between the spirals: row
    ``i`` has label ``i % 2``.

    Parameters
    ----------
    n_samples : int, default 200
        Total number of points (spiral 0 gets the extra one when odd).
    noise : float, default 0.05
        Standard deviation of the Gaussian noise on each coordinate (the arms are
        about ``0.3 / n_turns`` apart).
    seed : int, numpy.random.Generator or None, default None
        Seed of the positions and the noise.
    n_turns : float, default 1.5
        Number of turns of each spiral.
    dtype : numpy dtype, default numpy.float64
        Floating-point dtype of ``X``.

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n_samples, 2)``, coordinates roughly in ``[-1, 1]``.
    y : numpy.ndarray
        Shape ``(n_samples,)``, int64, 0 or 1.

    Raises
    ------
    TypeError
        If an argument has the wrong type (see :func:`make_xor`).
    ValueError
        If ``n_samples <= 0``, ``noise < 0`` or ``n_turns <= 0``.
    """
    n_samples = validation.positive_int("n_samples", n_samples)
    noise = validation.non_negative_float("noise", noise)
    n_turns = validation.positive_float("n_turns", n_turns)
    dtype = validation.any_float_dtype(dtype)
    rng = validation.rng(seed)
    y = (np.arange(n_samples) % 2).astype(np.int64)
    t = rng.random(n_samples)
    radius = 0.1 + 0.9 * t
    angle = 2.0 * np.pi * n_turns * t + np.pi * y
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
    return X.astype(dtype), y


def make_regression_curve(
    n_samples=100, noise=0.05, seed=None, *, n_features=1, dtype=np.float64
):
    """A noisy house-price style regression problem with a smooth nonlinear curve.

    Features are drawn uniformly from ``[0, 1]`` and stand for scaled house
    attributes: ``x0`` the floor area, ``x1`` the age, ``x2`` the distance to the
    town centre (the first ``n_features`` of them are used). The target "price" is

    ``f(x) = 0.1 + 0.8 / (1 + exp(-8 (x0 - 0.5)))  - 0.2 x1**2  - 0.15 sin(pi x2 / 2)``

    (terms for absent features dropped) plus Gaussian noise: small homes are
    cheap, prices climb fastest for mid-sized ones and level off for the largest,
    older and remoter homes are cheaper. With one feature, ``f`` lies in about
    ``[0.11, 0.89]``.

    ``X`` is drawn before the noise, so calling again with the same ``seed`` and
    ``noise=0`` gives the noiseless targets at the same points.

    Parameters
    ----------
    n_samples : int, default 100
        Number of examples.
    noise : float, default 0.05
        Standard deviation of the Gaussian noise added to the price.
    seed : int, numpy.random.Generator or None, default None
        Seed of the features and the noise.
    n_features : {1, 2, 3}, default 1
        Number of input features.
    dtype : numpy dtype, default numpy.float64
        Floating-point dtype of ``X`` and ``y``.

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n_samples, n_features)``, values in ``[0, 1]``.
    y : numpy.ndarray
        Shape ``(n_samples, 1)``, the noisy prices.

    Raises
    ------
    TypeError
        If an argument has the wrong type (see :func:`make_xor`).
    ValueError
        If ``n_samples <= 0``, ``noise < 0`` or ``n_features`` is not 1, 2 or 3.
    """
    n_samples = validation.positive_int("n_samples", n_samples)
    noise = validation.non_negative_float("noise", noise)
    n_features = validation.positive_int("n_features", n_features)
    if n_features > 3:
        raise ValueError(f"n_features must be 1, 2 or 3, got {n_features}")
    dtype = validation.any_float_dtype(dtype)
    rng = validation.rng(seed)
    X = rng.random((n_samples, n_features))
    price = 0.1 + 0.8 / (1.0 + np.exp(-8.0 * (X[:, 0] - 0.5)))
    if n_features >= 2:
        price -= 0.2 * X[:, 1] ** 2
    if n_features >= 3:
        price -= 0.15 * np.sin(np.pi * X[:, 2] / 2.0)
    if noise > 0:
        price = price + noise * rng.standard_normal(n_samples)
    return X.astype(dtype), price.reshape(-1, 1).astype(dtype)

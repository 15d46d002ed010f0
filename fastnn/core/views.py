"""Replaceable views: parameter arrays handed to the user as views into the flat parameter
vector, which the user may write into or replace.

``Network.weights``/``biases`` and the scikit-learn estimators' ``coefs_``/``intercepts_``
are such views. Writing into a view (``net.weights[0][...] = W``) changes the parameters at
once; replacing it (``net.weights[0] = W``, ``net.weights = [...]``) leaves an array the
parameters do not see, until ``take_replacements`` copies it in (checked) and puts the view
back in its place, which the owner does before every use of the parameters.
"""
from . import validation


def take_replacements(owner, name, views, *, label="", squeeze=False):
    """Copy into ``views`` whatever array stands in their place in ``owner.<name>``, and put
    the views back there.

    Parameters
    ----------
    owner : object
        Holds the attribute ``name``.
    name : str
        The attribute: a list of arrays when ``views`` is a list (each entry may have been
        replaced, or the whole list), else one array.
    views : list of ndarray, or ndarray
        The views the attribute held when bound.
    label : str
        Prefix of the attribute in error messages (``"net."``).
    squeeze : bool
        Accept any one-element array for a one-element view (scikit-learn's scalars).

    Raises
    ------
    ValueError
        A list of the wrong length, or an array of the wrong shape or not finite.
    TypeError
        An array that is not numeric.
    """
    current = getattr(owner, name)
    if isinstance(views, list):
        if not isinstance(current, list) or len(current) != len(views):
            raise ValueError(f"{label}{name} must be a list of {len(views)} arrays")
        for i, (array, view) in enumerate(zip(current, views)):
            if array is not view:
                _assign(f"{name}[{i}]", view, array, squeeze)
                current[i] = view
    elif current is not views:
        _assign(name, views, current, squeeze)
        setattr(owner, name, views)


def _assign(name, view, array, squeeze):
    """Copy a replacement ``array`` into ``view``: numeric, same shape, finite, cast."""
    array = validation._numeric(name, array)
    if squeeze and array.shape != view.shape and array.size == view.size == 1:
        array = array.reshape(view.shape)
    if array.shape != view.shape:
        raise ValueError(f"{name} must have shape {view.shape}, got {array.shape}")
    view[...] = validation.cast_finite(name, array, view.dtype)

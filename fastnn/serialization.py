"""Saving and loading networks: a NumPy ``.npz`` archive readable without pickle.

Format (version 1), one archive with these arrays:

``format``   the string "fastnn.Network"
``version``  int, the format version (files from newer versions are refused)
``config``   JSON string: sizes, activation, output_activation, cost, init, dtype, seed, engine
``theta``    the flat parameter vector in the network's dtype (layout: ``fastnn.parameters``)
``rng``      JSON string: the state of the network's random generator (shuffling resumes)

``save`` writes to a temporary file in the target's folder and renames it over the target,
so an interrupted save never leaves a half-written file at ``path``. The file is written to
exactly ``path`` (no ``.npz`` suffix is added).
"""
import json
import os
import tempfile
import zipfile

import numpy as np

FORMAT = "fastnn.Network"
VERSION = 1
KEYS = ("format", "version", "config", "theta", "rng")


def save(net, path):
    """Write ``net`` to ``path`` atomically."""
    path = os.fspath(path)
    config = {"sizes": list(net.sizes), "activation": net.activation,
              "output_activation": net.output_activation, "cost": net.cost, "init": net.init,
              "dtype": net.dtype.name, "seed": net.seed, "engine": net.engine}
    arrays = {"format": np.array(FORMAT), "version": np.array(VERSION),
              "config": np.array(json.dumps(config)), "theta": net._parameters(),
              "rng": np.array(json.dumps(net._rng.bit_generator.state))}
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".fastnn-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def load(path, engine=None):
    """Read a network written by ``Network.save``.

    Parameters
    ----------
    path : str or path-like
    engine : str or None
        Engine of the loaded network; None keeps the one it was saved with.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file is not a fastnn network file, is truncated or corrupt, or comes from a
        newer format version.
    """
    from .network import Network

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no fastnn network file at {path!r}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            missing = [key for key in KEYS if key not in archive.files]
            if missing or str(archive["format"]) != FORMAT:
                raise ValueError(f"not a fastnn network (missing {', '.join(missing) or 'format tag'})")
            version = int(archive["version"])
            if version > VERSION:
                raise ValueError(f"format version {version} is newer than this fastnn "
                                 f"reads ({VERSION}); upgrade fastnn")
            config = json.loads(str(archive["config"]))
            theta = archive["theta"]
            rng_state = json.loads(str(archive["rng"]))
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, json.JSONDecodeError,
            ValueError) as error:
        raise ValueError(f"{path!r} is not a readable fastnn network file: {error}") from error
    if engine is not None:
        config["engine"] = engine
    net = Network(**config)
    if theta.shape != net._theta.shape or theta.dtype != net.dtype:
        raise ValueError(f"{path!r}: parameters of shape {theta.shape} and dtype {theta.dtype} "
                         f"do not fit sizes {config['sizes']} and dtype {config['dtype']}")
    if not np.isfinite(theta).all():
        raise ValueError(f"{path!r}: the stored parameters contain NaN or infinity")
    net._theta[...] = theta
    net._rng.bit_generator.state = rng_state
    return net

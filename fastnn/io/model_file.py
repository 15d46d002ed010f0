"""Saving and loading networks: a NumPy ``.npz`` archive readable without pickle.

Format (version 2), one archive with these arrays:

``format``   the string "fastnn.Network"
``version``  int, the format version (files from newer versions are refused)
``config``   JSON string: the structure's configuration (``Topology.config``: sizes, activation,
             output_activation for a layered network), cost, init, dtype, seed, engine
``theta``    the flat parameter vector in the network's dtype (layout: ``fastnn.core.structure``)
``rng``      JSON string: the state of the network's random generator (shuffling resumes)
``training`` JSON string (version 2): ``{"optimizer": null | {"name", "config", "iterations",
             "epochs"}, "penalty": null | [l2, l1, n]}``, what training needs to resume
``optimizer_v``, ``optimizer_s``  (version 2) the optimizer's two state arrays (velocity or
             first moment; squared-gradient statistics), in the network's dtype, length 0
             when the rule keeps no such state or the network was never trained

Version 1 files (no ``training``) still load, as networks with no optimizer yet. Saving then
loading a network and calling ``fit`` continues exactly where the saved one would have:
parameters, optimizer state and counters (schedules and Adam's bias correction), and the
shuffling generator all carry over.

``save`` writes to a temporary file in the target's folder and renames it over the target,
so an interrupted save never leaves a half-written file at ``path``. The file is written to
exactly ``path`` (no ``.npz`` suffix is added).
"""
import json
import os
import secrets
import zipfile
import zlib
from collections import namedtuple

import numpy as np

FORMAT = "fastnn.Network"
VERSION = 2
KEYS = ("format", "version", "config", "theta", "rng")
"""Arrays every version has."""
KEYS_V2 = ("training", "optimizer_v", "optimizer_s")
"""Arrays added in version 2."""


def _training_state(net):
    """The ``training`` JSON record and the two optimizer state arrays of ``net``."""
    opt = net.optimizer
    empty = np.zeros(0, dtype=net.dtype)
    record = {"optimizer": None, "penalty": None if net._penalty is None else list(net._penalty)}
    if opt is None:
        return record, empty, empty
    record["optimizer"] = {"name": opt.name, "config": opt.get_config(),
                           "iterations": opt.iterations, "epochs": opt.epochs}
    v, s = opt._state if opt._state is not None else (empty, empty)
    return record, v, s


def save(net, path):
    """Write ``net`` to ``path`` atomically."""
    path = os.fspath(path)
    config = net.config()
    arrays = {"format": np.array(FORMAT), "version": np.array(VERSION),
              "config": np.array(json.dumps(config)), "theta": net._parameters(),
              "rng": np.array(json.dumps(net._rng.bit_generator.state))}
    training, v, s = _training_state(net)
    arrays.update(training=np.array(json.dumps(training)), optimizer_v=v, optimizer_s=s)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path!r}: folder {folder!r} does not exist")
    handle, temporary = _new_temporary_file(folder)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _new_temporary_file(folder):
    """A new file beside the target, created with the usual permissions (0o666 less the
    umask, as ``open`` gives; ``tempfile.mkstemp`` would make it readable by its owner only)."""
    for _ in range(100):
        temporary = os.path.join(folder, f".fastnn-{secrets.token_hex(8)}.tmp")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {folder!r}")


ModelRecord = namedtuple("ModelRecord", ["path", "config", "theta", "rng_state", "training"])
"""What ``read`` found in a model file: the network ``config`` dict, ``theta``, the generator
state and (version 2) the ``(training record, optimizer_v, optimizer_s)`` triple or None."""


def read(path):
    """Read and check a model file (``fastnn.load`` turns the record into a Network).

    Raises FileNotFoundError when ``path`` does not exist, ValueError naming the file when it
    is not a readable fastnn network file of a version this fastnn reads.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no fastnn network file at {path!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path!r} is not a readable fastnn network file: not an .npz (zip) "
                         f"archive, or a truncated one")
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
            training = None
            if version >= 2:
                missing = [key for key in KEYS_V2 if key not in archive.files]
                if missing:
                    raise ValueError(f"version {version} file without {', '.join(missing)}")
                training = (json.loads(str(archive["training"])), archive["optimizer_v"],
                            archive["optimizer_s"])
            if not isinstance(config, dict) or not isinstance(rng_state, dict) or (
                    training is not None and not isinstance(training[0], dict)):
                raise ValueError("config, rng or training is not a JSON object")
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, json.JSONDecodeError,
            ValueError, RuntimeError, zlib.error) as error:
        # RuntimeError: zipfile on a corrupt compression-method or encryption flag
        raise ValueError(f"{path!r} is not a readable fastnn network file: {error}") from error
    return ModelRecord(path, config, theta, rng_state, training)

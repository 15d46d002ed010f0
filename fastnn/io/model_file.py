"""Saving and loading networks: a NumPy ``.npz`` archive readable without pickle.

Format (version 3), one archive with these arrays:

``format``   the string "fastnn.Network"
``version``  int, the format version (files from newer versions are refused)
``config``   JSON string: the structure's configuration (``Topology.config``: sizes, activation,
             output_activation for a layered network; from version 3 also ``"kind": "graph"``
             with edges, inputs, outputs, activation, activations and bias for a graph, ids
             keeping their JSON type), cost, init, dtype, seed, engine
``theta``    the flat parameter vector in the network's dtype (layout: ``fastnn.core.structure``)
``rng``      JSON string: the state of the network's random generator (shuffling resumes)
``training`` JSON string (version 2): ``{"optimizer": null | {"name", "config", "iterations",
             "epochs"}, "penalty": null | [l2, l1, n]}``, what training needs to resume
``optimizer_v``, ``optimizer_s``  (version 2) the optimizer's two state arrays (velocity or
             first moment; squared-gradient statistics), in the network's dtype, length 0
             when the rule keeps no such state or the network was never trained

Version 1 files (no ``training``) still load, as networks with no optimizer yet; version 2
files (layered networks only, no ``kind``) load unchanged. Saving then
loading a network and calling ``fit`` continues exactly where the saved one would have:
parameters, optimizer state and counters (schedules and Adam's bias correction), and the
shuffling generator all carry over. A new version adds its keys to ``KEYS_BY_VERSION``.

Saving
------
``save`` writes to a temporary file ``.fastnn-<16 hex digits>.tmp`` in the target's folder and
renames it over the target, so an interrupted save never leaves a half-written file at
``path``. The file is written to exactly ``path`` (no ``.npz`` suffix is added). Further:

- Only regular files are written: a target that exists and is a directory, device, FIFO or
  socket is refused before anything is written (``ValueError``), so ``save("/dev/null")`` as
  root does not replace the system's ``/dev/null`` by a zip file.
- A symbolic link is followed: the file it points to is replaced and the link keeps pointing
  at the saved model (as ``open(path, "w")`` would).
- An existing file keeps its permission bits (and, where the process may set them, its owner
  and group). A file with several hard links is *replaced*, not rewritten in place: ``path``
  gets the new model and the other names keep the previous contents (the price of never
  leaving a half-written file).
- Temporary files of interrupted saves (killed processes) that are older than
  ``STALE_SECONDS`` are removed from the folder by the next save there; only regular files
  named exactly like fastnn's temporaries are touched.
- A network whose parameters or optimizer state hold NaN or infinity is refused (``load``
  would refuse the file), with the message naming the array.

Loading
-------
``read`` is bounded by the file, not by what it claims: a path that is not a regular file
(FIFO, device, directory, socket) is refused before it is opened for reading; every archive
member's declared size is checked before it is decompressed (JSON records at most
``MAX_RECORD_BYTES``; the config, which lists a graph's edges, ``config_limit``); the
parameter count a layered configuration implies is computed from its sizes
(``implied_parameters``) and compared with ``MAX_PARAMETERS`` and with the shape in the
``.npy`` header of ``theta`` before the structure is built or any parameter data is read
(other kinds: the structure is built, which allocates no parameters, and its
``n_parameters`` compared); the data size each array member declares must match its header;
the penalty and optimizer records are checked for type and range. Every problem is a
``ValueError`` naming the file.
"""
import json
import math
import numbers
import os
import re
import secrets
import stat
import time
import zipfile
import zlib
from collections import namedtuple

import numpy as np

from ..core import structure

FORMAT = "fastnn.Network"
VERSION = 3
"""3: graph networks (``config["kind"] == "graph"``); 2: training state; 1: parameters."""
KEYS = ("format", "version", "config", "theta", "rng")
"""Arrays every version has."""
KEYS_V2 = ("training", "optimizer_v", "optimizer_s")
"""Arrays added in version 2."""
KEYS_BY_VERSION = {1: KEYS, 2: KEYS + KEYS_V2, 3: KEYS + KEYS_V2}
"""The arrays a file of each version must hold."""

STALE_SECONDS = 60.0
"""A temporary file of fastnn's (``TEMPORARY_NAME``) older than this is left over from an
interrupted save; the next save to the folder removes it."""
TEMPORARY_NAME = re.compile(r"\.fastnn-[0-9a-f]{16}\.tmp")
MAX_RECORD_BYTES = 1 << 20
"""Largest JSON record (rng, training) ``read`` decompresses: 1 MiB."""
MAX_CONFIG_BYTES = 1 << 28
"""Largest ``config`` record of any file: 256 MiB (a graph network's config lists its edges,
about 15 bytes each: [784, 1000, 10] dense is 12 MB); see ``config_limit``."""
CONFIG_BYTES_PER_PARAMETER = 64


def config_limit(theta_shape):
    """Largest ``config`` record a file whose ``theta`` header has ``theta_shape`` may hold:
    ``MAX_RECORD_BYTES`` plus ``CONFIG_BYTES_PER_PARAMETER`` per stored parameter (a graph
    has fewer edges than parameters), at most ``MAX_CONFIG_BYTES``. A small network's file
    thus still refuses a config of more than 1 MiB before inflating it."""
    count = int(np.prod(theta_shape)) if len(theta_shape) == 1 else 0
    return min(MAX_CONFIG_BYTES, MAX_RECORD_BYTES + CONFIG_BYTES_PER_PARAMETER * count)
MAX_INFLATION = 100
"""A compressed array member larger than 64 MiB may inflate at most this many times its
stored size (``np.savez`` stores arrays uncompressed; a zip tool's deflate of real
parameters gains far less)."""

_KINDS_OF_FILE = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                  (stat.S_ISSOCK, "a socket"))


def kind_of_file(mode):
    """What a ``st_mode`` that is not a regular file is, in words."""
    for test, words in _KINDS_OF_FILE:
        if test(mode):
            return words
    return "not a regular file"


# --- saving --------------------------------------------------------------------------------

def consistent_state(net):
    """``(theta, rng_state, training record, v, s)`` of ``net``, all of one moment: its
    ``snapshot`` (while ``fit`` runs an epoch in another thread, the end of the last whole
    epoch; see ``Network.snapshot``) in the file's form."""
    snapshot = net.snapshot()
    empty = np.zeros(0, dtype=net.dtype)
    penalty = snapshot.penalty
    record = {"optimizer": None, "penalty": None if penalty is None else list(penalty)}
    v = s = empty
    opt = snapshot.optimizer
    if opt is not None:
        record["optimizer"] = {"name": opt.name, "config": opt.get_config(),
                               "iterations": snapshot.iterations, "epochs": snapshot.epochs}
        if snapshot.state is not None:
            v, s = snapshot.state
    return snapshot.theta, snapshot.rng, record, v, s


def _os_error(error, message):
    """``error``'s kind (and errno) with ``message``, which names the user's path."""
    new = type(error)(message)
    new.errno = error.errno  # (setting strerror too would make str() "[Errno n] strerror")
    return new


def check_target(path, what="save to"):
    """The file ``save`` will write for ``path`` (symbolic links resolved) and its ``os.stat``
    (None when it does not exist yet), after checking that it can be written.

    Raises FileNotFoundError when the folder does not exist, ValueError when the target
    exists and is not a regular file (or the folder is not a folder), PermissionError (or
    another OSError) naming ``path`` when no file can be created in the folder. Nothing is
    written: creating and removing a temporary file is the only test of writability that
    holds for root, read-only file systems and ``/proc`` alike.
    """
    path = os.fspath(path)
    target = os.path.realpath(path)
    try:
        status = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):  # the folder is checked below
        status = None
    except OSError as error:
        raise _os_error(error, f"cannot {what} {path!r}: {error.strerror}") from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise ValueError(f"cannot {what} {path!r}: it is {kind_of_file(status.st_mode)}, "
                         f"not a regular file; fastnn writes only regular files")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            raise ValueError(f"cannot {what} {path!r}: {folder!r} is not a folder")
        raise FileNotFoundError(f"cannot {what} {path!r}: folder {folder!r} does not exist")
    handle, temporary = _new_temporary_file(folder, path, what)
    os.close(handle)
    os.unlink(temporary)
    return target, status


def save(net, path):
    """Write ``net`` to ``path`` atomically (see the module docstring for what is refused,
    followed and kept)."""
    path = os.fspath(path)
    theta, rng, training, v, s = consistent_state(net)
    arrays = {"format": np.array(FORMAT), "version": np.array(VERSION),
              "config": np.array(json.dumps(net.config())), "theta": theta,
              "rng": np.array(json.dumps(rng))}
    arrays.update(training=np.array(json.dumps(training)), optimizer_v=v, optimizer_s=s)
    _check_finite(net, theta, v, s, path)
    target, status = check_target(path)
    folder = os.path.dirname(target)
    remove_stale_temporaries(folder)
    handle, temporary = _new_temporary_file(folder, path, "save to")
    try:
        if status is not None:
            _keep_mode_and_owner(handle, status)
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError) and error.errno is not None:
            # name the user's path, not the hidden temporary the error came from
            raise _os_error(error, f"cannot save to {path!r}: {error.strerror}") from error
        raise


def _check_finite(net, theta, v, s, path):
    """Refuse NaN or infinity in the parameters (naming the array) or the optimizer state."""
    if np.isfinite(theta).all() and np.isfinite(v).all() and np.isfinite(s).all():
        return
    weights, biases = net.topology.views(theta)
    for name, views in (("weights", weights), ("biases", biases)):
        items = enumerate(views) if isinstance(views, list) else [(None, views)]
        for l, view in items:
            bad = ~np.isfinite(view)
            if bad.any():
                label = f"net.{name}" + ("" if l is None else f"[{l}]")
                first = tuple(int(i) for i in np.argwhere(bad)[0])
                raise ValueError(f"cannot save to {path!r}: {label} holds {int(bad.sum())} NaN "
                                 f"or infinite value(s) (the first at index {first}); such a "
                                 f"file would not load. Set finite values or retrain.")
    raise ValueError(f"cannot save to {path!r}: the optimizer state holds NaN or infinity "
                     f"(net.optimizer); call net.optimizer.reset() or retrain")


def _keep_mode_and_owner(handle, status):
    """Give the new file the permission bits (and owner, where allowed) of the one it replaces."""
    os.fchmod(handle, stat.S_IMODE(status.st_mode))
    if (status.st_uid, status.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(handle, status.st_uid, status.st_gid)
        except PermissionError:
            pass  # an unprivileged user cannot give a file away; the mode is still kept


def _new_temporary_file(folder, path, what):
    """A new file beside the target, created with the usual permissions (0o666 less the
    umask, as ``open`` gives; ``tempfile.mkstemp`` would make it readable by its owner only).
    An error names the user's ``path``, not the temporary."""
    for _ in range(100):
        temporary = os.path.join(folder, f".fastnn-{secrets.token_hex(8)}.tmp")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
        except OSError as error:
            raise _os_error(error, f"cannot {what} {path!r}: no file can be created in "
                                   f"{folder!r} ({error.strerror})") from None
    raise FileExistsError(f"cannot {what} {path!r}: could not create a temporary file in "
                          f"{folder!r}")


def remove_stale_temporaries(folder, now=None):
    """Remove fastnn's temporary files older than ``STALE_SECONDS`` from ``folder`` (left by
    saves that were killed); returns their names. Only regular files (never links) named
    like ``TEMPORARY_NAME`` are touched, and errors are ignored: this is housekeeping."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not TEMPORARY_NAME.fullmatch(entry.name):
            continue
        try:
            status = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(status.st_mode) and now - status.st_mtime > STALE_SECONDS:
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            continue
    return removed


# --- loading -------------------------------------------------------------------------------

ModelRecord = namedtuple("ModelRecord", ["path", "config", "theta", "rng_state", "training",
                                         "topology"])
"""What ``read`` found in a model file: the network ``config`` dict, ``theta``, the generator
state, (version 2) the ``(training record, optimizer_v, optimizer_s)`` triple or None, and the
structure object ``config`` describes (checked against ``theta``)."""


def open_regular(path, what="fastnn network file"):
    """``path`` opened for binary reading, refused unless it is a regular file (checked
    before opening, and again on the open descriptor; opened with ``O_NONBLOCK`` so that a
    FIFO swapped in between cannot block)."""
    path = os.fspath(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"no {what} at {path!r}") from None
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(f"{path!r} is not a readable {what}: it is "
                         f"{kind_of_file(status.st_mode)}, not a regular file")
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise ValueError(f"{path!r} is not a readable {what}: it is "
                             f"{kind_of_file(status.st_mode)}, not a regular file")
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def read(path):
    """Read and check a model file (``fastnn.load`` turns the record into a Network).

    Raises FileNotFoundError when ``path`` does not exist, ValueError naming the file when it
    is not a readable fastnn network file of a version this fastnn reads (see "Loading" in
    the module docstring for the bounds that apply before anything large is read).
    """
    path = os.fspath(path)
    with open_regular(path) as file:
        try:
            return _read_archive(file, path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError,
                IndexError, json.JSONDecodeError, ValueError, TypeError, RuntimeError,
                NotImplementedError, OverflowError, MemoryError, RecursionError,
                zlib.error) as error:
            # RuntimeError: zipfile on a corrupt compression-method or encryption flag
            message = str(error)
            if message.startswith(repr(path)):
                raise ValueError(message) from error
            raise ValueError(f"{path!r} is not a readable fastnn network file: "
                             f"{message or type(error).__name__}") from error


def _read_archive(file, path):
    if not zipfile.is_zipfile(file):
        raise ValueError("not an .npz (zip) archive, or a truncated one")
    file.seek(0)
    with zipfile.ZipFile(file) as archive:
        members = {info.filename[:-4]: info for info in archive.infolist()
                   if info.filename.endswith(".npy")}
        missing = [key for key in KEYS if key not in members]
        if missing:
            raise ValueError(f"not a fastnn network (missing {', '.join(missing)})")
        if _record(archive, members["format"]) != FORMAT:
            raise ValueError("not a fastnn network (missing format tag)")
        version = _record(archive, members["version"], kind="int")
        if version > VERSION:
            raise ValueError(f"format version {version} is newer than this fastnn "
                             f"reads ({VERSION}); upgrade fastnn")
        if version < 1:
            raise ValueError(f"format version {version} is not one fastnn wrote")
        missing = [key for key in KEYS_BY_VERSION[version] if key not in members]
        if missing:
            raise ValueError(f"version {version} file without {', '.join(missing)}")
        shape, stored = _header(archive, members["theta"])
        config = _json(archive, members["config"], "config", config_limit(shape))
        rng_state = _json(archive, members["rng"], "rng")
        implied = implied_parameters(config)
        if implied is not None and (implied > structure.MAX_PARAMETERS or shape != (implied,)):
            if implied > structure.MAX_PARAMETERS:
                raise ValueError(f"{path!r}: invalid network configuration: sizes need "
                                 f"{implied:,} parameters, more than fastnn allows "
                                 f"({structure.MAX_PARAMETERS:,})")
            raise ValueError(f"{path!r}: parameters (theta) of shape {shape} and dtype {stored} "
                             f"do not fit this structure ({implied:,} parameters)")
        topology, dtype = _structure(config, path)
        n = topology.n_parameters
        theta = _array(archive, members["theta"], dtype, (n,), path, "parameters")
        training = None
        if version >= 2:
            record = _json(archive, members["training"], "training")
            optimizer = check_training_record(record, path)
            # a rule with no state, or one that never stepped, stores length-0 arrays
            shapes = [(0,), (n,)] if optimizer is not None else [(0,)]
            training = (record,) + tuple(
                _array(archive, members[key], dtype, shapes, path, "optimizer state")
                for key in ("optimizer_v", "optimizer_s"))
    if not np.isfinite(theta).all():
        raise ValueError(f"{path!r}: the stored parameters contain NaN or infinity")
    return ModelRecord(path, config, theta, rng_state, training, topology)


def _checked_size(info, limit, name):
    if info.file_size > limit:
        raise ValueError(f"the {name} record declares {info.file_size:,} bytes, more than a "
                         f"fastnn file holds ({limit:,})")


def _record(archive, info, kind="str", limit=MAX_RECORD_BYTES):
    """A 0-d string (or int) array member, its size bounded before it is decompressed."""
    _checked_size(info, limit, info.filename[:-4])
    with archive.open(info) as member:
        value = np.lib.format.read_array(member, allow_pickle=False)
    if value.shape != ():
        raise ValueError(f"{info.filename[:-4]} is not a single value")
    if kind == "int":
        if value.dtype.kind not in "iu":
            raise ValueError(f"{info.filename[:-4]} is not an integer")
        return int(value)
    if value.dtype.kind != "U":
        raise ValueError(f"{info.filename[:-4]} is not a string")
    return str(value)


def _json(archive, info, name, limit=MAX_RECORD_BYTES):
    value = json.loads(_record(archive, info, limit=limit))
    if not isinstance(value, dict):
        raise ValueError(f"{name} is not a JSON object")
    return value


def implied_parameters(config):
    """The parameter count a layered ``config`` implies, from its sizes alone (nothing built,
    nothing allocated), or None for another kind or malformed sizes (building the structure
    then reports them). Lets ``read`` compare it with the stored vector's ``.npy`` header
    before the structure is even built: a few-KB file may list 80,000 layers."""
    if config.get("kind", "layered") != "layered":
        return None
    sizes = config.get("sizes")
    if not (isinstance(sizes, list) and len(sizes) >= 2
            and all(type(n) is int and n >= 1 for n in sizes)):
        return None
    return sum(n * (m + 1) for m, n in zip(sizes[:-1], sizes[1:]))


def _header(archive, info):
    """``(shape, dtype)`` from the ``.npy`` header of an archive member; no data is read."""
    with archive.open(info) as member:
        shape, _, dtype = _read_header(member, info.filename[:-4])
    return shape, dtype


def _read_header(member, name):
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    if version in ((2, 0), (3, 0)):
        return np.lib.format.read_array_header_2_0(member)
    raise ValueError(f"{name}: unknown .npy version {version}")


def _structure(config, path):
    """The structure ``config`` describes and the dtype, built without allocating parameters
    (``Layered`` refuses more than ``MAX_PARAMETERS`` from its sizes alone)."""
    try:
        topology = structure.from_config(config)
        dtype = np.dtype(config["dtype"])
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        detail = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise ValueError(f"{path!r}: invalid network configuration: {detail}") from error
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"{path!r}: invalid network configuration: dtype {config['dtype']!r}")
    return topology, dtype


def _array(archive, info, dtype, shapes, path, what):
    """A 1-D array member of ``dtype`` whose ``.npy`` header gives one of ``shapes``; the header
    and the member's declared size are checked before its data is read."""
    shapes = [shapes] if isinstance(shapes, tuple) else shapes
    name = info.filename[:-4]
    with archive.open(info) as member:
        shape, fortran, stored = _read_header(member, name)
        if stored != dtype or shape not in shapes:
            expected = " or ".join(str(s) for s in shapes)
            raise ValueError(f"{path!r}: {what} ({name}) of shape {shape} and dtype {stored} "
                             f"do not fit this structure ({expected}, {dtype.name})")
        nbytes = math.prod(shape) * dtype.itemsize
        if info.file_size - member.tell() != nbytes:
            raise ValueError(f"{name}: the archive member holds {info.file_size - member.tell():,} "
                             f"data bytes, its header declares {nbytes:,}")
        if (info.compress_type != zipfile.ZIP_STORED and info.file_size > 64 << 20
                and info.file_size > MAX_INFLATION * info.compress_size):
            raise ValueError(f"{name}: {info.compress_size:,} compressed bytes claim to inflate "
                             f"to {info.file_size:,}, not a network's parameters")
        array = np.empty(shape, dtype=dtype)
        view = memoryview(array).cast("B")
        done = 0
        while done < nbytes:
            got = member.readinto(view[done:])
            if not got:
                raise EOFError(f"{name}: truncated data")
            done += got
    return array


def check_training_record(record, path):
    """Check a version-2 ``training`` record's types and ranges (the optimizer's own config is
    checked by its constructor in ``load``); returns its optimizer entry (or None)."""
    penalty = record.get("penalty")
    if penalty is not None:
        if not (isinstance(penalty, list) and len(penalty) == 3):
            raise ValueError(f"{path!r}: penalty record {penalty!r} is not [l2, l1, n]")
        l2, l1, n = penalty
        for name, value in (("l2", l2), ("l1", l1)):
            if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                    or not math.isfinite(value) or value < 0):
                raise ValueError(f"{path!r}: penalty record {name}={value!r} is not a finite "
                                 f"number >= 0")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{path!r}: penalty record n={n!r} is not a positive integer "
                             f"(the number of training samples)")
    optimizer = record.get("optimizer")
    if optimizer is not None:
        if not isinstance(optimizer, dict) or not isinstance(optimizer.get("config"), dict):
            raise ValueError(f"{path!r}: optimizer record {optimizer!r} is not "
                             f"{{name, config, iterations, epochs}}")
        for key in ("iterations", "epochs"):
            value = optimizer.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
                raise ValueError(f"{path!r}: optimizer record {key}={value!r} is not an "
                                 f"integer >= 0")
    return optimizer

"""Reliability (issue 16): hostile files and paths, pickled networks, divergence in float64.

Every hostile file is built here, and reading it is held to a memory bound (tracemalloc
counts NumPy's allocations too): a few-KB file claiming gigabytes must be refused within a few
MB. How long the refusals take is measured by ``benchmarks/test_hostile_files.py`` (wall
time depends on the machine and its load, so it is no unit test's business). The tests run as
root in CI; device and socket cases are built with ``mknod`` / ``socket`` and skipped (with the
reason) where the platform cannot build them.
"""
import copy
import gzip
import io
import json
import os
import pickle
import signal
import socket
import stat
import struct
import time
import tracemalloc
import zipfile
from contextlib import contextmanager

import numpy as np
import pytest

import fastnn
from fastnn.io import idx, model_file
from fastnn.training import fit as fit_module

MEGABYTES = 16


@contextmanager
def bounded(megabytes=MEGABYTES):
    """The block allocates at most ``megabytes`` at its peak."""
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < megabytes * 2**20, f"peak {peak / 2**20:.1f} MB"


@contextmanager
def no_hang(seconds=10):
    """Fail instead of hanging (a FIFO opened for reading blocks until a writer comes)."""
    def alarm(*_):
        raise TimeoutError(f"blocked for {seconds} s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def character_device(path):
    """A copy of /dev/null's device node at ``path`` (needs root)."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError) as error:
        pytest.skip(f"cannot create a character device here ({error}); needs root")
    return path


def unix_socket(path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
    except OSError as error:
        server.close()
        pytest.skip(f"cannot bind a unix socket at {path} ({error})")
    return server


@pytest.fixture
def saved(tmp_path):
    """A small trained network saved to model.npz (and read once, so that lazy imports do
    not count against the bounds), with its arrays."""
    net = fastnn.Network([3, 4, 2], seed=0, engine="numpy")
    net.fit(np.eye(3), [0, 1, 0], epochs=2, optimizer="adam", l2=0.1)
    path = tmp_path / "model.npz"
    net.save(path)
    fastnn.load(path)
    with np.load(path) as archive:
        arrays = dict(archive)
    return path, arrays


def rewrite(path, arrays, **changes):
    np.savez(path, **{**arrays, **changes})
    return path


# --- 1. saving never damages what is not a model file --------------------------------------

@pytest.mark.parametrize("kind", ["character device", "fifo", "directory", "socket"])
def test_save_refuses_non_regular_targets_without_touching_them(tmp_path, kind):
    target = tmp_path / "target"
    server = None
    if kind == "character device":
        character_device(target)
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        server = unix_socket(target)
    before = os.lstat(target)
    try:
        with no_hang(), pytest.raises(ValueError, match="not a regular file") as info:
            fastnn.Network([3, 2], seed=0).save(target)
    finally:
        if server is not None:
            server.close()
    assert str(target) in str(info.value) and ".fastnn-" not in str(info.value)
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino, after.st_rdev) == (before.st_mode, before.st_ino,
                                                            before.st_rdev)
    assert [p.name for p in tmp_path.iterdir()] == ["target"]  # no temporary left behind


def test_save_keeps_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    fastnn.Network([3, 2], seed=0).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o640)
    fastnn.Network([3, 2], seed=1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_save_follows_a_symlink_and_the_link_keeps_pointing_at_the_model(tmp_path):
    real = tmp_path / "real.npz"
    fastnn.Network([3, 2], seed=0).save(real)
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    net = fastnn.Network([3, 2], seed=7)
    net.save(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    np.testing.assert_array_equal(fastnn.load(real).parameters(), net.parameters())
    np.testing.assert_array_equal(fastnn.load(link).parameters(), net.parameters())
    dangling = tmp_path / "dangling.npz"
    dangling.symlink_to(tmp_path / "new.npz")
    net.save(dangling)  # like open(path, "w"): the file the link names is created
    assert dangling.is_symlink() and (tmp_path / "new.npz").is_file()
    device = character_device(tmp_path / "dev")
    to_device = tmp_path / "to_device.npz"
    to_device.symlink_to(device)
    with pytest.raises(ValueError, match="character device"):
        net.save(to_device)
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_save_over_a_hard_link_replaces_the_name_saved_to_only(tmp_path):
    """Documented: the save is a rename, so the other names keep the previous model."""
    first = tmp_path / "a.npz"
    old = fastnn.Network([3, 2], seed=0)
    old.save(first)
    second = tmp_path / "b.npz"
    os.link(first, second)
    new = fastnn.Network([3, 2], seed=1)
    new.save(first)
    np.testing.assert_array_equal(fastnn.load(first).parameters(), new.parameters())
    np.testing.assert_array_equal(fastnn.load(second).parameters(), old.parameters())
    assert os.stat(second).st_nlink == 1


def test_next_save_removes_stale_temporaries_only(tmp_path):
    old = time.time() - 2 * model_file.STALE_SECONDS
    stale = tmp_path / ".fastnn-0123456789abcdef.tmp"
    fresh = tmp_path / ".fastnn-fedcba9876543210.tmp"
    foreign = tmp_path / ".fastnn-mine.tmp"
    other = tmp_path / "notes.tmp"
    for path in (stale, fresh, foreign, other):
        path.write_bytes(b"x" * 100)
    linked_target = tmp_path / "precious"
    linked_target.write_bytes(b"keep")
    link = tmp_path / ".fastnn-00000000000000aa.tmp"
    link.symlink_to(linked_target)
    for path in (stale, foreign, other, linked_target):
        os.utime(path, (old, old))
    os.utime(link, (old, old), follow_symlinks=False)
    fastnn.Network([3, 2], seed=0).save(tmp_path / "m.npz")
    assert not stale.exists()
    for path in (fresh, foreign, other, link, linked_target):
        assert os.path.lexists(path), path.name
    assert linked_target.read_bytes() == b"keep"


def test_kill_9_during_saves_leaves_only_cleanable_temporaries(tmp_path):
    """A save killed mid-write leaves its temporary; the next save removes it once stale."""
    path = tmp_path / "m.npz"
    net = fastnn.Network([3, 2], seed=0)
    net.save(path)
    handle, temporary = model_file._new_temporary_file(str(tmp_path), str(path), "save to")
    os.write(handle, b"half a zip")  # what a killed save leaves
    os.close(handle)
    net.save(path)
    assert os.path.exists(temporary)  # too young to be stale: may be a save in progress
    os.utime(temporary, (time.time() - 120, time.time() - 120))
    net.save(path)
    assert not os.path.exists(temporary)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]
    fastnn.load(path)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_save_refuses_non_finite_parameters_naming_them(tmp_path, value):
    net = fastnn.Network([3, 4, 2], seed=0)
    net.weights[1][1, 2] = value
    path = tmp_path / "m.npz"
    with pytest.raises(ValueError, match=r"net\.weights\[1\] holds 1 NaN or infinite") as info:
        net.save(path)
    assert "(1, 2)" in str(info.value) and str(path) in str(info.value)
    assert list(tmp_path.iterdir()) == []
    net.weights[1][1, 2] = 0.5
    net.biases[0][3] = value
    with pytest.raises(ValueError, match=r"net\.biases\[0\]"):
        net.save(path)


def test_save_errors_name_the_users_path_not_the_temporary(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(ValueError, match="is not a folder") as info:
        fastnn.Network([3, 2]).save(blocker / "m.npz")
    assert str(blocker / "m.npz") in str(info.value)
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    with pytest.raises(OSError) as info:  # root may write read-only folders, not /proc
        fastnn.Network([3, 2]).save("/proc/fastnn-model.npz")
    assert "/proc/fastnn-model.npz" in str(info.value) and ".fastnn-" not in str(info.value)


# --- 2. loading is bounded by the file, not by what it claims ---------------------------------

def test_sizes_claiming_gigabytes_are_refused_before_allocating(saved):
    path, arrays = saved
    config = json.loads(str(arrays["config"]))
    for sizes, says in [([1000, 125000, 1], "do not fit"), ([3, 10**10, 2], "do not fit"),
                        ([3, 10**30, 2], "more than fastnn allows"),
                        ([784, 10**11, 10], "more than fastnn allows")]:
        rewrite(path, arrays, config=np.array(json.dumps({**config, "sizes": sizes})))
        assert path.stat().st_size < 8000
        with bounded(), pytest.raises(ValueError, match=says) as info:
            fastnn.load(path)
        assert str(path) in str(info.value)


@pytest.mark.parametrize("sizes", [[3], [3, 0, 2], [3, -4, 2], [3, 2.5, 2], [3, True, 2],
                                   [3, "4", 2], "3,4,2", None, [3, [4], 2]])
def test_malformed_sizes_are_value_errors(saved, sizes):
    path, arrays = saved
    config = json.loads(str(arrays["config"]))
    rewrite(path, arrays, config=np.array(json.dumps({**config, "sizes": sizes})))
    with bounded(), pytest.raises(ValueError, match="model.npz"):
        fastnn.load(path)


def _npz(path, members, compression=zipfile.ZIP_STORED):
    """An .npz written member by member: {name: bytes of a .npy file}."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name + ".npy", data)
    return path


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _npy_header_only(shape, dtype="<f8", data=b""):
    """A .npy whose header claims ``shape`` but which holds only ``data``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def test_a_parameter_header_claiming_gigabytes_is_not_allocated(saved, tmp_path):
    """Config and theta header agree on 10**9 parameters; the file holds 8 bytes of them."""
    path, arrays = saved
    config = json.loads(str(arrays["config"]))
    hidden = 333333333  # [1, h, 1] has 3h + 1 = 10**9 parameters
    members = {key: _npy(value) for key, value in arrays.items()}
    members["config"] = _npy(np.array(json.dumps({**config, "sizes": [1, hidden, 1]})))
    members["theta"] = _npy_header_only((10**9,), data=bytes(8))
    members["optimizer_v"] = members["optimizer_s"] = _npy(np.zeros(0))
    hostile = _npz(tmp_path / "claims.npz", members)
    assert hostile.stat().st_size < 8000
    with bounded(), pytest.raises(ValueError, match="header declares 8,000,000,000"):
        fastnn.load(hostile)
    members["theta"] = _npy_header_only((10**9,), dtype="|O", data=bytes(8))
    with bounded(), pytest.raises(ValueError, match="dtype object"):
        fastnn.load(_npz(tmp_path / "objects.npz", members))


def test_a_config_listing_80000_layers_is_refused_from_the_header(saved, tmp_path):
    path, arrays = saved
    members = {key: _npy(value) for key, value in arrays.items()}
    config = json.loads(str(arrays["config"]))
    members["config"] = _npy(np.array(json.dumps({**config, "sizes": [1] * 80_000})))
    hostile = _npz(tmp_path / "deep.npz", members, zipfile.ZIP_DEFLATED)
    assert hostile.stat().st_size < 8000
    with bounded(), pytest.raises(ValueError, match="159,998 parameters"):
        fastnn.load(hostile)


def test_a_compressed_record_bomb_is_refused_before_inflating(saved, tmp_path):
    path, arrays = saved
    members = {key: _npy(value) for key, value in arrays.items()}
    config = json.loads(str(arrays["config"]))
    members["config"] = _npy(np.array(json.dumps({**config, "padding": " " * (16 << 20)})))
    hostile = _npz(tmp_path / "bomb.npz", members, zipfile.ZIP_DEFLATED)
    assert hostile.stat().st_size < 200_000
    with bounded(), pytest.raises(ValueError, match="more than a fastnn file holds"):
        fastnn.load(hostile)


@pytest.mark.parametrize("penalty, says", [
    ([0.1, 0.0, 0], "n=0"), ([-0.1, 0.0, 5], "l2=-0.1"), ([0.1, -2, 5], "l1=-2"),
    ([0.1, 0.0, 2.5], "n=2.5"), ([0.1, 0.0, True], "n=True"), ([1, 2], "is not"),
    ("0.1", "is not"), ([None, 0, 5], "l2=None"), ([1e400, 0, 5], "l2=inf")])
def test_bad_penalty_records_are_value_errors(saved, penalty, says):
    path, arrays = saved
    training = json.loads(str(arrays["training"]))
    text = json.dumps({**training, "penalty": penalty}).replace("Infinity", "1e400")
    rewrite(path, arrays, training=np.array(text))
    with bounded(), pytest.raises(ValueError, match=says) as info:
        fastnn.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("change", [{"iterations": -1}, {"epochs": "3"}, {"config": [1]},
                                    {"name": "lbfgs"}, {"config": {"beta1": 7}}])
def test_bad_optimizer_records_are_value_errors(saved, change):
    path, arrays = saved
    training = json.loads(str(arrays["training"]))
    training["optimizer"].update(change)
    rewrite(path, arrays, training=np.array(json.dumps(training)))
    with pytest.raises(ValueError, match="model.npz"):
        fastnn.load(path)


def test_optimizer_state_of_the_wrong_length_is_refused_unread(saved):
    path, arrays = saved
    rewrite(path, arrays, optimizer_v=np.zeros(3))
    with pytest.raises(ValueError, match="optimizer state"):
        fastnn.load(path)


def _non_regular(kind, tmp_path):
    if kind == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
        return path
    if kind == "directory":
        return tmp_path
    if kind == "character device":
        return character_device(tmp_path / "null")
    if kind == "socket":
        path = tmp_path / "socket"
        unix_socket(path).close()  # the socket file stays after the socket is closed
        return path
    if not os.path.exists(kind):
        pytest.skip(f"{kind} does not exist here")
    return kind


NON_REGULAR = ["fifo", "directory", "character device", "socket", "/dev/zero", "/dev/urandom"]


@pytest.mark.parametrize("kind", NON_REGULAR)
def test_load_refuses_non_regular_files_without_reading(tmp_path, kind):
    path = _non_regular(kind, tmp_path)
    with no_hang(), bounded(), pytest.raises(ValueError, match="not a regular file") as info:
        fastnn.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("kind", NON_REGULAR)
def test_read_idx_refuses_non_regular_files_without_reading(tmp_path, kind):
    path = _non_regular(kind, tmp_path)
    with no_hang(), bounded(), pytest.raises(ValueError, match="not a regular file"):
        idx.read_idx(path)


def test_open_regular_rechecks_the_descriptor(tmp_path, monkeypatch):
    """A FIFO swapped in between the check and the open neither blocks nor is read."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(model_file.os, "stat",
                        lambda p, *a, **k: real_stat(__file__) if str(p) == str(fifo)
                        else real_stat(p, *a, **k))
    with no_hang(), pytest.raises(ValueError, match="FIFO"):
        fastnn.load(fifo)


def _gzip_zeros(megabytes):
    return gzip.compress(bytes(megabytes << 20), compresslevel=9, mtime=0)


def test_idx_gzip_bomb_is_rejected_after_the_declared_size(tmp_path, monkeypatch):
    """A 1 MB gzip file inflating to 1 GiB behind a header that declares 1 byte: refused after
    inflating the header, the byte and one probe for trailing data, no further."""
    header = struct.pack(">BBBBi", 0, 0, 0x08, 1, 1) + b"\x07"
    block = _gzip_zeros(64)  # gzip members concatenate: 16 of them inflate to 1 GiB
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(header, mtime=0) + block * 16)
    assert path.stat().st_size < 1.2e6
    inflated = []

    class Counting(gzip.GzipFile):
        """Counts the inflated bytes the reader takes."""
        def read(self, size=-1):
            data = super().read(size)
            inflated.append(len(data))
            return data

        def readinto(self, buffer):
            count = super().readinto(buffer)
            inflated.append(count)
            return count

    monkeypatch.setattr(gzip, "GzipFile", Counting)
    with bounded(), pytest.raises(ValueError, match="trailing bytes") as info:
        idx.read_idx(path)
    assert str(path) in str(info.value)
    # the header, the declared byte and the probe for trailing data: kilobytes, not a GiB
    assert 0 < sum(inflated) <= len(header) + 2 * idx.TRAILING_PROBE


def test_idx_header_claiming_more_than_the_file_can_hold_is_not_allocated(tmp_path):
    huge = struct.pack(">BBBBiii", 0, 0, 0x0E, 3, 2**31 - 1, 2**31 - 1, 2**31 - 1)
    for name, data, says in [("raw.idx", huge + bytes(1000), "missing"),
                             ("packed.gz", gzip.compress(huge + bytes(1000)), "at most")]:
        path = tmp_path / name
        path.write_bytes(data)
        with bounded(), pytest.raises(ValueError, match=says):
            idx.read_idx(path)
    # within deflate's reach but truncated: allocated (about 1 MB here), then refused
    path = tmp_path / "short.gz"
    noise = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(struct.pack(">BBBBi", 0, 0, 0x08, 1, 1 << 20) + noise))
    with bounded(), pytest.raises(ValueError, match="truncated"):
        idx.read_idx(path)


def test_idx_reads_large_valid_files_in_one_allocation(tmp_path):
    array = np.arange(3 << 20, dtype=np.uint8).reshape(3, 1024, 1024)
    path = idx.write_idx(tmp_path / "big.gz", array)
    with bounded(megabytes=3 * 3 + 4):  # the result (3 MiB) twice, plus buffers
        back = idx.read_idx(path)
    np.testing.assert_array_equal(back, array)


# --- 4. a pickled network is the same network --------------------------------------------------

COPIES = {"pickle": lambda net: pickle.loads(pickle.dumps(net)),
          "deepcopy": copy.deepcopy, "copy": copy.copy}


@pytest.mark.parametrize("engine", ["numba", "numpy"])
@pytest.mark.parametrize("how", list(COPIES))
def test_copied_network_is_the_same_network(rng, engine, how):
    X = rng.standard_normal((40, 4))
    y = rng.integers(0, 3, 40)
    net = fastnn.Network([4, 6, 5, 3], activation="tanh", output_activation="softmax",
                         cost="log_likelihood", seed=3, engine=engine)
    net.fit(X, y, epochs=2, batch_size=8, optimizer="adam", learning_rate=0.01, l2=0.1)
    net.weights[1] = net.weights[1] * 0.5  # a replaced entry, not yet copied into theta
    twin = COPIES[how](net)
    for views in (twin.weights, twin.biases):
        for view in views:
            assert np.shares_memory(view, twin.parameters())
            assert not np.shares_memory(view, net.parameters())
    np.testing.assert_array_equal(twin.predict(X), net.predict(X))
    assert twin.evaluate(X, y) == net.evaluate(X, y)  # same penalty record too
    for other in (net, twin):
        other.fit(X, y, epochs=3, batch_size=8)  # continues Adam and the shuffling
    np.testing.assert_array_equal(twin.parameters(), net.parameters())
    assert twin.optimizer.iterations == net.optimizer.iterations
    np.testing.assert_array_equal(twin.weights[0],  # views follow training, not stale
                                  twin.parameters()[:24].reshape(6, 4))
    twin.weights[0][...] = 0  # in-place assignment reaches predict, not the original
    assert not np.array_equal(twin.predict(X), net.predict(X))
    assert np.any(net.weights[0] != 0)


def test_copied_network_saves_what_its_weights_show(tmp_path):
    net = fastnn.Network([3, 4, 2], seed=0)
    twin = pickle.loads(pickle.dumps(net))
    twin.weights[0][...] = 0.25
    twin.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(fastnn.load(tmp_path / "m.npz").weights[0], 0.25)
    twin.fit(np.eye(3), [0, 1, 1], epochs=1)  # training after unpickling is not refused
    assert not np.all(twin.weights[0] == 0.25)


# --- 5. divergence is caught where it happens ----------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_huge_learning_rate_diverges_in_both_dtypes(rng, dtype):
    X, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    net = fastnn.Network([3, 5, 1], activation="tanh", output_activation="identity",
                         dtype=dtype, seed=0, engine="numpy")
    before = net.parameters().copy()
    with pytest.raises(fastnn.TrainingDiverged) as info:
        net.fit(X, y, epochs=3, learning_rate=1e300 if dtype == "float64" else 1e30)
    assert info.value.epoch == 1 and info.value.cause == "learning rate"
    np.testing.assert_array_equal(net.parameters(), before)  # kept from before training
    assert np.abs(net.parameters()).max() < 10
    assert len(str(info.value)) < 400


def test_divergence_rule():
    theta = np.array([1.0, -2.0])
    assert fit_module.diverged(0.5, theta, None) is None
    assert fit_module.diverged(np.nan, theta, None)[0] == "the training cost"
    assert "NaN" in fit_module.diverged(0.5, np.array([1.0, np.nan]), None)[1]
    assert "NaN" in fit_module.diverged(0.5, np.array([1.0, -np.inf]), None)[1]
    assert "past 1.34e+154" in fit_module.diverged(0.5, np.array([0.0, -1e155]), None)[1]
    assert fit_module.diverged(0.5, np.array([0.0, -1e153]), None) is None
    assert "past 1.84e+19" in fit_module.diverged(0.5, np.array([2e19], np.float32), None)[1]
    assert fit_module.diverged(0.9e8, theta, 0.01) is None  # growth from below 1: floor 1
    assert "grew to 1.1e+08" in fit_module.diverged(1.1e8, theta, 0.01)[1]
    assert fit_module.diverged(9e9, theta, 100.0) is None
    assert "more than 1e+08 times" in fit_module.diverged(1.1e10, theta, 100.0)[1]


def test_cost_growth_is_caught(rng):
    """An identity network whose weights grow steadily (not to infinity) on large targets."""
    X = rng.standard_normal((10, 2))
    y = 1e3 * rng.standard_normal((10, 1))
    net = fastnn.Network([2, 1], activation="identity", seed=0, engine="numpy")
    with pytest.raises(fastnn.TrainingDiverged, match="training cost grew") as info:
        net.fit(X, y, epochs=100, batch_size=10, learning_rate=3.0)
    assert 1 < info.value.epoch < 100


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
def test_a_divergence_caused_by_the_penalty_names_the_penalty(rng, optimizer):
    X = rng.standard_normal((20, 3))
    y = rng.integers(0, 2, 20)
    net = fastnn.Network([3, 4, 2], seed=0, engine="numpy")
    with pytest.raises(fastnn.TrainingDiverged, match="L2 penalty") as info:
        net.fit(X, y, epochs=50, learning_rate=0.5, optimizer=optimizer, l2=4000.0)
    assert info.value.cause == "L2 penalty" and "l2 <" in str(info.value)
    limit = fit_module.PENALTY_STABILITY[optimizer](net.optimizer)
    stable = fastnn.Network([3, 4, 2], seed=0, engine="numpy")  # just below the limit
    stable.fit(X, y, epochs=50, learning_rate=0.5, optimizer=optimizer,
               l2=0.9 * limit * 20 / 0.5)


# --- 6. error messages name the real cause ------------------------------------------------------

def test_a_float32_cast_that_overflows_says_so():
    net = fastnn.Network([3, 2], dtype="float32", seed=0)
    net.weights[0] = np.full((2, 3), 1e39)
    with pytest.raises(ValueError, match=r"weights\[0\] has values beyond the range of "
                                         r"float32 \(largest magnitude 1e\+39"):
        net.predict(np.ones((1, 3)))
    net.weights[0] = np.full((2, 3), np.nan)
    with pytest.raises(ValueError, match=r"weights\[0\] contains NaN"):
        net.predict(np.ones((1, 3)))
    with pytest.raises(ValueError, match="X has values beyond the range of float32"):
        fastnn.Network([3, 2], dtype="float32").predict(np.full((1, 3), -1e39))

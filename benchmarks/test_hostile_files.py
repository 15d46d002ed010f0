"""pytest-benchmark suite: how long fastnn takes to refuse hostile files (issue 16).

``tests/test_reliability.py`` checks that every hostile file is refused, with the right
message, within a memory bound; the time a refusal takes depends on the machine and its load,
so it is measured here instead:

    pytest benchmarks/test_hostile_files.py --benchmark-only

A few-KB file claiming gigabytes is expected to be refused in well under ``SECONDS`` (the
extra_info of each row says whether it was); a large valid file is read for comparison.
"""
import gzip
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn.io import idx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_reliability import _npy, _npy_header_only, _npz  # noqa: E402 - the tests' builders

SECONDS = 0.5
"""The bound the refusals are held to (the mean of the timed rounds), reported per row."""




@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small trained network's model file, as {member name: .npy bytes}, and its config."""
    net = fastnn.Network([3, 4, 2], seed=0, engine="numpy")
    net.fit(np.eye(3), [0, 1, 0], epochs=2, optimizer="adam", l2=0.1)
    path = tmp_path_factory.mktemp("model") / "model.npz"
    net.save(path)
    fastnn.load(path)  # lazy imports outside the timing
    with np.load(path) as archive:
        arrays = dict(archive)
    members = {key: _npy(value) for key, value in arrays.items()}
    return members, json.loads(str(arrays["config"]))


def _sizes_claiming_gigabytes(folder, members, config):
    changed = dict(members, config=_npy(np.array(json.dumps({**config,
                                                             "sizes": [784, 10**11, 10]}))))
    return _npz(folder / "sizes.npz", changed), fastnn.load


def _parameter_header_claiming_gigabytes(folder, members, config):
    changed = dict(members, config=_npy(np.array(json.dumps({**config,
                                                             "sizes": [1, 333333333, 1]}))),
                   theta=_npy_header_only((10**9,), data=bytes(8)))
    changed["optimizer_v"] = changed["optimizer_s"] = _npy(np.zeros(0))
    return _npz(folder / "claims.npz", changed), fastnn.load


def _config_listing_80000_layers(folder, members, config):
    changed = dict(members, config=_npy(np.array(json.dumps({**config, "sizes": [1] * 80_000}))))
    return _npz(folder / "deep.npz", changed, zipfile.ZIP_DEFLATED), fastnn.load


def _compressed_record_bomb(folder, members, config):
    padded = {**config, "padding": " " * (16 << 20)}
    changed = dict(members, config=_npy(np.array(json.dumps(padded))))
    return _npz(folder / "bomb.npz", changed, zipfile.ZIP_DEFLATED), fastnn.load


def _idx_gzip_bomb(folder, members, config):
    header = struct.pack(">BBBBi", 0, 0, 0x08, 1, 1) + b"\x07"
    block = gzip.compress(bytes(64 << 20), compresslevel=9, mtime=0)
    path = folder / "bomb.gz"
    path.write_bytes(gzip.compress(header, mtime=0) + block * 16)  # inflates to 1 GiB
    return path, idx.read_idx


def _idx_header_claiming_terabytes(folder, members, config):
    huge = struct.pack(">BBBBiii", 0, 0, 0x0E, 3, 2**31 - 1, 2**31 - 1, 2**31 - 1)
    path = folder / "packed.gz"
    path.write_bytes(gzip.compress(huge + bytes(1000)))
    return path, idx.read_idx


HOSTILE = {"sizes claiming gigabytes": _sizes_claiming_gigabytes,
           "parameter header claiming gigabytes": _parameter_header_claiming_gigabytes,
           "config listing 80,000 layers": _config_listing_80000_layers,
           "compressed record bomb": _compressed_record_bomb,
           "idx gzip bomb (1 GiB)": _idx_gzip_bomb,
           "idx header claiming terabytes": _idx_header_claiming_terabytes}


def _refused(read, path):
    try:
        read(path)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("case", list(HOSTILE))
def test_refusing_a_hostile_file(benchmark, saved, tmp_path, case):
    path, read = HOSTILE[case](tmp_path, *saved)
    benchmark.group = "refusing hostile files"
    benchmark.extra_info.update(file_bytes=path.stat().st_size, bound_seconds=SECONDS)
    refused = benchmark.pedantic(_refused, args=(read, path), rounds=5, iterations=1,
                                 warmup_rounds=1)
    assert refused
    if benchmark.stats is not None:  # None with --benchmark-disable
        benchmark.extra_info["within_bound"] = bool(benchmark.stats.stats.mean < SECONDS)


def test_reading_a_large_valid_idx_file(benchmark, tmp_path):
    """For comparison: 3 MiB of valid gzip IDX, read in one allocation."""
    array = np.arange(3 << 20, dtype=np.uint8).reshape(3, 1024, 1024)
    path = idx.write_idx(tmp_path / "big.gz", array)
    benchmark.group = "refusing hostile files"
    back = benchmark.pedantic(idx.read_idx, args=(path,), rounds=5, iterations=1,
                              warmup_rounds=1)
    np.testing.assert_array_equal(back, array)

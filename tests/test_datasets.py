"""Tests for fastnn.datasets: IDX reading/writing, MNIST loaders, the bundled
sample and the synthetic generators."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from fastnn import datasets as ds
from fastnn.datasets import (
    find_mnist_files,
    load_fashion_mnist,
    load_mnist,
    load_mnist_sample,
    make_regression_curve,
    make_spirals,
    make_xor,
    mnist_sample_indices,
    read_idx,
    write_idx,
)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

STEMS = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


def need_shared(kind="mnist"):
    if not (SHARED_DATA / kind / (STEMS[0] + ".gz")).is_file():
        pytest.skip(f"real {kind} not available at {SHARED_DATA / kind}")
    return SHARED_DATA


def idx_bytes(array, code):
    """Encode an array as IDX by hand, independently of write_idx."""
    array = np.asarray(array)
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}i", *array.shape)
    big = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    return header + array.astype(big[code]).tobytes()


def write_fake_mnist(folder, n_train=12, n_test=5, seed=0):
    """Write four small MNIST-format files; return the raw arrays."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        STEMS[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        STEMS[1]: (np.arange(n_train) % 10).astype(np.uint8),
        STEMS[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        STEMS[3]: (np.arange(n_test) % 10)[::-1].astype(np.uint8),
    }
    for stem, array in arrays.items():
        (folder / (stem + ".gz")).write_bytes(gzip.compress(idx_bytes(array, 0x08)))
    return arrays


# ---------------------------------------------------------------------------
# IDX reader and writer
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize(
    "code, dtype, shape",
    [
        (0x08, np.uint8, (3, 4, 5)),
        (0x08, np.uint8, (7,)),
        (0x09, np.int8, (2, 3)),
        (0x0B, np.int16, (4,)),
        (0x0C, np.int32, (2, 2, 2, 2)),
        (0x0D, np.float32, (3, 2)),
        (0x0E, np.float64, (5,)),
        (0x08, np.uint8, (0, 28, 28)),
    ],
)
def test_read_idx_hand_written_files(tmp_path, compressed, code, dtype, shape):
    rng = np.random.default_rng(1)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        array = rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
    else:
        array = rng.standard_normal(shape).astype(dtype)
    data = idx_bytes(array, code)
    # No .gz suffix on either: compression must be detected from the magic bytes.
    path = tmp_path / "file.idx"
    path.write_bytes(gzip.compress(data) if compressed else data)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    assert out.shape == shape
    np.testing.assert_array_equal(out, array)
    assert out.flags.writeable
    assert np.array_equal(read_idx(str(path)), array)


def test_read_idx_mnist_magic_numbers(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    data = idx_bytes(images, 0x08)
    assert struct.unpack(">i", data[:4])[0] == 2051
    labels = idx_bytes(np.array([5, 0], dtype=np.uint8), 0x08)
    assert struct.unpack(">i", labels[:4])[0] == 2049
    (tmp_path / "i").write_bytes(data)
    (tmp_path / "l").write_bytes(labels)
    assert read_idx(tmp_path / "i").shape == (2, 28, 28)
    assert read_idx(tmp_path / "l").tolist() == [5, 0]


@pytest.mark.parametrize("suffix", [".gz", ".idx"])
@pytest.mark.parametrize(
    "dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
)
def test_write_idx_round_trip(tmp_path, suffix, dtype):
    array = (np.arange(60).reshape(3, 4, 5) % 100).astype(dtype)
    path = write_idx(tmp_path / ("a" + suffix), array)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == (suffix == ".gz")
    out = read_idx(path)
    assert out.dtype == array.dtype
    np.testing.assert_array_equal(out, array)


def test_write_idx_matches_reference_encoding_and_is_reproducible(tmp_path):
    array = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    raw = write_idx(tmp_path / "a.idx", array).read_bytes()
    assert raw == idx_bytes(array, 0x0C)
    a = write_idx(tmp_path / "a.gz", array).read_bytes()
    b = write_idx(tmp_path / "b.gz", array).read_bytes()
    assert a == b  # no time stamp or name in the gzip header
    assert gzip.decompress(a) == raw
    forced = write_idx(tmp_path / "c.idx", array, compress=True)
    assert forced.read_bytes()[:2] == b"\x1f\x8b"


def test_write_idx_rejects_bad_input(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "a.idx", np.arange(3, dtype=np.int64))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "a.idx", np.uint8(3))


def _bad(tmp_path, data, name="bad.idx"):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    return str(info.value)


GOOD = idx_bytes(np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4), 0x08)


@pytest.mark.parametrize("compressed", [False, True])
def test_read_idx_truncated_data(tmp_path, compressed):
    data = GOOD[:-5]
    msg = _bad(tmp_path, gzip.compress(data) if compressed else data)
    assert "truncated" in msg and "5 missing" in msg and "(2, 3, 4)" in msg


def test_read_idx_truncated_header(tmp_path):
    assert "truncated IDX header" in _bad(tmp_path, GOOD[:9])
    assert "too short" in _bad(tmp_path, GOOD[:3])
    assert "empty" in _bad(tmp_path, b"")


@pytest.mark.parametrize("compressed", [False, True])
def test_read_idx_trailing_bytes(tmp_path, compressed):
    data = GOOD + b"\x00\x01\x02"
    msg = _bad(tmp_path, gzip.compress(data) if compressed else data)
    assert "3 trailing bytes" in msg


def test_read_idx_wrong_magic(tmp_path):
    msg = _bad(tmp_path, b"\x01" + GOOD[1:])
    assert "magic number 0x01000803" in msg and "two zero bytes" in msg
    assert "not an IDX file" in _bad(tmp_path, b"\x89PNG\r\n\x1a\n" + bytes(100))


def test_read_idx_unknown_type_code_and_zero_dims(tmp_path):
    assert "unknown IDX type code 0x07" in _bad(tmp_path, b"\x00\x00\x07\x01" + GOOD[4:])
    assert "0 dimensions" in _bad(tmp_path, b"\x00\x00\x08\x00")


def test_read_idx_garbage_and_bad_gzip(tmp_path):
    rng = np.random.default_rng(0)
    garbage = b"\x17" + rng.integers(0, 256, 500, dtype=np.uint8).tobytes()
    _bad(tmp_path, garbage)
    full = gzip.compress(GOOD)
    assert "gzip" in _bad(tmp_path, full[: len(full) // 2], "cut.gz")
    assert "gzip" in _bad(tmp_path, b"\x1f\x8b" + b"nonsense" * 10, "junk.gz")


def test_read_idx_missing_file(tmp_path):
    path = tmp_path / "nope" / "train-images-idx3-ubyte.gz"
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        read_idx(path)


# ---------------------------------------------------------------------------
# Loading from a folder (small fake files)
# ---------------------------------------------------------------------------


def test_load_mnist_fake_folder(tmp_path):
    arrays = write_fake_mnist(tmp_path)
    (X, y), (Xt, yt) = load_mnist(tmp_path)
    assert X.shape == (12, 784) and X.dtype == np.float64
    assert Xt.shape == (5, 784) and y.dtype == yt.dtype == np.int64
    np.testing.assert_array_equal(X, arrays[STEMS[0]].reshape(12, 784) / 255.0)
    np.testing.assert_array_equal(yt, arrays[STEMS[3]])
    (X32, _), _ = load_mnist(str(tmp_path), dtype=np.float32)
    assert X32.dtype == np.float32
    np.testing.assert_allclose(X32, X, rtol=1e-7)


def test_load_mnist_accepts_uncompressed_files(tmp_path):
    arrays = write_fake_mnist(tmp_path / "mnist")
    for stem in STEMS:
        gz = tmp_path / "mnist" / (stem + ".gz")
        (tmp_path / "mnist" / stem).write_bytes(gzip.decompress(gz.read_bytes()))
        gz.unlink()
    (X, y), _ = load_mnist(tmp_path)
    np.testing.assert_array_equal(y, arrays[STEMS[1]])


def test_validation_split_fake(tmp_path):
    arrays = write_fake_mnist(tmp_path)
    (X, y), (Xv, yv), (Xt, yt) = load_mnist(tmp_path, validation_size=4)
    assert X.shape == (8, 784) and Xv.shape == (4, 784) and Xt.shape == (5, 784)
    np.testing.assert_array_equal(y, arrays[STEMS[1]][:8])
    np.testing.assert_array_equal(yv, arrays[STEMS[1]][8:])
    (X0, _), (Xv0, yv0), _ = load_mnist(tmp_path, validation_size=0)
    assert X0.shape == (12, 784) and Xv0.shape == (0, 784) and yv0.shape == (0,)


def test_bad_arguments(tmp_path):
    write_fake_mnist(tmp_path)
    with pytest.raises(ValueError, match="smaller than the 12 training"):
        load_mnist(tmp_path, validation_size=12)
    with pytest.raises(ValueError, match="validation_size"):
        load_mnist(tmp_path, validation_size=-1)
    with pytest.raises(TypeError, match="validation_size"):
        load_mnist(tmp_path, validation_size=0.5)
    with pytest.raises(TypeError, match="dtype"):
        load_mnist(tmp_path, dtype=np.int32)
    with pytest.raises(ValueError, match="kind"):
        load_mnist(tmp_path, kind="cifar")


def test_load_mnist_rejects_wrong_file_contents(tmp_path):
    write_fake_mnist(tmp_path)
    labels = tmp_path / (STEMS[1] + ".gz")
    labels.write_bytes(gzip.compress(idx_bytes(np.zeros(11, np.uint8), 0x08)))
    with pytest.raises(ValueError, match="11 labels for 12 images"):
        load_mnist(tmp_path)
    labels.write_bytes(gzip.compress(idx_bytes(np.full(12, 10, np.uint8), 0x08)))
    with pytest.raises(ValueError, match="out of range"):
        load_mnist(tmp_path)
    images = tmp_path / (STEMS[0] + ".gz")
    images.write_bytes(gzip.compress(idx_bytes(np.zeros((12, 784), np.uint8), 0x08)))
    with pytest.raises(ValueError, match="magic 2051"):
        load_mnist(tmp_path)


def test_missing_files_message(tmp_path, monkeypatch):
    monkeypatch.delenv("FASTNN_DATA", raising=False)
    with pytest.raises(FileNotFoundError) as info:
        load_mnist()
    msg = str(info.value)
    assert "path=" in msg and "FASTNN_DATA" in msg
    for stem in STEMS:
        assert stem + ".gz" in msg

    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path / "empty")
    msg = str(info.value)
    assert str(tmp_path / "empty" / "mnist") in msg and "does not exist" in msg
    assert "FASTNN_DATA" in msg and all(stem + ".gz" in msg for stem in STEMS)

    write_fake_mnist(tmp_path / "partial")
    (tmp_path / "partial" / (STEMS[2] + ".gz")).unlink()
    with pytest.raises(FileNotFoundError, match="missing t10k-images-idx3-ubyte.gz"):
        load_mnist(tmp_path / "partial")


def test_fastnn_data_env_var(tmp_path, monkeypatch):
    # FASTNN_DATA pointing at a parent with mnist/ and fashion-mnist/ subfolders.
    mnist = write_fake_mnist(tmp_path / "root" / "mnist", seed=1)
    fashion = write_fake_mnist(tmp_path / "root" / "fashion-mnist", n_train=14, seed=2)
    monkeypatch.setenv("FASTNN_DATA", str(tmp_path / "root"))
    (X, _), _ = load_mnist()
    np.testing.assert_array_equal(X * 255, mnist[STEMS[0]].reshape(-1, 784))
    (Xf, yf), _ = load_fashion_mnist()
    assert Xf.shape == (14, 784)
    np.testing.assert_array_equal(Xf * 255, fashion[STEMS[0]].reshape(-1, 784))
    assert find_mnist_files(kind="fashion-mnist")["test_labels"].parent.name == "fashion-mnist"

    # FASTNN_DATA pointing straight at the folder that holds the files.
    direct = write_fake_mnist(tmp_path / "flat", seed=3)
    monkeypatch.setenv("FASTNN_DATA", str(tmp_path / "flat"))
    (X, _), _ = load_mnist()
    np.testing.assert_array_equal(X * 255, direct[STEMS[0]].reshape(-1, 784))

    # An explicit path wins over the environment variable.
    (X, _), _ = load_mnist(tmp_path / "root")
    np.testing.assert_array_equal(X * 255, mnist[STEMS[0]].reshape(-1, 784))

    # The message names the variable's folder when nothing is there.
    monkeypatch.setenv("FASTNN_DATA", str(tmp_path / "elsewhere"))
    with pytest.raises(FileNotFoundError, match=r"\$FASTNN_DATA") as info:
        load_mnist()
    assert str(tmp_path / "elsewhere") in str(info.value)


def test_dataset_folder_of_other_kind_is_not_used(tmp_path):
    # Both datasets use the same file names: .../mnist must not pass as Fashion-MNIST.
    write_fake_mnist(tmp_path / "mnist")
    with pytest.raises(FileNotFoundError, match="is the folder of 'mnist'"):
        load_fashion_mnist(tmp_path / "mnist")
    load_mnist(tmp_path / "mnist")


# ---------------------------------------------------------------------------
# Real MNIST and Fashion-MNIST (skipped when ../shared/data is absent)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(need_shared("mnist"))


@pytest.fixture(scope="module")
def mnist_raw():
    need_shared("mnist")
    folder = SHARED_DATA / "mnist"
    return {stem: read_idx(folder / (stem + ".gz")) for stem in STEMS}


def test_real_mnist(mnist):
    (X, y), (Xt, yt) = mnist
    assert X.shape == (60000, 784) and Xt.shape == (10000, 784)
    assert y.shape == (60000,) and yt.shape == (10000,)
    assert X.dtype == Xt.dtype == np.float64
    assert y.dtype == yt.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert Xt.min() == 0.0 and Xt.max() == 1.0
    assert set(np.unique(y)) == set(range(10)) == set(np.unique(yt))
    assert y[0] == 5 and yt[0] == 7
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(y).tolist()[1] == 6742  # digit 1 is the most common


def test_real_mnist_matches_raw(mnist, mnist_raw):
    (X, y), (Xt, yt) = mnist
    images = mnist_raw[STEMS[0]]
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(X[:100], images[:100].reshape(100, 784) / 255.0)
    np.testing.assert_array_equal(yt, mnist_raw[STEMS[3]])


def test_real_mnist_nielsen_split(mnist):
    (X, y), (Xv, yv), (Xt, yt) = load_mnist(
        SHARED_DATA, validation_size=10000, dtype=np.float32
    )
    (Xf, yf), (Xtf, ytf) = mnist
    assert X.shape == (50000, 784) and Xv.shape == (10000, 784) and Xt.shape == (10000, 784)
    assert X.dtype == np.float32
    np.testing.assert_array_equal(y, yf[:50000])
    np.testing.assert_array_equal(yv, yf[50000:])
    np.testing.assert_allclose(Xv, Xf[50000:], rtol=1e-7)
    np.testing.assert_array_equal(yt, ytf)


def test_real_fashion_mnist():
    root = need_shared("fashion-mnist")
    (X, y), (Xt, yt) = load_fashion_mnist(root, dtype=np.float32)
    assert X.shape == (60000, 784) and Xt.shape == (10000, 784)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert np.bincount(y).tolist() == [6000] * 10
    assert np.bincount(yt).tolist() == [1000] * 10
    assert y[0] == 9 and yt[0] == 9  # ankle boots
    files = find_mnist_files(root, "fashion-mnist")
    assert files["train_images"].parent.name == "fashion-mnist"


# ---------------------------------------------------------------------------
# Bundled sample
# ---------------------------------------------------------------------------


def test_sample_loads_and_is_balanced():
    (X, y), (Xt, yt) = load_mnist_sample()
    assert X.shape == (5000, 784) and Xt.shape == (1000, 784)
    assert X.dtype == Xt.dtype == np.float64 and y.dtype == yt.dtype == np.int64
    assert 0.0 == X.min() and X.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == [500] * 10
    assert np.bincount(yt, minlength=10).tolist() == [100] * 10
    (X32, _), _ = load_mnist_sample(dtype=np.float32)
    assert X32.dtype == np.float32
    rows, test_rows = mnist_sample_indices()
    assert rows.shape == (5000,) and test_rows.shape == (1000,)
    assert np.all(np.diff(rows) > 0) and rows.max() < 50000  # never Nielsen's validation rows
    assert np.all(np.diff(test_rows) > 0) and test_rows.max() < 10000


def test_sample_size_and_attribution():
    data = Path(ds.__file__).resolve().parent.parent / "data"
    total = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    assert total < 2_000_000
    text = (data / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    assert "The MNIST database of handwritten digits" in text
    assert "CC BY-SA 3.0" in text and "LeCun" in text


def test_sample_equals_real_mnist_rows(mnist_raw):
    (X, y), (Xt, yt) = load_mnist_sample()
    rows, test_rows = mnist_sample_indices()
    np.testing.assert_array_equal(X, mnist_raw[STEMS[0]][rows].reshape(-1, 784) / 255.0)
    np.testing.assert_array_equal(y, mnist_raw[STEMS[1]][rows])
    np.testing.assert_array_equal(Xt, mnist_raw[STEMS[2]][test_rows].reshape(-1, 784) / 255.0)
    np.testing.assert_array_equal(yt, mnist_raw[STEMS[3]][test_rows])
    # The selection rule: the first 500 of each digit among the first 50,000.
    labels = mnist_raw[STEMS[1]][:50000]
    for digit in range(10):
        np.testing.assert_array_equal(
            rows[y == digit], np.flatnonzero(labels == digit)[:500]
        )


# ---------------------------------------------------------------------------
# Synthetic generators
# ---------------------------------------------------------------------------


def test_make_xor_exact():
    X, y = make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0] and y.dtype == np.int64
    X, y = make_xor(8, dtype=np.float32)
    assert X.dtype == np.float32 and y.tolist() == [0, 1, 1, 0] * 2


def test_make_xor_noisy():
    X, y = make_xor(400, noise=0.1, seed=3)
    assert X.shape == (400, 2) and y.shape == (400,)
    X2, y2 = make_xor(400, noise=0.1, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, make_xor(400, noise=0.1, seed=4)[0])
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])[np.arange(400) % 4]
    assert 0.08 < np.std(X - corners) < 0.12
    np.testing.assert_array_equal(y, corners[:, 0] ^ corners[:, 1])


def test_make_spirals():
    X, y = make_spirals(301, noise=0.02, seed=0)
    assert X.shape == (301, 2) and y.shape == (301,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [151, 150]
    assert y[:4].tolist() == [0, 1, 0, 1]
    np.testing.assert_array_equal(X, make_spirals(301, noise=0.02, seed=0)[0])
    assert not np.array_equal(X, make_spirals(301, noise=0.02, seed=1)[0])
    assert np.abs(X).max() < 1.2
    # Without noise every point is on its spiral: r = 0.1 + 0.9 t and the angle matches.
    X, y = make_spirals(200, noise=0.0, seed=5, n_turns=1.0)
    r = np.hypot(X[:, 0], X[:, 1])
    t = (r - 0.1) / 0.9
    angle = 2 * np.pi * t + np.pi * y
    np.testing.assert_allclose(X, np.column_stack([r * np.cos(angle), r * np.sin(angle)]),
                               atol=1e-12)
    assert make_spirals(10, dtype=np.float32)[0].dtype == np.float32


def test_make_regression_curve():
    X, y = make_regression_curve(150, noise=0.05, seed=0)
    assert X.shape == (150, 1) and y.shape == (150, 1) and y.dtype == np.float64
    np.testing.assert_array_equal(y, make_regression_curve(150, noise=0.05, seed=0)[1])
    X0, y0 = make_regression_curve(150, noise=0.0, seed=0)
    np.testing.assert_array_equal(X0, X)  # same points, noiseless targets
    assert 0.02 < np.std(y - y0) < 0.08
    assert 0.1 < y0.min() and y0.max() < 0.9
    order = np.argsort(X0[:, 0])
    assert np.all(np.diff(y0[order, 0]) > 0)  # price grows with size
    X3, y3 = make_regression_curve(20, seed=1, n_features=3, dtype=np.float32)
    assert X3.shape == (20, 3) and y3.shape == (20, 1) and y3.dtype == np.float32
    assert 0 <= X3.min() and X3.max() <= 1


@pytest.mark.parametrize("make", [make_xor, make_spirals, make_regression_curve])
def test_generator_argument_checks(make):
    with pytest.raises(ValueError, match="n_samples"):
        make(0)
    with pytest.raises(ValueError, match="n_samples"):
        make(-5)
    with pytest.raises(TypeError, match="n_samples"):
        make(10.0)
    with pytest.raises(TypeError, match="n_samples"):
        make(True)
    with pytest.raises(ValueError, match="noise"):
        make(10, noise=-0.1)
    with pytest.raises(ValueError, match="noise"):
        make(10, noise=float("nan"))
    with pytest.raises(TypeError, match="noise"):
        make(10, noise="0.1")
    with pytest.raises(TypeError, match="seed"):
        make(10, seed="abc")
    with pytest.raises(ValueError, match="seed"):
        make(10, seed=-1)
    with pytest.raises(TypeError, match="dtype"):
        make(10, dtype=np.int64)
    assert make(np.int64(8), seed=np.random.default_rng(0))[0].shape[0] == 8


def test_other_generator_arguments():
    with pytest.raises(ValueError, match="n_turns"):
        make_spirals(10, n_turns=0)
    with pytest.raises(ValueError, match="n_features"):
        make_regression_curve(10, n_features=4)
    with pytest.raises(ValueError, match="n_features"):
        make_regression_curve(10, n_features=0)

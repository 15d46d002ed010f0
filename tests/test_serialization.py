"""Save/load: round trip, no pickle, clear errors, never a half-written file."""
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import fastnn
from fastnn.io import model_file as serialization


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip(tmp_path, rng, dtype):
    net = fastnn.Network([5, 4, 3], activation="tanh", output_activation="softmax",
                         cost="log_likelihood", init="he", dtype=dtype, seed=4, engine="numpy")
    X, y = rng.standard_normal((20, 5)), rng.integers(0, 3, 20)
    net.fit(X, y, epochs=2)
    path = tmp_path / "model.npz"
    net.save(path)
    loaded = fastnn.load(path)
    assert repr(loaded) == repr(net)
    assert ((loaded.sizes, loaded.init, loaded.seed, loaded.dtype)
            == (net.sizes, net.init, net.seed, net.dtype))
    for a, b in zip(loaded.weights + loaded.biases, net.weights + net.biases):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    # shuffling resumes: the generator state was saved too
    net.fit(X, y, epochs=1)
    loaded.fit(X, y, epochs=1)
    np.testing.assert_array_equal(loaded.parameters(), net.parameters())
    assert fastnn.load(path, engine="numba").engine == "numba"


def test_file_loads_without_pickle_and_records_metadata(tmp_path):
    path = tmp_path / "m"
    fastnn.Network([3, 2], seed=0).save(path)
    assert path.exists()  # written to exactly the path given
    with np.load(path, allow_pickle=False) as archive:
        assert str(archive["format"]) == "fastnn.Network"
        assert int(archive["version"]) == serialization.VERSION
        config = json.loads(str(archive["config"]))
    assert config["sizes"] == [3, 2] and config["dtype"] == "float64"


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no fastnn network file"):
        fastnn.load(tmp_path / "nothing.npz")


def test_truncated_file(tmp_path):
    path = tmp_path / "model.npz"
    fastnn.Network([30, 20, 10], seed=0).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable fastnn network file"):
        fastnn.load(path)


@pytest.mark.parametrize("content", [b"", b"hello, not a model", b"\x93NUMPY garbage"])
def test_foreign_bytes(tmp_path, content):
    path = tmp_path / "foreign.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a readable fastnn network file"):
        fastnn.load(path)


def test_foreign_npz_and_pickled_npy(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    with pytest.raises(ValueError, match="not a fastnn network"):
        fastnn.load(tmp_path / "other.npz")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="not a readable fastnn network file"):
        fastnn.load(tmp_path / "obj.npy")


def test_newer_version_and_inconsistent_parameters(tmp_path):
    path = tmp_path / "model.npz"
    fastnn.Network([3, 2], seed=0).save(path)
    with np.load(path) as archive:
        arrays = dict(archive)
    np.savez(path, **{**arrays, "version": np.array(serialization.VERSION + 1)})
    with pytest.raises(ValueError, match="newer"):
        fastnn.load(path)
    np.savez(path, **{**arrays, "theta": np.zeros(5)})
    with pytest.raises(ValueError, match="do not fit"):
        fastnn.load(path)
    np.savez(path, **{**arrays, "theta": np.full(8, np.nan)})
    with pytest.raises(ValueError, match="NaN"):
        fastnn.load(path)


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    good = fastnn.Network([3, 2], seed=0)
    good.save(path)
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        fastnn.Network([3, 2], seed=1).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary left behind
    monkeypatch.undo()
    np.testing.assert_array_equal(fastnn.load(path).weights[0], good.weights[0])
    assert zipfile.is_zipfile(path)


def test_corrupt_bytes_and_foreign_contents_give_value_errors(tmp_path):
    """Every damaged file is a ValueError naming the file, never another exception."""
    path = tmp_path / "model.npz"
    net = fastnn.Network([3, 2], seed=0)
    net.fit(np.eye(3), [0, 1, 0], optimizer="adam")
    net.save(path)
    data = path.read_bytes()
    damaged = tmp_path / "damaged.npz"
    for offset in range(0, len(data), 3):  # flipping bits anywhere: loads or ValueError
        for bit in (0, 1):
            damaged.write_bytes(data[:offset] + bytes([data[offset] ^ (1 << bit)])
                                + data[offset + 1:])
            try:
                fastnn.load(damaged)
            except ValueError as error:
                assert "damaged.npz" in str(error)
    damaged.write_bytes(b"plain text, not a model\n")
    with pytest.raises(ValueError, match="not an .npz") as info:
        fastnn.load(damaged)
    assert "pickle" not in str(info.value)
    with np.load(path) as archive:
        arrays = dict(archive)
    for key, value in [("config", json.dumps({"sizes": [3, 2], "colour": "red"})),
                       ("config", json.dumps([3, 2])), ("rng", json.dumps(7)),
                       ("rng", json.dumps({"bit_generator": "MT19937"})),
                       ("training", json.dumps([1]))]:
        np.savez(damaged, **{**arrays, key: np.array(value)})
        with pytest.raises(ValueError, match="damaged.npz"):
            fastnn.load(damaged)
    with pytest.raises(ValueError, match="engine"):
        fastnn.load(path, engine="gpu")


def test_saved_file_has_the_usual_permissions_and_a_missing_folder_is_named(tmp_path):
    umask = os.umask(0o022)
    try:
        fastnn.Network([3, 2], seed=0).save(tmp_path / "m.npz")
    finally:
        os.umask(umask)
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0o600
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        fastnn.Network([3, 2], seed=0).save(tmp_path / "no_such_folder" / "m.npz")


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_graph_round_trip_keeps_id_types_and_resumes(tmp_path, rng, engine):
    edges = [("x", "h"), ("x", 7), ("h", 7), ("x", "out"), (7, "out"), ("h", "out")]
    graph = fastnn.Graph(edges, ["x"], ["out"], activation="tanh", activations={"out": "sigmoid"},
                         bias={"h", "out"})
    net = fastnn.Network(graph, cost="cross_entropy", seed=2, engine=engine)
    X, y = rng.standard_normal((12, 1)), rng.integers(0, 2, 12)
    net.fit(X, y, epochs=2, batch_size=4, optimizer="momentum")
    path = tmp_path / "graph.npz"
    net.save(path)
    with np.load(path) as archive:
        assert int(archive["version"]) == 3
        config = json.loads(str(archive["config"]))
    assert config["kind"] == "graph" and config["edges"][1] == ["x", 7]
    loaded = fastnn.load(path)
    assert loaded.topology == graph and loaded.topology.edges == edges
    assert loaded.topology.has_bias == ["h", "out"]
    np.testing.assert_array_equal(loaded.weights, net.weights)
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    net.fit(X, y, epochs=1, batch_size=4)
    loaded.fit(X, y, epochs=1, batch_size=4)
    np.testing.assert_array_equal(loaded.parameters(), net.parameters())


def test_version_2_file_still_loads(tmp_path, rng):
    """A file as version 2 wrote it (layered, no kind in its config) loads as before."""
    net = fastnn.Network([3, 4, 2], seed=5)
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    net.fit(X, y, epochs=1, optimizer="adam")
    path = tmp_path / "v2.npz"
    net.save(path)
    with np.load(path) as archive:
        arrays = dict(archive)
    config = json.loads(str(arrays["config"]))
    assert "kind" not in config
    np.savez(path, **{**arrays, "version": np.array(2)})
    loaded = fastnn.load(path)
    assert loaded.sizes == (3, 4, 2) and loaded.optimizer.name == "adam"
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


def test_graph_whose_config_exceeds_a_mebibyte_loads(tmp_path):
    """A graph's config lists its edges: 90,000 of them are a 1.4 MB JSON record."""
    net = fastnn.Network(fastnn.Graph.layered([300, 300, 3]), seed=0, engine="numpy")
    path = tmp_path / "big.npz"
    net.save(path)
    with np.load(path) as archive:
        assert len(str(archive["config"])) > 1 << 20
    loaded = fastnn.load(path)
    assert loaded.topology == net.topology
    np.testing.assert_array_equal(loaded.parameters(), net.parameters())


def test_snapshot_and_restore_continue_alike(rng):
    """``net.snapshot()`` (pickled on the way, as a sweep unit travels) and ``restore`` give
    back the training state: the same network, or another of the structure, then trains to
    the same bits as the original did."""
    X, y = rng.standard_normal((40, 4)), rng.integers(0, 3, 40)
    net = fastnn.Network([4, 6, 3], seed=3)
    net.fit(X, y, epochs=2, optimizer="adam", l2=0.5)
    snapshot = pickle.loads(pickle.dumps(net.snapshot()))
    first = net.fit(X, y, epochs=2)
    theta = net.parameters().copy()
    for target in (net, fastnn.Network([4, 6, 3], seed=99)):
        target.restore(snapshot)
        assert target.penalty == (0.5, 0.0, 40) and target.optimizer.epochs == 2
        assert target.fit(X, y, epochs=2).loss == first.loss
        np.testing.assert_array_equal(target.parameters(), theta)

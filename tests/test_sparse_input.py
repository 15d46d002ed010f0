"""Sparse input (scipy CSR/CSC/COO) to ``Network``: the numba engine's loops over stored
entries (``fastnn.engine.sparse_kernels``) against the NumPy engine's scipy products, against
the same calls on the densified matrix, and against finite differences; fit on a sparse
matrix against fit on its dense copy; thread counts; memory; bad input.

Bit-identical expectations: a fit on a sparse matrix with at most one stored entry per row
and per column equals the numba engine's fit on the dense copy bit for bit with a rule other
than plain SGD (every first-layer sum then has one nonzero term, zeros add nothing, and the
layers above and the update run the same kernels); with plain SGD the dense engine fuses the
update into BP4 (different rounding), and with several entries the sums run in another
order: equal to rounding there. 1 and 2 threads: the same bits always.
"""
import tracemalloc

import numpy as np
import pytest

import fastnn

sp = pytest.importorskip("scipy.sparse")

TOL = {"float64": dict(rtol=1e-9, atol=1e-11), "float32": dict(rtol=2e-4, atol=2e-5)}


def sparse_data(rng, n, n_in, density, n_classes, empty_rows=3):
    """A random CSR matrix with some empty rows, and labels."""
    X = sp.random(n, n_in, density=density, format="csr", random_state=rng,
                  data_rvs=lambda size: rng.standard_normal(size))
    X = sp.csr_array(X)
    X = sp.csr_array(sp.diags_array(np.where(np.arange(n) < empty_rows, 0.0, 1.0)) @ X)
    X.eliminate_zeros()
    assert np.diff(X.indptr)[:empty_rows].sum() == 0
    return X, rng.integers(0, n_classes, n)


def make_net(sizes, dtype, engine="numba", seed=3, **kwargs):
    kwargs.setdefault("activation", "relu")
    kwargs.setdefault("output_activation", "softmax")
    kwargs.setdefault("cost", "log_likelihood")
    return fastnn.Network(sizes, dtype=dtype, seed=seed, engine=engine, **kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_predict_evaluate_gradients_match_numpy_and_dense(dtype):
    """Random shapes; CSR, CSC and COO input; both engines; sparse against dense input."""
    rng = np.random.default_rng(11 if dtype == "float64" else 12)
    for _ in range(3):
        n, n_in = rng.integers(5, 300), rng.integers(1, 90)
        hidden, k = rng.integers(1, 20), rng.integers(2, 6)
        X, y = sparse_data(rng, n, n_in, rng.uniform(0.01, 0.3), k, empty_rows=min(3, n - 1))
        dense = X.toarray()
        results = {}
        bias = rng.standard_normal(hidden)  # so that empty rows still activate
        for engine in ("numba", "numpy"):
            net = make_net([n_in, hidden, k], dtype, engine)
            net.biases[0][...] = bias
            for name, data in (("csr", X), ("csc", sp.csc_array(X)), ("coo", sp.coo_matrix(X)),
                               ("dense", dense)):
                grads = net.gradients(data, y)
                results[engine, name] = (net.predict(data), net.evaluate(data, y)["loss"],
                                         np.concatenate([g.ravel() for g in grads[0] + grads[1]]))
        reference = results["numpy", "dense"]
        for key, (p, loss, g) in results.items():
            np.testing.assert_allclose(p, reference[0], **TOL[dtype], err_msg=str(key))
            np.testing.assert_allclose(loss, reference[1],
                                       rtol=1e-5 if dtype == "float32" else 1e-9)
            np.testing.assert_allclose(g, reference[2], rtol=TOL[dtype]["rtol"],
                                       atol=10 * TOL[dtype]["atol"], err_msg=str(key))
            assert p.dtype == np.dtype(dtype) and g.dtype == np.dtype(dtype)
        for engine in ("numba", "numpy"):  # the formats give the same bits
            for name in ("csc", "coo"):
                np.testing.assert_array_equal(results[engine, name][0], results[engine, "csr"][0])


def test_gradients_match_finite_differences():
    """Sparse-input gradients of J (three layers, sigmoid outputs) against central differences."""
    rng = np.random.default_rng(5)
    X, _ = sparse_data(rng, 30, 25, 0.15, 2)
    Y = rng.uniform(0, 1, (30, 3))
    net = fastnn.Network([25, 6, 4, 3], activation="tanh", output_activation="sigmoid",
                         cost="cross_entropy", dtype="float64", seed=2)
    gw, gb = net.gradients(X, Y)
    eps = 1e-6
    for l, j, k in [(0, 0, int(X.indices[0])), (0, 5, int(X.indices[7])), (0, 2, 24), (1, 3, 1),
                    (2, 2, 3)]:
        w = net.weights[l]
        old = w[j, k]
        w[j, k] = old + eps
        up = net.evaluate(X, Y)["loss"]
        w[j, k] = old - eps
        down = net.evaluate(X, Y)["loss"]
        w[j, k] = old
        assert gw[l][j, k] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-9)
    b = net.biases[0]
    old = b[1]
    b[1] = old + eps
    up = net.evaluate(X, Y)["loss"]
    b[1] = old - eps
    down = net.evaluate(X, Y)["loss"]
    b[1] = old
    assert gb[0][1] == pytest.approx((up - down) / (2 * eps), rel=1e-5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fit_equals_fit_on_dense_copy(dtype):
    """Trained weights after fit (Adam, L2, a validation split, batches with empty rows) on a
    sparse matrix equal those of the same fit on the dense copy, on both engines, to rounding."""
    rng = np.random.default_rng(21)
    X, y = sparse_data(rng, 157, 60, 0.08, 3, empty_rows=12)
    trained = {}
    for engine in ("numba", "numpy"):
        for name, data in (("sparse", X), ("dense", X.toarray())):
            net = make_net([60, 9, 5, 3], dtype, engine)
            history = net.fit(data, y, epochs=3, batch_size=16, optimizer="adam",
                              learning_rate=0.01, l2=0.5, validation_fraction=0.2)
            trained[engine, name] = (np.concatenate([w.ravel() for w in net.weights + net.biases]),
                                     history.val_loss)
    reference = trained["numpy", "dense"]
    for key, (theta, val_loss) in trained.items():
        np.testing.assert_allclose(theta, reference[0], rtol=50 * TOL[dtype]["rtol"],
                                   atol=50 * TOL[dtype]["atol"], err_msg=str(key))
        np.testing.assert_allclose(val_loss, reference[1],
                                   rtol=1e-4 if dtype == "float32" else 1e-9)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_sample_weights_on_sparse_input(optimizer):
    """Weighted gradients and a weighted fit on a sparse matrix equal, on both engines
    (float64, to rounding), the same calls with integer weights replaced by repeated rows of
    the dense matrix."""
    rng = np.random.default_rng(31)
    X, y = sparse_data(rng, 90, 40, 0.1, 3, empty_rows=5)
    weights = rng.integers(0, 4, 90).astype(float)
    rows = np.repeat(np.arange(90), weights.astype(int))
    repeated = make_net([40, 7, 3], "float64", "numpy")
    expected_grads = np.concatenate([g.ravel() for g in sum(repeated.gradients(
        X.toarray()[rows], y[rows]), [])])
    repeated.fit(X.toarray()[rows], y[rows], epochs=2, batch_size=len(rows), optimizer=optimizer,
                 learning_rate=0.05, shuffle=False)
    expected = np.concatenate([w.ravel() for w in repeated.weights + repeated.biases])
    initial = make_net([40, 7, 3], "float64")
    assert not np.allclose(expected, np.concatenate([w.ravel() for w in
                                                     initial.weights + initial.biases]))
    for engine in ("numba", "numpy"):
        net = make_net([40, 7, 3], "float64", engine)
        grads = np.concatenate([g.ravel() for g in sum(net.gradients(X, y, sample_weight=weights),
                                                       [])])
        np.testing.assert_allclose(grads, expected_grads, rtol=1e-9, atol=1e-12, err_msg=engine)
        net.fit(X, y, epochs=2, batch_size=90, optimizer=optimizer, learning_rate=0.05,
                sample_weight=weights, shuffle=False)
        theta = np.concatenate([w.ravel() for w in net.weights + net.biases])
        np.testing.assert_allclose(theta, expected, rtol=1e-9, atol=1e-11, err_msg=engine)


def permutation_like(rng, n, n_in):
    """At most one stored entry per row and per column (some rows empty)."""
    rows = rng.choice(n, size=min(n, n_in) - 2, replace=False)
    cols = rng.choice(n_in, size=rows.shape[0], replace=False)
    return sp.csr_array((rng.standard_normal(rows.shape[0]), (rows, cols)), shape=(n, n_in))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fit_bit_identical_to_dense_when_every_sum_has_one_term(dtype):
    """One stored entry per row and per column: the numba engine's fit (Adam, momentum) on the
    sparse matrix equals its fit on the dense copy bit for bit; a single-layer network too."""
    rng = np.random.default_rng(8)
    X = permutation_like(rng, 64, 80)
    y = rng.integers(0, 3, 64)
    for sizes, optimizer in (([80, 7, 3], "adam"), ([80, 3], "momentum")):
        thetas = []
        for data in (X, X.toarray()):
            net = make_net(sizes, dtype, activation="sigmoid")
            net.fit(data, y, epochs=2, batch_size=10, optimizer=optimizer, learning_rate=0.05,
                    l2=0.3)
            thetas.append(np.concatenate([w.ravel() for w in net.weights + net.biases]))
        np.testing.assert_array_equal(thetas[0], thetas[1])


def test_same_bits_on_one_and_two_threads():
    """Every sparse kernel run serially (1 thread) and in parallel (2 threads, every layer
    forced parallel): the same trained weights, predictions and gradients."""
    import numba
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 threads")
    rng = np.random.default_rng(4)
    X, y = sparse_data(rng, 120, 70, 0.1, 4)
    before = fastnn.get_num_threads()
    out = []
    try:
        for threads in (1, 2):
            fastnn.set_num_threads(threads)
            net = make_net([70, 37, 4], "float32")
            net.backend.parallel_work = 1
            net.fit(X, y, epochs=2, batch_size=24, optimizer="sgd", learning_rate=0.1, l2=0.2)
            out.append([net.weights[0].copy(), net.predict(X), net.gradients(X, y)[0][0]])
    finally:
        fastnn.set_num_threads(before)
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


def test_memory_is_bounded_by_the_batch():
    """fit, predict and evaluate on a 4,000 x 40,000 matrix (about 40 entries per row) never
    allocate anything near its dense size (1.28 GB in float64): peak traced allocation
    below 40 MB, the parameters' copies included."""
    rng = np.random.default_rng(1)
    X, y = sparse_data(rng, 4000, 40_000, 0.001, 2)
    net = make_net([40_000, 4, 2], "float64")
    net.fit(X[:50], y[:50], batch_size=25)  # compiled code loaded outside the trace
    tracemalloc.start()
    try:
        net.fit(X, y, epochs=1, batch_size=100, optimizer="adam", validation_fraction=0.1)
        net.predict(X)
        net.evaluate(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40e6, f"peak {peak / 1e6:.1f} MB"


def test_input_canonicalised_and_never_modified():
    """Unsorted column indices and duplicate entries are summed into a canonical copy (the
    caller's arrays untouched); int and bool data are cast; results equal the dense copy's."""
    data = np.array([1.0, 2.0, -1.0, 3.0, 0.5])
    indices = np.array([4, 1, 4, 0, 2], dtype=np.int32)
    indptr = np.array([0, 3, 3, 5], dtype=np.int32)
    X = sp.csr_matrix((data, indices, indptr), shape=(3, 6))
    X.has_sorted_indices = False
    copies = [a.copy() for a in (X.data, X.indices, X.indptr)]
    net = make_net([6, 4, 2], "float64", activation="tanh")
    expected = net.predict(X.toarray())  # toarray sums the duplicates
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-12)
    for a, b in zip((X.data, X.indices, X.indptr), copies):
        np.testing.assert_array_equal(a, b)
    ints = sp.csr_array(np.array([[0, 3, 0, 0, 1, 0], [2, 0, 0, 0, 0, 0]]))
    np.testing.assert_allclose(net.predict(ints), net.predict(ints.toarray().astype(float)),
                               rtol=1e-12)
    flags = sp.csr_array(np.array([[True, False, False, False, False, True]]))
    np.testing.assert_allclose(net.predict(flags), net.predict(flags.toarray().astype(float)),
                               rtol=1e-12)


def test_bad_sparse_input_is_refused_by_name():
    net = make_net([6, 4, 2], "float64")
    X = sp.csr_array(np.eye(6)[:4])
    y = np.array([0, 1, 0, 1])
    with pytest.raises(TypeError, match="y is a scipy sparse matrix"):
        net.fit(X, sp.csr_array(np.eye(2)[y]))
    with pytest.raises(ValueError, match="X has 5 features per sample"):
        net.predict(sp.csr_array(np.eye(5)))
    with pytest.raises(ValueError, match="X is empty"):
        net.predict(sp.csr_array((0, 6)))
    for bad in (np.nan, np.inf):
        Z = X.copy()
        Z.data[1] = bad
        with pytest.raises(ValueError, match=r"X \(its stored values\) contains NaN or infinity"):
            net.fit(Z, y)
    big = sp.csr_array(np.full((1, 6), 1e300))
    with pytest.raises(ValueError, match="beyond the range of float32"):
        make_net([6, 4, 2], "float32").predict(big)
    with pytest.raises(TypeError, match="real numbers"):
        net.predict(sp.csr_array(np.eye(6, dtype=complex)[:2]))
    corrupt = sp.csr_array((np.ones(2), np.array([0, 9]), np.array([0, 1, 2])), shape=(2, 6))
    with pytest.raises(ValueError, match="X is not a valid sparse matrix"):
        net.predict(corrupt)
    with pytest.raises(ValueError, match="validation_data X has 4 features"):
        net.fit(X, y, validation_data=(sp.csr_array(np.eye(4)), y))


def test_graph_networks_and_the_population_engine_refuse_sparse_x():
    from fastnn.training.population import train_together
    X = sp.csr_array(np.eye(6)[:4])
    y = np.array([0, 1, 0, 1])
    graph = fastnn.Graph.layered([6, 3, 2], activation="relu", output_activation="softmax")
    net = fastnn.Network(graph, cost="log_likelihood", seed=0)
    for call in (lambda: net.fit(X, y), lambda: net.predict(X), lambda: net.evaluate(X, y)):
        with pytest.raises(TypeError, match="X is a scipy sparse matrix, but sparse input is "
                                            "supported for layered networks only"):
            call()
    with pytest.raises(TypeError, match=r"X is a scipy sparse matrix.*pass X.toarray\(\)"):
        train_together([make_net([6, 4, 2], "float64")], X, y)

"""fastnn.core.fastmath: accurate to 2 ulp over the whole domain, the C library's special
values, float32 kept float32, loops that vectorise, and the same bits in any caller."""
import math
import re

import numpy as np
import pytest
from numba import njit

from fastnn.core import fastmath
from fastnn.core._numba import JIT, SCALAR_JIT

NAMES = ("exp", "tanh", "log", "log1p")
DTYPES = (np.float64, np.float32)
MAX_ULP = 2


def _loop(function, flags):
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = function(x[i])
    return njit(**dict(flags, cache=False))(loop)


FAST = {name: _loop(getattr(fastmath, name), JIT) for name in NAMES}
"""A loop over an array in a caller with fastnn's fastmath flags (``JIT``)."""
STRICT = {name: _loop(getattr(fastmath, name), SCALAR_JIT) for name in NAMES}
"""The same loop in a caller without fastmath flags."""


def apply(name, x, loops=FAST):
    out = np.empty_like(x)
    loops[name](x, out)
    return out


def ulp_distance(a, b):
    """How many representable numbers lie between a and b (0 when equal, both NaN or equal
    infinities; inf when only one is NaN): the integer difference of their bit patterns
    mapped to a monotone scale."""
    itype = np.int64 if a.dtype == np.float64 else np.int32
    ia = a.view(itype).astype(np.int64)
    ib = b.view(itype).astype(np.int64)
    ia = np.where(ia < 0, np.iinfo(itype).min - ia, ia)
    ib = np.where(ib < 0, np.iinfo(itype).min - ib, ib)
    distance = np.abs(ia - ib).astype(np.float64)
    distance[(a == b) | (np.isnan(a) & np.isnan(b))] = 0
    distance[np.isnan(a) != np.isnan(b)] = np.inf
    return distance


def reference(name, x):
    """NumPy's function, float64 arguments in float64; float32 arguments computed in float64
    and rounded to float32 (NumPy's own float32 log is 3 ulp from the rounded result on AVX2
    machines, so it cannot be the yardstick for 2 ulp)."""
    with np.errstate(all="ignore"):
        return getattr(np, name)(x.astype(np.float64)).astype(x.dtype)


def grid(name, dtype):
    """About 10**6 arguments: log-spaced magnitudes from the smallest subnormal to the largest
    finite number, both signs, and a dense linear stretch around the values that matter."""
    info = np.finfo(dtype)
    tiny = float(info.smallest_subnormal)
    magnitudes = np.append(np.geomspace(tiny, float(info.max) / 2, 400_000), info.max)
    magnitudes = magnitudes.astype(dtype)
    linear = np.linspace(-30, 30, 200_001).astype(dtype)
    x = np.concatenate([magnitudes, -magnitudes, linear])
    if name == "exp":  # where the results are subnormal, and the overflow threshold
        lo, hi = (-746, -707) if dtype == np.float64 else (-105, -87)
        x = np.concatenate([x, np.linspace(lo, hi, 100_001).astype(dtype),
                            np.linspace(-hi - 2, -hi + 2, 10_001).astype(dtype)])
    if name in ("log", "log1p"):  # around 1 and 0, where the results are small
        x = np.concatenate([x, np.linspace(-1, 2, 200_001).astype(dtype)])
    return x


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_at_most_two_ulp_from_numpy_over_the_whole_domain(name, dtype):
    x = grid(name, dtype)
    got = apply(name, x)
    assert got.dtype == dtype
    distance = ulp_distance(got, reference(name, x))
    worst = int(np.argmax(distance))
    assert distance[worst] <= MAX_ULP, (f"{name}({x[worst]!r}) = {got[worst]!r}, NumPy "
                                        f"{reference(name, x[worst:worst + 1])[0]!r}: "
                                        f"{distance[worst]} ulp")


INF, NAN = math.inf, math.nan
SPECIAL = {
    "exp": [(INF, INF), (-INF, 0.0), (NAN, NAN), (0.0, 1.0), (-0.0, 1.0), (710.0, INF),
            (1e300, INF), (-746.0, 0.0), (-1e300, 0.0), (5e-324, 1.0), (-5e-324, 1.0)],
    "tanh": [(INF, 1.0), (-INF, -1.0), (NAN, NAN), (0.0, 0.0), (-0.0, -0.0), (5e-324, 5e-324),
             (-5e-324, -5e-324), (1e-310, 1e-310), (40.0, 1.0), (-40.0, -1.0), (1e300, 1.0),
             (-1e300, -1.0)],
    "log": [(INF, INF), (-INF, NAN), (NAN, NAN), (0.0, -INF), (-0.0, -INF), (-1.0, NAN),
            (-5e-324, NAN), (1.0, 0.0)],
    "log1p": [(INF, INF), (-INF, NAN), (NAN, NAN), (0.0, 0.0), (-0.0, -0.0), (-1.0, -INF),
              (-1.5, NAN), (5e-324, 5e-324), (-5e-324, -5e-324), (1e-300, 1e-300)],
}
F32_SPECIAL = {
    "exp": [(89.0, INF), (-104.0, 0.0), (1e-45, 1.0), (88.72283172607421875, 3.4027985e38)],
    "tanh": [(1e-45, 1e-45), (-1e-45, -1e-45), (10.0, 1.0)],
    "log": [(1e-45, -103.27893), (3.4028235e38, 88.72284)],
    "log1p": [(1e-45, 1e-45), (3.4028235e38, 88.72284)],
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_special_values(name, dtype):
    f32 = np.finfo(np.float32)
    cases = [(x, y) for x, y in SPECIAL[name] if dtype == np.float64 or not math.isfinite(x)
             or x == 0 or float(f32.smallest_subnormal) <= abs(x) <= float(f32.max)]
    x = np.array([c[0] for c in cases], dtype=dtype)
    expected = np.array([c[1] for c in cases], dtype=dtype)
    got = apply(name, x)
    assert ulp_distance(got, expected).max() == 0, list(zip(x, got, expected))
    assert (np.signbit(got) == np.signbit(expected))[~np.isnan(expected)].all()
    if dtype == np.float32:
        x = np.array([c[0] for c in F32_SPECIAL[name]], dtype=dtype)
        expected = np.array([c[1] for c in F32_SPECIAL[name]], dtype=dtype)
        np.testing.assert_allclose(apply(name, x), expected, rtol=1e-5)


def test_exp_results_around_the_smallest_subnormal():
    x = np.linspace(-745.2, -744.0, 20001)
    got = apply("exp", x)
    assert ulp_distance(got, np.exp(x)).max() <= 1
    assert got[0] == 0 and got[-1] > 0


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_same_bits_in_a_fastmath_caller_a_strict_caller_and_from_python(name, dtype):
    """The functions are compiled without fastmath flags and inlined: a caller's
    ``reassoc``/``contract`` cannot regroup or fuse their arithmetic, vectorised or not
    (1001 elements: the vector body and its scalar remainder)."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(1001) * rng.choice([1e-3, 1, 10, 100], 1001)).astype(dtype)
    if name.startswith("log"):
        x = np.abs(x)
    fast, strict = apply(name, x, FAST), apply(name, x, STRICT)
    assert fast.tobytes() == strict.tobytes()
    one_by_one = np.array([getattr(fastmath, name)(v) for v in x[-7:]], dtype=dtype)
    assert one_by_one.tobytes() == fast[-7:].tobytes()
    assert type(getattr(fastmath, name)(x[0])) is type(x[0])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_a_loop_calling_them_vectorises_and_float32_stays_float32(name, dtype):
    apply(name, np.ones(8, dtype))
    loop = FAST[name]
    signature = [s for s in loop.signatures if str(s[0].dtype) == np.dtype(dtype).name][0]
    llvm = loop.inspect_llvm(signature)
    kind = "double" if dtype == np.float64 else "float"
    assert re.search(rf"fdiv <\d+ x {kind}>", llvm), "no vector division: not vectorised"
    called = re.findall(r"call \S+ @(\S+)\(", llvm)
    assert not [c for c in called if "4core8fastmath" in c], "not inlined"
    if dtype == np.float32:
        assert "fpext" not in llvm and "double" not in llvm.split("define")[1]

r"""``exp``, ``tanh``, ``log`` and ``log1p`` written for numba, so that loops calling them
vectorise.

numba turns ``np.exp``, ``np.tanh`` and ``np.log`` into calls of the C library's scalar
functions (no SVML on this numba), and a loop containing a call does not vectorise. These
functions are plain arithmetic, integer operations on the bits and selects, which LLVM
inlines and vectorises like any other loop body. Each takes a float32 or a float64 and
computes in that type: float32 code stays float32 (separate constants and polynomials).

Methods (all from Sun's fdlibm and Cephes, as in FreeBSD's msun and musl; the branches of
the C code are turned into selects: every case is computed, the right one picked):

* ``exp``: :math:`x = k\ln 2 + r`, :math:`|r| \le \frac12\ln 2`, with :math:`\ln 2` split in
  two (Cody-Waite) so that :math:`k \ln 2_{hi}` is exact; :math:`e^r` from fdlibm's rational
  form :math:`1 + r + r c/(2 - c)` with a minimax polynomial :math:`c(r^2)`; :math:`2^k` is
  built from its bits and applied in two halves, so subnormal results are rounded once.
* ``log``: :math:`x = 2^k (1 + f)` with :math:`\sqrt2/2 \le 1 + f < \sqrt2` from the bits
  (subnormals scaled by :math:`2^{54}`, :math:`2^{25}` first);
  :math:`\ln(1+f) = f - h + s(h + R(s^2))`, :math:`s = f/(2+f)`, :math:`h = f^2/2`.
* ``log1p``: the same on :math:`u = 1 + x`, plus fdlibm's correction :math:`c/u` for the
  rounding of :math:`1 + x`; :math:`f = x` exactly when :math:`u` needs no scaling.
* ``tanh``: Cephes: :math:`|x| < 0.625`: :math:`x + x\,x^2 P(x^2)/Q(x^2)` (float64) or an odd
  polynomial (float32), which keeps the relative accuracy near 0; otherwise
  :math:`1 - 2/(e^{2|x|} + 1)`, which is exactly 1 once :math:`e^{2|x|}` overflows; the sign
  copied from ``x``.

Accuracy, checked by ``tests/test_fastmath.py`` against NumPy over the whole domain: at most
2 ulp (measured on a Zen 3: at most 1 ulp from NumPy in float64 but for tanh, 2 near
|x| = 0.65; under 1.2 ulp from the exact value, float32 and float64); infinities, NaN,
-0.0, subnormal arguments and results and the overflow and underflow thresholds as the C
library has them (``exp(710) = inf``, ``exp(-746) = 0``, ``log(0) = -inf``,
``log(-1) = nan``, ``log1p(-1) = -inf``, ``tanh(±inf) = ±1``).

Bits: the functions are compiled without fastmath flags (``SCALAR_JIT``), every operation
in the order written, no fused multiply-add: the same bits wherever LLVM inlines them, in a
strict or a fastmath caller, scalar or vectorised (``tests/test_fastmath.py`` checks it).
"""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from ._numba import SCALAR_JIT

_INLINED = dict(SCALAR_JIT, forceinline=True)
"""``SCALAR_JIT`` (no fastmath flags: every operation as written) and LLVM's ``alwaysinline``:
LLVM's inliner would leave ``tanh`` (with ``exp`` inlined in it) a call, and a loop with a
call does not vectorise. numba's own ``inline="always"`` would not do: it inlines numba's
IR, compiled then with the caller's fastmath flags."""

# --- bit casts ------------------------------------------------------------------------------


@intrinsic
def _bits(typingctx, x):
    """The bits of a float as a signed integer of its width (a bit cast, no conversion)."""
    if not isinstance(x, types.Float):
        return None
    int_type = types.int64 if x.bitwidth == 64 else types.int32

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(int_type))

    return int_type(x), codegen


@intrinsic
def _float_of_bits(typingctx, bits, like):
    """The float of ``like``'s type whose bits are the low bits of the integer ``bits``."""
    if not (isinstance(bits, types.Integer) and isinstance(like, types.Float)):
        return None

    def codegen(context, builder, signature, args):
        value, width = args[0], like.bitwidth
        if value.type.width > width:
            value = builder.trunc(value, ir.IntType(width))
        elif value.type.width < width:
            value = builder.sext(value, ir.IntType(width))
        return builder.bitcast(value, context.get_value_type(like))

    return like(bits, like), codegen


# --- float64 --------------------------------------------------------------------------------

_INF = np.float64(np.inf)
_NAN = np.float64(np.nan)
_SHIFT = np.float64(6755399441055744.0)  # 1.5 * 2**52: x + _SHIFT - _SHIFT rounds x to an integer
_SHIFT_BITS = int(_SHIFT.view(np.int64))
_LN2_HI = np.float64(6.93147180369123816490e-01)  # 0x3fe62e42fee00000: k * _LN2_HI is exact
_LN2_LO = np.float64(1.90821492927058770002e-10)  # 0x3dea39ef35793c76
_INV_LN2 = np.float64(1.44269504088896338700e+00)
_EXP_OVER = np.float64(7.09782712893383973096e+02)  # above: exp overflows
_EXP_UNDER = np.float64(-7.45133219101941108420e+02)  # below: exp < 2**-1075, rounds to 0
_EXP_P1 = np.float64(1.66666666666666019037e-01)
_EXP_P2 = np.float64(-2.77777777770155933842e-03)
_EXP_P3 = np.float64(6.61375632143793436117e-05)
_EXP_P4 = np.float64(-1.65339022054652515390e-06)
_EXP_P5 = np.float64(4.13813679705723846039e-08)
_LG1 = np.float64(6.666666666666735130e-01)
_LG2 = np.float64(3.999999999940941908e-01)
_LG3 = np.float64(2.857142874366239149e-01)
_LG4 = np.float64(2.222219843214978396e-01)
_LG5 = np.float64(1.818357216161805012e-01)
_LG6 = np.float64(1.531383769920937332e-01)
_LG7 = np.float64(1.479819860511658591e-01)
_MIN_NORMAL = np.float64(2.2250738585072014e-308)
_TWO54 = np.float64(2.0 ** 54)
_TINY = np.float64(2.0 ** -54)  # |x| below: log1p(x) rounds to x
_TANH_P0 = np.float64(-9.64399179425052238628e-1)
_TANH_P1 = np.float64(-9.92877231001918586564e1)
_TANH_P2 = np.float64(-1.61468768441708447952e3)
_TANH_Q0 = np.float64(1.12811678491632931402e2)
_TANH_Q1 = np.float64(2.23548839060100448583e3)
_TANH_Q2 = np.float64(4.84406305325125486048e3)
_TANH_SMALL = np.float64(0.625)
_ZERO, _HALF, _ONE, _TWO = np.float64(0.0), np.float64(0.5), np.float64(1.0), np.float64(2.0)


@njit(**_INLINED)
def _exp64(x):
    xc = x if x < _EXP_OVER else _EXP_OVER  # NaN too: the result is replaced below
    xc = xc if xc > _EXP_UNDER else _EXP_UNDER
    t = xc * _INV_LN2 + _SHIFT
    kf = t - _SHIFT  # k = round(x / ln 2), -1075 <= k <= 1024
    hi = xc - kf * _LN2_HI
    lo = kf * _LN2_LO
    r = hi - lo
    rr = r * r
    c = r - rr * (_EXP_P1 + rr * (_EXP_P2 + rr * (_EXP_P3 + rr * (_EXP_P4 + rr * _EXP_P5))))
    y = _ONE - ((lo - (r * c) / (_TWO - c)) - hi)
    k = _bits(t) - _SHIFT_BITS
    k1 = k >> 1  # 2**k in two normal halves: a subnormal result is rounded once, at the end
    k2 = k - k1
    y = y * _float_of_bits((k1 + 1023) << 52, x) * _float_of_bits((k2 + 1023) << 52, x)
    y = _INF if x > _EXP_OVER else y
    y = _ZERO if x < _EXP_UNDER else y
    return x if x != x else y


@njit(**_INLINED)
def _log_kernel64(f):
    """``ln(1 + f) - f`` without its last ``+ f``: ``s(h + R) - h``, split for the callers."""
    hfsq = _HALF * f * f
    s = f / (_TWO + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    return s * (hfsq + (t2 + t1)), hfsq


@njit(**_INLINED)
def _int_to_float64(k):
    """``float(k)`` for a small integer, through the bits (a vector int64 -> float64
    conversion needs AVX-512; an integer add and a subtraction do not)."""
    return _float_of_bits(k + _SHIFT_BITS, _SHIFT) - _SHIFT


@njit(**_INLINED)
def _log64(x):
    subnormal = x < _MIN_NORMAL
    xs = x * _TWO54 if subnormal else x
    ix = _bits(xs)
    hx = (ix >> 32) + (0x3ff00000 - 0x3fe6a09e)  # mantissa >= sqrt(2)/2: next exponent
    k = (hx >> 20) - 0x3ff - (54 if subnormal else 0)
    hx = (hx & 0x000fffff) + 0x3fe6a09e
    f = _float_of_bits((hx << 32) | (ix & 0xffffffff), x) - _ONE
    sr, hfsq = _log_kernel64(f)
    dk = _int_to_float64(k)
    y = sr + dk * _LN2_LO - hfsq + f + dk * _LN2_HI
    y = x if not x < _INF else y  # +inf, NaN
    y = -_INF if x == _ZERO else y
    return _NAN if x < _ZERO else y


@njit(**_INLINED)
def _log1p64(x):
    u = _ONE + x
    iu = _bits(u)
    hu = (iu >> 32) + (0x3ff00000 - 0x3fe6a09e)
    k = (hu >> 20) - 0x3ff
    c = (_ONE - (u - x)) if k >= 2 else (x - (u - _ONE))  # 1 + x - u, exactly
    c = c / u if k < 54 else _ZERO
    hu = (hu & 0x000fffff) + 0x3fe6a09e
    f = _float_of_bits((hu << 32) | (iu & 0xffffffff), x) - _ONE
    f = x if k == 0 else f  # sqrt(2)/2 <= 1 + x < sqrt(2): f = x exactly, no correction
    c = _ZERO if k == 0 else c
    sr, hfsq = _log_kernel64(f)
    dk = _int_to_float64(k)
    y = sr + (dk * _LN2_LO + c) - hfsq + f + dk * _LN2_HI
    y = x if abs(x) < _TINY else y  # keeps -0.0
    y = x if not x < _INF else y  # +inf, NaN
    y = -_INF if x == -_ONE else y
    return _NAN if x < -_ONE else y


@njit(**_INLINED)
def _tanh64(x):
    ax = abs(x)
    big = _ONE - _TWO / (_exp64(ax + ax) + _ONE)  # 1 once exp overflows
    z = ax * ax
    p = ((_TANH_P0 * z + _TANH_P1) * z + _TANH_P2) * z
    q = ((z + _TANH_Q0) * z + _TANH_Q1) * z + _TANH_Q2
    small = ax + (ax * p) / q
    return math.copysign(big if ax >= _TANH_SMALL else small, x)


# --- float32 --------------------------------------------------------------------------------

_INF_F = np.float32(np.inf)
_NAN_F = np.float32(np.nan)
_SHIFT_F = np.float32(12582912.0)  # 1.5 * 2**23
_SHIFT_BITS_F = int(_SHIFT_F.view(np.int32))
_EXP_LN2_HI_F = np.float32(6.9314575195e-01)  # 0x3f317200
_EXP_LN2_LO_F = np.float32(1.4286067653e-06)  # 0x35bfbe8e
_INV_LN2_F = np.float32(1.4426950216e+00)
_EXP_OVER_F = np.float32(88.72283172607421875)  # 0x42b17217, the last x with exp(x) finite
_EXP_UNDER_F = np.float32(-1.0397208405e+02)  # 0xc2cff1b5
_EXP_P1_F = np.float32(1.6666625440e-1)
_EXP_P2_F = np.float32(-2.7667332906e-3)
_LN2_HI_F = np.float32(6.9313812256e-01)  # 0x3f317180
_LN2_LO_F = np.float32(9.0580006145e-06)  # 0x3717f7d1
_LG1_F = np.float32(float.fromhex("0xaaaaaa.0p-24"))
_LG2_F = np.float32(float.fromhex("0xccce13.0p-25"))
_LG3_F = np.float32(float.fromhex("0x91e9ee.0p-25"))
_LG4_F = np.float32(float.fromhex("0xf89e26.0p-26"))
_MIN_NORMAL_F = np.float32(1.17549435e-38)
_TWO25_F = np.float32(2.0 ** 25)
_TINY_F = np.float32(2.0 ** -25)
_TANH_P0_F = np.float32(-5.70498872745e-3)
_TANH_P1_F = np.float32(2.06390887954e-2)
_TANH_P2_F = np.float32(-5.37397155531e-2)
_TANH_P3_F = np.float32(1.33314422036e-1)
_TANH_P4_F = np.float32(-3.33332819422e-1)
_TANH_SMALL_F = np.float32(0.625)
_ZERO_F, _HALF_F, _ONE_F, _TWO_F = (np.float32(0.0), np.float32(0.5), np.float32(1.0),
                                    np.float32(2.0))


@njit(**_INLINED)
def _exp32(x):
    xc = x if x < _EXP_OVER_F else _EXP_OVER_F
    xc = xc if xc > _EXP_UNDER_F else _EXP_UNDER_F
    t = xc * _INV_LN2_F + _SHIFT_F
    kf = t - _SHIFT_F  # -150 <= k <= 128
    hi = xc - kf * _EXP_LN2_HI_F
    lo = kf * _EXP_LN2_LO_F
    r = hi - lo
    rr = r * r
    c = r - rr * (_EXP_P1_F + rr * _EXP_P2_F)
    y = _ONE_F - ((lo - (r * c) / (_TWO_F - c)) - hi)
    k = _bits(t) - _SHIFT_BITS_F
    k1 = k >> 1
    k2 = k - k1
    y = y * _float_of_bits((k1 + 127) << 23, x) * _float_of_bits((k2 + 127) << 23, x)
    y = _INF_F if x > _EXP_OVER_F else y
    y = _ZERO_F if x < _EXP_UNDER_F else y
    return x if x != x else y


@njit(**_INLINED)
def _log_kernel32(f):
    s = f / (_TWO_F + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2_F + w * _LG4_F)
    t2 = z * (_LG1_F + w * _LG3_F)
    hfsq = _HALF_F * f * f
    return s * (hfsq + (t2 + t1)), hfsq


@njit(**_INLINED)
def _int_to_float32(k):
    return _float_of_bits(k + _SHIFT_BITS_F, _SHIFT_F) - _SHIFT_F


@njit(**_INLINED)
def _log32(x):
    subnormal = x < _MIN_NORMAL_F
    xs = x * _TWO25_F if subnormal else x
    ix = _bits(xs) + (0x3f800000 - 0x3f3504f3)
    k = (ix >> 23) - 0x7f - (25 if subnormal else 0)
    f = _float_of_bits((ix & 0x007fffff) + 0x3f3504f3, x) - _ONE_F
    sr, hfsq = _log_kernel32(f)
    dk = _int_to_float32(k)
    y = sr + dk * _LN2_LO_F - hfsq + f + dk * _LN2_HI_F
    y = x if not x < _INF_F else y
    y = -_INF_F if x == _ZERO_F else y
    return _NAN_F if x < _ZERO_F else y


@njit(**_INLINED)
def _log1p32(x):
    u = _ONE_F + x
    iu = _bits(u) + (0x3f800000 - 0x3f3504f3)
    k = (iu >> 23) - 0x7f
    c = (_ONE_F - (u - x)) if k >= 2 else (x - (u - _ONE_F))
    c = c / u if k < 25 else _ZERO_F
    f = _float_of_bits((iu & 0x007fffff) + 0x3f3504f3, x) - _ONE_F
    f = x if k == 0 else f
    c = _ZERO_F if k == 0 else c
    sr, hfsq = _log_kernel32(f)
    dk = _int_to_float32(k)
    y = sr + (dk * _LN2_LO_F + c) - hfsq + f + dk * _LN2_HI_F
    y = x if abs(x) < _TINY_F else y
    y = x if not x < _INF_F else y
    y = -_INF_F if x == -_ONE_F else y
    return _NAN_F if x < -_ONE_F else y


@njit(**_INLINED)
def _tanh32(x):
    ax = abs(x)
    big = _ONE_F - _TWO_F / (_exp32(ax + ax) + _ONE_F)
    z = ax * ax
    p = ((((_TANH_P0_F * z + _TANH_P1_F) * z + _TANH_P2_F) * z + _TANH_P3_F) * z
         + _TANH_P4_F)
    small = p * z * ax + ax
    return math.copysign(big if ax >= _TANH_SMALL_F else small, x)


# --- the public functions: float32 or float64, in compiled code and in Python ---------------

def _public(name, for32, for64, doc):
    def function(x):
        if isinstance(x, np.float32):
            return np.float32(for32(x))
        return np.float64(for64(x))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc

    @overload(function, jit_options=dict(fastmath=False, forceinline=True))
    def _typed(x):
        if x == types.float32:
            return lambda x: for32(x)
        if isinstance(x, types.Float):
            return lambda x: for64(x)
        return None

    return function


exp = _public("exp", _exp32, _exp64, "e**x of a float32 or float64 scalar, in its type.")
log = _public("log", _log32, _log64,
              "Natural logarithm of a float32 or float64 scalar, in its type.")
log1p = _public("log1p", _log1p32, _log1p64,
                "ln(1 + x) of a float32 or float64 scalar, in its type.")
tanh = _public("tanh", _tanh32, _tanh64,
               "Hyperbolic tangent of a float32 or float64 scalar, in its type.")

__all__ = ["exp", "log", "log1p", "tanh"]

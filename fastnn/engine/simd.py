r"""Explicit vector multiply-adds over the lanes of a population (``lanes``).

In the lanes every network's sums run term after term, so the loop that vectorises is the
loop over networks, and it has to be innermost. Written as plain loops, each term then
loads its running sum from memory and stores it back (LLVM vectorises only innermost
loops, and numba builds without the SLP vectoriser, numba issue #8705), which bounds the
kernels by loads and stores instead of multiply-adds. ``fma_rows`` keeps ``ROWS`` running
sums of one vector of lanes in registers for a whole sum:

.. math::

    \mathrm{OUT}_{o + i\,\sigma_o,\ r} \leftarrow
    \Big(\cdots\big(z_i + B_{b,\,r}\, C_{c + i\sigma_c,\,r}\big) + \cdots\Big)
    + B_{b + (T-1)\beta,\,r}\, C_{c + i\sigma_c + (T-1)\gamma,\,r}

for ``i < ROWS`` and the lanes ``r0 <= r < r0 + VW`` (one 256-bit vector), each term one
fused multiply-add (``llvm.fma``), in the order t = 0, 1, ..., T-1, from :math:`z_i = 0` or
the value in ``OUT``. That is exactly what the ordered kernels of ``fast_kernels`` compute
for one network (their ``s += a * w`` is one fused multiply-add per term, in order), so a
lane's bits stay those of ``fit``. Rows of the three arrays are lanes-wide (shape
(rows, lanes), C order, lanes a multiple of ``vector_width``).
"""
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

VECTOR_BYTES = 32
"""One AVX2 register (the machines fastnn runs on have AVX2 at least)."""


def vector_width(dtype):
    """Lanes in one vector of ``dtype`` (4 float64, 8 float32)."""
    return VECTOR_BYTES // np.dtype(dtype).itemsize


def _fma_rows(rows):
    @intrinsic
    def fma_rows(typingctx, OUT, o, o_step, B, b, b_step, C, c, c_row, c_step, T, r0,
                 accumulate):
        sig = types.void(OUT, o, o_step, B, b, b_step, C, c, c_row, c_step, T, r0, accumulate)

        def codegen(context, builder, signature, args):
            out, o, o_step, B_, b, b_step, C_, c, c_row, c_step, T_, r0, accumulate = args
            fty = context.get_value_type(OUT.dtype)
            width = VECTOR_BYTES // context.get_abi_sizeof(fty)
            vty = ir.VectorType(fty, width)
            fma = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(vty, [vty, vty, vty]),
                f"llvm.fma.v{width}f{8 * context.get_abi_sizeof(fty)}")
            i64 = ir.IntType(64)

            def rows_of(array_type, value):
                array = context.make_array(array_type)(context, builder, value)
                return array.data, cgutils.unpack_tuple(builder, array.shape, 2)[1]

            out_p, lanes = rows_of(OUT, out)
            b_p, _ = rows_of(B, B_)
            c_p, _ = rows_of(C, C_)

            def vector_at(pointer, row):
                at = builder.gep(pointer, [builder.add(builder.mul(row, lanes), r0)])
                return builder.bitcast(at, vty.as_pointer())

            zero = ir.Constant(vty, [ir.Constant(fty, 0.0)] * width)
            keep = builder.icmp_unsigned("!=", accumulate, ir.Constant(accumulate.type, 0))
            out_at = []
            starts = []
            for i in range(rows):
                at = vector_at(out_p, builder.add(o, builder.mul(o_step, ir.Constant(i64, i))))
                out_at.append(at)
                starts.append(builder.select(keep, builder.load(at, align=1), zero))
            # the loop over t: one pointer into B and one per row of C, advanced by their
            # strides (in vectors of lanes); the running sums are loop values (registers)
            vector = ir.Constant(i64, width)  # strides in vectors of lanes
            b_stride = builder.sdiv(builder.mul(b_step, lanes), vector)
            c_stride = builder.sdiv(builder.mul(c_step, lanes), vector)
            b_first = vector_at(b_p, b)
            c_first = [vector_at(c_p, builder.add(c, builder.mul(c_row, ir.Constant(i64, i))))
                       for i in range(rows)]
            entry = builder.block
            header = builder.append_basic_block("fma_rows.header")
            body = builder.append_basic_block("fma_rows.body")
            done = builder.append_basic_block("fma_rows.done")
            builder.branch(header)
            builder.position_at_end(header)
            t = builder.phi(i64)
            b_at = builder.phi(b_first.type)
            c_at = [builder.phi(p.type) for p in c_first]
            sums = [builder.phi(vty) for _ in range(rows)]
            t.add_incoming(ir.Constant(i64, 0), entry)
            b_at.add_incoming(b_first, entry)
            for phi, first in zip(c_at + sums, c_first + starts):
                phi.add_incoming(first, entry)
            builder.cbranch(builder.icmp_signed("<", t, T_), body, done)
            builder.position_at_end(body)
            b_vec = builder.load(b_at, align=1)
            new_sums = [builder.call(fma, [b_vec, builder.load(at, align=1), total])
                        for at, total in zip(c_at, sums)]
            t.add_incoming(builder.add(t, ir.Constant(i64, 1)), body)
            b_at.add_incoming(builder.gep(b_at, [b_stride]), body)
            for phi in c_at:
                phi.add_incoming(builder.gep(phi, [c_stride]), body)
            for phi, value in zip(sums, new_sums):
                phi.add_incoming(value, body)
            builder.branch(header)
            builder.position_at_end(done)
            for at, total in zip(out_at, sums):
                builder.store(total, at, align=1)
            return context.get_dummy_value()

        return sig, codegen

    return fma_rows


ROWS = 4
"""Running sums ``fma_rows4`` keeps in registers (one vector of lanes each)."""
fma_rows4 = _fma_rows(ROWS)
fma_rows1 = _fma_rows(1)
fma_rows4.__doc__ = fma_rows1.__doc__ = r"""``fma_rows4`` and ``fma_rows1``, called as
``(OUT, o, o_step, B, b, b_step, C, c, c_row, c_step, T, r0, accumulate)``: for i < 4 (or
1), ``OUT[o + i*o_step, r0:r0+VW]`` = (``OUT``'s value if ``accumulate`` else 0) + the sum
over t < T, in order, of ``B[b + t*b_step, lanes] * C[c + i*c_row + t*c_step, lanes]``, one
fused multiply-add per term (see the module docstring)."""

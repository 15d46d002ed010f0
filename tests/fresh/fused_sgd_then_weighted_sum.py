"""Run by ``test_fast_kernels.test_sgd_then_weighted_sum_equals_the_two_in_turn`` in a new
process with an empty numba cache (this file's name keeps it out of the suite's own run):
the fused SGD step and next weighted sum against the two kernels in turn, bit for bit."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fast_kernels import DRIVERS, DTYPES, arrays, seeds, sgd_alone, small, widths

from fastnn.core import activations
from fastnn.engine import fast_kernels as fk


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("driver", DRIVERS)
@settings(max_examples=15, deadline=None)
@given(m=small, m_next=small, n_in=st.integers(1, 40), n_out=small, seed=seeds,
       name=st.sampled_from(activations.HIDDEN_NAMES), per=widths,
       penalty=st.sampled_from([(0.0, 0.0), (0.2, 0.03)]))
def test_sgd_then_weighted_sum_equals_the_two_in_turn(dtype, driver, m, m_next, n_in, n_out, seed,
                                                      name, per, penalty):
    """This batch's SGD step fused with the next batch's weighted sum: the same bits as
    ``sgd_*`` followed by ``weighted_sum_*``."""
    delta, a_prev, w, b, a_next = arrays(seed, dtype, (m, n_out), (m, n_in), (n_out, n_in),
                                         (n_out,), (m_next, n_in))
    code, (l2, l1) = activations.CODES[name], penalty
    w2, b2 = w.copy(), b.copy()
    s, a = np.empty((m_next, n_out), dtype), np.empty((m_next, n_out), dtype)
    s2, a2 = np.empty_like(s), np.empty_like(a)
    sgd_alone(driver, per, delta, a_prev, w, b, 1.0 / m, 0.3, 1, l2, l1)
    getattr(fk, f"weighted_sum_{driver}")(per, code, w, b, a_next, s, a)
    getattr(fk, f"sgd_then_weighted_sum_{driver}")(per, delta, a_prev, w2, b2, 1.0 / m, 0.3, 1,
                                                   l2, l1, code, a_next, s2, a2)
    for one, two in ((w, w2), (b, b2), (s, s2), (a, a2)):
        np.testing.assert_array_equal(one, two)

"""The per-order stock check's whole-number shortcut agrees with the float test it stands for."""

import math

from hypothesis import given
from hypothesis import strategies as st

from livemon.detect.monitor import _minutes_covering
from livemon.events import MAX_TOTAL

counts = st.integers(min_value=0, max_value=MAX_TOTAL)
# Every lead time near a whole minute, where rounding could matter, and any other.
etas = st.one_of(
    st.integers(min_value=1, max_value=10**6).map(lambda m: math.nextafter(60.0 * m, math.inf)),
    st.integers(min_value=1, max_value=10**6).map(lambda m: 60.0 * m),
    st.floats(min_value=1e-6, max_value=1e18, allow_nan=False),
    st.just(math.inf),
)


@given(etas, counts, counts)
def test_whole_number_shortcut_implies_the_float_test(eta_s, stock, units):
    """When stock >= k x units, the float test stock x 60 >= eta_s x units holds too, so a
    shortcut order is one _check_stock would also have let through."""
    if stock >= _minutes_covering(eta_s) * units:
        assert units <= 0 or stock * 60.0 >= eta_s * float(units)


small = st.integers(min_value=0, max_value=10**7)  # products stay exact in floats


@given(st.integers(min_value=1, max_value=10**6), small, small)
def test_whole_minutes_give_the_same_test(minutes, stock, units):
    """With a lead time of whole minutes (the default 120 s) and real-sized counts the
    shortcut is the float test itself, so no usual order falls through to the slow path."""
    eta_s = 60.0 * minutes
    assert (stock >= _minutes_covering(eta_s) * units) == (stock * 60.0 >= eta_s * float(units))

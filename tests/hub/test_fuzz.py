"""Fuzzing with hypothesis: events, frames and commands against the codec.

Any frame decodes or closes with a one-line reason and a close code; a bad
event is rejected alone. The default run is short (a few seconds);
``LIVEMON_LONG_FUZZ=1 pytest tests/hub/test_fuzz.py`` runs many more
examples (the long fuzz).
"""

from __future__ import annotations

import os
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livemon import wire
from livemon.events import EventError, decode_event

LONG = bool(os.environ.get("LIVEMON_LONG_FUZZ"))
CODEC_EXAMPLES = 5000 if LONG else 300
T0 = 1_767_225_600.0

# -- strategies --------------------------------------------------------------------------------

ints = st.one_of(st.integers(-(2**63), 2**64 - 1), st.sampled_from([0, 1, -1, 2**53, 2**63 - 1]))
scalars = st.one_of(st.none(), st.booleans(), ints, st.floats(allow_nan=True),
                    st.text(max_size=300), st.binary(max_size=50))  # fmt: skip
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)  # fmt: skip
KINDS = ["viewers", "enter", "comment", "like", "gift", "follow", "share", "click", "order",
         "refund", "product", "stock", "featured", "coupon", "live", "dance"]  # fmt: skip
FIELDS = ["online", "total", "n", "user", "text", "value_cents", "sku", "order_id", "qty",
          "price_cents", "buyer", "coupon", "name", "stock", "available", "coupon_id",
          "discount_cents", "count", "expires_ts", "on"]  # fmt: skip
rooms = st.one_of(st.sampled_from(["r1", "bad/room", "..", "x" * 200, ""]), st.text(max_size=20))


@st.composite
def events(draw) -> Any:
    """An event-like map: a known or unknown type, any room and ts, any fields of any value."""
    if draw(st.integers(0, 9)) == 0:
        return draw(values)  # not even a map
    event = {"type": draw(st.sampled_from(KINDS)), "room": draw(rooms),
             "ts": draw(st.one_of(st.floats(allow_nan=True), ints, st.just(T0 + 1)))}  # fmt: skip
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=6)):
        event[field] = draw(values)
    return event


@st.composite
def frames(draw) -> bytes | str:
    """A frame as an adapter or a console might send one, mostly broken."""
    pick = draw(st.integers(0, 5))
    if pick == 0:
        return draw(st.binary(max_size=200))  # anything at all
    if pick == 1:
        return draw(st.text(max_size=50))  # a text frame
    if pick == 2:
        return msgpack.packb(draw(values), use_bin_type=True)
    if pick == 3:
        cmd = {"op": "command", "id": draw(values), "room": draw(rooms),
               "action": draw(st.sampled_from(["coupon", "pin", "ack", "dance"])),
               "args": draw(values)}  # fmt: skip
        return msgpack.packb(cmd, use_bin_type=True)
    message = {"op": "events", "seq": draw(st.one_of(ints, values)),
               "events": draw(st.lists(events(), max_size=5))}  # fmt: skip
    return msgpack.packb(message, use_bin_type=True)


# -- against the codec -------------------------------------------------------------------------


@settings(max_examples=CODEC_EXAMPLES, deadline=None)
@given(frames())
def test_the_codec_raises_only_protocol_errors_and_rejects_events_alone(frame):
    """Any frame decodes, or raises ProtocolError with a close code; a bad event in a batch
    stands in its place as an EventError with a message, never as a crash."""
    try:
        parsed = wire.decode_batch(frame)
    except wire.ProtocolError as exc:
        assert exc.code in (1002, 1009) and exc.reason and "\n" not in exc.reason
        return
    if parsed is not None:
        _, items, _ = parsed
        for item in items:
            assert not isinstance(item, EventError) or str(item)


@settings(max_examples=CODEC_EXAMPLES, deadline=None)
@given(events())
def test_an_event_decodes_or_is_rejected_with_a_reason(event):
    """One event map either decodes into a typed event or raises EventError naming why."""
    try:
        decode_event(msgpack.packb(event, use_bin_type=True))
    except EventError as exc:
        assert str(exc)


@pytest.mark.skipif(not LONG, reason="the long fuzz: set LIVEMON_LONG_FUZZ=1")
def test_long_fuzz_is_on():
    """The long fuzz runs with many more examples than the default run."""
    assert CODEC_EXAMPLES >= 5000

"""Fuzzing with hypothesis: events, frames, hellos and commands, against the codec and a live hub.

Any frame decodes or closes with a one-line reason and a close code; a bad
event is rejected alone. Against a live hub (``livemon.bench.fuzz``, the
strategies too): bad input never crashes it, never loses a valid event beside
it, never leaves a console unable to connect, and the hub stops promptly
after. The default run is short (a few seconds); ``LIVEMON_LONG_FUZZ=1 pytest
tests/hub/test_fuzz.py`` runs many more examples, and so does ``livemon bench
fuzz --examples N --seed S``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings

from livemon import wire
from livemon.bench import fuzz
from livemon.bench.fuzz import events, frames
from livemon.events import EventError, decode_event

LONG = bool(os.environ.get("LIVEMON_LONG_FUZZ"))
CODEC_EXAMPLES = 5000 if LONG else 300
LIVE_EXAMPLES = 1000 if LONG else 30


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


# -- against a live hub ------------------------------------------------------------------------


async def test_bad_input_beside_a_good_feed_loses_nothing_and_the_hub_stops(tmp_path: Path):
    """Fuzzed hellos, frames and commands on every path of a live hub: every example's good
    events are acked and counted exactly, a console connects after each and sees them,
    no fuzzed connection is closed with 1011 nor logs a traceback, and the hub then stops
    within seconds (it once took 115 s: a console's outbox never ended)."""
    report = await fuzz.fuzz(LIVE_EXAMPLES, seed=6, record_dir=tmp_path)
    assert [why for _, why in report.failures] == []
    assert report.examples == LIVE_EXAMPLES and not report.after
    assert report.stop_s < fuzz.STOP_LIMIT_S
    # Not vacuous: the hub refused some of them, each with a protocol close code.
    assert report.closes[wire.CLOSE_PROTOCOL] > 0


def test_bench_fuzz_reports_examples_failures_and_rate(tmp_path: Path):
    """``livemon bench fuzz --examples 8 --seed 3`` shows progress and prints the examples
    run, the failures found (none) and the rate; exit status 0."""
    done = subprocess.run(
        [sys.executable, "-m", "livemon.cli", "bench", "fuzz", "--examples", "8", "--seed", "3"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "examples run: 8" in done.stdout and "failures found: 0" in done.stdout
    assert "examples/s" in done.stdout and "8/8 examples" in done.stderr


@pytest.mark.skipif(not LONG, reason="the long fuzz: set LIVEMON_LONG_FUZZ=1")
def test_long_fuzz_is_on():
    """The long fuzz runs with many more examples than the default run."""
    assert CODEC_EXAMPLES >= 5000 and LIVE_EXAMPLES >= 1000

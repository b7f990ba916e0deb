"""What the hub keeps in the catalog beside the logs."""

from __future__ import annotations

import json

from livemon import config, wire
from livemon.hub import Hub
from livemon.record import Catalog, log
from livemon.record.recorder import room_dir_name
from plugins.sim import SimAdapter

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}


async def test_a_metrics_row_per_closed_minute_and_a_seek_row_per_minute(tmp_path) -> None:
    """A 5-minute session leaves one metrics row per minute and a seek row about a minute
    of event time apart, from the session's first record on."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    await hub.run_adapter(SimAdapter(room="r", speed="max", duration=300, viewers=500, seed=4))
    final = hub.snapshot("r")["metrics"]
    session = hub.session
    await hub.stop()
    db = hub.catalog.__class__(tmp_path).db
    minutes = list(db.query("select minute, metrics from minutes where session = ? "
                            "order by minute", [session]))  # fmt: skip
    assert 4 <= len(minutes) <= 5  # the last minute closes only if events follow it
    orders = [json.loads(m["metrics"])["orders"] for m in minutes]
    assert orders == sorted(orders) and 0 < orders[-1] <= final["orders"]
    assert [m["minute"] for m in minutes] == list(
        range(minutes[0]["minute"], minutes[0]["minute"] + len(minutes))
    )
    seeks = list(db.query("select second, offset from seek where session = ? order by second",
                          [session]))  # fmt: skip
    seconds = [s["second"] for s in seeks]
    assert 5 <= len(seeks) <= 6  # seconds 0, 60, ..., 300 of the session
    assert all(60 <= b - a <= 62 for a, b in zip(seconds, seconds[1:], strict=False))
    (path,) = (tmp_path / room_dir_name("r")).glob("*.lmrec")
    first_record, first_row = next(log.read(path)), seeks[0]
    assert first_row["offset"] == first_record[0]
    assert [s["offset"] for s in seeks] == sorted(s["offset"] for s in seeks)


async def test_a_seek_reads_on_from_the_newest_row_at_or_before_the_second_it_wants(
    tmp_path,
) -> None:
    """Reading a room's log from ``seek_offset(second)`` skips no event of that second or
    later, and starts at most a minute and a record before it."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    await hub.run_adapter(SimAdapter(room="r", speed="max", duration=300, viewers=500, seed=4))
    session = hub.session
    await hub.stop()
    catalog = Catalog(tmp_path)
    (path,) = (tmp_path / room_dir_name("r")).glob("*.lmrec")
    records = [(offset, [int(e.ts) for e in wire.decode_batch(rec[4])[1]])
               for offset, rec in log.read(path) if rec[0] == log.EVENTS]  # fmt: skip
    first = records[0][1][0]
    assert catalog.seek_offset(session, "r", first - 1) is None  # before the first row
    for second in (first, first + 59, first + 60, first + 150, first + 299, first + 10_000):
        start = catalog.seek_offset(session, "r", second)
        skipped = [s for offset, secs in records if offset < start for s in secs]
        assert all(s < second for s in skipped)
        read = [s for offset, secs in records if offset >= start for s in secs]
        assert read[0] >= min(second, records[-1][1][-1]) - 62
    catalog.close()


def test_a_recording_with_a_seek_row_per_second_is_sought_alike(tmp_path) -> None:
    """A catalog of an older recording, with a seek row per record, gives the offset of
    the second asked for (the newest row at or before it)."""
    catalog = Catalog(tmp_path)
    catalog.add_seek([("s", "r", second, 8 + 100 * k) for k, second in enumerate(range(100, 201))])
    assert catalog.seek_offset("s", "r", 150) == 8 + 100 * 50
    assert catalog.seek_offset("s", "r", 100) == 8
    assert catalog.seek_offset("s", "r", 99) is None
    assert catalog.seek_offset("s", "r", 500) == 8 + 100 * 100
    assert catalog.seek_offset("s", "other", 150) is None
    catalog.close()


async def test_a_clock_that_jumps_over_minutes_still_leaves_a_row_for_each(tmp_path) -> None:
    """Events, then none for 150 s (an outage): every minute from the first has its row."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    t0 = 1_764_000_000.0  # a minute's first second
    times = [t0 + k for k in range(50)] + [t0 + 200 + k for k in range(80)]
    for seq, ts in enumerate(times, 1):
        frame = wire.encode_batch(seq, [{"type": "like", "room": "r", "ts": ts, "n": 1}])
        hub.ingest_frame("a", "r", frame)
    session = hub.session
    await hub.stop()
    db = hub.catalog.__class__(tmp_path).db
    rows = list(db.query("select minute, metrics from minutes where session = ? "
                         "order by minute", [session]))  # fmt: skip
    assert [r["minute"] for r in rows] == [int(t0) // 60 + k for k in range(4)]
    likes = [json.loads(r["metrics"])["likes"] for r in rows]
    # A row holds the numbers when its minute closed: minute 2 when the clock jumped to
    # 200 (before the like of 200 counts), minute 3 once the clock passed 239 + 5 s late.
    assert likes == [50, 50, 50, 50 + 45]

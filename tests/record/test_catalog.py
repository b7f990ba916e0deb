"""What the hub keeps in the catalog beside the logs."""

from __future__ import annotations

import json

from livemon import config, wire
from livemon.hub import Hub
from plugins.sim import SimAdapter

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}


async def test_a_metrics_row_per_closed_minute_and_a_seek_row_per_second(tmp_path) -> None:
    """A 5-minute session leaves one metrics row per minute and a seek offset per second."""
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
    assert [m["minute"] for m in minutes] == list(range(minutes[0]["minute"],
                                                        minutes[0]["minute"] + len(minutes)))
    seeks = list(db.query("select second, offset from seek where session = ? order by second",
                          [session]))  # fmt: skip
    assert len(seeks) >= 290
    assert [s["offset"] for s in seeks] == sorted(s["offset"] for s in seeks)


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

"""What the hub keeps in the catalog beside the logs."""

from __future__ import annotations

import json

from livemon import config
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

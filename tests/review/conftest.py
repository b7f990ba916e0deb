"""A live sim session with an operator at the console, recorded once for the review tests.

The operator issues a coupon, switches the featured product, changes host,
sets a bookmark and acknowledges the first alert, all while the feed runs, so
the recording holds every kind of command in the middle of its events.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from livemon import config
from livemon.hub import Hub
from livemon.record import Catalog
from livemon.record.recorder import room_dir_name
from plugins.sim import SimAdapter

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}
ROOM = "r"
SIM = {
    "scenario": "mixed",
    "seed": 11,
    "speed": "max",
    "duration": 1800,
    "viewers": 800,
    "incident_at": 900,
}


@dataclass
class Live:
    """What the live run produced."""

    record_dir: Path
    log: Path
    session: str
    snapshot: dict[str, Any]
    alerts: list[dict[str, Any]]  # every alert change, as the catalog kept it
    commands: list[dict[str, Any]]


async def _operator(hub: Hub, feed: asyncio.Task, script: list[tuple[float, dict]]) -> None:
    """Carry out ``script`` (seconds after the first event, command) while the feed runs,
    and acknowledge the first alert that opens."""
    acked = False
    n = 0
    while not feed.done():
        await asyncio.sleep(0)
        state = hub.engine.rooms.get(ROOM)
        if state is None or state.first_ts is None:
            continue
        if script and state.clock - state.first_ts >= script[0][0]:
            _, command = script.pop(0)
            n += 1
            await hub.execute({"id": f"op-{n}", "room": ROOM, **command})
        monitor = hub.monitor.rooms.get(ROOM)
        if not acked and monitor is not None:
            hub._drain_alerts()
            opened = [a for a in monitor.book.open_alerts() if a["state"] == "open"]
            if opened:
                acked = True
                await hub.execute(
                    {
                        "id": "op-ack",
                        "room": ROOM,
                        "action": "ack",
                        "args": {"alert_id": opened[0]["id"]},
                    }
                )


SCRIPT = [
    (240.0, {"action": "host", "args": {"name": "Lin"}}),
    (300.0, {"action": "mark", "args": {"label": "warm-up over"}}),
    (420.0, {"action": "coupon", "args": {"discount_cents": 3000, "count": 500}}),
    (700.0, {"action": "feature", "args": {"sku": "22423"}}),
    (1000.5, {"action": "host", "args": {"name": "Mei"}}),
    (1200.0, {"action": "mark", "args": {"label": "second half"}}),
]


async def record_live(
    record_dir: Path,
    sim: dict[str, Any] | None = None,
    script: list[tuple[float, dict]] | None = None,
) -> Live:
    """Run the sim through a real hub with the operator, stop it, and gather what it kept."""
    hub = Hub(config.load(), record_dir, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    adapter = SimAdapter(room=ROOM, **(sim or SIM))
    feed = asyncio.create_task(hub.run_adapter(adapter))
    await asyncio.wait_for(_operator(hub, feed, list(SCRIPT if script is None else script)), 120)
    await feed
    snapshot = hub.snapshot(ROOM)
    session = hub.session
    await hub.stop()
    (log,) = (record_dir / room_dir_name(ROOM)).glob("*.lmrec")
    catalog = Catalog(record_dir)
    alerts = list(catalog.db.query("select * from alerts order by rowid"))
    commands = catalog.commands(session)
    catalog.close()
    return Live(record_dir, log, session, snapshot, alerts, commands)


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Live:
    """The recorded live session (made once for all review tests)."""
    return asyncio.run(record_live(tmp_path_factory.mktemp("live")))

"""An adapter process beside an in-process adapter of the same plugin, feeding one hub.

Both ran under the plugin's name ``sim``, so their seqs shared one counter:
each dropped the other's batches as already held (silently), and the outside
room froze. Now a connection using the name of the hub's in-process feed is
refused with the reason (1008), a newer connection of a name replaces the
older one, and ``livemon adapter --name`` gives the outside feed its own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from livemon import config, wire
from livemon.adapters.remote import RemoteRunner
from livemon.engine import Engine
from livemon.hub import Hub
from plugins.sim import SimAdapter

TOKENS = {"ingest": "ti" * 8, "watch": "tw" * 8, "control": "tc" * 8}
SIM = {"scenario": "mixed", "seed": 3, "speed": "120", "duration": 240, "incident_at": 60,
       "viewers": 300, "start": "now"}  # fmt: skip


async def _alone(room: str) -> dict:
    """The numbers of the sim feed of ``room`` folded on its own, with no hub."""
    engine = Engine()
    async for batch in SimAdapter(room=room, **SIM).batches():
        engine.apply([wire_event(e) for e in batch])
    return engine.snapshot(room)["metrics"]


def wire_event(event: dict):
    from livemon.events import from_dict

    return from_dict(event)


async def test_external_adapter_beside_an_in_process_one_gives_exact_totals(tmp_path: Path):
    """`serve --adapter sim` for room-1 and `livemon adapter sim --room room-2` at once: each
    room ends with exactly the numbers its feed gives alone."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        inside = hub.run_adapter(SimAdapter(room="room-1", **SIM))
        outside = RemoteRunner(
            SimAdapter(room="room-2", **SIM), hub.url(), TOKENS["ingest"], name="sim-2"
        )  # livemon adapter sim --room room-2 --name sim-2
        await asyncio.wait_for(asyncio.gather(inside, outside.run()), 60)
        assert outside.rejected == []
        got = {room: hub.snapshot(room)["metrics"] for room in ("room-1", "room-2")}
    finally:
        await hub.stop()
    for room in ("room-1", "room-2"):
        alone = await _alone(room)
        assert alone["orders"] > 10 and alone["comments"] > 50
        assert got[room] == alone, room


async def test_a_feed_taking_the_in_process_feeds_name_is_refused_with_why(tmp_path: Path):
    """An outside adapter saying hello under the name of the hub's in-process feed is closed
    with 1008 and the reason, instead of silently dropping the other's batches."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    inside = asyncio.create_task(hub.run_adapter(SimAdapter(room="room-1", **SIM)))
    try:
        await asyncio.sleep(0.2)
        async with connect(hub.url("/ingest")) as ws:
            await ws.send(wire.encode({"op": "hello", "v": 1, "token": TOKENS["ingest"],
                                       "name": "sim", "rooms": ["room-2"]}))  # fmt: skip
            try:
                await asyncio.wait_for(ws.recv(), 5)
                raise AssertionError("the hub took a second feed under the same name")
            except ConnectionClosed as exc:
                assert exc.rcvd.code == 1008 and "in-process feed" in exc.rcvd.reason
    finally:
        inside.cancel()
        await asyncio.gather(inside, return_exceptions=True)
        await hub.stop()

"""A hub stops promptly whatever its clients did.

The cause of a 115 s stop after a fuzz run: a console's outbox sent with
``asyncio.wait_for``, which on Python 3.11 swallows a cancel that comes as
the send finishes. The outbox task then waited forever, the connection's
handler waited on it, and ``Hub.stop`` (the server's ``wait_closed``) on the
handler.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from livemon import wire
from livemon.adapters.base import Adapter


async def test_an_outbox_stops_at_once_wherever_its_send_is(hub, raw):
    """Stopping a console's outbox at each step of a send in flight ends it within a
    second every time (the old outbox never ended when stopped as its send finished)."""
    stuck = []
    for steps in range(12):
        watcher = await raw.console("/watch")
        (outbox,) = hub.outboxes
        await asyncio.sleep(0.05)  # its task waits for something to send
        outbox.message(wire.encode({"op": "result", "id": steps, "ok": True, "detail": ""}))
        for _ in range(steps):
            await asyncio.sleep(0)
        stopping = asyncio.ensure_future(outbox.stop())  # as the console's handler stops it
        done, _ = await asyncio.wait({stopping}, timeout=1.0)
        if not done:
            stuck.append(steps)
        hub.outboxes.discard(outbox)
        await watcher.ws.close()
    assert stuck == []


async def test_a_hub_stops_promptly_after_consoles_and_adapters_came_and_went(hub, raw):
    """After consoles, adapters and half-open connections came and went (some still open,
    one that never said hello), ``Hub.stop`` returns within a few seconds."""
    for k in range(10):
        await raw.console("/watch" if k % 2 else "/control")
        feed = await raw.adapter(f"feed-{k}", ("r1",))
        await feed.events(feed.seen[0]["acked_seq"] + 1, [raw.like(raw.t0 + k, 1)])
        if k % 3 == 0:
            await raw.close_all()
            raw.clients.clear()
    await raw.connect("/ingest")  # says nothing
    await asyncio.wait_for(hub.stop(), 8)
    assert hub.engine.rooms["r1"].likes == 10


async def test_a_hub_stops_promptly_while_its_disk_is_full_and_ingest_waits(tmp_path, monkeypatch):
    """With the disk full and more bytes held than ``max_pending_mb``, an adapter's next frame
    waits for space; stopping the hub then closes that connection (1001, going away) and
    returns within seconds instead of waiting for space forever (it did), and nothing past
    the durable record was acked."""
    from livemon import config
    from livemon.hub import Hub
    from tests.hub.conftest import TOKENS, FullDisk, adapter, like

    disk = FullDisk(monkeypatch)
    cfg = config.load()
    cfg["hub"]["max_pending_mb"] = 0.001  # about 1 KB held, then ingest waits
    hub = Hub(cfg, tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    feed = await adapter(hub, "feed", ("r1",))
    await feed.events(1, [like(1_767_225_600 + k, 1) for k in range(10)])
    await feed.wait_ack(10)
    disk.full = True
    seq = await feed.events(11, [like(1_767_225_700 + j, 1) for j in range(40)]) + 1
    async with asyncio.timeout(5):
        while not hub.disk.failing:  # the hub has tried, and failed, to write it
            await asyncio.sleep(0.02)
    for k in range(3):  # past the cap: the hub waits for space before reading this feed on
        seq = await feed.events(seq, [like(1_767_225_800 + k * 10 + j, 1) for j in range(40)]) + 1
    await asyncio.sleep(0.3)
    await asyncio.wait_for(hub.stop(), 8)
    code = await feed.closed_code()
    assert code == 1001 and feed.acked == 10


class _Sitting(Adapter):
    """An in-process adapter that sends one event, then never answers a command."""

    name = "sitting"
    capabilities = frozenset({"feature"})

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        yield [{"type": "viewers", "room": self.room, "ts": 1_767_225_600.0, "online": 9}]
        await asyncio.Event().wait()

    async def command(self, action: str, args: Any) -> str:
        await asyncio.Event().wait()
        return "never"


async def test_a_command_its_adapter_has_not_answered_ends_with_the_hub_as_unknown(tmp_path):
    """Stopping the hub while an in-process adapter sits on a command ends that command at
    once, recorded as "outcome unknown": after a restart a retry of its id gets that answer
    and is not carried out a second time (it could issue a coupon twice)."""
    from livemon import config
    from livemon.hub import Hub
    from tests.hub.conftest import TOKENS, console

    command = {"op": "command", "id": "c1", "room": "r1", "action": "feature",
               "args": {"sku": "A"}}  # fmt: skip
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    sitting = _Sitting(room="r1")
    feed = asyncio.create_task(hub.run_adapter(sitting))
    async with asyncio.timeout(5):
        while "r1" not in hub.engine.rooms:
            await asyncio.sleep(0.02)
    control = await console(hub, "/control")
    await control.send(command)
    await asyncio.sleep(0.3)  # the command now waits on the adapter
    await asyncio.wait_for(hub.stop(end_session=False), 8)
    feed.cancel()
    assert not [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "Hub._answer"]

    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        (row,) = hub.catalog.commands(hub.session)
        assert (row["id"], row["ok"]) == ("c1", 0) and "outcome unknown" in row["detail"]
        control = await console(hub, "/control")
        await control.send(command)
        result = await control.recv_op("result", id="c1")
        assert result["ok"] is False and "outcome unknown" in result["detail"]
    finally:
        await hub.stop()


async def test_a_frame_that_meets_a_stopping_hub_closes_its_feed_going_away(tmp_path):
    """A frame taken once the stop has begun is refused with 1001 (going away), the code
    the server's own close gives: which of the two reaches the feed first is a race, and
    both must tell it the same (it said 1013, try again later, on a loaded machine)."""
    import pytest

    from livemon import config
    from livemon.hub import Hub
    from tests.hub.conftest import TOKENS

    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    hub._stopping = True  # as Hub.stop sets it before closing the server
    with pytest.raises(wire.ProtocolError) as refused:
        await hub._take("feed", None, b"")
    assert refused.value.code == wire.CLOSE_GOING_AWAY == 1001
    hub.catalog.close()

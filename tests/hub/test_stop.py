"""A hub stops promptly whatever its clients did.

The cause of a 115 s stop after a fuzz run: a console's outbox sent with
``asyncio.wait_for``, which on Python 3.11 swallows a cancel that comes as
the send finishes. The outbox task then waited forever, the connection's
handler waited on it, and ``Hub.stop`` (the server's ``wait_closed``) on the
handler.
"""

from __future__ import annotations

import asyncio

from livemon import wire


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

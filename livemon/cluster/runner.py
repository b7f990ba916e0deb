"""Run an adapter straight onto the bus (``livemon adapter NAME --bus nats://...``).

No hub in between: each batch is stored on the stream under its room's
subject with the message id (adapter, seq, room), and the next is numbered
only once JetStream has stored it; the adapter is then told those events are
durable (``Adapter.acked``), so a webhook answers its shop 200 only for
orders on the stream. A fresh process resumes after the
highest seq the bus holds for its name, and a resend after a lost ack is
stored once. Commands for the adapter's room arrive by request-reply.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from typing import Any

from livemon import wire
from livemon.adapters.base import Adapter, CommandRefused
from livemon.cluster import subjects as s
from livemon.cluster.bus import Bus

log = logging.getLogger("livemon.adapter")


class BusRunner:
    """Feeds ``adapter`` to the stream on ``bus`` (connected, or a URL) as ``name``."""

    def __init__(self, adapter: Adapter, bus: Bus | str, name: str | None = None) -> None:
        self.adapter = adapter
        self.bus = bus if isinstance(bus, Bus) else Bus(bus, name=f"adapter {adapter.name}")
        self.name = name or adapter.name
        self.acked = 0
        self.commands = 0  # commands carried out (ok or refused) by this runner
        self.delivered = 0  # events yielded by the adapter and stored on the stream, in order
        adapter.acked(0)  # this runner tells the adapter what the stream holds

    async def run(self) -> None:
        """Feed until the adapter's feed ends, every batch stored on the stream."""
        bus = self.bus
        if bus.nc is None:
            await bus.connect()
        assert bus.nc is not None
        self.acked = await bus.stored_seq(self.name)
        seq = self.acked + 1
        sub = await bus.nc.subscribe(s.subject("cmd", self.adapter.room), cb=self._command)
        try:
            async for batch in self.adapter.batches():
                if not batch:
                    continue
                frame = wire.encode_batch(seq, batch)
                rooms = {e.get("room") or self.adapter.room for e in batch}
                await bus.publish_frame(self.name, seq, frame, rooms, time.time())
                seq += len(batch)
                self.acked = seq - 1
                self.delivered += len(batch)
                self.adapter.acked(self.delivered)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _command(self, msg: Any) -> None:
        message = json.loads(msg.data)
        try:
            detail = await self.adapter.command(message.get("action"), message.get("args") or {})
            result = {"ok": True, "detail": str(detail)}
        except CommandRefused as exc:
            result = {"ok": False, "detail": str(exc)}
        self.commands += 1
        await msg.respond(json.dumps(result).encode())

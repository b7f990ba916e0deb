"""A local websocket feed of JSON text frames and MessagePack binary frames.

It stands in for a user's own scraper: it sends ``script`` (message maps),
several to a frame, alternating JSON text and MessagePack binary frames,
answers ``{"type": "ping"}`` with ``{"type": "pong"}``, records what clients
send, and can drop the socket or go dead (stop reading, so not even
websocket pings are answered) after a given frame. A new connection resumes
``overlap`` messages before where the last one stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import msgpack
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from tests.plugins.standin import StandIn


@dataclass
class Behaviour:
    per_frame: int = 2
    formats: tuple[str, ...] = ("json", "msgpack")
    drop_after: dict[int, int] = field(default_factory=dict)
    dead_after: dict[int, int] = field(default_factory=dict)
    quiet_s: float = 0.0
    dead_s: float = 1.0  # how long a dead connection lingers before the server cuts it
    overlap: int = 2
    wrap: str = ""  # send each frame as {wrap: [messages]} instead of a bare list


class WsJsonStandIn(StandIn):
    path = "/feed"

    def __init__(self, script: list[dict[str, Any]], behaviour: Behaviour | None = None) -> None:
        super().__init__()
        self.script = list(script)
        self.how = behaviour or Behaviour()
        self.connections = 0
        self.received: list[str | bytes] = []
        self.delivered = 0

    def _frame(self, messages: list[dict[str, Any]], fmt: str) -> str | bytes:
        body: Any = {self.how.wrap: messages} if self.how.wrap else messages
        return json.dumps(body, ensure_ascii=False) if fmt == "json" else msgpack.packb(body)

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        start = max(0, self.delivered - self.how.overlap) if number > 1 else 0
        listen = asyncio.create_task(self._listen(ws))
        try:
            await asyncio.sleep(self.how.quiet_s)
            sent = 0
            for at in range(start, len(self.script), self.how.per_frame):
                if self.how.drop_after.get(number) == sent:
                    ws.transport.abort()
                    return
                if self.how.dead_after.get(number) == sent:
                    listen.cancel()
                    ws.transport.pause_reading()  # a dead peer: no pongs, nothing
                    await asyncio.sleep(self.how.dead_s)
                    ws.transport.abort()
                    return
                chunk = self.script[at : at + self.how.per_frame]
                await ws.send(self._frame(chunk, self.how.formats[sent % len(self.how.formats)]))
                self.delivered = at + len(chunk)
                sent += 1
                await asyncio.sleep(0.005)
            await ws.wait_closed()
        except (ConnectionClosed, asyncio.CancelledError):
            pass
        finally:
            listen.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listen

    async def _listen(self, ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in ws:
                self.received.append(data)
                if data == '{"type": "ping"}':
                    await ws.send('{"type": "pong"}')

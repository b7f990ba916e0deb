"""What every local platform stand-in shares: a websocket server on a free loopback port,
used as ``async with``, with the URL its adapter connects to; and what the feed adapters'
tests share: small timings and a feed drained to its end."""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from livemon.adapters.base import Adapter


class StandIn:
    """A loopback websocket server calling ``_handle`` per connection; ``path`` ends its URL."""

    path = "/"

    def __init__(self) -> None:
        self.server: Server | None = None

    async def __aenter__(self) -> Any:
        self.server = await serve(self._handle, "127.0.0.1", 0, process_request=self._check,
                                  compression=None)  # fmt: skip
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = next(iter(self.server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}{self.path}"

    def _check(self, conn: ServerConnection, request: Request) -> Response | None:
        """Before the upgrade: a response refuses it, None lets it go on."""
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        raise NotImplementedError


WAIT_S = 10.0
# Small timings: a dead socket is noticed in 0.4 s, retries start at 20 ms.
FAST = {"heartbeat_s": 0.1, "timeout_s": 0.4, "retry_s": 0.02, "retry_max_s": 0.1}


async def run_feed(adapter: Adapter) -> list[dict[str, Any]]:
    """Every event the adapter yields until its feed ends, within WAIT_S."""
    events: list[dict[str, Any]] = []

    async def drain() -> None:
        async for batch in adapter.batches():
            events.extend(batch)

    await asyncio.wait_for(drain(), WAIT_S)
    return events


def texts(events: list[dict[str, Any]]) -> list[str]:
    """The text of each comment event, in order."""
    return [e["text"] for e in events if e["type"] == "comment"]

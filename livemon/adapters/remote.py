"""Run an adapter in its own process, feeding a hub's ``/ingest`` over a websocket.

Every batch gets its seq and stays in the resend buffer until the hub acks
it; after a reconnect the hub's ``welcome.acked_seq`` says where to resume,
and the buffer is resent from there, so nothing is lost or counted twice.
The adapter's feed state goes to the hub as ``feed`` ops: on every change,
and again after each ``welcome``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterator
from ssl import SSLContext
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from livemon import wire
from livemon.adapters.base import Adapter, CommandRefused
from livemon.reconnect import ConnectionState, TokenRefused, run_sessions

log = logging.getLogger("livemon.adapter")
MAX_UNACKED_EVENTS = 200_000  # past this the feed waits for acks instead of growing memory

__all__ = ["RemoteRunner", "TokenRefused", "frames_of"]


def frames_of(seq: int, events: list[dict[str, Any]]) -> Iterator[tuple[int, int, bytes | None]]:
    """``events``, numbered from ``seq``, as ``(seq, count, frame)`` frames the hub takes:
    at most ``wire.MAX_BATCH`` events and ``wire.MAX_FRAME`` bytes each (the hub closes
    1009 past either, and the same frame sent again after the reconnect would be
    refused for ever). An event too big for a frame of its own comes as
    ``(seq, 1, None)``: it keeps its seq but cannot be sent.

    >>> [(s, n, len(f)) for s, n, f in frames_of(7, [{"type": "like"}] * 10_001)]
    [(7, 10000, 110026), (10007, 1, 37)]
    >>> [(s, n, f) for s, n, f in frames_of(1, [{"text": "x" * wire.MAX_FRAME}])]
    [(1, 1, None)]
    """
    start = 0
    while start < len(events):
        count = min(wire.MAX_BATCH, len(events) - start)
        while True:
            frame = wire.encode_batch(seq + start, events[start : start + count])
            if len(frame) <= wire.MAX_FRAME:
                yield seq + start, count, frame
                break
            if count == 1:
                yield seq + start, 1, None
                break
            count = max(1, min(count - 1, count * wire.MAX_FRAME // len(frame) * 9 // 10))
        start += count


class RemoteRunner:
    """Feeds ``adapter`` to the hub at ``url`` (base or ``/ingest`` URL) with ``token``."""

    def __init__(self, adapter: Adapter, url: str, token: str, name: str | None = None,
                 ssl: SSLContext | None = None) -> None:  # fmt: skip
        self.adapter = adapter
        self.ssl = ssl  # for wss:// (livemon.tls.client_context)
        base = url.rstrip("/")
        self.url = base if base.endswith("/ingest") else base + "/ingest"
        self.token = token
        self.name = name or adapter.name
        # (seq, count, frame) not yet acked; frame None: an event too big to send (frames_of)
        self.buffer: deque[tuple[int, int, bytes | None]] = deque()
        self.next_seq = 1
        self.acked = 0
        self.unacked_events = 0
        self.ended = False
        self.failure: Exception | None = None  # the feed's own error, raised by run() at the end
        self._failed_and_drained = asyncio.Event()
        self.rejected: list[tuple[int, str]] = []
        self._room_for_ack = asyncio.Event()
        self._room_for_ack.set()
        self._ws: ClientConnection | None = None
        self.session: str | None = None
        self._sends: set[asyncio.Task] = set()
        self.delivered = 0  # events yielded by the adapter and acked by the hub, in order
        adapter.watch_feed_state(self._feed_changed)
        adapter.acked(0)  # this runner tells the adapter what the hub has durably

    async def run(self, retry_s: float = 1.0, max_retry_s: float = 10.0) -> None:
        """Feed until the adapter's feed ends and the hub has acked all of it.

        Reconnects with backoff when the connection drops; raises
        ``TokenRefused`` if the hub refuses the token. If the adapter's feed
        fails (a platform refusal), what it yielded is still delivered, then
        its error is raised.
        """
        produce = asyncio.create_task(self._produce())
        hello = {
            "op": "hello", "v": wire.VERSION, "token": self.token, "name": self.name,
            "rooms": [self.adapter.room], "resume": True,
            "capabilities": sorted(self.adapter.capabilities),
        }  # fmt: skip
        try:
            sessions = asyncio.create_task(run_sessions(
                self.url, hello, self._session, token_hint="LIVEMON_INGEST_TOKEN or --token",
                on_state=self._log_state, backoff_initial=retry_s, backoff_max=max_retry_s,
                ssl=self.ssl,
            ))  # fmt: skip
            # A failed feed with nothing left to deliver needs no hub to end.
            failed = asyncio.create_task(self._failed_and_drained.wait())
            try:
                await asyncio.wait({sessions, failed}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                failed.cancel()
                if not sessions.done():
                    sessions.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sessions
            if sessions.done() and not sessions.cancelled():
                sessions.result()
            if self.failure is not None:
                raise self.failure
        finally:
            produce.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await produce

    def _log_state(self, state: ConnectionState) -> None:
        if state.status == "lost":
            log.warning("hub %s unreachable (%s)", self.url, state.detail)

    async def _session(self, ws: ClientConnection, welcome: dict[str, Any]) -> bool:
        """Resume from the hub's ``acked_seq`` and feed; True once everything is acked."""
        self.session = welcome.get("session")
        self._ack(int(welcome.get("acked_seq", 0)))
        if not self.buffer and self.next_seq <= self.acked:
            self.next_seq = self.acked + 1  # a fresh process resumes the hub's numbering
        self._ws = ws
        if self.ended and not self.buffer:
            return True  # the feed ended while this connection was being made
        try:
            if self.adapter.feed_reported:
                await ws.send(self._feed_frame())
            for _, _, frame in list(self.buffer):
                if frame is not None:
                    await ws.send(frame)
            async for data in ws:
                await self._receive(ws, wire.decode(data))
                if self.ended and not self.buffer:
                    return True
        finally:
            self._ws = None
        return self.ended and not self.buffer

    def _ack(self, seq: int) -> None:
        self.acked = max(self.acked, seq)
        # An event that could not be sent is done once everything before it is acked.
        while self.buffer and (self.buffer[0][0] + self.buffer[0][1] - 1 <= self.acked
                               or self.buffer[0][2] is None):  # fmt: skip
            count = self.buffer.popleft()[1]
            self.unacked_events -= count
            self.delivered += count
        self.adapter.acked(self.delivered)
        if self.unacked_events < MAX_UNACKED_EVENTS:
            self._room_for_ack.set()

    async def _receive(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        op = message["op"]
        if op == "ack":
            self._ack(int(message.get("seq", 0)))
        elif op == "reject":
            self.rejected.append((int(message.get("seq", 0)), str(message.get("error"))))
            log.warning("hub rejected event seq %s: %s", message.get("seq"), message.get("error"))
        elif op == "command":
            asyncio.create_task(self._command(ws, message))

    async def _command(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        try:
            action = str(message.get("action"))
            detail = await self.adapter.command(action, message.get("args") or {})
            result = {"ok": True, "detail": str(detail)}
        except CommandRefused as exc:
            result = {"ok": False, "detail": str(exc)}
        with contextlib.suppress(ConnectionClosed):
            await ws.send(wire.encode({"op": "result", "id": message.get("id"), **result}))

    def _feed_frame(self) -> bytes:
        adapter = self.adapter
        return wire.encode(
            {"op": "feed", "state": adapter.feed_state, "detail": adapter.feed_detail}
        )

    def _feed_changed(self, state: str, detail: str) -> None:
        """The adapter's feed state changed: tell the hub now if connected (else after welcome)."""
        ws = self._ws
        if ws is None:
            return
        task = asyncio.get_running_loop().create_task(self._send_quietly(ws, self._feed_frame()))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    @staticmethod
    async def _send_quietly(ws: ClientConnection, frame: bytes) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(frame)

    async def _produce(self) -> None:
        try:
            await self._feed()
        except Exception as exc:  # the feed ends here; run() raises it once delivered
            self.failure = exc  # its feed state stays "down", with why
        if self.failure is None and self.adapter.feed_state != "ended":
            self.adapter.set_feed_state("ended")
        self.ended = True
        if self.failure is not None and not self.buffer:
            self._failed_and_drained.set()
        # Wake the session loop so it can finish once the last ack arrives.
        if not self.buffer and self._ws is not None:
            await self._ws.close()

    async def _feed(self) -> None:
        async for batch in self.adapter.batches():
            if not batch:
                continue
            await self._room_for_ack.wait()
            for seq, count, frame in frames_of(self.next_seq, batch):
                self.buffer.append((seq, count, frame))
                self.next_seq += count
                self.unacked_events += count
                if frame is None:
                    error = (f"event is over the hub's {wire.MAX_FRAME // 2**20} MiB frame limit "
                             "on its own: not sent")  # fmt: skip
                    self.rejected.append((seq, error))
                    log.error("event seq %d: %s", seq, error)
                    if len(self.buffer) == 1:
                        self._ack(self.acked)  # nothing before it waits for an ack
                    continue
                ws = self._ws
                if ws is not None:
                    with contextlib.suppress(ConnectionClosed):
                        await ws.send(frame)
            if self.unacked_events >= MAX_UNACKED_EVENTS:
                self._room_for_ack.clear()

"""What the hub has to send one console, and the task that sends it.

Snapshots are kept newest-only per room, so a slow console gets fewer of
them and never holds up ingest; comments, alerts and results queue in order
(comments bounded, oldest dropped first).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

COMMENT_BACKLOG = 200  # comment frames a console may lag behind before the oldest go


class Outbox:
    """Frames waiting for one console connection."""

    def __init__(self, ws: ServerConnection, role: str) -> None:
        self.ws = ws
        self.role = role
        self.snapshots: dict[str, bytes] = {}
        self.comments: deque[bytes] = deque(maxlen=COMMENT_BACKLOG)
        self.messages: deque[bytes] = deque()  # alerts and results: never dropped
        self._wake = asyncio.Event()
        self.task: asyncio.Task | None = None

    def snapshot(self, room: str, frame: bytes) -> None:
        """Offer the newest snapshot of ``room``; an unsent older one is replaced."""
        self.snapshots[room] = frame
        self._wake.set()

    def comment(self, frame: bytes) -> None:
        """Queue a comments frame."""
        self.comments.append(frame)
        self._wake.set()

    def message(self, frame: bytes) -> None:
        """Queue an alert or result frame."""
        self.messages.append(frame)
        self._wake.set()

    def start(self) -> None:
        """Start sending in the background."""
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self.messages or self.snapshots or self.comments:
                    if self.messages:
                        await self.ws.send(self.messages.popleft())
                    elif self.snapshots:
                        room = next(iter(self.snapshots))
                        await self.ws.send(self.snapshots.pop(room))
                    else:
                        await self.ws.send(self.comments.popleft())

    async def stop(self) -> None:
        """Stop sending."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

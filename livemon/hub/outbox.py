"""What the hub has to send one console, and the task that sends it.

Snapshots are kept newest-only per room, so a slow console gets fewer of
them and never holds up ingest; comments, alerts and results queue in order
(comments bounded, oldest dropped first). A console whose send buffer stays
full for ``stall_s`` (it stopped reading) is dropped: it can reconnect and
get full snapshots again, and what it held is freed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

COMMENT_BACKLOG = 200  # comment frames a console may lag behind before the oldest go
STOP_WAIT_S = 2.0  # how long stopping waits for the send in flight before cutting it off
log = logging.getLogger("livemon.hub")


class Outbox:
    """Frames waiting for one console connection."""

    def __init__(self, ws: ServerConnection, role: str, stall_s: float | None = None) -> None:
        self.ws = ws
        self.role = role
        self.stall_s = stall_s  # None: never dropped
        self.dropped = False
        self.stopped = False
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
            while not self.stopped:
                await self._wake.wait()
                self._wake.clear()
                while (self.messages or self.snapshots or self.comments) and not self.stopped:
                    if self.messages:
                        frame = self.messages.popleft()
                    elif self.snapshots:
                        frame = self.snapshots.pop(next(iter(self.snapshots)))
                    else:
                        frame = self.comments.popleft()
                    if not await self._send(frame):
                        return

    async def _send(self, frame: bytes) -> bool:
        """Send one frame; False (and the connection aborted) when it stalls past ``stall_s``.

        A send waits while the socket's buffer is full, so one send that does
        not finish in ``stall_s`` means the buffer stayed full all that time.
        """
        if self.stall_s is None:
            await self.ws.send(frame)
            return True
        try:
            # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancel
            # that comes as the send finishes, and the task then never ended (stop hung,
            # and the hub's stop with it).
            async with asyncio.timeout(self.stall_s):
                await self.ws.send(frame)
            return True
        except TimeoutError:
            self.dropped = True
            log.warning("console %s on /%s dropped: its send buffer stayed full for %g s "
                        "(it stopped reading); it may reconnect", self.ws.remote_address,
                        self.role, self.stall_s)  # fmt: skip
            if self.ws.transport is not None:
                self.ws.transport.abort()
            return False

    async def stop(self) -> None:
        """Stop sending, within ``STOP_WAIT_S`` whatever the send in flight does."""
        self.stopped = True  # ends the task at its next turn even if a cancel is lost
        self._wake.set()
        task = self.task
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_WAIT_S)
        if not task.done():  # a send that ignores cancellation: cut the connection
            log.warning("console %s on /%s did not stop sending within %g s: aborted",
                        self.ws.remote_address, self.role, STOP_WAIT_S)  # fmt: skip
            if self.ws.transport is not None:
                self.ws.transport.abort()
        elif not task.cancelled() and task.exception() is not None:
            log.warning("console %s on /%s: sending failed: %s", self.ws.remote_address,
                        self.role, task.exception())  # fmt: skip

"""The NATS JetStream bus: the durable stream of frames, the KV buckets, request-reply.

Everything livemon keeps on NATS is made here, idempotently, by whoever
connects first: the stream ``LIVEMON`` (subjects ``livemon.ev.<room>``, file
storage, de-duplication by message id), and the KV buckets of room leases,
live hubs, adapters' stored seqs and command results. The hub and the
adapter runner use this class; nothing else imports ``nats``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from livemon import wire
from livemon.cluster import subjects as s

log = logging.getLogger("livemon.bus")

DUPLICATE_WINDOW_S = 600.0  # a resend within 10 min of the first is stored once
COMMAND_TTL_S = 24 * 3600.0  # command ids are remembered for a day
PUBLISH_TIMEOUT_S = 5.0


class Bus:
    """One connection to NATS with the livemon stream and buckets ready.

    ``lease_s`` is how long a room lease (and a hub's registration) lives
    without renewal: a dead hub's rooms are free again after at most that.
    """

    def __init__(self, url: str, lease_s: float = 10.0, name: str = "livemon") -> None:
        self.url = url
        self.lease_s = lease_s
        self.name = name
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.owners: KeyValue | None = None
        self.hubs: KeyValue | None = None
        self.seqs: KeyValue | None = None
        self.commands: KeyValue | None = None
        self.connected = asyncio.Event()
        self._last_error: Exception | None = None
        self._closing = False  # close() drains: the disconnect that follows is no loss

    async def connect(self, timeout_s: float = 10.0) -> Bus:
        """Connect (retrying until ``timeout_s``) and make sure the stream and buckets exist."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                # nats-py retries a first connect for ever when reconnects are unlimited:
                # the deadline bounds it, so a wrong URL is an error, not a hang.
                self.nc = await asyncio.wait_for(nats.connect(
                    [u.strip() for u in self.url.split(",")], name=self.name,
                    max_reconnect_attempts=-1, reconnect_time_wait=0.25, connect_timeout=2,
                    disconnected_cb=self._disconnected, reconnected_cb=self._reconnected,
                    error_cb=self._error,
                ), timeout=max(0.5, deadline - time.monotonic()))  # fmt: skip
                break
            except Exception as exc:  # noqa: BLE001 - any refusal is retried until the deadline
                if time.monotonic() > deadline:
                    if isinstance(exc, TimeoutError) and self._last_error is not None:
                        exc = self._last_error
                    raise ConnectionError(f"cannot reach NATS at {self.url} ({exc}): is "
                                          "nats-server running with -js?") from exc  # fmt: skip
                await asyncio.sleep(0.25)
        self.connected.set()
        self.js = self.nc.jetstream(timeout=PUBLISH_TIMEOUT_S)
        await self._ensure()
        return self

    async def _ensure(self) -> None:
        js = self.js
        assert js is not None
        config = StreamConfig(
            name=s.STREAM, subjects=[f"{s.PREFIX}.ev.>"], storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_S,
        )  # fmt: skip
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
        self.owners = await self._bucket(s.OWNERS, ttl=self.lease_s)
        self.hubs = await self._bucket(s.HUBS, ttl=self.lease_s)
        self.seqs = await self._bucket(s.SEQS, ttl=None)
        self.commands = await self._bucket(s.COMMANDS, ttl=COMMAND_TTL_S)

    async def _bucket(self, name: str, ttl: float | None) -> KeyValue:
        assert self.js is not None
        try:
            return await self.js.key_value(name)
        except Exception:  # noqa: BLE001 - not there yet: make it
            return await self.js.create_key_value(
                KeyValueConfig(bucket=name, ttl=ttl, storage=StorageType.FILE)
            )

    async def _error(self, exc: Exception) -> None:
        """A NATS connection error: one line in the log (nats-py's own logs a traceback);
        before the first connect it is kept for ``connect``'s own error."""
        if self.nc is not None and str(exc) != str(self._last_error):
            log.warning("NATS at %s: %s", self.url, exc or type(exc).__name__)
        self._last_error = exc

    async def _disconnected(self) -> None:
        self.connected.clear()
        if not self._closing:
            log.warning("lost NATS at %s; reconnecting", self.url)

    async def _reconnected(self) -> None:
        self.connected.set()
        log.warning("NATS at %s is back", self.url)

    async def close(self) -> None:
        """Flush and close the connection."""
        if self.nc is not None and not self.nc.is_closed:
            self._closing = True
            await self.nc.drain()

    # -- frames ------------------------------------------------------------------

    async def publish_frame(self, adapter: str, seq: int, frame: bytes, rooms: set[str],
                            wall: float) -> None:  # fmt: skip
        """Store ``frame`` on the subject of each of ``rooms``, retrying until stored.

        Returns only once JetStream has stored it (or already had it: a resend
        has the same message id and is stored once); then the highest stored
        seq of ``adapter`` is kept for its next ``welcome``.
        """
        last = seq
        parsed = wire.decode_batch(frame)
        if parsed is not None:
            last = seq + len(parsed[1]) - 1
        for room in sorted(rooms):
            headers = {
                s.ADAPTER: adapter,
                s.WALL: repr(wall),
                s.MSG_ID: s.frame_id(adapter, seq, room),
            }
            await self._publish(s.subject("ev", room), frame, headers)
        await self.store_seq(adapter, last)

    async def publish_command(self, room: str, command: dict[str, Any],
                              result: dict[str, Any]) -> None:  # fmt: skip
        """Store a carried-out command in ``room``'s stream, so a new owner folds it too."""
        payload = json.dumps({"command": command, "result": result}).encode()
        headers = {s.KIND: "command", s.MSG_ID: f"cmd:{command.get('id')}"}
        await self._publish(s.subject("ev", room), payload, headers)

    async def _publish(self, subj: str, payload: bytes, headers: dict[str, str]) -> None:
        assert self.js is not None
        delay = 0.1
        while True:
            try:
                await self.js.publish(subj, payload, headers=headers)
                return
            except Exception as exc:  # noqa: BLE001 - NATS away: the same id again, later
                log.warning("storing on %s failed (%s); retrying", subj, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def store_seq(self, adapter: str, seq: int) -> None:
        """Keep ``seq`` as the highest stored of ``adapter``.

        One put per frame, after the frame is stored: an adapter's frames are
        stored one after another, so the newest put is the highest seq.
        """
        assert self.seqs is not None
        while True:
            try:
                await self.seqs.put(s.token(adapter), str(seq).encode())
                return
            except Exception as exc:  # noqa: BLE001 - NATS away: retried
                log.warning("keeping %s's seq failed (%s); retrying", adapter, exc)
                await asyncio.sleep(0.2)

    async def stored_seq(self, adapter: str) -> int:
        """The highest seq of ``adapter`` stored on the stream, 0 if none."""
        assert self.seqs is not None
        try:
            return int((await self.seqs.get(s.token(adapter))).value or b"0")
        except KeyNotFoundError:
            return 0

    async def rooms(self) -> dict[str, int]:
        """Every room on the stream with its message count."""
        assert self.js is not None
        info = await self.js.stream_info(s.STREAM, subjects_filter=f"{s.PREFIX}.ev.>")
        return {s.room_of_subject(subj): n for subj, n in (info.state.subjects or {}).items()}

    # -- leases ------------------------------------------------------------------

    async def claim(self, room: str, hub: str) -> int | None:
        """Take ``room``'s lease for ``hub`` if it is free; its revision, or None."""
        assert self.owners is not None
        try:
            return await self.owners.create(s.token(room), hub.encode())
        except KeyWrongLastSequenceError:
            return None

    async def renew(self, room: str, hub: str, revision: int) -> int | None:
        """Renew a held lease; None if it was lost (expired and taken by another hub)."""
        assert self.owners is not None
        try:
            return await self.owners.update(s.token(room), hub.encode(), last=revision)
        except KeyWrongLastSequenceError:
            return None
        except KeyNotFoundError:
            return await self.claim(room, hub)

    async def owners_now(self) -> dict[str, str]:
        """room -> hub key of every live lease."""
        assert self.owners is not None
        return {s.room_of(key): value.decode() for key, value in (await _entries(self.owners))}

    async def register(self, hub: str, info: dict[str, Any]) -> None:
        """Say that ``hub`` lives, and what it serves (expires after ``lease_s``)."""
        assert self.hubs is not None
        await self.hubs.put(hub, json.dumps(info).encode())

    async def hubs_now(self) -> dict[str, dict[str, Any]]:
        """hub key -> the info of every hub that registered within ``lease_s``."""
        assert self.hubs is not None
        return {key: json.loads(value) for key, value in (await _entries(self.hubs))}


async def _entries(bucket: KeyValue) -> list[tuple[str, bytes]]:
    """(key, value) of every entry of a KV bucket that has a value (none when it is empty)."""
    try:
        keys = await bucket.keys()
    except Exception:  # noqa: BLE001 - nats-py raises when the bucket is empty
        return []
    out: list[tuple[str, bytes]] = []
    for key in keys:
        try:
            entry = await bucket.get(key)
        except KeyNotFoundError:  # deleted or expired since keys()
            continue
        if entry.value:
            out.append((key, entry.value))
    return out

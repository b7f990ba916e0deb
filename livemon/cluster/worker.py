"""A hub as one worker of many on NATS JetStream (``livemon serve --bus nats://...``).

The hub keeps its engine, recorder and consoles; this worker changes where
frames come from and where rooms are shown:

- ``/ingest`` stores each validated frame on the stream (one subject per
  room) and acks only once JetStream has stored it;
- each room is folded by the one hub that holds its lease in the
  ``livemon_owners`` KV bucket; a lease lives ``lease_s`` unless renewed, so
  a dead hub's rooms are claimed by the others, which rebuild them from the
  stream's first message before they publish a snapshot;
- the owner publishes snapshots, comments and alerts on ``livemon.snap``,
  ``.cmt`` and ``.alert`` subjects, and every hub passes them to its consoles;
- a command goes by request-reply to the room's owner, which carries it out
  (platform actions by request-reply to the room's adapter) and stores it on
  the room's subject, so a new owner folds it too; its id and result live in
  the ``livemon_commands`` bucket, so it is carried out once whatever hub
  the console uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import DeliverPolicy
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from livemon import wire
from livemon.cluster import subjects as s
from livemon.cluster.bus import Bus
from livemon.hub.links import AdapterLink, RemoteLink
from livemon.ingest import accept

log = logging.getLogger("livemon.cluster")


class BusLink(AdapterLink):
    """The adapter of a room, wherever it runs: commands go by request-reply on
    ``livemon.cmd.<room>`` (a bus adapter, or the hub its websocket feeds)."""

    def __init__(self, bus: Bus, room: str, timeout_s: float) -> None:
        self.bus = bus
        self.name = f"bus:{room}"
        self.rooms = [room]
        self.capabilities = None  # the adapter answers ok: false for what it cannot do
        self.timeout_s = timeout_s

    async def command(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.bus.nc is not None
        room = self.rooms[0]
        try:
            reply = await self.bus.nc.request(s.subject("cmd", room), json.dumps(message).encode(),
                                              timeout=self.timeout_s)  # fmt: skip
        except NoRespondersError:
            return {"ok": False, "detail": f"no adapter is connected for room {room} on the "
                    "bus: start one (livemon adapter NAME --bus ...)"}  # fmt: skip
        return json.loads(reply.data)


class BusOutbox:
    """The owner's fan-out to every hub: its rooms' snapshots, comments and alerts,
    published in order on the rooms' subjects (never for a room still rebuilding)."""

    role = "bus"

    def __init__(self, worker: ClusterWorker) -> None:
        self.worker = worker
        self.queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self.task: asyncio.Task | None = None

    def snapshot(self, room: str, frame: bytes) -> None:
        if self.worker.publishes(room):
            self.queue.put_nowait((s.subject("snap", room), frame))

    def comment(self, frame: bytes) -> None:
        room = wire.decode(frame).get("room")
        if isinstance(room, str) and self.worker.publishes(room):
            self.queue.put_nowait((s.subject("cmt", room), frame))

    def message(self, frame: bytes) -> None:
        room = wire.decode(frame).get("room")
        if isinstance(room, str) and self.worker.publishes(room):
            self.queue.put_nowait((s.subject("alert", room), frame))

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        nc = self.worker.bus.nc
        assert nc is not None
        while True:
            subj, frame = await self.queue.get()
            with contextlib.suppress(Exception):  # NATS away: consoles get the next one
                await nc.publish(subj, frame)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@dataclass
class Owned:
    """A room this hub folds: its lease, subscriptions and how far it has caught up."""

    revision: int
    link: BusLink
    subs: list[Any] = field(default_factory=list)
    ready: bool = False  # rebuilt up to the stream's end: its snapshots may go out
    lag: int = 0  # stream messages of the room not folded yet


class ClusterWorker:
    """Runs ``hub`` as one worker of the cluster on ``bus``; ``advertise`` is the
    hub's websocket address (host:port), which names it with its pid."""

    def __init__(self, hub: Any, bus: Bus, advertise: str) -> None:
        self.hub = hub
        self.bus = bus
        self.advertise = advertise
        self.pid = os.getpid()
        self.key = re.sub(r"[^-A-Za-z0-9_.]", "_", f"{advertise}_{self.pid}")  # a KV key
        self.owned: dict[str, Owned] = {}
        self.outbox = BusOutbox(self)
        self._tasks: list[asyncio.Task] = []
        self._subs: list[Any] = []
        self.started = time.time()

    # -- life cycle ----------------------------------------------------------------

    async def start(self) -> None:
        """Hook into the hub, follow the other hubs' rooms and start taking leases."""
        hub = self.hub
        hub.watch_adapters = False  # adapters feed the stream, not this hub: no silence to see
        hub.ingest_handler = self.serve_ingest
        hub.command_router = self.route
        hub.outboxes.add(self.outbox)
        self.outbox.start()
        nc = self.bus.nc
        assert nc is not None
        for kind, deliver in (("snap", "snapshot"), ("cmt", "comment"), ("alert", "message")):
            self._subs.append(await nc.subscribe(
                f"{s.PREFIX}.{kind}.*", cb=self._relay(kind, deliver)))  # fmt: skip
        await self.tick()
        self._tasks.append(asyncio.create_task(self._every(self.bus.lease_s / 3, self.tick)))

    async def stop(self) -> None:
        """Give the rooms back (others take them at once) and stop following."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for room in list(self.owned):
            await self._release(room)
            assert self.bus.owners is not None
            with contextlib.suppress(Exception):
                await self.bus.owners.delete(s.token(room))
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        with contextlib.suppress(Exception):
            assert self.bus.hubs is not None
            await self.bus.hubs.delete(self.key)

    @staticmethod
    async def _every(seconds: float, job) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:  # noqa: BLE001 - NATS away: the next tick tries again
                log.exception("cluster %s failed", job.__name__)

    def publishes(self, room: str) -> bool:
        """Whether this hub's view of ``room`` goes out: it owns it and has caught up."""
        owned = self.owned.get(room)
        return owned is not None and owned.ready

    def info(self) -> dict[str, Any]:
        """What ``livemon cluster`` shows of this hub."""
        return {
            "ws": self.advertise, "pid": self.pid, "since": self.started,
            "rooms": {room: {"lag": o.lag, "ready": o.ready} for room, o in self.owned.items()},
        }  # fmt: skip

    # -- leases ----------------------------------------------------------------------

    async def tick(self) -> None:
        """Renew held leases, say this hub lives, and claim free rooms up to a fair share."""
        bus = self.bus
        for room, owned in list(self.owned.items()):
            revision = await bus.renew(room, self.key, owned.revision)
            if revision is None:
                log.warning("lost the lease of room %s to another hub", room)
                await self._release(room)
            else:
                owned.revision = revision
        await bus.register(self.key, self.info())
        rooms = await bus.rooms()
        if not rooms:
            return
        owners = await bus.owners_now()
        hubs = max(1, len(await bus.hubs_now()))
        share = math.ceil(len(rooms) / hubs)
        free = [r for r in rooms if r not in owners and r not in self.owned]
        # Each hub starts at its own place in the list, so they rarely race for a room.
        start = zlib.crc32(self.key.encode()) % len(free) if free else 0
        for room in free[start:] + free[:start]:
            if len(self.owned) >= share:
                break
            revision = await bus.claim(room, self.key)
            if revision is not None:
                await self._acquire(room, revision)

    async def _acquire(self, room: str, revision: int) -> None:
        """Fold ``room`` from the stream's first message; publish once caught up."""
        hub, bus = self.hub, self.bus
        assert bus.nc is not None and bus.js is not None
        self._forget(room)
        owned = Owned(revision, BusLink(bus, room, hub.command_timeout))
        self.owned[room] = owned
        hub._link(owned.link)
        owned.subs.append(await bus.nc.subscribe(s.subject("own", room), cb=self._on_own))

        async def on_frame(msg: Any) -> None:
            await self._on_frame(room, msg)

        owned.subs.append(await bus.js.subscribe(
            s.subject("ev", room), ordered_consumer=True, deliver_policy=DeliverPolicy.ALL,
            cb=on_frame,
        ))  # fmt: skip
        log.info("folding room %s (lease %d)", room, revision)

    async def _release(self, room: str) -> None:
        owned = self.owned.pop(room, None)
        if owned is None:
            return
        for sub in owned.subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        self.hub._unlink(owned.link)
        self._forget(room)

    def _forget(self, room: str) -> None:
        """Drop what this hub held of ``room``: a new lease rebuilds it from the start."""
        hub = self.hub
        hub.engine.rooms.pop(room, None)
        hub.monitor.rooms.pop(room, None)
        hub.remote_snapshots.pop(room, None)
        suffix = f"@{room}"
        for name in [n for n in hub.held if n.endswith(suffix)]:
            hub.held.pop(name, None)
            hub.durable.pop(name, None)

    async def _on_frame(self, room: str, msg: Any) -> None:
        """One stored message of an owned room: fold it as the live hub would."""
        owned = self.owned.get(room)
        if owned is None:
            return
        hub = self.hub
        headers = msg.headers or {}
        try:
            if headers.get(s.KIND) == "command":
                record = json.loads(msg.data)
                command, result = record["command"], record["result"]
                if command.get("id") not in hub.results:  # carried out here: folded already
                    hub.fold_command(command, result)
            else:
                name = headers.get(s.ADAPTER, "adapter")
                wall = float(headers.get(s.WALL, time.time()))
                rejects = hub.ingest_frame(f"{name}@{room}", room, msg.data, wall, only_room=room)
                for seq, error in rejects or ():
                    log.info("room %s: %s seq %d rejected: %s", room, name, seq, error)
        except Exception:  # noqa: BLE001 - one bad stored message must not stop the room
            log.exception("room %s: a stored message could not be folded", room)
        owned.lag = msg.metadata.num_pending
        if owned.lag == 0 and not owned.ready:
            owned.ready = True
            hub.dirty.add(room)  # its first snapshot goes out at the next tick
            log.info("room %s rebuilt from the stream", room)

    def _relay(self, kind: str, deliver: str):
        """A handler passing another hub's ``kind`` messages to this hub's consoles."""

        async def relay(msg: Any) -> None:
            room = s.room_of_subject(msg.subject)
            if room in self.owned:
                return  # this hub's own consoles get it from its own broadcast
            if kind == "snap":
                self.hub.remote_snapshots[room] = msg.data
            for outbox in list(self.hub.outboxes):
                if outbox is not self.outbox:
                    if kind == "snap":
                        outbox.snapshot(room, msg.data)
                    else:
                        getattr(outbox, deliver)(msg.data)

        return relay

    # -- commands --------------------------------------------------------------------

    async def route(self, message: dict[str, Any]) -> dict[str, Any]:
        """Carry out a console's command once in the whole cluster; its ``result``."""
        cid, room = message.get("id"), message.get("room")
        if not isinstance(cid, str | int) or isinstance(cid, bool) or not isinstance(room, str):
            return await self.hub.execute(message)  # says what is wrong with it
        commands = self.bus.commands
        assert commands is not None
        key = s.token(f"{room}\x00{cid}")
        try:
            await commands.create(key, b"")
        except KeyWrongLastSequenceError:
            return await self._stored_result(key, cid)
        result = await self._to_owner(message)
        await commands.put(key, json.dumps(result).encode())
        return result

    async def _stored_result(self, key: str, cid: Any) -> dict[str, Any]:
        """The result of a command id seen before (waiting while it is carried out)."""
        commands = self.bus.commands
        assert commands is not None
        deadline = time.monotonic() + self.hub.command_timeout + 5
        while time.monotonic() < deadline:
            with contextlib.suppress(KeyNotFoundError):
                entry = await commands.get(key)
                if entry.value:
                    return json.loads(entry.value)
            await asyncio.sleep(0.1)
        return {"op": "result", "id": cid, "ok": False, "detail": "this command id is being "
                "carried out elsewhere and its outcome is unknown; check the platform"}  # fmt: skip

    async def _to_owner(self, message: dict[str, Any]) -> dict[str, Any]:
        room = message["room"]
        if room in self.owned:
            return await self._execute_owned(message)
        assert self.bus.nc is not None
        try:
            reply = await self.bus.nc.request(s.subject("own", room), json.dumps(message).encode(),
                                              timeout=self.hub.command_timeout + 2)  # fmt: skip
        except NoRespondersError:
            return {"op": "result", "id": message.get("id"), "ok": False,
                    "detail": f"no hub folds room {room} right now (taken over within "
                              f"{self.bus.lease_s:g} s of a hub's loss): try again"}  # fmt: skip
        except NatsTimeout:
            return {
                "op": "result",
                "id": message.get("id"),
                "ok": False,
                "detail": f"the hub of room {room} did not answer; outcome unknown",
            }
        return json.loads(reply.data)

    async def _execute_owned(self, message: dict[str, Any]) -> dict[str, Any]:
        """Carry out a command of an owned room, then store it on the room's subject."""
        result = await self.hub.execute(message)
        command = {k: message.get(k) for k in ("id", "room", "action", "args")}
        await self.bus.publish_command(
            message["room"], command, {"ok": result.get("ok"), "detail": result.get("detail")}
        )
        return result

    async def _on_own(self, msg: Any) -> None:
        message = json.loads(msg.data)
        if message.get("room") not in self.owned:
            return  # not ours any more: the asker times out and says so
        await msg.respond(json.dumps(await self._execute_owned(message)).encode())

    # -- /ingest on the bus ----------------------------------------------------------

    async def serve_ingest(self, ws: ServerConnection, hello: dict[str, Any]) -> None:
        """An adapter's websocket: each frame stored on the stream before it is acked."""
        name = hello.get("name")
        if not isinstance(name, str) or not name:
            raise wire.ProtocolError(wire.CLOSE_PROTOCOL, "hello.name must be a non-empty string")
        rooms = [r for r in hello.get("rooms") or [] if isinstance(r, str)]
        caps = hello.get("capabilities")
        link = RemoteLink(ws, name, rooms, frozenset(caps) if isinstance(caps, list) else None)
        acked = await self.bus.stored_seq(name)
        await ws.send(wire.encode({"op": "welcome", "v": wire.VERSION,
                                   "session": self.hub.session, "acked_seq": acked}))  # fmt: skip
        subs = [await self.bus.nc.subscribe(s.subject("cmd", r), cb=self._adapter_command(link))
                for r in rooms]  # fmt: skip
        try:
            async for data in ws:
                parsed = wire.decode_batch(data)
                if parsed is None:
                    message = wire.decode(data)
                    if message["op"] == "result":
                        link.result(message)
                    continue
                seq, items, clean = parsed
                if seq + len(items) - 1 > acked:
                    taken = accept(acked, seq, items, clean)
                    for k, error in taken.rejects:
                        await ws.send(wire.encode({"op": "reject", "seq": k, "error": error}))
                    frame_rooms = {e.room for e in taken.events}
                    if frame_rooms:
                        await self.bus.publish_frame(name, seq, data, frame_rooms, time.time())
                    acked = taken.last_seq
                await ws.send(wire.encode({"op": "ack", "seq": acked}))
        except ConnectionClosed:
            pass
        finally:
            link.lost()
            for sub in subs:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    @staticmethod
    def _adapter_command(link: RemoteLink):
        async def handle(msg: Any) -> None:
            result = await link.command(json.loads(msg.data))
            await msg.respond(json.dumps(result).encode())

        return handle

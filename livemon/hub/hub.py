"""The hub: the websocket server of docs/protocol.md around the engine and the recorder.

Adapters feed ``/ingest``; consoles read ``/watch`` and ``/control``. Every
frame taken is recorded before it is acknowledged; on start the hub folds
back an unfinished session from its record dir, so a crash loses nothing
that was acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import pickle
import secrets
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from operator import attrgetter
from pathlib import Path
from ssl import SSLContext
from typing import Any

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from livemon import commands, replay, wire
from livemon import config as config_mod
from livemon.adapters.base import Adapter
from livemon.detect import Monitor, RoomMonitor
from livemon.engine import Engine, RoomState
from livemon.engine.tags import QUESTION_TAGS, TECH_TAGS
from livemon.events import room_problem
from livemon.hub import access
from livemon.hub.core import (
    ALLOWED_ROLES,
    BAD_TOKEN,
    HubCore,
    Route,
    drop_held_in_rooms,
    resume_seqs,
)
from livemon.hub.disk import DiskHealth
from livemon.hub.feeds import FeedBoard
from livemon.hub.links import AdapterLink, LocalLink, RemoteLink
from livemon.hub.outbox import Outbox
from livemon.hub.plan import RoomPlan
from livemon.ingest import Accepted, accept, drop_rooms
from livemon.record import Catalog, Recorder
from livemon.record.recorder import committed_seqs

log = logging.getLogger("livemon.hub")

HELLO_TIMEOUT_S = 10.0
COMMENTS_PER_FRAME = 50  # newest comments per room per tick sent to consoles
CATALOG_EVERY_S = 1.0  # seek index and session progress rows, batched
WRITE_ERRORS = (OSError, sqlite3.Error)  # a full disk, as the logs and the catalog raise it


class RecordError(Exception):
    """A frame's room log cannot be opened: nothing of the frame was taken."""


IngestHandler = Callable[[ServerConnection, dict[str, Any]], Awaitable[None]]
CommandRouter = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def local_feed_key(name: str, room: str) -> str:
    """The adapter name an in-process feed's seqs count under (and are recorded with).

    >>> local_feed_key("sim", "room-1")
    'sim@room-1'
    """
    return f"{name}@{room}"


_room_of = attrgetter("room")
_ts_of = attrgetter("ts")


class Hub:
    """Serves one record dir: ingest, fan-out, commands. ``start`` then ``stop``."""

    def __init__(self, config: config_mod.Config | Mapping[str, Any], record_dir: Path | str,
                 tokens: dict[str, str] | None = None, resume: bool = True) -> None:  # fmt: skip
        """``resume=False`` starts a new session even if one was left open (a hub on
        the bus rebuilds its rooms from the stream, not from its record dir)."""
        config = config_mod.coerce(config)
        self.config = config
        self.snapshot_interval = 1.0 / config.hub.snapshot_hz
        self.ack_interval = config.hub.ack_interval_s
        self.command_timeout = config.hub.command_timeout_s
        # While the disk fails, unwritten log bytes wait in memory up to this; then
        # ingest waits too (adapters keep their unacked batches meanwhile).
        self.max_pending_bytes = int(config.hub.max_pending_mb * 1024 * 1024)
        self.max_rooms = config.hub.max_rooms
        self.rails = commands.Guardrails(**msgspec.structs.asdict(config.guardrails))
        if tokens is None:  # from the environment or the config, checked, else generated
            resolved = access.resolve(config)
            tokens = {role: t.value for role, t in resolved.items()}
            self.token_sources = {role: t.source for role, t in resolved.items()}
        else:
            self.token_sources = {role: "given" for role in tokens}
        self.tokens = dict(tokens)
        self._tokens = access.Tokens(self.tokens)
        # The rules (hello, seq/ack, commands, alerts) live in the I/O-free core;
        # this class pumps websockets, the recorder and the clock around it.
        self.core = HubCore(self._tokens, self.rails)
        self.gate = access.Gate(config.access)
        self.record_dir = Path(record_dir)

        # Detectors ride on the engine's room hooks: alerts are computed from
        # events, so a resumed (replayed) session gets the same alerts.
        self.monitor = Monitor(config.detect)
        self.engine = Engine(on_new_room=self._attach, future_s=config.hub.max_future_s,
                             refund_window_s=config.session.refund_window_s)  # fmt: skip
        self.minute_rows: list[tuple[str, int, dict[str, Any]]] = []  # for the catalog
        self.last_minute: dict[str, int] = {}  # room -> its newest minute row
        self.last_frame: dict[str, float] = {}  # room -> wall time of its last frame
        self.fed: set[str] = set()  # rooms with frames since the last flush
        self._started_wall = time.time()
        self.watch_adapters = True  # adapter_down; off when replaying a recording
        self.muted = False  # a replay's seek folds without sending its alert changes
        self._waiters: dict[Any, asyncio.Future] = {}  # command id -> its outcome, pending
        self._answering: set[asyncio.Task] = set()  # commands being carried out, for stop()
        self.links: dict[str, list[AdapterLink]] = {}  # room -> its adapters, newest last
        self.feeds = FeedBoard()  # room -> each feed's state (shown in snapshots)
        self.fed_names: set[str] = set()  # adapters with frames since the last flush
        self.outboxes: set[Outbox] = set()
        self.local_feeds: set[str] = set()  # names of the in-process adapters' feeds
        # In-process feed name -> its adapter and (last seq, events yielded) per batch not
        # yet durable: the adapter is told (``Adapter.acked``) as they become durable.
        self._local_yields: dict[str, tuple[Adapter, deque[tuple[int, int]]]] = {}
        self.dirty: set[str] = set()
        # On the bus (livemon.cluster): rooms another hub folds, as their newest
        # snapshot frames, and the bus's handlers of /ingest and of commands.
        self.remote_snapshots: dict[str, bytes] = {}
        self.ingest_handler: IngestHandler | None = None
        self.command_router: CommandRouter | None = None
        self.catalog = Catalog(self.record_dir)
        # After a resume: adapter name -> rooms whose logs hold more of its seqs than
        # every log does, and how far (``core.resume_seqs``); emptied as resends pass it.
        self.ahead: dict[str, dict[str, int]] = {}
        self._several: set[str] = set()  # ...and its adapters with records in several rooms
        self.session = (self._resume() if resume else None) or self._new_session_id()
        self._drain_alerts(known=self._recorded_alerts())
        self.recorder = Recorder(self.record_dir, self.session, self.catalog, self._room_clock,
                                 resumed=dict(self.held), several=self._several)  # fmt: skip
        # The settings this session folds with (plan, detectors): a replay folds it alike.
        with contextlib.suppress(sqlite3.Error):
            self.catalog.set_settings(self.session, replay.fold_settings(self.config))
        self.disk = DiskHealth(str(self.record_dir))
        self._open_error: BaseException | None = None  # a room log that could not be opened
        self._server: Server | None = None
        self._stopping = False  # stop() has begun: frames waiting for disk space give up
        self._tasks: list[asyncio.Task] = []
        self._flush_lock = asyncio.Lock()
        self._catalog_flushed = 0.0
        self.port: int | None = None
        self.scheme = "ws"

    # The core's bookkeeping, under the names the rest of the package uses.
    session = property(lambda self: self.core.session,
                       lambda self, v: setattr(self.core, "session", v))  # fmt: skip
    held = property(lambda self: self.core.held)  # adapter name -> highest seq taken
    durable = property(lambda self: self.core.durable)  # adapter name -> highest seq on disk
    acked = property(lambda self: self.core.acked)  # ingest connection -> (name, acked)
    results = property(lambda self: self.core.results)  # command id -> outcome
    hosts = property(lambda self: self.core.hosts)
    coupons_issued = property(lambda self: self.core.coupons_issued)
    alert_rows = property(lambda self: self.core.alert_rows,
                          lambda self, v: setattr(self.core, "alert_rows", v))  # fmt: skip

    # -- sessions -----------------------------------------------------------

    @staticmethod
    def _new_session_id() -> str:
        return time.strftime("%Y%m%d", time.gmtime()) + "-" + secrets.token_hex(3)

    def _attach(self, state: RoomState) -> None:
        """A new room: detectors, and a metrics row for the catalog at each closed minute."""
        self.monitor(state)
        state.second_listeners.append(self._minute)
        state.plan = RoomPlan(state, self.config.session, self.monitor.rooms[state.room].book,
                              self.config.detect.behind_target)  # fmt: skip

    def _minute(self, state: RoomState, sec: int) -> None:
        if (sec + 1) % 60 == 0:
            room, minute, metrics = state.room, sec // 60, state.metrics()
            # A clock that jumps over a minute (an outage, a silent feed) closes the
            # seconds it skips without calling listeners: those minutes get a row too,
            # with the numbers the room had when the clock moved on (no events came in
            # them but the last few late seconds').
            last = self.last_minute.get(room)
            if last is None:  # the room's first row: from the minute of its first event
                last = int(state.first_ts) // 60 - 1 if state.first_ts is not None else minute - 1
            for skipped in range(last + 1, minute):
                self.minute_rows.append((room, skipped, metrics))
            self.last_minute[room] = minute
            self.minute_rows.append((room, minute, metrics))

    def _write_catalog(self) -> None:
        """Queued catalog rows: seek index, session progress, minutes and alert changes."""
        self.recorder.flush_catalog()
        minutes, self.minute_rows = self.minute_rows, []
        alerts, self.alert_rows = self.alert_rows, []
        try:
            self.catalog.add_minutes([
                {"session": self.session, "room": room, "minute": minute, "metrics": metrics}
                for room, minute, metrics in minutes
            ])  # fmt: skip
            self.catalog.add_alerts(alerts)
        except WRITE_ERRORS:
            self.minute_rows[:0] = minutes  # kept for the next try (minutes are replaced)
            self.alert_rows[:0] = alerts
            raise

    def _resume(self) -> str | None:
        """Fold back the newest unfinished session, if any; return its id."""
        open_rows = self.catalog.open_sessions()
        if not open_rows:
            return None
        session = open_rows[0]["session"]
        per_room: dict[str, dict[str, int]] = {}  # room -> adapter name -> seq its log holds
        for row in open_rows:
            if row["session"] != session:
                continue
            held: dict[str, int] = {}
            try:
                for _ in replay.fold(self, Path(row["path"]), row["room"], held):
                    pass
            except Exception as exc:  # one unreadable log must not keep the hub from starting
                log.error("cannot fold back room %r of session %s from %s (%s): skipped",
                          row["room"], session, row["path"], exc)  # fmt: skip
            in_room = per_room.setdefault(row["room"], {})
            for name, seq in held.items():  # what was folded is held, even if cut short
                in_room[name] = max(in_room.get(name, 0), seq)
            state = self.engine.rooms.get(row["room"])
            if state is not None:
                state.take_comments(0)
        # The logs are written one after another: a hub killed between two of them left
        # one room's log ahead. The welcome says what every log holds (the acked file),
        # and the resend's events a log already holds are dropped for that room alone.
        committed = committed_seqs(self.record_dir, session)
        held, self.ahead = resume_seqs(per_room, committed)
        self.held.update(held)
        self._several = {n for n in held if sum(n in seqs for seqs in per_room.values()) > 1}
        self._several |= set(committed or ())
        self.durable.update(self.held)
        log.info("resumed session %s: %s", session, self.held)
        return session

    # -- folding a recording (crash recovery, replay, seeks: ``replay.fold``) ------------

    def fold_events(self, events: list[Any], wall: float = math.inf) -> None:
        """Fold recorded events as they were taken live (``wall``: the clock kept with them)."""
        changed, _ = self.engine.apply(events, wall)
        self.dirty |= changed

    def fold_command(self, command: dict[str, Any], result: dict[str, Any]) -> None:
        """A recorded command comes back as it was carried out: its result, and its
        effect if it succeeded (an ack acknowledges the alert at the same event time)."""
        self.results[command.get("id")] = {"ok": result.get("ok"), "detail": result.get("detail")}
        if result.get("ok"):
            self.command_effect(command)

    def capture(self) -> bytes:
        """The folded state (engine, detectors, command effects) as bytes: a keyframe.

        Take it with no alert change queued (the changes are part of the state).
        """
        results = {k: v for k, v in self.results.items() if isinstance(v, dict)}
        state = (self.engine.rooms, self.monitor.rooms, self.hosts, self.coupons_issued, results)
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    def restore(self, keyframe: bytes) -> None:
        """Put back the state of a ``capture``: listeners attach again as for a new room."""
        rooms, monitors, hosts, coupons, results = pickle.loads(keyframe)
        self.engine.rooms.clear()
        self.engine.rooms.update(rooms)
        self.monitor.rooms.clear()
        self.monitor.rooms.update(monitors)
        for name, state in rooms.items():
            if name in monitors:
                monitors[name].wire()
            state.second_listeners.append(self._minute)  # as _attach does, in its order
            plan = getattr(state, "plan", None)
            if plan is not None:
                plan.wire()
        for mine, theirs in ((self.hosts, hosts), (self.coupons_issued, coupons),
                             (self.results, results)):  # fmt: skip
            mine.clear()
            mine.update(theirs)
        self.minute_rows.clear()
        self.last_minute.clear()
        self.dirty |= set(rooms)

    # -- life cycle -----------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = wire.DEFAULT_PORT,
                    ssl: SSLContext | None = None) -> None:  # fmt: skip
        """Listen on ``host:port`` (0 picks a free port, then in ``self.port``); wss with ``ssl``.

        Raises ``ConfigError`` for a non-loopback ``host`` with generated tokens.
        """
        access.check_exposure(host, {
            role: access.Token(role, value, self.token_sources.get(role, "given"))
            for role, value in self.tokens.items()
        })  # fmt: skip
        self.scheme = "wss" if ssl is not None else "ws"
        self._server = await serve(
            self._handle, host, port, max_size=wire.MAX_FRAME, process_request=self._route,
            ping_interval=20, ping_timeout=20, compression=None, ssl=ssl,
        )  # fmt: skip
        self.port = self._server.sockets[0].getsockname()[1] if self._server.sockets else port
        self._tasks = [
            asyncio.create_task(self._every(self.ack_interval, self.flush)),
            asyncio.create_task(self._every(self.snapshot_interval, self.broadcast)),
        ]

    async def stop(self, end_session: bool = True) -> None:
        """Close every connection, write out what is queued, and end the session."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        # A command still waiting on its adapter ends now, recorded as unknown (below).
        answering = list(self._answering)
        for task in answering:
            task.cancel()
        await asyncio.gather(*answering, return_exceptions=True)
        # A flush cancelled mid-write would leave its thread writing while
        # close() writes newer records: take the flush lock first.
        async with self._flush_lock:
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for outbox in list(self.outboxes):
            await outbox.stop()
        self._drain_alerts()
        try:
            self._write_catalog()
            self.catalog.set_finals(self.session, {
                room: state.metrics() for room, state in self.engine.rooms.items()
                if state.newest_sec is not None
            })  # fmt: skip
            self.recorder.close(end=end_session)
        except WRITE_ERRORS as exc:
            # Never acknowledged, so the adapters still hold it; the session stays
            # open and is resumed from what is on disk.
            log.error("stopping with %d bytes of the recording unwritten (%s): they were "
                      "never acknowledged", self.recorder.pending_bytes(), exc)  # fmt: skip
        self.catalog.close()

    @staticmethod
    async def _every(seconds: float, job) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:  # a failed tick must not stop the next one
                log.exception("hub %s failed", job.__name__)

    def url(self, path: str = "") -> str:
        """The ws:// (or wss://) address of this hub (loopback) with ``path``."""
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def bound(self) -> list[str]:
        """The addresses the hub really listens on, as URLs (``ws://0.0.0.0:8765``)."""
        out = []
        for sock in self._server.sockets if self._server is not None else ():
            host, port = sock.getsockname()[:2]
            host = f"[{host}]" if ":" in host else host
            out.append(f"{self.scheme}://{host}:{port}")
        return out

    # -- ingest ---------------------------------------------------------------

    def ingest_frame(self, name: str, room: str | None, frame: bytes | str,
                     wall: float | None = None,
                     only_room: str | None = None) -> list | None:  # fmt: skip
        """Take one frame from adapter ``name``: fold, record, and return the rejections.

        Returns ``None`` when the frame is a valid message other than
        ``events``; raises ``wire.ProtocolError`` when it is not a valid frame.
        ``wall`` is the clock the frame was taken at (now, unless replaying a
        recording): it bounds how far ahead an event's ts may run. ``only_room``
        keeps that room's events alone (a hub on the bus folds one room's subject).
        """
        parsed = wire.decode_batch(frame)
        if parsed is None:
            return None
        seq, items, clean = parsed
        if self.core.resent(name, seq, len(items)):
            return []  # a resent batch the hub already holds
        taken = accept(self.held.get(name, 0), seq, items, clean)
        ahead = self.ahead.get(name) if self.ahead else None
        if ahead is not None:
            taken = drop_held_in_rooms(taken, ahead)
        if only_room is not None and any(e.room != only_room for e in taken.events):
            keep = [i for i, e in enumerate(taken.events) if e.room == only_room]
            taken.events = [taken.events[i] for i in keep]
            taken.seqs = [taken.seqs[i] for i in keep]
        taken, room_count = self._admit(taken, room)
        self.core.take(name, taken.last_seq)
        if ahead is not None and self.held[name] >= max(ahead.values()):
            del self.ahead[name]
        wall = time.time() if wall is None else wall
        events, recorder = taken.events, self.recorder
        several = room_count > 1
        # A frame of several rooms joins the recorder's run of such frames (one
        # record per room per ack tick). The run's records note each room's clock
        # as of the run's end, so it ends before anything else is folded: another
        # frame, or one that may be checked against ``wall`` (a record of its own).
        if not (several and recorder.continues_run(name, seq)
                and max(map(_ts_of, events)) <= wall + self.engine.future_s):  # fmt: skip
            recorder.end_run()
        too_far = self.engine.too_far
        changed, state_rejects = self.engine.apply(events, wall)
        # The clock is recorded only with a frame it decided for: replay then
        # rejects alike, and a recording stays the same bytes run after run.
        decided = wall if self.engine.too_far != too_far else None
        rejects = taken.rejects
        if state_rejects:
            rejects += [(taken.seqs[i], message) for i, message in state_rejects]
            rejects.sort()
        rooms = changed or ({room} if room else set())
        if several:  # each room's log gets its own events only
            if decided is None:
                recorder.add_to_run(name, seq, len(items), events, taken.seqs)
            else:
                recorder.append_split(name, seq, len(items), events, taken.seqs, decided)
        else:
            data = frame if isinstance(frame, bytes) else b""
            for r in rooms:
                second, ts = self._room_clock(r)
                recorder.append_frame(r, name, seq, len(items), data, second, ts, decided)
        self.dirty |= changed
        self.fed |= rooms  # stamped with the wall clock at the next flush (adapter_down)
        self.fed_names.add(name)
        return rejects

    def _room_clock(self, room: str) -> tuple[int | None, float | None]:
        """The newest second and clock of ``room`` (both None before its first event)."""
        state = self.engine.rooms.get(room)
        second = state.newest_sec if state else None
        return second, (state.clock if state and second is not None else None)

    def _admit(self, taken: Accepted, room: str | None) -> tuple[Accepted, int]:
        """Open the log of every room of the frame; reject the events of rooms refused.
        Returns the events kept and how many rooms they are of (found here, in the one
        pass over the frame's rooms).

        A new room is refused when its id is not a valid room id or the hub
        already has ``max_rooms`` rooms: its events are rejected, one by one,
        with the reason. This runs before anything of the frame is counted,
        so a log that cannot be opened (``RecordError``) leaves the frame
        untaken: it is not acked, and is sent again.
        """
        events = taken.events
        # In order of first appearance, so which rooms a cap admits does not depend on hashing.
        rooms = dict.fromkeys(map(_room_of, events)) if events else [room] if room else []
        writers, known = self.recorder.writers, self.engine.rooms
        refused: dict[str, str] = {}
        for r in rooms:
            if r in writers:
                continue
            if r not in known:
                problem = room_problem(r)
                if problem is None and len(known) + len(writers.keys() - known) >= self.max_rooms:
                    problem = (f"is a new room past this hub's {self.max_rooms} rooms "
                               "([hub] max_rooms): run another hub for more")  # fmt: skip
                if problem is not None:
                    refused[r] = problem
                    continue
            try:
                self.recorder.writer(r)
            except WRITE_ERRORS as exc:
                self._open_error = exc
                raise RecordError(f"cannot open the log of room {r!r}: {exc}") from exc
        self._open_error = None
        if not refused:
            return taken, len(rooms)
        reasons = {r: f"event.room {r[:40]!r} {why}" for r, why in refused.items()}
        return drop_rooms(taken, reasons), len(rooms) - len(refused)

    async def _take(self, name: str, room: str | None, frame: bytes | str) -> list | None:
        """``ingest_frame`` for a live feed: waits while the disk cannot take more.

        While the disk fails, taken frames wait in memory (never acked) up to
        ``max_pending_bytes``; past that, or while a room's log cannot be
        opened, the frame waits here, and so does the feed behind it.
        """
        while True:
            # A stop must not wait for space: the frame is sent again. 1001, the
            # code of the server's own close on stop, which may come first.
            if self._stopping:
                raise wire.ProtocolError(wire.CLOSE_GOING_AWAY, "the hub is stopping")
            if self.disk.failing and self.recorder.pending_bytes() > self.max_pending_bytes:
                await asyncio.sleep(self.ack_interval)
                continue
            try:
                return self.ingest_frame(name, room, frame)
            except RecordError as exc:
                self.disk.update(exc, self.recorder.pending_bytes())
                await asyncio.sleep(self.ack_interval)

    async def run_adapter(self, adapter: Adapter, name: str | None = None) -> None:
        """Run an adapter object in this process until its feed ends (embedded mode).

        Snapshots show the feed as ``name`` (the plugin's name by default), but its
        seqs count under ``name@room`` (``local_feed_key``): an outside adapter of
        the same plugin (``livemon adapter sim --room room-2``, named ``sim``) then
        keeps a counter of its own instead of dropping this feed's batches.
        """
        label = name or adapter.name
        name = local_feed_key(label, adapter.room)
        self.local_feeds.add(name)
        link = LocalLink(adapter, label)
        self._link(link)
        self.feeds.attach(name, link.rooms, time.time(), label=label)
        if adapter.feed_reported:
            self.feeds.report(name, adapter.feed_state, adapter.feed_detail, time.time())
        adapter.watch_feed_state(
            lambda state, detail: self.feeds.report(name, state, detail, time.time())
        )
        ahead = self.ahead.pop(name, None)
        if ahead:  # an in-process feed sends nothing again: it goes on after what is logged
            self.held[name] = max(self.held.get(name, 0), *ahead.values())
        seq = self.held.get(name, 0) + 1
        yielded = 0
        pending: deque[tuple[int, int]] = deque()
        self._local_yields[name] = (adapter, pending)
        adapter.acked(0)
        try:
            async for batch in adapter.batches():
                if not batch:
                    continue
                rejects = await self._take(name, adapter.room, wire.encode_batch(seq, batch))
                for k, message in rejects or ():
                    log.warning("adapter %s: event seq %d rejected: %s", name, k, message)
                seq += len(batch)
                yielded += len(batch)
                pending.append((seq - 1, yielded))
                await asyncio.sleep(0)
            self.feeds.report(name, "ended", "", time.time())
        except ValueError as exc:  # a refusal (FeedRefused) or an option that cannot work (a
            # port in use): its message says it all and what to change, once, no traceback
            self.feeds.report(name, "down", f"adapter failed: {exc}"[:200], time.time())
            raise
        except Exception as exc:
            log.exception("adapter %s failed", name)
            self.feeds.report(name, "down", f"adapter failed: {exc}"[:200], time.time())
            raise
        finally:
            self._unlink(link)
            self.local_feeds.discard(name)
            self._local_yields.pop(name, None)
            self.feeds.lost(name, time.time(), "adapter stopped")

    async def flush(self) -> None:
        """Make what was taken durable, then acknowledge it to the adapters."""
        async with self._flush_lock:
            held = dict(self.held)
            tick = self.recorder.tick(held)
            failed, note_error = await asyncio.to_thread(self.recorder.sync, tick)
            error: BaseException | None = note_error
            if failed:
                # Kept, in order, ahead of newer bytes: nothing past the last
                # durable record is acknowledged until they are written.
                self.recorder.restore(failed)
                error = failed[0][2]
            self.recorder.synced(tick, held, error is None)
            if error is None:
                self.core.made_durable(held)
            # The catalog is an index over the logs (recovery reads the logs),
            # so it is written once a second, not on every 100 ms ack tick:
            # its SQLite commits run on the event loop's thread.
            now = time.monotonic()
            if error is None and now - self._catalog_flushed >= CATALOG_EVERY_S:
                try:
                    self._write_catalog()
                    self._catalog_flushed = now
                except WRITE_ERRORS as exc:
                    error = exc  # the logs are durable (acks go on); the rows wait
        self._disk_state(error or self._open_error)
        self._check_adapters()
        for name, (adapter, pending) in self._local_yields.items():
            durable, count = self.durable.get(name, 0), None
            while pending and pending[0][0] <= durable:
                count = pending.popleft()[1]
            if count is not None:
                adapter.acked(count)
        for ws, ack in self.core.acks():
            with contextlib.suppress(ConnectionClosed):
                await ws.send(wire.encode(ack))

    def _disk_state(self, error: BaseException | None) -> None:
        """A crit ``disk`` alert in every room while the recording cannot be written."""
        change = self.disk.update(error, self.recorder.pending_bytes())
        if change is None:
            return
        now = time.time()
        for monitor in self.monitor.rooms.values():
            book = monitor.book
            book.min_open_by_kind["disk"] = 0.0  # resolves as soon as a write succeeds
            if change == "failed":
                book.update("disk", None, "crit", now, now, self.disk.detail(),
                            {"pending_bytes": self.recorder.pending_bytes()})  # fmt: skip
            else:
                book.clear("disk", None, now)
        self._drain_alerts()

    def _link(self, link: AdapterLink) -> None:
        for room in link.rooms:
            self.links.setdefault(room, []).append(link)

    def _unlink(self, link: AdapterLink) -> None:
        for room in link.rooms:
            links = self.links.get(room, [])
            if link in links:
                links.remove(link)
            if not links:
                self.links.pop(room, None)

    def command_link(self, room: str, action: str) -> AdapterLink | str:
        """The adapter of ``room`` that carries ``action`` (the newest that can), or why none."""
        links = self.links.get(room)
        if not links:
            return (f"no adapter is connected for room {room}: start one (livemon adapter "
                    "NAME) or check its connection")  # fmt: skip
        for link in reversed(links):
            if link.capabilities is None or action in link.capabilities:
                return link
        cans = "; ".join(
            f"{link.name} can: {', '.join(sorted(link.capabilities or ())) or 'nothing'}"
            for link in links
        )
        return f"no adapter of room {room} can {action} ({cans})"

    # -- fan-out -------------------------------------------------------------

    def snapshot(self, room: str) -> dict[str, Any]:
        """The full ``snapshot`` message of ``room``."""
        message = self.engine.snapshot(room)
        state = self.engine.rooms[room]
        message["host"] = state.shifts.host or self.hosts.get(room)
        monitor = self.monitor.rooms.get(room)
        message["alerts"] = monitor.book.open_alerts() if monitor is not None else []
        plan: RoomPlan = state.plan
        message["targets"] = plan.tracker.snapshot()
        message["plan"] = plan.as_dict()
        shifts = state.shifts.all(state)
        message["shift"] = shifts[-1] if shifts else None
        message["shifts"] = shifts
        message["feeds"] = self.feeds.views(room)
        return message

    async def broadcast(self) -> None:
        """Send each console the alert changes, then the newest snapshot and comments of
        every changed room.

        Alert changes are collected here, once a tick, rather than per frame:
        they go out before the snapshots that show them.
        """
        self._drain_alerts()
        self.dirty |= self.feeds.take_changed() & self.engine.rooms.keys()
        dirty, self.dirty = self.dirty, set()
        for room in dirty:
            state = self.engine.rooms[room]
            if not self.outboxes:  # nobody to show them to: no tagging for display
                state.drop_comments()
                continue
            comments = state.take_comments(COMMENTS_PER_FRAME)
            frame = wire.encode(self.snapshot(room))
            for outbox in self.outboxes:
                outbox.snapshot(room, frame)
            if comments:
                cframe = wire.encode({"op": "comments", "room": room, "items": comments})
                for outbox in self.outboxes:
                    outbox.comment(cframe)

    def _drain_alerts(self, known: set[tuple[str, str, str]] | None = None) -> None:
        """Send every queued alert change to the consoles and keep it for the catalog.

        While a session is being resumed nothing is sent; afterwards the
        replayed changes the catalog already holds (``known``) are not kept twice.
        """
        if self.session is None:
            return
        messages, rooms = self.core.collect_alerts(self.monitor.drain(), known, not self.muted)
        self.dirty |= rooms
        for message in messages:
            self.send_all(message)

    def take_alert_changes(self) -> list[tuple[float, dict[str, Any]]]:
        """Alert changes since the last call as ``(event time, alert)``, for a hub that
        only folds (headless replay, keyframes, report): it writes no catalog."""
        self._drain_alerts()
        rows, self.alert_rows = self.alert_rows, []
        return [(r["ts"], {k: v for k, v in r.items() if k not in ("session", "ts")})
                for r in rows]  # fmt: skip

    def _recorded_alerts(self) -> set[tuple[str, str, str]]:
        rows = self.catalog.db.query(
            "select id, state, severity from alerts where session = ?", [self.session]
        )
        return {(r["id"], r["state"], r["severity"]) for r in rows}

    def _check_adapters(self) -> None:
        """``adapter_down`` on the wall clock, for every live room (the only wall-time alert)."""
        now = time.time()
        for room in self.fed:
            self.last_frame[room] = now
        self.fed.clear()
        for name in self.fed_names:
            self.feeds.framed(name, now)
        self.fed_names.clear()
        if not self.watch_adapters:
            return
        for room, monitor in self.monitor.rooms.items():
            if monitor.state.live or monitor.adapter_down.alarm:
                last = self.last_frame.get(room, self._started_wall)
                last, connected, why = self.feeds.health(room, now, last)
                monitor.adapter(now, last, connected, why)
        self._drain_alerts()

    def send_all(self, message: dict[str, Any]) -> None:
        """Queue a message (an alert) for every console."""
        frame = wire.encode(message)
        for outbox in self.outboxes:
            outbox.message(frame)

    # -- connections -----------------------------------------------------------

    def _route(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path not in ALLOWED_ROLES:
            return connection.respond(
                HTTPStatus.NOT_FOUND, f"unknown path {path}: use /ingest, /watch or /control\n"
            )
        refusal = self.gate.check_request(
            path, request.headers.get_all("Origin"), connection.remote_address[0]
        )
        if refusal is not None:
            response = connection.respond(HTTPStatus(refusal.status), refusal.text)
            for name, value in refusal.headers:
                response.headers[name] = value
            return response
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path.split("?", 1)[0]
        try:
            hello = await self._hello(ws, path)
            if hello is None:
                return
            if path == "/ingest":
                await (self.ingest_handler or self._serve_ingest)(ws, hello)
            else:
                await self._serve_console(ws, path, hello["role"])
        except wire.ProtocolError as exc:
            await ws.close(exc.code, exc.reason)
        except ConnectionClosed:
            pass
        except Exception as exc:
            log.exception("hub error on %s", path)
            await ws.close(wire.CLOSE_HUB_ERROR, f"hub error: {exc}"[:120])

    async def _hello(self, ws: ServerConnection, path: str) -> dict[str, Any] | None:
        try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel
            async with asyncio.timeout(HELLO_TIMEOUT_S):
                data = await ws.recv()
        except TimeoutError:
            await ws.close(wire.CLOSE_PROTOCOL, "no hello within 10 s")
            return None
        message = wire.decode(data)
        try:
            return self.core.hello(path, message).message
        except wire.ProtocolError as exc:
            if exc.reason == BAD_TOKEN:
                self.gate.hello_failed(ws.remote_address[0])  # failed guesses slow the address
            raise

    async def _serve_ingest(self, ws: ServerConnection, hello: dict[str, Any]) -> None:
        checked = self.core.hello("/ingest", hello)
        name, rooms = checked.name, list(checked.rooms)
        assert name is not None  # the core refuses an ingest hello without one
        # Seqs count per adapter name: two feeds under one name would drop each
        # other's batches as already held. In-process feeds count as name@room, so
        # an outside `livemon adapter sim` does not collide with `serve --adapter
        # sim`; only a feed naming itself exactly so is refused. A newer
        # connection of a name replaces the older (a reconnect).
        if name in self.local_feeds:
            why = f"adapter name {name!r} is the hub's in-process feed: give this feed its own "
            why += "--name"
            raise wire.ProtocolError(wire.CLOSE_POLICY, why[:120])
        for other, (other_name, _) in list(self.acked.items()):
            if other_name == name:
                log.warning("adapter %r connected again: its older connection is closed", name)
                why = f"replaced by a newer connection named {name!r}: two feeds need two names"
                await other.close(wire.CLOSE_POLICY, why[:120])
        link = RemoteLink(ws, name, rooms, checked.capabilities)
        self._link(link)
        self.feeds.attach(name, rooms, time.time())
        await ws.send(wire.encode(self.core.ingest_welcome(ws, name)))
        default_room = rooms[0] if rooms else None
        try:
            async for data in ws:
                rejects = await self._take(name, default_room, data)
                if rejects is None:
                    message = wire.decode(data)
                    if message["op"] == "result":
                        link.result(message)
                    elif message["op"] == "feed":
                        self._feed_message(name, message)
                    continue
                for seq, error in rejects:
                    await ws.send(wire.encode({"op": "reject", "seq": seq, "error": error}))
        finally:
            self.core.closed(ws)
            link.lost()
            self._unlink(link)
            self.feeds.lost(name, time.time())

    def _feed_message(self, name: str, message: dict[str, Any]) -> None:
        """A ``feed`` op: adapter ``name`` reports its platform feed's state."""
        detail = message.get("detail", "")
        try:
            self.feeds.report(name, message.get("state"), str(detail)[:200], time.time())
        except ValueError as exc:  # a bad state is dropped alone; the feed goes on
            log.warning("adapter %s sent a bad feed op: %s", name, exc)

    def console_welcome(self) -> dict[str, Any]:
        """The ``welcome`` of a console, with what consoles must not restate: the
        ``stock_low`` thresholds in force and which comment tags are questions or trouble."""
        # A room's monitor built from the config reads the thresholds exactly as the
        # detectors do (whatever the config spelling), so both always agree.
        probe = RoomMonitor(RoomState("welcome"), self.config.detect)
        return {
            "op": "welcome", "v": wire.VERSION, "session": self.session,
            "stock": {"low_floor": probe._low_floor, "low_eta_s": probe._low_eta_s},
            "tags": {"question": sorted(QUESTION_TAGS), "tech": sorted(TECH_TAGS)},
            "rooms": sorted(self.engine.rooms),
            # The user's rules in force, for the console's help screen.
            "rules": [f"rule:{r.name}: {r.severity} when {r.when} for {r.for_s} s"
                      for r in self.monitor.rules],
        }  # fmt: skip

    async def _serve_console(self, ws: ServerConnection, path: str, role: str = "watch") -> None:
        refused = self.gate.open_console(role)
        if refused is not None:
            raise wire.ProtocolError(wire.CLOSE_TRY_LATER, refused)
        try:
            await self._console(ws, path, role)
        finally:
            self.gate.close_console(role)

    async def _console(self, ws: ServerConnection, path: str, role: str) -> None:
        limits = self.gate.limits
        access.cap_send_buffer(ws, limits.console_send_buffer_kb * 1024)
        commands_left = self.gate.command_bucket()
        await ws.send(wire.encode(self.console_welcome()))
        outbox = Outbox(ws, path.lstrip("/"), stall_s=limits.console_stall_s)
        for room in self.engine.rooms:
            outbox.snapshot(room, wire.encode(self.snapshot(room)))
        for room, frame in self.remote_snapshots.items():
            outbox.snapshot(room, frame)
        outbox.start()
        self.outboxes.add(outbox)
        try:
            async for data in ws:
                message = wire.decode(data)
                if message["op"] != "command":
                    continue
                if path != "/control":
                    raise wire.ProtocolError(
                        wire.CLOSE_POLICY, "commands are not allowed on /watch: use /control"
                    )
                wait = self.gate.command_wait(commands_left)
                if wait > 0:  # refused, not carried out nor recorded: the id stays usable
                    outbox.message(wire.encode({
                        "op": "result", "id": message.get("id"), "ok": False,
                        "detail": f"too many commands from this console (at most "
                                  f"{limits.command_burst} at once, {limits.commands_per_s:g}/s): "
                                  f"try again in {wait:.1f} s",
                    }))  # fmt: skip
                    continue
                answering = asyncio.create_task(self._answer(outbox, message))
                self._answering.add(answering)
                answering.add_done_callback(self._answering.discard)
        finally:
            self.outboxes.discard(outbox)
            await outbox.stop()

    # -- commands ----------------------------------------------------------------

    async def _answer(self, outbox: Outbox, message: dict[str, Any]) -> None:
        result = await (self.command_router or self.execute)(message)
        outbox.message(wire.encode(result))

    async def execute(self, message: dict[str, Any]) -> dict[str, Any]:
        """Carry out a command at most once per id; return its ``result`` message."""
        cid = message.get("id")
        known = None
        if isinstance(cid, str | int) and not isinstance(cid, bool) and cid not in self.results:
            known = self.catalog.command_result(self.session, str(cid))  # type: ignore[arg-type]
        route: Route = self.core.route(message, known)
        if route.result is not None:
            if route.new:  # refused by the rules: recorded like any outcome
                self._record_command(message, self.results[cid])
            return route.result
        if route.wait:
            outcome = await asyncio.shield(self._waiters[cid])
            return {"op": "result", "id": cid, **outcome}
        waiter = self._waiters[cid] = asyncio.get_running_loop().create_future()
        stopping = False
        try:
            if route.forward:
                self._note_forwarded(message)
                outcome = await self._forward(message)
            else:
                outcome = self.command_effect(message)
        except asyncio.CancelledError:
            # The hub is stopping while the adapter has it: the platform may still carry
            # it out, so its id is settled as unknown and never carried out again.
            stopping = True
            outcome = {
                "ok": False,
                "detail": "the hub stopped before the adapter answered; outcome unknown, "
                "check the platform before retrying with a new id",
            }
        except Exception as exc:
            log.exception("command %r failed", cid)
            outcome = {"ok": False, "detail": f"hub error: {exc}"}
        result = self.core.finish(message, outcome)
        self._record_command(message, self.results[cid])
        waiter.set_result(self.results[cid])
        del self._waiters[cid]
        if stopping:
            raise asyncio.CancelledError
        return result

    def _record_command(self, message: dict[str, Any], outcome: dict[str, Any]) -> None:
        room = message.get("room")
        if isinstance(room, str) and room and not room_problem(room):
            state = self.engine.rooms.get(room)
            command = {k: message.get(k) for k in ("id", "room", "action", "args")}
            try:
                self.recorder.append_command(room, command, outcome,
                                             state.clock if state else None)  # fmt: skip
            except WRITE_ERRORS as exc:
                log.error("command %r in room %r was carried out but cannot be recorded: %s",
                          message.get("id"), room, exc)  # fmt: skip

    def _note_forwarded(self, message: dict[str, Any]) -> None:
        """Note in the catalog (committed now) that a platform action is leaving for its
        adapter: after a crash, a resend of its id gets "outcome unknown" instead of being
        carried out twice (a coupon issued twice)."""
        room = str(message.get("room"))
        state = self.engine.rooms.get(room)
        command = {k: message.get(k) for k in ("id", "room", "action", "args")}
        try:
            self.catalog.add_forwarded(self.session, room, command, state.clock if state else None)
        except WRITE_ERRORS as exc:  # sent all the same: the commands go on while the disk fails
            log.error("command %r: cannot note it before it goes to the adapter (%s); a crash "
                      "before its answer would let a resend carry it out again", command["id"],
                      exc)  # fmt: skip

    async def _forward(self, message: dict[str, Any]) -> dict[str, Any]:
        """A platform action, sent to the room's adapter that can carry it out."""
        room, action = str(message.get("room")), str(message.get("action"))
        link = self.command_link(room, action)
        if isinstance(link, str):
            return {"ok": False, "detail": link}
        try:  # asyncio.timeout, not wait_for: a cancel at stop() must reach execute()
            async with asyncio.timeout(self.command_timeout):
                return await link.command(dict(message))
        except TimeoutError:
            return {"ok": False, "detail": f"adapter {link.name} did not answer within "
                    f"{self.command_timeout:g} s; outcome unknown, check the platform"}  # fmt: skip

    def command_effect(self, message: dict[str, Any]) -> dict[str, Any]:
        """What a hub action does, or a recorded command's effect on the hub (on recovery)."""
        room, action = message.get("room"), message.get("action")
        args = message.get("args") or {}
        if action == "coupon":  # live, the core counts it when the adapter says ok
            self.coupons_issued[room] = self.coupons_issued.get(room, 0) + 1
            return {"ok": True, "detail": ""}
        state = self.engine.rooms.get(room)
        if action == "plan":
            if state is None:
                return {"ok": False, "detail": f"no room {room} yet: a plan needs its first event"}
            self.dirty.add(room)
            return {"ok": True, "detail": state.plan.apply(args)}

        def ack(alert_id: str) -> bool:
            monitor = self.monitor.rooms.get(room)
            if monitor is None or state is None or not monitor.book.ack(alert_id, state.clock):
                return False
            self._drain_alerts()
            return True

        outcome = self.core.hub_action(message, ack)
        if action == "host" and state is not None:
            state.shifts.change(state, args["name"])  # a new shift, at the room's clock
            self.dirty.add(room)
        return outcome

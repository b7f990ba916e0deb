"""The recorder: one append-only log per room of a session, and the catalog beside them.

Files: ``<record_dir>/<room folder>/<start>-<session>.lmrec``, the folder named
from a hash of the room id (``room_dir_name``), so that no two rooms share a
file and no id leads out of the record dir; the catalog keeps the id and
the path. Log bytes are queued
and handed to ``write`` (the hub does it on a thread, then acks); catalog rows
are queued and written in one transaction by ``flush_catalog``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livemon import wire
from livemon.record import log
from livemon.record.catalog import Catalog

# A log write that failed: the writer, the bytes it could not write, and why.
Failed = tuple[log.LogWriter, bytes, OSError]

# From this many logs with bytes to sync in one tick on, they are fsynced on
# SYNC_THREADS threads at once (``Recorder.write``); fewer are fsynced in turn.
GROUP_SYNC_MIN = 16
# A room's seek index gets a row for its first record, then for the first record that
# takes its clock this many seconds (of event time) past the second of its previous row.
# A seek starts reading at the newest row at or before the second it wants
# (``Catalog.seek_offset``) and reads on: at most a minute of the room's records, where
# a row per record made a hub of 500 rooms write ~5,000 SQLite rows a second.
SEEK_EVERY_S = 60
SYNC_THREADS = 16
_pool: ThreadPoolExecutor | None = None


def _sync_pool() -> ThreadPoolExecutor:
    """The threads that fsync a tick's logs together (made on first use)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="livemon-fsync")
    return _pool


def _sync(item: tuple[log.LogWriter, bytes]) -> OSError | None:
    """fsync the bytes ``LogWriter.put`` wrote to one log; the error, if it failed."""
    w, data = item
    try:
        w.sync(len(data))
    except OSError as exc:
        return exc
    return None


def _sync_each(items: list[tuple[log.LogWriter, bytes]]) -> list[OSError | None]:
    """``_sync`` of each of ``items`` in turn (one thread's share of a tick's logs)."""
    return [_sync(item) for item in items]


_SAFE = re.compile(r"[^A-Za-z0-9_-]")
log_ = logging.getLogger("livemon.record")


# The event-time clock of a room as its record should note it: (newest second, clock),
# both None before the room's first event.
RoomClock = Callable[[str], tuple[int | None, float | None]]


# Each room's events of a run and their positions (seq - the run's first seq).
Shares = dict[str, tuple[list[Any], list[int]]]


@dataclass(slots=True)
class _Run:
    """Consecutive frames of several rooms from one adapter, not yet records."""

    name: str
    seq: int  # first seq of the first frame
    count: int  # events of the frames, from ``seq`` on (all rooms)
    shares: Shares  # rooms in order of first appearance


def add_shares(shares: Shares, events: list[Any], seqs: list[int], first: int) -> None:
    """Add each of ``events`` to its room's share, with its position (seq - ``first``).

    >>> from livemon.events import Like
    >>> shares = {}
    >>> add_shares(shares, [Like("a", 1.0, 1), Like("b", 1.0, 1), Like("a", 2.0, 1)], [5, 6, 7], 5)
    >>> {room: positions for room, (_, positions) in shares.items()}
    {'a': [0, 2], 'b': [1]}
    """
    get = shares.get
    for e, k in zip(events, seqs, strict=True):
        share = get(e.room)
        if share is None:
            share = shares[e.room] = ([], [])
        share[0].append(e)
        share[1].append(k - first)


def room_dir_name(room: str) -> str:
    """The folder of a room's logs: a readable prefix and a hash of the whole id.

    Distinct ids get distinct folders (also on case-insensitive file systems),
    and no id, however long or odd, names a path outside the record dir.

    >>> room_dir_name("room-1"), room_dir_name("..")
    ('room-1-0be4ad355ee3edc3', '__-34f0828231260469')
    >>> room_dir_name("r/1") != room_dir_name("r_1"), len(room_dir_name("x" * 300))
    (True, 57)
    """
    digest = hashlib.blake2b(room.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{_SAFE.sub('_', room)[:40]}-{digest}"


# An ack tick (``Recorder.tick``): log bytes, and the acked file's seqs before and after them.
Tick = tuple[list[tuple[log.LogWriter, bytes]], dict[str, int], dict[str, int]]


def _note(acked: log.LogWriter, seqs: dict[str, int]) -> None:
    """Append ``seqs`` to the acked file, written and fsynced (kept queued if that fails)."""
    acked.append([log.ACKED, seqs])
    acked.flush()


def acked_path(record_dir: Path, session: str) -> Path:
    """The file of ``session`` noting how far each adapter's seqs are in every room's log.

    >>> acked_path(Path("rec"), "20260101-abc123").as_posix()
    'rec/20260101-abc123.acked'
    """
    return record_dir / f"{session}.acked"


def committed_seqs(record_dir: Path, session: str) -> dict[str, int] | None:
    """Each adapter's highest seq whose events are in every room's log, as ``sync`` noted
    it; None for a session without a whole file (recorded by an older livemon, killed
    before the file was made, or unreadable): the room logs are then all there is.

    A session's room logs are written one after the other: a hub killed between
    two of them leaves one room's log ahead of another's, so the highest seq in
    any one log is not what every log holds; this is.
    """
    path = acked_path(record_dir, session)
    if not path.exists():
        return None
    seqs: dict[str, int] | None = None  # None until its first record (written when made)
    try:
        for _, record in log.read(path):
            if record[0] == log.ACKED:
                if seqs is None:
                    seqs = {}
                for name, seq in record[1].items():
                    seqs[name] = max(seqs.get(name, 0), seq)
    except (OSError, log.LogCorrupt, AttributeError, TypeError, IndexError) as exc:
        log_.error("cannot read %s (%s): resuming from the room logs alone", path, exc)
        return None
    return seqs


class Recorder:
    """Appends frames and commands per room; ``flush`` makes them durable."""

    def __init__(self, record_dir: Path, session: str, catalog: Catalog | None = None,
                 clock: RoomClock | None = None, resumed: dict[str, int] | None = None,
                 several: set[str] | None = None) -> None:  # fmt: skip
        """``clock`` gives a room's clock when a run of frames becomes its record
        (``add_to_run``); without it such records feed no seek index. ``resumed``:
        the seqs a resumed session holds; ``several``: its adapters whose records are
        in several rooms' logs already (the acked file follows them, see ``tick``)."""
        self.record_dir = record_dir
        self.clock = clock
        self.session = session
        self.catalog = catalog or Catalog(record_dir)
        self.writers: dict[str, log.LogWriter] = {}
        self._seek_sec: dict[str, int] = {}
        self._seek_rows: list[tuple[str, str, int, int]] = []  # (session, room, second, offset)
        self._frames: dict[str, int] = {}
        self._last_ts: dict[str, float] = {}
        self._command_rows: list[tuple[str, dict, dict, float | None]] = []
        self._progressed: set[str] = set()  # rooms with frames since the last catalog write
        self._run: _Run | None = None  # frames of several rooms not yet split into records
        # The acked file (``tick``): made with the session's first room log, then written
        # by ``sync`` alone. It follows the adapters whose records go to several rooms'
        # logs (one log holds all of any other adapter's records: it says as much).
        self._acked: log.LogWriter | None = None
        self._several: set[str] = set(several or ())
        self._name_room: dict[str, str] = {}  # adapter name -> the one room of its records
        self._turned: set[str] = set()  # adapters found in a second room since the last tick
        self._noted: dict[str, int] = {}  # adapter name -> seq the acked file says
        self._good: dict[str, int] = dict(resumed or {})  # ...in every log as of the last tick

    def writer(self, room: str) -> log.LogWriter:
        """The log of ``room`` in this session, opened (or created) on first use.

        A log of this session that can no longer be opened (gone, unreadable,
        a name the file system refuses) is reported and left: the room goes
        on in a new file. Raises ``OSError`` or ``sqlite3.Error`` when no log
        can be made (a full disk); nothing is then registered.
        """
        w = self.writers.get(room)
        if w is not None:
            return w
        row = self.catalog.session_row(self.session, room)
        if row is not None:
            try:
                w = log.LogWriter(Path(row["path"]))
                self._frames[room] = row["frames"] or 0
            except (OSError, log.LogCorrupt) as exc:
                log_.error("cannot reopen the log of room %r at %s (%s): the room is recorded "
                           "in a new file from now on", room, row["path"], exc)  # fmt: skip
        if self._acked is None:
            # Made before the first byte of any log: a session with logs has one. The
            # resumed adapters of several rooms are noted first (a session recorded
            # before the file existed), so no resume tells one less than it was acked.
            path = acked_path(self.record_dir, self.session)
            try:
                acked = log.LogWriter(path)
            except log.LogCorrupt as exc:  # not ours to read: kept aside, and a new one made
                path.replace(path.with_name(path.name + ".bad"))
                log_.error("%s; kept as %s.bad, a new one is made", exc, path.name)
                acked = log.LogWriter(path)
            if committed_seqs(self.record_dir, self.session) is None:  # the file is whole now
                acked.append([log.ACKED, {n: self._good.get(n, 0) for n in self._several}])
            acked.flush()
            self._acked = acked
        if w is None:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            path = self.record_dir / room_dir_name(room) / f"{stamp}-{self.session}.lmrec"
            n = 1
            while row is not None and path.exists():  # never the file just given up on
                n += 1
                path = path.with_name(f"{stamp}-{self.session}-{n}.lmrec")
            w = log.LogWriter(path)
            try:
                self.catalog.add_session(self.session, room, str(path))
            except sqlite3.Error:
                with contextlib.suppress(OSError):
                    w.close()
                raise
            self._frames[room] = 0
        self.writers[room] = w
        return w

    def append_frame(self, room: str, name: str, seq: int, count: int, frame: bytes,
                     second: int | None, ts: float | None, wall: float | None = None,
                     positions: list[int] | None = None) -> None:  # fmt: skip
        """Record one adapter frame in ``room``'s log; ``second`` (the room's newest second
        once the frame is folded) feeds the seek index (``SEEK_EVERY_S``).

        ``wall``, the hub's clock when it took the frame, is kept when the hub
        rejected an event of it for a ts too far ahead of it: replay folds with
        it, so the same events are rejected.

        ``positions`` is given when ``frame`` holds only this room's share of a
        frame of several rooms: the place (seq - ``seq``) of each of its
        events in the frame the adapter sent, so that replay drops resent seqs
        as the hub did. A frame of many rooms is then not copied into each.
        """
        if self._run is not None:
            self.end_run()  # every room's records stay in the order they were taken
        self._record(room, name, seq, count, frame, second, ts, wall, positions)

    def _record(self, room: str, name: str, seq: int, count: int, frame: bytes,
                second: int | None, ts: float | None, wall: float | None,
                positions: list[int] | None) -> None:  # fmt: skip
        """``append_frame`` without ending the run first."""
        if name not in self._several and self._name_room.setdefault(name, room) != room:
            self._several.add(name)
            self._turned.add(name)
        record: list[Any] = [log.EVENTS, name, seq, count, frame]
        if wall is not None or positions is not None:
            record.append(wall)
        if positions is not None:
            record.append(positions)
        offset = self.writer(room).append(record)
        self._frames[room] += 1
        self._progressed.add(room)
        if second is not None:
            last = self._seek_sec.get(room)
            if last is None or second >= last + SEEK_EVERY_S:
                self._seek_sec[room] = second
                self._seek_rows.append((self.session, room, second, offset))
        if ts is not None:
            self._last_ts[room] = ts

    def continues_run(self, name: str, seq: int) -> bool:
        """True when a frame of adapter ``name`` from ``seq`` on would join the waiting run."""
        run = self._run
        return run is not None and run.name == name and run.seq + run.count == seq

    def add_to_run(self, name: str, seq: int, count: int, events: list[Any],
                   seqs: list[int]) -> None:  # fmt: skip
        """Record a frame of several rooms: ``events`` (with their ``seqs``) of the frame
        of ``count`` events from ``seq``.

        Consecutive frames of one adapter wait in memory as one run; the run
        becomes one record per room (``end_run``: at ``take``, or before any
        other record) whose events are that room's only. A hub of many rooms
        then groups, encodes and frames once per room per ack tick, not once
        per room per frame. Replay reads a record as one frame of ``count``
        events with holes (``positions``); its seqs, so its de-duplication,
        are the frames'.

        The caller must end the run (``end_run``) before it folds anything
        that does not join it: each record notes its room's clock (``clock``)
        as of the run's end.
        """
        run = self._run
        if run is None or not self.continues_run(name, seq):
            self.end_run()
            run = self._run = _Run(name, seq, 0, {})
        # Grouped now, while the frame's events are still in the CPU's caches: at the
        # tick, after the fold of several frames, it took several times as long.
        add_shares(run.shares, events, seqs, run.seq)
        run.count += count

    def end_run(self) -> None:
        """The waiting run, if any, as one record per room (in order of first appearance)."""
        run, self._run = self._run, None
        if run is not None:
            self._write_shares(run.name, run.seq, run.count, run.shares, None)

    def append_split(self, name: str, seq: int, count: int, events: list[Any],
                     seqs: list[int], wall: float | None = None) -> None:  # fmt: skip
        """Record events of several rooms from ``seq`` on as one record per room now:
        each holds that room's events and their ``positions`` (seq - ``seq``).

        ``wall``: as for ``append_frame`` (a frame whose events were checked
        against the hub's clock is a record of its own: ``end_run`` first).
        """
        shares: Shares = {}
        add_shares(shares, events, seqs, seq)
        self._write_shares(name, seq, count, shares, wall)

    def _write_shares(self, name: str, seq: int, count: int, shares: Shares,
                      wall: float | None) -> None:  # fmt: skip
        """One record per room of ``shares``, noting the room's clock now."""
        clock = self.clock
        for room, (mine, positions) in shares.items():
            second, ts = clock(room) if clock is not None else (None, None)
            self._record(room, name, seq, count, wire.encode_batch(seq, mine), second, ts, wall,
                         positions)  # fmt: skip

    def append_command(self, room: str, command: dict[str, Any], result: dict[str, Any],
                       ts: float | None) -> None:  # fmt: skip
        """Record a command and its result in the log and in the catalog (at once, or with
        the next ``flush_catalog`` if the catalog cannot be written now)."""
        if self._run is not None:
            self.end_run()
        self.writer(room).append([log.COMMAND, command, result])
        try:
            self.catalog.add_command(self.session, room, command, result, ts)
        except (OSError, sqlite3.Error):
            self._command_rows.append((room, command, result, ts))

    def take(self) -> list[tuple[log.LogWriter, bytes]]:
        """Queued bytes of every log, to ``write`` on another thread."""
        self.end_run()
        return [(w, w.take()) for w in self.writers.values()]

    @staticmethod
    def write(batches: list[tuple[log.LogWriter, bytes]]) -> list[Failed]:
        """Write and fsync what ``take`` handed over; return what could not be written.

        Each failure is ``(writer, bytes, error)``: give it back with ``restore``,
        so that the bytes are written again, in order, by a later ``write``.

        Group commit: with many logs to sync (a hub of many rooms, every ack
        tick), the bytes are written to all of them first, then the logs are
        fsynced on ``SYNC_THREADS`` threads at once, so that the file system
        commits them together: 500 fsyncs one after the other took 70-215 ms
        on this project's test machine (more than the 100 ms tick), on 16
        threads 18-47 ms. Each log is still fsynced on its own, so a failure
        is known per log and only that log's bytes are kept for a retry.
        (One ``syncfs`` was faster still, but it also waits for every other
        program's unwritten data on the file system: acks would depend on them.)
        """
        dirty = [(w, data) for w, data in batches if data]
        failed: list[Failed] = []
        if len(dirty) < GROUP_SYNC_MIN:
            for w, data in dirty:
                try:
                    w.write(data)
                except OSError as exc:
                    failed.append((w, data, exc))
            return failed
        written = []
        for w, data in dirty:
            try:
                w.put(data)
                written.append((w, data))
            except OSError as exc:
                failed.append((w, data, exc))
        # One task per thread, not per log: 500 tasks a tick cost the event loop's thread
        # their futures and a GIL hand-over each.
        errors: list[OSError | None] = [None] * len(written)
        shares = [written[k::SYNC_THREADS] for k in range(min(SYNC_THREADS, len(written)))]
        for k, share_errors in enumerate(_sync_pool().map(_sync_each, shares)):
            errors[k::SYNC_THREADS] = share_errors
        failed += [(w, data, exc) for (w, data), exc in zip(written, errors, strict=True) if exc]
        return failed

    def tick(self, held: dict[str, int]) -> Tick:
        """An ack tick's work, taken on the appending thread for ``sync`` on another:
        the queued log bytes, and what the acked file must say before and after them.

        ``held`` is each adapter's highest seq taken (all of it queued now).
        Before the logs: each adapter found in a second room since the last tick,
        at its seq of the last tick (what every log held then, its first room's
        log included). After them: the adapters of several rooms at ``held``.
        On resume, ``committed_seqs`` reads it back: the highest seq of one log
        is not what the others hold when the hub died between writing two of them.
        """
        batches = self.take()
        before = {n: self._good.get(n, 0) for n in self._turned}
        self._turned = set()
        after = {n: held[n] for n in self._several if n in held and self._noted.get(n) != held[n]}
        return batches, before, after

    def sync(self, tick: Tick) -> tuple[list[Failed], OSError | None]:
        """Write a ``tick``: the acked file's before, the logs, its after (each fsynced).

        Returns the log writes that failed (give them to ``restore``) and the
        acked file's error: with either, nothing of the tick may be acknowledged.
        """
        batches, before, after = tick
        acked = self._acked
        if before and acked is not None:
            try:
                _note(acked, before)
            except OSError as exc:  # no log byte written: all of them wait for the next tick
                return [(w, data, exc) for w, data in batches if data], exc
        failed = Recorder.write(batches)
        if failed or not after or acked is None:
            return failed, None
        try:
            _note(acked, after)
        except OSError as exc:
            return [], exc
        return [], None

    def synced(self, tick: Tick, held: dict[str, int], ok: bool) -> None:
        """After ``sync`` of ``tick``, on the appending thread: note what the acked file says
        (``ok``: no failure), or find its adapters again at the next tick."""
        _, before, after = tick
        if not ok:
            self._turned |= before.keys()
            return
        self._noted.update(before)
        self._noted.update(after)
        self._good.update(held)

    @staticmethod
    def restore(failed: list[Failed]) -> None:
        """Queue again the bytes ``write`` could not write (on the appending thread)."""
        for w, data, _ in failed:
            w.restore(data)

    def pending_bytes(self) -> int:
        """Log bytes queued in memory, not yet handed to ``write``."""
        return sum(w.pending for w in self.writers.values())

    def flush_catalog(self) -> None:
        """Write queued catalog rows (seek index, session progress, delayed commands).

        If the catalog cannot be written (a full disk: ``sqlite3.Error`` or
        ``OSError``), the rows stay queued for the next call and the error is raised.
        """
        rows, self._seek_rows = self._seek_rows, []
        commands, self._command_rows = self._command_rows, []
        try:
            with self.catalog.db.conn:
                self.catalog.add_seek(rows)
                for room, command, result, ts in commands:
                    self.catalog.add_command(self.session, room, command, result, ts)
                progressed = self._progressed
                self.catalog.update_progress(self.session, [
                    (room, self._frames[room], self._last_ts.get(room)) for room in progressed
                ])  # fmt: skip
        except (OSError, sqlite3.Error):
            self._seek_rows[:0] = rows
            self._command_rows[:0] = commands
            raise
        self._progressed = set()

    def flush(self) -> None:
        """Everything queued, written and synced now (used at shutdown and in tests).

        Raises the first ``OSError`` if a log cannot be written; its bytes stay queued.
        """
        failed = self.write(self.take())
        if failed:
            self.restore(failed)
            raise failed[0][2]
        self.flush_catalog()

    def close(self, end: bool = True) -> None:
        """Flush, close the logs and, with ``end``, mark the session ended.

        The logs are closed even when the flush fails; the error is raised after.
        """
        try:
            self.flush()
            if end:
                self.catalog.end_session(self.session)
        finally:
            for w in self.writers.values():
                with contextlib.suppress(OSError):
                    w.close()
            if self._acked is not None:
                with contextlib.suppress(OSError):
                    self._acked.close()
        if end:  # an ended session is never resumed: the acked file has served
            with contextlib.suppress(OSError):
                acked_path(self.record_dir, self.session).unlink(missing_ok=True)

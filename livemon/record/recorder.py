"""The recorder: one append-only log per room of a session, and the catalog beside them.

Files: ``<record_dir>/<room>/<start>-<session>.lmrec``. Log bytes are queued
and handed to ``write`` (the hub does it on a thread, then acks); catalog rows
are queued and written in one transaction by ``flush_catalog``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from livemon.record import log
from livemon.record.catalog import Catalog

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def room_dir_name(room: str) -> str:
    """A file-system-safe folder name for a room id."""
    return _SAFE.sub("_", room) or "_"


class Recorder:
    """Appends frames and commands per room; ``flush`` makes them durable."""

    def __init__(self, record_dir: Path, session: str, catalog: Catalog | None = None) -> None:
        self.record_dir = record_dir
        self.session = session
        self.catalog = catalog or Catalog(record_dir)
        self.writers: dict[str, log.LogWriter] = {}
        self._seek_sec: dict[str, int] = {}
        self._seek_rows: list[dict[str, Any]] = []
        self._frames: dict[str, int] = {}
        self._last_ts: dict[str, float] = {}

    def writer(self, room: str) -> log.LogWriter:
        """The log of ``room`` in this session, opened (or created) on first use."""
        w = self.writers.get(room)
        if w is None:
            row = next(
                (r for r in self.catalog.sessions()
                 if r["session"] == self.session and r["room"] == room), None,
            )  # fmt: skip
            if row is not None:
                path = Path(row["path"])
                self._frames[room] = row["frames"] or 0
            else:
                stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
                path = self.record_dir / room_dir_name(room) / f"{stamp}-{self.session}.lmrec"
                self.catalog.add_session(self.session, room, str(path))
                self._frames[room] = 0
            w = self.writers[room] = log.LogWriter(path)
        return w

    def append_frame(self, room: str, name: str, seq: int, count: int, frame: bytes,
                     second: int | None, ts: float | None) -> None:  # fmt: skip
        """Record one adapter frame in ``room``'s log; ``second`` feeds the seek index."""
        offset = self.writer(room).append([log.EVENTS, name, seq, count, frame])
        self._frames[room] += 1
        if second is not None and second > self._seek_sec.get(room, -1):
            self._seek_sec[room] = second
            self._seek_rows.append(
                {"session": self.session, "room": room, "second": second, "offset": offset}
            )
        if ts is not None:
            self._last_ts[room] = ts

    def append_command(self, room: str, command: dict[str, Any], result: dict[str, Any],
                       ts: float | None) -> None:  # fmt: skip
        """Record a command and its result in the log and in the catalog (at once)."""
        self.writer(room).append([log.COMMAND, command, result])
        self.catalog.add_command(self.session, room, command, result, ts)

    def take(self) -> list[tuple[log.LogWriter, bytes]]:
        """Queued bytes of every log, to ``write`` on another thread."""
        return [(w, w.take()) for w in self.writers.values()]

    @staticmethod
    def write(batches: list[tuple[log.LogWriter, bytes]]) -> None:
        """Write and fsync what ``take`` handed over."""
        for w, data in batches:
            w.write(data)

    def flush_catalog(self) -> None:
        """Write queued catalog rows (seek index, session progress)."""
        rows, self._seek_rows = self._seek_rows, []
        with self.catalog.db.conn:
            self.catalog.add_seek(rows)
            for room, frames in self._frames.items():
                fields: dict[str, Any] = {"frames": frames}
                if room in self._last_ts:
                    fields["last_ts"] = self._last_ts[room]
                self.catalog.update_session(self.session, room, **fields)

    def flush(self) -> None:
        """Everything queued, written and synced now (used at shutdown and in tests)."""
        self.write(self.take())
        self.flush_catalog()

    def close(self, end: bool = True) -> None:
        """Flush, close the logs and, with ``end``, mark the session ended."""
        self.flush()
        for w in self.writers.values():
            w.close()
        if end:
            self.catalog.end_session(self.session)

"""The SQLite catalog of recordings, through sqlite-utils.

Tables: ``sessions`` (one row per session and room), ``seek`` (second of
event time -> offset of the first record reaching it, about one a minute), ``commands`` (every
command and its result), ``alerts`` (every alert state change) and
``minutes`` (per-minute metrics for the review report) and ``settings`` (the
config sections a session folds with, so a replay folds it the same way).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlite_utils

from livemon.record.private import private_dir, private_file

CATALOG_NAME = "catalog.db"
# The result of a command whose adapter had it when the hub died (kill -9, power loss):
# whether the platform carried it out is unknown, and it is never sent again.
FORWARDED = ("the hub stopped while the adapter had this command; outcome unknown, check the "
             "platform before retrying with a new id")  # fmt: skip
# The alerts table's columns, in order; the last two hold JSON.
_ALERT_COLUMNS = ("session", "room", "id", "kind", "sku", "severity", "state", "since", "onset",
                  "ts", "detail", "evidence", "suggest")  # fmt: skip
_INSERT_ALERT = (f"insert into alerts ({', '.join(_ALERT_COLUMNS)}) "
                 f"values ({', '.join('?' * len(_ALERT_COLUMNS))})")  # fmt: skip


class Catalog:
    """The catalog of one record dir. Writes are batched by the caller."""

    def __init__(self, record_dir: Path) -> None:
        private_dir(record_dir)
        self.path = record_dir / CATALOG_NAME
        # SQLite gives its -wal and -shm files the mode of the database file.
        for suffix in ("", "-wal", "-shm"):
            if suffix == "" or Path(f"{self.path}{suffix}").exists():
                private_file(Path(f"{self.path}{suffix}"))
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._ensure()

    def _ensure(self) -> None:
        db = self.db
        if "sessions" not in db.table_names():
            db.table("sessions").create(
                {"session": str, "room": str, "path": str, "started_wall": float,
                 "ended_wall": float, "first_ts": float, "last_ts": float, "frames": int},
                pk=("session", "room"),
            )  # fmt: skip
        if "seek" not in db.table_names():
            db.table("seek").create(
                {"session": str, "room": str, "second": int, "offset": int},
                pk=("session", "room", "second"),
            )
        if "commands" not in db.table_names():
            db.table("commands").create(
                {"session": str, "room": str, "id": str, "action": str, "args": str,
                 "ok": int, "detail": str, "wall": float, "ts": float},
                pk=("session", "id"),
            )  # fmt: skip
        if "alerts" not in db.table_names():
            db.table("alerts").create(
                {"session": str, "room": str, "id": str, "kind": str, "sku": str,
                 "severity": str, "state": str, "since": float, "onset": float, "ts": float,
                 "detail": str, "evidence": str, "suggest": str},
            )  # fmt: skip
            db.table("alerts").create_index(["session", "room", "id"])
        if "finals" not in db.table_names():  # the numbers a session ended on
            db.table("finals").create(
                {"session": str, "room": str, "metrics": str}, pk=("session", "room")
            )
        if "settings" not in db.table_names():  # JSON of the config sections folding uses
            db.table("settings").create({"session": str, "config": str}, pk="session")
        if "minutes" not in db.table_names():
            db.table("minutes").create(
                {"session": str, "room": str, "minute": int, "metrics": str},
                pk=("session", "room", "minute"),
            )

    # -- sessions ---------------------------------------------------------

    def open_sessions(self) -> list[dict[str, Any]]:
        """Sessions never ended (the hub stopped without closing them), newest first."""
        return list(
            self.db.query(
                "select * from sessions where ended_wall is null order by started_wall desc"
            )
        )

    def add_session(self, session: str, room: str, path: str) -> None:
        """Register a new (session, room) recording (it replaces a row of the same key)."""
        # A plain statement: sqlite-utils' insert inspects the table on each call (~0.2 ms;
        # a hub starting 500 rooms registers 500 recordings).
        with self.db.conn:
            self.db.conn.execute(
                "insert or replace into sessions (session, room, path, started_wall, ended_wall,"
                " first_ts, last_ts, frames) values (?, ?, ?, ?, null, null, null, 0)",
                (session, room, path, time.time()),
            )

    def update_session(self, session: str, room: str, **fields: Any) -> None:
        """Set ``fields`` on one session row."""
        self.db.table("sessions").update((session, room), fields)

    def update_progress(self, session: str, rows: list[tuple[str, int, float | None]]) -> None:
        """Set ``frames`` and ``last_ts`` (kept when None) of many rooms of ``session`` at once.

        One statement for all rooms: a hub of hundreds of rooms does this every second.
        """
        self.db.conn.executemany(
            "update sessions set frames = ?, last_ts = coalesce(?, last_ts) "
            "where session = ? and room = ?",
            [(frames, last_ts, session, room) for room, frames, last_ts in rows],
        )

    def end_session(self, session: str) -> None:
        """Mark every room of ``session`` ended now."""
        self.db.execute(
            "update sessions set ended_wall = ? where session = ? and ended_wall is null",
            [time.time(), session],
        )
        self.db.conn.commit()

    def sessions(self) -> list[dict[str, Any]]:
        """Every recording, newest first."""
        return list(self.db.query("select * from sessions order by started_wall desc"))

    def session_row(self, session: str, room: str) -> dict[str, Any] | None:
        """The recording of ``room`` in ``session``, if any (by key: a hub opening the
        logs of hundreds of rooms must not read every row for each)."""
        return next(
            self.db.query("select * from sessions where session = ? and room = ?",
                          [session, room]), None,
        )  # fmt: skip

    # -- batched rows -----------------------------------------------------

    def add_seek(self, rows: list[tuple[str, str, int, int]]) -> None:
        """Seek rows ``(session, room, second, offset)``: the record at ``offset`` is the
        first to take the room's clock to ``second``; the first row of a second wins."""
        if rows:  # plain executemany: sqlite-utils' insert_all inspects the table each call
            self.db.conn.executemany(
                "insert or ignore into seek (session, room, second, offset) values (?, ?, ?, ?)",
                rows,
            )

    def seek_offset(self, session: str, room: str, second: int) -> int | None:
        """Where to start reading the room's log to reach ``second``: the offset of its
        newest seek row at or before ``second`` (None before the first row).

        Reading on from there meets every event of ``second`` and later: the
        records before it took the clock only to earlier seconds. Rows are about
        a minute of event time apart (``recorder.SEEK_EVERY_S``); recordings made before
        that have a row per record, and are read alike.
        """
        row = next(
            self.db.query(
                "select offset from seek where session = ? and room = ? and second <= ? "
                "order by second desc limit 1",
                [session, room, second],
            ),
            None,
        )
        return row["offset"] if row else None

    def add_command(self, session: str, room: str, command: dict, result: dict,
                    ts: float | None) -> None:  # fmt: skip
        """Keep one command with its result; the same id is kept once (its result replaces
        only a ``FORWARDED`` note of it)."""
        row = {"session": session, "room": room, "id": str(command.get("id")),
               "action": str(command.get("action")), "args": json.dumps(command.get("args")),
               "ok": int(bool(result.get("ok"))), "detail": str(result.get("detail", "")),
               "wall": time.time(), "ts": ts}  # fmt: skip
        with self.db.atomic():  # committed here unless the caller's transaction goes on
            self.db.execute(
                "update commands set ok = ?, detail = ?, wall = ?, ts = ? "
                "where session = ? and id = ? and detail = ?",
                [row["ok"], row["detail"], row["wall"], ts, session, row["id"], FORWARDED],
            )
            self.db.table("commands").insert(row, ignore=True)

    def add_forwarded(self, session: str, room: str, command: dict, ts: float | None) -> None:
        """Note, before it leaves the hub, that command ``command`` is with an adapter: if
        the hub dies before the adapter answers, that note is its result for good
        (``FORWARDED``), so a resend of its id is never carried out again."""
        self.add_command(session, room, command, {"ok": False, "detail": FORWARDED}, ts)

    def command_result(self, session: str, command_id: str) -> dict[str, Any] | None:
        """The recorded result of command ``command_id`` in ``session``, if any."""
        row = next(
            self.db.query(
                "select ok, detail from commands where session = ? and id = ?",
                [session, command_id],
            ),
            None,
        )
        if row is None:
            return None
        return {"ok": bool(row["ok"]), "detail": row["detail"]}

    def commands(self, session: str, room: str | None = None) -> list[dict[str, Any]]:
        """Commands of a session in the order they were given."""
        where, args = "session = ?", [session]
        if room is not None:
            where, args = where + " and room = ?", [session, room]
        return list(self.db.query(f"select * from commands where {where} order by wall", args))

    def add_alerts(self, rows: list[dict[str, Any]]) -> None:
        """Alert state changes, as sent to consoles."""
        if rows:  # plain executemany, as add_seek: a hub of many rooms writes hundreds a second
            with self.db.conn:
                self.db.conn.executemany(_INSERT_ALERT, [
                    (*(r.get(c) for c in _ALERT_COLUMNS[:-2]), json.dumps(r.get("evidence")),
                     json.dumps(r.get("suggest"))) for r in rows
                ])  # fmt: skip

    def add_minutes(self, rows: list[dict[str, Any]]) -> None:
        """Per-minute metric rows ``{session, room, minute, metrics}``."""
        if rows:  # plain executemany, as add_seek: a hub of 500 rooms writes 500 a minute
            with self.db.conn:
                self.db.conn.executemany(
                    "insert or replace into minutes (session, room, minute, metrics) "
                    "values (?, ?, ?, ?)",
                    [(r["session"], r["room"], r["minute"], json.dumps(r["metrics"]))
                     for r in rows],
                )  # fmt: skip

    def set_finals(self, session: str, metrics_by_room: dict[str, dict[str, Any]]) -> None:
        """The final metrics of each room of a session (written when the hub stops)."""
        if metrics_by_room:
            self.db.table("finals").insert_all(
                [{"session": session, "room": room, "metrics": json.dumps(metrics)}
                 for room, metrics in metrics_by_room.items()], replace=True,
            )  # fmt: skip

    def set_settings(self, session: str, config: dict[str, Any]) -> None:
        """Keep the config sections ``session`` is folded with (replaced on a resume)."""
        with self.db.conn:
            self.db.conn.execute(
                "insert or replace into settings (session, config) values (?, ?)",
                (session, json.dumps(config, ensure_ascii=False)),
            )

    def close(self) -> None:
        """Close the database."""
        self.db.close()


def recorded_sessions(record_dir: Path) -> list[dict[str, Any]]:
    """Every catalog row of ``record_dir``, newest session first.

    A ValueError says what to do when nothing was recorded there.
    """
    if not (record_dir / CATALOG_NAME).exists():
        raise ValueError(f"no recordings in {record_dir}: livemon run records there")
    catalog = Catalog(record_dir)
    try:
        return catalog.sessions()
    finally:
        catalog.close()


def rows_of_session(
    rows: list[dict[str, Any]], want: str, record_dir: Path
) -> list[dict[str, Any]]:
    """The rows whose session is ``want``, or the one session ``want`` is a unique start of.

    A ValueError says what to do when none matches or several ids begin with ``want``.
    """
    match = [r for r in rows if r["session"] == want] or [
        r for r in rows if r["session"].startswith(want)]  # fmt: skip
    if not match:
        raise ValueError(f"no session {want!r} in {record_dir}: see livemon sessions")
    if len({r["session"] for r in match}) > 1:
        raise ValueError(f"session {want!r} is the start of several ids: give more of it "
                         "(see livemon sessions)")  # fmt: skip
    return match


def find_recording(record_dir: Path, session: str | None, room: str | None) -> dict[str, Any]:
    """The catalog row of the recording asked for: newest session, first room by default.

    A ValueError says what to do when there is none.
    """
    rows = recorded_sessions(record_dir)
    if session is not None:
        rows = rows_of_session(rows, session, record_dir)
    else:
        rows = [r for r in rows if r["session"] == rows[0]["session"]] if rows else []
    if room is not None:
        rows = [r for r in rows if r["room"] == room]
    if not rows:
        raise ValueError(f"no recording of session {session or '(newest)'} room {room or '(any)'}"
                         f" in {record_dir}: see livemon sessions")  # fmt: skip
    return sorted(rows, key=lambda r: r["room"])[0]


def session_settings(conn: sqlite3.Connection, session: str | None) -> dict[str, Any] | None:
    """The config sections ``session`` was folded with, read on any connection to a catalog
    (a read-only one too), or None when none are kept for it. A catalog older than the
    ``settings`` table raises ``sqlite3.OperationalError``."""
    row = conn.execute("select config from settings where session = ?", (session,)).fetchone()
    return json.loads(row[0]) if row else None

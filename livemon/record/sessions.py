"""The catalog as people read it: one line per recording, and pruning old or excess ones.

``listing`` gives each recording's room, start, duration, GMV, peak online
and alert count from the catalog (no log is read). ``plan_prune`` says which
finished recordings go for ``--older-than`` / ``--max-size``; ``prune``
removes them (log file and catalog rows). A session still open (being
recorded, or to be resumed after a crash) is never pruned.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from livemon.record.catalog import Catalog

_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_UNITS_B = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_age(text: str) -> float:
    """``30d``, ``12h``, ``90m``, ``45s`` or ``2w`` in seconds.

    >>> parse_age("30d"), parse_age("1.5h")
    (2592000.0, 5400.0)
    """
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text.lower())
    if not found:
        raise ValueError(f"--older-than {text!r}: use a number and s, m, h, d or w (e.g. 30d)")
    return float(found.group(1)) * _UNITS_S[found.group(2)]


def parse_size(text: str) -> int:
    """``500M``, ``10G``, ``1.5GB`` or ``2000`` (bytes) in bytes.

    >>> parse_size("10G"), parse_size("512k"), parse_size("1.5GB")
    (10737418240, 524288, 1610612736)
    """
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*", text.lower())
    if not found:
        raise ValueError(f"--max-size {text!r}: use a number with k, M, G or T (e.g. 10G)")
    return int(float(found.group(1)) * _UNITS_B[found.group(2)])


def listing(catalog: Catalog) -> list[dict[str, Any]]:
    """Every recording, newest first, with its review figures."""
    db = catalog.db
    if "finals" not in db.table_names():
        db.table("finals").create(
            {"session": str, "room": str, "metrics": str}, pk=("session", "room")
        )
    rows = []
    for r in catalog.sessions():
        key = [r["session"], r["room"]]
        first = next(
            db.query(
                "select min(second) as s, max(second) as e from seek "
                "where session = ? and room = ?",
                key,
            )
        )
        last_minute = next(
            db.query(
                "select metrics from minutes where session = ? and room = ? "
                "order by minute desc limit 1",
                key,
            ),
            None,
        )
        final = next(db.query("select metrics from finals where session = ? and room = ?", key),
                     None)  # fmt: skip
        row = final or last_minute  # a session that did not stop cleanly: its last minute
        metrics = json.loads(row["metrics"]) if row else {}
        alerts = next(
            db.query(
                "select count(distinct id) as n from alerts where session = ? and room = ?", key
            )
        )["n"]
        start = first["s"]
        end = r["last_ts"] if r["last_ts"] is not None else first["e"]
        path = Path(r["path"])
        rows.append(
            {
                "session": r["session"],
                "room": r["room"],
                "path": r["path"],
                "start": start,
                "duration_s": (end - start) if start is not None and end else None,
                "gmv_cents": metrics.get("gmv_cents"),
                "online_peak": metrics.get("online_peak"),
                "alerts": alerts,
                "open": r["ended_wall"] is None,
                "started_wall": r["started_wall"],
                "size": path.stat().st_size if path.exists() else 0,
            }
        )
    return rows


def plan_prune(
    rows: list[dict[str, Any]],
    older_than_s: float | None = None,
    max_size: int | None = None,
    now: float | None = None,
) -> list[dict[str, Any]]:
    """The finished recordings to remove: older than ``older_than_s`` (by wall start), then
    the oldest until the recordings left fit in ``max_size`` bytes."""
    now = time.time() if now is None else now
    finished = sorted((r for r in rows if not r["open"]), key=lambda r: r["started_wall"])
    doomed: list[dict[str, Any]] = []
    if older_than_s is not None:
        doomed += [r for r in finished if now - r["started_wall"] > older_than_s]
    if max_size is not None:
        total = sum(r["size"] for r in rows) - sum(r["size"] for r in doomed)
        for r in finished:
            if total <= max_size:
                break
            if r not in doomed:
                doomed.append(r)
                total -= r["size"]
    return doomed


def prune(catalog: Catalog, doomed: list[dict[str, Any]]) -> int:
    """Remove the recordings (log files and catalog rows); return the bytes freed."""
    freed = 0
    with catalog.db.conn:
        for r in doomed:
            path = Path(r["path"])
            if path.exists():
                freed += path.stat().st_size
                path.unlink()
            key = [r["session"], r["room"]]
            for table in ("sessions", "seek", "commands", "alerts", "minutes"):
                catalog.db.execute(f"delete from {table} where session = ? and room = ?", key)
    return freed

"""The alert lifecycle: open -> (escalate) -> acked -> resolved, one alert per incident.

Pure bookkeeping on event time. Detectors say *whether* a condition holds;
``AlertBook`` turns that into docs/protocol.md alerts: it opens an alert once per
incident, resends it when it escalates from warn to crit (same id, state
``open``), records acknowledgements, and resolves it only after it has been
open ``min_open_s`` of event time, so a metric hovering at a threshold cannot
make it flap. Every state change is queued in ``changes`` for the hub.
"""

from __future__ import annotations

import hashlib
from typing import Any

SEVERITY_RANK = {"warn": 1, "crit": 2}


def alert_id(room: str, kind: str, sku: str | None, since: float) -> str:
    """A stable id from what identifies an incident, so a replay gives the same ids.

    >>> alert_id("room-1", "stock_out", "A1", 1764000123.456)
    'stock_out-d7d4ceb68fe9'
    """
    key = f"{room}\0{kind}\0{sku or ''}\0{since:.3f}".encode()
    return f"{kind}-{hashlib.blake2b(key, digest_size=6).hexdigest()}"


class AlertBook:
    """The alerts of one room: the active ones by (kind, sku) and a queue of changes.

    >>> book = AlertBook("room-1", min_open_s=30)
    >>> a = book.update("viewer_drop", None, "warn", 100.0, onset=95.0, detail="online -16%")
    >>> a["state"], a["severity"], len(book.changes)
    ('open', 'warn', 1)
    >>> _ = book.update("viewer_drop", None, "warn", 101.0)  # still on: no new message
    >>> _ = book.update("viewer_drop", None, "crit", 102.0)  # escalates: resent, same id
    >>> [(c["state"], c["severity"]) for _, c in book.changes]
    [('open', 'warn'), ('open', 'crit')]
    >>> book.clear("viewer_drop", None, 110.0)  # too soon after opening: stays open
    False
    >>> book.ack(a["id"], 111.0), book.clear("viewer_drop", None, 131.0)
    (True, True)
    >>> [c["state"] for _, c in book.drain()]
    ['open', 'open', 'acked', 'resolved']
    """

    def __init__(self, room: str, min_open_s: float = 30.0,
                 min_open_by_kind: dict[str, float] | None = None) -> None:  # fmt: skip
        self.room = room
        self.min_open_s = min_open_s
        self.min_open_by_kind = dict(min_open_by_kind or {})
        self.active: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.by_id: dict[str, dict[str, Any]] = {}
        self.changes: list[tuple[float, dict[str, Any]]] = []

    def update(
        self,
        kind: str,
        sku: str | None,
        severity: str,
        ts: float,
        onset: float | None = None,
        detail: str = "",
        evidence: dict[str, float] | None = None,
        suggest: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The condition ``kind`` (of ``sku``) holds at ``ts``: open, escalate or refresh its alert.

        A refresh (same or lower severity) updates the evidence in place
        without a message; snapshots carry the newest numbers.
        """
        key = (kind, sku)
        alert = self.active.get(key)
        if alert is None:
            alert = {
                "id": alert_id(self.room, kind, sku, ts), "room": self.room, "kind": kind,
                "sku": sku, "severity": severity, "state": "open", "since": ts, "onset": onset,
                "detail": detail, "evidence": dict(evidence or {}), "suggest": suggest,
            }  # fmt: skip
            self.active[key] = self.by_id[alert["id"]] = alert
            self._changed(ts, alert)
            return alert
        if evidence:
            alert["evidence"] = dict(evidence)
        if SEVERITY_RANK[severity] > SEVERITY_RANK[alert["severity"]]:
            # Worse than what was acknowledged: it needs eyes again.
            alert.update(severity=severity, state="open", detail=detail or alert["detail"])
            if suggest is not None:
                alert["suggest"] = suggest
            self._changed(ts, alert)
        return alert

    def clear(self, kind: str, sku: str | None, ts: float) -> bool:
        """The condition is gone at ``ts``: resolve its alert if it has been open long enough.

        Returns True if an alert was resolved. Call again later while the
        condition stays clear.
        """
        alert = self.active.get((kind, sku))
        if alert is None:
            return False
        if ts - alert["since"] < self.min_open_by_kind.get(kind, self.min_open_s):
            return False
        del self.active[(kind, sku)]
        alert["state"] = "resolved"
        self._changed(ts, alert)
        return True

    def ack(self, alert_id: str, ts: float) -> bool:
        """Acknowledge an active alert; False if there is none with this id."""
        alert = self.by_id.get(alert_id)
        if alert is None or alert["state"] == "resolved":
            return False
        if alert["state"] != "acked":
            alert["state"] = "acked"
            self._changed(ts, alert)
        return True

    def open_alerts(self) -> list[dict[str, Any]]:
        """Copies of the open and acked alerts, newest first."""
        return [dict(a) for a in sorted(self.active.values(), key=lambda a: -a["since"])]

    def drain(self) -> list[tuple[float, dict[str, Any]]]:
        """Take the queued changes: ``(event time of the change, alert as it was then)``."""
        changes, self.changes = self.changes, []
        return changes

    def _changed(self, ts: float, alert: dict[str, Any]) -> None:
        self.changes.append((ts, {**alert, "evidence": dict(alert["evidence"])}))

"""`ConsoleState`: what the console remembers per room between messages (no Textual).

The hub sends whole snapshots, so the only state kept here is what a snapshot
does not carry: the recent history of curves, the recent comments, and the
alerts with their latest state (resolved ones are not in snapshots).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

HISTORY_SECONDS = 300
COMMENTS_KEPT = 500
RESOLVED_KEPT = 5  # resolved alerts still listed (greyed, below the active ones)


class Series:
    """One value per event-time second, newest last; a second's last value wins.

    >>> s = Series(3)
    >>> for ts, v in [(10.1, 1), (10.9, 2), (11.0, 5), (12.5, None), (13.0, 7)]:
    ...     s.add(ts, v)
    >>> list(s)
    [5, 0, 7]
    """

    def __init__(self, maxlen: int = HISTORY_SECONDS) -> None:
        self._values: deque[float] = deque(maxlen=maxlen)
        self._second: int | None = None

    def add(self, ts: float, value: float | None) -> None:
        """Record `value` (nil counts as 0) for the second of `ts`."""
        second = int(ts)
        value = value or 0
        if second == self._second and self._values:
            self._values[-1] = value
        elif self._second is None or second > self._second:
            self._values.append(value)
            self._second = second
        # An older second (late snapshot) is ignored: the curve only moves forward.

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


QUESTION_WINDOW_S = 300  # "hottest" questions: the most asked in the last five minutes


def hot_questions(
    comments: Iterable[dict[str, Any]],
    question_tags: frozenset[str],
    now: float | None,
    top: int = 2,
    window_s: float = QUESTION_WINDOW_S,
) -> list[tuple[str, int, str]]:
    """The `top` question tags most asked in the last `window_s` before `now`, as
    `(tag, comments, newest text)`, most asked first (ties: most recent first).

    >>> items = [{"ts": 100, "text": "多少钱", "tags": ["price"]},
    ...          {"ts": 101, "text": "link?", "tags": ["link"]},
    ...          {"ts": 102, "text": "how much", "tags": ["price"]},
    ...          {"ts": 103, "text": "hi", "tags": []}]
    >>> hot_questions(items, frozenset({"price", "link"}), 110)
    [('price', 2, 'how much'), ('link', 1, 'link?')]
    >>> hot_questions(items, frozenset({"price"}), 1000)
    []
    """
    counts: dict[str, list[Any]] = {}
    for item in comments:
        ts = item.get("ts")
        if now is not None and ts is not None and ts < now - window_s:
            continue
        for tag in item.get("tags") or ():
            if tag in question_tags:
                entry = counts.setdefault(tag, [0, "", -math.inf])
                entry[0] += 1
                if ts is None or ts >= entry[2]:
                    entry[1], entry[2] = str(item.get("text") or ""), ts or entry[2]
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][2]))
    return [(tag, n, text) for tag, (n, text, _) in ranked[:top]]


@dataclass
class RoomView:
    """Everything shown for one room."""

    room: str
    snapshot: dict[str, Any] = field(default_factory=dict)
    online: Series = field(default_factory=Series)
    gmv_1m: Series = field(default_factory=Series)
    comments: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=COMMENTS_KEPT))
    comments_total: int = 0  # comments ever received, so a screen knows which are new to it
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Since the connection (re)opened: has a snapshot's alert list been taken as the
    # whole truth yet, and which alerts did `alert` messages change (those win).
    alerts_synced: bool = False
    alerts_touched: set[str] = field(default_factory=set)

    def apply_snapshot(self, snapshot: dict[str, Any]) -> bool:
        """Keep the newest snapshot, extend the curves and take in its alert list; return
        whether the room's alerts changed."""
        self.snapshot = snapshot
        metrics = snapshot.get("metrics") or {}
        ts = snapshot.get("ts")
        if ts is not None:
            self.online.add(ts, metrics.get("online"))
            self.gmv_1m.add(ts, metrics.get("gmv_1m_cents"))
        return "alerts" in snapshot and self.sync_alerts(snapshot["alerts"] or [])

    def add_comments(self, items: list[dict[str, Any]]) -> None:
        """Keep a batch of comments (oldest first), counting them."""
        self.comments.extend(items)
        self.comments_total += len(items)

    def new_comments(self, seen: int) -> list[dict[str, Any]]:
        """The kept comments after the first `seen` ever received.

        >>> view = RoomView("r")
        >>> view.add_comments([{"text": "a"}, {"text": "b"}])
        >>> [c["text"] for c in view.new_comments(1)], view.new_comments(2)
        (['b'], [])
        """
        count = min(self.comments_total - seen, len(self.comments))
        return list(self.comments)[len(self.comments) - count :] if count > 0 else []

    def critical_alerts(self) -> list[dict[str, Any]]:
        """The open (not acked) crit alerts, newest first."""
        return [
            a for a in self.ordered_alerts()
            if a.get("state") == "open" and a.get("severity") == "crit"
        ]  # fmt: skip

    def alert_counts(self) -> dict[str, int]:
        """Active alerts by severity: ``{"crit": n, "warn": n}`` (acked ones included)."""
        counts = {"crit": 0, "warn": 0}
        for alert in self.alerts.values():
            if alert.get("state") != "resolved":
                counts["crit" if alert.get("severity") == "crit" else "warn"] += 1
        return counts

    def apply_alert(self, alert: dict[str, Any]) -> dict[str, Any] | None:
        """Keep the newest state of an alert from an `alert` message; return its previous one."""
        alert_id = str(alert.get("id"))
        previous = self.alerts.get(alert_id)
        self.alerts[alert_id] = alert
        self.alerts_touched.add(alert_id)
        self._prune_resolved()
        return previous

    def sync_alerts(self, listed: list[dict[str, Any]]) -> bool:
        """Take in a snapshot's open and acked alerts; return whether any alert changed.

        Snapshots can be older than `alert` messages already received (the hub
        sends alerts ahead of snapshots), so a snapshot only adds alerts not
        seen yet. The first snapshot after a (re)connect is also the truth for
        the alerts no message has touched since: they take its state, and an
        active one it no longer lists was resolved while the console was away.

        >>> view = RoomView("r")
        >>> view.apply_alert({"id": "a", "state": "open", "since": 1.0}) is None
        True
        >>> view.sync_alerts([{"id": "a", "state": "open", "since": 1.0},
        ...                   {"id": "b", "state": "acked", "since": 2.0}])
        True
        >>> [(a["id"], a["state"]) for a in view.ordered_alerts()]
        [('b', 'acked'), ('a', 'open')]
        >>> view.sync_alerts([{"id": "b", "state": "acked", "since": 2.0}])  # nothing new
        False
        >>> view.alerts_synced, view.alerts_touched = False, set()  # reconnected
        >>> view.sync_alerts([{"id": "a", "state": "acked", "since": 1.0}])
        True
        >>> [(a["id"], a["state"]) for a in view.ordered_alerts()]
        [('a', 'acked'), ('b', 'resolved')]
        """
        by_id = {str(a.get("id")): a for a in listed}
        alerts, changed = self.alerts, False
        if not self.alerts_synced:
            self.alerts_synced = True
            for alert_id, alert in list(alerts.items()):
                if alert_id in self.alerts_touched:
                    continue
                changed = True  # (once per connection: taken as a change)
                if alert_id in by_id:
                    alerts[alert_id] = by_id[alert_id]
                elif alert.get("state") != "resolved":
                    alerts[alert_id] = {**alert, "state": "resolved"}
        for alert_id, alert in by_id.items():
            if alert_id not in alerts:
                alerts[alert_id] = alert
                changed = True
        if changed:  # (the usual snapshot lists what is already known: no sort)
            self._prune_resolved()
        return changed

    def ordered_alerts(self) -> list[dict[str, Any]]:
        """Open and acked alerts newest first (by `since`), then the resolved ones likewise."""

        def key(alert: dict[str, Any]) -> tuple[bool, float]:
            return alert.get("state") == "resolved", -float(alert.get("since") or 0)

        return sorted(self.alerts.values(), key=key)

    def _prune_resolved(self) -> None:
        resolved = [a for a in self.ordered_alerts() if a.get("state") == "resolved"]
        for alert in resolved[RESOLVED_KEPT:]:
            del self.alerts[str(alert.get("id"))]


@dataclass(frozen=True)
class HubFacts:
    """What the hub says in `welcome` that the console must not restate: the stock
    thresholds of its `stock_low` alert and which comment tags are questions or
    stream trouble. Empty until the hub says (then nothing is coloured as low)."""

    low_floor: int | None = None
    low_eta_s: float | None = None
    question_tags: frozenset[str] = frozenset()
    tech_tags: frozenset[str] = frozenset()
    rules: tuple[str, ...] = ()  # the user's rules in force, one line each

    @classmethod
    def from_welcome(cls, welcome: dict[str, Any]) -> HubFacts:
        """The facts of a `welcome` message; missing ones stay unknown.

        >>> HubFacts.from_welcome({"stock": {"low_floor": 10, "low_eta_s": 120},
        ...                        "tags": {"question": ["price"], "tech": ["lag"]}}).low_floor
        10
        """
        stock = welcome.get("stock") or {}
        tags = welcome.get("tags") or {}
        return cls(
            low_floor=stock.get("low_floor"),
            low_eta_s=stock.get("low_eta_s"),
            question_tags=frozenset(tags.get("question") or ()),
            tech_tags=frozenset(tags.get("tech") or ()),
            rules=tuple(str(r) for r in welcome.get("rules") or ()),
        )


@dataclass
class ConsoleState:
    """The rooms seen so far, in order of their first snapshot, and the one on screen."""

    rooms: dict[str, RoomView] = field(default_factory=dict)
    current: str | None = None
    preferred: str | None = None  # the room to show first (livemon stage --room)
    # Counts changes to any room's alerts: with hundreds of rooms each sending
    # snapshots ten times a second, ``critical`` is gathered again only after one.
    alerts_version: int = 0
    _critical: tuple[int, list[tuple[str, dict[str, Any]]]] = (-1, [])

    def room(self, name: str) -> RoomView:
        """The view of room `name`, created on first sight."""
        if name not in self.rooms:
            self.rooms[name] = RoomView(name)
        return self.rooms[name]

    def on_snapshot(self, snapshot: dict[str, Any]) -> RoomView:
        """Store a snapshot; the first room to send one (or the preferred room, if one is
        set) becomes the current room."""
        view = self.room(str(snapshot.get("room")))
        if view.apply_snapshot(snapshot):
            self.alerts_version += 1
        if self.current is None and self.preferred in (None, view.room):
            self.current = view.room
        return view

    def open_room(self, name: str) -> RoomView | None:
        """Make room `name` the current one, if it has been seen."""
        if name not in self.rooms:
            return None
        self.current = name
        return self.rooms[name]

    def critical(self) -> list[tuple[str, dict[str, Any]]]:
        """Every open crit alert of every room as `(room, alert)`, newest first (gathered
        again only when an alert has changed since the last call)."""
        version, found = self._critical
        if version != self.alerts_version:
            found = [(v.room, a) for v in self.rooms.values() for a in v.critical_alerts()]
            found.sort(key=lambda ra: -float(ra[1].get("since") or 0))
            self._critical = (self.alerts_version, found)
        return found

    def on_alert(self, alert: dict[str, Any]) -> tuple[RoomView, dict[str, Any] | None]:
        """Store an alert change in its room; return the room and the alert's previous state."""
        view = self.room(str(alert.get("room")))
        self.alerts_version += 1
        return view, view.apply_alert(alert)

    def connection_opened(self) -> None:
        """A new hub connection: each room's next snapshot is the truth about its alerts."""
        for view in self.rooms.values():
            view.alerts_synced = False
            view.alerts_touched.clear()

    def cycle(self, step: int) -> str | None:
        """Move the current room `step` places along the known rooms; return the new one."""
        names = list(self.rooms)
        if not names:
            return None
        index = names.index(self.current) if self.current in names else 0
        self.current = names[(index + step) % len(names)]
        return self.current

    @property
    def view(self) -> RoomView | None:
        """The current room's view, if any room has been seen."""
        return self.rooms.get(self.current) if self.current is not None else None

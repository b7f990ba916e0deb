"""`ConsoleState`: what the console remembers per room between messages (no Textual).

The hub sends whole snapshots, so the only state kept here is what a snapshot
does not carry: the recent history of curves and the recent comments.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

HISTORY_SECONDS = 300
COMMENTS_KEPT = 500


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


@dataclass
class RoomView:
    """Everything shown for one room."""

    room: str
    snapshot: dict[str, Any] = field(default_factory=dict)
    online: Series = field(default_factory=Series)
    gmv_1m: Series = field(default_factory=Series)
    comments: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=COMMENTS_KEPT))

    def apply_snapshot(self, snapshot: dict[str, Any]) -> None:
        """Keep the newest snapshot and extend the curves."""
        self.snapshot = snapshot
        metrics = snapshot.get("metrics") or {}
        ts = snapshot.get("ts")
        if ts is not None:
            self.online.add(ts, metrics.get("online"))
            self.gmv_1m.add(ts, metrics.get("gmv_1m_cents"))


@dataclass
class ConsoleState:
    """The rooms seen so far, in order of their first snapshot, and the one on screen."""

    rooms: dict[str, RoomView] = field(default_factory=dict)
    current: str | None = None

    def room(self, name: str) -> RoomView:
        """The view of room `name`, created on first sight."""
        if name not in self.rooms:
            self.rooms[name] = RoomView(name)
        return self.rooms[name]

    def on_snapshot(self, snapshot: dict[str, Any]) -> RoomView:
        """Store a snapshot; the first room to send one becomes the current room."""
        view = self.room(str(snapshot.get("room")))
        view.apply_snapshot(snapshot)
        if self.current is None:
            self.current = view.room
        return view

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

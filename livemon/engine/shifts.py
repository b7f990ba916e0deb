"""Host shifts (主播换班): who is on air, and each shift's own totals, kept as the room folds.

A shift's additive totals (GMV, orders, units, comments, new followers,
views, viewer-seconds) are the room's running totals now minus the same
totals when the shift began, so they cost nothing per event and the shifts
of a session add up exactly to its totals, wherever in a second a change
falls. What cannot be differenced (distinct buyers, peak online) the room
updates in O(1) per order or viewer count. Pure: no I/O, event time only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from livemon.engine.room import RoomState

SHIFT_METRICS: dict[str, str] = {
    "host": "who is on air: the host command's name, or the host schedule's",
    "since": "event time the shift began (a host command, or the schedule's start)",
    "until": "event time it ended, nil while on air",
    "gmv_cents": "GMV of orders folded during the shift, minus refunds folded during it",
    "orders": "orders folded during the shift minus refunds folded during it",
    "buyers": "distinct buyers who ordered during the shift (one buyer may count in two shifts)",
    "online_avg": "mean online over the shift: viewer-seconds / seconds on air",
    "online_peak": "max online reported during the shift",
    "conv": "buyers / views during the shift (views: enter.n, or the platform's total, "
            "during the shift), nil before any view",
    "gpm_cents": "1,000 x gmv_cents / views during the shift, nil before any view",
    "follows": "new followers during the shift",
    "comments": "comments during the shift",
}  # fmt: skip


def room_totals(state: RoomState) -> dict[str, int]:
    """The room's running totals that shifts difference (``Shift.totals``)."""
    return {
        "gmv_cents": state.gmv_cents, "orders": state.orders, "units": state.units,
        "comments": state.comments, "follows": state.follows, "views": state.total_views,
        "viewer_s": state.viewer_s_total,
    }  # fmt: skip


@dataclass
class Shift:
    """One host's time on air."""

    host: str | None
    since: float
    start: dict[str, int]  # room totals when it began
    until: float | None = None
    end: dict[str, int] | None = None  # room totals when it ended
    buyers: set[str] = field(default_factory=set)  # on air, may be the room's own set (begin)
    online_peak: int = 0

    def totals(self, state: RoomState) -> dict[str, Any]:
        """The shift's numbers (see SHIFT_METRICS), up to now while on air."""
        now = self.end if self.end is not None else room_totals(state)
        start = self.start
        # Each total differenced by name (no dict of the differences): a console gets every
        # room's shifts ten times a second.
        gmv = now["gmv_cents"] - start["gmv_cents"]
        views = now["views"] - start["views"]
        viewer_s = now["viewer_s"] - start["viewer_s"]
        buyers = len(self.buyers)
        until = self.until if self.until is not None else state.clock
        seconds = max(0.0, until - self.since)
        return {
            "host": self.host, "since": self.since, "until": self.until,
            "gmv_cents": gmv, "orders": now["orders"] - start["orders"],
            "units": now["units"] - start["units"], "buyers": buyers,
            "online_avg": round(viewer_s / seconds) if seconds >= 1 else None,
            "online_peak": self.online_peak,
            "conv": round(buyers / views, 6) if views > 0 else None,
            "gpm_cents": round(1000 * gmv / views) if views > 0 else None,
            "follows": now["follows"] - start["follows"],
            "comments": now["comments"] - start["comments"],
        }  # fmt: skip


def schedule_changes(slots: list[tuple[float, float, str]]) -> list[tuple[float, str | None]]:
    """A host schedule ``(start_s, end_s, name)`` as changes ``(at_s, host)`` in time order;
    a slot's end with no slot starting then hands over to no named host.

    >>> schedule_changes([(3600, 7200, "B"), (0, 3600, "A")])
    [(0, 'A'), (3600, 'B'), (7200, None)]
    """
    starts = {start for start, _, _ in slots}
    changes: list[tuple[float, str | None]] = []
    for start, end, name in sorted(slots):
        changes.append((start, name))
        if end not in starts:
            changes.append((end, None))
    return sorted(changes, key=lambda c: c[0])


class ShiftBook:
    """The shifts of one room: the one on air, the ended ones, and the host schedule.

    The schedule is ``(start_s, end_s, name)`` slots in seconds from the
    session's first event; a scheduled host goes on air when the room's clock
    reaches the slot's start (checked once per new second of event time), at
    that start. ``change`` is an unscheduled change (the host command): it
    holds until the next scheduled change.
    """

    def __init__(self) -> None:
        self.current: Shift | None = None
        self.ended: list[Shift] = []
        self.origin: float | None = None  # the session's first event time
        self.changes: list[tuple[float, str | None]] = []
        self._next = 0  # index of the next scheduled change

    def set_schedule(self, slots: list[tuple[float, float, str]], clock: float) -> None:
        """Take a host schedule; changes already past do not fire again."""
        self.changes = schedule_changes(slots)
        self._next = 0
        if self.origin is not None:
            while self._next < len(self.changes) and (
                self.origin + self.changes[self._next][0] <= clock
            ):
                self._next += 1

    def begin(self, state: RoomState, host: str | None, ts: float) -> None:
        """End the shift on air (if any) and start ``host``'s at ``ts``."""
        totals = room_totals(state)
        current = self.current
        if current is not None and not (current.since == ts and current.start == totals):
            current.until, current.end = ts, totals
            if current.buyers is state.buyers:
                current.buyers = set(current.buyers)  # the room's set goes on growing
            self.ended.append(current)
        # (A shift in which nothing happened yet, at the same instant, is just replaced.)
        # A shift that begins before any order has, while on air, exactly the room's
        # buyers: it shares the room's set (one insert per order, half the memory).
        buyers = state.buyers if not state.buyers else set()
        self.current = Shift(host, ts, totals, buyers=buyers, online_peak=state.online)

    def change(self, state: RoomState, host: str) -> None:
        """An unscheduled host change at the room's clock."""
        clock = state.clock if state.newest_sec is not None else 0.0
        self.begin(state, host, clock)

    def tick(self, state: RoomState, ts: float) -> None:
        """The clock reached ``ts``: start the first shift, and the scheduled ones now due."""
        if self.origin is None:
            self.origin = ts
            if self.current is None:
                self.begin(state, None, ts)
        while self._next < len(self.changes) and ts >= self.origin + self.changes[self._next][0]:
            at, host = self.changes[self._next]
            self._next += 1
            self.begin(state, host, max(self.origin + at, self.current.since if self.current
                                        else 0.0))  # fmt: skip

    @property
    def host(self) -> str | None:
        """The host on air, if named."""
        return self.current.host if self.current is not None else None

    def all(self, state: RoomState) -> list[dict[str, Any]]:
        """Every shift's numbers, oldest first, the one on air last."""
        shifts = [*self.ended, *([self.current] if self.current else [])]
        return [s.totals(state) for s in shifts]

"""Session targets (业绩目标): how far along each is, and where the recent pace takes it.

The pace of a target is smoothed: an exponentially weighted mean of the
amount added in each closed second of event time (GMV, orders, or a
product's units), with a half-life of ``PACE_HALF_LIFE_S``, bias-corrected
so that in the first minutes it is the plain mean of the seconds seen. The
projection at the scheduled end is what is done plus that pace times the
seconds left. A steady pace projects a straight line; after a change of pace
the projection moves halfway to the new pace's in one half-life; a stall
decays the pace by half every half-life. O(targets) per closed second,
nothing per event.
"""

from __future__ import annotations

import math
from typing import Any

from livemon.engine.room import RoomState

PACE_HALF_LIFE_S = 300.0

TARGET_FIELDS: dict[str, str] = {
    "key": "gmv_cents, orders, or units:<sku>",
    "target": "the plan's goal for the session ([session] targets, or the plan command)",
    "done": "the session total so far (gmv_cents, orders, or the product's units sold)",
    "pace_per_min": "the smoothed pace: an exponentially weighted mean of the amount added per "
                    f"closed second (half-life {PACE_HALF_LIFE_S:.0f} s, bias-corrected), per "
                    "minute",
    "projected": "done + pace x seconds left until the scheduled end (first event + "
                 "duration_s); done once past it",
    "end_ts": "the scheduled end, event time",
}  # fmt: skip


def target_name(key: str) -> str:
    """The target's name as shown.

    >>> target_name("gmv_cents"), target_name("orders"), target_name("units:A1")
    ('GMV', 'orders', 'units A1')
    """
    if key == "gmv_cents":
        return "GMV"
    if key.startswith("units:"):
        return f"units {key[6:]}"
    return key


def amount(key: str, value: int | float | None) -> str:
    """A target amount: whole yuan for GMV, a count otherwise.

    >>> amount("gmv_cents", 1_240_050), amount("orders", 1200), amount("orders", None)
    ('¥12,400', '1,200', '—')
    """
    if value is None:
        return "—"
    if key == "gmv_cents":
        return f"¥{round(value / 100):,}" if value >= 0 else f"-¥{round(-value / 100):,}"
    return f"{round(value):,}"


def pace_words(target: dict[str, Any]) -> str:
    """Ahead or behind in plain words, from `done`, `projected` and `target`.

    >>> pace_words({"key": "gmv_cents", "target": 10_000_000, "done": 4_000_000,
    ...             "projected": 8_760_000})
    'behind by ¥12,400 at this pace'
    >>> pace_words({"key": "orders", "target": 100, "done": 40, "projected": 130})
    'ahead by 30 at this pace'
    >>> pace_words({"key": "orders", "target": 100, "done": 104, "projected": 150})
    'reached (+4)'
    """
    key, goal = str(target.get("key")), int(target.get("target") or 0)
    done, projected = int(target.get("done") or 0), target.get("projected")
    if done >= goal:
        return f"reached (+{amount(key, done - goal)})"
    if projected is None:
        return "no pace yet"
    gap = int(projected) - goal
    if gap >= 0:
        return f"ahead by {amount(key, gap)} at this pace"
    return f"behind by {amount(key, -gap)} at this pace"


class Pace:
    """A bias-corrected EWMA of per-second amounts.

    >>> pace = Pace(half_life_s=60)
    >>> for _ in range(10):
    ...     pace.update(3)
    >>> round(pace.per_s, 6)  # a steady pace is learnt exactly, even early
    3.0
    >>> for _ in range(60):
    ...     pace.update(0)
    >>> round(pace.per_s, 3) < 3.0 / 2 + 0.1  # one half-life of stall: about half
    True
    """

    def __init__(self, half_life_s: float = PACE_HALF_LIFE_S) -> None:
        self.keep = math.exp(-math.log(2) / half_life_s)
        self._mean = 0.0
        self._weight = 0.0

    def update(self, amount: float) -> None:
        """Take the amount added in one more second."""
        self._mean = self.keep * self._mean + (1 - self.keep) * amount
        self._weight = self.keep * self._weight + (1 - self.keep)

    def skip(self, seconds: int) -> None:
        """Take `seconds` more seconds that added nothing, at once (a quiet room's clock
        jumps over seconds without events)."""
        decay = self.keep**seconds
        self._mean *= decay
        self._weight = decay * self._weight + (1 - decay)

    @property
    def per_s(self) -> float:
        """The smoothed amount per second (0 before any second)."""
        return self._mean / self._weight if self._weight else 0.0


def projection(done: float, pace_per_s: float, seconds_left: float) -> int:
    """Where a target ends at this pace.

    >>> projection(1000, 2.5, 600), projection(1000, 2.5, -5)
    (2500, 1000)
    """
    return int(round(done + pace_per_s * max(0.0, seconds_left)))


class TargetTracker:
    """The targets of one room: their paces, fed by the room's closed seconds."""

    def __init__(self, state: RoomState, goals: dict[str, int], duration_s: float,
                 half_life_s: float = PACE_HALF_LIFE_S, wire: bool = True) -> None:  # fmt: skip
        self.state = state
        self.half_life_s = half_life_s
        self.paces: dict[str, Pace] = {}
        self.goals: dict[str, int] = {}
        self.last_sec: int | None = None  # the last closed second taken
        self.duration_s = duration_s
        self.set_goals(goals, duration_s)
        if wire:
            self.wire()

    def wire(self) -> None:
        """Listen to the room's closed seconds (at creation, and after a keyframe restore)."""
        self.state.second_listeners.append(self.second)

    def set_goals(self, goals: dict[str, int], duration_s: float) -> None:
        """Track `goals` (0 = none); a key already tracked keeps its pace."""
        self.goals = {k: int(v) for k, v in goals.items() if v}
        self.duration_s = duration_s
        self.paces = {k: self.paces.get(k) or Pace(self.half_life_s) for k in self.goals}

    def _done_and_window(self, key: str) -> tuple[int, Any] | None:
        state = self.state
        if key == "gmv_cents":
            return state.gmv_cents, state.windows["gmv"]
        if key == "orders":
            return state.orders, state.windows["orders"]
        if key.startswith("units:"):
            product = state.products.get(key[6:])
            return (product.sold, product.units_1m) if product is not None else (0, None)
        return None

    def second(self, state: RoomState, sec: int) -> None:
        """Closed second `sec`: each pace takes what its target gained in it (and nothing for
        the seconds the room's clock jumped over)."""
        gap = sec - self.last_sec - 1 if self.last_sec is not None else 0
        self.last_sec = sec
        for key, pace in self.paces.items():
            if gap > 0:
                pace.skip(gap)
            found = self._done_and_window(key)
            window = found[1] if found else None
            pace.update(window.at(sec) if window is not None else 0)

    @property
    def end_ts(self) -> float | None:
        """The scheduled end (first event + duration), once the room has begun."""
        first = self.state.first_ts
        return None if first is None else first + self.duration_s

    def snapshot(self) -> list[dict[str, Any]]:
        """One entry per target: ``{key, target, done, projected, pace_per_min, end_ts}``."""
        state, end = self.state, self.end_ts
        if end is None:
            return []
        # Paces know the closed seconds; what is after them is in `done` already.
        known_to = (state.closed_sec + 1) if state.closed_sec is not None else state.clock
        out = []
        for key, goal in self.goals.items():
            found = self._done_and_window(key)
            if found is None:
                continue
            done, pace = int(found[0]), self.paces[key].per_s
            out.append({
                "key": key, "target": goal, "done": done,
                "projected": projection(done, pace, end - max(known_to, state.clock)),
                "pace_per_min": round(pace * 60, 2), "end_ts": end,
            })  # fmt: skip
        return out

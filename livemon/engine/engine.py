"""The metrics engine: folds batches of validated events into per-room state.

Pure: no I/O, no asyncio, no wall clock. ``apply`` is O(1) per event.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from livemon.engine.room import LATENESS_S, REFUND_WINDOW_S, RoomState
from livemon.events import Event, EventError

FUTURE_S = 600.0  # default of [hub] max_future_s: how far ahead an event's ts may run


class Engine:
    """Per-room state for every room seen; ``on_new_room`` lets detectors attach.

    ``future_s``: an event whose ts is more than this ahead of both its room's
    clock and the caller's ``horizon`` clock is rejected (see ``apply``).
    """

    def __init__(self, on_new_room: Callable[[RoomState], None] | None = None,
                 future_s: float = FUTURE_S,
                 refund_window_s: float = REFUND_WINDOW_S) -> None:  # fmt: skip
        self.rooms: dict[str, RoomState] = {}
        self.refund_window_s = refund_window_s
        self.on_new_room = on_new_room
        self.future_s = future_s
        self.too_far = 0  # events rejected so far for a ts too far ahead (see ``apply``)

    def room(self, name: str) -> RoomState:
        """The state of room ``name``, created on first use."""
        state = self.rooms.get(name)
        if state is None:
            state = self.rooms[name] = RoomState(name, self.refund_window_s)
            if self.on_new_room is not None:
                self.on_new_room(state)
        return state

    def apply(
        self, events: Iterable[Event], wall: float = math.inf
    ) -> tuple[set[str], list[tuple[int, str]]]:
        """Fold ``events`` in order; return the rooms changed and the rejected events.

        A rejection is ``(index in events, message)``: an event that is valid
        on its own but not against the state (a refund of an unknown order, a
        total pushed past ``MAX_TOTAL``, or a ts too far ahead).

        ``wall`` is the hub's clock when it took the events (recorded with
        them, so a replay decides alike). An event more than ``future_s``
        ahead of both ``wall`` and its room's clock is rejected: one ts years
        ahead would freeze the room's windows for good. Either clock alone
        would refuse good data: recordings, backfills and a fast simulator
        run far from the wall clock, and an adapter back from an outage
        jumps ahead of its room. The default (infinity) never rejects.
        """
        future = self.future_s
        horizon = wall + future
        rooms = self.rooms
        changed: set[str] = set()
        rejected: list[tuple[int, str]] = []
        last_name = None
        state: RoomState = None  # type: ignore[assignment]
        # The room's clock and newest second, mirrored in locals: only this loop
        # (directly or through ``advance``) moves them while it runs. ``next_sec``
        # (the second after ``newest``) is a float: a float compares with a float
        # several times faster than with an int, and whole seconds are exact floats.
        clock = newest = next_sec = 0.0
        for index, e in enumerate(events):
            if e.room != last_name:
                last_name = e.room
                state = rooms.get(last_name) or self.room(last_name)
                handlers = state.handlers
                changed.add(last_name)
                clock, newest = state.clock, state.newest_sec
                next_sec = newest + 1.0 if newest is not None else clock
            # The second this event counts in (the rule in RoomState); inlined
            # because this loop runs once per event. ``newest`` is int(clock).
            ts = e.ts
            if ts >= clock:  # (an equal ts counts in the newest second, as this branch gives)
                if ts > horizon and ts > clock + future:
                    rejected.append((index, _too_far(e, clock, wall, future)))
                    self.too_far += 1
                    continue
                clock = ts
                if ts < next_sec:
                    state.clock = ts  # same second: nothing closes, no window moves
                    sec = newest
                else:
                    state.advance(ts)
                    newest = sec = state.newest_sec
                    next_sec = sec + 1.0
            elif ts >= clock - LATENESS_S:
                sec = int(ts)
            else:
                sec = newest
            try:
                handlers[type(e)](e, sec)
            except EventError as exc:
                rejected.append((index, str(exc)))
        return changed, rejected

    def snapshot(self, name: str) -> dict[str, Any]:
        """The room as a docs/protocol.md ``snapshot`` message body (without alerts and targets)."""
        state = self.rooms[name]
        return {
            "op": "snapshot",
            "room": name,
            "ts": state.clock if state.newest_sec is not None else None,
            "metrics": state.metrics(),
            "products": state.product_rows(),
            "featured": state.featured,
        }


def _too_far(e: Event, clock: float, wall: float, future: float) -> str:
    """The rejection of an event whose ts runs too far ahead of both clocks."""
    kind = type(e).__struct_config__.tag
    ahead = e.ts - max(clock, wall)
    return (f"{kind}.ts is {ahead:,.0f} s ahead of both the room's event clock and the hub's "
            f"clock (at most {future:g} s): check the adapter's clock")  # fmt: skip

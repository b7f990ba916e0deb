"""The metrics engine: folds batches of validated events into per-room state.

Pure: no I/O, no asyncio, no wall clock. ``apply`` is O(1) per event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from livemon.engine.room import LATENESS_S, RoomState
from livemon.events import Event, EventError


class Engine:
    """Per-room state for every room seen; ``on_new_room`` lets detectors attach."""

    def __init__(self, on_new_room: Callable[[RoomState], None] | None = None) -> None:
        self.rooms: dict[str, RoomState] = {}
        self.on_new_room = on_new_room

    def room(self, name: str) -> RoomState:
        """The state of room ``name``, created on first use."""
        state = self.rooms.get(name)
        if state is None:
            state = self.rooms[name] = RoomState(name)
            if self.on_new_room is not None:
                self.on_new_room(state)
        return state

    def apply(self, events: Iterable[Event]) -> tuple[set[str], list[tuple[int, str]]]:
        """Fold ``events`` in order; return the rooms changed and the rejected events.

        A rejection is ``(index in events, message)``: an event that is valid
        on its own but not against the state (a refund of an unknown order).
        """
        rooms = self.rooms
        changed: set[str] = set()
        rejected: list[tuple[int, str]] = []
        last_name = None
        state: RoomState = None  # type: ignore[assignment]
        for index, e in enumerate(events):
            if e.room != last_name:
                last_name = e.room
                state = rooms.get(last_name) or self.room(last_name)
                handlers = state.handlers
                changed.add(last_name)
            # The second this event counts in (the rule in RoomState); inlined
            # because this loop runs once per event.
            ts = e.ts
            clock = state.clock
            if ts > clock:
                sec = int(ts)
                if sec == state.newest_sec:
                    state.clock = ts  # same second: nothing closes, no window moves
                else:
                    state.advance(ts)
            elif ts >= clock - LATENESS_S:
                sec = int(ts)
            else:
                sec = state.newest_sec
            try:
                handlers[type(e)](e, sec)
            except EventError as exc:
                rejected.append((index, str(exc)))
        return changed, rejected

    def snapshot(self, name: str) -> dict[str, Any]:
        """The room as a PROTOCOL.md ``snapshot`` message body (without alerts and targets)."""
        state = self.rooms[name]
        return {
            "op": "snapshot",
            "room": name,
            "ts": state.clock if state.newest_sec is not None else None,
            "metrics": state.metrics(),
            "products": state.product_rows(),
            "featured": state.featured,
        }
